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
//! Here: what a run returns and prints. The ids and logins derived from the tables are in
//! `ids.rs`, the transaction that loads the district (and each mediator's hours) in `load.rs`,
//! and the create-or-reset of each row in `upsert_accounts.rs` and `upsert_directory.rs`.
//!
//! Names, addresses and coordinates are invented or approximate; no mediator is a real person.
//!
//! Two mediation vans ("流动调解车") stand at the first two stations, AVAILABLE, without shifts:
//! a dispatcher of their station (`zhonghe.dispatcher` for the first) sets the day's shifts and crews
//! with SetVanShift.

mod data;
mod ids;
mod load;
#[cfg(test)]
mod tests;
mod upsert_accounts;
mod upsert_directory;

/// The demo's mediation vans: id, plate, index of the depot station.
const VANS: [(&str, &str, usize); 2] = [("van-yinzhou-1", "浙B·M1001", 0), ("van-yinzhou-2", "浙B·M1002", 1)];

use std::fmt;

use anyhow::Context;
use mediation_auth::{hash_password, random_secret};
use mediation_store::{Db, run_blocking};

use self::data::{MEDIATORS, SATURDAY_STATIONS, STATIONS};
use self::ids::{kiosk_account_id, kiosk_name, mediator_login, station_admin_login, station_dispatcher_login};
use self::load::load;

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
    /// The dispatcher of the first station, the depot of the first van.
    pub station_dispatcher: String,
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
        station_dispatcher: station_dispatcher_login(&STATIONS[0]),
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
        writeln!(f, "  van dispatcher {}  ({}派出所, the first van's depot)", self.station_dispatcher, first.name)?;
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
