//! `mediation seed-demo`: the demo district loads twice without duplicating anything, and what
//! it printed lets each role in.

use std::collections::{BTreeMap, HashSet};

use mediation_api::directory::v1 as directory;
use mediation_api::identity::v1 as identity;
use mediation_api::status::reason;
use mediation_gateway::demo::{DemoDistrict, seed_demo};
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
        (&second.mediator, identity::Role::Mediator),
        (&second.resident_phone, identity::Role::Resident),
    ];
    for (login, role) in logins {
        let tokens = app.login(login, &second.password).await;
        let me = client.get_me(authed(identity::GetMeRequest {}, &tokens.access_token)).await.unwrap().into_inner();
        assert_eq!(me.role, role as i32, "{login} logs in as {role:?}");
    }
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
