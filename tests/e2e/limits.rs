//! The limits the gateway applies before any service: signed-in calls per principal, open
//! anonymous streams per client address, client addresses read through trusted proxies only,
//! and oversize messages.

use std::time::Duration;

use mediation_api::directory::v1::ListSpecialtiesRequest;
use mediation_api::identity::v1::GetMeRequest;
use tonic::{Code, Request};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use crate::common::{Backend, TestApp, assert_status, authed, both_backends};

both_backends!(a_token_does_not_lift_the_call_limit);

async fn a_token_does_not_lift_the_call_limit(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.server.calls_per_second_per_principal = 1;
        s.server.burst_per_principal = 3;
    })
    .await;
    let first = app.resident("13800000101").await;
    let second = app.resident("13800000102").await;
    let mut identity = app.identity().await;
    for _ in 0..3 {
        identity.get_me(authed(GetMeRequest {}, &first.access_token)).await.unwrap();
    }
    let refused = identity.get_me(authed(GetMeRequest {}, &first.access_token)).await;
    assert_status(refused, Code::ResourceExhausted, "RATE_LIMITED");
    identity.get_me(authed(GetMeRequest {}, &second.access_token)).await.expect("each account is counted apart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_streams_are_counted_per_address() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.server.anonymous_streams_per_peer = 2).await;
    let mut health = HealthClient::new(app.channel().await);
    let watch = || HealthCheckRequest { service: String::new() };
    let first = health.watch(watch()).await.expect("first watch");
    let _second = health.watch(watch()).await.expect("second watch");
    let third = health.watch(watch()).await;
    assert_status(third, Code::ResourceExhausted, "TOO_MANY_STREAMS");
    // One-off checks are not streams and are not counted.
    health.check(watch()).await.expect("a health check");
    drop(first);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match health.watch(watch()).await {
            Ok(_) => break,
            Err(status) if status.code() == Code::ResourceExhausted && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(status) => panic!("the closed stream's slot never came back: {status:?}"),
        }
    }
}

fn from(address: &str) -> Request<ListSpecialtiesRequest> {
    let mut request = Request::new(ListSpecialtiesRequest {});
    request.metadata_mut().insert("x-forwarded-for", address.parse().unwrap());
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_trusted_proxy_names_the_client() {
    let limited = |s: &mut mediation_gateway::Settings| {
        s.server.public_calls_per_second_per_peer = 1;
        s.server.public_burst_per_peer = 1;
    };
    // Behind a trusted proxy each client has a bucket of its own.
    let app = TestApp::spawn_with(Backend::Sqlite, |s| {
        limited(s);
        s.server.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let mut directory = app.directory().await;
    directory.list_specialties(from("198.51.100.1")).await.expect("first client");
    assert_status(directory.list_specialties(from("198.51.100.1")).await, Code::ResourceExhausted, "RATE_LIMITED");
    directory.list_specialties(from("198.51.100.2")).await.expect("another client behind the same proxy");
    // Anyone else's header is ignored: the direct peer is the client.
    let app = TestApp::spawn_with(Backend::Sqlite, limited).await;
    let mut directory = app.directory().await;
    directory.list_specialties(from("198.51.100.1")).await.expect("first call");
    assert_status(directory.list_specialties(from("198.51.100.2")).await, Code::ResourceExhausted, "RATE_LIMITED");
}
