//! Cases, their parties (sealed) and their history.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use mediation_store::DbConnection;
use mediation_store::personal::{self, open, seal};
use mediation_store::schema::{case_events, case_parties, cases};

use super::{QueryResult, naive, parse};
use crate::domain::grading::Assessment;
use crate::domain::parties::Participation;
use crate::domain::whistle::Escalation;
use crate::domain::{Case, CaseEvent, CaseStatus, EventKind, Grade, Origin, Party};

/// The sealed columns' purposes, bound into their values as associated data.
const PARTY_NAME: &str = "case_parties.name";
const PARTY_PHONE: &str = "case_parties.phone";

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
    police_incident_id: Option<String>,
    handed_over_by: String,
    proceed_reason: String,
    escalated_at: Option<NaiveDateTime>,
    escalation_reason: String,
}

impl CaseRow {
    fn into_case(self, parties: Vec<Party>) -> QueryResult<Case> {
        Ok(Case {
            origin: parse("cases.origin", &self.origin)?,
            grade: parse("cases.grade", &self.grade)?,
            status: parse("cases.status", &self.status)?,
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
            police_incident_id: self.police_incident_id,
            handed_over_by: self.handed_over_by,
            proceed_reason: self.proceed_reason,
            escalation: self.escalated_at.map(|at| Escalation { at: at.and_utc(), reason: self.escalation_reason }),
        })
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
            cases::police_incident_id.eq(&case.police_incident_id),
            cases::handed_over_by.eq(&case.handed_over_by),
            cases::proceed_reason.eq(&case.proceed_reason),
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
                case_parties::participation.eq(party.participation.as_str()),
                case_parties::answer_reason.eq(&party.answer_reason),
                case_parties::phone_index.eq(personal::phone_index(&party.phone)?),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The case at `site_id` with the 110 incident number `incident`, if any.
pub fn case_id_by_incident(conn: &mut DbConnection, site_id: &str, incident: &str) -> QueryResult<Option<String>> {
    cases::table
        .filter(cases::site_id.eq(site_id))
        .filter(cases::police_incident_id.eq(incident))
        .select(cases::id)
        .first(conn)
        .optional()
}

/// Records a party's answer to the invitation.
pub fn set_participation(
    conn: &mut DbConnection,
    case_id: &str,
    position: i32,
    participation: Participation,
    reason: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(case_parties::table.find((case_id, position)))
        .set((case_parties::participation.eq(participation.as_str()), case_parties::answer_reason.eq(reason)))
        .execute(conn)?;
    diesel::update(cases::table.find(case_id)).set(cases::updated_at.eq(naive(now))).execute(conn)?;
    Ok(())
}

/// Puts the case on the centre's list, unless it is there already; whether it was put now.
pub fn escalate(conn: &mut DbConnection, case_id: &str, reason: &str, now: DateTime<Utc>) -> QueryResult<bool> {
    let changed = diesel::update(cases::table.find(case_id).filter(cases::escalated_at.is_null()))
        .set((
            cases::escalated_at.eq(naive(now)),
            cases::escalation_reason.eq(reason),
            cases::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Records why the case proceeds although a party declined.
pub fn set_proceed_reason(conn: &mut DbConnection, case_id: &str, reason: &str, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(cases::table.find(case_id))
        .set((cases::proceed_reason.eq(reason), cases::updated_at.eq(naive(now))))
        .execute(conn)?;
    Ok(())
}

/// The open cases of `origins` at a site, oldest first: the station's waiting line before the
/// rules order it.
pub fn open_cases_at(conn: &mut DbConnection, site_id: &str, origins: &[Origin]) -> QueryResult<Vec<Case>> {
    let origins: Vec<&str> = origins.iter().map(|o| o.as_str()).collect();
    let rows: Vec<CaseRow> = cases::table
        .filter(cases::site_id.eq(site_id))
        .filter(cases::status.eq(CaseStatus::Open.as_str()))
        .filter(cases::origin.eq_any(origins))
        .order((cases::created_at, cases::id))
        .limit(500)
        .select(CaseRow::as_select())
        .load(conn)?;
    with_parties(conn, rows)
}

/// A party as stored, with its case.
#[derive(Queryable, Selectable)]
#[diesel(table_name = case_parties)]
struct PartyRow {
    case_id: String,
    name: String,
    phone: String,
    role: String,
    participation: String,
    answer_reason: String,
}

fn parties_of(conn: &mut DbConnection, case_ids: &[String]) -> QueryResult<Vec<(String, Party)>> {
    let rows: Vec<PartyRow> = case_parties::table
        .filter(case_parties::case_id.eq_any(case_ids))
        .order((case_parties::case_id, case_parties::position))
        .select(PartyRow::as_select())
        .load(conn)?;
    rows.into_iter().map(party).collect()
}

fn party(row: PartyRow) -> QueryResult<(String, Party)> {
    let party = Party {
        name: open(PARTY_NAME, &row.name)?,
        phone: open(PARTY_PHONE, &row.phone)?,
        role: parse("case_parties.role", &row.role)?,
        participation: parse("case_parties.participation", &row.participation)?,
        answer_reason: row.answer_reason,
    };
    Ok((row.case_id, party))
}

fn with_parties(conn: &mut DbConnection, rows: Vec<CaseRow>) -> QueryResult<Vec<Case>> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let parties = parties_of(conn, &ids)?;
    rows.into_iter()
        .map(|row| {
            let mine = parties.iter().filter(|(c, _)| *c == row.id).map(|(_, p)| p.clone()).collect();
            row.into_case(mine)
        })
        .collect()
}

/// One case; read by key with statements of a fixed shape on the backend's own connection, so
/// that each is prepared once per connection and found in its cache by type (a list's `IN` is
/// prepared at every call).
pub fn case(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Case>> {
    let Some(mut case) = case_without_parties(conn, id)? else {
        return Ok(None);
    };
    let rows: Vec<PartyRow> = mediation_store::on_backend!(conn, |c| {
        let mine = case_parties::table.filter(case_parties::case_id.eq(id));
        mine.order(case_parties::position).select(PartyRow::as_select()).load(c)
    })?;
    case.parties = rows.into_iter().map(|row| party(row).map(|(_, party)| party)).collect::<QueryResult<_>>()?;
    Ok(Some(case))
}

/// One case with its parties left out (an empty list), for a rule that never looks at them:
/// one statement, and no party's name or phone unsealed.
pub fn case_without_parties(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Case>> {
    let row = mediation_store::on_backend!(conn, |c| cases::table.find(id).select(CaseRow::as_select()).get_result(c));
    row.optional()?.map(|row| row.into_case(Vec::new())).transpose()
}

/// Which cases a list may show: by applicant, by sites, or all.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// A resident's cases: those they filed, and those where their verified phone is a party's
    /// (by the phone's blind index).
    pub applicant: Option<String>,
    pub party_phone: Option<String>,
    pub police_incident_id: Option<String>,
    pub site_ids: Option<Vec<String>>,
    pub status: Option<CaseStatus>,
    pub grade: Option<Grade>,
    /// Only cases on the centre's list (escalated by their station).
    pub escalated_only: bool,
}

/// Cases after `after_id` in id order (ids are time-ordered UUIDv7, so this is creation order).
pub fn list_cases(
    conn: &mut DbConnection,
    filter: &CaseFilter,
    after_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Case>> {
    let mut query = cases::table.select(CaseRow::as_select()).order(cases::id).limit(limit).into_boxed();
    match (&filter.applicant, &filter.party_phone) {
        (Some(applicant), Some(phone)) => {
            let index = personal::phone_index(phone)?;
            let as_party =
                case_parties::table.filter(case_parties::phone_index.eq(index)).select(case_parties::case_id);
            query = query.filter(cases::applicant_account_id.eq(applicant).or(cases::id.eq_any(as_party)));
        }
        (Some(applicant), None) => query = query.filter(cases::applicant_account_id.eq(applicant)),
        (None, _) => {}
    }
    if let Some(incident) = &filter.police_incident_id {
        query = query.filter(cases::police_incident_id.eq(incident));
    }
    if let Some(site_ids) = &filter.site_ids {
        query = query.filter(cases::site_id.eq_any(site_ids));
    }
    if let Some(status) = filter.status {
        query = query.filter(cases::status.eq(status.as_str()));
    }
    if let Some(grade) = filter.grade {
        query = query.filter(cases::grade.eq(grade.as_str()));
    }
    if filter.escalated_only {
        query = query.filter(cases::escalated_at.is_not_null());
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

pub fn set_case_status(conn: &mut DbConnection, id: &str, status: CaseStatus, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(cases::table.find(id))
        .set((cases::status.eq(status.as_str()), cases::updated_at.eq(naive(now))))
        .execute(conn)?;
    Ok(())
}

pub fn add_event(
    conn: &mut DbConnection,
    case_id: &str,
    actor: Option<&str>,
    kind: EventKind,
    detail: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(case_events::table)
        .values((
            case_events::id.eq(uuid::Uuid::now_v7().to_string()),
            case_events::case_id.eq(case_id),
            case_events::at.eq(naive(now)),
            case_events::actor_id.eq(actor),
            case_events::kind.eq(kind.as_str()),
            case_events::detail.eq(detail),
        ))
        .execute(conn)?;
    Ok(())
}

/// The case's history after `after_id`, oldest first (event ids are time-ordered), with ids.
pub fn events(
    conn: &mut DbConnection,
    case_id: &str,
    after_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<(String, CaseEvent)>> {
    let mut query = case_events::table
        .filter(case_events::case_id.eq(case_id))
        .order(case_events::id)
        .limit(limit)
        .select((case_events::id, case_events::at, case_events::actor_id, case_events::kind, case_events::detail))
        .into_boxed();
    if let Some(after_id) = after_id {
        query = query.filter(case_events::id.gt(after_id));
    }
    let rows: Vec<(String, NaiveDateTime, Option<String>, String, String)> = query.load(conn)?;
    rows.into_iter()
        .map(|(id, at, actor_id, kind, detail)| {
            let event = CaseEvent { at: at.and_utc(), actor_id, kind: parse("case_events.kind", &kind)?, detail };
            Ok((id, event))
        })
        .collect()
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
