//! This crate's errors as gRPC statuses: the shared [`Fault`](mediation_api::Fault)s through
//! their one mapping, and the causes that are the rating service's own here.

use mediation_api::status::{self, reason};
use tonic::{Code, Status};

use crate::error::Error;

/// The FAILED_PRECONDITION reason of a change after the author's edit window.
const RATING_EDIT_WINDOW_CLOSED: &str = "RATING_EDIT_WINDOW_CLOSED";

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        let message = err.to_string();
        match err {
            Error::Fault(fault) => fault.into(),
            Error::AlreadyRated => status::with_reason(Code::AlreadyExists, reason::ALREADY_EXISTS, message),
            // The reason names the state, as appointments names it: APPOINTMENT_BOOKED.
            Error::NotCompleted(state) => {
                status::with_reason(Code::FailedPrecondition, &format!("APPOINTMENT_{}", state.as_str()), message)
            }
            Error::EditWindowClosed { .. } => {
                status::with_reason(Code::FailedPrecondition, RATING_EDIT_WINDOW_CLOSED, message)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use mediation_api::Fault;
    use mediation_appointments::domain::AppointmentStatus;
    use tonic_types::StatusExt;

    use super::*;

    #[test]
    fn codes_and_reasons() {
        let unique = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            Box::new("ratings_once".to_owned()),
        );
        let cases: Vec<(Error, Code, &str)> = vec![
            (Fault::invalid("scores.overall", "1 to 5").into(), Code::InvalidArgument, reason::VALIDATION),
            (Fault::NotFound("rating").into(), Code::NotFound, reason::NOT_FOUND),
            (Fault::Forbidden("no").into(), Code::PermissionDenied, reason::FORBIDDEN),
            (Error::AlreadyRated, Code::AlreadyExists, reason::ALREADY_EXISTS),
            (unique.into(), Code::AlreadyExists, reason::ALREADY_EXISTS),
            (Error::NotCompleted(AppointmentStatus::Booked), Code::FailedPrecondition, "APPOINTMENT_BOOKED"),
            (Error::EditWindowClosed { days: 7 }, Code::FailedPrecondition, RATING_EDIT_WINDOW_CLOSED),
            (
                mediation_store::Error::IdempotencyKeyReused.into(),
                Code::InvalidArgument,
                reason::IDEMPOTENCY_KEY_REUSED,
            ),
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
        let status = Status::from(Error::from(Fault::invalid("mediator_id", "is not a mediator of this session")));
        let details = status.get_error_details();
        assert_eq!(details.bad_request().unwrap().field_violations[0].field, "mediator_id");
    }
}
