//! Resident registration, and the caller's own account.

use chrono::{DateTime, Utc};
use mediation_api::Fault;
use mediation_auth::Role;
use mediation_store::DbConnection;

use super::codes::{may_record_code, note_budget, store_code};
use super::identity::{Identity, insert_account};
use crate::domain::{CodePurpose, CodeRules, PhoneNumber, new_code};
use crate::error::{Error, Result};
use crate::repo::{self, Account, NewAccount};

/// A resident's registration: a phone to verify, a checked password, a display name.
#[derive(Debug, Clone)]
pub struct Registration {
    pub phone: PhoneNumber,
    pub password: String,
    pub display_name: String,
}

/// What a registration must pass before anything is hashed or written: the phone is not taken,
/// no registration of it waits for its code, and the sending limits (this phone's and the hourly
/// budget) let a code go. Returns the unverified account to start over, if there is one.
fn may_register(
    conn: &mut DbConnection,
    rules: &CodeRules,
    phone: &PhoneNumber,
    now: DateTime<Utc>,
) -> Result<Option<Account>> {
    let existing = repo::account_by_phone(conn, phone)?;
    match &existing {
        Some(account) if account.phone_verified || account.role != Role::Resident => return Err(Error::PhoneTaken),
        Some(_) if repo::has_open_code(conn, phone, CodePurpose::Verify, now)? => {
            return Err(Error::RegistrationPending);
        }
        _ => {}
    }
    may_record_code(conn, rules, phone, now)?;
    Ok(existing)
}

impl Identity {
    /// Registers a resident (or starts over an unverified registration of the same phone) and
    /// sends a VERIFY code; returns the account and when the code expires.
    ///
    /// Every cheap check runs before the password is hashed (argon2 costs about 20 ms of CPU and
    /// 19 MiB), so that a registration refused for its country, its phone or the sending limits
    /// costs a read; the write transaction checks them all again under the code-sending lock.
    pub async fn register_resident(&self, registration: Registration) -> Result<(Account, DateTime<Utc>)> {
        let Registration { phone, password, display_name } = registration;
        let rules = self.settings.codes.clone();
        rules.may_send_to(&phone).map_err(|why| Fault::invalid("phone", why))?;
        let checked = self
            .db
            .read::<_, Error, _>({
                let (rules, phone) = (rules.clone(), phone.clone());
                move |conn| may_register(conn, &rules, &phone, Utc::now())
            })
            .await;
        note_budget(checked)?;
        let hash = self.hash_password(password).await?;
        let code = new_code();
        let registered = self
            .db
            .write::<_, Error, _>({
                let (phone, code) = (phone.clone(), code.clone());
                move |conn| {
                    let now = Utc::now();
                    repo::lock_code_sending(conn)?;
                    let account = match may_register(conn, &rules, &phone, now)? {
                        Some(existing) => {
                            repo::reset_unverified_resident(conn, &existing.id, &hash, &display_name, now)?;
                            Account { display_name, password_hash: Some(hash), ..existing }
                        }
                        None => {
                            let id = uuid::Uuid::now_v7().to_string();
                            let new = NewAccount {
                                id: &id,
                                role: Role::Resident,
                                login: None,
                                phone: Some(&phone),
                                password_hash: Some(&hash),
                                display_name: &display_name,
                                site_id: None,
                                phone_verified: false,
                            };
                            insert_account(conn, &new, now)?;
                            repo::account_by_id(conn, &id)?.ok_or(Error::AccountGone)?
                        }
                    };
                    let expires_at = store_code(conn, &rules, &phone, CodePurpose::Verify, Some(&code), now)?;
                    Ok((account, expires_at))
                }
            })
            .await;
        let (account, expires_at) = note_budget(registered)?;
        self.deliver(&phone, CodePurpose::Verify, code).await?;
        Ok((account, expires_at))
    }

    pub async fn account(&self, id: String) -> Result<Account> {
        self.db.read_small::<_, Error, _>(move |conn| repo::account_by_id(conn, &id)?.ok_or(Error::AccountGone)).await
    }
}
