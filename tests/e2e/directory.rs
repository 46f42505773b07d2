use std::collections::HashSet;

use mediation_api::directory::v1 as pb;
use mediation_api::identity::v1 as identity;
use mediation_api::status::reason;
use prost_types::FieldMask;
use tonic::Code;

use crate::common::*;

both_backends!(
    residents_find_every_holder_of_a_speciality_across_a_subtree,
    twenty_five_results_come_in_three_pages_of_ten,
    residents_cannot_write_and_bad_fields_are_named,
    station_admins_manage_only_their_subtree,
    updates_change_only_the_masked_fields,
    profiles_belong_to_mediator_accounts,
    the_taxonomy_is_published,
    a_second_gateway_searches_what_the_first_just_wrote,
);

/// A MEDIATOR account `login`, shown as its login, made by `admin`; returns its id.
async fn mediator_account(app: &TestApp, admin: &str, login: &str, site: &str) -> String {
    create_staff_account(app, admin, login, identity::Role::Mediator, site, login).await
}

fn profile(account_id: &str, home: &str, name: &str, codes: &[&str]) -> pb::Mediator {
    pb::Mediator {
        display_name: name.into(),
        kind: pb::MediatorKind::StationMediator.into(),
        level: 2,
        specialty_codes: codes.iter().map(|c| c.to_string()).collect(),
        languages: vec!["zh".into(), "wuu".into()],
        modes: vec![pb::MediationMode::InPerson.into()],
        home_site_id: home.into(),
        account_id: account_id.into(),
        bio: format!("{name}，社区调解二十年。"),
        ..Default::default()
    }
}

/// A mediator with a fresh account; returns the profile.
async fn mediator(app: &TestApp, admin: &str, home: &str, name: &str, codes: &[&str]) -> pb::Mediator {
    let login = format!("m.{}", uuid::Uuid::new_v4().simple());
    let account = mediator_account(app, admin, &login, home).await;
    let request = pb::CreateMediatorRequest {
        request_id: new_request_id(),
        mediator: Some(profile(&account, home, name, codes)),
    };
    app.directory().await.create_mediator(authed(request, admin)).await.expect("creates the mediator").into_inner()
}

fn search(codes: &[&str], site: &str, subtree: bool) -> pb::SearchMediatorsRequest {
    pb::SearchMediatorsRequest {
        specialty_codes: codes.iter().map(|c| c.to_string()).collect(),
        site_id: site.into(),
        include_child_sites: subtree,
        ..Default::default()
    }
}

async fn all_ids(app: &TestApp, mut request: pb::SearchMediatorsRequest) -> Vec<String> {
    let mut client = app.directory().await;
    let mut ids = Vec::new();
    loop {
        let page = client.search_mediators(request.clone()).await.unwrap().into_inner();
        ids.extend(page.hits.into_iter().map(|h| h.mediator.unwrap().id));
        if page.next_page_token.is_empty() {
            return ids;
        }
        request.page_token = page.next_page_token;
    }
}

