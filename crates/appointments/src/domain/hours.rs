//! Working hours: weekly rules in a site's local wall-clock time, turned into UTC intervals
//! through chrono-tz, so that daylight-saving changes move the instants and not the hours.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, Offset, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

/// A half-open span of time `[start, end)`, never empty: [`Interval::new`] refuses an end that
/// is not after the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Why [`Interval::new`] refused: the end is not after the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must end after it starts")]
pub struct EmptyInterval;

impl Interval {
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Self, EmptyInterval> {
        if start < end { Ok(Self { start, end }) } else { Err(EmptyInterval) }
    }

    pub fn length(&self) -> Duration {
        self.end - self.start
    }

    /// The part of this interval inside `window`, if any.
    pub fn within(&self, window: &Interval) -> Option<Interval> {
        Interval::new(self.start.max(window.start), self.end.min(window.end)).ok()
    }

    pub fn overlaps(&self, other: &Interval) -> bool {
        self.start < other.end && other.start < self.end
    }

    pub fn contains(&self, other: &Interval) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// Grown by `by` on both sides; `by` is a buffer, never negative.
    pub fn widened(&self, by: Duration) -> Interval {
        let by = by.max(Duration::zero());
        Interval { start: self.start - by, end: self.end + by }
    }
}

/// One weekly rule: `day`, from `start_minute` to `end_minute` after local midnight
/// (`end_minute` up to 1440).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklyRule {
    pub day: Weekday,
    pub start_minute: u32,
    pub end_minute: u32,
}

/// A mediator's rules at one site, with the dates they apply (inclusive).
#[derive(Debug, Clone, PartialEq)]
pub struct Hours {
    pub rules: Vec<WeeklyRule>,
    pub effective_from: Option<NaiveDate>,
    pub effective_to: Option<NaiveDate>,
}

/// The instant a local wall-clock time names. In an autumn overlap it is the first of the two;
/// in a spring gap, the time is read with the offset before the gap (02:30 becomes 03:30).
fn instant(tz: Tz, date: NaiveDate, minute: u32) -> DateTime<Utc> {
    let naive = date.and_hms_opt(0, 0, 0).expect("midnight exists") + Duration::minutes(i64::from(minute));
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => {
            let before = tz
                .from_local_datetime(&(naive - Duration::hours(3)))
                .earliest()
                .expect("three hours before a gap is a valid local time");
            (naive - before.offset().fix()).and_utc()
        }
    }
}

/// The working intervals of `hours` within `window`, in UTC, sorted and merged.
pub fn expand(hours: &Hours, tz: Tz, window: Interval) -> Vec<Interval> {
    let first = window.start.with_timezone(&tz).date_naive() - Duration::days(1);
    let last = window.end.with_timezone(&tz).date_naive() + Duration::days(1);
    let mut out = Vec::new();
    let mut date = first;
    while date <= last {
        let in_effect =
            hours.effective_from.is_none_or(|from| date >= from) && hours.effective_to.is_none_or(|to| date <= to);
        if in_effect {
            for rule in hours.rules.iter().filter(|r| r.day == date.weekday()) {
                // A rule inside a spring gap names no time at all that day.
                let span = Interval::new(instant(tz, date, rule.start_minute), instant(tz, date, rule.end_minute));
                out.extend(span.ok().and_then(|span| span.within(&window)));
            }
        }
        date += Duration::days(1);
    }
    merge(out)
}

/// Sorted, with touching and overlapping intervals joined.
pub fn merge(mut intervals: Vec<Interval>) -> Vec<Interval> {
    intervals.sort();
    let mut out: Vec<Interval> = Vec::with_capacity(intervals.len());
    for next in intervals {
        match out.last_mut() {
            Some(last) if next.start <= last.end => last.end = last.end.max(next.end),
            _ => out.push(next),
        }
    }
    out
}

