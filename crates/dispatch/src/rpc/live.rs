//! Live status on the wire: ReportPosition, UpdateVisitStatus and WatchBoard parsed into plain
//! values; the updates of the watch streams encoded.

use chrono::NaiveDate;
use mediation_api::Violations;
use mediation_api::convert::timestamp;
use mediation_api::dispatch::v1 as pb;
use tonic::Status;

use super::visits::{self, point_from, point_to, status_from, status_to};
use crate::domain::VisitStatus;
use crate::domain::travel::Point;
use crate::service::{BoardUpdate, VisitUpdate};

pub(super) struct ReportPosition {
    pub van_id: String,
    pub at: Point,
}

impl TryFrom<pb::ReportPositionRequest> for ReportPosition {
    type Error = Status;

    fn try_from(req: pb::ReportPositionRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let van_id = v.id("van_id", &req.van_id);
        let at = point_from(&mut v, "location", req.location);
        v.finish(|| Some(Self { van_id: van_id?, at: at? }))
    }
}

pub(super) struct UpdateStatus {
    pub visit_id: String,
    /// EN_ROUTE, ARRIVED, COMPLETED or FAILED: what a crew reports.
    pub to: VisitStatus,
    pub note: String,
}

impl TryFrom<pb::UpdateVisitStatusRequest> for UpdateStatus {
    type Error = Status;

    fn try_from(req: pb::UpdateVisitStatusRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let visit_id = v.id("visit_id", &req.visit_id);
        let to = match status_from(req.status) {
            Some(s @ (VisitStatus::EnRoute | VisitStatus::Arrived | VisitStatus::Completed | VisitStatus::Failed)) => {
                Some(s)
            }
            _ => {
                v.add("status", "must be EN_ROUTE, ARRIVED, COMPLETED or FAILED");
                None
            }
        };
        let note = v.text("note", &req.note, 1000, false);
        v.finish(|| Some(Self { visit_id: visit_id?, to: to?, note: note? }))
    }
}

pub(super) struct WatchBoard {
    pub station_id: String,
    pub day: NaiveDate,
}

impl TryFrom<pb::WatchBoardRequest> for WatchBoard {
    type Error = Status;

    fn try_from(req: pb::WatchBoardRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let day = v.date("date", req.date);
        let station_id = v.id("station_id", &req.station_id);
        v.finish(|| Some(Self { station_id: station_id?, day: day? }))
    }
}

pub(super) fn update_to_proto(u: VisitUpdate) -> pb::VisitUpdate {
    pb::VisitUpdate {
        visit_id: u.visit_id,
        status: status_to(u.status).into(),
        eta: u.eta.map(timestamp),
        van_location: u.van_location.map(point_to),
        van_id: u.van_id.unwrap_or_default(),
    }
}

pub(super) fn board_to_proto(update: BoardUpdate) -> pb::BoardEvent {
    use pb::board_event::Event;
    let event = match update {
        BoardUpdate::Visit(visit) => Event::Visit(visits::to_proto(*visit, true)),
        BoardUpdate::VanPosition { van_id, location, at } => {
            Event::VanPosition(pb::VanPosition { van_id, location: Some(point_to(location)), at: Some(timestamp(at)) })
        }
        BoardUpdate::PlanCommitted { plan_id } => Event::PlanCommitted(plan_id),
        BoardUpdate::PlanProposed { plan_id } => Event::PlanProposed(plan_id),
    };
    pb::BoardEvent { event: Some(event) }
}
