//! For `streams`: vans spread over the stations and a home visit planned on one of them today
//! for every resident.

use anyhow::Context as _;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use mediation_directory::domain::Site;
use mediation_dispatch::domain::travel::Point;
use mediation_dispatch::domain::{HomeVisit, Van, VanStatus, VisitReason, VisitStatus};
use mediation_store::Db;
use rand::Rng;
use rand::rngs::StdRng;

use super::{Resident, new_id};

/// Home visits a van makes in a day, as the seed's vans do: `streams` seeds a van for each.
const VISITS_PER_VAN: usize = 15;

/// Writes the vans and a planned visit today for every resident, on vans spread over the
/// stations; returns the van ids and the (resident index, visit id) pairs.
pub(super) async fn write(
    db: &Db,
    rng: &mut StdRng,
    residents: &[Resident],
    stations: &[Site],
) -> anyhow::Result<(Vec<String>, Vec<(usize, String)>)> {
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
            visit(&resident.cases[0], depot, &van.id, position, &resident.account_id, rng)
        })
        .collect();
    let van_ids = vans.iter().map(|v| v.id.clone()).collect();
    let visits = planned.iter().enumerate().map(|(i, v)| (i, v.id.clone())).collect();
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
    Ok((van_ids, visits))
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
        outcome: None,
        appointment_id: None,
    }
}
