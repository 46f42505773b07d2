//! The directory's flows, in plain values: what the face calls once a request is parsed. Each
//! write runs inside the caller's transaction: it reads what it needs, checks the caller may act
//! on that site, applies the rules and writes through the repo. Reads find a resource or say it
//! is missing; search answers from the in-memory index.

use chrono::Utc;
use mediation_api::Fault;
use mediation_auth::{Principal, Role};
use mediation_store::{Db, DbConnection, is_unique_violation};

use crate::domain::search::{Cursor, RatingSummary, SearchFilter};
use crate::domain::{
    LatLng, Mediator, MediatorKind, Mode, PoliceDesk, Room, RoomKind, Site, SiteKind, check_capacity, check_parent,
    check_police_desk, manages,
};
use crate::error::{Error, Result, invalid};
use crate::index::IndexCache;
use crate::repo;

/// The fields an update mask named, already validated.
#[derive(Debug, Default)]
pub struct SitePatch {
    pub name: Option<String>,
    pub address: Option<String>,
    pub location: Option<Option<LatLng>>,
    pub time_zone: Option<String>,
    /// The whole police desk, replacing the stored one.
    pub police_desk: Option<PoliceDesk>,
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

/// A taxonomy entry: (code, name_zh, name_en), in the taxonomy's order.
pub type Specialty = (String, String, String);

/// One page of a search: each mediator with their rating summary, and where the next page
/// starts when there is one.
#[derive(Debug)]
pub struct SearchPage {
    pub hits: Vec<(Mediator, RatingSummary)>,
    pub next: Option<Cursor>,
}

fn require_manages(principal: &Principal, site: &Site) -> Result<()> {
    if manages(principal, site) { Ok(()) } else { Err(Fault::Forbidden("you do not administer that site").into()) }
}

pub fn site(conn: &mut DbConnection, id: &str) -> Result<Site> {
    Ok(repo::site(conn, id)?.ok_or(Fault::NotFound("site"))?)
}

/// Up to `limit` sites after `after_id` in id order, under `parent_id` and of `kind` when given.
pub fn list_sites(
    conn: &mut DbConnection,
    parent_id: Option<&str>,
    kind: Option<SiteKind>,
    after_id: Option<&str>,
    limit: usize,
) -> Result<Vec<Site>> {
    Ok(repo::list_sites(conn, parent_id, kind, after_id, limit as i64)?)
}

/// Up to `limit` rooms of `site_id` after `after_id` in id order.
pub fn list_rooms(conn: &mut DbConnection, site_id: &str, after_id: Option<&str>, limit: usize) -> Result<Vec<Room>> {
    Ok(repo::list_rooms(conn, site_id, after_id, limit as i64)?)
}

pub fn specialties(conn: &mut DbConnection) -> Result<Vec<Specialty>> {
    Ok(repo::specialties(conn)?)
}

/// The taxonomy, read from the database once per process: only migrations write it, and they
/// run before the server starts, so it cannot change under a running process.
pub async fn taxonomy(db: &Db, kept: &tokio::sync::OnceCell<Vec<Specialty>>) -> Result<Vec<Specialty>> {
    let taxonomy = kept.get_or_try_init(|| db.read(specialties)).await?;
    Ok(taxonomy.clone())
}

pub fn mediator(conn: &mut DbConnection, id: &str) -> Result<Mediator> {
    Ok(repo::mediator(conn, id)?.ok_or(Fault::NotFound("mediator"))?)
}

/// The page of `size` after `after` of the active mediators `filter` matches, from an index at
/// least as new as the last committed write. A site filter must name a site.
pub async fn search_mediators(
    db: &Db,
    index: &IndexCache,
    filter: &SearchFilter,
    after: Option<&Cursor>,
    size: usize,
) -> Result<SearchPage> {
    let index = index.current(db).await?;
    if let Some(site_id) = &filter.site_id
        && !index.has_site(site_id)
    {
        return Err(invalid("site_id", "no such site"));
    }
    let (hits, next) = index.search(filter, after, size);
    Ok(SearchPage { hits: hits.into_iter().map(|(m, rating)| (m.clone(), rating)).collect(), next })
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

/// [`create_site`] with its police desk (a station's; any other kind must have none).
pub fn create_site_with_desk(
    conn: &mut DbConnection,
    principal: &Principal,
    site: Site,
    desk: PoliceDesk,
) -> Result<(Site, PoliceDesk)> {
    check_police_desk(site.kind, &desk).map_err(|e| invalid("site.police_desk", e))?;
    let site = create_site(conn, principal, site)?;
    repo::set_police_desk(conn, &site.id, &desk)?;
    Ok((site, desk))
}

/// The site, with its police desk when `principal` administers it (the desk is not published).
pub fn site_as_seen_by(
    conn: &mut DbConnection,
    principal: Option<&Principal>,
    id: &str,
) -> Result<(Site, Option<PoliceDesk>)> {
    let site = site(conn, id)?;
    let desk = match principal {
        Some(principal) if manages(principal, &site) => Some(repo::police_desk(conn, id)?),
        _ => None,
    };
    Ok((site, desk))
}
/// Applies `patch` to the site the principal administers; answers it with its police desk.
pub fn update_site(
    conn: &mut DbConnection,
    principal: &Principal,
    id: &str,
    patch: SitePatch,
) -> Result<(Site, PoliceDesk)> {
    let mut site = repo::site(conn, id)?.ok_or(Fault::NotFound("site"))?;
    require_manages(principal, &site)?;
    if let Some(desk) = patch.police_desk {
        check_police_desk(site.kind, &desk).map_err(|e| invalid("site.police_desk", e))?;
        repo::set_police_desk(conn, id, &desk)?;
    }
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
    let desk = repo::police_desk(conn, id)?;
    Ok((site, desk))
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
    let mut room = repo::room(conn, id)?.ok_or(Fault::NotFound("room"))?;
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
    let mut mediator = repo::mediator(conn, id)?.ok_or(Fault::NotFound("mediator"))?;
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
    let mut mediator = repo::mediator(conn, id)?.ok_or(Fault::NotFound("mediator"))?;
    managed_site(conn, principal, "id", &mediator.home_site_id)?;
    mediator.active = active;
    repo::update_mediator(conn, &mediator, Utc::now())?;
    Ok(mediator)
}
