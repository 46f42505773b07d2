//! SuggestVisitWindows: the windows a resident may ask a home visit for, so that they need not
//! guess one the vans cannot serve. Each date's available vans are tried with their shift,
//! depot and committed route (`domain::windows`, the planner's travel model and feasibility
//! check); the windows found are merged, best first.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use mediation_api::Fault;
use mediation_appointments::domain::access::Viewer;
use mediation_auth::Principal;
use mediation_store::DbConnection;

use super::{Core, DispatchSettings, station};
use crate::domain::planner::Window;
use crate::domain::travel::Point;
use crate::domain::windows::{self, Cut, RouteStop, VanDay};
use crate::domain::{VanStatus, VisitStatus, day_start};
use crate::error::Result;
use crate::repo;

/// What the resident would ask for.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowQuery {
    pub case_id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub duration_minutes: i32,
    pub location: Point,
    pub specialty_code: Option<String>,
    pub max_windows: usize,
}

/// A window to ask for: RequestHomeVisit's `window_start` and `window_end`.
#[derive(Debug, Clone, PartialEq)]
pub struct OfferedWindow {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub van_id: String,
    pub added_travel_secs: i64,
}

impl Core {
    pub async fn suggest_windows(&self, principal: Principal, query: WindowQuery) -> Result<Vec<OfferedWindow>> {
        let settings = self.settings.clone();
        self.read(principal, move |conn, viewer| suggest_windows(conn, viewer, &settings, &query, Utc::now())).await
    }
}

/// The windows, best first: least added driving, then earliest; one per start time.
pub fn suggest_windows(
    conn: &mut DbConnection,
    viewer: &Viewer,
    settings: &DispatchSettings,
    query: &WindowQuery,
    now: DateTime<Utc>,
) -> Result<Vec<OfferedWindow>> {
    let case = mediation_appointments::repo::case(conn, &query.case_id)?.ok_or(Fault::NotFound("case"))?;
    if !viewer.can_see(&case, false) {
        return Err(Fault::NotFound("case").into());
    }
    if !viewer.may_schedule(&case) {
        return Err(Fault::Forbidden("only the case's applicant or its staff may ask for visit windows").into());
    }
    let station = station(conn, &case.site_id)?;
    let depot = station.location.ok_or_else(|| {
        Fault::state("STATION_HAS_NO_LOCATION", "the station needs a location before its vans can serve")
    })?;
    let vans: Vec<String> = repo::list_vans(conn, Some(&station.id), None, 10_000)?
        .into_iter()
        .filter(|v| v.status == VanStatus::Available)
        .map(|v| v.id)
        .collect();
    let service = f64::from(query.duration_minutes) * 60.0;
    let mut found = Vec::new();
    let mut day = query.from;
    while day <= query.to {
        let origin = day_start(day, station.zone);
        let day_end = day_start(day.succ_opt().unwrap_or(day), station.zone);
        let secs = |t: DateTime<Utc>| (t - origin).num_milliseconds() as f64 / 1000.0;
        let at = |s: f64| origin + Duration::milliseconds((s * 1000.0).round() as i64);
        let cut = Cut {
            step: 3600.0,
            arrival_span: settings.window_arrival_span.num_seconds() as f64,
            not_before: secs(now + settings.window_lead),
        };
        for shift in repo::shifts(conn, &vans, day)? {
            if let Some(needed) = &query.specialty_code
                && !crew_has(conn, &shift.crew_mediator_ids, needed)?
            {
                continue;
            }
            let stops = repo::visits_of_van(conn, &shift.van_id, day)?
                .into_iter()
                .filter(|v| matches!(v.status, VisitStatus::Planned | VisitStatus::EnRoute | VisitStatus::Arrived))
                .map(|v| RouteStop {
                    location: v.location,
                    window: Window::new(secs(v.window_start), secs(v.latest_start()).max(secs(v.window_start))),
                    service: f64::from(v.duration_minutes) * 60.0,
                })
                .collect();
            let van_day = VanDay {
                depot,
                shift: Window::new(secs(shift.start), secs(shift.end)),
                stops,
                capacity: settings.max_visits_per_van.max(0) as usize,
            };
            for offer in windows::offers(&van_day, query.location, service, settings.travel.as_ref(), cut) {
                let end = at(offer.latest_start) + Duration::minutes(i64::from(query.duration_minutes));
                if end <= day_end {
                    found.push(OfferedWindow {
                        start: at(offer.start),
                        end,
                        van_id: shift.van_id.clone(),
                        added_travel_secs: offer.added_travel.round() as i64,
                    });
                }
            }
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    Ok(best_first(found, query.max_windows))
}

/// Best first: least added driving, then the earliest start, then the longest window; one
/// window per start.
pub fn best_first(mut found: Vec<OfferedWindow>, max: usize) -> Vec<OfferedWindow> {
    found.sort_by(|a, b| {
        (a.added_travel_secs, a.start, std::cmp::Reverse(a.end), &a.van_id).cmp(&(
            b.added_travel_secs,
            b.start,
            std::cmp::Reverse(b.end),
            &b.van_id,
        ))
    });
    let mut out: Vec<OfferedWindow> = Vec::new();
    for window in found {
        if out.len() == max {
            break;
        }
        if !out.iter().any(|w| w.start == window.start) {
            out.push(window);
        }
    }
    out
}

/// Whether a mediator of the crew holds the speciality.
fn crew_has(conn: &mut DbConnection, crew: &[String], specialty: &str) -> Result<bool> {
    for mediator_id in crew {
        if mediation_directory::repo::mediator(conn, mediator_id)?
            .is_some_and(|m| m.specialty_codes.iter().any(|c| c == specialty))
        {
            return Ok(true);
        }
    }
    Ok(false)
}
