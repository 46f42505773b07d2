//! AppointmentService end to end: grading, who may take which grade, availability, conflict-free
//! booking under a race (one gateway, and two gateways on one PostgreSQL), idempotent retries,
//! the session lifecycle, privacy between residents, the consultation thread, reminders through
//! the outbox and statistics.
//!
//! Every test books on the next Tuesday at least three days away (site time zone Asia/Shanghai),
//! so the minimum notice and the booking horizon never interfere.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use mediation_api::appointments::v1 as pb;
use mediation_api::appointments::v1::appointment_service_client::AppointmentServiceClient;
use mediation_api::directory::v1 as directory;
use mediation_api::directory::v1::MediationMode;
use mediation_api::identity::v1 as identity;
use mediation_api::status::reason;
use tonic::transport::Channel;
use tonic::{Code, Status};

use crate::common::*;

both_backends!(
    slots_keep_to_the_hours_grid_when_the_notice_cuts_into_a_working_day,
    cases_are_graded_from_the_assessment_and_the_rationale_names_the_rules,
    residents_file_app_cases_only_and_creates_are_idempotent,
    party_phones_are_shown_only_to_the_applicant_and_staff_of_the_site,
    staff_override_a_grade_with_a_reason_and_the_history_records_it,
    each_grade_is_offered_only_the_mediators_that_may_take_it,
    a_shanghai_working_day_gives_eight_hourly_slots_from_one_utc,
    availability_requires_from_to_and_duration,
    booking_takes_the_slot_out_of_availability,
    video_bookings_get_a_join_url_in_a_video_room,
    booking_a_mediator_the_grade_does_not_allow_is_refused,
    a_retried_booking_returns_the_same_appointment,
    twenty_four_clients_racing_for_one_slot_leave_exactly_one_winner,
    two_gateways_on_one_postgres_database_leave_exactly_one_winner,
    a_booking_on_one_replica_is_not_offered_by_another,
    leave_and_extra_hours_change_what_is_offered_at_once,
    applicants_cancel_with_a_reason_and_the_slot_reopens,
    applicants_cannot_cancel_after_the_cutoff_but_staff_can,
    sessions_check_in_and_complete_and_a_completed_session_cannot_be_cancelled,
    reschedule_moves_to_a_free_slot_and_refuses_a_taken_one,
    a_resident_cannot_read_list_or_cancel_another_residents_case_appointments_or_messages,
    the_consultation_thread_lists_applicant_and_staff_messages_oldest_first,
    bookings_send_one_notice_and_one_reminder_even_across_a_restart,
    two_replicas_deliver_each_notice_once,
    statistics_count_settled_sessions_and_no_shows,
    a_residents_sessions_list_soonest_first_unless_ordered_otherwise,
);

const RACERS: usize = 24;

// ---------------------------------------------------------------------------------------------
// Time

fn hours(n: i64) -> prost_types::Duration {
    prost_types::Duration { seconds: n * 3600, nanos: 0 }
}

fn hour() -> chrono::Duration {
    chrono::Duration::hours(1)
}

// ---------------------------------------------------------------------------------------------
// The district

/// A centre admin, a centre with two stations and their kiosks, a MEDIATION room (capacity 6)
/// and a VIDEO room at station 1, and at station 1 two station mediators, a think-tank expert
/// and a partner mediator, each working Monday to Friday 09:00-17:00 local time.
struct District {
    /// The centre admin's access token.
    admin: String,
    station: String,
    /// Station 1's kiosk site.
    kiosk_site: String,
    room: String,
    video_room: String,
    station_mediators: [String; 2],
    expert: String,
    partner: String,
    day: NaiveDate,
}

impl District {
    /// Every mediator at station 1.
    fn everyone(&self) -> HashSet<String> {
        [&self.station_mediators[0], &self.station_mediators[1], &self.expert, &self.partner]
            .into_iter()
            .cloned()
            .collect()
    }
}

async fn district(app: &TestApp) -> District {
    let admin = app.centre_admin().await.access_token;
    let (_, [station, _], [kiosk_site, _]) = app.district(&admin).await;
    let (mediation, video) = (directory::RoomKind::Mediation, directory::RoomKind::Video);
    let mediation_room = room(app, &admin, &station, &format!("{}室", mediation.as_str_name()), mediation, 6).await;
    let video_room = room(app, &admin, &station, &format!("{}室", video.as_str_name()), video, 0).await;
    // Monday to Friday, 09:00-17:00 in the site's time zone.
    let [first, second, expert, partner] = station_team(app, &admin, &station, weekly_rules(&WEEKDAYS, 9, 17)).await;
    District {
        admin,
        station,
        kiosk_site,
        room: mediation_room,
        video_room,
        station_mediators: [first.id, second.id],
        expert: expert.id,
        partner: partner.id,
        day: session_day(),
    }
}

// ---------------------------------------------------------------------------------------------
// Cases, slots and bookings

/// A walk-in case filed by staff at the district's station.
async fn staff_case(app: &TestApp, d: &District, assessment: pb::Assessment) -> pb::Case {
    create_case(app, &d.admin, new_case(&d.station, pb::CaseOrigin::WalkIn, "13900000009", assessment)).await
}

/// A resident with the phone `mainland_phone` and their own ORDINARY app case at the station.
async fn resident_with_case(app: &TestApp, d: &District, mainland_phone: &str) -> (String, pb::Case) {
    let token = app.resident(mainland_phone).await.access_token;
    let case = create_case(app, &token, new_case(&d.station, pb::CaseOrigin::App, mainland_phone, ordinary())).await;
    (token, case)
}

/// One-hour slots over the whole local day of the session.
fn one_day(case_id: &str, day: NaiveDate) -> pb::SearchAvailabilityRequest {
    pb::SearchAvailabilityRequest {
        case_id: case_id.into(),
        from: Some(ts(local(day, 0))),
        to: Some(ts(local(day.succ_opt().unwrap(), 0))),
        duration: Some(hours(1)),
        ..Default::default()
    }
}

async fn search(app: &TestApp, token: &str, request: pb::SearchAvailabilityRequest) -> Vec<pb::Slot> {
    app.appointments().await.search_availability(authed(request, token)).await.expect("searches").into_inner().slots
}

/// The starts of one mediator's free one-hour slots on the session day.
async fn free_starts(app: &TestApp, token: &str, case_id: &str, d: &District, mediator_id: &str) -> Vec<DateTime<Utc>> {
    let request = pb::SearchAvailabilityRequest { mediator_id: mediator_id.into(), ..one_day(case_id, d.day) };
    search(app, token, request).await.iter().map(|s| instant(&s.start)).collect()
}

/// Books `mediators` in `room` for the hour starting at `start`.
fn booking(case_id: &str, start: DateTime<Utc>, mediators: &[&str], room: &str) -> pb::BookAppointmentRequest {
    pb::BookAppointmentRequest {
        request_id: new_request_id(),
        case_id: case_id.into(),
        start: Some(ts(start)),
        end: Some(ts(start + hour())),
        mediator_ids: mediators.iter().map(|m| m.to_string()).collect(),
        room_id: room.into(),
        mode: MediationMode::InPerson.into(),
    }
}

async fn book(app: &TestApp, token: &str, request: pb::BookAppointmentRequest) -> pb::Appointment {
    app.appointments().await.book_appointment(authed(request, token)).await.expect("books").into_inner()
}

