//! Free slots: working time minus leave and bookings (with a buffer around each), cut into
//! slots that start at the start of working hours and step by the slot length or a finer step,
//! within the booking window (minimum notice, horizon).

use chrono::{DateTime, Duration, Utc};

use super::hours::{Interval, subtract};

/// Booking limits; configurable, these are the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlotRules {
    pub buffer: Duration,
    pub notice: Duration,
    pub horizon: Duration,
}

impl Default for SlotRules {
    fn default() -> Self {
        Self { buffer: Duration::zero(), notice: Duration::hours(2), horizon: Duration::days(60) }
    }
}

/// Working time with leave and bookings (each with `buffer` around it) cut out. `working` is
/// sorted and merged.
pub fn free_time(working: &[Interval], leave: &[Interval], busy: &[Interval], buffer: Duration) -> Vec<Interval> {
    let blocked: Vec<Interval> = leave.iter().copied().chain(busy.iter().map(|b| b.widened(buffer))).collect();
    subtract(working, &blocked)
}

/// Where a slot may lie: within `[from, to)`, no sooner than the notice, no later than the
/// horizon. `None` when nothing is left.
pub fn window(from: DateTime<Utc>, to: DateTime<Utc>, now: DateTime<Utc>, rules: &SlotRules) -> Option<Interval> {
    Interval::new(from.max(now + rules.notice), to.min(now + rules.horizon)).ok()
}

