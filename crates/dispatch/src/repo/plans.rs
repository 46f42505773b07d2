//! The dispatch tables: plans.

use super::*;

pub fn insert_plan(conn: &mut DbConnection, plan: &StoredPlan, created_by: &str) -> QueryResult<()> {
    let body = serde_json::to_string(&plan.body).expect("a plan serialises");
    diesel::insert_into(dispatch_plans::table)
        .values((
            dispatch_plans::id.eq(&plan.id),
            dispatch_plans::station_id.eq(&plan.station_id),
            dispatch_plans::day.eq(day_text(plan.day)),
            dispatch_plans::version.eq(plan.version),
            dispatch_plans::body.eq(body),
            dispatch_plans::created_by.eq(created_by),
            dispatch_plans::created_at.eq(naive(plan.created_at)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn plan(conn: &mut DbConnection, id: &str) -> QueryResult<Option<StoredPlan>> {
    type Row = (String, String, String, i64, String, NaiveDateTime, Option<NaiveDateTime>);
    let row: Option<Row> = dispatch_plans::table
        .find(id)
        .select((
            dispatch_plans::id,
            dispatch_plans::station_id,
            dispatch_plans::day,
            dispatch_plans::version,
            dispatch_plans::body,
            dispatch_plans::created_at,
            dispatch_plans::committed_at,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(id, station_id, day, version, body, created_at, committed_at)| StoredPlan {
        id,
        station_id,
        day: parse(&day),
        version,
        body: serde_json::from_str::<PlanBody>(&body).expect("a stored plan deserialises"),
        created_at: created_at.and_utc(),
        committed: committed_at.is_some(),
    }))
}

pub fn mark_committed(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(dispatch_plans::table.find(id))
        .set(dispatch_plans::committed_at.eq(Some(naive(now))))
        .execute(conn)?;
    Ok(())
}

/// Seals up to `batch` visit addresses not sealed under the current key yet (plain text from
/// before encryption included); returns how many it changed. A rekey calls it until it returns
/// 0, so it is safe to stop and run again.
pub fn rekey_visits(conn: &mut DbConnection, batch: i64) -> QueryResult<usize> {
    let (sealed_now, _) = personal::current_prefixes()?;
    let rows: Vec<(String, String)> = home_visits::table
        .filter(home_visits::address.not_like(&sealed_now))
        .order(home_visits::id)
        .limit(batch)
        .select((home_visits::id, home_visits::address))
        .load(conn)?;
    for (id, address) in &rows {
        let resealed = personal::reseal(ADDRESS, address)?.unwrap_or_else(|| address.clone());
        diesel::update(home_visits::table.find(id)).set(home_visits::address.eq(resealed)).execute(conn)?;
    }
    Ok(rows.len())
}