/// Books the first station mediator for the hour starting at `local_hour` on the session day.
async fn book_at(app: &TestApp, token: &str, d: &District, case_id: &str, local_hour: u32) -> pb::Appointment {
    let request = booking(case_id, local(d.day, local_hour), &[&d.station_mediators[0]], &d.room);
    book(app, token, request).await
}

fn count(notifications: &[serde_json::Value], to: &str, kind: &str) -> usize {
    notifications.iter().filter(|n| n["to"] == to && n["kind"] == kind).count()
}

/// Asserts a NOT_FOUND answer with reason NOT_FOUND.
#[track_caller]
fn assert_not_found<T: std::fmt::Debug>(result: Result<T, Status>) {
    assert_status(result, Code::NotFound, reason::NOT_FOUND);
}

// ---------------------------------------------------------------------------------------------
// Cases

async fn cases_are_graded_from_the_assessment_and_the_rationale_names_the_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.centre_admin().await.access_token;
    let (_, [station, _], _) = app.district(&admin).await;
    let base = ordinary();
    let table: Vec<(pb::Assessment, pb::Grade, &str)> = vec![
        (base, pb::Grade::Ordinary, ""),
        (pb::Assessment { amount_in_dispute_yuan: 49_999, ..base }, pb::Grade::Ordinary, ""),
        (pb::Assessment { amount_in_dispute_yuan: 50_000, ..base }, pb::Grade::Difficult, "yuan"),
        (pb::Assessment { party_count: 3, ..base }, pb::Grade::Difficult, "parties"),
        (pb::Assessment { violence_risk: true, ..base }, pb::Grade::Difficult, "violence"),
        (pb::Assessment { vulnerable_party: true, ..base }, pb::Grade::Difficult, "vulnerable"),
        (pb::Assessment { repeat_dispute: true, ..base }, pb::Grade::Difficult, "repeat"),
        (pb::Assessment { petition_history: true, ..base }, pb::Grade::Difficult, "petition"),
        (pb::Assessment { amount_in_dispute_yuan: 999_999, ..base }, pb::Grade::Difficult, "yuan"),
        (pb::Assessment { party_count: 9, ..base }, pb::Grade::Difficult, "parties"),
        (pb::Assessment { group_incident_risk: true, ..base }, pb::Grade::Major, "group"),
        (pb::Assessment { party_count: 10, ..base }, pb::Grade::Major, "parties"),
        (pb::Assessment { amount_in_dispute_yuan: 1_000_000, ..base }, pb::Grade::Major, "yuan"),
        (pb::Assessment { violence_risk: true, group_incident_risk: true, ..base }, pb::Grade::Major, "group"),
    ];
    for (assessment, grade, rule) in table {
        let case =
            create_case(&app, &admin, new_case(&station, pb::CaseOrigin::WalkIn, "13900000009", assessment)).await;
        assert_eq!(case.grade(), grade, "{assessment:?}: {}", case.grade_rationale);
        assert!(
            case.grade_rationale.to_lowercase().contains(rule),
            "{assessment:?}: the rationale {:?} should name the rule {rule:?}",
            case.grade_rationale
        );
        assert_eq!(case.assessment, Some(assessment));
    }
    // Both rules that fired for a DIFFICULT case are named.
    let two = pb::Assessment { violence_risk: true, repeat_dispute: true, ..base };
    let case = create_case(&app, &admin, new_case(&station, pb::CaseOrigin::WalkIn, "13900000009", two)).await;
    let rationale = case.grade_rationale.to_lowercase();
    assert!(rationale.contains("violence") && rationale.contains("repeat"), "{rationale}");
}

