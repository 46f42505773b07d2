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
