//! Crash safety (issue #9, item 1). The real `mediation` binary serves concurrent bookings and
//! cancellations and is killed with SIGKILL at a random moment, ten times in a row, each time
//! restarted on the same database. After every restart:
//!
//! - every acknowledged booking is stored under the id it was acknowledged with, CANCELLED when
//!   its cancellation was acknowledged, and a re-sent acknowledged request replays that id;
//! - no mediator and no room holds two live appointments that overlap;
//! - no refused request left anything behind, and no appointment exists that nobody asked for;
//! - every unacknowledged request, retried with its own `request_id`, makes at most one booking:
//!   it replays the booking its first attempt committed, or books once, or answers SLOT_TAKEN
//!   when (and only when) its first attempt left nothing.
//!
//! Every booking request asks for a (case, start) pair no other request uses, so the
//! appointments one request made are exactly those with its case and start: that is how they
//! are counted.
//!
//! Runs on SQLite, and on PostgreSQL when `MEDIATION_TEST_POSTGRES_URL` is set. The requests
//! come from a seeded generator (`CRASH_SEED=<n>` repeats a run's choices; the kill moments
//! depend on timing). The server's log is kept in a temporary folder and its tail printed when
//! a check fails.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use mediation_api::appointments::v1 as pb;
use mediation_api::appointments::v1::appointment_service_client::AppointmentServiceClient;
use mediation_api::directory::v1 as directory;
use mediation_api::directory::v1::directory_service_client::DirectoryServiceClient;
use mediation_api::google::r#type::{DayOfWeek, TimeOfDay};
use mediation_api::identity::v1 as identity;
use mediation_api::identity::v1::identity_service_client::IdentityServiceClient;
use mediation_api::status::reason;
use mediation_store::testdb::{POSTGRES_ENV, TestDatabase};
use prost_types::Timestamp;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Request, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_types::StatusExt;

/// SIGKILLs per backend.
const KILLS: usize = 10;
/// Concurrent clients, each on its own connection.
const CLIENTS: usize = 8;
/// The kill comes this many milliseconds into the load, chosen at random.
const KILL_AFTER_MS: std::ops::RangeInclusive<u64> = 50..=400;
/// Station mediators, each with a room of their own.
const MEDIATORS: usize = 6;
const CASES: usize = 48;
/// Half-hour starts over ten days. A booking lasts an hour, so neighbouring starts overlap.
const STARTS: i64 = 10 * 48;
/// Half of the bookings aim at the first four hours, so that clients collide there.
const HOT_STARTS: i64 = 8;
const HOT_SHARE: f64 = 0.5;
/// Of the calls, this share cancels an acknowledged booking.
const CANCEL_SHARE: f64 = 0.2;
/// Of the bookings, this share books two mediators at once ...
const JOINT_SHARE: f64 = 0.15;
/// ... and this share uses another mediator's room.
const OTHER_ROOM_SHARE: f64 = 0.2;
/// After each restart, this many of the last acknowledged bookings are re-sent and read back one
/// by one (the list check covers all of them).
const RECHECK_LAST: usize = 24;
const READY_WITHIN: Duration = Duration::from_secs(30);
const CALL_TIMEOUT: Duration = Duration::from_secs(15);
const ADMIN: &str = "crash.admin";
const PASSWORD: &str = "correct horse battery";
const APPOINTMENT_SERVICE: &str = "mediation.appointments.v1.AppointmentService";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    crash_test("sqlite", TestDatabase::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    match TestDatabase::postgres() {
        Some(db) => crash_test("postgres", db).await,
        None => eprintln!("skipped: set {POSTGRES_ENV} to run the crash test on PostgreSQL"),
    }
}