async fn residents_file_app_cases_only_and_creates_are_idempotent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.centre_admin().await.access_token;
    let (_, [station, _], _) = app.district(&admin).await;
    let resident = app.resident("13800000201").await.access_token;
    let mut client = app.appointments().await;

    let request = new_case(&station, pb::CaseOrigin::App, "13800000201", ordinary());
    let case = client.create_case(authed(request.clone(), &resident)).await.unwrap().into_inner();
    assert!(!case.id.is_empty());
    assert_eq!(
        (case.origin(), case.grade(), case.status(), case.site_id.as_str(), case.category.as_str()),
        (pb::CaseOrigin::App, pb::Grade::Ordinary, pb::CaseStatus::Open, station.as_str(), "neighbour")
    );
    let retry = client.create_case(authed(request, &resident)).await.unwrap().into_inner();
    assert_eq!(retry.id, case.id, "a retry with the same request_id returns the first case");

    for origin in [pb::CaseOrigin::Police110, pb::CaseOrigin::WalkIn] {
        let refused =
            client.create_case(authed(new_case(&station, origin, "13800000201", ordinary()), &resident)).await;
        assert_status(refused, Code::PermissionDenied, reason::FORBIDDEN);
    }
    let transferred = client
        .create_case(authed(new_case(&station, pb::CaseOrigin::Police110, "13900000009", ordinary()), &admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(transferred.origin(), pb::CaseOrigin::Police110);

    let mine = client.list_cases(authed(pb::ListCasesRequest::default(), &resident)).await.unwrap().into_inner();
    assert_eq!(mine.cases.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [case.id.as_str()]);
}

async fn party_phones_are_shown_only_to_the_applicant_and_staff_of_the_site(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.centre_admin().await.access_token;
    let (_, [station, other_station], [kiosk_site, _]) = app.district(&admin).await;
    let applicant = app.resident("13800000202").await.access_token;
    let case = create_case(&app, &applicant, new_case(&station, pb::CaseOrigin::App, "13800000202", ordinary())).await;
    let mut client = app.appointments().await;
    let get = |id: &str| pb::GetCaseRequest { id: id.into() };
    let phones = |case: &pb::Case| case.parties.iter().map(|p| p.phone.clone()).collect::<Vec<_>>();

    assert_eq!(phones(&case), ["+8613800000202", "+8613800000001"], "the applicant sees full numbers");
    let own = client.get_case(authed(get(&case.id), &applicant)).await.unwrap().into_inner();
    assert_eq!(phones(&own), ["+8613800000202", "+8613800000001"]);

    let station_admin = staff(&app, &admin, identity::Role::StationAdmin, &station).await;
    let as_staff = client.get_case(authed(get(&case.id), &station_admin)).await.unwrap().into_inner();
    assert_eq!(phones(&as_staff), ["+8613800000202", "+8613800000001"], "staff of the case's site see full numbers");

    // A mediator of another station does not see the case at all.
    let foreign_mediator = staff(&app, &admin, identity::Role::Mediator, &other_station).await;
    let status = client.get_case(authed(get(&case.id), &foreign_mediator)).await.expect_err("hidden");
    assert!(matches!(status.code(), Code::NotFound | Code::PermissionDenied), "{status:?}");
    let listed = client.list_cases(authed(pb::ListCasesRequest::default(), &foreign_mediator)).await;
    if let Ok(listed) = listed {
        assert!(listed.into_inner().cases.iter().all(|c| c.id != case.id), "not in another station's list");
    }

    // Another resident never sees it.
    let other = app.resident("13800000203").await.access_token;
    assert_not_found(client.get_case(authed(get(&case.id), &other)).await);

    // The kiosk is neither the applicant nor staff: at most masked numbers.
    let kiosk = kiosk(&app, &admin, &kiosk_site).await;
    match client.get_case(authed(get(&case.id), &kiosk)).await {
        Ok(seen) => assert_eq!(phones(&seen.into_inner()), ["138****0202", "138****0001"]),
        Err(status) => assert!(matches!(status.code(), Code::NotFound | Code::PermissionDenied), "{status:?}"),
    }
}

async fn staff_override_a_grade_with_a_reason_and_the_history_records_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = district(&app).await;
    let (resident, case) = resident_with_case(&app, &d, "13800000204").await;
    assert_eq!(case.grade(), pb::Grade::Ordinary);
    let mut client = app.appointments().await;
    let reason_text = "双方曾多次冲突，需专家介入";
    let overriding = |reason: &str| pb::OverrideGradeRequest {
        case_id: case.id.clone(),
        grade: pb::Grade::Difficult.into(),
        reason: reason.into(),
    };

    let by_resident = client.override_grade(authed(overriding(reason_text), &resident)).await;
    assert_status(by_resident, Code::PermissionDenied, reason::FORBIDDEN);
    let no_reason = client.override_grade(authed(overriding(""), &d.admin)).await;
    assert_eq!(violated_fields(&assert_status(no_reason, Code::InvalidArgument, reason::VALIDATION)), ["reason"]);

    let overridden = client.override_grade(authed(overriding(reason_text), &d.admin)).await.unwrap().into_inner();
    assert_eq!(overridden.grade(), pb::Grade::Difficult);
    assert!(overridden.grade_rationale.contains(reason_text), "{}", overridden.grade_rationale);
    let seen = client.get_case(authed(pb::GetCaseRequest { id: case.id.clone() }, &resident)).await.unwrap();
    assert_eq!(seen.into_inner().grade(), pb::Grade::Difficult);

    // The new grade decides who may take it: now only the expert.
    let slots = search(&app, &d.admin, one_day(&case.id, d.day)).await;
    assert!(!slots.is_empty());
    assert!(slots.iter().all(|s| s.mediator_ids == [d.expert.as_str()]), "{slots:?}");
    // Each slot and the booked appointment carry the station's zone, for showing local times.
    assert!(slots.iter().all(|s| s.time_zone == "Asia/Shanghai"), "{slots:?}");
    let booked = book(&app, &d.admin, booking(&case.id, local(d.day, 9), &[&d.expert], &d.room)).await;
    assert_eq!(booked.time_zone, "Asia/Shanghai");

    let events = client
        .list_case_events(authed(
            pb::ListCaseEventsRequest { case_id: case.id.clone(), ..Default::default() },
            &d.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .events;
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds.first(), Some(&"CREATED"), "{kinds:?}");
    let created = kinds.iter().position(|k| *k == "CREATED").unwrap();
    let overridden_at = kinds.iter().position(|k| *k == "GRADE_OVERRIDDEN").expect("an override event");
    let booked = kinds.iter().position(|k| *k == "BOOKED").expect("a booking event");
    assert!(created < overridden_at && overridden_at < booked, "oldest first: {kinds:?}");
    assert!(events[overridden_at].detail.contains(reason_text), "{:?}", events[overridden_at]);
    assert_eq!(events[overridden_at].actor_id, account_id(&app, &d.admin).await);
}

// ---------------------------------------------------------------------------------------------
// Availability

async fn each_grade_is_offered_only_the_mediators_that_may_take_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = district(&app).await;
    let ordinary_case = staff_case(&app, &d, ordinary()).await;
    let difficult_case = staff_case(&app, &d, pb::Assessment { violence_risk: true, ..ordinary() }).await;
    let major_case = staff_case(&app, &d, pb::Assessment { group_incident_risk: true, ..ordinary() }).await;
    assert_eq!(
        (ordinary_case.grade(), difficult_case.grade(), major_case.grade()),
        (pb::Grade::Ordinary, pb::Grade::Difficult, pb::Grade::Major)
    );
    let station_mediators: HashSet<String> = d.station_mediators.iter().cloned().collect();

    let slots = search(&app, &d.admin, one_day(&ordinary_case.id, d.day)).await;
    assert!(!slots.is_empty());
    for slot in &slots {
        assert_eq!(slot.mediator_ids.len(), 1, "{slot:?}");
        assert!(station_mediators.contains(&slot.mediator_ids[0]), "only station mediators: {slot:?}");
    }
    let offered: HashSet<String> = slots.iter().map(|s| s.mediator_ids[0].clone()).collect();
    assert_eq!(offered, station_mediators, "both station mediators are offered");

    let slots = search(&app, &d.admin, one_day(&difficult_case.id, d.day)).await;
    assert!(!slots.is_empty());
    assert!(slots.iter().all(|s| s.mediator_ids == [d.expert.as_str()]), "only the expert: {slots:?}");

    let slots = search(&app, &d.admin, one_day(&major_case.id, d.day)).await;
    assert!(!slots.is_empty(), "a MAJOR case is offered joint slots");
    for slot in &slots {
        let ids: HashSet<String> = slot.mediator_ids.iter().cloned().collect();
        assert!(ids.len() >= 2, "a joint slot: {slot:?}");
        assert!(ids.is_subset(&d.everyone()), "{slot:?}");
        assert!(ids.contains(&d.expert) || ids.contains(&d.partner), "led by the expert or the partner: {slot:?}");
    }

    // A joint slot books all of its mediators at once.
    let joint = &slots[0];
    let mediators: Vec<&str> = joint.mediator_ids.iter().map(String::as_str).collect();
    let appointment =
        book(&app, &d.admin, booking(&major_case.id, instant(&joint.start), &mediators, &joint.room_id)).await;
    assert_eq!(appointment.status(), pb::AppointmentStatus::Booked);
    assert_eq!(
        appointment.mediator_ids.iter().cloned().collect::<HashSet<_>>(),
        joint.mediator_ids.iter().cloned().collect::<HashSet<_>>()
    );
}

async fn a_shanghai_working_day_gives_eight_hourly_slots_from_one_utc(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = district(&app).await;
    let case = staff_case(&app, &d, ordinary()).await;
    let mediator = &d.station_mediators[0];

    let request = pb::SearchAvailabilityRequest { mediator_id: mediator.clone(), ..one_day(&case.id, d.day) };
    let slots = search(&app, &d.admin, request.clone()).await;
    assert_eq!(slots.len(), 8, "{slots:?}");
    let first = d.day.and_hms_opt(1, 0, 0).unwrap().and_utc();
    assert_eq!(instant(&slots[0].start), first, "09:00 in Shanghai is 01:00 UTC");
    for (i, slot) in slots.iter().enumerate() {
        let start = first + hour() * i as i32;
        assert_eq!((instant(&slot.start), instant(&slot.end)), (start, start + hour()), "slot {i}");
        assert_eq!(slot.mediator_ids, [mediator.as_str()]);
        assert_eq!(slot.site_id, d.station);
        assert_eq!(slot.room_id, d.room, "an in-person slot is in the MEDIATION room");
    }
    // The site defaults to the case's; naming it changes nothing.
    let explicit = pb::SearchAvailabilityRequest { site_id: d.station.clone(), ..request.clone() };
    assert_eq!(search(&app, &d.admin, explicit).await, slots);

    let video = pb::SearchAvailabilityRequest { mode: MediationMode::Video.into(), ..request };
    let slots = search(&app, &d.admin, video).await;
    assert_eq!(slots.len(), 8);
    assert!(slots.iter().all(|s| s.room_id == d.video_room), "a VIDEO slot is in the VIDEO room: {slots:?}");
}

