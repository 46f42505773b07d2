//! Findings of the security review, end to end: a mediator's access to a case comes from a live
//! session of theirs on it (a cancelled booking gives nothing), a session is run only by its own
//! mediators or its case's staff and not before its time, kiosks file cases with their own
//! station only, and answers carrying phones or addresses in clear leave an audit record.

use chrono::{DurationRound, TimeDelta, Utc};
use mediation_api::appointments::v1 as appointments;
use mediation_api::audit::v1 as audit;
use mediation_api::directory::v1 as directory;
use mediation_api::dispatch::v1 as dispatch;
use mediation_api::status::reason;
use tonic::Code;

use crate::common::*;
use crate::matrix::{Who, world};

both_backends!(
    a_cancelled_booking_gives_a_mediator_of_another_station_nothing,
    sessions_are_not_checked_in_or_completed_before_their_time,
    kiosks_file_cases_only_with_their_own_station,
    answers_with_phones_or_addresses_in_clear_are_audited,
);

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |s| s.appointments.min_notice_minutes = 0).await
}

fn outcome() -> appointments::Outcome {
    appointments::Outcome {
        result: appointments::OutcomeResult::Settled.into(),
        agreement_summary: "双方和解。".into(),
        referred_to: String::new(),
    }
}

async fn a_cancelled_booking_gives_a_mediator_of_another_station_nothing(backend: Backend) {
    let app = spawn(backend).await;
    let w = world(&app).await;
    let admin = w.token(Who::CentreAdmin).unwrap().to_owned();
    let outsider = w.token(Who::OtherMediator).unwrap().to_owned();
    let mut client = app.appointments().await;
    // Station 2's mediator is booked on station 1's case, in a room at station 2.
    let room = mediation_room(&app, &admin, &w.stations[1]).await;
    let start = (Utc::now() + TimeDelta::hours(3)).duration_trunc(TimeDelta::hours(1)).unwrap();
    let booking = appointments::BookAppointmentRequest {
        request_id: new_request_id(),
        case_id: w.case.clone(),
        start: Some(ts(start)),
        end: Some(ts(start + TimeDelta::hours(1))),
        mediator_ids: vec![w.mediators[1].clone()],
        room_id: room,
        mode: directory::MediationMode::InPerson.into(),
    };
    let own = client.book_appointment(authed(booking, &admin)).await.expect("books").into_inner();
    let get = || appointments::GetCaseRequest { id: w.case.clone() };
    client.get_case(authed(get(), &outsider)).await.expect("a booked mediator sees the case");
    // Taking part in one session is not running another mediator's session of the case.
    let complete =
        || appointments::CompleteAppointmentRequest { appointment_id: w.booked.clone(), outcome: Some(outcome()) };
    let refused = client.complete_appointment(authed(complete(), &outsider)).await;
    assert_status(refused, Code::PermissionDenied, reason::FORBIDDEN);
    let no_show = || appointments::MarkNoShowRequest { appointment_id: w.booked.clone() };
    assert_status(client.mark_no_show(authed(no_show(), &outsider)).await, Code::PermissionDenied, reason::FORBIDDEN);

    // Cancelled: the case, its thread and its sessions are gone for them.
    let cancel = appointments::CancelAppointmentRequest { appointment_id: own.id.clone(), reason: "换人".into() };
    client.cancel_appointment(authed(cancel, &admin)).await.expect("cancels");
    assert_eq!(client.get_case(authed(get(), &outsider)).await.unwrap_err().code(), Code::NotFound);
    let thread = appointments::ListMessagesRequest { case_id: w.case.clone(), ..Default::default() };
    assert_eq!(client.list_messages(authed(thread, &outsider)).await.unwrap_err().code(), Code::NotFound);
    let check_in = appointments::CheckInRequest { appointment_id: w.booked.clone() };
    assert_eq!(client.check_in(authed(check_in, &outsider)).await.unwrap_err().code(), Code::NotFound);
    assert_eq!(client.mark_no_show(authed(no_show(), &outsider)).await.unwrap_err().code(), Code::NotFound);
    assert_eq!(client.complete_appointment(authed(complete(), &outsider)).await.unwrap_err().code(), Code::NotFound);
    // The session's own mediator still runs it.
    let mediator = w.token(Who::Mediator).unwrap();
    let check_in = appointments::CheckInRequest { appointment_id: w.booked.clone() };
    client.check_in(authed(check_in, mediator)).await.expect("its own mediator checks it in");
    client.complete_appointment(authed(complete(), mediator)).await.expect("and completes it");
}

