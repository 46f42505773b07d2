//! After the session and beyond the station: the police desk told how a 110 dispute ended,
//! once, across a server restart; and the whistle (吹哨-派单-报到): a station escalates a case,
//! the centre dispatches a task to a partner body, whose staff acknowledge and report, each
//! step a case event; a late task turns OVERDUE and tells its dispatcher once. Time moves the
//! way the other tests move it: a stored instant is set into the past, nothing sleeps.

use std::sync::{Arc, Mutex};

use mediation_api::appointments::v1 as pb;
use mediation_api::directory::v1 as directory;
use mediation_api::directory::v1::{MediationMode, MediatorKind, SiteKind};
use mediation_api::identity::v1::Role;
use prost_types::FieldMask;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::Code;

use crate::common::*;

both_backends!(
    the_police_desk_hears_once_across_a_restart,
    an_escalated_case_is_dispatched_acknowledged_and_reported,
    a_late_task_turns_overdue_and_tells_its_dispatcher_once,
);

// ---------------------------------------------------------------------------------------------
// A police desk's webhook

/// A police desk's HTTP endpoint: it answers every POST 200 and keeps the bodies.
struct Desk {
    url: String,
    bodies: Arc<Mutex<Vec<serde_json::Value>>>,
    _server: tokio::task::JoinHandle<()>,
}

impl Desk {
    async fn start() -> Desk {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/desk/110", listener.local_addr().unwrap());
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let kept = bodies.clone();
        let server = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    if let Some(body) = read_request_body(&mut socket).await {
                        kept.lock().unwrap().push(serde_json::from_slice(&body).expect("the notice is JSON"));
                        let reply = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
                        let _ = socket.write_all(reply.as_bytes()).await;
                    }
                });
            }
        });
        Desk { url, bodies, _server: server }
    }

    fn received(&self) -> Vec<serde_json::Value> {
        self.bodies.lock().unwrap().clone()
    }
}

