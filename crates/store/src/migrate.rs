use diesel::RunQueryDsl;
use diesel::pg::PgConnection;
use diesel::sql_types::BigInt;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::{DbConnection, Error, Result};

const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// Any constant will do, as long as nothing else in the database takes the same advisory lock.
const MIGRATION_LOCK: i64 = 0x6d65_6469_6174_6500;

/// Applies every pending migration of the connection's backend; returns how many ran. On
/// PostgreSQL, replicas starting together take turns under an advisory lock instead of racing.
pub(crate) fn run_pending(conn: &mut DbConnection) -> Result<usize> {
    let applied = match conn {
        DbConnection::Sqlite(conn) => conn.run_pending_migrations(SQLITE).map(|v| v.len()),
        DbConnection::Pg(conn) => {
            let lock = |conn: &mut PgConnection, sql: &str| {
                diesel::sql_query(sql).bind::<BigInt, _>(MIGRATION_LOCK).execute(conn).map_err(Error::Query)
            };
            lock(conn, "SELECT pg_advisory_lock($1)")?;
            let applied = conn.run_pending_migrations(POSTGRES).map(|v| v.len());
            lock(conn, "SELECT pg_advisory_unlock($1)")?;
            applied
        }
    };
    applied.map_err(|err| Error::Migration(err.to_string()))
}
