//! Home visits that close the loop, end to end: a visit completed with its outcome is a session
//! of its case (it closes the case, its resident rates it, its crew's assessment and its
//! station's statistics count it); a window offered by SuggestVisitWindows is served inside by
//! the next plan; the resident hears of the plan, of the crew setting off (with a tracking
//! link) and of a failure, in Chinese and without the address; and the tracking link works
//! without an account until the visit ends. Planner time limits stay at a second.

use std::time::Duration;

use chrono::{Datelike, NaiveDate, Utc};
use mediation_api::appointments::v1 as appointments;
use mediation_api::directory::v1 as directory;
use mediation_api::dispatch::v1 as pb;
use mediation_api::google::r#type::LatLng;
use mediation_api::identity::v1 as identity;
use mediation_api::ratings::v1 as ratings;
use tonic::Code;

use crate::common::*;

both_backends!(
    a_completed_visit_is_a_session_rated_by_its_resident_and_counted_for_its_crew_and_station,
    an_offered_window_is_served_inside_by_the_next_plan,
    the_resident_hears_of_the_plan_the_crew_setting_off_and_a_failure,
    the_tracking_link_works_without_an_account_until_the_visit_ends,
);

const ADDRESS: &str = "宁波市鄞州区中河街道某小区1幢101室";

/// A station with a van on an 08:00-18:00 shift three days ahead, its dispatcher and its crew
/// of one, and a resident's case at the station.
struct Visiting {
    station: String,
    dispatcher: String,
    van: String,
    crew_id: String,
    crew: String,
    day: NaiveDate,
    resident: String,
    phone: String,
    case_id: String,
}

async fn visiting(app: &TestApp, phone: &str) -> Visiting {
    let admin = app.centre_admin().await.access_token;
    let (_, station) = app.located_station(&admin).await;
    let dispatcher = staff(app, &admin, identity::Role::Dispatcher, &station).await;
    let day = days_ahead(3);
    let van = register_van(app, &dispatcher, "浙B·V0001", &station).await;
    let modes = [directory::MediationMode::InPerson, directory::MediationMode::HomeVisit];
    let profile = mediator_profile("陈海芬", directory::MediatorKind::StationMediator, &station, &modes);
    let Staffed { id: crew_id, login } = mediator_with_account(app, &admin, profile).await;
    let crew = app.login(&login, PASSWORD).await.access_token;
    let shift = day_shift(&van, day, vec![crew_id.clone()]);
    app.dispatch().await.set_van_shift(authed(shift, &dispatcher)).await.expect("sets the shift");
    let resident = app.resident(phone).await.access_token;
    let case = create_case(app, &resident, home_visit_case(&station, phone)).await;
    Visiting { station, dispatcher, van, crew_id, crew, day, resident, phone: format!("+86{phone}"), case_id: case.id }
}

/// Proposes the day's plan and commits it.
async fn plan_and_commit(app: &TestApp, v: &Visiting) -> pb::Plan {
    let request = pb::ProposePlanRequest {
        date: Some(date(v.day)),
        station_id: v.station.clone(),
        time_limit: Some(prost_types::Duration { seconds: 1, nanos: 0 }),
        ..Default::default()
    };
    let plan = app.dispatch().await.propose_plan(authed(request, &v.dispatcher)).await.expect("proposes").into_inner();
    let commit = pb::CommitPlanRequest { plan_id: plan.id.clone() };
    app.dispatch().await.commit_plan(authed(commit, &v.dispatcher)).await.expect("commits").into_inner()
}

/// The resident's visit in the 09:00-12:00 window, planned and committed.
async fn planned_visit(app: &TestApp, v: &Visiting) -> pb::HomeVisit {
    let request = home_visit(&v.case_id, v.day, 9, 12);
    let visit = app.dispatch().await.request_home_visit(authed(request, &v.resident)).await.expect("requests");
    let plan = plan_and_commit(app, v).await;
    assert!(plan.unassigned.is_empty(), "{plan:?}");
    get_visit(app, &v.resident, &visit.into_inner().id).await
}

