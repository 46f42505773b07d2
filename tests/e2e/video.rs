//! Remote experts by video: a resident at a smart police kiosk books a VIDEO session with a
//! think-tank expert who works at the district centre. The search pairs the kiosk's VIDEO room
//! with the expert's hours there, the booking holds both (a second booking of either answers
//! SLOT_TAKEN), and GetJoinLink gives the resident, the expert and the kiosk links of their own:
//! LiveKit access tokens, signed with the configured secret, for one room and the session's time.
//!
//! Sessions are on the next Tuesday at least three days away, 09:00-17:00 Asia/Shanghai.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use mediation_api::appointments::v1 as pb;
use mediation_api::directory::v1::{MediationMode, MediatorKind, RoomKind};
use mediation_api::identity::v1 as identity;
use mediation_api::status::reason;
use tonic::Code;

use crate::common::*;

both_backends!(
    a_kiosk_resident_meets_a_centre_expert_by_video_with_links_of_their_own,
    join_links_are_for_live_video_sessions_only,
);

const API_KEY: &str = "APIe2e";
const API_SECRET: &str = "e2e-livekit-api-secret-of-32-characters";
const SERVER_URL: &str = "wss://video.e2e.example";
const JOIN_PAGE: &str = "https://meet.e2e.example/custom";
const EARLY_MINUTES: i64 = 15;

/// A gateway whose video settings the tests know.
async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |s| {
        s.video.api_key = API_KEY.into();
        s.video.api_secret = API_SECRET.to_owned().into();
        s.video.server_url = SERVER_URL.into();
        s.video.join_page = JOIN_PAGE.into();
        s.video.join_early_minutes = EARLY_MINUTES;
    })
    .await
}

/// A district with a VIDEO room at station 1's kiosk and another at station 1, a logged-in kiosk
/// there, and two think-tank experts based at the centre, working there Monday to Friday
/// 09:00-17:00 (and nowhere else).
struct Remote {
    admin: String,
    centre: String,
    station: String,
    kiosk_site: String,
    other_kiosk_site: String,
    /// The VIDEO room at the kiosk.
    kiosk_room: String,
    /// A VIDEO room at the station.
    station_room: String,
    kiosk: String,
    experts: [Staffed; 2],
    day: NaiveDate,
}

async fn remote(app: &TestApp) -> Remote {
    let admin = app.centre_admin().await.access_token;
    let (centre, [station, _], [kiosk_site, other_kiosk_site]) = app.district(&admin).await;
    let kiosk_room = room(app, &admin, &kiosk_site, "警务亭视频室", RoomKind::Video, 0).await;
    let station_room = room(app, &admin, &station, "视频调解室", RoomKind::Video, 0).await;
    let kiosk = kiosk(app, &admin, &kiosk_site).await;
    let mut experts = Vec::new();
    for name in ["张教授", "刘律师"] {
        let profile = mediator_profile(name, MediatorKind::ThinkTankExpert, &centre, &[MediationMode::Video]);
        let expert = mediator_with_account(app, &admin, profile).await;
        set_working_hours(app, &admin, &expert.id, &centre, weekly_rules(&WEEKDAYS, 9, 17)).await;
        experts.push(expert);
    }
    let experts = experts.try_into().unwrap_or_else(|_| unreachable!("two experts"));
    Remote {
        admin,
        centre,
        station,
        kiosk_site,
        other_kiosk_site,
        kiosk_room,
        station_room,
        kiosk,
        experts,
        day: session_day(),
    }
}

/// A DIFFICULT dispute: over 50,000 yuan.
fn difficult() -> pb::Assessment {
    pb::Assessment { amount_in_dispute_yuan: 60_000, party_count: 2, ..Default::default() }
}

