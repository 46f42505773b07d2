//! Mediators' weekly working hours and their exceptions (leave, extra hours).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc, Weekday};
use diesel::prelude::*;
use mediation_store::DbConnection;
use mediation_store::schema::{schedule_exceptions, working_hours};

use super::{QueryResult, naive, parse, span, unreadable};
use crate::domain::hours::{Hours, Interval, WeeklyRule};
use crate::domain::{ExceptionKind, ScheduleException};

fn weekday_number(day: Weekday) -> i32 {
    day.number_from_monday() as i32
}

fn weekday_of(n: i32) -> QueryResult<Weekday> {
    u8::try_from(n - 1)
        .ok()
        .and_then(|n| Weekday::try_from(n).ok())
        .ok_or_else(|| unreadable("working_hours.day_of_week", n))
}

/// Replaces the mediator's rules at `site_id`.
pub fn replace_hours(conn: &mut DbConnection, mediator_id: &str, site_id: &str, hours: &Hours) -> QueryResult<()> {
    diesel::delete(
        working_hours::table
            .filter(working_hours::mediator_id.eq(mediator_id))
            .filter(working_hours::site_id.eq(site_id)),
    )
    .execute(conn)?;
    for rule in &hours.rules {
        diesel::insert_into(working_hours::table)
            .values((
                working_hours::id.eq(uuid::Uuid::now_v7().to_string()),
                working_hours::mediator_id.eq(mediator_id),
                working_hours::site_id.eq(site_id),
                working_hours::day_of_week.eq(weekday_number(rule.day)),
                working_hours::start_minute.eq(rule.start_minute as i32),
                working_hours::end_minute.eq(rule.end_minute as i32),
                working_hours::effective_from.eq(hours.effective_from),
                working_hours::effective_to.eq(hours.effective_to),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Every mediator's hours, per (mediator, site), for `mediator_ids` (all when `None`) at
/// `site_ids` (all when `None`).
pub fn hours(
    conn: &mut DbConnection,
    mediator_ids: Option<&[String]>,
    site_ids: Option<&[String]>,
) -> QueryResult<Vec<(String, String, Hours)>> {
    let mut query = working_hours::table
        .select((
            working_hours::mediator_id,
            working_hours::site_id,
            working_hours::day_of_week,
            working_hours::start_minute,
            working_hours::end_minute,
            working_hours::effective_from,
            working_hours::effective_to,
        ))
        .order((working_hours::mediator_id, working_hours::site_id))
        .into_boxed();
    if let Some(ids) = mediator_ids {
        query = query.filter(working_hours::mediator_id.eq_any(ids));
    }
    if let Some(ids) = site_ids {
        query = query.filter(working_hours::site_id.eq_any(ids));
    }
    type Row = (String, String, i32, i32, i32, Option<NaiveDate>, Option<NaiveDate>);
    let rows: Vec<Row> = query.load(conn)?;
    let mut out: Vec<(String, String, Hours)> = Vec::new();
    for (mediator, site, day, start, end, from, to) in rows {
        let rule = WeeklyRule { day: weekday_of(day)?, start_minute: start as u32, end_minute: end as u32 };
        match out.last_mut() {
            Some((m, s, hours)) if *m == mediator && *s == site => hours.rules.push(rule),
            _ => out.push((mediator, site, Hours { rules: vec![rule], effective_from: from, effective_to: to })),
        }
    }
    Ok(out)
}

pub fn insert_exception(
    conn: &mut DbConnection,
    id: &str,
    mediator_id: &str,
    site_id: Option<&str>,
    kind: ExceptionKind,
    span: Interval,
) -> QueryResult<()> {
    diesel::insert_into(schedule_exceptions::table)
        .values((
            schedule_exceptions::id.eq(id),
            schedule_exceptions::mediator_id.eq(mediator_id),
            schedule_exceptions::site_id.eq(site_id),
            schedule_exceptions::kind.eq(kind.as_str()),
            schedule_exceptions::starts_at.eq(naive(span.start)),
            schedule_exceptions::ends_at.eq(naive(span.end)),
        ))
        .execute(conn)?;
    Ok(())
}

/// An exception as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = schedule_exceptions)]
struct ExceptionRow {
    mediator_id: String,
    site_id: Option<String>,
    kind: String,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
}

impl ExceptionRow {
    fn into_exception(self) -> QueryResult<ScheduleException> {
        Ok(ScheduleException {
            mediator_id: self.mediator_id,
            site_id: self.site_id,
            kind: parse("schedule_exceptions.kind", &self.kind)?,
            span: span("schedule_exceptions", self.starts_at, self.ends_at)?,
        })
    }
}

/// The mediators' exceptions overlapping `window`.
pub fn exceptions(
    conn: &mut DbConnection,
    mediator_ids: &[String],
    window: Interval,
) -> QueryResult<Vec<ScheduleException>> {
    let rows: Vec<ExceptionRow> = schedule_exceptions::table
        .filter(schedule_exceptions::mediator_id.eq_any(mediator_ids))
        .filter(schedule_exceptions::starts_at.lt(naive(window.end)))
        .filter(schedule_exceptions::ends_at.gt(naive(window.start)))
        .select(ExceptionRow::as_select())
        .load(conn)?;
    rows.into_iter().map(ExceptionRow::into_exception).collect()
}

/// Every mediator's exceptions that end after `since`.
pub fn exceptions_ending_after(conn: &mut DbConnection, since: DateTime<Utc>) -> QueryResult<Vec<ScheduleException>> {
    let rows: Vec<ExceptionRow> = schedule_exceptions::table
        .filter(schedule_exceptions::ends_at.gt(naive(since)))
        .select(ExceptionRow::as_select())
        .load(conn)?;
    rows.into_iter().map(ExceptionRow::into_exception).collect()
}

/// A mediator's exceptions overlapping `window` with their ids, oldest first.
pub fn exceptions_with_ids(
    conn: &mut DbConnection,
    mediator_id: &str,
    window: Interval,
) -> QueryResult<Vec<(String, ScheduleException)>> {
    let rows: Vec<(String, ExceptionRow)> = schedule_exceptions::table
        .filter(schedule_exceptions::mediator_id.eq(mediator_id))
        .filter(schedule_exceptions::starts_at.lt(naive(window.end)))
        .filter(schedule_exceptions::ends_at.gt(naive(window.start)))
        .order((schedule_exceptions::starts_at, schedule_exceptions::id))
        .select((schedule_exceptions::id, ExceptionRow::as_select()))
        .load(conn)?;
    rows.into_iter().map(|(id, row)| Ok((id, row.into_exception()?))).collect()
}

/// One exception by id.
pub fn exception(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ScheduleException>> {
    let row = schedule_exceptions::table.find(id).select(ExceptionRow::as_select()).get_result(conn).optional()?;
    row.map(ExceptionRow::into_exception).transpose()
}

pub fn delete_exception(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::delete(schedule_exceptions::table.find(id)).execute(conn)?;
    Ok(())
}

/// The counters that triggers move on every change to what availability keeps in memory:
/// (calendar, holds). The calendar's moves with mediators, their specialities, sites, rooms,
/// working hours and schedule exceptions; the holds' with every hold taken, moved or released.
pub fn calendar_generation(conn: &mut DbConnection) -> QueryResult<(i64, i64)> {
    use mediation_store::schema::calendar_generation as g;
    mediation_store::on_backend!(conn, |c| g::table.select((g::generation, g::holds)).get_result(c))
}
