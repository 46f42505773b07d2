//! SearchAvailability: the free slots of the mediators a case may be offered, with a room.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use mediation_api::Fault;
use mediation_directory::domain::{MediatorKind, Mode, RoomKind};
use mediation_store::DbConnection;

use super::calendar::{CalendarMediator, CalendarRoom, SiteHours};
use super::{AppointmentSettings, Calendar, HeldTimes, schedulable_case_without_parties};
use crate::domain::access::Viewer;
use crate::domain::hours::{self, Interval};
use crate::domain::slots;
use crate::domain::{ExceptionKind, Grade, may_lead, video};
use crate::error::Result;
use crate::repo;

/// What a resident or staff member asks of SearchAvailability, validated.
#[derive(Debug, Clone)]
pub struct AvailabilityQuery {
    pub case_id: String,
    pub specialty_code: Option<String>,
    pub site_id: Option<String>,
    pub mediator_id: Option<String>,
    pub mode: Mode,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub duration: Duration,
    pub step: Duration,
    pub max_slots: usize,
}

impl AvailabilityQuery {
    /// Whether the search is small enough to run on the caller's thread once the calendar is
    /// loaded: one mediator over at most a day (a booking screen's question once a resident has
    /// picked both), a few dozen grid points at most.
    pub fn is_one_mediators_day(&self) -> bool {
        self.mediator_id.is_some() && self.to - self.from <= Duration::days(1)
    }
}

/// Where one mediator's slots may lie: their working hours at the sites that count, and the
/// site the slots are held at.
struct Row<'c> {
    /// Index in the calendar's mediators.
    mediator: usize,
    /// Index in the calendar's sites: where the slots are held, with a free room of the mode's
    /// kind there.
    site: usize,
    /// The weekly hours that count.
    hours: &'c [SiteHours],
    /// The site whose EXTRA hours count; `None`: EXTRA hours anywhere.
    extra_at: Option<&'c str>,
}

/// An offered slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub span: Interval,
    pub mediator_ids: Vec<String>,
    pub site_id: String,
    pub room_id: Option<String>,
    /// The site's time zone.
    pub zone: Tz,
}

/// The room kind a mode needs.
pub fn room_kind(mode: Mode) -> Result<RoomKind> {
    match mode {
        Mode::InPerson => Ok(RoomKind::Mediation),
        Mode::Video => Ok(RoomKind::Video),
        Mode::HomeVisit => {
            Err(Fault::invalid("mode", "home visits are requested through DispatchService.RequestHomeVisit").into())
        }
    }
}

/// The mediators a case of `grade` may be offered: those who may take it alone, or for a MAJOR
/// case anyone, as long as one of a pair may lead.
fn kinds_for(grade: Grade) -> &'static [MediatorKind] {
    use MediatorKind::*;
    match grade {
        Grade::Ordinary => &[StationMediator, PoliceLiaison],
        Grade::Difficult => &[ThinkTankExpert],
        Grade::Major => &[ThinkTankExpert, PartnerMediator, StationMediator, PoliceLiaison],
    }
}

