//! Field violations collected while parsing a request, as plain values: service and domain code
//! return them inside a [`crate::Fault`] without knowing about gRPC, and the face turns them into
//! INVALID_ARGUMENT with `BadRequest` details (`crate::status`, which also holds `finish`).
//!
//! Both the number of violations kept and the length of each description are capped, so that a
//! hostile request (a million empty rules) cannot make an error larger than the request's meaning.

use std::fmt;

/// The longest field-violation description kept.
const MAX_DESCRIPTION_CHARS: usize = 200;
/// The most violations one error carries; a request with more is wrong enough to name the first.
pub const MAX_VIOLATIONS: usize = 20;

/// One offending field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    pub field: String,
    pub description: String,
}

/// Field violations collected while parsing a request; `Violations::finish` turns a non-empty
/// list into an error naming every offending field (up to [`MAX_VIOLATIONS`]).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Violations {
    kept: Vec<FieldViolation>,
    dropped: usize,
}

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    /// Just one violation.
    pub fn one(field: &str, description: impl fmt::Display) -> Self {
        let mut violations = Self::new();
        violations.add(field, description.to_string());
        violations
    }

    /// Records a violation. Descriptions often quote the offending value; they are cut short so
    /// that a hostile value cannot swell the status past what an HTTP/2 header may carry.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        if self.kept.len() >= MAX_VIOLATIONS {
            self.dropped += 1;
            return;
        }
        let description: String = description.into();
        let description = if description.chars().count() > MAX_DESCRIPTION_CHARS {
            format!("{}…", description.chars().take(MAX_DESCRIPTION_CHARS).collect::<String>())
        } else {
            description
        };
        let mut field: String = field.into();
        if field.len() > MAX_DESCRIPTION_CHARS {
            field.truncate(field.char_indices().nth(MAX_DESCRIPTION_CHARS).map_or(field.len(), |(i, _)| i));
        }
        self.kept.push(FieldViolation { field, description });
    }

    /// Records the error of `result` against `field` and returns its value, if any.
    pub fn check<T, E: fmt::Display>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(err) => {
                self.add(field, err.to_string());
                None
            }
        }
    }

    /// Whether a repeated field holds at most `max` items; checked before any item is looked at,
    /// so that the work a request causes is bounded by what the field means.
    pub fn at_most<T>(&mut self, field: &str, items: &[T], max: usize) -> bool {
        if items.len() > max {
            self.add(field, format!("must have at most {max} entries"));
            return false;
        }
        true
    }

    /// A field with presence that must be set: a missing value is refused, never read as zero
    /// (for a setter's `false` or a case's assessment, zero would be a guess with consequences).
    pub fn present<T>(&mut self, field: &str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.add(field, "is required");
        }
        value
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// The violations kept, in the order they were found.
    pub fn iter(&self) -> impl Iterator<Item = &FieldViolation> {
        self.kept.iter()
    }

    /// How many violations were found beyond [`MAX_VIOLATIONS`] and left out.
    pub fn dropped(&self) -> usize {
        self.dropped
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

impl Violations {
    /// An optional `request_id` on a call that may be retried: empty means the client wants no
    /// replay protection (the field came after the call, so old clients send none).
    pub fn optional_request_id(&mut self, value: &str) -> Option<Option<String>> {
        if value.is_empty() { Some(None) } else { self.request_id(value).map(Some) }
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.kept.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", v.field, v.description)?;
        }
        if self.dropped > 0 {
            write!(f, "; and {} more", self.dropped)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(v: &Violations) -> Vec<&str> {
        v.iter().map(|f| f.field.as_str()).collect()
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
        assert_eq!(v.optional_request_id(""), Some(None));
        assert_eq!(v.request_id("retry-1"), None);
        assert_eq!(v.optional_request_id(" "), None);
        assert_eq!(fields(&v), ["c", "d", "request_id", "request_id"]);
    }

    #[test]
    fn long_descriptions_are_cut_short() {
        let mut v = Violations::new();
        v.add("language", format!("{:?} is not a language tag", "x".repeat(6000)));
        assert!(v.to_string().len() < 400, "{}", v.to_string().len());
    }

    #[test]
    fn violations_are_capped_and_counted() {
        let mut v = Violations::new();
        for i in 0..1_000_000 {
            v.add(format!("rules[{i}]"), "is empty");
        }
        assert_eq!(v.iter().count(), MAX_VIOLATIONS);
        assert_eq!(v.dropped(), 1_000_000 - MAX_VIOLATIONS);
        assert!(v.to_string().len() < 1024);
        assert!(v.to_string().ends_with("and 999980 more"));
    }

    #[test]
    fn repeated_fields_are_bounded_before_their_items() {
        let mut v = Violations::new();
        assert!(v.at_most("rules", &[1, 2, 3], 3));
        assert!(!v.at_most("rules", &[1, 2, 3, 4], 3));
        assert_eq!(fields(&v), ["rules"]);
    }
}
