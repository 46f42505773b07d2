use std::path::PathBuf;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::R2D2Connection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError};

use crate::{Error, Result, migrate, run_blocking};

/// A connection to either backend. Queries written with diesel's DSL run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Pool and SQLite settings; see the gateway's settings module for their defaults.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    /// How long a call waits for a free connection; keep it below the call deadline.
    pub checkout_timeout: Duration,
    pub sqlite_busy_timeout: Duration,
    /// `FULL` (the default) makes an acknowledged write survive a power cut; `NORMAL` trades
    /// that for speed.
    pub sqlite_synchronous: String,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 8,
            checkout_timeout: Duration::from_secs(5),
            sqlite_busy_timeout: Duration::from_secs(5),
            sqlite_synchronous: "FULL".into(),
        }
    }
}

#[derive(Debug, Clone)]
enum Target {
    Sqlite { path: PathBuf, init: String },
    Postgres { url: String },
}

/// Opens connections of the backend the URL names, so that a SQLite path is never mistaken for
/// a PostgreSQL connection string or the reverse.
#[derive(Debug)]
struct Manager(Target);

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = ConnectionError;

    fn connect(&self) -> Result<DbConnection, ConnectionError> {
        match &self.0 {
            Target::Postgres { url } => PgConnection::establish(url).map(DbConnection::Pg),
            Target::Sqlite { path, init } => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
                conn.batch_execute(init).map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), ConnectionError> {
        conn.ping().map_err(ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

/// How busy the pool is at one instant, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    /// Connections open, checked out or idle.
    pub connections: u32,
    /// Open connections waiting in the pool for a caller.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

impl PoolState {
    pub fn in_use(&self) -> u32 {
        self.connections.saturating_sub(self.idle)
    }
}

/// The shared handle to the database: a pool of connections and the blocking-pool runners.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<Manager>,
    backend: Backend,
    /// For connections of their own (PostgreSQL only).
    postgres_url: Option<std::sync::Arc<str>>,
    /// The keys personal data is sealed with, in scope while `read` and `write` work runs
    /// (see [`crate::personal`]).
    keyring: Option<std::sync::Arc<mediation_privacy::Keyring>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("backend", &self.backend).finish_non_exhaustive()
    }
}

impl Db {
    /// Opens a pool on `url`: `sqlite://PATH` (the file and its folder are created when missing;
    /// `sqlite:///abs/path` is absolute) or `postgres://...`.
    pub fn connect(url: &str, settings: &PoolSettings) -> Result<Self> {
        let (target, backend) = parse_url(url, settings)?;
        if let Target::Sqlite { path, .. } = &target
            && let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent)
                .map_err(|source| Error::CreateFolder { path: parent.display().to_string(), source })?;
        }
        let postgres_url = match &target {
            Target::Postgres { url } => Some(url.as_str().into()),
            Target::Sqlite { .. } => None,
        };
        let pool = r2d2::Pool::builder()
            .max_size(settings.max_connections)
            // No idle connection kept warm: r2d2 replenishes min_idle on a worker thread after
            // every checkout, and one-shot commands (`migrate`, `audit verify`) then exited
            // while that thread was in a TLS handshake with PostgreSQL, racing OpenSSL's exit
            // cleanup into a segfault.
            .min_idle(Some(0))
            // A SQLite connection is a file handle that cannot go stale, so it is not tested
            // with a query at every checkout (one more statement per call, for nothing); a
            // PostgreSQL connection may have been dropped by the server and is.
            .test_on_check_out(matches!(target, Target::Postgres { .. }))
            .connection_timeout(settings.checkout_timeout)
            .build(Manager(target))
            .map_err(Error::Pool)?;
        Ok(Self { pool, backend, postgres_url, keyring: None })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// This handle with the keys that seal and open personal data in its `read` and `write`.
    pub fn with_keyring(mut self, keyring: std::sync::Arc<mediation_privacy::Keyring>) -> Self {
        self.keyring = Some(keyring);
        self
    }

    /// A new PostgreSQL connection of its own, outside the pool, for work that holds one for
    /// long (LISTEN); `None` on SQLite.
    pub fn dedicated_postgres(&self) -> Option<Result<PgConnection, ConnectionError>> {
        self.postgres_url.as_deref().map(PgConnection::establish)
    }

    /// Runs `work` with this handle's privacy keys in scope, as `read` does: for work on a
    /// connection of its own ([`Db::dedicated_postgres`]) that reads sealed columns.
    pub fn with_keys_in_scope<T>(&self, work: impl FnOnce() -> T) -> T {
        let _keys = crate::personal::enter(self.keyring.clone());
        work()
    }

    /// Connections open and idle right now (r2d2 counts no waiters).
    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState { connections: state.connections, idle: state.idle_connections, max: self.pool.max_size() }
    }

    /// Applies pending migrations; returns how many ran.
    pub async fn migrate(&self) -> Result<usize> {
        self.read(migrate::run_pending).await
    }

    /// Rewrites a SQLite file so that no overwritten value lingers in its free pages or its
    /// write-ahead log (after `mediation rekey`: the values under the old key, or plain text from
    /// before encryption). Nothing on PostgreSQL, whose old row versions stay in the table files
    /// until VACUUM reuses their space (`VACUUM FULL` rewrites them, under an exclusive lock).
    pub async fn compact(&self) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Ok(());
        }
        self.read(|conn| Ok(conn.batch_execute("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")?)).await
    }

    /// Runs `work` with a pooled connection on the blocking pool, outside any transaction.
    pub async fn read<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        let pool = self.pool.clone();
        let keyring = self.keyring.clone();
        run_blocking(move || {
            let _keys = crate::personal::enter(keyring);
            let mut conn = pool.get().map_err(|err| E::from(Error::Checkout(err)))?;
            work(&mut conn)
        })
        .await
    }

    /// Runs a read of a row or two on the calling thread when the database is SQLite and a
    /// pooled connection is free at once: handing such a read to the blocking pool and waking
    /// the caller again costs several times the read. On PostgreSQL (a network round trip) or
    /// with every connection busy, the same as [`Db::read`].
    pub async fn read_small<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        if self.backend == Backend::Sqlite
            && let Some(mut conn) = self.pool.try_get()
        {
            let _keys = crate::personal::enter(self.keyring.clone());
            return work(&mut conn);
        }
        self.read(work).await
    }

    /// Runs `work` in one write transaction: `BEGIN IMMEDIATE` on SQLite, so that the write lock
    /// is taken up front and two writers never deadlock on a lock upgrade.
    pub async fn write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<Error> + Send + 'static,
    {
        self.read(move |conn| write_transaction(conn, work)).await
    }
}

fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<Error>,
{
    let begin = match conn {
        DbConnection::Sqlite(inner) => AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE"),
        DbConnection::Pg(inner) => AnsiTransactionManager::begin_transaction(inner),
    };
    begin.map_err(|err| E::from(Error::Query(err)))?;
    match work(conn) {
        Ok(value) => {
            DbConnection::commit_transaction(conn).map_err(|err| E::from(Error::Query(err)))?;
            Ok(value)
        }
        Err(err) => {
            DbConnection::rollback_transaction(conn).map_err(|err| E::from(Error::Query(err)))?;
            Err(err)
        }
    }
}

fn parse_url(url: &str, settings: &PoolSettings) -> Result<(Target, Backend)> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Target::Postgres { url: url.to_owned() }, Backend::Postgres));
    }
    let Some(path) = url.strip_prefix("sqlite://") else {
        return Err(Error::BadUrl(format!("{url:?} is neither sqlite://PATH nor postgres://...")));
    };
    if path.is_empty() {
        return Err(Error::BadUrl("sqlite:// needs a file path".into()));
    }
    let synchronous = settings.sqlite_synchronous.to_ascii_uppercase();
    if !["OFF", "NORMAL", "FULL", "EXTRA"].contains(&synchronous.as_str()) {
        return Err(Error::BadUrl(format!(
            "sqlite synchronous must be OFF, NORMAL, FULL or EXTRA, not {synchronous:?}"
        )));
    }
    let init = format!(
        "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; PRAGMA foreign_keys = ON;",
        settings.sqlite_busy_timeout.as_millis()
    );
    Ok((Target::Sqlite { path: PathBuf::from(path), init }, Backend::Sqlite))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `.cargo/config.toml` builds the bundled SQLite with the query-planner stability
    /// guarantee, so that statements with a bound LIMIT are not re-prepared at every execution.
    #[test]
    fn sqlite_plans_without_the_bound_values() {
        use diesel::RunQueryDsl;
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let used: i32 =
            diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("sqlite_compileoption_used('ENABLE_QPSG')"))
                .get_result(&mut conn)
                .unwrap();
        assert_eq!(used, 1);
    }

    #[test]
    fn urls_pick_their_backend() {
        let s = PoolSettings::default();
        let (t, b) = parse_url("sqlite://./data/mediation.db", &s).unwrap();
        assert_eq!(b, Backend::Sqlite);
        assert!(matches!(t, Target::Sqlite { path, .. } if path == PathBuf::from("./data/mediation.db")));
        let (t, _) = parse_url("sqlite:///var/lib/mediation/mediation.db", &s).unwrap();
        assert!(matches!(t, Target::Sqlite { path, .. } if path == PathBuf::from("/var/lib/mediation/mediation.db")));
        assert_eq!(parse_url("postgres://u@h/db", &s).unwrap().1, Backend::Postgres);
        assert!(parse_url("mysql://x", &s).is_err());
        assert!(parse_url("sqlite://", &s).is_err());
    }

    /// The thread a small read ran on, and what it read.
    async fn small_read(db: &Db) -> (std::thread::ThreadId, i32) {
        use diesel::RunQueryDsl;
        db.read_small(|conn| {
            let one = diesel::select(diesel::dsl::sql::<diesel::sql_types::Integer>("1")).get_result(conn)?;
            Ok::<_, Error>((std::thread::current().id(), one))
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn small_reads_run_in_place_only_on_a_free_sqlite_connection() {
        let here = std::thread::current().id();
        let sqlite = crate::testdb::TestDatabase::sqlite();
        let settings = PoolSettings { max_connections: 1, ..PoolSettings::default() };
        let db = Db::connect(sqlite.url(), &settings).unwrap();
        // No connection is open yet: the first read opens one on the blocking pool.
        assert_ne!(small_read(&db).await, (here, 1));
        assert_eq!(small_read(&db).await, (here, 1));

        // With the one connection taken, a small read waits for it on the blocking pool.
        let (taken, wait_for_taken) = tokio::sync::oneshot::channel();
        let holder = db.clone();
        let holding = tokio::spawn(async move {
            holder
                .read(move |_| {
                    taken.send(()).unwrap();
                    std::thread::sleep(Duration::from_millis(200));
                    Ok::<_, Error>(())
                })
                .await
        });
        wait_for_taken.await.unwrap();
        let (thread, one) = small_read(&db).await;
        assert_ne!(thread, here);
        assert_eq!(one, 1);
        holding.await.unwrap().unwrap();

        if let Some(postgres) = crate::testdb::TestDatabase::postgres() {
            let db = Db::connect(postgres.url(), &PoolSettings::default()).unwrap();
            small_read(&db).await;
            assert_ne!(small_read(&db).await.0, here, "a PostgreSQL read is a round trip; it never blocks the caller");
        }
    }

    #[test]
    fn synchronous_setting_is_checked() {
        let s = PoolSettings { sqlite_synchronous: "sometimes".into(), ..PoolSettings::default() };
        assert!(parse_url("sqlite://x.db", &s).is_err());
    }
}
