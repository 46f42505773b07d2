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
use mediation_appointments::domain::hours::Interval;
use mediation_appointments::domain::{NoticeKind, Outcome};
use mediation_appointments::service::VisitSession;

use super::notices;
use crate::domain::travel::Point;
use crate::domain::{HomeVisit, Van, VisitStatus, access, crew_may_move, etas, local_day, travel_seconds};
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

/// What a crew reports of a visit: where it stands now, a note, and for COMPLETED the outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    /// EN_ROUTE, ARRIVED, COMPLETED or FAILED.
    pub to: VisitStatus,
    pub note: String,
    /// Required with COMPLETED, absent otherwise (the face checks both).
    pub outcome: Option<Outcome>,
}

/// A crew moves its visit on: EN_ROUTE (the resident gets the tracking link), ARRIVED,
/// COMPLETED (recorded as a session of the case, with its outcome) or FAILED (the resident is
/// told why and how to book again). Returns the visit and whether the caller sees its address.
pub fn update_status(
    conn: &mut DbConnection,
    viewer: &Viewer,
    settings: &DispatchSettings,
    visit_id: &str,
    change: StatusChange,
    now: DateTime<Utc>,
) -> Result<(HomeVisit, bool)> {
    let StatusChange { to, note, outcome } = change;
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
    match to {
        VisitStatus::EnRoute => send_tracking_link(conn, settings, &visit, now)?,
        VisitStatus::Completed => {
            let outcome = outcome.ok_or_else(|| Fault::invalid("outcome", "is required to complete a visit"))?;
            record_session(conn, viewer, settings, &mut visit, outcome, now)?;
        }
        VisitStatus::Failed => {
            let station = notices::station_name(conn, &visit.station_id)?;
            let text = crate::domain::notices::failed_text(&visit.note, &visit.address, &station);
            notices::to_resident(conn, &visit, NoticeKind::VisitFailed, text, now)?;
        }
        _ => {}
    }
    Ok((visit, full))
}

/// A new tracking token for the visit (only its hash is kept), sent to the resident in the
/// VISIT_EN_ROUTE notice as a link.
fn send_tracking_link(
    conn: &mut DbConnection,
    settings: &DispatchSettings,
    visit: &HomeVisit,
    now: DateTime<Utc>,
) -> Result<()> {
    let token = mediation_auth::random_secret();
    repo::set_tracking(conn, &visit.id, &mediation_auth::hash_secret(&token), now)?;
    let zone = station(conn, &visit.station_id)?.zone;
    let link = crate::domain::notices::tracking_link(&settings.tracking_base_url, &token);
    let text = crate::domain::notices::en_route_text(visit.eta, zone, &link);
    notices::to_resident(conn, visit, NoticeKind::VisitEnRoute, text, now)
}

/// Records the completed visit as a session of its case: the van's crew that day as its
/// mediators, from the arrival to now, with the driving to it from the depot or the stop
/// before; the case closes if nothing else of it is live.
fn record_session(
    conn: &mut DbConnection,
    viewer: &Viewer,
    settings: &DispatchSettings,
    visit: &mut HomeVisit,
    outcome: Outcome,
    now: DateTime<Utc>,
) -> Result<()> {
    let van_id = visit.van_id.clone().ok_or_else(|| Fault::state("VISIT_HAS_NO_VAN", "the visit is on no van"))?;
    let shift = shift_of(conn, &van_id, visit.day)?
        .ok_or_else(|| Fault::state("VAN_HAS_NO_SHIFT", "the van has no shift that day, so no crew"))?;
    let from = previous_place(conn, visit)?;
    let travel_seconds = travel_seconds(from, visit.location, settings.travel.as_ref());
    let arrived = visit.eta.filter(|t| *t < now).unwrap_or(now - visit.duration());
    let span = Interval::new(arrived, now).map_err(|_| Fault::invalid("status", "the visit ends before it starts"))?;
    // The visit is COMPLETED already, so only the case's other visits count here.
    let other_visits_live = repo::case_has_live_visit(conn, &visit.case_id)?;
    let session = mediation_appointments::service::record_visit_session(
        conn,
        VisitSession {
            visit_id: visit.id.clone(),
            case_id: visit.case_id.clone(),
            station_id: visit.station_id.clone(),
            crew: shift.crew_mediator_ids,
            span,
            outcome: outcome.clone(),
            travel_seconds,
            recorded_by: viewer.principal.account_id.clone(),
            other_visits_live,
        },
        now,
    )?;
    visit.outcome = Some(outcome);
    visit.appointment_id = Some(session.id);
    repo::update_visit(conn, visit, now)?;
    Ok(())
}

/// Where the van drove to the visit from: the stop before it on the van's route that day, or
/// the depot.
fn previous_place(conn: &mut DbConnection, visit: &HomeVisit) -> Result<Point> {
    let position = visit.position.unwrap_or(0);
    let before = match &visit.van_id {
        Some(van_id) => repo::visits_of_van(conn, van_id, visit.day)?
            .into_iter()
            .filter(|v| v.id != visit.id && v.status != VisitStatus::Cancelled)
            .filter(|v| v.position.is_some_and(|p| p < position))
            .max_by_key(|v| v.position)
            .map(|v| v.location),
        None => None,
    };
    match before {
        Some(place) => Ok(place),
        None => Ok(station(conn, &visit.station_id)?.location.unwrap_or(visit.location)),
    }
}