/// `from` with every part covered by `remove` cut out.
pub fn subtract(from: &[Interval], remove: &[Interval]) -> Vec<Interval> {
    let remove = merge(remove.to_vec());
    let mut out = Vec::new();
    for interval in from {
        let mut rest = Some(*interval);
        for cut in remove.iter().filter(|c| c.overlaps(interval)) {
            let Some(left) = rest else { break };
            out.extend(Interval::new(left.start, cut.start.min(left.end)).ok());
            rest = Interval::new(left.start.max(cut.end), left.end).ok();
        }
        out.extend(rest);
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::NaiveTime;

    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn span(start: &str, end: &str) -> Interval {
        Interval::new(utc(start), utc(end)).unwrap()
    }

    fn weekdays_nine_to_five() -> Hours {
        let rules = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri]
            .into_iter()
            .map(|day| WeeklyRule { day, start_minute: 9 * 60, end_minute: 17 * 60 })
            .collect();
        Hours { rules, effective_from: None, effective_to: None }
    }

    #[test]
    fn shanghai_nine_to_five_is_one_to_nine_utc() {
        // 2026-12-01 is a Tuesday.
        let window = span("2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z");
        let got = expand(&weekdays_nine_to_five(), chrono_tz::Asia::Shanghai, window);
        assert_eq!(got, [span("2026-12-01T01:00:00Z", "2026-12-01T09:00:00Z")]);
    }

    #[test]
    fn weekends_and_effective_dates_are_honoured() {
        let window = span("2026-12-05T00:00:00Z", "2026-12-07T00:00:00Z");
        assert!(expand(&weekdays_nine_to_five(), chrono_tz::Asia::Shanghai, window).is_empty(), "a weekend");
        let limited = Hours {
            effective_from: NaiveDate::from_ymd_opt(2026, 12, 2),
            effective_to: NaiveDate::from_ymd_opt(2026, 12, 3),
            ..weekdays_nine_to_five()
        };
        let week = span("2026-11-30T00:00:00Z", "2026-12-07T00:00:00Z");
        let days: Vec<_> = expand(&limited, chrono_tz::Asia::Shanghai, week)
            .iter()
            .map(|i| i.start.with_timezone(&chrono_tz::Asia::Shanghai).date_naive().to_string())
            .collect();
        assert_eq!(days, ["2026-12-02", "2026-12-03"]);
    }

    #[test]
    fn daylight_saving_moves_the_instants_not_the_hours() {
        // London leaves summer time on Sunday 2026-10-25; a 09:00 rule is 08:00 UTC before and
        // 09:00 UTC after.
        let hours = Hours {
            rules: vec![
                WeeklyRule { day: Weekday::Fri, start_minute: 9 * 60, end_minute: 10 * 60 },
                WeeklyRule { day: Weekday::Mon, start_minute: 9 * 60, end_minute: 10 * 60 },
            ],
            effective_from: None,
            effective_to: None,
        };
        let window = span("2026-10-23T00:00:00Z", "2026-10-27T00:00:00Z");
        let got = expand(&hours, chrono_tz::Europe::London, window);
        assert_eq!(
            got,
            [
                span("2026-10-23T08:00:00Z", "2026-10-23T09:00:00Z"),
                span("2026-10-26T09:00:00Z", "2026-10-26T10:00:00Z"),
            ]
        );
    }

    #[test]
    fn spring_gaps_and_autumn_overlaps() {
        let tz = chrono_tz::America::New_York;
        // 2026-03-08 02:30 does not exist in New York; it is read as 03:30 EDT (07:30 UTC).
        let gap = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        assert_eq!(instant(tz, gap, 150), utc("2026-03-08T07:30:00Z"));
        // 2026-11-01 01:30 happens twice; the first (EDT, 05:30 UTC) is taken.
        let overlap = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert_eq!(instant(tz, overlap, 90), utc("2026-11-01T05:30:00Z"));
        let _ = NaiveTime::MIN;
    }

    #[test]
    fn a_rule_to_midnight_ends_at_the_next_local_midnight() {
        let hours = Hours {
            rules: vec![WeeklyRule { day: Weekday::Tue, start_minute: 20 * 60, end_minute: 1440 }],
            effective_from: None,
            effective_to: None,
        };
        let window = span("2026-12-01T00:00:00Z", "2026-12-03T00:00:00Z");
        let got = expand(&hours, chrono_tz::Asia::Shanghai, window);
        assert_eq!(got, [span("2026-12-01T12:00:00Z", "2026-12-01T16:00:00Z")]);
    }

    #[test]
    fn interval_algebra() {
        let i = |a: u32, b: u32| span(&format!("2026-12-01T{a:02}:00:00Z"), &format!("2026-12-01T{b:02}:00:00Z"));
        assert_eq!(merge(vec![i(3, 5), i(1, 2), i(2, 3), i(7, 8)]), [i(1, 5), i(7, 8)]);
        assert_eq!(subtract(&[i(1, 9)], &[i(2, 3), i(5, 6)]), [i(1, 2), i(3, 5), i(6, 9)]);
        assert_eq!(subtract(&[i(1, 3)], &[i(0, 4)]), []);
        assert_eq!(subtract(&[i(1, 3), i(5, 7)], &[i(2, 6)]), [i(1, 2), i(6, 7)]);
    }

    #[test]
    fn an_interval_is_never_empty() {
        let (t, later) = (utc("2026-12-01T09:00:00Z"), utc("2026-12-01T10:00:00Z"));
        assert_eq!(Interval::new(t, t), Err(EmptyInterval));
        assert_eq!(Interval::new(later, t), Err(EmptyInterval));
        let i = Interval::new(t, later).unwrap();
        assert_eq!((i.start, i.end, i.length()), (t, later, Duration::hours(1)));
        assert_eq!(
            i.within(&span("2026-12-01T09:30:00Z", "2026-12-02T00:00:00Z")),
            Some(span("2026-12-01T09:30:00Z", "2026-12-01T10:00:00Z"))
        );
        assert_eq!(
            i.within(&span("2026-12-01T10:00:00Z", "2026-12-02T00:00:00Z")),
            None,
            "touching is not overlapping"
        );
    }
}
