//! Kiosks: admins provision them (the secret is shown once), a kiosk logs in with its secret,
//! and a walk-in resident proves their phone at a kiosk for a short session bound to it.

use chrono::Utc;
use mediation_api::Fault;
use mediation_audit::{Action, Actor, Event, TargetKind};
use mediation_auth::{Principal, Role, random_secret};
use mediation_store::idempotency::{self, Claim, Key};

use super::codes::{PhoneProof, check_code};
use super::identity::{Identity, insert_account};
use super::sessions::IssuedTokens;
use crate::domain::CodePurpose;
use crate::domain::blocks;
use crate::domain::staff::{SiteKind, may_provision_kiosk};
use crate::error::{Error, Result};
use crate::repo::{self, NewAccount};

/// The idempotency key's method.
const PROVISION_KIOSK: &str = "/mediation.identity.v1.IdentityService/ProvisionKiosk";

/// A kiosk to provision at a KIOSK site.
#[derive(Debug, Clone)]
pub struct NewKiosk {
    /// The client's id for this create; a retry with the same one gets the kiosk id again.
    pub request_id: String,
    /// The encoded request, which a retry must match.
    pub fingerprint: Vec<u8>,
    pub site_id: String,
    pub name: String,
}

/// A provisioned kiosk. The secret is there only the first time: a retry gets an empty one,
/// since only its hash is kept.
#[derive(Debug, Clone)]
pub struct ProvisionedKiosk {
    pub kiosk_id: String,
    pub secret: String,
}

/// A kiosk's id and secret.
#[derive(Debug, Clone)]
pub struct KioskCredentials {
    pub kiosk_id: String,
    pub secret: String,
}

impl Identity {
    /// Provisions a kiosk account at a KIOSK site within the admin's reach, recorded in the audit
    /// log; the retry of a request replays the kiosk id without its secret.
    pub async fn provision_kiosk(&self, admin: Principal, actor: Actor, kiosk: NewKiosk) -> Result<ProvisionedKiosk> {
        let NewKiosk { request_id, fingerprint, site_id: site, name } = kiosk;
        let sites = self.sites;
        let secret = random_secret();
        let hash = self.hash_password(secret.clone()).await?;
        let kiosk_id = uuid::Uuid::now_v7().to_string();
        let provisioned = self
            .db
            .write::<_, Error, _>(move |conn| {
                let key = Key { principal: &admin.account_id, method: PROVISION_KIOSK, request_id: &request_id };
                if let Claim::Replay(bytes) = idempotency::claim(conn, key, &fingerprint)? {
                    let kiosk_id = String::from_utf8(bytes).unwrap_or_default();
                    return Ok(ProvisionedKiosk { kiosk_id, secret: String::new() });
                }
                let found = sites(conn, &site)?.ok_or_else(|| Fault::invalid("site_id", "no such site"))?;
                if found.site_kind() != Some(SiteKind::Kiosk) {
                    return Err(Fault::invalid("site_id", "must be a KIOSK site").into());
                }
                if !may_provision_kiosk(&admin, found.parent_id.as_deref()) {
                    return Err(Fault::Forbidden("a station admin provisions only its own station's kiosks").into());
                }
                let new = NewAccount {
                    id: &kiosk_id,
                    role: Role::Kiosk,
                    login: None,
                    phone: None,
                    password_hash: Some(&hash),
                    display_name: &name,
                    site_id: Some(&site),
                    phone_verified: false,
                };
                let now = Utc::now();
                insert_account(conn, &new, now)?;
                let event = Event::new(
                    Action::KioskProvisioned,
                    TargetKind::Account,
                    &kiosk_id,
                    format!("kiosk at site {site}"),
                );
                mediation_audit::repo::append(conn, &actor, event, now)?;
                idempotency::complete(conn, key, kiosk_id.as_bytes())?;
                Ok(ProvisionedKiosk { kiosk_id, secret })
            })
            .await?;
        tracing::info!(kiosk_id = %provisioned.kiosk_id, "kiosk provisioned");
        Ok(provisioned)
    }

    /// A kiosk logs in with its id and secret from `peer`.
    pub async fn kiosk_login(&self, credentials: KioskCredentials, peer: Option<String>) -> Result<IssuedTokens> {
        let KioskCredentials { kiosk_id, secret } = credentials;
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

    /// A walk-in resident proves their phone with a KIOSK_SESSION code; they get a short
    /// session bound to the kiosk, with an account made for them if they had none.
    pub async fn start_kiosk_resident_session(&self, kiosk: &Principal, proof: PhoneProof) -> Result<IssuedTokens> {
        let PhoneProof { phone, code } = proof;
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
                        return Err(Fault::Forbidden("this phone belongs to a staff account").into());
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
