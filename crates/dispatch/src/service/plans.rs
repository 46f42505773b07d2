//! Plans: proposed for a station's date, looked at, committed if the date has not changed
//! since; and a dispatcher's override of one visit.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use mediation_api::Fault;
use mediation_appointments::domain::access::Viewer;
use mediation_audit::{Action, Actor, Event as AuditEvent, TargetKind};

use super::ShownVisit;
use mediation_auth::Principal;
use mediation_store::{DbConnection, run_blocking};

use super::{Core, DispatchSettings, Snapshot, shift_of, snapshot, solve, station, visit_state};
use crate::domain::travel::Point;
use crate::domain::{HomeVisit, PlanBody, StoredPlan, VanStatus, VisitStatus, access, etas, notices, svg};
use crate::error::Result;
use crate::events::Event;
use crate::repo;
use mediation_appointments::domain::NoticeKind;

/// A plan with its SVG drawing and its station's time zone.
pub type DrawnPlan = (StoredPlan, String, chrono_tz::Tz);

impl Core {
    /// Plans the station's date within the time limit `asked` for (the default when none) and
    /// stores the proposal.
    pub async fn propose_plan(
        &self,
        principal: Principal,
        station_id: String,
        day: NaiveDate,
        asked: Option<Duration>,
    ) -> Result<DrawnPlan> {
        let limit = self.settings.time_limit(asked);
        let snapshot =
            self.read(principal.clone(), move |conn, viewer| snapshot(conn, viewer, &station_id, day)).await?;
        let (settings, planned) = (self.settings.clone(), snapshot.clone());
        let body = run_blocking(move || solve(&planned, &settings, limit)).await?;
        self.write(principal, move |conn, viewer| {
            let plan = store_plan(conn, &viewer.principal.account_id, &snapshot, body)?;
            let (svg, zone) = draw(conn, &plan)?;
            Ok((plan, svg, zone))
        })
        .await
    }

    /// [`commit_plan`], audited; then tells watchers of the visits it moved and the board.
    pub async fn commit_plan(&self, principal: Principal, actor: Actor, id: String) -> Result<DrawnPlan> {
        let settings = self.settings.clone();
        let (plan, changed, svg, zone) = self
            .write(principal, move |conn, viewer| {
                let now = Utc::now();
                let (plan, changed) = commit_plan(conn, viewer, &settings, &id, now)?;
                let detail = format!("station {} on {}: {} visits changed", plan.station_id, plan.day, changed.len());
                let event = AuditEvent::new(Action::PlanCommitted, TargetKind::Plan, &plan.id, detail);
                mediation_audit::repo::append(conn, &actor, event, now)?;
                let (svg, zone) = draw(conn, &plan)?;
                Ok((plan, changed, svg, zone))
            })
            .await?;
        self.publish_visits(changed);
        self.bus.publish(Event::PlanCommitted {
            station_id: plan.station_id.clone(),
            day: plan.day,
            plan_id: plan.id.clone(),
        });
        Ok((plan, svg, zone))
    }

    pub async fn get_plan(&self, principal: Principal, id: String) -> Result<DrawnPlan> {
        self.read(principal, move |conn, viewer| {
            let plan = get_plan(conn, viewer, &id)?;
            let (svg, zone) = draw(conn, &plan)?;
            Ok((plan, svg, zone))
        })
        .await
    }

    /// [`assign_visit`], audited; then tells watchers of the route's visits. Returns the visit.
    pub async fn assign_visit(
        &self,
        principal: Principal,
        actor: Actor,
        visit_id: String,
        van_id: String,
        position: usize,
    ) -> Result<ShownVisit> {
        let settings = self.settings.clone();
        let (visit, route) = self
            .write(principal, move |conn, viewer| {
                let now = Utc::now();
                let assigned = assign_visit(conn, viewer, &settings, &visit_id, &van_id, position, now)?;
                let detail = format!("van {van_id} position {position}");
                let event = AuditEvent::new(Action::VisitAssigned, TargetKind::HomeVisit, &visit_id, detail);
                mediation_audit::repo::append(conn, &actor, event, now)?;
                let (visit, route) = assigned;
                Ok((super::disclose_in(conn, &actor, viewer, visit, true, "AssignVisit")?, route))
            })
            .await?;
        self.publish_visits(route);
        Ok(visit)
    }
}

