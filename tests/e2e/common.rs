//! The harness: [`TestApp`] runs a gateway in the test's runtime, [`both_backends!`] runs a
//! test on SQLite and PostgreSQL. The fixtures every test file sets up through the API (staff,
//! mediators, working hours, rooms, cases, visits, vans) are in [`fixtures`], time in
//! Asia/Shanghai in [`time`], and reading the metrics endpoint in [`scrape`]; all are
//! re-exported here, so `use crate::common::*` brings them.

mod fixtures;
mod scrape;
mod time;

use std::net::SocketAddr;

use mediation_api::appointments::v1::appointment_service_client::AppointmentServiceClient;
use mediation_api::audit::v1::audit_service_client::AuditServiceClient;
use mediation_api::directory::v1 as directory;
use mediation_api::directory::v1::directory_service_client::DirectoryServiceClient;
use mediation_api::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use mediation_api::google::r#type::LatLng;
use mediation_api::identity::v1 as identity;
use mediation_api::identity::v1::identity_service_client::IdentityServiceClient;
use mediation_api::ratings::v1::rating_service_client::RatingServiceClient;
use mediation_gateway::{Application, Settings};
use mediation_store::testdb::TestDatabase;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt;

pub use self::fixtures::*;
pub use self::scrape::*;
pub use self::time::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs `$test(backend)` once per backend, as `$test::sqlite` and `$test::postgres`.
macro_rules! both_backends {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$test($crate::common::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::common::postgres_configured() {
                    super::$test($crate::common::Backend::Postgres).await;
                } else {
                    eprintln!("skipped: set {} to run on PostgreSQL", mediation_store::testdb::POSTGRES_ENV);
                }
            }
        }
    )*};
}
pub(crate) use both_backends;

pub fn postgres_configured() -> bool {
    std::env::var(mediation_store::testdb::POSTGRES_ENV).is_ok_and(|v| !v.is_empty())
}

fn init_logging() {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt().with_env_filter("info").with_test_writer().try_init();
    }
}

/// A gateway's server task in the test's runtime: [`Self::stop`] stops it gracefully and waits
/// for it; dropped, it is told to stop and aborted.
#[derive(Default)]
struct Running {
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Running {
    fn start(application: Application) -> Running {
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(application.run_until_stopped(async {
            let _ = stopped.await;
        }));
        Running { stop: Some(stop), server: Some(server) }
    }

    async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server stopped cleanly");
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// A running gateway with its own database and notification file.
pub struct TestApp {
    /// First, so that the server stops before the database and the file go.
    running: Running,
    pub addr: SocketAddr,
    pub settings: Settings,
    db: TestDatabase,
    /// What the agreement flows and the notice worker take as now.
    clock: mediation_appointments::Clock,
    /// Holds the notification file until the test ends.
    _dir: tempfile::TempDir,
}

pub const PASSWORD: &str = "correct horse battery";

/// The privacy keys of PostgreSQL test servers (`<id>:<base64 of 32 bytes>`).
pub const TEST_SEALING_KEY: &str = "e2e1:ZTJlLXRlc3Qtc2VhbGluZy1rZXktMzItYnl0ZXMtISE=";
pub const TEST_INDEX_KEY: &str = "e2e-index1:ZTJlLXRlc3QtYmxpbmQtaW5kZXgta2V5LTMyYnl0ZXM=";

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts a gateway after `tweak` has adjusted its settings.
    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        Self::spawn_with_clock(backend, mediation_appointments::Clock::system(), tweak).await
    }

