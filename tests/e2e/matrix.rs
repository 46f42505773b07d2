//! The authorization matrix: every RPC of the descriptor set, called by every kind of principal,
//! against the gateway's policy table; then own and foreign resources of every service, where
//! the service (not the gateway) decides.
//!
//! The role part sends each method an empty message (which decodes as the default request)
//! through a raw client, so a method added to a proto is called here without anyone writing a
//! line for it: one missing from `policy_table()` fails the test. A role the policy refuses must
//! get the gateway's UNAUTHENTICATED or PERMISSION_DENIED; a role it allows must get past the
//! gateway (usually to INVALID_ARGUMENT or NOT_FOUND, as the request is empty), and never an
//! INTERNAL or UNKNOWN. On failure the whole matrix is printed with the broken cells starred.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes};
use chrono::{DateTime, Datelike, DurationRound, NaiveDate, TimeDelta, Utc};
use mediation_api::appointments::v1 as appointments;
use mediation_api::directory::v1 as directory;
use mediation_api::dispatch::v1 as dispatch;
use mediation_api::google::r#type::LatLng;
use mediation_api::identity::v1 as identity;
use mediation_api::ratings::v1 as ratings;
use mediation_auth::{Access, Decision, Role};
use prost::Message;
use prost_types::FieldMask;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;
use tonic::{Code, Status};

use crate::common::*;

both_backends!(every_method_answers_every_principal_as_its_policy_and_resources_say);

// ---------------------------------------------------------------------------------------------
// A raw client

/// A codec that sends the bytes it is given as the message and hands back the reply's bytes
/// undecoded, so one client can call any method, with any body.
#[derive(Debug, Clone, Copy, Default)]
pub struct RawCodec;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }

    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

/// Calls `method` (`/package.Service/Method`) with `body` as the message, as `token`'s holder
/// (no token: anonymously). A server-streaming call counts as answered once its headers and
/// first message arrive, or once it has stayed open for a moment without failing.
pub async fn raw_call(
    channel: &Channel,
    method: &str,
    body: impl Into<Bytes>,
    token: Option<&str>,
    streaming: bool,
) -> Result<Bytes, Status> {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.map_err(|e| Status::unavailable(format!("the channel is not ready: {e}")))?;
    let mut request = tonic::Request::new(body.into());
    request.set_timeout(Duration::from_secs(20));
    if let Some(token) = token {
        request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    let path = http::uri::PathAndQuery::try_from(method.to_owned()).expect("a method path");
    if streaming {
        let mut stream = grpc.server_streaming(request, path, RawCodec).await?.into_inner();
        match tokio::time::timeout(Duration::from_millis(200), stream.message()).await {
            Ok(Err(status)) => Err(status),
            Ok(Ok(first)) => Ok(first.unwrap_or_default()),
            Err(_) => Ok(Bytes::new()),
        }
    } else {
        grpc.unary(request, path, RawCodec).await.map(|reply| reply.into_inner())
    }
}

/// Every method of the `mediation.*` packages in the descriptor set: (path, server-streaming).
pub fn api_methods() -> Vec<(String, bool)> {
    let set = prost_types::FileDescriptorSet::decode(mediation_api::FILE_DESCRIPTOR_SET).expect("the descriptor set");
    let mut methods = Vec::new();
    for file in set.file.iter().filter(|f| f.package().starts_with("mediation.")) {
        for service in &file.service {
            for method in &service.method {
                assert!(!method.client_streaming(), "no client-streaming methods are expected: {method:?}");
                let path = format!("/{}.{}/{}", file.package(), service.name(), method.name());
                methods.push((path, method.server_streaming()));
            }
        }
    }
    methods
}

/// The messages the gateway's auth layer answers with: a status carrying one of them came from
/// the gateway, not from a service.
const GATEWAY_MESSAGES: &[&str] =
    &[NO_POLICY, ROLE_REFUSED, TOKEN_NEEDED, "the access token is not valid", "the access token expired; refresh it"];
const NO_POLICY: &str = "this method has no access policy";
const ROLE_REFUSED: &str = "your role may not call this method";
const TOKEN_NEEDED: &str = "this call needs `authorization: Bearer <access token>`";

fn from_gateway(status: &Status) -> bool {
    matches!(status.code(), Code::Unauthenticated | Code::PermissionDenied)
        && GATEWAY_MESSAGES.contains(&status.message())
}

/// A short name for a status code, for the printed matrix.
fn short(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANC",
        Code::Unknown => "UNKN",
        Code::InvalidArgument => "INV",
        Code::DeadlineExceeded => "DEAD",
        Code::NotFound => "NF",
        Code::AlreadyExists => "AE",
        Code::PermissionDenied => "PD",
        Code::ResourceExhausted => "RE",
        Code::FailedPrecondition => "FP",
        Code::Aborted => "ABRT",
        Code::OutOfRange => "OOR",
        Code::Unimplemented => "UNIM",
        Code::Internal => "INT",
        Code::Unavailable => "UNAV",
        Code::DataLoss => "LOSS",
        Code::Unauthenticated => "UA",
    }
}

fn code_of<T>(result: &Result<T, Status>) -> Code {
    result.as_ref().err().map_or(Code::Ok, Status::code)
}

// ---------------------------------------------------------------------------------------------
// Principals

/// Everyone the matrix calls as. "Other" ones belong to station 2; the rest to station 1 (the
/// residents are nobody's staff; A owns the resources, B is a stranger to them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Who {
    Anonymous,
    Resident,
    OtherResident,
    Kiosk,
    Mediator,
    OtherMediator,
    Dispatcher,
    StationAdmin,
    OtherStationAdmin,
    CentreAdmin,
    /// Staff of the partner body (a PARTNER site) the world's task was sent to.
    PartnerStaff,
    /// Only in the own/foreign part: the kiosk of station 2.
    OtherKiosk,
}

