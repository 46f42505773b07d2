//! What crews report from the road: where the van is (and the ETAs that follow), and how each
//! visit goes.

use chrono::{DateTime, Utc};
use mediation_api::Fault;
use mediation_appointments::domain::access::Viewer;
use mediation_audit::Actor;
use mediation_auth::Principal;
use mediation_store::DbConnection;

use super::{
    Core, DispatchSettings, ShownVisit, crew_vans, crews, disclose_in, shift_of, station, visible_visit, visit_state,
};
use crate::domain::travel::Point;
use crate::domain::{HomeVisit, Van, VisitStatus, access, crew_may_move, etas, local_day};
use crate::error::Result;
use crate::events::Event;
use crate::repo;

impl Core {
    /// [`report_position`], then tells watchers where the van is and when it is expected.
    /// The visits ahead are answered in full to the crew and dispatchers, each read audited.
    pub async fn report_position(
        &self,
        principal: Principal,
        actor: Actor,
        van_id: String,
        at: Point,
    ) -> Result<Vec<ShownVisit>> {
        let settings = self.settings.clone();
        let now = Utc::now();
        let (van, shown) = self
            .write(principal, move |conn, viewer| {
                let (van, visits) = report_position(conn, viewer, &settings, &van_id, at, now)?;
                let shown = visits
                    .into_iter()
                    .map(|visit| disclose_in(conn, &actor, viewer, visit, true, "ReportPosition"))
                    .collect::<Result<Vec<_>>>()?;
                Ok((van, shown))
            })
            .await?;
        self.bus.publish(Event::VanPosition { van_id: van.id, station_id: van.depot_site_id, location: at, at: now });
        self.publish_visits(shown.iter().map(|s| s.visit().clone()));
        Ok(shown)
    }

    /// [`update_status`], then tells watchers.
    pub async fn update_visit_status(
        &self,
        principal: Principal,
        actor: Actor,
        visit_id: String,
        to: VisitStatus,
        note: String,
    ) -> Result<ShownVisit> {
        let shown = self
            .write(principal, move |conn, viewer| {
                let (visit, full) = update_status(conn, viewer, &visit_id, to, note, Utc::now())?;
                disclose_in(conn, &actor, viewer, visit, full, "UpdateVisitStatus")
            })
            .await?;
        self.publish_visits([shown.visit().clone()]);
        Ok(shown)
    }
}

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
    let mut van = repo::van(conn, van_id)?.ok_or(Fault::NotFound("van"))?;
    let depot = station(conn, &van.depot_site_id)?;
    let today = local_day(now, depot.zone);
    let day = repo::next_shift_day(conn, van_id, today)?.unwrap_or(today);
    let shift = shift_of(conn, van_id, day)?;
    if !crews(shift.as_ref(), viewer) && !access::is_dispatcher_of(viewer, &van.depot_site_id) {
        return Err(Fault::Forbidden("only the van's crew today or its dispatchers report its position").into());
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
        return Err(Fault::Forbidden("only the crew of the visit's van or its dispatchers report its status").into());
    }
    if !crew_may_move(visit.status, to) {
        return Err(visit_state(
            visit.status,
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
