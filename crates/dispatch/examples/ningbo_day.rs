//! Times the planner on a realistic day: 8 vans from 4 stations in Yinzhou, 120 home visits
//! scattered over the district with morning, afternoon or all-day windows, 15 to 30 minutes
//! each (a follow-up call at the door more than a full session), some needing a speciality,
//! some more urgent. 15 visits a van is a full day: not every visit need fit.
//!
//! `cargo run --release -p mediation-dispatch --example ningbo_day [SECONDS...]`

use std::time::Instant;

use mediation_dispatch::domain::feasibility::check;
use mediation_dispatch::domain::planner::{Depot, Job, Limits, Problem, Vehicle, Window, plan};
use mediation_dispatch::domain::travel::{Haversine, Point, TravelMatrix};

const HOUR: f64 = 3600.0;

/// A small fixed-seed generator, so that every run plans the same day.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn day() -> Problem {
    let mut rng = Lcg(20261128);
    let depots = vec![
        Depot { id: "zhonghe".into(), location: Point::lat_lng(29.8415, 121.5532) },
        Depot { id: "panhuo".into(), location: Point::lat_lng(29.8180, 121.6180) },
        Depot { id: "jiangshan".into(), location: Point::lat_lng(29.7650, 121.5460) },
        Depot { id: "qiuai".into(), location: Point::lat_lng(29.8560, 121.6420) },
    ];
    let specialities = ["family_marriage", "neighbour", "labour_wages"];
    let vehicles = (0..8)
        .map(|i| Vehicle {
            id: format!("van-{i}"),
            depot: i % depots.len(),
            shift: if i % 2 == 0 { Window::new(8.0 * HOUR, 18.0 * HOUR) } else { Window::new(8.5 * HOUR, 18.5 * HOUR) },
            capacity: 20,
            skills: vec![specialities[i % 3].to_string(), specialities[(i + 1) % 3].to_string()],
        })
        .collect();
    let jobs = (0..120)
        .map(|i| {
            // A box of about 13 by 12 km over central Yinzhou.
            let location = Point::lat_lng(29.76 + rng.next() * 0.12, 121.50 + rng.next() * 0.12);
            let service = (15.0 + (rng.next() * 4.0).floor() * 5.0) * 60.0;
            let window = match (rng.next() * 3.0) as u32 {
                0 => Window::new(8.5 * HOUR, 12.0 * HOUR),
                1 => Window::new(13.0 * HOUR, 17.5 * HOUR),
                _ => Window::new(8.5 * HOUR, 17.5 * HOUR),
            };
            Job {
                id: format!("visit-{i}"),
                location,
                demand: 1,
                window: Window::new(window.start, window.end - service),
                service,
                skill: (rng.next() < 0.25).then(|| specialities[i % 3].to_string()),
                priority: (rng.next() * 3.0) as u8,
                lock: None,
            }
        })
        .collect();
    Problem { depots, vehicles, jobs }
}

fn main() {
    let seconds: Vec<f64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let seconds = if seconds.is_empty() { vec![2.0, 5.0, 10.0] } else { seconds };
    let problem = day();
    let travel = Haversine::default();
    let started = Instant::now();
    let matrix = travel.matrix(&problem.points());
    println!("matrix {}x{} in {:.1} ms", matrix.size(), matrix.size(), started.elapsed().as_secs_f64() * 1e3);
    for limit in seconds {
        let started = Instant::now();
        let solution = plan(&problem, &travel, Limits::new(limit, 100_000)).unwrap();
        let elapsed = started.elapsed().as_secs_f64();
        let violations = check(&problem, &matrix, &solution);
        let served: usize = solution.routes.iter().map(|r| r.stops.len()).sum();
        println!(
            "limit {limit:>4.1} s: took {elapsed:.2} s, {served}/120 visits on {} vans, {} left out, {:.1} km, {:.1} van-hours, feasible: {}",
            solution.routes.len(),
            solution.unassigned.len(),
            solution.total_distance / 1000.0,
            solution.total_duration / HOUR,
            violations.is_empty(),
        );
    }
}