async fn get_visit(app: &TestApp, token: &str, id: &str) -> pb::HomeVisit {
    let request = pb::GetHomeVisitRequest { id: id.into() };
    app.dispatch().await.get_home_visit(authed(request, token)).await.expect("reads the visit").into_inner()
}

fn move_to(visit_id: &str, status: pb::VisitStatus, note: &str) -> pb::UpdateVisitStatusRequest {
    pb::UpdateVisitStatusRequest {
        visit_id: visit_id.into(),
        status: status.into(),
        note: note.into(),
        ..Default::default()
    }
}

async fn move_visit(
    app: &TestApp,
    token: &str,
    request: pb::UpdateVisitStatusRequest,
) -> Result<pb::HomeVisit, tonic::Status> {
    app.dispatch().await.update_visit_status(authed(request, token)).await.map(|r| r.into_inner())
}

fn settled() -> appointments::Outcome {
    appointments::Outcome {
        result: appointments::OutcomeResult::Settled.into(),
        agreement_summary: "楼上住户承担维修费 1000 元".into(),
        ..Default::default()
    }
}

/// The token of the tracking link sent to `phone` in its VISIT_EN_ROUTE notice.
async fn tracking_token(app: &TestApp, phone: &str) -> String {
    let sent =
        wait_for(app, |n| n.iter().any(|n| n["to"] == phone && n["kind"] == "VISIT_EN_ROUTE"), Duration::from_secs(10))
            .await;
    let text = sent.iter().find(|n| n["to"] == phone && n["kind"] == "VISIT_EN_ROUTE").unwrap()["text"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, token) = text.split_once("/track/").unwrap_or_else(|| panic!("a tracking link in {text}"));
    token.trim().to_owned()
}

async fn track(app: &TestApp, token: &str) -> Result<pb::VisitUpdate, tonic::Status> {
    let request = pb::GetVisitByTrackingTokenRequest { token: token.into() };
    app.dispatch().await.get_visit_by_tracking_token(request).await.map(|r| r.into_inner())
}

