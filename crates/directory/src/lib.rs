//! The mediator expertise directory: the site hierarchy (centre > station > kiosk) with time
//! zones and locations, rooms, the taxonomy of specialities, and mediators' public profiles
//! with search. It owns the `sites`, `rooms`, `specialties`, `mediators` and
//! `mediator_specialties` tables, and reads accounts only through the identity crate.
//!
//! Nothing personal about a mediator's account appears in a profile.
//!
//! The crate is layered, each layer using only those below it:
//! - `rpc` is the gRPC face and the only place that knows tonic and prost: one file per
//!   resource parses its requests into plain values (naming every bad field) and encodes the
//!   answers, `rpc/error.rs` maps [`Error`] to a status, and `rpc/mod.rs` holds handlers of a few
//!   lines that parse, run one flow and encode.
//! - [`service`] holds the flows over plain values: who may act on which site, the checks that
//!   need the database, and search over the in-memory index (`index`, rebuilt when the
//!   database's search counters move).
//! - [`domain`] holds the rules as pure functions and the typed kinds; [`repo`] the tables,
//!   where kinds become strings only at the SQL boundary.
//!
//! Errors are plain: [`Error`] wraps the shared [`mediation_api::Fault`] beside the directory's
//! own causes.

pub mod domain;
mod error;
mod index;
mod policy;
pub mod repo;
mod rpc;
pub mod service;

pub use error::{Error, Result};
pub use index::RatingLookup;
pub use policy::POLICY;
pub use rpc::{Directory, mediator_to_proto, mode_from, mode_to};