async fn availability_requires_from_to_and_duration(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = district(&app).await;
    let case = staff_case(&app, &d, ordinary()).await;
    let mut client = app.appointments().await;
    let complete = one_day(&case.id, d.day);
    for (field, request) in [
        ("duration", pb::SearchAvailabilityRequest { duration: None, ..complete.clone() }),
        ("from", pb::SearchAvailabilityRequest { from: None, ..complete.clone() }),
        ("to", pb::SearchAvailabilityRequest { to: None, ..complete.clone() }),
    ] {
        let refused = client.search_availability(authed(request, &d.admin)).await;
        let status = assert_status(refused, Code::InvalidArgument, reason::VALIDATION);
        assert!(violated_fields(&status).contains(&field.to_owned()), "{field}: {status:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Booking

async fn booking_takes_the_slot_out_of_availability(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = district(&app).await;
    let (resident, case) = resident_with_case(&app, &d, "13800000205").await;
    let mediator = &d.station_mediators[0];
    let start = local(d.day, 9);
    assert!(free_starts(&app, &resident, &case.id, &d, mediator).await.contains(&start));

    let appointment = book(&app, &resident, booking(&case.id, start, &[mediator], &d.room)).await;
    assert!(!appointment.id.is_empty());
    assert_eq!(appointment.status(), pb::AppointmentStatus::Booked);
    assert_eq!((appointment.case_id.as_str(), appointment.site_id.as_str()), (case.id.as_str(), d.station.as_str()));
    assert_eq!((instant(&appointment.start), instant(&appointment.end)), (start, start + hour()));
    assert_eq!(appointment.mediator_ids, [mediator.as_str()]);
    assert_eq!(appointment.room_id, d.room);
    assert_eq!(appointment.mode(), MediationMode::InPerson);

    let free = free_starts(&app, &resident, &case.id, &d, mediator).await;
    assert_eq!(free.len(), 7, "{free:?}");
    assert!(!free.contains(&start), "the booked hour is gone");

    let fetched = app
        .appointments()
        .await
        .get_appointment(authed(pb::GetAppointmentRequest { id: appointment.id.clone() }, &resident))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fetched, appointment);
}

async fn video_bookings_get_a_join_url_in_a_video_room(backend: Backend) {
    let base = "https://meet.test.example/custom";
    let app = TestApp::spawn_with(backend, |s| s.video.join_page = base.into()).await;
    let d = district(&app).await;
    let (resident, case) = resident_with_case(&app, &d, "13800000206").await;
    let request = pb::SearchAvailabilityRequest {
        mediator_id: d.station_mediators[0].clone(),
        mode: MediationMode::Video.into(),
        ..one_day(&case.id, d.day)
    };
    let slot = search(&app, &resident, request).await.into_iter().next().expect("a video slot");
    assert_eq!(slot.room_id, d.video_room);

    let request = pb::BookAppointmentRequest {
        mode: MediationMode::Video.into(),
        ..booking(&case.id, instant(&slot.start), &[&d.station_mediators[0]], &slot.room_id)
    };
    let appointment = book(&app, &resident, request).await;
    assert_eq!(appointment.status(), pb::AppointmentStatus::Booked);
    assert_eq!(appointment.mode(), MediationMode::Video);
    assert_eq!(appointment.room_id, d.video_room);
    assert!(appointment.join_url.starts_with(base), "{}", appointment.join_url);
    let room = format!("?room=appointment-{}", appointment.id);
    assert!(appointment.join_url.ends_with(&room), "the url names the room, with no token: {}", appointment.join_url);

    // An in-person booking has no join details.
    let in_person = book_at(&app, &resident, &d, &case.id, 14).await;
    assert!(in_person.join_url.is_empty(), "{}", in_person.join_url);
}

async fn booking_a_mediator_the_grade_does_not_allow_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = district(&app).await;
    let mut client = app.appointments().await;
    let ordinary_case = staff_case(&app, &d, ordinary()).await;
    let major_case = staff_case(&app, &d, pb::Assessment { group_incident_risk: true, ..ordinary() }).await;
    let start = local(d.day, 10);
    for (case, mediators) in [
        (&ordinary_case, vec![d.expert.as_str()]),
        (&ordinary_case, vec![d.partner.as_str()]),
        (&major_case, vec![d.expert.as_str()]),
        (&major_case, vec![d.station_mediators[0].as_str(), d.station_mediators[1].as_str()]),
    ] {
        let refused = client.book_appointment(authed(booking(&case.id, start, &mediators, &d.room), &d.admin)).await;
        let status = assert_status(refused, Code::InvalidArgument, reason::VALIDATION);
        assert_eq!(violated_fields(&status), ["mediator_ids"], "{:?} {mediators:?}", case.grade());
    }
    // Nothing was written: no appointment exists and the hour is still free.
    let listed = client
        .list_appointments(authed(
            pb::ListAppointmentsRequest { site_id: d.station.clone(), ..Default::default() },
            &d.admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.appointments.is_empty(), "{listed:?}");
    assert!(free_starts(&app, &d.admin, &ordinary_case.id, &d, &d.station_mediators[0]).await.contains(&start));
}

async fn a_retried_booking_returns_the_same_appointment(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = district(&app).await;
    let (resident, case) = resident_with_case(&app, &d, "13800000207").await;
    let mut client = app.appointments().await;
    let request = booking(&case.id, local(d.day, 11), &[&d.station_mediators[0]], &d.room);

    let first = client.book_appointment(authed(request.clone(), &resident)).await.unwrap().into_inner();
    let retry = client.book_appointment(authed(request.clone(), &resident)).await.unwrap().into_inner();
    assert_eq!(retry.id, first.id, "the same request_id returns the same appointment");
    assert_eq!(retry, first);

    let changed =
        pb::BookAppointmentRequest { start: Some(ts(local(d.day, 12))), end: Some(ts(local(d.day, 13))), ..request };
    let reused = client.book_appointment(authed(changed, &resident)).await;
    assert_status(reused, Code::InvalidArgument, reason::IDEMPOTENCY_KEY_REUSED);

    let listed = client
        .list_appointments(authed(
            pb::ListAppointmentsRequest { case_id: case.id.clone(), ..Default::default() },
            &resident,
        ))
        .await
        .unwrap()
        .into_inner()
        .appointments;
    assert_eq!(listed.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), [first.id.as_str()], "booked once");
}

/// Books the same mediator, room and hour from one client per request at once, each on its
/// own connection; returns every answer.
async fn race(
    clients: Vec<AppointmentServiceClient<Channel>>,
    token: &str,
    requests: Vec<pb::BookAppointmentRequest>,
) -> Vec<Result<pb::Appointment, Status>> {
    let barrier = Arc::new(tokio::sync::Barrier::new(requests.len()));
    let mut tasks = Vec::new();
    for (mut client, request) in clients.into_iter().zip(requests) {
        let barrier = barrier.clone();
        let token = token.to_owned();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            client.book_appointment(authed(request, &token)).await.map(|r| r.into_inner())
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("the booking task"));
    }
    results
}

