//! Field parsers the identity requests share. Each records what is wrong under its field and
//! returns `None` for it, so that one request's every bad field is named at once.

use mediation_api::Violations;

use crate::domain::PhoneNumber;

/// Bounds opaque tokens and secrets before any work is done on them.
const MAX_SECRET_CHARS: usize = 256;

pub(super) fn phone(v: &mut Violations, field: &str, value: &str) -> Option<PhoneNumber> {
    v.check(field, PhoneNumber::parse(value))
}

pub(super) fn six_digits(v: &mut Violations, field: &str, value: &str) -> Option<String> {
    let ok = value.len() == 6 && value.bytes().all(|b| b.is_ascii_digit());
    if !ok {
        v.add(field, "must be the 6-digit code sent to the phone");
    }
    ok.then(|| value.to_owned())
}

/// A login, id or token: required, bounded, no control characters.
pub(super) fn secret(v: &mut Violations, field: &str, value: &str) -> Option<String> {
    if value.is_empty() || value.len() > MAX_SECRET_CHARS {
        v.add(field, format!("is required and at most {MAX_SECRET_CHARS} characters"));
        return None;
    }
    // PostgreSQL refuses NUL in text; no login, id or token has control characters anyway.
    if value.chars().any(char::is_control) {
        v.add(field, "must not contain control characters");
        return None;
    }
    Some(value.to_owned())
}

/// A site id, trimmed; empty means none, which `required` refuses.
pub(super) fn site_id(v: &mut Violations, field: &str, value: &str, required: bool) -> Option<Option<String>> {
    let value = value.trim();
    if value.is_empty() {
        if required {
            v.add(field, "is required");
            return None;
        }
        return Some(None);
    }
    if value.len() > 64 || value.chars().any(char::is_control) {
        v.add(field, "must be at most 64 characters");
        return None;
    }
    Some(Some(value.to_owned()))
}
