//! `mediation seed-demo`: a demo district modelled on the seed, Ningbo's Yinzhou district. One
//! county-level centre with the flagship "老潘" rooms, the district's 24 police stations each
//! with a kiosk (城市智能警务亭) and rooms of every kind, mediators of every kind covering every
//! speciality, and one login for each role.
//!
//! The loader writes through the identity and directory crates' repo and service functions in
//! one write transaction, so the district appears whole or not at all. Every row has a fixed,
//! readable id (`site-station-zhonghe`, `room-zhonghe-mediation-1`, `mediator-001`, ...) and
//! accounts are found by login (kiosks by id, the resident by phone) before any is created, so
//! a second run updates the district in place: it duplicates nothing, and it resets the demo
//! password and the kiosk secrets and prints the new ones.
//!
//! Every mediator gets weekly working hours at their home site, in its local time, through the
//! appointments crate's `replace_hours` in the same transaction, so a second run replaces them
//! rather than adding to them: station mediators and police liaisons keep the station's hours,
//! Monday to Friday 08:30–12:00 and 13:30–17:30 (some stations also Saturday 09:00–12:00);
//! think-tank experts sit at the centre two or three weekdays, partner mediators one or two,
//! 09:00–17:00. The tables are in `demo/data.rs`.
//!
//! Names, addresses and coordinates are invented or approximate; no mediator is a real person.
//!
//! Two mediation vans ("流动调解车") stand at the first two stations, AVAILABLE, without shifts:
//! a dispatcher sets the day's shifts and crews with SetVanShift.

mod data;

/// The demo's mediation vans: id, plate, index of the depot station.
const VANS: [(&str, &str, usize); 2] = [("van-yinzhou-1", "浙B·M1001", 0), ("van-yinzhou-2", "浙B·M1002", 1)];

use std::fmt;

use anyhow::{Context, bail, ensure};
use chrono::{DateTime, Utc, Weekday};
use mediation_appointments::domain::hours::{Hours, WeeklyRule};
use mediation_auth::{Principal, Role, hash_password, random_secret};
use mediation_directory::domain::{
    LatLng, Mediator, MediatorKind, Room, RoomKind, Site, SiteKind, check_capacity, check_level, check_location,
    parse_languages, parse_text, parse_time_zone,
};
use mediation_directory::service::{self as directory, MediatorPatch, RoomPatch, SitePatch};
use mediation_dispatch::domain::{Van, VanStatus};
use mediation_identity::domain::{PhoneNumber, parse_login};
use mediation_identity::repo::{self as accounts, NewAccount};
use mediation_store::{Db, DbConnection, run_blocking};

use self::data::{
    CENTRE_DAYS, CENTRE_ROOMS, CENTRE_SESSION, Home, MEDIATORS, MediatorSeed, SATURDAY_SESSION, SATURDAY_STATIONS,
    STATION_SESSIONS, STATIONS, StationSeed, WEEKDAYS,
};

const CENTRE_ID: &str = "site-yinzhou-centre";
const TIME_ZONE: &str = "Asia/Shanghai";
const CENTRE_ADMIN: &str = "yinzhou.admin";
const DISPATCHER: &str = "yinzhou.dispatcher";
const RESIDENT_PHONE: &str = "13800000000";

/// How many rows of one sort a run created and how many it found and reset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub created: usize,
    pub updated: usize,
}

impl Tally {
    fn count(&mut self, created: bool) {
        if created {
            self.created += 1;
        } else {
            self.updated += 1;
        }
    }

    pub fn total(&self) -> usize {
        self.created + self.updated
    }
}

/// A kiosk terminal's credentials for `KioskLogin`.
pub struct KioskLogin {
    pub id: String,
    pub secret: String,
    pub name: String,
}

/// What a run loaded, and the logins it printed. No `Debug`: it holds this run's secrets.
pub struct DemoDistrict {
    /// The one password of every demo staff account and the resident, new on every run.
    pub password: String,
    pub centre_admin: String,
    pub station_admin: String,
    pub dispatcher: String,
    pub mediator: String,
    pub resident_phone: String,
    /// The demo kiosk, at the first station.
    pub kiosk: KioskLogin,
    pub other_kiosks: Vec<KioskLogin>,
    pub sites: Tally,
    pub rooms: Tally,
    pub accounts: Tally,
    pub mediators: Tally,
    /// The weekly working-hour rules written, every mediator's at their home site.
    pub hour_rules: usize,
    pub vans: Tally,
}