    /// Starts a gateway whose agreement flows and notice worker read the time from `clock`.
    pub async fn spawn_with_clock(
        backend: Backend,
        clock: mediation_appointments::Clock,
        tweak: impl FnOnce(&mut Settings),
    ) -> TestApp {
        init_logging();
        let db = match backend {
            Backend::Sqlite => TestDatabase::sqlite(),
            Backend::Postgres => TestDatabase::postgres().expect("PostgreSQL configured"),
        };
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::load(None).unwrap();
        settings.server.listen = "127.0.0.1:0".into();
        settings.server.shutdown_grace_secs = 5;
        settings.database.url = db.url().to_owned();
        settings.database.max_connections = 4;
        settings.appointments.outbox_poll_ms = 50;
        // Every test client calls from 127.0.0.1; the per-peer limit has a test of its own.
        settings.server.public_calls_per_second_per_peer = 0;
        // Tests drive many calls under one token; the per-principal limit has a test of its own.
        settings.server.calls_per_second_per_principal = 0;
        settings.notifications.sink = "file".into();
        settings.notifications.path = Some(dir.path().join("notifications.jsonl").display().to_string());
        if backend == Backend::Postgres {
            // PostgreSQL has no key file to fall back on (SQLite tests use theirs): see privacy.rs.
            settings.privacy.current_key = Some(TEST_SEALING_KEY.to_owned().into());
            settings.privacy.index_key = Some(TEST_INDEX_KEY.to_owned().into());
        }
        tweak(&mut settings);
        let addr = "127.0.0.1:0".parse().unwrap();
        let mut app = TestApp { running: Running::default(), addr, settings, db, clock, _dir: dir };
        app.start().await;
        app
    }

    async fn start(&mut self) {
        let application =
            Application::build_with_clock(self.settings.clone(), self.clock.clone()).await.expect("the gateway starts");
        self.addr = application.local_addr();
        self.running = Running::start(application);
    }

    /// Stops the gateway gracefully and waits for it to finish.
    pub async fn stop(&mut self) {
        self.running.stop().await;
    }

