//! Solomon's VRPTW benchmark instances: parse the text format, plan through the same planner as
//! ProposePlan (Euclidean, unrounded, travel time = distance), and report the result.

use serde::Serialize;

use super::feasibility::{self, Violation};
use super::planner::{self, Depot, Job, Limits, PlanError, Problem, Reason, Vehicle, Window};
use super::travel::{Euclidean, Point, TravelMatrix};

#[derive(Debug, thiserror::Error)]
pub enum SolomonError {
    #[error("cannot read the instance: {0}")]
    Read(#[from] std::io::Error),
    #[error("not a Solomon instance: {0}")]
    Format(String),
    #[error(transparent)]
    Plan(#[from] PlanError),
}

/// An instance: `vehicles` identical vehicles of `capacity`, customer 0 the depot.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub name: String,
    pub vehicles: usize,
    pub capacity: i32,
    pub customers: Vec<Customer>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Customer {
    pub number: u32,
    pub x: f64,
    pub y: f64,
    pub demand: i32,
    pub ready: f64,
    pub due: f64,
    pub service: f64,
}

/// Parses Solomon's text format: a name line, `VEHICLE` / `NUMBER CAPACITY` / the two numbers,
/// `CUSTOMER`, a header, then one row of seven numbers per customer, the depot first.
pub fn parse(text: &str) -> Result<Instance, SolomonError> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let name = lines.next().ok_or_else(|| SolomonError::Format("empty file".into()))?.to_owned();
    let mut fleet = None;
    let mut customers = Vec::new();
    for line in lines {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let numbers: Option<Vec<f64>> = fields.iter().map(|f| f.parse::<f64>().ok()).collect();
        let Some(numbers) = numbers else { continue };
        match numbers.len() {
            2 if fleet.is_none() => fleet = Some((numbers[0], numbers[1])),
            7 => customers.push(Customer {
                number: numbers[0] as u32,
                x: numbers[1],
                y: numbers[2],
                demand: numbers[3] as i32,
                ready: numbers[4],
                due: numbers[5],
                service: numbers[6],
            }),
            _ => return Err(SolomonError::Format(format!("unexpected line {line:?}"))),
        }
    }
    let (vehicles, capacity) = fleet.ok_or_else(|| SolomonError::Format("no vehicle number and capacity".into()))?;
    if customers.len() < 2 || customers[0].number != 0 {
        return Err(SolomonError::Format("expected the depot (customer 0) and at least one customer".into()));
    }
    Ok(Instance { name, vehicles: vehicles as usize, capacity: capacity as i32, customers })
}

impl Instance {
    /// The planner's problem: one depot, `vehicles` vehicles on the depot's horizon, one job per
    /// customer (job `i` is customer `customers[i + 1]`).
    pub fn problem(&self) -> Problem {
        let depot = self.customers[0];
        let horizon = Window::new(depot.ready, depot.due);
        Problem {
            depots: vec![Depot { id: "0".into(), location: Point::new(depot.x, depot.y) }],
            vehicles: (0..self.vehicles)
                .map(|i| Vehicle {
                    id: format!("v{}", i + 1),
                    depot: 0,
                    shift: horizon,
                    capacity: self.capacity,
                    skills: vec![],
                })
                .collect(),
            jobs: self.customers[1..]
                .iter()
                .map(|c| Job {
                    id: c.number.to_string(),
                    location: Point::new(c.x, c.y),
                    demand: c.demand,
                    window: Window::new(c.ready, c.due),
                    service: c.service,
                    skill: None,
                    priority: 0,
                    lock: None,
                })
                .collect(),
        }
    }
}

/// What `mediation solve-vrptw` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub instance: String,
    pub vehicles: usize,
    pub distance: f64,
    /// Customer numbers in visiting order, depot left out.
    pub routes: Vec<Vec<u32>>,
    /// The customers no route serves, with the planner's reason (usually `NO_ROOM`: the time
    /// ran out before the search found room for them on the fleet).
    pub unassigned: Vec<Left>,
    /// Every customer served and the plan checked from scratch by the feasibility checker with
    /// nothing found: a plan that leaves a customer out is not a solution of the instance.
    pub feasible: bool,
    /// What the feasibility checker found, if anything.
    pub violations: Vec<String>,
    /// The seed the search drew from, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    pub seconds: f64,
}

/// A customer left out of the plan.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Left {
    pub customer: u32,
    pub reason: Reason,
}

