//! SearchAvailability: the free slots of the mediators a case may be offered, with a room.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use mediation_api::Fault;
use mediation_directory::domain::{MediatorKind, Mode, RoomKind};
use mediation_store::DbConnection;

use super::{AppointmentSettings, Calendar, HeldTimes, visible_case};
use crate::domain::access::Viewer;
use crate::domain::hours::{self, Hours, Interval};
use crate::domain::slots::{self, availability};
use crate::domain::{ExceptionKind, Grade, may_lead, resources};
use crate::error::{Error, Result};
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

/// The holds found for a part of the window, by resource (`mediator:<id>`, `room:<id>`).
type HeldBy = HashMap<String, Vec<Interval>>;

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
    let (case, _) = visible_case(conn, viewer, &query.case_id)?;
    if !viewer.may_schedule(&case) {
        return Err(Fault::Forbidden("only the applicant or the case's staff book its sessions").into());
    }
    let room_kind = room_kind(query.mode)?;
    let Some(window) = slots::window(query.from, query.to, now, &settings.slots) else { return Ok(vec![]) };

    let kinds = kinds_for(case.grade);
    let only = query.mediator_id.as_deref();
    let kind_of: HashMap<&str, MediatorKind> = calendar
        .mediators
        .iter()
        .filter(|(id, m)| {
            kinds.contains(&m.kind)
                && only.is_none_or(|only| only == id.as_str())
                && query.specialty_code.as_ref().is_none_or(|code| m.specialty_codes.contains(code))
        })
        .map(|(id, m)| (id.as_str(), m.kind))
        .collect();
    if only.is_some() && kind_of.is_empty() {
        return Err(Fault::invalid("mediator_id", "is not an active mediator this case's grade may be offered").into());
    }
    // VIDEO at a station or kiosk pairs its VIDEO rooms with mediators working anywhere; any
    // other search keeps to the mediators working at the site.
    let remote_site = super::video::remote_video_site(conn, query.mode, query.site_id.as_deref())?;
    let site_filter = query.site_id.clone().or_else(|| (case.grade == Grade::Ordinary).then(|| case.site_id.clone()));
    let site_filter = site_filter.filter(|_| remote_site.is_none());
    let all_hours = calendar.hours.iter().filter(|(mediator_id, site_id, _)| {
        kind_of.contains_key(mediator_id.as_str()) && site_filter.as_ref().is_none_or(|only| only == site_id)
    });
    let zone = |site_id: &str| {
        calendar.zones.get(site_id).copied().ok_or_else(|| Error::from(Fault::invalid("site_id", "no such site")))
    };
    let rows: Vec<Row> = match &remote_site {
        Some(site_id) => {
            let mut hours_of: HashMap<&str, Vec<(Tz, Hours)>> = HashMap::new();
            for (mediator_id, s, h) in all_hours {
                hours_of.entry(mediator_id.as_str()).or_default().push((zone(s)?, h.clone()));
            }
            let mut ids: Vec<&str> = kind_of.keys().copied().collect();
            ids.sort();
            ids.into_iter()
                .map(|id| Row {
                    mediator_id: id.to_owned(),
                    site_id: site_id.clone(),
                    hours: hours_of.remove(id).unwrap_or_default(),
                    extra_at: None,
                })
                .collect()
        }
        None => {
            let mut rows = Vec::new();
            for (mediator_id, site_id, h) in all_hours {
                rows.push(Row {
                    hours: vec![(zone(site_id)?, h.clone())],
                    extra_at: Some(site_id.clone()),
                    site_id: site_id.clone(),
                    mediator_id: mediator_id.clone(),
                });
            }
            rows
        }
    };
    // Each site's fitting rooms, as (room id, its resource).
    let mut rooms: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for row in &rows {
        if rooms.contains_key(&row.site_id) {
            continue;
        }
        // Every site offered has a zone in the calendar, which the offers below rely on.
        zone(&row.site_id)?;
        let fitting = calendar.rooms.get(&row.site_id).map(Vec::as_slice).unwrap_or_default().iter().filter(|room| {
            room.kind == room_kind && (room_kind != RoomKind::Mediation || room.capacity >= case.assessment.party_count)
        });
        rooms.insert(row.site_id.clone(), fitting.map(|room| (room.id.clone(), format!("room:{}", room.id))).collect());
    }
    // Only the mediators with hours that count can be offered: theirs and their rooms' are the
    // only holds looked up.
    let ids: Vec<String> =
        rows.iter().map(|row| row.mediator_id.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let buffer = settings.slots.buffer;
    // Every resource a slot may need: the candidates and the fitting rooms.
    let wanted: Vec<String> = resources(&ids, None)
        .into_iter()
        .chain(rooms.values().flatten().map(|(_, resource)| resource.clone()))
        .collect();
    let mediator_resources: Vec<String> = rows.iter().map(|row| format!("mediator:{}", row.mediator_id)).collect();
    // The heap below orders slots by (span, site): sites by their rank in id order, so that
    // it compares integers.
    let site_ids: std::collections::BTreeSet<&str> = rows.iter().map(|row| row.site_id.as_str()).collect();
    let site_rank: HashMap<&str, usize> = site_ids.into_iter().enumerate().map(|(rank, id)| (id, rank)).collect();
    let row_site: Vec<usize> = rows.iter().map(|row| site_rank[row.site_id.as_str()]).collect();
    // Each row's leave and EXTRA hours, found once for every part.
    let blocked: Vec<(Vec<Interval>, Vec<Interval>)> = rows
        .iter()
        .map(|Row { mediator_id, extra_at, .. }| {
            let mine = calendar.exceptions.get(mediator_id).map(Vec::as_slice).unwrap_or_default();
            let of = |wanted: ExceptionKind, site: Option<&str>| {
                mine.iter()
                    .filter(|e| e.kind == wanted && (site.is_none() || e.site_id.as_deref() == site))
                    .filter(|e| e.span.overlaps(&window))
                    .map(|e| e.span)
                    .collect::<Vec<_>>()
            };
            (of(ExceptionKind::Leave, None), of(ExceptionKind::Extra, extra_at.as_deref()))
        })
        .collect();
    // Each (mediator, site)'s free slots starting within `part`, in time order, with the holds
    // they were checked against. Holds are read for the part alone, so that a search costs
    // what its answer needs, however many bookings lie further ahead. Hours are expanded from a
    // day before, so slots keep to the grid of the hours' start even when the notice or the
    // part cuts into a working interval.
    let free_slots = |conn: &mut DbConnection, part: Interval| -> Result<(Vec<Vec<Interval>>, HeldBy)> {
        // Slots starting within `part` may run on past it, up to the end of the window.
        let reach = Interval::new(part.start, (part.end + query.duration).min(window.end))
            .expect("a part ends within the window, so reaching further keeps its end after its start");
        let mut held_by = HeldBy::new();
        match held {
            Some(held) => {
                for resource in &wanted {
                    let spans = held.overlapping(resource, reach.widened(buffer));
                    if !spans.is_empty() {
                        held_by.insert(resource.clone(), spans.to_vec());
                    }
                }
            }
            None => {
                for (resource, span) in repo::holds(conn, &wanted, reach.widened(buffer))? {
                    held_by.entry(resource).or_default().push(span);
                }
            }
        }
        let hours_reach = Interval::new(reach.start - Duration::days(1), reach.end).expect("starts a day earlier");
        let mut lists = Vec::with_capacity(rows.len());
        for ((row, (leave, extra)), resource) in rows.iter().zip(&blocked).zip(&mediator_resources) {
            let busy = held_by.get(resource).map(Vec::as_slice).unwrap_or_default();
            let weekly = row.hours.iter().flat_map(|(zone, hours)| hours::expand(hours, *zone, hours_reach)).collect();
            let time = availability(weekly, extra.clone(), leave, busy, buffer);
            let mut list = slots::slots(&time, query.duration, query.step, reach);
            list.retain(|slot| slot.start < part.end);
            lists.push(list);
        }
        Ok((lists, held_by))
    };
    let free_room = |held_by: &HeldBy, site_id: &str, span: &Interval| {
        rooms[site_id]
            .iter()
            .find(|(_, resource)| {
                let held = held_by.get(resource).map(Vec::as_slice).unwrap_or_default();
                !held.iter().any(|held| held.overlaps(&span.widened(buffer)))
            })
            .map(|(room_id, _)| room_id.clone())
    };

    // A month of a district's hours holds far more slots than one answer shows: look a day
    // ahead, then two, four and so on, and stop as soon as the answer is full. Within each
    // part, the lists merge in (span, site) order through a heap.
    let mut offers = Vec::new();
    let mut next_part = Interval::new(window.start, (window.start + Duration::days(1)).min(window.end)).ok();
    while let Some(part) = next_part
        && offers.len() < query.max_slots
    {
        let (lists, held_by) = free_slots(conn, part)?;
        let mut next: BinaryHeap<Reverse<(Interval, usize, usize)>> = BinaryHeap::new();
        let mut position = vec![0; lists.len()];
        for (row, list) in lists.iter().enumerate() {
            if let Some(span) = list.first() {
                next.push(Reverse((*span, row_site[row], row)));
            }
        }
        while let Some(Reverse((span, site, first_row))) = next.peek().copied() {
            let site_id = rows[first_row].site_id.as_str();
            // The rows free for this span at this site, by index until offered.
            let mut free_rows = Vec::new();
            while let Some(Reverse((s, at, row))) = next.peek().copied()
                && (s, at) == (span, site)
            {
                next.pop();
                free_rows.push(row);
                position[row] += 1;
                if let Some(following) = lists[row].get(position[row]) {
                    next.push(Reverse((*following, at, row)));
                }
            }
            free_rows.sort_by(|a, b| rows[*a].mediator_id.cmp(&rows[*b].mediator_id));
            let mediators: Vec<&String> = free_rows.iter().map(|row| &rows[*row].mediator_id).collect();
            let Some(room_id) = free_room(&held_by, site_id, &span) else { continue };
            if case.grade == Grade::Major {
                let Some(lead) = mediators.iter().find(|m| may_lead(Grade::Major, kind_of[m.as_str()])) else {
                    continue;
                };
                let Some(second) = mediators.iter().find(|m| *m != lead) else { continue };
                offers.push(Offer {
                    span,
                    mediator_ids: vec![(*lead).clone(), (*second).clone()],
                    site_id: site_id.to_owned(),
                    room_id: Some(room_id),
                    zone: calendar.zones[site_id],
                });
            } else {
                for mediator_id in mediators {
                    offers.push(Offer {
                        span,
                        mediator_ids: vec![mediator_id.clone()],
                        site_id: site_id.to_owned(),
                        room_id: Some(room_id.clone()),
                        zone: calendar.zones[site_id],
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
