//! The synthetic district: one centre, its stations and many mediators, written straight
//! through the identity and directory repos in batched write transactions (no gRPC, no argon2
//! per account), so that 10,000 mediators take seconds. For the appointment scenarios it also
//! gives every mediator weekly hours and a room of their own at their station, and seeds
//! residents with a case of each grade, past completed sessions to rate, and, for `streams`,
//! vans with planned home visits.
//!
//! Here: the options, what the scenarios get back, and the order of the writes. The mediators
//! are made in `mediators`, their weekly hours and the bookable slots in `hours`, the residents
//! with their cases and completed sessions in `residents`, and the vans and visits in `visits`.

mod bookings;
mod hours;
mod mediators;
mod residents;
mod visits;
mod walk_ins;

use std::time::Instant;

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};
use mediation_appointments::domain::hours::Interval;
use mediation_appointments::domain::{Appointment, AppointmentStatus};
use mediation_auth::Role;
use mediation_directory::domain::Mode;
use mediation_directory::domain::{DEFAULT_TIME_ZONE, LatLng, Site, SiteKind};
use mediation_identity::repo::NewAccount;
use mediation_store::Db;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::names;

/// Rows of one kind written per transaction.
const BATCH: usize = 1000;
/// Every seeded account shares this password (hashed once); `login` logs residents in with it.
pub const PASSWORD: &str = "bench-mediator-password";
/// Yinzhou district, Ningbo: where the seed's stations are.
const CENTRE_LOCATION: LatLng = LatLng { latitude: 29.82, longitude: 121.55 };

#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub stations: usize,
    pub mediators: usize,
    /// Share of the mediators (0 to 1) given a rating summary, as search reads them all.
    pub rated: f64,
    /// Give every mediator working hours and a room (the appointment scenarios need them).
    pub hours: bool,
    /// Residents, each with a case of each grade.
    pub residents: usize,
    /// Past completed sessions per resident, for `mixed` to rate.
    pub completed_per_resident: usize,
    /// Give every resident a planned home visit today, for `streams` to watch.
    pub visits: bool,
    /// Sessions already booked, spread over the next 30 days (see `bookings`).
    pub bookings: usize,
    pub seed: u64,
}

/// A seeded resident: who they are and their cases, ORDINARY, DIFFICULT and MAJOR.
#[derive(Debug, Clone)]
pub struct Resident {
    pub account_id: String,
    /// As typed at login (`139...`).
    pub phone: String,
    pub station: usize,
    pub cases: [String; 3],
}

/// A mediator who may take an ORDINARY case alone, with the room they book.
#[derive(Debug, Clone)]
pub struct Bookable {
    pub mediator_id: String,
    /// The mediator's MEDIATOR account.
    pub account_id: String,
    pub room_id: String,
    /// Their station, where their hours and their room are.
    pub site_id: String,
}

/// What the scenarios need to know about the seeded district.
#[derive(Debug, Clone)]
pub struct District {
    pub centre_id: String,
    /// The taxonomy's codes, in its order.
    pub specialty_codes: Vec<String>,
    /// Every seeded mediator's display name, for free-text queries.
    pub names: Vec<String>,
    pub residents: Vec<Resident>,
    /// Station mediators and police liaisons with hours, each with a room of their own.
    pub bookable: Vec<Bookable>,
    /// Indexes into `bookable` by station.
    pub bookable_by_station: Vec<Vec<usize>>,
    /// Every hour-long slot start of the working hours in the booking window, in order.
    pub slot_starts: Vec<DateTime<Utc>>,
    /// Slot indexes (of `booking_slot`) the seeded bookings took.
    pub pre_booked: std::collections::HashSet<usize>,
    /// (resident index, appointment id) of completed sessions nobody has rated yet.
    pub completed: Vec<(usize, String)>,
    /// (resident index, visit id) of today's planned home visits, one per resident.
    pub visits: Vec<(usize, String)>,
    pub van_ids: Vec<String>,
    /// A walk-in case waiting at each station, by station id (for `start-now`).
    pub walk_ins: std::collections::HashMap<String, String>,
    /// A centre administrator's account, who stands in for the van crews.
    pub admin_account_id: String,
    pub seconds: f64,
}

impl District {
    /// The `index`-th distinct (mediator, slot) to book: mediators first, so that concurrent
    /// bookings spread over mediators rather than queue on one. `None` once all are taken.
    pub fn booking_slot(&self, index: usize) -> Option<(&Bookable, Interval)> {
        if self.bookable.is_empty() {
            return None;
        }
        let mediator = &self.bookable[index % self.bookable.len()];
        let start = *self.slot_starts.get(index / self.bookable.len())?;
        Some((mediator, Interval::new(start, start + Duration::hours(1)).ok()?))
    }
}

