//! The identity flows: each runs its reads and writes in one transaction through the repo, and
//! its slow or remote steps (argon2, delivering a code) outside it.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use mediation_auth::{Principal, Role, TokenKeys, hash_password, hash_secret, random_secret, verify_password};
use mediation_notify::{Notification, Notifier};
use mediation_store::{Db, DbConnection, run_blocking};
use tokio::sync::Semaphore;

use crate::domain::blocks::{self, Target};
use crate::domain::{CodePurpose, CodeRules, FailureLimiter, PhoneNumber, new_code};
use crate::repo::{self, Account, NewAccount};
use crate::{Error, Result};

/// Lifetimes and limits; the gateway's settings module documents each default.
#[derive(Debug, Clone)]
pub struct IdentitySettings {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub kiosk_session_ttl: Duration,
    pub codes: CodeRules,
    pub max_failures_per_login: u32,
    pub max_failures_per_peer: u32,
    pub failure_window: std::time::Duration,
    /// How many argon2 hashes may run at once (each takes 19 MiB).
    pub hashing_concurrency: usize,
}

impl Default for IdentitySettings {
    fn default() -> Self {
        Self {
            access_ttl: Duration::minutes(15),
            refresh_ttl: Duration::days(30),
            kiosk_session_ttl: Duration::minutes(10),
            codes: CodeRules::default(),
            max_failures_per_login: 5,
            max_failures_per_peer: 50,
            failure_window: std::time::Duration::from_secs(15 * 60),
            hashing_concurrency: 2,
        }
    }
}

/// Tokens handed to a client. Kiosk resident sessions get no refresh token.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh: Option<(String, DateTime<Utc>)>,
}

/// What identity needs to know of a site. The directory owns sites; the gateway hands its
/// lookup in, since the directory itself depends on identity for accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteRef {
    /// `CENTRE`, `STATION` or `KIOSK`.
    pub kind: String,
    pub parent_id: Option<String>,
}

pub type SiteLookup = fn(&mut DbConnection, &str) -> Result<Option<SiteRef>, diesel::result::Error>;

pub struct Identity {
    pub(crate) db: Db,
    pub(crate) sites: SiteLookup,
    keys: Arc<TokenKeys>,
    notifier: Arc<Notifier>,
    pub(crate) settings: IdentitySettings,
    hashing: Semaphore,
    login_failures: FailureLimiter,
    peer_failures: FailureLimiter,
}

/// The stored signing key, or a new one stored for every replica, unless settings give one.
pub async fn load_signing_key(db: &Db, configured: Option<String>) -> Result<String> {
    if let Some(pem) = configured.filter(|pem| !pem.trim().is_empty()) {
        return Ok(pem);
    }
    let generated = mediation_auth::generate_signing_key_pem();
    db.read::<_, Error, _>(move |conn| Ok(repo::signing_key_or_insert(conn, &generated, Utc::now())?)).await
}

/// Creates a CENTRE_ADMIN with this login, or resets its password if it exists.
pub async fn create_admin(db: &Db, login: &str, password: &str) -> Result<String> {
    let login = crate::domain::parse_login(login).map_err(|e| invalid("login", e))?;
    crate::domain::check_password(password).map_err(|e| invalid("password", e))?;
    let password = password.to_owned();
    let hash = run_blocking(move || hash_password(&password)).await?;
    db.write::<_, Error, _>(move |conn| {
        let now = Utc::now();
        match repo::account_by_login(conn, &login)? {
            Some(existing) if existing.role == Role::CentreAdmin => {
                repo::set_password(conn, &existing.id, &hash, now)?;
                Ok(existing.id)
            }
            Some(_) => Err(Error::LoginTaken),
            None => {
                let id = uuid::Uuid::now_v7().to_string();
                let new = NewAccount {
                    id: &id,
                    role: Role::CentreAdmin,
                    login: Some(&login),
                    phone: None,
                    password_hash: Some(&hash),
                    display_name: &login,
                    site_id: None,
                    phone_verified: false,
                };
                insert_account(conn, &new, now)?;
                Ok(id)
            }
        }
    })
    .await
}

/// Inserts an account, turning a lost race for its phone or login into the error a client
/// can act on.
pub(crate) fn insert_account(conn: &mut DbConnection, new: &NewAccount<'_>, now: DateTime<Utc>) -> Result<()> {
    match repo::insert_account(conn, new, now) {
        Err(err) if mediation_store::is_unique_violation(&err) => {
            Err(if new.login.is_some() { Error::LoginTaken } else { Error::PhoneTaken })
        }
        other => Ok(other?),
    }
}

pub(crate) fn invalid(field: &str, err: impl std::fmt::Display) -> Error {
    Error::Invalid(mediation_api::status::invalid_field(field, err.to_string()))
}