/// Exactly one winner; everyone else ABORTED / SLOT_TAKEN. Returns the winner.
fn one_winner(results: Vec<Result<pb::Appointment, Status>>) -> pb::Appointment {
    let mut winners = Vec::new();
    for result in results {
        match result {
            Ok(appointment) => winners.push(appointment),
            Err(status) => {
                assert_status::<()>(Err(status), Code::Aborted, reason::SLOT_TAKEN);
            }
        }
    }
    assert_eq!(winners.len(), 1, "exactly one booking wins: {winners:?}");
    winners.pop().unwrap()
}

/// RACERS walk-in cases and a booking of the same mediator, room and hour for each.
async fn racing_requests(app: &TestApp, d: &District) -> Vec<pb::BookAppointmentRequest> {
    let mut requests = Vec::new();
    for _ in 0..RACERS {
        let case = staff_case(app, d, ordinary()).await;
        requests.push(booking(&case.id, local(d.day, 10), &[&d.station_mediators[0]], &d.room));
    }
    requests
}

/// The booked (not cancelled) appointments of the first station mediator on the session day.
async fn held(app: &TestApp, d: &District) -> Vec<pb::Appointment> {
    let request = pb::ListAppointmentsRequest {
        mediator_id: d.station_mediators[0].clone(),
        from: Some(ts(local(d.day, 0))),
        to: Some(ts(local(d.day.succ_opt().unwrap(), 0))),
        page_size: 100,
        ..Default::default()
    };
    let listed = app.appointments().await.list_appointments(authed(request, &d.admin)).await.unwrap().into_inner();
    listed.appointments.into_iter().filter(|a| a.status() == pb::AppointmentStatus::Booked).collect()
}

async fn twenty_four_clients_racing_for_one_slot_leave_exactly_one_winner(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = district(&app).await;
    let requests = racing_requests(&app, &d).await;
    let mut clients = Vec::new();
    for _ in 0..RACERS {
        clients.push(AppointmentServiceClient::new(app.channel().await));
    }

    let winner = one_winner(race(clients, &d.admin, requests).await);
    assert_eq!(instant(&winner.start), local(d.day, 10));
    let held = held(&app, &d).await;
    assert_eq!(held.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), [winner.id.as_str()], "one booking stored");
    let free = free_starts(&app, &d.admin, &winner.case_id, &d, &d.station_mediators[0]).await;
    assert!(!free.contains(&local(d.day, 10)), "{free:?}");
}

async fn two_gateways_on_one_postgres_database_leave_exactly_one_winner(backend: Backend) {
    if backend != Backend::Postgres {
        eprintln!("skipped: two server processes share a database only on PostgreSQL");
        return;
    }
    let app = TestApp::spawn(backend).await;
    let second = app.spawn_second().await;
    let d = district(&app).await;
    let requests = racing_requests(&app, &d).await;
    let mut clients = Vec::new();
    for i in 0..RACERS {
        let gateway = if i % 2 == 0 { &app } else { &second };
        clients.push(AppointmentServiceClient::new(gateway.channel().await));
    }

    let winner = one_winner(race(clients, &d.admin, requests).await);
    for gateway in [&app, &second] {
        let held = held(gateway, &d).await;
        assert_eq!(held.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), [winner.id.as_str()], "one booking stored");
    }
}

/// Availability answers what the database holds at the moment of the call: an hour booked
/// through one replica is not offered by the other a moment later (whether that replica reads
/// the holds from the database or loads them all into memory again), and offered again there as
/// soon as the first replica cancels it; a mediator withdrawn through one replica is no longer
/// offered by the other, whose calendar in memory follows the database's counter.
async fn a_booking_on_one_replica_is_not_offered_by_another(backend: Backend) {
    if backend != Backend::Postgres {
        eprintln!("skipped: two server processes share a database only on PostgreSQL");
        return;
    }
    let app = TestApp::spawn(backend).await;
    let second = app.spawn_second().await;
    let d = district(&app).await;
    let (resident, case) = resident_with_case(&app, &d, "13800000209").await;
    let mediator = &d.station_mediators[0];
    assert!(free_starts(&second, &resident, &case.id, &d, mediator).await.contains(&local(d.day, 11)));

    let booked = book_at(&app, &resident, &d, &case.id, 11).await;
    let after = free_starts(&second, &resident, &case.id, &d, mediator).await;
    assert!(!after.contains(&local(d.day, 11)), "the other replica offers the booked hour: {after:?}");
    assert!(after.contains(&local(d.day, 10)) && after.contains(&local(d.day, 12)), "{after:?}");
    // A search within a second of the other replica's last load of every hold reads the holds
    // it needs from the database; later ones load them all again, and still see the booking.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let later = free_starts(&second, &resident, &case.id, &d, mediator).await;
    assert_eq!(later, after, "the holds loaded again agree with the database");

    let cancel =
        pb::CancelAppointmentRequest { appointment_id: booked.id, reason: "改期".into(), ..Default::default() };
    app.appointments().await.cancel_appointment(authed(cancel, &resident)).await.expect("cancels");
    assert!(free_starts(&second, &resident, &case.id, &d, mediator).await.contains(&local(d.day, 11)));

    let withdraw = directory::SetMediatorActiveRequest { id: mediator.clone(), active: Some(false) };
    app.directory().await.set_mediator_active(authed(withdraw, &d.admin)).await.expect("withdraws");
    let request = pb::SearchAvailabilityRequest { mediator_id: mediator.clone(), ..one_day(&case.id, d.day) };
    let refused = second.appointments().await.search_availability(authed(request, &resident)).await;
    assert_eq!(violated_fields(&assert_status(refused, Code::InvalidArgument, reason::VALIDATION)), ["mediator_id"]);
}

/// Leave and extra hours are part of the calendar availability keeps in memory: each change is
/// offered, or no longer offered, by the very next search.
async fn leave_and_extra_hours_change_what_is_offered_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = district(&app).await;
    let (resident, case) = resident_with_case(&app, &d, "13800000210").await;
    let mediator = &d.station_mediators[0];
    let mut client = app.appointments().await;
    let working_day: Vec<_> = (9..17).map(|h| local(d.day, h)).collect();
    assert_eq!(free_starts(&app, &resident, &case.id, &d, mediator).await, working_day);

    let exception = |kind: pb::ExceptionKind, from: u32, to: u32, site_id: &str| pb::AddScheduleExceptionRequest {
        mediator_id: mediator.clone(),
        start: Some(ts(local(d.day, from))),
        end: Some(ts(local(d.day, to))),
        kind: kind.into(),
        site_id: site_id.into(),
        ..Default::default()
    };
    let leave = exception(pb::ExceptionKind::Leave, 12, 15, "");
    let leave = client.add_schedule_exception(authed(leave, &d.admin)).await.expect("adds leave").into_inner();
    let on_leave = free_starts(&app, &resident, &case.id, &d, mediator).await;
    let expected: Vec<_> =
        working_day.iter().copied().filter(|t| *t < local(d.day, 12) || *t >= local(d.day, 15)).collect();
    assert_eq!(on_leave, expected, "the hours on leave are not offered");

    let extra = exception(pb::ExceptionKind::Extra, 17, 19, &d.station);
    client.add_schedule_exception(authed(extra, &d.admin)).await.expect("adds extra hours");
    let delete = pb::DeleteScheduleExceptionRequest { exception_id: leave.id };
    client.delete_schedule_exception(authed(delete, &d.admin)).await.expect("removes the leave");
    let longer: Vec<_> = (9..19).map(|h| local(d.day, h)).collect();
    assert_eq!(free_starts(&app, &resident, &case.id, &d, mediator).await, longer, "leave gone, extra hours offered");
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

