use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::{DbConnection, Error, Result};

const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Applies every pending migration of the connection's backend; returns how many ran.
pub(crate) fn run_pending(conn: &mut DbConnection) -> Result<usize> {
    let applied = match conn {
        DbConnection::Sqlite(conn) => conn.run_pending_migrations(SQLITE).map(|v| v.len()),
        DbConnection::Pg(conn) => conn.run_pending_migrations(POSTGRES).map(|v| v.len()),
    };
    applied.map_err(|err| Error::Migration(err.to_string()))
}
