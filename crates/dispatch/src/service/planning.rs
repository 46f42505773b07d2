use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use mediation_appointments::domain::access::Viewer;
use mediation_store::DbConnection;

use super::{DispatchSettings, require_dispatcher, shift_of, station};
use crate::domain::planner::{self, Depot, Job, Limits, Lock, Problem, Vehicle, Window};
use crate::domain::travel::Point;
use crate::domain::{
    HomeVisit, LeftOut, PlanBody, PlannedRoute, PlannedStop, Shift, StoredPlan, Van, VanStatus, VisitStatus, day_start,
    etas, feasibility, svg,
};
use crate::error::{Error, Result, invalid, state};
use crate::repo;

/// What a plan is made from, read in one go.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub station_id: String,
    pub zone: chrono_tz::Tz,
    pub depot: Point,
    pub day: NaiveDate,
    pub version: i64,
    /// The date's visits still to route (REQUESTED, PLANNED, EN_ROUTE, ARRIVED).
    pub visits: Vec<HomeVisit>,
    /// Available vans with a shift that date, and each one's crew skills.
    pub vans: Vec<(Van, Shift, Vec<String>)>,
}

/// Reads the station's date for planning: dispatchers only.
pub fn snapshot(conn: &mut DbConnection, viewer: &Viewer, station_id: &str, day: NaiveDate) -> Result<Snapshot> {
    require_dispatcher(viewer, station_id)?;
    read_snapshot(conn, station_id, day)
}

/// The station's date for planning, without an access check: for re-plans the service makes
/// on its own after a change.
pub fn read_snapshot(conn: &mut DbConnection, station_id: &str, day: NaiveDate) -> Result<Snapshot> {
    let station = station(conn, station_id)?;
    let depot = station.location.ok_or_else(|| {
        state("STATION_HAS_NO_LOCATION", "the station needs a location before its vans can be planned")
    })?;
    let version = repo::day_version(conn, station_id, day)?;
    let visits = repo::visits_of_day(conn, station_id, day)?.into_iter().filter(|v| v.status.is_plannable()).collect();
    let vans: Vec<Van> = repo::list_vans(conn, Some(station_id), None, 10_000)?
        .into_iter()
        .filter(|v| v.status == VanStatus::Available)
        .collect();
    let ids: Vec<String> = vans.iter().map(|v| v.id.clone()).collect();
    let shifts = repo::shifts(conn, &ids, day)?;
    let mut with_shifts = Vec::new();
    for van in vans {
        let Some(shift) = shifts.iter().find(|s| s.van_id == van.id).cloned() else { continue };
        let mut skills = Vec::new();
        for mediator_id in &shift.crew_mediator_ids {
            if let Some(m) = mediation_directory::repo::mediator(conn, mediator_id)? {
                skills.extend(m.specialty_codes);
            }
        }
        skills.sort();
        skills.dedup();
        with_shifts.push((van, shift, skills));
    }
    Ok(Snapshot { station_id: station.id, zone: station.zone, depot, day, version, visits, vans: with_shifts })
}

/// Plans a snapshot (CPU-bound: call it on the blocking pool). Visits under way stay first on
/// their van; PLANNED ones stay on their van when it is still available.
pub fn solve(snapshot: &Snapshot, settings: &DispatchSettings, time_limit: Duration) -> Result<PlanBody> {
    let origin = day_start(snapshot.day, snapshot.zone);
    let secs = |t: DateTime<Utc>| (t - origin).num_milliseconds() as f64 / 1000.0;
    let at = |s: f64| origin + chrono::Duration::milliseconds((s * 1000.0).round() as i64);
    let vehicles: Vec<Vehicle> = snapshot
        .vans
        .iter()
        .map(|(van, shift, skills)| Vehicle {
            id: van.id.clone(),
            depot: 0,
            shift: Window::new(secs(shift.start), secs(shift.end)),
            capacity: settings.max_visits_per_van,
            skills: skills.clone(),
        })
        .collect();
    let van_index: HashMap<&str, usize> =
        snapshot.vans.iter().enumerate().map(|(i, (v, _, _))| (v.id.as_str(), i)).collect();
    let jobs: Vec<Job> = snapshot
        .visits
        .iter()
        .map(|v| {
            let keeps_van = v.status.is_under_way() || v.status == VisitStatus::Planned;
            let lock = v
                .van_id
                .as_deref()
                .and_then(|van| van_index.get(van))
                .filter(|_| keeps_van)
                .map(|&vehicle| Lock { vehicle, first: v.status.is_under_way() });
            Job {
                id: v.id.clone(),
                location: v.location,
                demand: 1,
                window: Window::new(secs(v.window_start), secs(v.latest_start()).max(secs(v.window_start))),
                service: v.duration_minutes as f64 * 60.0,
                skill: v.specialty_code.clone(),
                // A crew already on its way is never called back for another visit.
                priority: if v.status.is_under_way() {
                    planner::MAX_PRIORITY
                } else {
                    v.priority.clamp(0, planner::MAX_PRIORITY as i32) as u8
                },
                lock,
            }
        })
        .collect();
    let problem =
        Problem { depots: vec![Depot { id: snapshot.station_id.clone(), location: snapshot.depot }], vehicles, jobs };
    let matrix = settings.travel.matrix(&problem.points());
    let limits = Limits { max_seconds: time_limit.as_secs_f64(), max_generations: settings.max_generations };
    let solution = planner::plan_with_matrix(&problem, &matrix, limits).map_err(|e| Error::Planner(e.to_string()))?;
    let violations = feasibility::check(&problem, &matrix, &solution);
    if !violations.is_empty() {
        return Err(Error::Planner(format!("the planner proposed an infeasible plan: {violations:?}")));
    }
    let routes = solution
        .routes
        .iter()
        .map(|r| PlannedRoute {
            van_id: problem.vehicles[r.vehicle].id.clone(),
            depart_depot: at(r.departure),
            return_depot: at(r.arrival),
            distance_m: r.distance,
            stops: r
                .stops
                .iter()
                .map(|s| PlannedStop {
                    visit_id: problem.jobs[s.job].id.clone(),
                    arrival: at(s.arrival),
                    start: at(s.start),
                    departure: at(s.departure),
                })
                .collect(),
        })
        .collect();
    let unassigned = solution
        .unassigned
        .iter()
        .map(|u| LeftOut { visit_id: problem.jobs[u.job].id.clone(), reason: u.reason.as_str().to_owned() })
        .collect();
    Ok(PlanBody {
        routes,
        unassigned,
        total_distance_m: solution.total_distance,
        total_travel_secs: solution.total_duration,
    })
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
    let plan = repo::plan(conn, id)?.ok_or(Error::NotFound("plan"))?;
    if !crate::domain::access::is_dispatcher_of(viewer, &plan.station_id) {
        return Err(Error::NotFound("plan"));
    }
    Ok(plan)
}