/// Stores a proposed plan with the version it was made from; nothing else changes.
pub fn store_plan(
    conn: &mut DbConnection,
    created_by: &str,
    snapshot: &Snapshot,
    body: PlanBody,
) -> Result<StoredPlan> {
    let plan = StoredPlan {
        id: uuid::Uuid::now_v7().to_string(),
        station_id: snapshot.station_id.clone(),
        day: snapshot.day,
        version: snapshot.version,
        body,
        created_at: Utc::now(),
        committed: false,
    };
    repo::insert_plan(conn, &plan, created_by)?;
    Ok(plan)
}

/// The stored plan, for its station's dispatchers.
pub fn get_plan(conn: &mut DbConnection, viewer: &Viewer, id: &str) -> Result<StoredPlan> {
    let plan = repo::plan(conn, id)?.ok_or(Fault::NotFound("plan"))?;
    if !access::is_dispatcher_of(viewer, &plan.station_id) {
        return Err(Fault::NotFound("plan").into());
    }
    Ok(plan)
}

/// Applies a plan if its date has not changed since: routed visits become PLANNED with their
/// van, position and ETA; PLANNED visits it left out go back to REQUESTED. A resident whose
/// visit is newly planned, or planned at another time, gets a VISIT_PLANNED notice with the
/// planned arrival give or take the margin. Returns the plan and the visits that changed.
pub fn commit_plan(
    conn: &mut DbConnection,
    viewer: &Viewer,
    settings: &DispatchSettings,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(StoredPlan, Vec<HomeVisit>)> {
    let mut plan = get_plan(conn, viewer, id)?;
    if plan.committed {
        return Err(Fault::state("PLAN_COMMITTED", "the plan is already committed").with("plan_id", &plan.id).into());
    }
    if !repo::advance_day(conn, &plan.station_id, plan.day, plan.version)? {
        return Err(Fault::state(
            "PLAN_STALE",
            "a visit, van or shift of that date changed since the plan was proposed; propose again",
        )
        .into());
    }
    let mut placed: HashMap<&str, (&str, i32, DateTime<Utc>)> = HashMap::new();
    for route in &plan.body.routes {
        for (position, stop) in route.stops.iter().enumerate() {
            placed.insert(stop.visit_id.as_str(), (route.van_id.as_str(), position as i32, stop.start));
        }
    }
    let mut changed = Vec::new();
    for mut visit in repo::visits_of_day(conn, &plan.station_id, plan.day)? {
        let before = visit.clone();
        match placed.get(visit.id.as_str()) {
            Some(&(van, position, start)) if visit.status.is_plannable() => {
                if visit.status == VisitStatus::Requested {
                    visit.status = VisitStatus::Planned;
                }
                visit.van_id = Some(van.to_owned());
                visit.position = Some(position);
                visit.eta = Some(start);
            }
            None if visit.status == VisitStatus::Planned => {
                visit.status = VisitStatus::Requested;
                visit.van_id = None;
                visit.position = None;
                visit.eta = None;
            }
            _ => {}
        }
        if visit != before {
            repo::update_visit(conn, &visit, now)?;
            if visit.status == VisitStatus::Planned
                && let Some(eta) = visit.eta
                && before.eta != visit.eta
            {
                tell_planned(conn, settings, &visit, eta, now)?;
            }
            changed.push(visit);
        }
    }
    repo::mark_committed(conn, &plan.id, now)?;
    plan.committed = true;
    Ok((plan, changed))
}

/// VISIT_PLANNED to the visit's resident: the date and the arrival window around `eta`.
fn tell_planned(
    conn: &mut DbConnection,
    settings: &DispatchSettings,
    visit: &HomeVisit,
    eta: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    let window = notices::arrival_window(eta, (visit.window_start, visit.window_end), settings.arrival_margin);
    let zone = station(conn, &visit.station_id)?.zone;
    let name = super::notices::station_name(conn, &visit.station_id)?;
    let text = notices::planned_text(window, zone, &name);
    super::notices::to_resident(conn, visit, NoticeKind::VisitPlanned, text, now)
}

/// A dispatcher's override: the visit goes on the van at `position` of its route that day, and
/// the route's ETAs are recomputed from the shift's start at the depot. As a committed plan
/// does, it tells each resident whose PLANNED visit is newly planned or now due at another time
/// (VISIT_PLANNED). Returns the visit and the route's visits (itself among them), all changed.
pub fn assign_visit(
    conn: &mut DbConnection,
    viewer: &Viewer,
    settings: &DispatchSettings,
    visit_id: &str,
    van_id: &str,
    position: usize,
    now: DateTime<Utc>,
) -> Result<(HomeVisit, Vec<HomeVisit>)> {
    let mut visit = repo::visit(conn, visit_id)?.ok_or(Fault::NotFound("home visit"))?;
    if !access::is_dispatcher_of(viewer, &visit.station_id) {
        return Err(Fault::NotFound("home visit").into());
    }
    if !matches!(visit.status, VisitStatus::Requested | VisitStatus::Planned) {
        return Err(visit_state(visit.status, "only a requested or planned visit can be assigned"));
    }
    let van = repo::van(conn, van_id)?.ok_or_else(|| Fault::invalid("van_id", "names no van"))?;
    if van.depot_site_id != visit.station_id {
        return Err(Fault::invalid("van_id", "is not a van of the visit's station").into());
    }
    if van.status != VanStatus::Available {
        return Err(Fault::state("VAN_OUT_OF_SERVICE", "the van is out of service").into());
    }
    let shift = shift_of(conn, van_id, visit.day)?
        .ok_or_else(|| Fault::state("VAN_HAS_NO_SHIFT", "the van has no shift that day"))?;
    let depot = station(conn, &visit.station_id)?
        .location
        .ok_or_else(|| Fault::state("STATION_HAS_NO_LOCATION", "the station needs a location"))?;
    let mut route: Vec<HomeVisit> = repo::visits_of_van(conn, van_id, visit.day)?
        .into_iter()
        .filter(|v| {
            v.id != visit.id && matches!(v.status, VisitStatus::Planned | VisitStatus::EnRoute | VisitStatus::Arrived)
        })
        .collect();
    visit.status = VisitStatus::Planned;
    visit.van_id = Some(van_id.to_owned());
    let at = position.min(route.len());
    route.insert(at, visit.clone());
    let times = etas(shift.start, depot, &route, settings.travel.as_ref());
    let mut changed = Vec::new();
    for (i, (mut v, eta)) in route.into_iter().zip(times).enumerate() {
        let told = v.eta;
        v.position = Some(i as i32);
        v.eta = Some(eta);
        repo::update_visit(conn, &v, now)?;
        if v.status == VisitStatus::Planned && told != v.eta {
            tell_planned(conn, settings, &v, eta, now)?;
        }
        changed.push(v);
    }
    repo::bump_day(conn, &visit.station_id, visit.day)?;
    Ok((changed[at].clone(), changed))
}

/// The plan drawn as an SVG map, and its station's time zone.
pub fn draw(conn: &mut DbConnection, plan: &StoredPlan) -> Result<(String, chrono_tz::Tz)> {
    let station = station(conn, &plan.station_id)?;
    let depot = station.location.unwrap_or(Point::lat_lng(0.0, 0.0));
    let places: HashMap<String, Point> =
        repo::visits_of_day(conn, &plan.station_id, plan.day)?.into_iter().map(|v| (v.id, v.location)).collect();
    Ok((svg::render(&plan.body, depot, &places, station.zone), station.zone))
}
