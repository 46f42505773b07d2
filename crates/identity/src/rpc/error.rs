//! The one mapping of identity's errors to gRPC statuses: its own causes here, the shared
//! [`Fault`](mediation_api::Fault)s through `Status::from`.

use mediation_api::status::{self, reason};
use tonic::{Code, Status};

use crate::error::Error;

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        to_status(err)
    }
}

pub fn to_status(err: Error) -> Status {
    let message = err.to_string();
    match err {
        Error::Fault(fault) => Status::from(fault),
        Error::PhoneTaken => {
            status::invalid_field_reason("phone", &message, Code::AlreadyExists, reason::ALREADY_EXISTS)
        }
        Error::LoginTaken => {
            status::invalid_field_reason("login", &message, Code::AlreadyExists, reason::ALREADY_EXISTS)
        }
        Error::RegistrationPending => {
            status::invalid_field_reason("phone", &message, Code::FailedPrecondition, reason::REGISTRATION_PENDING)
        }
        Error::BadCredentials => status::with_reason(Code::Unauthenticated, reason::BAD_CREDENTIALS, message),
        Error::PhoneNotVerified => status::with_reason(Code::FailedPrecondition, reason::PHONE_NOT_VERIFIED, message),
        Error::CodeInvalid => {
            status::invalid_field_reason("code", &message, Code::InvalidArgument, reason::CODE_INVALID)
        }
        Error::CodeExpired => status::with_reason(Code::FailedPrecondition, reason::CODE_EXPIRED, message),
        Error::CodeNotAccepted => {
            status::invalid_field_reason("code", &message, Code::FailedPrecondition, reason::CODE_INVALID)
        }
        Error::RateLimited(wait) | Error::CodeBudget(wait) => status::rate_limited(message, wait),
        Error::RefreshInvalid | Error::AccountGone => {
            status::with_reason(Code::Unauthenticated, reason::TOKEN_INVALID, message)
        }
        Error::RefreshExpired => status::with_reason(Code::Unauthenticated, reason::TOKEN_EXPIRED, message),
        Error::RefreshReused => status::with_reason(Code::Unauthenticated, reason::REFRESH_TOKEN_REUSED, message),
        Error::AccountDisabled => status::with_reason(Code::PermissionDenied, reason::ACCOUNT_DISABLED, message),
        Error::Delivery(ref cause) => {
            tracing::error!(error = %cause, "notification delivery failed");
            status::with_reason(Code::Unavailable, reason::UNAVAILABLE, "could not deliver the code; ask for a new one")
        }
        Error::Password(_) | Error::Token(_) => {
            tracing::error!(error = %message, "identity call failed");
            status::internal()
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use mediation_api::Fault;
    use tonic_types::StatusExt;

    use super::*;

    #[test]
    fn codes_and_reasons() {
        let cases: Vec<(Error, Code, &str)> = vec![
            (Error::PhoneTaken, Code::AlreadyExists, reason::ALREADY_EXISTS),
            (Error::BadCredentials, Code::Unauthenticated, reason::BAD_CREDENTIALS),
            (Error::RegistrationPending, Code::FailedPrecondition, reason::REGISTRATION_PENDING),
            (Error::PhoneNotVerified, Code::FailedPrecondition, reason::PHONE_NOT_VERIFIED),
            (Error::CodeInvalid, Code::InvalidArgument, reason::CODE_INVALID),
            (Error::CodeExpired, Code::FailedPrecondition, reason::CODE_EXPIRED),
            (Error::CodeNotAccepted, Code::FailedPrecondition, reason::CODE_INVALID),
            (Error::RateLimited(Duration::from_secs(5)), Code::ResourceExhausted, reason::RATE_LIMITED),
            (Error::CodeBudget(Duration::from_secs(5)), Code::ResourceExhausted, reason::RATE_LIMITED),
            (Error::RefreshInvalid, Code::Unauthenticated, reason::TOKEN_INVALID),
            (Error::RefreshExpired, Code::Unauthenticated, reason::TOKEN_EXPIRED),
            (Error::RefreshReused, Code::Unauthenticated, reason::REFRESH_TOKEN_REUSED),
            (Fault::Forbidden("no").into(), Code::PermissionDenied, reason::FORBIDDEN),
            (Error::AccountDisabled, Code::PermissionDenied, reason::ACCOUNT_DISABLED),
            (Fault::NotFound("account").into(), Code::NotFound, reason::NOT_FOUND),
            (
                mediation_store::Error::IdempotencyKeyReused.into(),
                Code::InvalidArgument,
                reason::IDEMPOTENCY_KEY_REUSED,
            ),
            (mediation_store::Error::Migration("boom".into()).into(), Code::Internal, reason::INTERNAL),
        ];
        for (err, code, expected_reason) in cases {
            let label = format!("{err:?}");
            let status = to_status(err);
            assert_eq!(status.code(), code, "{label}");
            assert_eq!(status.get_error_details().error_info().unwrap().reason, expected_reason, "{label}");
        }
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let status = to_status(mediation_store::Error::Migration("secret detail".into()).into());
        assert!(!status.message().contains("secret"));
    }

    #[test]
    fn invalid_fields_are_named() {
        let status = to_status(Fault::invalid("site_id", "no such site").into());
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        assert_eq!(details.bad_request().unwrap().field_violations[0].field, "site_id");
    }
}