/// Loads the demo district into `db` (migrated already) and returns its logins.
pub async fn seed_demo(db: &Db) -> anyhow::Result<DemoDistrict> {
    let password = format!("demo-{}", &random_secret()[..16]);
    let kiosk_secrets: Vec<String> = STATIONS.iter().map(|_| random_secret()).collect();
    // The staff password is hashed once and shared by every demo account; each kiosk has its own.
    let mut secrets = vec![password.clone()];
    secrets.extend(kiosk_secrets.iter().cloned());
    let mut hashes = run_blocking(move || hash_all(&secrets)).await?.into_iter();
    let password_hash = hashes.next().expect("one hash a secret");
    let kiosk_hashes: Vec<String> = hashes.collect();

    let ([sites, rooms, accounts, mediators, vans], hour_rules) = db
        .write::<_, anyhow::Error, _>(move |conn| load(conn, &password_hash, &kiosk_hashes))
        .await
        .context("loading the demo district")?;
    let mut kiosks = STATIONS.iter().zip(kiosk_secrets).map(|(s, secret)| KioskLogin {
        id: kiosk_account_id(s),
        secret,
        name: kiosk_name(s),
    });
    let kiosk = kiosks.next().expect("the district has stations");
    Ok(DemoDistrict {
        password,
        centre_admin: CENTRE_ADMIN.to_owned(),
        station_admin: station_admin_login(&STATIONS[0]),
        dispatcher: DISPATCHER.to_owned(),
        mediator: mediator_login(0),
        resident_phone: RESIDENT_PHONE.to_owned(),
        kiosk,
        other_kiosks: kiosks.collect(),
        sites,
        rooms,
        accounts,
        mediators,
        hour_rules,
        vans,
    })
}

/// argon2, one after another on the blocking pool: each hash takes 19 MiB and some 25 ms, and
/// spreading 25 of them over threads bought nothing on a two-core machine but memory.
fn hash_all(secrets: &[String]) -> anyhow::Result<Vec<String>> {
    Ok(secrets.iter().map(|secret| hash_password(secret)).collect::<Result<_, _>>()?)
}

fn station_id(s: &StationSeed) -> String {
    format!("site-station-{}", s.slug)
}

fn kiosk_site_id(s: &StationSeed) -> String {
    format!("site-kiosk-{}", s.slug)
}

fn kiosk_account_id(s: &StationSeed) -> String {
    format!("kiosk-{}", s.slug)
}

fn kiosk_name(s: &StationSeed) -> String {
    format!("{}城市智能警务亭", s.name)
}

fn station_admin_login(s: &StationSeed) -> String {
    format!("{}.admin", s.slug)
}

fn mediator_id(index: usize) -> String {
    format!("mediator-{:03}", index + 1)
}

fn mediator_login(index: usize) -> String {
    format!("mediator.{:03}", index + 1)
}

fn home_site_id(home: Home) -> String {
    match home {
        Home::Centre => CENTRE_ID.to_owned(),
        Home::Station(slug) => format!("site-station-{slug}"),
    }
}

