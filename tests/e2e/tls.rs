//! TLS by setting: a gateway given a certificate and key serves gRPC over TLS to a client that
//! trusts the certificate, keeps error details, and refuses a plaintext client.

use std::path::Path;

use mediation_api::identity::v1 as pb;
use mediation_api::identity::v1::identity_service_client::IdentityServiceClient;
use mediation_api::status::reason;
use tonic::Code;
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::common::*;

/// A self-signed certificate for `localhost` and its key, as PEM files in `dir`; returns the
/// certificate's PEM (what a client trusts) and the two paths.
pub fn self_signed(dir: &Path) -> (String, String, String) {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("a certificate");
    let (cert_path, key_path) = (dir.join("server.crt"), dir.join("server.key"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, signing_key.serialize_pem()).unwrap();
    (cert.pem(), cert_path.display().to_string(), key_path.display().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_with_a_certificate_serves_over_tls() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let (pem, cert_path, key_path) = self_signed(dir.path());
    let gateway = spawn_gateway(app.settings_with(|s| {
        s.server.tls_cert_path = Some(cert_path);
        s.server.tls_key_path = Some(key_path);
    }))
    .await;

    let tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(&pem)).domain_name("localhost");
    let channel = Endpoint::from_shared(format!("https://{}", gateway.addr))
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
        .expect("a TLS handshake with the trusted certificate");
    let reply = HealthClient::new(channel.clone())
        .check(HealthCheckRequest { service: "mediation.identity.v1.IdentityService".into() })
        .await
        .unwrap();
    assert_eq!(reply.into_inner().status(), ServingStatus::Serving);
    // Error details come through TLS as they do in plaintext.
    let refused = IdentityServiceClient::new(channel).get_me(pb::GetMeRequest {}).await;
    assert_status(refused, Code::Unauthenticated, reason::TOKEN_INVALID);

    // A plaintext client gets no answer from a TLS listener.
    let plaintext = match Endpoint::from_shared(gateway.url()).unwrap().connect().await {
        Ok(channel) => HealthClient::new(channel).check(HealthCheckRequest { service: String::new() }).await.is_ok(),
        Err(_) => false,
    };
    assert!(!plaintext, "a plaintext call reached a TLS listener");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_front_gateway_reaches_its_upstream_over_tls() {
    use mediation_api::dispatch::v1 as dispatch;
    use mediation_api::dispatch::v1::dispatch_service_client::DispatchServiceClient;

    let app = TestApp::spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let (_, cert_path, key_path) = self_signed(dir.path());
    let upstream = spawn_gateway(app.settings_with(|s| {
        s.server.services = vec!["dispatch".into()];
        s.server.tls_cert_path = Some(cert_path.clone());
        s.server.tls_key_path = Some(key_path);
    }))
    .await;
    let front = spawn_gateway(app.settings_with(|s| {
        s.upstreams.insert("dispatch".into(), format!("https://localhost:{}", upstream.addr.port()));
        s.server.upstream_ca_path = Some(cert_path);
    }))
    .await;

    // Health checks go over TLS too: the front reports the upstream SERVING once it answers.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let status = HealthClient::new(front.channel().await)
            .check(HealthCheckRequest { service: "mediation.dispatch.v1.DispatchService".into() })
            .await
            .map(|r| r.into_inner().status());
        if matches!(status, Ok(ServingStatus::Serving)) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the TLS upstream never reported SERVING: {status:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let resident = app.resident("13800000801").await.access_token;
    let missing = DispatchServiceClient::new(front.channel().await)
        .get_home_visit(authed(dispatch::GetHomeVisitRequest { id: new_request_id() }, &resident))
        .await;
    assert_status(missing, Code::NotFound, reason::NOT_FOUND);
}
