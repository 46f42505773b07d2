//! `mediation seed-demo`: the demo district loads twice without duplicating anything, what it
//! printed lets each role in, and its mediators' working hours give the demo resident slots
//! next week: at their station for an ordinary case, with think-tank experts at the centre for
//! a difficult one.

use std::collections::{BTreeMap, HashSet};

use chrono::{Datelike, Duration, NaiveTime, TimeZone, Timelike, Utc, Weekday};
use mediation_api::appointments::v1 as pb;
use mediation_api::directory::v1 as directory;
use mediation_api::dispatch::v1 as dispatch;
use mediation_api::identity::v1 as identity;
use mediation_api::status::reason;
use mediation_gateway::demo::{DemoDistrict, seed_demo};
use prost_types::Timestamp;
use tonic::Code;

use crate::common::*;

both_backends!(the_demo_district_loads_twice_and_its_logins_work);

async fn the_demo_district_loads_twice_and_its_logins_work(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = mediation_gateway::startup_db(&app.settings).await.unwrap();
    let first = seed_demo(&db).await.expect("the first run loads");
    let second = seed_demo(&db).await.expect("the second run loads");
    assert_eq!(first.sites.created, 49);
    assert_eq!(first.mediators.created, first.mediators.total());
    for (name, tally) in [("sites", second.sites), ("rooms", second.rooms), ("accounts", second.accounts)] {
        assert_eq!(tally.created, 0, "the second run created {name}");
    }
    assert_eq!(second.mediators.created, 0);
    assert_eq!(second.rooms.updated, first.rooms.created);
    assert_ne!(first.password, second.password, "a run issues a new password");
    assert_ne!(first.kiosk.secret, second.kiosk.secret, "a run issues new kiosk secrets");
    let printed = second.to_string();
    assert!(printed.contains("Working hours") && printed.contains("van-yinzhou-1"), "{printed}");
    assert!(!printed.contains("#4") && !printed.contains("#6"), "{printed}");

    // The second run replaced the working hours rather than adding to them.
    assert!(first.hour_rules > 0);
    assert_eq!(second.hour_rules, first.hour_rules);
    assert_eq!((first.vans.created, first.vans.updated), (2, 0), "two vans");
    assert_eq!((second.vans.created, second.vans.updated), (0, 2), "and no more on a second run");
    let stored = db
        .read::<_, anyhow::Error, _>(|conn| Ok(mediation_appointments::repo::hours(conn, None, None)?))
        .await
        .unwrap();
    assert_eq!(stored.len(), first.mediators.total(), "one schedule a mediator, at their home site");
    assert_eq!(stored.iter().map(|(.., hours)| hours.rules.len()).sum::<usize>(), second.hour_rules);
    let (_, site, hours) = stored.iter().find(|(m, ..)| m == "mediator-001").expect("mediator-001 has hours");
    assert_eq!(site, "site-station-zhonghe");
    assert_eq!(hours.rules.len(), 11, "two sessions Monday to Friday and Saturday morning");

    let (centre, stations, kiosks) = sites(&app).await;
    assert_eq!(centre.len(), 1);
    assert_eq!(stations.len(), 24);
    assert_eq!(kiosks.len(), 24);
    let station_ids: HashSet<&str> = stations.iter().map(|s| s.id.as_str()).collect();
    for station in &stations {
        assert_eq!(station.parent_id, centre[0].id);
        assert_eq!(station.time_zone, "Asia/Shanghai");
        let at = station.location.expect("a station has a location");
        assert!((29.6..29.95).contains(&at.latitude) && (121.35..121.8).contains(&at.longitude), "{station:?}");
        assert!(!station.address.is_empty());
    }
    for kiosk in &kiosks {
        assert!(station_ids.contains(kiosk.parent_id.as_str()), "{kiosk:?}");
    }
    assert!(station_ids.contains("site-station-zhonghe"));

    let mut client = app.directory().await;
    let rooms =
        |site_id: &str| directory::ListRoomsRequest { site_id: site_id.into(), page_size: 500, ..Default::default() };
    let centre_rooms = client.list_rooms(rooms(&centre[0].id)).await.unwrap().into_inner().rooms;
    let zhonghe_rooms = client.list_rooms(rooms("site-station-zhonghe")).await.unwrap().into_inner().rooms;
    for kind in [
        directory::RoomKind::Mediation,
        directory::RoomKind::Triage,
        directory::RoomKind::Video,
        directory::RoomKind::Advisory,
    ] {
        assert!(centre_rooms.iter().any(|r| r.kind == kind as i32), "the centre has a {kind:?} room");
        assert!(zhonghe_rooms.iter().any(|r| r.kind == kind as i32), "a station has a {kind:?} room");
    }
    assert!(zhonghe_rooms.iter().any(|r| r.id == "room-zhonghe-mediation-1"));

    let mediators = all_mediators(&app).await;
    assert!(mediators.len() >= 60, "{} mediators", mediators.len());
    let ids: HashSet<&str> = mediators.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids.len(), mediators.len(), "each mediator once");
    assert!(ids.contains("mediator-001"));
    let kinds: HashSet<i32> = mediators.iter().map(|m| m.kind).collect();
    assert_eq!(kinds.len(), 4, "every kind of mediator");
    let specialties =
        client.list_specialties(directory::ListSpecialtiesRequest {}).await.unwrap().into_inner().specialties;
    let mut holders: BTreeMap<&str, usize> = specialties.iter().map(|s| (s.code.as_str(), 0)).collect();
    for code in mediators.iter().flat_map(|m| &m.specialty_codes) {
        *holders.get_mut(code.as_str()).expect("a known speciality") += 1;
    }
    assert!(holders.values().all(|n| *n > 0), "every speciality has a mediator: {holders:?}");
    assert!(mediators.iter().any(|m| m.languages.iter().any(|l| l == "wuu")), "some speak Ningbo dialect");

    logins_work(&app, &first, &second).await;
    let experts = mediators.iter().filter(|m| m.kind == directory::MediatorKind::ThinkTankExpert as i32).count();
    the_resident_finds_slots_next_week(&app, &second, experts).await;
}

