//! The synthetic district: one centre, its stations and many mediators, written straight
//! through the identity and directory repos in batched write transactions (no gRPC, no argon2
//! per account), so that 10,000 mediators take seconds. For the appointment scenarios it also
//! gives every mediator weekly hours and a room of their own at their station, and seeds
//! residents with a case of each grade, past completed sessions to rate, and, for `streams`,
//! vans with planned home visits.

use std::time::Instant;

use anyhow::Context as _;
use chrono::{DateTime, Duration, NaiveDate, Utc, Weekday};
use mediation_appointments::domain::grading::{self, Assessment, Thresholds};
use mediation_appointments::domain::hours::{self, Hours, Interval, WeeklyRule};
use mediation_appointments::domain::{Appointment, AppointmentStatus, Case, CaseStatus, Origin, Party, PartyRole};
use mediation_auth::Role;
use mediation_directory::domain::{
    DEFAULT_TIME_ZONE, LatLng, Mediator, MediatorKind, Mode, Room, RoomKind, Site, SiteKind,
};
use mediation_dispatch::domain::travel::Point;
use mediation_dispatch::domain::{HomeVisit, Van, VanStatus, VisitReason, VisitStatus};
use mediation_identity::domain::PhoneNumber;
use mediation_identity::repo::NewAccount;
use mediation_ratings::domain::summary::Sums;
use mediation_store::{Db, DbConnection};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::names;

/// Rows of one kind written per transaction.
const BATCH: usize = 1000;
/// Every seeded account shares this password (hashed once); `login` logs residents in with it.
pub const PASSWORD: &str = "bench-mediator-password";
/// Yinzhou district, Ningbo: where the seed's stations are.
const CENTRE_LOCATION: LatLng = LatLng { latitude: 29.82, longitude: 121.55 };
/// Every mediator's weekly hours at their home site, local time: Monday to Saturday 08:00 to
/// 20:00, twelve one-hour slots a day, so that `book` never runs out of distinct slots.
const WORKDAYS: [Weekday; 6] = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat];
const DAY_START_MINUTE: u32 = 8 * 60;
const DAY_END_MINUTE: u32 = 20 * 60;
/// Bookable slots start the day after tomorrow (well past the two hours' notice) and end
/// before the 60-day horizon.
const FIRST_BOOKING_DAY: i64 = 2;
const LAST_BOOKING_DAY: i64 = 55;
/// Home visits a van makes in a day, as the seed's vans do: `streams` seeds a van for each.
const VISITS_PER_VAN: usize = 15;

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
    /// (resident index, appointment id) of completed sessions nobody has rated yet.
    pub completed: Vec<(usize, String)>,
    /// (resident index, visit id) of today's planned home visits, one per resident.
    pub visits: Vec<(usize, String)>,
    pub van_ids: Vec<String>,
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
        Some((mediator, Interval::new(start, start + Duration::hours(1))))
    }
}

