//! The dispute at the station, as the seed's day goes: an officer hands a 110 dispute over, it
//! waits on the station's live picture, a mediator starts it at once in a free room, and a
//! second start of the same mediator is refused; a resident's case whose respondent is invited,
//! registers with the invited phone, reads the case with the applicant's phone masked, declines,
//! and the booking is refused until staff record why it proceeds.

use mediation_api::appointments::v1 as pb;
use mediation_api::directory::v1::{MediationMode, MediatorKind};
use mediation_api::identity::v1::Role;
use prost_types::Duration;
use tonic::Code;

use crate::common::*;

both_backends!(a_110_handover_is_mediated_on_the_spot, the_respondent_is_invited_and_may_decline);

fn minutes(m: i64) -> Option<Duration> {
    Some(Duration { seconds: m * 60, nanos: 0 })
}

fn handover(site: &str, incident: &str) -> pb::CreateCaseRequest {
    pb::CreateCaseRequest {
        police_incident_id: incident.into(),
        handed_over_by: "李警官（警号 012345）".into(),
        ..new_case(site, pb::CaseOrigin::Police110, "13800000201", ordinary())
    }
}

fn start_now(case_id: &str, mediator: &str, room: &str) -> pb::StartSessionNowRequest {
    pb::StartSessionNowRequest {
        request_id: new_request_id(),
        case_id: case_id.into(),
        mediator_ids: vec![mediator.into()],
        room_id: room.into(),
        duration: minutes(60),
    }
}