/// (centres, stations, kiosks).
async fn sites(app: &TestApp) -> (Vec<directory::Site>, Vec<directory::Site>, Vec<directory::Site>) {
    let mut client = app.directory().await;
    let mut list = async |kind: directory::SiteKind| {
        let request = directory::ListSitesRequest { kind: kind.into(), page_size: 500, ..Default::default() };
        let response = client.list_sites(request).await.unwrap().into_inner();
        assert!(response.next_page_token.is_empty());
        response.sites
    };
    let centres = list(directory::SiteKind::Centre).await;
    let stations = list(directory::SiteKind::Station).await;
    let kiosks = list(directory::SiteKind::Kiosk).await;
    (centres, stations, kiosks)
}

/// Every mediator, paging through SearchMediators 100 at a time.
async fn all_mediators(app: &TestApp) -> Vec<directory::Mediator> {
    let mut client = app.directory().await;
    let (mut found, mut page_token) = (Vec::new(), String::new());
    loop {
        let request = directory::SearchMediatorsRequest { page_size: 100, page_token, ..Default::default() };
        let page = client.search_mediators(request).await.unwrap().into_inner();
        found.extend(page.hits.into_iter().map(|hit| hit.mediator.expect("a hit carries its profile")));
        if page.next_page_token.is_empty() {
            return found;
        }
        page_token = page.next_page_token;
    }
}

async fn logins_work(app: &TestApp, first: &DemoDistrict, second: &DemoDistrict) {
    let mut client = app.identity().await;
    let logins = [
        (&second.centre_admin, identity::Role::CentreAdmin),
        (&second.station_admin, identity::Role::StationAdmin),
        (&second.dispatcher, identity::Role::Dispatcher),
        (&second.station_dispatcher, identity::Role::Dispatcher),
        (&second.mediator, identity::Role::Mediator),
        (&second.resident_phone, identity::Role::Resident),
    ];
    for (login, role) in logins {
        let tokens = app.login(login, &second.password).await;
        let me = client.get_me(authed(identity::GetMeRequest {}, &tokens.access_token)).await.unwrap().into_inner();
        assert_eq!(me.role, role as i32, "{login} logs in as {role:?}");
    }
    // The vans' dispatcher dispatches the first van, at its depot.
    let dispatcher = app.login(&second.station_dispatcher, &second.password).await.access_token;
    let vans = dispatch::ListVansRequest { depot_site_id: "site-station-zhonghe".into(), ..Default::default() };
    let vans = app.dispatch().await.list_vans(authed(vans, &dispatcher)).await.expect("lists its vans").into_inner();
    assert_eq!(vans.vans.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(), ["van-yinzhou-1"]);
    let stale = client
        .login(identity::LoginRequest { login: second.centre_admin.clone(), password: first.password.clone() })
        .await;
    assert_status(stale, Code::Unauthenticated, reason::BAD_CREDENTIALS);

    let kiosk = |secret: &str| identity::KioskLoginRequest { kiosk_id: second.kiosk.id.clone(), secret: secret.into() };
    let tokens = client.kiosk_login(kiosk(&second.kiosk.secret)).await.expect("the demo kiosk logs in").into_inner();
    let me = client.get_me(authed(identity::GetMeRequest {}, &tokens.access_token)).await.unwrap().into_inner();
    assert_eq!(me.role, identity::Role::Kiosk as i32);
    assert_eq!(me.site_id, "site-kiosk-zhonghe");
    assert_status(client.kiosk_login(kiosk(&first.kiosk.secret)).await, Code::Unauthenticated, reason::BAD_CREDENTIALS);
}

// ---------------------------------------------------------------------------------------------
// Working hours, through the appointments service

/// The demo resident's own app case at `site_id`, with them as the one applicant.
fn resident_case(site_id: &str, resident_phone: &str, assessment: pb::Assessment) -> pb::CreateCaseRequest {
    pb::CreateCaseRequest {
        summary: "楼上装修噪声扰民，多次协商未果。".into(),
        parties: vec![party("王小丽", resident_phone, pb::PartyRole::Applicant)],
        ..new_case(site_id, pb::CaseOrigin::App, resident_phone, assessment)
    }
}

