//! The gRPC face of the service: parse and validate each request (errors name the field),
//! check the caller against the resource, run the flow, encode the answer.

use chrono::{DateTime, Utc};
use mediation_api::identity::v1 as pb;
use mediation_api::identity::v1::identity_service_server::{IdentityService, IdentityServiceServer};
use mediation_api::status::Violations;
use mediation_auth::{Principal, Role, caller, random_secret};
use mediation_store::idempotency::{self, Claim, Key};
use prost::Message;
use tonic::{Request, Response, Status};

use crate::domain::{self, CodePurpose, PhoneNumber};
use crate::repo::{self, Account, NewAccount};
use crate::service::{Identity, IssuedTokens, invalid};
use crate::{Error, Result};

const CREATE_STAFF_ACCOUNT: &str = "/mediation.identity.v1.IdentityService/CreateStaffAccount";
const PROVISION_KIOSK: &str = "/mediation.identity.v1.IdentityService/ProvisionKiosk";
/// Bounds opaque tokens and secrets before any work is done on them.
const MAX_SECRET_CHARS: usize = 256;

impl Identity {
    pub fn into_server(self) -> IdentityServiceServer<Identity> {
        IdentityServiceServer::new(self)
    }
}

fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: t.timestamp(), nanos: t.timestamp_subsec_nanos() as i32 }
}

fn role_to_proto(role: Role) -> pb::Role {
    match role {
        Role::Resident => pb::Role::Resident,
        Role::Kiosk => pb::Role::Kiosk,
        Role::Mediator => pb::Role::Mediator,
        Role::Dispatcher => pb::Role::Dispatcher,
        Role::StationAdmin => pb::Role::StationAdmin,
        Role::CentreAdmin => pb::Role::CentreAdmin,
    }
}

fn account_to_proto(account: &Account, kiosk_id: Option<&str>) -> pb::Account {
    pb::Account {
        id: account.id.clone(),
        role: role_to_proto(account.role).into(),
        display_name: account.display_name.clone(),
        phone_masked: account.phone.as_ref().map(PhoneNumber::masked).unwrap_or_default(),
        site_id: account.site_id.clone().unwrap_or_default(),
        login: account.login.clone().unwrap_or_default(),
        phone_verified: account.phone_verified,
        kiosk_id: kiosk_id.unwrap_or_default().to_owned(),
    }
}

fn tokens_to_proto(tokens: IssuedTokens) -> pb::Tokens {
    let (refresh_token, refresh_expires_at) = match tokens.refresh {
        Some((token, expires_at)) => (token, Some(timestamp(expires_at))),
        None => (String::new(), None),
    };
    pb::Tokens {
        access_token: tokens.access_token,
        refresh_token,
        access_expires_at: Some(timestamp(tokens.access_expires_at)),
        refresh_expires_at,
    }
}

fn peer<T>(request: &Request<T>) -> Option<String> {
    request.remote_addr().map(|addr| addr.ip().to_string())
}

fn phone(v: &mut Violations, field: &str, value: &str) -> Option<PhoneNumber> {
    v.check(field, PhoneNumber::parse(value))
}

fn six_digits(v: &mut Violations, field: &str, value: &str) -> Option<String> {
    let ok = value.len() == 6 && value.bytes().all(|b| b.is_ascii_digit());
    if !ok {
        v.add(field, "must be the 6-digit code sent to the phone");
    }
    ok.then(|| value.to_owned())
}

fn secret(v: &mut Violations, field: &str, value: &str) -> Option<String> {
    if value.is_empty() || value.len() > MAX_SECRET_CHARS {
        v.add(field, format!("is required and at most {MAX_SECRET_CHARS} characters"));
        return None;
    }
    // PostgreSQL refuses NUL in text; no login, id or token has control characters anyway.
    if value.chars().any(char::is_control) {
        v.add(field, "must not contain control characters");
        return None;
    }
    Some(value.to_owned())
}

fn purpose(v: &mut Violations, value: i32) -> Option<CodePurpose> {
    match pb::PhoneCodePurpose::try_from(value) {
        Ok(pb::PhoneCodePurpose::Verify) => Some(CodePurpose::Verify),
        Ok(pb::PhoneCodePurpose::KioskSession) => Some(CodePurpose::KioskSession),
        _ => {
            v.add("purpose", "must be VERIFY or KIOSK_SESSION");
            None
        }
    }
}

fn staff_role(v: &mut Violations, value: i32) -> Option<Role> {
    let role = match pb::Role::try_from(value) {
        Ok(pb::Role::Mediator) => Role::Mediator,
        Ok(pb::Role::Dispatcher) => Role::Dispatcher,
        Ok(pb::Role::StationAdmin) => Role::StationAdmin,
        Ok(pb::Role::CentreAdmin) => Role::CentreAdmin,
        _ => {
            v.add("role", "must be MEDIATOR, DISPATCHER, STATION_ADMIN or CENTRE_ADMIN");
            return None;
        }
    };
    Some(role)
}

