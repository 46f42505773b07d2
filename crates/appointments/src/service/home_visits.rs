//! Home visits as sessions. A van's visit is mediation held at a home: when its crew completes
//! it, dispatch records it here as a COMPLETED session of its case (mode HOME_VISIT, the van's
//! crew that day as its mediators, no room and no holds: the crew's time is held by their
//! shift), so that ratings, statistics and assessments count it as they count any session, and
//! the case closes with its last live session or visit.
//!
//! Dispatch owns the visits; this crate cannot read them, so the gateway hands it a function
//! that tells whether a case still has a live visit ([`LiveVisits`]), which completing a
//! session consults before closing the case.

use chrono::{DateTime, Utc};
use mediation_api::Fault;
use mediation_directory::domain::Mode;
use mediation_store::DbConnection;

use super::AppointmentSettings;
use crate::domain::hours::Interval;
use crate::domain::{Appointment, AppointmentStatus, Case, CaseStatus, EventKind, Outcome};
use crate::error::Result;
use crate::repo::{self, AppointmentFilter};

/// Whether the case (by id) has a home visit not yet over (REQUESTED, PLANNED, EN_ROUTE or
/// ARRIVED): the dispatch repo's answer, handed in by the gateway.
pub type LiveVisits = fn(&mut DbConnection, &str) -> Result<bool, diesel::result::Error>;

/// Without dispatch (tests of this crate alone): no case has a visit.
pub fn no_live_visits(_: &mut DbConnection, _: &str) -> Result<bool, diesel::result::Error> {
    Ok(false)
}

/// A completed home visit, as dispatch reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitSession {
    pub visit_id: String,
    pub case_id: String,
    pub station_id: String,
    /// The van's crew on the visit's date: the session's mediators.
    pub crew: Vec<String>,
    /// From the crew's arrival at the door to the completion.
    pub span: Interval,
    pub outcome: Outcome,
    /// The driving to the visit (from the depot or the stop before), in seconds.
    pub travel_seconds: i32,
    /// Who completed it (the crew member's or dispatcher's account).
    pub recorded_by: String,
    /// Whether another visit of the case is still live, which keeps the case open.
    pub other_visits_live: bool,
}

/// Records the visit as a COMPLETED HOME_VISIT session of its case and closes the case when
/// nothing of it is live any more. Returns the session.
pub fn record_visit_session(conn: &mut DbConnection, visit: VisitSession, now: DateTime<Utc>) -> Result<Appointment> {
    let case = repo::case(conn, &visit.case_id)?.ok_or(Fault::NotFound("case"))?;
    let appointment = Appointment {
        id: uuid::Uuid::now_v7().to_string(),
        case_id: case.id.clone(),
        site_id: visit.station_id,
        room_id: None,
        mode: Mode::HomeVisit,
        status: AppointmentStatus::Completed,
        span: visit.span,
        mediator_ids: visit.crew,
        join_url: String::new(),
        cancel_reason: String::new(),
        outcome: Some(visit.outcome),
        created_by: visit.recorded_by.clone(),
        on_the_spot: false,
    };
    repo::insert_appointment(conn, &appointment, now)?;
    // The insert leaves the outcome to the update, as completing a booked session does.
    repo::update_appointment(conn, &appointment, now)?;
    repo::link_home_visit(conn, &appointment.id, &visit.visit_id, visit.travel_seconds)?;
    let detail = appointment.outcome.as_ref().map(|o| format!("HOME_VISIT {}", o.result.as_str())).unwrap_or_default();
    repo::add_event(conn, &case.id, Some(&visit.recorded_by), EventKind::Completed, &detail, now)?;
    if !visit.other_visits_live {
        close_if_done(conn, &case, false, now)?;
    }
    Ok(appointment)
}

/// Whether any session of the case is still booked or under way.
pub(super) fn has_live_session(conn: &mut DbConnection, case: &Case) -> Result<bool> {
    let filter = AppointmentFilter { case_ids: Some(vec![case.id.clone()]), ..AppointmentFilter::default() };
    Ok(repo::list_appointments(conn, &filter, None, 1000)?
        .iter()
        .any(|a| matches!(a.status, AppointmentStatus::Booked | AppointmentStatus::CheckedIn)))
}

/// Closes the case when none of its sessions is live and (`visits_live`) none of its visits.
pub(super) fn close_if_done(conn: &mut DbConnection, case: &Case, visits_live: bool, now: DateTime<Utc>) -> Result<()> {
    if !visits_live && !has_live_session(conn, case)? {
        repo::set_case_status(conn, &case.id, CaseStatus::Closed, now)?;
    }
    Ok(())
}

/// Whether the case has a live visit, by the gateway's [`LiveVisits`].
pub(super) fn visits_live(conn: &mut DbConnection, settings: &AppointmentSettings, case: &Case) -> Result<bool> {
    Ok((settings.live_visits)(conn, &case.id)?)
}
