//! The metrics endpoint: after a few calls, Prometheus text on its own listener counts them by
//! method and code, times them, shows an open stream while it is open, and reports the pool and
//! the outbox backlog.

use std::time::Duration;

use mediation_api::identity::v1 as pb;
use mediation_api::identity::v1::identity_service_client::IdentityServiceClient;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use crate::common::*;

both_backends!(the_metrics_endpoint_counts_calls_by_method_and_code);

const IDENTITY: &str = "mediation.identity.v1.IdentityService";

async fn the_metrics_endpoint_counts_calls_by_method_and_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let gateway = spawn_gateway(app.settings_with(|s| s.metrics.listen = "127.0.0.1:0".into())).await;
    let metrics = gateway.metrics_addr.expect("metrics.listen was set");

    let mut identity = IdentityServiceClient::new(gateway.channel().await);
    for _ in 0..3 {
        let anonymous = identity.get_me(pb::GetMeRequest {}).await;
        assert_eq!(anonymous.unwrap_err().code(), Code::Unauthenticated);
    }
    let bad_phone = identity
        .register_resident(pb::RegisterResidentRequest {
            phone: "12".into(),
            password: PASSWORD.into(),
            display_name: "王芳".into(),
        })
        .await;
    assert_eq!(bad_phone.unwrap_err().code(), Code::InvalidArgument);
    let mut health = HealthClient::new(gateway.channel().await);
    health.check(HealthCheckRequest { service: String::new() }).await.unwrap();
    let mut watch = health.watch(HealthCheckRequest { service: String::new() }).await.unwrap().into_inner();
    watch.message().await.unwrap().expect("the current status first");

    let (status, text) = scrape(metrics, "/metrics").await;
    assert_eq!(status, http::StatusCode::OK);
    let handled = |method: &str, code: &str| handled_total(&text, IDENTITY, method, code);
    assert_eq!(handled("GetMe", "UNAUTHENTICATED"), Some(3.0), "{text}");
    assert_eq!(handled("RegisterResident", "INVALID_ARGUMENT"), Some(1.0), "{text}");
    assert_eq!(
        sample(
            &text,
            "grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"Check\",grpc_service=\"grpc.health.v1.Health\"}"
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            &format!("grpc_server_handling_seconds_count{{grpc_method=\"GetMe\",grpc_service=\"{IDENTITY}\"}}")
        ),
        Some(3.0),
        "{text}"
    );
    let open_watch = "grpc_server_open_streams{grpc_method=\"Watch\",grpc_service=\"grpc.health.v1.Health\"}";
    assert_eq!(sample(&text, open_watch), Some(1.0), "{text}");
    assert!(sample(&text, "mediation_db_pool_connections{state=\"idle\"}").is_some(), "{text}");
    assert_eq!(sample(&text, "mediation_db_pool_max_connections"), Some(4.0), "{text}");
    assert_eq!(sample(&text, "mediation_outbox_backlog"), Some(0.0), "{text}");

    // The client hangs up: the stream closes and counts as CANCELLED.
    drop(watch);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, text) = scrape(metrics, "/metrics").await;
        if sample(&text, open_watch) == Some(0.0) {
            let cancelled = "grpc_server_handled_total{grpc_code=\"CANCELLED\",grpc_method=\"Watch\",grpc_service=\"grpc.health.v1.Health\"}";
            assert_eq!(sample(&text, cancelled), Some(1.0), "{text}");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the stream never closed: {text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    assert_eq!(scrape(metrics, "/elsewhere").await.0, http::StatusCode::NOT_FOUND);
}
