//! Split services: a dispatch-only gateway, and a front gateway whose settings name it as the
//! dispatch upstream. Calls to dispatch through the front, unary and streaming, over gRPC and
//! grpc-web, reach the upstream with the caller's token; its errors come back with their
//! details; the front's health for dispatch follows the upstream's, and an upstream that is gone
//! answers UNAVAILABLE.

use std::time::Duration;

use mediation_api::dispatch::v1 as pb;
use mediation_api::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use mediation_api::identity::v1 as identity;
use mediation_api::identity::v1::identity_service_client::IdentityServiceClient;
use mediation_api::status::reason;
use tonic::Code;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::common::*;

both_backends!(a_front_gateway_forwards_dispatch_to_its_upstream);

const DISPATCH: &str = "mediation.dispatch.v1.DispatchService";

async fn health(channel: Channel, service: &str) -> Result<ServingStatus, tonic::Status> {
    let reply = HealthClient::new(channel).check(HealthCheckRequest { service: service.into() }).await?;
    Ok(reply.into_inner().status())
}

/// Polls the health of `service` until it is `wanted`, for at most `within`.
async fn wait_for_health(gateway: &Gateway, service: &str, wanted: ServingStatus, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let status = health(gateway.channel().await, service).await;
        if status.as_ref().ok() == Some(&wanted) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{service} health is {status:?}, not {wanted:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A resident's case at a station, made on the all-services gateway: (access token, case id).
async fn resident_case(app: &TestApp, phone: &str) -> (String, String) {
    let admin = app.centre_admin().await.access_token;
    let (_, [station, _], _) = app.district(&admin).await;
    let token = app.resident(phone).await.access_token;
    let case = create_case(app, &token, home_visit_case(&station, phone)).await;
    (token, case.id)
}

async fn a_front_gateway_forwards_dispatch_to_its_upstream(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut upstream = spawn_gateway(app.settings_with(|s| {
        s.server.services = vec!["dispatch".into()];
        s.metrics.listen = "127.0.0.1:0".into();
    }))
    .await;
    let front = spawn_gateway(app.settings_with(|s| {
        s.upstreams.insert("dispatch".into(), upstream.url());
    }))
    .await;

    // The upstream serves dispatch alone; the front serves the rest and mirrors dispatch's health.
    assert_eq!(health(upstream.channel().await, DISPATCH).await.unwrap(), ServingStatus::Serving);
    let not_here = health(upstream.channel().await, "mediation.identity.v1.IdentityService").await;
    assert_eq!(not_here.unwrap_err().code(), Code::NotFound);
    let unserved = IdentityServiceClient::new(upstream.channel().await)
        .login(identity::LoginRequest { login: "x".into(), password: "y".into() })
        .await;
    assert_eq!(unserved.unwrap_err().code(), Code::Unimplemented);
    wait_for_health(&front, DISPATCH, ServingStatus::Serving, Duration::from_secs(10)).await;

    let (resident, case_id) = resident_case(&app, "13800000701").await;
    let mut dispatch = DispatchServiceClient::new(front.channel().await);

    // Unary, with the caller's token passed on: the upstream knows the resident.
    let visit = dispatch
        .request_home_visit(authed(home_visit(&case_id, days_ahead(3), 9, 12), &resident))
        .await
        .expect("the visit is requested through the front")
        .into_inner();
    assert_eq!(visit.status(), pb::VisitStatus::Requested);

    // A stream: the current state, then the change made through the front, then the end.
    let mut stream = dispatch
        .watch_visit(authed(pb::WatchVisitRequest { visit_id: visit.id.clone() }, &resident))
        .await
        .expect("the resident watches through the front")
        .into_inner();
    let first = stream.message().await.unwrap().expect("the current state first");
    assert_eq!(first.status(), pb::VisitStatus::Requested);
    let cancel = pb::CancelHomeVisitRequest { visit_id: visit.id.clone(), reason: "已和解".into() };
    dispatch.cancel_home_visit(authed(cancel, &resident)).await.expect("the resident cancels");
    let within = Duration::from_secs(10);
    let cancelled = tokio::time::timeout(within, stream.message()).await.expect("an update in time").unwrap();
    assert_eq!(cancelled.expect("the cancellation").status(), pb::VisitStatus::Cancelled);
    let end = tokio::time::timeout(within, stream.message()).await.expect("the end in time").unwrap();
    assert!(end.is_none(), "a final visit ends the stream");

    // The upstream's errors come back whole: code, ErrorInfo reason, BadRequest fields.
    let missing = dispatch.get_home_visit(authed(pb::GetHomeVisitRequest { id: new_request_id() }, &resident)).await;
    assert_status(missing, Code::NotFound, reason::NOT_FOUND);
    let invalid = dispatch.get_home_visit(authed(pb::GetHomeVisitRequest { id: String::new() }, &resident)).await;
    let invalid = assert_status(invalid, Code::InvalidArgument, reason::VALIDATION);
    assert_eq!(violated_fields(&invalid), ["id"]);
    // The front's own auth layer still guards forwarded methods.
    let anonymous = dispatch.get_home_visit(pb::GetHomeVisitRequest { id: visit.id.clone() }).await;
    assert_status(anonymous, Code::Unauthenticated, reason::TOKEN_INVALID);

    // grpc-web over HTTP/1.1 to the front is forwarded too.
    let http1 = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
    let web = tower::ServiceBuilder::new().layer(tonic_web::GrpcWebClientLayer::new()).service(http1);
    let mut web = DispatchServiceClient::with_origin(web, front.url().parse().unwrap());
    let seen = web.get_home_visit(authed(pb::GetHomeVisitRequest { id: visit.id.clone() }, &resident)).await;
    assert_eq!(seen.expect("grpc-web through the front").into_inner().status(), pb::VisitStatus::Cancelled);
    let missing = web.get_home_visit(authed(pb::GetHomeVisitRequest { id: new_request_id() }, &resident)).await;
    assert_status(missing, Code::NotFound, reason::NOT_FOUND);

    // The upstream did the work.
    let (_, text) = scrape(upstream.metrics_addr.unwrap(), "/metrics").await;
    let handled = |method: &str, code: &str| handled_total(&text, DISPATCH, method, code);
    assert_eq!(handled("RequestHomeVisit", "OK"), Some(1.0), "{text}");
    assert_eq!(handled("WatchVisit", "OK"), Some(1.0), "{text}");
    assert_eq!(handled("GetHomeVisit", "NOT_FOUND"), Some(2.0), "{text}");

    // An upstream that is gone: UNAVAILABLE with a reason, and the front's health says so.
    upstream.stop().await;
    let gone = dispatch.get_home_visit(authed(pb::GetHomeVisitRequest { id: visit.id.clone() }, &resident)).await;
    assert_status(gone, Code::Unavailable, reason::UNAVAILABLE);
    wait_for_health(&front, DISPATCH, ServingStatus::NotServing, Duration::from_secs(15)).await;
    // The front's own services are unaffected.
    assert_eq!(
        health(front.channel().await, "mediation.identity.v1.IdentityService").await.unwrap(),
        ServingStatus::Serving
    );
}
