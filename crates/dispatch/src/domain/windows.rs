//! Windows a van can still serve a new visit in, found the way the planner would fit it: the
//! van's committed route of the day is kept in order, the new visit is tried at every place in
//! it, and a place is open for the start times that keep every later stop inside its window and
//! the van back at the depot by the end of its shift (forward earliest departures, backward
//! latest starts). Each window offered is then re-timed as a route and passed through the same
//! [`feasibility::check`] every plan must pass, so that no window is a guess.
//!
//! Times are seconds from an origin the caller picks (the local midnight of the date), as the
//! planner's are; travel is the planner's [`TravelMatrix`].

use super::feasibility;
use super::planner::{Depot, Job, Problem, Route, Solution, Stop, Vehicle, Window};
use super::travel::{Matrix, Point, TravelMatrix};

/// A committed stop of the van's route: its place, when its service may start, and how long it
/// lasts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RouteStop {
    pub location: Point,
    /// Earliest and latest start of the service.
    pub window: Window,
    pub service: f64,
}

/// One van's day: its depot, shift, route as committed, and how many stops it takes at most.
#[derive(Debug, Clone, PartialEq)]
pub struct VanDay {
    pub depot: Point,
    pub shift: Window,
    pub stops: Vec<RouteStop>,
    pub capacity: usize,
}

/// A window offered for the new visit on one van: its service may start from `start` to
/// `latest_start`, `added_travel` seconds of driving more than the route had.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Offer {
    pub start: f64,
    pub latest_start: f64,
    pub added_travel: f64,
}

/// How offered windows are cut from the open spans: starts on a grid of `step` seconds from the
/// origin, each letting the service start up to `arrival_span` seconds after its start, none
/// starting before `not_before`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cut {
    pub step: f64,
    pub arrival_span: f64,
    pub not_before: f64,
}

/// Where the new visit fits in the van's route: for each place (0 = first), the earliest and
/// latest start of its service, and the driving it adds. Places it does not fit are left out.
pub fn open_places(day: &VanDay, at: Point, service: f64, travel: &dyn TravelMatrix) -> Vec<(usize, Window, f64)> {
    if day.stops.len() >= day.capacity {
        return vec![];
    }
    // Matrix order: the depot, the stops, the new visit.
    let points: Vec<Point> =
        std::iter::once(day.depot).chain(day.stops.iter().map(|s| s.location)).chain([at]).collect();
    let m = travel.matrix(&points);
    let n = day.stops.len();
    let (depot, new) = (0, n + 1);
    // Earliest departure from each stop, going forward from the shift's start.
    let mut departs = Vec::with_capacity(n);
    let (mut here, mut time) = (depot, day.shift.start);
    for (k, stop) in day.stops.iter().enumerate() {
        let start = (time + m.duration(here, k + 1)).max(stop.window.start);
        if start > stop.window.end + feasibility_slack() {
            return vec![];
        }
        time = start + stop.service;
        departs.push(time);
        here = k + 1;
    }
    // Latest start of each stop, going backward from the shift's end: stop k (matrix index
    // k + 1) must be left by the latest start of the next less the drive to it.
    let mut latest = vec![0.0; n];
    let mut leave_by = day.shift.end - if n > 0 { m.duration(n, depot) } else { 0.0 };
    for k in (0..n).rev() {
        latest[k] = day.stops[k].window.end.min(leave_by - day.stops[k].service);
        if k > 0 {
            leave_by = latest[k] - m.duration(k, k + 1);
        }
    }
    let mut out = Vec::new();
    for place in 0..=n {
        let (prev, prev_departs) = if place == 0 { (depot, day.shift.start) } else { (place, departs[place - 1]) };
        let next = if place == n { depot } else { place + 1 };
        let earliest = prev_departs + m.duration(prev, new);
        let leave_by = (if place == n { day.shift.end } else { latest[place] }) - m.duration(new, next);
        let latest_start = leave_by - service;
        if earliest <= latest_start {
            let added = m.duration(prev, new) + m.duration(new, next) - m.duration(prev, next);
            out.push((place, Window::new(earliest, latest_start), added));
        }
    }
    out
}