async fn applicants_cancel_with_a_reason_and_the_slot_reopens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = district(&app).await;
    let (resident, case) = resident_with_case(&app, &d, "13800000208").await;
    let mut client = app.appointments().await;
    let appointment = book_at(&app, &resident, &d, &case.id, 9).await;
    assert!(!free_starts(&app, &resident, &case.id, &d, &d.station_mediators[0]).await.contains(&local(d.day, 9)));

    let cancel = pb::CancelAppointmentRequest {
        appointment_id: appointment.id.clone(),
        reason: "临时出差".into(),
        ..Default::default()
    };
    let cancelled = client.cancel_appointment(authed(cancel, &resident)).await.unwrap().into_inner();
    assert_eq!(cancelled.status(), pb::AppointmentStatus::Cancelled);
    assert_eq!(cancelled.cancel_reason, "临时出差");
    let fetched = client
        .get_appointment(authed(pb::GetAppointmentRequest { id: appointment.id.clone() }, &resident))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((fetched.status(), fetched.cancel_reason.as_str()), (pb::AppointmentStatus::Cancelled, "临时出差"));

    let free = free_starts(&app, &resident, &case.id, &d, &d.station_mediators[0]).await;
    assert_eq!(free.len(), 8, "the hour is free again: {free:?}");
    let again = book_at(&app, &resident, &d, &case.id, 9).await;
    assert_eq!(again.status(), pb::AppointmentStatus::Booked);
    assert_ne!(again.id, appointment.id);

    let events = client
        .list_case_events(authed(
            pb::ListCaseEventsRequest { case_id: case.id.clone(), ..Default::default() },
            &d.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .events;
    assert!(events.iter().any(|e| e.kind == "CANCELLED"), "{events:?}");
}

async fn applicants_cannot_cancel_after_the_cutoff_but_staff_can(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.appointments.applicant_cancel_cutoff_minutes = 10 * 24 * 60).await;
    let d = district(&app).await;
    let (resident, case) = resident_with_case(&app, &d, "13800000209").await;
    let mut client = app.appointments().await;
    // The session is at most nine days and nine hours away, inside a ten-day cutoff.
    let appointment = book_at(&app, &resident, &d, &case.id, 9).await;
    let cancel = pb::CancelAppointmentRequest {
        appointment_id: appointment.id.clone(),
        reason: "不想去了".into(),
        ..Default::default()
    };

    let late = client.cancel_appointment(authed(cancel.clone(), &resident)).await;
    assert_status(late, Code::FailedPrecondition, "CANCEL_CUTOFF_PASSED");
    let still = client
        .get_appointment(authed(pb::GetAppointmentRequest { id: appointment.id.clone() }, &resident))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(still.status(), pb::AppointmentStatus::Booked);

    let by_staff = client.cancel_appointment(authed(cancel, &d.admin)).await.unwrap().into_inner();
    assert_eq!(by_staff.status(), pb::AppointmentStatus::Cancelled);
}

async fn sessions_check_in_and_complete_and_a_completed_session_cannot_be_cancelled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = district(&app).await;
    let (resident, case) = resident_with_case(&app, &d, "13800000210").await;
    let kiosk = kiosk(&app, &d.admin, &d.kiosk_site).await;
    let mut client = app.appointments().await;
    let appointment = book_at(&app, &resident, &d, &case.id, 9).await;
    let check_in = pb::CheckInRequest { appointment_id: appointment.id.clone(), ..Default::default() };
    session_time_has_come(&app, &appointment.id).await;

    let by_resident = client.check_in(authed(check_in.clone(), &resident)).await;
    assert_status(by_resident, Code::PermissionDenied, reason::FORBIDDEN);
    // A kiosk in a public place lists nothing and sees no case.
    let listed = client.list_cases(authed(pb::ListCasesRequest::default(), &kiosk)).await;
    assert_eq!(listed.unwrap_err().code(), Code::PermissionDenied);
    let listed = client.list_appointments(authed(pb::ListAppointmentsRequest::default(), &kiosk)).await;
    assert_eq!(listed.unwrap_err().code(), Code::PermissionDenied);
    let checked_in = client.check_in(authed(check_in, &kiosk)).await.unwrap().into_inner();
    assert_eq!(checked_in.status(), pb::AppointmentStatus::CheckedIn);

    let outcome = pb::Outcome {
        result: pb::OutcomeResult::Settled.into(),
        agreement_summary: "楼上业主承担维修费用三千元。".into(),
        referred_to: String::new(),
    };
    let complete = pb::CompleteAppointmentRequest {
        appointment_id: appointment.id.clone(),
        outcome: Some(outcome.clone()),
        ..Default::default()
    };
    let completed = client.complete_appointment(authed(complete, &d.admin)).await.unwrap().into_inner();
    assert_eq!(completed.status(), pb::AppointmentStatus::Completed);
    assert_eq!(completed.outcome, Some(outcome));

    for token in [&resident, &d.admin] {
        let cancel = pb::CancelAppointmentRequest {
            appointment_id: appointment.id.clone(),
            reason: "撤回".into(),
            ..Default::default()
        };
        let refused = client.cancel_appointment(authed(cancel, token)).await;
        assert_status(refused, Code::FailedPrecondition, "APPOINTMENT_COMPLETED");
    }

    let events = client
        .list_case_events(authed(
            pb::ListCaseEventsRequest { case_id: case.id.clone(), ..Default::default() },
            &d.admin,
        ))
        .await
        .unwrap()
        .into_inner()
        .events;
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    for kind in ["CREATED", "BOOKED", "CHECKED_IN", "COMPLETED"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
}

async fn reschedule_moves_to_a_free_slot_and_refuses_a_taken_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = district(&app).await;
    let (resident, case) = resident_with_case(&app, &d, "13800000211").await;
    let other_case = staff_case(&app, &d, ordinary()).await;
    let mut client = app.appointments().await;
    let appointment = book_at(&app, &resident, &d, &case.id, 9).await;
    let blocker = book_at(&app, &d.admin, &d, &other_case.id, 11).await;
    let move_to = |hour: u32| pb::RescheduleAppointmentRequest {
        appointment_id: appointment.id.clone(),
        request_id: new_request_id(),
        start: Some(ts(local(d.day, hour))),
        end: Some(ts(local(d.day, hour + 1))),
        room_id: String::new(),
    };

    let moved = client.reschedule_appointment(authed(move_to(14), &resident)).await.unwrap().into_inner();
    assert_eq!(moved.id, appointment.id);
    assert_eq!(moved.status(), pb::AppointmentStatus::Booked);
    assert_eq!((instant(&moved.start), instant(&moved.end)), (local(d.day, 14), local(d.day, 15)));
    assert_eq!(
        (moved.mediator_ids.clone(), moved.room_id.as_str()),
        (appointment.mediator_ids.clone(), d.room.as_str())
    );
    let free = free_starts(&app, &resident, &case.id, &d, &d.station_mediators[0]).await;
    assert!(free.contains(&local(d.day, 9)), "the old hour is free again: {free:?}");
    assert!(!free.contains(&local(d.day, 14)), "{free:?}");

    let onto_taken = client.reschedule_appointment(authed(move_to(11), &resident)).await;
    let status = assert_status(onto_taken, Code::Aborted, reason::SLOT_TAKEN);
    // ErrorInfo names what is held, one of the session's own (public) mediators or its room.
    let info = tonic_types::StatusExt::get_error_details(&status).error_info().cloned().unwrap();
    let own: Vec<String> =
        appointment.mediator_ids.iter().map(|m| format!("mediator:{m}")).chain([format!("room:{}", d.room)]).collect();
    assert!(own.contains(&info.metadata["held_resource"]), "{:?} among {own:?}", info.metadata);
    let unchanged = client
        .get_appointment(authed(pb::GetAppointmentRequest { id: appointment.id.clone() }, &resident))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(instant(&unchanged.start), local(d.day, 14), "a refused move changes nothing");
    let blocker_now = client
        .get_appointment(authed(pb::GetAppointmentRequest { id: blocker.id.clone() }, &d.admin))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((blocker_now.status(), instant(&blocker_now.start)), (pb::AppointmentStatus::Booked, local(d.day, 11)));
}

