//! Micro-benchmarks of the hot pure parts, each on its own with no network or database:
//! grading a pre-assessment, expanding a month of working hours into free slots, verifying an
//! access token, updating a rating summary, and planning a realistic day for the vans.
//!
//! `cargo bench -p mediation-bench --bench pure` (add `-- --quick` for a shorter run).

use std::hint::black_box;
use std::time::Duration;

use chrono::{DateTime, Utc, Weekday};
use criterion::{Criterion, criterion_group, criterion_main};
use mediation_appointments::domain::grading::{self, Assessment, Thresholds};
use mediation_appointments::domain::hours::{self, Hours, Interval, WeeklyRule};
use mediation_appointments::domain::slots;
use mediation_auth::{Principal, Role, TokenKeys, generate_signing_key_pem};
use mediation_dispatch::domain::planner::{self, Depot, Job, Limits, Problem, Vehicle, Window};
use mediation_dispatch::domain::travel::{Haversine, Point};
use mediation_ratings::domain::summary::{Prior, Scores, Sums};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).expect("a valid instant").with_timezone(&Utc)
}

fn grading(c: &mut Criterion) {
    let thresholds = Thresholds::default();
    let ordinary = Assessment { amount_in_dispute_yuan: 3_000, party_count: 2, ..Default::default() };
    let difficult = Assessment { violence_risk: true, repeat_dispute: true, party_count: 4, ..ordinary };
    let major = Assessment { group_incident_risk: true, amount_in_dispute_yuan: 2_000_000, ..difficult };
    let mut group = c.benchmark_group("grading");
    for (name, assessment) in [("ordinary", ordinary), ("difficult", difficult), ("major", major)] {
        group.bench_function(name, |b| b.iter(|| grading::grade(black_box(&assessment), &thresholds)));
    }
    group.finish();
}

/// A station's week: Monday to Friday 08:30-12:00 and 13:30-17:30, Saturday morning.
fn station_hours() -> Hours {
    let mut rules = Vec::new();
    for day in [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri] {
        rules.push(WeeklyRule { day, start_minute: 8 * 60 + 30, end_minute: 12 * 60 });
        rules.push(WeeklyRule { day, start_minute: 13 * 60 + 30, end_minute: 17 * 60 + 30 });
    }
    rules.push(WeeklyRule { day: Weekday::Sat, start_minute: 9 * 60, end_minute: 12 * 60 });
    Hours { rules, effective_from: None, effective_to: None }
}

fn slot_expansion(c: &mut Criterion) {
    let hours = station_hours();
    let month = Interval::new(utc("2026-12-01T00:00:00Z"), utc("2026-12-31T00:00:00Z")).unwrap();
    let tz = chrono_tz::Asia::Shanghai;
    // A few sessions already booked and a day of leave in the month.
    let busy: Vec<Interval> = (0..20)
        .map(|day| {
            let start = utc("2026-12-01T02:00:00Z") + chrono::Duration::days(day);
            Interval::new(start, start + chrono::Duration::hours(1)).unwrap()
        })
        .collect();
    let leave = [Interval::new(utc("2026-12-14T00:00:00Z"), utc("2026-12-15T00:00:00Z")).unwrap()];
    let hour = chrono::Duration::hours(1);
    let mut group = c.benchmark_group("slots");
    group.bench_function("expand-hours-month", |b| b.iter(|| hours::expand(black_box(&hours), tz, month)));
    group.bench_function("free-one-hour-slots-month", |b| {
        b.iter(|| {
            let working = hours::expand(black_box(&hours), tz, month);
            let free = slots::free_time(&working, &leave, &busy, chrono::Duration::zero());
            let mut found = 0;
            slots::slots(&working, &free, hour, hour, month, |_| found += 1);
            found
        })
    });
    group.finish();
}

fn token_verification(c: &mut Criterion) {
    let keys = TokenKeys::from_pem(&generate_signing_key_pem(), "mediation", "mediation-api").expect("a fresh key");
    let principal =
        Principal { account_id: uuid::Uuid::now_v7().to_string(), role: Role::Resident, site_id: None, kiosk_id: None };
    let (token, _) = keys.issue(&principal, Utc::now(), chrono::Duration::minutes(15)).expect("a token");
    let mut group = c.benchmark_group("token");
    group.bench_function("verify", |b| b.iter(|| keys.verify(black_box(&token)).expect("valid")));
    group.bench_function("issue", |b| {
        b.iter(|| keys.issue(black_box(&principal), Utc::now(), chrono::Duration::minutes(15)))
    });
    group.finish();
}

fn rating_summary(c: &mut Criterion) {
    let scores = Scores { overall: 4, fairness: 5, professionalism: 4, timeliness: 3 };
    let sums = Sums {
        count: 120,
        overall: 510,
        fairness: 530,
        professionalism: 500,
        timeliness: 470,
        stars: [2, 4, 10, 40, 64],
        settled_count: 90,
        settled_sum: 400,
    };
    let prior = Prior::default();
    c.bench_function("rating-summary/add-one-and-summarise", |b| {
        b.iter(|| black_box(sums).plus(Sums::delta(black_box(&scores), true, 1)).summary(prior))
    });
}

/// A realistic day: 120 home visits around Yinzhou with two-hour windows, 8 vans from 4
/// stations on an 08:00-18:00 shift, times in seconds from 08:00.
fn day_of_visits() -> Problem {
    let mut rng = StdRng::seed_from_u64(8);
    let centre = (29.82, 121.55);
    let depots: Vec<Depot> = (0..4)
        .map(|i| Depot {
            id: format!("station-{i}"),
            location: Point::lat_lng(centre.0 + rng.gen_range(-0.05..0.05), centre.1 + rng.gen_range(-0.05..0.05)),
        })
        .collect();
    let vehicles = (0..8)
        .map(|i| Vehicle {
            id: format!("van-{i}"),
            depot: i % depots.len(),
            shift: Window::new(0.0, 36_000.0),
            capacity: 20,
            skills: vec![],
        })
        .collect();
    let jobs = (0..120)
        .map(|i| {
            let start = rng.gen_range(0..8) as f64 * 3_600.0;
            Job {
                id: format!("visit-{i}"),
                location: Point::lat_lng(centre.0 + rng.gen_range(-0.12..0.12), centre.1 + rng.gen_range(-0.12..0.12)),
                demand: 1,
                window: Window::new(start, start + 7_200.0),
                service: 1_800.0,
                skill: None,
                priority: if i % 10 == 0 { 2 } else { 0 },
                lock: None,
            }
        })
        .collect();
    Problem { depots, vehicles, jobs }
}

fn planning(c: &mut Criterion) {
    let problem = day_of_visits();
    let travel = Haversine::default();
    // A fixed number of generations, so the figure is the planner's speed, not its time cap.
    let limits = Limits::new(30.0, 100);
    let mut group = c.benchmark_group("planner");
    group.sample_size(10).measurement_time(Duration::from_secs(15));
    group.bench_function("120-visits-8-vans-100-generations", |b| {
        b.iter(|| planner::plan(black_box(&problem), &travel, limits).expect("the day plans"))
    });
    group.finish();
}

criterion_group!(benches, grading, slot_expansion, token_verification, rating_summary, planning);
criterion_main!(benches);
