//! Throwaway databases for tests: a SQLite file in a temporary folder, or a PostgreSQL database
//! created on the server named by `MEDIATION_TEST_POSTGRES_URL` and dropped afterwards.

use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};

/// Names the PostgreSQL server tests may create databases on (`.ci/run` sets it).
pub const POSTGRES_ENV: &str = "MEDIATION_TEST_POSTGRES_URL";

#[derive(Debug)]
pub struct TestDatabase {
    url: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        server: String,
        name: String,
    },
    /// Another handle on a database someone else drops.
    Shared,
}

impl TestDatabase {
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let url = format!("sqlite://{}", dir.path().join("mediation.db").display());
        Self { url, cleanup: Cleanup::Sqlite(dir) }
    }

    /// A fresh, empty database, or `None` when no PostgreSQL server is configured.
    pub fn postgres() -> Option<Self> {
        let server = std::env::var(POSTGRES_ENV).ok().filter(|v| !v.is_empty())?;
        let server = server_url(&server);
        let name = format!("mediation_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(&format!("{server}/postgres"))
            .unwrap_or_else(|err| panic!("cannot reach PostgreSQL at {server} ({POSTGRES_ENV}): {err}"));
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).expect("CREATE DATABASE");
        Some(Self { url: format!("{server}/{name}"), cleanup: Cleanup::Postgres { server, name } })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// A handle on the same database that leaves it in place when dropped, for a second
    /// server on it.
    pub fn shared(&self) -> TestDatabase {
        TestDatabase { url: self.url.clone(), cleanup: Cleanup::Shared }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres { server, name } = &self.cleanup
            && let Ok(mut admin) = PgConnection::establish(&format!("{server}/postgres"))
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin);
        }
    }
}

/// `postgres://user@host:port/anything` -> `postgres://user@host:port`.
fn server_url(url: &str) -> String {
    let url = url.trim_end_matches('/');
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(slash) => url[..after_scheme + slash].to_owned(),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_url_drops_the_database() {
        assert_eq!(server_url("postgres://postgres@127.0.0.1:5432"), "postgres://postgres@127.0.0.1:5432");
        assert_eq!(server_url("postgres://postgres@127.0.0.1:5432/test"), "postgres://postgres@127.0.0.1:5432");
    }
}