async fn sessions_are_not_checked_in_or_completed_before_their_time(backend: Backend) {
    let app = spawn(backend).await;
    let w = world(&app).await;
    let station_admin = w.token(Who::StationAdmin).unwrap().to_owned();
    let mut client = app.appointments().await;
    let case = new_case(&w.stations[0], appointments::CaseOrigin::WalkIn, "13800000811", ordinary());
    let case = create_case(&app, &station_admin, case).await;
    let start = (Utc::now() + TimeDelta::hours(4)).duration_trunc(TimeDelta::hours(1)).unwrap();
    let booking = appointments::BookAppointmentRequest {
        request_id: new_request_id(),
        case_id: case.id.clone(),
        start: Some(ts(start)),
        end: Some(ts(start + TimeDelta::hours(1))),
        mediator_ids: vec![w.mediators[0].clone()],
        room_id: w.room.clone(),
        mode: directory::MediationMode::InPerson.into(),
    };
    let session = client.book_appointment(authed(booking, &station_admin)).await.expect("books").into_inner();
    let check_in = || appointments::CheckInRequest { appointment_id: session.id.clone() };
    let complete =
        || appointments::CompleteAppointmentRequest { appointment_id: session.id.clone(), outcome: Some(outcome()) };
    for token in [&station_admin, w.token(Who::Kiosk).unwrap()] {
        assert_status(client.check_in(authed(check_in(), token)).await, Code::FailedPrecondition, "TOO_EARLY");
    }
    let early = client.complete_appointment(authed(complete(), &station_admin)).await;
    assert_status(early, Code::FailedPrecondition, "TOO_EARLY");
    let still =
        client.get_appointment(authed(appointments::GetAppointmentRequest { id: session.id.clone() }, &station_admin));
    assert_eq!(still.await.unwrap().into_inner().status(), appointments::AppointmentStatus::Booked);

    session_time_has_come(&app, &session.id).await;
    client.check_in(authed(check_in(), &station_admin)).await.expect("checks in once its time has come");
    let done = client.complete_appointment(authed(complete(), &station_admin)).await.expect("completes");
    assert_eq!(done.into_inner().status(), appointments::AppointmentStatus::Completed);
}

async fn kiosks_file_cases_only_with_their_own_station(backend: Backend) {
    let app = spawn(backend).await;
    let w = world(&app).await;
    let kiosk = w.token(Who::Kiosk).unwrap();
    let mut client = app.appointments().await;
    for site in [&w.stations[1], &w.centre] {
        let request = new_case(site, appointments::CaseOrigin::Kiosk, "13800000812", ordinary());
        let refused = client.create_case(authed(request, kiosk)).await;
        assert_status(refused, Code::PermissionDenied, reason::FORBIDDEN);
    }
    let own = new_case(&w.stations[0], appointments::CaseOrigin::Kiosk, "13800000812", ordinary());
    let filed = client.create_case(authed(own, kiosk)).await.expect("files with its own station").into_inner();
    assert_eq!(filed.site_id, w.stations[0]);
}

async fn answers_with_phones_or_addresses_in_clear_are_audited(backend: Backend) {
    let app = spawn(backend).await;
    let w = world(&app).await;
    let admin = w.token(Who::CentreAdmin).unwrap().to_owned();
    let station_admin = w.token(Who::StationAdmin).unwrap().to_owned();
    let dispatcher = w.token(Who::Dispatcher).unwrap().to_owned();
    let station_admin_id = account_id(&app, &station_admin).await;

    let assess = appointments::AssessCaseRequest { case_id: w.case.clone(), assessment: Some(ordinary()) };
    let assessed = app.appointments().await.assess_case(authed(assess, &station_admin)).await.expect("assesses");
    assert!(assessed.into_inner().parties.iter().any(|p| p.phone.ends_with("13800000801")), "phones in clear");

    let mut dispatch_client = app.dispatch().await;
    let shift = day_shift(&w.van, w.day, vec![w.mediators[0].clone()]);
    dispatch_client.set_van_shift(authed(shift, &dispatcher)).await.expect("sets the shift");
    let assign = dispatch::AssignVisitRequest { visit_id: w.visit.clone(), van_id: w.van.clone(), position: 0 };
    dispatch_client.assign_visit(authed(assign, &dispatcher)).await.expect("assigns");
    let update = dispatch::UpdateVisitStatusRequest {
        visit_id: w.visit.clone(),
        status: dispatch::VisitStatus::EnRoute.into(),
        note: String::new(),
        outcome: None,
    };
    let moved = dispatch_client.update_visit_status(authed(update, &dispatcher)).await.expect("updates");
    assert!(!moved.into_inner().address_masked);
    let cancel = dispatch::CancelHomeVisitRequest { visit_id: w.spare_visit.clone(), reason: "居民改期".into() };
    let cancelled = dispatch_client.cancel_home_visit(authed(cancel, &dispatcher)).await.expect("cancels");
    assert!(!cancelled.into_inner().address_masked);

    let list =
        audit::ListAuditEventsRequest { action: "PERSONAL_DATA_READ".into(), page_size: 500, ..Default::default() };
    let events = app.audit().await.list_audit_events(authed(list, &admin)).await.expect("lists").into_inner().events;
    let has = |actor: &str, target: &str, detail: &str| {
        events.iter().any(|e| e.actor_id == actor && e.target_id == target && e.detail == detail)
    };
    assert!(has(&station_admin_id, &w.case, "parties via AssessCase"), "{events:#?}");
    assert!(has(&w.dispatcher_account, &w.visit, "address via UpdateVisitStatus"), "{events:#?}");
    assert!(has(&w.dispatcher_account, &w.spare_visit, "address via CancelHomeVisit"), "{events:#?}");
}
