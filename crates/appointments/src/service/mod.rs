//! The appointment flows. Each runs inside the caller's transaction, reads what it needs,
//! checks the caller against the case, applies the rules and writes through the repo.

mod agreements;
mod availability;
mod booking;
mod calendar;
mod cases;
mod home_visits;
mod messages;
mod schedule;
mod station;
mod statistics;
mod video;
mod whistle;

pub use agreements::*;
pub use availability::*;
pub use booking::*;
pub use calendar::{Calendar, CalendarCache, HeldTimes};
pub use cases::*;
pub use home_visits::{LiveVisits, VisitSession, no_live_visits, record_visit_session};
pub use messages::*;
pub use schedule::*;
pub use station::*;
pub use statistics::*;
pub use video::{IssuedLink, join_link, join_url};
pub use whistle::*;

use chrono::Duration;
use mediation_api::Fault;
use mediation_auth::{Principal, Role};
use mediation_store::DbConnection;

use crate::domain::Case;
use crate::domain::access::Viewer;
use crate::domain::grading::Thresholds;
use crate::domain::slots::SlotRules;
use crate::error::Result;
use crate::repo;

/// The service's settings; the gateway's settings module documents each default.
#[derive(Debug, Clone)]
pub struct AppointmentSettings {
    pub thresholds: Thresholds,
    pub slots: SlotRules,
    /// How long before the start an applicant may still cancel.
    pub applicant_cancel_cutoff: Duration,
    /// How long before a session its reminder goes out.
    pub reminder_lead: Duration,
    /// How long before the start a VIDEO session's join links admit.
    pub video_join_early: Duration,
    /// How long before the start a session may be checked in (it is completed from its start).
    pub check_in_early: Duration,
    /// The video system's join page; a VIDEO session's `join_url` is this page of its room,
    /// without a token (see [`join_url`]).
    pub video_join_page: String,
    /// Whether a case still has a live home visit (dispatch's answer, handed in by the gateway):
    /// completing its last session then leaves it open.
    pub live_visits: LiveVisits,
    /// How long after an agreement is SIGNED each party gets the FOLLOW_UP notice.
    pub follow_up_after: Duration,
    /// How many tries a SIGN_AGREEMENT code allows (identity's code rules).
    pub code_max_attempts: i32,
    /// What the agreement flows and the notice worker take as now.
    pub clock: crate::Clock,
}

impl Default for AppointmentSettings {
    fn default() -> Self {
        Self {
            thresholds: Thresholds::default(),
            slots: SlotRules::default(),
            applicant_cancel_cutoff: Duration::hours(2),
            reminder_lead: Duration::hours(24),
            video_join_early: Duration::minutes(10),
            check_in_early: Duration::minutes(60),
            video_join_page: "https://meet.mediation.example/custom".into(),
            live_visits: no_live_visits,
            follow_up_after: Duration::days(30),
            code_max_attempts: 5,
            clock: crate::Clock::system(),
        }
    }
}

/// The caller as the access rules see them: their station (a kiosk's is its parent) and, for
/// a mediator, their profile; for a resident, their verified phone.
pub fn viewer(conn: &mut DbConnection, principal: Principal) -> Result<Viewer> {
    let viewer = viewer_without_phone(conn, principal)?;
    with_verified_phone(conn, viewer)
}

/// [`viewer`] without a resident's verified phone (a read of their account), for a flow that
/// asks which party the caller is only through [`with_verified_phone`]: without the phone a
/// resident is no party by phone, so a flow that forgets it refuses rather than reveals.
pub fn viewer_without_phone(conn: &mut DbConnection, principal: Principal) -> Result<Viewer> {
    let at_kiosk = principal.role == Role::Kiosk || principal.kiosk_id.is_some();
    let station = match &principal.site_id {
        Some(kiosk_site) if at_kiosk => mediation_directory::repo::site(conn, kiosk_site)?.and_then(|s| s.parent_id),
        site => site.clone(),
    };
    let mediator_id = match principal.role {
        Role::Mediator => mediation_directory::repo::mediator_by_account(conn, &principal.account_id)?,
        _ => None,
    };
    Ok(Viewer { principal, station, mediator_id, verified_phone: None })
}

/// The viewer with their verified phone, when they are a resident with one.
pub fn with_verified_phone(conn: &mut DbConnection, mut viewer: Viewer) -> Result<Viewer> {
    if viewer.role() == Role::Resident {
        viewer.verified_phone = mediation_identity::repo::account_by_id(conn, &viewer.principal.account_id)?
            .filter(|account| account.phone_verified)
            .and_then(|account| account.phone)
            .map(|phone| phone.as_str().to_owned());
    }
    Ok(viewer)
}

/// Whether the viewer is a mediator who takes part in the case: one of its BOOKED, CHECKED_IN or
/// COMPLETED sessions is theirs.
fn assigned(conn: &mut DbConnection, viewer: &Viewer, case_id: &str) -> Result<bool> {
    Ok(match &viewer.mediator_id {
        Some(mediator_id) => repo::case_ids_of_mediator(conn, mediator_id)?.iter().any(|c| c == case_id),
        None => false,
    })
}

/// The case if the viewer may book, move or cancel its sessions (its applicant or its staff);
/// otherwise PERMISSION_DENIED when they may see it and NOT_FOUND when not. Only that last
/// distinction needs a resident's verified phone, so it is read only then: a viewer from
/// [`viewer_without_phone`] will do.
pub fn schedulable_case(conn: &mut DbConnection, viewer: &Viewer, case_id: &str) -> Result<Case> {
    let case = repo::case(conn, case_id)?.ok_or(Fault::NotFound("case"))?;
    if viewer.may_schedule(&case) {
        return Ok(case);
    }
    let viewer = with_verified_phone(conn, viewer.clone())?;
    if !viewer.can_see(&case, assigned(conn, &viewer, case_id)?) {
        return Err(Fault::NotFound("case").into());
    }
    Err(Fault::Forbidden("only the applicant or the case's staff book its sessions").into())
}

/// [`schedulable_case`] without its parties, for a flow that never looks at them (a search for
/// times): who may schedule is decided by the applicant and the station alone, so the way that
/// succeeds reads one row; a refusal reads the whole case, whose parties decide how to refuse.
pub fn schedulable_case_without_parties(conn: &mut DbConnection, viewer: &Viewer, case_id: &str) -> Result<Case> {
    match repo::case_without_parties(conn, case_id)? {
        Some(case) if viewer.may_schedule(&case) => Ok(case),
        _ => schedulable_case(conn, viewer, case_id),
    }
}

/// The case if the viewer may know of it; NOT_FOUND otherwise, so that its existence stays
/// private.
pub fn visible_case(conn: &mut DbConnection, viewer: &Viewer, case_id: &str) -> Result<(Case, bool)> {
    let case = repo::case(conn, case_id)?.ok_or(Fault::NotFound("case"))?;
    let assigned = assigned(conn, viewer, case_id)?;
    if viewer.can_see(&case, assigned) { Ok((case, assigned)) } else { Err(Fault::NotFound("case").into()) }
}
