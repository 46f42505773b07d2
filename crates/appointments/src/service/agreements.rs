//! The mediation agreement of a settled case: drafted (and redrafted while no party has signed)
//! by a mediator of the settled session or the station's admin, signed by every party with a
//! SIGN_AGREEMENT code to their own phone, read and printed by those in the case, voided by the
//! station's admin, and followed up: whether it was kept, a BROKEN answer reopening the case.

use chrono::{DateTime, Utc};
use mediation_api::Fault;
use mediation_audit::{Action, Actor, Event, TargetKind};
use mediation_auth::Role;
use mediation_identity::domain::{CodePurpose, PhoneNumber};
use mediation_store::DbConnection;

use super::{AppointmentSettings, stored_zone, visible_case};
use crate::domain::access::Viewer;
use crate::domain::agreement::{
    self, Agreement, AgreementStatus, FollowUp, FollowUpResult, TemplateInput, Term, sha256_hex,
};
use crate::domain::{Appointment, AppointmentStatus, Case, CaseStatus, EventKind, OutcomeResult, PartyRole};
use crate::error::{Error, Result};
use crate::notices;
use crate::repo::{self, AppointmentFilter};

/// A draft as asked for, its fields checked one by one.
#[derive(Debug, Clone)]
pub struct Draft {
    pub case_id: String,
    pub terms: Vec<Term>,
    pub performance_deadline: DateTime<Utc>,
    /// The facts in brief; `None` takes the case's summary.
    pub facts: Option<String>,
}

/// An agreement as one viewer is shown it: with the case, whose parties its signatures name,
/// and whether the viewer sees those names in full.
#[derive(Debug, Clone)]
pub struct ShownAgreement {
    pub agreement: Agreement,
    pub case: Case,
    /// The party the viewer is, whose own name is never masked to them.
    pub own_position: Option<usize>,
    /// Staff of the case see every name in full.
    pub names_in_full: bool,
}

impl ShownAgreement {
    fn new(viewer: &Viewer, agreement: Agreement, case: Case) -> ShownAgreement {
        ShownAgreement {
            own_position: signer_position(viewer, &case),
            names_in_full: viewer.works(&case),
            agreement,
            case,
        }
    }
}

/// The party the viewer signs for: the one whose phone is their verified phone, or, for the
/// applicant, the case's APPLICANT party.
fn signer_position(viewer: &Viewer, case: &Case) -> Option<usize> {
    viewer.party_position(case).or_else(|| {
        viewer.is_applicant(case).then(|| case.parties.iter().position(|p| p.role == PartyRole::Applicant)).flatten()
    })
}

/// The case's newest COMPLETED session that ended SETTLED.
fn settled_session(conn: &mut DbConnection, case: &Case) -> Result<Appointment> {
    let filter = AppointmentFilter {
        case_ids: Some(vec![case.id.clone()]),
        status: Some(AppointmentStatus::Completed),
        ..Default::default()
    };
    repo::list_appointments(conn, &filter, None, 100)?
        .into_iter()
        .filter(|a| a.outcome.as_ref().is_some_and(|o| o.result == OutcomeResult::Settled))
        .max_by_key(|a| a.span.start)
        .ok_or_else(|| Fault::state("NOT_SETTLED", "the case has no completed SETTLED session to draft from").into())
}

/// The station's name and time zone, for the text and its dates.
fn station(conn: &mut DbConnection, case: &Case) -> Result<(String, chrono_tz::Tz)> {
    match mediation_directory::repo::site(conn, &case.site_id)? {
        Some(site) => Ok((site.name.clone(), stored_zone(&site)?)),
        None => Ok((case.site_id.clone(), chrono_tz::Asia::Shanghai)),
    }
}

fn check_terms(case: &Case, draft: &Draft, now: DateTime<Utc>) -> Result<()> {
    if draft.performance_deadline <= now {
        return Err(Fault::invalid("performance_deadline", "must be in the future").into());
    }
    for (i, term) in draft.terms.iter().enumerate() {
        if term.party_position >= case.parties.len() {
            return Err(
                Fault::invalid(&format!("terms[{i}].party_position"), "no party of the case at that position").into()
            );
        }
        if term.due > draft.performance_deadline {
            return Err(Fault::invalid(&format!("terms[{i}].due"), "is after the performance deadline").into());
        }
    }
    Ok(())
}

