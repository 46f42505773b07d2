//! Sessions on the wire: BookAppointment, RescheduleAppointment, CancelAppointment,
//! CompleteAppointment and ListAppointments parsed into plain values; appointments encoded.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use mediation_api::Violations;
use mediation_api::appointments::v1 as pb;
use mediation_api::convert::timestamp;
use mediation_api::paging::fingerprint;
use mediation_auth::Principal;
use tonic::Status;

use super::fields::{Page, enum_filter, mode};
use crate::domain::hours::Interval;
use crate::domain::{Appointment, AppointmentStatus, Outcome, OutcomeResult};
use crate::repo::{AppointmentFilter, Cursor};
use crate::service::BookingRequest;

/// The most mediators one session takes.
const MAX_MEDIATORS: usize = 5;

pub(super) struct Book {
    pub request_id: String,
    pub booking: BookingRequest,
}

impl TryFrom<pb::BookAppointmentRequest> for Book {
    type Error = Status;

    fn try_from(req: pb::BookAppointmentRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let request_id = v.request_id(&req.request_id);
        let case_id = v.id("case_id", &req.case_id);
        let span = span(&mut v, req.start, req.end);
        let mediator_ids = mediator_ids(&mut v, &req.mediator_ids);
        let room_id = v.optional_id("room_id", &req.room_id);
        let mode = mode(&mut v, req.mode);
        v.finish(|| {
            let booking =
                BookingRequest { case_id: case_id?, span: span?, mediator_ids, room_id: room_id?, mode: mode? };
            Some(Book { request_id: request_id?, booking })
        })
    }
}

pub(super) struct Reschedule {
    pub appointment_id: String,
    pub request_id: String,
    pub span: Interval,
    /// Another room; none keeps the one booked.
    pub room_id: Option<String>,
}

impl TryFrom<pb::RescheduleAppointmentRequest> for Reschedule {
    type Error = Status;

    fn try_from(req: pb::RescheduleAppointmentRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let appointment_id = v.id("appointment_id", &req.appointment_id);
        let request_id = v.request_id(&req.request_id);
        let span = span(&mut v, req.start, req.end);
        let room_id = v.optional_id("room_id", &req.room_id);
        v.finish(|| {
            Some(Reschedule {
                appointment_id: appointment_id?,
                request_id: request_id?,
                span: span?,
                room_id: room_id?,
            })
        })
    }
}

pub(super) struct Cancel {
    pub appointment_id: String,
    pub reason: String,
}

impl TryFrom<pb::CancelAppointmentRequest> for Cancel {
    type Error = Status;

    fn try_from(req: pb::CancelAppointmentRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let appointment_id = v.id("appointment_id", &req.appointment_id);
        let reason = v.text("reason", &req.reason, 500, false);
        v.finish(|| Some(Cancel { appointment_id: appointment_id?, reason: reason? }))
    }
}

pub(super) struct Complete {
    pub appointment_id: String,
    pub outcome: Outcome,
}

impl TryFrom<pb::CompleteAppointmentRequest> for Complete {
    type Error = Status;

    fn try_from(req: pb::CompleteAppointmentRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let outcome = outcome_from(&mut v, "outcome", req.outcome.unwrap_or_default());
        let appointment_id = v.id("appointment_id", &req.appointment_id);
        v.finish(|| Some(Complete { appointment_id: appointment_id?, outcome: outcome? }))
    }
}

/// An outcome from the wire, its fields named under `field` (`outcome.result`): a result,
/// a summary of at most 4000 characters, and where it was referred (required for REFERRED).
/// Home visits' outcomes (DispatchService) are read by the same rules.
pub fn outcome_from(v: &mut Violations, field: &str, outcome: pb::Outcome) -> Option<Outcome> {
    let result = match pb::OutcomeResult::try_from(outcome.result) {
        Ok(pb::OutcomeResult::Settled) => Some(OutcomeResult::Settled),
        Ok(pb::OutcomeResult::NotSettled) => Some(OutcomeResult::NotSettled),
        Ok(pb::OutcomeResult::Referred) => Some(OutcomeResult::Referred),
        _ => {
            v.add(format!("{field}.result"), "must be SETTLED, NOT_SETTLED or REFERRED");
            None
        }
    };
    let summary = v.text(&format!("{field}.agreement_summary"), &outcome.agreement_summary, 4000, false);
    let referred = result == Some(OutcomeResult::Referred);
    let referred_to = v.text(&format!("{field}.referred_to"), &outcome.referred_to, 200, referred);
    Some(Outcome { result: result?, agreement_summary: summary?, referred_to: referred_to? })
}

