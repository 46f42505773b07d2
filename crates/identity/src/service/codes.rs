//! Phone codes: recording one within the sending limits (per phone, and an hourly budget for all
//! phones together, counted in the database so that it holds across replicas), delivering it,
//! and checking one (a wrong code is counted, so the transaction that found it commits before
//! the call fails).

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};
use mediation_api::Fault;
use mediation_auth::hash_secret;
use mediation_notify::Notification;
use mediation_store::DbConnection;

use super::identity::Identity;
use crate::domain::{CodePurpose, CodeRules, PhoneNumber, new_code};
use crate::error::{Error, Result};
use crate::repo::{self, Account};

/// A code asked for: the phone to send it to, what it is for, whether a signed-in kiosk asks
/// (only a kiosk may ask for a KIOSK_SESSION code), and the signed-in resident who asks, if
/// one does (only they may ask for a SIGN_AGREEMENT code, to their own verified phone).
#[derive(Debug, Clone)]
pub struct CodeRequest {
    pub phone: PhoneNumber,
    pub purpose: CodePurpose,
    pub by_kiosk: bool,
    pub by_resident: Option<String>,
}

/// A phone and the six-digit code sent to it.
#[derive(Debug, Clone)]
pub struct PhoneProof {
    pub phone: PhoneNumber,
    pub code: String,
}

/// The stored hash of a code that is recorded but never sent (a VERIFY code asked for a phone
/// that waits for none): no code hashes to it, so it is never accepted, while it counts against
/// the sending limits like any other.
const NEVER_SENT: &str = "never sent";

/// Codes refused because the hourly budget was used up, since the process started.
static CODE_BUDGET_REFUSALS: AtomicU64 = AtomicU64::new(0);

/// How many codes this process refused because the hourly budget of codes to all phones was
/// used up (`mediation_code_budget_refusals_total`).
pub fn code_budget_refusals() -> u64 {
    CODE_BUDGET_REFUSALS.load(Ordering::Relaxed)
}

/// Counts and logs a refusal by the hourly budget, once per call.
pub(super) fn note_budget<T>(result: Result<T>) -> Result<T> {
    if let Err(Error::CodeBudget(wait)) = &result {
        CODE_BUDGET_REFUSALS.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            retry_after_secs = wait.as_secs(),
            "phone code refused: the hourly budget of codes to all phones is used up"
        );
    }
    result
}

fn code_hash(phone: &PhoneNumber, purpose: CodePurpose, code: &str) -> String {
    hash_secret(&format!("{}:{}:{code}", phone.as_str(), purpose.as_str()))
}

/// Why a code was not accepted. A wrong code is counted, so the transaction that found it must
/// commit before the call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefused {
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

/// Consumes the newest open code of `purpose` for `phone` if `code` matches it, counting the
/// try against the code's `max_attempts`. Other services check their codes with it (a
/// SIGN_AGREEMENT code in appointments), in their own transaction, which must commit before a
/// refusal is answered so that the try stays counted.
pub fn take_phone_code(
    conn: &mut DbConnection,
    max_attempts: i32,
    phone: &PhoneNumber,
    purpose: CodePurpose,
    code: &str,
    now: DateTime<Utc>,
) -> diesel::QueryResult<Result<(), CodeRefused>> {
    let Some(open) = repo::newest_open_code(conn, phone, purpose)? else { return Ok(Err(CodeRefused::NoneValid)) };
    if open.expires_at.and_utc() <= now || !repo::take_code_attempt(conn, &open.id, max_attempts)? {
        return Ok(Err(CodeRefused::NoneValid));
    }
    if open.code_hash != code_hash(phone, purpose, code) {
        return Ok(Err(CodeRefused::Wrong));
    }
    Ok(if repo::consume_code(conn, &open.id, now)? { Ok(()) } else { Err(CodeRefused::NoneValid) })
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
    Ok(take_phone_code(conn, rules.max_attempts, phone, purpose, code, now)?)
}

/// Whether the sending limits let another code go to `phone` now: this phone's (a least interval
/// and an hourly count), then the hourly budget of codes to all phones together.
pub(super) fn may_record_code(
    conn: &mut DbConnection,
    rules: &CodeRules,
    phone: &PhoneNumber,
    now: DateTime<Utc>,
) -> Result<()> {
    let hour_ago = now - Duration::hours(1);
    let recent = repo::code_times_since(conn, phone, hour_ago)?;
    rules.may_send(&recent, now).map_err(Error::RateLimited)?;
    let (sent, oldest) = repo::codes_since(conn, hour_ago)?;
    rules.within_budget(sent, oldest, now).map_err(Error::CodeBudget)
}

