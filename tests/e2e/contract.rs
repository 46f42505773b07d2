//! The contract as the protos publish it, checked against what the server does: the
//! `google.api.field_behavior` table (REQUIRED refused when missing, OUTPUT_ONLY ignored) and
//! the `(mediation.v1.access)` option served through reflection.

use bytes::Bytes;
use mediation_api::dispatch::v1 as dispatch;
use mediation_api::google::r#type::LatLng;
use mediation_api::{behavior, descriptor};
use mediation_auth::{Access, Role};
use tonic::Code;

use crate::common::*;
use crate::matrix::{api_methods, raw_call};

both_backends!(
    every_required_field_of_the_table_is_refused_when_missing,
    output_only_fields_are_ignored,
    access_options_are_served_through_reflection,
    transitions_and_messages_replay_by_request_id,
    a_retried_proposal_is_the_first_one,
    shifts_read_back
);

/// Every unary method a centre admin, a resident or anyone may call, sent an empty request,
/// is refused INVALID_ARGUMENT naming exactly the request's REQUIRED fields of the table, in
/// declaration order, before the service runs; a method without REQUIRED fields gets past.
async fn every_required_field_of_the_table_is_refused_when_missing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.centre_admin().await.access_token;
    let resident = app.resident("13800000001").await.access_token;
    let channel = app.channel().await;
    let policy = mediation_gateway::policy_table();
    let table = behavior::table();
    let mut checked = 0;
    for (method, streaming) in api_methods() {
        let token = match policy[method.as_str()] {
            Access::Public => None,
            Access::Roles(roles) if roles.contains(&Role::CentreAdmin) => Some(admin.as_str()),
            Access::Roles(roles) if roles.contains(&Role::Resident) => Some(resident.as_str()),
            Access::Roles(_) => continue,
        };
        let input = table.input_of(&method).expect("every method is in the table");
        let required: Vec<String> =
            table.message(input).expect("its request type").required().map(|f| f.name.clone()).collect();
        if required.is_empty() || streaming {
            continue;
        }
        let status = raw_call(&channel, &method, Bytes::new(), token, false).await.expect_err(&method);
        assert_eq!(status.code(), Code::InvalidArgument, "{method}: {status:?}");
        assert_eq!(violated_fields(&status), required, "{method}");
        checked += 1;
    }
    assert!(checked > 60, "only {checked} methods checked");

    // Inside repeated messages the path names the element.
    let mut case = new_case("", mediation_api::appointments::v1::CaseOrigin::App, "13800000001", ordinary());
    case.parties[1].phone.clear();
    let status = app.appointments().await.create_case(authed(case, &resident)).await.expect_err("no phone");
    assert_eq!(violated_fields(&status), ["parties[1].phone"]);
}

/// A van registered with the server-set `location` and `location_at` filled in is registered as
/// if they were not there (field_behavior.proto: the server must ignore them, not refuse).
async fn output_only_fields_are_ignored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.centre_admin().await.access_token;
    let (_, station) = app.located_station(&admin).await;
    let van = dispatch::Van {
        plate: "浙B00001".into(),
        depot_site_id: station,
        seats: 6,
        location: Some(LatLng { latitude: 1.0, longitude: 2.0 }),
        location_at: Some(ts(chrono::Utc::now())),
        status: dispatch::VanStatus::OutOfService.into(),
        ..Default::default()
    };
    let request = dispatch::RegisterVanRequest { request_id: new_request_id(), van: Some(van) };
    let van = app.dispatch().await.register_van(authed(request, &admin)).await.expect("registers").into_inner();
    assert_eq!((van.location, van.location_at), (None, None));
    assert_eq!(van.plate, "浙B00001");
}

