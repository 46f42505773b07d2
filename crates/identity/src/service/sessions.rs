//! Logins and refresh-token families: failed attempts are limited per login and per peer, a
//! session starts a family, a refresh uses a token once (reuse revokes the family), a logout
//! revokes it. Also the signing key every replica signs with.

use std::sync::OnceLock;
use std::time::Instant;

use chrono::{DateTime, SubsecRound, Utc};
use mediation_auth::{Principal, Role, hash_password, hash_secret, random_secret, verify_password};
use mediation_store::{Db, run_blocking};

use super::identity::Identity;
use crate::domain::PhoneNumber;
use crate::domain::blocks;
use crate::error::{Error, Result};
use crate::repo::{self, Account};

/// Tokens handed to a client. Kiosk resident sessions get no refresh token.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    pub access_expires_at: DateTime<Utc>,
    pub refresh: Option<(String, DateTime<Utc>)>,
}

/// A login (a staff login or a resident's phone, as typed) and its password.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub login: String,
    pub password: String,
}

/// A refresh token as the client holds it.
#[derive(Debug, Clone)]
pub struct RefreshToken(pub String);

/// The stored signing key, or a new one stored for every replica, unless settings give one.
pub async fn load_signing_key(db: &Db, configured: Option<String>) -> Result<String> {
    if let Some(pem) = configured.filter(|pem| !pem.trim().is_empty()) {
        return Ok(pem);
    }
    let generated = mediation_auth::generate_signing_key_pem();
    db.read::<_, Error, _>(move |conn| Ok(repo::signing_key_or_insert(conn, &generated, Utc::now())?)).await
}

/// The principal an account's tokens carry.
pub(super) fn principal_of(account: &Account) -> Principal {
    Principal { account_id: account.id.clone(), role: account.role, site_id: account.site_id.clone(), kiosk_id: None }
}

impl Identity {
    /// Verifies against a dummy hash when there is no account, so that a wrong login takes as
    /// long as a wrong password and does not reveal which logins exist.
    pub(super) async fn verify_password(&self, hash: Option<String>, password: String) -> Result<bool> {
        static DUMMY: OnceLock<String> = OnceLock::new();
        let _permit = self.hashing.acquire().await.expect("hashing semaphore is never closed");
        self.count_argon2_run();
        run_blocking(move || {
            let dummy = DUMMY.get_or_init(|| hash_password("not a real password").expect("argon2 hashes"));
            let matched = verify_password(hash.as_deref().unwrap_or(dummy), &password)?;
            Ok::<_, Error>(matched && hash.is_some())
        })
        .await
    }

    /// Counts an attempt as failed before the password is checked, so that a burst of
    /// concurrent guesses cannot all pass the limit; a success takes it back.
    pub(super) fn take_attempt(&self, login_key: &str, peer: Option<&str>) -> Result<()> {
        let now = Instant::now();
        self.login_failures.take(login_key, now).map_err(Error::RateLimited)?;
        if let Some(peer) = peer {
            self.peer_failures.take(peer, now).map_err(Error::RateLimited)?;
        }
        Ok(())
    }

    pub(super) fn attempt_succeeded(&self, login_key: &str, peer: Option<&str>) {
        self.login_failures.clear(login_key);
        if let Some(peer) = peer {
            self.peer_failures.give_back(peer);
        }
    }

    /// A resident (by phone) or staff member (by login) logs in from `peer`.
    pub async fn login(&self, credentials: Credentials, peer: Option<String>) -> Result<IssuedTokens> {
        let Credentials { login, password } = credentials;
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

    /// A new refresh-token family and an access token.
    pub(super) async fn start_session(&self, account: &Account) -> Result<IssuedTokens> {
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
            self.keys.issue(&principal_of(account), issued_at, self.settings.access_ttl)?;
        Ok(IssuedTokens { access_token, access_expires_at, refresh: Some((refresh, family_expires_at)) })
    }

    /// Uses a refresh token once: a new one of the same family and a new access token.
    pub async fn refresh(&self, token: RefreshToken) -> Result<IssuedTokens> {
        let RefreshToken(token) = token;
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
            self.keys.issue(&principal_of(&account), issued_at, self.settings.access_ttl)?;
        Ok(IssuedTokens { access_token, access_expires_at, refresh: Some((new_refresh, refresh_expires_at)) })
    }

    /// Revokes the token's family; unknown tokens are ignored, so logging out twice is fine.
    pub async fn logout(&self, token: RefreshToken) -> Result<()> {
        let RefreshToken(token) = token;
        self.db
            .write::<_, Error, _>(move |conn| {
                if let Some(row) = repo::refresh_by_hash(conn, &hash_secret(&token))? {
                    repo::revoke_family(conn, &row.family_id, Utc::now())?;
                }
                Ok(())
            })
            .await
    }
}
