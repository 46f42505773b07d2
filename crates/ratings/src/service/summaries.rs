//! A mediator's public summary, and every mediator's for the directory's search. Both read the
//! running sums: nothing here aggregates ratings.

use mediation_api::Fault;
use mediation_directory::domain::search::{RatingBook, RatingSummary};
use mediation_store::DbConnection;

use super::settings::RatingSettings;
use crate::domain::summary::{Prior, Summary, Sums};
use crate::error::Result;
use crate::repo;

/// The summary of one mediator's visible ratings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetSummary {
    pub mediator_id: String,
}

pub fn summary(conn: &mut DbConnection, settings: &RatingSettings, req: &GetSummary) -> Result<Summary> {
    mediation_directory::repo::mediator(conn, &req.mediator_id)?.ok_or(Fault::NotFound("mediator"))?;
    Ok(repo::sums(conn, &req.mediator_id)?.summary(settings.prior))
}

/// Every rated mediator's summary for the directory's search (min_rating, rating order); an
/// unrated mediator stands at the prior.
pub fn rating_book(conn: &mut DbConnection, prior: Prior) -> Result<RatingBook, diesel::result::Error> {
    let summary = |s: Summary| RatingSummary { count: s.count, mean: s.mean, bayesian_mean: s.bayesian_mean };
    Ok(RatingBook {
        by_mediator: repo::all_sums(conn)?.into_iter().map(|(id, sums)| (id, summary(sums.summary(prior)))).collect(),
        unrated: summary(Sums::default().summary(prior)),
    })
}