// ---------------------------------------------------------------------------------------------
// Privacy and consultation

async fn a_resident_cannot_read_list_or_cancel_another_residents_case_appointments_or_messages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = district(&app).await;
    let (a, a_case) = resident_with_case(&app, &d, "13800000212").await;
    let (b, b_case) = resident_with_case(&app, &d, "13800000213").await;
    let a_appointment = book_at(&app, &a, &d, &a_case.id, 9).await;
    let mut client = app.appointments().await;
    client
        .post_message(authed(
            pb::PostMessageRequest { case_id: a_case.id.clone(), body: "私密".into(), ..Default::default() },
            &a,
        ))
        .await
        .unwrap();

    assert_not_found(client.get_case(authed(pb::GetCaseRequest { id: a_case.id.clone() }, &b)).await);
    let listed = client.list_cases(authed(pb::ListCasesRequest::default(), &b)).await.unwrap().into_inner();
    assert_eq!(listed.cases.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), [b_case.id.as_str()]);
    assert_not_found(
        client
            .list_case_events(authed(
                pb::ListCaseEventsRequest { case_id: a_case.id.clone(), ..Default::default() },
                &b,
            ))
            .await,
    );

    assert_not_found(
        client.get_appointment(authed(pb::GetAppointmentRequest { id: a_appointment.id.clone() }, &b)).await,
    );
    let cancel = pb::CancelAppointmentRequest {
        appointment_id: a_appointment.id.clone(),
        reason: "恶作剧".into(),
        ..Default::default()
    };
    assert_not_found(client.cancel_appointment(authed(cancel, &b)).await);
    let by_case = pb::ListAppointmentsRequest { case_id: a_case.id.clone(), ..Default::default() };
    match client.list_appointments(authed(by_case, &b)).await {
        Ok(listed) => assert!(
            listed.into_inner().appointments.iter().all(|x| x.id != a_appointment.id),
            "another resident's appointment is never listed"
        ),
        Err(status) => assert_eq!(status.code(), Code::NotFound, "{status:?}"),
    }
    let everything = client.list_appointments(authed(pb::ListAppointmentsRequest::default(), &b)).await.unwrap();
    assert!(everything.into_inner().appointments.iter().all(|x| x.id != a_appointment.id));

    assert_not_found(
        client
            .list_messages(authed(pb::ListMessagesRequest { case_id: a_case.id.clone(), ..Default::default() }, &b))
            .await,
    );
    assert_not_found(
        client
            .post_message(authed(
                pb::PostMessageRequest { case_id: a_case.id.clone(), body: "你好".into(), ..Default::default() },
                &b,
            ))
            .await,
    );

    // A's things are untouched.
    let still = client.get_appointment(authed(pb::GetAppointmentRequest { id: a_appointment.id.clone() }, &a)).await;
    assert_eq!(still.unwrap().into_inner().status(), pb::AppointmentStatus::Booked);
    let messages = client
        .list_messages(authed(pb::ListMessagesRequest { case_id: a_case.id.clone(), ..Default::default() }, &a))
        .await
        .unwrap()
        .into_inner()
        .messages;
    assert_eq!(messages.iter().map(|m| m.body.as_str()).collect::<Vec<_>>(), ["私密"]);
}

async fn the_consultation_thread_lists_applicant_and_staff_messages_oldest_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = district(&app).await;
    let (resident, case) = resident_with_case(&app, &d, "13800000214").await;
    let station_admin = staff(&app, &d.admin, identity::Role::StationAdmin, &d.station).await;
    let mut client = app.appointments().await;
    let post =
        |body: &str| pb::PostMessageRequest { case_id: case.id.clone(), body: body.into(), ..Default::default() };

    let question = client.post_message(authed(post("请问需要带哪些材料？"), &resident)).await.unwrap().into_inner();
    let answer =
        client.post_message(authed(post("请携带身份证和房产证复印件。"), &station_admin)).await.unwrap().into_inner();
    assert_eq!((question.case_id.as_str(), answer.case_id.as_str()), (case.id.as_str(), case.id.as_str()));

    let empty = client.post_message(authed(post(""), &resident)).await;
    assert_eq!(violated_fields(&assert_status(empty, Code::InvalidArgument, reason::VALIDATION)), ["body"]);

    let resident_id = account_id(&app, &resident).await;
    let admin_id = account_id(&app, &station_admin).await;
    for token in [&resident, &station_admin] {
        let messages = client
            .list_messages(authed(pb::ListMessagesRequest { case_id: case.id.clone(), ..Default::default() }, token))
            .await
            .unwrap()
            .into_inner()
            .messages;
        let thread: Vec<(&str, &str)> = messages.iter().map(|m| (m.author_id.as_str(), m.body.as_str())).collect();
        assert_eq!(
            thread,
            [(resident_id.as_str(), "请问需要带哪些材料？"), (admin_id.as_str(), "请携带身份证和房产证复印件。")],
            "oldest first"
        );
        assert_eq!((messages[0].id.as_str(), messages[1].id.as_str()), (question.id.as_str(), answer.id.as_str()));
    }
}

// ---------------------------------------------------------------------------------------------
// Reminders and statistics

async fn bookings_send_one_notice_and_one_reminder_even_across_a_restart(backend: Backend) {
    let mut app = TestApp::spawn_with(backend, |s| s.appointments.reminder_lead_minutes = 60 * 24 * 30).await;
    let d = district(&app).await;
    let (resident, case) = resident_with_case(&app, &d, "13800000215").await;
    let phone = "+8613800000215";
    book_at(&app, &resident, &d, &case.id, 9).await;

    let delivered = |to: &'static str| {
        move |n: &[serde_json::Value]| {
            count(n, to, "APPOINTMENT_BOOKED") >= 1 && count(n, to, "APPOINTMENT_REMINDER") >= 1
        }
    };
    let notifications = wait_for(&app, delivered(phone), Duration::from_secs(10)).await;
    assert_eq!(count(&notifications, phone, "APPOINTMENT_BOOKED"), 1, "{notifications:#?}");
    assert_eq!(count(&notifications, phone, "APPOINTMENT_REMINDER"), 1, "{notifications:#?}");
    for n in notifications
        .iter()
        .filter(|n| n["to"] == phone && n["kind"].as_str().is_some_and(|k| k.starts_with("APPOINTMENT_")))
    {
        assert!(n["text"].as_str().is_some_and(|t| !t.is_empty()), "{n}");
    }

    // After a restart the worker runs again: a new booking's messages arrive, and the first
    // booking's are not sent a second time.
    app.restart().await;
    let (other, other_case) = resident_with_case(&app, &d, "13800000216").await;
    let other_phone = "+8613800000216";
    book_at(&app, &other, &d, &other_case.id, 10).await;
    let notifications = wait_for(&app, delivered(other_phone), Duration::from_secs(10)).await;
    for (to, kind) in [
        (phone, "APPOINTMENT_BOOKED"),
        (phone, "APPOINTMENT_REMINDER"),
        (other_phone, "APPOINTMENT_BOOKED"),
        (other_phone, "APPOINTMENT_REMINDER"),
    ] {
        assert_eq!(count(&notifications, to, kind), 1, "{to} {kind}: {notifications:#?}");
    }
}