/// Drafts the case's agreement, or redrafts it while it is DRAFT; a VOID one is followed by a
/// new draft. Every party is told it is ready to sign.
pub fn draft_agreement(
    conn: &mut DbConnection,
    viewer: &Viewer,
    draft: Draft,
    now: DateTime<Utc>,
) -> Result<ShownAgreement> {
    let (case, _) = visible_case(conn, viewer, &draft.case_id)?;
    let session = settled_session(conn, &case)?;
    let station_admin = viewer.role() == Role::StationAdmin && viewer.station.as_deref() == Some(case.site_id.as_str());
    if !(viewer.is_mediator_of(&session) || station_admin) {
        return Err(
            Fault::Forbidden("a mediator of the settled session or the station's admin drafts the agreement").into()
        );
    }
    check_terms(&case, &draft, now)?;
    let existing = repo::live_agreement_of_case(conn, &case.id)?;
    if let Some(current) = &existing {
        agreement::may_redraft(current.status).map_err(|reason| {
            Fault::state(
                reason,
                "a party has signed: the agreement's text can no longer change (void it to start again)",
            )
        })?;
    }
    let (station, zone) = station(conn, &case)?;
    let category = mediation_directory::repo::specialties(conn)?
        .into_iter()
        .find(|(code, _, _)| *code == case.category)
        .map_or_else(|| case.category.clone(), |(_, zh, _)| zh);
    let mut mediators = Vec::new();
    for id in &session.mediator_ids {
        mediators.push(mediation_directory::repo::mediator(conn, id)?.map_or_else(|| id.clone(), |m| m.display_name));
    }
    let facts = draft.facts.clone().filter(|f| !f.trim().is_empty()).unwrap_or_else(|| case.summary.clone());
    let text = agreement::render(&TemplateInput {
        case_id: case.id.clone(),
        category,
        parties: case.parties.iter().map(|p| (p.role, p.name.clone())).collect(),
        facts,
        terms: draft.terms.clone(),
        performance_deadline: draft.performance_deadline,
        mediators,
        station: station.clone(),
        zone,
        drafted_at: now,
    });
    let drafted = Agreement {
        id: existing.as_ref().map_or_else(|| uuid::Uuid::now_v7().to_string(), |a| a.id.clone()),
        case_id: case.id.clone(),
        appointment_id: session.id.clone(),
        status: AgreementStatus::Draft,
        content_sha256: sha256_hex(&text),
        text,
        terms: draft.terms,
        performance_deadline: draft.performance_deadline,
        drafted_by: viewer.principal.account_id.clone(),
        created_at: existing.as_ref().map_or(now, |a| a.created_at),
        updated_at: now,
        signed_at: None,
        void_reason: String::new(),
        signatures: Vec::new(),
    };
    match existing {
        Some(_) if !repo::redraft(conn, &drafted)? => {
            return Err(
                Fault::state("AGREEMENT_SIGNING", "a party signed meanwhile: the text can no longer change").into()
            );
        }
        Some(_) => {}
        None => repo::insert_agreement(conn, &drafted)?,
    }
    let detail = format!("{} term(s), sha256 {}", drafted.terms.len(), drafted.content_sha256);
    repo::add_event(conn, &case.id, Some(&viewer.principal.account_id), EventKind::AgreementDrafted, &detail, now)?;
    notices::agreement_to_sign(conn, &case, &drafted, &station, now)?;
    Ok(ShownAgreement::new(viewer, drafted, case))
}

/// The agreement if the viewer may read it: a party, a mediator of the case, its staff.
/// Kiosks (which see no case) and everyone else get NOT_FOUND.
pub fn visible_agreement(conn: &mut DbConnection, viewer: &Viewer, id: &str) -> Result<ShownAgreement> {
    let agreement = repo::agreement(conn, id)?.ok_or(Fault::NotFound("agreement"))?;
    let case = visible_case(conn, viewer, &agreement.case_id).map_err(|_| Fault::NotFound("agreement"))?.0;
    Ok(ShownAgreement::new(viewer, agreement, case))
}

