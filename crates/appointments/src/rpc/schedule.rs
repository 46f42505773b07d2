//! Working hours, schedule exceptions and availability on the wire: SetWorkingHours,
//! AddScheduleException and SearchAvailability parsed into plain values; hours, exceptions and
//! offered slots encoded.

use chrono::{Duration, Weekday};
use chrono_tz::Tz;
use mediation_api::Violations;
use mediation_api::appointments::v1 as pb;
use mediation_api::convert::{date, timestamp};
use mediation_api::google::r#type::{DayOfWeek, TimeOfDay};
use tonic::Status;

use super::fields::mode;
use crate::domain::hours::{Hours, Interval, WeeklyRule};
use crate::domain::{ExceptionKind, ScheduleException};
use crate::service::{AvailabilityQuery, Offer};

pub(super) struct SetHours {
    pub mediator_id: String,
    pub site_id: String,
    pub hours: Hours,
}

impl TryFrom<pb::SetWorkingHoursRequest> for SetHours {
    type Error = Status;

    fn try_from(req: pb::SetWorkingHoursRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let mediator_id = v.id("mediator_id", &req.mediator_id);
        let site_id = v.id("site_id", &req.site_id);
        let rules = rules(&mut v, &req.rules);
        let from = v.optional_date("effective_from", req.effective_from);
        let to = v.optional_date("effective_to", req.effective_to);
        if let (Some(Some(from)), Some(Some(to))) = (from, to)
            && to < from
        {
            v.add("effective_to", "must not be before effective_from");
        }
        v.finish(|| {
            let hours = Hours { rules: rules?, effective_from: from?, effective_to: to? };
            Some(SetHours { mediator_id: mediator_id?, site_id: site_id?, hours })
        })
    }
}

pub(super) struct AddException {
    pub mediator_id: String,
    pub span: Interval,
    pub kind: ExceptionKind,
    /// Where EXTRA hours are held; none for LEAVE, which is leave from every site.
    pub site_id: Option<String>,
}

impl TryFrom<pb::AddScheduleExceptionRequest> for AddException {
    type Error = Status;

    fn try_from(req: pb::AddScheduleExceptionRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let mediator_id = v.id("mediator_id", &req.mediator_id);
        let (start, end) = (v.instant("start", req.start), v.instant("end", req.end));
        let span = match (start, end) {
            (Some(start), Some(end)) => match Interval::new(start, end) {
                Ok(span) if span.length() <= Duration::days(366) => Some(span),
                _ => {
                    v.add("end", "must be after start, within a year");
                    None
                }
            },
            _ => None,
        };
        let kind = match pb::ExceptionKind::try_from(req.kind) {
            Ok(pb::ExceptionKind::Leave) => Some(ExceptionKind::Leave),
            Ok(pb::ExceptionKind::Extra) => Some(ExceptionKind::Extra),
            _ => {
                v.add("kind", "must be LEAVE or EXTRA");
                None
            }
        };
        let site_id = v.optional_id("site_id", &req.site_id);
        if kind == Some(ExceptionKind::Extra) && site_id == Some(None) {
            v.add("site_id", "EXTRA hours need the site where they are held");
        }
        v.finish(|| {
            let kind = kind?;
            let site_id = if kind == ExceptionKind::Leave { None } else { site_id? };
            Some(AddException { mediator_id: mediator_id?, span: span?, kind, site_id })
        })
    }
}

impl TryFrom<pb::SearchAvailabilityRequest> for AvailabilityQuery {
    type Error = Status;

    fn try_from(req: pb::SearchAvailabilityRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let case_id = v.id("case_id", &req.case_id);
        let specialty = v.optional_id("specialty_code", &req.specialty_code);
        let site_id = v.optional_id("site_id", &req.site_id);
        let mediator_id = v.optional_id("mediator_id", &req.mediator_id);
        let mode = mode(&mut v, req.mode);
        let (from, to) = (v.instant("from", req.from), v.instant("to", req.to));
        if let (Some(f), Some(t)) = (from, to)
            && (t <= f || t - f > Duration::days(62))
        {
            v.add("to", "must be after from, at most 62 days later");
        }
        let length = duration(&mut v, "duration", req.duration, true);
        let step = duration(&mut v, "step", req.step, false);
        if req.max_slots < 0 {
            v.add("max_slots", "must not be negative");
        }
        let max_slots = if req.max_slots == 0 { 200 } else { (req.max_slots as usize).min(1000) };
        v.finish(|| {
            let length = length??;
            Some(AvailabilityQuery {
                case_id: case_id?,
                specialty_code: specialty?,
                site_id: site_id?,
                mediator_id: mediator_id?,
                mode: mode?,
                from: from?,
                to: to?,
                duration: length,
                step: step?.unwrap_or(length),
                max_slots,
            })
        })
    }
}

