//! The failures every service shares, as plain values that service and domain code return
//! without knowing about gRPC. Each service's own error enum wraps a [`Fault`] beside the causes
//! that are its own; [`From<Fault> for Status`](tonic::Status) maps these common arms once.

use std::fmt;

use tonic::{Code, Status};

use crate::status::{self, reason};
use crate::violations::Violations;

#[derive(Debug, thiserror::Error)]
pub enum Fault {
    /// Request fields failed validation; each violation names its field.
    #[error("invalid request: {0}")]
    Invalid(Violations),
    /// Missing, or not for this caller to know of.
    #[error("no {0} with that id")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    /// The state does not allow it; `reason` names the state (`APPOINTMENT_COMPLETED`);
    /// `metadata` goes into the ErrorInfo (the current state, the id in the way).
    #[error("{message}")]
    State { reason: String, message: String, metadata: Vec<(String, String)> },
    #[error(transparent)]
    Store(#[from] mediation_store::Error),
}

impl Fault {
    /// One invalid field.
    pub fn invalid(field: &str, description: impl fmt::Display) -> Self {
        Fault::Invalid(Violations::one(field, description))
    }

    /// A state that does not allow the call; `reason` is the ErrorInfo reason clients branch on.
    pub fn state(reason: impl Into<String>, message: impl Into<String>) -> Self {
        Fault::State { reason: reason.into(), message: message.into(), metadata: Vec::new() }
    }

    /// Adds `key: value` to a [`Fault::State`]'s ErrorInfo metadata (`current_state`,
    /// `appointment_id`, ...), so a client need not parse the message; other faults are unchanged.
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        if let Fault::State { metadata, .. } = &mut self {
            metadata.push((key.to_owned(), value.into()));
        }
        self
    }
}

impl From<Violations> for Fault {
    fn from(violations: Violations) -> Self {
        Fault::Invalid(violations)
    }
}

impl From<diesel::result::Error> for Fault {
    fn from(err: diesel::result::Error) -> Self {
        Fault::Store(err.into())
    }
}

impl From<Fault> for Status {
    fn from(fault: Fault) -> Self {
        let message = fault.to_string();
        match fault {
            Fault::Invalid(violations) => violations.into(),
            Fault::NotFound(_) => status::with_reason(Code::NotFound, reason::NOT_FOUND, message),
            Fault::Forbidden(_) => status::with_reason(Code::PermissionDenied, reason::FORBIDDEN, message),
            Fault::State { reason, metadata, .. } => {
                status::with_metadata(Code::FailedPrecondition, &reason, message, metadata)
            }
            Fault::Store(mediation_store::Error::IdempotencyKeyReused) => status::invalid_field_reason(
                "request_id",
                &message,
                Code::InvalidArgument,
                reason::IDEMPOTENCY_KEY_REUSED,
            ),
            Fault::Store(mediation_store::Error::Checkout(_)) => {
                tracing::error!(error = %message, "database busy");
                status::with_reason(Code::Unavailable, reason::UNAVAILABLE, "the database is busy; retry")
            }
            Fault::Store(_) => {
                tracing::error!(error = %message, "call failed");
                status::internal()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt;

    use super::*;

    #[test]
    fn codes_and_reasons() {
        let cases: Vec<(Fault, Code, &str)> = vec![
            (Fault::invalid("duration", "bad"), Code::InvalidArgument, reason::VALIDATION),
            (Fault::NotFound("case"), Code::NotFound, reason::NOT_FOUND),
            (Fault::Forbidden("no"), Code::PermissionDenied, reason::FORBIDDEN),
            (Fault::state("APPOINTMENT_COMPLETED", "done"), Code::FailedPrecondition, "APPOINTMENT_COMPLETED"),
            (
                Fault::Store(mediation_store::Error::IdempotencyKeyReused),
                Code::InvalidArgument,
                reason::IDEMPOTENCY_KEY_REUSED,
            ),
            (Fault::Store(mediation_store::Error::Migration("secret".into())), Code::Internal, reason::INTERNAL),
        ];
        for (fault, code, expected) in cases {
            let label = format!("{fault:?}");
            let status = Status::from(fault);
            assert_eq!(status.code(), code, "{label}");
            assert_eq!(status.get_error_details().error_info().unwrap().reason, expected, "{label}");
            assert!(!status.message().contains("secret"));
        }
    }

    #[test]
    fn state_faults_carry_their_metadata() {
        let fault = Fault::state("APPOINTMENT_COMPLETED", "done").with("current_state", "COMPLETED");
        let status = Status::from(fault);
        let info = status.get_error_details().error_info().cloned().unwrap();
        assert_eq!(info.metadata.get("current_state").map(String::as_str), Some("COMPLETED"));
        assert!(reason::is_listed(&info.reason));
    }

    #[test]
    fn invalid_names_the_field() {
        let status = Status::from(Fault::invalid("start", "must be before end"));
        let details = status.get_error_details();
        assert_eq!(details.bad_request().unwrap().field_violations[0].field, "start");
    }
}
