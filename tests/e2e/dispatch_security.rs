//! DispatchService under abuse: open watch streams end when their caller's account is disabled
//! (on every replica) or their token expires; a resident's home-visit requests are limited; a
//! SetVanShift with a huge crew is refused at once with a small error. Streams are read until
//! they end or a generous deadline passes; nothing here asserts how fast.

use std::time::Duration;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};
use mediation_api::appointments::v1 as appointments;
use mediation_api::directory::v1 as directory;
use mediation_api::dispatch::v1 as pb;
use mediation_api::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use mediation_api::google::r#type::{Date, LatLng};
use mediation_api::identity::v1 as identity;
use mediation_api::status::reason;
use prost_types::Timestamp;
use tonic::transport::Channel;
use tonic::{Code, Status, Streaming};
use tonic_types::StatusExt;

use crate::common::*;

both_backends!(
    open_streams_end_when_their_account_is_disabled_on_every_replica,
    an_open_board_ends_when_its_token_expires,
    a_residents_home_visit_requests_are_limited,
    a_van_shift_with_a_huge_crew_is_refused_with_a_small_error,
);

/// Zhonghe police station in Yinzhou.
const STATION: (f64, f64) = (29.8415, 121.5532);

/// How long a stream may take to end before the test gives up: far above the one-second
/// recheck the tests set, so that a slow CI machine does not fail them.
const DEADLINE: Duration = Duration::from_secs(30);

fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

fn visit_day() -> NaiveDate {
    Utc::now().with_timezone(&shanghai()).date_naive() + chrono::Duration::days(3)
}

fn local(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    shanghai().from_local_datetime(&day.and_hms_opt(hour, 0, 0).unwrap()).unwrap().with_timezone(&Utc)
}

fn ts(t: DateTime<Utc>) -> Timestamp {
    Timestamp { seconds: t.timestamp(), nanos: 0 }
}

fn date(day: NaiveDate) -> Date {
    Date { year: day.year(), month: day.month() as i32, day: day.day() as i32 }
}

fn client(channel: Channel) -> DispatchServiceClient<Channel> {
    DispatchServiceClient::new(channel).max_decoding_message_size(8 << 20).max_encoding_message_size(8 << 20)
}

/// A station with a location, its dispatcher (login, account id, token), and the centre admin.
struct Station {
    admin: String,
    id: String,
    dispatcher_login: String,
    dispatcher_id: String,
    dispatcher: String,
}

async fn station(app: &TestApp) -> Station {
    let admin = app.centre_admin().await.access_token;
    let centre = app.site(&admin, directory::SiteKind::Centre, "", "鄞州区警调衔接中心").await;
    let site = directory::Site {
        name: "中河派出所".into(),
        kind: directory::SiteKind::Station.into(),
        parent_id: centre,
        address: "宁波市鄞州区中河街道天童南路588号".into(),
        location: Some(LatLng { latitude: STATION.0, longitude: STATION.1 }),
        ..Default::default()
    };
    let request = directory::CreateSiteRequest { request_id: new_request_id(), site: Some(site) };
    let id = app.directory().await.create_site(authed(request, &admin)).await.unwrap().into_inner().id;
    let login = format!("dispatcher.{}", uuid::Uuid::new_v4().simple());
    let request = identity::CreateStaffAccountRequest {
        request_id: new_request_id(),
        login: login.clone(),
        password: PASSWORD.into(),
        role: identity::Role::Dispatcher.into(),
        site_id: id.clone(),
        display_name: "值班调度".into(),
    };
    let account = app.identity().await.create_staff_account(authed(request, &admin)).await.expect("creates");
    let dispatcher = app.login(&login, PASSWORD).await.access_token;
    Station { admin, id, dispatcher_login: login, dispatcher_id: account.into_inner().id, dispatcher }
}

/// A resident with a case at the station: (access token, account id, case id).
async fn resident_case(app: &TestApp, station: &Station, phone: &str) -> (String, String, String) {
    let token = app.resident(phone).await.access_token;
    let account = app.identity().await.get_me(authed(identity::GetMeRequest {}, &token)).await.unwrap();
    let request = appointments::CreateCaseRequest {
        request_id: new_request_id(),
        category: "family_marriage".into(),
        summary: "家庭纠纷，不便到所。".into(),
        parties: vec![
            appointments::Party {
                name: "王芳".into(),
                phone: phone.into(),
                role: appointments::PartyRole::Applicant.into(),
                ..Default::default()
            },
            appointments::Party {
                name: "赵强".into(),
                phone: "13800000001".into(),
                role: appointments::PartyRole::Respondent.into(),
                ..Default::default()
            },
        ],
        origin: appointments::CaseOrigin::App.into(),
        assessment: Some(appointments::Assessment {
            amount_in_dispute_yuan: 1000,
            party_count: 2,
            ..Default::default()
        }),
        site_id: station.id.clone(),
        ..Default::default()
    };
    let case = app.appointments().await.create_case(authed(request, &token)).await.expect("creates").into_inner();
    (token, account.into_inner().id, case.id)
}

