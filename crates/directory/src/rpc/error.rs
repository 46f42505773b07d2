//! The directory's errors as gRPC statuses: the shared [`Fault`](mediation_api::Fault)s map as
//! every service maps them; only the directory's own causes are mapped here.

use mediation_api::status::{self, reason};
use tonic::{Code, Status};

use crate::error::Error;

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        match err {
            Error::Fault(fault) => Status::from(fault),
            Error::AccountLinked => status::invalid_field_reason(
                "mediator.account_id",
                &err.to_string(),
                Code::AlreadyExists,
                reason::ALREADY_EXISTS,
            ),
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
            (Fault::invalid("site.time_zone", "bad").into(), Code::InvalidArgument, reason::VALIDATION),
            (Fault::NotFound("site").into(), Code::NotFound, reason::NOT_FOUND),
            (Fault::Forbidden("no").into(), Code::PermissionDenied, reason::FORBIDDEN),
            (Error::AccountLinked, Code::AlreadyExists, reason::ALREADY_EXISTS),
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
    fn a_linked_account_names_the_field() {
        let status = Status::from(Error::AccountLinked);
        let details = status.get_error_details();
        assert_eq!(details.bad_request().unwrap().field_violations[0].field, "mediator.account_id");
    }
}
