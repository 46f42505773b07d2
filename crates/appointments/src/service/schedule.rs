use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use mediation_directory::domain::{MediatorKind, Mode, RoomKind, manages};
use mediation_store::DbConnection;

use super::{AppointmentSettings, visible_case};
use crate::domain::access::Viewer;
use crate::domain::hours::{self, Hours, Interval};
use crate::domain::slots::{self, availability};
use crate::domain::{ExceptionKind, Grade, may_lead, resources};
use crate::error::{Error, Result, invalid};
use crate::repo;

/// A site's time zone; sites are validated on write, so a bad name is a stored-data bug.
pub fn site_zone(conn: &mut DbConnection, site_id: &str) -> Result<Tz> {
    let site = mediation_directory::repo::site(conn, site_id)?.ok_or_else(|| invalid("site_id", "no such site"))?;
    Ok(Tz::from_str(&site.time_zone).unwrap_or(chrono_tz::Asia::Shanghai))
}

/// A mediator keeps their own hours; admins keep the hours at the sites they administer.
fn may_keep_hours(conn: &mut DbConnection, viewer: &Viewer, mediator_id: &str, site_id: &str) -> Result<()> {
    mediation_directory::repo::mediator(conn, mediator_id)?.ok_or(Error::NotFound("mediator"))?;
    let site = mediation_directory::repo::site(conn, site_id)?.ok_or_else(|| invalid("site_id", "no such site"))?;
    if viewer.mediator_id.as_deref() == Some(mediator_id) || manages(&viewer.principal, &site) {
        Ok(())
    } else {
        Err(Error::Forbidden("only the mediator or an admin of the site keeps these hours"))
    }
}

/// Replaces the mediator's weekly rules at the site; returns the site's zone.
pub fn set_working_hours(
    conn: &mut DbConnection,
    viewer: &Viewer,
    mediator_id: &str,
    site_id: &str,
    hours: &Hours,
) -> Result<Tz> {
    may_keep_hours(conn, viewer, mediator_id, site_id)?;
    repo::replace_hours(conn, mediator_id, site_id, hours)?;
    site_zone(conn, site_id)
}

pub fn add_exception(
    conn: &mut DbConnection,
    viewer: &Viewer,
    mediator_id: &str,
    site_id: Option<&str>,
    kind: ExceptionKind,
    span: Interval,
) -> Result<String> {
    match site_id {
        Some(site_id) => may_keep_hours(conn, viewer, mediator_id, site_id)?,
        None if viewer.mediator_id.as_deref() == Some(mediator_id) => {}
        None => {
            let mediator =
                mediation_directory::repo::mediator(conn, mediator_id)?.ok_or(Error::NotFound("mediator"))?;
            may_keep_hours(conn, viewer, mediator_id, &mediator.home_site_id)?;
        }
    }
    let id = uuid::Uuid::now_v7().to_string();
    repo::insert_exception(conn, &id, mediator_id, site_id, kind, span)?;
    Ok(id)
}

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

/// An offered slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub span: Interval,
    pub mediator_ids: Vec<String>,
    pub site_id: String,
    pub room_id: Option<String>,
}

/// The room kind a mode needs.
pub fn room_kind(mode: Mode) -> Result<RoomKind> {
    match mode {
        Mode::InPerson => Ok(RoomKind::Mediation),
        Mode::Video => Ok(RoomKind::Video),
        Mode::HomeVisit => Err(invalid("mode", "home visits are requested through DispatchService.RequestHomeVisit")),
    }
}

