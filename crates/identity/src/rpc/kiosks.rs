//! Kiosks on the wire: provisioning, kiosk login and walk-in sessions parsed into plain
//! requests, and a provisioned kiosk encoded.

use mediation_api::Violations;
use mediation_api::identity::v1 as pb;
use prost::Message;
use tonic::Status;

use super::codes::proof;
use super::fields::{secret, site_id};
use crate::domain;
use crate::service::{KioskCredentials, NewKiosk, PhoneProof, ProvisionedKiosk};

pub(super) fn to_proto(kiosk: ProvisionedKiosk) -> pb::ProvisionKioskResponse {
    pb::ProvisionKioskResponse { kiosk_id: kiosk.kiosk_id, secret: kiosk.secret }
}

impl TryFrom<pb::ProvisionKioskRequest> for NewKiosk {
    type Error = Status;

    fn try_from(req: pb::ProvisionKioskRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let request_id = v.request_id(&req.request_id);
        let site = site_id(&mut v, "site_id", &req.site_id, true);
        let name = v.check("name", domain::parse_display_name(&req.name));
        let (request_id, site, name) = v.finish(|| Some((request_id?, site?, name?)))?;
        let site_id = site.expect("site_id is required");
        Ok(NewKiosk { request_id, fingerprint: req.encode_to_vec(), site_id, name })
    }
}

impl TryFrom<pb::KioskLoginRequest> for KioskCredentials {
    type Error = Status;

    fn try_from(req: pb::KioskLoginRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let kiosk_id = secret(&mut v, "kiosk_id", &req.kiosk_id);
        let kiosk_secret = secret(&mut v, "secret", &req.secret);
        let (kiosk_id, secret) = v.finish(|| Some((kiosk_id?, kiosk_secret?)))?;
        Ok(KioskCredentials { kiosk_id, secret })
    }
}

impl TryFrom<pb::StartKioskResidentSessionRequest> for PhoneProof {
    type Error = Status;

    fn try_from(req: pb::StartKioskResidentSessionRequest) -> Result<Self, Status> {
        proof(&req.phone, &req.code)
    }
}
