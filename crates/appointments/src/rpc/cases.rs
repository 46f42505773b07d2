//! Cases on the wire: CreateCase, AssessCase, OverrideGrade and ListCases parsed into plain
//! values; cases and their history encoded, with phones masked unless the viewer may see them.

use chrono::Utc;
use mediation_api::Violations;
use mediation_api::appointments::v1 as pb;
use mediation_api::convert::timestamp;
use mediation_api::paging::fingerprint;
use mediation_audit::Actor;
use mediation_auth::Principal;
use mediation_identity::domain::PhoneNumber;
use mediation_store::{Db, DbConnection};
use tonic::Status;

use super::fields::{Page, enum_filter};
use crate::domain::grading::Assessment;
use crate::domain::parties::Participation;
use crate::domain::{CaseEvent, CaseStatus, Grade, Origin, Party, PartyRole};
use crate::error::Error;
use crate::service::{Handover, NewCase, ShownCase};

const MAX_PARTIES: usize = 50;

pub(super) struct CreateCase {
    pub request_id: String,
    pub case: NewCase,
}

impl TryFrom<pb::CreateCaseRequest> for CreateCase {
    type Error = Status;

    fn try_from(req: pb::CreateCaseRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let request_id = v.request_id(&req.request_id);
        let category = v.id("category", &req.category);
        let summary = v.text("summary", &req.summary, 2000, true);
        let parties = parties(&mut v, &req.parties);
        let origin = origin_from(req.origin);
        if origin.is_none() {
            v.add("origin", "must be APP, KIOSK, POLICE_110 or WALK_IN");
        }
        let assessment = assessment_from(&mut v, req.assessment);
        let site_id = v.optional_id("site_id", &req.site_id);
        let handover = handover(&mut v, origin, &req.police_incident_id, &req.handed_over_by);
        v.finish(|| {
            let case = NewCase {
                category: category?,
                summary: summary?,
                parties: parties?,
                origin: origin?,
                assessment,
                site_id: site_id?,
                handover: handover?,
            };
            Some(CreateCase { request_id: request_id?, case })
        })
    }
}

/// The 110 incident number and the officer: only on a POLICE_110 case, and then both or neither
/// (a handover recorded before the number is known).
fn handover(v: &mut Violations, origin: Option<Origin>, incident: &str, officer: &str) -> Option<Option<Handover>> {
    let given = [("police_incident_id", incident), ("handed_over_by", officer)];
    if given.iter().all(|(_, value)| value.trim().is_empty()) {
        return Some(None);
    }
    if origin != Some(Origin::Police110) {
        for (field, value) in given {
            if !value.trim().is_empty() {
                v.add(field, "is only for origin POLICE_110");
            }
        }
        return None;
    }
    let police_incident_id = v.id("police_incident_id", incident);
    let handed_over_by = v.text("handed_over_by", officer, 100, true);
    Some(Some(Handover { police_incident_id: police_incident_id?, handed_over_by: handed_over_by? }))
}

pub(super) struct AssessCase {
    pub case_id: String,
    pub assessment: Assessment,
}

impl TryFrom<pb::AssessCaseRequest> for AssessCase {
    type Error = Status;

    fn try_from(req: pb::AssessCaseRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let case_id = v.id("case_id", &req.case_id);
        if req.assessment.is_none() {
            v.add("assessment", "is required");
        }
        let assessment = assessment_from(&mut v, req.assessment);
        v.finish(|| Some(AssessCase { case_id: case_id?, assessment }))
    }
}

pub(super) struct OverrideGrade {
    pub case_id: String,
    pub grade: Grade,
    pub reason: String,
}

impl TryFrom<pb::OverrideGradeRequest> for OverrideGrade {
    type Error = Status;

    fn try_from(req: pb::OverrideGradeRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let case_id = v.id("case_id", &req.case_id);
        let grade = grade_from(req.grade);
        if grade.is_none() {
            v.add("grade", "must be ORDINARY, DIFFICULT or MAJOR");
        }
        let reason = v.text("reason", &req.reason, 500, true);
        v.finish(|| Some(OverrideGrade { case_id: case_id?, grade: grade?, reason: reason? }))
    }
}

/// A page of cases; page tokens are bound to the caller, since what they may list is theirs.
pub(super) struct ListCases {
    pub site_id: Option<String>,
    pub status: Option<CaseStatus>,
    pub grade: Option<Grade>,
    pub police_incident_id: Option<String>,
    /// Only cases on the centre's list.
    pub escalated_only: bool,
    pub page: Page,
}

impl TryFrom<(pb::ListCasesRequest, &Principal)> for ListCases {
    type Error = Status;

