//! What every plan must satisfy, checked from scratch: the planner's own bookkeeping is not
//! trusted. Used by the tests, by the `solve-vrptw` benchmark, and before a plan is stored.

use std::collections::HashSet;

use super::planner::{EPSILON, Problem, Solution};
use super::travel::Matrix;

/// One broken rule, naming where.
#[derive(Debug, Clone, PartialEq)]
pub enum Violation {
    UnknownVehicle {
        route: usize,
    },
    VehicleUsedTwice {
        vehicle: usize,
    },
    UnknownJob {
        job: usize,
    },
    JobServedTwice {
        job: usize,
    },
    /// Neither on a route nor listed as unassigned.
    JobMissing {
        job: usize,
    },
    EmptyRoute {
        vehicle: usize,
    },
    LeavesBeforeShift {
        vehicle: usize,
    },
    BackAfterShift {
        vehicle: usize,
    },
    /// Arrives sooner than driving from the previous place allows.
    TooFast {
        vehicle: usize,
        job: usize,
    },
    /// Starts before arriving, or leaves before the service is done.
    Overlap {
        vehicle: usize,
        job: usize,
    },
    OutsideWindow {
        job: usize,
    },
    OverCapacity {
        vehicle: usize,
    },
    SkillMissing {
        job: usize,
    },
    WrongVehicle {
        job: usize,
    },
    NotFirst {
        job: usize,
    },
    /// The totals do not add up.
    Totals,
}

