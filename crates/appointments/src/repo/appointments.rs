//! Appointments and the mediators booked on each.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use mediation_store::DbConnection;
use mediation_store::schema::{appointment_mediators, appointments};

use super::{QueryResult, naive, parse, span};
use crate::domain::{Appointment, AppointmentStatus, Outcome};

pub fn insert_appointment(conn: &mut DbConnection, a: &Appointment, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::insert_into(appointments::table)
        .values((
            appointments::id.eq(&a.id),
            appointments::case_id.eq(&a.case_id),
            appointments::site_id.eq(&a.site_id),
            appointments::room_id.eq(&a.room_id),
            appointments::mode.eq(a.mode.as_str()),
            appointments::status.eq(a.status.as_str()),
            appointments::starts_at.eq(naive(a.span.start)),
            appointments::ends_at.eq(naive(a.span.end)),
            appointments::join_url.eq(&a.join_url),
            appointments::created_by.eq(&a.created_by),
            appointments::created_at.eq(naive(now)),
            appointments::updated_at.eq(naive(now)),
            appointments::on_the_spot.eq(a.on_the_spot),
        ))
        .execute(conn)?;
    for mediator_id in &a.mediator_ids {
        diesel::insert_into(appointment_mediators::table)
            .values((
                appointment_mediators::appointment_id.eq(&a.id),
                appointment_mediators::mediator_id.eq(mediator_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Writes the appointment's status, time, room, reason and outcome.
pub fn update_appointment(conn: &mut DbConnection, a: &Appointment, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(appointments::table.find(&a.id))
        .set((
            appointments::status.eq(a.status.as_str()),
            appointments::starts_at.eq(naive(a.span.start)),
            appointments::ends_at.eq(naive(a.span.end)),
            appointments::room_id.eq(&a.room_id),
            appointments::cancel_reason.eq(&a.cancel_reason),
            appointments::outcome_result.eq(a.outcome.as_ref().map(|o| o.result.as_str())),
            appointments::agreement_summary.eq(a.outcome.as_ref().map_or("", |o| o.agreement_summary.as_str())),
            appointments::referred_to.eq(a.outcome.as_ref().map_or("", |o| o.referred_to.as_str())),
            appointments::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = appointments)]
struct AppointmentRow {
    id: String,
    case_id: String,
    site_id: String,
    room_id: Option<String>,
    mode: String,
    status: String,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    join_url: String,
    cancel_reason: String,
    outcome_result: Option<String>,
    agreement_summary: String,
    referred_to: String,
    created_by: String,
    on_the_spot: bool,
}

impl AppointmentRow {
    fn into_appointment(self, mediator_ids: Vec<String>) -> QueryResult<Appointment> {
        let outcome = match self.outcome_result {
            Some(result) => Some(Outcome {
                result: parse("appointments.outcome_result", &result)?,
                agreement_summary: self.agreement_summary,
                referred_to: self.referred_to,
            }),
            None => None,
        };
        Ok(Appointment {
            mediator_ids,
            mode: parse("appointments.mode", &self.mode)?,
            status: parse("appointments.status", &self.status)?,
            span: span("appointments", self.starts_at, self.ends_at)?,
            outcome,
            id: self.id,
            case_id: self.case_id,
            site_id: self.site_id,
            room_id: self.room_id,
            join_url: self.join_url,
            cancel_reason: self.cancel_reason,
            created_by: self.created_by,
            on_the_spot: self.on_the_spot,
        })
    }
}

fn with_mediators(conn: &mut DbConnection, rows: Vec<AppointmentRow>) -> QueryResult<Vec<Appointment>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let links: Vec<(String, String)> = appointment_mediators::table
        .filter(appointment_mediators::appointment_id.eq_any(&ids))
        .order((appointment_mediators::appointment_id, appointment_mediators::mediator_id))
        .select((appointment_mediators::appointment_id, appointment_mediators::mediator_id))
        .load(conn)?;
    rows.into_iter()
        .map(|r| {
            let mediator_ids = links.iter().filter(|(a, _)| *a == r.id).map(|(_, m)| m.clone()).collect();
            r.into_appointment(mediator_ids)
        })
        .collect()
}

pub fn appointment(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Appointment>> {
    let rows = appointments::table.filter(appointments::id.eq(id)).select(AppointmentRow::as_select()).load(conn)?;
    Ok(with_mediators(conn, rows)?.pop())
}

#[derive(Debug, Clone, Default)]
pub struct AppointmentFilter {
    pub case_ids: Option<Vec<String>>,
    pub site_ids: Option<Vec<String>>,
    pub mediator_id: Option<String>,
    pub status: Option<AppointmentStatus>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Appointments after `after_id` in id order.
pub fn list_appointments(
    conn: &mut DbConnection,
    filter: &AppointmentFilter,
    after_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Appointment>> {
    let mut query =
        appointments::table.select(AppointmentRow::as_select()).order(appointments::id).limit(limit).into_boxed();
    if let Some(ids) = &filter.case_ids {
        query = query.filter(appointments::case_id.eq_any(ids));
    }
    if let Some(ids) = &filter.site_ids {
        query = query.filter(appointments::site_id.eq_any(ids));
    }
    if let Some(mediator_id) = &filter.mediator_id {
        let linked = appointment_mediators::table
            .filter(appointment_mediators::mediator_id.eq(mediator_id))
            .select(appointment_mediators::appointment_id);
        query = query.filter(appointments::id.eq_any(linked));
    }
    if let Some(status) = filter.status {
        query = query.filter(appointments::status.eq(status.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(appointments::ends_at.gt(naive(from)));
    }
    if let Some(to) = filter.to {
        query = query.filter(appointments::starts_at.lt(naive(to)));
    }
    if let Some(after_id) = after_id {
        query = query.filter(appointments::id.gt(after_id));
    }
    let rows = query.load(conn)?;
    with_mediators(conn, rows)
}

/// The cases the mediator takes part in: those with a BOOKED, CHECKED_IN or COMPLETED session
/// of theirs (a cancelled or missed session gives no access to its case).
pub fn case_ids_of_mediator(conn: &mut DbConnection, mediator_id: &str) -> QueryResult<Vec<String>> {
    let live: Vec<&str> = [AppointmentStatus::Booked, AppointmentStatus::CheckedIn, AppointmentStatus::Completed]
        .into_iter()
        .filter(|s| crate::domain::lifecycle::takes_part(*s))
        .map(AppointmentStatus::as_str)
        .collect();
    appointments::table
        .inner_join(appointment_mediators::table)
        .filter(appointment_mediators::mediator_id.eq(mediator_id))
        .filter(appointments::status.eq_any(live))
        .select(appointments::case_id)
        .distinct()
        .load(conn)
}

/// Marks a session as the record of a completed home visit, with the driving to it.
pub fn link_home_visit(
    conn: &mut DbConnection,
    appointment_id: &str,
    visit_id: &str,
    travel_seconds: i32,
) -> QueryResult<()> {
    diesel::update(appointments::table.find(appointment_id))
        .set((appointments::home_visit_id.eq(visit_id), appointments::travel_seconds.eq(travel_seconds)))
        .execute(conn)?;
    Ok(())
}

/// The session that records a completed home visit.
pub fn appointment_of_home_visit(conn: &mut DbConnection, visit_id: &str) -> QueryResult<Option<Appointment>> {
    let rows: Vec<AppointmentRow> = appointments::table
        .filter(appointments::home_visit_id.eq(visit_id))
        .select(AppointmentRow::as_select())
        .load(conn)?;
    Ok(with_mediators(conn, rows)?.pop())
}

/// The driving to each of these sessions that record home visits, in seconds (sessions that
/// record none are left out).
pub fn home_visit_travel(conn: &mut DbConnection, appointment_ids: &[String]) -> QueryResult<Vec<(String, i32)>> {
    appointments::table
        .filter(appointments::id.eq_any(appointment_ids))
        .filter(appointments::home_visit_id.is_not_null())
        .select((appointments::id, appointments::travel_seconds))
        .load(conn)
}
