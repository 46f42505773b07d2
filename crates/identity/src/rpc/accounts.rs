//! Accounts on the wire: registration, staff creation and disabling parsed into plain requests
//! (naming every bad field), and accounts and their roles encoded.

use chrono::{DateTime, Utc};
use mediation_api::Violations;
use mediation_api::convert::timestamp;
use mediation_api::identity::v1 as pb;
use mediation_auth::Role;
use prost::Message;
use tonic::Status;

use super::fields::{phone, site_id};
use crate::domain::{self, PhoneNumber};
use crate::repo::Account;
use crate::service::{AccessChange, AccountState, NewStaff, Registration};

pub(super) fn role_to_proto(role: Role) -> pb::Role {
    match role {
        Role::Resident => pb::Role::Resident,
        Role::Kiosk => pb::Role::Kiosk,
        Role::Mediator => pb::Role::Mediator,
        Role::Dispatcher => pb::Role::Dispatcher,
        Role::StationAdmin => pb::Role::StationAdmin,
        Role::CentreAdmin => pb::Role::CentreAdmin,
        Role::PartnerStaff => pb::Role::PartnerStaff,
    }
}

fn staff_role(v: &mut Violations, value: i32) -> Option<Role> {
    let role = match pb::Role::try_from(value) {
        Ok(pb::Role::Mediator) => Role::Mediator,
        Ok(pb::Role::Dispatcher) => Role::Dispatcher,
        Ok(pb::Role::StationAdmin) => Role::StationAdmin,
        Ok(pb::Role::CentreAdmin) => Role::CentreAdmin,
        Ok(pb::Role::PartnerStaff) => Role::PartnerStaff,
        _ => {
            v.add("role", "must be MEDIATOR, DISPATCHER, STATION_ADMIN, CENTRE_ADMIN or PARTNER_STAFF");
            return None;
        }
    };
    Some(role)
}

/// An account as its owner (or an admin) sees it; `kiosk_id` is the kiosk of a walk-in session.
pub(super) fn to_proto(account: &Account, kiosk_id: Option<&str>) -> pb::Account {
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

pub(super) fn registered_to_proto(account: &Account, code_expires_at: DateTime<Utc>) -> pb::RegisterResidentResponse {
    pb::RegisterResidentResponse {
        account: Some(to_proto(account, None)),
        code_expires_at: Some(timestamp(code_expires_at)),
    }
}

pub(super) fn state_to_proto(state: AccountState) -> pb::SetAccountDisabledResponse {
    pb::SetAccountDisabledResponse {
        account_id: state.account_id,
        disabled: state.disabled,
        tokens_not_before: state.tokens_not_before.map(timestamp),
    }
}

impl TryFrom<pb::RegisterResidentRequest> for Registration {
    type Error = Status;

    fn try_from(req: pb::RegisterResidentRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let phone = phone(&mut v, "phone", &req.phone);
        let password = v.check("password", domain::check_password(&req.password));
        let name = v.check("display_name", domain::parse_display_name(&req.display_name));
        let (phone, (), display_name) = v.finish(|| Some((phone?, password?, name?)))?;
        Ok(Registration { phone, password: req.password, display_name })
    }
}

impl TryFrom<pb::CreateStaffAccountRequest> for NewStaff {
    type Error = Status;

    fn try_from(req: pb::CreateStaffAccountRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let request_id = v.request_id(&req.request_id);
        let login = v.check("login", domain::parse_login(&req.login));
        let password = v.check("password", domain::check_password(&req.password));
        let role = staff_role(&mut v, req.role);
        let site = site_id(&mut v, "site_id", &req.site_id, false);
        let name = v.check("display_name", domain::parse_display_name(&req.display_name));
        let (request_id, login, (), role, site_id, display_name) =
            v.finish(|| Some((request_id?, login?, password?, role?, site?, name?)))?;
        // The fingerprint must not let the stored row stand in for a fast hash of the password.
        let password = req.password.clone();
        let fingerprint = pb::CreateStaffAccountRequest { password: String::new(), ..req }.encode_to_vec();
        Ok(NewStaff { request_id, fingerprint, login, password, role, site_id, display_name })
    }
}

impl TryFrom<pb::SetAccountDisabledRequest> for AccessChange {
    type Error = Status;

    fn try_from(req: pb::SetAccountDisabledRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let account_id = v.id("account_id", &req.account_id);
        let disabled = v.present("disabled", req.disabled);
        let reason = disabled.and_then(|disabled| v.check("reason", block_reason(&req.reason, disabled)));
        let (account_id, disabled, reason) = v.finish(|| Some((account_id?, disabled?, reason?)))?;
        Ok(AccessChange { account_id, disabled, reason })
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
    use tonic_types::StatusExt;

    use super::*;

    #[test]
    fn reasons_are_needed_to_disable() {
        assert_eq!(block_reason("  left the job ", true), Ok("left the job".into()));
        assert!(block_reason("", true).is_err());
        assert_eq!(block_reason("", false), Ok(String::new()));
        assert!(block_reason(&"x".repeat(501), false).is_err());
        assert!(block_reason("a\nb", true).is_err());
    }

    #[test]
    fn staff_requests_name_every_bad_field() {
        let req = pb::CreateStaffAccountRequest {
            request_id: "retry-1".into(),
            login: "13800000001".into(),
            password: "short".into(),
            role: pb::Role::Resident.into(),
            site_id: "x".repeat(65),
            display_name: " ".into(),
        };
        let status = NewStaff::try_from(req).unwrap_err();
        let details = status.get_error_details();
        let fields: Vec<_> = details.bad_request().unwrap().field_violations.iter().map(|f| f.field.clone()).collect();
        assert_eq!(fields, ["request_id", "login", "password", "role", "site_id", "display_name"]);
    }

    #[test]
    fn staff_fingerprints_leave_the_password_out() {
        let req = |password: &str| pb::CreateStaffAccountRequest {
            request_id: "8c8e5d0e-8a7c-4e8b-9b4c-1b2f0e9c1a11".into(),
            login: "li.wei".into(),
            password: password.into(),
            role: pb::Role::Mediator.into(),
            site_id: String::new(),
            display_name: "李伟".into(),
        };
        let first = NewStaff::try_from(req("password-one")).unwrap();
        let second = NewStaff::try_from(req("password-two")).unwrap();
        assert_eq!(first.fingerprint, second.fingerprint);
        assert_eq!((first.password.as_str(), first.role, first.site_id), ("password-one", Role::Mediator, None));
    }
}
