//! The mediators: random profiles spread over the stations, each with its MEDIATOR account, for
//! some a rating summary, and (for the appointment scenarios) a room of their own and weekly
//! hours at their station; written in batched transactions.

use anyhow::Context as _;
use chrono::Utc;
use mediation_auth::Role;
use mediation_directory::domain::{Mediator, MediatorKind, Mode, Room, RoomKind, Site};
use mediation_identity::repo::NewAccount;
use mediation_ratings::domain::summary::Sums;
use mediation_store::{Db, DbConnection};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::hours::weekly_hours;
use super::{BATCH, Bookable, SeedOptions, new_id};
use crate::names;

/// One mediator and the MEDIATOR account it is linked to.
pub(super) struct Seeded {
    login: String,
    pub(super) mediator: Mediator,
    ratings: Option<Sums>,
    /// Their own room at their home site, when the district has hours.
    room: Option<Room>,
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
pub(super) fn mediators(
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

/// The mediators who may take an ORDINARY case alone and have a room, and their indexes by
/// station (the `i`-th mediator is at station `i % stations`).
pub(super) fn bookable(seeded: &[Seeded], stations: usize) -> (Vec<Bookable>, Vec<Vec<usize>>) {
    let mut bookable = Vec::new();
    let mut bookable_by_station = vec![Vec::new(); stations];
    for (i, seeded) in seeded.iter().enumerate() {
        let ordinary = matches!(seeded.mediator.kind, MediatorKind::StationMediator | MediatorKind::PoliceLiaison);
        if let (Some(room), true) = (&seeded.room, ordinary) {
            bookable_by_station[i % stations].push(bookable.len());
            bookable.push(Bookable {
                mediator_id: seeded.mediator.id.clone(),
                account_id: seeded.mediator.account_id.clone(),
                room_id: room.id.clone(),
                site_id: room.site_id.clone(),
            });
        }
    }
    (bookable, bookable_by_station)
}

/// Writes the mediators, [`BATCH`] to a transaction.
pub(super) async fn write(db: &Db, mut pending: Vec<Seeded>, password_hash: &str) -> anyhow::Result<()> {
    while !pending.is_empty() {
        let batch: Vec<Seeded> = pending.drain(..BATCH.min(pending.len())).collect();
        let hash = password_hash.to_owned();
        db.write(move |conn| write_batch(conn, &batch, &hash)).await.context("writing mediators")?;
    }
    Ok(())
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
