//! What availability reads, kept in memory: the calendar (active mediators with their kinds and
//! specialities, every site's time zone, every room, everyone's weekly hours, leave and extra
//! hours), which changes rarely, and the holds, which change with every booking. Each is
//! loaded with a counter that triggers move on every change to its tables (both in the one row
//! of `calendar_generation`); a search reads the counters first and uses what this process holds
//! only when it is at least that new, so each answer is as current as the database, on every
//! replica. The calendar is indexed for a district's search: mediators and sites in id order,
//! each (mediator, site)'s weekly hours expanded into instants once per calendar.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration as Elapsed, Instant};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use mediation_directory::domain::{MediatorKind, RoomKind, SiteKind};
use mediation_store::DbConnection;

use super::stored_zone;
use crate::domain::ScheduleException;
use crate::domain::hours::{self, Hours, Interval};
use crate::error::Result;
use crate::repo;

/// How far back of its loading a calendar or holds reach: a search looks at times from its own
/// `now` on (less the buffer between sessions), and a day covers any clock step between
/// replicas.
const LOOK_BACK: Duration = Duration::days(1);

/// The least time between two loads of every hold: while bookings come faster than that,
/// searches read the holds they need from the database instead.
const HOLDS_RELOAD_GAP: Elapsed = Elapsed::from_secs(1);

/// How far past the horizon working hours are expanded when a calendar loads: a calendar
/// serves searches for a day after it loaded, then loads again.
const EXPANDED_AHEAD: Duration = Duration::days(1);

/// An active mediator as availability sees them.
#[derive(Debug, Clone)]
pub struct CalendarMediator {
    pub id: String,
    pub kind: MediatorKind,
    pub specialty_codes: Vec<String>,
    /// The resource their holds are kept under (`mediator:<id>`).
    pub resource: String,
    /// Their weekly hours: a range of [`Calendar::hours`].
    pub hours: Range<usize>,
    /// Their leave and extra hours ending after the calendar's `since`.
    pub exceptions: Vec<ScheduleException>,
}

/// A site as availability sees it.
#[derive(Debug, Clone)]
pub struct CalendarSite {
    pub id: String,
    pub kind: SiteKind,
    pub zone: Tz,
    /// Its rooms, in id order.
    pub rooms: Vec<CalendarRoom>,
}

#[derive(Debug, Clone)]
pub struct CalendarRoom {
    pub id: String,
    pub kind: RoomKind,
    pub capacity: i32,
    /// The resource its holds are kept under (`room:<id>`).
    pub resource: String,
}

/// One mediator's weekly hours at one site, expanded into instants once, when a search first
/// needs them.
#[derive(Debug)]
pub struct SiteHours {
    /// Index in [`Calendar::mediators`]; `None` when the mediator is not active.
    pub mediator: Option<usize>,
    /// Index in [`Calendar::sites`].
    pub site: usize,
    pub hours: Hours,
    working: OnceLock<Expanded>,
}

/// Working intervals over a calendar's `expanded` span, with where each day's start falls among
/// them, so that a search finds a span's intervals with one look-up instead of a binary search
/// through memory it has not touched yet.
#[derive(Debug)]
struct Expanded {
    /// Merged, in time order.
    intervals: Vec<Interval>,
    /// For each day since the span's start, the first interval ending after that day's start.
    by_day: Vec<usize>,
}

impl Expanded {
    fn new(intervals: Vec<Interval>, over: Interval) -> Self {
        let days = (over.end - over.start).num_days();
        let by_day = (0..=days)
            .map(|day| {
                let start = over.start + Duration::days(day);
                intervals.partition_point(|w| w.end <= start)
            })
            .collect();
        Self { intervals, by_day }
    }
}

/// The calendar at one generation.
#[derive(Debug)]
pub struct Calendar {
    /// Active mediators, in id order.
    pub mediators: Vec<CalendarMediator>,
    /// Every site, in id order.
    pub sites: Vec<CalendarSite>,
    /// Everyone's weekly hours, in mediator and site order.
    pub hours: Vec<SiteHours>,
    mediator_index: HashMap<String, usize>,
    site_index: HashMap<String, usize>,
    since: DateTime<Utc>,
    /// Where working hours are expanded once: from before `since` to past the horizon of any
    /// search this calendar serves.
    expanded: Interval,
}

