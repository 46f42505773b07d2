//! Phone codes: recording one within the sending limits, delivering it, and checking one (a
//! wrong code is counted, so the transaction that found it commits before the call fails).

use chrono::{DateTime, Duration, Utc};
use mediation_auth::hash_secret;
use mediation_notify::Notification;
use mediation_store::DbConnection;

use super::identity::Identity;
use crate::domain::{CodePurpose, CodeRules, PhoneNumber, new_code};
use crate::error::{Error, Result};
use crate::repo::{self, Account};

/// A code asked for: the phone to send it to and what it is for.
#[derive(Debug, Clone)]
pub struct CodeRequest {
    pub phone: PhoneNumber,
    pub purpose: CodePurpose,
}

/// A phone and the six-digit code sent to it.
#[derive(Debug, Clone)]
pub struct PhoneProof {
    pub phone: PhoneNumber,
    pub code: String,
}

fn code_hash(phone: &PhoneNumber, purpose: CodePurpose, code: &str) -> String {
    hash_secret(&format!("{}:{}:{code}", phone.as_str(), purpose.as_str()))
}

/// Why a code was not accepted. A wrong code is counted, so the transaction that found it must
/// commit before the call fails.
pub(super) enum CodeRefused {
    Wrong,
    NoneValid,
}

impl From<CodeRefused> for Error {
    fn from(refused: CodeRefused) -> Self {
        match refused {
            CodeRefused::Wrong => Error::CodeInvalid,
            CodeRefused::NoneValid => Error::CodeExpired,
        }
    }
}

/// Consumes the newest open code for `phone` if `code` matches it.
pub(super) fn check_code(
    conn: &mut DbConnection,
    rules: &CodeRules,
    phone: &PhoneNumber,
    purpose: CodePurpose,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Result<(), CodeRefused>> {
    let Some(open) = repo::newest_open_code(conn, phone, purpose)? else { return Ok(Err(CodeRefused::NoneValid)) };
    if open.expires_at.and_utc() <= now || !repo::take_code_attempt(conn, &open.id, rules.max_attempts)? {
        return Ok(Err(CodeRefused::NoneValid));
    }
    if open.code_hash != code_hash(phone, purpose, code) {
        return Ok(Err(CodeRefused::Wrong));
    }
    Ok(if repo::consume_code(conn, &open.id, now)? { Ok(()) } else { Err(CodeRefused::NoneValid) })
}

/// Records a new code for `phone` if the sending limits allow; returns its expiry.
pub(super) fn record_code(
    conn: &mut DbConnection,
    rules: &CodeRules,
    phone: &PhoneNumber,
    purpose: CodePurpose,
    code: &str,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    repo::lock_phone(conn, phone)?;
    let recent = repo::code_times_since(conn, phone, now - Duration::hours(1))?;
    rules.may_send(&recent, now).map_err(Error::RateLimited)?;
    let expires_at = now + rules.ttl;
    repo::insert_code(conn, phone, purpose, &code_hash(phone, purpose, code), now, expires_at)?;
    Ok(expires_at)
}

impl Identity {
    pub(super) async fn deliver(&self, phone: &PhoneNumber, purpose: CodePurpose, code: String) -> Result<()> {
        let message = Notification {
            to: phone.as_str().to_owned(),
            kind: purpose.as_str().to_owned(),
            text: purpose.text(&code),
            code: Some(code),
        };
        Ok(self.notifier.send(&message).await?)
    }

    /// Sends a code. A VERIFY code goes only to a registered, unverified phone, but the answer
    /// is the same either way, so that it does not tell who is registered.
    pub async fn send_phone_code(&self, request: CodeRequest) -> Result<DateTime<Utc>> {
        let CodeRequest { phone, purpose } = request;
        let rules = self.settings.codes.clone();
        let code = new_code();
        let sent = self
            .db
            .write::<_, Error, _>({
                let (phone, code) = (phone.clone(), code.clone());
                move |conn| {
                    let now = Utc::now();
                    if purpose == CodePurpose::Verify {
                        let waiting = repo::account_by_phone(conn, &phone)?.is_some_and(|a| !a.phone_verified);
                        if !waiting {
                            return Ok((false, now + rules.ttl));
                        }
                    }
                    Ok((true, record_code(conn, &rules, &phone, purpose, &code, now)?))
                }
            })
            .await?;
        let (delivered, expires_at) = sent;
        if delivered {
            self.deliver(&phone, purpose, code).await?;
        }
        Ok(expires_at)
    }

    /// Marks the phone verified if the VERIFY code is right.
    pub async fn verify_phone(&self, proof: PhoneProof) -> Result<Account> {
        let PhoneProof { phone, code } = proof;
        let rules = self.settings.codes.clone();
        let checked = self
            .db
            .write::<_, Error, _>(move |conn| {
                let now = Utc::now();
                if let Err(refused) = check_code(conn, &rules, &phone, CodePurpose::Verify, &code, now)? {
                    return Ok(Err(refused));
                }
                let account = repo::account_by_phone(conn, &phone)?.ok_or(Error::CodeExpired)?;
                repo::mark_phone_verified(conn, &account.id, now)?;
                Ok(Ok(Account { phone_verified: true, ..account }))
            })
            .await?;
        Ok(checked?)
    }
}