impl Bookable {
    /// A BOOKED in-person session of this mediator in their room, for `case_id`.
    pub fn session(&self, case_id: &str, span: Interval, created_by: &str) -> Appointment {
        Appointment {
            id: new_id(),
            case_id: case_id.to_owned(),
            site_id: self.site_id.clone(),
            room_id: Some(self.room_id.clone()),
            mode: Mode::InPerson,
            status: AppointmentStatus::Booked,
            span,
            mediator_ids: vec![self.mediator_id.clone()],
            join_url: String::new(),
            cancel_reason: String::new(),
            outcome: None,
            created_by: created_by.to_owned(),
            on_the_spot: false,
        }
    }
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn site(name: String, kind: SiteKind, parent_id: Option<String>, location: LatLng) -> Site {
    Site {
        id: new_id(),
        name,
        kind,
        parent_id,
        time_zone: DEFAULT_TIME_ZONE.to_owned(),
        address: String::from("浙江省宁波市鄞州区"),
        location: Some(location),
    }
}

/// Writes the district and returns what the scenarios need.
pub async fn seed(db: &Db, options: &SeedOptions) -> anyhow::Result<District> {
    anyhow::ensure!(options.stations > 0, "--stations must be at least 1");
    anyhow::ensure!((0.0..=1.0).contains(&options.rated), "--rated must be between 0 and 1");
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(options.seed);

    let taxonomy = db
        .read(|conn| Ok::<_, anyhow::Error>(mediation_directory::repo::specialties(conn)?))
        .await
        .context("reading the specialities")?;
    anyhow::ensure!(!taxonomy.is_empty(), "the specialities table is empty; are the migrations applied?");

    let centre = site("鄞州区警调衔接中心（基准）".into(), SiteKind::Centre, None, CENTRE_LOCATION);
    let stations: Vec<Site> = (0..options.stations)
        .map(|i| {
            let location = LatLng {
                latitude: CENTRE_LOCATION.latitude + rng.gen_range(-0.1..0.1),
                longitude: CENTRE_LOCATION.longitude + rng.gen_range(-0.1..0.1),
            };
            site(names::station(i), SiteKind::Station, Some(centre.id.clone()), location)
        })
        .collect();
    let admin_account_id = write_sites_and_admin(db, &centre, &stations).await?;

    let password_hash =
        mediation_store::run_blocking(|| mediation_auth::hash_password(PASSWORD)).await.context("hashing")?;
    let seeded = mediators::mediators(&mut rng, options, &stations, &taxonomy);
    let names = seeded.iter().map(|s| s.mediator.display_name.clone()).collect();
    let (bookable, bookable_by_station) = mediators::bookable(&seeded, stations.len());
    mediators::write(db, seeded, &password_hash).await?;

    let pending = residents::new_residents(&mut rng, options.residents, &stations);
    let residents = residents::write(db, pending, &password_hash, &taxonomy[0].0).await?;
    let (completed, sessions) = residents::completed_sessions(
        &residents,
        &bookable,
        &bookable_by_station,
        &stations,
        options.completed_per_resident,
    );
    residents::write_sessions(db, sessions).await?;
    let walk_ins = walk_ins::write(db, &stations, &admin_account_id, &taxonomy[0].0).await?;

    let (van_ids, visits) = if options.visits {
        visits::write(db, &mut rng, &residents, &stations).await?
    } else {
        (Vec::new(), Vec::new())
    };

    let mut district = District {
        centre_id: centre.id,
        specialty_codes: taxonomy.into_iter().map(|(code, _, _)| code).collect(),
        names,
        residents,
        bookable,
        bookable_by_station,
        slot_starts: if options.hours { hours::slot_starts(Utc::now()) } else { Vec::new() },
        pre_booked: Default::default(),
        completed,
        visits,
        van_ids,
        walk_ins,
        admin_account_id,
        seconds: 0.0,
    };
    district.pre_booked = bookings::write(db, &district, options.bookings).await.context("booking sessions")?;
    district.seconds = started.elapsed().as_secs_f64();
    Ok(district)
}

/// Writes the centre, the stations and a centre administrator (who stands in for the van
/// crews) in one transaction; returns the administrator's account id.
async fn write_sites_and_admin(db: &Db, centre: &Site, stations: &[Site]) -> anyhow::Result<String> {
    let sites: Vec<Site> = std::iter::once(centre.clone()).chain(stations.iter().cloned()).collect();
    let admin_account_id = new_id();
    let admin = admin_account_id.clone();
    db.write(move |conn| {
        let now = Utc::now();
        for site in &sites {
            mediation_directory::repo::insert_site(conn, site, now)?;
        }
        let account = NewAccount {
            id: &admin,
            role: Role::CentreAdmin,
            login: Some(&format!("bench-admin-{}", &admin[admin.len() - 8..])),
            phone: None,
            password_hash: None,
            display_name: "基准管理员",
            site_id: None,
            phone_verified: false,
        };
        mediation_identity::repo::insert_account(conn, &account, now)?;
        Ok::<_, anyhow::Error>(())
    })
    .await
    .context("writing the sites")?;
    Ok(admin_account_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booking_slots_are_distinct_and_run_out() {
        let now = Utc::now();
        let district = District {
            centre_id: String::new(),
            specialty_codes: vec![],
            names: vec![],
            residents: vec![],
            bookable: (0..3)
                .map(|i| Bookable {
                    mediator_id: format!("m{i}"),
                    account_id: format!("a{i}"),
                    room_id: format!("r{i}"),
                    site_id: "s".into(),
                })
                .collect(),
            bookable_by_station: vec![],
            slot_starts: vec![now, now + Duration::hours(1)],
            pre_booked: Default::default(),
            completed: vec![],
            visits: vec![],
            van_ids: vec![],
            walk_ins: Default::default(),
            admin_account_id: String::new(),
            seconds: 0.0,
        };
        let taken: Vec<(String, DateTime<Utc>)> = (0..6)
            .map(|i| district.booking_slot(i).map(|(b, span)| (b.mediator_id.clone(), span.start)).unwrap())
            .collect();
        let mut unique = taken.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 6);
        assert_eq!(taken[0].0, "m0");
        assert_eq!(taken[1].0, "m1", "consecutive bookings go to different mediators");
        assert!(district.booking_slot(6).is_none());
    }
}
