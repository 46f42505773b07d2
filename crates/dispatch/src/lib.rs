//! Dispatch of the mobile mediation vans ("流动调解车"): residents' home visits, vans with their
//! shifts and crews, route planning with `vrp-core`, and live status with ETAs.
//!
//! It owns the `vans`, `van_shifts`, `van_crew`, `home_visits`, `dispatch_days` and
//! `dispatch_plans` tables; it reads cases through the appointments crate and sites and
//! mediators through the directory crate, and writes nothing of theirs.
//!
//! Its shape, from the wire down; each layer uses only the ones below it:
//! - `rpc/`, the gRPC face and the only code that sees tonic or prost: a handler of a few lines
//!   per method, the `TryFrom` parsers that name every bad field and the `to_proto` encoders, one
//!   module per resource, and the one mapping of [`Error`] to a status (`rpc/error.rs`).
//! - [`service`]: the flows. [`service::Core`] runs each call (the caller's view, one
//!   transaction, audit records, events), re-plans in the background after a change, and feeds
//!   the watch streams with plain updates; each transaction body is a plain function.
//! - [`domain`]: the rules as pure functions over plain types, and the planner adapter.
//! - [`repo`]: the SQL. Beside these, [`events`] is the in-process bus, [`relay`] carries it
//!   across replicas on PostgreSQL, and [`streams`] counts each caller's open watch streams.
//!
//! Errors are plain values ([`Error`]: the shared `mediation_api::Fault`s and this crate's own
//! causes); service and domain code name the field or the state they refuse.
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
pub use error::{Error, Result, SessionEnd};
pub use policy::POLICY;
pub use rpc::Dispatch;
pub use service::DispatchSettings;
