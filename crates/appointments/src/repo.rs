//! The appointment tables: cases and their parties and history, working hours and exceptions,
//! appointments with the resources they hold, the consultation thread, and the outbox.
//!
//! Parties' names and phones and the outbox's recipients are personal data: they are sealed
//! on the way in and opened on the way out (`mediation_store::personal`), so the columns hold
//! only `v1:<key id>:...` values.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use mediation_store::DbConnection;
use mediation_store::personal::{self, open, seal};
use mediation_store::schema::{
    appointment_mediators, appointments, case_events, case_messages, case_parties, cases, outbox, resource_holds,
    schedule_exceptions, working_hours,
};

use crate::domain::grading::Assessment;
use crate::domain::hours::{Hours, Interval, WeeklyRule};
use crate::domain::{Appointment, AppointmentStatus, Case, ExceptionKind, Grade, Outcome, Party, resources};

pub type QueryResult<T> = Result<T, DieselError>;

/// The sealed columns' purposes, bound into their values as associated data.
const PARTY_NAME: &str = "case_parties.name";
const PARTY_PHONE: &str = "case_parties.phone";
const RECIPIENT: &str = "outbox.recipient";

fn naive(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

fn parse<T: std::str::FromStr>(stored: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    // Only this module writes these columns, always from the enums' names.
    stored.parse().expect("stored enum name is valid")
}

// ---- cases ----

#[derive(Queryable, Selectable)]
#[diesel(table_name = cases)]
struct CaseRow {
    id: String,
    site_id: String,
    applicant_account_id: Option<String>,
    created_by: String,
    category: String,
    summary: String,
    origin: String,
    grade: String,
    grade_rationale: String,
    status: String,
    amount_in_dispute_yuan: i64,
    party_count: i32,
    violence_risk: bool,
    vulnerable_party: bool,
    repeat_dispute: bool,
    group_incident_risk: bool,
    petition_history: bool,
    created_at: NaiveDateTime,
}

impl CaseRow {
    fn into_case(self, parties: Vec<Party>) -> Case {
        Case {
            origin: parse(&self.origin),
            grade: parse(&self.grade),
            status: parse(&self.status),
            assessment: Assessment {
                amount_in_dispute_yuan: self.amount_in_dispute_yuan,
                party_count: self.party_count,
                violence_risk: self.violence_risk,
                vulnerable_party: self.vulnerable_party,
                repeat_dispute: self.repeat_dispute,
                group_incident_risk: self.group_incident_risk,
                petition_history: self.petition_history,
            },
            parties,
            created_at: self.created_at.and_utc(),
            id: self.id,
            site_id: self.site_id,
            applicant_account_id: self.applicant_account_id,
            created_by: self.created_by,
            category: self.category,
            summary: self.summary,
            grade_rationale: self.grade_rationale,
        }
    }
}

pub fn insert_case(conn: &mut DbConnection, case: &Case) -> QueryResult<()> {
    let a = &case.assessment;
    diesel::insert_into(cases::table)
        .values((
            cases::id.eq(&case.id),
            cases::site_id.eq(&case.site_id),
            cases::applicant_account_id.eq(&case.applicant_account_id),
            cases::created_by.eq(&case.created_by),
            cases::category.eq(&case.category),
            cases::summary.eq(&case.summary),
            cases::origin.eq(case.origin.as_str()),
            cases::grade.eq(case.grade.as_str()),
            cases::grade_rationale.eq(&case.grade_rationale),
            cases::status.eq(case.status.as_str()),
            cases::amount_in_dispute_yuan.eq(a.amount_in_dispute_yuan),
            cases::party_count.eq(a.party_count),
            cases::violence_risk.eq(a.violence_risk),
            cases::vulnerable_party.eq(a.vulnerable_party),
            cases::repeat_dispute.eq(a.repeat_dispute),
            cases::group_incident_risk.eq(a.group_incident_risk),
            cases::petition_history.eq(a.petition_history),
            cases::created_at.eq(naive(case.created_at)),
            cases::updated_at.eq(naive(case.created_at)),
        ))
        .execute(conn)?;
    for (position, party) in case.parties.iter().enumerate() {
        diesel::insert_into(case_parties::table)
            .values((
                case_parties::case_id.eq(&case.id),
                case_parties::position.eq(position as i32),
                case_parties::name.eq(seal(PARTY_NAME, &party.name)?),
                case_parties::phone.eq(seal(PARTY_PHONE, &party.phone)?),
                case_parties::role.eq(party.role.as_str()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn parties_of(conn: &mut DbConnection, case_ids: &[String]) -> QueryResult<Vec<(String, Party)>> {
    let rows: Vec<(String, String, String, String)> = case_parties::table
        .filter(case_parties::case_id.eq_any(case_ids))
        .order((case_parties::case_id, case_parties::position))
        .select((case_parties::case_id, case_parties::name, case_parties::phone, case_parties::role))
        .load(conn)?;
    rows.into_iter()
        .map(|(case_id, name, phone, role)| {
            let party = Party { name: open(PARTY_NAME, &name)?, phone: open(PARTY_PHONE, &phone)?, role: parse(&role) };
            Ok((case_id, party))
        })
        .collect()
}

fn with_parties(conn: &mut DbConnection, rows: Vec<CaseRow>) -> QueryResult<Vec<Case>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let parties = parties_of(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mine = parties.iter().filter(|(c, _)| *c == row.id).map(|(_, p)| p.clone()).collect();
            row.into_case(mine)
        })
        .collect())
}

pub fn case(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Case>> {
    let rows: Vec<CaseRow> = cases::table.filter(cases::id.eq(id)).select(CaseRow::as_select()).load(conn)?;
    Ok(with_parties(conn, rows)?.pop())
}

/// Which cases a list may show: by applicant, by sites, or all.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub applicant: Option<String>,
    pub site_ids: Option<Vec<String>>,
    pub status: Option<String>,
    pub grade: Option<String>,
}

/// Cases after `after_id` in id order (ids are time-ordered UUIDv7, so this is creation order).
pub fn list_cases(
    conn: &mut DbConnection,
    filter: &CaseFilter,
    after_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Case>> {
    let mut query = cases::table.select(CaseRow::as_select()).order(cases::id).limit(limit).into_boxed();
    if let Some(applicant) = &filter.applicant {
        query = query.filter(cases::applicant_account_id.eq(applicant));
    }
    if let Some(site_ids) = &filter.site_ids {
        query = query.filter(cases::site_id.eq_any(site_ids));
    }
    if let Some(status) = &filter.status {
        query = query.filter(cases::status.eq(status));
    }
    if let Some(grade) = &filter.grade {
        query = query.filter(cases::grade.eq(grade));
    }
    if let Some(after_id) = after_id {
        query = query.filter(cases::id.gt(after_id));
    }
    let rows = query.load(conn)?;
    with_parties(conn, rows)
}

pub fn update_grade(
    conn: &mut DbConnection,
    id: &str,
    grade: Grade,
    rationale: &str,
    assessment: Option<&Assessment>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(cases::table.find(id))
        .set((cases::grade.eq(grade.as_str()), cases::grade_rationale.eq(rationale), cases::updated_at.eq(naive(now))))
        .execute(conn)?;
    if let Some(a) = assessment {
        diesel::update(cases::table.find(id))
            .set((
                cases::amount_in_dispute_yuan.eq(a.amount_in_dispute_yuan),
                cases::party_count.eq(a.party_count),
                cases::violence_risk.eq(a.violence_risk),
                cases::vulnerable_party.eq(a.vulnerable_party),
                cases::repeat_dispute.eq(a.repeat_dispute),
                cases::group_incident_risk.eq(a.group_incident_risk),
                cases::petition_history.eq(a.petition_history),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn set_case_status(conn: &mut DbConnection, id: &str, status: &str, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(cases::table.find(id))
        .set((cases::status.eq(status), cases::updated_at.eq(naive(now))))
        .execute(conn)?;
    Ok(())
}

pub fn add_event(
    conn: &mut DbConnection,
    case_id: &str,
    actor: Option<&str>,
    kind: &str,
    detail: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(case_events::table)
        .values((
            case_events::id.eq(uuid::Uuid::now_v7().to_string()),
            case_events::case_id.eq(case_id),
            case_events::at.eq(naive(now)),
            case_events::actor_id.eq(actor),
            case_events::kind.eq(kind),
            case_events::detail.eq(detail),
        ))
        .execute(conn)?;
    Ok(())
}

/// (at, actor, kind, detail), oldest first.
pub fn events(
    conn: &mut DbConnection,
    case_id: &str,
) -> QueryResult<Vec<(DateTime<Utc>, Option<String>, String, String)>> {
    let rows: Vec<(NaiveDateTime, Option<String>, String, String)> = case_events::table
        .filter(case_events::case_id.eq(case_id))
        .order(case_events::id)
        .select((case_events::at, case_events::actor_id, case_events::kind, case_events::detail))
        .load(conn)?;
    Ok(rows.into_iter().map(|(at, actor, kind, detail)| (at.and_utc(), actor, kind, detail)).collect())
}

// ---- working hours and exceptions ----

fn weekday_number(day: chrono::Weekday) -> i32 {
    day.number_from_monday() as i32
}

fn weekday_of(n: i32) -> chrono::Weekday {
    chrono::Weekday::try_from((n - 1) as u8).expect("stored day is 1..=7")
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
        let rule = WeeklyRule { day: weekday_of(day), start_minute: start as u32, end_minute: end as u32 };
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

/// (mediator, site, kind, span) of exceptions overlapping `window`.
pub fn exceptions(
    conn: &mut DbConnection,
    mediator_ids: &[String],
    window: Interval,
) -> QueryResult<Vec<(String, Option<String>, ExceptionKind, Interval)>> {
    let rows: Vec<(String, Option<String>, String, NaiveDateTime, NaiveDateTime)> = schedule_exceptions::table
        .filter(schedule_exceptions::mediator_id.eq_any(mediator_ids))
        .filter(schedule_exceptions::starts_at.lt(naive(window.end)))
        .filter(schedule_exceptions::ends_at.gt(naive(window.start)))
        .select((
            schedule_exceptions::mediator_id,
            schedule_exceptions::site_id,
            schedule_exceptions::kind,
            schedule_exceptions::starts_at,
            schedule_exceptions::ends_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(m, s, kind, a, b)| (m, s, parse(&kind), Interval::new(a.and_utc(), b.and_utc())))
        .collect())
}

// ---- appointments and the resources they hold ----

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
    Ok(rows.into_iter().map(|(r, a, b)| (r, Interval::new(a.and_utc(), b.and_utc()))).collect())
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
}

fn with_mediators(conn: &mut DbConnection, rows: Vec<AppointmentRow>) -> QueryResult<Vec<Appointment>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let links: Vec<(String, String)> = appointment_mediators::table
        .filter(appointment_mediators::appointment_id.eq_any(&ids))
        .order((appointment_mediators::appointment_id, appointment_mediators::mediator_id))
        .select((appointment_mediators::appointment_id, appointment_mediators::mediator_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| Appointment {
            mediator_ids: links.iter().filter(|(a, _)| *a == r.id).map(|(_, m)| m.clone()).collect(),
            mode: parse(&r.mode),
            status: parse(&r.status),
            span: Interval::new(r.starts_at.and_utc(), r.ends_at.and_utc()),
            outcome: r.outcome_result.map(|result| Outcome {
                result: parse(&result),
                agreement_summary: r.agreement_summary,
                referred_to: r.referred_to,
            }),
            id: r.id,
            case_id: r.case_id,
            site_id: r.site_id,
            room_id: r.room_id,
            join_url: r.join_url,
            cancel_reason: r.cancel_reason,
            created_by: r.created_by,
        })
        .collect())
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

/// The appointments of the mediators linked to `account_id` (for a mediator's view of cases).
pub fn case_ids_of_mediator(conn: &mut DbConnection, mediator_id: &str) -> QueryResult<Vec<String>> {
    appointments::table
        .inner_join(appointment_mediators::table)
        .filter(appointment_mediators::mediator_id.eq(mediator_id))
        .select(appointments::case_id)
        .distinct()
        .load(conn)
}

// ---- consultation ----

pub fn insert_message(
    conn: &mut DbConnection,
    id: &str,
    case_id: &str,
    author_id: &str,
    body: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(case_messages::table)
        .values((
            case_messages::id.eq(id),
            case_messages::case_id.eq(case_id),
            case_messages::author_id.eq(author_id),
            case_messages::body.eq(body),
            case_messages::created_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// A consultation message: (id, author_id, author display name, body, created_at).
pub type MessageRow = (String, String, String, String, DateTime<Utc>);

/// Messages of a case, oldest first, after `after_id`.
pub fn messages(
    conn: &mut DbConnection,
    case_id: &str,
    after_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<MessageRow>> {
    use mediation_store::schema::accounts;
    let mut query = case_messages::table
        .inner_join(accounts::table)
        .filter(case_messages::case_id.eq(case_id))
        .order(case_messages::id)
        .limit(limit)
        .select((
            case_messages::id,
            case_messages::author_id,
            accounts::display_name,
            case_messages::body,
            case_messages::created_at,
        ))
        .into_boxed();
    if let Some(after_id) = after_id {
        query = query.filter(case_messages::id.gt(after_id));
    }
    let rows: Vec<(String, String, String, String, NaiveDateTime)> = query.load(conn)?;
    Ok(rows.into_iter().map(|(id, author, name, body, at)| (id, author, name, body, at.and_utc())).collect())
}

// ---- outbox ----

/// A message to deliver at or after `deliver_after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub body: String,
    pub appointment_id: Option<String>,
    pub deliver_after: DateTime<Utc>,
}

pub fn enqueue(conn: &mut DbConnection, m: &OutboxMessage, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(&m.id),
            outbox::kind.eq(&m.kind),
            outbox::recipient.eq(seal(RECIPIENT, &m.recipient)?),
            outbox::body.eq(&m.body),
            outbox::appointment_id.eq(&m.appointment_id),
            outbox::deliver_after.eq(naive(m.deliver_after)),
            outbox::created_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Withdraws undelivered messages of `kind` about an appointment (a reminder for a session
/// that moved or was cancelled).
pub fn withdraw(conn: &mut DbConnection, appointment_id: &str, kind: &str, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(
        outbox::table
            .filter(outbox::appointment_id.eq(appointment_id))
            .filter(outbox::kind.eq(kind))
            .filter(outbox::delivered_at.is_null())
            .filter(outbox::cancelled_at.is_null()),
    )
    .set(outbox::cancelled_at.eq(naive(now)))
    .execute(conn)?;
    Ok(())
}

/// Claims up to `limit` due messages for `lease`, so that no other worker (in this process or
/// another) takes them meanwhile. A message whose lease ran out (its worker died) is due again.
pub fn claim_due(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    lease: chrono::Duration,
    limit: i64,
) -> QueryResult<Vec<OutboxMessage>> {
    let due = outbox::table
        .filter(outbox::delivered_at.is_null())
        .filter(outbox::cancelled_at.is_null())
        .filter(outbox::deliver_after.le(naive(now)))
        .filter(outbox::claimed_until.is_null().or(outbox::claimed_until.lt(naive(now))))
        .order(outbox::deliver_after)
        .limit(limit)
        .select((
            outbox::id,
            outbox::kind,
            outbox::recipient,
            outbox::body,
            outbox::appointment_id,
            outbox::deliver_after,
        ));
    type Row = (String, String, String, String, Option<String>, NaiveDateTime);
    let rows: Vec<Row> = match conn {
        // SKIP LOCKED lets replicas claim different rows instead of queueing on the same ones.
        DbConnection::Pg(pg) => due.for_update().skip_locked().load(pg)?,
        DbConnection::Sqlite(sqlite) => due.load(sqlite)?,
    };
    let ids: Vec<&String> = rows.iter().map(|r| &r.0).collect();
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
        .set((outbox::claimed_until.eq(naive(now + lease)), outbox::attempts.eq(outbox::attempts + 1)))
        .execute(conn)?;
    rows.into_iter()
        .map(|(id, kind, recipient, body, appointment_id, after)| {
            Ok(OutboxMessage {
                id,
                kind,
                recipient: open(RECIPIENT, &recipient)?,
                body,
                appointment_id,
                deliver_after: after.and_utc(),
            })
        })
        .collect()
}

pub fn mark_delivered(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(outbox::table.find(id)).set(outbox::delivered_at.eq(naive(now))).execute(conn)?;
    Ok(())
}

/// Messages not yet delivered nor withdrawn.
pub fn backlog(conn: &mut DbConnection) -> QueryResult<i64> {
    outbox::table.filter(outbox::delivered_at.is_null()).filter(outbox::cancelled_at.is_null()).count().get_result(conn)
}

/// Seals up to `batch` parties' names and phones not sealed under the current key yet (plain
/// text from before encryption included); returns how many rows it changed. A rekey calls it
/// until it returns 0, so it is safe to stop and run again.
pub fn rekey_parties(conn: &mut DbConnection, batch: i64) -> QueryResult<usize> {
    let (sealed_now, _) = personal::current_prefixes()?;
    let rows: Vec<(String, i32, String, String)> = case_parties::table
        .filter(case_parties::name.not_like(&sealed_now).or(case_parties::phone.not_like(&sealed_now)))
        .order((case_parties::case_id, case_parties::position))
        .limit(batch)
        .select((case_parties::case_id, case_parties::position, case_parties::name, case_parties::phone))
        .load(conn)?;
    for (case_id, position, name, phone) in &rows {
        let name = personal::reseal(PARTY_NAME, name)?.unwrap_or_else(|| name.clone());
        let phone = personal::reseal(PARTY_PHONE, phone)?.unwrap_or_else(|| phone.clone());
        diesel::update(case_parties::table.find((case_id, position)))
            .set((case_parties::name.eq(name), case_parties::phone.eq(phone)))
            .execute(conn)?;
    }
    Ok(rows.len())
}

/// [`rekey_parties`] for the outbox's recipients.
pub fn rekey_outbox(conn: &mut DbConnection, batch: i64) -> QueryResult<usize> {
    let (sealed_now, _) = personal::current_prefixes()?;
    let rows: Vec<(String, String)> = outbox::table
        .filter(outbox::recipient.not_like(&sealed_now))
        .order(outbox::id)
        .limit(batch)
        .select((outbox::id, outbox::recipient))
        .load(conn)?;
    for (id, recipient) in &rows {
        let resealed = personal::reseal(RECIPIENT, recipient)?.unwrap_or_else(|| recipient.clone());
        diesel::update(outbox::table.find(id)).set(outbox::recipient.eq(resealed)).execute(conn)?;
    }
    Ok(rows.len())
}