pub fn search_availability(
    conn: &mut DbConnection,
    viewer: &Viewer,
    settings: &AppointmentSettings,
    calendar: &Calendar,
    held: Option<&HeldTimes>,
    query: &AvailabilityQuery,
    now: DateTime<Utc>,
) -> Result<Vec<Offer>> {
    let case = schedulable_case_without_parties(conn, viewer, &query.case_id)?;
    let room_kind = room_kind(query.mode)?;
    let Some(window) = slots::window(query.from, query.to, now, &settings.slots) else { return Ok(vec![]) };

    let kinds = kinds_for(case.grade);
    let offered = |m: &CalendarMediator| {
        kinds.contains(&m.kind) && query.specialty_code.as_ref().is_none_or(|code| m.specialty_codes.contains(code))
    };
    let candidates = match &query.mediator_id {
        Some(id) => {
            let chosen = calendar.mediator(id).filter(|m| offered(&calendar.mediators[*m]));
            let Some(chosen) = chosen else {
                return Err(Fault::invalid(
                    "mediator_id",
                    "is not an active mediator this case's grade may be offered",
                )
                .into());
            };
            chosen..chosen + 1
        }
        None => 0..calendar.mediators.len(),
    };
    let candidates = candidates.filter(|m| offered(&calendar.mediators[*m]));
    // VIDEO at a station or kiosk pairs its VIDEO rooms with mediators working anywhere; any
    // other search keeps to the mediators working at the site.
    let named_site = query.site_id.as_deref().map(|id| calendar.site(id));
    let remote_site = named_site
        .flatten()
        .filter(|site| query.mode == Mode::Video && video::hosts_remote_video(calendar.sites[*site].kind));
    let rows: Vec<Row> = match (remote_site, named_site) {
        (Some(site), _) => candidates
            .map(|mediator| Row {
                mediator,
                site,
                hours: &calendar.hours[calendar.mediators[mediator].hours.clone()],
                extra_at: None,
            })
            .collect(),
        // A site nobody knows has nobody working there.
        (None, Some(None)) => return Ok(vec![]),
        (None, named) => {
            let site_filter = match named {
                Some(site) => site,
                None if case.grade == Grade::Ordinary => match calendar.site(&case.site_id) {
                    Some(site) => Some(site),
                    None => return Ok(vec![]),
                },
                None => None,
            };
            // Most mediators work at one site.
            let mut rows = Vec::with_capacity(candidates.size_hint().1.unwrap_or_default());
            for mediator in candidates {
                let range = calendar.mediators[mediator].hours.clone();
                for (index, hours) in calendar.hours[range.clone()].iter().enumerate() {
                    if site_filter.is_none_or(|only| only == hours.site) {
                        let at = range.start + index;
                        rows.push(Row {
                            mediator,
                            site: hours.site,
                            hours: &calendar.hours[at..at + 1],
                            extra_at: Some(calendar.sites[hours.site].id.as_str()),
                        });
                    }
                }
            }
            rows
        }
    };
    // Each site's fitting rooms, found for the sites the rows name.
    let mut rooms: Vec<Option<Vec<&CalendarRoom>>> = vec![None; calendar.sites.len()];
    for row in &rows {
        rooms[row.site].get_or_insert_with(|| {
            calendar.sites[row.site]
                .rooms
                .iter()
                .filter(|room| {
                    room.kind == room_kind
                        && (room_kind != RoomKind::Mediation || room.capacity >= case.assessment.party_count)
                })
                .collect()
        });
    }
    let buffer = settings.slots.buffer;
    // Each row's leave and EXTRA hours, found once for every part.
    let blocked: Vec<(Vec<Interval>, Vec<Interval>)> = rows
        .iter()
        .map(|row| {
            let mine = &calendar.mediators[row.mediator].exceptions;
            let of = |wanted: ExceptionKind, site: Option<&str>| {
                mine.iter()
                    .filter(|e| e.kind == wanted && (site.is_none() || e.site_id.as_deref() == site))
                    .filter(|e| e.span.overlaps(&window))
                    .map(|e| e.span)
                    .collect::<Vec<_>>()
            };
            (of(ExceptionKind::Leave, None), of(ExceptionKind::Extra, row.extra_at))
        })
        .collect();
    // Every resource a slot may need, for reading holds from the database: the candidates with
    // rows and the fitting rooms.
    let wanted = || -> Vec<String> {
        let mediators: BTreeSet<usize> = rows.iter().map(|row| row.mediator).collect();
        mediators
            .into_iter()
            .map(|m| calendar.mediators[m].resource.clone())
            .chain(rooms.iter().flatten().flatten().map(|room| room.resource.clone()))
            .collect()
    };
    // Each row's free slots starting within `part`, as slot keys in (start, site, row) order
    // into `found`, with the holds they were checked against. Holds are read for the part
    // alone, so that a search costs what its answer needs, however many bookings lie further
    // ahead. Hours are taken from a day before, so slots keep to the grid of the hours' start
    // even when the notice or the part cuts into a working interval.
    let free_slots = |conn: &mut DbConnection, part: Interval, found: &mut Vec<SlotKey>| -> Result<Part> {
        // Slots starting within `part` may run on past it, up to the end of the window.
        let reach = Interval::new(part.start, (part.end + query.duration).min(window.end))
            .expect("a part ends within the window, so reaching further keeps its end after its start");
        let held = match held {
            Some(held) => Part::Kept(held),
            None => {
                let around = reach.widened(buffer);
                Part::Read(HeldTimes::new(repo::holds(conn, &wanted(), around)?, around.start))
            }
        };
        let hours_reach = Interval::new(reach.start - Duration::days(1), reach.end).expect("starts a day earlier");
        // Slots are keyed by how long after the window's start they start.
        let (reach_after, part_after) = (reach.start - window.start, part.end - window.start);
        found.clear();
        let mut working = Vec::new();
        for (index, (row, (leave, extra))) in rows.iter().zip(&blocked).enumerate() {
            working.clear();
            for hours in row.hours {
                calendar.working(hours, hours_reach, &mut working);
            }
            if row.hours.len() > 1 || !extra.is_empty() {
                working.extend(extra);
                working = hours::merge(std::mem::take(&mut working));
            }
            let busy = held.times().overlapping(&calendar.mediators[row.mediator].resource, reach.widened(buffer));
            let free = if leave.is_empty() && busy.is_empty() {
                None
            } else {
                Some(slots::free_time(&working, leave, busy, buffer))
            };
            let free = free.as_deref().unwrap_or(&working);
            slots::slots(&working, free, query.duration, query.step, reach, |after_reach| {
                let after = reach_after + after_reach;
                if after < part_after {
                    found.push(SlotKey::new(after, row.site, index));
                }
            });
        }
        // Rows are in mediator order, so each (start, site)'s rows come out in mediator order.
        found.sort_unstable();
        Ok(held)
    };
    let free_room = |held: &HeldTimes, site: usize, span: &Interval| {
        let fitting = rooms[site].as_deref().unwrap_or_default();
        fitting.iter().find(|room| held.overlapping(&room.resource, span.widened(buffer)).is_empty())
    };

    // A month of a district's hours holds far more slots than one answer shows: look a day
    // ahead, then two, four and so on, and stop as soon as the answer is full. Within each
    // part, the rows free for the same (slot, site) make one offer or one each.
    let mut offers = Vec::new();
    // One list for every part's keys, so that a district's thousands are not allocated again;
    // sized for a first day of eight hours in half-hour steps a row.
    let mut found = Vec::with_capacity(16 * rows.len());
    let mut next_part = Interval::new(window.start, (window.start + Duration::days(1)).min(window.end)).ok();
    while let Some(part) = next_part
        && offers.len() < query.max_slots
    {
        let held = free_slots(conn, part, &mut found)?;
        for group in found.chunk_by(|a, b| a.same_slot(b)) {
            let span = group[0].span(&window, query.duration);
            let site = group[0].site();
            let Some(room) = free_room(held.times(), site, &span) else { continue };
            let site = &calendar.sites[site];
            let offer = |mediator_ids: Vec<String>| Offer {
                span,
                mediator_ids,
                site_id: site.id.clone(),
                room_id: Some(room.id.clone()),
                zone: site.zone,
            };
            let mediators = group.iter().map(|key| &calendar.mediators[rows[key.row()].mediator]);
            if case.grade == Grade::Major {
                let Some(lead) = mediators.clone().find(|m| may_lead(Grade::Major, m.kind)) else { continue };
                let Some(second) = mediators.clone().find(|m| m.id != lead.id) else { continue };
                offers.push(offer(vec![lead.id.clone(), second.id.clone()]));
            } else {
                offers.extend(mediators.map(|m| offer(vec![m.id.clone()])));
            }
            if offers.len() >= query.max_slots {
                break;
            }
        }
        next_part = Interval::new(part.end, (part.end + part.length() * 2).min(window.end)).ok();
    }
    offers.truncate(query.max_slots);
    Ok(offers)
}