    fn try_from((req, caller): (pb::ListCasesRequest, &Principal)) -> Result<Self, Status> {
        let mut v = Violations::new();
        let site_id = v.optional_id("site_id", &req.site_id);
        let status = enum_filter(
            &mut v,
            "status",
            req.status,
            case_status_from(req.status),
            "must be OPEN, SCHEDULED or CLOSED",
        );
        let grade =
            enum_filter(&mut v, "grade", req.grade, grade_from(req.grade), "must be ORDINARY, DIFFICULT or MAJOR");
        let police_incident_id = v.optional_id("police_incident_id", &req.police_incident_id);
        let query = fingerprint(&(
            "cases",
            &caller.account_id,
            &req.site_id,
            req.status,
            req.grade,
            &req.police_incident_id,
            req.escalated,
        ));
        let page = Page::parse(&mut v, req.page_size, &req.page_token, query);
        v.finish(|| {
            Some(ListCases {
                site_id: site_id?,
                status,
                grade,
                police_incident_id: police_incident_id?,
                escalated_only: req.escalated,
                page: page?,
            })
        })
    }
}

/// A page of a case's history; tokens are bound to the caller and the case.
pub(super) struct ListEvents {
    pub case_id: String,
    pub page: Page,
}

impl TryFrom<(pb::ListCaseEventsRequest, &Principal)> for ListEvents {
    type Error = Status;

    fn try_from((req, caller): (pb::ListCaseEventsRequest, &Principal)) -> Result<Self, Status> {
        let mut v = Violations::new();
        let case_id = v.id("case_id", &req.case_id);
        let query = fingerprint(&("case-events", &caller.account_id, &req.case_id));
        let page = Page::parse(&mut v, req.page_size, &req.page_token, query);
        v.finish(|| Some(ListEvents { case_id: case_id?, page: page? }))
    }
}

/// Phones in full for the applicant and the case's staff, and a party's own; masked for
/// everyone else. The 110 incident number for staff only.
/// The only way a case reaches an answer (its encoder is private to this module): the audit
/// record its showing owes (a staff member shown the parties' phones in clear) is appended to
/// the chain on `conn` first, in the transaction the answer is made in. Write methods call this
/// inside their transaction; reads call [`disclose_all`].
pub(super) fn disclose(conn: &mut DbConnection, actor: &Actor, mut shown: ShownCase) -> Result<pb::Case, Error> {
    if let Some(read) = shown.read.take() {
        mediation_audit::repo::append(conn, actor, read, Utc::now())?;
    }
    Ok(to_proto(shown))
}

/// [`disclose`] for reads answered outside a transaction: the records owed are appended in one
/// write transaction of their own before anything is encoded.
pub(super) async fn disclose_all(db: &Db, actor: Actor, mut shown: Vec<ShownCase>) -> Result<Vec<pb::Case>, Status> {
    let reads = shown.iter_mut().filter_map(|c| c.read.take()).collect();
    mediation_audit::record(db, actor, reads).await.map_err(Error::from)?;
    Ok(shown.into_iter().map(to_proto).collect())
}

fn to_proto(shown: ShownCase) -> pb::Case {
    let ShownCase { case, personal, own_party, sees_handover, .. } = shown;
    pb::Case {
        parties: case
            .parties
            .into_iter()
            .enumerate()
            .map(|(i, p)| pb::Party {
                phone: if personal || own_party == Some(i) {
                    p.phone
                } else {
                    PhoneNumber::from_stored(p.phone).masked()
                },
                name: p.name,
                role: role_to(p.role).into(),
                participation: participation_to(p.participation).into(),
                answer_reason: p.answer_reason,
            })
            .collect(),
        police_incident_id: if sees_handover { case.police_incident_id.unwrap_or_default() } else { String::new() },
        handed_over_by: if sees_handover { case.handed_over_by } else { String::new() },
        proceed_reason: case.proceed_reason,
        escalated_at: case.escalation.as_ref().map(|e| timestamp(e.at)),
        escalation_reason: case.escalation.map(|e| e.reason).unwrap_or_default(),
        origin: origin_to(case.origin).into(),
        grade: grade_to(case.grade).into(),
        status: case_status_to(case.status).into(),
        assessment: Some(assessment_to(case.assessment)),
        created_at: Some(timestamp(case.created_at)),
        id: case.id,
        category: case.category,
        summary: case.summary,
        grade_rationale: case.grade_rationale,
        site_id: case.site_id,
    }
}

pub(super) fn event_to_proto(event: CaseEvent) -> pb::CaseEvent {
    pb::CaseEvent {
        at: Some(timestamp(event.at)),
        actor_id: event.actor_id.unwrap_or_default(),
        kind: event.kind.as_str().to_owned(),
        detail: event.detail,
    }
}

fn parties(v: &mut Violations, parties: &[pb::Party]) -> Option<Vec<Party>> {
    if parties.is_empty() || parties.len() > MAX_PARTIES {
        v.add("parties", format!("1 to {MAX_PARTIES} parties are required"));
        return None;
    }
    let mut out = Vec::new();
    for (i, p) in parties.iter().enumerate() {
        let name = v.text(&format!("parties[{i}].name"), &p.name, 100, true);
        let phone = v.check(&format!("parties[{i}].phone"), PhoneNumber::parse(&p.phone));
        let role = role_from(p.role);
        if role.is_none() {
            v.add(format!("parties[{i}].role"), "must be APPLICANT, RESPONDENT or OTHER");
        }
        if let (Some(name), Some(phone), Some(role)) = (name, phone, role) {
            // Who has accepted is decided when the case is recorded.
            let participation = Participation::Invited;
            out.push(Party {
                name,
                phone: phone.as_str().to_owned(),
                role,
                participation,
                answer_reason: String::new(),
            });
        }
    }
    (out.len() == parties.len()).then_some(out)
}

