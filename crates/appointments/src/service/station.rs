//! The dispute at the station: a session started at once for a case the police handed over or
//! a resident walked in with, extended while it runs over, and the station's live picture of
//! sessions under way, cases waiting and mediators free.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use chrono_tz::Tz;
use mediation_api::Fault;
use mediation_auth::Role;
use mediation_directory::domain::{MediatorKind, Mode, RoomKind, SiteKind};
use mediation_store::DbConnection;

use super::{AppointmentSettings, ensure_free, visible_appointment, visible_case};
use crate::domain::access::Viewer;
use crate::domain::hours::Interval;
use crate::domain::parties::blocked_by_decline;
use crate::domain::station::{self, WaitingCase, waits_at_station};
use crate::domain::{
    Appointment, AppointmentStatus, Case, CaseStatus, EventKind, ExceptionKind, Origin, check_team, resources,
};
use crate::error::Result;
use crate::repo::{self, AppointmentFilter};

/// A session to start now, validated field by field.
#[derive(Debug, Clone)]
pub struct SessionNow {
    pub case_id: String,
    pub mediator_ids: Vec<String>,
    pub room_id: String,
    pub duration: Duration,
}

/// The case, if the caller is staff of its own station (centre-wide staff do not start sessions
/// at a station's table).
fn station_case(conn: &mut DbConnection, viewer: &Viewer, case_id: &str) -> Result<Case> {
    let (case, _) = visible_case(conn, viewer, case_id)?;
    if !viewer.is_staff() || viewer.station.as_deref() != Some(case.site_id.as_str()) {
        return Err(Fault::Forbidden("only staff of the case's station start its sessions on the spot").into());
    }
    if !waits_at_station(case.origin) {
        return Err(
            Fault::state("NOT_ON_THE_SPOT", "only cases handed over by the police or walked in start now").into()
        );
    }
    if case.status == CaseStatus::Closed {
        return Err(Fault::state("CASE_CLOSED", "the case is closed").into());
    }
    if let Some(reason) = blocked_by_decline(&case) {
        return Err(Fault::state(reason, "a party declined mediation; staff may record why it proceeds").into());
    }
    Ok(case)
}

/// The mediators may take the case and none is on leave now; the room is a MEDIATION room of
/// the case's station, big enough for the parties.
fn check_table(conn: &mut DbConnection, case: &Case, request: &SessionNow, span: Interval) -> Result<()> {
    let profiles = mediation_directory::repo::mediators_by_ids(conn, &request.mediator_ids)?;
    if profiles.len() != request.mediator_ids.len() || profiles.iter().any(|m| !m.active) {
        return Err(Fault::invalid("mediator_ids", "every mediator must exist and be active").into());
    }
    let kinds: Vec<MediatorKind> = profiles.iter().map(|m| m.kind).collect();
    check_team(case.grade, &kinds).map_err(|why| Fault::invalid("mediator_ids", why))?;
    let on_leave = repo::exceptions(conn, &request.mediator_ids, span)?;
    if let Some(leave) = on_leave.iter().find(|e| e.kind == ExceptionKind::Leave) {
        return Err(Fault::invalid("mediator_ids", format!("mediator {} is on leave", leave.mediator_id)).into());
    }
    let room = mediation_directory::repo::room(conn, &request.room_id)?
        .ok_or_else(|| Fault::invalid("room_id", "no such room"))?;
    if room.site_id != case.site_id || room.kind != RoomKind::Mediation {
        return Err(Fault::invalid("room_id", "must be a MEDIATION room of the case's station").into());
    }
    if room.capacity < case.assessment.party_count {
        return Err(Fault::invalid("room_id", "the room is too small for the parties").into());
    }
    Ok(())
}

/// Starts a session now: CHECKED_IN, holding the mediators and the room from now for the
/// duration, under the database's rule that nothing is held twice.
pub fn start_session_now(
    conn: &mut DbConnection,
    viewer: &Viewer,
    settings: &AppointmentSettings,
    request: SessionNow,
    now: DateTime<Utc>,
) -> Result<Appointment> {
    let case = station_case(conn, viewer, &request.case_id)?;
    // Whole seconds, as every backend stores them.
    let now = now.trunc_subsecs(0);
    let span =
        Interval::new(now, now + request.duration).map_err(|_| Fault::invalid("duration", "must be positive"))?;
    check_table(conn, &case, &request, span)?;
    let appointment = Appointment {
        id: uuid::Uuid::now_v7().to_string(),
        case_id: case.id.clone(),
        site_id: case.site_id.clone(),
        room_id: Some(request.room_id),
        mode: Mode::InPerson,
        status: AppointmentStatus::CheckedIn,
        span,
        mediator_ids: request.mediator_ids,
        join_url: String::new(),
        cancel_reason: String::new(),
        outcome: None,
        created_by: viewer.principal.account_id.clone(),
        on_the_spot: true,
    };
    ensure_free(conn, settings, &appointment)?;
    repo::insert_appointment(conn, &appointment, now)?;
    repo::hold(conn, &appointment)?;
    repo::set_case_status(conn, &case.id, CaseStatus::Scheduled, now)?;
    let detail = format!("until {} in room {}", span.end.to_rfc3339(), appointment.room_id.as_deref().unwrap_or(""));
    repo::add_event(conn, &case.id, Some(&viewer.principal.account_id), EventKind::StartedOnTheSpot, &detail, now)?;
    Ok(appointment)
}