/// An optional site id: empty means none.
fn site_id(v: &mut Violations, field: &str, value: &str, required: bool) -> Option<Option<String>> {
    let value = value.trim();
    if value.is_empty() {
        if required {
            v.add(field, "is required");
            return None;
        }
        return Some(None);
    }
    if value.len() > 64 || value.chars().any(char::is_control) {
        v.add(field, "must be at most 64 characters");
        return None;
    }
    Some(Some(value.to_owned()))
}

/// A station admin acts only within their own station; a centre admin anywhere.
fn admin_site(principal: &Principal, requested: Option<String>) -> Result<Option<String>> {
    match principal.role {
        Role::CentreAdmin => Ok(requested),
        Role::StationAdmin => match (&principal.site_id, requested) {
            (Some(own), None) => Ok(Some(own.clone())),
            (Some(own), Some(site)) if *own == site => Ok(Some(site)),
            _ => Err(Error::Forbidden("a station admin acts only for their own station")),
        },
        _ => Err(Error::Forbidden("only admins may do this")),
    }
}

#[tonic::async_trait]
impl IdentityService for Identity {
    async fn register_resident(
        &self,
        request: Request<pb::RegisterResidentRequest>,
    ) -> Result<Response<pb::RegisterResidentResponse>, Status> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let phone = phone(&mut v, "phone", &req.phone);
        let password = v.check("password", domain::check_password(&req.password));
        let name = v.check("display_name", domain::parse_display_name(&req.display_name));
        let (phone, (), name) = v.finish(|| Some((phone?, password?, name?)))?;
        let (account, expires_at) = self.register_resident(phone, req.password, name).await?;
        Ok(Response::new(pb::RegisterResidentResponse {
            account: Some(account_to_proto(&account, None)),
            code_expires_at: Some(timestamp(expires_at)),
        }))
    }

    async fn send_phone_code(
        &self,
        request: Request<pb::SendPhoneCodeRequest>,
    ) -> Result<Response<pb::SendPhoneCodeResponse>, Status> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let phone = phone(&mut v, "phone", &req.phone);
        let purpose = purpose(&mut v, req.purpose);
        let (phone, purpose) = v.finish(|| Some((phone?, purpose?)))?;
        let expires_at = self.send_phone_code(phone, purpose).await?;
        Ok(Response::new(pb::SendPhoneCodeResponse { expires_at: Some(timestamp(expires_at)) }))
    }

    async fn verify_phone(
        &self,
        request: Request<pb::VerifyPhoneRequest>,
    ) -> Result<Response<pb::VerifyPhoneResponse>, Status> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let phone = phone(&mut v, "phone", &req.phone);
        let code = six_digits(&mut v, "code", &req.code);
        let (phone, code) = v.finish(|| Some((phone?, code?)))?;
        let account = self.verify_phone(phone, code).await?;
        Ok(Response::new(pb::VerifyPhoneResponse { account: Some(account_to_proto(&account, None)) }))
    }

    async fn login(&self, request: Request<pb::LoginRequest>) -> Result<Response<pb::Tokens>, Status> {
        let peer = peer(&request);
        let req = request.into_inner();
        let mut v = Violations::new();
        let login = secret(&mut v, "login", req.login.trim());
        if req.password.is_empty() || req.password.chars().count() > *domain::PASSWORD_CHARS.end() {
            v.add("password", "is required and at most 128 characters");
        }
        let login = v.finish(|| login)?;
        let tokens = self.login(login, req.password, peer).await?;
        Ok(Response::new(tokens_to_proto(tokens)))
    }

    async fn refresh(&self, request: Request<pb::RefreshRequest>) -> Result<Response<pb::Tokens>, Status> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let token = secret(&mut v, "refresh_token", &req.refresh_token);
        let token = v.finish(|| token)?;
        Ok(Response::new(tokens_to_proto(self.refresh(token).await?)))
    }

    async fn logout(&self, request: Request<pb::LogoutRequest>) -> Result<Response<pb::LogoutResponse>, Status> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let token = secret(&mut v, "refresh_token", &req.refresh_token);
        let token = v.finish(|| token)?;
        self.logout(token).await?;
        Ok(Response::new(pb::LogoutResponse {}))
    }

    async fn get_me(&self, request: Request<pb::GetMeRequest>) -> Result<Response<pb::Account>, Status> {
        let principal = caller(&request)?;
        let account = self.account(principal.account_id.clone()).await?;
        Ok(Response::new(account_to_proto(&account, principal.kiosk_id.as_deref())))
    }

    async fn create_staff_account(
        &self,
        request: Request<pb::CreateStaffAccountRequest>,
    ) -> Result<Response<pb::Account>, Status> {
        let principal = caller(&request)?;
        let actor = mediation_audit::Actor::new(&principal, request.remote_addr());
        let req = request.into_inner();
        let mut v = Violations::new();
        let request_id = v.request_id(&req.request_id);
        let login = v.check("login", domain::parse_login(&req.login));
        let password = v.check("password", domain::check_password(&req.password));
        let role = staff_role(&mut v, req.role);
        let site = site_id(&mut v, "site_id", &req.site_id, false);
        let name = v.check("display_name", domain::parse_display_name(&req.display_name));
        let (request_id, login, (), role, site, name) =
            v.finish(|| Some((request_id?, login?, password?, role?, site?, name?)))?;

        let site = admin_site(&principal, site)?;
        if principal.role == Role::StationAdmin && role == Role::CentreAdmin {
            return Err(Error::Forbidden("a station admin cannot create centre admins").into());
        }
        if role == Role::StationAdmin && site.is_none() {
            return Err(invalid("site_id", "a station admin needs the station's site_id").into());
        }
        let hash = self.hash_password(req.password.clone()).await?;
        let sites = self.sites;
        // The fingerprint must not let the stored row stand in for a fast hash of the password.
        let fingerprinted = pb::CreateStaffAccountRequest { password: String::new(), ..req }.encode_to_vec();
        let account = self
            .db
            .write::<_, Error, _>(move |conn| {
                let key =
                    Key { principal: &principal.account_id, method: CREATE_STAFF_ACCOUNT, request_id: &request_id };
                idempotency::once(conn, key, &fingerprinted, |conn| {
                    if let Some(site_id) = &site {
                        let found = sites(conn, site_id)?.ok_or_else(|| invalid("site_id", "no such site"))?;
                        let fits = match role {
                            Role::StationAdmin => found.kind == "STATION",
                            _ => found.kind == "CENTRE" || found.kind == "STATION",
                        };
                        if !fits {
                            return Err(invalid(
                                "site_id",
                                "staff belong to a centre or a station (station admins to a station)",
                            ));
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
                        display_name: &name,
                        site_id: site.as_deref(),
                        phone_verified: false,
                    };
                    let now = chrono::Utc::now();
                    crate::service::insert_account(conn, &new, now)?;
                    let account = repo::account_by_id(conn, &id)?.ok_or(Error::AccountGone)?;
                    let detail = format!("role {} at site {}", role.as_str(), site.as_deref().unwrap_or("-"));
                    let event = mediation_audit::Event::new(
                        mediation_audit::Action::AccountCreated,
                        mediation_audit::TargetKind::Account,
                        &id,
                        detail,
                    );
                    mediation_audit::repo::append(conn, &actor, event, now)?;
                    Ok(account_to_proto(&account, None))
                })
            })
            .await?;
        Ok(Response::new(account))
    }

    /// The secret is returned once; a retry replays the response without it, since only its
    /// hash is kept.
    async fn provision_kiosk(
        &self,
        request: Request<pb::ProvisionKioskRequest>,
    ) -> Result<Response<pb::ProvisionKioskResponse>, Status> {
        let principal = caller(&request)?;
        let actor = mediation_audit::Actor::new(&principal, request.remote_addr());
        let req = request.into_inner();
        let mut v = Violations::new();
        let request_id = v.request_id(&req.request_id);
        let site = site_id(&mut v, "site_id", &req.site_id, true);
        let name = v.check("name", domain::parse_display_name(&req.name));
        let (request_id, site, name) = v.finish(|| Some((request_id?, site?, name?)))?;
        let site = site.expect("site_id is required");
        let sites = self.sites;

        let secret = random_secret();
        let hash = self.hash_password(secret.clone()).await?;
        let kiosk_id = uuid::Uuid::now_v7().to_string();
        let fingerprint = req.encode_to_vec();
        let response = self
            .db
            .write::<_, Error, _>(move |conn| {
                let key = Key { principal: &principal.account_id, method: PROVISION_KIOSK, request_id: &request_id };
                if let Claim::Replay(bytes) = idempotency::claim(conn, key, &fingerprint)? {
                    let kiosk_id = String::from_utf8(bytes).unwrap_or_default();
                    return Ok::<_, Error>(pb::ProvisionKioskResponse { kiosk_id, secret: String::new() });
                }
                let found = sites(conn, &site)?.ok_or_else(|| invalid("site_id", "no such site"))?;
                if found.kind != "KIOSK" {
                    return Err(invalid("site_id", "must be a KIOSK site"));
                }
                let own_station = principal.site_id.is_some() && found.parent_id == principal.site_id;
                if principal.role != Role::CentreAdmin && !own_station {
                    return Err(Error::Forbidden("a station admin provisions only its own station's kiosks"));
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
                let now = chrono::Utc::now();
                crate::service::insert_account(conn, &new, now)?;
                let event = mediation_audit::Event::new(
                    mediation_audit::Action::KioskProvisioned,
                    mediation_audit::TargetKind::Account,
                    &kiosk_id,
                    format!("kiosk at site {site}"),
                );
                mediation_audit::repo::append(conn, &actor, event, now)?;
                idempotency::complete(conn, key, kiosk_id.as_bytes())?;
                Ok(pb::ProvisionKioskResponse { kiosk_id, secret })
            })
            .await?;
        tracing::info!(kiosk_id = %response.kiosk_id, "kiosk provisioned");
        Ok(Response::new(response))
    }

    async fn kiosk_login(&self, request: Request<pb::KioskLoginRequest>) -> Result<Response<pb::Tokens>, Status> {
        let peer = peer(&request);
        let req = request.into_inner();
        let mut v = Violations::new();
        let kiosk_id = secret(&mut v, "kiosk_id", &req.kiosk_id);
        let kiosk_secret = secret(&mut v, "secret", &req.secret);
        let (kiosk_id, kiosk_secret) = v.finish(|| Some((kiosk_id?, kiosk_secret?)))?;
        Ok(Response::new(tokens_to_proto(self.kiosk_login(kiosk_id, kiosk_secret, peer).await?)))
    }

    async fn start_kiosk_resident_session(
        &self,
        request: Request<pb::StartKioskResidentSessionRequest>,
    ) -> Result<Response<pb::Tokens>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let phone = phone(&mut v, "phone", &req.phone);
        let code = six_digits(&mut v, "code", &req.code);
        let (phone, code) = v.finish(|| Some((phone?, code?)))?;
        let tokens = self.start_kiosk_resident_session(&principal, phone, code).await?;
        Ok(Response::new(tokens_to_proto(tokens)))
    }

    async fn set_account_disabled(
        &self,
        request: Request<pb::SetAccountDisabledRequest>,
    ) -> Result<Response<pb::SetAccountDisabledResponse>, Status> {
        let principal = caller(&request)?;
        let actor = mediation_audit::Actor::new(&principal, request.remote_addr());
        let req = request.into_inner();
        let mut v = Violations::new();
        let account_id = v.id("account_id", &req.account_id);
        let reason = v.check("reason", block_reason(&req.reason, req.disabled));
        let (account_id, reason) = v.finish(|| Some((account_id?, reason?)))?;
        let state = self.set_account_disabled(principal, actor, account_id, req.disabled, reason).await?;
        tracing::info!(account_id = %state.account_id, disabled = state.disabled, "account access changed");
        Ok(Response::new(pb::SetAccountDisabledResponse {
            account_id: state.account_id,
            disabled: state.disabled,
            tokens_not_before: state.tokens_not_before.map(timestamp),
        }))
    }
}