/// A walk-in resident's session at the kiosk, proven with a KIOSK_SESSION code.
async fn kiosk_resident(app: &TestApp, kiosk: &str, mainland_phone: &str) -> String {
    let mut client = app.identity().await;
    let send = identity::SendPhoneCodeRequest {
        phone: mainland_phone.into(),
        purpose: identity::PhoneCodePurpose::KioskSession.into(),
    };
    client.send_phone_code(authed(send, kiosk)).await.expect("sends the code");
    let code = app.last_code(&format!("+86{mainland_phone}"));
    let start = identity::StartKioskResidentSessionRequest { phone: mainland_phone.into(), code };
    let session = client.start_kiosk_resident_session(authed(start, kiosk)).await.expect("starts the session");
    session.into_inner().access_token
}

/// One-hour VIDEO slots at `site` over the session day.
fn video_search(case_id: &str, site: &str, day: NaiveDate) -> pb::SearchAvailabilityRequest {
    pb::SearchAvailabilityRequest {
        case_id: case_id.into(),
        site_id: site.into(),
        mode: MediationMode::Video.into(),
        from: Some(ts(local(day, 0))),
        to: Some(ts(local(day.succ_opt().unwrap(), 0))),
        duration: Some(prost_types::Duration { seconds: 3600, nanos: 0 }),
        ..Default::default()
    }
}

async fn search(app: &TestApp, token: &str, request: pb::SearchAvailabilityRequest) -> Vec<pb::Slot> {
    app.appointments().await.search_availability(authed(request, token)).await.expect("searches").into_inner().slots
}

fn video_booking(case_id: &str, start: DateTime<Utc>, mediator: &str, room: &str) -> pb::BookAppointmentRequest {
    pb::BookAppointmentRequest {
        request_id: new_request_id(),
        case_id: case_id.into(),
        start: Some(ts(start)),
        end: Some(ts(start + Duration::hours(1))),
        mediator_ids: vec![mediator.into()],
        room_id: room.into(),
        mode: MediationMode::Video.into(),
    }
}

async fn join_link(app: &TestApp, token: &str, appointment_id: &str) -> Result<pb::JoinLink, tonic::Status> {
    let request = pb::GetJoinLinkRequest { appointment_id: appointment_id.into() };
    app.appointments().await.get_join_link(authed(request, token)).await.map(|r| r.into_inner())
}

/// The claims of the access token a link carries, checked against the configured secret.
fn claims(link: &pb::JoinLink) -> serde_json::Value {
    let expected_start = format!("{JOIN_PAGE}?liveKitUrl=wss%3A%2F%2Fvideo.e2e.example&token=");
    assert!(link.url.starts_with(&expected_start), "{}", link.url);
    let token = &link.url[expected_start.len()..];
    let mut validation = Validation::new(Algorithm::HS256);
    // The session is days away: the token is not valid yet, which is the point.
    validation.validate_nbf = false;
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let key = DecodingKey::from_secret(API_SECRET.as_bytes());
    jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation)
        .expect("signed with the configured secret")
        .claims
}

