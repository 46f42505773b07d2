//! The dispute at the station on the wire: StartSessionNow, ExtendSession, GetStationNow,
//! RespondToCase and ProceedWithCase parsed into plain values; the station's picture encoded,
//! without case ids or incident numbers for kiosks.

use mediation_api::Violations;
use mediation_api::appointments::v1 as pb;
use mediation_api::convert::timestamp;
use tonic::Status;

use super::appointments::mediator_ids;
use super::cases::{grade_to, origin_to};
use super::schedule::duration;
use crate::service::{Answer, SessionNow, StationPicture};

pub(super) struct StartNow {
    pub request_id: String,
    pub session: SessionNow,
}

impl TryFrom<pb::StartSessionNowRequest> for StartNow {
    type Error = Status;

    fn try_from(req: pb::StartSessionNowRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let request_id = v.request_id(&req.request_id);
        let case_id = v.id("case_id", &req.case_id);
        let mediator_ids = mediator_ids(&mut v, &req.mediator_ids);
        let room_id = v.id("room_id", &req.room_id);
        let duration = duration(&mut v, "duration", req.duration, true);
        v.finish(|| {
            let session =
                SessionNow { case_id: case_id?, mediator_ids, room_id: room_id?, duration: duration.flatten()? };
            Some(StartNow { request_id: request_id?, session })
        })
    }
}

pub(super) struct Extend {
    pub appointment_id: String,
    pub extra: chrono::Duration,
}

impl TryFrom<pb::ExtendSessionRequest> for Extend {
    type Error = Status;

    fn try_from(req: pb::ExtendSessionRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let appointment_id = v.id("appointment_id", &req.appointment_id);
        let extra = duration(&mut v, "extra", req.extra, true).flatten();
        if extra.is_some_and(|extra| extra > chrono::Duration::hours(4)) {
            v.add("extra", "must be at most 4 hours");
        }
        v.finish(|| Some(Extend { appointment_id: appointment_id?, extra: extra? }))
    }
}

pub(super) struct Respond {
    pub case_id: String,
    pub answer: Answer,
}

impl TryFrom<pb::RespondToCaseRequest> for Respond {
    type Error = Status;

    fn try_from(req: pb::RespondToCaseRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let case_id = v.id("case_id", &req.case_id);
        let accept = v.present("accept", req.accept);
        let reason = accept.and_then(|accept| v.text("reason", &req.reason, 500, !accept));
        if !(0..=50).contains(&req.party_position) {
            v.add("party_position", "must be 0 to 49");
        }
        let party_position = Some(req.party_position as usize);
        v.finish(|| {
            Some(Respond { case_id: case_id?, answer: Answer { accept: accept?, reason: reason?, party_position } })
        })
    }
}

pub(super) struct Proceed {
    pub case_id: String,
    pub reason: String,
}

impl TryFrom<pb::ProceedWithCaseRequest> for Proceed {
    type Error = Status;

    fn try_from(req: pb::ProceedWithCaseRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let case_id = v.id("case_id", &req.case_id);
        let reason = v.text("reason", &req.reason, 500, true);
        v.finish(|| Some(Proceed { case_id: case_id?, reason: reason? }))
    }
}

/// The picture; a kiosk's has no case ids or incident numbers on it.
pub(super) fn station_to_proto(picture: StationPicture) -> pb::StationNow {
    let (for_kiosk, zone) = (picture.for_kiosk, picture.zone);
    pb::StationNow {
        site_id: picture.site_id,
        as_of: Some(timestamp(picture.as_of)),
        in_session: picture
            .in_session
            .into_iter()
            .map(|a| {
                let mut a = super::appointments::to_proto((a, zone));
                if for_kiosk {
                    a.case_id.clear();
                }
                a
            })
            .collect(),
        waiting: picture
            .waiting
            .into_iter()
            .enumerate()
            .map(|(i, (waiting, incident, eligible))| pb::WaitingCase {
                position: i as i32 + 1,
                case_id: if for_kiosk { String::new() } else { waiting.case_id },
                grade: grade_to(waiting.grade).into(),
                origin: origin_to(waiting.origin).into(),
                waiting_since: Some(timestamp(waiting.waiting_since)),
                police_incident_id: if for_kiosk { String::new() } else { incident.unwrap_or_default() },
                eligible_mediator_ids: eligible,
            })
            .collect(),
        free_mediator_ids: picture.free_mediator_ids,
    }
}
