use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use http::HeaderName;
use mediation_appointments::domain::grading::Thresholds;
use mediation_appointments::domain::slots::SlotRules;
use mediation_appointments::{AppointmentSettings, Appointments};
use mediation_auth::{Access, TokenKeys};
use mediation_directory::Directory;
use mediation_identity::{Identity, IdentitySettings, load_signing_key};
use mediation_notify::Notifier;
use mediation_ratings::domain::assessment::{PayRules, Weights};
use mediation_ratings::domain::summary::Prior;
use mediation_ratings::{RatingSettings, Ratings};
use mediation_store::{Db, PoolSettings};
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tower_http::cors::{Any, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnFailure, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::Settings;
use crate::auth_layer::AuthLayer;
use crate::deadline::DeadlineLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Every service's access table, merged. A method listed twice is a programming error.
pub fn policy_table() -> HashMap<&'static str, Access> {
    let tables = [
        mediation_identity::POLICY,
        mediation_directory::POLICY,
        mediation_appointments::POLICY,
        mediation_ratings::POLICY,
        mediation_dispatch::POLICY,
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
    keys: Arc<TokenKeys>,
    identity: Identity,
    directory: Directory,
    appointments: Appointments,
    ratings: Ratings,
    dispatch: mediation_dispatch::Dispatch,
    notifier: Arc<Notifier>,
}

pub fn pool_settings(settings: &Settings) -> PoolSettings {
    PoolSettings {
        max_connections: settings.database.max_connections,
        checkout_timeout: Duration::from_millis(settings.database.checkout_timeout_ms),
        sqlite_busy_timeout: Duration::from_millis(settings.database.sqlite_busy_timeout_ms),
        sqlite_synchronous: settings.database.sqlite_synchronous.clone(),
    }
}

/// Opens the database named by the settings and applies pending migrations.
pub async fn open_database(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&settings.database.url, &pool_settings(settings))
        .with_context(|| format!("opening {}", redact_url(&settings.database.url)))?;
    let applied = db.migrate().await.context("applying migrations")?;
    if applied > 0 {
        tracing::info!(applied, "migrations applied");
    }
    Ok(db)
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
        video_base_url: a.video_base_url.clone(),
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

fn identity_settings(settings: &Settings) -> IdentitySettings {
    let auth = &settings.auth;
    IdentitySettings {
        access_ttl: chrono::Duration::seconds(auth.access_ttl_secs),
        refresh_ttl: chrono::Duration::days(auth.refresh_ttl_days),
        kiosk_session_ttl: chrono::Duration::seconds(auth.kiosk_session_ttl_secs),
        max_failures_per_login: auth.max_failures_per_login,
        max_failures_per_peer: auth.max_failures_per_peer,
        hashing_concurrency: auth.hashing_concurrency,
        ..IdentitySettings::default()
    }
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
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
        let appointments = Appointments::new(db.clone(), appointment_settings(&settings));
        let dispatch = mediation_dispatch::Dispatch::new(db.clone(), mediation_dispatch::DispatchSettings::default());
        let listener = TcpListener::bind(&settings.server.listen)
            .await
            .with_context(|| format!("binding {}", settings.server.listen))?;
        Ok(Self { listener, settings, db, keys, identity, directory, appointments, ratings, dispatch, notifier })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Serves until `shutdown` completes, then stops accepting and lets in-flight calls finish
    /// for at most `server.shutdown_grace_secs`.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let server = &self.settings.server;
        let (health_reporter, health) = tonic_health::server::health_reporter();
        health_reporter
            .set_serving::<mediation_api::identity::v1::identity_service_server::IdentityServiceServer<Identity>>()
            .await;
        health_reporter
            .set_serving::<mediation_api::directory::v1::directory_service_server::DirectoryServiceServer<Directory>>()
            .await;
        health_reporter
            .set_serving::<mediation_api::appointments::v1::appointment_service_server::AppointmentServiceServer<Appointments>>()
            .await;
        health_reporter
            .set_serving::<mediation_api::ratings::v1::rating_service_server::RatingServiceServer<Ratings>>()
            .await;
        health_reporter
            .set_serving::<mediation_api::dispatch::v1::dispatch_service_server::DispatchServiceServer<mediation_dispatch::Dispatch>>()
            .await;
        let reflection = || {
            tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(mediation_api::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
                .register_encoded_file_descriptor_set(tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET)
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
            .layer(cors)
            .layer(tonic_web::GrpcWebLayer::new())
            .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
            .layer(PropagateRequestIdLayer::new(REQUEST_ID))
            .layer(trace)
            .layer(DeadlineLayer::new(Duration::from_secs(server.request_timeout_secs)))
            .layer(AuthLayer::new(self.keys.clone(), policy_table()))
            .into_inner();

        let identity = self.identity.into_server().max_decoding_message_size(server.max_message_bytes);
        let directory = self.directory.into_server().max_decoding_message_size(server.max_message_bytes);
        let appointments = self.appointments.into_server().max_decoding_message_size(server.max_message_bytes);
        let ratings = self.ratings.into_server().max_decoding_message_size(server.max_message_bytes);
        let dispatch = self.dispatch.into_server().max_decoding_message_size(server.max_message_bytes);
        let router = Server::builder()
            .accept_http1(true)
            .concurrency_limit_per_connection(server.concurrency_per_connection)
            .layer(layers)
            .add_service(health)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(identity)
            .add_service(directory)
            .add_service(appointments)
            .add_service(ratings)
            .add_service(dispatch);

        let (worker_stop, worker_stopped) = tokio::sync::oneshot::channel::<()>();
        let worker = tokio::spawn(mediation_appointments::notices::deliver_until(
            self.db.clone(),
            self.notifier.clone(),
            Duration::from_millis(self.settings.appointments.outbox_poll_ms),
            async {
                let _ = worker_stopped.await;
            },
        ));
        let grace = Duration::from_secs(server.shutdown_grace_secs);
        let addr = self.listener.local_addr()?;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let serve = router.serve_with_incoming_shutdown(TcpIncoming::from(self.listener), async {
            let _ = stop_rx.await;
        });
        tokio::pin!(serve);
        tracing::info!(%addr, "serving");
        tokio::select! {
            result = &mut serve => return result.context("server failed"),
            () = shutdown => {}
        }
        tracing::info!(grace_secs = grace.as_secs(), "shutting down: draining in-flight calls");
        let _ = stop_tx.send(());
        let _ = worker_stop.send(());
        let _ = worker.await;
        match tokio::time::timeout(grace, serve).await {
            Ok(result) => result.context("server failed while draining"),
            Err(_) => {
                tracing::warn!("calls still running after the grace period were cut off");
                Ok(())
            }
        }
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