    /// Stops the gateway and starts a new one on the same database and port settings.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.start().await;
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn db_url(&self) -> &str {
        self.db.url()
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.url()).unwrap().connect().await.expect("connects to the gateway")
    }

    pub async fn identity(&self) -> IdentityServiceClient<Channel> {
        IdentityServiceClient::new(self.channel().await)
    }

    pub async fn appointments(&self) -> AppointmentServiceClient<Channel> {
        AppointmentServiceClient::new(self.channel().await)
    }

    /// A second gateway on the same database and notification file, as another process of a
    /// scaled deployment would be; it has its own pool, so races between the two go through
    /// the database as they would between processes.
    pub async fn spawn_second(&self) -> TestApp {
        let mut second = TestApp {
            running: Running::default(),
            addr: "127.0.0.1:0".parse().unwrap(),
            settings: self.settings.clone(),
            db: self.db.shared(),
            clock: self.clock.clone(),
            _dir: tempfile::tempdir().unwrap(),
        };
        second.start().await;
        second
    }

    pub async fn directory(&self) -> DirectoryServiceClient<Channel> {
        DirectoryServiceClient::new(self.channel().await)
    }

    pub async fn dispatch(&self) -> DispatchServiceClient<Channel> {
        DispatchServiceClient::new(self.channel().await)
    }

    pub async fn ratings(&self) -> RatingServiceClient<Channel> {
        RatingServiceClient::new(self.channel().await)
    }

    pub async fn audit(&self) -> AuditServiceClient<Channel> {
        AuditServiceClient::new(self.channel().await)
    }

    /// Creates `site` and returns its id.
    pub async fn create_site(&self, access_token: &str, site: directory::Site) -> String {
        let request = directory::CreateSiteRequest { request_id: new_request_id(), site: Some(site) };
        self.directory()
            .await
            .create_site(authed(request, access_token))
            .await
            .expect("creates the site")
            .into_inner()
            .id
    }

    /// Creates a site and returns its id.
    pub async fn site(&self, access_token: &str, kind: directory::SiteKind, parent_id: &str, name: &str) -> String {
        let site =
            directory::Site { name: name.into(), kind: kind.into(), parent_id: parent_id.into(), ..Default::default() };
        self.create_site(access_token, site).await
    }

    /// A centre and under it 中河派出所 with its street address at [`ZHONGHE`], the depot of
    /// the tests' vans: (centre, station).
    pub async fn located_station(&self, centre_token: &str) -> (String, String) {
        use directory::SiteKind;
        let centre = self.site(centre_token, SiteKind::Centre, "", "鄞州区警调衔接中心").await;
        let station = directory::Site {
            name: "中河派出所".into(),
            kind: SiteKind::Station.into(),
            parent_id: centre.clone(),
            address: "宁波市鄞州区中河街道天童南路588号".into(),
            location: Some(LatLng { latitude: ZHONGHE.0, longitude: ZHONGHE.1 }),
            ..Default::default()
        };
        let station = self.create_site(centre_token, station).await;
        (centre, station)
    }

    /// A centre with two stations, each with a kiosk: (centre, [station1, station2], [kiosk1, kiosk2]).
    pub async fn district(&self, centre_token: &str) -> (String, [String; 2], [String; 2]) {
        use directory::SiteKind;
        let centre = self.site(centre_token, SiteKind::Centre, "", "鄞州区警调衔接中心").await;
        let s1 = self.site(centre_token, SiteKind::Station, &centre, "中河派出所").await;
        self.district_around(centre_token, centre, s1).await
    }

    /// [`Self::district`] with station 1 made by [`Self::located_station`].
    pub async fn located_district(&self, centre_token: &str) -> (String, [String; 2], [String; 2]) {
        let (centre, s1) = self.located_station(centre_token).await;
        self.district_around(centre_token, centre, s1).await
    }

    /// The rest of a district with its centre and station 1 made: station 2 and the kiosks.
    async fn district_around(
        &self,
        centre_token: &str,
        centre: String,
        s1: String,
    ) -> (String, [String; 2], [String; 2]) {
        use directory::SiteKind;
        let s2 = self.site(centre_token, SiteKind::Station, &centre, "钟公庙派出所").await;
        let k1 = self.site(centre_token, SiteKind::Kiosk, &s1, "中河警务亭").await;
        let k2 = self.site(centre_token, SiteKind::Kiosk, &s2, "钟公庙警务亭").await;
        (centre, [s1, s2], [k1, k2])
    }

    /// Every notification sent so far, oldest first.
    pub fn notifications(&self) -> Vec<serde_json::Value> {
        let path = self.settings.notifications.path.clone().unwrap();
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("one JSON object a line"))
            .collect()
    }

    /// The code last sent to `phone` (E.164). Notices without a code (a case invitation the
    /// outbox delivers a moment later, say) may come after it.
    pub fn last_code(&self, phone: &str) -> String {
        self.notifications()
            .iter()
            .rev()
            .filter(|n| n["to"] == phone)
            .find_map(|n| n["code"].as_str().map(str::to_owned))
            .unwrap_or_else(|| panic!("no code was sent to {phone}"))
    }

    /// Registers and verifies a resident named 王芳; returns their tokens.
    pub async fn resident(&self, mainland_phone: &str) -> identity::Tokens {
        self.resident_named(mainland_phone, "王芳").await
    }

    /// Registers and verifies a resident named `name`; returns their tokens.
    pub async fn resident_named(&self, mainland_phone: &str, name: &str) -> identity::Tokens {
        self.register_and_verify(mainland_phone, name, async |phone| self.last_code(&format!("+86{phone}"))).await
    }

    /// Registers `mainland_phone` as `name`, verifies it with the code `code_of` finds for it,
    /// and logs in by phone; returns the tokens.
    pub async fn register_and_verify(
        &self,
        mainland_phone: &str,
        name: &str,
        code_of: impl AsyncFnOnce(&str) -> String,
    ) -> identity::Tokens {
        let mut client = self.identity().await;
        client
            .register_resident(identity::RegisterResidentRequest {
                phone: mainland_phone.into(),
                password: PASSWORD.into(),
                display_name: name.into(),
            })
            .await
            .expect("registers");
        let code = code_of(mainland_phone).await;
        client
            .verify_phone(identity::VerifyPhoneRequest { phone: mainland_phone.into(), code })
            .await
            .expect("verifies");
        self.login(mainland_phone, PASSWORD).await
    }

    pub async fn login(&self, login: &str, password: &str) -> identity::Tokens {
        let mut client = self.identity().await;
        client
            .login(identity::LoginRequest { login: login.into(), password: password.into() })
            .await
            .expect("logs in")
            .into_inner()
    }

    /// A centre admin made the way operators make one (`mediation create-admin`), logged in.
    pub async fn centre_admin(&self) -> identity::Tokens {
        let db = mediation_gateway::startup_db(&self.settings).await.unwrap();
        mediation_identity::create_admin(&db, "centre.admin", PASSWORD).await.unwrap();
        self.login("centre.admin", PASSWORD).await
    }
}