pub(super) fn hours_to_proto(set: SetHours, zone: Tz) -> pb::WorkingHours {
    let SetHours { mediator_id, site_id, hours } = set;
    pb::WorkingHours {
        mediator_id,
        site_id,
        rules: hours
            .rules
            .iter()
            .map(|r| pb::WeeklyRule {
                day_of_week: day_to(r.day).into(),
                start: Some(time_to(r.start_minute)),
                end: Some(time_to(r.end_minute)),
            })
            .collect(),
        effective_from: hours.effective_from.map(date),
        effective_to: hours.effective_to.map(date),
        time_zone: zone.name().to_owned(),
    }
}

pub(super) fn exception_to_proto(id: String, add: AddException) -> pb::ScheduleException {
    let kind = match add.kind {
        ExceptionKind::Leave => pb::ExceptionKind::Leave,
        ExceptionKind::Extra => pb::ExceptionKind::Extra,
    };
    pb::ScheduleException {
        id,
        mediator_id: add.mediator_id,
        start: Some(timestamp(add.span.start)),
        end: Some(timestamp(add.span.end)),
        kind: kind.into(),
        site_id: add.site_id.unwrap_or_default(),
    }
}

/// A stored exception, as ListScheduleExceptions answers it.
pub(super) fn stored_exception_to_proto(id: String, exception: ScheduleException) -> pb::ScheduleException {
    exception_to_proto(
        id,
        AddException {
            mediator_id: exception.mediator_id,
            site_id: exception.site_id,
            kind: exception.kind,
            span: exception.span,
        },
    )
}

/// The range of ListScheduleExceptions: [from, to), at most 366 days.
pub(super) struct ExceptionRange {
    pub mediator_id: String,
    pub window: Interval,
}

impl TryFrom<pb::ListScheduleExceptionsRequest> for ExceptionRange {
    type Error = Status;

    fn try_from(req: pb::ListScheduleExceptionsRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let mediator_id = v.id("mediator_id", &req.mediator_id);
        let (from, to) = (v.instant("from", req.from), v.instant("to", req.to));
        let window = match (from, to) {
            (Some(from), Some(to)) if to - from <= Duration::days(366) => {
                v.check("to", Interval::new(from, to).map_err(|_| "must be after from"))
            }
            (Some(_), Some(_)) => {
                v.add("to", "must be at most 366 days after from");
                None
            }
            _ => None,
        };
        v.finish(|| Some(ExceptionRange { mediator_id: mediator_id?, window: window? }))
    }
}

pub(super) fn slot_to_proto(offer: Offer) -> pb::Slot {
    pb::Slot {
        start: Some(timestamp(offer.span.start)),
        end: Some(timestamp(offer.span.end)),
        mediator_ids: offer.mediator_ids,
        site_id: offer.site_id,
        room_id: offer.room_id.unwrap_or_default(),
        time_zone: offer.zone.name().to_owned(),
    }
}

/// A slot length or step: whole minutes, 5 minutes to 12 hours.
pub(super) fn duration(
    v: &mut Violations,
    field: &str,
    value: Option<prost_types::Duration>,
    required: bool,
) -> Option<Option<Duration>> {
    let Some(d) = value else {
        if required {
            v.add(field, "is required");
            return None;
        }
        return Some(None);
    };
    let minutes = d.seconds / 60;
    if d.seconds % 60 != 0 || d.nanos != 0 || !(5..=12 * 60).contains(&minutes) {
        v.add(field, "must be whole minutes, from 5 minutes to 12 hours");
        return None;
    }
    Some(Some(Duration::minutes(minutes)))
}