async fn a_completed_visit_is_a_session_rated_by_its_resident_and_counted_for_its_crew_and_station(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let v = visiting(&app, "13800000701").await;
    let visit = planned_visit(&app, &v).await;
    assert_eq!(visit.van_id, v.van);
    // A retried status change with its request_id answers what the first call answered (the
    // claim, the change and the reply are one transaction), not "already EN_ROUTE".
    let set_off = pb::UpdateVisitStatusRequest {
        request_id: new_request_id(),
        ..move_to(&visit.id, pb::VisitStatus::EnRoute, "")
    };
    let first = move_visit(&app, &v.crew, set_off.clone()).await.expect("sets off");
    assert_eq!(move_visit(&app, &v.crew, set_off).await.expect("replays"), first);
    move_visit(&app, &v.crew, move_to(&visit.id, pb::VisitStatus::Arrived, "")).await.expect("arrives");

    // Until it is COMPLETED there is nothing to rate: its resident learns the visit's state.
    let early = ratings::SubmitRatingRequest {
        home_visit_id: visit.id.clone(),
        scores: Some(ratings::Scores { overall: 5, fairness: 5, professionalism: 5, timeliness: 5 }),
        ..Default::default()
    };
    let refused = app.ratings().await.submit_rating(authed(early, &v.resident)).await;
    let status = assert_status(refused, Code::FailedPrecondition, "VISIT_ARRIVED");
    let info = tonic_types::StatusExt::get_error_details(&status).error_info().cloned().unwrap();
    assert_eq!(info.metadata.get("current_state").map(String::as_str), Some("ARRIVED"));

    // Completing takes the outcome, as completing a session does.
    let bare = move_visit(&app, &v.crew, move_to(&visit.id, pb::VisitStatus::Completed, "")).await;
    assert_eq!(violated_fields(&assert_status(bare, Code::InvalidArgument, "VALIDATION")), ["outcome"]);
    let referred_nowhere = pb::UpdateVisitStatusRequest {
        outcome: Some(appointments::Outcome {
            result: appointments::OutcomeResult::Referred.into(),
            ..Default::default()
        }),
        ..move_to(&visit.id, pb::VisitStatus::Completed, "")
    };
    let refused = move_visit(&app, &v.crew, referred_nowhere).await;
    assert_eq!(violated_fields(&assert_status(refused, Code::InvalidArgument, "VALIDATION")), ["outcome.referred_to"]);
    let early =
        pb::UpdateVisitStatusRequest { outcome: Some(settled()), ..move_to(&visit.id, pb::VisitStatus::Failed, "") };
    let refused = move_visit(&app, &v.crew, early).await;
    assert_eq!(violated_fields(&assert_status(refused, Code::InvalidArgument, "VALIDATION")), ["outcome"]);
    let done = pb::UpdateVisitStatusRequest {
        outcome: Some(settled()),
        ..move_to(&visit.id, pb::VisitStatus::Completed, "双方达成协议")
    };
    let done = move_visit(&app, &v.crew, done).await.expect("completes");
    assert_eq!(done.status(), pb::VisitStatus::Completed);
    assert_eq!(done.outcome.as_ref().map(|o| o.result()), Some(appointments::OutcomeResult::Settled));
    assert!(!done.appointment_id.is_empty());

    // The visit is a session of the case: HOME_VISIT, the crew as its mediators, and the case,
    // with nothing else live, is closed.
    let session = appointments::GetAppointmentRequest { id: done.appointment_id.clone() };
    let session = app.appointments().await.get_appointment(authed(session, &v.resident)).await.unwrap().into_inner();
    assert_eq!(session.mode(), directory::MediationMode::HomeVisit);
    assert_eq!(session.status(), appointments::AppointmentStatus::Completed);
    assert_eq!(session.mediator_ids, [v.crew_id.clone()]);
    let case = appointments::GetCaseRequest { id: v.case_id.clone() };
    let case = app.appointments().await.get_case(authed(case, &v.resident)).await.unwrap().into_inner();
    assert_eq!(case.status(), appointments::CaseStatus::Closed);

    // Its resident rates it once, by the visit.
    let scores = ratings::Scores { overall: 5, fairness: 5, professionalism: 4, timeliness: 5 };
    let rate = ratings::SubmitRatingRequest {
        home_visit_id: visit.id.clone(),
        scores: Some(scores),
        comment: "上门很及时".into(),
        ..Default::default()
    };
    let rating =
        app.ratings().await.submit_rating(authed(rate.clone(), &v.resident)).await.expect("rates").into_inner();
    assert_eq!(
        (rating.appointment_id.as_str(), rating.mediator_id.as_str()),
        (done.appointment_id.as_str(), v.crew_id.as_str())
    );
    assert_status(
        app.ratings().await.submit_rating(authed(rate.clone(), &v.resident)).await,
        Code::AlreadyExists,
        "ALREADY_EXISTS",
    );
    let both = ratings::SubmitRatingRequest { appointment_id: done.appointment_id.clone(), ..rate.clone() };
    let both = app.ratings().await.submit_rating(authed(both, &v.resident)).await;
    assert_eq!(violated_fields(&assert_status(both, Code::InvalidArgument, "VALIDATION")), ["appointment_id"]);
    let stranger = app.resident("13800000702").await.access_token;
    assert_status(
        app.ratings().await.submit_rating(authed(rate, &stranger)).await,
        Code::PermissionDenied,
        "FORBIDDEN",
    );

    // The crew's assessment counts it as a session held and settled, with its driving shown.
    let local = Utc::now().with_timezone(&shanghai());
    let period = ratings::Period { year: local.year(), month: local.month() as i32, quarter: 0 };
    let request = ratings::GetAssessmentRequest { mediator_id: v.crew_id.clone(), period: Some(period) };
    let assessment = app.ratings().await.get_assessment(authed(request, &v.crew)).await.expect("assesses").into_inner();
    let inputs = assessment.inputs.expect("inputs");
    assert_eq!((inputs.sessions_held, inputs.settled, inputs.home_visits_held, inputs.ratings_count), (1, 1, 1, 1));
    assert!(inputs.home_visit_travel.is_some_and(|d| d.seconds > 0), "{inputs:?}");

    // The station's figures count it beside its sessions.
    let figures = appointments::GetStatisticsRequest {
        site_id: v.station.clone(),
        from: Some(ts(Utc::now() - chrono::Duration::hours(2))),
        to: Some(ts(Utc::now() + chrono::Duration::hours(2))),
        ..Default::default()
    };
    let stats = app.appointments().await.get_statistics(authed(figures, &v.dispatcher)).await.unwrap().into_inner();
    assert_eq!((stats.sessions_completed, stats.settled), (1, 1));
    assert_eq!((stats.home_visit_sessions, stats.home_visits_settled), (1, 1));
    assert_eq!((stats.booked_sessions, stats.on_the_spot_sessions), (0, 0));
}

