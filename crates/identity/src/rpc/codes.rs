//! Phone codes on the wire: what a code is for, and the requests that send and check one.

use chrono::{DateTime, Utc};
use mediation_api::Violations;
use mediation_api::convert::timestamp;
use mediation_api::identity::v1 as pb;
use tonic::Status;

use super::fields::{phone, six_digits};
use crate::domain::CodePurpose;
use crate::service::{CodeRequest, PhoneProof};

fn purpose(v: &mut Violations, value: i32) -> Option<CodePurpose> {
    match pb::PhoneCodePurpose::try_from(value) {
        Ok(pb::PhoneCodePurpose::Verify) => Some(CodePurpose::Verify),
        Ok(pb::PhoneCodePurpose::KioskSession) => Some(CodePurpose::KioskSession),
        Ok(pb::PhoneCodePurpose::SignAgreement) => Some(CodePurpose::SignAgreement),
        _ => {
            v.add("purpose", "must be VERIFY, KIOSK_SESSION or SIGN_AGREEMENT");
            None
        }
    }
}

pub(super) fn sent_to_proto(expires_at: DateTime<Utc>) -> pb::SendPhoneCodeResponse {
    pb::SendPhoneCodeResponse { expires_at: Some(timestamp(expires_at)) }
}

impl TryFrom<pb::SendPhoneCodeRequest> for CodeRequest {
    type Error = Status;

    fn try_from(req: pb::SendPhoneCodeRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let phone = phone(&mut v, "phone", &req.phone);
        let purpose = purpose(&mut v, req.purpose);
        let (phone, purpose) = v.finish(|| Some((phone?, purpose?)))?;
        // Who asks is the handler's to say, from the caller.
        Ok(CodeRequest { phone, purpose, by_kiosk: false, by_resident: None })
    }
}

/// A phone and its code, as both VerifyPhone and StartKioskResidentSession carry them.
pub(super) fn proof(phone_number: &str, code: &str) -> Result<PhoneProof, Status> {
    let mut v = Violations::new();
    let phone = phone(&mut v, "phone", phone_number);
    let code = six_digits(&mut v, "code", code);
    let (phone, code) = v.finish(|| Some((phone?, code?)))?;
    Ok(PhoneProof { phone, code })
}

impl TryFrom<pb::VerifyPhoneRequest> for PhoneProof {
    type Error = Status;

    fn try_from(req: pb::VerifyPhoneRequest) -> Result<Self, Status> {
        proof(&req.phone, &req.code)
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt;

    use super::*;

    #[test]
    fn code_requests_name_every_bad_field() {
        let req = pb::SendPhoneCodeRequest { phone: "12".into(), purpose: 0 };
        let status = CodeRequest::try_from(req).unwrap_err();
        let details = status.get_error_details();
        let fields: Vec<_> = details.bad_request().unwrap().field_violations.iter().map(|f| f.field.clone()).collect();
        assert_eq!(fields, ["phone", "purpose"]);
        let proof = PhoneProof::try_from(pb::VerifyPhoneRequest { phone: "12".into(), code: "12345".into() });
        assert_eq!(proof.unwrap_err().get_error_details().bad_request().unwrap().field_violations.len(), 2);
    }
}
