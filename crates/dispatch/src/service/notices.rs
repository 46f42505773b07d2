//! A home visit's notices to its resident, written to the appointments outbox in the
//! transaction of the change they announce and delivered by its worker through the notification
//! sink. The texts are `domain::notices`; this finds the resident's phone and the station's name.

use chrono::{DateTime, Utc};
use mediation_appointments::domain::NoticeKind;
use mediation_store::DbConnection;

use crate::domain::HomeVisit;
use crate::error::Result;

/// The station's name as residents know it (its id when it has none).
pub(super) fn station_name(conn: &mut DbConnection, station_id: &str) -> Result<String> {
    Ok(mediation_directory::repo::site(conn, station_id)?.map_or_else(|| station_id.to_owned(), |s| s.name))
}

/// Sends `text` of `kind` to the resident the visit is for, if the case names a phone.
pub(super) fn to_resident(
    conn: &mut DbConnection,
    visit: &HomeVisit,
    kind: NoticeKind,
    text: String,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(case) = mediation_appointments::repo::case(conn, &visit.case_id)? else { return Ok(()) };
    if let Some(phone) = mediation_appointments::notices::resident_phone(conn, &case)? {
        mediation_appointments::notices::enqueue_now(conn, kind, &phone, text, now)?;
    }
    Ok(())
}
