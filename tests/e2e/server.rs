use mediation_api::identity::v1 as pb;
use mediation_api::identity::v1::identity_service_client::IdentityServiceClient;
use mediation_api::status::reason;
use tokio_stream::StreamExt;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::common::*;

both_backends!(
    health_reports_serving,
    reflection_lists_every_service_in_v1_and_v1alpha,
    grpc_web_over_http1_runs_the_tour,
    shutdown_drains_calls_in_flight,
    oversized_messages_are_refused,
    anonymous_public_calls_are_limited_per_peer,
);

async fn anonymous_public_calls_are_limited_per_peer(backend: Backend) {
    use mediation_api::directory::v1::ListSpecialtiesRequest;
    let app = TestApp::spawn_with(backend, |s| {
        s.server.public_calls_per_second_per_peer = 1;
        s.server.public_burst_per_peer = 10;
    })
    .await;
    // Registering, verifying and logging in are anonymous calls too: three of the ten.
    let tokens = app.resident("13800000031").await;
    let mut directory = app.directory().await;
    let mut limited = None;
    for _ in 0..20 {
        if let Err(status) = directory.list_specialties(ListSpecialtiesRequest {}).await {
            limited = Some(status);
            break;
        }
    }
    let limited = limited.expect("twenty quick anonymous calls are limited");
    let status = assert_status(Err::<(), _>(limited), Code::ResourceExhausted, reason::RATE_LIMITED);
    assert!(tonic_types::StatusExt::get_error_details(&status).retry_info().is_some());
    // A signed-in caller and the health check are not counted against the address.
    directory.list_specialties(authed(ListSpecialtiesRequest {}, &tokens.access_token)).await.unwrap();
    let mut health = HealthClient::new(app.channel().await);
    health.check(HealthCheckRequest { service: String::new() }).await.unwrap();
}

async fn health_reports_serving(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut health = HealthClient::new(app.channel().await);
    for service in [
        "",
        "mediation.identity.v1.IdentityService",
        "mediation.directory.v1.DirectoryService",
        "mediation.appointments.v1.AppointmentService",
        "mediation.ratings.v1.RatingService",
        "mediation.dispatch.v1.DispatchService",
    ] {
        let reply = health.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner();
        assert_eq!(reply.status(), ServingStatus::Serving, "{service:?}");
    }
}

async fn reflection_lists_every_service_in_v1_and_v1alpha(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Every service of the API, plus health and both reflection versions.
    let set = <prost_types::FileDescriptorSet as prost::Message>::decode(mediation_api::FILE_DESCRIPTOR_SET).unwrap();
    let mut expected: Vec<String> = set
        .file
        .iter()
        .filter(|f| f.package().starts_with("mediation."))
        .flat_map(|f| f.service.iter().map(move |s| format!("{}.{}", f.package(), s.name())))
        .chain(
            [
                "grpc.health.v1.Health",
                "grpc.reflection.v1.ServerReflection",
                "grpc.reflection.v1alpha.ServerReflection",
            ]
            .map(String::from),
        )
        .collect();
    expected.sort();
    assert!(expected.len() >= 7, "{expected:?}");

    use tonic_reflection::pb::v1;
    let mut client = v1::server_reflection_client::ServerReflectionClient::new(app.channel().await);
    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(String::new())),
    };
    let mut replies = client.server_reflection_info(tokio_stream::iter([request])).await.unwrap().into_inner();
    let Some(v1::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        replies.next().await.unwrap().unwrap().message_response
    else {
        panic!("not a service list")
    };
    let mut names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(names, expected);

    use tonic_reflection::pb::v1alpha;
    let mut client = v1alpha::server_reflection_client::ServerReflectionClient::new(app.channel().await);
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1alpha::server_reflection_request::MessageRequest::FileContainingSymbol(
            "mediation.identity.v1.IdentityService".into(),
        )),
    };
    let mut replies = client.server_reflection_info(tokio_stream::iter([request])).await.unwrap().into_inner();
    let Some(v1alpha::server_reflection_response::MessageResponse::FileDescriptorResponse(files)) =
        replies.next().await.unwrap().unwrap().message_response
    else {
        panic!("not a file descriptor")
    };
    assert!(!files.file_descriptor_proto.is_empty());
}

async fn grpc_web_over_http1_runs_the_tour(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let http1 = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
    let service = tower::ServiceBuilder::new().layer(tonic_web::GrpcWebClientLayer::new()).service(http1);
    let mut client = IdentityServiceClient::with_origin(service, app.url().parse().unwrap());

    client
        .register_resident(pb::RegisterResidentRequest {
            phone: "13600000001".into(),
            password: PASSWORD.into(),
            display_name: "孙丽".into(),
        })
        .await
        .unwrap();
    let code = app.last_code("+8613600000001");
    client.verify_phone(pb::VerifyPhoneRequest { phone: "13600000001".into(), code }).await.unwrap();
    let tokens = client
        .login(pb::LoginRequest { login: "13600000001".into(), password: PASSWORD.into() })
        .await
        .unwrap()
        .into_inner();
    let me = client.get_me(authed(pb::GetMeRequest {}, &tokens.access_token)).await.unwrap().into_inner();
    assert_eq!(me.phone_masked, "136****0001");
    let refreshed =
        client.refresh(pb::RefreshRequest { refresh_token: tokens.refresh_token }).await.unwrap().into_inner();
    client.logout(pb::LogoutRequest { refresh_token: refreshed.refresh_token }).await.unwrap();

    // Errors keep their details through grpc-web.
    let refused = client.get_me(pb::GetMeRequest {}).await;
    assert_status(refused, Code::Unauthenticated, reason::TOKEN_INVALID);
}

async fn shutdown_drains_calls_in_flight(backend: Backend) {
    let mut app = TestApp::spawn_with(backend, |s| {
        s.auth.hashing_concurrency = 1;
        // Attempts count until they succeed; six at once must not trip the per-login limit.
        s.auth.max_failures_per_login = 100;
    })
    .await;
    app.resident("13800000009").await;
    // Logins queue behind one argon2 slot, so most are still running when the stop comes.
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let mut client = app.identity().await;
        calls.spawn(async move {
            client.login(pb::LoginRequest { login: "13800000009".into(), password: PASSWORD.into() }).await
        });
    }
    let first = calls.join_next().await.unwrap().unwrap();
    assert!(first.is_ok(), "{first:?}");
    app.stop().await;
    while let Some(call) = calls.join_next().await {
        let reply = call.unwrap();
        assert!(reply.is_ok(), "a call in flight at shutdown failed: {reply:?}");
    }
}

async fn oversized_messages_are_refused(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.server.max_message_bytes = 64 * 1024).await;
    let mut client = app.identity().await;
    let huge = client
        .register_resident(pb::RegisterResidentRequest {
            phone: "13800000010".into(),
            password: PASSWORD.into(),
            display_name: "x".repeat(100_000),
        })
        .await;
    // A message over the cap is refused before the service sees it, with RESOURCE_EXHAUSTED as
    // the gRPC status-code specification has it (tonic's own answer is OUT_OF_RANGE).
    assert_status(huge, Code::ResourceExhausted, "MESSAGE_TOO_LARGE");
    // The server is still up.
    let ok = client
        .register_resident(pb::RegisterResidentRequest {
            phone: "13800000010".into(),
            password: PASSWORD.into(),
            display_name: "周".into(),
        })
        .await;
    assert!(ok.is_ok(), "{ok:?}");
}