impl Who {
    /// The columns of the role matrix.
    const MATRIX: [Who; 11] = [
        Who::Anonymous,
        Who::Resident,
        Who::OtherResident,
        Who::Kiosk,
        Who::Mediator,
        Who::OtherMediator,
        Who::Dispatcher,
        Who::StationAdmin,
        Who::OtherStationAdmin,
        Who::CentreAdmin,
        Who::PartnerStaff,
    ];

    pub(crate) fn role(self) -> Option<Role> {
        match self {
            Who::Anonymous => None,
            Who::Resident | Who::OtherResident => Some(Role::Resident),
            Who::Kiosk | Who::OtherKiosk => Some(Role::Kiosk),
            Who::Mediator | Who::OtherMediator => Some(Role::Mediator),
            Who::Dispatcher => Some(Role::Dispatcher),
            Who::StationAdmin | Who::OtherStationAdmin => Some(Role::StationAdmin),
            Who::CentreAdmin => Some(Role::CentreAdmin),
            Who::PartnerStaff => Some(Role::PartnerStaff),
        }
    }

    fn column(self) -> &'static str {
        match self {
            Who::Anonymous => "anon",
            Who::Resident => "res",
            Who::OtherResident => "res2",
            Who::Kiosk => "kiosk",
            Who::Mediator => "med",
            Who::OtherMediator => "med2",
            Who::Dispatcher => "disp",
            Who::StationAdmin => "sadm",
            Who::OtherStationAdmin => "sadm2",
            Who::CentreAdmin => "cadm",
            Who::PartnerStaff => "partnr",
            Who::OtherKiosk => "kiosk2",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The world

/// Two stations under a centre, each with a kiosk, a mediator, a station admin; station 1 also
/// has a dispatcher, a room, a van, and resident A's case with a completed and rated session, a
/// booked one and two home visits.
pub(crate) struct World {
    pub(crate) tokens: HashMap<Who, String>,
    pub(crate) centre: String,
    pub(crate) stations: [String; 2],
    pub(crate) kiosk_sites: [String; 2],
    /// The mediator profiles of station 1 and 2.
    pub(crate) mediators: [String; 2],
    pub(crate) room: String,
    pub(crate) case: String,
    pub(crate) booked: String,
    pub(crate) rating: String,
    /// The mediation agreement of A's settled session, drafted by station 1's mediator.
    pub(crate) agreement: String,
    pub(crate) visit: String,
    pub(crate) spare_visit: String,
    pub(crate) van: String,
    pub(crate) day: NaiveDate,
    pub(crate) period: ratings::Period,
    /// The account of station 1's dispatcher.
    pub(crate) dispatcher_account: String,
    /// The partner body (a PARTNER site) and a task sent to it for an escalated case of
    /// station 1.
    pub(crate) partner: String,
    pub(crate) task: String,
}

impl World {
    pub(crate) fn token(&self, who: Who) -> Option<&str> {
        self.tokens.get(&who).map(String::as_str)
    }
}

/// A station mediator at `station` who also visits homes, linked to a fresh MEDIATOR account
/// and working round the clock there; (profile id, token).
async fn mediator(app: &TestApp, admin: &str, station: &str, name: &str) -> (String, String) {
    let modes = [directory::MediationMode::InPerson, directory::MediationMode::HomeVisit];
    let profile = mediator_profile(name, directory::MediatorKind::StationMediator, station, &modes);
    let Staffed { id, login } = mediator_with_account(app, admin, profile).await;
    set_working_hours(app, admin, &id, station, weekly_rules(&EVERY_DAY, 0, 24)).await;
    (id, app.login(&login, PASSWORD).await.access_token)
}

/// A 45-minute home visit of `case` in the three hours from `from_hour`:00 local time on `day`,
/// at flat `from_hour`-101 of a compound a kilometre or so from station 1.
fn visit_request(case: &str, day: NaiveDate, from_hour: u32) -> dispatch::RequestHomeVisitRequest {
    dispatch::RequestHomeVisitRequest {
        address: format!("宁波市鄞州区中河街道某小区{from_hour}幢101室"),
        location: Some(LatLng { latitude: ZHONGHE.0 + 0.01, longitude: ZHONGHE.1 + 0.01 }),
        ..home_visit(case, day, from_hour, from_hour + 3)
    }
}

pub(crate) async fn world(app: &TestApp) -> World {
    let admin = app.centre_admin().await.access_token;
    let (centre, [s1, s2], [k1, k2]) = app.located_district(&admin).await;

    // Accounts hash passwords, which takes a while: make them side by side.
    let ((m1, mediator_1), (m2, mediator_2), resident, other_resident, kiosk_1, kiosk_2) = tokio::join!(
        mediator(app, &admin, &s1, "王建国"),
        mediator(app, &admin, &s2, "李秀英"),
        app.resident("13800000801"),
        app.resident("13800000802"),
        kiosk(app, &admin, &k1),
        kiosk(app, &admin, &k2),
    );
    let partner = app.site(&admin, directory::SiteKind::Partner, &centre, "鄞州区人民法院").await;
    let (dispatcher, station_admin, other_station_admin, partner_staff) = tokio::join!(
        staff(app, &admin, identity::Role::Dispatcher, &s1),
        staff(app, &admin, identity::Role::StationAdmin, &s1),
        staff(app, &admin, identity::Role::StationAdmin, &s2),
        staff(app, &admin, identity::Role::PartnerStaff, &partner),
    );
    let mut tokens = HashMap::from([
        (Who::Resident, resident.access_token),
        (Who::OtherResident, other_resident.access_token),
        (Who::Kiosk, kiosk_1),
        (Who::OtherKiosk, kiosk_2),
        (Who::Mediator, mediator_1),
        (Who::OtherMediator, mediator_2),
        (Who::Dispatcher, dispatcher),
        (Who::StationAdmin, station_admin),
        (Who::OtherStationAdmin, other_station_admin),
        (Who::PartnerStaff, partner_staff),
    ]);
    tokens.insert(Who::CentreAdmin, admin.clone());

    let room = mediation_room(app, &admin, &s1).await;

    // Resident A's case, a session completed and rated, and a session still booked.
    let resident = tokens[&Who::Resident].clone();
    let case = new_case(&s1, appointments::CaseOrigin::App, "13800000801", ordinary());
    let case = create_case(app, &resident, case).await.id;
    let mut client = app.appointments().await;
    let first = (Utc::now() + TimeDelta::minutes(90)).duration_trunc(TimeDelta::hours(1)).unwrap();
    let booking = |start: DateTime<Utc>| appointments::BookAppointmentRequest {
        request_id: new_request_id(),
        case_id: case.clone(),
        start: Some(ts(start)),
        end: Some(ts(start + TimeDelta::hours(1))),
        mediator_ids: vec![m1.clone()],
        room_id: room.clone(),
        mode: directory::MediationMode::InPerson.into(),
    };
    let done = client.book_appointment(authed(booking(first), &resident)).await.expect("books").into_inner().id;
    let later = first + TimeDelta::hours(1);
    let booked = client.book_appointment(authed(booking(later), &resident)).await.expect("books").into_inner().id;
    let check_in = appointments::CheckInRequest { appointment_id: done.clone(), ..Default::default() };
    session_time_has_come(app, &done).await;
    client.check_in(authed(check_in, &admin)).await.expect("checks in");
    let outcome = appointments::Outcome {
        result: appointments::OutcomeResult::Settled.into(),
        agreement_summary: "双方当面沟通。".into(),
        referred_to: String::new(),
    };
    let complete = appointments::CompleteAppointmentRequest {
        appointment_id: done.clone(),
        outcome: Some(outcome),
        ..Default::default()
    };
    client.complete_appointment(authed(complete, &admin)).await.expect("completes");
    let draft = appointments::DraftAgreementRequest {
        request_id: new_request_id(),
        case_id: case.clone(),
        terms: vec![appointments::AgreementTerm {
            party_position: 1,
            obligation: "修复漏水管道".into(),
            due: Some(ts(Utc::now() + TimeDelta::days(7))),
        }],
        performance_deadline: Some(ts(Utc::now() + TimeDelta::days(14))),
        facts: String::new(),
    };
    let agreement =
        client.draft_agreement(authed(draft, &tokens[&Who::Mediator])).await.expect("drafts").into_inner().id;
    // The kiosk checks the later session in below: its time has come too.
    session_time_has_come(app, &booked).await;
    let rating = ratings::SubmitRatingRequest {
        appointment_id: done,
        scores: Some(ratings::Scores { overall: 5, fairness: 4, professionalism: 5, timeliness: 3 }),
        comment: "很耐心。".into(),
        mediator_id: String::new(),
        request_id: new_request_id(),
        home_visit_id: String::new(),
    };
    let rating = app.ratings().await.submit_rating(authed(rating, &resident)).await.expect("rates").into_inner().id;

    // Two home visits of A's case three days from now, and a van at station 1.
    let day = days_ahead(3);
    let mut dispatch_client = app.dispatch().await;
    let visit = visit_request(&case, day, 9);
    let visit = dispatch_client.request_home_visit(authed(visit, &resident)).await.expect("requests").into_inner().id;
    let spare = visit_request(&case, day, 13);
    let spare_visit =
        dispatch_client.request_home_visit(authed(spare, &resident)).await.expect("requests").into_inner().id;
    let van = register_van(app, &tokens[&Who::Dispatcher], "浙B·M0001", &s1).await;

    // A walk-in case of station 1 escalated to the centre, and a task for it at the partner.
    let station_admin = &tokens[&Who::StationAdmin];
    let escalated = new_case(&s1, appointments::CaseOrigin::WalkIn, "13800000803", ordinary());
    let escalated = create_case(app, station_admin, escalated).await.id;
    let escalate = appointments::EscalateCaseRequest { case_id: escalated.clone(), reason: "需法院协助".into() };
    client.escalate_case(authed(escalate, station_admin)).await.expect("escalates");
    let dispatch = appointments::DispatchTaskRequest {
        request_id: new_request_id(),
        case_id: escalated,
        assignee_site_id: partner.clone(),
        due_at: Some(ts(Utc::now() + TimeDelta::days(3))),
        instructions: "请出具法律意见。".into(),
    };
    let task = client.dispatch_task(authed(dispatch, &admin)).await.expect("dispatches").into_inner().id;

    let now = Utc::now().with_timezone(&shanghai());
    let dispatcher_account = account_id(app, &tokens[&Who::Dispatcher]).await;
    World {
        tokens,
        centre,
        stations: [s1, s2],
        kiosk_sites: [k1, k2],
        mediators: [m1, m2],
        room,
        case,
        booked,
        rating,
        agreement,
        visit,
        spare_visit,
        van,
        day,
        period: ratings::Period { year: now.year(), month: now.month() as i32, quarter: 0 },
        dispatcher_account,
        partner,
        task,
    }
}

// ---------------------------------------------------------------------------------------------
// The role matrix

/// What a cell should be, from the policy; `None` when the method has no policy at all.
fn expected(access: Option<Access>, who: Who) -> Option<Decision> {
    access.map(|a| a.decide(who.role()))
}

/// Why a cell is wrong, if it is.
fn judge(access: Option<Access>, who: Who, result: &Result<Bytes, Status>) -> Option<String> {
    let Some(decision) = expected(access, who) else {
        return Some("the method is missing from policy_table()".into());
    };
    let status = result.as_ref().err();
    match decision {
        Decision::Unauthenticated => match status {
            Some(s) if s.code() == Code::Unauthenticated && s.message() == TOKEN_NEEDED => None,
            _ => Some(format!("should be UNAUTHENTICATED from the gateway, got {result:?}")),
        },
        Decision::Forbidden => match status {
            Some(s) if s.code() == Code::PermissionDenied && s.message() == ROLE_REFUSED => None,
            _ => Some(format!("should be PERMISSION_DENIED from the gateway, got {result:?}")),
        },
        Decision::Allow => match status {
            Some(s) if from_gateway(s) => Some(format!("the policy allows it but the gateway refused: {s:?}")),
            Some(s) if matches!(s.code(), Code::Internal | Code::Unknown) => {
                Some(format!("a decodable (empty) request must not get {:?}: {s:?}", s.code()))
            }
            _ => None,
        },
    }
}

/// The matrix as a table, one row a method, broken cells starred, then what broke.
/// A row of the matrix: each principal's code and, for a broken cell, what is wrong.
type Row = Vec<(Who, Code, Option<String>)>;

fn render(cells: &BTreeMap<String, Row>) -> String {
    let width = cells.keys().map(|m| m.len()).max().unwrap_or(0);
    let mut out = format!("{:width$}", "method");
    for who in Who::MATRIX {
        let _ = write!(out, " {:>6}", who.column());
    }
    out.push('\n');
    let mut broken = Vec::new();
    for (method, row) in cells {
        let _ = write!(out, "{method:width$}");
        for (who, code, problem) in row {
            let star = if problem.is_some() { "*" } else { "" };
            let _ = write!(out, " {:>6}", format!("{}{star}", short(*code)));
            if let Some(problem) = problem {
                broken.push(format!("{method} as {}: {problem}", who.column()));
            }
        }
        out.push('\n');
    }
    out.push_str("\nbroken cells:\n");
    for line in broken {
        let _ = writeln!(out, "  {line}");
    }
    out
}

/// How many calls the tests keep in flight at once.
pub const IN_FLIGHT: usize = 32;

async fn role_matrix(app: &TestApp, w: &World) -> Result<(), String> {
    let policy = mediation_gateway::policy_table();
    let channel = app.channel().await;
    let methods = api_methods();
    assert!(methods.len() >= 60, "the descriptor set lists every mediation.* method: {}", methods.len());
    // Every cell at once, a bounded number in flight.
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let mut calls = tokio::task::JoinSet::new();
    for (row, (path, streaming)) in methods.iter().enumerate() {
        for (column, who) in Who::MATRIX.into_iter().enumerate() {
            let (channel, path, token) = (channel.clone(), path.clone(), w.token(who).map(str::to_owned));
            let (limit, streaming) = (limit.clone(), *streaming);
            calls.spawn(async move {
                let _permit = limit.acquire_owned().await.unwrap();
                (row, column, raw_call(&channel, &path, Bytes::new(), token.as_deref(), streaming).await)
            });
        }
    }
    let mut cells: BTreeMap<String, Row> = BTreeMap::new();
    let mut answers = HashMap::new();
    while let Some(joined) = calls.join_next().await {
        let (row, column, result) = joined.expect("the call's task");
        answers.insert((row, column), result);
    }
    let mut failed = false;
    for (row, (path, _)) in methods.iter().enumerate() {
        let access = policy.get(path.as_str()).copied();
        let cells_of_row = Who::MATRIX
            .into_iter()
            .enumerate()
            .map(|(column, who)| {
                let result = &answers[&(row, column)];
                let problem = judge(access, who, result);
                failed |= problem.is_some();
                (who, code_of(result), problem)
            })
            .collect();
        cells.insert(path.trim_start_matches("/mediation.").to_owned(), cells_of_row);
    }
    let stale: Vec<_> = policy.keys().filter(|p| !methods.iter().any(|(m, _)| m == *p)).collect();
    if failed || !stale.is_empty() {
        let mut table = render(&cells);
        for path in stale {
            let _ = writeln!(table, "  {path} is in policy_table() but not in the descriptor set");
        }
        return Err(table);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Own and foreign resources

/// Each service's method path prefix, for [`raw_call`].
pub(crate) const IDENTITY: &str = "/mediation.identity.v1.IdentityService/";
pub(crate) const DIRECTORY: &str = "/mediation.directory.v1.DirectoryService/";
pub(crate) const APPOINTMENTS: &str = "/mediation.appointments.v1.AppointmentService/";
pub(crate) const RATINGS: &str = "/mediation.ratings.v1.RatingService/";
pub(crate) const DISPATCH: &str = "/mediation.dispatch.v1.DispatchService/";

/// A resource-level expectation: the call succeeds, or fails with this code from the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Allowed,
    Denied(Code),
}

use Expect::{Allowed, Denied};

const HIDDEN: Expect = Denied(Code::NotFound);
const REFUSED: Expect = Denied(Code::PermissionDenied);

/// One resource, one method, and who may (not) use it, in the order they are called.
struct Check {
    what: String,
    method: String,
    body: Vec<u8>,
    streaming: bool,
    cases: Vec<(Who, Expect)>,
}

fn check(what: &str, service: &str, method: &str, message: impl Message, cases: &[(Who, Expect)]) -> Check {
    Check {
        what: what.into(),
        method: format!("{service}{method}"),
        body: message.encode_to_vec(),
        streaming: false,
        cases: cases.to_vec(),
    }
}

fn streaming(mut c: Check) -> Check {
    c.streaming = true;
    c
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask { paths: paths.iter().map(|p| p.to_string()).collect() })
}

/// The resource-level checks; each row's callers are allowed past the gateway by the role
/// policy, so any denial comes from the service. Writes come after the reads they would spoil.
fn own_and_foreign(w: &World) -> Vec<Check> {
    use Who::*;
    let [s1, _] = &w.stations;
    let [k1, _] = &w.kiosk_sites;
    let [m1, _] = &w.mediators;
    let case = || w.case.clone();
    let visit = || w.visit.clone();
    vec![
        // A resident's case and what hangs off it: private, so NOT_FOUND to strangers.
        check(
            "A's case",
            APPOINTMENTS,
            "GetCase",
            appointments::GetCaseRequest { id: case() },
            &[
                (OtherResident, HIDDEN),
                (OtherMediator, HIDDEN),
                (OtherStationAdmin, HIDDEN),
                (OtherKiosk, HIDDEN),
                (Kiosk, HIDDEN),
                (Resident, Allowed),
                (Mediator, Allowed),
                (Dispatcher, Allowed),
                (StationAdmin, Allowed),
                (CentreAdmin, Allowed),
            ],
        ),
        check(
            "A's case",
            APPOINTMENTS,
            "ListCaseEvents",
            appointments::ListCaseEventsRequest { case_id: case(), ..Default::default() },
            &[(OtherResident, HIDDEN), (OtherMediator, HIDDEN), (Resident, Allowed), (StationAdmin, Allowed)],
        ),
        check(
            "A's case",
            APPOINTMENTS,
            "ListMessages",
            appointments::ListMessagesRequest { case_id: case(), ..Default::default() },
            &[(OtherResident, HIDDEN), (OtherMediator, HIDDEN), (OtherStationAdmin, HIDDEN), (Resident, Allowed)],
        ),
        check(
            "A's agreement",
            APPOINTMENTS,
            "GetAgreement",
            appointments::GetAgreementRequest { id: w.agreement.clone(), ..Default::default() },
            &[
                (OtherResident, HIDDEN),
                (OtherMediator, HIDDEN),
                (OtherStationAdmin, HIDDEN),
                (Resident, Allowed),
                (Mediator, Allowed),
                (Dispatcher, Allowed),
                (StationAdmin, Allowed),
                (CentreAdmin, Allowed),
            ],
        ),
        check(
            "A's agreement",
            APPOINTMENTS,
            "ExportAgreement",
            appointments::ExportAgreementRequest { id: w.agreement.clone() },
            &[(OtherResident, HIDDEN), (OtherStationAdmin, HIDDEN), (Resident, Allowed), (Mediator, Allowed)],
        ),
        check(
            "A's agreement",
            APPOINTMENTS,
            "SignAgreement",
            appointments::SignAgreementRequest { agreement_id: w.agreement.clone(), code: "000000".into() },
            // A, a party, gets past every check but the code (none was sent).
            &[(OtherResident, HIDDEN), (Resident, Denied(Code::FailedPrecondition))],
        ),
        check(
            "A's case",
            APPOINTMENTS,
            "RecordFollowUp",
            appointments::RecordFollowUpRequest {
                case_id: case(),
                result: appointments::FollowUpResult::Kept.into(),
                note: String::new(),
            },
            // Nothing is signed yet: a party or the station gets as far as that.
            &[
                (OtherResident, HIDDEN),
                (OtherMediator, HIDDEN),
                (OtherStationAdmin, HIDDEN),
                (Resident, Denied(Code::FailedPrecondition)),
                (StationAdmin, Denied(Code::FailedPrecondition)),
            ],
        ),
        check(
            "A's case",
            APPOINTMENTS,
            "DraftAgreement",
            appointments::DraftAgreementRequest {
                request_id: new_request_id(),
                case_id: case(),
                terms: vec![appointments::AgreementTerm {
                    party_position: 0,
                    obligation: "配合查看管道".into(),
                    due: Some(ts(Utc::now() + TimeDelta::days(7))),
                }],
                performance_deadline: Some(ts(Utc::now() + TimeDelta::days(14))),
                facts: String::new(),
            },
            &[(OtherMediator, HIDDEN), (OtherStationAdmin, HIDDEN), (Mediator, Allowed), (StationAdmin, Allowed)],
        ),
        check(
            "A's agreement",
            APPOINTMENTS,
            "VoidAgreement",
            appointments::VoidAgreementRequest { agreement_id: w.agreement.clone(), reason: "重新拟定".into() },
            &[(OtherStationAdmin, HIDDEN), (StationAdmin, Allowed)],
        ),
        check(
            "A's case",
            APPOINTMENTS,
            "PostMessage",
            appointments::PostMessageRequest {
                case_id: case(), body: "请问几点到？".into(), ..Default::default()
            },
            &[(OtherResident, HIDDEN), (OtherMediator, HIDDEN), (Resident, Allowed), (Mediator, Allowed)],
        ),
        check(
            "A's appointment",
            APPOINTMENTS,
            "GetAppointment",
            appointments::GetAppointmentRequest { id: w.booked.clone() },
            &[
                (OtherResident, HIDDEN),
                (OtherMediator, HIDDEN),
                (OtherStationAdmin, HIDDEN),
                (OtherKiosk, HIDDEN),
                (Kiosk, HIDDEN),
                (Resident, Allowed),
                (Mediator, Allowed),
                (StationAdmin, Allowed),
            ],
        ),
        check(
            "A's appointment",
            APPOINTMENTS,
            "CancelAppointment",
            appointments::CancelAppointmentRequest {
                appointment_id: w.booked.clone(),
                reason: "恶作剧".into(),
                ..Default::default()
            },
            &[(OtherResident, HIDDEN), (OtherMediator, HIDDEN), (OtherKiosk, HIDDEN)],
        ),
        check(
            "A's appointment",
            APPOINTMENTS,
            "MarkNoShow",
            appointments::MarkNoShowRequest { appointment_id: w.booked.clone(), ..Default::default() },
            &[(OtherKiosk, HIDDEN), (OtherMediator, HIDDEN), (OtherStationAdmin, HIDDEN)],
        ),
        check(
            "A's case",
            APPOINTMENTS,
            "OverrideGrade",
            appointments::OverrideGradeRequest {
                case_id: case(),
                grade: appointments::Grade::Ordinary.into(),
                reason: "复核后维持".into(),
            },
            &[(OtherMediator, HIDDEN), (OtherStationAdmin, HIDDEN), (StationAdmin, Allowed)],
        ),
        check(
            "station 1's mediator",
            APPOINTMENTS,
            "SetWorkingHours",
            appointments::SetWorkingHoursRequest {
                mediator_id: m1.clone(),
                site_id: s1.clone(),
                rules: weekly_rules(&EVERY_DAY, 0, 24),
                effective_from: None,
                effective_to: None,
            },
            &[(OtherMediator, REFUSED), (OtherStationAdmin, REFUSED), (Mediator, Allowed), (StationAdmin, Allowed)],
        ),
        check(
            "station 1's figures",
            APPOINTMENTS,
            "GetStatistics",
            appointments::GetStatisticsRequest {
                site_id: s1.clone(),
                mediator_id: String::new(),
                from: Some(ts(Utc::now() - TimeDelta::days(30))),
                to: Some(ts(Utc::now() + TimeDelta::days(30))),
            },
            &[(OtherStationAdmin, REFUSED), (OtherMediator, REFUSED), (StationAdmin, Allowed), (CentreAdmin, Allowed)],
        ),
        // The whistle: a station escalates its own cases; a task is answered by its assignee
        // only, and unknown to other sites; a partner lists only its own site's tasks.
        check(
            "A's case",
            APPOINTMENTS,
            "EscalateCase",
            appointments::EscalateCaseRequest { case_id: case(), reason: "需要律师协助".into() },
            &[(OtherStationAdmin, HIDDEN), (OtherMediator, HIDDEN), (StationAdmin, Allowed)],
        ),
        check(
            "the partner's task",
            APPOINTMENTS,
            "AcknowledgeTask",
            appointments::AcknowledgeTaskRequest { task_id: w.task.clone() },
            &[(StationAdmin, HIDDEN), (OtherMediator, HIDDEN), (PartnerStaff, Allowed)],
        ),
        check(
            "the partner's task",
            APPOINTMENTS,
            "ReportTask",
            appointments::ReportTaskRequest {
                task_id: w.task.clone(),
                result: appointments::TaskResult::Done.into(),
                note: String::new(),
            },
            &[(OtherStationAdmin, HIDDEN), (Mediator, HIDDEN), (PartnerStaff, Allowed)],
        ),
        check(
            "the partner's tasks",
            APPOINTMENTS,
            "ListTasks",
            appointments::ListTasksRequest {
                filter: Some(appointments::TaskFilter { site_id: w.partner.clone(), ..Default::default() }),
                ..Default::default()
            },
            &[(StationAdmin, REFUSED), (Mediator, REFUSED), (PartnerStaff, Allowed), (CentreAdmin, Allowed)],
        ),
        check(
            "A's appointment",
            APPOINTMENTS,
            "CheckIn",
            appointments::CheckInRequest { appointment_id: w.booked.clone(), ..Default::default() },
            &[(OtherKiosk, HIDDEN), (OtherMediator, HIDDEN), (Kiosk, Allowed)],
        ),
        // A staff account's site: station 2's admin may not manage station 1.
        check(
            "station 1",
            DIRECTORY,
            "UpdateSite",
            directory::UpdateSiteRequest {
                site: Some(directory::Site { id: s1.clone(), name: "中河派出所".into(), ..Default::default() }),
                update_mask: mask(&["name"]),
            },
            &[(OtherStationAdmin, REFUSED), (StationAdmin, Allowed)],
        ),
        check(
            "station 1",
            DIRECTORY,
            "CreateRoom",
            directory::CreateRoomRequest {
                request_id: new_request_id(),
                room: Some(directory::Room {
                    site_id: s1.clone(),
                    name: "视频调解室".into(),
                    kind: directory::RoomKind::Video.into(),
                    ..Default::default()
                }),
            },
            &[(OtherStationAdmin, REFUSED), (StationAdmin, Allowed)],
        ),
        check(
            "station 1's room",
            DIRECTORY,
            "UpdateRoom",
            directory::UpdateRoomRequest {
                room: Some(directory::Room {
                    id: w.room.clone(), name: "第一调解室".into(), ..Default::default()
                }),
                update_mask: mask(&["name"]),
            },
            &[(OtherStationAdmin, REFUSED), (StationAdmin, Allowed)],
        ),
        check(
            "station 1's mediator",
            DIRECTORY,
            "UpdateMediator",
            directory::UpdateMediatorRequest {
                mediator: Some(directory::Mediator {
                    id: m1.clone(), bio: "调解多年。".into(), ..Default::default()
                }),
                update_mask: mask(&["bio"]),
            },
            &[(OtherStationAdmin, REFUSED), (StationAdmin, Allowed)],
        ),
        check(
            "station 1's mediator",
            DIRECTORY,
            "SetMediatorActive",
            directory::SetMediatorActiveRequest { id: m1.clone(), active: Some(true) },
            &[(OtherStationAdmin, REFUSED), (StationAdmin, Allowed)],
        ),
        check(
            "station 1",
            IDENTITY,
            "CreateStaffAccount",
            identity::CreateStaffAccountRequest {
                request_id: new_request_id(),
                login: format!("staff.{}", uuid::Uuid::new_v4().simple()),
                password: PASSWORD.into(),
                role: identity::Role::Dispatcher.into(),
                site_id: s1.clone(),
                display_name: "调度员".into(),
            },
            &[(OtherStationAdmin, REFUSED), (StationAdmin, Allowed)],
        ),
        // Enabling an enabled account changes nothing but is checked like disabling it.
        check(
            "station 1's dispatcher",
            IDENTITY,
            "SetAccountDisabled",
            identity::SetAccountDisabledRequest {
                account_id: w.dispatcher_account.clone(),
                disabled: Some(false),
                reason: String::new(),
            },
            &[(OtherStationAdmin, REFUSED), (StationAdmin, Allowed), (CentreAdmin, Allowed)],
        ),
        check(
            "station 1's kiosk",
            IDENTITY,
            "ProvisionKiosk",
            identity::ProvisionKioskRequest {
                request_id: new_request_id(),
                site_id: k1.clone(),
                name: "二号机".into(),
            },
            &[(OtherStationAdmin, REFUSED), (StationAdmin, Allowed)],
        ),
        // Ratings and assessments: the mediator and their site's admins read an assessment.
        check(
            "station 1's mediator",
            RATINGS,
            "GetAssessment",
            ratings::GetAssessmentRequest { mediator_id: m1.clone(), period: Some(w.period) },
            &[(OtherMediator, REFUSED), (OtherStationAdmin, REFUSED), (Mediator, Allowed), (StationAdmin, Allowed)],
        ),
        check(
            "station 1",
            RATINGS,
            "ListAssessments",
            ratings::ListAssessmentsRequest { site_id: s1.clone(), period: Some(w.period), ..Default::default() },
            &[(OtherStationAdmin, REFUSED), (StationAdmin, Allowed)],
        ),
        check(
            "station 1",
            RATINGS,
            "ExportAssessments",
            ratings::ExportAssessmentsRequest { site_id: s1.clone(), period: Some(w.period) },
            &[(OtherStationAdmin, REFUSED), (StationAdmin, Allowed)],
        ),
        check(
            "A's rating",
            RATINGS,
            "UpdateRating",
            ratings::UpdateRatingRequest {
                rating_id: w.rating.clone(),
                scores: Some(ratings::Scores { overall: 4, fairness: 4, professionalism: 4, timeliness: 4 }),
                comment: "想了想，还行。".into(),
            },
            &[(OtherResident, REFUSED), (Resident, Allowed)],
        ),
        check(
            "A's rating",
            RATINGS,
            "HideRating",
            ratings::HideRatingRequest { rating_id: w.rating.clone(), reason: "含个人信息".into() },
            &[(OtherStationAdmin, REFUSED), (StationAdmin, Allowed)],
        ),
        // A home visit: private like its case; a station's vans and board are its dispatchers'.
        check(
            "A's home visit",
            DISPATCH,
            "GetHomeVisit",
            dispatch::GetHomeVisitRequest { id: visit() },
            &[
                (OtherResident, HIDDEN),
                (OtherMediator, HIDDEN),
                (OtherStationAdmin, HIDDEN),
                (Resident, Allowed),
                (Dispatcher, Allowed),
                (StationAdmin, Allowed),
            ],
        ),
        streaming(check(
            "A's home visit",
            DISPATCH,
            "WatchVisit",
            dispatch::WatchVisitRequest { visit_id: visit() },
            &[(OtherResident, HIDDEN), (Resident, Allowed)],
        )),
        check(
            "A's home visit",
            DISPATCH,
            "UpdateVisitStatus",
            dispatch::UpdateVisitStatusRequest {
                visit_id: visit(),
                status: dispatch::VisitStatus::EnRoute.into(),
                note: String::new(),
                ..Default::default()
            },
            &[(OtherMediator, HIDDEN), (OtherStationAdmin, HIDDEN)],
        ),
        check(
            "A's case",
            DISPATCH,
            "SuggestVisitWindows",
            dispatch::SuggestVisitWindowsRequest {
                case_id: case(),
                date_from: Some(date(w.day)),
                date_to: Some(date(w.day)),
                duration: Some(prost_types::Duration { seconds: 45 * 60, nanos: 0 }),
                location: Some(LatLng { latitude: ZHONGHE.0 + 0.01, longitude: ZHONGHE.1 }),
                ..Default::default()
            },
            &[
                (OtherResident, HIDDEN),
                (OtherMediator, HIDDEN),
                (OtherStationAdmin, HIDDEN),
                (Kiosk, HIDDEN),
                (Resident, Allowed),
                (StationAdmin, Allowed),
            ],
        ),
        // A tracking link is for whoever holds its token; a token that names no visit is
        // NOT_FOUND whoever asks.
        check(
            "no visit's tracking link",
            DISPATCH,
            "GetVisitByTrackingToken",
            dispatch::GetVisitByTrackingTokenRequest {
                token: "dGhpcyBpcyBub3QgYSB0cmFja2luZyB0b2tlbiBhdCBhbGw".into(),
            },
            &[(OtherResident, HIDDEN), (Resident, HIDDEN), (Kiosk, HIDDEN), (CentreAdmin, HIDDEN)],
        ),
        check(
            "A's home visit",
            DISPATCH,
            "AssignVisit",
            dispatch::AssignVisitRequest { visit_id: visit(), van_id: w.van.clone(), position: 0 },
            &[(OtherStationAdmin, HIDDEN)],
        ),
        check(
            "station 1's van",
            DISPATCH,
            "ListShifts",
            dispatch::ListShiftsRequest {
                van_id: w.van.clone(),
                date_from: Some(date(w.day)),
                date_to: Some(date(w.day + TimeDelta::days(1))),
            },
            &[(OtherStationAdmin, REFUSED), (OtherMediator, REFUSED), (Mediator, Allowed), (Dispatcher, Allowed)],
        ),
        check(
            "station 1's van",
            DISPATCH,
            "SetVanStatus",
            dispatch::SetVanStatusRequest { van_id: w.van.clone(), status: dispatch::VanStatus::Available.into() },
            &[(OtherStationAdmin, REFUSED), (Dispatcher, Allowed)],
        ),
        check(
            "station 1",
            DISPATCH,
            "RegisterVan",
            dispatch::RegisterVanRequest {
                request_id: new_request_id(),
                van: Some(dispatch::Van {
                    plate: "浙B·M0002".into(),
                    depot_site_id: s1.clone(),
                    seats: 4,
                    ..Default::default()
                }),
            },
            &[(OtherStationAdmin, REFUSED), (Dispatcher, Allowed)],
        ),
        check(
            "station 1",
            DISPATCH,
            "ProposePlan",
            dispatch::ProposePlanRequest {
                date: Some(date(w.day)),
                station_id: s1.clone(),
                time_limit: Some(prost_types::Duration { seconds: 0, nanos: 300_000_000 }),
                ..Default::default()
            },
            &[(OtherStationAdmin, REFUSED), (Dispatcher, Allowed)],
        ),
        streaming(check(
            "station 1",
            DISPATCH,
            "WatchBoard",
            dispatch::WatchBoardRequest { date: Some(date(w.day)), station_id: s1.clone() },
            &[(OtherStationAdmin, REFUSED), (Dispatcher, Allowed)],
        )),
        check(
            "A's other home visit",
            DISPATCH,
            "CancelHomeVisit",
            dispatch::CancelHomeVisitRequest { visit_id: w.spare_visit.clone(), reason: "已协商解决".into() },
            &[(OtherResident, HIDDEN), (OtherMediator, HIDDEN), (OtherStationAdmin, HIDDEN), (Resident, Allowed)],
        ),
    ]
}

/// Runs the checks: first every denial at once (a denied call changes nothing), then the
/// allowed calls one by one in the order listed, as some of them change what later ones see.
async fn resource_checks(app: &TestApp, w: &World) -> Result<(), String> {
    let policy = mediation_gateway::policy_table();
    let channel = app.channel().await;
    let checks = own_and_foreign(w);
    let mut denials = tokio::task::JoinSet::new();
    let mut answers = HashMap::new();
    for (row, c) in checks.iter().enumerate() {
        let access = policy.get(c.method.as_str()).copied();
        for (case, (who, expect)) in c.cases.iter().enumerate() {
            assert_eq!(
                expected(access, *who),
                Some(Decision::Allow),
                "{} as {who:?}: the role policy must let the caller through for a resource check",
                c.method
            );
            let call = (channel.clone(), c.method.clone(), c.body.clone(), w.token(*who).map(str::to_owned));
            if let Denied(_) = expect {
                let streaming = c.streaming;
                denials.spawn(async move {
                    let (channel, method, body, token) = call;
                    ((row, case), raw_call(&channel, &method, body, token.as_deref(), streaming).await)
                });
            }
        }
    }
    while let Some(joined) = denials.join_next().await {
        let (at, result) = joined.expect("the call's task");
        answers.insert(at, result);
    }
    for (row, c) in checks.iter().enumerate() {
        for (case, (who, expect)) in c.cases.iter().enumerate() {
            if *expect == Allowed {
                let result = raw_call(&channel, &c.method, c.body.clone(), w.token(*who), c.streaming).await;
                answers.insert((row, case), result);
            }
        }
    }

    let mut table = String::new();
    let mut failed = false;
    for (row, c) in checks.iter().enumerate() {
        for (case, (who, expect)) in c.cases.iter().enumerate() {
            let result = &answers[&(row, case)];
            let ok = match (expect, result) {
                (Allowed, Ok(_)) => true,
                (Denied(code), Err(status)) => status.code() == *code && !from_gateway(status),
                _ => false,
            };
            failed |= !ok;
            let got = match result {
                Ok(_) => "OK".to_owned(),
                Err(status) => format!("{:?} {:?}", status.code(), status.message()),
            };
            let method = c.method.rsplit('/').next().unwrap_or_default();
            let _ = writeln!(
                table,
                "{} {:<18} {:<22} {:<7} expected {:<26} got {got}",
                if ok { " " } else { "*" },
                method,
                c.what,
                who.column(),
                format!("{expect:?}"),
            );
        }
    }
    if failed { Err(table) } else { Ok(()) }
}

async fn every_method_answers_every_principal_as_its_policy_and_resources_say(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.appointments.min_notice_minutes = 0).await;
    let w = world(&app).await;
    let roles = role_matrix(&app, &w).await;
    let resources = resource_checks(&app, &w).await;
    let mut report = String::new();
    if let Err(table) = &roles {
        let _ = writeln!(report, "role matrix (cell: the code answered; * = not what the policy says):\n{table}");
    }
    if let Err(table) = &resources {
        let _ = writeln!(report, "own/foreign resources (* = wrong):\n{table}");
    }
    assert!(report.is_empty(), "\n{report}");
}
