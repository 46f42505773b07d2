//! The directory's flows. Each runs inside the caller's transaction: it reads what it needs,
//! checks the caller may act on that site, applies the rules and writes through the repo.

use chrono::Utc;
use mediation_auth::{Principal, Role};
use mediation_store::{DbConnection, is_unique_violation};

use crate::domain::{
    LatLng, Mediator, MediatorKind, Mode, Room, RoomKind, Site, check_capacity, check_parent, manages,
};
use crate::error::{Error, Result, invalid};
use crate::repo;

/// The fields an update mask named, already validated.
#[derive(Debug, Default)]
pub struct SitePatch {
    pub name: Option<String>,
    pub address: Option<String>,
    pub location: Option<Option<LatLng>>,
    pub time_zone: Option<String>,
}

#[derive(Debug, Default)]
pub struct RoomPatch {
    pub name: Option<String>,
    pub kind: Option<RoomKind>,
    pub capacity: Option<i32>,
}

#[derive(Debug, Default)]
pub struct MediatorPatch {
    pub display_name: Option<String>,
    pub kind: Option<MediatorKind>,
    pub level: Option<i32>,
    pub specialty_codes: Option<Vec<String>>,
    pub languages: Option<Vec<String>>,
    pub modes: Option<Vec<Mode>>,
    pub home_site_id: Option<String>,
    pub bio: Option<String>,
}

fn require_manages(principal: &Principal, site: &Site) -> Result<()> {
    if manages(principal, site) { Ok(()) } else { Err(Error::Forbidden("you do not administer that site")) }
}

pub fn create_site(conn: &mut DbConnection, principal: &Principal, site: Site) -> Result<Site> {
    let parent_kind = match &site.parent_id {
        Some(parent_id) => {
            Some(repo::site(conn, parent_id)?.ok_or_else(|| invalid("site.parent_id", "no such site"))?.kind)
        }
        None => None,
    };
    check_parent(site.kind, parent_kind).map_err(|e| invalid("site.parent_id", e))?;
    require_manages(principal, &site)?;
    repo::insert_site(conn, &site, Utc::now())?;
    Ok(site)
}

pub fn update_site(conn: &mut DbConnection, principal: &Principal, id: &str, patch: SitePatch) -> Result<Site> {
    let mut site = repo::site(conn, id)?.ok_or(Error::NotFound("site"))?;
    require_manages(principal, &site)?;
    if let Some(name) = patch.name {
        site.name = name;
    }
    if let Some(address) = patch.address {
        site.address = address;
    }
    if let Some(location) = patch.location {
        site.location = location;
    }
    if let Some(time_zone) = patch.time_zone {
        site.time_zone = time_zone;
    }
    repo::update_site(conn, &site, Utc::now())?;
    Ok(site)
}

fn managed_site(conn: &mut DbConnection, principal: &Principal, field: &str, site_id: &str) -> Result<Site> {
    let site = repo::site(conn, site_id)?.ok_or_else(|| invalid(field, "no such site"))?;
    require_manages(principal, &site)?;
    Ok(site)
}

pub fn create_room(conn: &mut DbConnection, principal: &Principal, room: Room) -> Result<Room> {
    managed_site(conn, principal, "room.site_id", &room.site_id)?;
    repo::insert_room(conn, &room, Utc::now())?;
    Ok(room)
}

pub fn update_room(conn: &mut DbConnection, principal: &Principal, id: &str, patch: RoomPatch) -> Result<Room> {
    let mut room = repo::room(conn, id)?.ok_or(Error::NotFound("room"))?;
    managed_site(conn, principal, "room.site_id", &room.site_id)?;
    if let Some(name) = patch.name {
        room.name = name;
    }
    if let Some(kind) = patch.kind {
        room.kind = kind;
    }
    if let Some(capacity) = patch.capacity {
        room.capacity = capacity;
    }
    check_capacity(room.kind, room.capacity).map_err(|e| invalid("room.capacity", e))?;
    repo::update_room(conn, &room, Utc::now())?;
    Ok(room)
}

fn check_specialties(conn: &mut DbConnection, codes: &[String]) -> Result<()> {
    let known = repo::known_specialties(conn, codes)?;
    let unknown: Vec<&str> = codes.iter().filter(|c| !known.contains(c)).map(String::as_str).collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(invalid("mediator.specialty_codes", format!("unknown specialities: {}", unknown.join(", "))))
    }
}

pub fn create_mediator(conn: &mut DbConnection, principal: &Principal, mediator: Mediator) -> Result<Mediator> {
    managed_site(conn, principal, "mediator.home_site_id", &mediator.home_site_id)?;
    let account = mediation_identity::repo::account_by_id(conn, &mediator.account_id)?;
    if !account.is_some_and(|a| a.role == Role::Mediator) {
        return Err(invalid("mediator.account_id", "must be the id of a MEDIATOR account"));
    }
    if repo::mediator_by_account(conn, &mediator.account_id)?.is_some() {
        return Err(Error::AccountLinked);
    }
    check_specialties(conn, &mediator.specialty_codes)?;
    match repo::insert_mediator(conn, &mediator, Utc::now()) {
        Err(err) if is_unique_violation(&err) => Err(Error::AccountLinked),
        other => Ok(other?),
    }?;
    Ok(mediator)
}

pub fn update_mediator(
    conn: &mut DbConnection,
    principal: &Principal,
    id: &str,
    patch: MediatorPatch,
) -> Result<Mediator> {
    let mut mediator = repo::mediator(conn, id)?.ok_or(Error::NotFound("mediator"))?;
    managed_site(conn, principal, "mediator.home_site_id", &mediator.home_site_id)?;
    if let Some(home) = patch.home_site_id {
        managed_site(conn, principal, "mediator.home_site_id", &home)?;
        mediator.home_site_id = home;
    }
    if let Some(codes) = patch.specialty_codes {
        check_specialties(conn, &codes)?;
        mediator.specialty_codes = codes;
    }
    let MediatorPatch { display_name, kind, level, languages, modes, bio, .. } = patch;
    mediator.display_name = display_name.unwrap_or(mediator.display_name);
    mediator.kind = kind.unwrap_or(mediator.kind);
    mediator.level = level.unwrap_or(mediator.level);
    mediator.languages = languages.unwrap_or(mediator.languages);
    mediator.modes = modes.unwrap_or(mediator.modes);
    mediator.bio = bio.unwrap_or(mediator.bio);
    repo::update_mediator(conn, &mediator, Utc::now())?;
    Ok(mediator)
}

pub fn set_mediator_active(conn: &mut DbConnection, principal: &Principal, id: &str, active: bool) -> Result<Mediator> {
    let mut mediator = repo::mediator(conn, id)?.ok_or(Error::NotFound("mediator"))?;
    managed_site(conn, principal, "id", &mediator.home_site_id)?;
    mediator.active = active;
    repo::update_mediator(conn, &mediator, Utc::now())?;
    Ok(mediator)
}
