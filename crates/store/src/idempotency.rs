//! Idempotent creates (AIP-155). A create claims `(principal, method, request_id)` in the same
//! transaction as its writes; a retry with the same request replays the first response and
//! writes nothing, and the same `request_id` with a different request is refused.
//!
//! On PostgreSQL a concurrent retry waits on the claim's row until the first transaction
//! commits, then sees it; on SQLite write transactions are serialised anyway.
//!
//! A recorded response repeats what the create returned, personal data included (a case's
//! parties, a visit's address), so it is kept sealed (`crate::personal`).

use chrono::Utc;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::personal;
use crate::schema::idempotency_keys;
use crate::{DbConnection, Error, Result};

/// The sealed column's purpose, bound into its values as associated data.
const RESPONSE: &str = "idempotency_keys.response";

#[derive(Debug, Clone, Copy)]
pub struct Key<'a> {
    /// The caller's account id.
    pub principal: &'a str,
    /// The full gRPC method name.
    pub method: &'a str,
    pub request_id: &'a str,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// First time: do the create, then [`complete`].
    New,
    /// A retry of the same request: the recorded response.
    Replay(Vec<u8>),
}

/// Claims `key` for a request whose encoding is `request`.
pub fn claim(conn: &mut DbConnection, key: Key<'_>, request: &[u8]) -> Result<Claim> {
    let fingerprint = Sha256::digest(request).to_vec();
    let insert = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::principal.eq(key.principal),
            idempotency_keys::method.eq(key.method),
            idempotency_keys::request_id.eq(key.request_id),
            idempotency_keys::fingerprint.eq(&fingerprint),
            idempotency_keys::response.eq(Vec::<u8>::new()),
            idempotency_keys::created_at.eq(Utc::now().naive_utc()),
        ))
        .on_conflict_do_nothing();
    // diesel's multi-backend layer has no ON CONFLICT, though both backends do.
    let inserted = match conn {
        DbConnection::Pg(conn) => insert.execute(conn)?,
        DbConnection::Sqlite(conn) => insert.execute(conn)?,
    };
    if inserted == 1 {
        return Ok(Claim::New);
    }
    let (recorded_fingerprint, response): (Vec<u8>, Vec<u8>) = idempotency_keys::table
        .find((key.principal, key.method, key.request_id))
        .select((idempotency_keys::fingerprint, idempotency_keys::response))
        .first(conn)?;
    if recorded_fingerprint != fingerprint {
        return Err(Error::IdempotencyKeyReused);
    }
    Ok(Claim::Replay(personal::open_bytes(RESPONSE, &response)?))
}

/// The response recorded for `key`, if any, without claiming it: for calls that cannot claim in
/// the transaction of their writes (a plan is solved between two transactions). The same key
/// with another request is [`Error::IdempotencyKeyReused`], as in [`claim`].
pub fn recorded(conn: &mut DbConnection, key: Key<'_>, request: &[u8]) -> Result<Option<Vec<u8>>> {
    let found: Option<(Vec<u8>, Vec<u8>)> = idempotency_keys::table
        .find((key.principal, key.method, key.request_id))
        .select((idempotency_keys::fingerprint, idempotency_keys::response))
        .first(conn)
        .optional()?;
    let Some((recorded_fingerprint, response)) = found else { return Ok(None) };
    if recorded_fingerprint != Sha256::digest(request).to_vec() {
        return Err(Error::IdempotencyKeyReused);
    }
    Ok(Some(personal::open_bytes(RESPONSE, &response)?))
}

/// Records the response to replay for a claimed key.
pub fn complete(conn: &mut DbConnection, key: Key<'_>, response: &[u8]) -> Result<()> {
    diesel::update(idempotency_keys::table.find((key.principal, key.method, key.request_id)))
        .set(idempotency_keys::response.eq(personal::seal_bytes(RESPONSE, response)?))
        .execute(conn)?;
    Ok(())
}

/// Reseals the recorded responses among `batch` records from `offset` (oldest first) that are
/// not sealed under the current key (plain ones from before encryption included); returns how
/// many records it looked at, so that a rekey moves on by that much until it gets fewer than
/// `batch`. New records only come after the old ones, so the offsets stay put while it runs.
pub fn rekey(conn: &mut DbConnection, offset: i64, batch: i64) -> Result<usize> {
    type Row = (String, String, String, Vec<u8>);
    let rows: Vec<Row> = idempotency_keys::table
        .order((
            idempotency_keys::created_at,
            idempotency_keys::principal,
            idempotency_keys::method,
            idempotency_keys::request_id,
        ))
        .offset(offset)
        .limit(batch)
        .select((
            idempotency_keys::principal,
            idempotency_keys::method,
            idempotency_keys::request_id,
            idempotency_keys::response,
        ))
        .load(conn)?;
    for (principal, method, request_id, response) in &rows {
        // A plain response is protobuf, which never starts with the sealed format's `v1:`.
        let Some(resealed) = personal::reseal_bytes(RESPONSE, response)? else { continue };
        diesel::update(idempotency_keys::table.find((principal, method, request_id)))
            .set(idempotency_keys::response.eq(resealed))
            .execute(conn)?;
    }
    Ok(rows.len())
}
