//! The whole district in one transaction: the centre and its rooms, every station with its
//! kiosk and rooms, the staff, the resident, the mediators with their weekly hours, the kiosk
//! terminals and the vans, each created or reset through the upserts.

use anyhow::{Context, bail};
use chrono::{Utc, Weekday};
use mediation_appointments::domain::hours::{Hours, WeeklyRule};
use mediation_auth::{Principal, Role};
use mediation_directory::domain::{LatLng, MediatorKind, RoomKind, Site, SiteKind};
use mediation_dispatch::domain::{Van, VanStatus};
use mediation_store::DbConnection;

use super::data::{
    CENTRE_DAYS, CENTRE_ROOMS, CENTRE_SESSION, Home, MEDIATORS, MediatorSeed, SATURDAY_SESSION, SATURDAY_STATIONS,
    STATION_SESSIONS, STATIONS, WEEKDAYS,
};
use super::ids::{
    home_site_id, kiosk_name, kiosk_site_id, mediator_id, mediator_login, station_admin_login,
    station_dispatcher_login, station_id,
};
use super::upsert_accounts::{upsert_kiosk, upsert_resident, upsert_staff};
use super::upsert_directory::{upsert_mediator, upsert_room, upsert_site};
use super::{CENTRE_ADMIN, CENTRE_ID, DISPATCHER, TIME_ZONE, Tally, VANS};

/// The whole district in the caller's transaction: the (sites, rooms, accounts, mediators)
/// tallies and the number of working-hour rules written.
pub(super) fn load(
    conn: &mut DbConnection,
    password_hash: &str,
    kiosk_hashes: &[String],
) -> anyhow::Result<([Tally; 5], usize)> {
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
        (
            station_dispatcher_login(first),
            Role::Dispatcher,
            format!("{}派出所流动调解车调度员", first.name),
            Some(station_id(first)),
        ),
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
pub(super) fn weekly_hours(seed: &MediatorSeed) -> anyhow::Result<Hours> {
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
