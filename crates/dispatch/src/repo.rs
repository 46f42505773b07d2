//! The dispatch tables: vans, their shifts and crews, home visits, the per-day versions that
//! make stale plans detectable, and the stored plans.
//!
//! A visit's address is personal data: `home_visits.address` holds it sealed
//! (`mediation_store::personal`), opened when a visit is read.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use mediation_store::DbConnection;
use mediation_store::personal;
use mediation_store::schema::{dispatch_days, dispatch_plans, home_visits, van_crew, van_shifts, vans, visit_tracking};

use crate::domain::travel::Point;
use crate::domain::{HomeVisit, PlanBody, Shift, StoredPlan, Van, VisitStatus};

pub type QueryResult<T> = Result<T, DieselError>;

/// The sealed column's purpose, bound into its values as associated data.
const ADDRESS: &str = "home_visits.address";

fn naive(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn parse<T: std::str::FromStr>(stored: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    // Only this module writes these columns, always from the enums' names and ISO dates.
    stored.parse().expect("stored value is valid")
}

/// The PostgreSQL exclusion constraint or the SQLite trigger, both named `van_crew_no_overlap`.
pub fn is_crew_overlap(err: &DieselError) -> bool {
    match err {
        DieselError::DatabaseError(_, info) => {
            info.constraint_name() == Some("van_crew_no_overlap") || info.message().contains("van_crew_no_overlap")
        }
        _ => false,
    }
}

// ---- home visits ----

#[derive(Queryable, Selectable)]
#[diesel(table_name = home_visits)]
struct VisitRow {
    id: String,
    case_id: String,
    station_id: String,
    day: String,
    address: String,
    latitude: f64,
    longitude: f64,
    window_start: NaiveDateTime,
    window_end: NaiveDateTime,
    duration_minutes: i32,
    reason: String,
    specialty_code: Option<String>,
    priority: i32,
    status: String,
    van_id: Option<String>,
    position: Option<i32>,
    eta: Option<NaiveDateTime>,
    note: String,
    cancel_reason: String,
    requested_by: String,
    outcome_result: Option<String>,
    agreement_summary: String,
    referred_to: String,
    appointment_id: Option<String>,
}

impl VisitRow {
    /// The visit with its address opened.
    fn open(self) -> QueryResult<HomeVisit> {
        let r = self;
        let outcome = r.outcome_result.as_deref().map(|result| mediation_appointments::domain::Outcome {
            result: parse(result),
            agreement_summary: r.agreement_summary.clone(),
            referred_to: r.referred_to.clone(),
        });
        Ok(HomeVisit {
            outcome,
            appointment_id: r.appointment_id,
            day: parse(&r.day),
            location: Point::lat_lng(r.latitude, r.longitude),
            window_start: r.window_start.and_utc(),
            window_end: r.window_end.and_utc(),
            reason: parse(&r.reason),
            status: parse(&r.status),
            eta: r.eta.map(|t| t.and_utc()),
            id: r.id,
            case_id: r.case_id,
            station_id: r.station_id,
            address: personal::open(ADDRESS, &r.address)?,
            duration_minutes: r.duration_minutes,
            specialty_code: r.specialty_code,
            priority: r.priority,
            van_id: r.van_id,
            position: r.position,
            note: r.note,
            cancel_reason: r.cancel_reason,
            requested_by: r.requested_by,
        })
    }
}

pub fn insert_visit(conn: &mut DbConnection, v: &HomeVisit, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::insert_into(home_visits::table)
        .values((
            home_visits::id.eq(&v.id),
            home_visits::case_id.eq(&v.case_id),
            home_visits::station_id.eq(&v.station_id),
            home_visits::day.eq(day_text(v.day)),
            home_visits::address.eq(personal::seal(ADDRESS, &v.address)?),
            home_visits::latitude.eq(v.location.latitude()),
            home_visits::longitude.eq(v.location.longitude()),
            home_visits::window_start.eq(naive(v.window_start)),
            home_visits::window_end.eq(naive(v.window_end)),
            home_visits::duration_minutes.eq(v.duration_minutes),
            home_visits::reason.eq(v.reason.as_str()),
            home_visits::specialty_code.eq(&v.specialty_code),
            home_visits::priority.eq(v.priority),
            home_visits::status.eq(v.status.as_str()),
            home_visits::van_id.eq(&v.van_id),
            home_visits::position.eq(v.position),
            home_visits::eta.eq(v.eta.map(naive)),
            home_visits::note.eq(&v.note),
            home_visits::cancel_reason.eq(&v.cancel_reason),
            home_visits::requested_by.eq(&v.requested_by),
            home_visits::created_at.eq(naive(now)),
            home_visits::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// What `account` has requested: its visits not over yet, and its requests since `since` with
/// the oldest one's time (cancelled ones count). A scan of the account's visits; an index on
/// `(requested_by, created_at)` would make it a range read.
pub fn requested_by(
    conn: &mut DbConnection,
    account: &str,
    since: DateTime<Utc>,
) -> QueryResult<crate::domain::limits::Requested> {
    use diesel::dsl::{count_star, min};
    let open_statuses = [VisitStatus::Requested, VisitStatus::Planned, VisitStatus::EnRoute, VisitStatus::Arrived]
        .map(VisitStatus::as_str);
    let open: i64 = home_visits::table
        .filter(home_visits::requested_by.eq(account))
        .filter(home_visits::status.eq_any(open_statuses))
        .select(count_star())
        .first(conn)?;
    let (recent, oldest): (i64, Option<NaiveDateTime>) = home_visits::table
        .filter(home_visits::requested_by.eq(account))
        .filter(home_visits::created_at.ge(naive(since)))
        .select((count_star(), min(home_visits::created_at)))
        .first(conn)?;
    Ok(crate::domain::limits::Requested { open, recent, oldest_recent: oldest.map(|t| t.and_utc()) })
}

/// Serialises `account`'s home-visit requests on PostgreSQL until the transaction ends, so that
/// two at once cannot both pass the limits; SQLite's write transactions are serial already.
pub fn lock_requester(conn: &mut DbConnection, account: &str) -> QueryResult<()> {
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1))")
            .bind::<diesel::sql_types::Text, _>(format!("home_visit_requests:{account}"))
            .execute(pg)?;
    }
    Ok(())
}

/// Writes what changes over a visit's life: status, van, position, ETA, note, cancel reason,
/// and the outcome and the session that records it once completed.
pub fn update_visit(conn: &mut DbConnection, v: &HomeVisit, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(home_visits::table.find(&v.id))
        .set((
            home_visits::status.eq(v.status.as_str()),
            home_visits::van_id.eq(&v.van_id),
            home_visits::position.eq(v.position),
            home_visits::eta.eq(v.eta.map(naive)),
            home_visits::note.eq(&v.note),
            home_visits::cancel_reason.eq(&v.cancel_reason),
            home_visits::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    diesel::update(home_visits::table.find(&v.id))
        .set((
            home_visits::outcome_result.eq(v.outcome.as_ref().map(|o| o.result.as_str())),
            home_visits::agreement_summary.eq(v.outcome.as_ref().map_or("", |o| o.agreement_summary.as_str())),
            home_visits::referred_to.eq(v.outcome.as_ref().map_or("", |o| o.referred_to.as_str())),
            home_visits::appointment_id.eq(&v.appointment_id),
        ))
        .execute(conn)?;
    Ok(())
}

/// The case's visits not over yet (REQUESTED, PLANNED, EN_ROUTE or ARRIVED), in id order.
pub fn live_visits_of_case(conn: &mut DbConnection, case_id: &str) -> QueryResult<Vec<String>> {
    let live = [VisitStatus::Requested, VisitStatus::Planned, VisitStatus::EnRoute, VisitStatus::Arrived]
        .map(VisitStatus::as_str);
    home_visits::table
        .filter(home_visits::case_id.eq(case_id))
        .filter(home_visits::status.eq_any(live))
        .order(home_visits::id)
        .select(home_visits::id)
        .load(conn)
}

/// Whether the case has a visit not over yet: what the appointments crate asks before it
/// closes a case with its last session.
pub fn case_has_live_visit(conn: &mut DbConnection, case_id: &str) -> QueryResult<bool> {
    Ok(!live_visits_of_case(conn, case_id)?.is_empty())
}

// ---- tracking links ----

/// Keeps the hash of a visit's new tracking token, replacing an earlier one.
pub fn set_tracking(conn: &mut DbConnection, visit_id: &str, token_hash: &str, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::delete(visit_tracking::table.filter(visit_tracking::visit_id.eq(visit_id))).execute(conn)?;
    diesel::insert_into(visit_tracking::table)
        .values((
            visit_tracking::token_hash.eq(token_hash),
            visit_tracking::visit_id.eq(visit_id),
            visit_tracking::created_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The visit a tracking token's hash names.
pub fn tracked_visit(conn: &mut DbConnection, token_hash: &str) -> QueryResult<Option<String>> {
    visit_tracking::table.find(token_hash).select(visit_tracking::visit_id).first(conn).optional()
}

pub fn visit(conn: &mut DbConnection, id: &str) -> QueryResult<Option<HomeVisit>> {
    home_visits::table.find(id).select(VisitRow::as_select()).first(conn).optional()?.map(VisitRow::open).transpose()
}

/// Every visit of a station's date, in id order.
pub fn visits_of_day(conn: &mut DbConnection, station_id: &str, day: NaiveDate) -> QueryResult<Vec<HomeVisit>> {
    let rows: Vec<VisitRow> = home_visits::table
        .filter(home_visits::station_id.eq(station_id))
        .filter(home_visits::day.eq(day_text(day)))
        .order(home_visits::id)
        .select(VisitRow::as_select())
        .load(conn)?;
    rows.into_iter().map(VisitRow::open).collect()
}

/// A van's visits of a date in route order.
pub fn visits_of_van(conn: &mut DbConnection, van_id: &str, day: NaiveDate) -> QueryResult<Vec<HomeVisit>> {
    let rows: Vec<VisitRow> = home_visits::table
        .filter(home_visits::van_id.eq(van_id))
        .filter(home_visits::day.eq(day_text(day)))
        .order((home_visits::position, home_visits::id))
        .select(VisitRow::as_select())
        .load(conn)?;
    rows.into_iter().map(VisitRow::open).collect()
}

#[derive(Debug, Clone, Default)]
pub struct VisitFilter {
    pub station_ids: Option<Vec<String>>,
    pub case_ids: Option<Vec<String>>,
    pub day: Option<NaiveDate>,
    pub status: Option<VisitStatus>,
    pub van_id: Option<String>,
}

/// Visits after `after_id` in id order (time-ordered UUIDv7 ids: creation order).
pub fn list_visits(
    conn: &mut DbConnection,
    filter: &VisitFilter,
    after_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<HomeVisit>> {
    let mut query = home_visits::table.select(VisitRow::as_select()).order(home_visits::id).limit(limit).into_boxed();
    if let Some(ids) = &filter.station_ids {
        query = query.filter(home_visits::station_id.eq_any(ids));
    }
    if let Some(ids) = &filter.case_ids {
        query = query.filter(home_visits::case_id.eq_any(ids));
    }
    if let Some(day) = filter.day {
        query = query.filter(home_visits::day.eq(day_text(day)));
    }
    if let Some(status) = filter.status {
        query = query.filter(home_visits::status.eq(status.as_str()));
    }
    if let Some(van_id) = &filter.van_id {
        query = query.filter(home_visits::van_id.eq(van_id));
    }
    if let Some(after_id) = after_id {
        query = query.filter(home_visits::id.gt(after_id));
    }
    query.load::<VisitRow>(conn)?.into_iter().map(VisitRow::open).collect()
}

// ---- vans ----

#[derive(Queryable, Selectable)]
#[diesel(table_name = vans)]
struct VanRow {
    id: String,
    plate: String,
    depot_site_id: String,
    seats: i32,
    status: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    located_at: Option<NaiveDateTime>,
}

impl From<VanRow> for Van {
    fn from(r: VanRow) -> Self {
        let location = match (r.latitude, r.longitude) {
            (Some(lat), Some(lng)) => Some(Point::lat_lng(lat, lng)),
            _ => None,
        };
        Van {
            status: parse(&r.status),
            located_at: r.located_at.map(|t| t.and_utc()),
            location,
            id: r.id,
            plate: r.plate,
            depot_site_id: r.depot_site_id,
            seats: r.seats,
        }
    }
}

pub fn insert_van(conn: &mut DbConnection, v: &Van, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::insert_into(vans::table)
        .values((
            vans::id.eq(&v.id),
            vans::plate.eq(&v.plate),
            vans::depot_site_id.eq(&v.depot_site_id),
            vans::seats.eq(v.seats),
            vans::status.eq(v.status.as_str()),
            vans::created_at.eq(naive(now)),
            vans::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Writes plate, depot, seats and status.
pub fn update_van(conn: &mut DbConnection, v: &Van, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(vans::table.find(&v.id))
        .set((
            vans::plate.eq(&v.plate),
            vans::depot_site_id.eq(&v.depot_site_id),
            vans::seats.eq(v.seats),
            vans::status.eq(v.status.as_str()),
            vans::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_van_location(conn: &mut DbConnection, van_id: &str, at: Point, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(vans::table.find(van_id))
        .set((
            vans::latitude.eq(Some(at.latitude())),
            vans::longitude.eq(Some(at.longitude())),
            vans::located_at.eq(Some(naive(now))),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn van(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Van>> {
    vans::table.find(id).select(VanRow::as_select()).first(conn).optional().map(|r| r.map(Van::from))
}

pub fn plate_taken(conn: &mut DbConnection, plate: &str, except: Option<&str>) -> QueryResult<bool> {
    let mut query = vans::table.filter(vans::plate.eq(plate)).select(vans::id).into_boxed();
    if let Some(except) = except {
        query = query.filter(vans::id.ne(except));
    }
    Ok(query.first::<String>(conn).optional()?.is_some())
}

/// Vans after `after_id` in id order, of `depot` when given.
pub fn list_vans(
    conn: &mut DbConnection,
    depot: Option<&str>,
    after_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Van>> {
    let mut query = vans::table.select(VanRow::as_select()).order(vans::id).limit(limit).into_boxed();
    if let Some(depot) = depot {
        query = query.filter(vans::depot_site_id.eq(depot));
    }
    if let Some(after_id) = after_id {
        query = query.filter(vans::id.gt(after_id));
    }
    Ok(query.load(conn)?.into_iter().map(Van::from).collect())
}

// ---- shifts and crews ----

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

// ---- day versions ----

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

// ---- plans ----

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
