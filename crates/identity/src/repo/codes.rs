//! The `phone_codes` table: codes are kept as hashes, found by the phone's blind index.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use mediation_store::DbConnection;
use mediation_store::personal::phone_index;
use mediation_store::schema::phone_codes;

use super::query::{QueryResult, naive};
use crate::domain::{CodePurpose, PhoneNumber};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = phone_codes)]
pub struct CodeRow {
    pub id: String,
    pub code_hash: String,
    pub expires_at: NaiveDateTime,
    pub attempts: i32,
}

/// When codes were sent to `phone` since `since`, for the sending limits.
pub fn code_times_since(
    conn: &mut DbConnection,
    phone: &PhoneNumber,
    since: DateTime<Utc>,
) -> QueryResult<Vec<DateTime<Utc>>> {
    let times: Vec<NaiveDateTime> = phone_codes::table
        .filter(phone_codes::phone_index.eq(phone_index(phone.as_str())?))
        .filter(phone_codes::created_at.gt(naive(since)))
        .select(phone_codes::created_at)
        .load(conn)?;
    Ok(times.into_iter().map(|t| t.and_utc()).collect())
}

pub fn insert_code(
    conn: &mut DbConnection,
    phone: &PhoneNumber,
    purpose: CodePurpose,
    code_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(phone_codes::table)
        .values((
            phone_codes::id.eq(uuid::Uuid::now_v7().to_string()),
            phone_codes::phone_index.eq(phone_index(phone.as_str())?),
            phone_codes::purpose.eq(purpose.as_str()),
            phone_codes::code_hash.eq(code_hash),
            phone_codes::created_at.eq(naive(now)),
            phone_codes::expires_at.eq(naive(expires_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The newest unconsumed code for this phone and purpose; older ones are superseded.
pub fn newest_open_code(
    conn: &mut DbConnection,
    phone: &PhoneNumber,
    purpose: CodePurpose,
) -> QueryResult<Option<CodeRow>> {
    phone_codes::table
        .filter(phone_codes::phone_index.eq(phone_index(phone.as_str())?))
        .filter(phone_codes::purpose.eq(purpose.as_str()))
        .filter(phone_codes::consumed_at.is_null())
        .order(phone_codes::created_at.desc())
        .select(CodeRow::as_select())
        .first(conn)
        .optional()
}

/// Counts one try against the code before it is compared, unless its tries are used up;
/// returns whether this try may go ahead. One statement, so that concurrent guesses on
/// PostgreSQL each take a try of their own.
pub fn take_code_attempt(conn: &mut DbConnection, id: &str, max_attempts: i32) -> QueryResult<bool> {
    let updated = diesel::update(
        phone_codes::table
            .find(id)
            .filter(phone_codes::attempts.lt(max_attempts))
            .filter(phone_codes::consumed_at.is_null()),
    )
    .set(phone_codes::attempts.eq(phone_codes::attempts + 1))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Serialises code sending per phone on PostgreSQL until the transaction ends, so that
/// concurrent requests cannot all pass the sending limits; SQLite's write transactions are
/// serial already.
pub fn lock_phone(conn: &mut DbConnection, phone: &PhoneNumber) -> QueryResult<()> {
    if let DbConnection::Pg(pg) = conn {
        // By the blind index, so that the number itself never reaches the server's statements.
        let index = phone_index(phone.as_str())?;
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind::<diesel::sql_types::Text, _>(index)
            .execute(pg)?;
    }
    Ok(())
}

/// Whether `phone` has a code of `purpose` that is neither used nor expired.
pub fn has_open_code(
    conn: &mut DbConnection,
    phone: &PhoneNumber,
    purpose: CodePurpose,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        phone_codes::table
            .filter(phone_codes::phone_index.eq(phone_index(phone.as_str())?))
            .filter(phone_codes::purpose.eq(purpose.as_str()))
            .filter(phone_codes::consumed_at.is_null())
            .filter(phone_codes::expires_at.gt(naive(now))),
    ))
    .get_result(conn)
}

/// Consumes the code unless another request consumed it first; returns whether this one did.
pub fn consume_code(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> QueryResult<bool> {
    let updated = diesel::update(phone_codes::table.find(id).filter(phone_codes::consumed_at.is_null()))
        .set(phone_codes::consumed_at.eq(naive(now)))
        .execute(conn)?;
    Ok(updated == 1)
}
