//! Staff accounts: admins create them within their reach, the first centre admin comes from the
//! command line, and admins disable and enable accounts. Each change is recorded in the audit
//! log in the transaction that makes it.

use chrono::{DateTime, Utc};
use mediation_api::Fault;
use mediation_audit::{Action, Actor, Event, TargetKind};
use mediation_auth::{Principal, Role, hash_password};
use mediation_store::idempotency::Key;
use mediation_store::{Db, DbConnection, run_blocking};

use super::identity::{Create, Identity, insert_account};
use crate::domain::blocks::{self, Target};
use crate::domain::staff::{admin_site, staff_site_fits};
use crate::domain::{check_password, parse_login};
use crate::error::{Error, Result};
use crate::repo::{self, Account, NewAccount};

/// The idempotency key's method.
const CREATE_STAFF_ACCOUNT: &str = "/mediation.identity.v1.IdentityService/CreateStaffAccount";

/// A staff account to create, every field checked.
#[derive(Debug, Clone)]
pub struct NewStaff {
    /// The client's id for this create; a retry with the same one is answered by replay.
    pub request_id: String,
    /// The encoded request without its password, which a retry must match.
    pub fingerprint: Vec<u8>,
    pub login: String,
    pub password: String,
    /// A staff role: never a resident or a kiosk.
    pub role: Role,
    pub site_id: Option<String>,
    pub display_name: String,
}

/// An account to disable or enable again, and why.
#[derive(Debug, Clone)]
pub struct AccessChange {
    pub account_id: String,
    pub disabled: bool,
    pub reason: String,
}

/// The outcome of `SetAccountDisabled`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountState {
    pub account_id: String,
    pub disabled: bool,
    pub tokens_not_before: Option<DateTime<Utc>>,
}

/// Creates a CENTRE_ADMIN with this login, or resets its password if it exists.
pub async fn create_admin(db: &Db, login: &str, password: &str) -> Result<String> {
    let login = parse_login(login).map_err(|e| Fault::invalid("login", e))?;
    check_password(password).map_err(|e| Fault::invalid("password", e))?;
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

impl Identity {
    /// Creates a staff account at a site within the admin's reach (a station admin never makes a
    /// centre admin) and records it in the audit log. `replay` runs the create inside the
    /// transaction under its idempotency key: the caller records the answer in its own encoding
    /// and gives it back to a retry, whose create then never runs.
    pub async fn create_staff_account<R, F>(
        &self,
        admin: Principal,
        actor: Actor,
        staff: NewStaff,
        replay: F,
    ) -> Result<R>
    where
        R: Send + 'static,
        F: FnOnce(&mut DbConnection, Key<'_>, &[u8], Create<Account>) -> Result<R> + Send + 'static,
    {
        let NewStaff { request_id, fingerprint, login, password, role, site_id, display_name } = staff;
        let site = admin_site(&admin, site_id).map_err(Fault::Forbidden)?;
        if admin.role == Role::StationAdmin && role == Role::CentreAdmin {
            return Err(Fault::Forbidden("a station admin cannot create centre admins").into());
        }
        if role == Role::StationAdmin && site.is_none() {
            return Err(Fault::invalid("site_id", "a station admin needs the station's site_id").into());
        }
        if role == Role::PartnerStaff && site.is_none() {
            return Err(Fault::invalid("site_id", "partner staff need their PARTNER site's site_id").into());
        }
        let hash = self.hash_password(password).await?;
        let sites = self.sites;
        let create: Create<Account> = Box::new(move |conn| {
            if let Some(site_id) = &site {
                let found = sites(conn, site_id)?.ok_or_else(|| Fault::invalid("site_id", "no such site"))?;
                if !staff_site_fits(role, found.site_kind()) {
                    let why = "staff belong to a centre or a station (station admins to a station), partner staff to a \
                               PARTNER site";
                    return Err(Fault::invalid("site_id", why).into());
                }
            }
            if repo::account_by_login(conn, &login)?.is_some() {
                return Err(Error::LoginTaken);
            }
            let id = uuid::Uuid::now_v7().to_string();
            let new = NewAccount {
                id: &id,
                role,
                login: Some(&login),
                phone: None,
                password_hash: Some(&hash),
                display_name: &display_name,
                site_id: site.as_deref(),
                phone_verified: false,
            };
            let now = Utc::now();
            insert_account(conn, &new, now)?;
            let account = repo::account_by_id(conn, &id)?.ok_or(Error::AccountGone)?;
            let detail = format!("role {} at site {}", role.as_str(), site.as_deref().unwrap_or("-"));
            let event = Event::new(Action::AccountCreated, TargetKind::Account, &id, detail);
            mediation_audit::repo::append(conn, &actor, event, now)?;
            Ok(account)
        });
        self.db
            .write::<_, Error, _>(move |conn| {
                let key = Key { principal: &admin.account_id, method: CREATE_STAFF_ACCOUNT, request_id: &request_id };
                replay(conn, key, &fingerprint, create)
            })
            .await
    }

    /// Disables an account (its access tokens are refused from now on, its refresh tokens
    /// revoked, its logins refused) or enables it again (old tokens stay refused), and records
    /// it in the audit log, all in one transaction.
    pub async fn set_account_disabled(
        &self,
        admin: Principal,
        actor: Actor,
        change: AccessChange,
    ) -> Result<AccountState> {
        let AccessChange { account_id, disabled, reason } = change;
        let sites = self.sites;
        let state = self
            .db
            .write::<_, Error, _>(move |conn| {
                let now = Utc::now();
                let account = repo::account_by_id(conn, &account_id)?.ok_or(Fault::NotFound("account"))?;
                let station = match (account.role, &account.site_id) {
                    (Role::Kiosk, Some(kiosk_site)) => sites(conn, kiosk_site)?.and_then(|site| site.parent_id),
                    (_, site) => site.clone(),
                };
                let target = Target { id: &account.id, role: account.role, station: station.as_deref() };
                blocks::may_set_disabled(&admin, &target).map_err(|refused| {
                    Fault::Forbidden(match refused {
                        blocks::Refused::Own => "an admin cannot disable their own account",
                        blocks::Refused::OtherStation => {
                            "a station admin manages only the accounts and kiosks of their own station"
                        }
                        blocks::Refused::NotAdmin => "only admins may disable accounts",
                    })
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
                let (action, verb) =
                    if disabled { (Action::AccountDisabled, "disabled") } else { (Action::AccountEnabled, "enabled") };
                // The reason is free text and stays in account_blocks.
                let detail = format!("{} {verb}", account.role.as_str());
                let event = Event::new(action, TargetKind::Account, &account.id, detail);
                mediation_audit::repo::append(conn, &actor, event, now)?;
                Ok(AccountState { account_id: account.id, disabled, tokens_not_before })
            })
            .await?;
        if let (true, Some(not_before)) = (state.disabled, state.tokens_not_before) {
            self.revocations.note(&state.account_id, not_before, std::time::Instant::now());
        }
        Ok(state)
    }
}