impl Calendar {
    fn load(conn: &mut DbConnection, now: DateTime<Utc>, horizon: Duration) -> Result<Self> {
        let since = now - LOOK_BACK;
        let mut mediators: Vec<CalendarMediator> = mediation_directory::repo::active_profiles(conn)?
            .into_iter()
            .map(|m| CalendarMediator {
                resource: format!("mediator:{}", m.id),
                id: m.id,
                kind: m.kind,
                specialty_codes: m.specialty_codes,
                hours: 0..0,
                exceptions: Vec::new(),
            })
            .collect();
        mediators.sort_by(|a, b| a.id.cmp(&b.id));
        let mediator_index: HashMap<String, usize> =
            mediators.iter().enumerate().map(|(index, m)| (m.id.clone(), index)).collect();
        let mut sites = Vec::new();
        for site in mediation_directory::repo::list_sites(conn, None, None, None, i64::MAX)? {
            let zone = stored_zone(&site)?;
            sites.push(CalendarSite { id: site.id, kind: site.kind, zone, rooms: Vec::new() });
        }
        sites.sort_by(|a, b| a.id.cmp(&b.id));
        let site_index: HashMap<String, usize> =
            sites.iter().enumerate().map(|(index, s)| (s.id.clone(), index)).collect();
        let site_ids: Vec<String> = sites.iter().map(|s| s.id.clone()).collect();
        let mut rooms = mediation_directory::repo::rooms_at(conn, &site_ids)?;
        rooms.sort_by(|a, b| a.id.cmp(&b.id));
        for room in rooms {
            if let Some(&site) = site_index.get(&room.site_id) {
                let resource = format!("room:{}", room.id);
                sites[site].rooms.push(CalendarRoom {
                    id: room.id,
                    kind: room.kind,
                    capacity: room.capacity,
                    resource,
                });
            }
        }
        let mut hours = Vec::new();
        for (mediator_id, site_id, rules) in repo::hours(conn, None, None)? {
            // Working hours name their site, which the schema keeps.
            let Some(&site) = site_index.get(&site_id) else { continue };
            let mediator = mediator_index.get(&mediator_id).copied();
            hours.push(SiteHours { mediator, site, hours: rules, working: OnceLock::new() });
        }
        // In mediator order, each mediator's hours are one range.
        hours.sort_by_key(|h| (h.mediator, h.site));
        for (index, h) in hours.iter().enumerate() {
            if let Some(m) = h.mediator {
                let range = &mut mediators[m].hours;
                if range.end == 0 {
                    range.start = index;
                }
                range.end = index + 1;
            }
        }
        for exception in repo::exceptions_ending_after(conn, since)? {
            if let Some(&m) = mediator_index.get(&exception.mediator_id) {
                mediators[m].exceptions.push(exception);
            }
        }
        let expanded = Interval::new(since - Duration::days(1), now + horizon + EXPANDED_AHEAD)
            .expect("the horizon is never negative");
        Ok(Self { mediators, sites, hours, mediator_index, site_index, since, expanded })
    }

    /// Whether this calendar serves a search at `now` looking up to `horizon` ahead.
    fn serves(&self, now: DateTime<Utc>, horizon: Duration) -> bool {
        self.since <= now - LOOK_BACK / 2 && now + horizon <= self.expanded.end
    }

    pub fn mediator(&self, id: &str) -> Option<usize> {
        self.mediator_index.get(id).copied()
    }

    pub fn site(&self, id: &str) -> Option<usize> {
        self.site_index.get(id).copied()
    }

    /// The working intervals of `hours` overlapping `span`, cut to it, in time order.
    pub fn working(&self, hours: &SiteHours, span: Interval, out: &mut Vec<Interval>) {
        if !self.expanded.contains(&span) {
            out.extend(hours::expand(&hours.hours, self.sites[hours.site].zone, span));
            return;
        }
        let expanded = hours.working.get_or_init(|| {
            Expanded::new(hours::expand(&hours.hours, self.sites[hours.site].zone, self.expanded), self.expanded)
        });
        // Working intervals are merged, so in start order their ends are in order too.
        let day = usize::try_from((span.start - self.expanded.start).num_days()).expect("the span is expanded");
        let all = &expanded.intervals;
        let mut first = expanded.by_day[day];
        while all.get(first).is_some_and(|w| w.end <= span.start) {
            first += 1;
        }
        out.extend(all[first..].iter().take_while(|w| w.start < span.end).filter_map(|w| w.within(&span)));
    }
}

/// Every hold ending after `since`, by resource (`mediator:<id>`, `room:<id>`), each resource's
/// in time order.
#[derive(Debug)]
pub struct HeldTimes {
    by_resource: HashMap<String, Vec<Interval>>,
    since: DateTime<Utc>,
}