fn code_hash(phone: &PhoneNumber, purpose: CodePurpose, code: &str) -> String {
    hash_secret(&format!("{}:{}:{code}", phone.as_str(), purpose.as_str()))
}

/// Why a code was not accepted. A wrong code is counted, so the transaction that found it must
/// commit before the call fails.
enum CodeRefused {
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
fn check_code(
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
fn record_code(
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
    pub fn new(
        db: Db,
        keys: Arc<TokenKeys>,
        notifier: Arc<Notifier>,
        settings: IdentitySettings,
        sites: SiteLookup,
    ) -> Self {
        Self {
            sites,
            hashing: Semaphore::new(settings.hashing_concurrency.max(1)),
            login_failures: FailureLimiter::new(settings.max_failures_per_login, settings.failure_window),
            peer_failures: FailureLimiter::new(settings.max_failures_per_peer, settings.failure_window),
            db,
            keys,
            notifier,
            settings,
        }
    }

    pub(crate) async fn hash_password(&self, password: String) -> Result<String> {
        let _permit = self.hashing.acquire().await.expect("hashing semaphore is never closed");
        Ok(run_blocking(move || hash_password(&password)).await?)
    }

    /// Verifies against a dummy hash when there is no account, so that a wrong login takes as
    /// long as a wrong password and does not reveal which logins exist.
    async fn verify_password(&self, hash: Option<String>, password: String) -> Result<bool> {
        static DUMMY: OnceLock<String> = OnceLock::new();
        let _permit = self.hashing.acquire().await.expect("hashing semaphore is never closed");
        run_blocking(move || {
            let dummy = DUMMY.get_or_init(|| hash_password("not a real password").expect("argon2 hashes"));
            let matched = verify_password(hash.as_deref().unwrap_or(dummy), &password)?;
            Ok::<_, Error>(matched && hash.is_some())
        })
        .await
    }

    async fn deliver(&self, phone: &PhoneNumber, purpose: CodePurpose, code: String) -> Result<()> {
        let message = Notification {
            to: phone.as_str().to_owned(),
            kind: purpose.as_str().to_owned(),
            text: purpose.text(&code),
            code: Some(code),
        };
        Ok(self.notifier.send(&message).await?)
    }

    /// Counts an attempt as failed before the password is checked, so that a burst of
    /// concurrent guesses cannot all pass the limit; a success takes it back.
    fn take_attempt(&self, login_key: &str, peer: Option<&str>) -> Result<()> {
        let now = Instant::now();
        self.login_failures.take(login_key, now).map_err(Error::RateLimited)?;
        if let Some(peer) = peer {
            self.peer_failures.take(peer, now).map_err(Error::RateLimited)?;
        }
        Ok(())
    }

    fn attempt_succeeded(&self, login_key: &str, peer: Option<&str>) {
        self.login_failures.clear(login_key);
        if let Some(peer) = peer {
            self.peer_failures.give_back(peer);
        }
    }

    pub async fn register_resident(
        &self,
        phone: PhoneNumber,
        password: String,
        display_name: String,
    ) -> Result<(Account, DateTime<Utc>)> {
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

    /// Sends a code. A VERIFY code goes only to a registered, unverified phone, but the answer
    /// is the same either way, so that it does not tell who is registered.
    pub async fn send_phone_code(&self, phone: PhoneNumber, purpose: CodePurpose) -> Result<DateTime<Utc>> {
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

    pub async fn verify_phone(&self, phone: PhoneNumber, code: String) -> Result<Account> {
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

    pub async fn login(&self, login: String, password: String, peer: Option<String>) -> Result<IssuedTokens> {
        let phone = PhoneNumber::parse(&login).ok();
        let login_key = phone.as_ref().map_or_else(|| login.trim().to_ascii_lowercase(), |p| p.as_str().to_owned());
        self.take_attempt(&login_key, peer.as_deref())?;
        let account = self
            .db
            .read::<_, Error, _>({
                let login_key = login_key.clone();
                move |conn| {
                    match phone {
                        Some(phone) => repo::account_by_phone(conn, &phone),
                        None => repo::account_by_login(conn, &login_key),
                    }
                    .map_err(Error::from)
                }
            })
            .await?
            .filter(|a| a.role != Role::Kiosk);
        let matched = self.verify_password(account.as_ref().and_then(|a| a.password_hash.clone()), password).await?;
        let account = match account {
            Some(account) if matched => account,
            _ => return Err(Error::BadCredentials),
        };
        self.attempt_succeeded(&login_key, peer.as_deref());
        if account.role == Role::Resident && !account.phone_verified {
            return Err(Error::PhoneNotVerified);
        }
        self.start_session(&account).await
    }

    pub async fn kiosk_login(&self, kiosk_id: String, secret: String, peer: Option<String>) -> Result<IssuedTokens> {
        let login_key = format!("kiosk:{kiosk_id}");
        self.take_attempt(&login_key, peer.as_deref())?;
        let account = self
            .db
            .read::<_, Error, _>(move |conn| Ok(repo::account_by_id(conn, &kiosk_id)?))
            .await?
            .filter(|a| a.role == Role::Kiosk);
        let matched = self.verify_password(account.as_ref().and_then(|a| a.password_hash.clone()), secret).await?;
        match account {
            Some(account) if matched => {
                self.attempt_succeeded(&login_key, peer.as_deref());
                self.start_session(&account).await
            }
            _ => Err(Error::BadCredentials),
        }
    }

    fn principal_of(account: &Account) -> Principal {
        Principal {
            account_id: account.id.clone(),
            role: account.role,
            site_id: account.site_id.clone(),
            kiosk_id: None,
        }
    }

    /// A new refresh-token family and an access token.
    async fn start_session(&self, account: &Account) -> Result<IssuedTokens> {
        let refresh = random_secret();
        let (family, account_id, ttl) =
            (uuid::Uuid::new_v4().to_string(), account.id.clone(), self.settings.refresh_ttl);
        let refresh_hash = hash_secret(&refresh);
        // Storage keeps microseconds; the expiry handed out must equal the stored one.
        let now = Utc::now().trunc_subsecs(6);
        let family_expires_at = now + ttl;
        let issued_at = self
            .db
            .write::<_, Error, _>(move |conn| {
                let block = repo::block(conn, &account_id)?;
                if block.as_ref().is_some_and(|b| b.disabled) {
                    return Err(Error::AccountDisabled);
                }
                repo::insert_refresh(conn, &refresh_hash, &family, &account_id, now, family_expires_at)?;
                Ok(blocks::issue_time(now, block.map(|b| b.tokens_not_before)))
            })
            .await?;
        let (access_token, access_expires_at) =
            self.keys.issue(&Self::principal_of(account), issued_at, self.settings.access_ttl)?;
        Ok(IssuedTokens { access_token, access_expires_at, refresh: Some((refresh, family_expires_at)) })
    }

    pub async fn refresh(&self, token: String) -> Result<IssuedTokens> {
        let new_refresh = random_secret();
        let new_hash = hash_secret(&new_refresh);
        let outcome = self
            .db
            .write::<_, Error, _>(move |conn| {
                let now = Utc::now();
                let Some(row) = repo::refresh_by_hash(conn, &hash_secret(&token))? else {
                    return Ok(Err(Error::RefreshInvalid));
                };
                // A disabled account's families were revoked when it was disabled; say why.
                let block = repo::block(conn, &row.account_id)?;
                if block.as_ref().is_some_and(|b| b.disabled) {
                    repo::revoke_family(conn, &row.family_id, now)?;
                    return Ok(Err(Error::AccountDisabled));
                }
                if row.revoked_at.is_some()
                    || row.used_at.is_some()
                    || !repo::use_refresh(conn, &hash_secret(&token), now)?
                {
                    repo::revoke_family(conn, &row.family_id, now)?;
                    return Ok(Err(Error::RefreshReused));
                }
                if row.family_expires_at.and_utc() <= now {
                    return Ok(Err(Error::RefreshExpired));
                }
                let account = repo::account_by_id(conn, &row.account_id)?.ok_or(Error::AccountGone)?;
                let expires_at = row.family_expires_at.and_utc();
                repo::insert_refresh(conn, &new_hash, &row.family_id, &account.id, now, expires_at)?;
                Ok(Ok((account, expires_at, blocks::issue_time(now, block.map(|b| b.tokens_not_before)))))
            })
            .await?;
        let (account, refresh_expires_at, issued_at) = outcome?;
        let (access_token, access_expires_at) =
            self.keys.issue(&Self::principal_of(&account), issued_at, self.settings.access_ttl)?;
        Ok(IssuedTokens { access_token, access_expires_at, refresh: Some((new_refresh, refresh_expires_at)) })
    }

    /// Revokes the token's family; unknown tokens are ignored, so logging out twice is fine.
    pub async fn logout(&self, token: String) -> Result<()> {
        self.db
            .write::<_, Error, _>(move |conn| {
                if let Some(row) = repo::refresh_by_hash(conn, &hash_secret(&token))? {
                    repo::revoke_family(conn, &row.family_id, Utc::now())?;
                }
                Ok(())
            })
            .await
    }

    pub async fn account(&self, id: String) -> Result<Account> {
        self.db.read::<_, Error, _>(move |conn| repo::account_by_id(conn, &id)?.ok_or(Error::AccountGone)).await
    }

    /// A walk-in resident proves their phone with a KIOSK_SESSION code; they get a short
    /// session bound to the kiosk, with an account made for them if they had none.
    pub async fn start_kiosk_resident_session(
        &self,
        kiosk: &Principal,
        phone: PhoneNumber,
        code: String,
    ) -> Result<IssuedTokens> {
        let rules = self.settings.codes.clone();
        let checked = self
            .db
            .write::<_, Error, _>(move |conn| {
                let now = Utc::now();
                if let Err(refused) = check_code(conn, &rules, &phone, CodePurpose::KioskSession, &code, now)? {
                    return Ok(Err(refused));
                }
                let account = match repo::account_by_phone(conn, &phone)? {
                    Some(account) if account.role != Role::Resident => {
                        return Err(Error::Forbidden("this phone belongs to a staff account"));
                    }
                    Some(account) => {
                        if !account.phone_verified {
                            repo::clear_password(conn, &account.id, now)?;
                            repo::mark_phone_verified(conn, &account.id, now)?;
                        }
                        account
                    }
                    None => {
                        let id = uuid::Uuid::now_v7().to_string();
                        let name = phone.masked();
                        let new = NewAccount {
                            id: &id,
                            role: Role::Resident,
                            login: None,
                            phone: Some(&phone),
                            password_hash: None,
                            display_name: &name,
                            site_id: None,
                            phone_verified: true,
                        };
                        insert_account(conn, &new, now)?;
                        repo::account_by_id(conn, &id)?.ok_or(Error::AccountGone)?
                    }
                };
                let block = repo::block(conn, &account.id)?;
                if block.as_ref().is_some_and(|b| b.disabled) {
                    return Err(Error::AccountDisabled);
                }
                Ok(Ok((account, blocks::issue_time(now, block.map(|b| b.tokens_not_before)))))
            })
            .await?;
        let (account, now) = checked?;
        let principal = Principal {
            account_id: account.id,
            role: Role::Resident,
            site_id: kiosk.site_id.clone(),
            kiosk_id: Some(kiosk.account_id.clone()),
        };
        let (access_token, access_expires_at) = self.keys.issue(&principal, now, self.settings.kiosk_session_ttl)?;
        Ok(IssuedTokens { access_token, access_expires_at, refresh: None })
    }
}

/// The outcome of `SetAccountDisabled`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountState {
    pub account_id: String,
    pub disabled: bool,
    pub tokens_not_before: Option<DateTime<Utc>>,
}

impl Identity {
    /// Disables an account (its access tokens are refused from now on, its refresh tokens
    /// revoked, its logins refused) or enables it again (old tokens stay refused), and records
    /// it in the audit log, all in one transaction.
    pub async fn set_account_disabled(
        &self,
        admin: Principal,
        actor: mediation_audit::Actor,
        account_id: String,
        disabled: bool,
        reason: String,
    ) -> Result<AccountState> {
        let sites = self.sites;
        self.db
            .write::<_, Error, _>(move |conn| {
                let now = Utc::now();
                let account = repo::account_by_id(conn, &account_id)?.ok_or(Error::NotFound("account"))?;
                let station = match (account.role, &account.site_id) {
                    (Role::Kiosk, Some(kiosk_site)) => sites(conn, kiosk_site)?.and_then(|site| site.parent_id),
                    (_, site) => site.clone(),
                };
                let target = Target { id: &account.id, role: account.role, station: station.as_deref() };
                blocks::may_set_disabled(&admin, &target).map_err(|refused| match refused {
                    blocks::Refused::Own => Error::Forbidden("an admin cannot disable their own account"),
                    blocks::Refused::OtherStation => {
                        Error::Forbidden("a station admin manages only the accounts and kiosks of their own station")
                    }
                    blocks::Refused::NotAdmin => Error::Forbidden("only admins may disable accounts"),
                })?;
                let current = repo::block(conn, &account.id)?;
                let tokens_not_before = match (disabled, &current) {
                    (true, _) => Some(blocks::not_before_when_disabled(now)),
                    (false, current) => current.as_ref().map(|b| b.tokens_not_before),
                };
                if let Some(tokens_not_before) = tokens_not_before {
                    let block = repo::Block { disabled, tokens_not_before };
                    repo::set_block(conn, &account.id, &block, &reason, &admin.account_id, now)?;
                }
                if disabled {
                    repo::revoke_all_refresh(conn, &account.id, now)?;
                }
                let (action, verb) = if disabled {
                    (mediation_audit::Action::AccountDisabled, "disabled")
                } else {
                    (mediation_audit::Action::AccountEnabled, "enabled")
                };
                // The reason is free text and stays in account_blocks.
                let detail = format!("{} {verb}", account.role.as_str());
                let event =
                    mediation_audit::Event::new(action, mediation_audit::TargetKind::Account, &account.id, detail);
                mediation_audit::repo::append(conn, &actor, event, now)?;
                Ok(AccountState { account_id: account.id, disabled, tokens_not_before })
            })
            .await
    }
}
