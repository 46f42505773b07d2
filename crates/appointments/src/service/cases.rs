//! Cases: recording one, grading it (by pre-assessment or by hand), showing and listing them
//! to those who may know of them, and their history.

use chrono::{DateTime, Utc};
use mediation_api::Fault;
use mediation_audit::{Action, Actor, Event, TargetKind};
use mediation_auth::Role;
use mediation_directory::domain::SiteKind;
use mediation_store::DbConnection;

use super::{AppointmentSettings, visible_case};
use crate::domain::access::Viewer;
use crate::domain::grading::{self, Assessment};
use crate::domain::parties::{Participation, initial_participation};
use crate::domain::{Case, CaseEvent, CaseStatus, EventKind, Grade, Origin, Party, PartyRole};
use crate::error::{Error, Result};
use crate::notices;
use crate::repo::{self, CaseFilter};

/// A case as submitted, validated field by field.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub category: String,
    pub summary: String,
    pub parties: Vec<Party>,
    pub origin: Origin,
    pub assessment: Assessment,
    pub site_id: Option<String>,
    /// The 110 incident number and the officer who handed the case over (POLICE_110 only).
    pub handover: Option<Handover>,
}

/// A POLICE_110 case's handover.
#[derive(Debug, Clone)]
pub struct Handover {
    pub police_incident_id: String,
    pub handed_over_by: String,
}

/// A case as one viewer is shown it.
#[derive(Debug, Clone)]
pub struct ShownCase {
    pub case: Case,
    /// Phones in full (for the applicant and the case's staff) rather than masked.
    pub personal: bool,
    /// The party the viewer is (by verified phone): their own phone shows in full.
    pub own_party: Option<usize>,
    /// Whether the viewer sees the handover's incident number (staff only).
    pub sees_handover: bool,
    /// The audit record owed for this showing, recorded before it is answered (by
    /// `rpc::cases::disclose`, the only encoder of a case): a staff member shown the parties in
    /// clear. None for the applicant reading their own case, for a masked view, or for the
    /// case as its filer just entered it.
    pub read: Option<Event>,
}

impl ShownCase {
    /// Shown by the method `via`, with the audit record owed for it: a staff member shown the
    /// parties' phones in clear. The answer is encoded only through `rpc::cases::disclose`,
    /// which appends that record first.
    pub(super) fn shown(viewer: &Viewer, case: Case, via: &str) -> Self {
        let personal = viewer.sees_personal_data(&case);
        let read = (personal && viewer.is_staff())
            .then(|| Event::new(Action::PersonalDataRead, TargetKind::Case, &case.id, format!("parties via {via}")));
        Self { personal, own_party: viewer.party_position(&case), sees_handover: viewer.is_staff(), read, case }
    }

    /// A case just recorded, shown to the one who entered it: the phones are what they typed,
    /// nothing is read.
    fn entered(viewer: &Viewer, case: Case) -> Self {
        Self { read: None, ..Self::shown(viewer, case, "CreateCase") }
    }
}

/// Which origins each caller may record: residents come through the app (or a kiosk session),
/// kiosks through themselves, staff enter walk-ins and 110 transfers.
fn check_origin(viewer: &Viewer, origin: Origin) -> Result<()> {
    let allowed: &[Origin] = match viewer.role() {
        Role::Resident if viewer.principal.kiosk_id.is_some() => &[Origin::Kiosk, Origin::App],
        Role::Resident => &[Origin::App],
        Role::Kiosk => &[Origin::Kiosk],
        _ => &[Origin::WalkIn, Origin::Police110, Origin::Kiosk],
    };
    if allowed.contains(&origin) {
        Ok(())
    } else {
        Err(Fault::Forbidden("your role may not record a case of that origin").into())
    }
}

