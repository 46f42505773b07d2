//! The tracking link: a resident without the app follows their visit from the VISIT_EN_ROUTE
//! SMS. The link's token is 256 random bits; only its SHA-256 is stored, it names one visit, and
//! it stops working when the visit ends. Whoever holds it sees what WatchVisit shows (status, ETA,
//! the van's position rounded until it has ARRIVED), never the address or the case.

use mediation_api::Fault;
use mediation_store::DbConnection;

use super::{Core, VisitUpdate};
use crate::error::{Error, Result};
use crate::repo;

impl Core {
    /// [`tracked_visit`], for anyone holding the token: no account is needed.
    pub async fn visit_by_tracking_token(&self, token: String) -> Result<VisitUpdate> {
        self.db.read::<_, Error, _>(move |conn| tracked_visit(conn, &token)).await
    }
}

/// The visit the token names, as a tracker sees it: NOT_FOUND for a token that names none,
/// FAILED_PRECONDITION (`TRACKING_LINK_EXPIRED`) once the visit is over.
pub fn tracked_visit(conn: &mut DbConnection, token: &str) -> Result<VisitUpdate> {
    let visit_id =
        repo::tracked_visit(conn, &mediation_auth::hash_secret(token))?.ok_or(Fault::NotFound("tracking link"))?;
    let visit = repo::visit(conn, &visit_id)?.ok_or(Fault::NotFound("tracking link"))?;
    if visit.status.is_final() {
        return Err(Fault::state(
            "TRACKING_LINK_EXPIRED",
            format!("the visit is {}: the link no longer works", visit.status.as_str()),
        )
        .into());
    }
    let van_location = match &visit.van_id {
        Some(van_id) => repo::van(conn, van_id)?.and_then(|van| van.location),
        None => None,
    };
    Ok(VisitUpdate::of(&visit, van_location))
}
