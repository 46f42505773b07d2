//! Conversions every service face shares between wire types (`prost_types`, `google.type`) and
//! plain Rust values. Parsers record what is wrong in [`Violations`] and return `None` for it,
//! so that one request's every bad field is named at once.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use prost_types::{FieldMask, Timestamp};

use crate::google::r#type::Date;
use crate::paging;
use crate::violations::Violations;

/// An instant on the wire.
pub fn timestamp(t: DateTime<Utc>) -> Timestamp {
    Timestamp { seconds: t.timestamp(), nanos: t.timestamp_subsec_nanos() as i32 }
}

/// A calendar date on the wire.
pub fn date(day: NaiveDate) -> Date {
    Date { year: day.year(), month: day.month() as i32, day: day.day() as i32 }
}

impl Violations {
    /// A required instant.
    pub fn instant(&mut self, field: &str, value: Option<Timestamp>) -> Option<DateTime<Utc>> {
        let parsed = value.and_then(|t| DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32));
        if parsed.is_none() {
            self.add(field, "is required");
        }
        parsed
    }

    /// An optional instant: absent is `Some(None)`; present but out of range is a violation.
    pub fn optional_instant(&mut self, field: &str, value: Option<Timestamp>) -> Option<Option<DateTime<Utc>>> {
        let Some(ts) = value else { return Some(None) };
        match DateTime::from_timestamp(ts.seconds, u32::try_from(ts.nanos).unwrap_or(u32::MAX)) {
            Some(t) if (0..1_000_000_000).contains(&ts.nanos) => Some(Some(t)),
            _ => {
                self.add(field, "is not a valid timestamp");
                None
            }
        }
    }

    /// A required calendar date.
    pub fn date(&mut self, field: &str, value: Option<Date>) -> Option<NaiveDate> {
        let parsed = value.and_then(|d| NaiveDate::from_ymd_opt(d.year, d.month as u32, d.day as u32));
        if parsed.is_none() {
            self.add(field, "must be a full date");
        }
        parsed
    }

    /// An optional calendar date: absent is `Some(None)`.
    pub fn optional_date(&mut self, field: &str, value: Option<Date>) -> Option<Option<NaiveDate>> {
        let Some(d) = value else { return Some(None) };
        match NaiveDate::from_ymd_opt(d.year, d.month as u32, d.day as u32) {
            Some(date) => Some(Some(date)),
            None => {
                self.add(field, "is not a calendar date");
                None
            }
        }
    }

    /// An AIP-134 update mask: at least one path, each one of `allowed`.
    pub fn update_mask(&mut self, mask: Option<FieldMask>, allowed: &[&str]) -> Vec<String> {
        let paths = mask.map(|m| m.paths).unwrap_or_default();
        if paths.is_empty() {
            self.add("update_mask", format!("name at least one of: {}", allowed.join(", ")));
        }
        if !self.at_most("update_mask", &paths, allowed.len()) {
            return Vec::new();
        }
        for path in &paths {
            if !allowed.contains(&path.as_str()) {
                self.add("update_mask", format!("unknown path {path:?}; allowed: {}", allowed.join(", ")));
            }
        }
        paths
    }

    /// An AIP-158 page size: `default` when 0, at most `max`.
    pub fn page_size(&mut self, requested: i32, default: usize, max: usize) -> Option<usize> {
        self.check("page_size", paging::page_size(requested, default, max))
    }

    /// A free text: trimmed, at most `max_chars` characters, no control characters but line
    /// breaks; `required` refuses an empty one.
    pub fn text(&mut self, field: &str, value: &str, max_chars: usize, required: bool) -> Option<String> {
        let value = value.trim();
        if required && value.is_empty() {
            self.add(field, "is required");
            return None;
        }
        if value.chars().count() > max_chars {
            self.add(field, format!("must be at most {max_chars} characters"));
            return None;
        }
        if value.chars().any(|c| c.is_control() && c != '\n') {
            self.add(field, "must not contain control characters");
            return None;
        }
        Some(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_round_trip_and_name_their_field() {
        let t = DateTime::from_timestamp(1_700_000_000, 5).unwrap();
        let mut v = Violations::new();
        assert_eq!(v.instant("start", Some(timestamp(t))), Some(t));
        assert_eq!(v.optional_instant("from", None), Some(None));
        assert_eq!(v.instant("end", None), None);
        assert_eq!(v.optional_instant("to", Some(Timestamp { seconds: 0, nanos: -1 })), None);
        let fields: Vec<_> = v.iter().map(|f| f.field.clone()).collect();
        assert_eq!(fields, ["end", "to"]);
    }

    #[test]
    fn dates() {
        let day = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
        let mut v = Violations::new();
        assert_eq!(v.date("date", Some(date(day))), Some(day));
        assert_eq!(v.optional_date("from", None), Some(None));
        assert_eq!(v.date("date", Some(Date { year: 2026, month: 2, day: 30 })), None);
        assert_eq!(v.optional_date("to", Some(Date { year: 2026, month: 13, day: 1 })), None);
        assert_eq!(v.iter().count(), 2);
    }

    #[test]
    fn update_masks_name_allowed_paths() {
        let mut v = Violations::new();
        let mask = FieldMask { paths: vec!["name".into()] };
        assert_eq!(v.update_mask(Some(mask), &["name", "kind"]), ["name"]);
        assert!(v.is_empty());
        v.update_mask(None, &["name"]);
        v.update_mask(Some(FieldMask { paths: vec!["id".into()] }), &["name"]);
        assert_eq!(v.iter().count(), 2);
    }

    #[test]
    fn texts() {
        let mut v = Violations::new();
        assert_eq!(v.text("summary", "  a dispute ", 20, true), Some("a dispute".into()));
        assert_eq!(v.text("note", "", 20, false), Some(String::new()));
        assert_eq!(v.text("summary", "", 20, true), None);
        assert_eq!(v.text("summary", &"长".repeat(21), 20, true), None);
        assert_eq!(v.text("summary", "a\u{0}b", 20, true), None);
        assert_eq!(v.iter().count(), 3);
    }
}