pub fn create_case(
    conn: &mut DbConnection,
    viewer: &Viewer,
    settings: &AppointmentSettings,
    new: NewCase,
    now: DateTime<Utc>,
) -> Result<ShownCase> {
    check_origin(viewer, new.origin)?;
    let site_id =
        new.site_id.or_else(|| viewer.station.clone()).ok_or_else(|| Fault::invalid("site_id", "is required"))?;
    let site =
        mediation_directory::repo::site(conn, &site_id)?.ok_or_else(|| Fault::invalid("site_id", "no such site"))?;
    if !matches!(site.kind, SiteKind::Station | SiteKind::Centre) {
        return Err(Fault::invalid("site_id", "cases are handled by a station or the centre").into());
    }
    if !viewer.may_file_at(&site_id) {
        let why = if viewer.at_kiosk() {
            "a kiosk files cases with its own station only"
        } else {
            "staff record cases for their own station"
        };
        return Err(Fault::Forbidden(why).into());
    }
    if mediation_directory::repo::known_specialties(conn, std::slice::from_ref(&new.category))?.is_empty() {
        return Err(Fault::invalid("category", "is not a speciality code (see ListSpecialties)").into());
    }
    if let Some(handover) = &new.handover
        && repo::case_id_by_incident(conn, &site_id, &handover.police_incident_id)?.is_some()
    {
        return Err(Error::IncidentTaken);
    }
    let mut assessment = new.assessment;
    assessment.party_count = assessment.party_count.max(new.parties.len() as i32);
    let (grade, rationale) = grading::grade(&assessment, &settings.thresholds);
    let actor = viewer.principal.account_id.clone();
    let first_applicant = new.parties.iter().position(|p| p.role == PartyRole::Applicant);
    let parties = new
        .parties
        .into_iter()
        .enumerate()
        .map(|(i, party)| Party {
            participation: initial_participation(new.origin, party.role, Some(i) == first_applicant),
            ..party
        })
        .collect();
    let (police_incident_id, handed_over_by) =
        new.handover.map_or((None, String::new()), |h| (Some(h.police_incident_id), h.handed_over_by));
    let case = Case {
        id: uuid::Uuid::now_v7().to_string(),
        site_id,
        applicant_account_id: (viewer.role() == Role::Resident).then(|| actor.clone()),
        created_by: actor.clone(),
        category: new.category,
        summary: new.summary,
        origin: new.origin,
        grade,
        grade_rationale: rationale.clone(),
        status: CaseStatus::Open,
        assessment,
        parties,
        created_at: now,
        police_incident_id,
        handed_over_by,
        proceed_reason: String::new(),
        escalation: None,
    };
    repo::insert_case(conn, &case)
        .map_err(|err| if mediation_store::is_unique_violation(&err) { Error::IncidentTaken } else { err.into() })?;
    repo::add_event(conn, &case.id, Some(&actor), EventKind::Created, &rationale, now)?;
    let filer = filed_by(conn, viewer, &case)?;
    notices::invitations(conn, &case, &filer, now)?;
    Ok(ShownCase::entered(viewer, case))
}

/// Who the invitation says filed the case: the applicant party's surname for a resident's case
/// (王**: the notice body is kept in clear in the outbox), the station's staff otherwise.
fn filed_by(conn: &mut DbConnection, viewer: &Viewer, case: &Case) -> Result<String> {
    if viewer.role() == Role::Resident
        && let Some(applicant) = case.parties.iter().find(|p| p.role == PartyRole::Applicant)
    {
        return Ok(crate::domain::parties::masked_name(&applicant.name));
    }
    let station = mediation_directory::repo::site(conn, &case.site_id)?.map_or_else(String::new, |s| s.name);
    Ok(format!("{station}工作人员"))
}

/// A party's answer: a resident answers for the party they are; the case's staff record an
/// answer given in person for the party at `position`.
pub fn respond_to_case(
    conn: &mut DbConnection,
    viewer: &Viewer,
    case_id: &str,
    answer: Answer,
    now: DateTime<Utc>,
) -> Result<ShownCase> {
    let (mut case, _) = visible_case(conn, viewer, case_id)?;
    let position = match viewer.party_position(&case) {
        Some(position) => position,
        None if viewer.is_applicant(&case) => {
            case.parties.iter().position(|p| p.role == PartyRole::Applicant).unwrap_or_default()
        }
        None if viewer.works(&case) => {
            let position = answer.party_position.unwrap_or_default();
            if position >= case.parties.len() {
                return Err(Fault::invalid("party_position", "no party at that position").into());
            }
            position
        }
        None => return Err(Fault::Forbidden("only a party answers for themselves").into()),
    };
    if case.status == CaseStatus::Closed {
        return Err(Fault::state("CASE_CLOSED", "the case is closed").into());
    }
    if !answer.accept && answer.reason.is_empty() {
        return Err(Fault::invalid("reason", "is required when declining").into());
    }
    let participation = if answer.accept { Participation::Accepted } else { Participation::Declined };
    repo::set_participation(conn, case_id, position as i32, participation, &answer.reason, now)?;
    let party = &mut case.parties[position];
    party.participation = participation;
    party.answer_reason = answer.reason.clone();
    let kind = if answer.accept { EventKind::PartyAccepted } else { EventKind::PartyDeclined };
    let detail = format!("party {position} ({}): {}", party.role.as_str(), answer.reason);
    repo::add_event(conn, case_id, Some(&viewer.principal.account_id), kind, &detail, now)?;
    Ok(ShownCase::shown(viewer, case, "RespondToCase"))
}

/// A party's answer to the invitation.
#[derive(Debug, Clone)]
pub struct Answer {
    pub accept: bool,
    pub reason: String,
    /// For staff recording an answer given in person.
    pub party_position: Option<usize>,
}