/// Checks `solution` against `problem`, with travel from `matrix` (over [`Problem::points`]).
/// An empty answer means the plan is feasible.
pub fn check(problem: &Problem, matrix: &Matrix, solution: &Solution) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut vehicles = HashSet::new();
    let mut served = HashSet::new();
    let (mut total_distance, mut total_duration) = (0.0, 0.0);

    for (r, route) in solution.routes.iter().enumerate() {
        let Some(vehicle) = problem.vehicles.get(route.vehicle) else {
            out.push(Violation::UnknownVehicle { route: r });
            continue;
        };
        let v = route.vehicle;
        if !vehicles.insert(v) {
            out.push(Violation::VehicleUsedTwice { vehicle: v });
        }
        if route.stops.is_empty() {
            out.push(Violation::EmptyRoute { vehicle: v });
        }
        if route.departure < vehicle.shift.start - EPSILON {
            out.push(Violation::LeavesBeforeShift { vehicle: v });
        }
        let depot = problem.depot_point(v);
        let (mut at, mut time, mut load, mut distance) = (depot, route.departure, 0, 0.0);
        for (position, stop) in route.stops.iter().enumerate() {
            let Some(job) = problem.jobs.get(stop.job) else {
                out.push(Violation::UnknownJob { job: stop.job });
                continue;
            };
            if !served.insert(stop.job) {
                out.push(Violation::JobServedTwice { job: stop.job });
            }
            let here = problem.job_point(stop.job);
            if stop.arrival < time + matrix.duration(at, here) - EPSILON {
                out.push(Violation::TooFast { vehicle: v, job: stop.job });
            }
            if stop.start < stop.arrival - EPSILON || stop.departure < stop.start + job.service - EPSILON {
                out.push(Violation::Overlap { vehicle: v, job: stop.job });
            }
            if stop.start < job.window.start - EPSILON || stop.start > job.window.end + EPSILON {
                out.push(Violation::OutsideWindow { job: stop.job });
            }
            if job.skill.as_ref().is_some_and(|s| !vehicle.skills.contains(s)) {
                out.push(Violation::SkillMissing { job: stop.job });
            }
            if job.lock.is_some_and(|lock| lock.vehicle != v) {
                out.push(Violation::WrongVehicle { job: stop.job });
            }
            let before_first = route.stops[..position]
                .iter()
                .any(|s| problem.jobs.get(s.job).is_none_or(|j| !j.lock.is_some_and(|l| l.first)));
            if job.lock.is_some_and(|l| l.first) && before_first {
                out.push(Violation::NotFirst { job: stop.job });
            }
            load += job.demand;
            distance += matrix.distance(at, here);
            time = stop.departure;
            at = here;
        }
        distance += matrix.distance(at, depot);
        let back = time + matrix.duration(at, depot);
        if route.arrival < back - EPSILON || route.arrival > vehicle.shift.end + EPSILON {
            out.push(Violation::BackAfterShift { vehicle: v });
        }
        if load > vehicle.capacity {
            out.push(Violation::OverCapacity { vehicle: v });
        }
        total_distance += distance;
        total_duration += route.arrival - route.departure;
    }

    let mut listed = HashSet::new();
    for u in &solution.unassigned {
        if u.job >= problem.jobs.len() {
            out.push(Violation::UnknownJob { job: u.job });
        } else if served.contains(&u.job) || !listed.insert(u.job) {
            out.push(Violation::JobServedTwice { job: u.job });
        }
    }
    for job in 0..problem.jobs.len() {
        if !served.contains(&job) && !listed.contains(&job) {
            out.push(Violation::JobMissing { job });
        }
    }
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0);
    if !close(total_distance, solution.total_distance) || !close(total_duration, solution.total_duration) {
        out.push(Violation::Totals);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::planner::{Depot, Job, Lock, Route, Stop, Unassigned, Vehicle, Window};
    use crate::domain::travel::{Euclidean, Point, TravelMatrix};

    /// A depot at 0, two jobs on a line at 10 and 20; speed 1.
    fn problem() -> Problem {
        let job = |id: &str, x: f64| Job {
            id: id.into(),
            location: Point::new(x, 0.0),
            demand: 1,
            window: Window::new(0.0, 100.0),
            service: 5.0,
            skill: None,
            priority: 0,
            lock: None,
        };
        Problem {
            depots: vec![Depot { id: "d".into(), location: Point::new(0.0, 0.0) }],
            vehicles: vec![Vehicle {
                id: "v".into(),
                depot: 0,
                shift: Window::new(0.0, 100.0),
                capacity: 2,
                skills: vec!["family".into()],
            }],
            jobs: vec![job("a", 10.0), job("b", 20.0)],
        }
    }

    /// depot 0 -> a (10..15) -> b (25..30) -> depot (50).
    fn good() -> Solution {
        Solution {
            routes: vec![Route {
                vehicle: 0,
                departure: 0.0,
                stops: vec![
                    Stop { job: 0, arrival: 10.0, start: 10.0, departure: 15.0 },
                    Stop { job: 1, arrival: 25.0, start: 25.0, departure: 30.0 },
                ],
                arrival: 50.0,
                distance: 40.0,
            }],
            unassigned: vec![],
            total_distance: 40.0,
            total_duration: 50.0,
        }
    }

    fn run(p: &Problem, s: &Solution) -> Vec<Violation> {
        check(p, &Euclidean::default().matrix(&p.points()), s)
    }

    #[test]
    fn a_correct_plan_passes() {
        assert_eq!(run(&problem(), &good()), vec![]);
    }

    #[test]
    fn broken_plans_name_the_rule() {
        type Break = fn(&mut Problem, &mut Solution);
        let cases: Vec<(&str, Break, Violation)> = vec![
            ("window", |p, _| p.jobs[1].window = Window::new(0.0, 20.0), Violation::OutsideWindow { job: 1 }),
            ("early window", |p, _| p.jobs[0].window = Window::new(12.0, 90.0), Violation::OutsideWindow { job: 0 }),
            ("shift end", |p, _| p.vehicles[0].shift.end = 45.0, Violation::BackAfterShift { vehicle: 0 }),
            ("shift start", |p, _| p.vehicles[0].shift.start = 1.0, Violation::LeavesBeforeShift { vehicle: 0 }),
            ("capacity", |p, _| p.vehicles[0].capacity = 1, Violation::OverCapacity { vehicle: 0 }),
            ("skill", |p, _| p.jobs[0].skill = Some("labour".into()), Violation::SkillMissing { job: 0 }),
            ("too fast", |_, s| s.routes[0].stops[1].arrival = 20.0, Violation::TooFast { vehicle: 0, job: 1 }),
            (
                "service cut short",
                |_, s| s.routes[0].stops[0].departure = 12.0,
                Violation::Overlap { vehicle: 0, job: 0 },
            ),
            (
                "starts before arriving",
                |_, s| s.routes[0].stops[1].start = 24.0,
                Violation::Overlap { vehicle: 0, job: 1 },
            ),
            (
                "served twice",
                |_, s| s.unassigned.push(Unassigned { job: 0, reason: crate::domain::planner::Reason::NoRoom }),
                Violation::JobServedTwice { job: 0 },
            ),
            (
                "missing",
                |_, s| {
                    s.routes[0].stops.pop();
                },
                Violation::JobMissing { job: 1 },
            ),
            (
                "locked elsewhere",
                |p, _| {
                    p.vehicles.push(p.vehicles[0].clone());
                    p.jobs[0].lock = Some(Lock { vehicle: 1, first: false });
                },
                Violation::WrongVehicle { job: 0 },
            ),
            (
                "not first",
                |p, _| p.jobs[1].lock = Some(Lock { vehicle: 0, first: true }),
                Violation::NotFirst { job: 1 },
            ),
            ("totals", |_, s| s.total_distance = 39.0, Violation::Totals),
            ("unknown vehicle", |_, s| s.routes[0].vehicle = 7, Violation::UnknownVehicle { route: 0 }),
        ];
        for (label, breaks, expected) in cases {
            let (mut p, mut s) = (problem(), good());
            breaks(&mut p, &mut s);
            let found = run(&p, &s);
            assert!(found.contains(&expected), "{label}: expected {expected:?} in {found:?}");
        }
    }
}
