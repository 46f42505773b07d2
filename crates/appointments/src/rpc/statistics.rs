//! GetStatistics on the wire.

use chrono::{DateTime, Utc};
use mediation_api::Violations;
use mediation_api::appointments::v1 as pb;
use tonic::Status;

use crate::service::Statistics;

pub(super) struct Query {
    pub site_id: Option<String>,
    pub mediator_id: Option<String>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl TryFrom<pb::GetStatisticsRequest> for Query {
    type Error = Status;

    fn try_from(req: pb::GetStatisticsRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let site_id = v.optional_id("site_id", &req.site_id);
        let mediator_id = v.optional_id("mediator_id", &req.mediator_id);
        let (from, to) = (v.instant("from", req.from), v.instant("to", req.to));
        if let (Some(f), Some(t)) = (from, to)
            && t <= f
        {
            v.add("to", "must be after from");
        }
        v.finish(|| Some(Query { site_id: site_id?, mediator_id: mediator_id?, from: from?, to: to? }))
    }
}

pub(super) fn to_proto(stats: Statistics) -> pb::Statistics {
    pb::Statistics {
        settlement_rate: stats.settlement_rate(),
        agreement_kept_rate: stats.agreement_kept_rate(),
        agreements_signed: stats.agreements.signed,
        agreements_followed_up: stats.agreements.followed_up,
        agreements_kept: stats.agreements.kept,
        police_110_on_the_spot_settlement_rate: stats.police_110_on_the_spot_settlement_rate(),
        on_the_spot_sessions: stats.on_the_spot_sessions,
        booked_sessions: stats.booked_sessions,
        police_110_cases: stats.police_110_cases,
        police_110_settled_on_the_spot: stats.police_110_settled_on_the_spot,
        median_handover_to_session: stats
            .median_handover_to_session
            .map(|d| prost_types::Duration { seconds: d.num_seconds(), nanos: 0 }),
        cases: stats.cases,
        ordinary: stats.ordinary,
        difficult: stats.difficult,
        major: stats.major,
        sessions_completed: stats.sessions_completed,
        settled: stats.settled,
        not_settled: stats.not_settled,
        referred: stats.referred,
        no_shows: stats.no_shows,
        cancelled: stats.cancelled,
        home_visit_sessions: stats.home_visit_sessions,
        home_visits_settled: stats.home_visits_settled,
    }
}
