//! Resident registration, and the caller's own account.

use chrono::{DateTime, Utc};
use mediation_auth::Role;

use super::codes::record_code;
use super::identity::{Identity, insert_account};
use crate::domain::{CodePurpose, PhoneNumber, new_code};
use crate::error::{Error, Result};
use crate::repo::{self, Account, NewAccount};

/// A resident's registration: a phone to verify, a checked password, a display name.
#[derive(Debug, Clone)]
pub struct Registration {
    pub phone: PhoneNumber,
    pub password: String,
    pub display_name: String,
}

impl Identity {
    /// Registers a resident (or starts over an unverified registration of the same phone) and
    /// sends a VERIFY code; returns the account and when the code expires.
    pub async fn register_resident(&self, registration: Registration) -> Result<(Account, DateTime<Utc>)> {
        let Registration { phone, password, display_name } = registration;
        let hash = self.hash_password(password).await?;
        let rules = self.settings.codes.clone();
        let code = new_code();
        let (account, expires_at) = self
            .db
            .write::<_, Error, _>({
                let (phone, code) = (phone.clone(), code.clone());
                move |conn| {
                    let now = Utc::now();
                    let account = match repo::account_by_phone(conn, &phone)? {
                        Some(existing) if existing.phone_verified || existing.role != Role::Resident => {
                            return Err(Error::PhoneTaken);
                        }
                        Some(_) if repo::has_open_code(conn, &phone, CodePurpose::Verify, now)? => {
                            return Err(Error::RegistrationPending);
                        }
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
                    let expires_at = record_code(conn, &rules, &phone, CodePurpose::Verify, &code, now)?;
                    Ok((account, expires_at))
                }
            })
            .await?;
        self.deliver(&phone, CodePurpose::Verify, code).await?;
        Ok((account, expires_at))
    }

    pub async fn account(&self, id: String) -> Result<Account> {
        self.db.read::<_, Error, _>(move |conn| repo::account_by_id(conn, &id)?.ok_or(Error::AccountGone)).await
    }
}
