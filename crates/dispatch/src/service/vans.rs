//! Vans, their depots and status, and their shifts with crews.

use chrono::{DateTime, NaiveDate, Utc};
use mediation_api::Fault;
use mediation_appointments::domain::access::Viewer;
use mediation_auth::Principal;
use mediation_directory::domain::SiteKind;
use mediation_store::DbConnection;

use super::{Core, PageRequest, require_dispatcher, station};
use crate::domain::{Shift, Van, VanStatus, local_day};
use crate::error::{Error, Result};
use crate::repo;

impl Core {
    pub async fn update_van(&self, principal: Principal, id: String, patch: VanPatch) -> Result<Van> {
        self.write(principal, move |conn, viewer| update_van(conn, viewer, &id, patch, Utc::now())).await
    }

    /// [`set_van_status`]; a van going out of service re-plans the dates it was to drive.
    pub async fn set_van_status(&self, principal: Principal, id: String, status: VanStatus) -> Result<Van> {
        let account = principal.account_id.clone();
        let (van, days) = self
            .write(principal, move |conn, viewer| {
                let van = set_van_status(conn, viewer, &id, status, Utc::now())?;
                let days = days_to_replan(conn, &van)?;
                Ok((van, days))
            })
            .await?;
        if van.status == VanStatus::OutOfService {
            for day in days {
                self.replan(van.depot_site_id.clone(), day, account.clone());
            }
        }
        Ok(van)
    }

    /// A page of [`list_vans`] and the next page's token.
    pub async fn list_vans(
        &self,
        principal: Principal,
        depot: Option<String>,
        page: PageRequest,
    ) -> Result<(Vec<Van>, String)> {
        let (after, limit) = (page.after.clone(), page.limit());
        let items =
            self.read(principal, move |conn, viewer| list_vans(conn, viewer, depot, after.as_deref(), limit)).await?;
        Ok(page.cut(items, |van| &van.id))
    }

    pub async fn set_shift(&self, principal: Principal, shift: Shift) -> Result<Shift> {
        self.write(principal, move |conn, viewer| set_shift(conn, viewer, shift)).await
    }