/// Staff record why a case proceeds although a party declined.
pub fn proceed_with_case(
    conn: &mut DbConnection,
    viewer: &Viewer,
    case_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<ShownCase> {
    let mut case = worked_case(conn, viewer, case_id)?;
    if !case.parties.iter().any(|p| p.participation == Participation::Declined) {
        return Err(Fault::state("NO_PARTY_DECLINED", "no party declined; nothing to override").into());
    }
    repo::set_proceed_reason(conn, case_id, reason, now)?;
    repo::add_event(conn, case_id, Some(&viewer.principal.account_id), EventKind::Proceeding, reason, now)?;
    case.proceed_reason = reason.to_owned();
    Ok(ShownCase::shown(viewer, case, "ProceedWithCase"))
}

fn worked_case(conn: &mut DbConnection, viewer: &Viewer, case_id: &str) -> Result<Case> {
    let (case, _) = visible_case(conn, viewer, case_id)?;
    if viewer.works(&case) {
        Ok(case)
    } else {
        Err(Fault::Forbidden("only staff of the case's station may do this").into())
    }
}

pub fn assess_case(
    conn: &mut DbConnection,
    viewer: &Viewer,
    settings: &AppointmentSettings,
    case_id: &str,
    assessment: Assessment,
    now: DateTime<Utc>,
) -> Result<ShownCase> {
    let mut case = worked_case(conn, viewer, case_id)?;
    let (grade, rationale) = grading::grade(&assessment, &settings.thresholds);
    repo::update_grade(conn, case_id, grade, &rationale, Some(&assessment), now)?;
    repo::add_event(conn, case_id, Some(&viewer.principal.account_id), EventKind::Assessed, &rationale, now)?;
    case.grade = grade;
    case.grade_rationale = rationale;
    case.assessment = assessment;
    Ok(ShownCase::shown(viewer, case, "AssessCase"))
}

/// Sets the grade by hand; the case history keeps the reason, the audit trail only the grade
/// (the reason is free text and may name people).
pub fn override_grade(
    conn: &mut DbConnection,
    viewer: &Viewer,
    actor: &Actor,
    case_id: &str,
    grade: Grade,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<ShownCase> {
    let mut case = worked_case(conn, viewer, case_id)?;
    let rationale = format!("{}: overridden by staff: {reason}", grade.as_str());
    repo::update_grade(conn, case_id, grade, &rationale, None, now)?;
    let detail = format!("{} -> {}: {reason}", case.grade.as_str(), grade.as_str());
    repo::add_event(conn, case_id, Some(&viewer.principal.account_id), EventKind::GradeOverridden, &detail, now)?;
    let event = Event::new(Action::GradeOverridden, TargetKind::Case, case_id, grade.as_str());
    mediation_audit::repo::append(conn, actor, event, now)?;
    case.grade = grade;
    case.grade_rationale = rationale;
    Ok(ShownCase::shown(viewer, case, "OverrideGrade"))
}

/// The case, if the viewer may know of it.
pub fn get_case(conn: &mut DbConnection, viewer: &Viewer, case_id: &str) -> Result<ShownCase> {
    let (case, _) = visible_case(conn, viewer, case_id)?;
    Ok(ShownCase::shown(viewer, case, "GetCase"))
}

/// The cases the viewer may list, narrowed by `site_id` when given.
pub fn list_cases(
    conn: &mut DbConnection,
    viewer: &Viewer,
    site_id: Option<String>,
    status: Option<CaseStatus>,
    grade: Option<Grade>,
    police_incident_id: Option<String>,
    escalated_only: bool,
    after_id: Option<&str>,
    limit: i64,
) -> Result<Vec<ShownCase>> {
    let mut filter = CaseFilter { status, grade, police_incident_id, escalated_only, ..CaseFilter::default() };
    if viewer.role() == Role::Kiosk {
        return Err(Fault::Forbidden("a kiosk lists no cases; residents sign in at it to see theirs").into());
    }
    if viewer.role() == Role::Resident {
        filter.applicant = Some(viewer.principal.account_id.clone());
        filter.party_phone = viewer.verified_phone.clone();
        filter.site_ids = site_id.map(|s| vec![s]);
    } else if viewer.is_centre_wide() {
        filter.site_ids = site_id.map(|s| vec![s]);
    } else {
        let station = viewer.station.clone().ok_or(Fault::Forbidden("your account belongs to no station"))?;
        if site_id.as_ref().is_some_and(|s| *s != station) {
            return Err(Fault::Forbidden("you may list only your own station's cases").into());
        }
        filter.site_ids = Some(vec![station]);
    }
    let cases = repo::list_cases(conn, &filter, after_id, limit)?;
    Ok(cases.into_iter().map(|case| ShownCase::shown(viewer, case, "ListCases")).collect())
}

/// The case's history after `after_id`, oldest first, with the events' ids for paging.
pub fn case_events(
    conn: &mut DbConnection,
    viewer: &Viewer,
    case_id: &str,
    after_id: Option<&str>,
    limit: i64,
) -> Result<Vec<(String, CaseEvent)>> {
    visible_case(conn, viewer, case_id)?;
    Ok(repo::events(conn, case_id, after_id, limit)?)
}