/// A client reading the API through the reflection service alone sees who may call each
/// method: the `(mediation.v1.access)` option on the method, as the gateway enforces it.
async fn access_options_are_served_through_reflection(backend: Backend) {
    use tonic_reflection::pb::v1;
    let app = TestApp::spawn(backend).await;
    let mut client = v1::server_reflection_client::ServerReflectionClient::new(app.channel().await);
    let ask = |symbol: &str| v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::FileContainingSymbol(symbol.into())),
    };
    let requests = ["mediation.appointments.v1.AppointmentService", "mediation.directory.v1.DirectoryService"];
    let mut replies = client.server_reflection_info(tokio_stream::iter(requests.map(ask))).await.unwrap().into_inner();
    let mut files = Vec::new();
    while let Some(reply) = replies.message().await.expect("reflection answers") {
        let Some(v1::server_reflection_response::MessageResponse::FileDescriptorResponse(found)) =
            reply.message_response
        else {
            panic!("not a file: {reply:?}")
        };
        for bytes in found.file_descriptor_proto {
            files.push(<descriptor::File as prost::Message>::decode(bytes.as_slice()).unwrap());
        }
    }
    let access = |service: &str, name: &str| {
        let method = files
            .iter()
            .flat_map(|f| &f.service)
            .filter(|s| s.name == service)
            .flat_map(|s| &s.method)
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("{service}.{name} is served"));
        method.access().cloned().unwrap_or_else(|| panic!("{service}.{name} publishes its access"))
    };
    let complete = access("AppointmentService", "CompleteAppointment");
    assert!(!complete.public);
    assert_eq!(complete.roles, ["MEDIATOR", "DISPATCHER", "STATION_ADMIN", "CENTRE_ADMIN"]);
    let no_show = access("AppointmentService", "MarkNoShow");
    assert!(no_show.roles.contains(&"KIOSK".to_owned()), "{no_show:?}");
    let search = access("DirectoryService", "SearchMediators");
    assert!(search.public && search.roles.is_empty());

    // The option's own definition is served too, by file name, for a client that resolves the
    // imports of what it was given (grpcurl, grpcio's reflection client).
    let by_name = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::FileByFilename(
            "mediation/v1/access.proto".into(),
        )),
    };
    let mut replies = client.server_reflection_info(tokio_stream::iter([by_name])).await.unwrap().into_inner();
    let reply = replies.message().await.expect("reflection answers").expect("one reply");
    let Some(v1::server_reflection_response::MessageResponse::FileDescriptorResponse(found)) = reply.message_response
    else {
        panic!("not a file: {reply:?}")
    };
    let file = <descriptor::File as prost::Message>::decode(found.file_descriptor_proto[0].as_slice()).unwrap();
    assert_eq!((file.name.as_str(), file.package.as_str()), ("mediation/v1/access.proto", "mediation.v1"));
}

/// A retried session transition or message with the client's `request_id` answers what the
/// first call answered and changes nothing more; without one, the retry meets the new state.
async fn transitions_and_messages_replay_by_request_id(backend: Backend) {
    use mediation_api::appointments::v1 as pb;
    use mediation_api::directory::v1::{MediationMode, MediatorKind};
    use mediation_api::identity::v1::Role as StaffRole;
    let app = TestApp::spawn(backend).await;
    let centre = app.centre_admin().await.access_token;
    let (_, [s1, _], _) = app.district(&centre).await;
    let admin = staff(&app, &centre, StaffRole::StationAdmin, &s1).await;
    let profile = mediator_profile("王建国", MediatorKind::StationMediator, &s1, &[MediationMode::InPerson]);
    let mediator = mediator_with_account(&app, &centre, profile).await;
    let room = mediation_room(&app, &centre, &s1).await;
    let case = create_case(&app, &admin, new_case(&s1, pb::CaseOrigin::WalkIn, "13800000001", ordinary())).await;
    let mut client = app.appointments().await;
    let start = pb::StartSessionNowRequest {
        request_id: new_request_id(),
        case_id: case.id.clone(),
        mediator_ids: vec![mediator.id.clone()],
        room_id: room,
        duration: Some(prost_types::Duration { seconds: 3600, nanos: 0 }),
    };
    let session = client.start_session_now(authed(start, &admin)).await.expect("starts").into_inner();

    let complete = |request_id: &str, summary: &str| pb::CompleteAppointmentRequest {
        appointment_id: session.id.clone(),
        outcome: Some(pb::Outcome {
            result: pb::OutcomeResult::Settled.into(),
            agreement_summary: summary.into(),
            ..Default::default()
        }),
        request_id: request_id.into(),
    };
    let once = new_request_id();
    let first = client.complete_appointment(authed(complete(&once, "赔偿两千元"), &admin)).await.unwrap().into_inner();
    let retry = client.complete_appointment(authed(complete(&once, "赔偿两千元"), &admin)).await.unwrap().into_inner();
    assert_eq!(first, retry);
    assert_eq!(first.status, pb::AppointmentStatus::Completed as i32);
    let other = client.complete_appointment(authed(complete(&once, "赔偿三千元"), &admin)).await;
    assert_status(other, Code::InvalidArgument, "IDEMPOTENCY_KEY_REUSED");
    let unprotected = client.complete_appointment(authed(complete("", "赔偿两千元"), &admin)).await;
    let status = assert_status(unprotected, Code::FailedPrecondition, "APPOINTMENT_COMPLETED");
    // The ErrorInfo says which session and in what state, beside the reason.
    let info = tonic_types::StatusExt::get_error_details(&status).error_info().cloned().unwrap();
    assert_eq!(info.metadata.get("current_state").map(String::as_str), Some("COMPLETED"));
    assert_eq!(info.metadata.get("appointment_id"), Some(&session.id));

    let post = |request_id: &str| pb::PostMessageRequest {
        case_id: case.id.clone(),
        body: "协议已签，请按期履行。".into(),
        request_id: request_id.into(),
    };
    let once = new_request_id();
    let first = client.post_message(authed(post(&once), &admin)).await.unwrap().into_inner();
    let retry = client.post_message(authed(post(&once), &admin)).await.unwrap().into_inner();
    assert_eq!(first, retry);
    let bad = client.post_message(authed(post("retry-1"), &admin)).await;
    assert_eq!(violated_fields(&assert_status(bad, Code::InvalidArgument, "VALIDATION")), ["request_id"]);
    let listed = client
        .list_messages(authed(pb::ListMessagesRequest { case_id: case.id.clone(), ..Default::default() }, &admin))
        .await
        .unwrap()
        .into_inner()
        .messages;
    assert_eq!(listed.len(), 1);
}

