//! Sessions: booking one free of conflicts, moving and cancelling it, running it (check-in,
//! no-show, completion) and listing them; each change is written to the case's history and
//! announced through the outbox.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use mediation_api::Fault;
use mediation_directory::domain::{Mode, RoomKind};
use mediation_store::DbConnection;

use super::{AppointmentSettings, schedulable_case, site_zone, visible_case};
use crate::domain::access::Viewer;
use crate::domain::hours::{self, Interval};
use crate::domain::lifecycle::{self, Move};
use crate::domain::{
    Appointment, AppointmentStatus, Case, CaseStatus, EventKind, ExceptionKind, Outcome, check_team, resources,
};
use crate::error::{Error, Result};
use crate::notices;
use crate::repo::{self, AppointmentFilter};

/// A booking as requested, validated field by field.
#[derive(Debug, Clone)]
pub struct BookingRequest {
    pub case_id: String,
    pub span: Interval,
    pub mediator_ids: Vec<String>,
    pub room_id: Option<String>,
    pub mode: Mode,
}

/// The case if a session may be booked for it by the viewer: [`schedulable_case`], neither
/// closed nor held up by a party's decline.
fn bookable_case(conn: &mut DbConnection, viewer: &Viewer, case_id: &str) -> Result<Case> {
    let case = schedulable_case(conn, viewer, case_id)?;
    if case.status == CaseStatus::Closed {
        return Err(Fault::state("CASE_CLOSED", "the case is closed").into());
    }
    if let Some(reason) = crate::domain::parties::blocked_by_decline(&case) {
        return Err(Fault::state(reason, "a party declined mediation; staff may record why it proceeds").into());
    }
    Ok(case)
}

/// The site where every mediator works through `span` (weekly hours or EXTRA, no LEAVE).
fn common_site(conn: &mut DbConnection, mediator_ids: &[String], span: Interval) -> Result<String> {
    let all_hours = repo::hours(conn, Some(mediator_ids), None)?;
    let exceptions = repo::exceptions(conn, mediator_ids, span)?;
    let mut sites_of_each: Vec<Vec<String>> = Vec::new();
    for mediator_id in mediator_ids {
        let mut sites = Vec::new();
        let on_leave = exceptions
            .iter()
            .any(|e| e.mediator_id == *mediator_id && e.kind == ExceptionKind::Leave && e.span.overlaps(&span));
        for (m, site_id, rules) in all_hours.iter().filter(|(m, ..)| m == mediator_id) {
            let tz: Tz = site_zone(conn, site_id)?;
            let mut working = hours::expand(rules, tz, span);
            working.extend(
                exceptions
                    .iter()
                    .filter(|e| {
                        e.mediator_id == *m && e.kind == ExceptionKind::Extra && e.site_id.as_ref() == Some(site_id)
                    })
                    .map(|e| e.span),
            );
            if !on_leave && hours::merge(working).iter().any(|w| w.contains(&span)) {
                sites.push(site_id.clone());
            }
        }
        sites_of_each.push(sites);
    }
    let first = sites_of_each.first().cloned().unwrap_or_default();
    first.into_iter().find(|site| sites_of_each.iter().all(|sites| sites.contains(site))).ok_or_else(|| {
        Fault::invalid("start", "the mediators are not all working at one site for that whole time").into()
    })
}