/// Extends a session under way by `extra`, if its mediators and room are free that long.
pub fn extend_session(
    conn: &mut DbConnection,
    viewer: &Viewer,
    settings: &AppointmentSettings,
    appointment_id: &str,
    extra: Duration,
    now: DateTime<Utc>,
) -> Result<Appointment> {
    let (mut appointment, case, _) = visible_appointment(conn, viewer, appointment_id)?;
    if !viewer.may_run_session(&case, &appointment) {
        return Err(Fault::Forbidden("only the session's mediators and its station's staff extend it").into());
    }
    if appointment.status != AppointmentStatus::CheckedIn {
        let status = appointment.status.as_str();
        let fault = Fault::state(format!("APPOINTMENT_{status}"), format!("the appointment is {status}"));
        return Err(fault.with("appointment_id", &appointment.id).with("current_state", status).into());
    }
    appointment.span = Interval::new(appointment.span.start, appointment.span.end + extra)
        .map_err(|_| Fault::invalid("extra", "must be positive"))?;
    ensure_free(conn, settings, &appointment)?;
    repo::release(conn, &appointment.id)?;
    repo::update_appointment(conn, &appointment, now)?;
    repo::hold(conn, &appointment)?;
    let detail = format!("until {}", appointment.span.end.to_rfc3339());
    repo::add_event(conn, &case.id, Some(&viewer.principal.account_id), EventKind::Extended, &detail, now)?;
    Ok(appointment)
}

/// The station's live picture.
#[derive(Debug, Clone)]
pub struct StationPicture {
    pub site_id: String,
    pub as_of: DateTime<Utc>,
    pub in_session: Vec<Appointment>,
    /// The station's time zone.
    pub zone: Tz,
    /// The waiting line, first to be served first, with the free mediators each may take.
    pub waiting: Vec<(WaitingCase, Option<String>, Vec<String>)>,
    pub free_mediator_ids: Vec<String>,
    /// Whether the picture is for a kiosk: no case ids, incident numbers, names or phones.
    pub for_kiosk: bool,
}

/// Who may look at a station's picture: its staff and kiosks, and centre-wide staff.
fn may_watch(viewer: &Viewer, site_id: &str) -> bool {
    let own = viewer.station.as_deref() == Some(site_id);
    match viewer.role() {
        Role::Kiosk => own,
        Role::Resident => false,
        _ => own || viewer.is_centre_wide(),
    }
}

pub fn station_now(
    conn: &mut DbConnection,
    viewer: &Viewer,
    site_id: &str,
    now: DateTime<Utc>,
) -> Result<StationPicture> {
    let site = mediation_directory::repo::site(conn, site_id)?
        .filter(|site| site.kind == SiteKind::Station)
        .ok_or(Fault::NotFound("station"))?;
    if !may_watch(viewer, &site.id) {
        return Err(Fault::Forbidden("only the station's staff and kiosks see its live picture").into());
    }
    let this_minute = Interval::new(now, now + Duration::minutes(1)).expect("a minute is not empty");
    let filter = AppointmentFilter {
        site_ids: Some(vec![site.id.clone()]),
        status: Some(AppointmentStatus::CheckedIn),
        from: Some(now),
        to: Some(now + Duration::seconds(1)),
        ..AppointmentFilter::default()
    };
    // CHECKED_IN and overlapping this second: under way now.
    let in_session = repo::list_appointments(conn, &filter, None, 200)?;
    let free = free_mediators(conn, &site.id, this_minute)?;
    let open = repo::open_cases_at(conn, &site.id, &[Origin::Police110, Origin::WalkIn])?;
    let line = station::waiting_line(
        open.iter()
            .map(|case| WaitingCase {
                case_id: case.id.clone(),
                origin: case.origin,
                grade: case.grade,
                status: case.status,
                waiting_since: case.created_at,
                has_session: false,
            })
            .collect(),
    );
    let waiting = line
        .into_iter()
        .map(|waiting| {
            let incident = open.iter().find(|c| c.id == waiting.case_id).and_then(|c| c.police_incident_id.clone());
            let eligible = station::eligible(waiting.grade, &free).map(str::to_owned).collect();
            (waiting, incident, eligible)
        })
        .collect();
    Ok(StationPicture {
        zone: super::stored_zone(&site)?,
        site_id: site.id,
        as_of: now,
        in_session,
        waiting,
        free_mediator_ids: free.into_iter().map(|(id, _)| id).collect(),
        for_kiosk: viewer.role() == Role::Kiosk,
    })
}

/// The station's active mediators who hold nothing during `window` and are not on leave.
fn free_mediators(conn: &mut DbConnection, site_id: &str, window: Interval) -> Result<Vec<(String, MediatorKind)>> {
    let mediators = mediation_directory::repo::active_mediators_at(conn, site_id)?;
    let ids: Vec<String> = mediators.iter().map(|(id, _)| id.clone()).collect();
    let busy = repo::held(conn, &resources(&ids, None), window, None)?;
    let leave = repo::exceptions(conn, &ids, window)?;
    Ok(mediators
        .into_iter()
        .filter(|(id, _)| !busy.contains(&format!("mediator:{id}")))
        .filter(|(id, _)| !leave.iter().any(|e| e.mediator_id == *id && e.kind == ExceptionKind::Leave))
        .collect())
}