/// The body of one HTTP/1.1 request (its `content-length` bytes after the headers).
async fn read_request_body(socket: &mut tokio::net::TcpStream) -> Option<Vec<u8>> {
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = socket.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        request.extend_from_slice(&buf[..n]);
        let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
        let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().to_owned()))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if request.len() >= end + 4 + length {
            return Some(request[end + 4..end + 4 + length].to_vec());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures

/// A 110 handover at `site` with `incident`.
fn handover(site: &str, incident: &str, applicant_phone: &str) -> pb::CreateCaseRequest {
    pb::CreateCaseRequest {
        police_incident_id: incident.into(),
        handed_over_by: "李警官（警号 012345）".into(),
        ..new_case(site, pb::CaseOrigin::Police110, applicant_phone, ordinary())
    }
}

/// Starts `case` at `site` now, with a new mediator in a new room (a completed session keeps
/// holding its own until its planned end), and completes it with `result` and `summary`.
async fn mediate_on_the_spot(
    app: &TestApp,
    (centre, token): (&str, &str),
    site: &str,
    case: &str,
    result: pb::OutcomeResult,
    summary: &str,
) {
    let profile = mediator_profile("王建国", MediatorKind::StationMediator, site, &[MediationMode::InPerson]);
    let mediator = mediator_with_account(app, centre, profile).await;
    let room = mediation_room(app, centre, site).await;
    let mut client = app.appointments().await;
    let start = pb::StartSessionNowRequest {
        request_id: new_request_id(),
        case_id: case.into(),
        mediator_ids: vec![mediator.id],
        room_id: room,
        duration: Some(prost_types::Duration { seconds: 3600, nanos: 0 }),
    };
    let session = client.start_session_now(authed(start, token)).await.expect("starts").into_inner();
    let outcome = pb::Outcome { result: result.into(), agreement_summary: summary.into(), ..Default::default() };
    let complete =
        pb::CompleteAppointmentRequest { appointment_id: session.id, outcome: Some(outcome), ..Default::default() };
    client.complete_appointment(authed(complete, token)).await.expect("completes");
}

fn desk_update(site: &str, desk: Option<directory::PoliceDesk>) -> directory::UpdateSiteRequest {
    directory::UpdateSiteRequest {
        site: Some(directory::Site { id: site.into(), police_desk: desk, ..Default::default() }),
        update_mask: Some(FieldMask { paths: vec!["police_desk".into()] }),
    }
}

async fn event_kinds(app: &TestApp, token: &str, case: &str) -> Vec<(String, String)> {
    let request = pb::ListCaseEventsRequest { case_id: case.into(), ..Default::default() };
    let events = app.appointments().await.list_case_events(authed(request, token)).await.unwrap().into_inner().events;
    events.into_iter().map(|e| (e.kind, e.detail)).collect()
}

fn count_kind(events: &[(String, String)], kind: &str) -> usize {
    events.iter().filter(|(k, _)| k == kind).count()
}

fn feedback_for<'a>(notifications: &'a [serde_json::Value], incident: &str) -> Vec<&'a serde_json::Value> {
    notifications
        .iter()
        .filter(|n| n["kind"] == "POLICE_FEEDBACK" && n["text"].as_str().is_some_and(|t| t.contains(incident)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Feedback to the police

async fn the_police_desk_hears_once_across_a_restart(backend: Backend) {
    // The notice worker runs once at start and then not for an hour: what the completion writes
    // waits in the outbox until the restart below.
    let mut app = TestApp::spawn_with(backend, |s| s.appointments.outbox_poll_ms = 3_600_000).await;
    let centre = app.centre_admin().await.access_token;
    let (_, [s1, _], [k1, _]) = app.district(&centre).await;
    let admin = staff(&app, &centre, Role::StationAdmin, &s1).await;
    let desk = Desk::start().await;
    let mut directory_client = app.directory().await;

    // The station's police desk: checked field by field, kept for stations only.
    let bad_phone = directory::PoliceDesk { phone: "12345".into(), webhook_url: String::new() };
    let refused = directory_client.update_site(authed(desk_update(&s1, Some(bad_phone)), &admin)).await;
    assert_eq!(
        violated_fields(&assert_status(refused, Code::InvalidArgument, "VALIDATION")),
        ["site.police_desk.phone"]
    );
    let bad_url = directory::PoliceDesk { phone: String::new(), webhook_url: "ftp://desk.example".into() };
    let refused = directory_client.update_site(authed(desk_update(&s1, Some(bad_url)), &admin)).await;
    let fields = violated_fields(&assert_status(refused, Code::InvalidArgument, "VALIDATION"));
    assert_eq!(fields, ["site.police_desk.webhook_url"]);
    let a_desk = directory::PoliceDesk { phone: "13900000110".into(), webhook_url: desk.url.clone() };
    let refused = directory_client.update_site(authed(desk_update(&k1, Some(a_desk.clone())), &centre)).await;
    assert_eq!(violated_fields(&assert_status(refused, Code::InvalidArgument, "VALIDATION")), ["site.police_desk"]);
    let updated =
        directory_client.update_site(authed(desk_update(&s1, Some(a_desk)), &admin)).await.unwrap().into_inner();
    let shown = updated.police_desk.expect("the admin sees the desk");
    assert_eq!((shown.phone.as_str(), shown.webhook_url.as_str()), ("+8613900000110", desk.url.as_str()));
    // The desk is not published: anonymous readers get the site without it, its admins with it.
    let public = directory_client.get_site(directory::GetSiteRequest { id: s1.clone() }).await.unwrap().into_inner();
    assert!(public.police_desk.is_none());
    let as_admin = directory_client.get_site(authed(directory::GetSiteRequest { id: s1.clone() }, &admin)).await;
    assert!(as_admin.unwrap().into_inner().police_desk.is_some());

    // A 110 dispute settled on the spot.
    let case = create_case(&app, &admin, handover(&s1, "110-20261207-0001", "13800000301")).await;
    let settled = pb::OutcomeResult::Settled;
    mediate_on_the_spot(&app, (&centre, &admin), &s1, &case.id, settled, "赔偿维修费 2000 元").await;
    let events = event_kinds(&app, &admin, &case.id).await;
    assert_eq!(count_kind(&events, "POLICE_NOTIFIED"), 1, "{events:?}");
    assert!(events.iter().any(|(k, d)| k == "POLICE_NOTIFIED" && d == "SETTLED by SMS and WEBHOOK"), "{events:?}");

    // Stopped with the notice in the outbox; started again with the worker polling: it goes out
    // once by SMS and once to the webhook.
    app.settings.appointments.outbox_poll_ms = 50;
    app.restart().await;
    let timeout = std::time::Duration::from_secs(20);
    let notifications = wait_for(&app, |n| !feedback_for(n, "110-20261207-0001").is_empty(), timeout).await;
    let sms = feedback_for(&notifications, "110-20261207-0001");
    assert_eq!(sms[0]["to"], "+8613900000110");
    let text = sms[0]["text"].as_str().unwrap();
    for line in [
        "警情号 incident: 110-20261207-0001",
        "结果 result: SETTLED 调解成功",
        "摘要 summary: 赔偿维修费 2000 元",
        "协议 agreement: not drafted yet 尚未起草",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} in {text}");
    }
    let until = std::time::Instant::now() + timeout;
    while desk.received().is_empty() {
        assert!(std::time::Instant::now() < until, "the webhook got nothing");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // After the restart a second case's notice arrives; the first is not sent again.
    let second = create_case(&app, &admin, handover(&s1, "110-20261207-0002", "13800000302")).await;
    let not_settled = pb::OutcomeResult::NotSettled;
    mediate_on_the_spot(&app, (&centre, &admin), &s1, &second.id, not_settled, "").await;
    let notifications = wait_for(&app, |n| !feedback_for(n, "110-20261207-0002").is_empty(), timeout).await;
    let until = std::time::Instant::now() + timeout;
    while desk.received().len() < 2 {
        assert!(std::time::Instant::now() < until, "the webhook got {:?}", desk.received());
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(feedback_for(&notifications, "110-20261207-0001").len(), 1, "{notifications:#?}");
    assert_eq!(feedback_for(&notifications, "110-20261207-0002").len(), 1, "{notifications:#?}");
    let second_text = feedback_for(&notifications, "110-20261207-0002")[0]["text"].as_str().unwrap().to_owned();
    assert!(second_text.contains("结果 result: NOT_SETTLED"), "{second_text}");
    let posted = desk.received();
    let incidents: Vec<bool> = ["110-20261207-0001", "110-20261207-0002"]
        .iter()
        .map(|incident| posted.iter().filter(|b| b["text"].as_str().is_some_and(|t| t.contains(incident))).count() == 1)
        .collect();
    assert_eq!(incidents, [true, true], "{posted:#?}");
    assert!(posted.iter().all(|b| b["kind"] == "POLICE_FEEDBACK"), "{posted:#?}");

    // A station without a desk: nothing is sent, and the history says so. (The server listens
    // on a new port since the restart: a new client.)
    let clear = authed(desk_update(&s1, None), &admin);
    app.directory().await.update_site(clear).await.unwrap();
    let third = create_case(&app, &admin, handover(&s1, "110-20261207-0003", "13800000303")).await;
    mediate_on_the_spot(&app, (&centre, &admin), &s1, &third.id, settled, "").await;
    let events = event_kinds(&app, &admin, &third.id).await;
    assert!(events.iter().any(|(k, d)| k == "POLICE_NOTIFIED" && d.starts_with("not sent")), "{events:?}");
}

// ---------------------------------------------------------------------------------------------
// The whistle

/// A centre with two stations, the district court and the lawyers' association as partner
/// bodies, a staff member at each, and a station admin at station 1.
struct Whistle {
    centre: String,
    stations: [String; 2],
    kiosk: String,
    court: String,
    court_staff: String,
    lawyers_staff: String,
    station_admin: String,
    other_station_admin: String,
}

async fn whistle(app: &TestApp) -> Whistle {
    let centre = app.centre_admin().await.access_token;
    let (centre_site, [s1, s2], [k1, _]) = app.district(&centre).await;
    let court = app.site(&centre, SiteKind::Partner, &centre_site, "鄞州区人民法院").await;
    let lawyers = app.site(&centre, SiteKind::Partner, &centre_site, "鄞州区律师协会").await;
    let (court_staff, lawyers_staff, station_admin, other_station_admin) = tokio::join!(
        staff(app, &centre, Role::PartnerStaff, &court),
        staff(app, &centre, Role::PartnerStaff, &lawyers),
        staff(app, &centre, Role::StationAdmin, &s1),
        staff(app, &centre, Role::StationAdmin, &s2),
    );
    Whistle {
        centre,
        stations: [s1, s2],
        kiosk: k1,
        court,
        court_staff,
        lawyers_staff,
        station_admin,
        other_station_admin,
    }
}

fn escalate(case: &str, reason: &str) -> pb::EscalateCaseRequest {
    pb::EscalateCaseRequest { case_id: case.into(), reason: reason.into() }
}

fn dispatch(case: &str, site: &str, due: chrono::DateTime<chrono::Utc>) -> pb::DispatchTaskRequest {
    pb::DispatchTaskRequest {
        request_id: new_request_id(),
        case_id: case.into(),
        assignee_site_id: site.into(),
        due_at: Some(ts(due)),
        instructions: "请就宅基地权属出具法律意见，并派员参加联合调解。".into(),
    }
}

fn tasks_of(filter: pb::TaskFilter) -> pb::ListTasksRequest {
    pb::ListTasksRequest { filter: Some(filter), ..Default::default() }
}

async fn listed(app: &TestApp, token: &str, filter: pb::TaskFilter) -> Vec<pb::Task> {
    app.appointments().await.list_tasks(authed(tasks_of(filter), token)).await.expect("lists").into_inner().tasks
}

/// An escalated walk-in case at station 1 (the centre's list), by its station admin.
async fn escalated_case(app: &TestApp, w: &Whistle, applicant_phone: &str) -> pb::Case {
    let case = create_case(
        app,
        &w.station_admin,
        new_case(&w.stations[0], pb::CaseOrigin::WalkIn, applicant_phone, ordinary()),
    )
    .await;
    let request = escalate(&case.id, "涉及宅基地权属，需法院与律师协助。");
    app.appointments().await.escalate_case(authed(request, &w.station_admin)).await.expect("escalates").into_inner()
}

async fn an_escalated_case_is_dispatched_acknowledged_and_reported(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = whistle(&app).await;
    let [s1, s2] = &w.stations;
    let mut client = app.appointments().await;
    let mut identity = app.identity().await;

    // A partner body sits under the centre and takes only partner staff.
    let station_partner = directory::CreateSiteRequest {
        request_id: new_request_id(),
        site: Some(directory::Site {
            name: "某社区".into(),
            kind: SiteKind::Partner.into(),
            parent_id: s1.clone(),
            ..Default::default()
        }),
    };
    let refused = app.directory().await.create_site(authed(station_partner, &w.centre)).await;
    assert_eq!(violated_fields(&assert_status(refused, Code::InvalidArgument, "VALIDATION")), ["site.parent_id"]);
    let partner_at_station = mediation_api::identity::v1::CreateStaffAccountRequest {
        request_id: new_request_id(),
        login: "court.clerk".into(),
        password: PASSWORD.into(),
        role: Role::PartnerStaff.into(),
        site_id: s1.clone(),
        display_name: "书记员".into(),
    };
    let refused = identity.create_staff_account(authed(partner_at_station, &w.centre)).await;
    assert_eq!(violated_fields(&assert_status(refused, Code::InvalidArgument, "VALIDATION")), ["site_id"]);

    // The whistle: station 1 puts its case on the centre's list.
    let plain =
        create_case(&app, &w.station_admin, new_case(s1, pb::CaseOrigin::WalkIn, "13800000401", ordinary())).await;
    let case =
        create_case(&app, &w.station_admin, new_case(s1, pb::CaseOrigin::WalkIn, "13800000402", ordinary())).await;
    let no_reason = client.escalate_case(authed(escalate(&case.id, " "), &w.station_admin)).await;
    assert_eq!(violated_fields(&assert_status(no_reason, Code::InvalidArgument, "VALIDATION")), ["reason"]);
    let stranger = client.escalate_case(authed(escalate(&case.id, "越权"), &w.other_station_admin)).await;
    assert_status(stranger, Code::NotFound, "NOT_FOUND");
    let reason = "涉及宅基地权属，需法院与律师协助。";
    let escalated = client
        .escalate_case(authed(escalate(&case.id, reason), &w.station_admin))
        .await
        .expect("escalates")
        .into_inner();
    assert!(escalated.escalated_at.is_some());
    assert_eq!(escalated.escalation_reason, reason);
    let twice = client.escalate_case(authed(escalate(&case.id, reason), &w.station_admin)).await;
    assert_status(twice, Code::FailedPrecondition, "ALREADY_ESCALATED");

    // The centre's list holds the escalated case and not the other.
    let list = pb::ListCasesRequest { escalated: true, ..Default::default() };
    let on_the_list = client.list_cases(authed(list, &w.centre)).await.unwrap().into_inner().cases;
    assert_eq!(on_the_list.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [case.id.as_str()]);

    // Dispatching checks the due time, the assignee and the case, naming the field.
    let soon = chrono::Utc::now() + chrono::Duration::days(2);
    let bad = [
        (dispatch(&case.id, &w.court, chrono::Utc::now() - chrono::Duration::hours(1)), "due_at"),
        (dispatch(&case.id, "no-such-site", soon), "assignee_site_id"),
        (dispatch(&case.id, &w.kiosk, soon), "assignee_site_id"),
        (dispatch(&case.id, s1, soon), "assignee_site_id"),
        (pb::DispatchTaskRequest { instructions: String::new(), ..dispatch(&case.id, &w.court, soon) }, "instructions"),
    ];
    for (request, field) in bad {
        let refused = client.dispatch_task(authed(request, &w.centre)).await;
        assert_eq!(violated_fields(&assert_status(refused, Code::InvalidArgument, "VALIDATION")), [field]);
    }
    let not_escalated = client.dispatch_task(authed(dispatch(&plain.id, &w.court, soon), &w.centre)).await;
    assert_status(not_escalated, Code::FailedPrecondition, "CASE_NOT_ESCALATED");
    assert!(listed(&app, &w.centre, pb::TaskFilter::default()).await.is_empty(), "a refused dispatch writes nothing");

    // 派单: to the court; a retry with the same request id is the same task.
    let request = dispatch(&case.id, &w.court, soon);
    let task = client.dispatch_task(authed(request.clone(), &w.centre)).await.expect("dispatches").into_inner();
    let retried = client.dispatch_task(authed(request, &w.centre)).await.unwrap().into_inner();
    assert_eq!(retried.id, task.id);
    assert_eq!(task.status(), pb::TaskStatus::Open);
    assert_eq!(task.assignee_site_id, w.court);
    let view = task.case_view.clone().expect("the case as the task needs it");
    let parties: Vec<(pb::PartyRole, &str)> = view.parties.iter().map(|p| (p.role(), p.name_masked.as_str())).collect();
    assert_eq!(parties, [(pb::PartyRole::Applicant, "王*"), (pb::PartyRole::Respondent, "赵*")]);
    assert_eq!((view.case_id.as_str(), view.summary.as_str()), (case.id.as_str(), "楼上漏水，协商未果。"));

    // The court sees its task and nothing else of the case; the lawyers see nothing.
    let court_tasks = listed(&app, &w.court_staff, pb::TaskFilter::default()).await;
    assert_eq!(court_tasks.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), [task.id.as_str()]);
    let get_case = client.get_case(authed(pb::GetCaseRequest { id: case.id.clone() }, &w.court_staff)).await;
    assert_status(get_case, Code::PermissionDenied, "FORBIDDEN");
    let events = pb::ListCaseEventsRequest { case_id: case.id.clone(), ..Default::default() };
    assert_status(client.list_case_events(authed(events, &w.court_staff)).await, Code::PermissionDenied, "FORBIDDEN");
    assert!(listed(&app, &w.lawyers_staff, pb::TaskFilter::default()).await.is_empty());
    let others = tasks_of(pb::TaskFilter { site_id: w.court.clone(), ..Default::default() });
    assert_status(client.list_tasks(authed(others, &w.lawyers_staff)).await, Code::PermissionDenied, "FORBIDDEN");
    let acknowledge = pb::AcknowledgeTaskRequest { task_id: task.id.clone() };
    let foreign = client.acknowledge_task(authed(acknowledge.clone(), &w.lawyers_staff)).await;
    assert_status(foreign, Code::NotFound, "NOT_FOUND");

    // 报到: the court acknowledges, then reports.
    let acknowledged =
        client.acknowledge_task(authed(acknowledge.clone(), &w.court_staff)).await.expect("acknowledges").into_inner();
    assert_eq!(acknowledged.status(), pb::TaskStatus::Acknowledged);
    assert!(acknowledged.acknowledged_at.is_some());
    let again = client.acknowledge_task(authed(acknowledge, &w.court_staff)).await;
    assert_status(again, Code::FailedPrecondition, "TASK_ACKNOWLEDGED");
    let report = |result: pb::TaskResult, note: &str| pb::ReportTaskRequest {
        task_id: task.id.clone(),
        result: result.into(),
        note: note.into(),
    };
    let bare = client.report_task(authed(report(pb::TaskResult::PartlyDone, ""), &w.court_staff)).await;
    assert_eq!(violated_fields(&assert_status(bare, Code::InvalidArgument, "VALIDATION")), ["note"]);
    let note = "已出具法律意见书，法官将参加下周联合调解。";
    let reported = client
        .report_task(authed(report(pb::TaskResult::Done, note), &w.court_staff))
        .await
        .expect("reports")
        .into_inner();
    assert_eq!(
        (reported.status(), reported.result(), reported.note.as_str()),
        (pb::TaskStatus::Reported, pb::TaskResult::Done, note)
    );
    let twice = client.report_task(authed(report(pb::TaskResult::Done, note), &w.court_staff)).await;
    assert_status(twice, Code::FailedPrecondition, "TASK_REPORTED");

    // Every step is in the case's history, for its station and for the centre.
    for token in [&w.station_admin, &w.centre] {
        let kinds: Vec<String> = event_kinds(&app, token, &case.id).await.into_iter().map(|(k, _)| k).collect();
        let whistle: Vec<&str> =
            kinds.iter().map(String::as_str).filter(|k| *k == "ESCALATED" || k.starts_with("TASK_")).collect();
        assert_eq!(whistle, ["ESCALATED", "TASK_DISPATCHED", "TASK_ACKNOWLEDGED", "TASK_REPORTED"], "{kinds:?}");
    }

    // A task may go to another station too; its admin lists and answers it, the first station's
    // admin (whose case it is) does not answer it.
    let to_station = client.dispatch_task(authed(dispatch(&case.id, s2, soon), &w.centre)).await.unwrap().into_inner();
    let theirs = listed(&app, &w.other_station_admin, pb::TaskFilter::default()).await;
    assert_eq!(theirs.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), [to_station.id.as_str()]);
    let not_ours = pb::AcknowledgeTaskRequest { task_id: to_station.id.clone() };
    assert_status(
        client.acknowledge_task(authed(not_ours.clone(), &w.station_admin)).await,
        Code::NotFound,
        "NOT_FOUND",
    );
    client.acknowledge_task(authed(not_ours, &w.other_station_admin)).await.expect("the assignee station answers");

    // The centre lists by site and by status.
    let reported_only = pb::TaskFilter { status: pb::TaskStatus::Reported.into(), ..Default::default() };
    let done = listed(&app, &w.centre, reported_only).await;
    assert_eq!(done.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), [task.id.as_str()]);
    let at_s2 = listed(&app, &w.centre, pb::TaskFilter { site_id: s2.clone(), ..Default::default() }).await;
    assert_eq!(at_s2.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), [to_station.id.as_str()]);
}