/// Checks the mediators, the time and the room against the case, and finds the site.
fn check_booking(
    conn: &mut DbConnection,
    settings: &AppointmentSettings,
    case: &Case,
    request: &BookingRequest,
    now: DateTime<Utc>,
) -> Result<String> {
    let room_kind = super::room_kind(request.mode)?;
    let profiles = mediation_directory::repo::mediators_by_ids(conn, &request.mediator_ids)?;
    if profiles.len() != request.mediator_ids.len() || profiles.iter().any(|m| !m.active) {
        return Err(Fault::invalid("mediator_ids", "every mediator must exist and be active").into());
    }
    let kinds: Vec<_> = profiles.iter().map(|m| m.kind).collect();
    check_team(case.grade, &kinds).map_err(|why| Fault::invalid("mediator_ids", why))?;
    let rules = &settings.slots;
    if request.span.start < now + rules.notice || request.span.end > now + rules.horizon {
        return Err(Fault::invalid(
            "start",
            format!(
                "sessions are booked at least {} minutes ahead and at most {} days ahead",
                rules.notice.num_minutes(),
                rules.horizon.num_days()
            ),
        )
        .into());
    }
    // A VIDEO room at a station or kiosk takes mediators working anywhere (an expert at the
    // centre); the session is held at the room's site.
    let remote_site = match (&request.room_id, request.mode) {
        (Some(room_id), Mode::Video) => super::video::remote_video_room(conn, room_id)?,
        _ => None,
    };
    let site_id = match remote_site {
        Some(site_id) => {
            super::video::check_working_anywhere(conn, &request.mediator_ids, request.span)?;
            site_id
        }
        None => common_site(conn, &request.mediator_ids, request.span)?,
    };
    match &request.room_id {
        Some(room_id) => {
            let room = mediation_directory::repo::room(conn, room_id)?
                .ok_or_else(|| Fault::invalid("room_id", "no such room"))?;
            if room.site_id != site_id || room.kind != room_kind {
                return Err(Fault::invalid(
                    "room_id",
                    format!("must be a {} room at site {site_id}", room_kind.as_str()),
                )
                .into());
            }
            if room.kind == RoomKind::Mediation && room.capacity < case.assessment.party_count {
                return Err(Fault::invalid("room_id", "the room is too small for the parties").into());
            }
        }
        None if request.mode == Mode::InPerson => {
            return Err(Fault::invalid("room_id", "an IN_PERSON session needs a MEDIATION room").into());
        }
        None => {}
    }
    Ok(site_id)
}

/// Fails with SLOT_TAKEN when any of the appointment's resources is held near its time. The
/// database constraint is the real guard; this only answers early and honours the buffer.
pub(super) fn ensure_free(conn: &mut DbConnection, settings: &AppointmentSettings, a: &Appointment) -> Result<()> {
    let wanted = resources(&a.mediator_ids, a.room_id.as_deref());
    match repo::held(conn, &wanted, a.span.widened(settings.slots.buffer), Some(&a.id))?.into_iter().next() {
        None => Ok(()),
        Some(resource) => Err(Error::SlotTaken { held: Some(resource) }),
    }
}

pub fn book(
    conn: &mut DbConnection,
    viewer: &Viewer,
    settings: &AppointmentSettings,
    request: BookingRequest,
    now: DateTime<Utc>,
) -> Result<Appointment> {
    let case = bookable_case(conn, viewer, &request.case_id)?;
    let site_id = check_booking(conn, settings, &case, &request, now)?;
    let id = uuid::Uuid::now_v7().to_string();
    let join_url = super::join_url(settings, request.mode, &id);
    let appointment = Appointment {
        id,
        case_id: case.id.clone(),
        site_id,
        room_id: request.room_id,
        mode: request.mode,
        status: AppointmentStatus::Booked,
        span: request.span,
        mediator_ids: request.mediator_ids,
        join_url,
        cancel_reason: String::new(),
        outcome: None,
        created_by: viewer.principal.account_id.clone(),
        on_the_spot: false,
    };
    ensure_free(conn, settings, &appointment)?;
    record_booking(conn, settings, &case, &appointment, &viewer.principal.account_id, now)?;
    Ok(appointment)
}

/// The writes of a booking that passed its checks: the appointment with its mediators, its
/// resource holds (where the database refuses a double booking), the case SCHEDULED with a
/// BOOKED event by `booked_by`, and the notice and reminder in the outbox. The benchmark's raw
/// ceiling makes the same writes through this function.
pub fn record_booking(
    conn: &mut DbConnection,
    settings: &AppointmentSettings,
    case: &Case,
    appointment: &Appointment,
    booked_by: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    repo::insert_appointment(conn, appointment, now)?;
    repo::hold(conn, appointment)?;
    repo::set_case_status(conn, &case.id, CaseStatus::Scheduled, now)?;
    let detail = format!("{} at {}", appointment.span.start.to_rfc3339(), appointment.site_id);
    repo::add_event(conn, &case.id, Some(booked_by), EventKind::Booked, &detail, now)?;
    notices::booked(conn, settings, case, appointment, now)
}