async fn an_offered_window_is_served_inside_by_the_next_plan(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let v = visiting(&app, "13800000711").await;
    // The van already has a committed morning visit.
    planned_visit(&app, &v).await;

    // A neighbour 2 km away asks when a 60-minute visit can be had.
    let phone = "13800000712";
    let neighbour = app.resident(phone).await.access_token;
    let case = create_case(&app, &neighbour, home_visit_case(&v.station, phone)).await;
    let at = LatLng { latitude: ZHONGHE.0 - 0.018, longitude: ZHONGHE.1 + 0.004 };
    let ask = pb::SuggestVisitWindowsRequest {
        case_id: case.id.clone(),
        date_from: Some(date(v.day)),
        date_to: Some(date(v.day)),
        duration: Some(prost_types::Duration { seconds: 3600, nanos: 0 }),
        location: Some(at),
        max_windows: 5,
        ..Default::default()
    };
    let windows =
        app.dispatch().await.suggest_visit_windows(authed(ask.clone(), &neighbour)).await.unwrap().into_inner();
    let windows = windows.windows;
    assert!(!windows.is_empty() && windows.len() <= 5, "{windows:?}");
    for pair in windows.windows(2) {
        let key = |w: &pb::VisitWindow| (w.added_travel.unwrap().seconds, instant(&w.start));
        assert!(key(&pair[0]) <= key(&pair[1]), "best first: {windows:?}");
    }
    for w in &windows {
        assert_eq!(w.van_id, v.van);
        assert!(instant(&w.end) - instant(&w.start) >= chrono::Duration::minutes(60));
        assert!(instant(&w.start) >= local(v.day, 8) && instant(&w.end) <= local(v.day, 18), "{w:?}");
    }

    // Asking for the best one, the next plan serves it inside the window.
    let best = windows[0].clone();
    let request = pb::RequestHomeVisitRequest {
        location: Some(at),
        window_start: best.start,
        window_end: best.end,
        duration: Some(prost_types::Duration { seconds: 3600, nanos: 0 }),
        ..home_visit(&case.id, v.day, 9, 12)
    };
    let visit = app.dispatch().await.request_home_visit(authed(request, &neighbour)).await.unwrap().into_inner();
    let plan = plan_and_commit(&app, &v).await;
    assert!(plan.unassigned.is_empty(), "the offered window fits: {plan:?}");
    let planned = get_visit(&app, &neighbour, &visit.id).await;
    assert_eq!(planned.status(), pb::VisitStatus::Planned);
    let eta = instant(&planned.eta);
    assert!(
        eta >= instant(&best.start) && eta + chrono::Duration::minutes(60) <= instant(&best.end),
        "arrival {eta} inside {best:?}"
    );

    // Bad questions name their fields; a kiosk or a stranger learns nothing of the case.
    let backwards = pb::SuggestVisitWindowsRequest { date_to: Some(date(v.day.pred_opt().unwrap())), ..ask.clone() };
    let refused = app.dispatch().await.suggest_visit_windows(authed(backwards, &neighbour)).await;
    assert_eq!(violated_fields(&assert_status(refused, Code::InvalidArgument, "VALIDATION")), ["date_to"]);
    let stranger = app.resident("13800000713").await.access_token;
    let refused = app.dispatch().await.suggest_visit_windows(authed(ask, &stranger)).await;
    assert_status(refused, Code::NotFound, "NOT_FOUND");
}

