//! A mediator's summary on the wire.

use mediation_api::Violations;
use mediation_api::ratings::v1 as pb;
use tonic::Status;

use crate::domain::summary::Summary;
use crate::service::GetSummary;

impl TryFrom<pb::GetMediatorSummaryRequest> for GetSummary {
    type Error = Status;

    fn try_from(req: pb::GetMediatorSummaryRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let mediator_id = v.id("mediator_id", &req.mediator_id);
        v.finish(|| Some(Self { mediator_id: mediator_id? }))
    }
}

pub fn to_proto(mediator_id: String, s: Summary) -> pb::MediatorSummary {
    pb::MediatorSummary {
        mediator_id,
        count: s.count as i32,
        mean: s.mean,
        bayesian_mean: s.bayesian_mean,
        distribution: s.distribution.iter().map(|c| *c as i32).collect(),
        fairness_mean: s.fairness_mean,
        professionalism_mean: s.professionalism_mean,
        timeliness_mean: s.timeliness_mean,
        settled: Some(pb::OutcomeSplit { count: s.settled.0 as i32, mean: s.settled.1 }),
        not_settled: Some(pb::OutcomeSplit { count: s.not_settled.0 as i32, mean: s.not_settled.1 }),
    }
}
