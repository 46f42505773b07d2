use mediation_api::status::{self, reason};
use tonic::{Code, Status};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a dispatch call can fail with; [`to_status`] turns them into gRPC statuses.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request field failed validation; already a complete status.
    #[error("invalid request: {}", .0.message())]
    Invalid(Status),
    /// Missing, or not for this caller to know of.
    #[error("no {0} with that id")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    AlreadyExists(&'static str),
    /// A crew mediator is already on another van or in a station session at that time.
    #[error("a crew mediator is taken at that time: {0}")]
    CrewTaken(String),
    /// The state does not allow it; `reason` names the state (`PLAN_STALE`).
    #[error("{message}")]
    State { reason: String, message: String },
    #[error("the planner failed: {0}")]
    Planner(String),
    /// The caller already holds as many watch streams as one principal may.
    #[error("you already have {0} streams open; close one first")]
    TooManyStreams(usize),
    #[error(transparent)]
    Store(#[from] mediation_store::Error),
}

impl From<diesel::result::Error> for Error {
    fn from(err: diesel::result::Error) -> Self {
        if crate::repo::is_crew_overlap(&err) {
            Error::CrewTaken("the database refused a second van at an overlapping time".into())
        } else {
            Error::Store(err.into())
        }
    }
}

impl From<mediation_appointments::Error> for Error {
    fn from(err: mediation_appointments::Error) -> Self {
        use mediation_appointments::Error as A;
        match err {
            A::Invalid(status) => Error::Invalid(status),
            A::NotFound(what) => Error::NotFound(what),
            A::Forbidden(why) => Error::Forbidden(why),
            A::SlotTaken => Error::CrewTaken("a station session".into()),
            A::State { reason, message } => Error::State { reason, message },
            A::Store(err) => Error::Store(err),
        }
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

pub fn state(reason: impl Into<String>, message: impl Into<String>) -> Error {
    Error::State { reason: reason.into(), message: message.into() }
}

pub fn to_status(err: Error) -> Status {
    let message = err.to_string();
    match err {
        Error::Invalid(status) => status,
        Error::NotFound(_) => status::with_reason(Code::NotFound, reason::NOT_FOUND, message),
        Error::Forbidden(_) => status::with_reason(Code::PermissionDenied, reason::FORBIDDEN, message),
        Error::AlreadyExists(_) => status::with_reason(Code::AlreadyExists, reason::ALREADY_EXISTS, message),
        Error::CrewTaken(_) => status::with_reason(Code::Aborted, reason::SLOT_TAKEN, message),
        Error::TooManyStreams(_) => status::with_reason(Code::ResourceExhausted, reason::TOO_MANY_STREAMS, message),
        Error::State { reason, .. } => status::with_reason(Code::FailedPrecondition, &reason, message),
        Error::Store(mediation_store::Error::IdempotencyKeyReused) => {
            status::invalid_field_reason("request_id", &message, Code::InvalidArgument, reason::IDEMPOTENCY_KEY_REUSED)
        }
        Error::Store(mediation_store::Error::Checkout(_)) => {
            tracing::error!(error = %message, "database busy");
            status::with_reason(Code::Unavailable, reason::UNAVAILABLE, "the database is busy; retry")
        }
        Error::Planner(_) | Error::Store(_) => {
            tracing::error!(error = %message, "dispatch call failed");
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
            (invalid("window_end", "bad"), Code::InvalidArgument, reason::VALIDATION),
            (Error::NotFound("home visit"), Code::NotFound, reason::NOT_FOUND),
            (Error::Forbidden("no"), Code::PermissionDenied, reason::FORBIDDEN),
            (Error::CrewTaken("m1".into()), Code::Aborted, reason::SLOT_TAKEN),
            (Error::AlreadyExists("plate"), Code::AlreadyExists, reason::ALREADY_EXISTS),
            (state("PLAN_STALE", "stale"), Code::FailedPrecondition, "PLAN_STALE"),
            (Error::TooManyStreams(8), Code::ResourceExhausted, reason::TOO_MANY_STREAMS),
            (
                Error::Store(mediation_store::Error::IdempotencyKeyReused),
                Code::InvalidArgument,
                reason::IDEMPOTENCY_KEY_REUSED,
            ),
            (Error::Planner("secret".into()), Code::Internal, reason::INTERNAL),
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