/// One mediator and the MEDIATOR account it is linked to.
struct Seeded {
    login: String,
    mediator: Mediator,
    ratings: Option<Sums>,
    /// Their own room at their home site, when the district has hours.
    room: Option<Room>,
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

fn pick_kind(rng: &mut impl Rng) -> MediatorKind {
    match rng.gen_range(0..100) {
        0..70 => MediatorKind::StationMediator,
        70..85 => MediatorKind::ThinkTankExpert,
        85..95 => MediatorKind::PoliceLiaison,
        _ => MediatorKind::PartnerMediator,
    }
}

fn pick_languages(rng: &mut impl Rng) -> Vec<String> {
    let mut languages = vec!["zh".to_owned()];
    for (tag, p) in [("wuu", 0.3), ("en", 0.1), ("yue", 0.03)] {
        if rng.gen_bool(p) {
            languages.push(tag.to_owned());
        }
    }
    languages.sort();
    languages
}

fn pick_modes(rng: &mut impl Rng) -> Vec<Mode> {
    let mut modes: Vec<Mode> = [(Mode::InPerson, 0.9), (Mode::Video, 0.45), (Mode::HomeVisit, 0.25)]
        .into_iter()
        .filter(|(_, p)| rng.gen_bool(*p))
        .map(|(mode, _)| mode)
        .collect();
    if modes.is_empty() {
        modes.push(Mode::InPerson);
    }
    modes
}

/// The running sums of 1 to 40 ratings, mostly good ones.
fn pick_ratings(rng: &mut impl Rng) -> Sums {
    let mut sums = Sums::default();
    for _ in 0..rng.gen_range(1..=40) {
        let overall: i64 = [1, 2, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 5][rng.gen_range(0..13)];
        let near = |rng: &mut dyn rand::RngCore| (overall + rng.gen_range(-1..=1)).clamp(1, 5);
        let settled = rng.gen_bool(0.7);
        sums.count += 1;
        sums.overall += overall;
        sums.fairness += near(rng);
        sums.professionalism += near(rng);
        sums.timeliness += near(rng);
        sums.stars[(overall - 1) as usize] += 1;
        if settled {
            sums.settled_count += 1;
            sums.settled_sum += overall;
        }
    }
    sums
}

/// `options.mediators` mediators spread over `stations`, each with 1 to 4 specialities of
/// `taxonomy`, and (with `options.hours`) a mediation room of their own at their station.
fn mediators(
    rng: &mut StdRng,
    options: &SeedOptions,
    stations: &[Site],
    taxonomy: &[(String, String, String)],
) -> Vec<Seeded> {
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
    (0..options.mediators)
        .map(|i| {
            let how_many = rng.gen_range(1..=4.min(taxonomy.len()));
            let held: Vec<&(String, String, String)> = taxonomy.choose_multiple(rng, how_many).collect();
            let zh: Vec<&str> = held.iter().map(|(_, name_zh, _)| name_zh.as_str()).collect();
            let mut specialty_codes: Vec<String> = held.iter().map(|(code, _, _)| code.clone()).collect();
            specialty_codes.sort();
            let display_name = names::person(rng);
            let station = &stations[i % stations.len()];
            let mediator = Mediator {
                id: new_id(),
                account_id: new_id(),
                bio: names::bio(rng, &zh),
                display_name,
                kind: pick_kind(rng),
                level: [1, 2, 2, 3, 3, 3, 4, 4, 5][rng.gen_range(0..9)],
                specialty_codes,
                languages: pick_languages(rng),
                modes: pick_modes(rng),
                home_site_id: station.id.clone(),
                active: true,
            };
            let ratings = rng.gen_bool(options.rated).then(|| pick_ratings(rng));
            let room = options.hours.then(|| Room {
                id: new_id(),
                site_id: station.id.clone(),
                name: format!("{}·调解室{}", station.name, i / stations.len() + 1),
                kind: RoomKind::Mediation,
                capacity: 6,
            });
            Seeded { login: format!("bench-{tag}-m{i:05}"), mediator, ratings, room }
        })
        .collect()
}

fn weekly_hours() -> Hours {
    let rules = WORKDAYS
        .iter()
        .map(|day| WeeklyRule { day: *day, start_minute: DAY_START_MINUTE, end_minute: DAY_END_MINUTE })
        .collect();
    Hours { rules, effective_from: None, effective_to: None }
}

fn write_batch(conn: &mut DbConnection, batch: &[Seeded], password_hash: &str) -> anyhow::Result<()> {
    let now = Utc::now();
    for Seeded { login, mediator, ratings, room } in batch {
        let account = NewAccount {
            id: &mediator.account_id,
            role: Role::Mediator,
            login: Some(login),
            phone: None,
            password_hash: Some(password_hash),
            display_name: &mediator.display_name,
            site_id: Some(&mediator.home_site_id),
            phone_verified: false,
        };
        mediation_identity::repo::insert_account(conn, &account, now)?;
        mediation_directory::repo::insert_mediator(conn, mediator, now)?;
        if let Some(sums) = ratings {
            mediation_ratings::repo::add_to_summary(conn, &mediator.id, sums, now)?;
        }
        if let Some(room) = room {
            mediation_directory::repo::insert_room(conn, room, now)?;
            mediation_appointments::repo::replace_hours(conn, &mediator.id, &mediator.home_site_id, &weekly_hours())?;
        }
    }
    Ok(())
}

/// The start of every one-hour slot of [`weekly_hours`] from `FIRST_BOOKING_DAY` to
/// `LAST_BOOKING_DAY` days after `now`, through the appointments crate's own expansion.
pub fn slot_starts(now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let window = Interval::new(now + Duration::days(FIRST_BOOKING_DAY), now + Duration::days(LAST_BOOKING_DAY));
    let working = hours::expand(&weekly_hours(), chrono_tz::Asia::Shanghai, window);
    working
        .iter()
        .flat_map(|span| {
            let mut starts = Vec::new();
            let mut start = span.start;
            while start + Duration::hours(1) <= span.end {
                starts.push(start);
                start += Duration::hours(1);
            }
            starts
        })
        .collect()
}

/// An assessment that grades as `grade` under the default thresholds.
fn assessment_for(index: usize) -> Assessment {
    let base = Assessment { amount_in_dispute_yuan: 3_000, party_count: 2, ..Default::default() };
    match index {
        0 => base,
        1 => Assessment { violence_risk: true, ..base },
        _ => Assessment { group_incident_risk: true, ..base },
    }
}

struct NewResident {
    resident: Resident,
    name: String,
    phone: PhoneNumber,
    station_id: String,
}

/// Writes the residents' accounts and their cases, all of speciality `category`.
fn write_residents(
    conn: &mut DbConnection,
    batch: &[NewResident],
    password_hash: &str,
    category: &str,
) -> anyhow::Result<()> {
    let now = Utc::now();
    for new in batch {
        let account = NewAccount {
            id: &new.resident.account_id,
            role: Role::Resident,
            login: None,
            phone: Some(&new.phone),
            password_hash: Some(password_hash),
            display_name: &new.name,
            site_id: None,
            phone_verified: true,
        };
        mediation_identity::repo::insert_account(conn, &account, now)?;
        for (index, case_id) in new.resident.cases.iter().enumerate() {
            let assessment = assessment_for(index);
            let (grade, grade_rationale) = grading::grade(&assessment, &Thresholds::default());
            let parties = vec![
                Party { name: new.name.clone(), phone: new.phone.as_str().to_owned(), role: PartyRole::Applicant },
                Party { name: "李某".into(), phone: "+8613700000000".into(), role: PartyRole::Respondent },
            ];
            let case = Case {
                id: case_id.clone(),
                site_id: new.station_id.clone(),
                applicant_account_id: Some(new.resident.account_id.clone()),
                created_by: new.resident.account_id.clone(),
                category: category.to_owned(),
                summary: "楼上漏水，协商赔偿未果".into(),
                origin: Origin::App,
                grade,
                grade_rationale,
                status: CaseStatus::Open,
                assessment,
                parties,
                created_at: now,
            };
            mediation_appointments::repo::insert_case(conn, &case)?;
        }
    }
    Ok(())
}

/// A session of `case_id` with `mediator_id` that ended `days_ago` days ago, COMPLETED.
fn completed_session(
    case_id: &str,
    mediator_id: &str,
    site_id: &str,
    created_by: &str,
    at: DateTime<Utc>,
) -> Appointment {
    Appointment {
        id: new_id(),
        case_id: case_id.to_owned(),
        site_id: site_id.to_owned(),
        room_id: None,
        mode: Mode::InPerson,
        status: AppointmentStatus::Completed,
        span: Interval::new(at, at + Duration::hours(1)),
        mediator_ids: vec![mediator_id.to_owned()],
        join_url: String::new(),
        cancel_reason: String::new(),
        outcome: None,
        created_by: created_by.to_owned(),
    }
}

/// Today in the district's zone, as the dispatch crate counts days.
fn today() -> NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
}

