//! What a plan is made from (a snapshot of the station's date) and how it is found: the
//! snapshot as a routing problem for the planner, its solution checked and turned into a plan.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use mediation_api::Fault;
use mediation_appointments::domain::access::Viewer;
use mediation_store::DbConnection;

use super::{DispatchSettings, require_dispatcher, station};
use crate::domain::planner::{self, Depot, Job, Limits, Lock, Problem, Vehicle, Window};
use crate::domain::travel::Point;
use crate::domain::{
    HomeVisit, LeftOut, PlanBody, PlannedRoute, PlannedStop, Shift, Van, VanStatus, VisitStatus, day_start, feasibility,
};
use crate::error::{Error, Result};
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
        Fault::state("STATION_HAS_NO_LOCATION", "the station needs a location before its vans can be planned")
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
    let limits = Limits::new(time_limit.as_secs_f64(), settings.max_generations);
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
        .map(|u| LeftOut { visit_id: problem.jobs[u.job].id.clone(), reason: u.reason })
        .collect();
    Ok(PlanBody {
        routes,
        unassigned,
        total_distance_m: solution.total_distance,
        total_travel_secs: solution.total_duration,
    })
}
