//! The directory tables: sites, rooms, specialties, mediators and their specialities.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use mediation_store::DbConnection;
use mediation_store::schema::{mediator_specialties, mediators, rooms, search_generation, sites, specialties};

use crate::domain::{LatLng, Mediator, MediatorKind, PoliceDesk, Room, Site, SiteKind, join_list, split_list};

pub type QueryResult<T> = Result<T, diesel::result::Error>;

fn naive(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = sites)]
struct SiteRow {
    id: String,
    name: String,
    kind: String,
    parent_id: Option<String>,
    time_zone: String,
    address: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
}

impl From<SiteRow> for Site {
    fn from(row: SiteRow) -> Self {
        Site {
            // Only this module writes kinds, always from `SiteKind::as_str`.
            kind: row.kind.parse().expect("stored site kind is valid"),
            location: row.latitude.zip(row.longitude).map(|(latitude, longitude)| LatLng { latitude, longitude }),
            id: row.id,
            name: row.name,
            parent_id: row.parent_id,
            time_zone: row.time_zone,
            address: row.address,
        }
    }
}

pub fn insert_site(conn: &mut DbConnection, site: &Site, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::insert_into(sites::table)
        .values((
            sites::id.eq(&site.id),
            sites::name.eq(&site.name),
            sites::kind.eq(site.kind.as_str()),
            sites::parent_id.eq(&site.parent_id),
            sites::time_zone.eq(&site.time_zone),
            sites::address.eq(&site.address),
            sites::latitude.eq(site.location.map(|l| l.latitude)),
            sites::longitude.eq(site.location.map(|l| l.longitude)),
            sites::created_at.eq(naive(now)),
            sites::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Writes every editable field of `site` (the caller applied the update mask).
pub fn update_site(conn: &mut DbConnection, site: &Site, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(sites::table.find(&site.id))
        .set((
            sites::name.eq(&site.name),
            sites::time_zone.eq(&site.time_zone),
            sites::address.eq(&site.address),
            sites::latitude.eq(site.location.map(|l| l.latitude)),
            sites::longitude.eq(site.location.map(|l| l.longitude)),
            sites::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// The site's police desk; the default (none) for an unknown site or one without.
pub fn police_desk(conn: &mut DbConnection, site_id: &str) -> QueryResult<PoliceDesk> {
    let found: Option<(String, String)> = sites::table
        .find(site_id)
        .select((sites::police_desk_phone, sites::police_desk_webhook_url))
        .first(conn)
        .optional()?;
    let present = |value: String| Some(value).filter(|v| !v.is_empty());
    Ok(found.map_or_else(PoliceDesk::default, |(phone, webhook_url)| PoliceDesk {
        phone: present(phone),
        webhook_url: present(webhook_url),
    }))
}

/// Replaces the site's police desk (the default clears it).
pub fn set_police_desk(conn: &mut DbConnection, site_id: &str, desk: &PoliceDesk) -> QueryResult<()> {
    diesel::update(sites::table.find(site_id))
        .set((
            sites::police_desk_phone.eq(desk.phone.as_deref().unwrap_or_default()),
            sites::police_desk_webhook_url.eq(desk.webhook_url.as_deref().unwrap_or_default()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn site(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Site>> {
    sites::table.find(id).select(SiteRow::as_select()).get_result(conn).optional().map(|r| r.map(Site::from))
}

/// Sites after `after_id` in id order, filtered by parent and kind.
pub fn list_sites(
    conn: &mut DbConnection,
    parent_id: Option<&str>,
    kind: Option<SiteKind>,
    after_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Site>> {
    let mut query = sites::table.select(SiteRow::as_select()).order(sites::id).limit(limit).into_boxed();
    if let Some(parent_id) = parent_id {
        query = query.filter(sites::parent_id.eq(parent_id));
    }
    if let Some(kind) = kind {
        query = query.filter(sites::kind.eq(kind.as_str()));
    }
    if let Some(after_id) = after_id {
        query = query.filter(sites::id.gt(after_id));
    }
    Ok(query.load(conn)?.into_iter().map(Site::from).collect())
}

/// Every site's parent, for subtree questions (a district has hundreds of sites, not millions).
pub fn site_parents(conn: &mut DbConnection) -> QueryResult<Vec<(String, Option<String>)>> {
    sites::table.select((sites::id, sites::parent_id)).load(conn)
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = rooms)]
struct RoomRow {
    id: String,
    site_id: String,
    name: String,
    kind: String,
    capacity: i32,
}

impl From<RoomRow> for Room {
    fn from(row: RoomRow) -> Self {
        Room {
            kind: row.kind.parse().expect("stored room kind is valid"),
            id: row.id,
            site_id: row.site_id,
            name: row.name,
            capacity: row.capacity,
        }
    }
}

pub fn insert_room(conn: &mut DbConnection, room: &Room, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::insert_into(rooms::table)
        .values((
            rooms::id.eq(&room.id),
            rooms::site_id.eq(&room.site_id),
            rooms::name.eq(&room.name),
            rooms::kind.eq(room.kind.as_str()),
            rooms::capacity.eq(room.capacity),
            rooms::created_at.eq(naive(now)),
            rooms::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn update_room(conn: &mut DbConnection, room: &Room, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(rooms::table.find(&room.id))
        .set((
            rooms::name.eq(&room.name),
            rooms::kind.eq(room.kind.as_str()),
            rooms::capacity.eq(room.capacity),
            rooms::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn room(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Room>> {
    rooms::table.find(id).select(RoomRow::as_select()).get_result(conn).optional().map(|r| r.map(Room::from))
}

/// Every room at these sites, in id order.
pub fn rooms_at(conn: &mut DbConnection, site_ids: &[String]) -> QueryResult<Vec<Room>> {
    let rows = rooms::table
        .filter(rooms::site_id.eq_any(site_ids))
        .select(RoomRow::as_select())
        .order(rooms::id)
        .load(conn)?;
    Ok(rows.into_iter().map(Room::from).collect())
}

pub fn list_rooms(
    conn: &mut DbConnection,
    site_id: &str,
    after_id: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Room>> {
    let mut query = rooms::table
        .filter(rooms::site_id.eq(site_id))
        .select(RoomRow::as_select())
        .order(rooms::id)
        .limit(limit)
        .into_boxed();
    if let Some(after_id) = after_id {
        query = query.filter(rooms::id.gt(after_id));
    }
    Ok(query.load(conn)?.into_iter().map(Room::from).collect())
}

/// (code, name_zh, name_en) in the taxonomy's order.
pub fn specialties(conn: &mut DbConnection) -> QueryResult<Vec<(String, String, String)>> {
    specialties::table
        .order(specialties::position)
        .select((specialties::code, specialties::name_zh, specialties::name_en))
        .load(conn)
}

/// Which of `codes` exist.
pub fn known_specialties(conn: &mut DbConnection, codes: &[String]) -> QueryResult<Vec<String>> {
    specialties::table.filter(specialties::code.eq_any(codes)).select(specialties::code).load(conn)
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = mediators)]
struct MediatorRow {
    id: String,
    account_id: String,
    display_name: String,
    kind: String,
    level: i32,
    languages: String,
    modes: String,
    home_site_id: String,
    bio: String,
    active: bool,
}

impl MediatorRow {
    fn into_mediator(self, specialty_codes: Vec<String>) -> Mediator {
        Mediator {
            kind: self.kind.parse().expect("stored mediator kind is valid"),
            modes: split_list(&self.modes).iter().map(|m| m.parse().expect("stored mode is valid")).collect(),
            languages: split_list(&self.languages),
            specialty_codes,
            id: self.id,
            account_id: self.account_id,
            display_name: self.display_name,
            level: self.level,
            home_site_id: self.home_site_id,
            bio: self.bio,
            active: self.active,
        }
    }
}

fn replace_specialties(conn: &mut DbConnection, mediator_id: &str, codes: &[String]) -> QueryResult<()> {
    diesel::delete(mediator_specialties::table.filter(mediator_specialties::mediator_id.eq(mediator_id)))
        .execute(conn)?;
    // One statement a row: diesel's multi-backend layer has no batch insert, and a mediator
    // holds a handful of specialities.
    for code in codes {
        diesel::insert_into(mediator_specialties::table)
            .values((mediator_specialties::mediator_id.eq(mediator_id), mediator_specialties::specialty_code.eq(code)))
            .execute(conn)?;
    }
    Ok(())
}

pub fn insert_mediator(conn: &mut DbConnection, m: &Mediator, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::insert_into(mediators::table)
        .values((
            mediators::id.eq(&m.id),
            mediators::account_id.eq(&m.account_id),
            mediators::display_name.eq(&m.display_name),
            mediators::kind.eq(m.kind.as_str()),
            mediators::level.eq(m.level),
            mediators::languages.eq(join_list(m.languages.iter().map(String::as_str))),
            mediators::modes.eq(join_list(m.modes.iter().map(|m| m.as_str()))),
            mediators::home_site_id.eq(&m.home_site_id),
            mediators::bio.eq(&m.bio),
            mediators::active.eq(m.active),
            mediators::created_at.eq(naive(now)),
            mediators::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    replace_specialties(conn, &m.id, &m.specialty_codes)
}

/// Writes every field of `m` but its id and account.
pub fn update_mediator(conn: &mut DbConnection, m: &Mediator, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(mediators::table.find(&m.id))
        .set((
            mediators::display_name.eq(&m.display_name),
            mediators::kind.eq(m.kind.as_str()),
            mediators::level.eq(m.level),
            mediators::languages.eq(join_list(m.languages.iter().map(String::as_str))),
            mediators::modes.eq(join_list(m.modes.iter().map(|m| m.as_str()))),
            mediators::home_site_id.eq(&m.home_site_id),
            mediators::bio.eq(&m.bio),
            mediators::active.eq(m.active),
            mediators::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    replace_specialties(conn, &m.id, &m.specialty_codes)
}

pub fn mediator(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Mediator>> {
    Ok(mediators_by_ids(conn, &[id.to_owned()])?.pop())
}

pub fn mediator_by_account(conn: &mut DbConnection, account_id: &str) -> QueryResult<Option<String>> {
    mediators::table.filter(mediators::account_id.eq(account_id)).select(mediators::id).first(conn).optional()
}

/// Full profiles of `ids`, in no particular order.
pub fn mediators_by_ids(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<Mediator>> {
    let rows: Vec<MediatorRow> =
        mediators::table.filter(mediators::id.eq_any(ids)).select(MediatorRow::as_select()).load(conn)?;
    let mut codes: Vec<(String, String)> = mediator_specialties::table
        .filter(mediator_specialties::mediator_id.eq_any(ids))
        .select((mediator_specialties::mediator_id, mediator_specialties::specialty_code))
        .load(conn)?;
    codes.sort();
    Ok(rows
        .into_iter()
        .map(|row| {
            let mine = codes.iter().filter(|(m, _)| *m == row.id).map(|(_, c)| c.clone()).collect();
            row.into_mediator(mine)
        })
        .collect())
}

/// The search index's counters: (directory, ratings); triggers move them on every change.
pub fn search_generation(conn: &mut DbConnection) -> QueryResult<(i64, i64)> {
    let query = search_generation::table.select((search_generation::directory, search_generation::ratings));
    mediation_store::on_backend!(conn, |c| query.get_result(c))
}

/// Every active mediator with their specialities, for the search index.
pub fn active_profiles(conn: &mut DbConnection) -> QueryResult<Vec<Mediator>> {
    let rows: Vec<MediatorRow> =
        mediators::table.filter(mediators::active.eq(true)).select(MediatorRow::as_select()).load(conn)?;
    let mut codes: HashMap<String, Vec<String>> = HashMap::new();
    let held: Vec<(String, String)> = mediator_specialties::table
        .inner_join(mediators::table)
        .filter(mediators::active.eq(true))
        .select((mediator_specialties::mediator_id, mediator_specialties::specialty_code))
        .order((mediator_specialties::mediator_id, mediator_specialties::specialty_code))
        .load(conn)?;
    for (mediator_id, code) in held {
        codes.entry(mediator_id).or_default().push(code);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let mine = codes.remove(&row.id).unwrap_or_default();
            row.into_mediator(mine)
        })
        .collect())
}

/// The active mediators based at one site, by id.
pub fn active_mediator_ids_at(conn: &mut DbConnection, site_id: &str) -> QueryResult<Vec<String>> {
    Ok(active_mediators_at(conn, site_id)?.into_iter().map(|(id, _)| id).collect())
}

/// The active mediators based at one site with their kinds, by id.
pub fn active_mediators_at(conn: &mut DbConnection, site_id: &str) -> QueryResult<Vec<(String, MediatorKind)>> {
    let rows: Vec<(String, String)> = mediators::table
        .filter(mediators::active.eq(true))
        .filter(mediators::home_site_id.eq(site_id))
        .select((mediators::id, mediators::kind))
        .order(mediators::id)
        .load(conn)?;
    // Only this module writes kinds, always from `MediatorKind::as_str`.
    Ok(rows.into_iter().map(|(id, kind)| (id, kind.parse().expect("stored mediator kind is valid"))).collect())
}

pub fn site_ref(conn: &mut DbConnection, id: &str) -> QueryResult<Option<mediation_identity::SiteRef>> {
    sites::table
        .find(id)
        .select((sites::kind, sites::parent_id))
        .first::<(String, Option<String>)>(conn)
        .optional()
        .map(|found| found.map(|(kind, parent_id)| mediation_identity::SiteRef { kind, parent_id }))
}