/// A page of appointments; page tokens are bound to the caller, since what they may list is
/// theirs, and to the order.
pub(super) struct List {
    pub filter: AppointmentFilter,
    pub order: Order,
    pub page: Page,
}

/// ListAppointments' `order_by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Order {
    /// `id`: booking order.
    Booked,
    /// `start`.
    Start,
    /// `start desc`.
    StartDescending,
}

impl Order {
    /// The order asked for; empty is `start` for a resident's own list, `id` for others.
    fn parse(v: &mut Violations, value: &str, caller: &Principal) -> Option<Order> {
        match value.split_whitespace().collect::<Vec<_>>().as_slice() {
            [] if caller.role == mediation_auth::Role::Resident => Some(Order::Start),
            [] | ["id"] | ["id", "asc"] => Some(Order::Booked),
            ["start"] | ["start", "asc"] => Some(Order::Start),
            ["start", "desc"] => Some(Order::StartDescending),
            _ => {
                v.add("order_by", "must be `start`, `start desc` or `id`");
                None
            }
        }
    }

    /// The page token's cursor for the page after `last`.
    pub fn cursor_of(self, last: &Appointment) -> String {
        match self {
            Order::Booked => last.id.clone(),
            Order::Start | Order::StartDescending => format!("{}|{}", last.span.start.timestamp_micros(), last.id),
        }
    }

    /// Where the page starts, from the token's cursor (one [`Self::cursor_of`] made).
    pub fn cursor(self, after: Option<&str>) -> Result<Cursor<'_>, Status> {
        let descending = self == Order::StartDescending;
        match (self, after) {
            (Order::Booked, after) => Ok(Cursor::Booked(after)),
            (_, None) => Ok(Cursor::Start { after: None, descending }),
            (_, Some(after)) => {
                let parsed = after
                    .split_once('|')
                    .and_then(|(micros, id)| Some((DateTime::<Utc>::from_timestamp_micros(micros.parse().ok()?)?, id)));
                match parsed {
                    Some(after) => Ok(Cursor::Start { after: Some(after), descending }),
                    None => Err(mediation_api::status::invalid_field("page_token", "is not a token of this query")),
                }
            }
        }
    }
}

impl TryFrom<(pb::ListAppointmentsRequest, &Principal)> for List {
    type Error = Status;

    fn try_from((req, caller): (pb::ListAppointmentsRequest, &Principal)) -> Result<Self, Status> {
        let mut v = Violations::new();
        let mediator_id = v.optional_id("mediator_id", &req.mediator_id);
        let site_id = v.optional_id("site_id", &req.site_id);
        let case_id = v.optional_id("case_id", &req.case_id);
        let status =
            enum_filter(&mut v, "status", req.status, status_from(req.status), "must be an appointment status");
        let (from, to) = (lenient_instant(req.from), lenient_instant(req.to));
        let order = Order::parse(&mut v, &req.order_by, caller);
        let query = fingerprint(&(
            "appointments",
            &caller.account_id,
            &req.mediator_id,
            &req.site_id,
            &req.case_id,
            req.status,
            from,
            to,
            order.map(|o| format!("{o:?}")),
        ));
        let page = Page::parse(&mut v, req.page_size, &req.page_token, query);
        v.finish(|| {
            let filter = AppointmentFilter {
                case_ids: case_id?.map(|c| vec![c]),
                site_ids: site_id?.map(|s| vec![s]),
                mediator_id: mediator_id?,
                status,
                from,
                to,
            };
            Some(List { filter, order: order?, page: page? })
        })
    }
}

