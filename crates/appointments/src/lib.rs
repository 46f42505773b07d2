//! Appointments: cases graded by pre-assessment, mediators' working hours, availability,
//! conflict-free booking, the session lifecycle, the written consultation, statistics, the
//! mediation agreement a settled session ends in (drafted, signed by every party with a phone
//! code, exported as a PDF, followed up), and the notices (booked, moved, cancelled, reminder,
//! agreement to sign, follow-up) delivered from an outbox.
//!
//! It owns the `cases`, `case_parties`, `case_events`, `working_hours`, `schedule_exceptions`,
//! `appointments`, `appointment_mediators`, `resource_holds`, `case_messages`, `agreements`,
//! `agreement_signatures`, `follow_ups` and `outbox` tables; it reads sites, rooms and mediators through the directory crate and accounts through
//! the identity crate.
//!
//! It is built in layers, each depending only on those below it: `rpc/` is the gRPC face (one
//! file per resource parses requests into plain values, naming every bad field, and encodes
//! answers; `rpc/error.rs` maps errors to statuses); `service/` runs each flow in the caller's
//! transaction; `domain/` holds the rules as pure functions over plain types (grading, hours,
//! slots, lifecycle, access) with kinds and states as enums; `repo/` holds the SQL, one file per
//! table group. Only `rpc/` knows tonic or prost: below it, failures are [`Error`]s carrying a
//! shared [`mediation_api::Fault`] or this service's own `SlotTaken`.
//!
//! **Invariant**: a mediator or room is never held twice for overlapping time; the database
//! refuses it (`resource_holds_no_overlap`), the checks here only answer sooner.

pub mod clock;
pub mod domain;
mod error;
pub mod notices;
mod policy;
pub mod repo;
mod rpc;
pub mod service;

pub use clock::Clock;
pub use error::{Error, Result};
pub use policy::POLICY;
pub use rpc::{Appointments, outcome_from, outcome_to, to_status};
pub use service::AppointmentSettings;
