//! DispatchService end to end: a day of home visits planned over two vans (every stop inside its
//! window, no overlap on a route, committed as PLANNED with a van and an ETA), a stale plan
//! refused, the resident's live watch, privacy of addresses and streams, and an out-of-service
//! van left without a route. Planner time limits stay at a second to keep the suite fast.

use std::time::Duration;

use chrono::NaiveDate;
use mediation_api::appointments::v1 as appointments;
use mediation_api::directory::v1 as directory;
use mediation_api::dispatch::v1 as pb;
use mediation_api::google::r#type::LatLng;
use mediation_api::identity::v1 as identity;
use tonic::Code;

use crate::common::*;

both_backends!(
    ten_visits_on_two_vans_are_all_served_inside_their_windows_and_commit_as_planned,
    a_request_after_a_proposal_makes_its_commit_stale,
    the_resident_watches_the_crew_set_off_and_nobody_else_may,
    a_crew_sees_addresses_only_of_its_own_vans_visits,
    an_out_of_service_van_gets_no_route,
    replanning_keeps_visits_under_way_first_and_planned_ones_on_their_van,
    a_mediator_cannot_crew_two_vans_at_once,
    a_van_going_out_of_service_proposes_a_new_plan_on_the_board,
);

/// A station mediator doing home visits; returns (mediator id, access token).
async fn crew_mediator(app: &TestApp, admin: &str, station: &str, name: &str) -> (String, String) {
    let modes = [directory::MediationMode::InPerson, directory::MediationMode::HomeVisit];
    let profile = directory::Mediator {
        bio: format!("{name}，常上门调解。"),
        ..mediator_profile(name, directory::MediatorKind::StationMediator, station, &modes)
    };
    let Staffed { id, login } = mediator_with_account(app, admin, profile).await;
    (id, app.login(&login, PASSWORD).await.access_token)
}

/// A station with a van depot, its dispatcher, and two vans each with a crew of one on a
/// 08:00-18:00 shift on the visit day.
struct Day {
    dispatcher: String,
    station: String,
    day: NaiveDate,
    vans: [String; 2],
    /// Each van's crew mediator's access token.
    crews: [String; 2],
    /// Each van's crew mediator.
    crew_ids: [String; 2],
}

async fn day(app: &TestApp) -> Day {
    let admin = app.centre_admin().await.access_token;
    let (_, station) = app.located_station(&admin).await;
    let dispatcher = staff(app, &admin, identity::Role::Dispatcher, &station).await;
    // Three days from today in Asia/Shanghai: far enough that every window is in the future.
    let day = days_ahead(3);
    let mut vans = Vec::new();
    let mut crews = Vec::new();
    let mut crew_ids = Vec::new();
    for (i, name) in ["陈海芬", "周立军"].into_iter().enumerate() {
        let van = register_van(app, &dispatcher, &format!("浙B·M{i}001"), &station).await;
        let (mediator, token) = crew_mediator(app, &admin, &station, name).await;
        let shift = day_shift(&van, day, vec![mediator.clone()]);
        app.dispatch().await.set_van_shift(authed(shift, &dispatcher)).await.expect("sets the shift");
        vans.push(van);
        crews.push(token);
        crew_ids.push(mediator);
    }
    Day {
        dispatcher,
        station,
        day,
        vans: [vans[0].clone(), vans[1].clone()],
        crews: [crews[0].clone(), crews[1].clone()],
        crew_ids: [crew_ids[0].clone(), crew_ids[1].clone()],
    }
}

/// A resident with their own case at the station; returns (access token, case id).
async fn resident_case(app: &TestApp, d: &Day, phone: &str) -> (String, String) {
    let token = app.resident(phone).await.access_token;
    let request = appointments::CreateCaseRequest {
        category: "family_marriage".into(),
        summary: "家庭纠纷，不便到所。".into(),
        ..home_visit_case(&d.station, phone)
    };
    let case = create_case(app, &token, request).await;
    (token, case.id)
}

/// Visit `i`: a flat 1-3 km from the station, a 45-minute visit in a morning (09:00-12:00) or
/// afternoon (13:30-17:00) window.
fn visit_request(d: &Day, case_id: &str, i: usize) -> pb::RequestHomeVisitRequest {
    let angle = i as f64 * 2.3;
    let km = 1.0 + (i % 3) as f64;
    let (start, end) = if i.is_multiple_of(2) { ((9, 0), (12, 0)) } else { ((13, 30), (17, 0)) };
    pb::RequestHomeVisitRequest {
        request_id: new_request_id(),
        case_id: case_id.into(),
        address: format!("宁波市鄞州区中河街道某小区{}幢{}室", i + 1, 101 + i),
        location: Some(LatLng {
            latitude: ZHONGHE.0 + km / 111.0 * angle.sin(),
            longitude: ZHONGHE.1 + km / 96.0 * angle.cos(),
        }),
        window_start: Some(ts(local_time(d.day, start.0, start.1))),
        window_end: Some(ts(local_time(d.day, end.0, end.1))),
        duration: Some(prost_types::Duration { seconds: 45 * 60, nanos: 0 }),
        reason: pb::VisitReason::Privacy.into(),
        ..Default::default()
    }
}