async fn residents_find_every_holder_of_a_speciality_across_a_subtree(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.centre_admin().await.access_token;
    let (centre, [s1, s2], _) = app.district(&admin).await;
    let mut family = HashSet::new();
    for (home, name) in [(&s1, "王芳"), (&s1, "李娜"), (&s2, "张敏"), (&centre, "潘建国")] {
        family.insert(mediator(&app, &admin, home, name, &["family_marriage", "neighbour"]).await.id);
    }
    mediator(&app, &admin, &s1, "刘洋", &["traffic_accident"]).await;
    mediator(&app, &admin, &s2, "陈杰", &["labour_wages"]).await;

    // A resident (or anyone) searches the centre's whole subtree.
    let resident = app.resident("13800000101").await;
    let mut client = app.directory().await;
    let found = client
        .search_mediators(authed(search(&["family_marriage"], &centre, true), &resident.access_token))
        .await
        .unwrap()
        .into_inner();
    let ids: HashSet<String> = found.hits.iter().map(|h| h.mediator.clone().unwrap().id).collect();
    assert_eq!(ids, family);
    for hit in &found.hits {
        let m = hit.mediator.as_ref().unwrap();
        assert!(m.specialty_codes.contains(&"family_marriage".to_owned()), "{m:?}");
        assert_eq!(hit.rating.unwrap().count, 0);
    }
    let anonymous = all_ids(&app, search(&["family_marriage"], &centre, true)).await;
    assert_eq!(anonymous.into_iter().collect::<HashSet<_>>(), family);

    assert_eq!(all_ids(&app, search(&["family_marriage"], &centre, false)).await.len(), 1, "only the centre's own");
    assert_eq!(all_ids(&app, search(&["family_marriage"], &s1, false)).await.len(), 2);
    assert_eq!(all_ids(&app, search(&[], &centre, true)).await.len(), 6);
    assert_eq!(all_ids(&app, search(&["medical"], &centre, true)).await.len(), 0);

    // Free text, language and mode narrow further; relevance puts a name hit first.
    let by_name = pb::SearchMediatorsRequest { query: "潘".into(), ..search(&[], &centre, true) };
    assert_eq!(all_ids(&app, by_name).await.len(), 1);
    let english = pb::SearchMediatorsRequest { language: "en".into(), ..search(&[], &centre, true) };
    assert!(all_ids(&app, english).await.is_empty());
    let video = pb::SearchMediatorsRequest { mode: pb::MediationMode::Video.into(), ..search(&[], "", false) };
    assert!(all_ids(&app, video).await.is_empty());
    let unknown_site = client.search_mediators(search(&[], "no-such-site", true)).await;
    assert_eq!(violated_fields(&assert_status(unknown_site, Code::InvalidArgument, reason::VALIDATION)), ["site_id"]);
}

async fn twenty_five_results_come_in_three_pages_of_ten(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.centre_admin().await.access_token;
    let (centre, [s1, _], _) = app.district(&admin).await;
    for i in 0..25 {
        mediator(&app, &admin, &s1, &format!("调解员{i:02}"), &["neighbour"]).await;
    }
    let mut client = app.directory().await;
    let mut request = pb::SearchMediatorsRequest {
        page_size: 10,
        order_by: pb::MediatorOrder::Name.into(),
        ..search(&["neighbour"], &centre, true)
    };
    let mut pages = Vec::new();
    let mut seen = Vec::new();
    loop {
        let page = client.search_mediators(request.clone()).await.unwrap().into_inner();
        pages.push(page.hits.len());
        seen.extend(page.hits.into_iter().map(|h| h.mediator.unwrap().id));
        if pages.len() == 1 {
            // A mediator added between pages, sorting before the cursor, must not shift the pages.
            mediator(&app, &admin, &s1, "调解员00a", &["neighbour"]).await;
            let other_query = pb::SearchMediatorsRequest {
                page_token: page.next_page_token.clone(),
                ..search(&["medical"], &centre, true)
            };
            let reused = client.search_mediators(other_query).await;
            assert_eq!(
                violated_fields(&assert_status(reused, Code::InvalidArgument, reason::VALIDATION)),
                ["page_token"]
            );
        }
        if page.next_page_token.is_empty() {
            break;
        }
        request.page_token = page.next_page_token;
    }
    assert_eq!(pages, [10, 10, 5]);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 25, "each mediator once");

    let negative = client.search_mediators(pb::SearchMediatorsRequest { page_size: -1, ..Default::default() }).await;
    assert_eq!(violated_fields(&assert_status(negative, Code::InvalidArgument, reason::VALIDATION)), ["page_size"]);
    let huge = client.search_mediators(pb::SearchMediatorsRequest { page_size: i32::MAX, ..Default::default() }).await;
    assert_eq!(huge.unwrap().into_inner().hits.len(), 26, "capped at the maximum, which is above 26");
    let garbage =
        client.search_mediators(pb::SearchMediatorsRequest { page_token: "xyz".into(), ..Default::default() }).await;
    assert_status(garbage, Code::InvalidArgument, reason::VALIDATION);
}