impl HeldTimes {
    pub fn new(holds: Vec<(String, Interval)>, since: DateTime<Utc>) -> Self {
        let mut by_resource: HashMap<String, Vec<Interval>> = HashMap::new();
        for (resource, span) in holds {
            by_resource.entry(resource).or_default().push(span);
        }
        for spans in by_resource.values_mut() {
            spans.sort();
        }
        Self { by_resource, since }
    }

    /// The holds of `resource` overlapping `span`, which must start after `since`.
    pub fn overlapping(&self, resource: &str, span: Interval) -> &[Interval] {
        debug_assert!(span.start >= self.since, "held times reach back to {} only", self.since);
        let Some(spans) = self.by_resource.get(resource) else { return &[] };
        // One resource's holds never overlap, so in start order their ends are in order too.
        let first = spans.partition_point(|held| held.end <= span.start);
        let last = first + spans[first..].partition_point(|held| held.start < span.end);
        &spans[first..last]
    }
}

/// A value loaded from the database, with the counter it was loaded at.
#[derive(Debug)]
struct Loaded<T>(RwLock<Option<(i64, Arc<T>)>>);

impl<T> Default for Loaded<T> {
    fn default() -> Self {
        Self(RwLock::default())
    }
}

impl<T> Loaded<T> {
    /// The value, when it was loaded at `wanted` or later and `fits`.
    fn at_least(&self, wanted: i64, fits: impl Fn(&T) -> bool) -> Option<Arc<T>> {
        let current = self.0.read().expect("loaded value lock poisoned");
        current.as_ref().filter(|(built, value)| *built >= wanted && fits(value)).map(|(_, value)| value.clone())
    }

    /// Keeps `value` unless a newer one is kept already.
    fn offer(&self, generation: i64, value: Arc<T>) {
        let mut current = self.0.write().expect("loaded value lock poisoned");
        if current.as_ref().is_none_or(|(built, _)| *built <= generation) {
            *current = Some((generation, value));
        }
    }
}

/// The latest calendar and holds this process loaded.
#[derive(Debug, Default)]
pub struct CalendarCache {
    calendar: Loaded<Calendar>,
    holds: Loaded<HeldTimes>,
    /// When every hold was last loaded; locked while they load.
    holds_loaded: Mutex<Option<Instant>>,
}

impl CalendarCache {
    /// The calendar, and every hold when this process has them or may load them now, each at
    /// least as new as the database's counters when the call began, reaching back before `now`
    /// and (the calendar) ahead past `horizon`. Holds are `None` when another search is loading them or they were loaded less than
    /// a second ago: the caller reads the holds it needs from the database.
    pub fn current(
        &self,
        conn: &mut DbConnection,
        now: DateTime<Utc>,
        horizon: Duration,
    ) -> Result<(Arc<Calendar>, Option<Arc<HeldTimes>>)> {
        // Rows read after the counters are at least that new, so a change landing in between is
        // picked up by the next search, never missed.
        let (calendar_at, holds_at) = repo::calendar_generation(conn)?;
        let calendar = match self.loaded_calendar(calendar_at, now, horizon) {
            Some(calendar) => calendar,
            None => {
                let calendar = Arc::new(Calendar::load(conn, now, horizon)?);
                self.calendar.offer(calendar_at, calendar.clone());
                calendar
            }
        };
        Ok((calendar, self.holds(conn, holds_at, now)?))
    }

    /// [`Self::current`] without loading anything but the counters: `None` when the calendar
    /// must be loaded again, and holds only when those this process has are current. For a
    /// search small enough to run on the caller's thread, where a load must not.
    pub fn current_if_loaded(
        &self,
        conn: &mut DbConnection,
        now: DateTime<Utc>,
        horizon: Duration,
    ) -> Result<Option<(Arc<Calendar>, Option<Arc<HeldTimes>>)>> {
        let (calendar_at, holds_at) = repo::calendar_generation(conn)?;
        Ok(self.loaded_calendar(calendar_at, now, horizon).map(|calendar| (calendar, self.loaded_holds(holds_at, now))))
    }

    fn loaded_calendar(&self, wanted: i64, now: DateTime<Utc>, horizon: Duration) -> Option<Arc<Calendar>> {
        self.calendar.at_least(wanted, |calendar| calendar.serves(now, horizon))
    }

    fn loaded_holds(&self, wanted: i64, now: DateTime<Utc>) -> Option<Arc<HeldTimes>> {
        self.holds.at_least(wanted, |held| held.since <= now - LOOK_BACK / 2)
    }

