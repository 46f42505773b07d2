//! The dispatch tables: day versions.

use super::*;

/// The version of a station's date; 0 before anything changed it.
pub fn day_version(conn: &mut DbConnection, station_id: &str, day: NaiveDate) -> QueryResult<i64> {
    Ok(dispatch_days::table
        .find((station_id, day_text(day)))
        .select(dispatch_days::version)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

fn ensure_day(conn: &mut DbConnection, station_id: &str, day: NaiveDate) -> QueryResult<()> {
    let insert = diesel::insert_into(dispatch_days::table)
        .values((
            dispatch_days::station_id.eq(station_id),
            dispatch_days::day.eq(day_text(day)),
            dispatch_days::version.eq(0i64),
        ))
        .on_conflict_do_nothing();
    // diesel's multi-backend layer has no ON CONFLICT, though both backends do.
    match conn {
        DbConnection::Pg(c) => insert.execute(c)?,
        DbConnection::Sqlite(c) => insert.execute(c)?,
    };
    Ok(())
}

/// Marks the station's date as changed: plans made before are stale.
pub fn bump_day(conn: &mut DbConnection, station_id: &str, day: NaiveDate) -> QueryResult<()> {
    ensure_day(conn, station_id, day)?;
    diesel::update(dispatch_days::table.find((station_id, day_text(day))))
        .set(dispatch_days::version.eq(dispatch_days::version + 1))
        .execute(conn)?;
    Ok(())
}

/// Marks every date of the station as changed (a van of its changed).
pub fn bump_station(conn: &mut DbConnection, station_id: &str) -> QueryResult<()> {
    diesel::update(dispatch_days::table.filter(dispatch_days::station_id.eq(station_id)))
        .set(dispatch_days::version.eq(dispatch_days::version + 1))
        .execute(conn)?;
    Ok(())
}

/// Moves the date from `expected` to the next version; false when it is no longer `expected`.
/// The row lock this takes orders concurrent commits on PostgreSQL.
pub fn advance_day(conn: &mut DbConnection, station_id: &str, day: NaiveDate, expected: i64) -> QueryResult<bool> {
    ensure_day(conn, station_id, day)?;
    let updated = diesel::update(
        dispatch_days::table.find((station_id, day_text(day))).filter(dispatch_days::version.eq(expected)),
    )
    .set(dispatch_days::version.eq(expected + 1))
    .execute(conn)?;
    Ok(updated == 1)
}
