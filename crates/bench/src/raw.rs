//! The raw database ceiling for `book`: the writes of one BookAppointment (the idempotency
//! claim and record, the appointment, its mediator link, the resource holds, the case's status
//! and history, the notice and reminder in the outbox) done by a plain loop through the store's
//! pool, in one `Db::write` transaction each (`BEGIN IMMEDIATE` with the same pragmas on SQLite;
//! PostgreSQL as the repo does it), with the appointments crate's own repo and notice functions.
//! No gRPC, no token, no validation, and none of the reads that decide whether the booking is
//! allowed: what is left is what the database costs. `book` over this is the share of the
//! ceiling the service reaches.
//!
//! The idempotency claim and record go through `mediation_api::idempotent::once`, as the
//! service's `BookAppointment` does, and the booking's own writes through
//! `mediation_appointments::service::record_booking`, the function `service::book` calls once
//! its checks pass, so the ceiling cannot drift from the service.

use std::sync::Arc;

use chrono::Utc;
use mediation_api::appointments::v1 as pb;
use mediation_appointments::AppointmentSettings;
use mediation_appointments::domain::Case;
use mediation_appointments::repo;
use mediation_appointments::service::record_booking;
use mediation_store::Db;
use mediation_store::idempotency::Key;
use prost::Message;
use tonic::Status;

use crate::load::Worker;
use crate::scenario::{Outcome, Shared};

/// The idempotency key's method, as the service records it.
const BOOK_METHOD: &str = "/mediation.appointments.v1.AppointmentService/BookAppointment";
pub const NAME: &str = "book-raw-db";
pub const VARIANTS: &[&str] = &["same-writes"];

/// A worker writing bookings straight through the pool, as one resident.
pub struct RawBooker {
    db: Db,
    shared: Arc<Shared>,
    resident: usize,
    settings: AppointmentSettings,
    /// The resident's ORDINARY case, read once on the first call.
    case: Option<Arc<Case>>,
}

impl RawBooker {
    pub fn new(db: Db, shared: Arc<Shared>, worker: usize) -> Self {
        let resident = worker % shared.district.residents.len().max(1);
        Self { db, shared, resident, settings: AppointmentSettings::default(), case: None }
    }

    async fn book(&mut self) -> Result<usize, Status> {
        let district = self.shared.district.clone();
        let resident =
            district.residents.get(self.resident).ok_or_else(|| Status::failed_precondition("no residents"))?;
        let case = match &self.case {
            Some(case) => case.clone(),
            None => {
                let id = resident.cases[0].clone();
                let case = self
                    .db
                    .read::<_, mediation_appointments::Error, _>(move |conn| Ok(repo::case(conn, &id)?))
                    .await
                    .map_err(mediation_appointments::to_status)?
                    .ok_or_else(|| Status::not_found("the seeded case is missing"))?;
                self.case.insert(Arc::new(case)).clone()
            }
        };
        let Some((bookable, span)) = district.booking_slot(self.shared.take_slot()) else {
            return Err(Status::resource_exhausted("the seeded slots ran out; seed more mediators"));
        };
        let account_id = resident.account_id.clone();
        let appointment = bookable.session(&case.id, span, &account_id);
        let timestamp = |t: chrono::DateTime<Utc>| prost_types::Timestamp { seconds: t.timestamp(), nanos: 0 };
        let request = pb::BookAppointmentRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            case_id: case.id.clone(),
            start: Some(timestamp(span.start)),
            end: Some(timestamp(span.end)),
            mediator_ids: appointment.mediator_ids.clone(),
            room_id: bookable.room_id.clone(),
            mode: mediation_api::directory::v1::MediationMode::InPerson.into(),
        };
        let response = pb::Appointment {
            id: appointment.id.clone(),
            case_id: case.id.clone(),
            start: request.start,
            end: request.end,
            mediator_ids: appointment.mediator_ids.clone(),
            site_id: appointment.site_id.clone(),
            room_id: bookable.room_id.clone(),
            mode: request.mode,
            status: pb::AppointmentStatus::Booked.into(),
            ..Default::default()
        };
        let settings = self.settings.clone();
        self.db
            .write::<_, mediation_appointments::Error, _>(move |conn| {
                let now = Utc::now();
                let key = Key { principal: &account_id, method: BOOK_METHOD, request_id: &request.request_id };
                mediation_api::idempotent::once(conn, key, &request.encode_to_vec(), |conn| {
                    record_booking(conn, &settings, &case, &appointment, &account_id, now)?;
                    Ok::<_, mediation_appointments::Error>(response)
                })
            })
            .await
            .map_err(mediation_appointments::to_status)?;
        Ok(1)
    }
}

impl Worker for RawBooker {
    async fn call(&mut self) -> Outcome {
        (0, self.book().await)
    }
}

pub const BARE_NAME: &str = "commit-bare";
pub const BARE_VARIANTS: &[&str] = &["one-insert"];

/// The database's bare durable commit rate: one write transaction (`Db::write`, the same
/// durability as a booking) holding one small insert, an idempotency claim under a fresh id.
/// The raw ceiling over this says how much of a booking's cost is its own writes, and how much
/// is the commit every write pays.
pub struct BareCommit {
    db: Db,
}

impl BareCommit {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

impl Worker for BareCommit {
    async fn call(&mut self) -> Outcome {
        let request_id = uuid::Uuid::new_v4().to_string();
        let committed = self
            .db
            .write::<_, mediation_store::Error, _>(move |conn| {
                let key = Key { principal: "bench", method: BARE_NAME, request_id: &request_id };
                mediation_store::idempotency::claim(conn, key, b"")?;
                Ok(())
            })
            .await;
        (0, committed.map(|()| 1).map_err(|err| Status::internal(err.to_string())))
    }
}