    fn holds(&self, conn: &mut DbConnection, wanted: i64, now: DateTime<Utc>) -> Result<Option<Arc<HeldTimes>>> {
        if let Some(held) = self.loaded_holds(wanted, now) {
            return Ok(Some(held));
        }
        let Ok(mut loaded) = self.holds_loaded.try_lock() else { return Ok(None) };
        if loaded.is_some_and(|at| at.elapsed() < HOLDS_RELOAD_GAP) {
            return Ok(None);
        }
        *loaded = Some(Instant::now());
        let since = now - LOOK_BACK;
        let held = Arc::new(HeldTimes::new(repo::holds_ending_after(conn, since)?, since));
        self.holds.offer(wanted, held.clone());
        Ok(Some(held))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 8, hour, minute, 0).unwrap()
    }

    fn span(from: (u32, u32), to: (u32, u32)) -> Interval {
        Interval::new(at(from.0, from.1), at(to.0, to.1)).unwrap()
    }

    #[test]
    fn working_hours_expanded_once_match_hours_expanded_for_each_span() {
        use crate::domain::hours::WeeklyRule;
        use chrono::Weekday::*;
        let rule = |day, from: u32, to: u32| WeeklyRule { day, start_minute: from * 60, end_minute: to * 60 };
        // Monday night runs on into Tuesday morning: one interval once merged.
        let rules = vec![rule(Mon, 9, 17), rule(Mon, 22, 24), rule(Tue, 0, 2), rule(Wed, 9, 12), rule(Wed, 13, 17)];
        let hours = SiteHours {
            mediator: Some(0),
            site: 0,
            hours: Hours { rules, effective_from: None, effective_to: None },
            working: OnceLock::new(),
        };
        let zone = chrono_tz::Europe::London;
        let calendar = Calendar {
            mediators: Vec::new(),
            sites: vec![CalendarSite { id: "s".into(), kind: SiteKind::Station, zone, rooms: Vec::new() }],
            hours: Vec::new(),
            mediator_index: HashMap::new(),
            site_index: HashMap::new(),
            since: at(0, 0),
            expanded: Interval::new(at(0, 0) - Duration::days(7), at(0, 0) + Duration::days(30)).unwrap(),
        };
        let spans = [
            // A whole week, inside what was expanded.
            Interval::new(at(0, 0), at(0, 0) + Duration::days(7)).unwrap(),
            // From Monday 10:30 to Tuesday 01:00 (2026-12-08 is a Tuesday): cutting into
            // Monday's hours and the night that runs on past midnight.
            Interval::new(at(10, 30) + Duration::days(6), at(1, 0) + Duration::days(7)).unwrap(),
            // Reaching past what was expanded: expanded for the call alone.
            Interval::new(at(0, 0) + Duration::days(27), at(0, 0) + Duration::days(34)).unwrap(),
        ];
        for span in spans {
            let mut got = Vec::new();
            calendar.working(&hours, span, &mut got);
            assert!(!got.is_empty());
            assert_eq!(got, hours::expand(&hours.hours, zone, span), "within {span:?}");
        }
        // Spans starting every hour and a half over what was expanded, from half an hour
        // long to three days, each cut to what was expanded.
        let mut start = calendar.expanded.start;
        while start < calendar.expanded.end {
            for length in [Duration::minutes(30), Duration::hours(5), Duration::days(3)] {
                let span = Interval::new(start, (start + length).min(calendar.expanded.end)).unwrap();
                let mut got = Vec::new();
                calendar.working(&hours, span, &mut got);
                assert_eq!(got, hours::expand(&hours.hours, zone, span), "within {span:?}");
            }
            start += Duration::minutes(90);
        }
    }

    #[test]
    fn finds_the_holds_overlapping_a_span_and_no_others() {
        let held = HeldTimes::new(
            vec![
                ("mediator:a".into(), span((11, 0), (12, 0))),
                ("mediator:a".into(), span((9, 0), (10, 0))),
                ("room:r".into(), span((9, 30), (10, 30))),
                ("mediator:a".into(), span((14, 0), (15, 0))),
            ],
            at(0, 0),
        );
        assert_eq!(held.overlapping("mediator:a", span((10, 0), (11, 0))), &[] as &[Interval]);
        assert_eq!(
            held.overlapping("mediator:a", span((9, 59), (11, 1))),
            &[span((9, 0), (10, 0)), span((11, 0), (12, 0))]
        );
        assert_eq!(held.overlapping("mediator:a", span((8, 0), (23, 0))).len(), 3);
        assert_eq!(held.overlapping("room:r", span((10, 29), (10, 30))), &[span((9, 30), (10, 30))]);
        assert_eq!(held.overlapping("mediator:b", span((8, 0), (23, 0))), &[] as &[Interval]);
    }
}
