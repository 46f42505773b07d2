//! Mediators' working hours and their exceptions, kept by the mediator or the site's admins.

use chrono_tz::Tz;
use mediation_api::Fault;
use mediation_directory::domain::manages;
use mediation_store::DbConnection;

use crate::domain::ExceptionKind;
use crate::domain::access::Viewer;
use crate::domain::hours::{Hours, Interval};
use crate::error::Result;
use crate::repo;

/// A stored site's time zone. Sites are validated on write, so a bad name is a stored-data bug:
/// an error, never a silent default.
pub fn stored_zone(site: &mediation_directory::domain::Site) -> Result<Tz> {
    Ok(site.zone().map_err(|err| mediation_store::Error::Unreadable(format!("site {}: {err}", site.id)))?)
}

/// A site's time zone, by id.
pub fn site_zone(conn: &mut DbConnection, site_id: &str) -> Result<Tz> {
    let site =
        mediation_directory::repo::site(conn, site_id)?.ok_or_else(|| Fault::invalid("site_id", "no such site"))?;
    Ok(stored_zone(&site)?)
}

/// A mediator keeps their own hours; admins keep the hours at the sites they administer.
fn may_keep_hours(conn: &mut DbConnection, viewer: &Viewer, mediator_id: &str, site_id: &str) -> Result<()> {
    mediation_directory::repo::mediator(conn, mediator_id)?.ok_or(Fault::NotFound("mediator"))?;
    let site =
        mediation_directory::repo::site(conn, site_id)?.ok_or_else(|| Fault::invalid("site_id", "no such site"))?;
    if viewer.mediator_id.as_deref() == Some(mediator_id) || manages(&viewer.principal, &site) {
        Ok(())
    } else {
        Err(Fault::Forbidden("only the mediator or an admin of the site keeps these hours").into())
    }
}

/// Replaces the mediator's weekly rules at the site; returns the site's zone.
pub fn set_working_hours(
    conn: &mut DbConnection,
    viewer: &Viewer,
    mediator_id: &str,
    site_id: &str,
    hours: &Hours,
) -> Result<Tz> {
    may_keep_hours(conn, viewer, mediator_id, site_id)?;
    repo::replace_hours(conn, mediator_id, site_id, hours)?;
    site_zone(conn, site_id)
}

pub fn add_exception(
    conn: &mut DbConnection,
    viewer: &Viewer,
    mediator_id: &str,
    site_id: Option<&str>,
    kind: ExceptionKind,
    span: Interval,
) -> Result<String> {
    match site_id {
        Some(site_id) => may_keep_hours(conn, viewer, mediator_id, site_id)?,
        None if viewer.mediator_id.as_deref() == Some(mediator_id) => {}
        None => {
            let mediator =
                mediation_directory::repo::mediator(conn, mediator_id)?.ok_or(Fault::NotFound("mediator"))?;
            may_keep_hours(conn, viewer, mediator_id, &mediator.home_site_id)?;
        }
    }
    let id = uuid::Uuid::now_v7().to_string();
    repo::insert_exception(conn, &id, mediator_id, site_id, kind, span)?;
    Ok(id)
}
