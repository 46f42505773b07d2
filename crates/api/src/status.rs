//! Builders for error statuses with google.rpc details, so that every service answers in the
//! shape API.md promises: an `ErrorInfo` reason on every error, `BadRequest` field violations on
//! INVALID_ARGUMENT, `RetryInfo` on RESOURCE_EXHAUSTED.

use std::collections::HashMap;
use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

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

/// The longest field-violation description kept.
const MAX_DESCRIPTION_CHARS: usize = 200;

/// Field violations collected while parsing a request; `into_result` turns a non-empty list into
/// INVALID_ARGUMENT with reason VALIDATION, naming every offending field.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a violation. Descriptions often quote the offending value; they are cut short so
    /// that a hostile value cannot swell the status past what an HTTP/2 header may carry.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        let description: String = description.into();
        let description = if description.chars().count() > MAX_DESCRIPTION_CHARS {
            format!("{}…", description.chars().take(MAX_DESCRIPTION_CHARS).collect::<String>())
        } else {
            description
        };
        self.0.push(FieldViolation::new(field, description));
    }

    /// Records the error of `result` against `field` and returns its value, if any.
    pub fn check<T, E: std::fmt::Display>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.add(field, err.to_string());
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_status(self) -> Status {
        let message = self.0.iter().map(|v| format!("{}: {}", v.field, v.description)).collect::<Vec<_>>().join("; ");
        let mut details =
            ErrorDetails::with_error_info(reason::VALIDATION, ERROR_DOMAIN, HashMap::<String, String>::new());
        details.set_bad_request(self.0);
        Status::with_error_details(Code::InvalidArgument, message, details)
    }

    pub fn into_result(self) -> Result<(), Status> {
        if self.is_empty() { Ok(()) } else { Err(self.into_status()) }
    }

    /// The parsed request when nothing was violated. `parsed` builds it from the fields'
    /// `Option`s, which are all `Some` then.
    pub fn finish<T>(self, parsed: impl FnOnce() -> Option<T>) -> Result<T, Status> {
        self.into_result()?;
        Ok(parsed().expect("every field parsed when there are no violations"))
    }

    /// A required id: trimmed, 1 to 64 characters.
    pub fn id(&mut self, field: &str, value: &str) -> Option<String> {
        let value = value.trim();
        if value.is_empty() || value.len() > 64 || value.chars().any(char::is_control) {
            self.add(field, "is required: 1 to 64 characters");
            return None;
        }
        Some(value.to_owned())
    }

    /// An optional id: empty means none.
    pub fn optional_id(&mut self, field: &str, value: &str) -> Option<Option<String>> {
        if value.trim().is_empty() { Some(None) } else { self.id(field, value).map(Some) }
    }

    /// A `request_id`: a client-chosen UUID (AIP-155), normalised to lower-case hyphenated form.
    pub fn request_id(&mut self, value: &str) -> Option<String> {
        match uuid::Uuid::parse_str(value) {
            Ok(id) => Some(id.hyphenated().to_string()),
            Err(_) => {
                self.add("request_id", "must be a UUID chosen by the client");
                None
            }
        }
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
    let mut violations = Violations::new();
    violations.add(field, description);
    violations.into_status()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_name_every_field() {
        let mut v = Violations::new();
        v.add("phone", "not a phone number");
        v.add("password", "too short");
        let status = v.into_status();
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let fields: Vec<_> = details.bad_request().unwrap().field_violations.iter().map(|f| f.field.clone()).collect();
        assert_eq!(fields, ["phone", "password"]);
        assert_eq!(details.error_info().unwrap().reason, reason::VALIDATION);
    }

    #[test]
    fn ids_and_request_ids() {
        let mut v = Violations::new();
        assert_eq!(v.id("a", " x1 "), Some("x1".into()));
        assert_eq!(v.optional_id("b", ""), Some(None));
        assert_eq!(
            v.request_id("8C8E5D0E-8A7C-4E8B-9B4C-1B2F0E9C1A11"),
            Some("8c8e5d0e-8a7c-4e8b-9b4c-1b2f0e9c1a11".into())
        );
        assert!(v.is_empty());
        assert_eq!(v.id("c", ""), None);
        assert_eq!(v.id("d", &"x".repeat(65)), None);
        assert_eq!(v.request_id("retry-1"), None);
        let status = v.finish(|| Some(())).unwrap_err();
        let fields: Vec<_> = status
            .get_error_details()
            .bad_request()
            .unwrap()
            .field_violations
            .iter()
            .map(|f| f.field.clone())
            .collect();
        assert_eq!(fields, ["c", "d", "request_id"]);
    }

    #[test]
    fn long_descriptions_are_cut_short() {
        let mut v = Violations::new();
        v.add("language", format!("{:?} is not a language tag", "x".repeat(6000)));
        let status = v.into_status();
        assert!(status.message().len() < 400, "{}", status.message().len());
    }

    #[test]
    fn empty_violations_pass() {
        assert!(Violations::new().into_result().is_ok());
    }

    #[test]
    fn rate_limited_carries_retry_info() {
        let status = rate_limited("slow down", Duration::from_secs(30));
        assert_eq!(status.code(), Code::ResourceExhausted);
        let details = status.get_error_details();
        assert_eq!(details.retry_info().unwrap().retry_delay, Some(Duration::from_secs(30)));
    }
}