/// The answers of a pre-assessment; an absent one answers nothing.
fn assessment_from(v: &mut Violations, a: Option<pb::Assessment>) -> Assessment {
    let a = v.present("assessment", a).unwrap_or_default();
    if a.amount_in_dispute_yuan < 0 {
        v.add("assessment.amount_in_dispute_yuan", "must not be negative");
    }
    if !(0..=100_000).contains(&a.party_count) {
        v.add("assessment.party_count", "must be 0 to 100000");
    }
    Assessment {
        amount_in_dispute_yuan: a.amount_in_dispute_yuan,
        party_count: a.party_count,
        violence_risk: a.violence_risk,
        vulnerable_party: a.vulnerable_party,
        repeat_dispute: a.repeat_dispute,
        group_incident_risk: a.group_incident_risk,
        petition_history: a.petition_history,
    }
}

fn assessment_to(a: Assessment) -> pb::Assessment {
    pb::Assessment {
        amount_in_dispute_yuan: a.amount_in_dispute_yuan,
        party_count: a.party_count,
        violence_risk: a.violence_risk,
        vulnerable_party: a.vulnerable_party,
        repeat_dispute: a.repeat_dispute,
        group_incident_risk: a.group_incident_risk,
        petition_history: a.petition_history,
    }
}

fn grade_from(value: i32) -> Option<Grade> {
    match pb::Grade::try_from(value).ok()? {
        pb::Grade::Ordinary => Some(Grade::Ordinary),
        pb::Grade::Difficult => Some(Grade::Difficult),
        pb::Grade::Major => Some(Grade::Major),
        pb::Grade::Unspecified => None,
    }
}

pub(super) fn grade_to(grade: Grade) -> pb::Grade {
    match grade {
        Grade::Ordinary => pb::Grade::Ordinary,
        Grade::Difficult => pb::Grade::Difficult,
        Grade::Major => pb::Grade::Major,
    }
}

fn case_status_from(value: i32) -> Option<CaseStatus> {
    match pb::CaseStatus::try_from(value).ok()? {
        pb::CaseStatus::Open => Some(CaseStatus::Open),
        pb::CaseStatus::Scheduled => Some(CaseStatus::Scheduled),
        pb::CaseStatus::Closed => Some(CaseStatus::Closed),
        pb::CaseStatus::Unspecified => None,
    }
}

fn case_status_to(status: CaseStatus) -> pb::CaseStatus {
    match status {
        CaseStatus::Open => pb::CaseStatus::Open,
        CaseStatus::Scheduled => pb::CaseStatus::Scheduled,
        CaseStatus::Closed => pb::CaseStatus::Closed,
    }
}

fn origin_from(value: i32) -> Option<Origin> {
    match pb::CaseOrigin::try_from(value).ok()? {
        pb::CaseOrigin::App => Some(Origin::App),
        pb::CaseOrigin::Kiosk => Some(Origin::Kiosk),
        pb::CaseOrigin::Police110 => Some(Origin::Police110),
        pb::CaseOrigin::WalkIn => Some(Origin::WalkIn),
        pb::CaseOrigin::Unspecified => None,
    }
}

pub(super) fn origin_to(origin: Origin) -> pb::CaseOrigin {
    match origin {
        Origin::App => pb::CaseOrigin::App,
        Origin::Kiosk => pb::CaseOrigin::Kiosk,
        Origin::Police110 => pb::CaseOrigin::Police110,
        Origin::WalkIn => pb::CaseOrigin::WalkIn,
    }
}

fn role_from(value: i32) -> Option<PartyRole> {
    match pb::PartyRole::try_from(value).ok()? {
        pb::PartyRole::Applicant => Some(PartyRole::Applicant),
        pb::PartyRole::Respondent => Some(PartyRole::Respondent),
        pb::PartyRole::Other => Some(PartyRole::Other),
        pb::PartyRole::Unspecified => None,
    }
}

pub(super) fn role_to(role: PartyRole) -> pb::PartyRole {
    match role {
        PartyRole::Applicant => pb::PartyRole::Applicant,
        PartyRole::Respondent => pb::PartyRole::Respondent,
        PartyRole::Other => pb::PartyRole::Other,
    }
}

fn participation_to(participation: Participation) -> pb::Participation {
    match participation {
        Participation::Invited => pb::Participation::Invited,
        Participation::Accepted => pb::Participation::Accepted,
        Participation::Declined => pb::Participation::Declined,
    }
}
