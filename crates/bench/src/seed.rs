//! The synthetic district: one centre, its stations and many mediators, written straight
//! through the identity and directory repos in batched write transactions (no gRPC, no argon2
//! per account), so that 10,000 mediators take seconds.

use std::time::Instant;

use anyhow::Context as _;
use chrono::Utc;
use mediation_auth::Role;
use mediation_directory::domain::{DEFAULT_TIME_ZONE, LatLng, Mediator, MediatorKind, Mode, Site, SiteKind};
use mediation_identity::repo::NewAccount;
use mediation_ratings::domain::summary::Sums;
use mediation_store::{Db, DbConnection};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use crate::names;

/// Mediators written per transaction.
const BATCH: usize = 1000;
/// Every seeded account shares this password (hashed once).
const PASSWORD: &str = "bench-mediator-password";
/// Yinzhou district, Ningbo: where the seed's stations are.
const CENTRE_LOCATION: LatLng = LatLng { latitude: 29.82, longitude: 121.55 };

#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub stations: usize,
    pub mediators: usize,
    /// Share of the mediators (0 to 1) given a rating summary, as search reads them all.
    pub rated: f64,
    pub seed: u64,
}

/// What the scenarios need to know about the seeded district.
#[derive(Debug, Clone)]
pub struct District {
    pub centre_id: String,
    /// The taxonomy's codes, in its order.
    pub specialty_codes: Vec<String>,
    /// Every seeded mediator's display name, for free-text queries.
    pub names: Vec<String>,
    pub seconds: f64,
}

/// One mediator and the MEDIATOR account it is linked to.
struct Seeded {
    login: String,
    mediator: Mediator,
    ratings: Option<Sums>,
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

/// `count` mediators spread over `stations`, each with 1 to 4 specialities of `taxonomy`.
fn mediators(
    rng: &mut StdRng,
    count: usize,
    rated: f64,
    stations: &[Site],
    taxonomy: &[(String, String, String)],
) -> Vec<Seeded> {
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
    (0..count)
        .map(|i| {
            let how_many = rng.gen_range(1..=4.min(taxonomy.len()));
            let held: Vec<&(String, String, String)> = taxonomy.choose_multiple(rng, how_many).collect();
            let zh: Vec<&str> = held.iter().map(|(_, name_zh, _)| name_zh.as_str()).collect();
            let mut specialty_codes: Vec<String> = held.iter().map(|(code, _, _)| code.clone()).collect();
            specialty_codes.sort();
            let display_name = names::person(rng);
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
                home_site_id: stations[i % stations.len()].id.clone(),
                active: true,
            };
            let ratings = rng.gen_bool(rated).then(|| pick_ratings(rng));
            Seeded { login: format!("bench-{tag}-m{i:05}"), mediator, ratings }
        })
        .collect()
}

fn write_batch(conn: &mut DbConnection, batch: &[Seeded], password_hash: &str) -> anyhow::Result<()> {
    let now = Utc::now();
    for Seeded { login, mediator, ratings } in batch {
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
    }
    Ok(())
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
    db.write(move |conn| {
        let now = Utc::now();
        for site in &sites {
            mediation_directory::repo::insert_site(conn, site, now)?;
        }
        Ok::<_, anyhow::Error>(())
    })
    .await
    .context("writing the sites")?;

    let password_hash =
        mediation_store::run_blocking(|| mediation_auth::hash_password(PASSWORD)).await.context("hashing")?;
    let mut pending = mediators(&mut rng, options.mediators, options.rated, &stations, &taxonomy);
    let names = pending.iter().map(|s| s.mediator.display_name.clone()).collect();
    while !pending.is_empty() {
        let batch: Vec<Seeded> = pending.drain(..BATCH.min(pending.len())).collect();
        let hash = password_hash.clone();
        db.write(move |conn| write_batch(conn, &batch, &hash)).await.context("writing mediators")?;
    }

    Ok(District {
        centre_id: centre.id,
        specialty_codes: taxonomy.into_iter().map(|(code, _, _)| code).collect(),
        names,
        seconds: started.elapsed().as_secs_f64(),
    })
}