fn visit_request(case_id: &str, i: usize) -> pb::RequestHomeVisitRequest {
    let day = visit_day();
    pb::RequestHomeVisitRequest {
        request_id: new_request_id(),
        case_id: case_id.into(),
        address: format!("宁波市鄞州区中河街道某小区{}幢{}室", i + 1, 101 + i),
        location: Some(LatLng { latitude: STATION.0 + 0.01, longitude: STATION.1 + 0.01 * i as f64 }),
        window_start: Some(ts(local(day, 9))),
        window_end: Some(ts(local(day, 12))),
        duration: Some(prost_types::Duration { seconds: 45 * 60, nanos: 0 }),
        reason: pb::VisitReason::Privacy.into(),
        ..Default::default()
    }
}

fn watch_board(station: &Station, token: &str) -> tonic::Request<pb::WatchBoardRequest> {
    authed(pb::WatchBoardRequest { date: Some(date(visit_day())), station_id: station.id.clone() }, token)
}

fn disable(account_id: &str) -> identity::SetAccountDisabledRequest {
    identity::SetAccountDisabledRequest { account_id: account_id.into(), disabled: Some(true), reason: "离职".into() }
}

/// Reads `stream` until it ends, skipping updates, within [`DEADLINE`]: the status it ended
/// with, or a panic naming `what` if it ended cleanly or went on.
async fn ending<T>(stream: &mut Streaming<T>, what: &str) -> Status {
    let read = async {
        loop {
            match stream.message().await {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("{what}: the stream ended without an error"),
                Err(status) => return status,
            }
        }
    };
    tokio::time::timeout(DEADLINE, read).await.unwrap_or_else(|_| panic!("{what}: the stream is still open"))
}

#[track_caller]
fn assert_reason(status: &Status, code: Code, expected: &str) {
    assert_eq!(status.code(), code, "{status:?}");
    assert_eq!(status.get_error_details().error_info().map(|i| i.reason.clone()).as_deref(), Some(expected));
}

async fn open_streams_end_when_their_account_is_disabled_on_every_replica(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.dispatch.stream_recheck_secs = 1).await;
    let second = app.spawn_second().await;
    let station = station(&app).await;
    let (resident, resident_id, case_id) = resident_case(&app, &station, "13800000701").await;
    let visit = client(app.channel().await)
        .request_home_visit(authed(visit_request(&case_id, 0), &resident))
        .await
        .expect("requests")
        .into_inner();

    // The dispatcher watches the board on the second replica and sees the address in clear;
    // the resident follows their visit on the first.
    let mut on_second = client(second.channel().await);
    let mut board =
        on_second.watch_board(watch_board(&station, &station.dispatcher)).await.expect("opens").into_inner();
    let first = board.message().await.unwrap().expect("the date's visits first");
    let Some(pb::board_event::Event::Visit(shown)) = first.event else { panic!("{first:?}") };
    assert!(!shown.address_masked && shown.address == visit.address);
    let watch = authed(pb::WatchVisitRequest { visit_id: visit.id.clone() }, &resident);
    let mut following = client(app.channel().await).watch_visit(watch).await.expect("opens").into_inner();
    following.message().await.unwrap().expect("the visit as it is");

    // A centre admin disables both accounts through the first replica.
    let mut identity_client = app.identity().await;
    for account in [&station.dispatcher_id, &resident_id] {
        identity_client.set_account_disabled(authed(disable(account), &station.admin)).await.expect("disables");
    }
    let status = ending(&mut board, "the disabled dispatcher's board").await;
    assert_reason(&status, Code::Unauthenticated, reason::TOKEN_INVALID);
    let status = ending(&mut following, "the disabled resident's visit").await;
    assert_reason(&status, Code::Unauthenticated, reason::TOKEN_INVALID);

    // Nor can either open a new one.
    let refused = on_second.watch_board(watch_board(&station, &station.dispatcher)).await;
    assert_reason(&refused.expect_err("refused"), Code::Unauthenticated, reason::TOKEN_INVALID);
}

async fn an_open_board_ends_when_its_token_expires(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let station = station(&app).await;
    let (resident, _, case_id) = resident_case(&app, &station, "13800000704").await;
    // A board opened with a token of the usual life, which outlasts the test.
    let mut lasting =
        client(app.channel().await).watch_board(watch_board(&station, &station.dispatcher)).await.unwrap().into_inner();
    // A replica on the same database issuing access tokens that last two seconds.
    let short = spawn_gateway(app.settings_with(|s| {
        s.auth.access_ttl_secs = 2;
        s.dispatch.stream_recheck_secs = 1;
    }))
    .await;
    let mut identity_client = identity::identity_service_client::IdentityServiceClient::new(short.channel().await);
    let login = identity::LoginRequest { login: station.dispatcher_login.clone(), password: PASSWORD.into() };
    let tokens = identity_client.login(login).await.expect("logs in").into_inner();
    let mut board = client(short.channel().await)
        .watch_board(watch_board(&station, &tokens.access_token))
        .await
        .expect("opens while the token is valid")
        .into_inner();
    let status = ending(&mut board, "the board of an expired token").await;
    assert_reason(&status, Code::Unauthenticated, reason::TOKEN_EXPIRED);

    // The other board still follows the date.
    let visit = client(app.channel().await)
        .request_home_visit(authed(visit_request(&case_id, 0), &resident))
        .await
        .expect("requests")
        .into_inner();
    let shown = tokio::time::timeout(DEADLINE, async {
        loop {
            let event = lasting.message().await.expect("still open").expect("not ended");
            if let Some(pb::board_event::Event::Visit(shown)) = event.event {
                return shown;
            }
        }
    })
    .await
    .expect("the new visit reaches the board of a valid session");
    assert_eq!(shown.id, visit.id);
}

