//! SearchAvailability: the free slots of the mediators a case may be offered, with a room.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use mediation_api::Fault;
use mediation_directory::domain::{MediatorKind, Mode, RoomKind};
use mediation_store::DbConnection;

use super::{AppointmentSettings, site_zone, visible_case};
use crate::domain::access::Viewer;
use crate::domain::hours::{self, Hours, Interval};
use crate::domain::slots::{self, availability};
use crate::domain::{ExceptionKind, Grade, ScheduleException, may_lead, resources};
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

/// One list of slots: a mediator's working hours at the sites that count, and where the slots
/// are held.
struct Row {
    mediator_id: String,
    /// Where the slots are held, with a free room of the mode's kind there.
    site_id: String,
    /// The weekly hours that count, each read in its site's time zone.
    hours: Vec<(Tz, Hours)>,
    /// The site whose EXTRA hours count; `None`: EXTRA hours anywhere.
    extra_at: Option<String>,
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
    query: &AvailabilityQuery,
    now: DateTime<Utc>,
) -> Result<Vec<Offer>> {
    let (case, _) = visible_case(conn, viewer, &query.case_id)?;
    if !viewer.may_schedule(&case) {
        return Err(Fault::Forbidden("only the applicant or the case's staff book its sessions").into());
    }
    let room_kind = room_kind(query.mode)?;
    let Some(window) = slots::window(query.from, query.to, now, &settings.slots) else { return Ok(vec![]) };

    let kinds: Vec<&str> = kinds_for(case.grade).iter().map(|k| k.as_str()).collect();
    let mut candidates: Vec<(String, MediatorKind)> =
        mediation_directory::repo::active_mediators(conn, &kinds, query.specialty_code.as_deref())?
            .into_iter()
            .map(|(id, kind)| (id, kind.parse().expect("stored mediator kind is valid")))
            .collect();
    if let Some(only) = &query.mediator_id {
        candidates.retain(|(id, _)| id == only);
        if candidates.is_empty() {
            return Err(
                Fault::invalid("mediator_id", "is not an active mediator this case's grade may be offered").into()
            );
        }
    }
    let kind_of: HashMap<String, MediatorKind> = candidates.iter().cloned().collect();
    let ids: Vec<String> = candidates.into_iter().map(|(id, _)| id).collect();
    // VIDEO at a station or kiosk pairs its VIDEO rooms with mediators working anywhere; any
    // other search keeps to the mediators working at the site.
    let remote_site = super::video::remote_video_site(conn, query.mode, query.site_id.as_deref())?;
    let site_filter = query.site_id.clone().or_else(|| (case.grade == Grade::Ordinary).then(|| case.site_id.clone()));
    let site_filter = site_filter.filter(|_| remote_site.is_none()).map(|s| vec![s]);
    let all_hours = repo::hours(conn, Some(&ids), site_filter.as_deref())?;

    let mut zones: HashMap<String, Tz> = HashMap::new();
    for (_, site_id, _) in &all_hours {
        if !zones.contains_key(site_id) {
            zones.insert(site_id.clone(), site_zone(conn, site_id)?);
        }
    }
    if let Some(site_id) = &remote_site
        && !zones.contains_key(site_id)
    {
        zones.insert(site_id.clone(), site_zone(conn, site_id)?);
    }
    let rows: Vec<Row> = match remote_site {
        Some(site_id) => ids
            .iter()
            .map(|id| Row {
                mediator_id: id.clone(),
                site_id: site_id.clone(),
                hours: all_hours.iter().filter(|(m, ..)| m == id).map(|(_, s, h)| (zones[s], h.clone())).collect(),
                extra_at: None,
            })
            .collect(),
        None => all_hours
            .into_iter()
            .map(|(mediator_id, site_id, h)| Row {
                hours: vec![(zones[&site_id], h)],
                extra_at: Some(site_id.clone()),
                site_id,
                mediator_id,
            })
            .collect(),
    };
    let mut rooms: HashMap<String, Vec<String>> = HashMap::new();
    for Row { site_id, .. } in &rows {
        if !rooms.contains_key(site_id) {
            let fitting = mediation_directory::repo::list_rooms(conn, site_id, None, 1000)?
                .into_iter()
                .filter(|r| {
                    r.kind == room_kind
                        && (room_kind != RoomKind::Mediation || r.capacity >= case.assessment.party_count)
                })
                .map(|r| r.id)
                .collect();
            rooms.insert(site_id.clone(), fitting);
        }
    }
    let exceptions = repo::exceptions(conn, &ids, window)?;
    let room_ids: Vec<String> = rooms.values().flatten().cloned().collect();
    let buffer = settings.slots.buffer;
    let held = repo::holds(conn, &resources(&ids, None), window.widened(buffer))?;
    let room_holds =
        repo::holds(conn, &room_ids.iter().map(|r| format!("room:{r}")).collect::<Vec<_>>(), window.widened(buffer))?;
    let mut held_by: HashMap<&str, Vec<Interval>> = HashMap::new();
    for (resource, span) in held.iter().chain(&room_holds) {
        held_by.entry(resource.as_str()).or_default().push(*span);
    }
    let mut exceptions_by: HashMap<&str, Vec<&ScheduleException>> = HashMap::new();
    for exception in &exceptions {
        exceptions_by.entry(exception.mediator_id.as_str()).or_default().push(exception);
    }

    let free_room = |site_id: &str, span: &Interval| {
        rooms[site_id]
            .iter()
            .find(|room| {
                let held = held_by.get(format!("room:{room}").as_str()).map(Vec::as_slice).unwrap_or_default();
                !held.iter().any(|held| held.overlaps(&span.widened(buffer)))
            })
            .cloned()
    };
    // Each (mediator, site)'s free slots starting within `part`, in time order. Hours are
    // expanded from a day before, so slots keep to the grid of the hours' start even when the
    // notice or the part cuts into a working interval.
    // Each row's bookings, leave and EXTRA hours, found once for every part.
    let blocked: Vec<(&[Interval], Vec<Interval>, Vec<Interval>)> = rows
        .iter()
        .map(|Row { mediator_id, extra_at, .. }| {
            let busy = held_by.get(format!("mediator:{mediator_id}").as_str()).map(Vec::as_slice).unwrap_or_default();
            let mine = exceptions_by.get(mediator_id.as_str()).map(Vec::as_slice).unwrap_or_default();
            let of = |wanted: ExceptionKind, site: Option<&str>| {
                mine.iter()
                    .filter(|e| e.kind == wanted && (site.is_none() || e.site_id.as_deref() == site))
                    .map(|e| e.span)
                    .collect::<Vec<_>>()
            };
            (busy, of(ExceptionKind::Leave, None), of(ExceptionKind::Extra, extra_at.as_deref()))
        })
        .collect();
    let free_slots = |part: Interval| -> Vec<Vec<Interval>> {
        // Slots starting within `part` may run on past it, up to the end of the window.
        let reach = Interval::new(part.start, (part.end + query.duration).min(window.end))
            .expect("a part ends within the window, so reaching further keeps its end after its start");
        let hours_reach = Interval::new(reach.start - Duration::days(1), reach.end).expect("starts a day earlier");
        let mut lists = Vec::with_capacity(rows.len());
        for (row, (busy, leave, extra)) in rows.iter().zip(&blocked) {
            let weekly = row.hours.iter().flat_map(|(zone, hours)| hours::expand(hours, *zone, hours_reach)).collect();
            let time = availability(weekly, extra.clone(), leave, busy, buffer);
            let mut list = slots::slots(&time, query.duration, query.step, reach);
            list.retain(|slot| slot.start < part.end);
            lists.push(list);
        }
        lists
    };

    // A month of a district's hours holds far more slots than one answer shows: look a day
    // ahead, then two, four and so on, and stop as soon as the answer is full. Within each
    // part, the lists merge in (span, site) order through a heap.
    let mut offers = Vec::new();
    let mut next_part = Interval::new(window.start, (window.start + Duration::days(1)).min(window.end)).ok();
    while let Some(part) = next_part
        && offers.len() < query.max_slots
    {
        let lists = free_slots(part);
        let mut next: BinaryHeap<Reverse<(Interval, &str, usize)>> = BinaryHeap::new();
        let mut position = vec![0; lists.len()];
        for (row, list) in lists.iter().enumerate() {
            if let Some(span) = list.first() {
                next.push(Reverse((*span, rows[row].site_id.as_str(), row)));
            }
        }
        while let Some(Reverse((span, site_id, _))) = next.peek().copied() {
            let mut mediators = Vec::new();
            while let Some(Reverse((s, site, row))) = next.peek().copied()
                && (s, site) == (span, site_id)
            {
                next.pop();
                mediators.push(rows[row].mediator_id.clone());
                position[row] += 1;
                if let Some(following) = lists[row].get(position[row]) {
                    next.push(Reverse((*following, site, row)));
                }
            }
            mediators.sort();
            let Some(room_id) = free_room(site_id, &span) else { continue };
            if case.grade == Grade::Major {
                let Some(lead) = mediators.iter().find(|m| may_lead(Grade::Major, kind_of[*m])) else { continue };
                let Some(second) = mediators.iter().find(|m| *m != lead) else { continue };
                offers.push(Offer {
                    span,
                    mediator_ids: vec![lead.clone(), second.clone()],
                    site_id: site_id.to_owned(),
                    room_id: Some(room_id),
                    zone: zones[site_id],
                });
            } else {
                for mediator_id in mediators {
                    offers.push(Offer {
                        span,
                        mediator_ids: vec![mediator_id],
                        site_id: site_id.to_owned(),
                        room_id: Some(room_id.clone()),
                        zone: zones[site_id],
                    });
                }
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
