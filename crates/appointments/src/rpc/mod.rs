//! The gRPC face of the appointment service. Each method takes the verified caller, parses the
//! request into plain values (a `TryFrom` in the file of its resource, naming every bad field
//! at once), runs one flow of `service` in a transaction with the caller's view, and encodes
//! the answer (`to_proto` beside the parser). Creates and bookings are idempotent by
//! `request_id`. Nothing below this module sees a generated or transport type.

mod agreements;
mod appointments;
mod cases;
mod error;
mod fields;
mod messages;
mod schedule;
mod station;
mod statistics;
mod tasks;
mod video;

use std::sync::Arc;

use chrono::Utc;
use mediation_api::appointments::v1 as pb;
use mediation_api::appointments::v1::appointment_service_server::{AppointmentService, AppointmentServiceServer};
use mediation_api::caller;
use mediation_audit::Actor;
use mediation_auth::Principal;
use mediation_store::idempotency::Key;
use mediation_store::{Db, DbConnection};
use mediation_video::VideoProvider;
use prost::Message as _;
use tonic::{Request, Response, Status};

pub use self::appointments::{outcome_from, outcome_to};
pub use self::error::to_status;
use self::fields::{required_id, retry_of};
use crate::domain::Outcome;
use crate::domain::access::Viewer;
use crate::domain::lifecycle::Move;
use crate::error::Error;
use crate::service::{self, AppointmentSettings};

const CREATE_CASE: &str = "/mediation.appointments.v1.AppointmentService/CreateCase";
const BOOK: &str = "/mediation.appointments.v1.AppointmentService/BookAppointment";
const RESCHEDULE: &str = "/mediation.appointments.v1.AppointmentService/RescheduleAppointment";
const START_NOW: &str = "/mediation.appointments.v1.AppointmentService/StartSessionNow";
const DRAFT_AGREEMENT: &str = "/mediation.appointments.v1.AppointmentService/DraftAgreement";
const DISPATCH_TASK: &str = "/mediation.appointments.v1.AppointmentService/DispatchTask";
const ADD_EXCEPTION: &str = "/mediation.appointments.v1.AppointmentService/AddScheduleException";
const CANCEL: &str = "/mediation.appointments.v1.AppointmentService/CancelAppointment";
const CHECK_IN: &str = "/mediation.appointments.v1.AppointmentService/CheckIn";
const NO_SHOW: &str = "/mediation.appointments.v1.AppointmentService/MarkNoShow";
const COMPLETE: &str = "/mediation.appointments.v1.AppointmentService/CompleteAppointment";
const POST_MESSAGE: &str = "/mediation.appointments.v1.AppointmentService/PostMessage";

/// The appointment service over one database, issuing VIDEO sessions' join links through one
/// video system.
#[derive(Debug, Clone)]
pub struct Appointments {
    db: Db,
    settings: AppointmentSettings,
    video: Arc<dyn VideoProvider>,
    /// What availability keeps in memory, shared by this process's searches.
    calendar: Arc<service::CalendarCache>,
}

impl Appointments {
    pub fn new(db: Db, settings: AppointmentSettings, video: Arc<dyn VideoProvider>) -> Self {
        Self { db, settings, video, calendar: Arc::default() }
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
        let viewed = move |conn: &mut DbConnection| {
            let viewer = service::viewer(conn, principal)?;
            work(conn, &viewer, &settings)
        };
        Ok(self.db.write::<_, Error, _>(viewed).await?)
    }

