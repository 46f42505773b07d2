//! Assessments on the wire: parsing the period and the requests (every bad field named), and
//! encoding an assessment with its inputs and pay lines.

use mediation_api::Violations;
use mediation_api::paging;
use mediation_api::ratings::v1 as pb;
use tonic::Status;

use crate::domain::period::Period;
use crate::service::{Assessment, AssessmentPage, ExportAssessments, GetAssessment, ListAssessments};

fn period(v: &mut Violations, p: Option<pb::Period>) -> Option<Period> {
    let p = p.unwrap_or_default();
    if !(2000..=2100).contains(&p.year) {
        v.add("period.year", "must be 2000 to 2100");
        return None;
    }
    match (p.month, p.quarter) {
        (1..=12, 0) => Some(Period::Month { year: p.year, month: p.month as u32 }),
        (0, 1..=4) => Some(Period::Quarter { year: p.year, quarter: p.quarter as u32 }),
        _ => {
            v.add("period", "give a month (1 to 12) or a quarter (1 to 4), not both");
            None
        }
    }
}

fn period_to_proto(p: Period) -> pb::Period {
    match p {
        Period::Month { year, month } => pb::Period { year, month: month as i32, quarter: 0 },
        Period::Quarter { year, quarter } => pb::Period { year, month: 0, quarter: quarter as i32 },
    }
}

impl TryFrom<pb::GetAssessmentRequest> for GetAssessment {
    type Error = Status;

    fn try_from(req: pb::GetAssessmentRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let mediator_id = v.id("mediator_id", &req.mediator_id);
        let period = period(&mut v, req.period);
        v.finish(|| Some(Self { mediator_id: mediator_id?, period: period? }))
    }
}

impl TryFrom<pb::ListAssessmentsRequest> for ListAssessments {
    type Error = Status;

    fn try_from(req: pb::ListAssessmentsRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let site_id = v.id("site_id", &req.site_id);
        let period = period(&mut v, req.period);
        let page_size = v.page_size(req.page_size, 50, 200);
        let query =
            paging::fingerprint(&("assessments", &req.site_id, req.period.map(|p| (p.year, p.month, p.quarter))));
        let after = v.check("page_token", paging::decode_token(&req.page_token, &query));
        v.finish(|| Some(Self { site_id: site_id?, period: period?, page_size: page_size?, after: after?, query }))
    }
}

impl TryFrom<pb::ExportAssessmentsRequest> for ExportAssessments {
    type Error = Status;

    fn try_from(req: pb::ExportAssessmentsRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let site_id = v.id("site_id", &req.site_id);
        let period = period(&mut v, req.period);
        v.finish(|| Some(Self { site_id: site_id?, period: period? }))
    }
}

pub fn to_proto(a: Assessment) -> pb::Assessment {
    let i = a.inputs;
    pb::Assessment {
        mediator_id: a.mediator.id,
        period: Some(period_to_proto(a.period)),
        score: a.outcome.score,
        level: a.outcome.level,
        total_yuan: a.outcome.total_yuan(),
        lines: a
            .outcome
            .lines
            .into_iter()
            .map(|l| pb::PayLine {
                kind: l.kind.as_str().to_owned(),
                amount_yuan: l.amount_yuan,
                explanation: l.explanation,
            })
            .collect(),
        inputs: Some(pb::AssessmentInputs {
            sessions_held: i.sessions_held as i32,
            settled: i.settled as i32,
            settlement_rate: i.settlement_rate(),
            no_shows: i.no_shows as i32,
            think_tank_sessions: i.think_tank_sessions as i32,
            ratings_count: i.ratings_count as i32,
            ratings_bayesian_mean: a.outcome.bayesian_mean,
            hidden_ratings: i.hidden_ratings as i32,
            complaints: i.complaints as i32,
            current_level: i.current_level,
            home_visits_held: i.home_visits_held as i32,
            home_visit_travel: Some(prost_types::Duration { seconds: i.home_visit_travel_secs, nanos: 0 }),
            agreements_followed_up: i.agreements_followed_up as i32,
            agreements_kept: i.agreements_kept as i32,
            agreement_kept_rate: i.agreement_kept_rate(),
        }),
        explanation: a.outcome.explanation,
    }
}

pub fn page_to_proto(page: AssessmentPage) -> pb::ListAssessmentsResponse {
    pb::ListAssessmentsResponse {
        assessments: page.assessments.into_iter().map(to_proto).collect(),
        next_page_token: page.next_page_token,
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt;

    use super::*;

    fn fields(status: &Status) -> Vec<String> {
        let details = status.get_error_details();
        details.bad_request().map(|b| b.field_violations.iter().map(|f| f.field.clone()).collect()).unwrap_or_default()
    }

    #[test]
    fn periods_round_trip() {
        for p in [Period::Month { year: 2026, month: 12 }, Period::Quarter { year: 2026, quarter: 1 }] {
            let mut v = Violations::new();
            assert_eq!(period(&mut v, Some(period_to_proto(p))), Some(p));
            assert!(v.is_empty());
        }
    }

    #[test]
    fn every_bad_field_of_a_list_is_named() {
        let req = pb::ListAssessmentsRequest {
            site_id: String::new(),
            period: Some(pb::Period { year: 2026, month: 3, quarter: 1 }),
            page_size: -5,
            page_token: "%%%".into(),
        };
        assert_eq!(
            fields(&ListAssessments::try_from(req).unwrap_err()),
            ["site_id", "period", "page_size", "page_token"]
        );
        let req = pb::GetAssessmentRequest {
            mediator_id: "m-1".into(),
            period: Some(pb::Period { year: 1999, month: 1, quarter: 0 }),
        };
        assert_eq!(fields(&GetAssessment::try_from(req).unwrap_err()), ["period.year"]);
    }
}