async fn crash_test(backend: &str, db: TestDatabase) {
    let began = Instant::now();
    let seed = std::env::var("CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random::<u64>);
    eprintln!("[{backend}] seed {seed} (CRASH_SEED={seed} repeats the requests)");
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = tempfile::tempdir().unwrap();
    // Declared after the database, so dropped (and killed) before it is.
    let mut server = Server::new(backend, db.url(), dir.path());

    server.create_admin();
    let ready = server.start().await;
    eprintln!("[{backend}] first start: ready in {ready:?}");
    let district = Arc::new(seed_district(&server).await);
    eprintln!("[{backend}] seeded in {:?}", began.elapsed());
    let ledger = Arc::new(Mutex::new(Ledger::default()));

    for round in 1..=KILLS {
        let load = run_until_killed(&mut server, &ledger, &district, round, &mut rng).await;
        let ready = server.start().await;
        let report = recover(&server, &ledger, &district, round).await;
        eprintln!(
            "[{backend}] kill {round:2}: after {:3} ms with {:2} calls in flight; {:3} booked, {:2} refused, {:2} \
             cancelled, {} unanswered; ready again in {:4} ms; retries: {} replayed, {} booked anew, {} refused, {} \
             cancellations redone",
            load.kill_after.as_millis(),
            load.in_flight,
            load.booked,
            load.refused,
            load.cancelled,
            load.unanswered,
            ready.as_millis(),
            report.replayed,
            report.booked_anew,
            report.refused,
            report.cancels_retried,
        );
    }

    // Every request has an answer now: the stored appointments are exactly the acknowledged ones.
    let mut client = server.appointments();
    let stored = list_all(&mut client, &district).await;
    let problems = {
        let ledger = ledger.lock().unwrap();
        let mut problems = check(&ledger, &stored);
        for b in ledger.bookings.iter().filter(|b| !matches!(b.answer, Answer::Ok(_) | Answer::Refused)) {
            problems.push(format!("request {} is still without an answer: {:?}", b.request.request_id, b.answer));
        }
        let acknowledged = ledger.bookings.iter().filter(|b| matches!(b.answer, Answer::Ok(_))).count();
        if stored.len() != acknowledged {
            problems.push(format!("{} appointments stored, {acknowledged} acknowledged", stored.len()));
        }
        let live = stored.iter().filter(|a| is_live(a)).count();
        eprintln!(
            "[{backend}] done in {:?}: {} booking requests, {acknowledged} appointments ({live} live), {} \
             cancellations",
            began.elapsed(),
            ledger.bookings.len(),
            ledger.bookings.iter().filter(|b| b.cancel.is_some()).count(),
        );
        problems
    };
    server.assert_none(&problems, "after the last restart");
}

// ---------------------------------------------------------------------------------------------
// The server process

/// The `mediation` binary on a fixed port; killed when dropped, so that a failing test leaves
/// no process behind.
struct Server {
    backend: String,
    port: u16,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
}

impl Server {
    fn new(backend: &str, db_url: &str, dir: &Path) -> Server {
        let port = free_port();
        let env = [
            ("MEDIATION__SERVER__LISTEN", format!("127.0.0.1:{port}")),
            ("MEDIATION__DATABASE__URL", db_url.to_owned()),
            ("MEDIATION__NOTIFICATIONS__SINK", "file".to_owned()),
            ("MEDIATION__NOTIFICATIONS__PATH", dir.join("notifications.jsonl").display().to_string()),
            ("MEDIATION__LOG__FILTER", "info".to_owned()),
            // The load below books as fast as it can under a few tokens; this is not a test of
            // the per-account call limit.
            ("MEDIATION__SERVER__CALLS_PER_SECOND_PER_PRINCIPAL", "0".to_owned()),
            // PostgreSQL needs configured privacy keys (SQLite would generate a key file).
            ("MEDIATION__PRIVACY__CURRENT_KEY", "crash1:Y3Jhc2gtdGVzdC1zZWFsaW5nLWtleS0zMi1ieXRlcyE=".to_owned()),
            ("MEDIATION__PRIVACY__INDEX_KEY", "crash-index1:Y3Jhc2gtdGVzdC1ibGluZC1pbmRleC1rZXktMzJieXQ=".to_owned()),
        ];
        Server {
            backend: backend.to_owned(),
            port,
            env: env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            log: dir.join("mediation.log"),
            child: None,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The binary with this server's settings (and no other `MEDIATION__` variable), its output
    /// appended to the log.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mediation"));
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("MEDIATION__") {
                command.env_remove(key);
            }
        }
        command.args(args).envs(self.env.iter().map(|(k, v)| (k, v)));
        let log = OpenOptions::new().create(true).append(true).open(&self.log).expect("opens the log");
        command.stdout(log.try_clone().unwrap()).stderr(log);
        command
    }

    /// `mediation create-admin`, as an operator makes the first account (it migrates too).
    fn create_admin(&self) {
        let mut child = self
            .command(&["create-admin", "--login", ADMIN, "--password-stdin"])
            .stdin(Stdio::piped())
            .spawn()
            .expect("runs the binary");
        child.stdin.take().unwrap().write_all(format!("{PASSWORD}\n").as_bytes()).unwrap();
        let status = child.wait().unwrap();
        assert!(status.success(), "create-admin failed ({status}); log:\n{}", self.log_tail());
    }

    /// Starts `mediation serve` and waits until its health check answers SERVING. Should the
    /// port have been taken while the server was down (by another program's outgoing
    /// connection, say), it moves to a free one.
    async fn start(&mut self) -> Duration {
        assert!(self.child.is_none(), "already running");
        let started = Instant::now();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let log_start = std::fs::metadata(&self.log).map_or(0, |m| m.len() as usize);
            self.child = Some(self.command(&["serve"]).stdin(Stdio::null()).spawn().expect("runs the binary"));
            let status = loop {
                if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                    self.child = None;
                    break status;
                }
                if self.serving().await {
                    return started.elapsed();
                }
                if started.elapsed() > READY_WITHIN {
                    panic!("[{}] not serving within {READY_WITHIN:?}; log:\n{}", self.backend, self.log_tail());
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            let log = std::fs::read(&self.log).unwrap_or_default();
            let output = String::from_utf8_lossy(log.get(log_start..).unwrap_or_default());
            if attempts < 3 && output.contains("Address already in use") {
                let port = free_port();
                eprintln!(
                    "[{}] port {} was taken while the server was down; moving to {port}",
                    self.backend, self.port
                );
                self.set_port(port);
                continue;
            }
            panic!("[{}] the server exited on start ({status}); log:\n{}", self.backend, self.log_tail());
        }
    }

    fn set_port(&mut self, port: u16) {
        self.port = port;
        for (key, value) in &mut self.env {
            if key == "MEDIATION__SERVER__LISTEN" {
                *value = format!("127.0.0.1:{port}");
            }
        }
    }

    async fn serving(&self) -> bool {
        let endpoint = Endpoint::from_shared(self.url())
            .unwrap()
            .connect_timeout(Duration::from_millis(500))
            .timeout(Duration::from_secs(2));
        let Ok(channel) = endpoint.connect().await else { return false };
        let check = HealthClient::new(channel).check(HealthCheckRequest { service: APPOINTMENT_SERVICE.into() }).await;
        check.is_ok_and(|reply| reply.get_ref().status() == ServingStatus::Serving)
    }

    /// SIGKILL, and reap it.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A channel that connects on first use and gives every call a deadline.
    fn channel(&self) -> Channel {
        Endpoint::from_shared(self.url())
            .unwrap()
            .connect_timeout(Duration::from_secs(2))
            .timeout(CALL_TIMEOUT)
            .connect_lazy()
    }

    fn appointments(&self) -> AppointmentServiceClient<Channel> {
        AppointmentServiceClient::new(self.channel())
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }

    #[track_caller]
    fn assert_none(&self, problems: &[String], when: &str) {
        if !problems.is_empty() {
            let shown = problems.iter().take(40).cloned().collect::<Vec<_>>().join("\n  ");
            panic!(
                "[{}] {} problem(s) {when}:\n  {shown}\n--- server log (tail) ---\n{}",
                self.backend,
                problems.len(),
                self.log_tail()
            );
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A port nobody listens on now (the kernel's choice for port 0).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn authed<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn ts(t: DateTime<Utc>) -> Timestamp {
    Timestamp { seconds: t.timestamp(), nanos: 0 }
}

fn seconds(t: &Option<Timestamp>) -> i64 {
    t.as_ref().map_or(i64::MIN, |t| t.seconds)
}

fn reason_of(status: &Status) -> String {
    status.get_error_details().error_info().map(|i| i.reason.clone()).unwrap_or_default()
}

fn is_slot_taken(status: &Status) -> bool {
    status.code() == Code::Aborted && reason_of(status) == reason::SLOT_TAKEN
}

fn describe(status: &Status) -> String {
    format!("{:?} {} ({})", status.code(), reason_of(status), status.message())
}

fn is_live(a: &pb::Appointment) -> bool {
    matches!(a.status(), pb::AppointmentStatus::Booked | pb::AppointmentStatus::CheckedIn)
}

// ---------------------------------------------------------------------------------------------
// The district, made through the API

/// A centre and one station with MEDIATORS station mediators, each with a MEDIATION room and
/// working hours round the clock every day, and CASES ordinary walk-in cases.
struct District {
    /// The centre admin's access token: every call is made by this one principal.
    admin: String,
    station: String,
    mediators: Vec<String>,
    rooms: Vec<String>,
    cases: Vec<String>,
    /// The first bookable start: a whole hour two days from now.
    t0: DateTime<Utc>,
}

async fn seed_district(server: &Server) -> District {
    let channel = server.channel();
    let mut identity = IdentityServiceClient::new(channel.clone());
    let mut directory = DirectoryServiceClient::new(channel.clone());
    let mut appointments = AppointmentServiceClient::new(channel);
    let login = identity::LoginRequest { login: ADMIN.into(), password: PASSWORD.into() };
    let admin = identity.login(login).await.expect("the admin logs in").into_inner().access_token;

    let mut site = async |kind: directory::SiteKind, parent_id: &str, name: &str| {
        let site =
            directory::Site { name: name.into(), kind: kind.into(), parent_id: parent_id.into(), ..Default::default() };
        let request = directory::CreateSiteRequest { request_id: new_request_id(), site: Some(site) };
        directory.create_site(authed(request, &admin)).await.expect("creates the site").into_inner().id
    };
    let centre = site(directory::SiteKind::Centre, "", "鄞州区警调衔接中心").await;
    let station = site(directory::SiteKind::Station, &centre, "中河派出所").await;

    let every_day = [
        DayOfWeek::Monday,
        DayOfWeek::Tuesday,
        DayOfWeek::Wednesday,
        DayOfWeek::Thursday,
        DayOfWeek::Friday,
        DayOfWeek::Saturday,
        DayOfWeek::Sunday,
    ];
    let at = |hours| TimeOfDay { hours, minutes: 0, seconds: 0, nanos: 0 };
    let mut mediators = Vec::new();
    let mut rooms = Vec::new();
    for i in 0..MEDIATORS {
        let room = directory::Room {
            site_id: station.clone(),
            name: format!("第{}调解室", i + 1),
            kind: directory::RoomKind::Mediation.into(),
            capacity: 6,
            ..Default::default()
        };
        let request = directory::CreateRoomRequest { request_id: new_request_id(), room: Some(room) };
        rooms.push(directory.create_room(authed(request, &admin)).await.expect("creates the room").into_inner().id);

        let login = format!("crash.mediator.{i}");
        let request = identity::CreateStaffAccountRequest {
            request_id: new_request_id(),
            login: login.clone(),
            password: PASSWORD.into(),
            role: identity::Role::Mediator.into(),
            site_id: station.clone(),
            display_name: login,
        };
        let account = identity.create_staff_account(authed(request, &admin)).await.expect("creates the account");
        let profile = directory::Mediator {
            display_name: format!("调解员{}", i + 1),
            kind: directory::MediatorKind::StationMediator.into(),
            level: 2,
            specialty_codes: vec!["neighbour".into()],
            languages: vec!["zh".into()],
            modes: vec![directory::MediationMode::InPerson.into()],
            home_site_id: station.clone(),
            account_id: account.into_inner().id,
            ..Default::default()
        };
        let request = directory::CreateMediatorRequest { request_id: new_request_id(), mediator: Some(profile) };
        let mediator =
            directory.create_mediator(authed(request, &admin)).await.expect("creates the mediator").into_inner().id;

        let rules = every_day
            .iter()
            .map(|day| pb::WeeklyRule { day_of_week: (*day).into(), start: Some(at(0)), end: Some(at(24)) })
            .collect();
        let request = pb::SetWorkingHoursRequest {
            mediator_id: mediator.clone(),
            site_id: station.clone(),
            rules,
            effective_from: None,
            effective_to: None,
        };
        appointments.set_working_hours(authed(request, &admin)).await.expect("sets the hours");
        mediators.push(mediator);
    }

    let mut cases = Vec::new();
    for i in 0..CASES {
        let request = pb::CreateCaseRequest {
            request_id: new_request_id(),
            category: "neighbour".into(),
            summary: format!("第{i}号：楼上漏水，协商未果。"),
            parties: vec![
                pb::Party {
                    name: "王芳".into(),
                    phone: format!("139{:08}", 10_000 + i),
                    role: pb::PartyRole::Applicant.into(),
                    ..Default::default()
                },
                pb::Party {
                    name: "赵强".into(),
                    phone: "13800000001".into(),
                    role: pb::PartyRole::Respondent.into(),
                    ..Default::default()
                },
            ],
            origin: pb::CaseOrigin::WalkIn.into(),
            assessment: Some(pb::Assessment { amount_in_dispute_yuan: 2_000, party_count: 2, ..Default::default() }),
            site_id: station.clone(),
            ..Default::default()
        };
        let case = appointments.create_case(authed(request, &admin)).await.expect("creates the case").into_inner();
        assert_eq!(case.grade(), pb::Grade::Ordinary);
        cases.push(case.id);
    }

    let t0 = (Utc::now() + TimeDelta::days(2)).duration_trunc(TimeDelta::hours(1)).unwrap();
    District { admin, station, mediators, rooms, cases, t0 }
}

// ---------------------------------------------------------------------------------------------
// What was asked and what was answered

#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    /// Sent, no answer yet.
    Pending,
    /// OK, with the appointment id.
    Ok(String),
    /// SLOT_TAKEN: the server says it wrote nothing.
    Refused,
    /// No answer (the server died) or an unexpected one: retried after the restart.
    Unknown(String),
}

#[derive(Debug)]
struct Booking {
    request: pb::BookAppointmentRequest,
    answer: Answer,
    /// When it was acknowledged, in acknowledgement order.
    acked: Option<u64>,
    /// The cancellation of this (acknowledged) booking, if one was sent.
    cancel: Option<Answer>,
}

#[derive(Debug, Default)]
struct Ledger {
    bookings: Vec<Booking>,
    /// (case id, start in seconds) -> the one booking request that asks for it.
    keys: HashMap<(String, i64), usize>,
    /// Acknowledged bookings no cancellation was sent for.
    cancellable: Vec<usize>,
    /// Answers other than OK and SLOT_TAKEN, with when they came: while the server was up
    /// there should be none.
    odd: Vec<(Instant, String)>,
    next_ack: u64,
}

impl Ledger {
    /// A new booking request for a (case, start) pair no request has used.
    fn new_booking(&mut self, d: &District, rng: &mut StdRng) -> (usize, pb::BookAppointmentRequest) {
        let (case, slot) = loop {
            let case = rng.gen_range(0..CASES);
            let slot = if rng.gen_bool(HOT_SHARE) { rng.gen_range(0..HOT_STARTS) } else { rng.gen_range(0..STARTS) };
            let start = (d.t0 + TimeDelta::minutes(30 * slot)).timestamp();
            if !self.keys.contains_key(&(d.cases[case].clone(), start)) {
                break (case, slot);
            }
        };
        let start = d.t0 + TimeDelta::minutes(30 * slot);
        let first = rng.gen_range(0..MEDIATORS);
        let mut mediator_ids = vec![d.mediators[first].clone()];
        if rng.gen_bool(JOINT_SHARE) {
            let second = (first + rng.gen_range(1..MEDIATORS)) % MEDIATORS;
            mediator_ids.push(d.mediators[second].clone());
        }
        let room = if rng.gen_bool(OTHER_ROOM_SHARE) { rng.gen_range(0..MEDIATORS) } else { first };
        let request = pb::BookAppointmentRequest {
            request_id: new_request_id(),
            case_id: d.cases[case].clone(),
            start: Some(ts(start)),
            end: Some(ts(start + TimeDelta::hours(1))),
            mediator_ids,
            room_id: d.rooms[room].clone(),
            mode: directory::MediationMode::InPerson.into(),
        };
        let index = self.bookings.len();
        self.keys.insert((request.case_id.clone(), start.timestamp()), index);
        self.bookings.push(Booking { request: request.clone(), answer: Answer::Pending, acked: None, cancel: None });
        (index, request)
    }

    fn acknowledge(&mut self, index: usize, id: String) {
        let booking = &mut self.bookings[index];
        if booking.acked.is_none() {
            booking.acked = Some(self.next_ack);
            self.next_ack += 1;
            self.cancellable.push(index);
        }
        booking.answer = Answer::Ok(id);
    }

    fn booked(&mut self, index: usize, result: Result<pb::Appointment, Status>) {
        match result {
            Ok(appointment) => {
                if let Some(problem) = mismatch(&self.bookings[index].request, &appointment) {
                    self.odd.push((Instant::now(), problem));
                }
                self.acknowledge(index, appointment.id);
            }
            Err(status) if is_slot_taken(&status) => self.bookings[index].answer = Answer::Refused,
            Err(status) => {
                let text = describe(&status);
                self.odd.push((Instant::now(), format!("booking {}: {text}", self.bookings[index].request.request_id)));
                self.bookings[index].answer = Answer::Unknown(text);
            }
        }
    }

    /// An acknowledged booking to cancel, at random.
    fn take_cancellable(&mut self, rng: &mut StdRng) -> Option<(usize, String)> {
        if self.cancellable.is_empty() {
            return None;
        }
        let index = self.cancellable.swap_remove(rng.gen_range(0..self.cancellable.len()));
        let booking = &mut self.bookings[index];
        booking.cancel = Some(Answer::Pending);
        let Answer::Ok(id) = &booking.answer else { unreachable!("only acknowledged bookings are cancellable") };
        Some((index, id.clone()))
    }

    fn cancelled(&mut self, index: usize, result: Result<pb::Appointment, Status>) {
        let booking = &mut self.bookings[index];
        booking.cancel = Some(match result {
            Ok(appointment) => {
                if appointment.status() != pb::AppointmentStatus::Cancelled {
                    self.odd.push((
                        Instant::now(),
                        format!("cancelled {} but it is {:?}", appointment.id, appointment.status()),
                    ));
                }
                Answer::Ok(appointment.id)
            }
            Err(status) => {
                let text = describe(&status);
                self.odd.push((Instant::now(), format!("cancelling {:?}: {text}", booking.answer)));
                Answer::Unknown(text)
            }
        });
    }
}

/// How an acknowledged appointment differs from what its request asked for.
fn mismatch(request: &pb::BookAppointmentRequest, a: &pb::Appointment) -> Option<String> {
    let mut asked = request.mediator_ids.clone();
    asked.sort();
    let mut got = a.mediator_ids.clone();
    got.sort();
    let same = a.case_id == request.case_id
        && seconds(&a.start) == seconds(&request.start)
        && seconds(&a.end) == seconds(&request.end)
        && asked == got
        && a.room_id == request.room_id;
    (!same).then(|| format!("request {} asked for {request:?} and got {a:?}", request.request_id))
}

// ---------------------------------------------------------------------------------------------
// Load, then SIGKILL

#[derive(Debug, Default)]
struct LoadReport {
    kill_after: Duration,
    in_flight: usize,
    booked: usize,
    refused: usize,
    cancelled: usize,
    unanswered: usize,
}

/// CLIENTS clients book and cancel until the server is killed, KILL_AFTER_MS into the load.
async fn run_until_killed(
    server: &mut Server,
    ledger: &Arc<Mutex<Ledger>>,
    district: &Arc<District>,
    round: usize,
    rng: &mut StdRng,
) -> LoadReport {
    let (before, cancelled_before) = {
        let ledger = ledger.lock().unwrap();
        (ledger.bookings.len(), ledger.bookings.iter().filter(|b| matches!(b.cancel, Some(Answer::Ok(_)))).count())
    };
    let stop = Arc::new(AtomicBool::new(false));
    let in_flight = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let client = server.appointments();
        let (ledger, district, stop, in_flight) = (ledger.clone(), district.clone(), stop.clone(), in_flight.clone());
        let worker_rng = StdRng::seed_from_u64(rng.r#gen());
        clients.push(tokio::spawn(client_loop(client, ledger, district, worker_rng, stop, in_flight)));
    }
    let kill_after = Duration::from_millis(rng.gen_range(KILL_AFTER_MS));
    tokio::time::sleep(kill_after).await;
    // No client starts another call, so the calls cut off are the ones in flight at the kill.
    stop.store(true, Ordering::SeqCst);
    let killed_at = Instant::now();
    let calls_in_flight = in_flight.load(Ordering::SeqCst);
    server.kill();
    for client in clients {
        tokio::time::timeout(CALL_TIMEOUT + Duration::from_secs(5), client)
            .await
            .expect("a client stops once its call fails")
            .expect("the client task");
    }

    let mut ledger = ledger.lock().unwrap();
    let odd: Vec<String> = ledger.odd.drain(..).filter(|(at, _)| *at < killed_at).map(|(_, what)| what).collect();
    server.assert_none(&odd, &format!("while the server was up (round {round})"));
    let mut report = LoadReport { kill_after, in_flight: calls_in_flight, ..Default::default() };
    for b in &ledger.bookings[before..] {
        match b.answer {
            Answer::Ok(_) => report.booked += 1,
            Answer::Refused => report.refused += 1,
            Answer::Pending | Answer::Unknown(_) => report.unanswered += 1,
        }
    }
    for b in &mut ledger.bookings {
        if b.answer == Answer::Pending {
            b.answer = Answer::Unknown("still pending at the kill".into());
        }
        if b.cancel == Some(Answer::Pending) {
            b.cancel = Some(Answer::Unknown("still pending at the kill".into()));
        }
    }
    report.cancelled =
        ledger.bookings.iter().filter(|b| matches!(b.cancel, Some(Answer::Ok(_)))).count() - cancelled_before;
    report
}

async fn client_loop(
    mut client: AppointmentServiceClient<Channel>,
    ledger: Arc<Mutex<Ledger>>,
    d: Arc<District>,
    mut rng: StdRng,
    stop: Arc<AtomicBool>,
    in_flight: Arc<std::sync::atomic::AtomicUsize>,
) {
    while !stop.load(Ordering::SeqCst) {
        let cancel = {
            let mut ledger = ledger.lock().unwrap();
            if rng.gen_bool(CANCEL_SHARE) { ledger.take_cancellable(&mut rng) } else { None }
        };
        in_flight.fetch_add(1, Ordering::SeqCst);
        match cancel {
            Some((index, appointment_id)) => {
                let request =
                    pb::CancelAppointmentRequest {
                        appointment_id, reason: "当事人改期".into(), ..Default::default()
                    };
                let result = client.cancel_appointment(authed(request, &d.admin)).await.map(|r| r.into_inner());
                ledger.lock().unwrap().cancelled(index, result);
            }
            None => {
                let (index, request) = ledger.lock().unwrap().new_booking(&d, &mut rng);
                let result = client.book_appointment(authed(request, &d.admin)).await.map(|r| r.into_inner());
                ledger.lock().unwrap().booked(index, result);
            }
        }
        in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

// ---------------------------------------------------------------------------------------------
// After the restart

#[derive(Debug, Default)]
struct RecoveryReport {
    replayed: usize,
    booked_anew: usize,
    refused: usize,
    cancels_retried: usize,
}

/// Checks the stored state, retries every unanswered request with its own request_id, re-sends
/// the last acknowledged ones, and checks again.
async fn recover(server: &Server, ledger: &Arc<Mutex<Ledger>>, d: &District, round: usize) -> RecoveryReport {
    let mut client = server.appointments();
    let stored = list_all(&mut client, d).await;
    let problems = check(&ledger.lock().unwrap(), &stored);
    server.assert_none(&problems, &format!("after restart {round}"));

    let by_key: HashMap<(String, i64), pb::Appointment> =
        stored.into_iter().map(|a| ((a.case_id.clone(), seconds(&a.start)), a)).collect();
    let (unanswered, uncancelled, recent) = {
        let ledger = ledger.lock().unwrap();
        let unanswered: Vec<usize> =
            (0..ledger.bookings.len()).filter(|&i| matches!(ledger.bookings[i].answer, Answer::Unknown(_))).collect();
        let uncancelled: Vec<usize> = (0..ledger.bookings.len())
            .filter(|&i| matches!(ledger.bookings[i].cancel, Some(Answer::Unknown(_))))
            .collect();
        let mut recent: Vec<(u64, usize)> =
            ledger.bookings.iter().enumerate().filter_map(|(i, b)| b.acked.map(|seq| (seq, i))).collect();
        recent.sort_unstable();
        let recent: Vec<usize> = recent.iter().rev().take(RECHECK_LAST).map(|(_, i)| *i).collect();
        (unanswered, uncancelled, recent)
    };

    let mut report = RecoveryReport::default();
    let mut problems = Vec::new();
    // The acknowledged bookings nearest the kill: read back one by one, and re-sent with their
    // request_id, which must replay the same appointment.
    for &index in &recent {
        let (request, answer, cancel) = {
            let ledger = ledger.lock().unwrap();
            let b = &ledger.bookings[index];
            (b.request.clone(), b.answer.clone(), b.cancel.clone())
        };
        let Answer::Ok(id) = answer else { unreachable!() };
        match client.get_appointment(authed(pb::GetAppointmentRequest { id: id.clone() }, &d.admin)).await {
            Ok(reply) => {
                let status = reply.get_ref().status();
                let expected = match cancel {
                    None => status == pb::AppointmentStatus::Booked,
                    Some(Answer::Ok(_)) => status == pb::AppointmentStatus::Cancelled,
                    Some(_) => matches!(status, pb::AppointmentStatus::Booked | pb::AppointmentStatus::Cancelled),
                };
                if !expected {
                    problems.push(format!("GetAppointment {id}: {status:?}, but its cancellation was {cancel:?}"));
                }
            }
            Err(status) => problems.push(format!("GetAppointment {id} (acknowledged): {}", describe(&status))),
        }
        match client.book_appointment(authed(request.clone(), &d.admin)).await {
            Ok(reply) if reply.get_ref().id == id => {}
            Ok(reply) => problems.push(format!(
                "re-sent acknowledged request {} returned appointment {} instead of {id}",
                request.request_id,
                reply.get_ref().id
            )),
            Err(status) => problems.push(format!(
                "re-sent acknowledged request {} ({id}) answered {} instead of replaying",
                request.request_id,
                describe(&status)
            )),
        }
    }

    for index in unanswered {
        let request = ledger.lock().unwrap().bookings[index].request.clone();
        let first = by_key.get(&(request.case_id.clone(), seconds(&request.start)));
        let result = client.book_appointment(authed(request.clone(), &d.admin)).await.map(|r| r.into_inner());
        let rid = &request.request_id;
        match (result, first) {
            (Ok(retry), Some(first)) if retry.id == first.id => {
                report.replayed += 1;
                ledger.lock().unwrap().acknowledge(index, retry.id);
            }
            (Ok(retry), Some(first)) => {
                problems.push(format!(
                    "retry of {rid} made appointment {} though its first attempt committed {}",
                    retry.id, first.id
                ));
            }
            (Ok(retry), None) => {
                if let Some(problem) = mismatch(&request, &retry) {
                    problems.push(problem);
                }
                report.booked_anew += 1;
                ledger.lock().unwrap().acknowledge(index, retry.id);
            }
            (Err(status), None) if is_slot_taken(&status) => {
                report.refused += 1;
                ledger.lock().unwrap().bookings[index].answer = Answer::Refused;
            }
            (Err(status), Some(first)) => problems.push(format!(
                "retry of {rid} answered {} though its first attempt committed {} (the idempotency record was lost)",
                describe(&status),
                first.id
            )),
            (Err(status), None) => problems.push(format!("retry of {rid} answered {}", describe(&status))),
        }
    }

    for index in uncancelled {
        let Answer::Ok(id) = ledger.lock().unwrap().bookings[index].answer.clone() else { unreachable!() };
        let request = pb::CancelAppointmentRequest {
            appointment_id: id.clone(),
            reason: "当事人改期".into(),
            ..Default::default()
        };
        match client.cancel_appointment(authed(request, &d.admin)).await {
            Ok(reply) if reply.get_ref().status() == pb::AppointmentStatus::Cancelled => {}
            Ok(reply) => problems.push(format!("cancelling {id} again left it {:?}", reply.get_ref().status())),
            // The first attempt committed.
            Err(status)
                if status.code() == Code::FailedPrecondition && reason_of(&status) == "APPOINTMENT_CANCELLED" => {}
            Err(status) => problems.push(format!("cancelling {id} again: {}", describe(&status))),
        }
        report.cancels_retried += 1;
        ledger.lock().unwrap().bookings[index].cancel = Some(Answer::Ok(id));
    }
    server.assert_none(&problems, &format!("retrying after restart {round}"));

    let stored = list_all(&mut client, d).await;
    let problems = check(&ledger.lock().unwrap(), &stored);
    server.assert_none(&problems, &format!("after the retries of restart {round}"));
    report
}

/// Every appointment at the station, as the centre admin sees them.
async fn list_all(client: &mut AppointmentServiceClient<Channel>, d: &District) -> Vec<pb::Appointment> {
    let mut all = Vec::new();
    let mut page_token = String::new();
    loop {
        let request = pb::ListAppointmentsRequest {
            site_id: d.station.clone(),
            page_size: 500,
            page_token,
            ..Default::default()
        };
        let page = client.list_appointments(authed(request, &d.admin)).await.expect("lists").into_inner();
        all.extend(page.appointments);
        if page.next_page_token.is_empty() {
            return all;
        }
        page_token = page.next_page_token;
    }
}

/// Everything that is wrong with `stored` given what was asked and answered.
fn check(ledger: &Ledger, stored: &[pb::Appointment]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut made: HashMap<usize, Vec<&pb::Appointment>> = HashMap::new();
    let mut ids = HashMap::new();
    for a in stored {
        if let Some(other) = ids.insert(a.id.as_str(), a) {
            problems.push(format!("appointment {} is listed twice: {other:?} and {a:?}", a.id));
        }
        match ledger.keys.get(&(a.case_id.clone(), seconds(&a.start))) {
            Some(&index) => made.entry(index).or_default().push(a),
            None => problems.push(format!("appointment {a:?} was never asked for")),
        }
    }

    for (index, b) in ledger.bookings.iter().enumerate() {
        let rid = &b.request.request_id;
        let found = made.get(&index).map(Vec::as_slice).unwrap_or_default();
        if found.len() > 1 {
            let ids: Vec<&str> = found.iter().map(|a| a.id.as_str()).collect();
            problems.push(format!("request {rid} made {} appointments: {ids:?}", found.len()));
        }
        if let Some(a) = found.first()
            && let Some(problem) = mismatch(&b.request, a)
        {
            problems.push(problem);
        }
        match (&b.answer, found.first()) {
            (Answer::Ok(id), None) => problems.push(format!("acknowledged booking {id} (request {rid}) is missing")),
            (Answer::Ok(id), Some(a)) if a.id != *id => {
                problems.push(format!("request {rid} was acknowledged as {id} but stored as {}", a.id));
            }
            (Answer::Ok(id), Some(a)) => {
                let status = a.status();
                let fine = match &b.cancel {
                    None => status == pb::AppointmentStatus::Booked,
                    Some(Answer::Ok(_)) => status == pb::AppointmentStatus::Cancelled,
                    Some(_) => matches!(status, pb::AppointmentStatus::Booked | pb::AppointmentStatus::Cancelled),
                };
                if !fine {
                    problems.push(format!("appointment {id} is {status:?}, but its cancellation was {:?}", b.cancel));
                }
            }
            (Answer::Refused, Some(a)) => {
                problems.push(format!("request {rid} was refused with SLOT_TAKEN but stored as {}", a.id));
            }
            (Answer::Unknown(_) | Answer::Pending, Some(a)) if a.status() != pb::AppointmentStatus::Booked => {
                problems.push(format!("unacknowledged {rid} is stored as {} but {:?}", a.id, a.status()));
            }
            _ => {}
        }
    }

    // No mediator and no room is held twice at once.
    let mut held: HashMap<&str, Vec<(i64, i64, &str)>> = HashMap::new();
    for a in stored.iter().filter(|a| is_live(a)) {
        let span = (seconds(&a.start), seconds(&a.end), a.id.as_str());
        for resource in a.mediator_ids.iter().chain([&a.room_id]) {
            held.entry(resource.as_str()).or_default().push(span);
        }
    }
    for (resource, spans) in &mut held {
        spans.sort_unstable();
        for pair in spans.windows(2) {
            if pair[1].0 < pair[0].1 {
                problems
                    .push(format!("{resource} is held twice at once: appointments {} and {}", pair[0].2, pair[1].2));
            }
        }
    }
    problems
}
