//! Settings: built-in defaults, then an optional TOML file (`--config FILE`), then environment
//! variables `MEDIATION__<SECTION>__<KEY>` (for example `MEDIATION__SERVER__LISTEN`).
//!
//! | setting | default | meaning |
//! |---|---|---|
//! | `server.listen` | `127.0.0.1:50051` | address to serve gRPC, grpc-web and HTTP/1.1 on; port 0 picks a free one |
//! | `server.request_timeout_secs` | `30` | per-call deadline (a shorter client `grpc-timeout` wins) |
//! | `server.max_message_bytes` | `4194304` | largest request message accepted |
//! | `server.shutdown_grace_secs` | `20` | how long in-flight calls may drain after SIGTERM or Ctrl-C |
//! | `server.concurrency_per_connection` | `256` | in-flight calls per connection |
//! | `server.public_calls_per_second_per_peer` / `server.public_burst_per_peer` | `20` / `100` | anonymous calls to public methods (directory, rating summaries, logins) per peer address, per process; 0 turns the limit off |
//! | `server.calls_per_second_per_principal` / `server.burst_per_principal` | `50` / `200` | calls one signed-in account may make, per process; 0 turns the limit off |
//! | `server.anonymous_streams_per_peer` | `16` | health `Watch` and reflection streams one client address may hold open at once, per process; 0 turns the limit off |
//! | `server.trusted_proxies` | empty | addresses or networks (`10.0.0.0/8`) of proxies in front of this server; from them the client's address is read from `X-Forwarded-For` (the right-most entry that is not a trusted proxy), for the per-peer limits and the audit log; comma-separated in `MEDIATION__SERVER__TRUSTED_PROXIES` |
//! | `server.tls_cert_path` / `server.tls_key_path` | unset (plaintext) | PEM certificate chain and private key: serve gRPC over TLS (rustls; ALPN h2 only, so grpc-web over TLS needs an HTTP/2 client such as a browser) |
//! | `server.services` | empty (all) | the services this process serves, e.g. `dispatch` or `identity,directory` (`mediation serve --services` overrides); names: `identity`, `directory`, `appointments`, `ratings`, `dispatch`, `audit` |
//! | `server.max_concurrent_streams` | `200` | HTTP/2 streams open at once on one connection; a front gateway forwards over one connection per upstream, so raise it on upstreams that carry many watchers |
//! | `server.max_streams_per_principal` | `8` | WatchVisit and WatchBoard streams one signed-in account may hold open at once, per process; the next answers RESOURCE_EXHAUSTED / TOO_MANY_STREAMS until one closes |
//! | `server.upstream_ca_path` | unset | PEM of the CA that `https://` upstreams' certificates chain to; the WebPKI roots are trusted either way |
//! | `upstreams.<service>` | unset | forward that service's calls, streams included, to `http://host:port` or `https://...` instead of serving it here, e.g. `MEDIATION__UPSTREAMS__DISPATCH`; health mirrors the upstream's (checked every 5 s) |
//! | `database.url` | `sqlite://./data/mediation.db` | `sqlite://PATH` (created when missing) or `postgres://...` |
//! | `database.max_connections` | `8` | pool size |
//! | `database.checkout_timeout_ms` | `5000` | wait for a pooled connection; must be below the call deadline |
//! | `database.sqlite_busy_timeout_ms` | `5000` | SQLite's wait for the write lock |
//! | `database.sqlite_synchronous` | `FULL` | `FULL` survives power loss; `NORMAL` is faster |
//! | `auth.issuer` / `auth.audience` | `mediation` / `mediation-api` | checked in every token |
//! | `auth.signing_key` | unset | Ed25519 PKCS#8 PEM; unset: generated once and kept in the database |
//! | `auth.access_ttl_secs` | `900` | access-token lifetime |
//! | `auth.refresh_ttl_days` | `30` | absolute lifetime of a refresh-token family |
//! | `auth.kiosk_session_ttl_secs` | `600` | a walk-in resident's kiosk session |
//! | `auth.max_failures_per_login` / `auth.max_failures_per_peer` | `5` / `50` | failed logins allowed per 15 minutes (per process) |
//! | `auth.hashing_concurrency` | `2` | argon2 hashes at once |
//! | `auth.code_country_codes` | `["86"]` (mainland China) | country calling codes (digits, no `+`) of the numbers one-time codes may be sent to; RegisterResident and SendPhoneCode refuse any other number (INVALID_ARGUMENT naming `phone`); comma-separated in `MEDIATION__AUTH__CODE_COUNTRY_CODES`, e.g. `86,852` |
//! | `auth.code_min_interval_secs` | `60` | least time between two one-time codes to one phone |
//! | `auth.codes_per_hour` | `1000` | one-time codes to all phones together in the last hour, counted in the database (so across replicas); past it codes are refused (RESOURCE_EXHAUSTED / RATE_LIMITED, a warning in the log, `mediation_code_budget_refusals_total`) until the hour moves on; 0 turns the budget off |
//! | `appointments.min_notice_minutes` | `120` | earliest booking, from now |
//! | `appointments.horizon_days` | `60` | latest booking, from now |
//! | `appointments.buffer_minutes` | `0` | free time kept around each session |
//! | `appointments.applicant_cancel_cutoff_minutes` | `120` | residents cancel up to this long before the start; staff any time |
//! | `appointments.reminder_lead_minutes` | `1440` | how long before a session its reminder goes out |
//! | `appointments.follow_up_after_days` | `30` | how long after a mediation agreement is SIGNED each party gets the FOLLOW_UP notice |
//! | `appointments.check_in_early_minutes` | `60` | a session is checked in from this long before its start (and completed from its start; earlier is `TOO_EARLY`) |
//! | `appointments.outbox_poll_ms` | `1000` | how often the notice worker looks for due messages |
//! | `appointments.major_parties` / `major_amount_yuan` | `10` / `1000000` | grading: MAJOR from this many parties or yuan |
//! | `appointments.difficult_parties` / `difficult_amount_yuan` | `3` / `50000` | grading: DIFFICULT from this many parties or yuan |
//! | `video.provider` | `livekit` | the self-hosted video system VIDEO sessions meet on; `livekit` (a LiveKit server) is the one supported |
//! | `video.server_url` | `wss://video.mediation.example` | the LiveKit server's WebSocket URL, handed to the join page |
//! | `video.join_page` | `https://meet.mediation.example/custom` | the page that joins a room with a token (LiveKit Meet's `/custom`, reading `liveKitUrl` and `token` from its query); each participant's link (GetJoinLink) is this page with the server and their own token, and a VIDEO appointment's `join_url` is this page with `?room=appointment-<id>` and no token |
//! | `video.api_key` / `video.api_secret` | `devkey` / `secret` | the LiveKit server's API key and secret, which sign each participant's access token (HS256); the defaults are `livekit-server --dev`'s, and a warning says so at start on PostgreSQL: set `MEDIATION__VIDEO__API_SECRET` from a secret store |
//! | `video.join_early_minutes` | `10` | how long before the start a join link admits; it admits until the end |
//! | `dispatch.stream_recheck_secs` | `5` | how often an open WatchVisit or WatchBoard asks the database whether its caller's account (or the kiosk a walk-in session is bound to) was disabled; a disabled one ends the stream with UNAUTHENTICATED / TOKEN_INVALID, on every replica, within this long; the access token's expiry ends it at once with UNAUTHENTICATED / TOKEN_EXPIRED; a database that cannot answer ends it with UNAVAILABLE |
//! | `dispatch.replan_min_interval_secs` | `10` | least time between the starts of two background re-plans of one station's date; per station and date at most one runs and one waits, and the one waiting plans every change made before it starts; 0 leaves only that coalescing |
//! | `dispatch.replan_concurrency` | `1` | background re-plans running at once in one process, over every station and date |
//! | `dispatch.max_open_visits_per_resident` | `10` | home visits a resident may have requested and not yet over (REQUESTED, PLANNED, EN_ROUTE, ARRIVED); the next RequestHomeVisit answers FAILED_PRECONDITION / TOO_MANY_OPEN_VISITS until one is cancelled or done; staff requesting for a case are not limited; 0 turns the limit off |
//! | `dispatch.visit_requests_per_resident_per_hour` | `20` | RequestHomeVisit calls a resident may make in an hour, cancelled visits included; the next answers RESOURCE_EXHAUSTED / RATE_LIMITED with a RetryInfo (when the oldest leaves the hour); a retry with the same `request_id` replays its first answer and is not counted; 0 turns the limit off |
//! | `dispatch.tracking_base_url` | `https://mediation.example` | the public address of the tracking page: the VISIT_EN_ROUTE SMS links to `<this>/track/<token>`, a page that calls GetVisitByTrackingToken |
//! | `dispatch.arrival_margin_minutes` | `30` | VISIT_PLANNED tells the resident the planned arrival give or take this many minutes (inside the window they asked for) |
//! | `ratings.prior_mean` / `ratings.prior_weight` | `4.0` / `10` | the Bayesian mean's prior and how many ratings it counts as |
//! | `ratings.edit_window_days` | `7` | how long an author may change a rating |
//! | `ratings.weight_settlement` / `weight_rating` / `weight_volume` | `0.4` / `0.4` / `0.2` | assessment score weights |
//! | `ratings.weight_agreement_kept` | `0` | weight of the share of followed-up agreements kept in the assessment score; 0 shows it without changing score or pay |
//! | `ratings.volume_target_per_month` | `20` | sessions a month that count as a full workload |
//! | `ratings.base_wage_yuan` / `level_wage_yuan` | `3000` / `400` | monthly base wage; level wage per level a month |
//! | `ratings.reward_per_settled_case_yuan` / `reward_per_think_tank_session_yuan` | `100` / `200` | rewards instead of subsidy |
//! | `ratings.rating_bonus_yuan` | `500` | paid when the period's Bayesian mean is at least 4.5 over 5 or more ratings |
//! | `notifications.sink` | `log` | `log`, `file` (JSON lines at `notifications.path`) or `webhook` (POST to `notifications.url`) |
//! | `metrics.listen` | empty (off) | address of a separate HTTP listener serving Prometheus text at `/metrics`, e.g. `0.0.0.0:9100`; port 0 picks a free one |
//! | `privacy.current_key` | unset | the key personal data (phones, names, addresses) is sealed with, `<id>:<base64 of 32 random bytes>` (`openssl rand -base64 32`); the id (letters, digits, `-`, `_`) is stored with every value. Unset on SQLite: generated on first start into `privacy.key_file` (a warning says so); unset on PostgreSQL: the server refuses to start, since every replica needs the same key |
//! | `privacy.previous_keys` | empty | older keys still accepted for reading, comma-separated in `MEDIATION__PRIVACY__PREVIOUS_KEYS`; rotate by making a new key current, moving the old one here, running `mediation rekey`, then removing it |
//! | `privacy.index_key` | unset | the key of the blind indexes that find a row by phone (HMAC-SHA256), same `<id>:<base64>` form, required with `current_key`; changing it needs `mediation rekey` before phone logins work again |
//! | `privacy.key_file` | `<SQLite file>.keys` | where the keys generated when `current_key` is unset are kept (mode 0600); back it up with the database, or the personal data in it cannot be read |
//! | `consoles.dir` | `web/dist` | the built web consoles (`npm --prefix web ci && npm --prefix web run build`), served at `/board`, `/kiosk`, `/centre` and `/track/<token>` on `server.listen`; a relative path is from the working directory; a folder without them logs how to build them and the server runs without; empty turns them off |
//! | `log.filter` | `info` | tracing filter, e.g. `info,mediation_identity=debug` |
//! | `log.json` | `false` | JSON log lines |

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: Server,
    pub database: Database,
    pub auth: Auth,
    pub appointments: Appointments,
    pub video: Video,
    pub ratings: Ratings,
    pub dispatch: Dispatch,
    pub notifications: Notifications,
    pub metrics: Metrics,
    pub consoles: Consoles,
    /// Services forwarded to another process, by short name (`dispatch`) to address.
    #[serde(default)]
    pub upstreams: HashMap<String, String>,
    pub log: Log,
    pub privacy: Privacy,
}

