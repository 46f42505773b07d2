//! The dispatch flows. Each runs inside the caller's transaction (planning itself runs outside
//! one, on the blocking pool), reads what it needs, checks the caller, applies the rules and
//! writes through the repo. Every change of a visit, van or shift bumps the version of the
//! dates it touches, which is what makes a proposed plan stale.

mod live;
mod planning;
mod vans;
mod visits;

use std::sync::Arc;
use std::time::Duration;

pub use live::*;
pub use planning::*;
pub use vans::*;
pub use visits::*;

use mediation_appointments::domain::Case;
use mediation_appointments::domain::access::Viewer;
use mediation_store::DbConnection;

use crate::domain::access;
use crate::domain::travel::{Haversine, Point, TravelMatrix};
use crate::domain::{HomeVisit, Shift};
use crate::error::{Error, Result};
use crate::repo;

/// The service's settings.
#[derive(Debug, Clone)]
pub struct DispatchSettings {
    /// Travel estimates; haversine times a detour factor at an urban speed by default.
    pub travel: Arc<dyn TravelMatrix>,
    /// How many visits a van takes in a day at most.
    pub max_visits_per_van: i32,
    /// ProposePlan's time limit when the request names none, and the most it may ask for.
    pub default_time_limit: Duration,
    pub max_time_limit: Duration,
    /// The planner's generation cap (it also stops at the time limit).
    pub max_generations: usize,
    /// Events kept for the slowest watcher before it starts skipping.
    pub bus_capacity: usize,
    /// WatchVisit and WatchBoard streams one principal may hold open at once.
    pub max_streams_per_principal: usize,
}

impl Default for DispatchSettings {
    fn default() -> Self {
        Self {
            travel: Arc::new(Haversine::default()),
            max_visits_per_van: 16,
            default_time_limit: Duration::from_secs(5),
            max_time_limit: Duration::from_secs(60),
            max_generations: 3000,
            bus_capacity: 1024,
            max_streams_per_principal: 8,
        }
    }
}

/// The caller as the access rules see them (shared with the appointment service).
pub fn viewer(conn: &mut DbConnection, principal: mediation_auth::Principal) -> Result<Viewer> {
    Ok(mediation_appointments::service::viewer(conn, principal)?)
}

/// The station's time zone (default Asia/Shanghai) and location (the vans' depot).
pub struct Station {
    pub id: String,
    pub zone: chrono_tz::Tz,
    pub location: Option<Point>,
}

pub fn station(conn: &mut DbConnection, id: &str) -> Result<Station> {
    let site = mediation_directory::repo::site(conn, id)?.ok_or(Error::NotFound("station"))?;
    Ok(Station {
        zone: site.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai),
        location: site.location.map(|l| Point::lat_lng(l.latitude, l.longitude)),
        id: site.id,
    })
}

/// Vans the viewer crews on the visit's date (none unless the viewer is a mediator).
fn crew_vans(conn: &mut DbConnection, viewer: &Viewer, day: chrono::NaiveDate) -> Result<Vec<String>> {
    Ok(match &viewer.mediator_id {
        Some(mediator_id) => repo::crew_vans(conn, mediator_id, day)?,
        None => vec![],
    })
}

/// A visit and its case, if the viewer may know of it (NOT_FOUND otherwise), with whether the
/// viewer sees its address.
pub fn visible_visit(conn: &mut DbConnection, viewer: &Viewer, id: &str) -> Result<(HomeVisit, Case, bool)> {
    let visit = repo::visit(conn, id)?.ok_or(Error::NotFound("home visit"))?;
    let case = mediation_appointments::repo::case(conn, &visit.case_id)?.ok_or(Error::NotFound("home visit"))?;
    let vans = crew_vans(conn, viewer, visit.day)?;
    if !access::can_see(viewer, &case, &visit, &vans) {
        return Err(Error::NotFound("home visit"));
    }
    let full = access::sees_address(viewer, &case, &visit, &vans);
    if full && viewer.is_staff() {
        tracing::info!(target: "audit", account = %viewer.principal.account_id, visit = %visit.id, "home address read");
    }
    Ok((visit, case, full))
}

/// Whether the viewer crews the van on `day`.
fn crews(shift: Option<&Shift>, viewer: &Viewer) -> bool {
    match (shift, &viewer.mediator_id) {
        (Some(shift), Some(mediator_id)) => shift.crew_mediator_ids.contains(mediator_id),
        _ => false,
    }
}

fn require_dispatcher(viewer: &Viewer, station: &str) -> Result<()> {
    if access::is_dispatcher_of(viewer, station) {
        Ok(())
    } else {
        Err(Error::Forbidden("only the station's dispatchers may do that"))
    }
}
