//! The demo's sites, rooms and mediator profiles, by their fixed ids: created through the
//! directory's service functions with the centre admin as the acting principal, or brought back
//! to the demo's fields.

use anyhow::{Context, bail, ensure};
use mediation_auth::Principal;
use mediation_directory::domain::{
    Mediator, Room, RoomKind, Site, check_capacity, check_level, check_location, parse_languages, parse_text,
    parse_time_zone,
};
use mediation_directory::service::{self as directory, MediatorPatch, RoomPatch, SitePatch};
use mediation_store::DbConnection;

use super::data::MediatorSeed;
use super::ids::mediator_id;

/// Creates the site, or brings its editable fields back to the demo's. Returns whether created.
pub(super) fn upsert_site(conn: &mut DbConnection, principal: &Principal, site: Site) -> anyhow::Result<bool> {
    let name = parse_text(&site.name, 100, true).with_context(|| format!("site {} name", site.id))?;
    let address = parse_text(&site.address, 200, false).with_context(|| format!("site {} address", site.id))?;
    let time_zone = parse_time_zone(&site.time_zone)?;
    let location = site.location.map(check_location).transpose().with_context(|| format!("site {}", site.id))?;
    match mediation_directory::repo::site(conn, &site.id)? {
        Some(existing) => {
            ensure!(
                existing.kind == site.kind && existing.parent_id == site.parent_id,
                "site {} exists as a {} under {:?}, not as the demo's {} under {:?}",
                site.id,
                existing.kind.as_str(),
                existing.parent_id,
                site.kind.as_str(),
                site.parent_id,
            );
            let patch = SitePatch {
                name: Some(name),
                address: Some(address),
                location: Some(location),
                time_zone: Some(time_zone),
                police_desk: None,
            };
            directory::update_site(conn, principal, &site.id, patch)?;
            Ok(false)
        }
        None => {
            directory::create_site(conn, principal, Site { name, address, time_zone, location, ..site })?;
            Ok(true)
        }
    }
}

pub(super) fn upsert_room(
    conn: &mut DbConnection,
    principal: &Principal,
    id: &str,
    site_id: &str,
    name: &str,
    kind: RoomKind,
    capacity: i32,
) -> anyhow::Result<bool> {
    let name = parse_text(name, 100, true).with_context(|| format!("room {id} name"))?;
    let capacity = check_capacity(kind, capacity).with_context(|| format!("room {id} capacity"))?;
    match mediation_directory::repo::room(conn, id)? {
        Some(existing) => {
            ensure!(existing.site_id == site_id, "room {id} exists at {}, not at {site_id}", existing.site_id);
            let patch = RoomPatch { name: Some(name), kind: Some(kind), capacity: Some(capacity) };
            directory::update_room(conn, principal, id, patch)?;
            Ok(false)
        }
        None => {
            let room = Room { id: id.to_owned(), site_id: site_id.to_owned(), name, kind, capacity };
            directory::create_room(conn, principal, room)?;
            Ok(true)
        }
    }
}

/// Creates the profile, or resets it to the demo's (active again). Returns whether created.
pub(super) fn upsert_mediator(
    conn: &mut DbConnection,
    principal: &Principal,
    index: usize,
    seed: &MediatorSeed,
    account_id: String,
    home_site_id: String,
) -> anyhow::Result<bool> {
    let id = mediator_id(index);
    let languages: Vec<String> = seed.languages.iter().map(|l| (*l).to_owned()).collect();
    let mut specialty_codes: Vec<String> = seed.specialties.iter().map(|c| (*c).to_owned()).collect();
    specialty_codes.sort();
    specialty_codes.dedup();
    let mut modes = seed.modes.to_vec();
    modes.sort();
    let mediator = Mediator {
        id: id.clone(),
        account_id,
        display_name: parse_text(seed.name, 100, true).with_context(|| format!("{id} name"))?,
        kind: seed.kind,
        level: check_level(seed.level).with_context(|| format!("{id} level"))?,
        specialty_codes,
        languages: parse_languages(&languages).with_context(|| format!("{id} languages"))?,
        modes,
        home_site_id,
        bio: parse_text(seed.bio, 2000, false).with_context(|| format!("{id} bio"))?,
        active: true,
    };
    match mediation_directory::repo::mediator(conn, &id)? {
        Some(existing) => {
            if existing.account_id != mediator.account_id {
                bail!("{id} is linked to account {}, not to the demo login's", existing.account_id);
            }
            let patch = MediatorPatch {
                display_name: Some(mediator.display_name),
                kind: Some(mediator.kind),
                level: Some(mediator.level),
                specialty_codes: Some(mediator.specialty_codes),
                languages: Some(mediator.languages),
                modes: Some(mediator.modes),
                home_site_id: Some(mediator.home_site_id),
                bio: Some(mediator.bio),
            };
            directory::update_mediator(conn, principal, &id, patch)?;
            if !existing.active {
                directory::set_mediator_active(conn, principal, &id, true)?;
            }
            Ok(false)
        }
        None => {
            directory::create_mediator(conn, principal, mediator)?;
            Ok(true)
        }
    }
}
