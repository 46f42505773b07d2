//! The demo's tables against the seed, its hours, ids and logins.

use std::collections::HashSet;

use chrono::Weekday;
use mediation_appointments::domain::hours::Hours;
use mediation_auth::random_secret;
use mediation_directory::domain::{MediatorKind, RoomKind, check_level, parse_languages};
use mediation_identity::domain::{check_password, parse_login};

use super::data::{CENTRE_DAYS, CENTRE_ROOMS, Home, MEDIATORS, SATURDAY_STATIONS, STATIONS, WEEKDAYS};
use super::ids::{kiosk_site_id, mediator_id, mediator_login, station_admin_login, station_id};
use super::load::weekly_hours;
use super::{CENTRE_ADMIN, DISPATCHER};

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
    for login in [CENTRE_ADMIN.to_owned(), DISPATCHER.to_owned(), station_admin_login(&STATIONS[0]), mediator_login(0)]
    {
        assert!(parse_login(&login).is_ok(), "{login}");
    }
    assert!(check_password(&format!("demo-{}", &random_secret()[..16])).is_ok());
}
