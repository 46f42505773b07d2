//! Vans and shifts on the wire: RegisterVan, UpdateVan, SetVanStatus, ListVans and SetVanShift
//! parsed into plain values; vans and shifts encoded.
//!
//! Every repeated field is bounded by what it means before any item is looked at (a crew fits in
//! a van; a mask names the three paths there are), and items are checked in linear time, so a
//! request's work stays proportional to a real one whatever its size.

use std::collections::HashSet;

use chrono::NaiveDate;

use mediation_api::convert::{date, timestamp};
use mediation_api::dispatch::v1 as pb;
use mediation_api::{Violations, paging};
use tonic::Status;

use super::visits::point_to;
use crate::domain::{Shift, Van, VanStatus};
use crate::service::{PageRequest, VanPatch};

/// The most crew one shift may name: a van is a minibus with a driver and a few mediators.
pub(super) const MAX_CREW: usize = 8;
/// The paths UpdateVan may name.
const VAN_PATHS: [&str; 3] = ["plate", "seats", "depot_site_id"];

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
        let paths: &[String] = if v.at_most("update_mask.paths", &paths, VAN_PATHS.len()) { &paths } else { &[] };
        for path in paths {
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
        if v.at_most("crew_mediator_ids", &req.crew_mediator_ids, MAX_CREW) {
            let mut seen = HashSet::new();
            for (i, id) in req.crew_mediator_ids.iter().enumerate() {
                if let Some(id) = v.id(&format!("crew_mediator_ids[{i}]"), id)
                    && seen.insert(id.clone())
                {
                    crew.push(id);
                }
            }
            if crew.is_empty() {
                v.add("crew_mediator_ids", "a van needs at least one crew mediator");
            }
        }
        v.finish(|| Some(Shift { van_id: van_id?, day: day?, start: start?, end: end?, crew_mediator_ids: crew }))
    }
}

/// The most days ListShifts answers for.
const MAX_SHIFT_DAYS: i64 = 62;

pub(super) struct ListShifts {
    pub van_id: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl TryFrom<pb::ListShiftsRequest> for ListShifts {
    type Error = Status;

    fn try_from(req: pb::ListShiftsRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let van_id = v.id("van_id", &req.van_id);
        let (from, to) = (v.date("date_from", req.date_from), v.date("date_to", req.date_to));
        if let (Some(from), Some(to)) = (from, to)
            && !(0..MAX_SHIFT_DAYS).contains(&(to - from).num_days())
        {
            v.add("date_to", format!("must be on or after date_from, at most {} days after it", MAX_SHIFT_DAYS - 1));
        }
        // The API's date ranges include their last day; the service takes [from, to).
        v.finish(|| Some(Self { van_id: van_id?, from: from?, to: to?.succ_opt()? }))
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

#[cfg(test)]
mod tests {
    use mediation_api::google::r#type::Date;
    use prost_types::Timestamp;
    use tonic::Code;
    use tonic_types::StatusExt;

    use super::*;

    fn shift(crew: Vec<String>) -> pb::SetVanShiftRequest {
        pb::SetVanShiftRequest {
            van_id: "v1".into(),
            date: Some(Date { year: 2026, month: 12, day: 1 }),
            start: Some(Timestamp { seconds: 1_800_000_000, nanos: 0 }),
            end: Some(Timestamp { seconds: 1_800_000_000 + 8 * 3600, nanos: 0 }),
            crew_mediator_ids: crew,
        }
    }

    fn fields(status: &Status) -> Vec<String> {
        let details = status.get_error_details();
        details.bad_request().map(|b| b.field_violations.iter().map(|f| f.field.clone()).collect()).unwrap_or_default()
    }

    #[test]
    fn a_crew_is_bounded_before_its_ids_are_read() {
        let crew = (0..100_000).map(|i| format!("m{i}")).collect();
        let status = Shift::try_from(shift(crew)).unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(fields(&status), ["crew_mediator_ids"]);
        assert!(status.message().len() + status.details().len() < 2048);
        // Even a crew of empty ids, each of them invalid, is refused as one field.
        let status = Shift::try_from(shift(vec![String::new(); 100_000])).unwrap_err();
        assert_eq!(fields(&status), ["crew_mediator_ids"]);
    }

    #[test]
    fn a_full_van_is_fine_and_repeats_are_dropped() {
        let mut crew: Vec<String> = (0..MAX_CREW / 2).map(|i| format!("m{i}")).collect();
        crew.extend(crew.clone());
        let parsed = Shift::try_from(shift(crew)).unwrap();
        assert_eq!(parsed.crew_mediator_ids, ["m0", "m1", "m2", "m3"]);
        let status = Shift::try_from(shift(vec![" ".into(), "m1".into()])).unwrap_err();
        assert_eq!(fields(&status), ["crew_mediator_ids[0]"]);
        let status = Shift::try_from(shift(vec![])).unwrap_err();
        assert_eq!(fields(&status), ["crew_mediator_ids"]);
    }

    #[test]
    fn an_update_mask_names_at_most_the_paths_there_are() {
        let van = pb::Van { id: "v1".into(), plate: "浙B·M0001".into(), ..Default::default() };
        let paths = vec!["plate".to_owned(); 100_000];
        let request =
            pb::UpdateVanRequest { van: Some(van.clone()), update_mask: Some(prost_types::FieldMask { paths }) };
        let status = UpdateVan::try_from(request).err().expect("refused");
        assert_eq!(fields(&status), ["update_mask.paths"]);
        let request = pb::UpdateVanRequest {
            van: Some(van),
            update_mask: Some(prost_types::FieldMask { paths: vec!["plate".into()] }),
        };
        assert_eq!(UpdateVan::try_from(request).ok().and_then(|u| u.patch.plate).as_deref(), Some("浙B·M0001"));
    }
}
