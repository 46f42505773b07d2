//! The gRPC face of the appointment service: parse and validate (errors name the field), run
//! the flow in one transaction with the caller's view, encode. Creates and bookings are
//! idempotent by `request_id`.

use chrono::{DateTime, Duration, NaiveDate, Utc, Weekday};
use mediation_api::appointments::v1 as pb;
use mediation_api::appointments::v1::appointment_service_server::{AppointmentService, AppointmentServiceServer};
use mediation_api::directory::v1::MediationMode;
use mediation_api::google::r#type::{Date, DayOfWeek, TimeOfDay};
use mediation_api::paging;
use mediation_api::status::Violations;
use mediation_audit::{Action, Actor, Event, TargetKind};
use mediation_auth::{Principal, caller};
use mediation_directory::domain::{Mode, parse_text};
use mediation_identity::domain::PhoneNumber;
use mediation_store::idempotency::{self, Key};
use mediation_store::{Db, DbConnection};
use tonic::{Request, Response, Status};

use crate::domain::access::Viewer;
use crate::domain::grading::Assessment;
use crate::domain::hours::{Hours, Interval, WeeklyRule};
use crate::domain::lifecycle::Move;
use crate::domain::{
    Appointment, AppointmentStatus, Case, CaseStatus, ExceptionKind, Grade, Origin, Outcome, OutcomeResult, Party,
    PartyRole,
};
use crate::error::Error;
use crate::repo::AppointmentFilter;
use crate::service::{self, AppointmentSettings, AvailabilityQuery, BookingRequest, NewCase};

const CREATE_CASE: &str = "/mediation.appointments.v1.AppointmentService/CreateCase";
const BOOK: &str = "/mediation.appointments.v1.AppointmentService/BookAppointment";
const RESCHEDULE: &str = "/mediation.appointments.v1.AppointmentService/RescheduleAppointment";
const MAX_PARTIES: usize = 50;

/// The audit record owed when a staff member is shown a case's personal data in clear; none
/// for the applicant reading their own case, or for a masked view.
fn personal_data_read(viewer: &Viewer, personal: bool, case_id: &str, via: &str) -> Option<Event> {
    (personal && viewer.is_staff())
        .then(|| Event::new(Action::PersonalDataRead, TargetKind::Case, case_id, format!("parties via {via}")))
}

/// The appointment service over one database.
#[derive(Debug, Clone)]
pub struct Appointments {
    db: Db,
    settings: AppointmentSettings,
}

impl Appointments {
    pub fn new(db: Db, settings: AppointmentSettings) -> Self {
        Self { db, settings }
    }

    pub fn into_server(self) -> AppointmentServiceServer<Appointments> {
        AppointmentServiceServer::new(self)
    }

    /// Runs `work` with the caller's view in one write transaction.
    async fn write<T, F>(&self, principal: Principal, work: F) -> Result<T, Status>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Viewer, &AppointmentSettings) -> Result<T, Error> + Send + 'static,
    {
        let settings = self.settings.clone();
        Ok(self
            .db
            .write::<_, Error, _>(move |conn| {
                let viewer = service::viewer(conn, principal)?;
                work(conn, &viewer, &settings)
            })
            .await?)
    }

    /// Records a staff member's reads of personal data before they are answered, so that
    /// nothing is shown without its audit record.
    async fn audit_reads(&self, actor: Actor, reads: Vec<Event>) -> Result<(), Status> {
        mediation_audit::record(&self.db, actor, reads).await.map_err(|err| Error::Store(err).into())
    }

    /// Runs `work` with the caller's view, outside a transaction.
    async fn read<T, F>(&self, principal: Principal, work: F) -> Result<T, Status>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Viewer, &AppointmentSettings) -> Result<T, Error> + Send + 'static,
    {
        let settings = self.settings.clone();
        Ok(self
            .db
            .read::<_, Error, _>(move |conn| {
                let viewer = service::viewer(conn, principal)?;
                work(conn, &viewer, &settings)
            })
            .await?)
    }

    /// Like [`Self::write`], replaying the first response to a retry of `request_id`.
    async fn write_once<M, F>(
        &self,
        principal: Principal,
        method: &'static str,
        request_id: String,
        request: Vec<u8>,
        work: F,
    ) -> Result<M, Status>
    where
        M: prost::Message + Default + 'static,
        F: FnOnce(&mut DbConnection, &Viewer, &AppointmentSettings) -> Result<M, Error> + Send + 'static,
    {
        self.write(principal, move |conn, viewer, settings| {
            let key = Key { principal: &viewer.principal.account_id.clone(), method, request_id: &request_id };
            idempotency::once(conn, key, &request, |conn| work(conn, viewer, settings))
        })
        .await
    }
}