/// Applies a plan if its date has not changed since: routed visits become PLANNED with their
/// van, position and ETA; PLANNED visits it left out go back to REQUESTED. Returns the plan and
/// the visits that changed.
pub fn commit_plan(
    conn: &mut DbConnection,
    viewer: &Viewer,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(StoredPlan, Vec<HomeVisit>)> {
    let mut plan = get_plan(conn, viewer, id)?;
    if plan.committed {
        return Err(state("PLAN_COMMITTED", "the plan is already committed"));
    }
    if !repo::advance_day(conn, &plan.station_id, plan.day, plan.version)? {
        return Err(state(
            "PLAN_STALE",
            "a visit, van or shift of that date changed since the plan was proposed; propose again",
        ));
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
            changed.push(visit);
        }
    }
    repo::mark_committed(conn, &plan.id, now)?;
    plan.committed = true;
    Ok((plan, changed))
}

/// A dispatcher's override: the visit goes on the van at `position` of its route that day, and
/// the route's ETAs are recomputed from the shift's start at the depot.
pub fn assign_visit(
    conn: &mut DbConnection,
    viewer: &Viewer,
    settings: &DispatchSettings,
    visit_id: &str,
    van_id: &str,
    position: usize,
    now: DateTime<Utc>,
) -> Result<Vec<HomeVisit>> {
    let mut visit = repo::visit(conn, visit_id)?.ok_or(Error::NotFound("home visit"))?;
    if !crate::domain::access::is_dispatcher_of(viewer, &visit.station_id) {
        return Err(Error::NotFound("home visit"));
    }
    if !matches!(visit.status, VisitStatus::Requested | VisitStatus::Planned) {
        return Err(state(
            format!("VISIT_{}", visit.status.as_str()),
            "only a requested or planned visit can be assigned",
        ));
    }
    let van = repo::van(conn, van_id)?.ok_or_else(|| invalid("van_id", "names no van"))?;
    if van.depot_site_id != visit.station_id {
        return Err(invalid("van_id", "is not a van of the visit's station"));
    }
    if van.status != VanStatus::Available {
        return Err(state("VAN_OUT_OF_SERVICE", "the van is out of service"));
    }
    let shift =
        shift_of(conn, van_id, visit.day)?.ok_or_else(|| state("VAN_HAS_NO_SHIFT", "the van has no shift that day"))?;
    let depot = station(conn, &visit.station_id)?
        .location
        .ok_or_else(|| state("STATION_HAS_NO_LOCATION", "the station needs a location"))?;
    let mut route: Vec<HomeVisit> = repo::visits_of_van(conn, van_id, visit.day)?
        .into_iter()
        .filter(|v| {
            v.id != visit.id && matches!(v.status, VisitStatus::Planned | VisitStatus::EnRoute | VisitStatus::Arrived)
        })
        .collect();
    visit.status = VisitStatus::Planned;
    visit.van_id = Some(van_id.to_owned());
    route.insert(position.min(route.len()), visit.clone());
    let times = etas(shift.start, depot, &route, settings.travel.as_ref());
    let mut changed = Vec::new();
    for (i, (mut v, eta)) in route.into_iter().zip(times).enumerate() {
        v.position = Some(i as i32);
        v.eta = Some(eta);
        repo::update_visit(conn, &v, now)?;
        changed.push(v);
    }
    repo::bump_day(conn, &visit.station_id, visit.day)?;
    Ok(changed)
}

/// The plan drawn as an SVG map.
pub fn draw(conn: &mut DbConnection, plan: &StoredPlan) -> Result<String> {
    let station = station(conn, &plan.station_id)?;
    let depot = station.location.unwrap_or(Point::lat_lng(0.0, 0.0));
    let places: HashMap<String, Point> =
        repo::visits_of_day(conn, &plan.station_id, plan.day)?.into_iter().map(|v| (v.id, v.location)).collect();
    Ok(svg::render(&plan.body, depot, &places, station.zone))
}
