//! Vans and shifts on the wire: RegisterVan, UpdateVan, SetVanStatus, ListVans and SetVanShift
//! parsed into plain values; vans and shifts encoded.

use mediation_api::convert::{date, timestamp};
use mediation_api::dispatch::v1 as pb;
use mediation_api::{Violations, paging};
use tonic::Status;

use super::visits::point_to;
use crate::domain::{Shift, Van, VanStatus};
use crate::service::{PageRequest, VanPatch};

pub(super) struct RegisterVan {
    pub request_id: String,
    pub van: Van,
}

impl TryFrom<pb::RegisterVanRequest> for RegisterVan {
    type Error = Status;

    fn try_from(req: pb::RegisterVanRequest) -> Result<Self, Status> {
        let van = req.van.unwrap_or_default();
        let mut v = Violations::new();
        let request_id = v.request_id(&req.request_id);
        let plate = v.text("van.plate", &van.plate, 20, true);
        let depot = v.id("van.depot_site_id", &van.depot_site_id);
        if !(1..=20).contains(&van.seats) {
            v.add("van.seats", "must be 1 to 20");
        }
        v.finish(|| {
            Some(Self {
                request_id: request_id?,
                van: Van {
                    id: String::new(),
                    plate: plate?,
                    depot_site_id: depot?,
                    seats: van.seats,
                    status: VanStatus::Available,
                    location: None,
                    located_at: None,
                },
            })
        })
    }
}

pub(super) struct UpdateVan {
    pub id: String,
    pub patch: VanPatch,
}

impl TryFrom<pb::UpdateVanRequest> for UpdateVan {
    type Error = Status;

    fn try_from(req: pb::UpdateVanRequest) -> Result<Self, Status> {
        let van = req.van.unwrap_or_default();
        let paths = req.update_mask.map(|m| m.paths).unwrap_or_default();
        let mut v = Violations::new();
        let id = v.id("van.id", &van.id);
        if paths.is_empty() {
            v.add("update_mask", "name at least one of plate, seats, depot_site_id");
        }
        let mut patch = VanPatch::default();
        for path in &paths {
            match path.as_str() {
                "plate" => patch.plate = v.text("van.plate", &van.plate, 20, true),
                "seats" if (1..=20).contains(&van.seats) => patch.seats = Some(van.seats),
                "seats" => v.add("van.seats", "must be 1 to 20"),
                "depot_site_id" => patch.depot_site_id = v.id("van.depot_site_id", &van.depot_site_id),
                other => v.add("update_mask", format!("{other:?} cannot be updated")),
            }
        }
        v.finish(|| Some(Self { id: id?, patch }))
    }
}

pub(super) struct SetVanStatus {
    pub id: String,
    pub status: VanStatus,
}

impl TryFrom<pb::SetVanStatusRequest> for SetVanStatus {
    type Error = Status;

    fn try_from(req: pb::SetVanStatusRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let id = v.id("van_id", &req.van_id);
        let status = match pb::VanStatus::try_from(req.status) {
            Ok(pb::VanStatus::Available) => Some(VanStatus::Available),
            Ok(pb::VanStatus::OutOfService) => Some(VanStatus::OutOfService),
            _ => {
                v.add("status", "must be AVAILABLE or OUT_OF_SERVICE");
                None
            }
        };
        v.finish(|| Some(Self { id: id?, status: status? }))
    }
}

pub(super) struct ListVans {
    pub depot: Option<String>,
    pub page: PageRequest,
}

impl TryFrom<pb::ListVansRequest> for ListVans {
    type Error = Status;

    fn try_from(req: pb::ListVansRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let depot = v.optional_id("depot_site_id", &req.depot_site_id);
        let size = v.page_size(req.page_size, 50, 500);
        let query = paging::fingerprint(&("vans", &req.depot_site_id));
        let after = v.check("page_token", paging::decode_token::<Option<String>>(&req.page_token, &query));
        v.finish(|| Some(Self { depot: depot?, page: PageRequest { size: size?, after: after?.flatten(), query } }))
    }
}

impl TryFrom<pb::SetVanShiftRequest> for Shift {
    type Error = Status;

    fn try_from(req: pb::SetVanShiftRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let van_id = v.id("van_id", &req.van_id);
        let day = v.date("date", req.date);
        let (start, end) = (v.instant("start", req.start), v.instant("end", req.end));
        if let (Some(s), Some(e)) = (start, end)
            && (e <= s || e - s > chrono::Duration::hours(16))
        {
            v.add("end", "must be after start, and at most 16 hours later");
        }
        let mut crew = Vec::new();
        for (i, id) in req.crew_mediator_ids.iter().enumerate() {
            if let Some(id) = v.id(&format!("crew_mediator_ids[{i}]"), id)
                && !crew.contains(&id)
            {
                crew.push(id);
            }
        }
        if crew.is_empty() {
            v.add("crew_mediator_ids", "a van needs at least one crew mediator");
        }
        v.finish(|| Some(Shift { van_id: van_id?, day: day?, start: start?, end: end?, crew_mediator_ids: crew }))
    }
}

pub(super) fn to_proto(v: Van) -> pb::Van {
    pb::Van {
        status: match v.status {
            VanStatus::Available => pb::VanStatus::Available,
            VanStatus::OutOfService => pb::VanStatus::OutOfService,
        }
        .into(),
        location: v.location.map(point_to),
        location_at: v.located_at.map(timestamp),
        id: v.id,
        plate: v.plate,
        depot_site_id: v.depot_site_id,
        seats: v.seats,
    }
}

pub(super) fn shift_to_proto(s: Shift) -> pb::Shift {
    pb::Shift {
        van_id: s.van_id,
        date: Some(date(s.day)),
        start: Some(timestamp(s.start)),
        end: Some(timestamp(s.end)),
        crew_mediator_ids: s.crew_mediator_ids,
    }
}
