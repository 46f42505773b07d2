//! Mediation agreements, their signatures and follow-ups. The text and the terms name the
//! parties, so both are sealed like the parties' names.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use mediation_store::DbConnection;
use mediation_store::personal::{self, open, seal};
use mediation_store::schema::{agreement_signatures, agreements, appointment_mediators, cases, follow_ups};

use super::{QueryResult, naive, parse, unreadable};
use crate::domain::agreement::{Agreement, AgreementStatus, FollowUp, FollowUpResult, Signature, Term};

/// The sealed columns' purposes, bound into their values as associated data.
const TEXT: &str = "agreements.text";
const TERMS: &str = "agreements.terms";

#[derive(Queryable, Selectable)]
#[diesel(table_name = agreements)]
struct AgreementRow {
    id: String,
    case_id: String,
    appointment_id: String,
    status: String,
    text: String,
    terms: String,
    performance_deadline: NaiveDateTime,
    content_sha256: String,
    drafted_by: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    signed_at: Option<NaiveDateTime>,
    void_reason: String,
}

impl AgreementRow {
    fn into_agreement(self, signatures: Vec<Signature>) -> QueryResult<Agreement> {
        let terms_json = open(TERMS, &self.terms)?;
        let terms: Vec<Term> =
            serde_json::from_str(&terms_json).map_err(|_| unreadable("agreements.terms", &self.id))?;
        Ok(Agreement {
            status: parse("agreements.status", &self.status)?,
            text: open(TEXT, &self.text)?,
            terms,
            performance_deadline: self.performance_deadline.and_utc(),
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
            signed_at: self.signed_at.map(|t| t.and_utc()),
            signatures,
            id: self.id,
            case_id: self.case_id,
            appointment_id: self.appointment_id,
            content_sha256: self.content_sha256,
            drafted_by: self.drafted_by,
            void_reason: self.void_reason,
        })
    }
}

fn sealed_terms(terms: &[Term]) -> QueryResult<String> {
    let json = serde_json::to_string(terms).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    Ok(seal(TERMS, &json)?)
}