/// Records a new code for `phone` if the sending limits allow; returns its expiry. `None` records
/// a code that is never sent (see [`NEVER_SENT`]).
fn record_code(
    conn: &mut DbConnection,
    rules: &CodeRules,
    phone: &PhoneNumber,
    purpose: CodePurpose,
    code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    repo::lock_code_sending(conn)?;
    may_record_code(conn, rules, phone, now)?;
    store_code(conn, rules, phone, purpose, code, now)
}

/// Stores a code the sending limits were checked for, under [`repo::lock_code_sending`] in this
/// transaction; returns its expiry.
pub(super) fn store_code(
    conn: &mut DbConnection,
    rules: &CodeRules,
    phone: &PhoneNumber,
    purpose: CodePurpose,
    code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    let expires_at = now + rules.ttl;
    let hash = code.map_or_else(|| NEVER_SENT.to_owned(), |code| code_hash(phone, purpose, code));
    repo::insert_code(conn, phone, purpose, &hash, now, expires_at)?;
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

    /// Sends a code. Only a kiosk may ask for a KIOSK_SESSION code, and codes go only to the
    /// countries the rules list. A VERIFY code goes only to a registered, unverified phone, but
    /// every phone is held to the same limits (a phone that gets no code gets one recorded that
    /// is never sent) and gets the same answer, so that it does not tell who is registered.
    pub async fn send_phone_code(&self, request: CodeRequest) -> Result<DateTime<Utc>> {
        let CodeRequest { phone, purpose, by_kiosk, by_resident } = request;
        if purpose == CodePurpose::KioskSession && !by_kiosk {
            return Err(Fault::Forbidden("only a signed-in kiosk may ask for a KIOSK_SESSION code").into());
        }
        if purpose == CodePurpose::SignAgreement && by_resident.is_none() {
            return Err(Fault::Forbidden("only a signed-in resident may ask for a SIGN_AGREEMENT code").into());
        }
        let rules = self.settings.codes.clone();
        rules.may_send_to(&phone).map_err(|why| Fault::invalid("phone", why))?;
        let code = new_code();
        let sent = self
            .db
            .write::<_, Error, _>({
                let (phone, code) = (phone.clone(), code.clone());
                move |conn| {
                    let now = Utc::now();
                    if let Some(resident) = &by_resident
                        && purpose == CodePurpose::SignAgreement
                    {
                        let own = repo::account_by_id(conn, resident)?
                            .filter(|a| a.phone_verified)
                            .and_then(|a| a.phone)
                            .is_some_and(|p| p == phone);
                        if !own {
                            return Err(
                                Fault::Forbidden("a SIGN_AGREEMENT code goes only to your own verified phone").into()
                            );
                        }
                    }
                    let deliver = matches!(purpose, CodePurpose::KioskSession | CodePurpose::SignAgreement)
                        || repo::account_by_phone(conn, &phone)?.is_some_and(|a| !a.phone_verified);
                    let expires_at = record_code(conn, &rules, &phone, purpose, deliver.then_some(&*code), now)?;
                    Ok((deliver, expires_at))
                }
            })
            .await;
        let (delivered, expires_at) = note_budget(sent)?;
        if delivered {
            self.deliver(&phone, purpose, code).await?;
        }
        Ok(expires_at)
    }

    /// Marks the phone verified if the VERIFY code is right. Every failure gets one answer
    /// ([`Error::CodeNotAccepted`]): a wrong code, one used up or expired, none at all.
    pub async fn verify_phone(&self, proof: PhoneProof) -> Result<Account> {
        let PhoneProof { phone, code } = proof;
        let rules = self.settings.codes.clone();
        let checked = self
            .db
            .write::<_, Error, _>(move |conn| {
                let now = Utc::now();
                if check_code(conn, &rules, &phone, CodePurpose::Verify, &code, now)?.is_err() {
                    return Ok(None);
                }
                let Some(account) = repo::account_by_phone(conn, &phone)? else { return Ok(None) };
                repo::mark_phone_verified(conn, &account.id, now)?;
                Ok(Some(Account { phone_verified: true, ..account }))
            })
            .await?;
        checked.ok_or(Error::CodeNotAccepted)
    }
}