    /// [`list_shifts`].
    pub async fn list_shifts(
        &self,
        principal: Principal,
        van_id: String,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<Shift>> {
        self.read(principal, move |conn, viewer| list_shifts(conn, viewer, &van_id, from, to)).await
    }
}

/// The van's shifts on the dates of [`from`, `to`): for the staff of its depot station and
/// centre-wide staff, as [`list_vans`] shows the van itself.
pub fn list_shifts(
    conn: &mut DbConnection,
    viewer: &Viewer,
    van_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Shift>> {
    let van = existing_van(conn, van_id)?;
    let centre_wide = viewer.is_centre_wide() || viewer.role() == mediation_auth::Role::CentreAdmin;
    if !centre_wide && viewer.station.as_deref() != Some(van.depot_site_id.as_str()) {
        return Err(Fault::Forbidden("staff see the shifts of their own station's vans").into());
    }
    Ok(repo::shifts_between(conn, van_id, from, to)?)
}

fn station_site(conn: &mut DbConnection, id: &str) -> Result<()> {
    match mediation_directory::repo::site(conn, id)? {
        Some(site) if site.kind == SiteKind::Station => Ok(()),
        Some(_) => Err(Fault::invalid("depot_site_id", "must be a station").into()),
        None => Err(Fault::invalid("depot_site_id", "names no site").into()),
    }
}

fn existing_van(conn: &mut DbConnection, id: &str) -> Result<Van> {
    Ok(repo::van(conn, id)?.ok_or(Fault::NotFound("van"))?)
}

pub fn register_van(conn: &mut DbConnection, viewer: &Viewer, new: Van, now: DateTime<Utc>) -> Result<Van> {
    require_dispatcher(viewer, &new.depot_site_id)?;
    station_site(conn, &new.depot_site_id)?;
    if repo::plate_taken(conn, &new.plate, None)? {
        return Err(Error::AlreadyExists("a van with that plate is registered"));
    }
    let van = Van {
        id: uuid::Uuid::now_v7().to_string(),
        status: VanStatus::Available,
        location: None,
        located_at: None,
        ..new
    };
    repo::insert_van(conn, &van, now)?;
    repo::bump_station(conn, &van.depot_site_id)?;
    Ok(van)
}

/// What UpdateVan may change.
#[derive(Debug, Clone, Default)]
pub struct VanPatch {
    pub plate: Option<String>,
    pub seats: Option<i32>,
    pub depot_site_id: Option<String>,
}

pub fn update_van(
    conn: &mut DbConnection,
    viewer: &Viewer,
    id: &str,
    patch: VanPatch,
    now: DateTime<Utc>,
) -> Result<Van> {
    let mut van = existing_van(conn, id)?;
    require_dispatcher(viewer, &van.depot_site_id)?;
    let old_depot = van.depot_site_id.clone();
    if let Some(plate) = patch.plate {
        if repo::plate_taken(conn, &plate, Some(id))? {
            return Err(Error::AlreadyExists("a van with that plate is registered"));
        }
        van.plate = plate;
    }
    if let Some(seats) = patch.seats {
        van.seats = seats;
    }
    if let Some(depot) = patch.depot_site_id {
        require_dispatcher(viewer, &depot)?;
        station_site(conn, &depot)?;
        van.depot_site_id = depot;
    }
    repo::update_van(conn, &van, now)?;
    repo::bump_station(conn, &old_depot)?;
    repo::bump_station(conn, &van.depot_site_id)?;
    Ok(van)
}

/// AVAILABLE or OUT_OF_SERVICE; either way the station's plans made before are stale.
pub fn set_van_status(
    conn: &mut DbConnection,
    viewer: &Viewer,
    id: &str,
    status: VanStatus,
    now: DateTime<Utc>,
) -> Result<Van> {
    let mut van = existing_van(conn, id)?;
    require_dispatcher(viewer, &van.depot_site_id)?;
    van.status = status;
    repo::update_van(conn, &van, now)?;
    repo::bump_station(conn, &van.depot_site_id)?;
    Ok(van)
}

/// The dates whose plans a change to `van` can upset: today (in the depot's zone) and its next
/// shift day from today on.
fn days_to_replan(conn: &mut DbConnection, van: &Van) -> Result<Vec<chrono::NaiveDate>> {
    let today = Utc::now().with_timezone(&super::station(conn, &van.depot_site_id)?.zone).date_naive();
    let mut days = vec![today];
    if let Some(next) = repo::next_shift_day(conn, &van.id, today)?
        && next != today
    {
        days.push(next);
    }
    Ok(days)
}

/// Vans of `depot` (required for staff bound to a station, who see only their own).
pub fn list_vans(
    conn: &mut DbConnection,
    viewer: &Viewer,
    depot: Option<String>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Van>> {
    let depot = match (depot, viewer.is_centre_wide() || viewer.role() == mediation_auth::Role::CentreAdmin) {
        (depot, true) => depot,
        (Some(depot), false) if viewer.station.as_deref() == Some(depot.as_str()) => Some(depot),
        (None, false) if viewer.station.is_some() => viewer.station.clone(),
        _ => return Err(Fault::Forbidden("staff see the vans of their own station").into()),
    };
    Ok(repo::list_vans(conn, depot.as_deref(), after, limit)?)
}

/// Replaces the van's shift on `day`. The crew must fit in the van's seats; crew mediators must
/// exist, be active, and be free: not on another van (the database refuses that too) and not
/// booked for a station session.
pub fn set_shift(conn: &mut DbConnection, viewer: &Viewer, shift: Shift) -> Result<Shift> {
    let van = existing_van(conn, &shift.van_id)?;
    require_dispatcher(viewer, &van.depot_site_id)?;
    let depot = station(conn, &van.depot_site_id)?;
    if local_day(shift.start, depot.zone) != shift.day {
        return Err(Fault::invalid("start", "must be on the shift's date at the van's station").into());
    }
    if shift.crew_mediator_ids.len() > usize::try_from(van.seats).unwrap_or(0) {
        return Err(Fault::invalid("crew_mediator_ids", format!("the van has {} seats", van.seats)).into());
    }
    for (i, mediator_id) in shift.crew_mediator_ids.iter().enumerate() {
        match mediation_directory::repo::mediator(conn, mediator_id)? {
            Some(m) if m.active => {}
            _ => return Err(Fault::invalid(&format!("crew_mediator_ids[{i}]"), "names no active mediator").into()),
        }
    }
    let taken = repo::crew_elsewhere(conn, &shift.crew_mediator_ids, &shift.van_id, shift.start, shift.end)?;
    if let Some(first) = taken.first() {
        return Err(Error::CrewTaken(format!("mediator {first} is on another van")));
    }
    let holds: Vec<String> = shift.crew_mediator_ids.iter().map(|m| format!("mediator:{m}")).collect();
    let span = mediation_appointments::domain::hours::Interval::new(shift.start, shift.end)
        .map_err(|_| Fault::invalid("end", "must be after start"))?;
    let booked = mediation_appointments::repo::held(conn, &holds, span, None)?;
    if let Some(first) = booked.first() {
        return Err(Error::CrewTaken(format!("{first} is booked for a station session")));
    }
    repo::replace_shift(conn, &shift)?;
    repo::bump_day(conn, &van.depot_site_id, shift.day)?;
    Ok(shift)
}

/// The van's shift on `day`, if any.
pub fn shift_of(conn: &mut DbConnection, van_id: &str, day: NaiveDate) -> Result<Option<Shift>> {
    Ok(repo::shifts(conn, &[van_id.to_owned()], day)?.pop())
}
