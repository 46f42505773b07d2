use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use http::HeaderName;
use mediation_appointments::domain::grading::Thresholds;
use mediation_appointments::domain::slots::SlotRules;
use mediation_appointments::{AppointmentSettings, Appointments};
use mediation_auth::{Access, TOKEN_CACHE_CAPACITY, TokenCache, TokenKeys};
use mediation_directory::Directory;
use mediation_identity::domain::CodeRules;
use mediation_identity::revocations::Revocations;
use mediation_identity::{Identity, IdentitySettings, load_signing_key};
use mediation_notify::Notifier;
use mediation_ratings::domain::assessment::{PayRules, Weights};
use mediation_ratings::domain::summary::Prior;
use mediation_ratings::{RatingSettings, Ratings};
use mediation_store::{Db, PoolSettings};
use mediation_video::{LiveKit, VideoProvider};
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Identity as TlsIdentity, Server, ServerTlsConfig};
use tower_http::cors::{Any, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::Settings;
use crate::auth_layer::{AuthLayer, Limits};
use crate::behavior_layer::FieldBehaviorLayer;
use crate::client_addr::TrustedProxies;
use crate::consoles::ConsolesLayer;
use crate::deadline::DeadlineLayer;
use crate::metrics::{Metrics, MetricsLayer};
use crate::oversize::OversizeLayer;
use crate::peer_limit::KeyedLimit;
use crate::services::{Plan, ServiceName};
use crate::stream_limit::OpenStreams;
use crate::upstream::{Upstream, mirror_health};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

type IdentityServer = mediation_api::identity::v1::identity_service_server::IdentityServiceServer<Identity>;
type DirectoryServer = mediation_api::directory::v1::directory_service_server::DirectoryServiceServer<Directory>;
type AppointmentServer =
    mediation_api::appointments::v1::appointment_service_server::AppointmentServiceServer<Appointments>;
type RatingServer = mediation_api::ratings::v1::rating_service_server::RatingServiceServer<Ratings>;
type DispatchServer =
    mediation_api::dispatch::v1::dispatch_service_server::DispatchServiceServer<mediation_dispatch::Dispatch>;
type AuditServer = mediation_api::audit::v1::audit_service_server::AuditServiceServer<mediation_audit::Audit>;

/// Every service's access table, merged. A method listed twice is a programming error.
pub fn policy_table() -> HashMap<&'static str, Access> {
    let tables = [
        mediation_identity::POLICY,
        mediation_directory::POLICY,
        mediation_appointments::POLICY,
        mediation_ratings::POLICY,
        mediation_dispatch::POLICY,
        mediation_audit::POLICY,
    ];
    let mut merged = HashMap::new();
    for (method, access) in tables.into_iter().flatten() {
        assert!(merged.insert(*method, *access).is_none(), "{method} is in two policy tables");
    }
    merged
}

/// The server, bound and ready: build it, read its address, then run it until told to stop.
pub struct Application {
    listener: TcpListener,
    settings: Settings,
    db: Db,
    /// Tokens this process has checked, remembered until they expire.
    tokens: Arc<TokenCache>,
    /// What this process knows of disabled accounts, polled while it serves.
    revocations: Arc<Revocations>,
    identity: Identity,
    directory: Directory,
    appointments: Appointments,
    ratings: Ratings,
    dispatch: mediation_dispatch::Dispatch,
    audit: mediation_audit::Audit,
    notifier: Arc<Notifier>,
    /// What the notice worker takes as now.
    clock: mediation_appointments::Clock,
    /// The metrics listener, bound, and what it serves; `None` when `metrics.listen` is empty.
    metrics: Option<(TcpListener, Arc<Metrics>)>,
    /// The server certificate and key, when `server.tls_cert_path` is set.
    tls: Option<ServerTlsConfig>,
    /// Which services are served here.
    plan: Plan,
    /// Channels to the processes serving the others.
    upstreams: BTreeMap<ServiceName, Channel>,
}

/// A lazy channel to each upstream the settings name.
fn upstream_channels(settings: &Settings, plan: &Plan) -> anyhow::Result<BTreeMap<ServiceName, Channel>> {
    let ca = match settings.server.upstream_ca_path.as_deref().filter(|p| !p.is_empty()) {
        Some(path) => Some(std::fs::read(path).with_context(|| format!("reading server.upstream_ca_path {path}"))?),
        None => None,
    };
    plan.upstreams
        .iter()
        .map(|(service, url)| {
            let channel = crate::upstream::channel(url, ca.as_deref())
                .with_context(|| format!("upstreams.{}", service.short()))?;
            Ok((*service, channel))
        })
        .collect()
}