fn kinds_for(grade: Grade) -> &'static [&'static str] {
    match grade {
        Grade::Ordinary => &["STATION_MEDIATOR", "POLICE_LIAISON"],
        Grade::Difficult => &["THINK_TANK_EXPERT"],
        Grade::Major => &["THINK_TANK_EXPERT", "PARTNER_MEDIATOR", "STATION_MEDIATOR", "POLICE_LIAISON"],
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
        return Err(Error::Forbidden("only the applicant or the case's staff book its sessions"));
    }
    let room_kind = room_kind(query.mode)?;
    let Some(window) = slots::window(query.from, query.to, now, &settings.slots) else { return Ok(vec![]) };

    let mut candidates: Vec<(String, MediatorKind)> =
        mediation_directory::repo::active_mediators(conn, kinds_for(case.grade), query.specialty_code.as_deref())?
            .into_iter()
            .map(|(id, kind)| (id, kind.parse().expect("stored mediator kind is valid")))
            .collect();
    if let Some(only) = &query.mediator_id {
        candidates.retain(|(id, _)| id == only);
        if candidates.is_empty() {
            return Err(invalid("mediator_id", "is not an active mediator this case's grade may be offered"));
        }
    }
    let kind_of: HashMap<String, MediatorKind> = candidates.iter().cloned().collect();
    let ids: Vec<String> = candidates.into_iter().map(|(id, _)| id).collect();
    let site_filter = query.site_id.clone().or_else(|| (case.grade == Grade::Ordinary).then(|| case.site_id.clone()));
    let site_filter = site_filter.map(|s| vec![s]);
    let all_hours = repo::hours(conn, Some(&ids), site_filter.as_deref())?;

    let mut zones: HashMap<String, Tz> = HashMap::new();
    let mut rooms: HashMap<String, Vec<String>> = HashMap::new();
    for (_, site_id, _) in &all_hours {
        if !zones.contains_key(site_id) {
            zones.insert(site_id.clone(), site_zone(conn, site_id)?);
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
    let mut exceptions_by: HashMap<&str, Vec<(Option<&str>, ExceptionKind, Interval)>> = HashMap::new();
    for (mediator_id, site_id, kind, span) in &exceptions {
        exceptions_by.entry(mediator_id.as_str()).or_default().push((site_id.as_deref(), *kind, *span));
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
    let blocked: Vec<(&[Interval], Vec<Interval>, Vec<Interval>)> = all_hours
        .iter()
        .map(|(mediator_id, site_id, _)| {
            let busy = held_by.get(format!("mediator:{mediator_id}").as_str()).map(Vec::as_slice).unwrap_or_default();
            let mine = exceptions_by.get(mediator_id.as_str()).map(Vec::as_slice).unwrap_or_default();
            let of = |wanted: ExceptionKind, site: Option<&str>| {
                mine.iter()
                    .filter(|(s, kind, _)| *kind == wanted && (site.is_none() || *s == site))
                    .map(|(.., span)| *span)
                    .collect::<Vec<_>>()
            };
            (busy, of(ExceptionKind::Leave, None), of(ExceptionKind::Extra, Some(site_id.as_str())))
        })
        .collect();
    let free_slots = |part: Interval| -> Vec<Vec<Interval>> {
        let reach = Interval::new(part.start, (part.end + query.duration).min(window.end));
        let hours_reach = Interval::new(reach.start - Duration::days(1), reach.end);
        let mut lists = Vec::with_capacity(all_hours.len());
        for ((_, site_id, hours), (busy, leave, extra)) in all_hours.iter().zip(&blocked) {
            let weekly = hours::expand(hours, zones[site_id], hours_reach);
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
    let mut part = Interval::new(window.start, (window.start + Duration::days(1)).min(window.end));
    while offers.len() < query.max_slots && part.start < window.end {
        let lists = free_slots(part);
        let mut next: BinaryHeap<Reverse<(Interval, &str, usize)>> = BinaryHeap::new();
        let mut position = vec![0; lists.len()];
        for (row, list) in lists.iter().enumerate() {
            if let Some(span) = list.first() {
                next.push(Reverse((*span, all_hours[row].1.as_str(), row)));
            }
        }
        while let Some(Reverse((span, site_id, _))) = next.peek().copied() {
            let mut mediators = Vec::new();
            while let Some(Reverse((s, site, row))) = next.peek().copied()
                && (s, site) == (span, site_id)
            {
                next.pop();
                mediators.push(all_hours[row].0.clone());
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
                });
            } else {
                for mediator_id in mediators {
                    offers.push(Offer {
                        span,
                        mediator_ids: vec![mediator_id],
                        site_id: site_id.to_owned(),
                        room_id: Some(room_id.clone()),
                    });
                }
            }
            if offers.len() >= query.max_slots {
                break;
            }
        }
        let length = (part.end - part.start) * 2;
        part = Interval::new(part.end, (part.end + length).min(window.end));
    }
    offers.truncate(query.max_slots);
    Ok(offers)
}
