//! The dispatch rules as pure functions over plain types: home visits and their lifecycle, who
//! sees an address, vans and shifts, travel estimates, the route planner and the feasibility
//! check every plan must pass, ETAs, the SVG drawing of a plan, and the Solomon benchmark reader;
//! a resident's request limits (`limits`) and when background re-plans run (`replans`).

pub mod access;
pub mod feasibility;
pub mod limits;
pub mod notices;
pub mod planner;
pub mod replans;
pub mod solomon;
pub mod svg;
pub mod travel;
pub mod windows;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use mediation_directory::named_enum;
use serde::{Deserialize, Serialize};

use self::travel::{Matrix, Point, TravelMatrix};

named_enum!(VisitReason { Privacy => "PRIVACY", Mobility => "MOBILITY", Elderly => "ELDERLY", Other => "OTHER" });
named_enum!(VisitStatus {
    Requested => "REQUESTED",
    Planned => "PLANNED",
    EnRoute => "EN_ROUTE",
    Arrived => "ARRIVED",
    Completed => "COMPLETED",
    Failed => "FAILED",
    Cancelled => "CANCELLED",
});
named_enum!(VanStatus { Available => "AVAILABLE", OutOfService => "OUT_OF_SERVICE" });

impl VisitStatus {
    /// Whether the visit is over, one way or another.
    pub fn is_final(self) -> bool {
        matches!(self, VisitStatus::Completed | VisitStatus::Failed | VisitStatus::Cancelled)
    }

    /// A crew is on its way or at the door: the visit stays on its van, first on the route.
    pub fn is_under_way(self) -> bool {
        matches!(self, VisitStatus::EnRoute | VisitStatus::Arrived)
    }

    /// Whether a plan of the day should route it.
    pub fn is_plannable(self) -> bool {
        matches!(self, VisitStatus::Requested | VisitStatus::Planned | VisitStatus::EnRoute | VisitStatus::Arrived)
    }
}

/// Whether a crew may move a visit from `from` to `to` (EN_ROUTE, ARRIVED, COMPLETED, FAILED).
pub fn crew_may_move(from: VisitStatus, to: VisitStatus) -> bool {
    use VisitStatus::*;
    matches!(
        (from, to),
        (Planned, EnRoute)
            | (Planned | EnRoute, Arrived)
            | (Arrived, Completed)
            | (Planned | EnRoute | Arrived, Failed)
    )
}

/// Whether a visit in `status` may still be cancelled.
pub fn may_cancel(status: VisitStatus) -> bool {
    matches!(status, VisitStatus::Requested | VisitStatus::Planned | VisitStatus::EnRoute)
}

#[derive(Debug, Clone, PartialEq)]
pub struct HomeVisit {
    pub id: String,
    pub case_id: String,
    pub station_id: String,
    pub day: NaiveDate,
    pub address: String,
    pub location: Point,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    pub duration_minutes: i32,
    pub reason: VisitReason,
    pub specialty_code: Option<String>,
    pub priority: i32,
    pub status: VisitStatus,
    pub van_id: Option<String>,
    pub position: Option<i32>,
    pub eta: Option<DateTime<Utc>>,
    pub note: String,
    pub cancel_reason: String,
    pub requested_by: String,
    /// How it ended, once COMPLETED.
    pub outcome: Option<mediation_appointments::domain::Outcome>,
    /// The session of its case that records it, once COMPLETED.
    pub appointment_id: Option<String>,
}

impl HomeVisit {
    pub fn duration(&self) -> chrono::Duration {
        chrono::Duration::minutes(self.duration_minutes as i64)
    }

