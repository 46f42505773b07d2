//! Dispatch of the mobile mediation vans ("流动调解车"): residents' home visits, vans with their
//! shifts and crews, route planning with `vrp-core`, and live status with ETAs.
//!
//! It owns the `vans`, `van_shifts`, `van_crew`, `home_visits`, `dispatch_days` and
//! `dispatch_plans` tables; it reads cases through the appointments crate and sites and
//! mediators through the directory crate, and writes nothing of theirs.
//!
//! **Invariant**: a crew mediator is never on two vans at overlapping times; the database
//! refuses it (`van_crew_no_overlap`). **Invariant**: a plan is applied only to the version of
//! its date it was made from (`dispatch_days`), so a stale plan is refused across processes.

pub mod domain;
mod error;
pub mod events;
mod policy;
pub mod relay;
pub mod repo;
mod rpc;
pub mod service;
pub mod streams;

pub use domain::solomon::solve_file as solve_vrptw;
pub use error::{Error, Result, to_status};
pub use policy::POLICY;
pub use rpc::Dispatch;
pub use service::DispatchSettings;
