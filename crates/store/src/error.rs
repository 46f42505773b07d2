use diesel::result::{DatabaseErrorKind, Error as DieselError};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid database url: {0}")]
    BadUrl(String),
    #[error("cannot create the database folder {path}: {source}")]
    CreateFolder { path: String, source: std::io::Error },
    #[error("cannot build the connection pool: {0}")]
    Pool(#[source] r2d2::Error),
    #[error("no database connection free in time: {0}")]
    Checkout(#[source] r2d2::Error),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error(transparent)]
    Query(#[from] DieselError),
    #[error("a recorded response no longer decodes: {0}")]
    Unreadable(String),
    #[error("request_id was already used for a different request")]
    IdempotencyKeyReused,
}

/// Whether a query failed on a unique constraint, on either backend.
pub fn is_unique_violation(err: &DieselError) -> bool {
    matches!(err, DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _))
}
