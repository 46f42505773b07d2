use std::time::Duration;

use mediation_api::status::{self, reason};
use tonic::{Code, Status};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything an identity call can fail with; [`to_status`] is the one place that turns these
/// into gRPC statuses.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request field failed validation; already a complete status.
    #[error("invalid request: {}", .0.message())]
    Invalid(Status),
    #[error("the phone number is already registered")]
    PhoneTaken,
    #[error("the login is already taken")]
    LoginTaken,
    #[error("a registration for this phone is waiting for its code; try again when the code has expired")]
    RegistrationPending,
    #[error("wrong login or password")]
    BadCredentials,
    #[error("the phone number is not verified yet")]
    PhoneNotVerified,
    #[error("the code is wrong")]
    CodeInvalid,
    #[error("no valid code: it expired, was used, was never sent, or had too many wrong tries")]
    CodeExpired,
    #[error("too many attempts; try again in {} s", .0.as_secs().max(1))]
    RateLimited(Duration),
    #[error("the refresh token is not valid")]
    RefreshInvalid,
    #[error("the refresh token expired")]
    RefreshExpired,
    #[error("the refresh token was already used; its family is revoked, log in again")]
    RefreshReused,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("the account no longer exists")]
    AccountGone,
    #[error("the account is disabled; ask an administrator")]
    AccountDisabled,
    #[error("no {0} with that id")]
    NotFound(&'static str),
    #[error("could not deliver the code: {0}")]
    Delivery(#[from] mediation_notify::Error),
    #[error(transparent)]
    Store(#[from] mediation_store::Error),
    #[error(transparent)]
    Password(#[from] mediation_auth::PasswordError),
    #[error(transparent)]
    Token(#[from] mediation_auth::TokenError),
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

pub fn to_status(err: Error) -> Status {
    let message = err.to_string();
    match err {
        Error::Invalid(status) => status,
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
        Error::RateLimited(wait) => status::rate_limited(message, wait),
        Error::RefreshInvalid | Error::AccountGone => {
            status::with_reason(Code::Unauthenticated, reason::TOKEN_INVALID, message)
        }
        Error::RefreshExpired => status::with_reason(Code::Unauthenticated, reason::TOKEN_EXPIRED, message),
        Error::RefreshReused => status::with_reason(Code::Unauthenticated, reason::REFRESH_TOKEN_REUSED, message),
        Error::Forbidden(_) => status::with_reason(Code::PermissionDenied, reason::FORBIDDEN, message),
        Error::AccountDisabled => status::with_reason(Code::PermissionDenied, reason::ACCOUNT_DISABLED, message),
        Error::NotFound(_) => status::with_reason(Code::NotFound, reason::NOT_FOUND, message),
        Error::Delivery(ref cause) => {
            tracing::error!(error = %cause, "notification delivery failed");
            status::with_reason(Code::Unavailable, reason::UNAVAILABLE, "could not deliver the code; ask for a new one")
        }
        Error::Store(mediation_store::Error::IdempotencyKeyReused) => {
            status::invalid_field_reason("request_id", &message, Code::InvalidArgument, reason::IDEMPOTENCY_KEY_REUSED)
        }
        Error::Store(mediation_store::Error::Checkout(_)) => {
            tracing::error!(error = %message, "database busy");
            status::with_reason(Code::Unavailable, reason::UNAVAILABLE, "the database is busy; retry")
        }
        Error::Store(_) | Error::Password(_) | Error::Token(_) => {
            tracing::error!(error = %message, "identity call failed");
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
            (Error::PhoneTaken, Code::AlreadyExists, reason::ALREADY_EXISTS),
            (Error::BadCredentials, Code::Unauthenticated, reason::BAD_CREDENTIALS),
            (Error::RegistrationPending, Code::FailedPrecondition, reason::REGISTRATION_PENDING),
            (Error::PhoneNotVerified, Code::FailedPrecondition, reason::PHONE_NOT_VERIFIED),
            (Error::CodeInvalid, Code::InvalidArgument, reason::CODE_INVALID),
            (Error::CodeExpired, Code::FailedPrecondition, reason::CODE_EXPIRED),
            (Error::RateLimited(Duration::from_secs(5)), Code::ResourceExhausted, reason::RATE_LIMITED),
            (Error::RefreshInvalid, Code::Unauthenticated, reason::TOKEN_INVALID),
            (Error::RefreshExpired, Code::Unauthenticated, reason::TOKEN_EXPIRED),
            (Error::RefreshReused, Code::Unauthenticated, reason::REFRESH_TOKEN_REUSED),
            (Error::Forbidden("no"), Code::PermissionDenied, reason::FORBIDDEN),
            (Error::AccountDisabled, Code::PermissionDenied, reason::ACCOUNT_DISABLED),
            (Error::NotFound("account"), Code::NotFound, reason::NOT_FOUND),
            (
                Error::Store(mediation_store::Error::IdempotencyKeyReused),
                Code::InvalidArgument,
                reason::IDEMPOTENCY_KEY_REUSED,
            ),
            (Error::Store(mediation_store::Error::Migration("boom".into())), Code::Internal, reason::INTERNAL),
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
        let status = to_status(Error::Store(mediation_store::Error::Migration("secret detail".into())));
        assert!(!status.message().contains("secret"));
    }
}
