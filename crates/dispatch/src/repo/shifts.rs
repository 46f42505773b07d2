//! The dispatch tables: shifts and crews.

use super::*;

/// Replaces the van's shift on `shift.day` and its crew.
pub fn replace_shift(conn: &mut DbConnection, shift: &Shift) -> QueryResult<()> {
    let day = day_text(shift.day);
    diesel::delete(van_crew::table.filter(van_crew::van_id.eq(&shift.van_id)).filter(van_crew::day.eq(&day)))
        .execute(conn)?;
    diesel::delete(van_shifts::table.find((&shift.van_id, &day))).execute(conn)?;
    diesel::insert_into(van_shifts::table)
        .values((
            van_shifts::van_id.eq(&shift.van_id),
            van_shifts::day.eq(&day),
            van_shifts::starts_at.eq(naive(shift.start)),
            van_shifts::ends_at.eq(naive(shift.end)),
        ))
        .execute(conn)?;
    for mediator_id in &shift.crew_mediator_ids {
        diesel::insert_into(van_crew::table)
            .values((
                van_crew::van_id.eq(&shift.van_id),
                van_crew::day.eq(&day),
                van_crew::mediator_id.eq(mediator_id),
                van_crew::starts_at.eq(naive(shift.start)),
                van_crew::ends_at.eq(naive(shift.end)),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The shifts of `van_ids` on `day`, with their crews.
pub fn shifts(conn: &mut DbConnection, van_ids: &[String], day: NaiveDate) -> QueryResult<Vec<Shift>> {
    let day_s = day_text(day);
    let rows: Vec<(String, NaiveDateTime, NaiveDateTime)> = van_shifts::table
        .filter(van_shifts::van_id.eq_any(van_ids))
        .filter(van_shifts::day.eq(&day_s))
        .order(van_shifts::van_id)
        .select((van_shifts::van_id, van_shifts::starts_at, van_shifts::ends_at))
        .load(conn)?;
    let crews: Vec<(String, String)> = van_crew::table
        .filter(van_crew::van_id.eq_any(van_ids))
        .filter(van_crew::day.eq(&day_s))
        .order((van_crew::van_id, van_crew::mediator_id))
        .select((van_crew::van_id, van_crew::mediator_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(van_id, start, end)| Shift {
            crew_mediator_ids: crews.iter().filter(|(v, _)| *v == van_id).map(|(_, m)| m.clone()).collect(),
            van_id,
            day,
            start: start.and_utc(),
            end: end.and_utc(),
        })
        .collect())
}

/// The van's shifts on the dates of [`from`, `to`), with their crews, in date order.
pub fn shifts_between(
    conn: &mut DbConnection,
    van_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<Shift>> {
    // ISO dates order as text.
    let (from, to) = (day_text(from), day_text(to));
    let rows: Vec<(String, NaiveDateTime, NaiveDateTime)> = van_shifts::table
        .filter(van_shifts::van_id.eq(van_id))
        .filter(van_shifts::day.ge(&from))
        .filter(van_shifts::day.lt(&to))
        .order(van_shifts::day)
        .select((van_shifts::day, van_shifts::starts_at, van_shifts::ends_at))
        .load(conn)?;
    let crews: Vec<(String, String)> = van_crew::table
        .filter(van_crew::van_id.eq(van_id))
        .filter(van_crew::day.ge(&from))
        .filter(van_crew::day.lt(&to))
        .order((van_crew::day, van_crew::mediator_id))
        .select((van_crew::day, van_crew::mediator_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(day, start, end)| Shift {
            crew_mediator_ids: crews.iter().filter(|(d, _)| *d == day).map(|(_, m)| m.clone()).collect(),
            van_id: van_id.to_owned(),
            day: parse(&day),
            start: start.and_utc(),
            end: end.and_utc(),
        })
        .collect())
}

/// The van's first shift date on or after `from`.
pub fn next_shift_day(conn: &mut DbConnection, van_id: &str, from: NaiveDate) -> QueryResult<Option<NaiveDate>> {
    // ISO dates order as text.
    let day: Option<String> = van_shifts::table
        .filter(van_shifts::van_id.eq(van_id))
        .filter(van_shifts::day.ge(day_text(from)))
        .order(van_shifts::day)
        .select(van_shifts::day)
        .first(conn)
        .optional()?;
    Ok(day.map(|d| parse(&d)))
}

/// Vans whose crew on `day` includes the mediator.
pub fn crew_vans(conn: &mut DbConnection, mediator_id: &str, day: NaiveDate) -> QueryResult<Vec<String>> {
    van_crew::table
        .filter(van_crew::mediator_id.eq(mediator_id))
        .filter(van_crew::day.eq(day_text(day)))
        .select(van_crew::van_id)
        .load(conn)
}

/// Crew members among `mediator_ids` already on another van at a time overlapping the span.
pub fn crew_elsewhere(
    conn: &mut DbConnection,
    mediator_ids: &[String],
    van_id: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> QueryResult<Vec<String>> {
    van_crew::table
        .filter(van_crew::mediator_id.eq_any(mediator_ids))
        .filter(van_crew::van_id.ne(van_id))
        .filter(van_crew::starts_at.lt(naive(end)))
        .filter(van_crew::ends_at.gt(naive(start)))
        .select(van_crew::mediator_id)
        .load(conn)
}