/// Lets a task's time run out: moves its due time to a minute ago straight in the database, as
/// if the clock had run on to it (DispatchTask refuses a due time in the past).
async fn task_due_time_has_passed(app: &TestApp, task_id: &str) {
    use diesel::prelude::*;
    use mediation_store::schema::case_tasks;
    let db = mediation_store::Db::connect(app.db_url(), &Default::default()).unwrap();
    let id = task_id.to_owned();
    let due = (chrono::Utc::now() - chrono::Duration::minutes(1)).naive_utc();
    db.write(move |conn| {
        diesel::update(case_tasks::table.find(&id))
            .set(case_tasks::due_at.eq(due))
            .execute(conn)
            .map_err(mediation_store::Error::from)
    })
    .await
    .unwrap();
}

async fn a_late_task_turns_overdue_and_tells_its_dispatcher_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = whistle(&app).await;
    let mut client = app.appointments().await;
    let dispatcher = account_id(&app, &w.centre).await;
    let case = escalated_case(&app, &w, "13800000501").await;
    let in_an_hour = chrono::Utc::now() + chrono::Duration::hours(1);
    let late =
        client.dispatch_task(authed(dispatch(&case.id, &w.court, in_an_hour), &w.centre)).await.unwrap().into_inner();
    let overdue = pb::TaskFilter { overdue: true, ..Default::default() };
    assert!(listed(&app, &w.centre, overdue.clone()).await.is_empty());

    task_due_time_has_passed(&app, &late.id).await;
    let shown = listed(&app, &w.court_staff, overdue.clone()).await;
    assert_eq!(
        shown.iter().map(|t| (t.id.as_str(), t.status())).collect::<Vec<_>>(),
        [(late.id.as_str(), pb::TaskStatus::Overdue)]
    );
    let by_status = pb::TaskFilter { status: pb::TaskStatus::Overdue.into(), ..Default::default() };
    assert_eq!(listed(&app, &w.centre, by_status).await.len(), 1);
    let open = pb::TaskFilter { status: pb::TaskStatus::Open.into(), ..Default::default() };
    assert!(listed(&app, &w.centre, open).await.is_empty(), "an overdue task is not listed as OPEN");

    // The worker tells the dispatcher, addressed to their account (staff have no phone here).
    let address = format!("account:{dispatcher}");
    let told = |n: &[serde_json::Value], task: &str| {
        n.iter().filter(|n| n["kind"] == "TASK_OVERDUE" && n["text"].as_str().is_some_and(|t| t.contains(task))).count()
    };
    let timeout = std::time::Duration::from_secs(20);
    let notifications = wait_for(&app, |n| told(n, &late.id) >= 1, timeout).await;
    let notice = notifications.iter().find(|n| n["kind"] == "TASK_OVERDUE").unwrap();
    assert_eq!(notice["to"], address.as_str());
    assert!(notice["text"].as_str().unwrap().contains("鄞州区人民法院"), "{notice}");

    // A second late task: once its notice is out, the first has still gone out once, and each
    // task has one TASK_OVERDUE event.
    let second =
        client.dispatch_task(authed(dispatch(&case.id, &w.court, in_an_hour), &w.centre)).await.unwrap().into_inner();
    task_due_time_has_passed(&app, &second.id).await;
    let notifications = wait_for(&app, |n| told(n, &second.id) >= 1, timeout).await;
    assert_eq!((told(&notifications, &late.id), told(&notifications, &second.id)), (1, 1), "{notifications:#?}");
    let events = event_kinds(&app, &w.station_admin, &case.id).await;
    assert_eq!(count_kind(&events, "TASK_OVERDUE"), 2, "{events:?}");

    // Late is better than never: the court reports, and the task is REPORTED, marked late.
    let report = pb::ReportTaskRequest {
        task_id: late.id.clone(),
        result: pb::TaskResult::NotDone.into(),
        note: "当事人拒绝到庭，无法完成。".into(),
    };
    let reported = client.report_task(authed(report, &w.court_staff)).await.expect("reports late").into_inner();
    assert_eq!(reported.status(), pb::TaskStatus::Reported);
    let events = event_kinds(&app, &w.centre, &case.id).await;
    assert!(events.iter().any(|(k, d)| k == "TASK_REPORTED" && d.ends_with("NOT_DONE (late)")), "{events:?}");
    let still_late = listed(&app, &w.centre, overdue).await;
    assert_eq!(still_late.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), [second.id.as_str()]);
}