/// The case's newest agreement, as [`visible_agreement`].
pub fn agreement_of_case(conn: &mut DbConnection, viewer: &Viewer, case_id: &str) -> Result<ShownAgreement> {
    let (case, _) = visible_case(conn, viewer, case_id)?;
    let agreement = repo::newest_agreement_of_case(conn, case_id)?.ok_or(Fault::NotFound("agreement"))?;
    Ok(ShownAgreement::new(viewer, agreement, case))
}

/// The agreement as a PDF, watermarked unless SIGNED.
pub fn export_agreement(conn: &mut DbConnection, shown: &ShownAgreement) -> Result<Vec<u8>> {
    let (_, zone) = station(conn, &shown.case)?;
    let signers: Vec<_> = shown
        .agreement
        .signatures
        .iter()
        .filter_map(|s| shown.case.parties.get(s.party_position).map(|p| (p.role, p.name.clone(), s.signed_at)))
        .collect();
    let document = agreement::document(&shown.agreement, &signers, zone);
    Ok(mediation_document::render_pdf(&document)?)
}

/// Why a signature was not taken because of the code: the transaction that counted the try
/// commits, then the call fails with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeNotAccepted;

/// A party signs with their SIGN_AGREEMENT code. The last signature makes it SIGNED: its
/// SHA-256 goes into the audit chain and the follow-up is scheduled.
pub fn sign_agreement(
    conn: &mut DbConnection,
    viewer: &Viewer,
    actor: &Actor,
    settings: &AppointmentSettings,
    agreement_id: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<std::result::Result<ShownAgreement, CodeNotAccepted>> {
    let ShownAgreement { mut agreement, case, .. } = visible_agreement(conn, viewer, agreement_id)?;
    let position =
        signer_position(viewer, &case).ok_or(Fault::Forbidden("only a party to the case signs its agreement"))?;
    let signed = agreement.signatures.len() + 1;
    let next = agreement::after_signature(agreement.status, signed, case.parties.len())
        .map_err(|reason| Fault::state(reason, "the agreement takes no more signatures"))?;
    if agreement.signatures.iter().any(|s| s.party_position == position) {
        return Err(Fault::state("ALREADY_SIGNED", "you have signed this agreement").into());
    }
    let phone = viewer
        .verified_phone
        .as_deref()
        .and_then(|p| PhoneNumber::parse(p).ok())
        .ok_or(Fault::Forbidden("a party signs with a code to their own verified phone"))?;
    let taken = mediation_identity::take_phone_code(
        conn,
        settings.code_max_attempts,
        &phone,
        CodePurpose::SignAgreement,
        code,
        now,
    )?;
    if taken.is_err() {
        return Ok(Err(CodeNotAccepted));
    }
    let account = &viewer.principal.account_id;
    if !repo::add_signature(conn, &agreement.id, position, account, now)?
        || !repo::move_agreement(conn, &agreement.id, agreement.status, next, now)?
    {
        return Err(Fault::state("AGREEMENT_CHANGED", "the agreement changed meanwhile; read it again").into());
    }
    agreement.status = next;
    agreement.updated_at = now;
    agreement.signatures.push(agreement::Signature {
        party_position: position,
        account_id: account.clone(),
        signed_at: now,
    });
    agreement.signatures.sort_by_key(|s| s.party_position);
    let role = case.parties[position].role.as_str();
    let detail = format!("party {position} ({role}), {signed} of {}", case.parties.len());
    repo::add_event(conn, &case.id, Some(account), EventKind::AgreementSigned, &detail, now)?;
    if next == AgreementStatus::Signed {
        agreement.signed_at = Some(now);
        let event =
            Event::new(Action::AgreementSigned, TargetKind::Agreement, &agreement.id, &agreement.content_sha256);
        mediation_audit::repo::append(conn, actor, event, now)?;
        let (station, _) = station(conn, &case)?;
        notices::follow_up(conn, settings, &case, &agreement, &station, now)?;
    }
    Ok(Ok(ShownAgreement::new(viewer, agreement, case)))
}

/// The station's admin (or a centre admin) voids an agreement, with a reason, audited; its
/// follow-up, if not sent yet, is withdrawn.
pub fn void_agreement(
    conn: &mut DbConnection,
    viewer: &Viewer,
    actor: &Actor,
    agreement_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<ShownAgreement> {
    let ShownAgreement { mut agreement, case, .. } = visible_agreement(conn, viewer, agreement_id)?;
    let own_station = viewer.role() == Role::StationAdmin && viewer.station.as_deref() == Some(case.site_id.as_str());
    if !(own_station || viewer.role() == Role::CentreAdmin) {
        return Err(Fault::Forbidden("the station's admin voids an agreement").into());
    }
    agreement::may_void(agreement.status).map_err(|r| Fault::state(r, "the agreement is void already"))?;
    if !repo::void_agreement(conn, &agreement.id, reason, now)? {
        return Err(Fault::state("AGREEMENT_VOID", "the agreement is void already").into());
    }
    let was = agreement.status;
    agreement.status = AgreementStatus::Void;
    agreement.void_reason = reason.to_owned();
    let detail = format!("was {}: {reason}", was.as_str());
    let event = Event::new(Action::AgreementVoided, TargetKind::Agreement, &agreement.id, &detail);
    mediation_audit::repo::append(conn, actor, event, now)?;
    repo::add_event(conn, &case.id, Some(&viewer.principal.account_id), EventKind::AgreementVoided, &detail, now)?;
    notices::withdraw_follow_up(conn, &agreement, now)?;
    Ok(ShownAgreement::new(viewer, agreement, case))
}

/// A follow-up answer as recorded, and whether it reopened the case.
#[derive(Debug, Clone)]
pub struct RecordedFollowUp {
    pub follow_up: FollowUp,
    pub case_reopened: bool,
}

/// A party, or the case's staff who called them, record whether the SIGNED agreement was kept.
/// BROKEN reopens the case for its station and tells the station's staff.
pub fn record_follow_up(
    conn: &mut DbConnection,
    viewer: &Viewer,
    case_id: &str,
    result: FollowUpResult,
    note: &str,
    now: DateTime<Utc>,
) -> Result<RecordedFollowUp> {
    let (case, _) = visible_case(conn, viewer, case_id)?;
    if signer_position(viewer, &case).is_none() && !viewer.works(&case) {
        return Err(Fault::Forbidden("only a party or the staff of the case's station record a follow-up").into());
    }
    let agreement = repo::live_agreement_of_case(conn, case_id)?
        .filter(|a| a.status == AgreementStatus::Signed)
        .ok_or(Fault::state("NO_SIGNED_AGREEMENT", "the case has no signed agreement to follow up"))?;
    let follow_up = FollowUp {
        id: uuid::Uuid::now_v7().to_string(),
        agreement_id: agreement.id.clone(),
        case_id: case.id.clone(),
        result,
        note: note.to_owned(),
        recorded_by: viewer.principal.account_id.clone(),
        recorded_at: now,
    };
    repo::insert_follow_up(conn, &follow_up)?;
    let actor = Some(viewer.principal.account_id.as_str());
    repo::add_event(conn, &case.id, actor, EventKind::FollowUpRecorded, result.as_str(), now)?;
    let case_reopened = agreement::reopens(result) && case.status != CaseStatus::Open;
    if case_reopened {
        repo::set_case_status(conn, &case.id, CaseStatus::Open, now)?;
        repo::add_event(conn, &case.id, actor, EventKind::Reopened, "the agreement was reported broken", now)?;
    }
    if agreement::reopens(result) {
        notices::agreement_broken(conn, &case, &agreement, now)?;
    }
    Ok(RecordedFollowUp { follow_up, case_reopened })
}

impl From<CodeNotAccepted> for Error {
    fn from(_: CodeNotAccepted) -> Self {
        Error::CodeNotAccepted
    }
}
