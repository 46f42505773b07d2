//! The audit log through the API: staff reads of personal data, grade overrides, rating
//! moderation, account changes and plan commits and overrides are recorded with who, what, when
//! and from where; residents reading their own data are not; `ListAuditEvents` is for centre
//! admins, pages and filters; and the chain the flows wrote verifies.

use std::collections::HashSet;

use chrono::Utc;
use mediation_api::appointments::v1 as appointments;
use mediation_api::audit::v1 as audit;
use mediation_api::audit::v1::audit_service_client::AuditServiceClient;
use mediation_api::dispatch::v1 as dispatch;
use mediation_api::ratings::v1 as ratings;
use mediation_api::status::reason;
use tonic::Code;
use tonic::transport::Channel;

use crate::common::*;
use crate::matrix::{Who, World, world};

both_backends!(staff_actions_are_audited_and_listed_for_centre_admins);

/// Every event matching `request`, following the page tokens.
async fn all_events(
    client: &mut AuditServiceClient<Channel>,
    admin: &str,
    request: audit::ListAuditEventsRequest,
) -> Vec<audit::AuditEvent> {
    let mut events = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = audit::ListAuditEventsRequest { page_token: page_token.clone(), ..request.clone() };
        let reply = client.list_audit_events(authed(page, admin)).await.expect("lists").into_inner();
        events.extend(reply.events);
        if reply.next_page_token.is_empty() {
            return events;
        }
        page_token = reply.next_page_token;
    }
}

/// Commits a plan for station 1's day after giving its van a shift, then moves the spare visit
/// by hand; returns the plan's id.
async fn plan_and_override(app: &TestApp, w: &World, dispatcher: &str) -> String {
    let mut client = app.dispatch().await;
    let shift = day_shift(&w.van, w.day, vec![w.mediators[0].clone()]);
    client.set_van_shift(authed(shift, dispatcher)).await.expect("sets the shift");
    // A change made meanwhile (a background re-plan never changes the date) would make the
    // plan stale; propose again then.
    let mut committed = None;
    for _ in 0..3 {
        let propose = dispatch::ProposePlanRequest {
            date: Some(date(w.day)),
            station_id: w.stations[0].clone(),
            time_limit: Some(prost_types::Duration { seconds: 0, nanos: 300_000_000 }),
            ..Default::default()
        };
        let plan = client.propose_plan(authed(propose, dispatcher)).await.expect("proposes").into_inner();
        let commit = dispatch::CommitPlanRequest { plan_id: plan.id.clone() };
        match client.commit_plan(authed(commit, dispatcher)).await {
            Ok(_) => {
                committed = Some(plan.id);
                break;
            }
            Err(status) if status.code() == Code::FailedPrecondition => continue,
            Err(status) => panic!("commit failed: {status:?}"),
        }
    }
    let assign = dispatch::AssignVisitRequest { visit_id: w.spare_visit.clone(), van_id: w.van.clone(), position: 0 };
    client.assign_visit(authed(assign, dispatcher)).await.expect("assigns the visit");
    committed.expect("a plan is committed within three tries")
}