// ---- conversions ----

fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: t.timestamp(), nanos: t.timestamp_subsec_nanos() as i32 }
}

fn instant(v: &mut Violations, field: &str, value: Option<prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    let parsed = value.and_then(|t| DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32));
    if parsed.is_none() {
        v.add(field, "is required");
    }
    parsed
}

fn span(
    v: &mut Violations,
    start: Option<prost_types::Timestamp>,
    end: Option<prost_types::Timestamp>,
) -> Option<Interval> {
    let (start, end) = (instant(v, "start", start), instant(v, "end", end));
    match (start, end) {
        (Some(start), Some(end)) if start < end && end - start <= Duration::hours(12) => {
            Some(Interval::new(start, end))
        }
        (Some(_), Some(_)) => {
            v.add("end", "must be after start, and at most 12 hours later");
            None
        }
        _ => None,
    }
}

fn duration(
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

fn mode(v: &mut Violations, value: i32) -> Option<Mode> {
    if value == MediationMode::Unspecified as i32 {
        return Some(Mode::InPerson);
    }
    let mode = mediation_directory::mode_from(value);
    if mode.is_none() {
        v.add("mode", "must be IN_PERSON, VIDEO or HOME_VISIT");
    }
    mode
}

fn grade_from(value: i32) -> Option<Grade> {
    match pb::Grade::try_from(value).ok()? {
        pb::Grade::Ordinary => Some(Grade::Ordinary),
        pb::Grade::Difficult => Some(Grade::Difficult),
        pb::Grade::Major => Some(Grade::Major),
        pb::Grade::Unspecified => None,
    }
}

fn grade_to(grade: Grade) -> pb::Grade {
    match grade {
        Grade::Ordinary => pb::Grade::Ordinary,
        Grade::Difficult => pb::Grade::Difficult,
        Grade::Major => pb::Grade::Major,
    }
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

fn case_status_from(value: i32) -> Option<CaseStatus> {
    match pb::CaseStatus::try_from(value).ok()? {
        pb::CaseStatus::Open => Some(CaseStatus::Open),
        pb::CaseStatus::Scheduled => Some(CaseStatus::Scheduled),
        pb::CaseStatus::Closed => Some(CaseStatus::Closed),
        pb::CaseStatus::Unspecified => None,
    }
}

fn case_status_to(status: CaseStatus) -> pb::CaseStatus {
    match status {
        CaseStatus::Open => pb::CaseStatus::Open,
        CaseStatus::Scheduled => pb::CaseStatus::Scheduled,
        CaseStatus::Closed => pb::CaseStatus::Closed,
    }
}

fn origin_to(origin: Origin) -> pb::CaseOrigin {
    match origin {
        Origin::App => pb::CaseOrigin::App,
        Origin::Kiosk => pb::CaseOrigin::Kiosk,
        Origin::Police110 => pb::CaseOrigin::Police110,
        Origin::WalkIn => pb::CaseOrigin::WalkIn,
    }
}

fn role_to(role: PartyRole) -> pb::PartyRole {
    match role {
        PartyRole::Applicant => pb::PartyRole::Applicant,
        PartyRole::Respondent => pb::PartyRole::Respondent,
        PartyRole::Other => pb::PartyRole::Other,
    }
}

fn outcome_to(outcome: Outcome) -> pb::Outcome {
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

fn assessment_from(v: &mut Violations, a: Option<pb::Assessment>) -> Option<Assessment> {
    let a = a.unwrap_or_default();
    if a.amount_in_dispute_yuan < 0 {
        v.add("assessment.amount_in_dispute_yuan", "must not be negative");
    }
    if !(0..=100_000).contains(&a.party_count) {
        v.add("assessment.party_count", "must be 0 to 100000");
    }
    Some(Assessment {
        amount_in_dispute_yuan: a.amount_in_dispute_yuan,
        party_count: a.party_count,
        violence_risk: a.violence_risk,
        vulnerable_party: a.vulnerable_party,
        repeat_dispute: a.repeat_dispute,
        group_incident_risk: a.group_incident_risk,
        petition_history: a.petition_history,
    })
}

fn assessment_to(a: Assessment) -> pb::Assessment {
    pb::Assessment {
        amount_in_dispute_yuan: a.amount_in_dispute_yuan,
        party_count: a.party_count,
        violence_risk: a.violence_risk,
        vulnerable_party: a.vulnerable_party,
        repeat_dispute: a.repeat_dispute,
        group_incident_risk: a.group_incident_risk,
        petition_history: a.petition_history,
    }
}

/// Phones in full for the applicant and the case's staff; masked for everyone else.
fn case_to_proto(case: Case, personal: bool) -> pb::Case {
    pb::Case {
        parties: case
            .parties
            .into_iter()
            .map(|p| pb::Party {
                phone: if personal { p.phone } else { PhoneNumber::from_stored(p.phone).masked() },
                name: p.name,
                role: role_to(p.role).into(),
            })
            .collect(),
        origin: origin_to(case.origin).into(),
        grade: grade_to(case.grade).into(),
        status: case_status_to(case.status).into(),
        assessment: Some(assessment_to(case.assessment)),
        created_at: Some(timestamp(case.created_at)),
        id: case.id,
        category: case.category,
        summary: case.summary,
        grade_rationale: case.grade_rationale,
        site_id: case.site_id,
    }
}

fn appointment_to_proto(a: Appointment) -> pb::Appointment {
    pb::Appointment {
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
    }
}

fn parties(v: &mut Violations, parties: &[pb::Party]) -> Option<Vec<Party>> {
    if parties.is_empty() || parties.len() > MAX_PARTIES {
        v.add("parties", format!("1 to {MAX_PARTIES} parties are required"));
        return None;
    }
    let mut out = Vec::new();
    for (i, p) in parties.iter().enumerate() {
        let name = v.check(&format!("parties[{i}].name"), parse_text(&p.name, 100, true));
        let phone = v.check(&format!("parties[{i}].phone"), PhoneNumber::parse(&p.phone));
        let role = match pb::PartyRole::try_from(p.role) {
            Ok(pb::PartyRole::Applicant) => Some(PartyRole::Applicant),
            Ok(pb::PartyRole::Respondent) => Some(PartyRole::Respondent),
            Ok(pb::PartyRole::Other) => Some(PartyRole::Other),
            _ => {
                v.add(format!("parties[{i}].role"), "must be APPLICANT, RESPONDENT or OTHER");
                None
            }
        };
        if let (Some(name), Some(phone), Some(role)) = (name, phone, role) {
            out.push(Party { name, phone: phone.as_str().to_owned(), role });
        }
    }
    (out.len() == parties.len()).then_some(out)
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

#[cfg(test)]
mod tests {
    use super::*;

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

fn time_to(minute: u32) -> TimeOfDay {
    TimeOfDay { hours: (minute / 60) as i32, minutes: (minute % 60) as i32, seconds: 0, nanos: 0 }
}

fn date_from(v: &mut Violations, field: &str, d: Option<Date>) -> Option<Option<NaiveDate>> {
    match d {
        None => Some(None),
        Some(d) => match NaiveDate::from_ymd_opt(d.year, d.month as u32, d.day as u32) {
            Some(date) => Some(Some(date)),
            None => {
                v.add(field, "is not a calendar date");
                None
            }
        },
    }
}

fn date_to(d: NaiveDate) -> Date {
    use chrono::Datelike;
    Date { year: d.year(), month: d.month() as i32, day: d.day() as i32 }
}

fn rules(v: &mut Violations, rules: &[pb::WeeklyRule]) -> Option<Vec<WeeklyRule>> {
    let mut out = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let day = weekday(rule.day_of_week);
        if day.is_none() {
            v.add(format!("rules[{i}].day_of_week"), "must be MONDAY to SUNDAY");
        }
        let (start, end) = (minute_of(rule.start), minute_of(rule.end));
        match (start, end) {
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

#[tonic::async_trait]
impl AppointmentService for Appointments {
    async fn create_case(&self, request: Request<pb::CreateCaseRequest>) -> Result<Response<pb::Case>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let request_id = v.request_id(&req.request_id);
        let category = v.id("category", &req.category);
        let summary = v.check("summary", parse_text(&req.summary, 2000, true));
        let parties = parties(&mut v, &req.parties);
        let origin = match pb::CaseOrigin::try_from(req.origin) {
            Ok(pb::CaseOrigin::App) => Some(Origin::App),
            Ok(pb::CaseOrigin::Kiosk) => Some(Origin::Kiosk),
            Ok(pb::CaseOrigin::Police110) => Some(Origin::Police110),
            Ok(pb::CaseOrigin::WalkIn) => Some(Origin::WalkIn),
            _ => {
                v.add("origin", "must be APP, KIOSK, POLICE_110 or WALK_IN");
                None
            }
        };
        let assessment = assessment_from(&mut v, req.assessment);
        let site_id = v.optional_id("site_id", &req.site_id);
        let (request_id, new) = v.finish(|| {
            let new = NewCase {
                category: category?,
                summary: summary?,
                parties: parties?,
                origin: origin?,
                assessment: assessment?,
                site_id: site_id?,
            };
            Some((request_id?, new))
        })?;
        let bytes = prost::Message::encode_to_vec(&req);
        let reply = self
            .write_once(principal, CREATE_CASE, request_id, bytes, move |conn, viewer, settings| {
                let case = service::create_case(conn, viewer, settings, new, Utc::now())?;
                let personal = viewer.sees_personal_data(&case);
                Ok(case_to_proto(case, personal))
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn assess_case(&self, request: Request<pb::AssessCaseRequest>) -> Result<Response<pb::Case>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let case_id = v.id("case_id", &req.case_id);
        if req.assessment.is_none() {
            v.add("assessment", "is required");
        }
        let assessment = assessment_from(&mut v, req.assessment);
        let (case_id, assessment) = v.finish(|| Some((case_id?, assessment?)))?;
        let case = self
            .write(principal, move |conn, viewer, settings| {
                let case = service::assess_case(conn, viewer, settings, &case_id, assessment, Utc::now())?;
                Ok(case_to_proto(case, true))
            })
            .await?;
        Ok(Response::new(case))
    }

    async fn override_grade(&self, request: Request<pb::OverrideGradeRequest>) -> Result<Response<pb::Case>, Status> {
        let principal = caller(&request)?;
        let peer = request.remote_addr();
        let req = request.into_inner();
        let mut v = Violations::new();
        let case_id = v.id("case_id", &req.case_id);
        let grade = grade_from(req.grade);
        if grade.is_none() {
            v.add("grade", "must be ORDINARY, DIFFICULT or MAJOR");
        }
        let reason = v.check("reason", parse_text(&req.reason, 500, true));
        let (case_id, grade, reason) = v.finish(|| Some((case_id?, grade?, reason?)))?;
        let actor = Actor::new(&principal, peer);
        let case = self
            .write(principal, move |conn, viewer, _| {
                let now = Utc::now();
                let case = service::override_grade(conn, viewer, &case_id, grade, &reason, now)?;
                // The reason is free text and may name people; the case history keeps it.
                let event = Event::new(Action::GradeOverridden, TargetKind::Case, &case.id, grade.as_str());
                mediation_audit::repo::append(conn, &actor, event, now)?;
                Ok(case_to_proto(case, true))
            })
            .await?;
        Ok(Response::new(case))
    }

    async fn get_case(&self, request: Request<pb::GetCaseRequest>) -> Result<Response<pb::Case>, Status> {
        let principal = caller(&request)?;
        let mut v = Violations::new();
        let case_id = v.id("id", &request.get_ref().id);
        let case_id = v.finish(|| case_id)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let (case, reads) = self
            .read(principal, move |conn, viewer, _| {
                let (case, _) = service::visible_case(conn, viewer, &case_id)?;
                let personal = viewer.sees_personal_data(&case);
                let reads = personal_data_read(viewer, personal, &case.id, "GetCase");
                Ok((case_to_proto(case, personal), reads))
            })
            .await?;
        self.audit_reads(actor, reads.into_iter().collect()).await?;
        Ok(Response::new(case))
    }

    async fn list_cases(
        &self,
        request: Request<pb::ListCasesRequest>,
    ) -> Result<Response<pb::ListCasesResponse>, Status> {
        let principal = caller(&request)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let req = request.into_inner();
        let mut v = Violations::new();
        let site_id = v.optional_id("site_id", &req.site_id);
        let status = (req.status != 0).then(|| case_status_from(req.status));
        if status == Some(None) {
            v.add("status", "must be OPEN, SCHEDULED or CLOSED");
        }
        let grade = (req.grade != 0).then(|| grade_from(req.grade));
        if grade == Some(None) {
            v.add("grade", "must be ORDINARY, DIFFICULT or MAJOR");
        }
        let size = v.check("page_size", paging::page_size(req.page_size, 50, 500));
        let query = paging::fingerprint(&("cases", &principal.account_id, &req.site_id, req.status, req.grade));
        let after = v.check("page_token", paging::decode_token::<Option<String>>(&req.page_token, &query));
        let (site_id, size, after) = v.finish(|| Some((site_id?, size?, after?)))?;
        let (status, grade) = (status.flatten(), grade.flatten());
        let cases = self
            .read(principal, move |conn, viewer, _| {
                let cases = service::list_cases(
                    conn,
                    viewer,
                    site_id,
                    status,
                    grade,
                    after.flatten().as_deref(),
                    size as i64 + 1,
                )?;
                Ok(cases
                    .into_iter()
                    .map(|c| {
                        let personal = viewer.sees_personal_data(&c);
                        let reads = personal_data_read(viewer, personal, &c.id, "ListCases");
                        (case_to_proto(c, personal), reads)
                    })
                    .collect::<Vec<_>>())
            })
            .await?;
        let (cases, next_page_token) = paging::split_page(cases, size, &query, |(c, _)| c.id.clone());
        let (cases, reads): (Vec<_>, Vec<_>) = cases.into_iter().unzip();
        self.audit_reads(actor, reads.into_iter().flatten().collect()).await?;
        let cases: Vec<pb::Case> = cases;
        Ok(Response::new(pb::ListCasesResponse { cases, next_page_token }))
    }

    async fn list_case_events(
        &self,
        request: Request<pb::ListCaseEventsRequest>,
    ) -> Result<Response<pb::ListCaseEventsResponse>, Status> {
        let principal = caller(&request)?;
        let mut v = Violations::new();
        let case_id = v.id("case_id", &request.get_ref().case_id);
        let case_id = v.finish(|| case_id)?;
        let events = self.read(principal, move |conn, viewer, _| service::case_events(conn, viewer, &case_id)).await?;
        let events = events
            .into_iter()
            .map(|(at, actor, kind, detail)| pb::CaseEvent {
                at: Some(timestamp(at)),
                actor_id: actor.unwrap_or_default(),
                kind,
                detail,
            })
            .collect();
        Ok(Response::new(pb::ListCaseEventsResponse { events }))
    }

    async fn set_working_hours(
        &self,
        request: Request<pb::SetWorkingHoursRequest>,
    ) -> Result<Response<pb::WorkingHours>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let mediator_id = v.id("mediator_id", &req.mediator_id);
        let site_id = v.id("site_id", &req.site_id);
        let parsed_rules = rules(&mut v, &req.rules);
        let from = date_from(&mut v, "effective_from", req.effective_from);
        let to = date_from(&mut v, "effective_to", req.effective_to);
        if let (Some(Some(from)), Some(Some(to))) = (from, to)
            && to < from
        {
            v.add("effective_to", "must not be before effective_from");
        }
        let (mediator_id, site_id, hours) = v.finish(|| {
            let hours = Hours { rules: parsed_rules?, effective_from: from?, effective_to: to? };
            Some((mediator_id?, site_id?, hours))
        })?;
        let (mediator, site, saved) = (mediator_id.clone(), site_id.clone(), hours.clone());
        let tz = self
            .write(principal, move |conn, viewer, _| service::set_working_hours(conn, viewer, &mediator, &site, &saved))
            .await?;
        Ok(Response::new(pb::WorkingHours {
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
            effective_from: hours.effective_from.map(date_to),
            effective_to: hours.effective_to.map(date_to),
            time_zone: tz.name().to_owned(),
        }))
    }

    async fn add_schedule_exception(
        &self,
        request: Request<pb::AddScheduleExceptionRequest>,
    ) -> Result<Response<pb::ScheduleException>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let mediator_id = v.id("mediator_id", &req.mediator_id);
        let (start, end) = (instant(&mut v, "start", req.start), instant(&mut v, "end", req.end));
        if let (Some(s), Some(e)) = (start, end)
            && (s >= e || e - s > Duration::days(366))
        {
            v.add("end", "must be after start, within a year");
        }
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
        let (mediator_id, span, kind, site_id) =
            v.finish(|| Some((mediator_id?, Interval::new(start?, end?), kind?, site_id?)))?;
        let site_id = if kind == ExceptionKind::Leave { None } else { site_id };
        let (mediator, site) = (mediator_id.clone(), site_id.clone());
        let exception_id = self
            .write(principal, move |conn, viewer, _| {
                service::add_exception(conn, viewer, &mediator, site.as_deref(), kind, span)
            })
            .await?;
        Ok(Response::new(pb::ScheduleException {
            id: exception_id,
            mediator_id,
            start: Some(timestamp(span.start)),
            end: Some(timestamp(span.end)),
            kind: req.kind,
            site_id: site_id.unwrap_or_default(),
        }))
    }

    async fn search_availability(
        &self,
        request: Request<pb::SearchAvailabilityRequest>,
    ) -> Result<Response<pb::SearchAvailabilityResponse>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let case_id = v.id("case_id", &req.case_id);
        let specialty = v.optional_id("specialty_code", &req.specialty_code);
        let site_id = v.optional_id("site_id", &req.site_id);
        let mediator_id = v.optional_id("mediator_id", &req.mediator_id);
        let mode = mode(&mut v, req.mode);
        let (from, to) = (instant(&mut v, "from", req.from), instant(&mut v, "to", req.to));
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
        let query = v.finish(|| {
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
        })?;
        let offers = self
            .read(principal, move |conn, viewer, settings| {
                service::search_availability(conn, viewer, settings, &query, Utc::now())
            })
            .await?;
        let slots = offers
            .into_iter()
            .map(|o| pb::Slot {
                start: Some(timestamp(o.span.start)),
                end: Some(timestamp(o.span.end)),
                mediator_ids: o.mediator_ids,
                site_id: o.site_id,
                room_id: o.room_id.unwrap_or_default(),
            })
            .collect();
        Ok(Response::new(pb::SearchAvailabilityResponse { slots }))
    }

    async fn book_appointment(
        &self,
        request: Request<pb::BookAppointmentRequest>,
    ) -> Result<Response<pb::Appointment>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let request_id = v.request_id(&req.request_id);
        let case_id = v.id("case_id", &req.case_id);
        let span = span(&mut v, req.start, req.end);
        let mut mediator_ids: Vec<String> = req.mediator_ids.iter().map(|m| m.trim().to_owned()).collect();
        mediator_ids.sort();
        mediator_ids.dedup();
        if mediator_ids.is_empty()
            || mediator_ids.len() > 5
            || mediator_ids.iter().any(|m| m.is_empty() || m.len() > 64)
        {
            v.add("mediator_ids", "1 to 5 mediator ids are required");
        }
        let room_id = v.optional_id("room_id", &req.room_id);
        let mode = mode(&mut v, req.mode);
        let (request_id, booking) = v.finish(|| {
            let booking =
                BookingRequest { case_id: case_id?, span: span?, mediator_ids, room_id: room_id?, mode: mode? };
            Some((request_id?, booking))
        })?;
        let bytes = prost::Message::encode_to_vec(&req);
        let reply = self
            .write_once(principal, BOOK, request_id, bytes, move |conn, viewer, settings| {
                service::book(conn, viewer, settings, booking, Utc::now()).map(appointment_to_proto)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn reschedule_appointment(
        &self,
        request: Request<pb::RescheduleAppointmentRequest>,
    ) -> Result<Response<pb::Appointment>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let appointment_id = v.id("appointment_id", &req.appointment_id);
        let request_id = v.request_id(&req.request_id);
        let span = span(&mut v, req.start, req.end);
        let room_id = v.optional_id("room_id", &req.room_id);
        let (appointment_id, request_id, span, room_id) =
            v.finish(|| Some((appointment_id?, request_id?, span?, room_id?)))?;
        let bytes = prost::Message::encode_to_vec(&req);
        let reply = self
            .write_once(principal, RESCHEDULE, request_id, bytes, move |conn, viewer, settings| {
                service::reschedule(conn, viewer, settings, &appointment_id, span, room_id, Utc::now())
                    .map(appointment_to_proto)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn cancel_appointment(
        &self,
        request: Request<pb::CancelAppointmentRequest>,
    ) -> Result<Response<pb::Appointment>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let appointment_id = v.id("appointment_id", &req.appointment_id);
        let reason = v.check("reason", parse_text(&req.reason, 500, false));
        let (appointment_id, reason) = v.finish(|| Some((appointment_id?, reason?)))?;
        let reply = self
            .write(principal, move |conn, viewer, settings| {
                service::cancel(conn, viewer, settings, &appointment_id, reason, Utc::now()).map(appointment_to_proto)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn check_in(&self, request: Request<pb::CheckInRequest>) -> Result<Response<pb::Appointment>, Status> {
        let principal = caller(&request)?;
        self.run_session(principal, &request.get_ref().appointment_id, Move::CheckIn, None).await
    }

    async fn mark_no_show(&self, request: Request<pb::MarkNoShowRequest>) -> Result<Response<pb::Appointment>, Status> {
        let principal = caller(&request)?;
        self.run_session(principal, &request.get_ref().appointment_id, Move::NoShow, None).await
    }

    async fn complete_appointment(
        &self,
        request: Request<pb::CompleteAppointmentRequest>,
    ) -> Result<Response<pb::Appointment>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let outcome = req.outcome.unwrap_or_default();
        let result = match pb::OutcomeResult::try_from(outcome.result) {
            Ok(pb::OutcomeResult::Settled) => Some(OutcomeResult::Settled),
            Ok(pb::OutcomeResult::NotSettled) => Some(OutcomeResult::NotSettled),
            Ok(pb::OutcomeResult::Referred) => Some(OutcomeResult::Referred),
            _ => {
                v.add("outcome.result", "must be SETTLED, NOT_SETTLED or REFERRED");
                None
            }
        };
        let summary = v.check("outcome.agreement_summary", parse_text(&outcome.agreement_summary, 4000, false));
        let referred_to = v.check(
            "outcome.referred_to",
            parse_text(&outcome.referred_to, 200, result == Some(OutcomeResult::Referred)),
        );
        let outcome =
            v.finish(|| Some(Outcome { result: result?, agreement_summary: summary?, referred_to: referred_to? }))?;
        self.run_session(principal, &req.appointment_id, Move::Complete, Some(outcome)).await
    }

    async fn get_appointment(
        &self,
        request: Request<pb::GetAppointmentRequest>,
    ) -> Result<Response<pb::Appointment>, Status> {
        let principal = caller(&request)?;
        let mut v = Violations::new();
        let appointment_id = v.id("id", &request.get_ref().id);
        let appointment_id = v.finish(|| appointment_id)?;
        let reply = self
            .read(principal, move |conn, viewer, _| {
                service::get_appointment(conn, viewer, &appointment_id).map(appointment_to_proto)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn list_appointments(
        &self,
        request: Request<pb::ListAppointmentsRequest>,
    ) -> Result<Response<pb::ListAppointmentsResponse>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let mediator_id = v.optional_id("mediator_id", &req.mediator_id);
        let site_id = v.optional_id("site_id", &req.site_id);
        let case_id = v.optional_id("case_id", &req.case_id);
        let status = (req.status != 0).then(|| status_from(req.status));
        if status == Some(None) {
            v.add("status", "must be an appointment status");
        }
        let from = req.from.and_then(|t| DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32));
        let to = req.to.and_then(|t| DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32));
        let size = v.check("page_size", paging::page_size(req.page_size, 50, 500));
        let query = paging::fingerprint(&(
            "appointments",
            &principal.account_id,
            &req.mediator_id,
            &req.site_id,
            &req.case_id,
            req.status,
            from,
            to,
        ));
        let after = v.check("page_token", paging::decode_token::<Option<String>>(&req.page_token, &query));
        let (filter, size, after) = v.finish(|| {
            let filter = AppointmentFilter {
                case_ids: case_id?.map(|c| vec![c]),
                site_ids: site_id?.map(|s| vec![s]),
                mediator_id: mediator_id?,
                status: status.flatten(),
                from,
                to,
            };
            Some((filter, size?, after?))
        })?;
        let items = self
            .read(principal, move |conn, viewer, _| {
                service::list_appointments(conn, viewer, filter, after.flatten().as_deref(), size as i64 + 1)
            })
            .await?;
        let (items, next_page_token) = paging::split_page(items, size, &query, |a| a.id.clone());
        Ok(Response::new(pb::ListAppointmentsResponse {
            appointments: items.into_iter().map(appointment_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn post_message(&self, request: Request<pb::PostMessageRequest>) -> Result<Response<pb::Message>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let case_id = v.id("case_id", &req.case_id);
        let body = v.check("body", parse_text(&req.body, 4000, true));
        let (case_id, body) = v.finish(|| Some((case_id?, body?)))?;
        let author_id = principal.account_id.clone();
        let (case, text) = (case_id.clone(), body.clone());
        let now = Utc::now();
        let message_id = self
            .write(principal, move |conn, viewer, _| service::post_message(conn, viewer, &case, &text, now))
            .await?;
        Ok(Response::new(pb::Message {
            id: message_id,
            case_id,
            author_id,
            author_name: String::new(),
            body,
            created_at: Some(timestamp(now)),
        }))
    }

    async fn list_messages(
        &self,
        request: Request<pb::ListMessagesRequest>,
    ) -> Result<Response<pb::ListMessagesResponse>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let case_id = v.id("case_id", &req.case_id);
        let size = v.check("page_size", paging::page_size(req.page_size, 50, 500));
        let query = paging::fingerprint(&("messages", &req.case_id));
        let after = v.check("page_token", paging::decode_token::<Option<String>>(&req.page_token, &query));
        let (case_id, size, after) = v.finish(|| Some((case_id?, size?, after?)))?;
        let case = case_id.clone();
        let rows = self
            .read(principal, move |conn, viewer, _| {
                service::list_messages(conn, viewer, &case, after.flatten().as_deref(), size as i64 + 1)
            })
            .await?;
        let (rows, next_page_token) = paging::split_page(rows, size, &query, |m| m.0.clone());
        let messages = rows
            .into_iter()
            .map(|(id, author_id, author_name, body, at)| pb::Message {
                id,
                case_id: case_id.clone(),
                author_id,
                author_name,
                body,
                created_at: Some(timestamp(at)),
            })
            .collect();
        Ok(Response::new(pb::ListMessagesResponse { messages, next_page_token }))
    }

    async fn get_statistics(
        &self,
        request: Request<pb::GetStatisticsRequest>,
    ) -> Result<Response<pb::Statistics>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let site_id = v.optional_id("site_id", &req.site_id);
        let mediator_id = v.optional_id("mediator_id", &req.mediator_id);
        let (from, to) = (instant(&mut v, "from", req.from), instant(&mut v, "to", req.to));
        if let (Some(f), Some(t)) = (from, to)
            && t <= f
        {
            v.add("to", "must be after from");
        }
        let (site_id, mediator_id, from, to) = v.finish(|| Some((site_id?, mediator_id?, from?, to?)))?;
        let stats = self
            .read(principal, move |conn, viewer, _| service::statistics(conn, viewer, site_id, mediator_id, from, to))
            .await?;
        Ok(Response::new(pb::Statistics {
            settlement_rate: stats.settlement_rate(),
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
        }))
    }
}

impl Appointments {
    async fn run_session(
        &self,
        principal: Principal,
        appointment_id: &str,
        to: Move,
        outcome: Option<Outcome>,
    ) -> Result<Response<pb::Appointment>, Status> {
        let mut v = Violations::new();
        let appointment_id = v.id("appointment_id", appointment_id);
        let appointment_id = v.finish(|| appointment_id)?;
        let reply = self
            .write(principal, move |conn, viewer, _| {
                service::run_session(conn, viewer, &appointment_id, to, outcome, Utc::now()).map(appointment_to_proto)
            })
            .await?;
        Ok(Response::new(reply))
    }
}
