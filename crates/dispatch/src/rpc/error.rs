//! The one mapping of dispatch errors to gRPC statuses: the causes that are this crate's own
//! here, the shared [`Fault`](mediation_api::Fault)s by `mediation_api`.

use mediation_api::status::{self, reason};
use tonic::{Code, Status};

use crate::error::{Error, SessionEnd};

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        let message = err.to_string();
        match err {
            Error::Fault(fault) => fault.into(),
            Error::AlreadyExists(_) => status::with_reason(Code::AlreadyExists, reason::ALREADY_EXISTS, message),
            Error::CrewTaken(_) => status::with_reason(Code::Aborted, reason::SLOT_TAKEN, message),
            Error::TooManyStreams(_) => status::with_reason(Code::ResourceExhausted, reason::TOO_MANY_STREAMS, message),
            Error::RateLimited { retry_after, .. } => status::rate_limited(message, retry_after),
            Error::SessionEnded(SessionEnd::Revoked) => {
                status::with_reason(Code::Unauthenticated, reason::TOKEN_INVALID, message)
            }
            Error::SessionEnded(SessionEnd::Expired) => {
                status::with_reason(Code::Unauthenticated, reason::TOKEN_EXPIRED, message)
            }
            Error::SessionEnded(SessionEnd::Unchecked) => {
                status::with_reason(Code::Unavailable, reason::UNAVAILABLE, message)
            }
            Error::Planner(_) => {
                tracing::error!(error = %message, "dispatch call failed");
                status::internal()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use mediation_api::Fault;
    use tonic_types::StatusExt;

    use super::*;

    #[test]
    fn codes_and_reasons() {
        let cases: Vec<(Error, Code, &str)> = vec![
            (Fault::invalid("window_end", "bad").into(), Code::InvalidArgument, reason::VALIDATION),
            (Fault::NotFound("home visit").into(), Code::NotFound, reason::NOT_FOUND),
            (Fault::Forbidden("no").into(), Code::PermissionDenied, reason::FORBIDDEN),
            (Error::CrewTaken("m1".into()), Code::Aborted, reason::SLOT_TAKEN),
            (Error::AlreadyExists("plate"), Code::AlreadyExists, reason::ALREADY_EXISTS),
            (Fault::state("PLAN_STALE", "stale").into(), Code::FailedPrecondition, "PLAN_STALE"),
            (Error::TooManyStreams(8), Code::ResourceExhausted, reason::TOO_MANY_STREAMS),
            (
                Error::RateLimited { message: "slow down".into(), retry_after: std::time::Duration::from_secs(60) },
                Code::ResourceExhausted,
                reason::RATE_LIMITED,
            ),
            (Error::SessionEnded(SessionEnd::Revoked), Code::Unauthenticated, reason::TOKEN_INVALID),
            (Error::SessionEnded(SessionEnd::Expired), Code::Unauthenticated, reason::TOKEN_EXPIRED),
            (Error::SessionEnded(SessionEnd::Unchecked), Code::Unavailable, reason::UNAVAILABLE),
            (
                mediation_store::Error::IdempotencyKeyReused.into(),
                Code::InvalidArgument,
                reason::IDEMPOTENCY_KEY_REUSED,
            ),
            (Error::Planner("secret".into()), Code::Internal, reason::INTERNAL),
            (mediation_store::Error::Migration("secret".into()).into(), Code::Internal, reason::INTERNAL),
        ];
        for (err, code, expected) in cases {
            let label = format!("{err:?}");
            let status = Status::from(err);
            assert_eq!(status.code(), code, "{label}");
            assert_eq!(status.get_error_details().error_info().unwrap().reason, expected, "{label}");
            assert!(!status.message().contains("secret"));
        }
    }

    #[test]
    fn invalid_fields_are_named() {
        let status = Status::from(Error::from(Fault::invalid("window_end", "must be after window_start")));
        let details = status.get_error_details();
        assert_eq!(details.bad_request().unwrap().field_violations[0].field, "window_end");
    }
}
