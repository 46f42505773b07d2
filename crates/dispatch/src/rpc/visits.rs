//! Home visits on the wire: RequestHomeVisit, CancelHomeVisit and ListHomeVisits parsed into
//! plain values, visits encoded as the caller may see them, and the wire forms of a visit's
//! status, reason and location that the other resources share.

use mediation_api::convert::{date, timestamp};
use mediation_api::dispatch::v1 as pb;
use mediation_api::google::r#type::LatLng;
use mediation_api::{Violations, paging};
use mediation_auth::Principal;
use tonic::Status;

use crate::domain::travel::Point;
use crate::domain::{VisitReason, VisitStatus, coarsen, mask_address};
use crate::repo::VisitFilter;
use crate::service::{NewVisit, OfferedWindow, PageRequest, ShownVisit, WindowQuery};

pub(super) struct RequestVisit {
    pub request_id: String,
    pub visit: NewVisit,
}

impl TryFrom<pb::RequestHomeVisitRequest> for RequestVisit {
    type Error = Status;

    fn try_from(req: pb::RequestHomeVisitRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let request_id = v.request_id(&req.request_id);
        let case_id = v.id("case_id", &req.case_id);
        let address = v.text("address", &req.address, 300, true);
        let location = point_from(&mut v, "location", req.location);
        let (start, end) = (v.instant("window_start", req.window_start), v.instant("window_end", req.window_end));
        if let (Some(s), Some(e)) = (start, end)
            && (e <= s || e - s > chrono::Duration::hours(12))
        {
            v.add("window_end", "must be after window_start, and at most 12 hours later");
        }
        let duration = match req.duration {
            Some(d) if d.nanos == 0 && d.seconds % 60 == 0 && (15 * 60..=8 * 3600).contains(&d.seconds) => {
                Some((d.seconds / 60) as i32)
            }
            _ => {
                v.add("duration", "must be whole minutes, from 15 minutes to 8 hours");
                None
            }
        };
        let reason = match pb::VisitReason::try_from(req.reason) {
            Ok(pb::VisitReason::Privacy) => Some(VisitReason::Privacy),
            Ok(pb::VisitReason::Mobility) => Some(VisitReason::Mobility),
            Ok(pb::VisitReason::Elderly) => Some(VisitReason::Elderly),
            Ok(pb::VisitReason::Other) => Some(VisitReason::Other),
            _ => {
                v.add("reason", "must be PRIVACY, MOBILITY, ELDERLY or OTHER");
                None
            }
        };
        let specialty_code = v.optional_id("specialty_code", &req.specialty_code);
        if !(0..=3).contains(&req.priority) {
            v.add("priority", "must be 0 to 3");
        }
        v.finish(|| {
            Some(Self {
                request_id: request_id?,
                visit: NewVisit {
                    case_id: case_id?,
                    address: address?,
                    location: location?,
                    window_start: start?,
                    window_end: end?,
                    duration_minutes: duration?,
                    reason: reason?,
                    specialty_code: specialty_code?,
                    priority: req.priority,
                },
            })
        })
    }
}

impl TryFrom<pb::SuggestVisitWindowsRequest> for WindowQuery {
    type Error = Status;

    fn try_from(req: pb::SuggestVisitWindowsRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let case_id = v.id("case_id", &req.case_id);
        let (from, to) = (v.date("date_from", req.date_from), v.date("date_to", req.date_to));
        if let (Some(f), Some(t)) = (from, to)
            && (t < f || t - f > chrono::Duration::days(14))
        {
            v.add("date_to", "must be on or after date_from, at most 14 days after it");
        }
        let duration = match req.duration {
            Some(d) if d.nanos == 0 && d.seconds % 60 == 0 && (15 * 60..=8 * 3600).contains(&d.seconds) => {
                Some((d.seconds / 60) as i32)
            }
            _ => {
                v.add("duration", "must be whole minutes, from 15 minutes to 8 hours");
                None
            }
        };
        let location = point_from(&mut v, "location", req.location);
        let specialty_code = v.optional_id("specialty_code", &req.specialty_code);
        let max_windows = match req.max_windows {
            0 => Some(10),
            n @ 1..=50 => Some(n as usize),
            _ => {
                v.add("max_windows", "must be 0 (for 10) to 50");
                None
            }
        };
        v.finish(|| {
            Some(Self {
                case_id: case_id?,
                from: from?,
                to: to?,
                duration_minutes: duration?,
                location: location?,
                specialty_code: specialty_code?,
                max_windows: max_windows?,
            })
        })
    }
}

pub(super) fn window_to_proto(w: OfferedWindow) -> pb::VisitWindow {
    pb::VisitWindow {
        start: Some(timestamp(w.start)),
        end: Some(timestamp(w.end)),
        van_id: w.van_id,
        added_travel: Some(prost_types::Duration { seconds: w.added_travel_secs, nanos: 0 }),
    }
}

pub(super) struct CancelVisit {
    pub visit_id: String,
    pub reason: String,
}

impl TryFrom<pb::CancelHomeVisitRequest> for CancelVisit {
    type Error = Status;

    fn try_from(req: pb::CancelHomeVisitRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let visit_id = v.id("visit_id", &req.visit_id);
        let reason = v.text("reason", &req.reason, 500, false);
        v.finish(|| Some(Self { visit_id: visit_id?, reason: reason? }))
    }
}