/// A free slot of one row, packed into one integer so that sorting a part's slots compares
/// integers: from the high bits, the slot's start in microseconds after the window's start, the
/// site's index and the row's index. Every slot of a search has the search's duration, so the
/// start names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct SlotKey(u128);

impl SlotKey {
    fn new(after: Duration, site: usize, row: usize) -> Self {
        let after = u64::try_from(after.num_microseconds().expect("a slot starts within the window's few months"))
            .expect("a slot starts within the window");
        let site = u32::try_from(site).expect("fewer than four billion sites");
        let row = u32::try_from(row).expect("fewer than four billion rows");
        Self(u128::from(after) << 64 | u128::from(site) << 32 | u128::from(row))
    }

    fn same_slot(&self, other: &Self) -> bool {
        self.0 >> 32 == other.0 >> 32
    }

    fn span(&self, window: &Interval, duration: Duration) -> Interval {
        let start = window.start + Duration::microseconds((self.0 >> 64) as i64);
        Interval::new(start, start + duration).expect("a search's duration is positive")
    }

    fn site(&self) -> usize {
        (self.0 >> 32) as u32 as usize
    }

    fn row(&self) -> usize {
        self.0 as u32 as usize
    }
}

/// The holds a part of the window was checked against: every hold this process keeps, or the
/// part's own, read from the database.
enum Part<'h> {
    Kept(&'h HeldTimes),
    Read(HeldTimes),
}