/// The most weekly rules one mediator keeps at one site: a week has few working periods.
const MAX_RULES: usize = 50;

fn rules(v: &mut Violations, rules: &[pb::WeeklyRule]) -> Option<Vec<WeeklyRule>> {
    if !v.at_most("rules", rules, MAX_RULES) {
        return None;
    }
    let mut out = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let day = weekday(rule.day_of_week);
        if day.is_none() {
            v.add(format!("rules[{i}].day_of_week"), "must be MONDAY to SUNDAY");
        }
        match (minute_of(rule.start), minute_of(rule.end)) {
            (Some(s), Some(e)) if s < e => {
                if let Some(day) = day {
                    out.push(WeeklyRule { day, start_minute: s, end_minute: e });
                }
            }
            _ => v.add(format!("rules[{i}]"), "start and end must be times of day (whole minutes), start before end"),
        }
    }
    for (i, a) in out.iter().enumerate() {
        if out[i + 1..].iter().any(|b| a.day == b.day && a.start_minute < b.end_minute && b.start_minute < a.end_minute)
        {
            v.add("rules", "rules of one day must not overlap");
            return None;
        }
    }
    (out.len() == rules.len()).then_some(out)
}

fn weekday(value: i32) -> Option<Weekday> {
    match DayOfWeek::try_from(value).ok()? {
        DayOfWeek::Monday => Some(Weekday::Mon),
        DayOfWeek::Tuesday => Some(Weekday::Tue),
        DayOfWeek::Wednesday => Some(Weekday::Wed),
        DayOfWeek::Thursday => Some(Weekday::Thu),
        DayOfWeek::Friday => Some(Weekday::Fri),
        DayOfWeek::Saturday => Some(Weekday::Sat),
        DayOfWeek::Sunday => Some(Weekday::Sun),
        DayOfWeek::Unspecified => None,
    }
}

fn day_to(day: Weekday) -> DayOfWeek {
    match day {
        Weekday::Mon => DayOfWeek::Monday,
        Weekday::Tue => DayOfWeek::Tuesday,
        Weekday::Wed => DayOfWeek::Wednesday,
        Weekday::Thu => DayOfWeek::Thursday,
        Weekday::Fri => DayOfWeek::Friday,
        Weekday::Sat => DayOfWeek::Saturday,
        Weekday::Sun => DayOfWeek::Sunday,
    }
}

/// Minutes after midnight; 24:00 is allowed as an end.
fn minute_of(t: Option<TimeOfDay>) -> Option<u32> {
    let t = t?;
    let valid = (0..=24).contains(&t.hours) && (0..60).contains(&t.minutes) && t.seconds == 0 && t.nanos == 0;
    // Checked before the arithmetic, which would overflow on hostile values.
    let minute = valid.then(|| (t.hours * 60 + t.minutes) as u32)?;
    (minute <= 1440).then_some(minute)
}

fn time_to(minute: u32) -> TimeOfDay {
    TimeOfDay { hours: (minute / 60) as i32, minutes: (minute % 60) as i32, seconds: 0, nanos: 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millions_of_rules_are_refused_before_any_is_read() {
        let request = pb::SetWorkingHoursRequest {
            mediator_id: "m1".into(),
            site_id: "s1".into(),
            rules: vec![pb::WeeklyRule::default(); 2_000_000],
            ..Default::default()
        };
        let status = SetHours::try_from(request).err().expect("refused");
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert!(status.message().starts_with("rules: must have at most 50 entries"), "{}", status.message());
        assert!(status.message().len() + status.details().len() < 2048);
    }

    #[test]
    fn times_of_day() {
        let t = |hours, minutes| Some(TimeOfDay { hours, minutes, seconds: 0, nanos: 0 });
        assert_eq!(minute_of(t(9, 30)), Some(570));
        assert_eq!(minute_of(t(24, 0)), Some(1440));
        assert_eq!(minute_of(t(24, 1)), None);
        assert_eq!(minute_of(t(i32::MAX, 0)), None);
        assert_eq!(minute_of(t(-1, 0)), None);
        assert_eq!(minute_of(None), None);
    }
}