fn visit(
    case_id: &str,
    station: &Site,
    van_id: &str,
    position: i32,
    requested_by: &str,
    rng: &mut StdRng,
) -> HomeVisit {
    let day = today();
    let local = |hour: u32| {
        let naive = day.and_hms_opt(hour, 0, 0).expect("a valid hour");
        DateTime::<Utc>::from_naive_utc_and_offset(naive - Duration::hours(8), Utc)
    };
    let location = station.location.expect("seeded stations have a location");
    HomeVisit {
        id: new_id(),
        case_id: case_id.to_owned(),
        station_id: station.id.clone(),
        day,
        address: "浙江省宁波市鄞州区某小区".into(),
        location: Point::lat_lng(
            location.latitude + rng.gen_range(-0.02..0.02),
            location.longitude + rng.gen_range(-0.02..0.02),
        ),
        window_start: local(8),
        window_end: local(20),
        duration_minutes: 45,
        reason: VisitReason::Privacy,
        specialty_code: None,
        priority: 0,
        status: VisitStatus::Planned,
        van_id: Some(van_id.to_owned()),
        position: Some(position),
        eta: Some(local(9) + Duration::minutes(i64::from(position) * 50)),
        note: String::new(),
        cancel_reason: String::new(),
        requested_by: requested_by.to_owned(),
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

    let password_hash =
        mediation_store::run_blocking(|| mediation_auth::hash_password(PASSWORD)).await.context("hashing")?;
    let mut pending = mediators(&mut rng, options, &stations, &taxonomy);
    let names = pending.iter().map(|s| s.mediator.display_name.clone()).collect();
    let mut bookable = Vec::new();
    let mut bookable_by_station = vec![Vec::new(); stations.len()];
    for (i, seeded) in pending.iter().enumerate() {
        let ordinary = matches!(seeded.mediator.kind, MediatorKind::StationMediator | MediatorKind::PoliceLiaison);
        if let (Some(room), true) = (&seeded.room, ordinary) {
            bookable_by_station[i % stations.len()].push(bookable.len());
            bookable.push(Bookable {
                mediator_id: seeded.mediator.id.clone(),
                room_id: room.id.clone(),
                site_id: room.site_id.clone(),
            });
        }
    }
    while !pending.is_empty() {
        let batch: Vec<Seeded> = pending.drain(..BATCH.min(pending.len())).collect();
        let hash = password_hash.clone();
        db.write(move |conn| write_batch(conn, &batch, &hash)).await.context("writing mediators")?;
    }

    let mut residents = Vec::with_capacity(options.residents);
    let mut pending: Vec<NewResident> = (0..options.residents)
        .map(|i| {
            let phone_text = format!("139{i:08}");
            let station = i % stations.len();
            NewResident {
                resident: Resident {
                    account_id: new_id(),
                    phone: phone_text.clone(),
                    station,
                    cases: [new_id(), new_id(), new_id()],
                },
                name: names::person(&mut rng),
                phone: PhoneNumber::parse(&phone_text).expect("a valid mobile number"),
                station_id: stations[station].id.clone(),
            }
        })
        .collect();
    while !pending.is_empty() {
        let batch: Vec<NewResident> = pending.drain(..BATCH.min(pending.len())).collect();
        residents.extend(batch.iter().map(|new| new.resident.clone()));
        let (hash, category) = (password_hash.clone(), taxonomy[0].0.clone());
        db.write(move |conn| write_residents(conn, &batch, &hash, &category)).await.context("writing residents")?;
    }

    // Completed sessions in the past: each resident's ORDINARY case with a mediator of their
    // station, one a day back from yesterday, so none overlap.
    let mut completed = Vec::new();
    let mut sessions = Vec::new();
    for (index, resident) in residents.iter().enumerate() {
        let at_station = &bookable_by_station[resident.station];
        for n in 0..options.completed_per_resident {
            let Some(&pick) = at_station.get((index + n) % at_station.len().max(1)) else { break };
            let at = Utc::now() - Duration::days(n as i64 + 1) - Duration::hours(3);
            let session = completed_session(
                &resident.cases[0],
                &bookable[pick].mediator_id,
                &stations[resident.station].id,
                &resident.account_id,
                at,
            );
            completed.push((index, session.id.clone()));
            sessions.push(session);
        }
    }
    while !sessions.is_empty() {
        let batch: Vec<Appointment> = sessions.drain(..BATCH.min(sessions.len())).collect();
        db.write(move |conn| {
            let now = Utc::now();
            for session in &batch {
                mediation_appointments::repo::insert_appointment(conn, session, now)?;
            }
            Ok::<_, anyhow::Error>(())
        })
        .await
        .context("writing completed sessions")?;
    }

    // A planned visit today for every resident, on vans spread over the stations.
    let mut van_ids = Vec::new();
    let mut visits = Vec::new();
    if options.visits {
        anyhow::ensure!(!residents.is_empty(), "home visits need --residents of at least 1");
        let vans: Vec<Van> = (0..residents.len().div_ceil(VISITS_PER_VAN))
            .map(|i| Van {
                id: new_id(),
                plate: format!("浙B·J{:04}", rng.gen_range(0..10_000)),
                depot_site_id: stations[i % stations.len()].id.clone(),
                seats: 6,
                status: VanStatus::Available,
                location: None,
                located_at: None,
            })
            .collect();
        let planned: Vec<HomeVisit> = (0..residents.len())
            .map(|i| {
                let (van, resident) = (&vans[i % vans.len()], &residents[i]);
                let depot = &stations[(i % vans.len()) % stations.len()];
                let position = (i / vans.len()) as i32;
                visit(&resident.cases[0], depot, &van.id, position, &resident.account_id, &mut rng)
            })
            .collect();
        van_ids = vans.iter().map(|v| v.id.clone()).collect();
        visits = planned.iter().enumerate().map(|(i, v)| (i, v.id.clone())).collect();
        db.write(move |conn| {
            let now = Utc::now();
            for van in &vans {
                mediation_dispatch::repo::insert_van(conn, van, now)?;
            }
            for visit in &planned {
                mediation_dispatch::repo::insert_visit(conn, visit, now)?;
            }
            Ok::<_, anyhow::Error>(())
        })
        .await
        .context("writing vans and home visits")?;
    }

    Ok(District {
        centre_id: centre.id,
        specialty_codes: taxonomy.into_iter().map(|(code, _, _)| code).collect(),
        names,
        residents,
        bookable,
        bookable_by_station,
        slot_starts: if options.hours { slot_starts(Utc::now()) } else { Vec::new() },
        completed,
        visits,
        van_ids,
        admin_account_id,
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, Timelike};

    use super::*;

    #[test]
    fn slots_are_working_hours_in_shanghai() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T03:00:00Z").unwrap().with_timezone(&Utc);
        let starts = slot_starts(now);
        // 53 days of which six in seven are workdays, twelve slots each.
        assert!((500..=560).contains(&starts.len()), "{}", starts.len());
        for start in &starts {
            let local = start.with_timezone(&chrono_tz::Asia::Shanghai);
            assert!((8..20).contains(&local.hour()) && local.minute() == 0, "{local}");
            assert_ne!(local.weekday(), Weekday::Sun);
        }
        assert!(starts.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn booking_slots_are_distinct_and_run_out() {
        let now = Utc::now();
        let district = District {
            centre_id: String::new(),
            specialty_codes: vec![],
            names: vec![],
            residents: vec![],
            bookable: (0..3)
                .map(|i| Bookable { mediator_id: format!("m{i}"), room_id: format!("r{i}"), site_id: "s".into() })
                .collect(),
            bookable_by_station: vec![],
            slot_starts: vec![now, now + Duration::hours(1)],
            completed: vec![],
            visits: vec![],
            van_ids: vec![],
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
