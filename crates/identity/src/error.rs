//! Everything an identity flow can fail with, as plain values: the [`Fault`]s every service
//! shares (a bad field, a missing account, a forbidden act, a store failure) and the causes that
//! are identity's own. The face maps them to gRPC statuses (`rpc/error.rs`).

use std::time::Duration;

use mediation_api::{Fault, Violations};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Fault(#[from] Fault),
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
    /// A VerifyPhone that failed for any reason: one answer, so that it does not tell whose
    /// phone waits for verification.
    #[error("the code is wrong, used up or expired; ask for a new one")]
    CodeNotAccepted,
    #[error("too many attempts; try again in {} s", .0.as_secs().max(1))]
    RateLimited(Duration),
    /// The hourly budget of codes to all phones is used up.
    #[error("too many codes are being sent right now; try again in {} s", .0.as_secs().max(1))]
    CodeBudget(Duration),
    #[error("the refresh token is not valid")]
    RefreshInvalid,
    #[error("the refresh token expired")]
    RefreshExpired,
    #[error("the refresh token was already used; its family is revoked, log in again")]
    RefreshReused,
    #[error("the account no longer exists")]
    AccountGone,
    #[error("the account is disabled; ask an administrator")]
    AccountDisabled,
    #[error("could not deliver the code: {0}")]
    Delivery(#[from] mediation_notify::Error),
    #[error(transparent)]
    Password(#[from] mediation_auth::PasswordError),
    #[error(transparent)]
    Token(#[from] mediation_auth::TokenError),
}

impl From<Violations> for Error {
    fn from(violations: Violations) -> Self {
        Error::Fault(violations.into())
    }
}

impl From<mediation_store::Error> for Error {
    fn from(err: mediation_store::Error) -> Self {
        Error::Fault(err.into())
    }
}

impl From<diesel::result::Error> for Error {
    fn from(err: diesel::result::Error) -> Self {
        Error::Fault(err.into())
    }
}