async fn request_visits(app: &TestApp, d: &Day, token: &str, case_id: &str, n: usize) -> Vec<pb::HomeVisit> {
    let mut out = Vec::new();
    for i in 0..n {
        let request = visit_request(d, case_id, i);
        out.push(app.dispatch().await.request_home_visit(authed(request, token)).await.expect("requests").into_inner());
    }
    out
}

async fn propose(app: &TestApp, d: &Day) -> pb::Plan {
    let request = pb::ProposePlanRequest {
        date: Some(date(d.day)),
        station_id: d.station.clone(),
        time_limit: Some(prost_types::Duration { seconds: 1, nanos: 0 }),
        ..Default::default()
    };
    app.dispatch().await.propose_plan(authed(request, &d.dispatcher)).await.expect("proposes").into_inner()
}

async fn commit(app: &TestApp, d: &Day, plan: &pb::Plan) -> Result<pb::Plan, tonic::Status> {
    let request = pb::CommitPlanRequest { plan_id: plan.id.clone() };
    app.dispatch().await.commit_plan(authed(request, &d.dispatcher)).await.map(|r| r.into_inner())
}

async fn get(app: &TestApp, token: &str, id: &str) -> Result<pb::HomeVisit, tonic::Status> {
    app.dispatch()
        .await
        .get_home_visit(authed(pb::GetHomeVisitRequest { id: id.into() }, token))
        .await
        .map(|r| r.into_inner())
}

/// Every stop starts inside its visit's window and ends by the window's end; on each route the
/// van leaves within its shift, drives before it arrives, and never overlaps two stops.
fn assert_feasible(plan: &pb::Plan, visits: &[pb::HomeVisit], d: &Day) {
    for route in &plan.routes {
        let mut previous = instant(&route.depart_depot);
        assert!(previous >= local(d.day, 8), "leaves within the shift");
        for stop in &route.stops {
            let visit = visits.iter().find(|v| v.id == stop.visit_id).expect("a stop is a requested visit");
            let (arrival, start, departure) = (instant(&stop.arrival), instant(&stop.start), instant(&stop.departure));
            assert!(arrival > previous, "driving takes time: {stop:?}");
            assert!(start >= arrival && start >= instant(&visit.window_start), "starts in the window: {stop:?}");
            assert_eq!(departure - start, chrono::Duration::minutes(45), "the visit lasts its duration");
            assert!(departure <= instant(&visit.window_end), "ends in the window: {stop:?}");
            previous = departure;
        }
        assert!(instant(&route.return_depot) > previous && instant(&route.return_depot) <= local(d.day, 18));
    }
}

async fn ten_visits_on_two_vans_are_all_served_inside_their_windows_and_commit_as_planned(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = day(&app).await;
    let (resident, case_id) = resident_case(&app, &d, "13800000601").await;
    let visits = request_visits(&app, &d, &resident, &case_id, 10).await;
    assert!(
        visits.iter().all(|v| v.status() == pb::VisitStatus::Requested && !v.address_masked && v.position.is_none())
    );
    // Visits and plans carry the station's zone, for showing local times.
    assert!(visits.iter().all(|v| v.time_zone == "Asia/Shanghai"));

    let plan = propose(&app, &d).await;
    assert_eq!(plan.time_zone, "Asia/Shanghai");
    assert!(plan.unassigned.is_empty(), "{:?}", plan.unassigned);
    assert_eq!(plan.routes.iter().map(|r| r.stops.len()).sum::<usize>(), 10);
    assert!(plan.routes.len() <= 2 && plan.routes.iter().all(|r| d.vans.contains(&r.van_id)));
    assert!(plan.total_distance_m > 0.0 && plan.svg.starts_with("<svg"));
    assert_feasible(&plan, &visits, &d);

    let committed = commit(&app, &d, &plan).await.expect("commits");
    assert!(committed.committed && committed.time_zone == "Asia/Shanghai");
    for route in &plan.routes {
        for (position, stop) in route.stops.iter().enumerate() {
            let visit = get(&app, &resident, &stop.visit_id).await.unwrap();
            assert_eq!(visit.status(), pb::VisitStatus::Planned);
            assert_eq!(visit.van_id, route.van_id);
            assert_eq!(visit.position, Some(position as i32));
            assert_eq!(instant(&visit.eta), instant(&stop.start));
            assert_eq!(visit.time_zone, "Asia/Shanghai");
        }
    }
    // A plan is applied once.
    let again = commit(&app, &d, &plan).await;
    assert_status(again, Code::FailedPrecondition, "PLAN_COMMITTED");
}

