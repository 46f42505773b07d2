//! The dispatch flows. [`Core`] holds what every call runs against (the database, the settings,
//! the event bus, the watch-stream slots) and runs each call: the caller's view, one
//! transaction, the audit records owed, the events to publish, a re-plan in the background
//! after a change (`replan`, coalesced per station and date), the watch streams of plain
//! updates (`watch`), each ended when its caller's session ends (`session`).
//!
//! The transaction bodies are the plain functions of each module: each reads what it needs,
//! checks the caller, applies the rules and writes through the repo. Every change of a visit,
//! van or shift bumps the version of the dates it touches, which is what makes a proposed plan
//! stale. Planning itself runs outside a transaction, on the blocking pool.

mod core;
mod live;
mod notices;
mod planning;
mod plans;
mod replan;
mod session;
mod tracking;
mod vans;
mod visits;
mod watch;
mod windows;

use std::sync::Arc;
use std::time::Duration;

pub use self::core::{Core, PageRequest, ShownVisit, disclose_in};
pub use live::*;
pub use planning::*;
pub use plans::*;
pub use session::{Guarded, TokenLife};
pub use tracking::*;
pub use vans::*;
pub use visits::*;
pub use watch::{BoardUpdate, VisitUpdate};
pub use windows::*;

use mediation_api::Fault;
use mediation_appointments::domain::Case;
use mediation_appointments::domain::access::Viewer;
use mediation_store::DbConnection;

use crate::domain::access;
use crate::domain::limits::ResidentLimits;
use crate::domain::travel::{Haversine, Point, TravelMatrix};
use crate::domain::{HomeVisit, Shift, VisitStatus};
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
    /// How often an open WatchVisit or WatchBoard asks the database whether its caller's account
    /// was disabled; its token's expiry ends it without asking.
    pub stream_recheck: Duration,
    /// The least time between the starts of two background re-plans of one station's date
    /// (changes in between are planned together by the second).
    pub replan_min_interval: Duration,
    /// Background re-plans running at once in this process, over every station and date.
    pub replan_concurrency: usize,
    /// How many home visits a resident may have open and request in an hour.
    pub resident_limits: ResidentLimits,
    /// Where the tracking page is served: VISIT_EN_ROUTE's link is `<this>/track/<token>`.
    pub tracking_base_url: String,
    /// VISIT_PLANNED tells the resident the planned arrival give or take this much.
    pub arrival_margin: chrono::Duration,
    /// SuggestVisitWindows offers no window starting sooner than this from now.
    pub window_lead: chrono::Duration,
    /// How long after an offered window's start the crew may arrive (less where the route allows
    /// no more); offered windows start on the hour.
    pub window_arrival_span: chrono::Duration,
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
            stream_recheck: Duration::from_secs(5),
            replan_min_interval: Duration::from_secs(10),
            replan_concurrency: 1,
            resident_limits: ResidentLimits::default(),
            tracking_base_url: "https://mediation.example".into(),
            arrival_margin: chrono::Duration::minutes(30),
            window_lead: chrono::Duration::hours(1),
            window_arrival_span: chrono::Duration::hours(1),
        }
    }
}

impl DispatchSettings {
    /// The planner's time limit for a call that asked for `asked` (the default when it did not).
    pub fn time_limit(&self, asked: Option<Duration>) -> Duration {
        asked.map_or(self.default_time_limit, |asked| asked.min(self.max_time_limit))
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
    let site = mediation_directory::repo::site(conn, id)?.ok_or(Fault::NotFound("station"))?;
    Ok(Station {
        zone: site.zone().map_err(|err| mediation_store::Error::Unreadable(format!("site {}: {err}", site.id)))?,
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
    let visit = repo::visit(conn, id)?.ok_or(Fault::NotFound("home visit"))?;
    let case = mediation_appointments::repo::case(conn, &visit.case_id)?.ok_or(Fault::NotFound("home visit"))?;
    let vans = crew_vans(conn, viewer, visit.day)?;
    if !access::can_see(viewer, &case, &visit, &vans) {
        return Err(Fault::NotFound("home visit").into());
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
        Err(Fault::Forbidden("only the station's dispatchers may do that").into())
    }
}

/// A visit whose status does not allow the change; the reason names the status (`VISIT_ARRIVED`).
fn visit_state(status: VisitStatus, message: impl Into<String>) -> Error {
    Fault::state(format!("VISIT_{}", status.as_str()), message).into()
}