/// The whole district in the caller's transaction: the (sites, rooms, accounts, mediators)
/// tallies and the number of working-hour rules written.
fn load(conn: &mut DbConnection, password_hash: &str, kiosk_hashes: &[String]) -> anyhow::Result<([Tally; 5], usize)> {
    let now = Utc::now();
    let mut tally = [Tally::default(); 5];
    let mut hour_rules = 0;
    let [sites, rooms, accounts_tally, mediators, vans] = &mut tally;

    // The centre admin first: the directory's rules run with it as the acting principal.
    let admin = upsert_staff(conn, CENTRE_ADMIN, Role::CentreAdmin, "鄞州区警调中心管理员", None, password_hash, now)?;
    accounts_tally.count(admin.1);
    let principal = Principal { account_id: admin.0, role: Role::CentreAdmin, site_id: None, kiosk_id: None };

    let centre = Site {
        id: CENTRE_ID.to_owned(),
        name: "鄞州区警调衔接指挥中心（老潘警调工作室旗舰店）".to_owned(),
        kind: SiteKind::Centre,
        parent_id: None,
        time_zone: TIME_ZONE.to_owned(),
        address: "宁波市鄞州区中山东路1088号（原江东巡特警大队业务用房）".to_owned(),
        location: Some(LatLng { latitude: 29.8690, longitude: 121.5700 }),
    };
    sites.count(upsert_site(conn, &principal, centre)?);
    for (suffix, name, kind, seats) in CENTRE_ROOMS {
        rooms.count(upsert_room(conn, &principal, &format!("room-centre-{suffix}"), CENTRE_ID, name, *kind, *seats)?);
    }

    for s in STATIONS {
        let station = Site {
            id: station_id(s),
            name: format!("{}派出所", s.name),
            kind: SiteKind::Station,
            parent_id: Some(CENTRE_ID.to_owned()),
            time_zone: TIME_ZONE.to_owned(),
            address: s.address.to_owned(),
            location: Some(LatLng { latitude: s.lat, longitude: s.lng }),
        };
        sites.count(upsert_site(conn, &principal, station)?);
        // A police box a few hundred metres from its station.
        let kiosk = Site {
            id: kiosk_site_id(s),
            name: kiosk_name(s),
            kind: SiteKind::Kiosk,
            parent_id: Some(station_id(s)),
            time_zone: TIME_ZONE.to_owned(),
            address: format!("宁波市鄞州区{}", s.kiosk_address),
            location: Some(LatLng { latitude: s.lat + 0.0035, longitude: s.lng - 0.0028 }),
        };
        sites.count(upsert_site(conn, &principal, kiosk)?);

        let (station_id, prefix) = (station_id(s), format!("{}警调工作室", s.name));
        for (n, seats) in s.mediation_seats.iter().enumerate() {
            let (id, name) = (format!("room-{}-mediation-{}", s.slug, n + 1), format!("{prefix}·调解室{}", n + 1));
            rooms.count(upsert_room(conn, &principal, &id, &station_id, &name, RoomKind::Mediation, *seats)?);
        }
        let others = [
            ("triage", "案件分流室", RoomKind::Triage, 4),
            ("video", "远程视频调解室", RoomKind::Video, 4),
            ("advisory", "顾问议事室", RoomKind::Advisory, 6),
        ];
        for (suffix, name, kind, seats) in others {
            let (id, name) = (format!("room-{}-{suffix}", s.slug), format!("{prefix}·{name}"));
            rooms.count(upsert_room(conn, &principal, &id, &station_id, &name, kind, seats)?);
        }
        // Every kiosk has a remote video mediation booth, as the seed describes.
        let (id, name) = (format!("room-kiosk-{}-video", s.slug), format!("{}·远程视频调解室", kiosk_name(s)));
        rooms.count(upsert_room(conn, &principal, &id, &kiosk_site_id(s), &name, RoomKind::Video, 2)?);
    }

    let first = &STATIONS[0];
    let staff = [
        (
            station_admin_login(first),
            Role::StationAdmin,
            format!("{}派出所警调管理员", first.name),
            Some(station_id(first)),
        ),
        (DISPATCHER.to_owned(), Role::Dispatcher, "流动调解车调度员".to_owned(), Some(CENTRE_ID.to_owned())),
    ];
    for (login, role, name, site) in staff {
        accounts_tally.count(upsert_staff(conn, &login, role, &name, site.as_deref(), password_hash, now)?.1);
    }
    accounts_tally.count(upsert_resident(conn, password_hash, now)?);

    for (index, seed) in MEDIATORS.iter().enumerate() {
        let home = home_site_id(seed.home);
        let login = mediator_login(index);
        let (account_id, created) =
            upsert_staff(conn, &login, Role::Mediator, seed.name, Some(&home), password_hash, now)?;
        accounts_tally.count(created);
        mediators.count(upsert_mediator(conn, &principal, index, seed, account_id, home.clone())?);
        // Replaces the mediator's rules at the site, so a second run leaves the same rules.
        let hours = weekly_hours(seed)?;
        mediation_appointments::repo::replace_hours(conn, &mediator_id(index), &home, &hours)
            .with_context(|| format!("working hours of {}", mediator_id(index)))?;
        hour_rules += hours.rules.len();
    }

    for (s, hash) in STATIONS.iter().zip(kiosk_hashes) {
        accounts_tally.count(upsert_kiosk(conn, s, hash, now)?);
    }
    for (id, plate, station) in VANS {
        let van = Van {
            id: id.to_owned(),
            plate: plate.to_owned(),
            depot_site_id: station_id(&STATIONS[station]),
            seats: 6,
            status: VanStatus::Available,
            location: None,
            located_at: None,
        };
        let existing = mediation_dispatch::repo::van(conn, id)?;
        match existing {
            Some(_) => mediation_dispatch::repo::update_van(conn, &van, now)?,
            None => mediation_dispatch::repo::insert_van(conn, &van, now)?,
        }
        vans.count(existing.is_none());
    }
    Ok((tally, hour_rules))
}

