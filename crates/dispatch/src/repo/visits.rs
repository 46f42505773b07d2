//! The dispatch tables: home visits and their tracking links.

use super::*;

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

// Tracking links and visit reads.

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
    visit_tracking::table.find(token_hash).select(visit_tracking::visit_id).get_result(conn).optional()
}

pub fn visit(conn: &mut DbConnection, id: &str) -> QueryResult<Option<HomeVisit>> {
    home_visits::table
        .find(id)
        .select(VisitRow::as_select())
        .get_result(conn)
        .optional()?
        .map(VisitRow::open)
        .transpose()
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
