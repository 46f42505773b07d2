//! What the table modules share: the result of a query, and instants as the naive UTC that the
//! `TIMESTAMP` columns hold.

use chrono::{DateTime, NaiveDateTime, Utc};

pub type QueryResult<T> = Result<T, diesel::result::Error>;

pub(super) fn naive(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}
