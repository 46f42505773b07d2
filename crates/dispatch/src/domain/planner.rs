//! The route planner: a vehicle-routing problem with time windows in plain Rust types, solved
//! with `vrp-core` under a time and a generation cap.
//!
//! The solver is randomised, so two runs may give different routes; what holds every time is
//! checked by [`super::feasibility::check`]. Times are seconds (or plane time units) from an
//! origin the caller picks; distances are what the [`TravelMatrix`] returns.
//!
//! The goal, in lexicographic order: leave out as few visits as possible, weighted so that one
//! more urgent visit outweighs any number of less urgent ones; then use as few vehicles as
//! possible; then drive as little as possible.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use vrp_core::construction::features::{
    JobSkills, JobSkillsDimension, OrderResult, VehicleSkillsDimension, create_minimize_tours_feature,
    create_skills_feature, create_tour_order_hard_feature,
};
use vrp_core::models::common::TimeWindow;
use vrp_core::models::problem::{JobIdDimension, VehicleIdDimension};
use vrp_core::prelude::*;
use vrp_core::rosomaxa::evolution::TelemetryMode;
use vrp_core::utils::{Either, Parallelism, TimeQuota};

use super::travel::{Matrix, Point, TravelMatrix};

mod seeded_random;
use seeded_random::SeededRandom;

/// A half-open span of time `[start, end]`, in the problem's time unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Window {
    pub start: f64,
    pub end: f64,
}

impl Window {
    pub fn new(start: f64, end: f64) -> Self {
        Self { start, end }
    }

    fn is_valid(self) -> bool {
        self.start.is_finite() && self.end.is_finite() && self.start <= self.end
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Depot {
    pub id: String,
    pub location: Point,
}

/// A vehicle on a shift: it leaves its depot at or after `shift.start` and is back by `shift.end`.
#[derive(Debug, Clone, PartialEq)]
pub struct Vehicle {
    pub id: String,
    /// Index into [`Problem::depots`].
    pub depot: usize,
    pub shift: Window,
    pub capacity: i32,
    /// What the crew can do (speciality codes).
    pub skills: Vec<String>,
}

/// Keeps a job on one vehicle, and optionally as its first stop (a visit already under way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lock {
    /// Index into [`Problem::vehicles`].
    pub vehicle: usize,
    pub first: bool,
}

/// A place to serve: service must start within `window` and lasts `service`.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: String,
    pub location: Point,
    pub demand: i32,
    pub window: Window,
    pub service: f64,
    /// A skill the vehicle must have.
    pub skill: Option<String>,
    /// Higher is more urgent, `0..=MAX_PRIORITY`.
    pub priority: u8,
    pub lock: Option<Lock>,
}

pub const MAX_PRIORITY: u8 = 3;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Problem {
    pub depots: Vec<Depot>,
    pub vehicles: Vec<Vehicle>,
    pub jobs: Vec<Job>,
}

impl Problem {
    /// Every place, in matrix order: the depots, then the jobs.
    pub fn points(&self) -> Vec<Point> {
        self.depots.iter().map(|d| d.location).chain(self.jobs.iter().map(|j| j.location)).collect()
    }

    /// The matrix index of job `job`.
    pub fn job_point(&self, job: usize) -> usize {
        self.depots.len() + job
    }

    /// The matrix index of vehicle `vehicle`'s depot.
    pub fn depot_point(&self, vehicle: usize) -> usize {
        self.vehicles[vehicle].depot
    }

    fn validate(&self) -> Result<(), PlanError> {
        for (i, v) in self.vehicles.iter().enumerate() {
            if v.depot >= self.depots.len() {
                return Err(PlanError::Invalid(format!(
                    "vehicle {i} names depot {} of {}",
                    v.depot,
                    self.depots.len()
                )));
            }
            if !v.shift.is_valid() || v.capacity < 0 {
                return Err(PlanError::Invalid(format!("vehicle {i} has a bad shift or capacity")));
            }
        }
        for (i, j) in self.jobs.iter().enumerate() {
            if !j.window.is_valid() || !j.service.is_finite() || j.service < 0.0 || j.demand < 0 {
                return Err(PlanError::Invalid(format!("job {i} has a bad window, service time or demand")));
            }
            if j.priority > MAX_PRIORITY {
                return Err(PlanError::Invalid(format!("job {i} has priority above {MAX_PRIORITY}")));
            }
            if j.lock.is_some_and(|l| l.vehicle >= self.vehicles.len()) {
                return Err(PlanError::Invalid(format!("job {i} is locked to a vehicle that does not exist")));
            }
        }
        let points = self.points();
        if points.iter().any(|p| !p.x.is_finite() || !p.y.is_finite()) {
            return Err(PlanError::Invalid("a location is not a finite point".into()));
        }
        Ok(())
    }
}

