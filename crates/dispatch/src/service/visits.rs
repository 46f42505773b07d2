use chrono::{DateTime, Utc};
use mediation_appointments::domain::access::Viewer;
use mediation_auth::Role;
use mediation_store::DbConnection;

use super::{crew_vans, station, visible_visit};
use crate::domain::travel::Point;
use crate::domain::{self, HomeVisit, VisitReason, VisitStatus, access, local_day};
use crate::error::{Error, Result, invalid, state};
use crate::repo::{self, VisitFilter};

/// A home visit as requested.
#[derive(Debug, Clone)]
pub struct NewVisit {
    pub case_id: String,
    pub address: String,
    pub location: Point,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub duration_minutes: i32,
    pub reason: VisitReason,
    pub specialty_code: Option<String>,
    pub priority: i32,
}

/// Requests a visit for a case the viewer may schedule (its applicant, or staff working it).
pub fn request_visit(conn: &mut DbConnection, viewer: &Viewer, new: NewVisit, now: DateTime<Utc>) -> Result<HomeVisit> {
    let case = mediation_appointments::repo::case(conn, &new.case_id)?.ok_or(Error::NotFound("case"))?;
    if !viewer.can_see(&case, false) {
        return Err(Error::NotFound("case"));
    }
    if !viewer.may_schedule(&case) {
        return Err(Error::Forbidden("only the case's applicant or its staff may request a home visit"));
    }
    if new.priority > 0 && viewer.role() == Role::Resident {
        return Err(invalid("priority", "is set by staff"));
    }
    if new.window_start <= now {
        return Err(invalid("window_start", "must be in the future"));
    }
    let station = station(conn, &case.site_id)?;
    let day = local_day(new.window_start, station.zone);
    if local_day(new.window_end - chrono::Duration::seconds(1), station.zone) != day {
        return Err(invalid("window_end", "must be on the same local day as window_start"));
    }
    if new.window_end - new.window_start < chrono::Duration::minutes(new.duration_minutes as i64) {
        return Err(invalid("duration", "is longer than the window"));
    }
    let visit = HomeVisit {
        id: uuid::Uuid::now_v7().to_string(),
        case_id: case.id,
        station_id: station.id,
        day,
        address: new.address,
        location: new.location,
        window_start: new.window_start,
        window_end: new.window_end,
        duration_minutes: new.duration_minutes,
        reason: new.reason,
        specialty_code: new.specialty_code,
        priority: new.priority,
        status: VisitStatus::Requested,
        van_id: None,
        position: None,
        eta: None,
        note: String::new(),
        cancel_reason: String::new(),
        requested_by: viewer.principal.account_id.clone(),
    };
    repo::insert_visit(conn, &visit, now)?;
    repo::bump_day(conn, &visit.station_id, visit.day)?;
    Ok(visit)
}

/// Cancels a visit: its resident or its dispatchers, before the crew is at the door.
pub fn cancel_visit(
    conn: &mut DbConnection,
    viewer: &Viewer,
    id: &str,
    reason: String,
    now: DateTime<Utc>,
) -> Result<(HomeVisit, bool)> {
    let (mut visit, case, full) = visible_visit(conn, viewer, id)?;
    if !access::may_cancel(viewer, &case, &visit) {
        return Err(Error::Forbidden("only the resident or the station's dispatchers may cancel a visit"));
    }
    if !domain::may_cancel(visit.status) {
        return Err(state(
            format!("VISIT_{}", visit.status.as_str()),
            format!("a {} visit cannot be cancelled", visit.status.as_str()),
        ));
    }
    visit.status = VisitStatus::Cancelled;
    visit.cancel_reason = reason;
    visit.position = None;
    visit.eta = None;
    repo::update_visit(conn, &visit, now)?;
    repo::bump_day(conn, &visit.station_id, visit.day)?;
    Ok((visit, full))
}

/// The visit, with whether the viewer sees its address.
pub fn get_visit(conn: &mut DbConnection, viewer: &Viewer, id: &str) -> Result<(HomeVisit, bool)> {
    let (visit, _, full) = visible_visit(conn, viewer, id)?;
    Ok((visit, full))
}

/// Visits for the list: dispatchers see their station's (a station-bound one must name no other
/// station), residents their own cases', a crew its vans'. Each with whether its address shows.
pub fn list_visits(
    conn: &mut DbConnection,
    viewer: &Viewer,
    mut filter: VisitFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<(HomeVisit, bool)>> {
    let station = filter.station_ids.as_ref().and_then(|s| s.first().cloned());
    match viewer.role() {
        Role::Resident => {
            let cases = mediation_appointments::repo::list_cases(
                conn,
                &mediation_appointments::repo::CaseFilter {
                    applicant: Some(viewer.principal.account_id.clone()),
                    ..Default::default()
                },
                None,
                1000,
            )?;
            filter.case_ids = Some(cases.into_iter().map(|c| c.id).collect());
        }
        _ if station.as_deref().is_some_and(|s| access::is_dispatcher_of(viewer, s)) => {}
        _ if station.is_none() && access::is_dispatcher_of(viewer, "") => {}
        Role::Dispatcher | Role::StationAdmin | Role::CentreAdmin if station.is_none() => {
            filter.station_ids = Some(viewer.station.iter().cloned().collect());
        }
        Role::Mediator => {
            let day = filter.day.ok_or_else(|| invalid("filter.date", "is required for a crew"))?;
            let vans = crew_vans(conn, viewer, day)?;
            match &filter.van_id {
                Some(van) if !vans.contains(van) => return Ok(vec![]),
                Some(_) => {}
                None if vans.len() == 1 => filter.van_id = vans.first().cloned(),
                None => return Err(invalid("filter.van_id", "name the van you crew")),
            }
        }
        _ => return Err(Error::Forbidden("only dispatchers, crews and residents list home visits")),
    }
    let visits = repo::list_visits(conn, &filter, after, limit)?;
    let mut out = Vec::with_capacity(visits.len());
    for visit in visits {
        let Some(case) = mediation_appointments::repo::case(conn, &visit.case_id)? else { continue };
        let vans = crew_vans(conn, viewer, visit.day)?;
        if access::can_see(viewer, &case, &visit, &vans) {
            let full = access::sees_address(viewer, &case, &visit, &vans);
            out.push((visit, full));
        }
    }
    Ok(out)
}