/// A mediator's weekly hours at their home site, in its local time, from the first day on.
fn weekly_hours(seed: &MediatorSeed) -> anyhow::Result<Hours> {
    let rule = |day: Weekday, (start_minute, end_minute): (u32, u32)| WeeklyRule { day, start_minute, end_minute };
    let rules = match seed.kind {
        MediatorKind::StationMediator | MediatorKind::PoliceLiaison => {
            let mut rules: Vec<WeeklyRule> =
                WEEKDAYS.iter().flat_map(|day| STATION_SESSIONS.iter().map(|session| rule(*day, *session))).collect();
            if matches!(seed.home, Home::Station(slug) if SATURDAY_STATIONS.contains(&slug)) {
                rules.push(rule(Weekday::Sat, SATURDAY_SESSION));
            }
            rules
        }
        MediatorKind::ThinkTankExpert | MediatorKind::PartnerMediator => {
            let Some((_, days)) = CENTRE_DAYS.iter().find(|(name, _)| *name == seed.name) else {
                bail!("the demo gives {} no days at the centre", seed.name);
            };
            days.iter().map(|day| rule(*day, CENTRE_SESSION)).collect()
        }
    };
    Ok(Hours { rules, effective_from: None, effective_to: None })
}

/// A staff account by login: created, or its password reset. Returns (id, created).
fn upsert_staff(
    conn: &mut DbConnection,
    login: &str,
    role: Role,
    display_name: &str,
    site_id: Option<&str>,
    password_hash: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<(String, bool)> {
    let login = parse_login(login).with_context(|| format!("demo login {login:?}"))?;
    match accounts::account_by_login(conn, &login)? {
        Some(existing) => {
            // Only the demo's own account is reset, never someone else's that shares the login.
            ensure!(
                existing.role == role && existing.site_id.as_deref() == site_id,
                "login {login} belongs to a {} account at {:?}, not to the demo's {role} at {site_id:?}",
                existing.role,
                existing.site_id,
            );
            accounts::set_password(conn, &existing.id, password_hash, now)?;
            Ok((existing.id, false))
        }
        None => {
            let id = uuid::Uuid::now_v7().to_string();
            let new = NewAccount {
                id: &id,
                role,
                login: Some(&login),
                phone: None,
                password_hash: Some(password_hash),
                display_name,
                site_id,
                phone_verified: false,
            };
            accounts::insert_account(conn, &new, now)?;
            Ok((id, true))
        }
    }
}

/// The verified demo resident, by phone. Returns whether it was created.
fn upsert_resident(conn: &mut DbConnection, password_hash: &str, now: DateTime<Utc>) -> anyhow::Result<bool> {
    let phone = PhoneNumber::parse(RESIDENT_PHONE).context("the demo resident's phone")?;
    match accounts::account_by_phone(conn, &phone)? {
        Some(existing) => {
            ensure!(existing.role == Role::Resident, "phone {RESIDENT_PHONE} belongs to a {} account", existing.role);
            accounts::set_password(conn, &existing.id, password_hash, now)?;
            accounts::mark_phone_verified(conn, &existing.id, now)?;
            Ok(false)
        }
        None => {
            let id = uuid::Uuid::now_v7().to_string();
            let new = NewAccount {
                id: &id,
                role: Role::Resident,
                login: None,
                phone: Some(&phone),
                password_hash: Some(password_hash),
                display_name: "王小丽",
                site_id: None,
                phone_verified: true,
            };
            accounts::insert_account(conn, &new, now)?;
            Ok(true)
        }
    }
}

/// A station's kiosk terminal, by its fixed id: created, or its secret reset.
fn upsert_kiosk(
    conn: &mut DbConnection,
    s: &StationSeed,
    secret_hash: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let id = kiosk_account_id(s);
    match accounts::account_by_id(conn, &id)? {
        Some(existing) => {
            ensure!(existing.role == Role::Kiosk, "account {id} is a {} account, not a kiosk", existing.role);
            accounts::set_password(conn, &id, secret_hash, now)?;
            Ok(false)
        }
        None => {
            let (name, site) = (kiosk_name(s), kiosk_site_id(s));
            let new = NewAccount {
                id: &id,
                role: Role::Kiosk,
                login: None,
                phone: None,
                password_hash: Some(secret_hash),
                display_name: &name,
                site_id: Some(&site),
                phone_verified: false,
            };
            accounts::insert_account(conn, &new, now)?;
            Ok(true)
        }
    }
}

/// Creates the site, or brings its editable fields back to the demo's. Returns whether created.
fn upsert_site(conn: &mut DbConnection, principal: &Principal, site: Site) -> anyhow::Result<bool> {
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

fn upsert_room(
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
fn upsert_mediator(
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

impl fmt::Display for DemoDistrict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = &STATIONS[0];
        writeln!(
            f,
            "Demo district loaded: 鄞州区警调衔接指挥中心, {} stations, {} kiosks, {} sites, {} rooms, {} mediators.",
            STATIONS.len(),
            STATIONS.len(),
            self.sites.total(),
            self.rooms.total(),
            self.mediators.total(),
        )?;
        writeln!(
            f,
            "This run created {} and updated {} rows (sites, rooms, accounts, mediators).",
            self.sites.created + self.rooms.created + self.accounts.created + self.mediators.created,
            self.sites.updated + self.rooms.updated + self.accounts.updated + self.mediators.updated,
        )?;
        writeln!(f)?;
        writeln!(f, "Demo logins (IdentityService Login), all with the password {}", self.password)?;
        writeln!(f, "  centre admin   {}", self.centre_admin)?;
        writeln!(f, "  station admin  {}  ({}派出所)", self.station_admin, first.name)?;
        writeln!(f, "  dispatcher     {}", self.dispatcher)?;
        writeln!(
            f,
            "  mediator       {}  ({}; every mediator has a login mediator.001 to mediator.{:03})",
            self.mediator,
            MEDIATORS[0].name,
            MEDIATORS.len()
        )?;
        writeln!(f, "  resident       {}  (phone verified)", self.resident_phone)?;
        writeln!(f)?;
        writeln!(f, "Demo kiosk (IdentityService KioskLogin):")?;
        writeln!(f, "  kiosk_id {}  secret {}  ({})", self.kiosk.id, self.kiosk.secret, self.kiosk.name)?;
        writeln!(f, "Other kiosks:")?;
        for kiosk in &self.other_kiosks {
            writeln!(f, "  kiosk_id {}  secret {}", kiosk.id, kiosk.secret)?;
        }
        writeln!(f)?;
        let saturday: Vec<&str> =
            STATIONS.iter().filter(|s| SATURDAY_STATIONS.contains(&s.slug)).map(|s| s.name).collect();
        writeln!(
            f,
            "Working hours ({} weekly rules, {TIME_ZONE}), every mediator at their home site:",
            self.hour_rules
        )?;
        writeln!(f, "  station mediators and police liaisons  Mon-Fri 08:30-12:00 and 13:30-17:30")?;
        writeln!(f, "                                         and Sat 09:00-12:00 at {}", saturday.join(", "))?;
        writeln!(f, "  think-tank experts                     two or three weekdays 09:00-17:00 at the centre")?;
        writeln!(f, "  partner mediators                      one or two weekdays 09:00-17:00 at the centre")?;
        writeln!(f)?;
        writeln!(f, "Mediation vans (DispatchService; set the day's shifts with SetVanShift):")?;
        for (id, plate, station) in VANS {
            writeln!(f, "  {id}  {plate}  depot {}", STATIONS[station].name)?;
        }
        write!(f, "Running seed-demo again updates the district in place and issues a new password and kiosk secrets.")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use mediation_identity::domain::check_password;

    use super::*;

    #[test]
    fn the_district_matches_the_seed() {
        assert_eq!(STATIONS.len(), 24);
        let slugs: HashSet<_> = STATIONS.iter().map(|s| s.slug).collect();
        assert_eq!(slugs.len(), STATIONS.len(), "station slugs are unique");
        for s in STATIONS {
            assert!((29.6..=29.95).contains(&s.lat) && (121.35..=121.8).contains(&s.lng), "{} is near Ningbo", s.slug);
            assert!(!s.mediation_seats.is_empty(), "{} has a mediation room", s.slug);
        }
        let centre_kinds: HashSet<_> = CENTRE_ROOMS.iter().map(|r| r.2).collect();
        assert_eq!(centre_kinds.len(), RoomKind::ALL.len(), "the flagship has a room of every kind");
    }

    #[test]
    fn mediators_cover_every_kind_and_live_at_known_sites() {
        assert!(MEDIATORS.len() >= 60);
        let kinds: HashSet<_> = MEDIATORS.iter().map(|m| m.kind).collect();
        assert_eq!(kinds.len(), MediatorKind::ALL.len());
        let levels: HashSet<_> = MEDIATORS.iter().map(|m| m.level).collect();
        assert_eq!(levels.len(), 5, "levels 1 to 5 all appear");
        for (i, seed) in MEDIATORS.iter().enumerate() {
            if let Home::Station(slug) = seed.home {
                assert!(STATIONS.iter().any(|s| s.slug == slug), "mediator {i} lives at unknown station {slug}");
            }
            assert!(!seed.specialties.is_empty() && !seed.modes.is_empty(), "mediator {i}");
            assert!(check_level(seed.level).is_ok() && parse_languages(&[seed.languages[0].into()]).is_ok());
        }
        // Station mediators work at stations, experts and partners at the centre.
        for seed in MEDIATORS {
            match seed.kind {
                MediatorKind::StationMediator => assert!(matches!(seed.home, Home::Station(_))),
                MediatorKind::ThinkTankExpert | MediatorKind::PartnerMediator => {
                    assert!(matches!(seed.home, Home::Centre))
                }
                MediatorKind::PoliceLiaison => {}
            }
        }
    }

    #[test]
    fn every_mediator_has_hours_that_fit_their_kind() {
        let names: HashSet<_> = MEDIATORS.iter().map(|m| m.name).collect();
        assert_eq!(names.len(), MEDIATORS.len(), "mediator names are unique, so CENTRE_DAYS names one each");
        for (name, _) in CENTRE_DAYS {
            let seed = MEDIATORS.iter().find(|m| m.name == *name).expect("CENTRE_DAYS names a demo mediator");
            assert!(matches!(seed.kind, MediatorKind::ThinkTankExpert | MediatorKind::PartnerMediator), "{name}");
        }
        for slug in SATURDAY_STATIONS {
            assert!(STATIONS.iter().any(|s| s.slug == *slug), "{slug} is a station");
        }
        let minutes = |h: &Hours| h.rules.iter().map(|r| r.end_minute - r.start_minute).sum::<u32>();
        for seed in MEDIATORS {
            let hours = weekly_hours(seed).unwrap();
            assert!(hours.rules.iter().all(|r| r.start_minute < r.end_minute && r.end_minute <= 24 * 60));
            let days: HashSet<Weekday> = hours.rules.iter().map(|r| r.day).collect();
            let weekdays = days.iter().filter(|d| WEEKDAYS.contains(d)).count();
            match seed.kind {
                MediatorKind::StationMediator | MediatorKind::PoliceLiaison => {
                    let saturday = matches!(seed.home, Home::Station(s) if SATURDAY_STATIONS.contains(&s));
                    assert_eq!(hours.rules.len(), 10 + usize::from(saturday), "{}", seed.name);
                    assert_eq!(minutes(&hours), 5 * 450 + if saturday { 180 } else { 0 }, "{}", seed.name);
                    assert_eq!(days.contains(&Weekday::Sat), saturday);
                }
                MediatorKind::ThinkTankExpert => {
                    assert!((2..=3).contains(&weekdays) && days.len() == weekdays, "{}", seed.name);
                    assert_eq!(minutes(&hours), weekdays as u32 * 480);
                }
                MediatorKind::PartnerMediator => {
                    assert!((1..=2).contains(&weekdays) && days.len() == weekdays, "{}", seed.name);
                }
            }
        }
        // Every weekday has think-tank experts at the centre for difficult cases.
        for day in WEEKDAYS {
            let experts = MEDIATORS
                .iter()
                .filter(|m| m.kind == MediatorKind::ThinkTankExpert)
                .filter(|m| weekly_hours(m).unwrap().rules.iter().any(|r| r.day == *day))
                .count();
            assert!(experts >= 3, "{experts} experts on {day}");
        }
    }

    #[test]
    fn logins_and_ids_are_readable_and_valid() {
        assert_eq!(mediator_id(0), "mediator-001");
        assert_eq!(mediator_login(71), "mediator.072");
        assert_eq!(station_id(&STATIONS[0]), "site-station-zhonghe");
        assert_eq!(kiosk_site_id(&STATIONS[0]), "site-kiosk-zhonghe");
        for login in
            [CENTRE_ADMIN.to_owned(), DISPATCHER.to_owned(), station_admin_login(&STATIONS[0]), mediator_login(0)]
        {
            assert!(parse_login(&login).is_ok(), "{login}");
        }
        assert!(check_password(&format!("demo-{}", &random_secret()[..16])).is_ok());
    }
}