    /// Runs `work` with the caller's view, outside a transaction.
    async fn read<T, F>(&self, principal: Principal, work: F) -> Result<T, Status>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Viewer, &AppointmentSettings) -> Result<T, Error> + Send + 'static,
    {
        self.read_as(principal, service::viewer, work).await
    }

    /// Like [`Self::read`], with the view `view` builds (one that leaves out what `work` reads
    /// only when it needs it).
    async fn read_as<T, F>(
        &self,
        principal: Principal,
        view: fn(&mut DbConnection, Principal) -> Result<Viewer, Error>,
        work: F,
    ) -> Result<T, Status>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Viewer, &AppointmentSettings) -> Result<T, Error> + Send + 'static,
    {
        let settings = self.settings.clone();
        let viewed = move |conn: &mut DbConnection| {
            let viewer = view(conn, principal)?;
            work(conn, &viewer, &settings)
        };
        Ok(self.db.read::<_, Error, _>(viewed).await?)
    }

    /// A search for times. Scheduling asks which party a resident is only to tell a party
    /// (PERMISSION_DENIED) from a stranger (NOT_FOUND), so the caller's account is read then,
    /// not on every search. One mediator's day runs on the calling thread when SQLite has a
    /// connection free and the calendar is loaded (`Db::read_small`); any other search, or one
    /// that would load the calendar, on the blocking pool.
    async fn search_times(
        &self,
        principal: Principal,
        query: Arc<service::AvailabilityQuery>,
    ) -> Result<Vec<service::Offer>, Status> {
        if query.is_one_mediators_day() {
            let (calendar, settings, principal, query) =
                (self.calendar.clone(), self.settings.clone(), principal.clone(), query.clone());
            let in_place = self
                .db
                .read_small::<_, Error, _>(move |conn| {
                    let now = Utc::now();
                    let Some((calendar, held)) = calendar.current_if_loaded(conn, now, settings.slots.horizon)? else {
                        return Ok(None);
                    };
                    let viewer = service::viewer_without_phone(conn, principal)?;
                    service::search_availability(conn, &viewer, &settings, &calendar, held.as_deref(), &query, now)
                        .map(Some)
                })
                .await?;
            if let Some(offers) = in_place {
                return Ok(offers);
            }
        }
        let calendar = self.calendar.clone();
        self.read_as(principal, service::viewer_without_phone, move |conn, viewer, settings| {
            let now = Utc::now();
            let (calendar, held) = calendar.current(conn, now, settings.slots.horizon)?;
            service::search_availability(conn, viewer, settings, &calendar, held.as_deref(), &query, now)
        })
        .await
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
            mediation_api::idempotent::once(conn, key, &request, |conn| work(conn, viewer, settings))
        })
        .await
    }

    /// [`Self::write_once`] when the client sent a `request_id`, else [`Self::write`]: the
    /// field came after these calls, and a client that sends none gets no replay.
    async fn write_maybe_once<M, F>(
        &self,
        principal: Principal,
        method: &'static str,
        request_id: Option<String>,
        request: Vec<u8>,
        work: F,
    ) -> Result<M, Status>
    where
        M: prost::Message + Default + 'static,
        F: FnOnce(&mut DbConnection, &Viewer, &AppointmentSettings) -> Result<M, Error> + Send + 'static,
    {
        match request_id {
            Some(request_id) => self.write_once(principal, method, request_id, request, work).await,
            None => self.write(principal, work).await,
        }
    }

    /// Check-in, no-show or completion of one session.
    async fn run_session(
        &self,
        principal: Principal,
        (method, request_id, request): (&'static str, Option<String>, Vec<u8>),
        appointment_id: String,
        to: Move,
        outcome: Option<Outcome>,
    ) -> Result<Response<pb::Appointment>, Status> {
        let reply = self
            .write_maybe_once(principal, method, request_id, request, move |conn, viewer, settings| {
                service::run_session(conn, viewer, settings, &appointment_id, to, outcome, Utc::now())
                    .and_then(|a| service::zoned(conn, a))
                    .map(appointments::to_proto)
            })
            .await?;
        Ok(Response::new(reply))
    }
}

