//! The weekly hours every bookable mediator works at their station, and the one-hour slots they
//! open in the booking window, through the appointments crate's own expansion.

use chrono::{DateTime, Duration, Utc, Weekday};
use mediation_appointments::domain::hours::{self, Hours, Interval, WeeklyRule};

/// Every mediator's weekly hours at their home site, local time: Monday to Saturday 08:00 to
/// 20:00, twelve one-hour slots a day, so that `book` never runs out of distinct slots.
const WORKDAYS: [Weekday; 6] = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat];
const DAY_START_MINUTE: u32 = 8 * 60;
const DAY_END_MINUTE: u32 = 20 * 60;
/// Bookable slots start the day after tomorrow (well past the two hours' notice) and end
/// before the 60-day horizon.
const FIRST_BOOKING_DAY: i64 = 2;
const LAST_BOOKING_DAY: i64 = 55;

pub(super) fn weekly_hours() -> Hours {
    let rules = WORKDAYS
        .iter()
        .map(|day| WeeklyRule { day: *day, start_minute: DAY_START_MINUTE, end_minute: DAY_END_MINUTE })
        .collect();
    Hours { rules, effective_from: None, effective_to: None }
}

/// The start of every one-hour slot of [`weekly_hours`] from `FIRST_BOOKING_DAY` to
/// `LAST_BOOKING_DAY` days after `now`, through the appointments crate's own expansion.
pub fn slot_starts(now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let window = Interval::new(now + Duration::days(FIRST_BOOKING_DAY), now + Duration::days(LAST_BOOKING_DAY))
        .expect("the booking window is not empty");
    let working = hours::expand(&weekly_hours(), chrono_tz::Asia::Shanghai, window);
    working
        .iter()
        .flat_map(|span| {
            let mut starts = Vec::new();
            let mut start = span.start;
            while start + Duration::hours(1) <= span.end {
                starts.push(start);
                start += Duration::hours(1);
            }
            starts
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, Timelike};

    use super::*;

    #[test]
    fn slots_are_working_hours_in_shanghai() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T03:00:00Z").unwrap().with_timezone(&Utc);
        let starts = slot_starts(now);
        // 53 days of which six in seven are workdays, twelve slots each.
        assert!((500..=560).contains(&starts.len()), "{}", starts.len());
        for start in &starts {
            let local = start.with_timezone(&chrono_tz::Asia::Shanghai);
            assert!((8..20).contains(&local.hour()) && local.minute() == 0, "{local}");
            assert_ne!(local.weekday(), Weekday::Sun);
        }
        assert!(starts.windows(2).all(|pair| pair[0] < pair[1]));
    }
}
