//! The demo's accounts, found by login (kiosks by id, the resident by phone) and created, or
//! reset to this run's password or secret.

use anyhow::{Context, ensure};
use chrono::{DateTime, Utc};
use mediation_auth::Role;
use mediation_identity::domain::{PhoneNumber, parse_login};
use mediation_identity::repo::{self as accounts, NewAccount};
use mediation_store::DbConnection;

use super::RESIDENT_PHONE;
use super::data::StationSeed;
use super::ids::{kiosk_account_id, kiosk_name, kiosk_site_id};

/// A staff account by login: created, or its password reset. Returns (id, created).
pub(super) fn upsert_staff(
    conn: &mut DbConnection,
    login: &str,
    role: Role,
    display_name: &str,
    site_id: Option<&str>,
    password_hash: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<(String, bool)> {
    let login = parse_login(login).with_context(|| format!("demo login {login:?}"))?;
    match accounts::account_by_login(conn, &login)? {
        Some(existing) => {
            // Only the demo's own account is reset, never someone else's that shares the login.
            ensure!(
                existing.role == role && existing.site_id.as_deref() == site_id,
                "login {login} belongs to a {} account at {:?}, not to the demo's {role} at {site_id:?}",
                existing.role,
                existing.site_id,
            );
            accounts::set_password(conn, &existing.id, password_hash, now)?;
            Ok((existing.id, false))
        }
        None => {
            let id = uuid::Uuid::now_v7().to_string();
            let new = NewAccount {
                id: &id,
                role,
                login: Some(&login),
                phone: None,
                password_hash: Some(password_hash),
                display_name,
                site_id,
                phone_verified: false,
            };
            accounts::insert_account(conn, &new, now)?;
            Ok((id, true))
        }
    }
}

/// The verified demo resident, by phone. Returns whether it was created.
pub(super) fn upsert_resident(
    conn: &mut DbConnection,
    password_hash: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let phone = PhoneNumber::parse(RESIDENT_PHONE).context("the demo resident's phone")?;
    match accounts::account_by_phone(conn, &phone)? {
        Some(existing) => {
            ensure!(existing.role == Role::Resident, "phone {RESIDENT_PHONE} belongs to a {} account", existing.role);
            accounts::set_password(conn, &existing.id, password_hash, now)?;
            accounts::mark_phone_verified(conn, &existing.id, now)?;
            Ok(false)
        }
        None => {
            let id = uuid::Uuid::now_v7().to_string();
            let new = NewAccount {
                id: &id,
                role: Role::Resident,
                login: None,
                phone: Some(&phone),
                password_hash: Some(password_hash),
                display_name: "王小丽",
                site_id: None,
                phone_verified: true,
            };
            accounts::insert_account(conn, &new, now)?;
            Ok(true)
        }
    }
}

/// A station's kiosk terminal, by its fixed id: created, or its secret reset.
pub(super) fn upsert_kiosk(
    conn: &mut DbConnection,
    s: &StationSeed,
    secret_hash: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let id = kiosk_account_id(s);
    match accounts::account_by_id(conn, &id)? {
        Some(existing) => {
            ensure!(existing.role == Role::Kiosk, "account {id} is a {} account, not a kiosk", existing.role);
            accounts::set_password(conn, &id, secret_hash, now)?;
            Ok(false)
        }
        None => {
            let (name, site) = (kiosk_name(s), kiosk_site_id(s));
            let new = NewAccount {
                id: &id,
                role: Role::Kiosk,
                login: None,
                phone: None,
                password_hash: Some(secret_hash),
                display_name: &name,
                site_id: Some(&site),
                phone_verified: false,
            };
            accounts::insert_account(conn, &new, now)?;
            Ok(true)
        }
    }
}
