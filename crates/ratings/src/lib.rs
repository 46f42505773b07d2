//! Ratings, summaries and assessment: residents rate the sessions they took part in; running
//! sums per mediator give the public summary (with a Bayesian mean); a period's sessions,
//! outcomes and ratings give a mediator's score, level recommendation and pay lines, each
//! explained.
//!
//! It owns the `ratings`, `rating_summaries` and `rating_moderations` tables; it reads
//! appointments and cases through the appointments crate, mediators and sites through the
//! directory, accounts through identity.
//!
//! Its shape, from the wire inwards: `rpc/` is the only place that knows gRPC; its `mod.rs`
//! holds [`Ratings`] and handlers of a few lines, `rpc/{ratings,summaries,assessments}.rs`
//! parse each request into a plain one (`TryFrom`, naming every bad field) and encode the
//! answers, and `rpc/error.rs` maps [`Error`] to a status. `service/` holds the flows by the same
//! resources, each inside the caller's transaction, over those plain requests; they fail with
//! [`Error`] (the shared `mediation_api::Fault` or this crate's own causes), never a status.
//! `domain/` is pure (scores and summaries, the period, assessment and pay), and `repo.rs` is
//! the SQL of the crate's tables. Dependencies point inwards only: rpc -> service -> domain
//! and repo, with `error` beside them all.

pub mod domain;
mod error;
mod policy;
pub mod repo;
mod rpc;
pub mod service;

pub use error::{Error, Result};
pub use policy::POLICY;
pub use rpc::Ratings;
pub use service::RatingSettings;
