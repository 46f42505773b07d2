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

    /// Every `ErrorInfo.reason` the server sends, with its code and when: the one list a client
    /// branches on. `<STATUS>` stands for a status name (`APPOINTMENT_COMPLETED`,
    /// `VISIT_ARRIVED`); FAILED_PRECONDITION reasons that name a state carry `current_state`
    /// (and the id of what is in that state) in the ErrorInfo metadata. The gateway's
    /// `tests/reasons.rs` collects the reasons the code emits and fails on any not listed here,
    /// and on any listed here that no code emits.
    pub const ALL: &[(&str, &str, &str)] = &[
        (VALIDATION, "INVALID_ARGUMENT", "a field missing, malformed or out of range; BadRequest names it"),
        (IDEMPOTENCY_KEY_REUSED, "INVALID_ARGUMENT", "a request_id reused for a different request"),
        (CODE_INVALID, "INVALID_ARGUMENT", "a wrong phone code (FAILED_PRECONDITION once its tries are used up)"),
        (TOKEN_INVALID, "UNAUTHENTICATED", "no token, a bad one, or one revoked by disabling its account"),
        (TOKEN_EXPIRED, "UNAUTHENTICATED", "an expired access or refresh token"),
        (REFRESH_TOKEN_REUSED, "UNAUTHENTICATED", "a used refresh token: its whole family is revoked"),
        (BAD_CREDENTIALS, "UNAUTHENTICATED", "a wrong login or password"),
        (ACCOUNT_DISABLED, "PERMISSION_DENIED", "the account is disabled"),
        (FORBIDDEN, "PERMISSION_DENIED", "the role or the resource is not the caller's"),
        (NOT_FOUND, "NOT_FOUND", "no such resource, or not one the caller may know of"),
        (ALREADY_EXISTS, "ALREADY_EXISTS", "a taken phone, login, plate or 110 incident number"),
        (
            SLOT_TAKEN,
            "ABORTED",
            "a mediator, room or crew member is held then; metadata held_resource names it if known",
        ),
        (RATE_LIMITED, "RESOURCE_EXHAUSTED", "too many calls or codes; RetryInfo says when to retry"),
        (TOO_MANY_STREAMS, "RESOURCE_EXHAUSTED", "too many open streams for one caller or address"),
        ("MESSAGE_TOO_LARGE", "RESOURCE_EXHAUSTED", "a request message over server.max_message_bytes"),
        (PHONE_NOT_VERIFIED, "FAILED_PRECONDITION", "a resident logs in before verifying the phone"),
        (REGISTRATION_PENDING, "FAILED_PRECONDITION", "the phone is registered and awaits its code"),
        (CODE_EXPIRED, "FAILED_PRECONDITION", "the phone code expired"),
        ("APPOINTMENT_<STATUS>", "FAILED_PRECONDITION", "the session's status does not allow the call"),
        ("CANCEL_CUTOFF_PASSED", "FAILED_PRECONDITION", "an applicant cancels after the cutoff"),
        ("TOO_EARLY", "FAILED_PRECONDITION", "a session checked in or completed before its time"),
        ("NOT_VIDEO", "FAILED_PRECONDITION", "a join link asked for a session that is not VIDEO"),
        ("CASE_CLOSED", "FAILED_PRECONDITION", "the case is closed"),
        ("PARTY_DECLINED", "FAILED_PRECONDITION", "a party declined mediation and staff recorded no reason to proceed"),
        ("NO_PARTY_DECLINED", "FAILED_PRECONDITION", "ProceedWithCase on a case no party declined"),
        ("NOT_ON_THE_SPOT", "FAILED_PRECONDITION", "StartSessionNow for a case neither POLICE_110 nor WALK_IN"),
        ("PLAN_COMMITTED", "FAILED_PRECONDITION", "the plan is already committed"),
        ("PLAN_STALE", "FAILED_PRECONDITION", "a visit, van or shift of the date changed since the plan was proposed"),
        ("VAN_OUT_OF_SERVICE", "FAILED_PRECONDITION", "a visit assigned to a van out of service"),
        ("VAN_HAS_NO_SHIFT", "FAILED_PRECONDITION", "a visit assigned to a van without a shift that date"),
        ("STATION_HAS_NO_LOCATION", "FAILED_PRECONDITION", "planning a station that has no location"),
        ("RATING_EDIT_WINDOW_CLOSED", "FAILED_PRECONDITION", "UpdateRating after the edit window"),
        ("TOO_MANY_OPEN_VISITS", "FAILED_PRECONDITION", "a resident with as many open home visits as allowed"),
        ("VISIT_<STATUS>", "FAILED_PRECONDITION", "the home visit's status does not allow the call"),
        ("TRACKING_LINK_EXPIRED", "FAILED_PRECONDITION", "a home visit's tracking link after the visit ended"),
        ("NOT_SETTLED", "FAILED_PRECONDITION", "an agreement drafted for a case with no completed SETTLED session"),
        (
            "AGREEMENT_<STATUS>",
            "FAILED_PRECONDITION",
            "the agreement's status (SIGNING, SIGNED, VOID) does not allow the call",
        ),
        ("AGREEMENT_CHANGED", "FAILED_PRECONDITION", "the agreement was redrafted while being signed; read it again"),
        ("ALREADY_SIGNED", "FAILED_PRECONDITION", "the caller's party has already signed the agreement"),
        ("NO_SIGNED_AGREEMENT", "FAILED_PRECONDITION", "a follow-up recorded for a case without a signed agreement"),
        ("ALREADY_ESCALATED", "FAILED_PRECONDITION", "EscalateCase on a case already escalated"),
        ("CASE_NOT_ESCALATED", "FAILED_PRECONDITION", "DispatchTask for a case its station did not escalate"),
        ("TASK_<STATUS>", "FAILED_PRECONDITION", "the task's status (ACKNOWLEDGED, REPORTED) does not allow the call"),
        ("TASK_MOVED", "FAILED_PRECONDITION", "the task was answered meanwhile; read it again"),
        (UNAVAILABLE, "UNAVAILABLE", "the database or an upstream cannot answer now; retry"),
        (DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED", "the call ran past its deadline"),
        (INTERNAL, "INTERNAL", "an unexpected fault, logged on the server"),
    ];

    /// Whether `reason` is in [`ALL`], a `<STATUS>` entry matching any status name.
    pub fn is_listed(reason: &str) -> bool {
        ALL.iter().any(|(listed, _, _)| match listed.strip_suffix("<STATUS>") {
            Some(prefix) => reason.strip_prefix(prefix).is_some_and(|s| !s.is_empty()),
            None => *listed == reason,
        })
    }
}

/// A status with `code`, `message` and an `ErrorInfo` carrying `reason`.
pub fn with_reason(code: Code, reason: &str, message: impl Into<String>) -> Status {
    let details = ErrorDetails::with_error_info(reason, ERROR_DOMAIN, HashMap::<String, String>::new());
    Status::with_error_details(code, message, details)
}

/// A status whose `ErrorInfo` carries `metadata` beside `reason`.
pub fn with_metadata(
    code: Code,
    reason: &str,
    message: impl Into<String>,
    metadata: impl IntoIterator<Item = (String, String)>,
) -> Status {
    let details = ErrorDetails::with_error_info(reason, ERROR_DOMAIN, metadata.into_iter().collect::<HashMap<_, _>>());
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
