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
    // The id carries `now`, so that `codes_since` may bound its scan by id.
    let secs = u64::try_from(now.timestamp()).unwrap_or_default();
    let id = uuid::Uuid::new_v7(uuid::Timestamp::from_unix(uuid::NoContext, secs, now.timestamp_subsec_nanos()));
    diesel::insert_into(phone_codes::table)
        .values((
            phone_codes::id.eq(id.to_string()),
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

/// The key of the advisory lock that serialises code sending on PostgreSQL ("mediphon").
const CODE_SENDING_LOCK: i64 = 0x6d65_6469_7068_6f6e;

/// Serialises code sending on PostgreSQL, every phone's, until the transaction ends, so that
/// concurrent requests (on any replica) can pass neither the per-phone limits nor the global
/// budget; SQLite's write transactions are serial already. Codes are few (the budget caps them),
/// so one lock for all costs little.
pub fn lock_code_sending(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<diesel::sql_types::BigInt, _>(CODE_SENDING_LOCK)
            .execute(pg)?;
    }
    Ok(())
}

/// How many codes were recorded for any phone since `since`, and when the oldest of them was:
/// the global budget's count.
///
/// Ids are UUIDv7 of `created_at` (see `insert_code`), which sort by it, so the smallest id of
/// `since`'s millisecond bounds the scan to the primary key's recent end; `created_at` decides.
pub fn codes_since(conn: &mut DbConnection, since: DateTime<Utc>) -> QueryResult<(i64, Option<DateTime<Utc>>)> {
    use diesel::dsl::{count_star, min};
    let millis = u64::try_from(since.timestamp_millis()).unwrap_or_default();
    let floor = uuid::Builder::from_unix_timestamp_millis(millis, &[0; 10]).into_uuid().to_string();
    let (count, oldest): (i64, Option<NaiveDateTime>) = phone_codes::table
        .filter(phone_codes::id.ge(floor))
        .filter(phone_codes::created_at.gt(naive(since)))
        .select((count_star(), min(phone_codes::created_at)))
        .first(conn)?;
    Ok((count, oldest.map(|t| t.and_utc())))
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
