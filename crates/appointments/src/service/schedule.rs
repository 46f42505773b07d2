//! Mediators' working hours and their exceptions, kept by the mediator or the site's admins.

use chrono_tz::Tz;
use mediation_api::Fault;
use mediation_directory::domain::manages;
use mediation_store::DbConnection;

use crate::domain::access::Viewer;
use crate::domain::hours::{Hours, Interval};
use crate::domain::{Appointment, ExceptionKind};
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

/// One appointment with its site's time zone.
pub fn zoned(conn: &mut DbConnection, appointment: Appointment) -> Result<(Appointment, Tz)> {
    let zone = site_zone(conn, &appointment.site_id)?;
    Ok((appointment, zone))
}

/// Each appointment with its site's time zone, each site looked up once.
pub fn zoned_all(conn: &mut DbConnection, appointments: Vec<Appointment>) -> Result<Vec<(Appointment, Tz)>> {
    let mut zones: std::collections::HashMap<String, Tz> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(appointments.len());
    for appointment in appointments {
        let zone = match zones.get(&appointment.site_id) {
            Some(zone) => *zone,
            None => {
                let zone = site_zone(conn, &appointment.site_id)?;
                zones.insert(appointment.site_id.clone(), zone);
                zone
            }
        };
        out.push((appointment, zone));
    }
    Ok(out)
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

/// Whoever may add an exception of the mediator at `site_id` (none for LEAVE) may also remove it.
fn may_keep_exception(
    conn: &mut DbConnection,
    viewer: &Viewer,
    mediator_id: &str,
    site_id: Option<&str>,
) -> Result<()> {
    match site_id {
        Some(site_id) => may_keep_hours(conn, viewer, mediator_id, site_id)?,
        None if viewer.mediator_id.as_deref() == Some(mediator_id) => {}
        None => {
            let mediator =
                mediation_directory::repo::mediator(conn, mediator_id)?.ok_or(Fault::NotFound("mediator"))?;
            may_keep_hours(conn, viewer, mediator_id, &mediator.home_site_id)?;
        }
    }
    Ok(())
}

pub fn add_exception(
    conn: &mut DbConnection,
    viewer: &Viewer,
    mediator_id: &str,
    site_id: Option<&str>,
    kind: ExceptionKind,
    span: Interval,
) -> Result<String> {
    may_keep_exception(conn, viewer, mediator_id, site_id)?;
    let id = uuid::Uuid::now_v7().to_string();
    repo::insert_exception(conn, &id, mediator_id, site_id, kind, span)?;
    Ok(id)
}

/// Removes an exception added by mistake.
pub fn delete_exception(conn: &mut DbConnection, viewer: &Viewer, id: &str) -> Result<()> {
    let exception = repo::exception(conn, id)?.ok_or(Fault::NotFound("schedule exception"))?;
    may_keep_exception(conn, viewer, &exception.mediator_id, exception.site_id.as_deref())?;
    Ok(repo::delete_exception(conn, id)?)
}

/// The mediator's weekly hours at each site, with that site's zone.
pub fn working_hours(conn: &mut DbConnection, mediator_id: &str) -> Result<Vec<(String, Hours, Tz)>> {
    mediation_directory::repo::mediator(conn, mediator_id)?.ok_or(Fault::NotFound("mediator"))?;
    let mine = [mediator_id.to_owned()];
    let mut out = Vec::new();
    for (_, site_id, hours) in repo::hours(conn, Some(&mine), None)? {
        let zone = site_zone(conn, &site_id)?;
        out.push((site_id, hours, zone));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// The mediator's exceptions overlapping `window`, with their ids.
pub fn schedule_exceptions(
    conn: &mut DbConnection,
    mediator_id: &str,
    window: Interval,
) -> Result<Vec<(String, crate::domain::ScheduleException)>> {
    mediation_directory::repo::mediator(conn, mediator_id)?.ok_or(Fault::NotFound("mediator"))?;
    Ok(repo::exceptions_with_ids(conn, mediator_id, window)?)
}