async fn a_110_handover_is_mediated_on_the_spot(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let centre = app.centre_admin().await.access_token;
    let (_, [s1, s2], [k1, _]) = app.district(&centre).await;
    let admin = staff(&app, &centre, Role::StationAdmin, &s1).await;
    let profile = |name| mediator_profile(name, MediatorKind::StationMediator, &s1, &[MediationMode::InPerson]);
    let wang = mediator_with_account(&app, &centre, profile("王建国")).await;
    let li = mediator_with_account(&app, &centre, profile("李秀英")).await;
    let wang_token = app.login(&wang.login, PASSWORD).await.access_token;
    let room_a = mediation_room(&app, &centre, &s1).await;
    let room_b = mediation_room(&app, &centre, &s1).await;
    let mut client = app.appointments().await;

    // The officer's handover: the incident number is unique per station.
    let case = create_case(&app, &admin, handover(&s1, "110-20261206-0001")).await;
    assert_eq!(case.police_incident_id, "110-20261206-0001");
    assert_eq!(case.handed_over_by, "李警官（警号 012345）");
    let again = client.create_case(authed(handover(&s1, "110-20261206-0001"), &admin)).await;
    assert_status(again, Code::AlreadyExists, "ALREADY_EXISTS");
    create_case(&app, &centre, handover(&s2, "110-20261206-0001")).await;
    let walk_in_with_number = pb::CreateCaseRequest {
        origin: pb::CaseOrigin::WalkIn.into(),
        handed_over_by: String::new(),
        ..handover(&s1, "110-20261206-0002")
    };
    let refused = client.create_case(authed(walk_in_with_number, &admin)).await;
    let status = assert_status(refused, Code::InvalidArgument, "VALIDATION");
    assert_eq!(violated_fields(&status), ["police_incident_id"]);
    let found = client
        .list_cases(authed(
            pb::ListCasesRequest { police_incident_id: "110-20261206-0001".into(), ..Default::default() },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .cases;
    assert_eq!(found.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [case.id.as_str()]);

    // It waits on the station's picture, with both mediators free to take it.
    let now = client
        .get_station_now(authed(pb::GetStationNowRequest { site_id: s1.clone() }, &admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(now.waiting.len(), 1);
    assert_eq!((now.waiting[0].position, now.waiting[0].case_id.as_str()), (1, case.id.as_str()));
    assert_eq!(now.waiting[0].police_incident_id, "110-20261206-0001");
    let mut eligible = now.waiting[0].eligible_mediator_ids.clone();
    eligible.sort();
    let mut both = vec![wang.id.clone(), li.id.clone()];
    both.sort();
    assert_eq!(eligible, both);
    // The kiosk shows the line without the case.
    let kiosk_token = kiosk(&app, &centre, &k1).await;
    let on_screen = client
        .get_station_now(authed(pb::GetStationNowRequest { site_id: s1.clone() }, &kiosk_token))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(on_screen.waiting.len(), 1);
    assert!(on_screen.waiting[0].case_id.is_empty() && on_screen.waiting[0].police_incident_id.is_empty());
    let other_station = client.get_station_now(authed(pb::GetStationNowRequest { site_id: s2.clone() }, &admin)).await;
    assert_status(other_station, Code::PermissionDenied, "FORBIDDEN");

    // A mediator starts it now in a free room.
    let session = client
        .start_session_now(authed(start_now(&case.id, &wang.id, &room_a), &wang_token))
        .await
        .expect("starts at once")
        .into_inner();
    assert_eq!(session.status(), pb::AppointmentStatus::CheckedIn);
    assert!(session.on_the_spot);
    let now = client
        .get_station_now(authed(pb::GetStationNowRequest { site_id: s1.clone() }, &admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(now.in_session.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), [session.id.as_str()]);
    assert!(now.waiting.is_empty());
    assert_eq!(now.free_mediator_ids, [li.id.clone()]);

    // A walk-in arrives: the busy mediator or the busy room cannot take it; a free pair can.
    let walk_in = create_case(&app, &admin, new_case(&s1, pb::CaseOrigin::WalkIn, "13800000202", ordinary())).await;
    let busy_mediator = client.start_session_now(authed(start_now(&walk_in.id, &wang.id, &room_b), &admin)).await;
    assert_status(busy_mediator, Code::Aborted, "SLOT_TAKEN");
    let busy_room = client.start_session_now(authed(start_now(&walk_in.id, &li.id, &room_a), &admin)).await;
    assert_status(busy_room, Code::Aborted, "SLOT_TAKEN");
    client.start_session_now(authed(start_now(&walk_in.id, &li.id, &room_b), &admin)).await.expect("a free pair");

    // The first session runs over: it is extended while nothing else needs the room.
    let extended = client
        .extend_session(authed(
            pb::ExtendSessionRequest { appointment_id: session.id.clone(), extra: minutes(30) },
            &wang_token,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(instant(&extended.end) - instant(&session.end), chrono::Duration::minutes(30));

    // Settled at the table: the statistics count it as the seed's district does.
    let outcome = pb::Outcome {
        result: pb::OutcomeResult::Settled.into(),
        agreement_summary: "赔偿维修费 2000 元".into(),
        ..Default::default()
    };
    let complete = pb::CompleteAppointmentRequest {
        appointment_id: session.id.clone(),
        outcome: Some(outcome),
        ..Default::default()
    };
    client.complete_appointment(authed(complete, &wang_token)).await.expect("completes");
    let figures = pb::GetStatisticsRequest {
        site_id: s1.clone(),
        mediator_id: String::new(),
        from: Some(ts(chrono::Utc::now() - chrono::Duration::hours(1))),
        to: Some(ts(chrono::Utc::now() + chrono::Duration::hours(3))),
    };
    let stats = client.get_statistics(authed(figures, &admin)).await.unwrap().into_inner();
    assert_eq!((stats.police_110_cases, stats.police_110_settled_on_the_spot), (1, 1));
    assert_eq!((stats.on_the_spot_sessions, stats.booked_sessions), (2, 0));
    assert!((stats.police_110_on_the_spot_settlement_rate - 1.0).abs() < 1e-9);
    assert!(stats.median_handover_to_session.is_some_and(|d| d.seconds >= 0 && d.seconds < 600));

    // A case booked from the app is not started on the spot, and residents start nothing.
    let resident = app.resident("13800000203").await.access_token;
    let booked = create_case(&app, &resident, new_case(&s1, pb::CaseOrigin::App, "13800000203", ordinary())).await;
    let not_here = client.start_session_now(authed(start_now(&booked.id, &li.id, &room_b), &admin)).await;
    assert_status(not_here, Code::FailedPrecondition, "NOT_ON_THE_SPOT");
    let resident_start = client.start_session_now(authed(start_now(&walk_in.id, &li.id, &room_b), &resident)).await;
    assert_status(resident_start, Code::PermissionDenied, "FORBIDDEN");
}

async fn the_respondent_is_invited_and_may_decline(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let centre = app.centre_admin().await.access_token;
    let (_, [s1, _], _) = app.district(&centre).await;
    let admin = staff(&app, &centre, Role::StationAdmin, &s1).await;
    let applicant = app.resident("13800000111").await.access_token;
    let case = create_case(&app, &applicant, new_case(&s1, pb::CaseOrigin::App, "13800000111", ordinary())).await;
    assert_eq!(case.parties[0].participation(), pb::Participation::Accepted);
    assert_eq!(case.parties[1].participation(), pb::Participation::Invited);

    // The respondent's phone gets an invitation that tells nothing of the dispute.
    let invitations: Vec<_> =
        wait_for(&app, |n| n.iter().any(|n| n["kind"] == "CASE_INVITATION"), std::time::Duration::from_secs(10))
            .await
            .into_iter()
            .filter(|n| n["kind"] == "CASE_INVITATION")
            .collect();
    assert_eq!(invitations.len(), 1, "{invitations:?}");
    assert_eq!(invitations[0]["to"], format!("+86{RESPONDENT_PHONE}"));
    let text = invitations[0]["text"].as_str().unwrap();
    assert!(text.contains("王*") && !text.contains("王芳") && text.contains("中河派出所"), "{text}");
    assert!(!text.contains("漏水"), "{text}");

    // Registered with the invited phone, the respondent sees the case, the applicant's phone masked.
    let respondent = app.resident_named(RESPONDENT_PHONE, "赵强").await.access_token;
    let mut client = app.appointments().await;
    let seen = client
        .get_case(authed(pb::GetCaseRequest { id: case.id.clone() }, &respondent))
        .await
        .expect("a party sees the case")
        .into_inner();
    assert_eq!(seen.parties[0].phone, "138****0111");
    assert_eq!(seen.parties[1].phone, format!("+86{RESPONDENT_PHONE}"));
    let listed =
        client.list_cases(authed(pb::ListCasesRequest::default(), &respondent)).await.unwrap().into_inner().cases;
    assert_eq!(listed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [case.id.as_str()]);
    let stranger = app.resident("13800000112").await.access_token;
    let hidden = client.get_case(authed(pb::GetCaseRequest { id: case.id.clone() }, &stranger)).await;
    assert_status(hidden, Code::NotFound, "NOT_FOUND");
    // Only the applicant and staff look for times: a party by phone is refused, a stranger
    // does not learn the case exists.
    let look = pb::SearchAvailabilityRequest {
        case_id: case.id.clone(),
        from: Some(ts(local(session_day(), 0))),
        to: Some(ts(local(session_day(), 23))),
        duration: Some(Duration { seconds: 3600, nanos: 0 }),
        ..Default::default()
    };
    client.search_availability(authed(look.clone(), &applicant)).await.expect("the applicant looks for a time");
    let party_looks = client.search_availability(authed(look.clone(), &respondent)).await;
    assert_status(party_looks, Code::PermissionDenied, "FORBIDDEN");
    let stranger_looks = client.search_availability(authed(look, &stranger)).await;
    assert_status(stranger_looks, Code::NotFound, "NOT_FOUND");

    // The respondent declines; the case cannot be booked until staff record why it proceeds.
    let decline = |reason: &str| pb::RespondToCaseRequest {
        case_id: case.id.clone(),
        accept: Some(false),
        reason: reason.into(),
        party_position: 0,
    };
    let no_reason = client.respond_to_case(authed(decline(""), &respondent)).await;
    assert_eq!(violated_fields(&assert_status(no_reason, Code::InvalidArgument, "VALIDATION")), ["reason"]);
    let declined = client.respond_to_case(authed(decline("不同意调解"), &respondent)).await.unwrap().into_inner();
    assert_eq!(declined.parties[1].participation(), pb::Participation::Declined);
    assert_eq!(declined.parties[1].answer_reason, "不同意调解");
    let start = local(session_day(), 10);
    let book = pb::BookAppointmentRequest {
        request_id: new_request_id(),
        case_id: case.id.clone(),
        start: Some(ts(start)),
        end: Some(ts(start + chrono::Duration::hours(1))),
        mediator_ids: vec!["any-mediator".into()],
        room_id: String::new(),
        mode: MediationMode::Video.into(),
    };
    let refused = client.book_appointment(authed(book.clone(), &applicant)).await;
    assert_status(refused, Code::FailedPrecondition, "PARTY_DECLINED");
    let events = client
        .list_case_events(authed(
            pb::ListCaseEventsRequest { case_id: case.id.clone(), ..Default::default() },
            &applicant,
        ))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert!(events.iter().any(|e| e.kind == "PARTY_DECLINED"), "{events:?}");
    // The history pages: one event at a time gives the same events in the same order.
    let (mut paged, mut token) = (Vec::new(), String::new());
    loop {
        let page = pb::ListCaseEventsRequest { case_id: case.id.clone(), page_size: 1, page_token: token };
        let page = client.list_case_events(authed(page, &applicant)).await.unwrap().into_inner();
        assert!(page.events.len() <= 1);
        paged.extend(page.events);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(paged, events);

    let proceed =
        pb::ProceedWithCaseRequest { case_id: case.id.clone(), reason: "双方均在场，同意先行调解".into() };
    let proceeding = client.proceed_with_case(authed(proceed, &admin)).await.unwrap().into_inner();
    assert_eq!(proceeding.proceed_reason, "双方均在场，同意先行调解");
    let after = client
        .book_appointment(authed(pb::BookAppointmentRequest { request_id: new_request_id(), ..book }, &applicant))
        .await;
    let status = after.expect_err("the made-up mediator is still refused");
    assert_ne!(status.code(), Code::FailedPrecondition, "{status:?}");
}