/// Each slot of `length` in `working`, stepping by `step` from each working interval's start,
/// that is wholly `free` and inside `window`, in time order, given to `found` as how long after
/// the window's start it starts. Both lists are sorted and merged.
pub fn slots(
    working: &[Interval],
    free: &[Interval],
    length: Duration,
    step: Duration,
    window: Interval,
    mut found: impl FnMut(Duration),
) {
    // In whole microseconds (the stores' resolution): a search over a district steps through
    // thousands of grid points, and chrono's checked arithmetic on each was most of its cost.
    let micros = |t: DateTime<Utc>| t.timestamp_micros();
    let (Some(length), Some(step)) = (length.num_microseconds(), step.num_microseconds()) else { return };
    if length <= 0 {
        return;
    }
    let step = step.max(1);
    let (window_start, window_end) = (micros(window.start), micros(window.end));
    // Slots come in time order and free intervals are sorted and disjoint, so one pass over
    // both finds each slot's free interval.
    let mut free = free.iter().map(|f| (micros(f.start), micros(f.end))).peekable();
    // The first grid point at or after `to`: grid points are whole steps from the hours' start.
    let up_to = |start: i64, to: i64| if start < to { start + (to - start + step - 1) / step * step } else { start };
    for working in working {
        let working_end = micros(working.end);
        let mut start = up_to(micros(working.start), window_start);
        while start < window_end && start + length <= working_end {
            let end = start + length;
            while free.next_if(|&(_, free_end)| free_end < end).is_some() {}
            let Some(&(free_start, free_end)) = free.peek() else { return };
            if free_start > start {
                // No slot starts in the busy time before this free interval.
                start = up_to(start, free_start);
                continue;
            }
            if end <= window_end && end <= free_end {
                found(Duration::microseconds(start - window_start));
            }
            start += step;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::hours::merge;
    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2026-12-01T{h:02}:{m:02}:00Z")).unwrap().with_timezone(&Utc)
    }

    fn span(a: (u32, u32), b: (u32, u32)) -> Interval {
        Interval::new(at(a.0, a.1), at(b.0, b.1)).unwrap()
    }

    fn starts(slots: &[Interval]) -> Vec<String> {
        slots.iter().map(|s| s.start.format("%H:%M").to_string()).collect()
    }

    const DAY: fn() -> Interval = || span((0, 0), (23, 59));

    /// A row's time as a search sees it: weekly and extra hours merged, and what is free of them.
    struct Time {
        working: Vec<Interval>,
        free: Vec<Interval>,
    }

    fn availability(
        weekly: Vec<Interval>,
        extra: Vec<Interval>,
        leave: &[Interval],
        busy: &[Interval],
        buffer: Duration,
    ) -> Time {
        let working = merge(weekly.into_iter().chain(extra).collect());
        let free = free_time(&working, leave, busy, buffer);
        Time { working, free }
    }

    fn slots_in(time: &Time, length: Duration, step: Duration, window: Interval) -> Vec<Interval> {
        let mut found = Vec::new();
        slots(&time.working, &time.free, length, step, window, |after| {
            let start = window.start + after;
            found.push(Interval::new(start, start + length).unwrap());
        });
        found
    }

    #[test]
    fn an_eight_hour_day_gives_eight_hourly_slots() {
        let a = availability(vec![span((1, 0), (9, 0))], vec![], &[], &[], Duration::zero());
        let got = slots_in(&a, Duration::hours(1), Duration::hours(1), DAY());
        assert_eq!(starts(&got), ["01:00", "02:00", "03:00", "04:00", "05:00", "06:00", "07:00", "08:00"]);
    }

    #[test]
    fn bookings_leave_and_buffers_block_slots() {
        let busy = [span((3, 0), (4, 0))];
        let leave = [span((7, 0), (9, 0))];
        let a = availability(vec![span((1, 0), (9, 0))], vec![], &leave, &busy, Duration::zero());
        let got = slots_in(&a, Duration::hours(1), Duration::hours(1), DAY());
        assert_eq!(starts(&got), ["01:00", "02:00", "04:00", "05:00", "06:00"]);
        let buffered = availability(vec![span((1, 0), (9, 0))], vec![], &leave, &busy, Duration::minutes(15));
        let got = slots_in(&buffered, Duration::hours(1), Duration::hours(1), DAY());
        assert_eq!(starts(&got), ["01:00", "05:00", "06:00"], "02:00 and 04:00 touch the buffer");
    }

    #[test]
    fn finer_steps_and_extra_hours() {
        let a = availability(vec![span((1, 0), (3, 0))], vec![span((10, 0), (11, 0))], &[], &[], Duration::zero());
        let got = slots_in(&a, Duration::hours(1), Duration::minutes(30), DAY());
        assert_eq!(starts(&got), ["01:00", "01:30", "02:00", "10:00"]);
    }

    #[test]
    fn overlapping_slots_find_their_free_interval_among_several() {
        let busy = [span((2, 0), (2, 30)), span((5, 0), (6, 0))];
        let a = availability(vec![span((1, 0), (4, 0)), span((5, 0), (8, 0))], vec![], &[], &busy, Duration::zero());
        let got = slots_in(&a, Duration::hours(1), Duration::minutes(30), DAY());
        assert_eq!(starts(&got), ["01:00", "02:30", "03:00", "06:00", "06:30", "07:00"]);
    }

    #[test]
    fn the_window_applies_notice_and_horizon() {
        let rules = SlotRules::default();
        let now = at(0, 30);
        let w = window(at(0, 0), at(23, 0), now, &rules).unwrap();
        assert_eq!(w.start, at(2, 30));
        let a = availability(vec![span((1, 0), (9, 0))], vec![], &[], &[], Duration::zero());
        let got = slots_in(&a, Duration::hours(1), Duration::hours(1), w);
        assert_eq!(starts(&got).first().map(String::as_str), Some("03:00"), "on the hours' grid");
        assert!(window(at(0, 0), at(1, 0), now, &rules).is_none());
        let far = SlotRules { horizon: Duration::hours(3), ..rules };
        assert_eq!(window(at(0, 0), at(23, 0), now, &far).unwrap().end, at(3, 30));
    }

    /// Every grid point of every working interval, each checked against every free interval:
    /// what the one-pass merge must find.
    fn slots_checked_one_by_one(time: &Time, length: Duration, step: Duration, window: Interval) -> Vec<Interval> {
        let mut found = Vec::new();
        for working in &time.working {
            let mut start = working.start;
            while start + length <= working.end {
                let slot = Interval::new(start, start + length).unwrap();
                if window.contains(&slot) && time.free.iter().any(|f| f.contains(&slot)) {
                    found.push(slot);
                }
                start += step;
            }
        }
        found
    }

    #[test]
    fn the_merge_finds_what_checking_each_grid_point_finds() {
        // A small fixed-seed generator, so that the cases are the same at every run.
        let mut state = 20261207u64;
        let mut next = |below: i64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) as i64 % below
        };
        let base = at(0, 0);
        let seconds = |s: i64| base + Duration::seconds(s);
        for _ in 0..1000 {
            let weekly: Vec<Interval> = (0..1 + next(3))
                .map(|_| {
                    let start = next(20 * 3600);
                    Interval::new(seconds(start), seconds(start + 600 + next(6 * 3600))).unwrap()
                })
                .collect();
            // Bookings at odd seconds too, so that busy time ends between grid points.
            let busy: Vec<Interval> = (0..next(12))
                .map(|_| {
                    let start = next(24 * 3600);
                    Interval::new(seconds(start), seconds(start + 1 + next(45 * 60))).unwrap()
                })
                .collect();
            let buffer = Duration::minutes(next(3) * 5);
            let time = availability(weekly, vec![], &[], &busy, buffer);
            let length = Duration::minutes(15 + next(8) * 15);
            let step = Duration::minutes(5 + next(6) * 5);
            let from = next(12 * 3600);
            let window = Interval::new(seconds(from), seconds(from + 60 + next(12 * 3600))).unwrap();
            assert_eq!(
                slots_in(&time, length, step, window),
                slots_checked_one_by_one(&time, length, step, window),
                "hours {:?}, busy {busy:?}, length {length}, step {step}, window {window:?}",
                time.working,
            );
        }
    }
}