async fn the_resident_hears_of_the_plan_the_crew_setting_off_and_a_failure(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let v = visiting(&app, "13800000721").await;
    let visit = planned_visit(&app, &v).await;
    let planned = wait_for(
        &app,
        |n| n.iter().any(|n| n["to"] == v.phone.as_str() && n["kind"] == "VISIT_PLANNED"),
        Duration::from_secs(10),
    )
    .await;
    let planned = planned.iter().find(|n| n["kind"] == "VISIT_PLANNED").unwrap()["text"].as_str().unwrap().to_owned();
    // The window told is the planned arrival give or take half an hour, in local time.
    let eta = instant(&visit.eta).with_timezone(&shanghai());
    assert!(planned.contains(&eta.format("%m月%d日").to_string()), "{planned}");

    move_visit(&app, &v.crew, move_to(&visit.id, pb::VisitStatus::EnRoute, "")).await.expect("sets off");
    let token = tracking_token(&app, &v.phone).await;
    assert_eq!(token.len(), 43, "256 random bits: {token}");
    move_visit(&app, &v.crew, move_to(&visit.id, pb::VisitStatus::Failed, "家中无人，电话未接")).await.expect("fails");
    let sent = wait_for(
        &app,
        |n| n.iter().any(|n| n["to"] == v.phone.as_str() && n["kind"] == "VISIT_FAILED"),
        Duration::from_secs(10),
    )
    .await;
    let failed = sent.iter().find(|n| n["kind"] == "VISIT_FAILED").unwrap()["text"].as_str().unwrap();
    assert!(failed.contains("家中无人，电话未接") && failed.contains("重新预约"), "{failed}");

    let visit_notices: Vec<_> =
        sent.iter().filter(|n| n["kind"].as_str().is_some_and(|k| k.starts_with("VISIT_"))).collect();
    assert_eq!(visit_notices.len(), 3, "{visit_notices:#?}");
    for notice in visit_notices {
        assert_eq!(notice["to"], v.phone.as_str());
        let text = notice["text"].as_str().unwrap();
        assert!(text.starts_with("【鄞州调解】") && !text.contains("某小区") && !text.contains(ADDRESS), "{text}");
    }
}

async fn the_tracking_link_works_without_an_account_until_the_visit_ends(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let v = visiting(&app, "13800000731").await;
    let visit = planned_visit(&app, &v).await;
    move_visit(&app, &v.crew, move_to(&visit.id, pb::VisitStatus::EnRoute, "")).await.expect("sets off");
    let token = tracking_token(&app, &v.phone).await;

    // The van a few hundred metres off: the link shows its position rounded to a kilometre.
    let near = LatLng { latitude: 29.84723, longitude: 121.55871 };
    let report = pb::ReportPositionRequest { van_id: v.van.clone(), location: Some(near) };
    app.dispatch().await.report_position(authed(report, &v.crew)).await.expect("reports");
    let seen = track(&app, &token).await.expect("no account needed");
    assert_eq!((seen.visit_id.as_str(), seen.status()), (visit.id.as_str(), pb::VisitStatus::EnRoute));
    assert!(seen.eta.is_some());
    assert_eq!(seen.van_location, Some(LatLng { latitude: 29.85, longitude: 121.56 }));

    // At the door, the exact position.
    move_visit(&app, &v.crew, move_to(&visit.id, pb::VisitStatus::Arrived, "")).await.expect("arrives");
    let seen = track(&app, &token).await.unwrap();
    assert_eq!((seen.status(), seen.van_location), (pb::VisitStatus::Arrived, Some(near)));

    // A wrong token names nothing; an empty one is refused by name.
    let last = if token.ends_with('A') { 'B' } else { 'A' };
    let wrong = format!("{}{last}", &token[..42]);
    assert_status(track(&app, &wrong).await, Code::NotFound, "NOT_FOUND");
    assert_eq!(violated_fields(&assert_status(track(&app, "").await, Code::InvalidArgument, "VALIDATION")), ["token"]);

    // Once the visit ends the link is refused.
    let done =
        pb::UpdateVisitStatusRequest { outcome: Some(settled()), ..move_to(&visit.id, pb::VisitStatus::Completed, "") };
    move_visit(&app, &v.crew, done).await.expect("completes");
    assert_status(track(&app, &token).await, Code::FailedPrecondition, "TRACKING_LINK_EXPIRED");
}
