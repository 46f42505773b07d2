//! The `refresh_tokens` table (families of single-use tokens, kept as hashes) and the
//! `signing_keys` table (the one key every replica signs access tokens with).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use mediation_store::schema::{refresh_tokens, signing_keys};
use mediation_store::{DbConnection, is_unique_violation};

use super::query::{QueryResult, naive};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshRow {
    pub family_id: String,
    pub account_id: String,
    pub family_expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

pub fn insert_refresh(
    conn: &mut DbConnection,
    token_hash: &str,
    family_id: &str,
    account_id: &str,
    now: DateTime<Utc>,
    family_expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::token_hash.eq(token_hash),
            refresh_tokens::family_id.eq(family_id),
            refresh_tokens::account_id.eq(account_id),
            refresh_tokens::issued_at.eq(naive(now)),
            refresh_tokens::family_expires_at.eq(naive(family_expires_at)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn refresh_by_hash(conn: &mut DbConnection, token_hash: &str) -> QueryResult<Option<RefreshRow>> {
    refresh_tokens::table.find(token_hash).select(RefreshRow::as_select()).get_result(conn).optional()
}

/// Marks a token used unless it already was; returns whether this call used it, so that two
/// concurrent refreshes with one token cannot both succeed.
pub fn use_refresh(conn: &mut DbConnection, token_hash: &str, now: DateTime<Utc>) -> QueryResult<bool> {
    let updated = diesel::update(
        refresh_tokens::table
            .find(token_hash)
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::used_at.eq(naive(now)))
    .execute(conn)?;
    Ok(updated == 1)
}

pub fn revoke_family(conn: &mut DbConnection, family_id: &str, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(naive(now)))
    .execute(conn)?;
    Ok(())
}

/// Revokes every refresh-token family of an account.
pub fn revoke_all_refresh(conn: &mut DbConnection, account_id: &str, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::account_id.eq(account_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(naive(now)))
    .execute(conn)
}

const SIGNING_KEY_ID: &str = "access-token-key";

/// The stored signing key, storing `generated` first if there is none. Every replica that
/// starts on an empty database races here; the first insert wins and all read the same key.
pub fn signing_key_or_insert(conn: &mut DbConnection, generated: &str, now: DateTime<Utc>) -> QueryResult<String> {
    let inserted = diesel::insert_into(signing_keys::table)
        .values((
            signing_keys::id.eq(SIGNING_KEY_ID),
            signing_keys::private_key_pem.eq(generated),
            signing_keys::created_at.eq(naive(now)),
        ))
        .execute(conn);
    match inserted {
        Err(err) if !is_unique_violation(&err) => return Err(err),
        _ => {}
    }
    signing_keys::table.find(SIGNING_KEY_ID).select(signing_keys::private_key_pem).get_result(conn)
}
