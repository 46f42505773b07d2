//! Personal data at rest (issue #9): after the main flows (register, verify and log in by phone,
//! a case with named parties and their phones, a home visit at an address, a booking and its
//! notice) no phone, party name or address used appears in clear in the database files (SQLite
//! file, WAL and shared memory) or in a dump of every row (PostgreSQL), nor in the server's log,
//! while the API still shows them to whoever may see them. And keys rotate: data sealed under
//! key A reads with B current and A previous, and after `rekey` with B alone.
//!
//! The log is captured by a process-wide subscriber installed here, so these tests cannot run
//! with `TEST_LOG` set (which installs another one).

use std::sync::{Arc, Mutex, OnceLock};

use diesel::prelude::*;
use mediation_api::appointments::v1 as pb;
use mediation_api::directory::v1 as directory;
use mediation_api::dispatch::v1 as dispatch;
use mediation_api::google::r#type::LatLng;

use crate::common::*;

both_backends!(personal_data_is_sealed_in_the_database_and_masked_in_the_log, keys_rotate_without_losing_data,);

/// The resident's phone, as typed (11 mainland digits); unusual last digits so that the masked
/// form in the log (`+86*******9376`) is this test's alone: the two backends' runs share the
/// log, so each has its own.
fn resident_phone(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "15857749376",
        Backend::Postgres => "15857749381",
    }
}
/// This file's own respondent (not the common fixtures' [`crate::common::RESPONDENT_PHONE`]).
const RESPONDENT_PHONE: &str = "13957743158";
const APPLICANT_NAME: &str = "欧阳明珠";
const RESPONDENT_NAME: &str = "司马长风";
const ADDRESS: &str = "宁波市鄞州区福明街道隐私测试路77号9幢1203室";
/// Kept in clear on purpose: proves that the scans read the data they claim to.
const SUMMARY: &str = "隐私扫描对照：楼上漏水。";

// ---------------------------------------------------------------------------------------------
// The log

/// Everything the process has logged since the first call, as one buffer.
fn captured_log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing_subscriber::filter::LevelFilter::INFO)
            .with_ansi(false)
            .with_writer(move || LogWriter(sink.clone()))
            .try_init()
            .expect("the privacy tests capture the log; run them without TEST_LOG");
        buffer
    })
    .clone()
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn log_text() -> String {
    String::from_utf8_lossy(&captured_log().lock().unwrap()).into_owned()
}

