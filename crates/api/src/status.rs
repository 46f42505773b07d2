//! Builders for error statuses with google.rpc details, so that every service answers in the
//! shape API.md promises: an `ErrorInfo` reason on every error, `BadRequest` field violations on
//! INVALID_ARGUMENT, `RetryInfo` on RESOURCE_EXHAUSTED.

use std::collections::HashMap;
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

use crate::violations::Violations;

/// The `ErrorInfo.domain` of every error this API produces.
pub const ERROR_DOMAIN: &str = "mediation.yinzhou";

/// `ErrorInfo.reason` values that clients branch on.
pub mod reason {
    pub const VALIDATION: &str = "VALIDATION";
    pub const TOKEN_INVALID: &str = "TOKEN_INVALID";
    pub const TOKEN_EXPIRED: &str = "TOKEN_EXPIRED";
    pub const REFRESH_TOKEN_REUSED: &str = "REFRESH_TOKEN_REUSED";
    pub const BAD_CREDENTIALS: &str = "BAD_CREDENTIALS";
    pub const FORBIDDEN: &str = "FORBIDDEN";
    pub const NOT_FOUND: &str = "NOT_FOUND";
    pub const ALREADY_EXISTS: &str = "ALREADY_EXISTS";
    pub const SLOT_TAKEN: &str = "SLOT_TAKEN";
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    pub const IDEMPOTENCY_KEY_REUSED: &str = "IDEMPOTENCY_KEY_REUSED";
    pub const PHONE_NOT_VERIFIED: &str = "PHONE_NOT_VERIFIED";
    pub const REGISTRATION_PENDING: &str = "REGISTRATION_PENDING";
    pub const CODE_INVALID: &str = "CODE_INVALID";
    pub const CODE_EXPIRED: &str = "CODE_EXPIRED";
    pub const UNAVAILABLE: &str = "UNAVAILABLE";
    pub const DEADLINE_EXCEEDED: &str = "DEADLINE_EXCEEDED";
    pub const INTERNAL: &str = "INTERNAL";
    /// The account is disabled: its tokens and logins are refused.
    pub const ACCOUNT_DISABLED: &str = "ACCOUNT_DISABLED";
    /// The caller already holds as many open streams as one principal may.
    pub const TOO_MANY_STREAMS: &str = "TOO_MANY_STREAMS";
}

/// A status with `code`, `message` and an `ErrorInfo` carrying `reason`.
pub fn with_reason(code: Code, reason: &str, message: impl Into<String>) -> Status {
    let details = ErrorDetails::with_error_info(reason, ERROR_DOMAIN, HashMap::<String, String>::new());
    Status::with_error_details(code, message, details)
}

/// RESOURCE_EXHAUSTED with reason RATE_LIMITED and a `RetryInfo` telling when to try again.
pub fn rate_limited(message: impl Into<String>, retry_after: Duration) -> Status {
    let mut details =
        ErrorDetails::with_error_info(reason::RATE_LIMITED, ERROR_DOMAIN, HashMap::<String, String>::new());
    details.set_retry_info(Some(retry_after));
    Status::with_error_details(Code::ResourceExhausted, message, details)
}

/// An opaque INTERNAL: the cause belongs in the server log, never on the wire.
pub fn internal() -> Status {
    with_reason(Code::Internal, reason::INTERNAL, "internal error")
}

/// INVALID_ARGUMENT with reason VALIDATION, naming every offending field.
impl From<Violations> for Status {
    fn from(violations: Violations) -> Self {
        let message = violations.to_string();
        let mut details =
            ErrorDetails::with_error_info(reason::VALIDATION, ERROR_DOMAIN, HashMap::<String, String>::new());
        details.set_bad_request(
            violations.iter().map(|v| FieldViolation::new(&v.field, &v.description)).collect::<Vec<_>>(),
        );
        Status::with_error_details(Code::InvalidArgument, message, details)
    }
}

impl Violations {
    pub fn into_status(self) -> Status {
        self.into()
    }

    /// `Ok` when nothing was violated, else INVALID_ARGUMENT naming every field.
    pub fn into_result(self) -> Result<(), Status> {
        if self.is_empty() { Ok(()) } else { Err(self.into()) }
    }

    /// The parsed request when nothing was violated. `parsed` builds it from the fields'
    /// `Option`s, which are all `Some` then.
    pub fn finish<T>(self, parsed: impl FnOnce() -> Option<T>) -> Result<T, Status> {
        self.into_result()?;
        Ok(parsed().expect("every field parsed when there are no violations"))
    }
}

/// A status naming one field, with a reason of its own (a taken login, a wrong code).
pub fn invalid_field_reason(field: &str, description: &str, code: Code, reason: &str) -> Status {
    let mut details = ErrorDetails::with_error_info(reason, ERROR_DOMAIN, HashMap::<String, String>::new());
    details.set_bad_request(vec![FieldViolation::new(field, description)]);
    Status::with_error_details(code, format!("{field}: {description}"), details)
}

/// A single-field INVALID_ARGUMENT.
pub fn invalid_field(field: &str, description: impl Into<String>) -> Status {
    Violations::one(field, description.into()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_name_every_field() {
        let mut v = Violations::new();
        v.add("phone", "not a phone number");
        v.add("password", "too short");
        let status = Status::from(v);
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let fields: Vec<_> = details.bad_request().unwrap().field_violations.iter().map(|f| f.field.clone()).collect();
        assert_eq!(fields, ["phone", "password"]);
        assert_eq!(details.error_info().unwrap().reason, reason::VALIDATION);
    }

    #[test]
    fn a_flood_of_violations_makes_a_small_status() {
        let mut v = Violations::new();
        for i in 0..100_000 {
            v.add(format!("rules[{i}].start"), "is required");
        }
        let status = Status::from(v);
        assert!(status.message().len() < 2048);
        assert!(status.details().len() < 4096, "{}", status.details().len());
    }

    #[test]
    fn empty_violations_pass() {
        assert!(Violations::new().into_result().is_ok());
        assert_eq!(Violations::new().finish(|| Some(7)).unwrap(), 7);
    }

    #[test]
    fn rate_limited_carries_retry_info() {
        let status = rate_limited("slow down", Duration::from_secs(30));
        assert_eq!(status.code(), Code::ResourceExhausted);
        let details = status.get_error_details();
        assert_eq!(details.retry_info().unwrap().retry_delay, Some(Duration::from_secs(30)));
    }
}
