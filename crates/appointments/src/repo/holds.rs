//! The resources (mediators, rooms) sessions hold for their time. The table refuses two
//! overlapping holds of one resource (`resource_holds_no_overlap`).

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use mediation_store::DbConnection;
use mediation_store::schema::resource_holds;

use super::{QueryResult, naive, span};
use crate::domain::hours::Interval;
use crate::domain::{Appointment, resources};

/// Whether an insert failed because a resource is already held for an overlapping time: the
/// PostgreSQL exclusion constraint or the SQLite trigger, both named `resource_holds_no_overlap`.
pub fn is_overlap(err: &DieselError) -> bool {
    match err {
        DieselError::DatabaseError(_, info) => {
            info.constraint_name() == Some("resource_holds_no_overlap")
                || info.message().contains("resource_holds_no_overlap")
        }
        _ => false,
    }
}

/// Resources among `resources` held for a time overlapping `span`, other than by `except`.
pub fn held(
    conn: &mut DbConnection,
    resources: &[String],
    span: Interval,
    except: Option<&str>,
) -> QueryResult<Vec<String>> {
    let mut query = resource_holds::table
        .filter(resource_holds::resource.eq_any(resources))
        .filter(resource_holds::starts_at.lt(naive(span.end)))
        .filter(resource_holds::ends_at.gt(naive(span.start)))
        .select(resource_holds::resource)
        .into_boxed();
    if let Some(except) = except {
        query = query.filter(resource_holds::appointment_id.ne(except));
    }
    query.load(conn)
}

/// (resource, span) of every hold on `resources` overlapping `window`.
pub fn holds(conn: &mut DbConnection, resources: &[String], window: Interval) -> QueryResult<Vec<(String, Interval)>> {
    let rows: Vec<(String, NaiveDateTime, NaiveDateTime)> = resource_holds::table
        .filter(resource_holds::resource.eq_any(resources))
        .filter(resource_holds::starts_at.lt(naive(window.end)))
        .filter(resource_holds::ends_at.gt(naive(window.start)))
        .select((resource_holds::resource, resource_holds::starts_at, resource_holds::ends_at))
        .load(conn)?;
    rows.into_iter().map(|(r, a, b)| Ok((r, span("resource_holds", a, b)?))).collect()
}

/// (resource, span) of every hold that ends after `since`.
pub fn holds_ending_after(conn: &mut DbConnection, since: DateTime<Utc>) -> QueryResult<Vec<(String, Interval)>> {
    let rows: Vec<(String, NaiveDateTime, NaiveDateTime)> = resource_holds::table
        .filter(resource_holds::ends_at.gt(naive(since)))
        .select((resource_holds::resource, resource_holds::starts_at, resource_holds::ends_at))
        .load(conn)?;
    rows.into_iter().map(|(r, a, b)| Ok((r, span("resource_holds", a, b)?))).collect()
}

/// Holds the appointment's mediators and room for its time; a conflict fails with an error
/// that [`is_overlap`] recognises.
pub fn hold(conn: &mut DbConnection, a: &Appointment) -> QueryResult<()> {
    for resource in resources(&a.mediator_ids, a.room_id.as_deref()) {
        diesel::insert_into(resource_holds::table)
            .values((
                resource_holds::resource.eq(resource),
                resource_holds::appointment_id.eq(&a.id),
                resource_holds::starts_at.eq(naive(a.span.start)),
                resource_holds::ends_at.eq(naive(a.span.end)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn release(conn: &mut DbConnection, appointment_id: &str) -> QueryResult<()> {
    diesel::delete(resource_holds::table.filter(resource_holds::appointment_id.eq(appointment_id))).execute(conn)?;
    Ok(())
}