pub fn insert_agreement(conn: &mut DbConnection, a: &Agreement) -> QueryResult<()> {
    diesel::insert_into(agreements::table)
        .values((
            agreements::id.eq(&a.id),
            agreements::case_id.eq(&a.case_id),
            agreements::appointment_id.eq(&a.appointment_id),
            agreements::status.eq(a.status.as_str()),
            agreements::text.eq(seal(TEXT, &a.text)?),
            agreements::terms.eq(sealed_terms(&a.terms)?),
            agreements::performance_deadline.eq(naive(a.performance_deadline)),
            agreements::content_sha256.eq(&a.content_sha256),
            agreements::drafted_by.eq(&a.drafted_by),
            agreements::created_at.eq(naive(a.created_at)),
            agreements::updated_at.eq(naive(a.updated_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Replaces a draft's text and terms; only while it is still DRAFT (a signature that got in
/// first wins). Returns whether it did.
pub fn redraft(conn: &mut DbConnection, a: &Agreement) -> QueryResult<bool> {
    let updated =
        diesel::update(agreements::table.find(&a.id).filter(agreements::status.eq(AgreementStatus::Draft.as_str())))
            .set((
                agreements::appointment_id.eq(&a.appointment_id),
                agreements::text.eq(seal(TEXT, &a.text)?),
                agreements::terms.eq(sealed_terms(&a.terms)?),
                agreements::performance_deadline.eq(naive(a.performance_deadline)),
                agreements::content_sha256.eq(&a.content_sha256),
                agreements::drafted_by.eq(&a.drafted_by),
                agreements::updated_at.eq(naive(a.updated_at)),
            ))
            .execute(conn)?;
    Ok(updated == 1)
}

fn signatures_of(conn: &mut DbConnection, agreement_id: &str) -> QueryResult<Vec<Signature>> {
    let rows: Vec<(i32, String, NaiveDateTime)> = agreement_signatures::table
        .filter(agreement_signatures::agreement_id.eq(agreement_id))
        .order(agreement_signatures::party_position)
        .select((
            agreement_signatures::party_position,
            agreement_signatures::account_id,
            agreement_signatures::signed_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(position, account_id, at)| Signature {
            party_position: usize::try_from(position).unwrap_or_default(),
            account_id,
            signed_at: at.and_utc(),
        })
        .collect())
}

fn with_signatures(conn: &mut DbConnection, row: Option<AgreementRow>) -> QueryResult<Option<Agreement>> {
    match row {
        Some(row) => {
            let signatures = signatures_of(conn, &row.id)?;
            Ok(Some(row.into_agreement(signatures)?))
        }
        None => Ok(None),
    }
}

pub fn agreement(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Agreement>> {
    let row = agreements::table.find(id).select(AgreementRow::as_select()).get_result(conn).optional()?;
    with_signatures(conn, row)
}

/// The case's newest agreement, VOID ones included.
pub fn newest_agreement_of_case(conn: &mut DbConnection, case_id: &str) -> QueryResult<Option<Agreement>> {
    let row = agreements::table
        .filter(agreements::case_id.eq(case_id))
        .order((agreements::created_at.desc(), agreements::id.desc()))
        .select(AgreementRow::as_select())
        .first(conn)
        .optional()?;
    with_signatures(conn, row)
}

/// The case's agreement that is not VOID, if any (at most one: `agreements_live_per_case`).
pub fn live_agreement_of_case(conn: &mut DbConnection, case_id: &str) -> QueryResult<Option<Agreement>> {
    let row = agreements::table
        .filter(agreements::case_id.eq(case_id))
        .filter(agreements::status.ne(AgreementStatus::Void.as_str()))
        .select(AgreementRow::as_select())
        .first(conn)
        .optional()?;
    with_signatures(conn, row)
}

/// Records a party's signature; false when that party had signed already (a concurrent second
/// signature of the same party fails on the primary key instead).
pub fn add_signature(
    conn: &mut DbConnection,
    agreement_id: &str,
    party_position: usize,
    account_id: &str,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let signed: i64 = agreement_signatures::table
        .filter(agreement_signatures::agreement_id.eq(agreement_id))
        .filter(agreement_signatures::party_position.eq(party_position as i32))
        .count()
        .get_result(conn)?;
    if signed > 0 {
        return Ok(false);
    }
    let inserted = diesel::insert_into(agreement_signatures::table)
        .values((
            agreement_signatures::agreement_id.eq(agreement_id),
            agreement_signatures::party_position.eq(party_position as i32),
            agreement_signatures::account_id.eq(account_id),
            agreement_signatures::signed_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(inserted == 1)
}

/// Moves the agreement from `from` to `to` (SIGNED stamps `signed_at`); false when it was no
/// longer in `from`.
pub fn move_agreement(
    conn: &mut DbConnection,
    id: &str,
    from: AgreementStatus,
    to: AgreementStatus,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let target = agreements::table.find(id).filter(agreements::status.eq(from.as_str()));
    let signed_at = (to == AgreementStatus::Signed).then(|| naive(now));
    let updated = diesel::update(target)
        .set((
            agreements::status.eq(to.as_str()),
            agreements::signed_at.eq(signed_at),
            agreements::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Voids the agreement unless it is VOID already; returns whether it did.
pub fn void_agreement(conn: &mut DbConnection, id: &str, reason: &str, now: DateTime<Utc>) -> QueryResult<bool> {
    let updated =
        diesel::update(agreements::table.find(id).filter(agreements::status.ne(AgreementStatus::Void.as_str())))
            .set((
                agreements::status.eq(AgreementStatus::Void.as_str()),
                agreements::void_reason.eq(reason),
                agreements::voided_at.eq(naive(now)),
            ))
            .execute(conn)?;
    Ok(updated == 1)
}

pub fn insert_follow_up(conn: &mut DbConnection, f: &FollowUp) -> QueryResult<()> {
    diesel::insert_into(follow_ups::table)
        .values((
            follow_ups::id.eq(&f.id),
            follow_ups::agreement_id.eq(&f.agreement_id),
            follow_ups::case_id.eq(&f.case_id),
            follow_ups::result.eq(f.result.as_str()),
            follow_ups::note.eq(&f.note),
            follow_ups::recorded_by.eq(&f.recorded_by),
            follow_ups::recorded_at.eq(naive(f.recorded_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Agreements signed in `[from, to)` and how they were followed up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeptCounts {
    pub signed: i64,
    /// Of those, the ones with a follow-up answer.
    pub followed_up: i64,
    /// Of those followed up, the ones whose latest answer is KEPT.
    pub kept: i64,
}

/// Counts the agreements SIGNED in `[from, to)` (those voided since included: they were signed)
/// of cases at `site_ids` (all when `None`) and, when named, of sessions `mediator_id` held.
pub fn kept_counts(
    conn: &mut DbConnection,
    site_ids: Option<&[String]>,
    mediator_id: Option<&str>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<KeptCounts> {
    let mut query = agreements::table
        .inner_join(cases::table)
        .filter(agreements::signed_at.ge(naive(from)))
        .filter(agreements::signed_at.lt(naive(to)))
        .select(agreements::id)
        .into_boxed();
    if let Some(site_ids) = site_ids {
        query = query.filter(cases::site_id.eq_any(site_ids.to_vec()));
    }
    if let Some(mediator_id) = mediator_id {
        let sessions = appointment_mediators::table
            .filter(appointment_mediators::mediator_id.eq(mediator_id.to_owned()))
            .select(appointment_mediators::appointment_id);
        query = query.filter(agreements::appointment_id.eq_any(sessions));
    }
    let ids: Vec<String> = query.load(conn)?;
    let answers: Vec<(String, String)> = follow_ups::table
        .filter(follow_ups::agreement_id.eq_any(&ids))
        .order((follow_ups::agreement_id, follow_ups::recorded_at, follow_ups::id))
        .select((follow_ups::agreement_id, follow_ups::result))
        .load(conn)?;
    // The rows come in order of time per agreement: the last one seen is the latest answer.
    let mut latest: std::collections::BTreeMap<String, FollowUpResult> = std::collections::BTreeMap::new();
    for (agreement_id, result) in answers {
        latest.insert(agreement_id, parse("follow_ups.result", &result)?);
    }
    Ok(KeptCounts {
        signed: ids.len() as i64,
        followed_up: latest.len() as i64,
        kept: latest.values().filter(|r| **r == FollowUpResult::Kept).count() as i64,
    })
}

/// Seals up to `batch` agreement texts and terms not sealed under the current key yet, like
/// [`rekey_parties`](super::rekey_parties); returns how many rows it changed.
pub fn rekey_agreements(conn: &mut DbConnection, batch: i64) -> QueryResult<usize> {
    let (sealed_now, _) = personal::current_prefixes()?;
    let rows: Vec<(String, String, String)> = agreements::table
        .filter(agreements::text.not_like(&sealed_now).or(agreements::terms.not_like(&sealed_now)))
        .order(agreements::id)
        .limit(batch)
        .select((agreements::id, agreements::text, agreements::terms))
        .load(conn)?;
    for (id, text, terms) in &rows {
        let text = personal::reseal(TEXT, text)?.unwrap_or_else(|| text.clone());
        let terms = personal::reseal(TERMS, terms)?.unwrap_or_else(|| terms.clone());
        diesel::update(agreements::table.find(id))
            .set((agreements::text.eq(text), agreements::terms.eq(terms)))
            .execute(conn)?;
    }
    Ok(rows.len())
}
