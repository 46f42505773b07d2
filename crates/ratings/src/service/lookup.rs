//! What several flows read from the directory.

use mediation_api::Fault;
use mediation_directory::domain::{Mediator, Site};
use mediation_store::DbConnection;

use crate::error::Result;

/// The mediator and their home site, whose admins moderate their ratings and read their
/// assessments.
pub(crate) fn home_site(conn: &mut DbConnection, mediator_id: &str) -> Result<(Mediator, Site)> {
    let mediator = mediation_directory::repo::mediator(conn, mediator_id)?.ok_or(Fault::NotFound("mediator"))?;
    let site = mediation_directory::repo::site(conn, &mediator.home_site_id)?.ok_or(Fault::NotFound("site"))?;
    Ok((mediator, site))
}