pub(super) struct ListVisits {
    pub filter: VisitFilter,
    pub page: PageRequest,
}

/// With the caller, whose visits a page token is bound to.
impl TryFrom<(pb::ListHomeVisitsRequest, &Principal)> for ListVisits {
    type Error = Status;

    fn try_from((req, principal): (pb::ListHomeVisitsRequest, &Principal)) -> Result<Self, Status> {
        let f = req.filter.unwrap_or_default();
        let mut v = Violations::new();
        let day = match f.date {
            Some(d) => v.date("filter.date", Some(d)).map(Some),
            None => Some(None),
        };
        let station = v.optional_id("filter.station_id", &f.station_id);
        let van = v.optional_id("filter.van_id", &f.van_id);
        let status = (f.status != 0).then(|| status_from(f.status));
        if status == Some(None) {
            v.add("filter.status", "must be a visit status");
        }
        let size = v.page_size(req.page_size, 50, 500);
        let query =
            paging::fingerprint(&("home_visits", &principal.account_id, &f.station_id, &f.van_id, f.status, day));
        let after = v.check("page_token", paging::decode_token::<Option<String>>(&req.page_token, &query));
        v.finish(|| {
            let filter = VisitFilter {
                station_ids: station?.map(|s| vec![s]),
                case_ids: None,
                day: day?,
                status: status.flatten(),
                van_id: van?,
            };
            Some(Self { filter, page: PageRequest { size: size?, after: after?.flatten(), query } })
        })
    }
}

/// The visit as this caller may see it: the address and exact location only when `full`, which
/// only a [`ShownVisit`] that recorded its audit record can carry.
pub(super) fn to_proto(shown: ShownVisit) -> pb::HomeVisit {
    let (v, full, zone) = shown.into_parts();
    pb::HomeVisit {
        address: if full { v.address.clone() } else { mask_address(&v.address) },
        location: Some(point_to(if full { v.location } else { coarsen(v.location) })),
        window_start: Some(timestamp(v.window_start)),
        window_end: Some(timestamp(v.window_end)),
        duration: Some(prost_types::Duration { seconds: v.duration_minutes as i64 * 60, nanos: 0 }),
        reason: reason_to(v.reason).into(),
        status: status_to(v.status).into(),
        eta: v.eta.map(timestamp),
        address_masked: !full,
        date: Some(date(v.day)),
        position: v.position,
        specialty_code: v.specialty_code.unwrap_or_default(),
        van_id: v.van_id.unwrap_or_default(),
        id: v.id,
        case_id: v.case_id,
        station_id: v.station_id,
        priority: v.priority,
        note: v.note,
        cancel_reason: v.cancel_reason,
        outcome: v.outcome.map(mediation_appointments::outcome_to),
        appointment_id: v.appointment_id.unwrap_or_default(),
        time_zone: zone.name().to_owned(),
    }
}

pub(super) fn point_to(p: Point) -> LatLng {
    LatLng { latitude: p.latitude(), longitude: p.longitude() }
}

pub(super) fn point_from(v: &mut Violations, field: &str, value: Option<LatLng>) -> Option<Point> {
    match value {
        Some(l) if (-90.0..=90.0).contains(&l.latitude) && (-180.0..=180.0).contains(&l.longitude) => {
            Some(Point::lat_lng(l.latitude, l.longitude))
        }
        _ => {
            v.add(field, "is required: latitude within ±90 and longitude within ±180");
            None
        }
    }
}

pub(super) fn status_to(s: VisitStatus) -> pb::VisitStatus {
    match s {
        VisitStatus::Requested => pb::VisitStatus::Requested,
        VisitStatus::Planned => pb::VisitStatus::Planned,
        VisitStatus::EnRoute => pb::VisitStatus::EnRoute,
        VisitStatus::Arrived => pb::VisitStatus::Arrived,
        VisitStatus::Completed => pb::VisitStatus::Completed,
        VisitStatus::Failed => pb::VisitStatus::Failed,
        VisitStatus::Cancelled => pb::VisitStatus::Cancelled,
    }
}

/// A visit status on the wire; `None` for UNSPECIFIED and unknown values.
pub(super) fn status_from(value: i32) -> Option<VisitStatus> {
    Some(match pb::VisitStatus::try_from(value).ok()? {
        pb::VisitStatus::Requested => VisitStatus::Requested,
        pb::VisitStatus::Planned => VisitStatus::Planned,
        pb::VisitStatus::EnRoute => VisitStatus::EnRoute,
        pb::VisitStatus::Arrived => VisitStatus::Arrived,
        pb::VisitStatus::Completed => VisitStatus::Completed,
        pb::VisitStatus::Failed => VisitStatus::Failed,
        pb::VisitStatus::Cancelled => VisitStatus::Cancelled,
        pb::VisitStatus::Unspecified => return None,
    })
}

fn reason_to(r: VisitReason) -> pb::VisitReason {
    match r {
        VisitReason::Privacy => pb::VisitReason::Privacy,
        VisitReason::Mobility => pb::VisitReason::Mobility,
        VisitReason::Elderly => pb::VisitReason::Elderly,
        VisitReason::Other => pb::VisitReason::Other,
    }
}
