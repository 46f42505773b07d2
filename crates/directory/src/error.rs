use mediation_api::status::{self, reason};
use tonic::{Code, Status};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a directory call can fail with; [`to_status`] turns them into gRPC statuses.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request field failed validation; already a complete status.
    #[error("invalid request: {}", .0.message())]
    Invalid(Status),
    #[error("no {0} with that id")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("that account already has a mediator profile")]
    AccountLinked,
    #[error(transparent)]
    Store(#[from] mediation_store::Error),
}

impl From<diesel::result::Error> for Error {
    fn from(err: diesel::result::Error) -> Self {
        Error::Store(err.into())
    }
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        to_status(err)
    }
}

/// INVALID_ARGUMENT naming `field`.
pub fn invalid(field: &str, description: impl std::fmt::Display) -> Error {
    Error::Invalid(status::invalid_field(field, description.to_string()))
}

pub fn to_status(err: Error) -> Status {
    let message = err.to_string();
    match err {
        Error::Invalid(status) => status,
        Error::NotFound(_) => status::with_reason(Code::NotFound, reason::NOT_FOUND, message),
        Error::Forbidden(_) => status::with_reason(Code::PermissionDenied, reason::FORBIDDEN, message),
        Error::AccountLinked => {
            status::invalid_field_reason("mediator.account_id", &message, Code::AlreadyExists, reason::ALREADY_EXISTS)
        }
        Error::Store(mediation_store::Error::IdempotencyKeyReused) => {
            status::invalid_field_reason("request_id", &message, Code::InvalidArgument, reason::IDEMPOTENCY_KEY_REUSED)
        }
        Error::Store(mediation_store::Error::Checkout(_)) => {
            tracing::error!(error = %message, "database busy");
            status::with_reason(Code::Unavailable, reason::UNAVAILABLE, "the database is busy; retry")
        }
        Error::Store(_) => {
            tracing::error!(error = %message, "directory call failed");
            status::internal()
        }
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt;

    use super::*;

    #[test]
    fn codes_and_reasons() {
        let cases: Vec<(Error, Code, &str)> = vec![
            (invalid("site.time_zone", "bad"), Code::InvalidArgument, reason::VALIDATION),
            (Error::NotFound("site"), Code::NotFound, reason::NOT_FOUND),
            (Error::Forbidden("no"), Code::PermissionDenied, reason::FORBIDDEN),
            (Error::AccountLinked, Code::AlreadyExists, reason::ALREADY_EXISTS),
            (
                Error::Store(mediation_store::Error::IdempotencyKeyReused),
                Code::InvalidArgument,
                reason::IDEMPOTENCY_KEY_REUSED,
            ),
            (Error::Store(mediation_store::Error::Migration("secret".into())), Code::Internal, reason::INTERNAL),
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