impl Part<'_> {
    fn times(&self) -> &HeldTimes {
        match self {
            Part::Kept(held) => held,
            Part::Read(held) => held,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn only_one_mediator_over_a_day_at_most_is_searched_on_the_calling_thread() {
        let from = Utc.with_ymd_and_hms(2026, 12, 8, 16, 0, 0).unwrap();
        let query = |mediator: Option<&str>, days: i64| AvailabilityQuery {
            case_id: "case".into(),
            specialty_code: None,
            site_id: None,
            mediator_id: mediator.map(str::to_owned),
            mode: Mode::InPerson,
            from,
            to: from + Duration::days(days),
            duration: Duration::hours(1),
            step: Duration::hours(1),
            max_slots: 200,
        };
        assert!(query(Some("m"), 1).is_one_mediators_day());
        assert!(!query(Some("m"), 2).is_one_mediators_day(), "two days");
        assert!(!query(None, 1).is_one_mediators_day(), "a station's day");
        assert!(
            !(AvailabilityQuery { to: from + Duration::days(1) + Duration::seconds(1), ..query(Some("m"), 1) })
                .is_one_mediators_day()
        );
    }

    #[test]
    fn slot_keys_sort_by_start_then_site_then_row_and_give_each_back() {
        let start = Utc.with_ymd_and_hms(2026, 12, 8, 1, 0, 0).unwrap();
        let window = Interval::new(start, start + Duration::days(30)).unwrap();
        let later_site_2 = SlotKey::new(Duration::hours(1), 2, 0);
        let later_site_1 = SlotKey::new(Duration::hours(1), 1, 5);
        let sooner = SlotKey::new(Duration::minutes(30), 9, 9);
        let mut keys = vec![later_site_2, later_site_1, sooner];
        keys.sort_unstable();
        assert_eq!(keys, [sooner, later_site_1, later_site_2]);
        assert!(later_site_2.same_slot(&SlotKey::new(Duration::hours(1), 2, 7)));
        assert!(!later_site_2.same_slot(&later_site_1));
        let far_after = Duration::days(29) + Duration::microseconds(1);
        let far = SlotKey::new(far_after, 3, 4);
        let far_start = start + far_after;
        assert_eq!(
            far.span(&window, Duration::hours(1)),
            Interval::new(far_start, far_start + Duration::hours(1)).unwrap()
        );
        assert_eq!((far.site(), far.row()), (3, 4));
    }
}