/// Two gateways on one database both run the outbox worker; each message still goes out once.
async fn two_replicas_deliver_each_notice_once(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| s.appointments.reminder_lead_minutes = 60 * 24 * 30).await;
    let second = app.spawn_second().await;
    let d = district(&app).await;
    let mut phones = Vec::new();
    for (i, hour) in (9..15).enumerate() {
        let mainland = format!("1380000023{i}");
        let gateway = if i % 2 == 0 { &app } else { &second };
        let (resident, case) = resident_with_case(gateway, &d, &mainland).await;
        book_at(gateway, &resident, &d, &case.id, hour).await;
        phones.push(format!("+86{mainland}"));
    }
    let all_sent = {
        let phones = phones.clone();
        move |n: &[serde_json::Value]| {
            phones.iter().all(|p| count(n, p, "APPOINTMENT_BOOKED") >= 1 && count(n, p, "APPOINTMENT_REMINDER") >= 1)
        }
    };
    let notifications = wait_for(&app, all_sent, Duration::from_secs(20)).await;
    for phone in &phones {
        for kind in ["APPOINTMENT_BOOKED", "APPOINTMENT_REMINDER"] {
            assert_eq!(count(&notifications, phone, kind), 1, "{phone} {kind}: {notifications:#?}");
        }
    }
    drop(second);
}

async fn statistics_count_settled_sessions_and_no_shows(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = district(&app).await;
    let station_admin = staff(&app, &d.admin, identity::Role::StationAdmin, &d.station).await;
    let mut client = app.appointments().await;
    let settled_case = staff_case(&app, &d, ordinary()).await;
    let missed_case = staff_case(&app, &d, ordinary()).await;
    let settled = book_at(&app, &d.admin, &d, &settled_case.id, 9).await;
    let missed = book_at(&app, &d.admin, &d, &missed_case.id, 10).await;
    session_time_has_come(&app, &settled.id).await;

    let outcome = pb::Outcome {
        result: pb::OutcomeResult::Settled.into(),
        agreement_summary: "双方达成和解。".into(),
        referred_to: String::new(),
    };
    let complete = pb::CompleteAppointmentRequest {
        appointment_id: settled.id.clone(),
        outcome: Some(outcome),
        ..Default::default()
    };
    let completed = client.complete_appointment(authed(complete, &station_admin)).await.unwrap().into_inner();
    assert_eq!(completed.status(), pb::AppointmentStatus::Completed);
    let no_show = client
        .mark_no_show(authed(
            pb::MarkNoShowRequest { appointment_id: missed.id.clone(), ..Default::default() },
            &station_admin,
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(no_show.status(), pb::AppointmentStatus::NoShow);

    let request = pb::GetStatisticsRequest {
        site_id: d.station.clone(),
        mediator_id: String::new(),
        from: Some(ts(Utc::now() - chrono::Duration::days(1))),
        to: Some(ts(local(d.day, 0) + chrono::Duration::days(2))),
    };
    let stats = client.get_statistics(authed(request, &station_admin)).await.unwrap().into_inner();
    assert_eq!(
        (stats.sessions_completed, stats.settled, stats.not_settled, stats.referred, stats.no_shows),
        (1, 1, 0, 0, 1),
        "{stats:?}"
    );
    assert_eq!(stats.settlement_rate, 1.0, "{stats:?}");
    assert_eq!((stats.cases, stats.ordinary, stats.difficult, stats.major), (2, 2, 0, 0), "{stats:?}");
}

/// Two hours' notice from now lands inside a working day of 00:00-23:00 (most of the time);
/// the first slot offered is still on the hour, not at now plus two hours.
async fn slots_keep_to_the_hours_grid_when_the_notice_cuts_into_a_working_day(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = district(&app).await;
    let mediator = &d.station_mediators[0];
    set_working_hours(&app, &d.admin, mediator, &d.station, weekly_rules(&EVERY_DAY, 0, 23)).await;
    let (resident, case) = resident_with_case(&app, &d, "13800000290").await;
    let now = Utc::now();
    let request = pb::SearchAvailabilityRequest {
        case_id: case.id.clone(),
        mediator_id: mediator.clone(),
        from: Some(ts(now)),
        to: Some(ts(now + chrono::Duration::days(2))),
        duration: Some(hours(1)),
        ..Default::default()
    };
    let starts: Vec<DateTime<Utc>> = search(&app, &resident, request).await.iter().map(|s| instant(&s.start)).collect();
    assert!(starts.len() > 20, "{starts:?}");
    assert!(starts[0] >= now + chrono::Duration::hours(2), "the notice holds: {}", starts[0]);
    assert!(starts[0] < now + chrono::Duration::hours(4), "the first hour after the notice: {}", starts[0]);
    // Asia/Shanghai is a whole number of hours from UTC, so on the hour there is on the hour here.
    for start in &starts {
        assert_eq!(start.format("%M:%S").to_string(), "00:00", "{start} is off the grid");
    }
}

/// A resident's own list comes soonest first; `order_by` asks for another order (and pages in
/// it); an unknown order is refused naming the field.
async fn a_residents_sessions_list_soonest_first_unless_ordered_otherwise(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = district(&app).await;
    let (resident, case) = resident_with_case(&app, &d, "13800000231").await;
    let late = book_at(&app, &resident, &d, &case.id, 15).await.id;
    let early = book_at(&app, &resident, &d, &case.id, 10).await.id;
    let mut client = app.appointments().await;
    let list = |order_by: &str, page_token: &str| pb::ListAppointmentsRequest {
        order_by: order_by.into(),
        page_size: 1,
        page_token: page_token.into(),
        ..Default::default()
    };
    for (order_by, expected) in
        [("", [&early, &late]), ("start", [&early, &late]), ("start desc", [&late, &early]), ("id", [&late, &early])]
    {
        let first = client.list_appointments(authed(list(order_by, ""), &resident)).await.unwrap().into_inner();
        let token = first.next_page_token.clone();
        let second = client.list_appointments(authed(list(order_by, &token), &resident)).await.unwrap().into_inner();
        let ids: Vec<&String> = first.appointments.iter().chain(&second.appointments).map(|a| &a.id).collect();
        assert_eq!(ids, expected, "order_by {order_by:?}");
        assert!(second.next_page_token.is_empty());
    }
    let sideways = client.list_appointments(authed(list("mediator", ""), &resident)).await;
    assert_eq!(violated_fields(&assert_status(sideways, Code::InvalidArgument, reason::VALIDATION)), ["order_by"]);
}
