//! The mediation agreement on the wire: DraftAgreement, SignAgreement, GetAgreement,
//! VoidAgreement, ExportAgreement and RecordFollowUp parsed into plain values; an agreement
//! encoded with its signatures, other parties' names masked.

use mediation_api::Violations;
use mediation_api::appointments::v1 as pb;
use mediation_api::convert::timestamp;
use tonic::Status;

use super::cases::role_to;
use crate::domain::agreement::{AgreementStatus, FollowUpResult, MAX_TERMS, Term};
use crate::domain::parties::masked_name;
use crate::service::{Draft, RecordedFollowUp, ShownAgreement};

pub(super) struct DraftRequest {
    pub request_id: String,
    pub draft: Draft,
}

fn terms(v: &mut Violations, terms: &[pb::AgreementTerm]) -> Option<Vec<Term>> {
    if terms.is_empty() {
        v.add("terms", "at least one term is needed");
        return None;
    }
    if !v.at_most("terms", terms, MAX_TERMS) {
        return None;
    }
    let parsed: Vec<Option<Term>> = terms
        .iter()
        .enumerate()
        .map(|(i, term)| {
            if !(0..50).contains(&term.party_position) {
                v.add(format!("terms[{i}].party_position"), "must be a party's position, 0 to 49");
            }
            let obligation = v.text(&format!("terms[{i}].obligation"), &term.obligation, 500, true);
            let due = v.instant(&format!("terms[{i}].due"), term.due);
            Some(Term { party_position: term.party_position as usize, obligation: obligation?, due: due? })
        })
        .collect();
    parsed.into_iter().collect()
}

impl TryFrom<pb::DraftAgreementRequest> for DraftRequest {
    type Error = Status;

    fn try_from(req: pb::DraftAgreementRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let request_id = v.request_id(&req.request_id);
        let case_id = v.id("case_id", &req.case_id);
        let terms = terms(&mut v, &req.terms);
        let performance_deadline = v.instant("performance_deadline", req.performance_deadline);
        let facts = v.text("facts", &req.facts, 2000, false);
        v.finish(|| {
            let draft = Draft {
                case_id: case_id?,
                terms: terms?,
                performance_deadline: performance_deadline?,
                facts: facts.filter(|f| !f.is_empty()),
            };
            Some(DraftRequest { request_id: request_id?, draft })
        })
    }
}

pub(super) struct Sign {
    pub agreement_id: String,
    pub code: String,
}

impl TryFrom<pb::SignAgreementRequest> for Sign {
    type Error = Status;

    fn try_from(req: pb::SignAgreementRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let agreement_id = v.id("agreement_id", &req.agreement_id);
        let code_ok = req.code.len() == 6 && req.code.bytes().all(|b| b.is_ascii_digit());
        if !code_ok {
            v.add("code", "must be the six digits sent to your phone");
        }
        v.finish(|| Some(Sign { agreement_id: agreement_id?, code: req.code.clone() }))
    }
}

/// Which agreement GetAgreement asks for.
pub(super) enum Which {
    Id(String),
    OfCase(String),
}

impl TryFrom<pb::GetAgreementRequest> for Which {
    type Error = Status;

    fn try_from(req: pb::GetAgreementRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let which = if req.id.is_empty() {
            if req.case_id.is_empty() {
                v.add("id", "name the agreement, or its case in case_id");
            }
            v.id("case_id", &req.case_id).map(Which::OfCase)
        } else {
            v.id("id", &req.id).map(Which::Id)
        };
        v.finish(|| which)
    }
}

pub(super) struct Void {
    pub agreement_id: String,
    pub reason: String,
}

impl TryFrom<pb::VoidAgreementRequest> for Void {
    type Error = Status;

    fn try_from(req: pb::VoidAgreementRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let agreement_id = v.id("agreement_id", &req.agreement_id);
        let reason = v.text("reason", &req.reason, 500, true);
        v.finish(|| Some(Void { agreement_id: agreement_id?, reason: reason? }))
    }
}