fn feasibility_slack() -> f64 {
    super::planner::EPSILON
}

/// The windows offered on one van, best first (the least added driving, then the earliest):
/// cut from its open places on the grid, each checked by re-timing the route with the visit in
/// its place and passing it through the plan feasibility check.
pub fn offers(day: &VanDay, at: Point, service: f64, travel: &dyn TravelMatrix, cut: Cut) -> Vec<Offer> {
    let mut out: Vec<Offer> = Vec::new();
    for (place, open, added) in open_places(day, at, service, travel) {
        let first = (open.start.max(cut.not_before) / cut.step).ceil() * cut.step;
        let mut start = first;
        while start <= open.end {
            let latest_start = (start + cut.arrival_span).min(open.end);
            let offer = Offer { start, latest_start, added_travel: added };
            if fits(day, at, service, place, offer, travel)
                && !out.iter().any(|o| o.start == offer.start && o.added_travel <= offer.added_travel)
            {
                out.retain(|o| o.start != offer.start);
                out.push(offer);
            }
            start += cut.step;
        }
    }
    out.sort_by(|a, b| a.added_travel.total_cmp(&b.added_travel).then(a.start.total_cmp(&b.start)));
    out
}

/// Whether the route with the new visit at `place`, asked for the window `offer`, passes the
/// plan feasibility check, whenever in the window its service starts: it is checked starting as
/// early as it may and as late as it may.
pub fn fits(day: &VanDay, at: Point, service: f64, place: usize, offer: Offer, travel: &dyn TravelMatrix) -> bool {
    let mut jobs: Vec<Job> = day
        .stops
        .iter()
        .enumerate()
        .map(|(k, s)| Job {
            id: format!("stop-{k}"),
            location: s.location,
            demand: 1,
            window: s.window,
            service: s.service,
            skill: None,
            priority: 0,
            lock: None,
        })
        .collect();
    let new_job = jobs.len();
    jobs.push(Job {
        id: "new".into(),
        location: at,
        demand: 1,
        window: Window::new(offer.start, offer.latest_start),
        service,
        skill: None,
        priority: 0,
        lock: None,
    });
    let problem = Problem {
        depots: vec![Depot { id: "depot".into(), location: day.depot }],
        vehicles: vec![Vehicle {
            id: "van".into(),
            depot: 0,
            shift: day.shift,
            capacity: day.capacity as i32,
            skills: vec![],
        }],
        jobs,
    };
    let matrix = travel.matrix(&problem.points());
    let mut order: Vec<usize> = (0..day.stops.len()).collect();
    order.insert(place, new_job);
    [offer.start, offer.latest_start].iter().all(|&starts_at| {
        let solution = timed(&problem, &matrix, &order, new_job, starts_at);
        feasibility::check(&problem, &matrix, &solution).is_empty()
    })
}

