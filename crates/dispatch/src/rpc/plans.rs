//! Plans on the wire: ProposePlan and AssignVisit parsed into plain values; plans encoded with
//! their drawing.

use std::time::Duration;

use chrono::NaiveDate;
use mediation_api::Violations;
use mediation_api::convert::{date, timestamp};
use mediation_api::dispatch::v1 as pb;
use tonic::Status;

use crate::service::DrawnPlan;

pub(super) struct ProposePlan {
    pub station_id: String,
    pub day: NaiveDate,
    /// The planner's time limit asked for; the service's default when none.
    pub time_limit: Option<Duration>,
}

impl TryFrom<pb::ProposePlanRequest> for ProposePlan {
    type Error = Status;

    fn try_from(req: pb::ProposePlanRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let day = v.date("date", req.date);
        let station_id = v.id("station_id", &req.station_id);
        let time_limit = match req.time_limit {
            None => Some(None),
            Some(d) if d.seconds >= 0 && d.nanos >= 0 && (d.seconds > 0 || d.nanos > 0) => {
                Some(Some(Duration::new(d.seconds as u64, d.nanos as u32)))
            }
            Some(_) => {
                v.add("time_limit", "must be positive");
                None
            }
        };
        v.finish(|| Some(Self { station_id: station_id?, day: day?, time_limit: time_limit? }))
    }
}

pub(super) struct AssignVisit {
    pub visit_id: String,
    pub van_id: String,
    /// Where on the van's route, from 0; past its end is last.
    pub position: usize,
}

impl TryFrom<pb::AssignVisitRequest> for AssignVisit {
    type Error = Status;

    fn try_from(req: pb::AssignVisitRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let visit_id = v.id("visit_id", &req.visit_id);
        let van_id = v.id("van_id", &req.van_id);
        let position = usize::try_from(req.position).ok();
        if position.is_none() {
            v.add("position", "must not be negative");
        }
        v.finish(|| Some(Self { visit_id: visit_id?, van_id: van_id?, position: position? }))
    }
}

pub(super) fn to_proto((plan, svg, zone): DrawnPlan) -> pb::Plan {
    let body = plan.body;
    pb::Plan {
        id: plan.id,
        date: Some(date(plan.day)),
        station_id: plan.station_id,
        time_zone: zone.name().to_owned(),
        routes: body
            .routes
            .into_iter()
            .map(|r| pb::Route {
                van_id: r.van_id,
                depart_depot: Some(timestamp(r.depart_depot)),
                return_depot: Some(timestamp(r.return_depot)),
                distance_m: r.distance_m,
                stops: r
                    .stops
                    .into_iter()
                    .map(|s| pb::Stop {
                        visit_id: s.visit_id,
                        arrival: Some(timestamp(s.arrival)),
                        start: Some(timestamp(s.start)),
                        departure: Some(timestamp(s.departure)),
                    })
                    .collect(),
            })
            .collect(),
        unassigned: body
            .unassigned
            .into_iter()
            .map(|u| pb::Unassigned { visit_id: u.visit_id, reason: u.reason.as_str().to_owned() })
            .collect(),
        total_distance_m: body.total_distance_m,
        total_travel: Some(prost_types::Duration { seconds: body.total_travel_secs.round() as i64, nanos: 0 }),
        version: plan.version,
        committed: plan.committed,
        created_at: Some(timestamp(plan.created_at)),
        svg,
    }
}