async fn a_request_after_a_proposal_makes_its_commit_stale(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = day(&app).await;
    let (resident, case_id) = resident_case(&app, &d, "13800000602").await;
    request_visits(&app, &d, &resident, &case_id, 3).await;
    let plan = propose(&app, &d).await;

    let late = visit_request(&d, &case_id, 7);
    app.dispatch().await.request_home_visit(authed(late, &resident)).await.expect("requests");
    assert_status(commit(&app, &d, &plan).await, Code::FailedPrecondition, "PLAN_STALE");

    // A van's status changing makes a fresh plan stale too; the one after that commits.
    let fresh = propose(&app, &d).await;
    assert_eq!(fresh.routes.iter().map(|r| r.stops.len()).sum::<usize>(), 4);
    let status = pb::SetVanStatusRequest { van_id: d.vans[1].clone(), status: pb::VanStatus::Available.into() };
    app.dispatch().await.set_van_status(authed(status, &d.dispatcher)).await.unwrap();
    assert_status(commit(&app, &d, &fresh).await, Code::FailedPrecondition, "PLAN_STALE");
    let last = propose(&app, &d).await;
    commit(&app, &d, &last).await.expect("a plan of the current version commits");
}

async fn the_resident_watches_the_crew_set_off_and_nobody_else_may(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = day(&app).await;
    let (resident, case_id) = resident_case(&app, &d, "13800000603").await;
    let visit = request_visits(&app, &d, &resident, &case_id, 1).await.remove(0);
    let plan = propose(&app, &d).await;
    commit(&app, &d, &plan).await.unwrap();
    let planned = get(&app, &resident, &visit.id).await.unwrap();
    let crew = if planned.van_id == d.vans[0] { &d.crews[0] } else { &d.crews[1] };

    let other = app.resident("13800000604").await.access_token;
    let refused =
        app.dispatch().await.watch_visit(authed(pb::WatchVisitRequest { visit_id: visit.id.clone() }, &other)).await;
    assert_status(refused, Code::NotFound, "NOT_FOUND");
    let staff = app
        .dispatch()
        .await
        .watch_visit(authed(pb::WatchVisitRequest { visit_id: visit.id.clone() }, &d.dispatcher))
        .await;
    assert_status(staff, Code::PermissionDenied, "FORBIDDEN");

    let mut stream = app
        .dispatch()
        .await
        .watch_visit(authed(pb::WatchVisitRequest { visit_id: visit.id.clone() }, &resident))
        .await
        .expect("the resident watches")
        .into_inner();
    let first = stream.message().await.unwrap().expect("the current state first");
    assert_eq!(first.status(), pb::VisitStatus::Planned);

    let update = pb::UpdateVisitStatusRequest {
        visit_id: visit.id.clone(),
        status: pb::VisitStatus::EnRoute.into(),
        note: "出发了".into(),
        ..Default::default()
    };
    app.dispatch().await.update_visit_status(authed(update, crew)).await.expect("the crew sets off");
    let report = pb::ReportPositionRequest {
        van_id: planned.van_id.clone(),
        location: Some(LatLng { latitude: ZHONGHE.0 + 0.003, longitude: ZHONGHE.1 + 0.002 }),
    };
    app.dispatch().await.report_position(authed(report, crew)).await.expect("the crew reports");

    let deadline = Duration::from_secs(10);
    let en_route = tokio::time::timeout(deadline, stream.message()).await.expect("an update in time").unwrap().unwrap();
    assert_eq!(en_route.status(), pb::VisitStatus::EnRoute);
    let moved = tokio::time::timeout(deadline, stream.message()).await.expect("a position in time").unwrap().unwrap();
    let van = moved.van_location.expect("the van's position");
    let hundredths = van.latitude * 100.0;
    assert!((hundredths - hundredths.round()).abs() < 1e-6, "rounded until the van arrives: {van:?}");
    assert!(moved.eta.is_some());
    drop(stream);

    // The crew cannot skip ahead.
    let back = pb::UpdateVisitStatusRequest {
        visit_id: visit.id.clone(),
        status: pb::VisitStatus::Completed.into(),
        note: String::new(),
        outcome: Some(appointments::Outcome {
            result: appointments::OutcomeResult::Settled.into(),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_status(
        app.dispatch().await.update_visit_status(authed(back, crew)).await,
        Code::FailedPrecondition,
        "VISIT_EN_ROUTE",
    );
}

async fn a_crew_sees_addresses_only_of_its_own_vans_visits(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = day(&app).await;
    let (resident, case_id) = resident_case(&app, &d, "13800000605").await;
    let visit = request_visits(&app, &d, &resident, &case_id, 1).await.remove(0);
    let assign = pb::AssignVisitRequest { visit_id: visit.id.clone(), van_id: d.vans[0].clone(), position: 0 };
    let assigned =
        app.dispatch().await.assign_visit(authed(assign, &d.dispatcher)).await.expect("assigns").into_inner();
    assert_eq!((assigned.status(), assigned.van_id.as_str()), (pb::VisitStatus::Planned, d.vans[0].as_str()));
    assert!(assigned.eta.is_some());
    // The resident is told, as a committed plan tells them.
    let phone = "+8613800000605";
    let told = |n: &[serde_json::Value]| n.iter().any(|n| n["to"] == phone && n["kind"] == "VISIT_PLANNED");
    wait_for(&app, told, Duration::from_secs(10)).await;

    let own = get(&app, &d.crews[0], &visit.id).await.unwrap();
    assert!(!own.address_masked);
    assert_eq!(own.address, visit.address);

    let other = get(&app, &d.crews[1], &visit.id).await.unwrap();
    assert!(other.address_masked);
    assert_ne!(other.address, visit.address);
    assert!(other.address.ends_with("****") && !other.address.contains("幢"), "{}", other.address);

    let listed = app
        .dispatch()
        .await
        .list_home_visits(authed(
            pb::ListHomeVisitsRequest {
                filter: Some(pb::HomeVisitFilter { date: Some(date(d.day)), ..Default::default() }),
                ..Default::default()
            },
            &d.crews[1],
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.home_visits.is_empty(), "a crew lists only its own van's visits");

    let mine = app
        .dispatch()
        .await
        .list_home_visits(authed(pb::ListHomeVisitsRequest::default(), &resident))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(mine.home_visits.len(), 1);
    assert!(!mine.home_visits[0].address_masked);
}

async fn an_out_of_service_van_gets_no_route(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = day(&app).await;
    let (resident, case_id) = resident_case(&app, &d, "13800000606").await;
    let visits = request_visits(&app, &d, &resident, &case_id, 6).await;
    let broken = pb::SetVanStatusRequest { van_id: d.vans[1].clone(), status: pb::VanStatus::OutOfService.into() };
    let van = app.dispatch().await.set_van_status(authed(broken, &d.dispatcher)).await.unwrap().into_inner();
    assert_eq!(van.status(), pb::VanStatus::OutOfService);

    let plan = propose(&app, &d).await;
    assert!(plan.routes.iter().all(|r| r.van_id != d.vans[1]), "{:?}", plan.routes);
    let routed: usize = plan.routes.iter().map(|r| r.stops.len()).sum();
    assert_eq!(routed + plan.unassigned.len(), 6);
    assert_feasible(&plan, &visits, &d);
    commit(&app, &d, &plan).await.expect("commits");

    // Out of service, the van cannot be given a visit by hand either.
    let assign = pb::AssignVisitRequest { visit_id: visits[0].id.clone(), van_id: d.vans[1].clone(), position: 0 };
    assert_status(
        app.dispatch().await.assign_visit(authed(assign, &d.dispatcher)).await,
        Code::FailedPrecondition,
        "VAN_OUT_OF_SERVICE",
    );
}

async fn a_van_going_out_of_service_proposes_a_new_plan_on_the_board(backend: Backend) {
    use tokio_stream::StreamExt;
    let app = TestApp::spawn(backend).await;
    let d = day(&app).await;
    let (resident, case_id) = resident_case(&app, &d, "13800000608").await;
    request_visits(&app, &d, &resident, &case_id, 4).await;
    let first = propose(&app, &d).await;
    commit(&app, &d, &first).await.unwrap();

    let watch = pb::WatchBoardRequest { date: Some(date(d.day)), station_id: d.station.clone() };
    let mut board = app.dispatch().await.watch_board(authed(watch, &d.dispatcher)).await.unwrap().into_inner();
    let broken = pb::SetVanStatusRequest { van_id: d.vans[1].clone(), status: pb::VanStatus::OutOfService.into() };
    app.dispatch().await.set_van_status(authed(broken, &d.dispatcher)).await.unwrap();

    // The service proposes on its own and the board says so. Plans the visit requests set off
    // may still arrive first; the one made after the change leaves the broken van out and routes
    // or explains every visit.
    let client = app.dispatch().await;
    let found = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(event) = board.next().await {
            let Some(pb::board_event::Event::PlanProposed(plan_id)) = event.unwrap().event else { continue };
            let plan = client
                .clone()
                .get_plan(authed(pb::GetPlanRequest { plan_id }, &d.dispatcher))
                .await
                .unwrap()
                .into_inner();
            let routed: usize = plan.routes.iter().map(|r| r.stops.len()).sum();
            // Committing advanced the date's version once and the status change once more.
            if plan.version >= first.version + 2 {
                assert!(plan.routes.iter().all(|r| r.van_id != d.vans[1]), "{:?}", plan.routes);
                assert_eq!(routed + plan.unassigned.len(), 4);
                return plan;
            }
        }
        panic!("the board closed before a plan was proposed")
    })
    .await
    .expect("a plan without the broken van is proposed after it went out of service");
    assert!(!found.routes.is_empty());
}

async fn replanning_keeps_visits_under_way_first_and_planned_ones_on_their_van(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = day(&app).await;
    let (resident, case_id) = resident_case(&app, &d, "13800000607").await;
    let visits = request_visits(&app, &d, &resident, &case_id, 6).await;
    let first = propose(&app, &d).await;
    commit(&app, &d, &first).await.unwrap();
    let van_of = |plan: &pb::Plan, visit: &str| {
        plan.routes.iter().find(|r| r.stops.iter().any(|s| s.visit_id == visit)).map(|r| r.van_id.clone())
    };

    // The crew of the first route sets off to its first stop; a resident cancels another visit.
    let route = &first.routes[0];
    let under_way = route.stops[0].visit_id.clone();
    let crew = if route.van_id == d.vans[0] { &d.crews[0] } else { &d.crews[1] };
    let update = pb::UpdateVisitStatusRequest {
        visit_id: under_way.clone(),
        status: pb::VisitStatus::EnRoute.into(),
        note: String::new(),
        ..Default::default()
    };
    app.dispatch().await.update_visit_status(authed(update, crew)).await.expect("sets off");
    let cancelled = visits.iter().find(|v| v.id != under_way).unwrap().id.clone();
    let cancel = pb::CancelHomeVisitRequest { visit_id: cancelled.clone(), reason: "家里有事".into() };
    app.dispatch().await.cancel_home_visit(authed(cancel, &resident)).await.expect("cancels");

    let again = propose(&app, &d).await;
    assert_feasible(&again, &visits, &d);
    assert_eq!(van_of(&again, &cancelled), None, "a cancelled visit is not planned");
    assert!(again.unassigned.iter().all(|u| u.visit_id != cancelled));
    let kept = again.routes.iter().find(|r| r.van_id == route.van_id).expect("the van still has a route");
    assert_eq!(kept.stops[0].visit_id, under_way, "the visit under way leads its van's route");
    for visit in visits.iter().filter(|v| v.id != cancelled) {
        assert_eq!(van_of(&again, &visit.id), van_of(&first, &visit.id), "{} stays on its van", visit.id);
    }
    commit(&app, &d, &again).await.expect("commits");
    let still = get(&app, &resident, &under_way).await.unwrap();
    assert_eq!(still.status(), pb::VisitStatus::EnRoute, "committing does not undo the crew's status");
}

async fn a_mediator_cannot_crew_two_vans_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = day(&app).await;
    let overlapping = pb::SetVanShiftRequest {
        van_id: d.vans[1].clone(),
        date: Some(date(d.day)),
        start: Some(ts(local(d.day, 12))),
        end: Some(ts(local(d.day, 20))),
        crew_mediator_ids: vec![d.crew_ids[0].clone()],
    };
    assert_status(
        app.dispatch().await.set_van_shift(authed(overlapping, &d.dispatcher)).await,
        Code::Aborted,
        "SLOT_TAKEN",
    );
    // After the first van's shift, the same mediator is free.
    let next_day = d.day.succ_opt().unwrap();
    let later = pb::SetVanShiftRequest {
        van_id: d.vans[1].clone(),
        date: Some(date(next_day)),
        start: Some(ts(local(next_day, 8))),
        end: Some(ts(local(next_day, 12))),
        crew_mediator_ids: vec![d.crew_ids[0].clone(), d.crew_ids[1].clone()],
    };
    let shift = app.dispatch().await.set_van_shift(authed(later, &d.dispatcher)).await.expect("sets").into_inner();
    assert_eq!(shift.crew_mediator_ids.len(), 2);
}
