//! Ratings, summaries and assessment: residents rate the sessions they took part in; running
//! sums per mediator give the public summary (with a Bayesian mean); a period's sessions,
//! outcomes and ratings give a mediator's score, level recommendation and pay lines, each
//! explained.
//!
//! It owns the `ratings`, `rating_summaries` and `rating_moderations` tables; it reads
//! appointments and cases through the appointments crate, mediators and sites through the
//! directory, accounts through identity.

pub mod domain;
mod error;
mod policy;
pub mod repo;
mod rpc;
pub mod service;

pub use error::{Error, Result, to_status};
pub use policy::POLICY;
pub use rpc::Ratings;
pub use service::RatingSettings;