/// The appointment, with its site's time zone.
pub(super) fn to_proto((a, zone): (Appointment, Tz)) -> pb::Appointment {
    pb::Appointment {
        time_zone: zone.name().to_owned(),
        start: Some(timestamp(a.span.start)),
        end: Some(timestamp(a.span.end)),
        mode: mediation_directory::mode_to(a.mode).into(),
        status: status_to(a.status).into(),
        outcome: a.outcome.map(outcome_to),
        id: a.id,
        case_id: a.case_id,
        mediator_ids: a.mediator_ids,
        site_id: a.site_id,
        room_id: a.room_id.unwrap_or_default(),
        join_url: a.join_url,
        cancel_reason: a.cancel_reason,
        on_the_spot: a.on_the_spot,
    }
}

/// The mediators of a session: 1 to 5 ids, sorted and without repeats. The count is checked
/// before anything else is done with the list.
pub(super) fn mediator_ids(v: &mut Violations, ids: &[String]) -> Vec<String> {
    const MESSAGE: &str = "1 to 5 mediator ids are required";
    if ids.is_empty() || ids.len() > MAX_MEDIATORS {
        v.add("mediator_ids", MESSAGE);
        return Vec::new();
    }
    let mut ids: Vec<String> = ids.iter().map(|m| m.trim().to_owned()).collect();
    ids.sort();
    ids.dedup();
    if ids.iter().any(|m| m.is_empty() || m.len() > 64) {
        v.add("mediator_ids", MESSAGE);
    }
    ids
}

/// A session's time: both ends required, at most 12 hours apart.
fn span(
    v: &mut Violations,
    start: Option<prost_types::Timestamp>,
    end: Option<prost_types::Timestamp>,
) -> Option<Interval> {
    let (start, end) = (v.instant("start", start), v.instant("end", end));
    match Interval::new(start?, end?) {
        Ok(span) if span.length() <= Duration::hours(12) => Some(span),
        _ => {
            v.add("end", "must be after start, and at most 12 hours later");
            None
        }
    }
}

/// A list's time bound, which narrows nothing when it does not read as an instant.
fn lenient_instant(value: Option<prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    value.and_then(|t| DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
}

fn status_from(value: i32) -> Option<AppointmentStatus> {
    match pb::AppointmentStatus::try_from(value).ok()? {
        pb::AppointmentStatus::Booked => Some(AppointmentStatus::Booked),
        pb::AppointmentStatus::CheckedIn => Some(AppointmentStatus::CheckedIn),
        pb::AppointmentStatus::Completed => Some(AppointmentStatus::Completed),
        pb::AppointmentStatus::Cancelled => Some(AppointmentStatus::Cancelled),
        pb::AppointmentStatus::NoShow => Some(AppointmentStatus::NoShow),
        pb::AppointmentStatus::Unspecified => None,
    }
}

fn status_to(status: AppointmentStatus) -> pb::AppointmentStatus {
    match status {
        AppointmentStatus::Booked => pb::AppointmentStatus::Booked,
        AppointmentStatus::CheckedIn => pb::AppointmentStatus::CheckedIn,
        AppointmentStatus::Completed => pb::AppointmentStatus::Completed,
        AppointmentStatus::Cancelled => pb::AppointmentStatus::Cancelled,
        AppointmentStatus::NoShow => pb::AppointmentStatus::NoShow,
    }
}

/// An outcome on the wire (a session's, or a home visit's in DispatchService).
pub fn outcome_to(outcome: Outcome) -> pb::Outcome {
    let result = match outcome.result {
        OutcomeResult::Settled => pb::OutcomeResult::Settled,
        OutcomeResult::NotSettled => pb::OutcomeResult::NotSettled,
        OutcomeResult::Referred => pb::OutcomeResult::Referred,
    };
    pb::Outcome {
        result: result.into(),
        agreement_summary: outcome.agreement_summary,
        referred_to: outcome.referred_to,
    }
}