/// Reads the server's certificate chain and key (PEM) for TLS.
fn server_tls(settings: &Settings) -> anyhow::Result<Option<ServerTlsConfig>> {
    let Some((cert_path, key_path)) = settings.tls_files() else { return Ok(None) };
    let cert = std::fs::read(cert_path).with_context(|| format!("reading server.tls_cert_path {cert_path}"))?;
    let key = std::fs::read(key_path).with_context(|| format!("reading server.tls_key_path {key_path}"))?;
    let config = ServerTlsConfig::new().identity(TlsIdentity::from_pem(cert, key));
    // Fail at start, not at the first connection, on a key that does not fit.
    Server::builder().tls_config(config.clone()).context("server.tls_cert_path / server.tls_key_path")?;
    Ok(Some(config))
}

pub fn pool_settings(settings: &Settings) -> PoolSettings {
    PoolSettings {
        max_connections: settings.database.max_connections,
        checkout_timeout: Duration::from_millis(settings.database.checkout_timeout_ms),
        sqlite_busy_timeout: Duration::from_millis(settings.database.sqlite_busy_timeout_ms),
        sqlite_synchronous: settings.database.sqlite_synchronous.clone(),
    }
}

/// Opens the database named by the settings, with the keys of its personal data, and applies
/// pending migrations.
pub async fn open_database(settings: &Settings) -> anyhow::Result<Db> {
    let keyring = crate::privacy_keys::load(settings).context("loading the privacy keys")?;
    let db = Db::connect(&settings.database.url, &pool_settings(settings))
        .with_context(|| format!("opening {}", redact_url(&settings.database.url)))?
        .with_keyring(Arc::new(keyring));
    let applied = db.migrate().await.context("applying migrations")?;
    if applied > 0 {
        tracing::info!(applied, "migrations applied");
    }
    Ok(db)
}

/// Walks the audit chain for `mediation audit verify`: the number of intact records and the
/// head's hash, or the first bad record.
pub async fn verify_audit(db: &Db) -> anyhow::Result<Result<(i64, String), mediation_audit::chain::Broken>> {
    db.read::<_, mediation_store::Error, _>(|conn| {
        let verified = mediation_audit::repo::verify(conn)?;
        let (_, head) = mediation_audit::repo::head(conn)?;
        Ok(verified.map(|records| (records, head)))
    })
    .await
    .context("reading the audit log")
}

/// The URL without its password, for messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => match url[scheme + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}

fn appointment_settings(settings: &Settings) -> AppointmentSettings {
    let a = &settings.appointments;
    AppointmentSettings {
        thresholds: Thresholds {
            major_parties: a.major_parties,
            major_amount_yuan: a.major_amount_yuan,
            difficult_parties: a.difficult_parties,
            difficult_amount_yuan: a.difficult_amount_yuan,
        },
        slots: SlotRules {
            buffer: chrono::Duration::minutes(a.buffer_minutes),
            notice: chrono::Duration::minutes(a.min_notice_minutes),
            horizon: chrono::Duration::days(a.horizon_days),
        },
        applicant_cancel_cutoff: chrono::Duration::minutes(a.applicant_cancel_cutoff_minutes),
        reminder_lead: chrono::Duration::minutes(a.reminder_lead_minutes),
        video_join_early: chrono::Duration::minutes(settings.video.join_early_minutes),
        check_in_early: chrono::Duration::minutes(a.check_in_early_minutes),
        video_join_page: settings.video.join_page.clone(),
        // Dispatch owns the visits: completing a case's last session leaves it open while one
        // of its visits is live.
        live_visits: mediation_dispatch::repo::case_has_live_visit,
        follow_up_after: chrono::Duration::days(a.follow_up_after_days),
        code_max_attempts: identity_settings(settings).codes.max_attempts,
        clock: mediation_appointments::Clock::system(),
    }
}