/// The code the `log` sink printed for `mainland_phone` last: the line shows the phone masked.
async fn code_from_log(mainland_phone: &str) -> String {
    let masked = format!("to=+86*******{}", &mainland_phone[mainland_phone.len() - 4..]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let text = log_text();
        let code = text
            .lines()
            .rev()
            .filter(|line| line.contains(&masked) && line.contains("kind=VERIFY"))
            .find_map(|line| line.split("code=Some(\"").nth(1).map(|rest| rest[..6].to_owned()));
        if let Some(code) = code {
            return code;
        }
        assert!(std::time::Instant::now() < deadline, "no code for {masked} in the log");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// The database, as an attacker with a copy of it would read it

/// Every byte of the SQLite database (file, WAL, shared memory), or on PostgreSQL every row of
/// every table as JSON (bytea shows as hex, so needles are looked for in hex too).
fn database_contents(app: &TestApp) -> Vec<u8> {
    let url = app.db_url();
    if let Some(path) = url.strip_prefix("sqlite://") {
        let mut bytes = Vec::new();
        for suffix in ["", "-wal", "-shm"] {
            if let Ok(content) = std::fs::read(format!("{path}{suffix}")) {
                bytes.extend_from_slice(&content);
            }
        }
        assert!(!bytes.is_empty(), "the database file {path} is readable");
        return bytes;
    }
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        table_name: String,
    }
    #[derive(QueryableByName)]
    struct Dump {
        #[diesel(sql_type = diesel::sql_types::Text)]
        dump: String,
    }
    let mut conn = diesel::PgConnection::establish(url).expect("connects to the test database");
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT table_name::text AS table_name FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .load(&mut conn)
    .unwrap();
    let mut out = String::new();
    for table in tables {
        let dump: Dump = diesel::sql_query(format!(
            "SELECT coalesce(string_agg(row_to_json(t)::text, E'\\n'), '') AS dump FROM \"{}\" t",
            table.table_name
        ))
        .get_result(&mut conn)
        .unwrap();
        out.push_str(&dump.dump);
        out.push('\n');
    }
    out.into_bytes()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Which of `needles` appear in `haystack`, as UTF-8 or as the hex PostgreSQL shows bytea in.
fn found_in(haystack: &[u8], needles: &[&str]) -> Vec<String> {
    needles
        .iter()
        .filter(|n| contains(haystack, n.as_bytes()) || contains(haystack, hex(n.as_bytes()).as_bytes()))
        .map(|n| n.to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The flows

/// Registers `mainland_phone` as 测试居民, verifies it with the code from `code_of`, and logs in
/// by phone; returns the access token.
async fn resident(app: &TestApp, mainland_phone: &str, code_of: impl AsyncFnOnce(&str) -> String) -> String {
    app.register_and_verify(mainland_phone, "测试居民", code_of).await.access_token
}

fn case_request(station: &str, applicant_phone: &str) -> pb::CreateCaseRequest {
    pb::CreateCaseRequest {
        summary: SUMMARY.into(),
        parties: vec![
            party(APPLICANT_NAME, applicant_phone, pb::PartyRole::Applicant),
            party(RESPONDENT_NAME, RESPONDENT_PHONE, pb::PartyRole::Respondent),
        ],
        ..new_case(station, pb::CaseOrigin::App, applicant_phone, ordinary())
    }
}

/// A mediator at `station` working weekdays 09:00-17:00 and a mediation room there; returns
/// (mediator id, room id).
async fn mediator_and_room(app: &TestApp, admin: &str, station: &str) -> (String, String) {
    let in_person = [directory::MediationMode::InPerson];
    let profile = directory::Mediator {
        specialty_codes: vec!["neighbour".into()],
        bio: String::new(),
        ..mediator_profile("调解员甲", directory::MediatorKind::StationMediator, station, &in_person)
    };
    let mediator = mediator_with_account(app, admin, profile).await.id;
    set_working_hours(app, admin, &mediator, station, weekly_rules(&WEEKDAYS, 9, 17)).await;
    let room = mediation_room(app, admin, station).await;
    (mediator, room)
}

async fn personal_data_is_sealed_in_the_database_and_masked_in_the_log(backend: Backend) {
    captured_log();
    let app = TestApp::spawn_with(backend, |s| s.notifications.sink = "log".into()).await;
    let admin = app.centre_admin().await.access_token;
    let (_, [station, _], _) = app.district(&admin).await;
    let (mediator, room) = mediator_and_room(&app, &admin, &station).await;

    let phone = resident_phone(backend);
    let masked = format!("*******{}", &phone[phone.len() - 4..]);
    let token = resident(&app, phone, async |phone| code_from_log(phone).await).await;
    let case = case_request(&station, phone);
    let case = app.appointments().await.create_case(authed(case, &token)).await.unwrap().into_inner();
    let day = session_day();
    let visit = dispatch::RequestHomeVisitRequest {
        request_id: new_request_id(),
        case_id: case.id.clone(),
        address: ADDRESS.into(),
        location: Some(LatLng { latitude: 29.86, longitude: 121.57 }),
        window_start: Some(ts(local(day, 9))),
        window_end: Some(ts(local(day, 12))),
        duration: Some(prost_types::Duration { seconds: 45 * 60, nanos: 0 }),
        reason: dispatch::VisitReason::Privacy.into(),
        ..Default::default()
    };
    let mut visits = app.dispatch().await;
    let visit = visits.request_home_visit(authed(visit, &token)).await.expect("requests a visit").into_inner();
    let booking = pb::BookAppointmentRequest {
        request_id: new_request_id(),
        case_id: case.id.clone(),
        start: Some(ts(local(day, 14))),
        end: Some(ts(local(day, 15))),
        mediator_ids: vec![mediator],
        room_id: room,
        mode: directory::MediationMode::InPerson.into(),
    };
    app.appointments().await.book_appointment(authed(booking, &token)).await.expect("books");

    // The API still shows them to the applicant.
    let case = app.appointments().await.get_case(authed(pb::GetCaseRequest { id: case.id }, &token)).await.unwrap();
    let parties = case.into_inner().parties;
    assert_eq!(parties[0].name, APPLICANT_NAME);
    assert!(parties[1].phone.ends_with(RESPONDENT_PHONE), "{}", parties[1].phone);
    let shown = visits.get_home_visit(authed(dispatch::GetHomeVisitRequest { id: visit.id }, &token)).await.unwrap();
    assert_eq!(shown.into_inner().address, ADDRESS);
    // The booking notice goes out through the log sink, masked, once the worker has run.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !log_text().lines().any(|l| l.contains("APPOINTMENT_BOOKED") && l.contains(&masked)) {
        assert!(std::time::Instant::now() < deadline, "the booking notice was not sent");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let needles = [phone, RESPONDENT_PHONE, APPLICANT_NAME, RESPONDENT_NAME, ADDRESS];
    let database = database_contents(&app);
    assert_eq!(found_in(&database, &[SUMMARY]), [SUMMARY], "the scan sees the database's text");
    assert_eq!(found_in(&database, &needles), Vec::<String>::new(), "personal data in clear in the database");
    let log = log_text();
    assert!(log.contains(&masked), "the scan sees the log");
    assert_eq!(found_in(log.as_bytes(), &needles), Vec::<String>::new(), "personal data in clear in the log");
}

// ---------------------------------------------------------------------------------------------
// Rotation

const KEY_A: &str = "rotA:QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=";
const KEY_B: &str = "rotB:QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=";
const INDEX_1: &str = "idx1:MTExMTExMTExMTExMTExMTExMTExMTExMTExMTExMTE=";
const INDEX_2: &str = "idx2:MjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjI=";

fn use_keys(app: &mut TestApp, current: &str, previous: &[&str], index: &str) {
    app.settings.privacy.current_key = Some(current.to_owned().into());
    app.settings.privacy.previous_keys = previous.iter().map(|k| k.to_string().into()).collect();
    app.settings.privacy.index_key = Some(index.to_owned().into());
}

/// Logs in by phone and reads the case: both need the phone index and the sealed columns.
async fn still_readable(app: &TestApp, phone: &str, case_id: &str) {
    let token = app.login(phone, PASSWORD).await.access_token;
    let case = app.appointments().await.get_case(authed(pb::GetCaseRequest { id: case_id.into() }, &token)).await;
    let parties = case.expect("reads the case").into_inner().parties;
    assert_eq!((parties[0].name.as_str(), parties[1].name.as_str()), (APPLICANT_NAME, RESPONDENT_NAME));
}

async fn rekey(app: &TestApp) -> mediation_gateway::rekey::Rekeyed {
    let db = mediation_gateway::startup_db(&app.settings).await.unwrap();
    mediation_gateway::rekey::rekey(&db, 2).await.expect("rekeys")
}

async fn keys_rotate_without_losing_data(backend: Backend) {
    let mut app = TestApp::spawn_with(backend, |s| {
        s.privacy.current_key = Some(KEY_A.to_owned().into());
        s.privacy.index_key = Some(INDEX_1.to_owned().into());
    })
    .await;
    let admin = app.centre_admin().await.access_token;
    let (_, [station, _], _) = app.district(&admin).await;
    let phone = resident_phone(backend);
    let token = resident(&app, phone, async |phone| app.last_code(&format!("+86{phone}"))).await;
    let case = app.appointments().await.create_case(authed(case_request(&station, phone), &token)).await.unwrap();
    let case_id = case.into_inner().id;
    assert!(contains(&database_contents(&app), b"v1:rotA:"));

    // B current, A still accepted: everything reads; new values are sealed under B.
    use_keys(&mut app, KEY_B, &[KEY_A], INDEX_1);
    app.restart().await;
    still_readable(&app, phone, &case_id).await;

    // A row from before encryption (plain text) cannot be read until rekey seals it.
    let db = mediation_gateway::startup_db(&app.settings).await.unwrap();
    db.write(|conn| {
        use mediation_store::schema::case_parties;
        diesel::update(case_parties::table.filter(case_parties::position.eq(1)))
            .set(case_parties::name.eq(RESPONDENT_NAME))
            .execute(conn)
            .map_err(mediation_store::Error::from)
    })
    .await
    .unwrap();
    let token = app.login(phone, PASSWORD).await.access_token;
    let unreadable =
        app.appointments().await.get_case(authed(pb::GetCaseRequest { id: case_id.clone() }, &token)).await;
    assert_eq!(unreadable.unwrap_err().code(), tonic::Code::Internal);

    let first = rekey(&app).await;
    assert_eq!((first.accounts, first.parties), (1, 2), "{first}");
    assert!(first.idempotency_records >= 1, "{first}");
    let again = rekey(&app).await;
    assert_eq!((again.accounts, again.parties, again.outbox, again.visits), (0, 0, 0, 0), "a rerun has nothing to do");

    // A removed: nothing was left under it.
    use_keys(&mut app, KEY_B, &[], INDEX_1);
    app.restart().await;
    still_readable(&app, phone, &case_id).await;
    let database = database_contents(&app);
    assert!(!contains(&database, b"v1:rotA:"), "nothing is left under key A");
    assert_eq!(found_in(&database, &[RESPONDENT_NAME]), Vec::<String>::new(), "the plain row was sealed");

    // A new index key: phone logins work again once rekey has recomputed the indexes.
    use_keys(&mut app, KEY_B, &[], INDEX_2);
    let recomputed = rekey(&app).await;
    assert_eq!(recomputed.accounts, 1, "{recomputed}");
    app.restart().await;
    still_readable(&app, phone, &case_id).await;
}
