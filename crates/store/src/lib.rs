//! Storage: one connection type over SQLite and PostgreSQL, the pool, the embedded migrations,
//! the diesel schema of every table, the idempotency records every create shares, throwaway
//! databases for tests, and the sealing of personal data under the keys a [`Db`] carries
//! ([`personal`]).
//!
//! This crate owns no business rules and no service's queries: each service keeps its SQL in its
//! own `repo` module and reaches the database through [`Db::read`] and [`Db::write`], which run
//! on the blocking pool with a pooled connection.

mod blocking;
mod error;
pub mod idempotency;
mod migrate;
pub mod personal;
mod pool;
pub mod schema;
pub mod testdb;

pub use blocking::run_blocking;
pub use error::{Error, Result, is_unique_violation};
pub use pool::{Backend, Db, DbConnection, PoolSettings, PoolState};

/// Evaluates `$body` with `$c` bound to the backend's own connection inside a [`DbConnection`].
/// Through `DbConnection` diesel writes out a statement's SQL text at every execution, even
/// when the statement is cached; on the backend's own connection a statement of a fixed shape is
/// found in the cache by its type alone. For the lookups by key that nearly every call makes.
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::DbConnection::Pg($c) => $body,
            $crate::DbConnection::Sqlite($c) => $body,
        }
    };
}