async fn a_kiosk_resident_meets_a_centre_expert_by_video_with_links_of_their_own(backend: Backend) {
    let app = spawn(backend).await;
    let r = remote(&app).await;
    let [expert, other_expert] = &r.experts;
    let mut client = app.appointments().await;

    // A resident walks up to the kiosk and files a DIFFICULT dispute there.
    let resident = kiosk_resident(&app, &r.kiosk, "13700000071").await;
    let filed = new_case(&r.station, pb::CaseOrigin::Kiosk, "13700000071", difficult());
    let case = create_case(&app, &resident, filed).await;
    assert_eq!(case.grade(), pb::Grade::Difficult);

    // VIDEO at the kiosk: the kiosk's VIDEO room with the experts' hours at the centre.
    let slots = search(&app, &resident, video_search(&case.id, &r.kiosk_site, r.day)).await;
    let mine: Vec<&pb::Slot> = slots.iter().filter(|s| s.mediator_ids == [expert.id.as_str()]).collect();
    assert_eq!(mine.len(), 8, "09:00-17:00 at the centre: {slots:?}");
    assert_eq!(slots.len(), 16, "both experts: {slots:?}");
    assert!(slots.iter().all(|s| s.site_id == r.kiosk_site && s.room_id == r.kiosk_room), "{slots:?}");
    let slot = mine[0];
    let start = instant(&slot.start);
    assert_eq!(start, local(r.day, 9));

    // The kiosk itself books nothing: it cannot see the case.
    let by_kiosk =
        client.book_appointment(authed(video_booking(&case.id, start, &expert.id, &slot.room_id), &r.kiosk)).await;
    assert_status(by_kiosk, Code::NotFound, reason::NOT_FOUND);
    // The resident's session at the kiosk books the slot it was offered.
    let request = video_booking(&case.id, start, &expert.id, &slot.room_id);
    let appointment = client.book_appointment(authed(request, &resident)).await.expect("books").into_inner();
    assert_eq!(appointment.status(), pb::AppointmentStatus::Booked);
    assert_eq!(appointment.mode(), MediationMode::Video);
    assert_eq!(
        (appointment.site_id.as_str(), appointment.room_id.as_str()),
        (r.kiosk_site.as_str(), r.kiosk_room.as_str())
    );
    assert_eq!(appointment.mediator_ids, [expert.id.as_str()]);
    assert_eq!((instant(&appointment.start), instant(&appointment.end)), (start, start + Duration::hours(1)));
    assert!(!appointment.join_url.contains("token="), "the appointment's url admits nobody: {}", appointment.join_url);

    // Another resident's DIFFICULT case finds the kiosk room and the expert taken at that hour.
    let other_resident = app.resident("13800000072").await.access_token;
    let other_case =
        create_case(&app, &other_resident, new_case(&r.station, pb::CaseOrigin::App, "13800000072", difficult())).await;
    let at_kiosk = search(&app, &other_resident, video_search(&other_case.id, &r.kiosk_site, r.day)).await;
    assert!(at_kiosk.iter().all(|s| instant(&s.start) != start), "the kiosk room is held at 09:00: {at_kiosk:?}");
    let at_station = search(&app, &other_resident, video_search(&other_case.id, &r.station, r.day)).await;
    let at_nine: Vec<&pb::Slot> = at_station.iter().filter(|s| instant(&s.start) == start).collect();
    assert_eq!(at_nine.len(), 1, "only the other expert is free at 09:00: {at_station:?}");
    assert_eq!(
        (at_nine[0].mediator_ids.as_slice(), at_nine[0].room_id.as_str()),
        ([other_expert.id.clone()].as_slice(), r.station_room.as_str())
    );
    // Booking the same room with the other expert, or the same expert in the other room: taken.
    for (mediator, room) in [(&other_expert.id, &r.kiosk_room), (&expert.id, &r.station_room)] {
        let taken = client
            .book_appointment(authed(video_booking(&other_case.id, start, mediator, room), &other_resident))
            .await;
        assert_status(taken, Code::Aborted, reason::SLOT_TAKEN);
    }

    // Three participants, three links: one room, three identities, the session's time.
    let expert_token = app.login(&expert.login, PASSWORD).await.access_token;
    let (end, not_before) = (start + Duration::hours(1), start - Duration::minutes(EARLY_MINUTES));
    let mut urls = Vec::new();
    for (who, token, identity) in [
        ("the resident", &resident, "party:0".to_owned()),
        ("the expert", &expert_token, format!("mediator:{}", expert.id)),
        ("the kiosk", &r.kiosk, format!("room:{}", r.kiosk_room)),
    ] {
        let link = join_link(&app, token, &appointment.id).await.unwrap_or_else(|s| panic!("{who}: {s:?}"));
        assert_eq!(link.identity, identity, "{who}");
        assert_eq!((instant(&link.not_before), instant(&link.expires_at)), (not_before, end), "{who}");
        let c = claims(&link);
        assert_eq!(c["iss"], API_KEY, "{who}");
        assert_eq!(c["sub"], identity.as_str(), "{who}");
        assert_eq!(c["video"]["room"], format!("appointment-{}", appointment.id), "{who}");
        assert_eq!(c["video"]["roomJoin"], true, "{who}");
        assert_eq!(
            (c["nbf"].as_i64(), c["exp"].as_i64()),
            (Some(not_before.timestamp()), Some(end.timestamp())),
            "{who}"
        );
        urls.push(link.url);
    }
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), 3, "each participant's link is their own");
    // The station's staff sit in the room's place too.
    let station_admin = staff(&app, &r.admin, identity::Role::StationAdmin, &r.station).await;
    let link = join_link(&app, &station_admin, &appointment.id).await.expect("station staff join");
    assert_eq!(link.identity, format!("room:{}", r.kiosk_room));

    // Anyone else does not learn the session exists.
    let other_kiosk = kiosk(&app, &r.admin, &r.other_kiosk_site).await;
    let other_expert_token = app.login(&other_expert.login, PASSWORD).await.access_token;
    for (who, token) in [
        ("a resident who is not a party", &other_resident),
        ("another kiosk", &other_kiosk),
        ("an expert not on it", &other_expert_token),
    ] {
        let refused = join_link(&app, token, &appointment.id).await;
        assert_eq!(refused.as_ref().map_err(|s| s.code()).err(), Some(Code::NotFound), "{who}: {refused:?}");
    }
}