/// The video system that signs VIDEO sessions' join links (`video.*`).
fn video_provider(settings: &Settings) -> anyhow::Result<Arc<dyn VideoProvider>> {
    let v = &settings.video;
    if v.api_secret.expose_secret() == crate::settings::DEV_VIDEO_API_SECRET
        && settings.database.url.starts_with("postgres")
    {
        tracing::warn!(
            "video.api_secret is the development default (livekit-server --dev): anyone can sign join links; \
             set MEDIATION__VIDEO__API_SECRET to the LiveKit server's secret"
        );
    }
    match v.provider.as_str() {
        "livekit" => Ok(Arc::new(LiveKit {
            api_key: v.api_key.clone(),
            api_secret: v.api_secret.clone(),
            server_url: v.server_url.clone(),
            join_page: v.join_page.clone(),
        })),
        other => anyhow::bail!("video.provider {other:?} is not supported; use `livekit`"),
    }
}

fn rating_settings(settings: &Settings) -> RatingSettings {
    let r = &settings.ratings;
    RatingSettings {
        prior: Prior { mean: r.prior_mean, weight: r.prior_weight },
        weights: Weights {
            settlement: r.weight_settlement,
            rating: r.weight_rating,
            volume: r.weight_volume,
            agreement_kept: r.weight_agreement_kept,
            volume_target_per_month: r.volume_target_per_month,
            ..Weights::default()
        },
        pay: PayRules {
            base_monthly: r.base_wage_yuan,
            per_level_monthly: r.level_wage_yuan,
            per_settled_case: r.reward_per_settled_case_yuan,
            per_think_tank_session: r.reward_per_think_tank_session_yuan,
            rating_bonus: r.rating_bonus_yuan,
            ..PayRules::default()
        },
        edit_window: chrono::Duration::days(r.edit_window_days),
    }
}

fn dispatch_settings(settings: &Settings) -> mediation_dispatch::DispatchSettings {
    let d = &settings.dispatch;
    mediation_dispatch::DispatchSettings {
        max_streams_per_principal: settings.server.max_streams_per_principal,
        stream_recheck: Duration::from_secs(d.stream_recheck_secs),
        replan_min_interval: Duration::from_secs(d.replan_min_interval_secs),
        replan_concurrency: d.replan_concurrency,
        resident_limits: mediation_dispatch::domain::limits::ResidentLimits {
            max_open_visits: d.max_open_visits_per_resident,
            requests_per_hour: d.visit_requests_per_resident_per_hour,
        },
        tracking_base_url: d.tracking_base_url.clone(),
        arrival_margin: chrono::Duration::minutes(d.arrival_margin_minutes),
        ..mediation_dispatch::DispatchSettings::default()
    }
}

