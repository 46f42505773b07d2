//! Appointments: cases graded by pre-assessment, mediators' working hours, availability,
//! conflict-free booking, the session lifecycle, the written consultation, statistics, and the
//! notices (booked, moved, cancelled, reminder) delivered from an outbox.
//!
//! It owns the `cases`, `case_parties`, `case_events`, `working_hours`, `schedule_exceptions`,
//! `appointments`, `appointment_mediators`, `resource_holds`, `case_messages` and `outbox`
//! tables; it reads sites, rooms and mediators through the directory crate and accounts through
//! the identity crate.
//!
//! **Invariant**: a mediator or room is never held twice for overlapping time; the database
//! refuses it (`resource_holds_no_overlap`), the checks here only answer sooner.

pub mod domain;
mod error;
pub mod notices;
mod policy;
pub mod repo;
mod rpc;
pub mod service;

pub use error::{Error, Result, to_status};
pub use policy::POLICY;
pub use rpc::Appointments;
pub use service::AppointmentSettings;