/// The route in `order` from the shift's start, each stop as early as it may, the new visit
/// (`new_job`) not before `new_starts_at`.
fn timed(problem: &Problem, matrix: &Matrix, order: &[usize], new_job: usize, new_starts_at: f64) -> Solution {
    let vehicle = &problem.vehicles[0];
    let (mut at, mut time, mut distance) = (0, vehicle.shift.start, 0.0);
    let mut stops = Vec::with_capacity(order.len());
    for &job in order {
        let here = problem.job_point(job);
        let arrival = time + matrix.duration(at, here);
        let mut start = arrival.max(problem.jobs[job].window.start);
        if job == new_job {
            start = start.max(new_starts_at);
        }
        distance += matrix.distance(at, here);
        time = start + problem.jobs[job].service;
        stops.push(Stop { job, arrival, start, departure: time });
        at = here;
    }
    distance += matrix.distance(at, 0);
    let route =
        Route { vehicle: 0, departure: vehicle.shift.start, stops, arrival: time + matrix.duration(at, 0), distance };
    let total_duration = route.arrival - route.departure;
    Solution { total_distance: route.distance, total_duration, routes: vec![route], unassigned: vec![] }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::travel::Euclidean;

    const CUT: Cut = Cut { step: 10.0, arrival_span: 10.0, not_before: 0.0 };

    /// A depot at 0 on a line, speed 1, shift 0..100.
    fn day(stops: &[(f64, f64, f64)]) -> VanDay {
        VanDay {
            depot: Point::new(0.0, 0.0),
            shift: Window::new(0.0, 100.0),
            stops: stops
                .iter()
                .map(|&(x, from, to)| RouteStop {
                    location: Point::new(x, 0.0),
                    window: Window::new(from, to),
                    service: 5.0,
                })
                .collect(),
            capacity: 4,
        }
    }

    #[test]
    fn an_empty_route_is_open_from_the_drive_out_to_the_drive_back() {
        let places = open_places(&day(&[]), Point::new(10.0, 0.0), 5.0, &Euclidean::default());
        assert_eq!(places, vec![(0, Window::new(10.0, 85.0), 20.0)]);
    }

    #[test]
    fn a_committed_stop_narrows_the_places_around_it() {
        // A stop at 20 that must start by 40: before it, the new visit at 10 must be done in time
        // to drive on; after it, it starts once the stop is done. Both places are on the way.
        let places = open_places(&day(&[(20.0, 30.0, 40.0)]), Point::new(10.0, 0.0), 5.0, &Euclidean::default());
        assert_eq!(places, vec![(0, Window::new(10.0, 25.0), 0.0), (1, Window::new(45.0, 85.0), 0.0)]);
        // Past the stop at 30, only after it, with a detour there and back.
        let places = open_places(&day(&[(20.0, 30.0, 40.0)]), Point::new(30.0, 0.0), 5.0, &Euclidean::default());
        assert_eq!(places, vec![(1, Window::new(45.0, 65.0), 20.0)]);
    }

    #[test]
    fn a_full_van_or_a_far_place_offers_nothing() {
        let mut full = day(&[(20.0, 0.0, 90.0)]);
        full.capacity = 1;
        assert!(open_places(&full, Point::new(10.0, 0.0), 5.0, &Euclidean::default()).is_empty());
        assert!(open_places(&day(&[]), Point::new(60.0, 0.0), 5.0, &Euclidean::default()).is_empty());
    }

    #[test]
    fn every_offer_passes_the_plan_feasibility_check_earliest_first_at_equal_cost() {
        let van = day(&[(20.0, 30.0, 40.0)]);
        let at = Point::new(10.0, 0.0);
        let offers = offers(&van, at, 5.0, &Euclidean::default(), CUT);
        let starts: Vec<(f64, f64)> = offers.iter().map(|o| (o.start, o.latest_start)).collect();
        assert_eq!(starts, vec![(10.0, 20.0), (20.0, 25.0), (50.0, 60.0), (60.0, 70.0), (70.0, 80.0), (80.0, 85.0)]);
        for o in &offers {
            let place = if o.start < 40.0 { 0 } else { 1 };
            assert!(fits(&van, at, 5.0, place, *o, &Euclidean::default()), "{o:?}");
        }
        // A window starting too late for the stop after it fails the check.
        let late = Offer { start: 30.0, latest_start: 30.0, added_travel: 0.0 };
        assert!(!fits(&van, at, 5.0, 0, late, &Euclidean::default()));
    }

    #[test]
    fn cheaper_places_come_first() {
        // From the depot at 0: a visit at 10 on the way to a stop at 20 costs nothing; the same
        // visit asked of a van whose stop is at -20 costs a detour.
        let on_the_way = offers(&day(&[(20.0, 30.0, 40.0)]), Point::new(10.0, 0.0), 5.0, &Euclidean::default(), CUT);
        let detour = offers(&day(&[(-20.0, 30.0, 40.0)]), Point::new(10.0, 0.0), 5.0, &Euclidean::default(), CUT);
        assert_eq!(on_the_way[0].added_travel, 0.0);
        assert_eq!(detour[0].added_travel, 20.0);
    }

    #[test]
    fn nothing_is_offered_before_the_lead_time() {
        let cut = Cut { not_before: 55.0, ..CUT };
        let offers = offers(&day(&[]), Point::new(10.0, 0.0), 5.0, &Euclidean::default(), cut);
        assert_eq!(offers.first().map(|o| o.start), Some(60.0));
    }
}