async fn request_visit(
    dispatch: &mut DispatchServiceClient<Channel>,
    request: pb::RequestHomeVisitRequest,
    token: &str,
) -> Result<pb::HomeVisit, Status> {
    dispatch.request_home_visit(authed(request, token)).await.map(|r| r.into_inner())
}

async fn cancel_visit(dispatch: &mut DispatchServiceClient<Channel>, id: String, token: &str) {
    let request = pb::CancelHomeVisitRequest { visit_id: id, reason: "改期".into() };
    dispatch.cancel_home_visit(authed(request, token)).await.expect("cancels");
}

async fn a_residents_home_visit_requests_are_limited(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.dispatch.max_open_visits_per_resident = 2;
        s.dispatch.visit_requests_per_resident_per_hour = 4;
    })
    .await;
    let station = station(&app).await;
    let (resident, _, case_id) = resident_case(&app, &station, "13800000702").await;
    let d = &mut client(app.channel().await);

    // Two open visits at most.
    let first_request = visit_request(&case_id, 0);
    let first = request_visit(d, first_request.clone(), &resident).await.expect("the first");
    let second = request_visit(d, visit_request(&case_id, 1), &resident).await.expect("the second");
    let status = request_visit(d, visit_request(&case_id, 2), &resident).await.expect_err("a third open visit");
    assert_reason(&status, Code::FailedPrecondition, "TOO_MANY_OPEN_VISITS");

    // Cancelling frees a place, but not another request in the hour: four at most.
    cancel_visit(d, first.id.clone(), &resident).await;
    let third = request_visit(d, visit_request(&case_id, 3), &resident).await.expect("the third request");
    cancel_visit(d, second.id, &resident).await;
    request_visit(d, visit_request(&case_id, 4), &resident).await.expect("the fourth request");
    cancel_visit(d, third.id, &resident).await;
    let status = request_visit(d, visit_request(&case_id, 5), &resident).await.expect_err("a fifth in the hour");
    assert_reason(&status, Code::ResourceExhausted, reason::RATE_LIMITED);
    let retry = status.get_error_details().retry_info().and_then(|r| r.retry_delay).expect("a RetryInfo");
    assert!(retry > Duration::ZERO && retry <= Duration::from_secs(3600), "{retry:?}");

    // A retry of an answered request replays its answer and is not counted.
    let replayed = request_visit(d, first_request, &resident).await.expect("a retry replays");
    assert_eq!(replayed.id, first.id);

    // Another resident has limits of their own; the station's dispatcher is not limited.
    let (other, _, other_case) = resident_case(&app, &station, "13800000703").await;
    request_visit(d, visit_request(&other_case, 0), &other).await.expect("another resident");
    for i in 0..3 {
        request_visit(d, visit_request(&case_id, 10 + i), &station.dispatcher)
            .await
            .expect("the station's dispatcher requests for the case");
    }
}

async fn a_van_shift_with_a_huge_crew_is_refused_with_a_small_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let station = station(&app).await;
    let mut dispatch = client(app.channel().await);
    let van =
        pb::Van { plate: "浙B·M9001".into(), depot_site_id: station.id.clone(), seats: 6, ..Default::default() };
    let van = dispatch
        .register_van(authed(
            pb::RegisterVanRequest { request_id: new_request_id(), van: Some(van) },
            &station.dispatcher,
        ))
        .await
        .expect("registers")
        .into_inner();
    let day = visit_day();
    let shift = |crew: Vec<String>| pb::SetVanShiftRequest {
        van_id: van.id.clone(),
        date: Some(date(day)),
        start: Some(ts(local(day, 8))),
        end: Some(ts(local(day, 18))),
        crew_mediator_ids: crew,
    };

    let huge: Vec<String> = (0..100_000).map(|i| format!("m{i}")).collect();
    let status = dispatch
        .set_van_shift(authed(shift(huge), &station.dispatcher))
        .await
        .expect_err("a crew of 100,000 is refused");
    assert_reason(&status, Code::InvalidArgument, reason::VALIDATION);
    assert_eq!(violated_fields(&status), ["crew_mediator_ids"]);
    assert!(status.message().len() + status.details().len() < 4096, "{} bytes", status.details().len());

    // A crew larger than the van's seats is refused too, naming the field.
    let seven: Vec<String> = (0..7).map(|i| format!("m{i}")).collect();
    let status =
        dispatch.set_van_shift(authed(shift(seven), &station.dispatcher)).await.expect_err("more crew than seats");
    assert_eq!(violated_fields(&status), ["crew_mediator_ids"]);
}