#[tonic::async_trait]
impl AppointmentService for Appointments {
    async fn create_case(&self, request: Request<pb::CreateCaseRequest>) -> Result<Response<pb::Case>, Status> {
        let principal = caller(&request)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let bytes = request.get_ref().encode_to_vec();
        let cases::CreateCase { request_id, case } = request.into_inner().try_into()?;
        let reply = self
            .write_once(principal, CREATE_CASE, request_id, bytes, move |conn, viewer, settings| {
                let shown = service::create_case(conn, viewer, settings, case, Utc::now())?;
                cases::disclose(conn, &actor, shown)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn assess_case(&self, request: Request<pb::AssessCaseRequest>) -> Result<Response<pb::Case>, Status> {
        let principal = caller(&request)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let cases::AssessCase { case_id, assessment } = request.into_inner().try_into()?;
        let reply = self
            .write(principal, move |conn, viewer, settings| {
                let shown = service::assess_case(conn, viewer, settings, &case_id, assessment, Utc::now())?;
                cases::disclose(conn, &actor, shown)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn override_grade(&self, request: Request<pb::OverrideGradeRequest>) -> Result<Response<pb::Case>, Status> {
        let principal = caller(&request)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let cases::OverrideGrade { case_id, grade, reason } = request.into_inner().try_into()?;
        let reply = self
            .write(principal, move |conn, viewer, _| {
                let shown = service::override_grade(conn, viewer, &actor, &case_id, grade, &reason, Utc::now())?;
                cases::disclose(conn, &actor, shown)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn get_case(&self, request: Request<pb::GetCaseRequest>) -> Result<Response<pb::Case>, Status> {
        let principal = caller(&request)?;
        let case_id = required_id("id", &request.get_ref().id)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let shown = self.read(principal, move |conn, viewer, _| service::get_case(conn, viewer, &case_id)).await?;
        let case = cases::disclose_all(&self.db, actor, vec![shown]).await?.pop().expect("one case shown");
        Ok(Response::new(case))
    }

    async fn list_cases(
        &self,
        request: Request<pb::ListCasesRequest>,
    ) -> Result<Response<pb::ListCasesResponse>, Status> {
        let principal = caller(&request)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let cases::ListCases { site_id, status, grade, police_incident_id, escalated_only, page } =
            (request.into_inner(), &principal).try_into()?;
        let limit = page.limit();
        let after = page.after.clone();
        let fetched = self
            .read(principal, move |conn, viewer, _| {
                let (incident, after) = (police_incident_id, after.as_deref());
                service::list_cases(conn, viewer, site_id, status, grade, incident, escalated_only, after, limit)
            })
            .await?;
        let (shown, next_page_token) = page.split(fetched, |c| c.case.id.clone());
        let cases = cases::disclose_all(&self.db, actor, shown).await?;
        Ok(Response::new(pb::ListCasesResponse { cases, next_page_token }))
    }

    async fn list_case_events(
        &self,
        request: Request<pb::ListCaseEventsRequest>,
    ) -> Result<Response<pb::ListCaseEventsResponse>, Status> {
        let principal = caller(&request)?;
        let cases::ListEvents { case_id, page } = (request.into_inner(), &principal).try_into()?;
        let (limit, after) = (page.limit(), page.after.clone());
        let fetched = self
            .read(principal, move |conn, viewer, _| {
                service::case_events(conn, viewer, &case_id, after.as_deref(), limit)
            })
            .await?;
        let (events, next_page_token) = page.split(fetched, |(id, _)| id.clone());
        let events = events.into_iter().map(|(_, event)| cases::event_to_proto(event)).collect();
        Ok(Response::new(pb::ListCaseEventsResponse { events, next_page_token }))
    }

    async fn set_working_hours(
        &self,
        request: Request<pb::SetWorkingHoursRequest>,
    ) -> Result<Response<pb::WorkingHours>, Status> {
        let principal = caller(&request)?;
        let set: schedule::SetHours = request.into_inner().try_into()?;
        let (zone, set) = self
            .write(principal, move |conn, viewer, _| {
                let zone = service::set_working_hours(conn, viewer, &set.mediator_id, &set.site_id, &set.hours)?;
                Ok((zone, set))
            })
            .await?;
        Ok(Response::new(schedule::hours_to_proto(set, zone)))
    }

    async fn add_schedule_exception(
        &self,
        request: Request<pb::AddScheduleExceptionRequest>,
    ) -> Result<Response<pb::ScheduleException>, Status> {
        let principal = caller(&request)?;
        let (request_id, encoded) = retry_of(&request.get_ref().request_id, request.get_ref())?;
        let add: schedule::AddException = request.into_inner().try_into()?;
        let reply = self
            .write_maybe_once(principal, ADD_EXCEPTION, request_id, encoded, move |conn, viewer, _| {
                let site_id = add.site_id.as_deref();
                let id = service::add_exception(conn, viewer, &add.mediator_id, site_id, add.kind, add.span)?;
                Ok(schedule::exception_to_proto(id, add))
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn list_working_hours(
        &self,
        request: Request<pb::ListWorkingHoursRequest>,
    ) -> Result<Response<pb::ListWorkingHoursResponse>, Status> {
        let principal = caller(&request)?;
        let mediator_id = required_id("mediator_id", &request.get_ref().mediator_id)?;
        let found = self
            .read(principal, {
                let mediator_id = mediator_id.clone();
                move |conn, _, _| service::working_hours(conn, &mediator_id)
            })
            .await?;
        let working_hours = found
            .into_iter()
            .map(|(site_id, hours, zone)| {
                schedule::hours_to_proto(schedule::SetHours { mediator_id: mediator_id.clone(), site_id, hours }, zone)
            })
            .collect();
        Ok(Response::new(pb::ListWorkingHoursResponse { working_hours }))
    }

    async fn list_schedule_exceptions(
        &self,
        request: Request<pb::ListScheduleExceptionsRequest>,
    ) -> Result<Response<pb::ListScheduleExceptionsResponse>, Status> {
        let principal = caller(&request)?;
        let schedule::ExceptionRange { mediator_id, window } = request.into_inner().try_into()?;
        let found =
            self.read(principal, move |conn, _, _| service::schedule_exceptions(conn, &mediator_id, window)).await?;
        let exceptions = found.into_iter().map(|(id, e)| schedule::stored_exception_to_proto(id, e)).collect();
        Ok(Response::new(pb::ListScheduleExceptionsResponse { exceptions }))
    }

    async fn delete_schedule_exception(
        &self,
        request: Request<pb::DeleteScheduleExceptionRequest>,
    ) -> Result<Response<pb::DeleteScheduleExceptionResponse>, Status> {
        let principal = caller(&request)?;
        let id = required_id("exception_id", &request.get_ref().exception_id)?;
        self.write(principal, move |conn, viewer, _| service::delete_exception(conn, viewer, &id)).await?;
        Ok(Response::new(pb::DeleteScheduleExceptionResponse {}))
    }

    async fn search_availability(
        &self,
        request: Request<pb::SearchAvailabilityRequest>,
    ) -> Result<Response<pb::SearchAvailabilityResponse>, Status> {
        let principal = caller(&request)?;
        let query: service::AvailabilityQuery = request.into_inner().try_into()?;
        let offers = self.search_times(principal, Arc::new(query)).await?;
        let slots = offers.into_iter().map(schedule::slot_to_proto).collect();
        Ok(Response::new(pb::SearchAvailabilityResponse { slots }))
    }

    async fn book_appointment(
        &self,
        request: Request<pb::BookAppointmentRequest>,
    ) -> Result<Response<pb::Appointment>, Status> {
        let principal = caller(&request)?;
        let bytes = request.get_ref().encode_to_vec();
        let appointments::Book { request_id, booking } = request.into_inner().try_into()?;
        let reply = self
            .write_once(principal, BOOK, request_id, bytes, move |conn, viewer, settings| {
                service::book(conn, viewer, settings, booking, Utc::now())
                    .and_then(|a| service::zoned(conn, a))
                    .map(appointments::to_proto)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn reschedule_appointment(
        &self,
        request: Request<pb::RescheduleAppointmentRequest>,
    ) -> Result<Response<pb::Appointment>, Status> {
        let principal = caller(&request)?;
        let bytes = request.get_ref().encode_to_vec();
        let appointments::Reschedule { appointment_id, request_id, span, room_id } = request.into_inner().try_into()?;
        let reply = self
            .write_once(principal, RESCHEDULE, request_id, bytes, move |conn, viewer, settings| {
                service::reschedule(conn, viewer, settings, &appointment_id, span, room_id, Utc::now())
                    .and_then(|a| service::zoned(conn, a))
                    .map(appointments::to_proto)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn cancel_appointment(
        &self,
        request: Request<pb::CancelAppointmentRequest>,
    ) -> Result<Response<pb::Appointment>, Status> {
        let principal = caller(&request)?;
        let (request_id, encoded) = retry_of(&request.get_ref().request_id, request.get_ref())?;
        let appointments::Cancel { appointment_id, reason } = request.into_inner().try_into()?;
        let reply = self
            .write_maybe_once(principal, CANCEL, request_id, encoded, move |conn, viewer, settings| {
                service::cancel(conn, viewer, settings, &appointment_id, reason, Utc::now())
                    .and_then(|a| service::zoned(conn, a))
                    .map(appointments::to_proto)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn check_in(&self, request: Request<pb::CheckInRequest>) -> Result<Response<pb::Appointment>, Status> {
        let principal = caller(&request)?;
        let (request_id, encoded) = retry_of(&request.get_ref().request_id, request.get_ref())?;
        let appointment_id = required_id("appointment_id", &request.get_ref().appointment_id)?;
        self.run_session(principal, (CHECK_IN, request_id, encoded), appointment_id, Move::CheckIn, None).await
    }

    async fn mark_no_show(&self, request: Request<pb::MarkNoShowRequest>) -> Result<Response<pb::Appointment>, Status> {
        let principal = caller(&request)?;
        let (request_id, encoded) = retry_of(&request.get_ref().request_id, request.get_ref())?;
        let appointment_id = required_id("appointment_id", &request.get_ref().appointment_id)?;
        self.run_session(principal, (NO_SHOW, request_id, encoded), appointment_id, Move::NoShow, None).await
    }

    async fn complete_appointment(
        &self,
        request: Request<pb::CompleteAppointmentRequest>,
    ) -> Result<Response<pb::Appointment>, Status> {
        let principal = caller(&request)?;
        let retry = retry_of(&request.get_ref().request_id, request.get_ref())?;
        let appointments::Complete { appointment_id, outcome } = request.into_inner().try_into()?;
        let retry = (COMPLETE, retry.0, retry.1);
        self.run_session(principal, retry, appointment_id, Move::Complete, Some(outcome)).await
    }

    async fn get_appointment(
        &self,
        request: Request<pb::GetAppointmentRequest>,
    ) -> Result<Response<pb::Appointment>, Status> {
        let principal = caller(&request)?;
        let appointment_id = required_id("id", &request.get_ref().id)?;
        let reply = self
            .read(principal, move |conn, viewer, _| {
                service::get_appointment(conn, viewer, &appointment_id)
                    .and_then(|a| service::zoned(conn, a))
                    .map(appointments::to_proto)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn list_appointments(
        &self,
        request: Request<pb::ListAppointmentsRequest>,
    ) -> Result<Response<pb::ListAppointmentsResponse>, Status> {
        let principal = caller(&request)?;
        let appointments::List { filter, order, page } = (request.into_inner(), &principal).try_into()?;
        let (limit, after) = (page.limit(), page.after.clone());
        order.cursor(after.as_deref())?;
        let fetched = self
            .read(principal, move |conn, viewer, _| {
                let cursor = order.cursor(after.as_deref()).expect("checked above");
                let found = service::list_appointments(conn, viewer, filter, cursor, limit)?;
                service::zoned_all(conn, found)
            })
            .await?;
        let (items, next_page_token) = page.split(fetched, |(a, _)| order.cursor_of(a));
        let appointments = items.into_iter().map(appointments::to_proto).collect();
        Ok(Response::new(pb::ListAppointmentsResponse { appointments, next_page_token }))
    }

    async fn post_message(&self, request: Request<pb::PostMessageRequest>) -> Result<Response<pb::Message>, Status> {
        let principal = caller(&request)?;
        let (request_id, encoded) = retry_of(&request.get_ref().request_id, request.get_ref())?;
        let messages::Post { case_id, body } = request.into_inner().try_into()?;
        let message = self
            .write_maybe_once(principal, POST_MESSAGE, request_id, encoded, move |conn, viewer, _| {
                service::post_message(conn, viewer, &case_id, body, Utc::now()).map(messages::to_proto)
            })
            .await?;
        Ok(Response::new(message))
    }

    async fn list_messages(
        &self,
        request: Request<pb::ListMessagesRequest>,
    ) -> Result<Response<pb::ListMessagesResponse>, Status> {
        let principal = caller(&request)?;
        let messages::List { case_id, page } = request.into_inner().try_into()?;
        let (limit, after) = (page.limit(), page.after.clone());
        let fetched = self
            .read(principal, move |conn, viewer, _| {
                service::list_messages(conn, viewer, &case_id, after.as_deref(), limit)
            })
            .await?;
        let (items, next_page_token) = page.split(fetched, |m| m.id.clone());
        let messages = items.into_iter().map(messages::to_proto).collect();
        Ok(Response::new(pb::ListMessagesResponse { messages, next_page_token }))
    }

    async fn get_statistics(
        &self,
        request: Request<pb::GetStatisticsRequest>,
    ) -> Result<Response<pb::Statistics>, Status> {
        let principal = caller(&request)?;
        let statistics::Query { site_id, mediator_id, from, to } = request.into_inner().try_into()?;
        let stats = self
            .read(principal, move |conn, viewer, _| service::statistics(conn, viewer, site_id, mediator_id, from, to))
            .await?;
        Ok(Response::new(statistics::to_proto(stats)))
    }

    async fn start_session_now(
        &self,
        request: Request<pb::StartSessionNowRequest>,
    ) -> Result<Response<pb::Appointment>, Status> {
        let principal = caller(&request)?;
        let bytes = request.get_ref().encode_to_vec();
        let station::StartNow { request_id, session } = request.into_inner().try_into()?;
        let reply = self
            .write_once(principal, START_NOW, request_id, bytes, move |conn, viewer, settings| {
                service::start_session_now(conn, viewer, settings, session, Utc::now())
                    .and_then(|a| service::zoned(conn, a))
                    .map(appointments::to_proto)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn extend_session(
        &self,
        request: Request<pb::ExtendSessionRequest>,
    ) -> Result<Response<pb::Appointment>, Status> {
        let principal = caller(&request)?;
        let station::Extend { appointment_id, extra } = request.into_inner().try_into()?;
        let reply = self
            .write(principal, move |conn, viewer, settings| {
                service::extend_session(conn, viewer, settings, &appointment_id, extra, Utc::now())
                    .and_then(|a| service::zoned(conn, a))
                    .map(appointments::to_proto)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn get_station_now(
        &self,
        request: Request<pb::GetStationNowRequest>,
    ) -> Result<Response<pb::StationNow>, Status> {
        let principal = caller(&request)?;
        let site_id = required_id("site_id", &request.get_ref().site_id)?;
        let picture = self
            .read(principal, move |conn, viewer, _| service::station_now(conn, viewer, &site_id, Utc::now()))
            .await?;
        Ok(Response::new(station::station_to_proto(picture)))
    }

    async fn respond_to_case(&self, request: Request<pb::RespondToCaseRequest>) -> Result<Response<pb::Case>, Status> {
        let principal = caller(&request)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let station::Respond { case_id, answer } = request.into_inner().try_into()?;
        let reply = self
            .write(principal, move |conn, viewer, _| {
                let shown = service::respond_to_case(conn, viewer, &case_id, answer, Utc::now())?;
                cases::disclose(conn, &actor, shown)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn draft_agreement(
        &self,
        request: Request<pb::DraftAgreementRequest>,
    ) -> Result<Response<pb::Agreement>, Status> {
        let principal = caller(&request)?;
        let bytes = request.get_ref().encode_to_vec();
        let agreements::DraftRequest { request_id, draft } = request.into_inner().try_into()?;
        let reply = self
            .write_once(principal, DRAFT_AGREEMENT, request_id, bytes, move |conn, viewer, settings| {
                service::draft_agreement(conn, viewer, draft, settings.clock.now()).map(agreements::to_proto)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn sign_agreement(
        &self,
        request: Request<pb::SignAgreementRequest>,
    ) -> Result<Response<pb::Agreement>, Status> {
        let principal = caller(&request)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let agreements::Sign { agreement_id, code } = request.into_inner().try_into()?;
        // A refused code commits (its try is counted) and then fails the call.
        let signed = self
            .write(principal, move |conn, viewer, settings| {
                let now = settings.clock.now();
                let signed = service::sign_agreement(conn, viewer, &actor, settings, &agreement_id, &code, now)?;
                Ok(signed.map(agreements::to_proto))
            })
            .await?;
        Ok(Response::new(signed.map_err(|refused| to_status(refused.into()))?))
    }

    async fn get_agreement(
        &self,
        request: Request<pb::GetAgreementRequest>,
    ) -> Result<Response<pb::Agreement>, Status> {
        let principal = caller(&request)?;
        let which: agreements::Which = request.into_inner().try_into()?;
        let reply = self
            .read(principal, move |conn, viewer, _| {
                match which {
                    agreements::Which::Id(id) => service::visible_agreement(conn, viewer, &id),
                    agreements::Which::OfCase(case_id) => service::agreement_of_case(conn, viewer, &case_id),
                }
                .map(agreements::to_proto)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn void_agreement(
        &self,
        request: Request<pb::VoidAgreementRequest>,
    ) -> Result<Response<pb::Agreement>, Status> {
        let principal = caller(&request)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let agreements::Void { agreement_id, reason } = request.into_inner().try_into()?;
        let reply = self
            .write(principal, move |conn, viewer, settings| {
                service::void_agreement(conn, viewer, &actor, &agreement_id, &reason, settings.clock.now())
                    .map(agreements::to_proto)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn export_agreement(
        &self,
        request: Request<pb::ExportAgreementRequest>,
    ) -> Result<Response<pb::ExportAgreementResponse>, Status> {
        let principal = caller(&request)?;
        let id = required_id("id", &request.get_ref().id)?;
        let reply = self
            .read(principal, move |conn, viewer, _| {
                let shown = service::visible_agreement(conn, viewer, &id)?;
                let pdf = service::export_agreement(conn, &shown)?;
                Ok(agreements::export_to_proto(&shown.case.id, pdf))
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn record_follow_up(
        &self,
        request: Request<pb::RecordFollowUpRequest>,
    ) -> Result<Response<pb::FollowUp>, Status> {
        let principal = caller(&request)?;
        let agreements::FollowUpAnswer { case_id, result, note } = request.into_inner().try_into()?;
        let reply = self
            .write(principal, move |conn, viewer, settings| {
                service::record_follow_up(conn, viewer, &case_id, result, &note, settings.clock.now())
                    .map(agreements::follow_up_to_proto)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn proceed_with_case(
        &self,
        request: Request<pb::ProceedWithCaseRequest>,
    ) -> Result<Response<pb::Case>, Status> {
        let principal = caller(&request)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let station::Proceed { case_id, reason } = request.into_inner().try_into()?;
        let reply = self
            .write(principal, move |conn, viewer, _| {
                let shown = service::proceed_with_case(conn, viewer, &case_id, &reason, Utc::now())?;
                cases::disclose(conn, &actor, shown)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn get_join_link(&self, request: Request<pb::GetJoinLinkRequest>) -> Result<Response<pb::JoinLink>, Status> {
        let principal = caller(&request)?;
        let appointment_id = required_id("appointment_id", &request.get_ref().appointment_id)?;
        let provider = self.video.clone();
        let link = self
            .read(principal, move |conn, viewer, settings| {
                service::join_link(conn, viewer, settings, provider.as_ref(), &appointment_id)
            })
            .await?;
        Ok(Response::new(video::to_proto(link)))
    }

    async fn escalate_case(&self, request: Request<pb::EscalateCaseRequest>) -> Result<Response<pb::Case>, Status> {
        let principal = caller(&request)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let tasks::Escalate { case_id, reason } = request.into_inner().try_into()?;
        let reply = self
            .write(principal, move |conn, viewer, _| {
                let shown = service::escalate_case(conn, viewer, &case_id, &reason, Utc::now())?;
                cases::disclose(conn, &actor, shown)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn dispatch_task(&self, request: Request<pb::DispatchTaskRequest>) -> Result<Response<pb::Task>, Status> {
        let principal = caller(&request)?;
        let bytes = request.get_ref().encode_to_vec();
        let tasks::Dispatch { request_id, task } = request.into_inner().try_into()?;
        let reply = self
            .write_once(principal, DISPATCH_TASK, request_id, bytes, move |conn, viewer, _| {
                let now = Utc::now();
                let (task, case) = service::dispatch_task(conn, viewer, task, now)?;
                Ok(tasks::to_proto(task, case, now))
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn acknowledge_task(
        &self,
        request: Request<pb::AcknowledgeTaskRequest>,
    ) -> Result<Response<pb::Task>, Status> {
        let principal = caller(&request)?;
        let task_id = required_id("task_id", &request.get_ref().task_id)?;
        let reply = self
            .write(principal, move |conn, viewer, _| {
                let now = Utc::now();
                let (task, case) = service::acknowledge_task(conn, viewer, &task_id, now)?;
                Ok(tasks::to_proto(task, case, now))
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn report_task(&self, request: Request<pb::ReportTaskRequest>) -> Result<Response<pb::Task>, Status> {
        let principal = caller(&request)?;
        let tasks::Report { task_id, result, note } = request.into_inner().try_into()?;
        let reply = self
            .write(principal, move |conn, viewer, _| {
                let now = Utc::now();
                let (task, case) = service::report_task(conn, viewer, &task_id, result, &note, now)?;
                Ok(tasks::to_proto(task, case, now))
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn list_tasks(
        &self,
        request: Request<pb::ListTasksRequest>,
    ) -> Result<Response<pb::ListTasksResponse>, Status> {
        let principal = caller(&request)?;
        let tasks::List { query, page } = (request.into_inner(), &principal).try_into()?;
        let (limit, after) = (page.limit(), page.after.clone());
        let now = Utc::now();
        let fetched = self
            .read(principal, move |conn, viewer, _| {
                service::list_tasks(conn, viewer, query, now, after.as_deref(), limit)
            })
            .await?;
        let (items, next_page_token) = page.split(fetched, |(task, _)| task.id.clone());
        let tasks = items.into_iter().map(|(task, case)| tasks::to_proto(task, case, now)).collect();
        Ok(Response::new(pb::ListTasksResponse { tasks, next_page_token }))
    }
}