/// The appointment and its case, if the viewer may know of them.
pub(super) fn visible_appointment(
    conn: &mut DbConnection,
    viewer: &Viewer,
    id: &str,
) -> Result<(Appointment, Case, bool)> {
    let appointment = repo::appointment(conn, id)?.ok_or(Fault::NotFound("appointment"))?;
    match visible_case(conn, viewer, &appointment.case_id) {
        Ok((case, assigned)) => Ok((appointment, case, assigned)),
        Err(Error::Fault(Fault::NotFound(_))) => Err(Fault::NotFound("appointment").into()),
        Err(other) => Err(other),
    }
}

pub fn get_appointment(conn: &mut DbConnection, viewer: &Viewer, id: &str) -> Result<Appointment> {
    Ok(visible_appointment(conn, viewer, id)?.0)
}

fn step(appointment: &mut Appointment, to: Move) -> Result<()> {
    appointment.status = lifecycle::apply(appointment.status, to).map_err(|reason| {
        Fault::state(reason, format!("the appointment is {}", appointment.status.as_str()))
            .with("appointment_id", &appointment.id)
            .with("current_state", appointment.status.as_str())
    })?;
    Ok(())
}

pub fn reschedule(
    conn: &mut DbConnection,
    viewer: &Viewer,
    settings: &AppointmentSettings,
    id: &str,
    span: Interval,
    room_id: Option<String>,
    now: DateTime<Utc>,
) -> Result<Appointment> {
    let (mut appointment, case, _) = visible_appointment(conn, viewer, id)?;
    if !viewer.may_schedule(&case) {
        return Err(Fault::Forbidden("only the applicant or the case's staff move its sessions").into());
    }
    step(&mut appointment, Move::Reschedule)?;
    let request = BookingRequest {
        case_id: case.id.clone(),
        span,
        mediator_ids: appointment.mediator_ids.clone(),
        room_id: room_id.or(appointment.room_id.clone()),
        mode: appointment.mode,
    };
    appointment.site_id = check_booking(conn, settings, &case, &request, now)?;
    appointment.span = span;
    appointment.room_id = request.room_id;
    ensure_free(conn, settings, &appointment)?;
    repo::release(conn, id)?;
    repo::update_appointment(conn, &appointment, now)?;
    repo::hold(conn, &appointment)?;
    let detail = span.start.to_rfc3339();
    repo::add_event(conn, &case.id, Some(&viewer.principal.account_id), EventKind::Rescheduled, &detail, now)?;
    notices::rescheduled(conn, settings, &case, &appointment, now)?;
    Ok(appointment)
}

pub fn cancel(
    conn: &mut DbConnection,
    viewer: &Viewer,
    settings: &AppointmentSettings,
    id: &str,
    reason: String,
    now: DateTime<Utc>,
) -> Result<Appointment> {
    let (mut appointment, case, _) = visible_appointment(conn, viewer, id)?;
    if !viewer.may_schedule(&case) {
        return Err(Fault::Forbidden("only the applicant or the case's staff cancel its sessions").into());
    }
    step(&mut appointment, Move::Cancel)?;
    if !viewer.works(&case) && now > appointment.span.start - settings.applicant_cancel_cutoff {
        return Err(Fault::state(
            "CANCEL_CUTOFF_PASSED",
            format!(
                "sessions can be cancelled up to {} minutes before they start; ask the station",
                settings.applicant_cancel_cutoff.num_minutes()
            ),
        )
        .into());
    }
    appointment.cancel_reason = reason;
    repo::release(conn, id)?;
    repo::update_appointment(conn, &appointment, now)?;
    let actor = Some(viewer.principal.account_id.as_str());
    repo::add_event(conn, &case.id, actor, EventKind::Cancelled, &appointment.cancel_reason, now)?;
    reopen_if_idle(conn, &case, now)?;
    notices::cancelled(conn, settings, &case, &appointment, now)?;
    Ok(appointment)
}

/// A case with no live session left is open again.
fn reopen_if_idle(conn: &mut DbConnection, case: &Case, now: DateTime<Utc>) -> Result<()> {
    if !super::home_visits::has_live_session(conn, case)? && case.status == CaseStatus::Scheduled {
        repo::set_case_status(conn, &case.id, CaseStatus::Open, now)?;
    }
    Ok(())
}

