//! The `accounts` table. Phone numbers are sealed here and looked up by their blind index.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use mediation_auth::Role;
use mediation_store::DbConnection;
use mediation_store::personal::{self, phone_index};
use mediation_store::schema::accounts;

use super::query::{QueryResult, naive};
use crate::domain::PhoneNumber;

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
    let row = mediation_store::on_backend!(conn, |c| {
        accounts::table.find(id).select(AccountRow::as_select()).get_result(c).optional()
    })?;
    opened(row)
}

/// The staff accounts (MEDIATOR, DISPATCHER, STATION_ADMIN) of a station, for notices to them.
pub fn staff_of_station(conn: &mut DbConnection, site_id: &str) -> QueryResult<Vec<Account>> {
    let roles = [Role::Mediator, Role::Dispatcher, Role::StationAdmin].map(Role::as_str);
    let rows: Vec<AccountRow> = accounts::table
        .filter(accounts::site_id.eq(site_id))
        .filter(accounts::role.eq_any(roles))
        .order(accounts::id)
        .select(AccountRow::as_select())
        .load(conn)?;
    rows.into_iter().map(AccountRow::open).collect()
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

/// Drops the password of an account whose phone was just proved at a kiosk: whoever set it
/// before had not proved the phone, so it must not open the account.
pub fn clear_password(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(accounts::table.find(id))
        .set((accounts::password_hash.eq(None::<String>), accounts::updated_at.eq(naive(now))))
        .execute(conn)?;
    Ok(())
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
