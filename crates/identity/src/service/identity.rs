//! The service itself: its database, keys, notifier and settings, the limits on argon2 and on
//! failed attempts, and what every flow shares (the site lookup, inserting an account).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};
use mediation_auth::{TokenKeys, hash_password};
use mediation_notify::Notifier;
use mediation_store::{Db, DbConnection, run_blocking};
use tokio::sync::Semaphore;

use crate::domain::staff::SiteKind;
use crate::domain::{CodeRules, FailureLimiter};
use crate::error::{Error, Result};
use crate::repo::{self, NewAccount};
use crate::revocations::Revocations;

/// Lifetimes and limits; the gateway's settings module documents each default.
#[derive(Debug, Clone)]
pub struct IdentitySettings {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub kiosk_session_ttl: Duration,
    pub codes: CodeRules,
    pub max_failures_per_login: u32,
    pub max_failures_per_peer: u32,
    pub failure_window: std::time::Duration,
    /// How many argon2 hashes may run at once (each takes 19 MiB).
    pub hashing_concurrency: usize,
}

impl Default for IdentitySettings {
    fn default() -> Self {
        Self {
            access_ttl: Duration::minutes(15),
            refresh_ttl: Duration::days(30),
            kiosk_session_ttl: Duration::minutes(10),
            codes: CodeRules::default(),
            max_failures_per_login: 5,
            max_failures_per_peer: 50,
            failure_window: std::time::Duration::from_secs(15 * 60),
            hashing_concurrency: 2,
        }
    }
}

/// What identity needs to know of a site. The directory owns sites; the gateway hands its
/// lookup in, since the directory itself depends on identity for accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteRef {
    /// `CENTRE`, `STATION` or `KIOSK`; [`SiteRef::site_kind`] reads it.
    pub kind: String,
    pub parent_id: Option<String>,
}

impl SiteRef {
    /// The kind as the rules know it; `None` for one they do not.
    pub fn site_kind(&self) -> Option<SiteKind> {
        SiteKind::parse(&self.kind)
    }
}

pub type SiteLookup = fn(&mut DbConnection, &str) -> Result<Option<SiteRef>, diesel::result::Error>;

/// A create a flow hands to its caller's idempotent replay, to run inside the transaction.
pub type Create<T> = Box<dyn FnOnce(&mut DbConnection) -> Result<T> + Send>;

/// The identity service: its database, keys, notifier, settings, and the limits on argon2 and on
/// failed attempts. The face (`crate::rpc`) serves it over gRPC.
pub struct Identity {
    pub(super) db: Db,
    pub(super) sites: SiteLookup,
    pub(super) keys: Arc<TokenKeys>,
    pub(super) notifier: Arc<Notifier>,
    pub(super) settings: IdentitySettings,
    pub(super) hashing: Semaphore,
    pub(super) login_failures: FailureLimiter,
    pub(super) peer_failures: FailureLimiter,
    /// Argon2 hashes and verifications run so far.
    argon2_runs: AtomicU64,
    /// What this process knows of disabled accounts; a disabling made here is noted at once.
    pub(super) revocations: Arc<Revocations>,
}

impl Identity {
    pub fn new(
        db: Db,
        keys: Arc<TokenKeys>,
        notifier: Arc<Notifier>,
        settings: IdentitySettings,
        sites: SiteLookup,
    ) -> Self {
        Self {
            sites,
            hashing: Semaphore::new(settings.hashing_concurrency.max(1)),
            login_failures: FailureLimiter::new(settings.max_failures_per_login, settings.failure_window),
            peer_failures: FailureLimiter::new(settings.max_failures_per_peer, settings.failure_window),
            argon2_runs: AtomicU64::new(0),
            revocations: Revocations::new(),
            db,
            keys,
            notifier,
            settings,
        }
    }

    pub(super) async fn hash_password(&self, password: String) -> Result<String> {
        let _permit = self.hashing.acquire().await.expect("hashing semaphore is never closed");
        self.count_argon2_run();
        Ok(run_blocking(move || hash_password(&password)).await?)
    }

    /// Counts an argon2 run (a hash or a verification) as it starts.
    pub(super) fn count_argon2_run(&self) {
        self.argon2_runs.fetch_add(1, Ordering::Relaxed);
    }

    /// What this process knows of disabled accounts: the gateway checks every signed-in call
    /// against it, and keeps it polled.
    pub fn revocations(&self) -> Arc<Revocations> {
        self.revocations.clone()
    }

    /// How many argon2 hashes and verifications this service has run: what tests read to show
    /// that a refused call cost none.
    pub fn argon2_runs(&self) -> u64 {
        self.argon2_runs.load(Ordering::Relaxed)
    }
}

/// Inserts an account, turning a lost race for its phone or login into the error a client
/// can act on.
pub(super) fn insert_account(conn: &mut DbConnection, new: &NewAccount<'_>, now: DateTime<Utc>) -> Result<()> {
    match repo::insert_account(conn, new, now) {
        Err(err) if mediation_store::is_unique_violation(&err) => {
            Err(if new.login.is_some() { Error::LoginTaken } else { Error::PhoneTaken })
        }
        other => Ok(other?),
    }
}
