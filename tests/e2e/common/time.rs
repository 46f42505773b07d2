//! Time as the tests write it: wall-clock hours in Asia/Shanghai, the sites' time zone, and the
//! protobuf timestamps, dates and times of day the API takes.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc, Weekday};
use mediation_api::google::r#type::{Date, TimeOfDay};
use prost_types::Timestamp;

/// Asia/Shanghai has had no daylight saving since 1991: a fixed UTC+8.
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

/// The day `days` days after today in Asia/Shanghai.
pub fn days_ahead(days: i64) -> NaiveDate {
    Utc::now().with_timezone(&shanghai()).date_naive() + chrono::Duration::days(days)
}

/// The next Tuesday at least three days after today in Asia/Shanghai.
pub fn session_day() -> NaiveDate {
    let mut day = days_ahead(3);
    while day.weekday() != Weekday::Tue {
        day = day.succ_opt().unwrap();
    }
    day
}

/// `hour`:00 local time in Asia/Shanghai on `day`, as an instant.
pub fn local(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    local_time(day, hour, 0)
}

/// `hour`:`minute` local time in Asia/Shanghai on `day`, as an instant.
pub fn local_time(day: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
    shanghai().from_local_datetime(&day.and_hms_opt(hour, minute, 0).unwrap()).unwrap().with_timezone(&Utc)
}

/// `t` to the second.
pub fn ts(t: DateTime<Utc>) -> Timestamp {
    Timestamp { seconds: t.timestamp(), nanos: 0 }
}

/// A timestamp a reply must carry, as an instant.
pub fn instant(t: &Option<Timestamp>) -> DateTime<Utc> {
    let t = t.as_ref().expect("a timestamp");
    DateTime::from_timestamp(t.seconds, t.nanos as u32).unwrap()
}

pub fn date(day: NaiveDate) -> Date {
    Date { year: day.year(), month: day.month() as i32, day: day.day() as i32 }
}

/// `hours`:00.
pub fn time_of_day(hours: i32) -> TimeOfDay {
    TimeOfDay { hours, minutes: 0, seconds: 0, nanos: 0 }
}

/// A clock the test moves forward: the server's agreement flows and notice worker read it
/// (`TestApp::spawn_with_clock`), so that what falls due weeks later is due without waiting.
#[derive(Debug, Clone, Default)]
pub struct TestClock(std::sync::Arc<std::sync::atomic::AtomicI64>);

impl TestClock {
    /// Moves the clock on by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        self.0.fetch_add(by.num_seconds(), std::sync::atomic::Ordering::SeqCst);
    }

    /// The clock as the server reads it: the wall clock plus how far the test moved it.
    pub fn clock(&self) -> mediation_appointments::Clock {
        let offset = self.0.clone();
        mediation_appointments::Clock::from_fn(move || {
            Utc::now() + chrono::Duration::seconds(offset.load(std::sync::atomic::Ordering::SeqCst))
        })
    }
}
