use mediation_api::status::{self, reason};
use tonic::{Code, Status};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a rating call can fail with; [`to_status`] turns them into gRPC statuses.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request field failed validation; already a complete status.
    #[error("invalid request: {}", .0.message())]
    Invalid(Status),
    #[error("no {0} with that id")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("you have already rated this session's mediator; update that rating instead")]
    AlreadyRated,
    /// The state does not allow it; `reason` names the state.
    #[error("{message}")]
    State { reason: String, message: String },
    #[error(transparent)]
    Store(#[from] mediation_store::Error),
}

impl From<diesel::result::Error> for Error {
    fn from(err: diesel::result::Error) -> Self {
        if mediation_store::is_unique_violation(&err) { Error::AlreadyRated } else { Error::Store(err.into()) }
    }
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        to_status(err)
    }
}

pub fn invalid(field: &str, description: impl std::fmt::Display) -> Error {
    Error::Invalid(status::invalid_field(field, description.to_string()))
}

pub fn to_status(err: Error) -> Status {
    let message = err.to_string();
    match err {
        Error::Invalid(status) => status,
        Error::NotFound(_) => status::with_reason(Code::NotFound, reason::NOT_FOUND, message),
        Error::Forbidden(_) => status::with_reason(Code::PermissionDenied, reason::FORBIDDEN, message),
        Error::AlreadyRated => status::with_reason(Code::AlreadyExists, reason::ALREADY_EXISTS, message),
        Error::State { reason, .. } => status::with_reason(Code::FailedPrecondition, &reason, message),
        Error::Store(mediation_store::Error::IdempotencyKeyReused) => {
            status::invalid_field_reason("request_id", &message, Code::InvalidArgument, reason::IDEMPOTENCY_KEY_REUSED)
        }
        Error::Store(mediation_store::Error::Checkout(_)) => {
            tracing::error!(error = %message, "database busy");
            status::with_reason(Code::Unavailable, reason::UNAVAILABLE, "the database is busy; retry")
        }
        Error::Store(_) => {
            tracing::error!(error = %message, "rating call failed");
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
        let state = Error::State { reason: "APPOINTMENT_BOOKED".into(), message: "not yet".into() };
        let cases: Vec<(Error, Code, &str)> = vec![
            (invalid("scores.overall", "1 to 5"), Code::InvalidArgument, reason::VALIDATION),
            (Error::NotFound("rating"), Code::NotFound, reason::NOT_FOUND),
            (Error::Forbidden("no"), Code::PermissionDenied, reason::FORBIDDEN),
            (Error::AlreadyRated, Code::AlreadyExists, reason::ALREADY_EXISTS),
            (state, Code::FailedPrecondition, "APPOINTMENT_BOOKED"),
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