/// Check-in, no-show or completion, by the case's staff, one of the session's own mediators,
/// or a kiosk of its station (check-in only); not before its time (`TOO_EARLY`).
pub fn run_session(
    conn: &mut DbConnection,
    viewer: &Viewer,
    settings: &AppointmentSettings,
    id: &str,
    to: Move,
    outcome: Option<Outcome>,
    now: DateTime<Utc>,
) -> Result<Appointment> {
    let (mut appointment, case) = if viewer.role() == mediation_auth::Role::Kiosk {
        // A kiosk knows an appointment only to check it in at its own station.
        let appointment = repo::appointment(conn, id)?.ok_or(Fault::NotFound("appointment"))?;
        if !viewer.is_kiosk_of(&appointment.site_id) {
            return Err(Fault::NotFound("appointment").into());
        }
        if to != Move::CheckIn {
            return Err(Fault::Forbidden("a kiosk only checks sessions in").into());
        }
        let case = repo::case(conn, &appointment.case_id)?.ok_or(Fault::NotFound("appointment"))?;
        (appointment, case)
    } else {
        let (appointment, case, _) = visible_appointment(conn, viewer, id)?;
        if !viewer.may_run_session(&case, &appointment) {
            return Err(Fault::Forbidden("only the case's staff or the session's own mediators run it").into());
        }
        (appointment, case)
    };
    step(&mut appointment, to)?;
    if lifecycle::too_early(to, appointment.span.start, now, settings.check_in_early) {
        return Err(Fault::state(
            "TOO_EARLY",
            format!(
                "the session starts at {}: it is checked in from {} minutes before and completed from its start",
                appointment.span.start.to_rfc3339(),
                settings.check_in_early.num_minutes()
            ),
        )
        .into());
    }
    match to {
        Move::CheckIn => {}
        Move::NoShow => repo::release(conn, id)?,
        Move::Complete => appointment.outcome = outcome,
        Move::Reschedule | Move::Cancel => unreachable!("scheduling moves go through reschedule and cancel"),
    }
    repo::update_appointment(conn, &appointment, now)?;
    let detail = appointment.outcome.as_ref().map(|o| o.result.as_str()).unwrap_or_default();
    repo::add_event(conn, &case.id, Some(&viewer.principal.account_id), lifecycle::event(to), detail, now)?;
    match to {
        Move::NoShow => reopen_if_idle(conn, &case, now)?,
        // The case closes with its last live session or home visit; a joint follow-up keeps it
        // scheduled.
        Move::Complete => {
            let visits_live = super::home_visits::visits_live(conn, settings, &case)?;
            super::home_visits::close_if_done(conn, &case, visits_live, now)?
        }
        _ => {}
    }
    if to == Move::Complete {
        // In the completion's transaction: the police hear of it exactly when it happened.
        notices::police_feedback(conn, &case, &appointment, now)?;
    }
    Ok(appointment)
}

/// The appointments the viewer may list, narrowed by `filter`, from `cursor` in its order.
pub fn list_appointments(
    conn: &mut DbConnection,
    viewer: &Viewer,
    mut filter: AppointmentFilter,
    cursor: repo::Cursor<'_>,
    limit: i64,
) -> Result<Vec<Appointment>> {
    if let Some(case_ids) = &filter.case_ids {
        for case_id in case_ids {
            visible_case(conn, viewer, case_id)?;
        }
    }
    if viewer.role() == mediation_auth::Role::Kiosk {
        return Err(Fault::Forbidden("a kiosk lists no appointments; it checks them in by id").into());
    }
    let own_mediator = viewer.mediator_id.is_some() && filter.mediator_id == viewer.mediator_id;
    if viewer.role() == mediation_auth::Role::Resident {
        let own = repo::list_cases(
            conn,
            &repo::CaseFilter { applicant: Some(viewer.principal.account_id.clone()), ..Default::default() },
            None,
            10_000,
        )?;
        let own_ids: Vec<String> = own.into_iter().map(|c| c.id).collect();
        filter.case_ids = Some(match filter.case_ids {
            Some(asked) => asked.into_iter().filter(|c| own_ids.contains(c)).collect(),
            None => own_ids,
        });
    } else if !viewer.is_centre_wide() && !own_mediator && filter.case_ids.is_none() {
        let station = viewer.station.clone().ok_or(Fault::Forbidden("your account belongs to no station"))?;
        if filter.site_ids.as_ref().is_some_and(|sites| sites.iter().any(|s| *s != station)) {
            return Err(Fault::Forbidden("you may list only your own station's appointments").into());
        }
        filter.site_ids = Some(vec![station]);
    }
    Ok(repo::list_appointments_from(conn, &filter, cursor, limit)?)
}