/// Every one-hour slot of the week that starts at local midnight four days from today (so at
/// least three days ahead, clear of the minimum notice).
async fn next_week(app: &TestApp, token: &str, case_id: &str) -> Vec<pb::Slot> {
    let today = Utc::now().with_timezone(&shanghai()).date_naive();
    let from = shanghai().from_local_datetime(&(today + Duration::days(4)).and_time(NaiveTime::MIN)).unwrap();
    let request = pb::SearchAvailabilityRequest {
        case_id: case_id.into(),
        from: Some(ts(from.with_timezone(&Utc))),
        to: Some(ts((from + Duration::days(7)).with_timezone(&Utc))),
        duration: Some(prost_types::Duration { seconds: 3600, nanos: 0 }),
        max_slots: 1000,
        ..Default::default()
    };
    let slots = app.appointments().await.search_availability(authed(request, token)).await.expect("searches");
    slots.into_inner().slots
}

/// Each offered mediator's profile, by id.
async fn offered(app: &TestApp, slots: &[pb::Slot]) -> BTreeMap<String, directory::Mediator> {
    let mut client = app.directory().await;
    let mut profiles = BTreeMap::new();
    for id in slots.iter().flat_map(|s| &s.mediator_ids) {
        if !profiles.contains_key(id) {
            let request = directory::GetMediatorRequest { id: id.clone() };
            profiles.insert(id.clone(), client.get_mediator(request).await.expect("an offered mediator").into_inner());
        }
    }
    profiles
}

async fn the_resident_finds_slots_next_week(app: &TestApp, demo: &DemoDistrict, experts: usize) {
    let token = app.login(&demo.resident_phone, &demo.password).await.access_token;
    let mut client = app.appointments().await;

    // An ordinary case at the demo station: its station mediators and police liaison, in
    // station hours (08:30 to 12:00 and 13:30 to 17:30, and on Saturday morning at 中河).
    let assessment = pb::Assessment { amount_in_dispute_yuan: 2_000, ..Default::default() };
    let request = resident_case("site-station-zhonghe", &demo.resident_phone, assessment);
    let case = client.create_case(authed(request, &token)).await.expect("files the case").into_inner();
    assert_eq!(case.grade, pb::Grade::Ordinary as i32, "{case:?}");
    let slots = next_week(app, &token, &case.id).await;
    assert!(!slots.is_empty(), "an ordinary case finds slots next week");
    let local = |t: &Option<Timestamp>| instant(t).with_timezone(&shanghai());
    for slot in &slots {
        assert_eq!(slot.site_id, "site-station-zhonghe", "{slot:?}");
        let (start, end) = (local(&slot.start), local(&slot.end));
        let (from, to) = (start.hour() * 60 + start.minute(), end.hour() * 60 + end.minute());
        let in_session = if start.weekday() == Weekday::Sat {
            (9 * 60..=11 * 60).contains(&from)
        } else {
            (8 * 60 + 30..=11 * 60).contains(&from) || (13 * 60 + 30..=16 * 60 + 30).contains(&from)
        };
        assert!(in_session && to - from == 60 && start.weekday() != Weekday::Sun, "{start} to {end}");
    }
    assert!(slots.iter().any(|s| local(&s.start).weekday() == Weekday::Sat), "中河 opens on Saturday morning");
    assert!(slots.iter().any(|s| local(&s.start).time() == NaiveTime::from_hms_opt(8, 30, 0).unwrap()));
    let profiles = offered(app, &slots).await;
    assert!(profiles.len() >= 3, "both station mediators and the liaison: {:?}", profiles.keys());
    for mediator in profiles.values() {
        let kind = directory::MediatorKind::try_from(mediator.kind).unwrap();
        assert!(
            matches!(kind, directory::MediatorKind::StationMediator | directory::MediatorKind::PoliceLiaison),
            "{mediator:?}"
        );
        assert_eq!(mediator.home_site_id, "site-station-zhonghe");
    }

    // A difficult case at the centre: think-tank experts only, at the centre.
    let assessment = pb::Assessment { violence_risk: true, ..Default::default() };
    let request = resident_case("site-yinzhou-centre", &demo.resident_phone, assessment);
    let case = client.create_case(authed(request, &token)).await.expect("files the case").into_inner();
    assert_eq!(case.grade, pb::Grade::Difficult as i32, "{case:?}");
    let slots = next_week(app, &token, &case.id).await;
    assert!(!slots.is_empty(), "a difficult case finds slots next week");
    for slot in &slots {
        assert_eq!(slot.site_id, "site-yinzhou-centre", "{slot:?}");
        assert_eq!(slot.mediator_ids.len(), 1, "{slot:?}");
    }
    let profiles = offered(app, &slots).await;
    for mediator in profiles.values() {
        assert_eq!(mediator.kind, directory::MediatorKind::ThinkTankExpert as i32, "{mediator:?}");
    }
    assert_eq!(profiles.len(), experts, "every expert sits at the centre some day of the week");
}
