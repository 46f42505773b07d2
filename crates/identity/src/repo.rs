//! The identity tables: accounts, phone codes, refresh tokens and the signing key. Every
//! function takes a connection, so that the caller decides the transaction.
//!
//! Phone numbers are personal data: `accounts.phone` holds the number sealed under the
//! database's keys, and `accounts.phone_index` / `phone_codes.phone_index` its blind index,
//! which is what every lookup by phone compares (see `mediation_store::personal`).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use mediation_auth::Role;
use mediation_store::personal::{self, phone_index};
use mediation_store::schema::{accounts, phone_codes, refresh_tokens, signing_keys};
use mediation_store::{DbConnection, is_unique_violation};

use crate::domain::{CodePurpose, PhoneNumber};

pub type QueryResult<T> = Result<T, diesel::result::Error>;

/// The sealed column's purpose, bound into every value as associated data.
const PHONE: &str = "accounts.phone";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = accounts)]
pub struct AccountRow {
    pub id: String,
    pub role: String,
    pub login: Option<String>,
    pub phone: Option<String>,
    pub password_hash: Option<String>,
    pub display_name: String,
    pub site_id: Option<String>,
    pub phone_verified: bool,
}

/// An account as the rules see it.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub role: Role,
    pub login: Option<String>,
    pub phone: Option<PhoneNumber>,
    pub password_hash: Option<String>,
    pub display_name: String,
    pub site_id: Option<String>,
    pub phone_verified: bool,
}

impl AccountRow {
    /// The account with its phone opened.
    fn open(self) -> QueryResult<Account> {
        Ok(Account {
            // Only this module writes the role column, always from `Role::as_str`.
            role: self.role.parse().expect("stored role is valid"),
            id: self.id,
            login: self.login,
            phone: self.phone.map(|sealed| personal::open(PHONE, &sealed).map(PhoneNumber::from_stored)).transpose()?,
            password_hash: self.password_hash,
            display_name: self.display_name,
            site_id: self.site_id,
            phone_verified: self.phone_verified,
        })
    }
}

fn opened(row: Option<AccountRow>) -> QueryResult<Option<Account>> {
    row.map(AccountRow::open).transpose()
}

#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    pub id: &'a str,
    pub role: Role,
    pub login: Option<&'a str>,
    pub phone: Option<&'a PhoneNumber>,
    pub password_hash: Option<&'a str>,
    pub display_name: &'a str,
    pub site_id: Option<&'a str>,
    pub phone_verified: bool,
}

