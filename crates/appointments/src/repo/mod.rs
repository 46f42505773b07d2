//! The appointment tables, one file per group: cases with their parties and history
//! (`cases`), mediation agreements with their signatures and follow-ups (`agreements`), working hours and exceptions (`schedule`), appointments (`appointments`) and the
//! resources they hold (`holds`), the consultation thread (`messages`), and the outbox.
//!
//! Parties' names and phones and the outbox's recipients are personal data: they are sealed
//! on the way in and opened on the way out (`mediation_store::personal`), so the columns hold
//! only `v1:<key id>:...` values. Kinds and states are enums here and their names in the
//! columns; a stored value that no longer reads is a deserialisation error, not a panic.

mod agreements;
mod appointments;
mod cases;
mod holds;
mod messages;
mod outbox;
mod schedule;

pub use agreements::*;
pub use appointments::*;
pub use cases::*;
pub use holds::*;
pub use messages::*;
pub use outbox::*;
pub use schedule::*;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::result::Error as DieselError;

use crate::domain::hours::Interval;

pub type QueryResult<T> = Result<T, DieselError>;

fn naive(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

/// A stored value this crate cannot read back.
#[derive(Debug, thiserror::Error)]
#[error("{column} holds {value:?}, which does not read back")]
struct Unreadable {
    column: &'static str,
    value: String,
}

fn unreadable(column: &'static str, value: impl std::fmt::Debug) -> DieselError {
    DieselError::DeserializationError(Box::new(Unreadable { column, value: format!("{value:?}") }))
}

/// An enum stored by its name. Only this crate writes these columns, always from the enums.
fn parse<T: std::str::FromStr>(column: &'static str, stored: &str) -> QueryResult<T> {
    stored.parse().map_err(|_| unreadable(column, stored))
}

/// A stored span; every one was written from an [`Interval`], so its start is before its end.
fn span(column: &'static str, start: NaiveDateTime, end: NaiveDateTime) -> QueryResult<Interval> {
    Interval::new(start.and_utc(), end.and_utc()).map_err(|_| unreadable(column, (start, end)))
}
