//! The mediator expertise directory: the site hierarchy (centre > station > kiosk) with time
//! zones and locations, rooms, the taxonomy of specialities, and mediators' public profiles
//! with search. It owns the `sites`, `rooms`, `specialties`, `mediators` and
//! `mediator_specialties` tables, and reads accounts only through the identity crate.
//!
//! Nothing personal about a mediator's account appears in a profile.

pub mod domain;
mod error;
mod index;
mod policy;
pub mod repo;
mod rpc;
pub mod service;

pub use error::{Error, Result, to_status};
pub use policy::POLICY;
pub use rpc::{Directory, RatingLookup, mode_from, mode_to};
