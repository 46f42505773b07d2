use chrono::{DateTime, NaiveDate, Utc};
use mediation_appointments::domain::access::Viewer;
use mediation_store::DbConnection;

use super::{DispatchSettings, crew_vans, crews, require_dispatcher, shift_of, station, visible_visit};
use crate::domain::travel::Point;
use crate::domain::{HomeVisit, Van, VisitStatus, access, crew_may_move, etas, local_day};
use crate::error::{Error, Result, state};
use crate::repo;

/// A crew (or a dispatcher) reports where the van is; the ETAs of its remaining visits on its
/// current (or next) shift are recomputed from there. Returns the van and those visits.
pub fn report_position(
    conn: &mut DbConnection,
    viewer: &Viewer,
    settings: &DispatchSettings,
    van_id: &str,
    at: Point,
    now: DateTime<Utc>,
) -> Result<(Van, Vec<HomeVisit>)> {
    let mut van = repo::van(conn, van_id)?.ok_or(Error::NotFound("van"))?;
    let depot = station(conn, &van.depot_site_id)?;
    let today = local_day(now, depot.zone);
    let day = repo::next_shift_day(conn, van_id, today)?.unwrap_or(today);
    let shift = shift_of(conn, van_id, day)?;
    if !crews(shift.as_ref(), viewer) && !access::is_dispatcher_of(viewer, &van.depot_site_id) {
        return Err(Error::Forbidden("only the van's crew today or its dispatchers report its position"));
    }
    repo::set_van_location(conn, van_id, at, now)?;
    van.location = Some(at);
    van.located_at = Some(now);
    let ahead: Vec<HomeVisit> = repo::visits_of_van(conn, van_id, day)?
        .into_iter()
        .filter(|v| matches!(v.status, VisitStatus::Planned | VisitStatus::EnRoute | VisitStatus::Arrived))
        .collect();
    let times = etas(now, at, &ahead, settings.travel.as_ref());
    let mut updated = Vec::with_capacity(ahead.len());
    for (mut visit, eta) in ahead.into_iter().zip(times) {
        if visit.status != VisitStatus::Arrived && visit.eta != Some(eta) {
            visit.eta = Some(eta);
            repo::update_visit(conn, &visit, now)?;
        }
        updated.push(visit);
    }
    Ok((van, updated))
}

/// A crew moves its visit on: EN_ROUTE, ARRIVED, COMPLETED or FAILED. Returns the visit and
/// whether the caller sees its address.
pub fn update_status(
    conn: &mut DbConnection,
    viewer: &Viewer,
    visit_id: &str,
    to: VisitStatus,
    note: String,
    now: DateTime<Utc>,
) -> Result<(HomeVisit, bool)> {
    let (mut visit, _, full) = visible_visit(conn, viewer, visit_id)?;
    let vans = crew_vans(conn, viewer, visit.day)?;
    if !access::may_report(viewer, &visit, &vans) {
        return Err(Error::Forbidden("only the crew of the visit's van or its dispatchers report its status"));
    }
    if !crew_may_move(visit.status, to) {
        return Err(state(
            format!("VISIT_{}", visit.status.as_str()),
            format!("a {} visit cannot become {}", visit.status.as_str(), to.as_str()),
        ));
    }
    visit.status = to;
    if !note.is_empty() {
        visit.note = note;
    }
    if to == VisitStatus::Arrived {
        visit.eta = Some(now);
    }
    repo::update_visit(conn, &visit, now)?;
    repo::bump_day(conn, &visit.station_id, visit.day)?;
    Ok((visit, full))
}

/// What a resident's watch starts from: their visit and its van's last position. NOT_FOUND for
/// anyone else, so that the visit's existence stays private.
pub fn watch_visit(conn: &mut DbConnection, viewer: &Viewer, visit_id: &str) -> Result<(HomeVisit, Option<Point>)> {
    let visit = repo::visit(conn, visit_id)?.ok_or(Error::NotFound("home visit"))?;
    let case = mediation_appointments::repo::case(conn, &visit.case_id)?.ok_or(Error::NotFound("home visit"))?;
    if !viewer.is_applicant(&case) {
        return Err(Error::NotFound("home visit"));
    }
    let van_location = match &visit.van_id {
        Some(van_id) => repo::van(conn, van_id)?.and_then(|v| v.location),
        None => None,
    };
    Ok((visit, van_location))
}

/// What a dispatcher's board starts from: the date's visits.
pub fn board(conn: &mut DbConnection, viewer: &Viewer, station_id: &str, day: NaiveDate) -> Result<Vec<HomeVisit>> {
    require_dispatcher(viewer, station_id)?;
    station(conn, station_id)?;
    Ok(repo::visits_of_day(conn, station_id, day)?)
}