async fn join_links_are_for_live_video_sessions_only(backend: Backend) {
    let app = spawn(backend).await;
    let r = remote(&app).await;
    let [expert, other_expert] = &r.experts;
    let mut client = app.appointments().await;
    let resident = app.resident("13800000073").await.access_token;
    let case =
        create_case(&app, &resident, new_case(&r.station, pb::CaseOrigin::App, "13800000073", difficult())).await;

    // By video from the station's VIDEO room, then cancelled.
    let video = video_booking(&case.id, local(r.day, 10), &expert.id, &r.station_room);
    let appointment = client.book_appointment(authed(video, &resident)).await.expect("books").into_inner();
    assert_eq!(appointment.site_id, r.station, "held at the room's station, the expert at the centre");
    assert_eq!(join_link(&app, &resident, &appointment.id).await.expect("a link").identity, "party:0");
    let cancel = pb::CancelAppointmentRequest {
        appointment_id: appointment.id.clone(),
        reason: "改期".into(),
        ..Default::default()
    };
    client.cancel_appointment(authed(cancel, &resident)).await.expect("cancels");
    let cancelled = join_link(&app, &resident, &appointment.id).await;
    assert_status(cancelled, Code::FailedPrecondition, "APPOINTMENT_CANCELLED");

    // In person at the centre: nothing to join.
    let centre_room = mediation_room(&app, &r.admin, &r.centre).await;
    let in_person = pb::BookAppointmentRequest {
        mode: MediationMode::InPerson.into(),
        ..video_booking(&case.id, local(r.day, 11), &other_expert.id, &centre_room)
    };
    let in_person = client.book_appointment(authed(in_person, &resident)).await.expect("books").into_inner();
    assert_eq!(in_person.site_id, r.centre);
    assert!(in_person.join_url.is_empty());
    assert_status(join_link(&app, &resident, &in_person.id).await, Code::FailedPrecondition, "NOT_VIDEO");

    // A VIDEO room at the station does not stretch the experts' hours: 18:00 is outside them.
    let late = client
        .book_appointment(authed(video_booking(&case.id, local(r.day, 18), &expert.id, &r.station_room), &resident))
        .await;
    let status = assert_status(late, Code::InvalidArgument, reason::VALIDATION);
    assert!(violated_fields(&status).contains(&"start".to_owned()), "{status:?}");

    // An unknown appointment is simply not found.
    let unknown = join_link(&app, &resident, &uuid::Uuid::now_v7().to_string()).await;
    assert_status(unknown, Code::NotFound, reason::NOT_FOUND);
}