fn naive(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

/// Inserts an account; a taken phone or login fails with a unique violation.
pub fn insert_account(conn: &mut DbConnection, new: &NewAccount<'_>, now: DateTime<Utc>) -> QueryResult<()> {
    let sealed = new.phone.map(|p| personal::seal(PHONE, p.as_str())).transpose()?;
    let index = new.phone.map(|p| phone_index(p.as_str())).transpose()?;
    diesel::insert_into(accounts::table)
        .values((
            accounts::id.eq(new.id),
            accounts::role.eq(new.role.as_str()),
            accounts::login.eq(new.login),
            accounts::phone.eq(sealed),
            accounts::phone_index.eq(index),
            accounts::password_hash.eq(new.password_hash),
            accounts::display_name.eq(new.display_name),
            accounts::site_id.eq(new.site_id),
            accounts::phone_verified.eq(new.phone_verified),
            accounts::created_at.eq(naive(now)),
            accounts::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn account_by_id(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Account>> {
    opened(accounts::table.find(id).select(AccountRow::as_select()).first(conn).optional()?)
}

pub fn account_by_phone(conn: &mut DbConnection, phone: &PhoneNumber) -> QueryResult<Option<Account>> {
    opened(
        accounts::table
            .filter(accounts::phone_index.eq(phone_index(phone.as_str())?))
            .select(AccountRow::as_select())
            .first(conn)
            .optional()?,
    )
}

pub fn account_by_login(conn: &mut DbConnection, login: &str) -> QueryResult<Option<Account>> {
    opened(accounts::table.filter(accounts::login.eq(login)).select(AccountRow::as_select()).first(conn).optional()?)
}

/// Re-registration of a phone nobody has verified: the new registrant's password and name win,
/// so that typing someone else's number cannot squat it.
pub fn reset_unverified_resident(
    conn: &mut DbConnection,
    id: &str,
    password_hash: &str,
    display_name: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(accounts::table.find(id).filter(accounts::phone_verified.eq(false)))
        .set((
            accounts::password_hash.eq(password_hash),
            accounts::display_name.eq(display_name),
            accounts::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn mark_phone_verified(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(accounts::table.find(id))
        .set((accounts::phone_verified.eq(true), accounts::updated_at.eq(naive(now))))
        .execute(conn)?;
    Ok(())
}

pub fn set_password(conn: &mut DbConnection, id: &str, password_hash: &str, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(accounts::table.find(id))
        .set((accounts::password_hash.eq(password_hash), accounts::updated_at.eq(naive(now))))
        .execute(conn)?;
    Ok(())
}

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

/// Drops the password of an account whose phone was just proved at a kiosk: whoever set it
/// before had not proved the phone, so it must not open the account.
pub fn clear_password(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(accounts::table.find(id))
        .set((accounts::password_hash.eq(None::<String>), accounts::updated_at.eq(naive(now))))
        .execute(conn)?;
    Ok(())
}

/// Consumes the code unless another request consumed it first; returns whether this one did.
pub fn consume_code(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> QueryResult<bool> {
    let updated = diesel::update(phone_codes::table.find(id).filter(phone_codes::consumed_at.is_null()))
        .set(phone_codes::consumed_at.eq(naive(now)))
        .execute(conn)?;
    Ok(updated == 1)
}

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
    refresh_tokens::table.find(token_hash).select(RefreshRow::as_select()).first(conn).optional()
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
    signing_keys::table.find(SIGNING_KEY_ID).select(signing_keys::private_key_pem).first(conn)
}

/// Seals up to `batch` account phones that are not sealed under the current key yet (plain
/// text from before encryption included) and recomputes their blind index; returns how many it
/// changed. A rekey calls it until it returns 0, so it is safe to stop and run again.
pub fn rekey_accounts(conn: &mut DbConnection, batch: i64) -> QueryResult<usize> {
    let (sealed_now, indexed_now) = personal::current_prefixes()?;
    let rows: Vec<(String, Option<String>)> = accounts::table
        .filter(accounts::phone.is_not_null())
        .filter(
            accounts::phone
                .not_like(&sealed_now)
                .or(accounts::phone_index.is_null())
                .or(accounts::phone_index.not_like(&indexed_now)),
        )
        .order(accounts::id)
        .limit(batch)
        .select((accounts::id, accounts::phone))
        .load(conn)?;
    for (id, stored) in &rows {
        let stored = stored.as_deref().unwrap_or_default();
        let resealed = personal::reseal(PHONE, stored)?;
        let phone = personal::open(PHONE, resealed.as_deref().unwrap_or(stored))?;
        diesel::update(accounts::table.find(id))
            .set((
                accounts::phone.eq(resealed.as_deref().unwrap_or(stored)),
                accounts::phone_index.eq(phone_index(&phone)?),
            ))
            .execute(conn)?;
    }
    Ok(rows.len())
}

/// An account's block: whether it is disabled, and since when its access tokens are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub disabled: bool,
    pub tokens_not_before: DateTime<Utc>,
}

pub fn block(conn: &mut DbConnection, account_id: &str) -> QueryResult<Option<Block>> {
    use mediation_store::schema::account_blocks as b;
    let row: Option<(bool, NaiveDateTime)> =
        b::table.find(account_id).select((b::disabled, b::tokens_not_before)).first(conn).optional()?;
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