async fn residents_cannot_write_and_bad_fields_are_named(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.centre_admin().await.access_token;
    let (centre, [s1, _], _) = app.district(&admin).await;
    let resident = app.resident("13800000102").await.access_token;
    let mut client = app.directory().await;

    let site = pb::Site {
        name: "新站".into(),
        kind: pb::SiteKind::Station.into(),
        parent_id: centre.clone(),
        ..Default::default()
    };
    let by_resident = client
        .create_site(authed(
            pb::CreateSiteRequest { request_id: new_request_id(), site: Some(site.clone()) },
            &resident,
        ))
        .await;
    assert_status(by_resident, Code::PermissionDenied, reason::FORBIDDEN);
    let anonymous =
        client.create_site(pb::CreateSiteRequest { request_id: new_request_id(), site: Some(site.clone()) }).await;
    assert_status(anonymous, Code::Unauthenticated, reason::TOKEN_INVALID);
    let account = mediator_account(&app, &admin, "m.someone", &s1).await;
    let request = pb::CreateMediatorRequest {
        request_id: new_request_id(),
        mediator: Some(profile(&account, &s1, "某人", &[])),
    };
    assert_status(client.create_mediator(authed(request, &resident)).await, Code::PermissionDenied, reason::FORBIDDEN);

    let mars = pb::Site { time_zone: "Mars/Olympus_Mons".into(), ..site.clone() };
    let refused = client
        .create_site(authed(pb::CreateSiteRequest { request_id: new_request_id(), site: Some(mars) }, &admin))
        .await;
    assert_eq!(violated_fields(&assert_status(refused, Code::InvalidArgument, reason::VALIDATION)), ["site.time_zone"]);
    let orphan = pb::Site { parent_id: String::new(), ..site.clone() };
    let refused = client
        .create_site(authed(pb::CreateSiteRequest { request_id: new_request_id(), site: Some(orphan) }, &admin))
        .await;
    assert_eq!(violated_fields(&assert_status(refused, Code::InvalidArgument, reason::VALIDATION)), ["site.parent_id"]);
    let nowhere =
        pb::Site { location: Some(mediation_api::google::r#type::LatLng { latitude: 95.0, longitude: 0.0 }), ..site };
    let refused = client
        .create_site(authed(pb::CreateSiteRequest { request_id: new_request_id(), site: Some(nowhere) }, &admin))
        .await;
    assert_eq!(violated_fields(&assert_status(refused, Code::InvalidArgument, reason::VALIDATION)), ["site.location"]);

    let sites = client.list_sites(pb::ListSitesRequest::default()).await.unwrap().into_inner().sites;
    assert_eq!(sites.len(), 5, "nothing refused was written");
    assert!(sites.iter().all(|s| s.time_zone == "Asia/Shanghai"));

    let bad_room = pb::Room {
        site_id: s1.clone(),
        name: "大调解室".into(),
        kind: pb::RoomKind::Mediation.into(),
        capacity: 0,
        ..Default::default()
    };
    let refused = client
        .create_room(authed(pb::CreateRoomRequest { request_id: new_request_id(), room: Some(bad_room) }, &admin))
        .await;
    assert_eq!(violated_fields(&assert_status(refused, Code::InvalidArgument, reason::VALIDATION)), ["room.capacity"]);
}

async fn station_admins_manage_only_their_subtree(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let centre_admin = app.centre_admin().await.access_token;
    let (centre, [s1, s2], [k1, _]) = app.district(&centre_admin).await;
    let request = identity::CreateStaffAccountRequest {
        request_id: new_request_id(),
        login: "admin.s1".into(),
        password: PASSWORD.into(),
        role: identity::Role::StationAdmin.into(),
        site_id: s1.clone(),
        display_name: "站长".into(),
    };
    app.identity().await.create_staff_account(authed(request, &centre_admin)).await.unwrap();
    let admin = app.login("admin.s1", PASSWORD).await.access_token;
    let mut client = app.directory().await;
    let kiosk = |parent: &str| pb::CreateSiteRequest {
        request_id: new_request_id(),
        site: Some(pb::Site {
            name: "警务亭".into(),
            kind: pb::SiteKind::Kiosk.into(),
            parent_id: parent.into(),
            ..Default::default()
        }),
    };
    let own = client.create_site(authed(kiosk(&s1), &admin)).await.unwrap().into_inner();
    assert_eq!(own.parent_id, s1);
    assert_status(client.create_site(authed(kiosk(&s2), &admin)).await, Code::PermissionDenied, reason::FORBIDDEN);
    let station = pb::CreateSiteRequest {
        request_id: new_request_id(),
        site: Some(pb::Site {
            name: "站".into(),
            kind: pb::SiteKind::Station.into(),
            parent_id: centre,
            ..Default::default()
        }),
    };
    assert_status(client.create_site(authed(station, &admin)).await, Code::PermissionDenied, reason::FORBIDDEN);

    let room = |site: &str| pb::CreateRoomRequest {
        request_id: new_request_id(),
        room: Some(pb::Room {
            site_id: site.into(),
            name: "视频调解室".into(),
            kind: pb::RoomKind::Video.into(),
            ..Default::default()
        }),
    };
    client.create_room(authed(room(&s1), &admin)).await.unwrap();
    client.create_room(authed(room(&k1), &admin)).await.unwrap();
    assert_status(client.create_room(authed(room(&s2), &admin)).await, Code::PermissionDenied, reason::FORBIDDEN);
    let rooms =
        client.list_rooms(pb::ListRoomsRequest { site_id: s1, ..Default::default() }).await.unwrap().into_inner();
    assert_eq!(rooms.rooms.len(), 1);
    assert_eq!(rooms.rooms[0].kind(), pb::RoomKind::Video);

    let foreign = mediator(&app, &centre_admin, &s2, "外站调解员", &["neighbour"]).await;
    let deactivate = pb::SetMediatorActiveRequest { id: foreign.id, active: Some(false) };
    assert_status(
        client.set_mediator_active(authed(deactivate, &admin)).await,
        Code::PermissionDenied,
        reason::FORBIDDEN,
    );
}

async fn updates_change_only_the_masked_fields(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.centre_admin().await.access_token;
    let (_, [s1, s2], _) = app.district(&admin).await;
    let original = mediator(&app, &admin, &s1, "王芳", &["neighbour"]).await;
    let mut client = app.directory().await;

    let change = pb::Mediator {
        id: original.id.clone(),
        bio: "擅长婚姻家庭纠纷。".into(),
        display_name: "不应改变".into(),
        level: 9,
        ..Default::default()
    };
    let updated = client
        .update_mediator(authed(
            pb::UpdateMediatorRequest {
                mediator: Some(change.clone()),
                update_mask: Some(FieldMask { paths: vec!["bio".into()] }),
            },
            &admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated, pb::Mediator { bio: "擅长婚姻家庭纠纷。".into(), ..original.clone() });

    let unknown = pb::UpdateMediatorRequest {
        mediator: Some(change.clone()),
        update_mask: Some(FieldMask { paths: vec!["bio".into(), "account_id".into()] }),
    };
    let refused = client.update_mediator(authed(unknown, &admin)).await;
    assert_eq!(violated_fields(&assert_status(refused, Code::InvalidArgument, reason::VALIDATION)), ["update_mask"]);
    let bad_level = pb::UpdateMediatorRequest {
        mediator: Some(change),
        update_mask: Some(FieldMask { paths: vec!["level".into()] }),
    };
    let refused = client.update_mediator(authed(bad_level, &admin)).await;
    assert_eq!(violated_fields(&assert_status(refused, Code::InvalidArgument, reason::VALIDATION)), ["mediator.level"]);
    let moved = pb::UpdateMediatorRequest {
        mediator: Some(pb::Mediator {
            id: original.id.clone(),
            home_site_id: s2.clone(),
            specialty_codes: vec!["medical".into(), "consumer".into()],
            ..Default::default()
        }),
        update_mask: Some(FieldMask { paths: vec!["home_site_id".into(), "specialty_codes".into()] }),
    };
    let moved = client.update_mediator(authed(moved, &admin)).await.unwrap().into_inner();
    assert_eq!(
        (moved.home_site_id.as_str(), moved.specialty_codes.clone()),
        (s2.as_str(), vec!["consumer".to_owned(), "medical".to_owned()])
    );
    assert_eq!(client.get_mediator(pb::GetMediatorRequest { id: original.id }).await.unwrap().into_inner(), moved);

    let site_change = pb::UpdateSiteRequest {
        site: Some(pb::Site {
            id: s1.clone(),
            time_zone: "Asia/Urumqi".into(),
            name: "unchanged?".into(),
            ..Default::default()
        }),
        update_mask: Some(FieldMask { paths: vec!["time_zone".into()] }),
    };
    let site = client.update_site(authed(site_change, &admin)).await.unwrap().into_inner();
    assert_eq!((site.time_zone.as_str(), site.name.as_str()), ("Asia/Urumqi", "中河派出所"));
    let empty_mask = pb::UpdateSiteRequest { site: Some(pb::Site { id: s1, ..Default::default() }), update_mask: None };
    let refused = client.update_site(authed(empty_mask, &admin)).await;
    assert_eq!(violated_fields(&assert_status(refused, Code::InvalidArgument, reason::VALIDATION)), ["update_mask"]);
    let missing = pb::UpdateSiteRequest {
        site: Some(pb::Site { id: "no-such-site".into(), name: "x".into(), ..Default::default() }),
        update_mask: Some(FieldMask { paths: vec!["name".into()] }),
    };
    assert_status(client.update_site(authed(missing, &admin)).await, Code::NotFound, reason::NOT_FOUND);
}

async fn profiles_belong_to_mediator_accounts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.centre_admin().await.access_token;
    let (centre, [s1, _], _) = app.district(&admin).await;
    let mut client = app.directory().await;
    let resident = app.resident("13800000103").await;
    let resident_id = app
        .identity()
        .await
        .get_me(authed(identity::GetMeRequest {}, &resident.access_token))
        .await
        .unwrap()
        .into_inner()
        .id;
    let request = pb::CreateMediatorRequest {
        request_id: new_request_id(),
        mediator: Some(profile(&resident_id, &s1, "居民", &[])),
    };
    let refused = client.create_mediator(authed(request, &admin)).await;
    assert_eq!(
        violated_fields(&assert_status(refused, Code::InvalidArgument, reason::VALIDATION)),
        ["mediator.account_id"]
    );

    let account = mediator_account(&app, &admin, "m.linked", &s1).await;
    let request = pb::CreateMediatorRequest {
        request_id: new_request_id(),
        mediator: Some(profile(&account, &s1, "甲", &["neighbour"])),
    };
    let first = client.create_mediator(authed(request.clone(), &admin)).await.unwrap().into_inner();
    let retry = client.create_mediator(authed(request, &admin)).await.unwrap().into_inner();
    assert_eq!(first, retry, "a retry returns the first result");
    let again =
        pb::CreateMediatorRequest { request_id: new_request_id(), mediator: Some(profile(&account, &s1, "乙", &[])) };
    let refused = client.create_mediator(authed(again, &admin)).await;
    assert_eq!(
        violated_fields(&assert_status(refused, Code::AlreadyExists, reason::ALREADY_EXISTS)),
        ["mediator.account_id"]
    );
    let unknown_code = pb::CreateMediatorRequest {
        request_id: new_request_id(),
        mediator: Some(profile(&mediator_account(&app, &admin, "m.other", &s1).await, &s1, "丙", &["astrology"])),
    };
    let refused = client.create_mediator(authed(unknown_code, &admin)).await;
    assert_eq!(
        violated_fields(&assert_status(refused, Code::InvalidArgument, reason::VALIDATION)),
        ["mediator.specialty_codes"]
    );

    // Forgetting the value is refused, not read as "withdraw".
    let unset = client
        .set_mediator_active(authed(pb::SetMediatorActiveRequest { id: first.id.clone(), active: None }, &admin))
        .await;
    assert_eq!(violated_fields(&assert_status(unset, Code::InvalidArgument, reason::VALIDATION)), ["active"]);
    assert!(client.get_mediator(pb::GetMediatorRequest { id: first.id.clone() }).await.unwrap().into_inner().active);

    let off = client
        .set_mediator_active(authed(pb::SetMediatorActiveRequest { id: first.id.clone(), active: Some(false) }, &admin))
        .await
        .unwrap()
        .into_inner();
    assert!(!off.active);
    assert!(all_ids(&app, search(&[], &centre, true)).await.is_empty(), "inactive mediators are not found");
    assert!(!client.get_mediator(pb::GetMediatorRequest { id: first.id.clone() }).await.unwrap().into_inner().active);
    client
        .set_mediator_active(authed(pb::SetMediatorActiveRequest { id: first.id, active: Some(true) }, &admin))
        .await
        .unwrap();
    assert_eq!(all_ids(&app, search(&[], &centre, true)).await.len(), 1);
}

async fn the_taxonomy_is_published(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let list =
        app.directory().await.list_specialties(pb::ListSpecialtiesRequest {}).await.unwrap().into_inner().specialties;
    assert!(list.len() >= 10);
    let neighbour = list.iter().find(|s| s.code == "neighbour").unwrap();
    assert_eq!((neighbour.name_zh.as_str(), neighbour.name_en.as_str()), ("邻里纠纷", "Neighbour disputes"));
    for code in [
        "family_marriage",
        "labour_wages",
        "traffic_accident",
        "consumer",
        "property_tenancy",
        "medical",
        "construction_project",
        "land_village",
        "online_ecommerce",
    ] {
        assert!(list.iter().any(|s| s.code == code), "{code}");
    }
}

/// Each gateway searches an index in memory; a write through another gateway must still show in
/// the very next search, as it would if search read the tables.
async fn a_second_gateway_searches_what_the_first_just_wrote(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let second = app.spawn_second().await;
    let admin = app.centre_admin().await.access_token;
    let (centre, [s1, _], _) = app.district(&admin).await;
    let by_name = || pb::SearchMediatorsRequest { query: "潘".into(), ..search(&[], &centre, true) };
    mediator(&app, &admin, &s1, "王芳", &["family_marriage"]).await;
    assert!(all_ids(&second, by_name()).await.is_empty(), "the second gateway has built its index");

    let pan = mediator(&app, &admin, &s1, "潘建国", &["neighbour"]).await;
    assert_eq!(all_ids(&second, by_name()).await, [pan.id.clone()], "a new mediator");
    assert_eq!(all_ids(&second, search(&["neighbour"], &s1, false)).await, [pan.id.clone()]);

    let mut client = app.directory().await;
    let mask = FieldMask { paths: vec!["specialty_codes".into()] };
    let update = pb::UpdateMediatorRequest {
        mediator: Some(pb::Mediator {
            id: pan.id.clone(),
            specialty_codes: vec!["labour_wages".into()],
            ..pan.clone()
        }),
        update_mask: Some(mask),
    };
    client.update_mediator(authed(update, &admin)).await.expect("updates the specialities");
    assert!(all_ids(&second, search(&["neighbour"], &s1, false)).await.is_empty(), "a speciality dropped");
    assert_eq!(all_ids(&second, search(&["labour_wages"], &s1, false)).await, [pan.id.clone()]);

    let deactivate = pb::SetMediatorActiveRequest { id: pan.id.clone(), active: Some(false) };
    client.set_mediator_active(authed(deactivate, &admin)).await.expect("deactivates");
    assert!(all_ids(&second, by_name()).await.is_empty(), "an inactive mediator is not offered");

    let station = app.site(&admin, pb::SiteKind::Station, &centre, "东湖派出所").await;
    assert!(all_ids(&second, search(&[], &station, false)).await.is_empty(), "a new site is known at once");
}