/// When the search stops (whichever limit comes first), and where its randomness comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub max_seconds: f64,
    pub max_generations: usize,
    /// `None` draws fresh randomness and searches on every core. `Some(seed)` draws every random
    /// choice from `seed` and searches on one thread of its own, in a fixed order. That is as
    /// repeatable as vrp-core allows, not exactly: it also steers its search by how long things
    /// took (its operators' rewards, the time quota of its decomposition and swap-star steps),
    /// so two runs with one seed can still part ways.
    pub seed: Option<u64>,
}

impl Limits {
    pub fn new(max_seconds: f64, max_generations: usize) -> Self {
        Self { max_seconds, max_generations, seed: None }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new(5.0, 3000)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Stop {
    /// Index into [`Problem::jobs`].
    pub job: usize,
    /// When the vehicle gets there.
    pub arrival: f64,
    /// When service starts: the arrival, or the window's start after a wait.
    pub start: f64,
    /// When it leaves: `start + service`.
    pub departure: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Route {
    /// Index into [`Problem::vehicles`].
    pub vehicle: usize,
    /// When it leaves the depot.
    pub departure: f64,
    pub stops: Vec<Stop>,
    /// When it is back at the depot.
    pub arrival: f64,
    pub distance: f64,
}

/// Why a job was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Reason {
    /// There is no vehicle at all.
    NoVehicle,
    /// No vehicle (or not the locked one) has the skill it needs.
    SkillMissing,
    /// Its demand is larger than any vehicle's capacity.
    TooLarge,
    /// Even alone, no vehicle can reach it inside its window and be back within its shift.
    OutsideShifts,
    /// It fits alone, but the day is full: more urgent or better-placed jobs took the time.
    NoRoom,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NoVehicle => "NO_VEHICLE",
            Reason::SkillMissing => "SKILL_MISSING",
            Reason::TooLarge => "TOO_LARGE",
            Reason::OutsideShifts => "OUTSIDE_SHIFTS",
            Reason::NoRoom => "NO_ROOM",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Unassigned {
    pub job: usize,
    pub reason: Reason,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Solution {
    pub routes: Vec<Route>,
    pub unassigned: Vec<Unassigned>,
    pub total_distance: f64,
    /// Time on the road and at stops, depot to depot, summed over routes.
    pub total_duration: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("invalid problem: {0}")]
    Invalid(String),
    #[error("the solver failed: {0}")]
    Solver(String),
}

impl From<GenericError> for PlanError {
    fn from(err: GenericError) -> Self {
        PlanError::Solver(err.to_string())
    }
}

const CODE_TIME: i32 = 1;
const CODE_CAPACITY: i32 = 2;
const CODE_SKILL: i32 = 3;
const CODE_ORDER: i32 = 4;

/// The skill that stands for "this very vehicle", used to lock jobs to it.
fn vehicle_skill(vehicle: usize) -> String {
    format!("\u{0}vehicle:{vehicle}")
}

/// Plans `problem` with travel from `travel`, stopping at `limits`.
pub fn plan(problem: &Problem, travel: &dyn TravelMatrix, limits: Limits) -> Result<Solution, PlanError> {
    problem.validate()?;
    let matrix = travel.matrix(&problem.points());
    plan_with_matrix(problem, &matrix, limits)
}

/// Like [`plan`], with a matrix already computed over [`Problem::points`].
pub fn plan_with_matrix(problem: &Problem, matrix: &Matrix, limits: Limits) -> Result<Solution, PlanError> {
    problem.validate()?;
    if matrix.size() != problem.depots.len() + problem.jobs.len() {
        return Err(PlanError::Invalid("the matrix does not cover the problem's places".into()));
    }
    if problem.jobs.is_empty() || problem.vehicles.is_empty() {
        let unassigned =
            (0..problem.jobs.len()).map(|job| Unassigned { job, reason: reason_alone(problem, matrix, job) }).collect();
        return Ok(Solution { unassigned, ..Solution::default() });
    }

    let (distances, durations) = matrix.clone().into_parts();
    let transport: Arc<dyn TransportCost> = Arc::new(SimpleTransportCost::new(durations, distances)?);
    let goal = goal(problem, transport.clone())?;
    let silent: InfoLogger = Arc::new(|_: &str| {});

    let vrp = ProblemBuilder::default()
        .add_jobs(jobs(problem)?.into_iter())
        .add_vehicles(vehicles(problem)?.into_iter())
        .with_goal(goal)
        .with_transport_cost(transport)
        .with_logger(silent.clone())
        .build()?;
    let vrp = Arc::new(vrp);

    let solved = match limits.seed {
        None => search(vrp, Arc::new(DefaultRandom::default()), limits, silent)?,
        Some(seed) => {
            // rayon's parallel steps run on this pool's one thread, in a fixed order, and
            // vrp-core's shuffles draw from that thread's own repeatable generator.
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .map_err(|err| PlanError::Solver(err.to_string()))?;
            pool.install(|| {
                SeededRandom::skip_shared(seed);
                search(vrp, Arc::new(SeededRandom::new(seed)), limits, silent)
            })?
        }
    };
    Ok(convert(problem, matrix, &solved))
}

/// Runs vrp-core's search on `vrp` until `limits`.
fn search(
    vrp: Arc<vrp_core::models::Problem>,
    random: Arc<dyn Random>,
    limits: Limits,
    logger: InfoLogger,
) -> Result<vrp_core::models::Solution, PlanError> {
    let environment = Arc::new(Environment::new(
        random,
        Some(Arc::new(TimeQuota::new(limits.max_seconds.max(0.01)))),
        Parallelism::default(),
        logger,
        false,
    ));
    let config = VrpConfigBuilder::new(vrp.clone())
        .set_environment(environment)
        .set_telemetry_mode(TelemetryMode::None)
        .prebuild()?
        .with_max_generations(Some(limits.max_generations.max(1)))
        // The time limit is also vrp-core's termination, not only the quota that stops it:
        // vrp-core paces its search (exploration, then exploitation) by the share of its budget
        // used, and with only the generation cap it believed a 10 s search had barely begun.
        // Measured on a quiet machine: R101 -0.8 % and RC101 one vehicle fewer at 10 s.
        .with_max_time(Some((limits.max_seconds.ceil() as usize).max(1)))
        .build()?;
    Ok(Solver::new(vrp, config).solve()?)
}

fn jobs(problem: &Problem) -> Result<Vec<vrp_core::models::problem::Job>, PlanError> {
    let mut out = Vec::with_capacity(problem.jobs.len());
    for (i, job) in problem.jobs.iter().enumerate() {
        let mut skills: Vec<String> = job.skill.iter().cloned().collect();
        if let Some(lock) = job.lock {
            skills.push(vehicle_skill(lock.vehicle));
        }
        let built = SingleBuilder::default()
            .id(&i.to_string())
            .demand(Demand::delivery(job.demand))
            .location(problem.job_point(i))?
            .duration(job.service)?
            .times(vec![TimeWindow::new(job.window.start, job.window.end)])?
            .dimension(|d| {
                if !skills.is_empty() {
                    d.set_job_skills(JobSkills::new(Some(skills), None, None));
                }
            })
            .build_as_job()?;
        out.push(built);
    }
    Ok(out)
}

fn vehicles(problem: &Problem) -> Result<Vec<vrp_core::models::problem::Vehicle>, PlanError> {
    let mut out = Vec::with_capacity(problem.vehicles.len());
    for (i, v) in problem.vehicles.iter().enumerate() {
        let detail = VehicleDetailBuilder::default()
            .set_start_location(v.depot)
            .set_start_time(v.shift.start)
            .set_end_location(v.depot)
            .set_end_time(v.shift.end)
            .build()?;
        let skills: HashSet<String> = v.skills.iter().cloned().chain(std::iter::once(vehicle_skill(i))).collect();
        let built = VehicleBuilder::default()
            .id(&i.to_string())
            .add_detail(detail)
            .capacity(SingleDimLoad::new(v.capacity))
            .dimension(|d| {
                d.set_vehicle_skills(skills);
            })
            .build()?;
        out.push(built);
    }
    Ok(out)
}

fn goal(problem: &Problem, transport: Arc<dyn TransportCost>) -> Result<GoalContext, PlanError> {
    // One unassigned job of priority p weighs more than all jobs of lower priorities together.
    let base = (problem.jobs.len() + 1) as Float;
    let weights: HashMap<String, Float> =
        problem.jobs.iter().enumerate().map(|(i, j)| (i.to_string(), base.powi(j.priority as i32))).collect();
    let first: HashSet<String> = problem
        .jobs
        .iter()
        .enumerate()
        .filter(|(_, j)| j.lock.is_some_and(|l| l.first))
        .map(|(i, _)| i.to_string())
        .collect();

    let mut features = vec![
        MinimizeUnassignedBuilder::new("min-unassigned")
            .set_job_estimator(move |_, job| {
                job.dimens().get_job_id().and_then(|id| weights.get(id)).copied().unwrap_or(1.0)
            })
            .build()?,
        create_minimize_tours_feature("min-tours")?,
        TransportFeatureBuilder::new("min-distance")
            .set_transport_cost(transport)
            .set_time_constrained(true)
            .set_violation_code(ViolationCode(CODE_TIME))
            .build_minimize_distance()?,
        CapacityFeatureBuilder::<SingleDimLoad>::new("capacity")
            .set_violation_code(ViolationCode(CODE_CAPACITY))
            .build()?,
        create_skills_feature("skills", ViolationCode(CODE_SKILL))?,
    ];
    if !first.is_empty() {
        let order = Arc::new(move |single: &vrp_core::models::problem::Single| match single.dimens.get_job_id() {
            Some(id) if first.contains(id) => OrderResult::Value(0.0),
            _ => OrderResult::Value(1.0),
        });
        features.push(create_tour_order_hard_feature("first-stops", ViolationCode(CODE_ORDER), Either::Left(order))?);
    }
    Ok(GoalContextBuilder::with_features(&features)?.build()?)
}

fn convert(problem: &Problem, matrix: &Matrix, solved: &vrp_core::models::Solution) -> Solution {
    let mut routes = Vec::new();
    for route in &solved.routes {
        let Some(vehicle) = route.actor.vehicle.dimens.get_vehicle_id().and_then(|id| id.parse::<usize>().ok()) else {
            continue;
        };
        let mut stops = Vec::new();
        for activity in route.tour.all_activities() {
            let Some(job) =
                activity.job.as_ref().and_then(|s| s.dimens.get_job_id()).and_then(|id| id.parse::<usize>().ok())
            else {
                continue;
            };
            let arrival = activity.schedule.arrival;
            let start = arrival.max(problem.jobs[job].window.start);
            stops.push(Stop { job, arrival, start, departure: start + problem.jobs[job].service });
        }
        if stops.is_empty() {
            continue;
        }
        routes.push(timed_route(problem, matrix, vehicle, stops));
    }
    routes.sort_by_key(|r| r.vehicle);
    let assigned: HashSet<usize> = routes.iter().flat_map(|r| r.stops.iter().map(|s| s.job)).collect();
    let unassigned: Vec<Unassigned> = (0..problem.jobs.len())
        .filter(|j| !assigned.contains(j))
        .map(|job| Unassigned { job, reason: reason_alone(problem, matrix, job) })
        .collect();
    let total_distance = routes.iter().map(|r| r.distance).sum();
    let total_duration = routes.iter().map(|r| r.arrival - r.departure).sum();
    Solution { routes, unassigned, total_distance, total_duration }
}

/// Re-times a route in visiting order: leave the depot as late as the first stop allows (so that
/// the crew does not wait at a door), then as early as possible at every later stop.
fn timed_route(problem: &Problem, matrix: &Matrix, vehicle: usize, order: Vec<Stop>) -> Route {
    let v = &problem.vehicles[vehicle];
    let depot = problem.depot_point(vehicle);
    let first = problem.job_point(order[0].job);
    let first_job = &problem.jobs[order[0].job];
    let earliest_arrival = v.shift.start + matrix.duration(depot, first);
    let departure = v.shift.start.max(first_job.window.start.max(earliest_arrival) - matrix.duration(depot, first));

    let (mut at, mut time, mut distance) = (depot, departure, 0.0);
    let mut stops = Vec::with_capacity(order.len());
    for stop in order {
        let j = &problem.jobs[stop.job];
        let here = problem.job_point(stop.job);
        let arrival = time + matrix.duration(at, here);
        let start = arrival.max(j.window.start);
        distance += matrix.distance(at, here);
        time = start + j.service;
        at = here;
        stops.push(Stop { job: stop.job, arrival, start, departure: time });
    }
    distance += matrix.distance(at, depot);
    Route { vehicle, departure, stops, arrival: time + matrix.duration(at, depot), distance }
}

/// Why `job` could not be served, judged by whether any vehicle could serve it alone.
pub fn reason_alone(problem: &Problem, matrix: &Matrix, job: usize) -> Reason {
    let j = &problem.jobs[job];
    let candidates: Vec<usize> = match j.lock {
        Some(lock) => vec![lock.vehicle],
        None => (0..problem.vehicles.len()).collect(),
    };
    if candidates.is_empty() {
        return Reason::NoVehicle;
    }
    let skilled: Vec<usize> = candidates
        .into_iter()
        .filter(|&v| j.skill.as_ref().is_none_or(|s| problem.vehicles[v].skills.contains(s)))
        .collect();
    if skilled.is_empty() {
        return Reason::SkillMissing;
    }
    let roomy: Vec<usize> = skilled.into_iter().filter(|&v| problem.vehicles[v].capacity >= j.demand).collect();
    if roomy.is_empty() {
        return Reason::TooLarge;
    }
    let here = problem.job_point(job);
    let reachable = roomy.into_iter().any(|v| {
        let vehicle = &problem.vehicles[v];
        let depot = problem.depot_point(v);
        let start = (vehicle.shift.start + matrix.duration(depot, here)).max(j.window.start);
        start <= j.window.end + EPSILON
            && start + j.service + matrix.duration(here, depot) <= vehicle.shift.end + EPSILON
    });
    if reachable { Reason::NoRoom } else { Reason::OutsideShifts }
}

/// Slack for floating-point sums of travel times.
pub const EPSILON: f64 = 1e-6;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::feasibility::check;
    use crate::domain::travel::Haversine;

    const HOUR: f64 = 3600.0;
    /// 300 generations take well under a second here; the time limit is generous so that the
    /// generation cap, not a loaded machine, ends the search: these tests check plans, not speed.
    const FAST: Limits = Limits { max_seconds: 10.0, max_generations: 300, seed: None };

    /// A depot in Yinzhou, and `n` visits in a ring 1-4 km around it, each with a 3-hour window
    /// in the morning or the afternoon and a 45-minute visit.
    fn day(vans: usize, n: usize) -> Problem {
        let depot = Point::lat_lng(29.8173, 121.5469);
        let jobs = (0..n)
            .map(|i| {
                let angle = i as f64 * 2.4;
                let km = 1.0 + (i % 4) as f64;
                let start = if i % 2 == 0 { 8.0 * HOUR } else { 13.0 * HOUR };
                Job {
                    id: format!("visit-{i}"),
                    location: Point::lat_lng(depot.y + km / 111.0 * angle.sin(), depot.x + km / 96.0 * angle.cos()),
                    demand: 1,
                    window: Window::new(start, start + 3.0 * HOUR - 45.0 * 60.0),
                    service: 45.0 * 60.0,
                    skill: None,
                    priority: 0,
                    lock: None,
                }
            })
            .collect();
        Problem {
            depots: vec![Depot { id: "station".into(), location: depot }],
            vehicles: (0..vans)
                .map(|i| Vehicle {
                    id: format!("van-{i}"),
                    depot: 0,
                    shift: Window::new(8.0 * HOUR, 18.0 * HOUR),
                    capacity: 20,
                    skills: vec![],
                })
                .collect(),
            jobs,
        }
    }

    fn solve(p: &Problem) -> Solution {
        solve_within(p, FAST)
    }

    /// A plan within `limits`, checked feasible.
    fn solve_within(p: &Problem, limits: Limits) -> Solution {
        let travel = Haversine::default();
        let s = plan(p, &travel, limits).unwrap();
        let violations = check(p, &travel.matrix(&p.points()), &s);
        assert_eq!(violations, vec![], "{s:#?}");
        s
    }

    #[test]
    fn ten_visits_two_vans_are_all_served() {
        let s = solve(&day(2, 10));
        assert!(s.unassigned.is_empty(), "{:?}", s.unassigned);
        assert_eq!(s.routes.iter().map(|r| r.stops.len()).sum::<usize>(), 10);
        assert!(s.routes.len() <= 2);
        assert!(s.total_distance > 0.0 && s.total_duration > 0.0);
    }

    #[test]
    fn the_least_urgent_are_left_out_when_not_all_fit() {
        let mut p = day(1, 6);
        p.vehicles[0].capacity = 3;
        for (i, job) in p.jobs.iter_mut().enumerate() {
            job.priority = if i < 3 { 0 } else { 2 };
        }
        let s = solve(&p);
        let mut left: Vec<usize> = s.unassigned.iter().map(|u| u.job).collect();
        left.sort();
        assert_eq!(left, vec![0, 1, 2]);
        assert!(s.unassigned.iter().all(|u| u.reason == Reason::NoRoom));
    }

    #[test]
    fn skills_pick_the_vehicle_or_leave_the_job_out() {
        let mut p = day(2, 4);
        p.vehicles[1].skills = vec!["family".into()];
        p.jobs[0].skill = Some("family".into());
        p.jobs[1].skill = Some("medical".into());
        let s = solve(&p);
        let route_of = |job| s.routes.iter().find(|r| r.stops.iter().any(|st| st.job == job)).map(|r| r.vehicle);
        assert_eq!(route_of(0), Some(1));
        assert_eq!(s.unassigned, vec![Unassigned { job: 1, reason: Reason::SkillMissing }]);
    }

    #[test]
    fn locked_jobs_stay_on_their_vehicle_and_first_ones_lead() {
        let mut p = day(3, 8);
        p.jobs[2].lock = Some(Lock { vehicle: 2, first: false });
        p.jobs[5].lock = Some(Lock { vehicle: 1, first: true });
        // A visit that must come first fits only once the search has moved the others aside:
        // within 300 generations it was left out in about one run in ten on a loaded machine.
        let s = solve_within(&p, Limits { max_generations: 3000, ..FAST });
        assert!(s.unassigned.is_empty(), "{:?}", s.unassigned);
        let route_of = |job| s.routes.iter().find(|r| r.stops.iter().any(|st| st.job == job)).unwrap();
        assert_eq!(route_of(2).vehicle, 2);
        assert_eq!(route_of(5).vehicle, 1);
        assert_eq!(route_of(5).stops[0].job, 5);
    }

    #[test]
    fn unreachable_jobs_say_why() {
        let mut p = day(1, 3);
        p.jobs[0].window = Window::new(19.0 * HOUR, 20.0 * HOUR);
        p.jobs[1].demand = 50;
        let s = solve(&p);
        let mut reasons: Vec<(usize, Reason)> = s.unassigned.iter().map(|u| (u.job, u.reason)).collect();
        reasons.sort_by_key(|r| r.0);
        assert_eq!(reasons, vec![(0, Reason::OutsideShifts), (1, Reason::TooLarge)]);
    }

    #[test]
    fn nothing_to_plan_or_nobody_to_plan_with() {
        let s = solve(&day(2, 0));
        assert!(s.routes.is_empty() && s.unassigned.is_empty());
        let s = solve(&day(0, 3));
        assert!(s.routes.is_empty());
        assert!(s.unassigned.iter().all(|u| u.reason == Reason::NoVehicle) && s.unassigned.len() == 3);
    }

    #[test]
    fn a_seeded_plan_is_feasible_too() {
        let s = solve_within(&day(2, 10), Limits { seed: Some(42), ..FAST });
        assert!(s.unassigned.is_empty(), "{:?}", s.unassigned);
    }

    #[test]
    fn bad_problems_are_refused() {
        let mut p = day(1, 2);
        p.jobs[0].window = Window::new(10.0, 5.0);
        assert!(matches!(plan(&p, &Haversine::default(), FAST), Err(PlanError::Invalid(_))));
        let mut p = day(1, 2);
        p.vehicles[0].depot = 3;
        assert!(matches!(plan(&p, &Haversine::default(), FAST), Err(PlanError::Invalid(_))));
    }
}