/// `message` with `authorization: Bearer <token>`.
pub fn authed<T>(message: T, access_token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert("authorization", format!("Bearer {access_token}").parse().unwrap());
    request
}

pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Asserts the status code and `ErrorInfo` reason of a failed call.
#[track_caller]
pub fn assert_status<T: std::fmt::Debug>(result: Result<T, Status>, code: Code, reason: &str) -> Status {
    let status = result.expect_err("the call should fail");
    assert_eq!(status.code(), code, "{status:?}");
    let details = status.get_error_details();
    assert_eq!(details.error_info().map(|i| i.reason.as_str()), Some(reason), "{status:?}");
    status
}

/// The fields named by a status's BadRequest details.
pub fn violated_fields(status: &Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

/// A gateway started from settings as given (on the database they name), for tests that need a
/// second process with other settings than [`TestApp`]'s: metrics, TLS, split services.
pub struct Gateway {
    running: Running,
    pub addr: SocketAddr,
    pub metrics_addr: Option<SocketAddr>,
}

/// Starts a gateway with `settings`; its server listens where `server.listen` says (use port 0).
pub async fn spawn_gateway(settings: Settings) -> Gateway {
    init_logging();
    let application = Application::build(settings).await.expect("the gateway starts");
    let addr = application.local_addr();
    let metrics_addr = application.metrics_addr();
    Gateway { running: Running::start(application), addr, metrics_addr }
}

impl Gateway {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.url()).unwrap().connect().await.expect("connects to the gateway")
    }

    /// Stops the gateway gracefully and waits for it to finish.
    pub async fn stop(&mut self) {
        self.running.stop().await;
    }
}

impl TestApp {
    /// This app's settings, adjusted by `tweak`, listening on a free port: the start of another
    /// process on the same database.
    pub fn settings_with(&self, tweak: impl FnOnce(&mut Settings)) -> Settings {
        let mut settings = self.settings.clone();
        settings.server.listen = "127.0.0.1:0".into();
        tweak(&mut settings);
        settings
    }
}

/// Lets the session's time come: moves its start to a minute ago (its length kept) straight in
/// the database, as if the clock had run on to it, so that it may be checked in and completed
/// (neither is allowed before its time, `TOO_EARLY`). Bookings are refused in the past, so a
/// test that runs a booked session through comes here between booking and check-in.
pub async fn session_time_has_come(app: &TestApp, appointment_id: &str) {
    use diesel::prelude::*;
    use mediation_store::schema::appointments;
    let db = mediation_store::Db::connect(app.db_url(), &Default::default()).unwrap();
    let id = appointment_id.to_owned();
    db.write(move |conn| {
        let (starts_at, ends_at): (chrono::NaiveDateTime, chrono::NaiveDateTime) = appointments::table
            .find(&id)
            .select((appointments::starts_at, appointments::ends_at))
            .first(conn)
            .map_err(mediation_store::Error::from)?;
        let start = (chrono::Utc::now() - chrono::Duration::minutes(1)).naive_utc();
        let start = chrono::Timelike::with_nanosecond(&start, 0).unwrap();
        diesel::update(appointments::table.find(&id))
            .set((appointments::starts_at.eq(start), appointments::ends_at.eq(start + (ends_at - starts_at))))
            .execute(conn)
            .map_err(mediation_store::Error::from)
    })
    .await
    .unwrap();
}

/// The notifications once `predicate` holds for them; panics, showing them, if it does not hold
/// within `deadline` (the outbox worker delivers on its own schedule).
pub async fn wait_for(
    app: &TestApp,
    predicate: impl Fn(&[serde_json::Value]) -> bool,
    deadline: std::time::Duration,
) -> Vec<serde_json::Value> {
    let until = std::time::Instant::now() + deadline;
    loop {
        let notifications = app.notifications();
        if predicate(&notifications) {
            return notifications;
        }
        assert!(std::time::Instant::now() < until, "not within {deadline:?}; notifications so far: {notifications:#?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