async fn staff_actions_are_audited_and_listed_for_centre_admins(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.appointments.min_notice_minutes = 0).await;
    let started = Utc::now();
    let w = world(&app).await;
    let token = |who| w.token(who).unwrap().to_owned();
    let (admin, station_admin, dispatcher, resident) =
        (token(Who::CentreAdmin), token(Who::StationAdmin), token(Who::Dispatcher), token(Who::Resident));
    let station_admin_id = account_id(&app, &station_admin).await;
    let dispatcher_id = account_id(&app, &dispatcher).await;
    let mut audit_client = app.audit().await;
    let before = all_events(&mut audit_client, &admin, Default::default()).await;
    // Building the world created staff accounts and kiosks: each is on record.
    let actions: Vec<&str> = before.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"ACCOUNT_CREATED") && actions.contains(&"KIOSK_PROVISIONED"), "{actions:?}");

    // A resident reading their own case is not a staff read; the station admin's reads are.
    let mut cases = app.appointments().await;
    let get = || appointments::GetCaseRequest { id: w.case.clone() };
    let in_full = |case: &appointments::Case| case.parties.iter().any(|p| p.phone.ends_with("13800000001"));
    let own = cases.get_case(authed(get(), &resident)).await.unwrap().into_inner();
    assert!(in_full(&own), "the applicant sees the parties in full: {own:?}");
    let read = cases.get_case(authed(get(), &station_admin)).await.unwrap().into_inner();
    assert!(in_full(&read), "the station's staff see the parties in full: {read:?}");
    let list = appointments::ListCasesRequest { site_id: w.stations[0].clone(), ..Default::default() };
    cases.list_cases(authed(list, &station_admin)).await.unwrap();
    let visit = dispatch::GetHomeVisitRequest { id: w.visit.clone() };
    let mut dispatch_client = app.dispatch().await;
    dispatch_client.get_home_visit(authed(visit, &dispatcher)).await.unwrap();
    // The board opens with the station's visits of the day, addresses in clear.
    let board = dispatch::WatchBoardRequest { date: Some(date(w.day)), station_id: w.stations[0].clone() };
    let mut board = dispatch_client.watch_board(authed(board, &dispatcher)).await.unwrap().into_inner();
    board.message().await.expect("the board opens").expect("with the day's visits");
    drop(board);

    // Writes: a grade override, a hidden rating, a plan committed and a visit moved by hand.
    let grade = appointments::OverrideGradeRequest {
        case_id: w.case.clone(),
        grade: appointments::Grade::Difficult.into(),
        reason: "当事人王芳情绪激动".into(),
    };
    cases.override_grade(authed(grade, &station_admin)).await.expect("overrides");
    let hide = ratings::HideRatingRequest { rating_id: w.rating.clone(), reason: "含手机号13800000801".into() };
    app.ratings().await.hide_rating(authed(hide, &station_admin)).await.expect("hides");
    let plan_id = plan_and_override(&app, &w, &dispatcher).await;

    // Only centre admins list the log.
    assert_status(
        audit_client.list_audit_events(authed(audit::ListAuditEventsRequest::default(), &station_admin)).await,
        Code::PermissionDenied,
        reason::FORBIDDEN,
    );

    let everything = all_events(&mut audit_client, &admin, Default::default()).await;
    let seqs: Vec<i64> = everything.iter().map(|e| e.seq).collect();
    assert!(seqs.windows(2).all(|pair| pair[0] == pair[1] + 1), "newest first, no gaps: {seqs:?}");
    assert_eq!(seqs.last(), Some(&1));
    let find = |action: &str, kind: &str, target: &str| {
        everything
            .iter()
            .filter(|e| e.action == action && e.target_kind == kind && e.target_id == target)
            .cloned()
            .collect::<Vec<_>>()
    };
    let case_reads = find("PERSONAL_DATA_READ", "CASE", &w.case);
    let readers: HashSet<&str> = case_reads.iter().map(|e| e.actor_id.as_str()).collect();
    assert_eq!(readers, HashSet::from([station_admin_id.as_str()]), "only the staff reads: {case_reads:?}");
    let vias: HashSet<&str> = case_reads.iter().map(|e| e.detail.as_str()).collect();
    assert_eq!(vias, HashSet::from(["parties via GetCase", "parties via ListCases", "parties via OverrideGrade"]));
    let read = &case_reads[0];
    assert_eq!((read.actor_role.as_str(), read.peer.as_str()), ("STATION_ADMIN", "127.0.0.1"));
    let at = read.at.unwrap();
    assert!(at.seconds >= started.timestamp() && at.seconds <= Utc::now().timestamp() + 1, "{at:?}");
    let address_reads = find("PERSONAL_DATA_READ", "HOME_VISIT", &w.visit);
    assert!(address_reads.iter().all(|e| e.actor_id == dispatcher_id), "{address_reads:?}");
    let vias: HashSet<&str> = address_reads.iter().map(|e| e.detail.as_str()).collect();
    assert_eq!(vias, HashSet::from(["address via GetHomeVisit", "address via WatchBoard"]));
    assert_eq!(find("GRADE_OVERRIDDEN", "CASE", &w.case)[0].detail, "DIFFICULT");
    assert_eq!(find("RATING_HIDDEN", "RATING", &w.rating).len(), 1);
    assert_eq!(find("PLAN_COMMITTED", "PLAN", &plan_id)[0].actor_id, dispatcher_id);
    assert_eq!(find("VISIT_ASSIGNED", "HOME_VISIT", &w.spare_visit)[0].actor_role, "DISPATCHER");
    // No phone number or free-text reason reaches the log.
    for event in &everything {
        let text = format!("{} {} {}", event.detail, event.target_id, event.actor_id);
        assert!(!text.contains("1380000") && !text.contains("王芳"), "{event:?}");
        assert_eq!(event.hash.len(), 64);
    }

    // Filters: by actor and action, by time, and paging in small pages gives the same records.
    let by_admin = audit::ListAuditEventsRequest {
        actor_id: station_admin_id.clone(),
        action: "PERSONAL_DATA_READ".into(),
        ..Default::default()
    };
    let filtered = all_events(&mut audit_client, &admin, by_admin).await;
    let expected: Vec<i64> = everything
        .iter()
        .filter(|e| e.actor_id == station_admin_id && e.action == "PERSONAL_DATA_READ")
        .map(|e| e.seq)
        .collect();
    assert!(expected.len() >= 2, "{expected:?}");
    assert_eq!(filtered.iter().map(|e| e.seq).collect::<Vec<_>>(), expected);
    let small_pages =
        all_events(&mut audit_client, &admin, audit::ListAuditEventsRequest { page_size: 3, ..Default::default() })
            .await;
    assert_eq!(small_pages.iter().map(|e| e.seq).collect::<Vec<_>>(), seqs);
    let future =
        audit::ListAuditEventsRequest { from: Some(ts(Utc::now() + chrono::Duration::hours(1))), ..Default::default() };
    assert!(all_events(&mut audit_client, &admin, future).await.is_empty());
    let since = audit::ListAuditEventsRequest {
        from: Some(ts(started)),
        to: Some(ts(Utc::now() + chrono::Duration::minutes(1))),
        ..Default::default()
    };
    assert_eq!(all_events(&mut audit_client, &admin, since).await.len(), everything.len());
    let bad = audit::ListAuditEventsRequest { action: "DELETE_EVERYTHING".into(), ..Default::default() };
    let status = assert_status(
        audit_client.list_audit_events(authed(bad, &admin)).await,
        Code::InvalidArgument,
        reason::VALIDATION,
    );
    assert_eq!(violated_fields(&status), ["action"]);

    // Everything the flows appended forms an intact chain.
    let db = mediation_gateway::startup_db(&app.settings).await.unwrap();
    let (records, head) = mediation_gateway::verify_audit(&db).await.unwrap().expect("the chain is intact");
    assert_eq!(records, seqs[0]);
    assert_eq!(head, everything[0].hash);
}
