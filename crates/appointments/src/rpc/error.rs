//! The one mapping of this service's errors to gRPC statuses: the shared faults as every
//! service answers them, a taken slot as ABORTED with reason SLOT_TAKEN.

use mediation_api::status::{self, reason};
use tonic::{Code, Status};

use crate::error::Error;

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        match err {
            Error::Fault(fault) => fault.into(),
            Error::SlotTaken { held } => {
                let message = Error::SlotTaken { held: None }.to_string();
                let metadata = held.map(|resource| ("held_resource".to_owned(), resource));
                status::with_metadata(Code::Aborted, reason::SLOT_TAKEN, message, metadata)
            }
            Error::IncidentTaken => status::invalid_field_reason(
                "police_incident_id",
                "this station already has a case with that 110 incident number",
                Code::AlreadyExists,
                reason::ALREADY_EXISTS,
            ),
            Error::CodeNotAccepted => status::invalid_field_reason(
                "code",
                "the code is wrong, used or expired; ask for a new one",
                Code::FailedPrecondition,
                reason::CODE_INVALID,
            ),
            Error::Document(err) => {
                tracing::error!(error = %err, "document rendering failed");
                status::internal()
            }
            Error::Video(err) => {
                tracing::error!(error = %err, "video join link failed");
                status::internal()
            }
        }
    }
}

/// [`Status::from`], as a function to hand to `map_err`.
pub fn to_status(err: Error) -> Status {
    err.into()
}

#[cfg(test)]
mod tests {
    use mediation_api::Fault;
    use tonic_types::StatusExt;

    use super::*;

    #[test]
    fn codes_and_reasons() {
        let cases: Vec<(Error, Code, &str)> = vec![
            (Fault::invalid("duration", "bad").into(), Code::InvalidArgument, reason::VALIDATION),
            (Fault::NotFound("case").into(), Code::NotFound, reason::NOT_FOUND),
            (Fault::Forbidden("no").into(), Code::PermissionDenied, reason::FORBIDDEN),
            (Error::SlotTaken { held: Some("room:r1".into()) }, Code::Aborted, reason::SLOT_TAKEN),
            (Error::IncidentTaken, Code::AlreadyExists, reason::ALREADY_EXISTS),
            (Error::CodeNotAccepted, Code::FailedPrecondition, reason::CODE_INVALID),
            (Fault::state("AGREEMENT_SIGNED", "fixed").into(), Code::FailedPrecondition, "AGREEMENT_SIGNED"),
            (Fault::state("APPOINTMENT_COMPLETED", "done").into(), Code::FailedPrecondition, "APPOINTMENT_COMPLETED"),
            (
                mediation_store::Error::IdempotencyKeyReused.into(),
                Code::InvalidArgument,
                reason::IDEMPOTENCY_KEY_REUSED,
            ),
            (mediation_store::Error::Migration("secret".into()).into(), Code::Internal, reason::INTERNAL),
        ];
        for (err, code, expected) in cases {
            let label = format!("{err:?}");
            let status = to_status(err);
            assert_eq!(status.code(), code, "{label}");
            assert_eq!(status.get_error_details().error_info().unwrap().reason, expected, "{label}");
            assert!(!status.message().contains("secret"));
        }
    }
}
