//! The `account_blocks` table: which accounts are disabled, and since when their access tokens
//! are accepted.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use mediation_store::DbConnection;

use super::query::{QueryResult, naive};

/// An account's block: whether it is disabled, and since when its access tokens are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub disabled: bool,
    pub tokens_not_before: DateTime<Utc>,
}

pub fn block(conn: &mut DbConnection, account_id: &str) -> QueryResult<Option<Block>> {
    use mediation_store::schema::account_blocks as b;
    let row: Option<(bool, NaiveDateTime)> =
        b::table.find(account_id).select((b::disabled, b::tokens_not_before)).get_result(conn).optional()?;
    Ok(row.map(|(disabled, nb)| Block { disabled, tokens_not_before: nb.and_utc() }))
}

/// Records an account as disabled or enabled, with the not-before its tokens must meet.
pub fn set_block(
    conn: &mut DbConnection,
    account_id: &str,
    block: &Block,
    reason: &str,
    by: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    use mediation_store::schema::account_blocks as b;
    let values = (
        b::account_id.eq(account_id),
        b::disabled.eq(block.disabled),
        b::tokens_not_before.eq(naive(block.tokens_not_before)),
        b::reason.eq(reason),
        b::updated_by.eq(by),
        b::updated_at.eq(naive(now)),
    );
    let insert = diesel::insert_into(b::table).values(values).on_conflict_do_nothing();
    // diesel's multi-backend layer has no ON CONFLICT, though both backends do.
    let inserted = match conn {
        DbConnection::Pg(conn) => insert.execute(conn)?,
        DbConnection::Sqlite(conn) => insert.execute(conn)?,
    };
    if inserted == 0 {
        diesel::update(b::table.find(account_id))
            .set((
                b::disabled.eq(block.disabled),
                b::tokens_not_before.eq(naive(block.tokens_not_before)),
                b::reason.eq(reason),
                b::updated_by.eq(by),
                b::updated_at.eq(naive(now)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The latest token not-before of these accounts (a session's account and the kiosk it is bound
/// to): a primary-key probe of a table holding only accounts that were ever disabled, run by the
/// gateway on every authenticated call.
pub fn tokens_not_before(conn: &mut DbConnection, account_ids: &[&str]) -> QueryResult<Option<DateTime<Utc>>> {
    use mediation_store::schema::account_blocks as b;
    let found: Vec<NaiveDateTime> =
        b::table.filter(b::account_id.eq_any(account_ids)).select(b::tokens_not_before).load(conn)?;
    Ok(found.into_iter().max().map(|nb| nb.and_utc()))
}

/// The counter that triggers move on every change to `account_blocks`.
pub fn block_generation(conn: &mut DbConnection) -> QueryResult<i64> {
    use mediation_store::schema::block_generation as g;
    g::table.select(g::generation).get_result(conn)
}

/// Every account's token not-before: the whole table, which holds only accounts ever disabled.
pub fn all_tokens_not_before(conn: &mut DbConnection) -> QueryResult<Vec<(String, DateTime<Utc>)>> {
    use mediation_store::schema::account_blocks as b;
    let rows: Vec<(String, NaiveDateTime)> = b::table.select((b::account_id, b::tokens_not_before)).load(conn)?;
    Ok(rows.into_iter().map(|(id, nb)| (id, nb.and_utc())).collect())
}