/// The keys of personal data at rest; see the table above and `mediation rekey`.
#[derive(Debug, Clone, Deserialize)]
pub struct Privacy {
    pub current_key: Option<SecretString>,
    #[serde(default)]
    pub previous_keys: Vec<SecretString>,
    pub index_key: Option<SecretString>,
    pub key_file: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Appointments {
    pub min_notice_minutes: i64,
    pub horizon_days: i64,
    pub buffer_minutes: i64,
    pub applicant_cancel_cutoff_minutes: i64,
    pub reminder_lead_minutes: i64,
    pub follow_up_after_days: i64,
    pub check_in_early_minutes: i64,
    pub outbox_poll_ms: u64,
    pub major_parties: i32,
    pub major_amount_yuan: i64,
    pub difficult_parties: i32,
    pub difficult_amount_yuan: i64,
}

/// The self-hosted video system VIDEO sessions meet on; see the table above.
#[derive(Debug, Clone, Deserialize)]
pub struct Video {
    /// `livekit`.
    pub provider: String,
    pub server_url: String,
    pub join_page: String,
    pub api_key: String,
    pub api_secret: SecretString,
    pub join_early_minutes: i64,
}

/// The API secret of `livekit-server --dev`, the default of `video.api_secret`.
pub const DEV_VIDEO_API_SECRET: &str = "secret";

/// The dispatch service's limits; see the table above.
#[derive(Debug, Clone, Deserialize)]
pub struct Dispatch {
    pub stream_recheck_secs: u64,
    pub replan_min_interval_secs: u64,
    pub replan_concurrency: usize,
    pub max_open_visits_per_resident: u32,
    pub visit_requests_per_resident_per_hour: u32,
    pub tracking_base_url: String,
    pub arrival_margin_minutes: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Server {
    pub listen: String,
    pub request_timeout_secs: u64,
    pub max_message_bytes: usize,
    pub shutdown_grace_secs: u64,
    pub concurrency_per_connection: usize,
    pub tls_cert_path: Option<String>,
    pub tls_key_path: Option<String>,
    pub upstream_ca_path: Option<String>,
    /// Empty: every service.
    pub services: Vec<String>,
    pub max_concurrent_streams: u32,
    /// Anonymous calls to public methods a peer may make a second (0: no limit), and in a burst.
    pub public_calls_per_second_per_peer: u32,
    pub public_burst_per_peer: u32,
    /// Watch streams one principal may hold open at once (per process).
    pub max_streams_per_principal: usize,
    /// Calls one signed-in account may make a second (0: no limit), and in a burst.
    pub calls_per_second_per_principal: u32,
    pub burst_per_principal: u32,
    /// Health watches and reflection streams one address may hold open (0: no limit).
    pub anonymous_streams_per_peer: usize,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Database {
    pub url: String,
    pub max_connections: u32,
    pub checkout_timeout_ms: u64,
    pub sqlite_busy_timeout_ms: u64,
    pub sqlite_synchronous: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Auth {
    pub issuer: String,
    pub audience: String,
    pub signing_key: Option<SecretString>,
    pub access_ttl_secs: i64,
    pub refresh_ttl_days: i64,
    pub kiosk_session_ttl_secs: i64,
    pub max_failures_per_login: u32,
    pub max_failures_per_peer: u32,
    pub hashing_concurrency: usize,
    /// Country calling codes one-time codes may go to, digits only (`86`).
    pub code_country_codes: Vec<String>,
    /// One-time codes to all phones in an hour (0: no budget).
    pub codes_per_hour: u32,
    pub code_min_interval_secs: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Ratings {
    pub prior_mean: f64,
    pub prior_weight: f64,
    pub edit_window_days: i64,
    pub weight_settlement: f64,
    pub weight_rating: f64,
    pub weight_volume: f64,
    pub weight_agreement_kept: f64,
    pub volume_target_per_month: f64,
    pub base_wage_yuan: i64,
    pub level_wage_yuan: i64,
    pub reward_per_settled_case_yuan: i64,
    pub reward_per_think_tank_session_yuan: i64,
    pub rating_bonus_yuan: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Notifications {
    pub sink: String,
    pub path: Option<String>,
    pub url: Option<String>,
}

/// The web consoles served beside the API; see the table above.
#[derive(Debug, Clone, Deserialize)]
pub struct Consoles {
    /// Empty: no consoles.
    pub dir: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Metrics {
    /// Empty: no metrics listener.
    pub listen: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Log {
    pub filter: String,
    pub json: bool,
}

const DEFAULTS: &str = r#"
[server]
listen = "127.0.0.1:50051"
request_timeout_secs = 30
max_message_bytes = 4194304
shutdown_grace_secs = 20
concurrency_per_connection = 256
services = []
max_concurrent_streams = 200
public_calls_per_second_per_peer = 20
public_burst_per_peer = 100
max_streams_per_principal = 8
calls_per_second_per_principal = 50
burst_per_principal = 200
anonymous_streams_per_peer = 16
trusted_proxies = []

[database]
url = "sqlite://./data/mediation.db"
max_connections = 8
checkout_timeout_ms = 5000
sqlite_busy_timeout_ms = 5000
sqlite_synchronous = "FULL"

[auth]
issuer = "mediation"
audience = "mediation-api"
access_ttl_secs = 900
refresh_ttl_days = 30
kiosk_session_ttl_secs = 600
max_failures_per_login = 5
max_failures_per_peer = 50
hashing_concurrency = 2
code_country_codes = ["86"]
codes_per_hour = 1000
code_min_interval_secs = 60

[appointments]
min_notice_minutes = 120
horizon_days = 60
buffer_minutes = 0
applicant_cancel_cutoff_minutes = 120
reminder_lead_minutes = 1440
follow_up_after_days = 30
check_in_early_minutes = 60
outbox_poll_ms = 1000
major_parties = 10
major_amount_yuan = 1000000
difficult_parties = 3
difficult_amount_yuan = 50000

[video]
provider = "livekit"
server_url = "wss://video.mediation.example"
join_page = "https://meet.mediation.example/custom"
api_key = "devkey"
api_secret = "secret"
join_early_minutes = 10

[ratings]
prior_mean = 4.0
prior_weight = 10.0
edit_window_days = 7
weight_settlement = 0.4
weight_rating = 0.4
weight_volume = 0.2
weight_agreement_kept = 0.0
volume_target_per_month = 20.0
base_wage_yuan = 3000
level_wage_yuan = 400
reward_per_settled_case_yuan = 100
reward_per_think_tank_session_yuan = 200
rating_bonus_yuan = 500

[dispatch]
stream_recheck_secs = 5
replan_min_interval_secs = 10
replan_concurrency = 1
max_open_visits_per_resident = 10
visit_requests_per_resident_per_hour = 20
tracking_base_url = "https://mediation.example"
arrival_margin_minutes = 30

[notifications]
sink = "log"

[metrics]
listen = ""

[consoles]
dir = "web/dist"

[log]
filter = "info"
json = false

[privacy]
previous_keys = []
"#;

impl Settings {
    /// Defaults, then `file` if given, then `MEDIATION__SECTION__KEY` variables.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut builder =
            config::Config::builder().add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml));
        if let Some(file) = file {
            builder = builder.add_source(config::File::from(file).format(config::FileFormat::Toml).required(true));
        }
        let settings: Settings = builder.add_source(environment()).build()?.try_deserialize()?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.database.checkout_timeout_ms < self.server.request_timeout_secs * 1000,
            "database.checkout_timeout_ms ({}) must be shorter than server.request_timeout_secs ({} s)",
            self.database.checkout_timeout_ms,
            self.server.request_timeout_secs
        );
        anyhow::ensure!(
            set(&self.server.tls_cert_path).is_some() == set(&self.server.tls_key_path).is_some(),
            "server.tls_cert_path and server.tls_key_path go together: set both for TLS, neither for plaintext"
        );
        anyhow::ensure!(self.auth.access_ttl_secs > 0, "auth.access_ttl_secs must be positive");
        anyhow::ensure!(self.auth.refresh_ttl_days > 0, "auth.refresh_ttl_days must be positive");
        anyhow::ensure!(
            !self.auth.code_country_codes.is_empty() && self.auth.code_country_codes.iter().all(|c| country_code(c)),
            "auth.code_country_codes must list country calling codes of 1 to 3 digits without `+` (e.g. 86), \
             got {:?}",
            self.auth.code_country_codes
        );
        let a = &self.appointments;
        anyhow::ensure!(
            a.min_notice_minutes >= 0
                && a.horizon_days > 0
                && a.buffer_minutes >= 0
                && a.reminder_lead_minutes >= 0
                && a.check_in_early_minutes >= 0
                && a.follow_up_after_days >= 0,
            "appointments: notice, buffer, reminder lead, check-in lead and follow-up delay must not be negative, \
             the horizon positive"
        );
        anyhow::ensure!(a.outbox_poll_ms > 0, "appointments.outbox_poll_ms must be positive");
        let v = &self.video;
        anyhow::ensure!(v.provider == "livekit", "video.provider must be `livekit`, not {:?}", v.provider);
        anyhow::ensure!(
            !v.api_key.is_empty() && !v.api_secret.expose_secret().is_empty() && !v.server_url.is_empty(),
            "video.api_key, video.api_secret and video.server_url must be set"
        );
        anyhow::ensure!(v.join_early_minutes >= 0, "video.join_early_minutes must not be negative");
        let d = &self.dispatch;
        anyhow::ensure!(
            d.stream_recheck_secs > 0 && d.replan_concurrency > 0,
            "dispatch.stream_recheck_secs and dispatch.replan_concurrency must be positive"
        );
        let r = &self.ratings;
        anyhow::ensure!(
            (1.0..=5.0).contains(&r.prior_mean) && r.prior_weight >= 0.0 && r.volume_target_per_month > 0.0,
            "ratings: prior_mean must be 1 to 5, prior_weight not negative, volume_target_per_month positive"
        );
        Ok(())
    }

    /// The certificate and key files when TLS is on.
    pub fn tls_files(&self) -> Option<(&str, &str)> {
        Some((set(&self.server.tls_cert_path)?, set(&self.server.tls_key_path)?))
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.server.request_timeout_secs)
    }
}

/// `MEDIATION__SECTION__KEY` variables; `server.services` is a comma-separated list.
fn environment() -> config::Environment {
    config::Environment::with_prefix("MEDIATION")
        .prefix_separator("__")
        .separator("__")
        .try_parsing(true)
        .list_separator(",")
        .with_list_parse_key("server.services")
        .with_list_parse_key("server.trusted_proxies")
        .with_list_parse_key("auth.code_country_codes")
        .with_list_parse_key("privacy.previous_keys")
}

/// A country calling code as the settings give it: 1 to 3 digits, the first not 0.
fn country_code(code: &str) -> bool {
    (1..=3).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit()) && !code.starts_with('0')
}

/// An optional setting, an empty value (an empty environment variable) counting as unset.
fn set(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_then_file_then_environment() {
        let defaults = Settings::load(None).unwrap();
        assert_eq!(defaults.server.listen, "127.0.0.1:50051");
        assert_eq!(defaults.database.url, "sqlite://./data/mediation.db");
        assert_eq!(defaults.notifications.sink, "log");

        let dir = std::env::temp_dir().join(format!("mediation-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("settings.toml");
        std::fs::write(
            &file,
            "[server]\nlisten = \"0.0.0.0:9000\"\n[notifications]\nsink = \"file\"\npath = \"/tmp/n.jsonl\"\n",
        )
        .unwrap();
        let from_file = Settings::load(Some(&file)).unwrap();
        assert_eq!(from_file.server.listen, "0.0.0.0:9000");
        assert_eq!(from_file.server.request_timeout_secs, 30);
        assert_eq!(from_file.notifications.path.as_deref(), Some("/tmp/n.jsonl"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn services_and_upstreams_from_the_environment() {
        let variables = [
            ("MEDIATION__SERVER__SERVICES", "identity,dispatch"),
            ("MEDIATION__UPSTREAMS__RATINGS", "http://ratings:50051"),
            ("MEDIATION__SERVER__LISTEN", "0.0.0.0:7000"),
        ];
        let source = variables.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let settings: Settings = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
            .add_source(environment().source(Some(source)))
            .build()
            .unwrap()
            .try_deserialize()
            .unwrap();
        assert_eq!(settings.server.services, ["identity", "dispatch"]);
        assert_eq!(settings.upstreams["ratings"], "http://ratings:50051");
        assert_eq!(settings.server.listen, "0.0.0.0:7000");
        let defaults = Settings::load(None).unwrap();
        assert!(defaults.server.services.is_empty() && defaults.upstreams.is_empty());
    }

    #[test]
    fn tls_needs_both_files_and_empty_means_unset() {
        let mut settings = Settings::load(None).unwrap();
        assert_eq!(settings.tls_files(), None);
        settings.server.tls_cert_path = Some("server.crt".into());
        assert!(settings.check().is_err());
        settings.server.tls_key_path = Some(String::new());
        assert!(settings.check().is_err());
        settings.server.tls_key_path = Some("server.key".into());
        settings.check().unwrap();
        assert_eq!(settings.tls_files(), Some(("server.crt", "server.key")));
    }

    #[test]
    fn codes_go_to_mainland_china_by_default_and_the_list_is_checked() {
        let defaults = Settings::load(None).unwrap();
        assert_eq!(defaults.auth.code_country_codes, ["86"]);
        assert_eq!(defaults.auth.codes_per_hour, 1000);
        let variables = [("MEDIATION__AUTH__CODE_COUNTRY_CODES", "86,852"), ("MEDIATION__AUTH__CODES_PER_HOUR", "50")];
        let source = variables.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let settings: Settings = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
            .add_source(environment().source(Some(source)))
            .build()
            .unwrap()
            .try_deserialize()
            .unwrap();
        assert_eq!(settings.auth.code_country_codes, ["86", "852"]);
        assert_eq!(settings.auth.codes_per_hour, 50);
        settings.check().unwrap();
        for bad in [vec![], vec!["+86".to_owned()], vec!["086".to_owned()], vec!["8613".to_owned()]] {
            let mut settings = defaults.clone();
            settings.auth.code_country_codes = bad.clone();
            assert!(settings.check().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn video_defaults_to_a_development_livekit() {
        let mut settings = Settings::load(None).unwrap();
        let video = &settings.video;
        assert_eq!((video.provider.as_str(), video.api_key.as_str()), ("livekit", "devkey"));
        assert_eq!(video.api_secret.expose_secret(), DEV_VIDEO_API_SECRET);
        assert_eq!(video.join_early_minutes, 10);
        settings.video.provider = "jitsi".into();
        assert!(settings.check().is_err(), "only livekit is supported");
        settings.video.provider = "livekit".into();
        settings.video.join_early_minutes = -1;
        assert!(settings.check().is_err());
    }

    #[test]
    fn checkout_must_be_shorter_than_the_deadline() {
        let mut settings = Settings::load(None).unwrap();
        settings.database.checkout_timeout_ms = 30_000;
        assert!(settings.check().is_err());
    }
}