/// Why an account is disabled: required when disabling, at most 500 characters, one line.
fn block_reason(reason: &str, disabling: bool) -> Result<String, &'static str> {
    let reason = reason.trim();
    if disabling && reason.is_empty() {
        return Err("is required when disabling an account");
    }
    if reason.chars().count() > 500 || reason.chars().any(char::is_control) {
        return Err("must be at most 500 characters without control characters");
    }
    Ok(reason.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role, site: Option<&str>) -> Principal {
        Principal { account_id: "p".into(), role, site_id: site.map(Into::into), kiosk_id: None }
    }

    #[test]
    fn reasons_are_needed_to_disable() {
        assert_eq!(block_reason("  left the job ", true), Ok("left the job".into()));
        assert!(block_reason("", true).is_err());
        assert_eq!(block_reason("", false), Ok(String::new()));
        assert!(block_reason(&"x".repeat(501), false).is_err());
        assert!(block_reason("a\nb", true).is_err());
    }

    #[test]
    fn station_admins_stay_in_their_station() {
        let station = principal(Role::StationAdmin, Some("s1"));
        assert_eq!(admin_site(&station, None).unwrap(), Some("s1".into()));
        assert_eq!(admin_site(&station, Some("s1".into())).unwrap(), Some("s1".into()));
        assert!(admin_site(&station, Some("s2".into())).is_err());
        assert!(admin_site(&principal(Role::StationAdmin, None), None).is_err());
        let centre = principal(Role::CentreAdmin, None);
        assert_eq!(admin_site(&centre, Some("s2".into())).unwrap(), Some("s2".into()));
        assert_eq!(admin_site(&centre, None).unwrap(), None);
        assert!(admin_site(&principal(Role::Mediator, Some("s1")), None).is_err());
    }
}