    /// The latest start that still ends inside the window.
    pub fn latest_start(&self) -> DateTime<Utc> {
        self.window_end - self.duration()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Van {
    pub id: String,
    pub plate: String,
    pub depot_site_id: String,
    pub seats: i32,
    pub status: VanStatus,
    pub location: Option<Point>,
    pub located_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Shift {
    pub van_id: String,
    pub day: NaiveDate,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub crew_mediator_ids: Vec<String>,
}

/// An address as shown to someone who may not see it: the first few characters (the city and
/// district of a Chinese address), then `****`.
pub fn mask_address(address: &str) -> String {
    let chars: Vec<char> = address.chars().collect();
    let keep = (chars.len() / 3).min(6);
    format!("{}****", chars[..keep].iter().collect::<String>())
}

/// A point rounded to 0.01 degree (about a kilometre), for callers who may not see the exact one.
pub fn coarsen(point: Point) -> Point {
    let round = |v: f64| (v * 100.0).round() / 100.0;
    Point::new(round(point.x), round(point.y))
}

/// The local date of `instant` in the IANA time zone `zone`.
pub fn local_day(instant: DateTime<Utc>, zone: chrono_tz::Tz) -> NaiveDate {
    instant.with_timezone(&zone).date_naive()
}

/// Midnight starting `day` in `zone`, as an instant.
pub fn day_start(day: NaiveDate, zone: chrono_tz::Tz) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    zone.from_local_datetime(&midnight).earliest().map(|t| t.with_timezone(&Utc)).unwrap_or_else(|| midnight.and_utc())
}

/// A stop of a stored plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedStop {
    pub visit_id: String,
    pub arrival: DateTime<Utc>,
    pub start: DateTime<Utc>,
    pub departure: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedRoute {
    pub van_id: String,
    pub depart_depot: DateTime<Utc>,
    pub return_depot: DateTime<Utc>,
    pub distance_m: f64,
    pub stops: Vec<PlannedStop>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeftOut {
    pub visit_id: String,
    pub reason: planner::Reason,
}

/// A plan as stored: what ProposePlan found and CommitPlan applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanBody {
    pub routes: Vec<PlannedRoute>,
    pub unassigned: Vec<LeftOut>,
    pub total_distance_m: f64,
    pub total_travel_secs: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredPlan {
    pub id: String,
    pub station_id: String,
    pub day: NaiveDate,
    pub version: i64,
    pub body: PlanBody,
    pub created_at: DateTime<Utc>,
    pub committed: bool,
}

/// The driving from `from` to `to`, in whole seconds, by the planner's travel model.
pub fn travel_seconds(from: Point, to: Point, travel: &dyn TravelMatrix) -> i32 {
    travel.matrix(&[from, to]).duration(0, 1).round() as i32
}

/// Expected starts of the visits still ahead of a van at `at` at `now`, in route order: each
/// visit starts at the arrival or its window's start, whichever is later. A visit already
/// ARRIVED keeps the crew until its end.
pub fn etas(now: DateTime<Utc>, at: Point, visits: &[HomeVisit], travel: &dyn TravelMatrix) -> Vec<DateTime<Utc>> {
    let points: Vec<Point> = std::iter::once(at).chain(visits.iter().map(|v| v.location)).collect();
    let matrix: Matrix = travel.matrix(&points);
    let (mut here, mut time) = (0, now);
    let mut out = Vec::with_capacity(visits.len());
    for (i, visit) in visits.iter().enumerate() {
        let start = if visit.status == VisitStatus::Arrived {
            visit.eta.unwrap_or(now).min(now)
        } else {
            let drive = chrono::Duration::milliseconds((matrix.duration(here, i + 1) * 1000.0).round() as i64);
            (time + drive).max(visit.window_start)
        };
        out.push(start);
        time = (start + visit.duration()).max(now);
        here = i + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::travel::Haversine;

    #[test]
    fn addresses_keep_only_the_district() {
        assert_eq!(mask_address("宁波市鄞州区中河街道天童南路588号3幢201室"), "宁波市鄞州区****");
        assert_eq!(mask_address("12 Short St"), "12 ****");
        assert_eq!(mask_address(""), "****");
    }

    #[test]
    fn coarse_points_round_to_a_kilometre() {
        assert_eq!(coarsen(Point::lat_lng(29.81734, 121.54691)), Point::lat_lng(29.82, 121.55));
    }

    #[test]
    fn crews_move_visits_forward_only() {
        use VisitStatus::*;
        let allowed =
            [(Planned, EnRoute), (EnRoute, Arrived), (Arrived, Completed), (EnRoute, Failed), (Planned, Failed)];
        for (from, to) in allowed {
            assert!(crew_may_move(from, to), "{from:?} -> {to:?}");
        }
        let refused =
            [(Requested, EnRoute), (Completed, Arrived), (Arrived, EnRoute), (Cancelled, EnRoute), (Failed, Completed)];
        for (from, to) in refused {
            assert!(!crew_may_move(from, to), "{from:?} -> {to:?}");
        }
        assert!(may_cancel(Planned) && !may_cancel(Completed) && !may_cancel(Arrived));
    }

    #[test]
    fn travel_to_a_visit_follows_the_planners_model() {
        // 1 km north at 25 km/h with a 1.3 detour: 1.3 km in 187 s.
        let from = Point::lat_lng(29.8173, 121.5469);
        let to = Point::lat_lng(29.8173 + 1.0 / 111.195, 121.5469);
        assert_eq!(travel_seconds(from, to, &Haversine::default()), 187);
        assert_eq!(travel_seconds(from, from, &Haversine::default()), 0);
    }

    #[test]
    fn local_days_follow_the_station_zone() {
        let zone: chrono_tz::Tz = "Asia/Shanghai".parse().unwrap();
        let t = DateTime::parse_from_rfc3339("2026-12-01T17:30:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(local_day(t, zone), NaiveDate::from_ymd_opt(2026, 12, 2).unwrap());
        let start = day_start(NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(), zone);
        assert_eq!(start.to_rfc3339(), "2026-12-01T16:00:00+00:00");
    }

    #[test]
    fn etas_chain_from_the_reported_position() {
        let now = DateTime::parse_from_rfc3339("2026-12-02T01:00:00Z").unwrap().with_timezone(&Utc);
        let visit = |id: &str, lat: f64, window_start: DateTime<Utc>| HomeVisit {
            id: id.into(),
            case_id: "c".into(),
            station_id: "s".into(),
            day: now.date_naive(),
            address: String::new(),
            location: Point::lat_lng(lat, 121.55),
            window_start,
            window_end: window_start + chrono::Duration::hours(4),
            duration_minutes: 30,
            reason: VisitReason::Other,
            specialty_code: None,
            priority: 0,
            status: VisitStatus::Planned,
            van_id: Some("v".into()),
            position: None,
            eta: None,
            note: String::new(),
            cancel_reason: String::new(),
            requested_by: "r".into(),
            outcome: None,
            appointment_id: None,
        };
        let later = now + chrono::Duration::hours(2);
        let visits = [visit("a", 29.83, now), visit("b", 29.84, later)];
        let etas = etas(now, Point::lat_lng(29.82, 121.55), &visits, &Haversine::default());
        assert!(etas[0] > now && etas[0] < now + chrono::Duration::minutes(15), "{etas:?}");
        assert_eq!(etas[1], later, "waits for the window");
    }
}