/// A proposal retried with its `request_id` is the first proposal, not a second one.
async fn a_retried_proposal_is_the_first_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.centre_admin().await.access_token;
    let (_, station) = app.located_station(&admin).await;
    let mut client = app.dispatch().await;
    let propose = |request_id: &str| dispatch::ProposePlanRequest {
        date: Some(date(days_ahead(2))),
        station_id: station.clone(),
        request_id: request_id.into(),
        ..Default::default()
    };
    let once = new_request_id();
    let first = client.propose_plan(authed(propose(&once), &admin)).await.unwrap().into_inner();
    let retry = client.propose_plan(authed(propose(&once), &admin)).await.unwrap().into_inner();
    assert_eq!(first.id, retry.id);
    let fresh = client.propose_plan(authed(propose(""), &admin)).await.unwrap().into_inner();
    assert_ne!(fresh.id, first.id);
}

/// A shift written by SetVanShift reads back through ListShifts, by date range.
async fn shifts_read_back(backend: Backend) {
    use mediation_api::directory::v1::{MediationMode, MediatorKind};
    let app = TestApp::spawn(backend).await;
    let admin = app.centre_admin().await.access_token;
    let (_, station) = app.located_station(&admin).await;
    let profile = mediator_profile("张卫国", MediatorKind::StationMediator, &station, &[MediationMode::HomeVisit]);
    let crew = mediator_with_account(&app, &admin, profile).await;
    let van = register_van(&app, &admin, "浙B00002", &station).await;
    let day = days_ahead(3);
    let mut client = app.dispatch().await;
    let set = client.set_van_shift(authed(day_shift(&van, day, vec![crew.id.clone()]), &admin)).await.unwrap();
    let list = |from: chrono::NaiveDate, days: i64| dispatch::ListShiftsRequest {
        van_id: van.clone(),
        date_from: Some(date(from)),
        date_to: Some(date(from + chrono::TimeDelta::days(days))),
    };
    let listed = client.list_shifts(authed(list(day - chrono::TimeDelta::days(1), 7), &admin)).await.unwrap();
    assert_eq!(listed.into_inner().shifts, [set.into_inner()]);
    // A range of days includes its last day.
    let ending_on_it = client.list_shifts(authed(list(day - chrono::TimeDelta::days(2), 2), &admin)).await.unwrap();
    assert_eq!(ending_on_it.into_inner().shifts.len(), 1);
    let after = client.list_shifts(authed(list(day + chrono::TimeDelta::days(1), 7), &admin)).await.unwrap();
    assert!(after.into_inner().shifts.is_empty());
    let too_long = client.list_shifts(authed(list(day, 62), &admin)).await;
    assert_eq!(violated_fields(&assert_status(too_long, Code::InvalidArgument, "VALIDATION")), ["date_to"]);
}