/// Plans an instance within `limits`.
pub fn solve(instance: &Instance, limits: Limits) -> Result<(Report, Vec<Violation>), SolomonError> {
    let problem = instance.problem();
    let matrix = Euclidean::default().matrix(&problem.points());
    let started = std::time::Instant::now();
    let solution = planner::plan_with_matrix(&problem, &matrix, limits)?;
    let elapsed = started.elapsed().as_secs_f64();
    let violations = feasibility::check(&problem, &matrix, &solution);
    let number = |job: usize| instance.customers[job + 1].number;
    let report = Report {
        instance: instance.name.clone(),
        vehicles: solution.routes.len(),
        distance: (solution.total_distance * 100.0).round() / 100.0,
        routes: solution.routes.iter().map(|r| r.stops.iter().map(|s| number(s.job)).collect()).collect(),
        unassigned: solution.unassigned.iter().map(|u| Left { customer: number(u.job), reason: u.reason }).collect(),
        feasible: violations.is_empty() && solution.unassigned.is_empty(),
        violations: violations.iter().map(|v| format!("{v:?}")).collect(),
        seed: limits.seed,
        seconds: (elapsed * 10.0).round() / 10.0,
    };
    Ok((report, violations))
}

/// Reads, plans and reports the instance in `path`.
pub fn solve_file(path: &std::path::Path, limits: Limits) -> Result<Report, SolomonError> {
    let instance = parse(&std::fs::read_to_string(path)?)?;
    Ok(solve(&instance, limits)?.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "TINY\n\nVEHICLE\nNUMBER     CAPACITY\n  3         20\n\nCUSTOMER\n\
        CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME\n \n\
            0      0          0          0          0       400          0\n\
            1      10         0          10         0       100          10\n\
            2      20         0          10         0       100          10\n\
            3      0          10         10         0       200          10\n\
            4      0          20         10         50      60           10\n";

    #[test]
    fn parses_the_text_format() {
        let i = parse(SMALL).unwrap();
        assert_eq!((i.name.as_str(), i.vehicles, i.capacity, i.customers.len()), ("TINY", 3, 20, 5));
        assert_eq!(
            i.customers[4],
            Customer { number: 4, x: 0.0, y: 20.0, demand: 10, ready: 50.0, due: 60.0, service: 10.0 }
        );
        let p = i.problem();
        assert_eq!((p.vehicles.len(), p.jobs.len()), (3, 4));
        assert_eq!(p.vehicles[0].shift, Window::new(0.0, 400.0));
    }

    #[test]
    fn rejects_what_is_not_an_instance() {
        assert!(parse("").is_err());
        assert!(parse("X\nVEHICLE\n1 2 3\n").is_err());
        assert!(parse("X\n2 10\n").is_err());
    }

    #[test]
    fn solves_a_small_instance_feasibly() {
        let (report, violations) = solve(&parse(SMALL).unwrap(), Limits::new(0.5, 1000)).unwrap();
        assert_eq!(violations, vec![]);
        assert!(report.feasible && report.unassigned.is_empty() && report.violations.is_empty());
        let mut served: Vec<u32> = report.routes.concat();
        served.sort();
        assert_eq!(served, vec![1, 2, 3, 4]);
        // Capacity 20 and demand 10 each: at least two vehicles.
        assert!(report.vehicles >= 2);
    }

    #[test]
    fn a_plan_that_leaves_customers_out_is_not_feasible() {
        // Customer 4 can only be served between 50 and 60; with one vehicle of capacity 10,
        // three of the four customers cannot be served at all.
        let mut instance = parse(SMALL).unwrap();
        instance.vehicles = 1;
        instance.capacity = 10;
        let (report, violations) = solve(&instance, Limits::new(0.5, 200)).unwrap();
        assert_eq!(violations, vec![], "the plan itself breaks no rule");
        assert_eq!(report.unassigned.len(), 3, "{report:?}");
        assert!(report.unassigned.iter().all(|left| left.reason == Reason::NoRoom), "{report:?}");
        assert!(!report.feasible);
        let json: serde_json::Value = serde_json::from_str(&serde_json::to_string(&report).unwrap()).unwrap();
        assert_eq!(json["feasible"], false);
        assert_eq!(json["unassigned"][0]["reason"], "NO_ROOM");
    }

    #[test]
    fn a_seeded_run_is_reported_with_its_seed() {
        let limits = Limits { max_seconds: 60.0, max_generations: 30, seed: Some(7) };
        let (report, violations) = solve(&scattered(40), limits).unwrap();
        assert_eq!(violations, vec![]);
        assert!(report.feasible, "{report:?}");
        assert_eq!(report.seed, Some(7));
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["seed"], 7);
    }

    /// `n` customers scattered over a 100 x 100 plane with windows of 60 to 160 in a day of
    /// 1,000, ten vehicles of capacity 50.
    fn scattered(n: u32) -> Instance {
        let depot = Customer { number: 0, x: 50.0, y: 50.0, demand: 0, ready: 0.0, due: 1000.0, service: 0.0 };
        let customers = (1..=n).map(|i| {
            let (x, y) = (((i * 37) % 100) as f64, ((i * 61) % 100) as f64);
            let ready = ((i * 113) % 700) as f64;
            let due = ready + 60.0 + ((i * 17) % 100) as f64;
            Customer { number: i, x, y, demand: 5 + (i % 10) as i32, ready, due, service: 10.0 }
        });
        Instance {
            name: "SCATTERED".into(),
            vehicles: 10,
            capacity: 50,
            customers: std::iter::once(depot).chain(customers).collect(),
        }
    }
}
