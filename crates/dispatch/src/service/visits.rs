//! Home visits: a resident (or staff for them) requests one, cancels it, looks it up, lists them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use mediation_api::Fault;
use mediation_appointments::domain::access::Viewer;
use mediation_audit::Actor;
use mediation_auth::{Principal, Role};
use mediation_store::DbConnection;

use super::core::address_read;
use super::{Core, PageRequest, ShownVisit, crew_vans, disclose_in, station, visible_visit, visit_state};
use crate::domain::limits::{self, Refusal, ResidentLimits};
use crate::domain::travel::Point;
use crate::domain::{self, HomeVisit, VisitReason, VisitStatus, access, local_day};
use crate::error::{Error, Result};
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

impl Core {
    /// [`cancel_visit`], disclosed (a dispatcher's read of the address audited), then tells
    /// watchers and re-plans the visit's date.
    pub async fn cancel_visit(
        &self,
        principal: Principal,
        actor: Actor,
        id: String,
        reason: String,
    ) -> Result<ShownVisit> {
        let account = principal.account_id.clone();
        let shown = self
            .write(principal, move |conn, viewer| {
                let (visit, full) = cancel_visit(conn, viewer, &id, reason, Utc::now())?;
                disclose_in(conn, &actor, viewer, visit, full, "CancelHomeVisit")
            })
            .await?;
        let visit = shown.visit().clone();
        self.publish_visits([visit.clone()]);
        self.replan(visit.station_id, visit.day, account);
        Ok(shown)
    }

    /// [`get_visit`], recording a staff member's read of the address.
    pub async fn get_visit(&self, principal: Principal, actor: Actor, id: String) -> Result<ShownVisit> {
        let owed = self
            .read(principal, move |conn, viewer| {
                let (visit, full) = get_visit(conn, viewer, &id)?;
                let read = address_read(viewer, full, &visit.id, "GetHomeVisit");
                let zone = station(conn, &visit.station_id)?.zone;
                Ok(vec![(visit, full, read, zone)])
            })
            .await?;
        Ok(self.disclose(actor, owed).await?.pop().expect("one visit shown"))
    }

    /// A page of [`list_visits`] and the next page's token, recording a staff member's reads of
    /// the addresses on it.
    pub async fn list_visits(
        &self,
        principal: Principal,
        actor: Actor,
        filter: VisitFilter,
        page: PageRequest,
    ) -> Result<(Vec<ShownVisit>, String)> {
        let (owed, next_page_token) = self
            .read(principal, move |conn, viewer| {
                let items = list_visits(conn, viewer, filter, page.after.as_deref(), page.limit())?;
                let (items, next_page_token) = page.cut(items, |(visit, _)| &visit.id);
                let mut zones: HashMap<String, chrono_tz::Tz> = HashMap::new();
                let mut owed = Vec::with_capacity(items.len());
                for (visit, full) in items {
                    let zone = match zones.get(&visit.station_id) {
                        Some(zone) => *zone,
                        None => {
                            let zone = station(conn, &visit.station_id)?.zone;
                            zones.insert(visit.station_id.clone(), zone);
                            zone
                        }
                    };
                    let read = address_read(viewer, full, &visit.id, "ListHomeVisits");
                    owed.push((visit, full, read, zone));
                }
                Ok((owed, next_page_token))
            })
            .await?;
        Ok((self.disclose(actor, owed).await?, next_page_token))
    }
}

/// Requests a visit for a case the viewer may schedule (its applicant, or staff working it); a
/// resident within their `limits`.
pub fn request_visit(
    conn: &mut DbConnection,
    viewer: &Viewer,
    new: NewVisit,
    limits: ResidentLimits,
    now: DateTime<Utc>,
) -> Result<HomeVisit> {
    let case = mediation_appointments::repo::case(conn, &new.case_id)?.ok_or(Fault::NotFound("case"))?;
    if !viewer.can_see(&case, false) {
        return Err(Fault::NotFound("case").into());
    }
    if !viewer.may_schedule(&case) {
        return Err(Fault::Forbidden("only the case's applicant or its staff may request a home visit").into());
    }
    if viewer.role() == Role::Resident {
        within_limits(conn, &viewer.principal.account_id, limits, now)?;
    }
    if new.priority > 0 && viewer.role() == Role::Resident {
        return Err(Fault::invalid("priority", "is set by staff").into());
    }
    if new.window_start <= now {
        return Err(Fault::invalid("window_start", "must be in the future").into());
    }
    let station = station(conn, &case.site_id)?;
    let day = local_day(new.window_start, station.zone);
    if local_day(new.window_end - chrono::Duration::seconds(1), station.zone) != day {
        return Err(Fault::invalid("window_end", "must be on the same local day as window_start").into());
    }
    if new.window_end - new.window_start < chrono::Duration::minutes(new.duration_minutes as i64) {
        return Err(Fault::invalid("duration", "is longer than the window").into());
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
        outcome: None,
        appointment_id: None,
    };
    repo::insert_visit(conn, &visit, now)?;
    repo::bump_day(conn, &visit.station_id, visit.day)?;
    Ok(visit)
}

/// Refuses a resident's request beyond their limits: FAILED_PRECONDITION
/// (`TOO_MANY_OPEN_VISITS`) with too many visits not over, RESOURCE_EXHAUSTED (`RATE_LIMITED`)
/// with too many requests in the last hour. The resident's requests are serialised until the
/// transaction ends, so that two at once cannot both pass.
fn within_limits(conn: &mut DbConnection, account: &str, limits: ResidentLimits, now: DateTime<Utc>) -> Result<()> {
    if limits.max_open_visits == 0 && limits.requests_per_hour == 0 {
        return Ok(());
    }
    repo::lock_requester(conn, account)?;
    let requested = repo::requested_by(conn, account, now - limits::request_window())?;
    match limits::check(limits, requested, now) {
        Ok(()) => Ok(()),
        Err(Refusal::TooManyOpen { max }) => Err(Fault::state(
            "TOO_MANY_OPEN_VISITS",
            format!("you have {max} home visits requested and not over; cancel one or wait until one is done"),
        )
        .into()),
        Err(Refusal::TooFrequent { retry_after }) => Err(Error::RateLimited {
            message: format!(
                "you requested {} home visits in the last hour; try again later",
                limits.requests_per_hour
            ),
            retry_after,
        }),
    }
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
        return Err(Fault::Forbidden("only the resident or the station's dispatchers may cancel a visit").into());
    }
    if !domain::may_cancel(visit.status) {
        return Err(visit_state(visit.status, format!("a {} visit cannot be cancelled", visit.status.as_str())));
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
            let day = filter.day.ok_or_else(|| Fault::invalid("filter.date", "is required for a crew"))?;
            let vans = crew_vans(conn, viewer, day)?;
            match &filter.van_id {
                Some(van) if !vans.contains(van) => return Ok(vec![]),
                Some(_) => {}
                None if vans.len() == 1 => filter.van_id = vans.first().cloned(),
                None => return Err(Fault::invalid("filter.van_id", "name the van you crew").into()),
            }
        }
        _ => return Err(Fault::Forbidden("only dispatchers, crews and residents list home visits").into()),
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