fn identity_settings(settings: &Settings) -> IdentitySettings {
    let auth = &settings.auth;
    IdentitySettings {
        access_ttl: chrono::Duration::seconds(auth.access_ttl_secs),
        refresh_ttl: chrono::Duration::days(auth.refresh_ttl_days),
        kiosk_session_ttl: chrono::Duration::seconds(auth.kiosk_session_ttl_secs),
        max_failures_per_login: auth.max_failures_per_login,
        max_failures_per_peer: auth.max_failures_per_peer,
        hashing_concurrency: auth.hashing_concurrency,
        codes: CodeRules {
            country_codes: auth.code_country_codes.clone(),
            budget_per_hour: auth.codes_per_hour,
            min_interval: chrono::Duration::seconds(auth.code_min_interval_secs),
            ..CodeRules::default()
        },
        ..IdentitySettings::default()
    }
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_clock(settings, mediation_appointments::Clock::system()).await
    }

    /// Like [`Self::build`], with the agreement flows and the notice worker reading the time
    /// from `clock` (tests move it to make a follow-up due).
    pub async fn build_with_clock(settings: Settings, clock: mediation_appointments::Clock) -> anyhow::Result<Self> {
        let tls = server_tls(&settings)?;
        let plan = Plan::from_settings(&settings)?;
        let upstreams = upstream_channels(&settings, &plan)?;
        let db = open_database(&settings).await?;
        let configured_key = settings.auth.signing_key.as_ref().map(|key| key.expose_secret().to_owned());
        let pem = load_signing_key(&db, configured_key).await.context("loading the token signing key")?;
        let keys = Arc::new(
            TokenKeys::from_pem(&pem, &settings.auth.issuer, &settings.auth.audience).context("auth.signing_key")?,
        );
        let notifications = &settings.notifications;
        let notifier = Arc::new(
            Notifier::from_settings(&notifications.sink, notifications.path.as_deref(), notifications.url.as_deref())
                .context("notifications settings")?,
        );
        let identity = Identity::new(
            db.clone(),
            keys.clone(),
            notifier.clone(),
            identity_settings(&settings),
            mediation_directory::repo::site_ref,
        );
        let rating_settings = rating_settings(&settings);
        let prior = rating_settings.prior;
        let directory =
            Directory::new(db.clone(), Arc::new(move |conn| mediation_ratings::service::rating_book(conn, prior)));
        let ratings = Ratings::new(db.clone(), rating_settings);
        let appointment_settings = AppointmentSettings { clock: clock.clone(), ..appointment_settings(&settings) };
        let appointments = Appointments::new(db.clone(), appointment_settings, video_provider(&settings)?);
        let dispatch = mediation_dispatch::Dispatch::new(db.clone(), dispatch_settings(&settings));
        let audit = mediation_audit::Audit::new(db.clone());
        let listener = TcpListener::bind(&settings.server.listen)
            .await
            .with_context(|| format!("binding {}", settings.server.listen))?;
        let metrics = match settings.metrics.listen.as_str() {
            "" => None,
            listen => {
                let listener =
                    TcpListener::bind(listen).await.with_context(|| format!("binding metrics.listen {listen}"))?;
                Some((listener, Arc::new(Metrics::new(db.clone()).context("registering metrics")?)))
            }
        };
        let tokens = Arc::new(TokenCache::new(keys, TOKEN_CACHE_CAPACITY));
        let revocations = identity.revocations();
        Ok(Self {
            listener,
            settings,
            db,
            tokens,
            revocations,
            identity,
            directory,
            appointments,
            ratings,
            dispatch,
            audit,
            notifier,
            clock,
            metrics,
            tls,
            plan,
            upstreams,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    /// Where Prometheus scrapes `/metrics`, when `metrics.listen` is set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(listener, _)| listener.local_addr().expect("a bound listener has an address"))
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Serves until `shutdown` completes, then stops accepting and lets in-flight calls finish
    /// for at most `server.shutdown_grace_secs`.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let server = &self.settings.server;
        let (health_reporter, health) = tonic_health::server::health_reporter();
        for service in &self.plan.local {
            health_reporter.set_service_status(service.grpc(), tonic_health::ServingStatus::Serving).await;
        }
        // Forwarded services report what their upstream reports; the tasks end with this server.
        let mut mirrors = tokio::task::JoinSet::new();
        for (service, channel) in &self.upstreams {
            health_reporter.set_service_status(service.grpc(), tonic_health::ServingStatus::NotServing).await;
            mirrors.spawn(mirror_health(channel.clone(), service.grpc(), health_reporter.clone()));
        }
        // Reflection lists what this address answers: its own services and the forwarded ones.
        let listed: Vec<&'static str> = self
            .plan
            .local
            .iter()
            .chain(self.upstreams.keys())
            .map(|s| s.grpc())
            .chain([
                "grpc.health.v1.Health",
                "grpc.reflection.v1.ServerReflection",
                "grpc.reflection.v1alpha.ServerReflection",
            ])
            .collect();
        let reflection = || {
            listed.iter().fold(
                tonic_reflection::server::Builder::configure()
                    .register_encoded_file_descriptor_set(mediation_api::FILE_DESCRIPTOR_SET)
                    .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                    .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
                    .register_encoded_file_descriptor_set(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET),
                |builder, name| builder.with_service_name(*name),
            )
        };
        let reflection_v1 = reflection().build_v1().context("reflection v1")?;
        let reflection_v1alpha = reflection().build_v1alpha().context("reflection v1alpha")?;

        let cors = CorsLayer::new().allow_origin(Any).allow_headers(Any).allow_methods(Any).expose_headers([
            HeaderName::from_static("grpc-status"),
            HeaderName::from_static("grpc-message"),
            HeaderName::from_static("grpc-status-details-bin"),
            REQUEST_ID,
        ]);
        let trace = TraceLayer::new_for_grpc()
            .make_span_with(|request: &http::Request<_>| {
                let request_id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
                tracing::info_span!("call", method = %request.uri().path(), request_id, account = tracing::field::Empty)
            })
            .on_response(DefaultOnResponse::new().level(Level::INFO))
            // A refused call is the client's business; the services log their own faults.
            .on_failure(DefaultOnFailure::new().level(Level::DEBUG));
        let layers = tower::ServiceBuilder::new()
            // Outermost: the console pages never reach the gRPC layers, and nothing else stops here.
            .layer(ConsolesLayer::new(&self.settings.consoles.dir))
            .layer(cors)
            .layer(tonic_web::GrpcWebLayer::new())
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(trace)
            .option_layer(self.metrics.as_ref().map(|(_, metrics)| MetricsLayer::new(metrics.clone())))
            .layer(DeadlineLayer::new(Duration::from_secs(server.request_timeout_secs)))
            .layer(AuthLayer::new(
                self.tokens.clone(),
                self.revocations.clone(),
                policy_table(),
                Limits {
                    public_per_peer: KeyedLimit::new(
                        server.public_calls_per_second_per_peer,
                        server.public_burst_per_peer,
                    ),
                    per_principal: KeyedLimit::new(server.calls_per_second_per_principal, server.burst_per_principal),
                    anonymous_streams: OpenStreams::new(server.anonymous_streams_per_peer),
                    trusted_proxies: TrustedProxies::new(server.trusted_proxies.clone()),
                },
                self.db.clone(),
            ))
            .layer(FieldBehaviorLayer {
                behaviors: mediation_api::behavior::table(),
                max_message_bytes: server.max_message_bytes,
            })
            .layer(OversizeLayer { max_message_bytes: server.max_message_bytes })
            .into_inner();

        // Polled for as long as the layers hold it; read once now so that the first calls need
        // not ask the database.
        if let Err(err) = self.revocations.refresh(&self.db, std::time::Instant::now()).await {
            tracing::warn!(error = %err, "cannot read account blocks yet; checking tokens one by one");
        }
        self.revocations.keep_polling(self.db.clone());

        // On PostgreSQL, dispatch events reach watchers on every replica; held until the end.
        let _relay = if self.plan.serves(ServiceName::Dispatch) {
            mediation_dispatch::relay::start(self.dispatch.bus(), &self.db).context("starting the event relay")?
        } else {
            None
        };
        let max = server.max_message_bytes;
        let plan = &self.plan;
        let here = |service| plan.serves(service);
        let forward = |service| self.upstreams.get(&service).cloned();
        let identity = here(ServiceName::Identity).then(|| self.identity.into_server().max_decoding_message_size(max));
        let directory =
            here(ServiceName::Directory).then(|| self.directory.into_server().max_decoding_message_size(max));
        let appointments =
            here(ServiceName::Appointments).then(|| self.appointments.into_server().max_decoding_message_size(max));
        let ratings = here(ServiceName::Ratings).then(|| self.ratings.into_server().max_decoding_message_size(max));
        let dispatch = here(ServiceName::Dispatch).then(|| self.dispatch.into_server().max_decoding_message_size(max));
        let audit = here(ServiceName::Audit).then(|| self.audit.into_server().max_decoding_message_size(max));
        let mut builder = Server::builder();
        if let Some(tls) = &self.tls {
            builder = builder.tls_config(tls.clone()).context("server TLS settings")?;
        }
        let router = builder
            .accept_http1(true)
            .concurrency_limit_per_connection(server.concurrency_per_connection)
            .max_concurrent_streams(server.max_concurrent_streams)
            .layer(layers)
            .add_service(health)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_optional_service(identity)
            .add_optional_service(directory)
            .add_optional_service(appointments)
            .add_optional_service(ratings)
            .add_optional_service(dispatch)
            .add_optional_service(audit)
            .add_optional_service(forward(ServiceName::Identity).map(Upstream::<IdentityServer>::new))
            .add_optional_service(forward(ServiceName::Directory).map(Upstream::<DirectoryServer>::new))
            .add_optional_service(forward(ServiceName::Appointments).map(Upstream::<AppointmentServer>::new))
            .add_optional_service(forward(ServiceName::Ratings).map(Upstream::<RatingServer>::new))
            .add_optional_service(forward(ServiceName::Dispatch).map(Upstream::<DispatchServer>::new))
            .add_optional_service(forward(ServiceName::Audit).map(Upstream::<AuditServer>::new));
        tracing::info!(
            local = ?self.plan.local.iter().map(|s| s.short()).collect::<Vec<_>>(),
            forwarded = ?self.plan.upstreams,
            "services"
        );

        // The notice worker goes with the appointment service that writes the outbox.
        let (worker_stop, worker_stopped) = tokio::sync::oneshot::channel::<()>();
        let worker = self.plan.serves(ServiceName::Appointments).then(|| {
            tokio::spawn(mediation_appointments::notices::deliver_until(
                self.db.clone(),
                self.notifier.clone(),
                Duration::from_millis(self.settings.appointments.outbox_poll_ms),
                self.clock.clone(),
                async {
                    let _ = worker_stopped.await;
                },
            ))
        });
        let (metrics_stop, metrics_stopped) = tokio::sync::oneshot::channel::<()>();
        let metrics_endpoint = self.metrics.map(|(listener, metrics)| {
            tracing::info!(addr = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), "serving metrics");
            tokio::spawn(crate::metrics::serve(listener, metrics, async {
                let _ = metrics_stopped.await;
            }))
        });
        let grace = Duration::from_secs(server.shutdown_grace_secs);
        let addr = self.listener.local_addr()?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let serve =
            router.serve_with_incoming_shutdown(TcpIncoming::from(self.listener).with_nodelay(Some(true)), async {
                let _ = stop_rx.await;
            });
        tokio::pin!(serve);
        tracing::info!(%addr, tls = self.tls.is_some(), "serving");
        tokio::select! {
            result = &mut serve => return result.context("server failed"),
            () = shutdown => {}
        }
        tracing::info!(grace_secs = grace.as_secs(), "shutting down: draining in-flight calls");
        let _ = stop_tx.send(());
        let _ = worker_stop.send(());
        if let Some(worker) = worker {
            let _ = worker.await;
        }
        let drained = match tokio::time::timeout(grace, serve).await {
            Ok(result) => result.context("server failed while draining"),
            Err(_) => {
                tracing::warn!("calls still running after the grace period were cut off");
                Ok(())
            }
        };
        // Scrapes go on while calls drain, then stop.
        let _ = metrics_stop.send(());
        if let Some(endpoint) = metrics_endpoint {
            let _ = endpoint.await;
        }
        drained
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(redact_url("postgres://app:hunter2@db:5432/m"), "postgres://app:***@db:5432/m");
        assert_eq!(redact_url("postgres://postgres@127.0.0.1:5432"), "postgres://postgres@127.0.0.1:5432");
        assert_eq!(redact_url("sqlite://./data/mediation.db"), "sqlite://./data/mediation.db");
    }

    /// The `(mediation.v1.access)` option each rpc publishes (to the protos' readers and through
    /// reflection) is the policy the auth layer enforces: a change to either alone fails here.
    #[test]
    fn every_methods_published_access_is_its_policy() {
        use std::collections::BTreeSet;
        let set = mediation_api::descriptor::file_set();
        let policy = policy_table();
        let mut differing = Vec::new();
        let mut methods = 0;
        for (path, method) in mediation_api::descriptor::methods(&set) {
            methods += 1;
            let published = method.access().map(|a| (a.public, a.roles.iter().cloned().collect::<BTreeSet<_>>()));
            let enforced = policy.get(path.as_str()).map(|access| match access {
                Access::Public => (true, BTreeSet::new()),
                Access::Roles(roles) => (false, roles.iter().map(|r| r.as_str().to_owned()).collect()),
            });
            if published != enforced {
                differing.push(format!("{path}: the proto says {published:?}, policy.rs {enforced:?}"));
            }
        }
        assert!(methods > 0);
        assert!(
            differing.is_empty(),
            "access options and policy tables differ (python3 docs/set_access_options.py sets the options from the tables):\n{}",
            differing.join("\n")
        );
    }

    #[test]
    fn every_method_in_the_descriptor_set_has_a_policy() {
        use prost::Message;
        let set = prost_types::FileDescriptorSet::decode(mediation_api::FILE_DESCRIPTOR_SET).unwrap();
        let policy = policy_table();
        let mut methods = 0;
        for file in set.file.iter().filter(|f| f.package().starts_with("mediation.")) {
            for service in &file.service {
                for method in &service.method {
                    let path = format!("/{}.{}/{}", file.package(), service.name(), method.name());
                    assert!(policy.contains_key(path.as_str()), "{path} has no access policy");
                    methods += 1;
                }
            }
        }
        assert_eq!(methods, policy.len(), "the policy names methods that do not exist");
    }
}
