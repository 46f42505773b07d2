//! What availability reads, kept in memory: the calendar (active mediators with their kinds and
//! specialities, every site's time zone, every room, everyone's weekly hours, leave and extra
//! hours), which changes rarely, and the holds, which change with every booking. Each is
//! loaded with a counter that triggers move on every change to its tables (both in the one row
//! of `calendar_generation`); a search reads the counters first and uses what this process holds
//! only when it is at least that new, so each answer is as current as the database, on every
//! replica.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration as Elapsed, Instant};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use mediation_directory::domain::{MediatorKind, Room};
use mediation_store::DbConnection;

use super::stored_zone;
use crate::domain::ScheduleException;
use crate::domain::hours::{Hours, Interval};
use crate::error::Result;
use crate::repo;

/// How far back of its loading a calendar or holds reach: a search looks at times from its own
/// `now` on (less the buffer between sessions), and a day covers any clock step between
/// replicas.
const LOOK_BACK: Duration = Duration::days(1);

/// The least time between two loads of every hold: while bookings come faster than that,
/// searches read the holds they need from the database instead.
const HOLDS_RELOAD_GAP: Elapsed = Elapsed::from_secs(1);

/// An active mediator as availability sees them.
#[derive(Debug, Clone)]
pub struct CalendarMediator {
    pub kind: MediatorKind,
    pub specialty_codes: Vec<String>,
}

/// The calendar at one generation.
#[derive(Debug)]
pub struct Calendar {
    /// Active mediators by id.
    pub mediators: HashMap<String, CalendarMediator>,
    /// Every site's time zone, by site id.
    pub zones: HashMap<String, Tz>,
    /// Every room, by site id, in id order.
    pub rooms: HashMap<String, Vec<Room>>,
    /// (mediator, site, hours), in mediator and site order.
    pub hours: Vec<(String, String, Hours)>,
    /// Leave and extra hours ending after `since`, by mediator.
    pub exceptions: HashMap<String, Vec<ScheduleException>>,
    since: DateTime<Utc>,
}

impl Calendar {
    fn load(conn: &mut DbConnection, now: DateTime<Utc>) -> Result<Self> {
        let mediators = mediation_directory::repo::active_profiles(conn)?
            .into_iter()
            .map(|m| (m.id, CalendarMediator { kind: m.kind, specialty_codes: m.specialty_codes }))
            .collect();
        let sites = mediation_directory::repo::list_sites(conn, None, None, None, i64::MAX)?;
        let site_ids: Vec<String> = sites.iter().map(|s| s.id.clone()).collect();
        let mut zones = HashMap::new();
        for site in &sites {
            zones.insert(site.id.clone(), stored_zone(site)?);
        }
        let mut rooms: HashMap<String, Vec<Room>> = HashMap::new();
        for room in mediation_directory::repo::rooms_at(conn, &site_ids)? {
            rooms.entry(room.site_id.clone()).or_default().push(room);
        }
        let hours = repo::hours(conn, None, None)?;
        let since = now - LOOK_BACK;
        let mut exceptions: HashMap<String, Vec<ScheduleException>> = HashMap::new();
        for exception in repo::exceptions_ending_after(conn, since)? {
            exceptions.entry(exception.mediator_id.clone()).or_default().push(exception);
        }
        Ok(Self { mediators, zones, rooms, hours, exceptions, since })
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
    /// least as new as the database's counters when the call began and reaching back before
    /// `now`. Holds are `None` when another search is loading them or they were loaded less than
    /// a second ago: the caller reads the holds it needs from the database.
    pub fn current(
        &self,
        conn: &mut DbConnection,
        now: DateTime<Utc>,
    ) -> Result<(Arc<Calendar>, Option<Arc<HeldTimes>>)> {
        // Rows read after the counters are at least that new, so a change landing in between is
        // picked up by the next search, never missed.
        let (calendar_at, holds_at) = repo::calendar_generation(conn)?;
        let calendar = match self.calendar.at_least(calendar_at, |c| c.since <= now - LOOK_BACK / 2) {
            Some(calendar) => calendar,
            None => {
                let calendar = Arc::new(Calendar::load(conn, now)?);
                self.calendar.offer(calendar_at, calendar.clone());
                calendar
            }
        };
        Ok((calendar, self.holds(conn, holds_at, now)?))
    }

    fn holds(&self, conn: &mut DbConnection, wanted: i64, now: DateTime<Utc>) -> Result<Option<Arc<HeldTimes>>> {
        if let Some(held) = self.holds.at_least(wanted, |held| held.since <= now - LOOK_BACK / 2) {
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