pub(super) struct FollowUpAnswer {
    pub case_id: String,
    pub result: FollowUpResult,
    pub note: String,
}

impl TryFrom<pb::RecordFollowUpRequest> for FollowUpAnswer {
    type Error = Status;

    fn try_from(req: pb::RecordFollowUpRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let case_id = v.id("case_id", &req.case_id);
        let result = match pb::FollowUpResult::try_from(req.result) {
            Ok(pb::FollowUpResult::Kept) => Some(FollowUpResult::Kept),
            Ok(pb::FollowUpResult::PartlyKept) => Some(FollowUpResult::PartlyKept),
            Ok(pb::FollowUpResult::Broken) => Some(FollowUpResult::Broken),
            _ => {
                v.add("result", "must be KEPT, PARTLY_KEPT or BROKEN");
                None
            }
        };
        let note = v.text("note", &req.note, 1000, false);
        v.finish(|| Some(FollowUpAnswer { case_id: case_id?, result: result?, note: note? }))
    }
}

fn status_to(status: AgreementStatus) -> pb::AgreementStatus {
    match status {
        AgreementStatus::Draft => pb::AgreementStatus::Draft,
        AgreementStatus::Signing => pb::AgreementStatus::Signing,
        AgreementStatus::Signed => pb::AgreementStatus::Signed,
        AgreementStatus::Void => pb::AgreementStatus::Void,
    }
}

fn result_to(result: FollowUpResult) -> pb::FollowUpResult {
    match result {
        FollowUpResult::Kept => pb::FollowUpResult::Kept,
        FollowUpResult::PartlyKept => pb::FollowUpResult::PartlyKept,
        FollowUpResult::Broken => pb::FollowUpResult::Broken,
    }
}

/// The agreement; each signature names its party masked (王*) unless it is the viewer's own or
/// the viewer is the case's staff.
pub(super) fn to_proto(shown: ShownAgreement) -> pb::Agreement {
    let ShownAgreement { agreement: a, case, own_position, names_in_full } = shown;
    let signatures = a
        .signatures
        .iter()
        .filter_map(|s| {
            let party = case.parties.get(s.party_position)?;
            let in_full = names_in_full || own_position == Some(s.party_position);
            Some(pb::AgreementSignature {
                party_role: role_to(party.role).into(),
                party_name_masked: if in_full { party.name.clone() } else { masked_name(&party.name) },
                signed_at: Some(timestamp(s.signed_at)),
                party_position: s.party_position as i32,
            })
        })
        .collect();
    pb::Agreement {
        id: a.id,
        case_id: a.case_id,
        status: status_to(a.status).into(),
        text: a.text,
        terms: a
            .terms
            .into_iter()
            .map(|t| pb::AgreementTerm {
                party_position: t.party_position as i32,
                obligation: t.obligation,
                due: Some(timestamp(t.due)),
            })
            .collect(),
        performance_deadline: Some(timestamp(a.performance_deadline)),
        signatures,
        content_sha256: a.content_sha256,
        appointment_id: a.appointment_id,
        signed_at: a.signed_at.map(timestamp),
        void_reason: a.void_reason,
        update_time: Some(timestamp(a.updated_at)),
    }
}

pub(super) fn follow_up_to_proto(recorded: RecordedFollowUp) -> pb::FollowUp {
    let f = recorded.follow_up;
    pb::FollowUp {
        id: f.id,
        case_id: f.case_id,
        agreement_id: f.agreement_id,
        result: result_to(f.result).into(),
        note: f.note,
        recorded_at: Some(timestamp(f.recorded_at)),
        case_reopened: recorded.case_reopened,
    }
}

pub(super) fn export_to_proto(case_id: &str, data: Vec<u8>) -> pb::ExportAgreementResponse {
    pb::ExportAgreementResponse {
        content_type: "application/pdf".into(),
        data,
        filename: format!("调解协议书-{case_id}.pdf"),
    }
}
