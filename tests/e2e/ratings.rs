//! RatingService end to end: who may rate which session and how often, the summary with its
//! Bayesian mean and outcome split, masked and paged comments, moderation, the author's edits,
//! joint sessions rated per mediator, the directory's rating order and filter, and the monthly
//! and quarterly assessment with its pay lines, access by role and the payroll CSV.
//!
//! Every gateway here books with no minimum notice, and every mediator works round the clock
//! every day, so sessions are booked an hour or more from now, one hour apart (see
//! [`World::next_slot`]); a session is completed before it starts, which the service allows.
//! Periods are taken from the session's start in Asia/Shanghai.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Datelike, DurationRound, TimeDelta, Utc};
use mediation_api::appointments::v1 as appointments;
use mediation_api::directory::v1 as directory;
use mediation_api::directory::v1::MediationMode;
use mediation_api::identity::v1 as identity;
use mediation_api::ratings::v1 as pb;
use mediation_api::status::reason;
use tonic::{Code, Status};

use crate::common::*;

both_backends!(
    a_retried_rating_with_its_request_id_returns_the_first,
    only_a_party_to_a_completed_session_rates_it_and_only_once,
    cancelled_and_no_show_sessions_cannot_be_rated,
    one_five_star_rating_is_shrunk_toward_the_prior_and_comments_are_masked_newest_first,
    admins_hide_a_rating_with_a_reason_and_it_leaves_the_summary_and_public_list,
    authors_update_their_ratings_and_the_summary_follows,
    a_party_verified_by_phone_at_the_session_rates_it_too,
    a_joint_session_is_rated_per_mediator,
    the_directory_orders_and_filters_mediators_by_the_bayesian_mean,
    a_months_assessment_has_explained_pay_lines_readable_by_the_mediator_and_their_admins,
    quarters_site_lists_and_the_payroll_export,
    concurrent_ratings_are_all_counted_and_duplicates_refused,
    the_prior_and_the_edit_window_follow_the_settings,
);

// ---------------------------------------------------------------------------------------------
// Time

/// The month of `t` in Asia/Shanghai.
fn month_of(t: DateTime<Utc>) -> pb::Period {
    let local = t.with_timezone(&shanghai());
    pb::Period { year: local.year(), month: local.month() as i32, quarter: 0 }
}

/// The quarter of `t` in Asia/Shanghai.
fn quarter_of(t: DateTime<Utc>) -> pb::Period {
    let local = t.with_timezone(&shanghai());
    pb::Period { year: local.year(), month: 0, quarter: (local.month0() / 3 + 1) as i32 }
}

fn same_period(a: &pb::Period, b: &pb::Period) -> bool {
    a.year == b.year && a.month == b.month && a.quarter == b.quarter
}

// ---------------------------------------------------------------------------------------------
// The world

/// A centre admin, a centre with two stations, a MEDIATION room (capacity 6) at station 1, and
/// at station 1 two station mediators, a think-tank expert and a partner mediator, each level 2
/// and working every day round the clock.
struct World {
    /// The centre admin's access token.
    admin: String,
    station: String,
    other_station: String,
    room: String,
    station_mediators: [Staffed; 2],
    expert: Staffed,
    partner: Staffed,
    /// The first bookable hour; sessions are booked one hour apart from it.
    first_slot: DateTime<Utc>,
    booked: AtomicI64,
}

impl World {
    /// A fresh hour for the next session: no two sessions of a test share a room or a time.
    fn next_slot(&self) -> DateTime<Utc> {
        self.first_slot + TimeDelta::hours(self.booked.fetch_add(1, Ordering::SeqCst))
    }

    fn every_mediator(&self) -> [&str; 4] {
        [&self.station_mediators[0].id, &self.station_mediators[1].id, &self.expert.id, &self.partner.id]
    }
}

/// A gateway that books with no minimum notice.
async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |s| s.appointments.min_notice_minutes = 0).await
}

async fn world(app: &TestApp) -> World {
    let admin = app.centre_admin().await.access_token;
    let (_, [station, other_station], _) = app.district(&admin).await;
    let room = mediation_room(app, &admin, &station).await;
    // Every day of the week, 00:00-24:00 in the site's time zone.
    let [first, second, expert, partner] = station_team(app, &admin, &station, weekly_rules(&EVERY_DAY, 0, 24)).await;
    let station_mediators = [first, second];
    // At least half an hour ahead, on the hour.
    let first_slot = (Utc::now() + TimeDelta::minutes(90)).duration_trunc(TimeDelta::hours(1)).unwrap();
    World {
        admin,
        station,
        other_station,
        room,
        station_mediators,
        expert,
        partner,
        first_slot,
        booked: AtomicI64::new(0),
    }
}

/// Registers and verifies a resident named `name`; returns their access token.
async fn resident_named(app: &TestApp, mainland_phone: &str, name: &str) -> String {
    app.resident_named(mainland_phone, name).await.access_token
}

/// A resident named 王芳; returns the access token.
async fn resident(app: &TestApp, mainland_phone: &str) -> String {
    app.resident(mainland_phone).await.access_token
}

// ---------------------------------------------------------------------------------------------
// Cases and sessions

/// A MAJOR case: a joint session of two or more.
fn major() -> appointments::Assessment {
    appointments::Assessment { group_incident_risk: true, ..ordinary() }
}

/// The resident's own app case at station 1: they are the applicant (`applicant_phone`), and
/// the respondent's phone is [`RESPONDENT_PHONE`].
async fn case(
    app: &TestApp,
    w: &World,
    resident: &str,
    applicant_phone: &str,
    assessment: appointments::Assessment,
) -> appointments::Case {
    let request = new_case(&w.station, appointments::CaseOrigin::App, applicant_phone, assessment);
    create_case(app, resident, request).await
}

/// The admin books `mediators` in the room for the next free hour.
async fn book(app: &TestApp, w: &World, case_id: &str, mediators: &[&str]) -> appointments::Appointment {
    let start = w.next_slot();
    let request = appointments::BookAppointmentRequest {
        request_id: new_request_id(),
        case_id: case_id.into(),
        start: Some(ts(start)),
        end: Some(ts(start + TimeDelta::hours(1))),
        mediator_ids: mediators.iter().map(|m| m.to_string()).collect(),
        room_id: w.room.clone(),
        mode: MediationMode::InPerson.into(),
    };
    let booked = app.appointments().await.book_appointment(authed(request, &w.admin)).await.expect("books");
    let booked = booked.into_inner();
    assert_eq!(booked.status(), appointments::AppointmentStatus::Booked);
    booked
}

/// Checks the session in and completes it with `result`.
async fn complete(app: &TestApp, w: &World, appointment_id: &str, result: appointments::OutcomeResult) {
    let mut client = app.appointments().await;
    let check_in = appointments::CheckInRequest { appointment_id: appointment_id.into() };
    session_time_has_come(app, appointment_id).await;
    client.check_in(authed(check_in, &w.admin)).await.expect("checks in");
    let outcome = appointments::Outcome {
        result: result.into(),
        agreement_summary: "双方当面沟通。".into(),
        referred_to: if result == appointments::OutcomeResult::Referred {
            "鄞州区人民法院".into()
        } else {
            String::new()
        },
    };
    let request =
        appointments::CompleteAppointmentRequest { appointment_id: appointment_id.into(), outcome: Some(outcome) };
    let done = client.complete_appointment(authed(request, &w.admin)).await.expect("completes").into_inner();
    assert_eq!(done.status(), appointments::AppointmentStatus::Completed);
}

/// A completed session of the resident's own ORDINARY case with one mediator.
async fn session(
    app: &TestApp,
    w: &World,
    resident: &str,
    phone: &str,
    mediator_id: &str,
    result: appointments::OutcomeResult,
) -> appointments::Appointment {
    let case = case(app, w, resident, phone, ordinary()).await;
    let appointment = book(app, w, &case.id, &[mediator_id]).await;
    complete(app, w, &appointment.id, result).await;
    appointment
}

// ---------------------------------------------------------------------------------------------
// Ratings

/// `overall`, with fairness 4, professionalism 5 and timeliness 3.
fn scores(overall: i32) -> pb::Scores {
    pb::Scores { overall, fairness: 4, professionalism: 5, timeliness: 3 }
}

fn rating(appointment_id: &str, overall: i32, comment: &str) -> pb::SubmitRatingRequest {
    pb::SubmitRatingRequest {
        appointment_id: appointment_id.into(),
        scores: Some(scores(overall)),
        comment: comment.into(),
        mediator_id: String::new(),
        request_id: String::new(),
        home_visit_id: String::new(),
    }
}

async fn submit(app: &TestApp, token: &str, request: pb::SubmitRatingRequest) -> Result<pb::Rating, Status> {
    app.ratings().await.submit_rating(authed(request, token)).await.map(|r| r.into_inner())
}

/// The public summary (no token).
async fn summary(app: &TestApp, mediator_id: &str) -> pb::MediatorSummary {
    let request = pb::GetMediatorSummaryRequest { mediator_id: mediator_id.into() };
    app.ratings().await.get_mediator_summary(request).await.expect("reads the summary").into_inner()
}

/// Every rating of the mediator `token` may see (none: the public list), page by page.
async fn list(app: &TestApp, mediator_id: &str, token: Option<&str>) -> Vec<pb::Rating> {
    let mut client = app.ratings().await;
    let mut request =
        pb::ListRatingsRequest { mediator_id: mediator_id.into(), page_size: 0, page_token: String::new() };
    let mut out = Vec::new();
    loop {
        let call = match token {
            Some(token) => client.list_ratings(authed(request.clone(), token)).await,
            None => client.list_ratings(request.clone()).await,
        };
        let page = call.expect("lists the ratings").into_inner();
        out.extend(page.ratings);
        if page.next_page_token.is_empty() {
            return out;
        }
        request.page_token = page.next_page_token;
    }
}

#[track_caller]
fn assert_close(actual: f64, expected: f64, what: &str) {
    assert!((actual - expected).abs() < 1e-9, "{what}: {actual} is not {expected}");
}

/// The count, mean, Bayesian mean and distribution of a summary.
#[track_caller]
fn assert_summary(s: &pb::MediatorSummary, count: i32, mean: f64, bayesian_mean: f64, distribution: [i32; 5]) {
    assert_eq!(s.count, count, "{s:?}");
    assert_close(s.mean, mean, "mean");
    assert_close(s.bayesian_mean, bayesian_mean, "bayesian_mean");
    assert_eq!(s.distribution, distribution, "{s:?}");
}

/// PERMISSION_DENIED with reason FORBIDDEN, and not because the method is not wired yet.
#[track_caller]
fn assert_forbidden<T: std::fmt::Debug>(result: Result<T, Status>) {
    let status = assert_status(result, Code::PermissionDenied, reason::FORBIDDEN);
    assert!(!status.message().contains("no access policy"), "the method is not wired: {status:?}");
}

/// INVALID_ARGUMENT naming `field`.
#[track_caller]
fn assert_invalid<T: std::fmt::Debug>(result: Result<T, Status>, field: &str) {
    let status = assert_status(result, Code::InvalidArgument, reason::VALIDATION);
    assert!(violated_fields(&status).iter().any(|f| f == field), "{field} in {status:?}");
}

// ---------------------------------------------------------------------------------------------
// Eligibility and once-only

async fn only_a_party_to_a_completed_session_rates_it_and_only_once(backend: Backend) {
    let app = spawn(backend).await;
    let w = world(&app).await;
    let resident = resident(&app, "13800000301").await;
    let stranger = resident_named(&app, "13800000302", "孙悟空").await;
    let mediator = &w.station_mediators[0].id;
    let case = case(&app, &w, &resident, "13800000301", ordinary()).await;
    let appointment = book(&app, &w, &case.id, &[mediator]).await;
    let mut client = app.ratings().await;

    // Booked, then checked in: not yet.
    let early = submit(&app, &resident, rating(&appointment.id, 5, "")).await;
    assert_status(early, Code::FailedPrecondition, "APPOINTMENT_BOOKED");
    let check_in = appointments::CheckInRequest { appointment_id: appointment.id.clone() };
    session_time_has_come(&app, &appointment.id).await;
    app.appointments().await.check_in(authed(check_in, &w.admin)).await.expect("checks in");
    let early = submit(&app, &resident, rating(&appointment.id, 5, "")).await;
    assert_status(early, Code::FailedPrecondition, "APPOINTMENT_CHECKED_IN");

    let outcome = appointments::Outcome {
        result: appointments::OutcomeResult::Settled.into(),
        agreement_summary: "楼上业主承担维修费用。".into(),
        referred_to: String::new(),
    };
    let request =
        appointments::CompleteAppointmentRequest { appointment_id: appointment.id.clone(), outcome: Some(outcome) };
    app.appointments().await.complete_appointment(authed(request, &w.admin)).await.expect("completes");

    // Not a party, not a resident, no token.
    assert_forbidden(submit(&app, &stranger, rating(&appointment.id, 1, "")).await);
    assert_forbidden(submit(&app, &w.admin, rating(&appointment.id, 1, "")).await);
    let mediator_token = app.login(&w.station_mediators[0].login, PASSWORD).await.access_token;
    assert_forbidden(submit(&app, &mediator_token, rating(&appointment.id, 5, "")).await);
    let anonymous = client.submit_rating(rating(&appointment.id, 5, "")).await;
    assert_status(anonymous, Code::Unauthenticated, reason::TOKEN_INVALID);
    let unknown = submit(&app, &resident, rating(&uuid::Uuid::new_v4().to_string(), 5, "")).await;
    assert_status(unknown, Code::NotFound, reason::NOT_FOUND);

    // Scores are 1 to 5 each, the field named; the comment is capped.
    let bad_scores = [
        (pb::Scores { overall: 6, ..scores(5) }, "scores.overall"),
        (pb::Scores { overall: 0, ..scores(5) }, "scores.overall"),
        (pb::Scores { fairness: 0, ..scores(5) }, "scores.fairness"),
        (pb::Scores { professionalism: 6, ..scores(5) }, "scores.professionalism"),
        (pb::Scores { timeliness: -1, ..scores(5) }, "scores.timeliness"),
    ];
    for (bad, field) in bad_scores {
        let request = pb::SubmitRatingRequest { scores: Some(bad), ..rating(&appointment.id, 5, "") };
        assert_invalid(submit(&app, &resident, request).await, field);
    }
    let no_scores = pb::SubmitRatingRequest { scores: None, ..rating(&appointment.id, 5, "") };
    assert_invalid(submit(&app, &resident, no_scores).await, "scores.overall");
    let long = "好".repeat(1001);
    assert_invalid(submit(&app, &resident, rating(&appointment.id, 5, &long)).await, "comment");
    let no_appointment = rating("", 5, "");
    assert_invalid(submit(&app, &resident, no_appointment).await, "appointment_id");
    let not_theirs = pb::SubmitRatingRequest { mediator_id: w.expert.id.clone(), ..rating(&appointment.id, 5, "") };
    assert_invalid(submit(&app, &resident, not_theirs).await, "mediator_id");
    assert_eq!(summary(&app, mediator).await.count, 0, "nothing refused was counted");

    // The applicant rates once; control characters are stripped from the comment.
    let rated = submit(&app, &resident, rating(&appointment.id, 5, "耐心\u{7}细致。")).await.expect("rates");
    assert!(!rated.id.is_empty());
    assert_eq!(rated.appointment_id, appointment.id);
    assert_eq!(&rated.mediator_id, mediator, "a one-mediator session names its mediator");
    assert_eq!(rated.scores, Some(scores(5)));
    assert_eq!(rated.comment, "耐心细致。");
    assert!(!rated.hidden);
    assert_eq!(rated.rater_masked, "王*");
    assert!(rated.created_at.is_some() && rated.updated_at.is_some());

    let twice = submit(&app, &resident, rating(&appointment.id, 1, "再评一次")).await;
    assert_status(twice, Code::AlreadyExists, reason::ALREADY_EXISTS);
    let named = pb::SubmitRatingRequest { mediator_id: mediator.clone(), ..rating(&appointment.id, 1, "") };
    assert_status(submit(&app, &resident, named).await, Code::AlreadyExists, reason::ALREADY_EXISTS);
    let s = summary(&app, mediator).await;
    assert_summary(&s, 1, 5.0, 45.0 / 11.0, [0, 0, 0, 0, 1]);
    let listed = list(&app, mediator, None).await;
    assert_eq!(listed.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [rated.id.as_str()]);
}

async fn a_retried_rating_with_its_request_id_returns_the_first(backend: Backend) {
    let app = spawn(backend).await;
    let w = world(&app).await;
    let mediator = &w.station_mediators[0].id;
    let rater = resident(&app, "13800000391").await;
    let done = session(&app, &w, &rater, "13800000391", mediator, appointments::OutcomeResult::Settled).await;
    let request = pb::SubmitRatingRequest { request_id: new_request_id(), ..rating(&done.id, 4, "很好") };
    let first = submit(&app, &rater, request.clone()).await.expect("rates");
    let retry = submit(&app, &rater, request.clone()).await.expect("a retry replays the first answer");
    assert_eq!(first, retry);
    assert_eq!(summary(&app, mediator).await.count, 1, "counted once");
    let changed = pb::SubmitRatingRequest { comment: "其实一般".into(), ..request };
    let reused = submit(&app, &rater, changed).await;
    assert_status(reused, Code::InvalidArgument, mediation_api::status::reason::IDEMPOTENCY_KEY_REUSED);
}

async fn cancelled_and_no_show_sessions_cannot_be_rated(backend: Backend) {
    let app = spawn(backend).await;
    let w = world(&app).await;
    let resident = resident(&app, "13800000311").await;
    let mediator = &w.station_mediators[0].id;
    let case = case(&app, &w, &resident, "13800000311", ordinary()).await;
    let mut client = app.appointments().await;

    let cancelled = book(&app, &w, &case.id, &[mediator]).await;
    let cancel =
        appointments::CancelAppointmentRequest { appointment_id: cancelled.id.clone(), reason: "改期".into() };
    client.cancel_appointment(authed(cancel, &w.admin)).await.expect("cancels");
    let refused = submit(&app, &resident, rating(&cancelled.id, 1, "没来得及调解")).await;
    assert_status(refused, Code::FailedPrecondition, "APPOINTMENT_CANCELLED");

    // The case is open again; its next session is missed.
    let missed = book(&app, &w, &case.id, &[mediator]).await;
    let no_show = appointments::MarkNoShowRequest { appointment_id: missed.id.clone() };
    let marked = client.mark_no_show(authed(no_show, &w.admin)).await.expect("marks the no-show").into_inner();
    assert_eq!(marked.status(), appointments::AppointmentStatus::NoShow);
    let refused = submit(&app, &resident, rating(&missed.id, 1, "调解员没来？")).await;
    assert_status(refused, Code::FailedPrecondition, "APPOINTMENT_NO_SHOW");

    assert_summary(&summary(&app, mediator).await, 0, 0.0, 4.0, [0; 5]);
    assert!(list(&app, mediator, Some(&w.admin)).await.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Summaries and lists

async fn one_five_star_rating_is_shrunk_toward_the_prior_and_comments_are_masked_newest_first(backend: Backend) {
    let app = spawn(backend).await;
    let w = world(&app).await;
    let mediator = &w.station_mediators[0].id;
    let first = resident(&app, "13800000321").await;
    let second = resident_named(&app, "13800000322", "李娜").await;
    let settled = session(&app, &w, &first, "13800000321", mediator, appointments::OutcomeResult::Settled).await;
    let unsettled = session(&app, &w, &second, "13800000322", mediator, appointments::OutcomeResult::NotSettled).await;

    // No ratings: count 0, mean 0, the prior's Bayesian mean.
    let empty = summary(&app, mediator).await;
    assert_eq!(&empty.mediator_id, mediator);
    assert_summary(&empty, 0, 0.0, 4.0, [0; 5]);

    let five = submit(&app, &first, rating(&settled.id, 5, "调解员很耐心。")).await.expect("rates");
    let s = summary(&app, mediator).await;
    assert_summary(&s, 1, 5.0, 45.0 / 11.0, [0, 0, 0, 0, 1]);
    assert!(s.bayesian_mean < 5.0, "one 5 is shrunk toward the prior 4.0: {s:?}");
    assert_close(s.fairness_mean, 4.0, "fairness_mean");
    assert_close(s.professionalism_mean, 5.0, "professionalism_mean");
    assert_close(s.timeliness_mean, 3.0, "timeliness_mean");
    let split = s.settled.expect("the settled split");
    assert_eq!(split.count, 1);
    assert_close(split.mean, 5.0, "settled mean");
    assert_eq!(s.not_settled.expect("the not-settled split").count, 0);
    // Another mediator is untouched.
    assert_summary(&summary(&app, &w.station_mediators[1].id).await, 0, 0.0, 4.0, [0; 5]);

    let public = list(&app, mediator, None).await;
    assert_eq!(public.len(), 1);
    assert_eq!((public[0].comment.as_str(), public[0].rater_masked.as_str()), ("调解员很耐心。", "王*"));
    assert_eq!(public[0].id, five.id);
    assert_eq!(public[0].scores, Some(scores(5)));
    assert!(!public[0].hidden && public[0].hidden_reason.is_empty());

    // A second rating, from a session that did not settle.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let two = submit(&app, &second, rating(&unsettled.id, 2, "没解决问题。")).await.expect("rates");
    assert_eq!(two.rater_masked, "李*");
    let s = summary(&app, mediator).await;
    assert_summary(&s, 2, 3.5, 47.0 / 12.0, [0, 1, 0, 0, 1]);
    let (settled_split, unsettled_split) = (s.settled.unwrap(), s.not_settled.unwrap());
    assert_eq!((settled_split.count, unsettled_split.count), (1, 1), "{s:?}");
    assert_close(settled_split.mean, 5.0, "settled mean");
    assert_close(unsettled_split.mean, 2.0, "not-settled mean");

    // Newest first, a page at a time.
    let listed = list(&app, mediator, None).await;
    let masked: Vec<(&str, &str)> = listed.iter().map(|r| (r.comment.as_str(), r.rater_masked.as_str())).collect();
    assert_eq!(masked, [("没解决问题。", "李*"), ("调解员很耐心。", "王*")]);
    assert!(instant(&listed[0].created_at) >= instant(&listed[1].created_at));
    let mut client = app.ratings().await;
    let request = pb::ListRatingsRequest { mediator_id: mediator.clone(), page_size: 1, page_token: String::new() };
    let page = client.list_ratings(request.clone()).await.expect("lists").into_inner();
    assert_eq!(page.ratings.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [two.id.as_str()]);
    assert!(!page.next_page_token.is_empty());
    let request = pb::ListRatingsRequest { page_token: page.next_page_token, ..request };
    let page = client.list_ratings(request).await.expect("lists the next page").into_inner();
    assert_eq!(page.ratings.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [five.id.as_str()]);
    assert!(page.next_page_token.is_empty());

    // Unknown mediators and empty ids.
    let unknown = pb::GetMediatorSummaryRequest { mediator_id: uuid::Uuid::new_v4().to_string() };
    assert_status(client.get_mediator_summary(unknown).await, Code::NotFound, reason::NOT_FOUND);
    let empty = pb::ListRatingsRequest { mediator_id: String::new(), page_size: 0, page_token: String::new() };
    assert_invalid(client.list_ratings(empty).await, "mediator_id");
}

// ---------------------------------------------------------------------------------------------
// Moderation

async fn admins_hide_a_rating_with_a_reason_and_it_leaves_the_summary_and_public_list(backend: Backend) {
    let app = spawn(backend).await;
    let w = world(&app).await;
    let mediator = &w.station_mediators[0].id;
    let resident = resident(&app, "13800000331").await;
    let appointment = session(&app, &w, &resident, "13800000331", mediator, appointments::OutcomeResult::Settled).await;
    let rated = submit(&app, &resident, rating(&appointment.id, 5, "留个电话：13812345678")).await.expect("rates");
    assert_eq!(summary(&app, mediator).await.count, 1);
    let mut client = app.ratings().await;
    let hide = |token: &str, reason_text: &str| {
        authed(pb::HideRatingRequest { rating_id: rated.id.clone(), reason: reason_text.into() }, token)
    };

    // Residents, mediators and admins of another station may not.
    assert_forbidden(client.hide_rating(hide(&resident, "不喜欢")).await);
    let mediator_token = app.login(&w.station_mediators[0].login, PASSWORD).await.access_token;
    assert_forbidden(client.hide_rating(hide(&mediator_token, "不喜欢")).await);
    let other_admin = staff(&app, &w.admin, identity::Role::StationAdmin, &w.other_station).await;
    assert_forbidden(client.hide_rating(hide(&other_admin, "含有个人信息")).await);
    // A reason is required.
    assert_invalid(client.hide_rating(hide(&w.admin, "  ")).await, "reason");
    let unknown = pb::HideRatingRequest { rating_id: uuid::Uuid::new_v4().to_string(), reason: "测试".into() };
    assert_status(client.hide_rating(authed(unknown, &w.admin)).await, Code::NotFound, reason::NOT_FOUND);
    assert_eq!(summary(&app, mediator).await.count, 1, "refused hides change nothing");

    let hidden = client.hide_rating(hide(&w.admin, "含有个人信息")).await.expect("hides").into_inner();
    assert!(hidden.hidden);
    assert_eq!(hidden.hidden_reason, "含有个人信息");
    assert_eq!(hidden.id, rated.id);

    // It leaves the summary...
    let s = summary(&app, mediator).await;
    assert_summary(&s, 0, 0.0, 4.0, [0; 5]);
    assert_eq!(s.settled.unwrap().count, 0, "{s:?}");
    // ...and the public list, and the author's own view of it...
    assert!(list(&app, mediator, None).await.is_empty());
    assert!(list(&app, mediator, Some(&resident)).await.is_empty());
    // ...but is kept for the admins, with the reason.
    let station_admin = staff(&app, &w.admin, identity::Role::StationAdmin, &w.station).await;
    for token in [&w.admin, &station_admin] {
        let seen = list(&app, mediator, Some(token)).await;
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0].id, rated.id);
        assert!(seen[0].hidden);
        assert_eq!(seen[0].hidden_reason, "含有个人信息");
        assert_eq!(seen[0].comment, "留个电话：13812345678");
    }
    assert!(list(&app, mediator, Some(&other_admin)).await.is_empty(), "another station's admin sees no hidden rating");

    // The assessment of the month it was made in counts it as hidden, not as a rating.
    let a = assessment(&app, &w.admin, mediator, month_of(Utc::now())).await.expect("the assessment");
    let inputs = a.inputs.unwrap();
    assert_eq!((inputs.ratings_count, inputs.hidden_ratings), (0, 1), "{inputs:?}");

    // Hiding it again changes nothing: it is not taken out of the sums twice.
    let again = client.hide_rating(hide(&station_admin, "重复操作")).await.expect("hides again").into_inner();
    assert!(again.hidden);
    assert_summary(&summary(&app, mediator).await, 0, 0.0, 4.0, [0; 5]);
}

// ---------------------------------------------------------------------------------------------
// Edits

async fn authors_update_their_ratings_and_the_summary_follows(backend: Backend) {
    let app = spawn(backend).await;
    let w = world(&app).await;
    let mediator = &w.station_mediators[0].id;
    let author = resident(&app, "13800000341").await;
    let stranger = resident_named(&app, "13800000342", "孙悟空").await;
    let appointment = session(&app, &w, &author, "13800000341", mediator, appointments::OutcomeResult::Settled).await;
    let rated = submit(&app, &author, rating(&appointment.id, 5, "很好")).await.expect("rates");
    let mut client = app.ratings().await;
    let update = |overall: i32, comment: &str| pb::UpdateRatingRequest {
        rating_id: rated.id.clone(),
        scores: Some(scores(overall)),
        comment: comment.into(),
    };

    assert_forbidden(client.update_rating(authed(update(1, "差"), &stranger)).await);
    assert_forbidden(client.update_rating(authed(update(1, "差"), &w.admin)).await);
    assert_invalid(client.update_rating(authed(update(0, "差"), &author)).await, "scores.overall");
    let unknown = pb::UpdateRatingRequest { rating_id: uuid::Uuid::new_v4().to_string(), ..update(3, "") };
    assert_status(client.update_rating(authed(unknown, &author)).await, Code::NotFound, reason::NOT_FOUND);
    assert_summary(&summary(&app, mediator).await, 1, 5.0, 45.0 / 11.0, [0, 0, 0, 0, 1]);

    let updated =
        client.update_rating(authed(update(3, "想了想，一般。"), &author)).await.expect("updates").into_inner();
    assert_eq!(updated.id, rated.id);
    assert_eq!(updated.scores, Some(scores(3)));
    assert_eq!(updated.comment, "想了想，一般。");
    assert!(instant(&updated.updated_at) >= instant(&updated.created_at));

    let s = summary(&app, mediator).await;
    assert_summary(&s, 1, 3.0, 43.0 / 11.0, [0, 0, 1, 0, 0]);
    let split = s.settled.unwrap();
    assert_eq!(split.count, 1);
    assert_close(split.mean, 3.0, "settled mean");
    let listed = list(&app, mediator, None).await;
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].scores, listed[0].comment.as_str()), (Some(scores(3)), "想了想，一般。"));

    // Updating it again to the same score keeps the count at one.
    client.update_rating(authed(update(3, "一般。"), &author)).await.expect("updates again");
    assert_summary(&summary(&app, mediator).await, 1, 3.0, 43.0 / 11.0, [0, 0, 1, 0, 0]);
}

// ---------------------------------------------------------------------------------------------
// Parties verified at the session

async fn a_party_verified_by_phone_at_the_session_rates_it_too(backend: Backend) {
    let app = spawn(backend).await;
    let w = world(&app).await;
    let mediator = &w.station_mediators[0].id;
    let applicant = resident(&app, "13800000351").await;
    let appointment =
        session(&app, &w, &applicant, "13800000351", mediator, appointments::OutcomeResult::NotSettled).await;

    // The respondent registers with the phone the case names and verifies it.
    let respondent = resident_named(&app, RESPONDENT_PHONE, "赵强").await;
    let by_respondent = submit(&app, &respondent, rating(&appointment.id, 2, "偏向对方。")).await.expect("rates");
    assert_eq!(by_respondent.rater_masked, "赵*");
    assert_eq!(&by_respondent.mediator_id, mediator);
    let by_applicant = submit(&app, &applicant, rating(&appointment.id, 5, "很公道。")).await.expect("rates");
    assert_ne!(by_applicant.id, by_respondent.id, "each party rates the session once");

    let twice = submit(&app, &respondent, rating(&appointment.id, 3, "")).await;
    assert_status(twice, Code::AlreadyExists, reason::ALREADY_EXISTS);
    let stranger = resident_named(&app, "13800000352", "孙悟空").await;
    assert_forbidden(submit(&app, &stranger, rating(&appointment.id, 1, "")).await);

    let s = summary(&app, mediator).await;
    assert_summary(&s, 2, 3.5, 47.0 / 12.0, [0, 1, 0, 0, 1]);
    let unsettled = s.not_settled.unwrap();
    assert_eq!((s.settled.unwrap().count, unsettled.count), (0, 2), "{s:?}");
    assert_close(unsettled.mean, 3.5, "not-settled mean");
    let mut masked: Vec<String> = list(&app, mediator, None).await.into_iter().map(|r| r.rater_masked).collect();
    masked.sort();
    assert_eq!(masked, ["王*", "赵*"]);
}

// ---------------------------------------------------------------------------------------------
// Joint sessions

async fn a_joint_session_is_rated_per_mediator(backend: Backend) {
    let app = spawn(backend).await;
    let w = world(&app).await;
    let resident = resident(&app, "13800000361").await;
    let lead = &w.expert.id;
    let second = &w.station_mediators[0].id;
    let case = case(&app, &w, &resident, "13800000361", major()).await;
    assert_eq!(case.grade(), appointments::Grade::Major);
    let appointment = book(&app, &w, &case.id, &[lead, second]).await;
    complete(&app, &w, &appointment.id, appointments::OutcomeResult::Settled).await;
    let per = |mediator_id: &str, overall: i32| pb::SubmitRatingRequest {
        mediator_id: mediator_id.into(),
        ..rating(&appointment.id, overall, "联合调解。")
    };

    assert_invalid(submit(&app, &resident, rating(&appointment.id, 5, "")).await, "mediator_id");
    assert_invalid(submit(&app, &resident, per(&w.partner.id, 5)).await, "mediator_id");
    assert_eq!(summary(&app, lead).await.count, 0);

    let for_lead = submit(&app, &resident, per(lead, 5)).await.expect("rates the expert");
    assert_eq!(&for_lead.mediator_id, lead);
    let for_second = submit(&app, &resident, per(second, 3)).await.expect("rates the station mediator");
    assert_eq!(&for_second.mediator_id, second);
    assert_status(submit(&app, &resident, per(lead, 4)).await, Code::AlreadyExists, reason::ALREADY_EXISTS);

    assert_summary(&summary(&app, lead).await, 1, 5.0, 45.0 / 11.0, [0, 0, 0, 0, 1]);
    assert_summary(&summary(&app, second).await, 1, 3.0, 43.0 / 11.0, [0, 0, 1, 0, 0]);
    assert_summary(&summary(&app, &w.partner.id).await, 0, 0.0, 4.0, [0; 5]);

    // The session counts for both; the expert's is a think-tank session.
    let period = month_of(instant(&appointment.start));
    let expert = assessment(&app, &w.admin, lead, period).await.expect("the expert's assessment");
    let inputs = expert.inputs.unwrap();
    assert_eq!((inputs.sessions_held, inputs.settled, inputs.think_tank_sessions), (1, 1, 1), "{inputs:?}");
    let think_tank = line(&expert, "REWARD_THINK_TANK");
    assert_eq!(think_tank.amount_yuan, 200, "{think_tank:?}");
    assert!(!think_tank.explanation.is_empty());
    let station = assessment(&app, &w.admin, second, period).await.expect("the station mediator's assessment");
    let inputs = station.inputs.unwrap();
    assert_eq!((inputs.sessions_held, inputs.settled, inputs.think_tank_sessions), (1, 1, 0), "{inputs:?}");
    assert!(station.lines.iter().all(|l| l.kind != "REWARD_THINK_TANK"), "{:?}", station.lines);
}

// ---------------------------------------------------------------------------------------------
// The directory

/// The station's mediators for `request` (site and order added), best first, with their ratings.
async fn search(
    app: &TestApp,
    w: &World,
    order_by: directory::MediatorOrder,
    min_rating: f64,
) -> Vec<(String, directory::RatingSummary)> {
    let request = directory::SearchMediatorsRequest {
        site_id: w.station.clone(),
        order_by: order_by.into(),
        min_rating,
        page_size: 100,
        ..Default::default()
    };
    let hits = app.directory().await.search_mediators(request).await.expect("searches").into_inner().hits;
    hits.into_iter().map(|h| (h.mediator.unwrap().id, h.rating.expect("every hit carries its rating"))).collect()
}

async fn the_directory_orders_and_filters_mediators_by_the_bayesian_mean(backend: Backend) {
    let app = spawn(backend).await;
    let w = world(&app).await;
    let resident = resident(&app, "13800000371").await;
    let phone = "13800000371";
    let (veteran, newcomer) = (&w.station_mediators[0].id, &w.station_mediators[1].id);
    let (expert, partner) = (&w.expert.id, &w.partner.id);

    // The veteran: ten fives, (10 × 4 + 50) / 20 = 4.5.
    for _ in 0..10 {
        let appointment = session(&app, &w, &resident, phone, veteran, appointments::OutcomeResult::Settled).await;
        submit(&app, &resident, rating(&appointment.id, 5, "")).await.expect("rates the veteran");
    }
    // The newcomer: one five, 45 / 11 ≈ 4.09.
    let appointment = session(&app, &w, &resident, phone, newcomer, appointments::OutcomeResult::Settled).await;
    submit(&app, &resident, rating(&appointment.id, 5, "")).await.expect("rates the newcomer");
    // The partner (a joint MAJOR session with the expert): one 1, 41 / 11 ≈ 3.73; the expert is
    // left unrated at the prior's 4.0.
    let case = case(&app, &w, &resident, phone, major()).await;
    let joint = book(&app, &w, &case.id, &[expert, partner]).await;
    complete(&app, &w, &joint.id, appointments::OutcomeResult::NotSettled).await;
    let request = pb::SubmitRatingRequest { mediator_id: partner.clone(), ..rating(&joint.id, 1, "") };
    submit(&app, &resident, request).await.expect("rates the partner");

    let ranked = search(&app, &w, directory::MediatorOrder::Rating, 0.0).await;
    let ids: Vec<&str> = ranked.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, [veteran.as_str(), newcomer, expert, partner], "best Bayesian mean first");
    let rating_of = |id: &str| ranked.iter().find(|(m, _)| m == id).unwrap().1;
    let expected: [(&str, i32, f64, f64); 4] = [
        (veteran, 10, 5.0, 4.5),
        (newcomer, 1, 5.0, 45.0 / 11.0),
        (expert, 0, 0.0, 4.0),
        (partner, 1, 1.0, 41.0 / 11.0),
    ];
    for (id, count, mean, bayesian_mean) in expected {
        let r = rating_of(id);
        assert_eq!(r.count, count, "{id}: {r:?}");
        assert_close(r.mean, mean, "mean");
        assert_close(r.bayesian_mean, bayesian_mean, "bayesian_mean");
    }

    // min_rating filters on the Bayesian mean: the newcomer's single five is not enough for 4.5.
    let only = |hits: Vec<(String, directory::RatingSummary)>| hits.into_iter().map(|(id, _)| id).collect::<Vec<_>>();
    assert_eq!(only(search(&app, &w, directory::MediatorOrder::Rating, 4.5).await), std::slice::from_ref(veteran));
    assert_eq!(
        only(search(&app, &w, directory::MediatorOrder::Rating, 4.05).await),
        [veteran.clone(), newcomer.clone()]
    );
    // An unrated mediator stands at the prior, 4.0: in at 4.0, out at 4.5.
    assert_eq!(
        only(search(&app, &w, directory::MediatorOrder::Rating, 4.0).await),
        [veteran.clone(), newcomer.clone(), expert.clone()]
    );
    let mut all = only(search(&app, &w, directory::MediatorOrder::Name, 0.0).await);
    all.sort();
    let mut everyone: Vec<String> = w.every_mediator().iter().map(|m| m.to_string()).collect();
    everyone.sort();
    assert_eq!(all, everyone, "no limit leaves everyone in");

    // This month's ratings in the assessment: ten fives at a Bayesian mean of 4.5 earn the
    // veteran the rating bonus; one is not enough for the newcomer; the partner's 1 is a
    // complaint.
    let now = month_of(Utc::now());
    let a = assessment(&app, &w.admin, veteran, now).await.expect("the veteran's assessment");
    let inputs = a.inputs.unwrap();
    assert_eq!((inputs.ratings_count, inputs.complaints), (10, 0), "{inputs:?}");
    assert_close(inputs.ratings_bayesian_mean, 4.5, "ratings_bayesian_mean");
    let bonus = line(&a, "REWARD_RATING");
    assert_eq!(bonus.amount_yuan, 500, "{bonus:?}");
    let a = assessment(&app, &w.admin, newcomer, now).await.expect("the newcomer's assessment");
    assert_eq!(a.inputs.unwrap().ratings_count, 1);
    assert_eq!(line(&a, "REWARD_RATING").amount_yuan, 0);
    let a = assessment(&app, &w.admin, partner, now).await.expect("the partner's assessment");
    let inputs = a.inputs.unwrap();
    assert_eq!((inputs.ratings_count, inputs.complaints), (1, 1), "{inputs:?}");
}

// ---------------------------------------------------------------------------------------------
// Assessment

async fn assessment(
    app: &TestApp,
    token: &str,
    mediator_id: &str,
    period: pb::Period,
) -> Result<pb::Assessment, Status> {
    let request = pb::GetAssessmentRequest { mediator_id: mediator_id.into(), period: Some(period) };
    app.ratings().await.get_assessment(authed(request, token)).await.map(|r| r.into_inner())
}

#[track_caller]
fn line(a: &pb::Assessment, kind: &str) -> pb::PayLine {
    a.lines.iter().find(|l| l.kind == kind).cloned().unwrap_or_else(|| panic!("no {kind} line in {:?}", a.lines))
}

async fn a_months_assessment_has_explained_pay_lines_readable_by_the_mediator_and_their_admins(backend: Backend) {
    let app = spawn(backend).await;
    let w = world(&app).await;
    let m = &w.station_mediators[0];
    let resident = resident(&app, "13800000381").await;
    let appointment = session(&app, &w, &resident, "13800000381", &m.id, appointments::OutcomeResult::Settled).await;
    submit(&app, &resident, rating(&appointment.id, 5, "很好")).await.expect("rates");
    let period = month_of(instant(&appointment.start));
    // Ratings count in the period they were made in.
    let rated_in_period = same_period(&month_of(Utc::now()), &period);

    let a = assessment(&app, &w.admin, &m.id, period).await.expect("the centre admin reads it");
    assert_eq!(a.mediator_id, m.id);
    assert_eq!(a.period, Some(period));
    let kinds: Vec<&str> = a.lines.iter().map(|l| l.kind.as_str()).collect();
    for kind in ["BASE", "LEVEL", "REWARD_SETTLED", "REWARD_RATING"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    for l in &a.lines {
        assert!(!l.explanation.trim().is_empty(), "{l:?} is explained");
    }
    let inputs = a.inputs.expect("the inputs");
    assert_eq!((inputs.sessions_held, inputs.settled, inputs.no_shows), (1, 1, 0), "{inputs:?}");
    assert_close(inputs.settlement_rate, 1.0, "settlement_rate");
    assert_eq!(inputs.current_level, 2);
    assert_eq!(inputs.ratings_count, i32::from(rated_in_period), "{inputs:?}");
    assert_eq!((inputs.hidden_ratings, inputs.complaints), (0, 0));

    // The pay lines and the rules they name.
    let base = line(&a, "BASE");
    assert_eq!(base.amount_yuan, 3000);
    assert!(base.explanation.contains("3000"), "{base:?}");
    let level = line(&a, "LEVEL");
    assert_eq!(level.amount_yuan, 800, "level 2 × 400");
    assert!(level.explanation.contains("400"), "{level:?}");
    let settled = line(&a, "REWARD_SETTLED");
    assert_eq!(settled.amount_yuan, 100);
    assert!(settled.explanation.contains("100"), "{settled:?}");
    assert_eq!(line(&a, "REWARD_RATING").amount_yuan, 0, "the bonus needs at least five ratings");
    assert_eq!(a.total_yuan, a.lines.iter().map(|l| l.amount_yuan).sum::<i64>());
    // 100 × (0.4 × 1 + 0.4 × (bayes − 1) / 4 + 0.2 × 1/20), rounded to one decimal; level kept.
    let bayes = if rated_in_period { 45.0 / 11.0 } else { 4.0 };
    assert_close(inputs.ratings_bayesian_mean, bayes, "ratings_bayesian_mean");
    let score = (100.0 * (0.4 + 0.4 * (bayes - 1.0) / 4.0 + 0.2 / 20.0) * 10.0).round() / 10.0;
    assert_close(a.score, score, "score");
    assert_eq!(a.level, 2);
    assert!(!a.explanation.is_empty());

    // The mediator reads their own, and the admins of their station; nobody else.
    let own = app.login(&m.login, PASSWORD).await.access_token;
    assert_eq!(assessment(&app, &own, &m.id, period).await.expect("the mediator reads their own"), a);
    let station_admin = staff(&app, &w.admin, identity::Role::StationAdmin, &w.station).await;
    assert_eq!(assessment(&app, &station_admin, &m.id, period).await.expect("their station admin reads it"), a);
    let colleague = app.login(&w.station_mediators[1].login, PASSWORD).await.access_token;
    assert_forbidden(assessment(&app, &colleague, &m.id, period).await);
    let other_admin = staff(&app, &w.admin, identity::Role::StationAdmin, &w.other_station).await;
    assert_forbidden(assessment(&app, &other_admin, &m.id, period).await);
    assert_forbidden(assessment(&app, &resident, &m.id, period).await);
    let request = pb::GetAssessmentRequest { mediator_id: m.id.clone(), period: Some(period) };
    let anonymous = app.ratings().await.get_assessment(request).await;
    assert_status(anonymous, Code::Unauthenticated, reason::TOKEN_INVALID);
    // The colleague reads their own: nothing held.
    let theirs = assessment(&app, &colleague, &w.station_mediators[1].id, period).await.expect("reads their own");
    assert_eq!(theirs.inputs.unwrap().sessions_held, 0);

    // Periods: a month or a quarter, not both, not neither.
    let both = pb::Period { quarter: 1, ..period };
    assert_invalid(assessment(&app, &w.admin, &m.id, both).await, "period");
    let neither = pb::Period { month: 0, ..period };
    assert_invalid(assessment(&app, &w.admin, &m.id, neither).await, "period");
    let thirteenth = pb::Period { month: 13, ..period };
    assert_invalid(assessment(&app, &w.admin, &m.id, thirteenth).await, "period");
    let unknown = assessment(&app, &w.admin, &uuid::Uuid::new_v4().to_string(), period).await;
    assert_status(unknown, Code::NotFound, reason::NOT_FOUND);
}

/// RFC 4180: quoted fields may hold commas, quotes (doubled) and line breaks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field, mut quoted) = (Vec::new(), Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

async fn quarters_site_lists_and_the_payroll_export(backend: Backend) {
    let app = spawn(backend).await;
    let w = world(&app).await;
    let m = &w.station_mediators[0];
    let resident = resident(&app, "13800000391").await;
    let held = session(&app, &w, &resident, "13800000391", &m.id, appointments::OutcomeResult::Settled).await;
    let case = case(&app, &w, &resident, "13800000391", ordinary()).await;
    let missed = book(&app, &w, &case.id, &[&m.id]).await;
    let no_show = appointments::MarkNoShowRequest { appointment_id: missed.id.clone() };
    app.appointments().await.mark_no_show(authed(no_show, &w.admin)).await.expect("marks the no-show");
    let start = instant(&held.start);
    let (month, quarter) = (month_of(start), quarter_of(start));
    let missed_start = instant(&missed.start);
    let missed_in = |p: &pb::Period| {
        i32::from(same_period(&month_of(missed_start), p) || same_period(&quarter_of(missed_start), p))
    };

    // A quarter: three months of base and level wages.
    let q = assessment(&app, &w.admin, &m.id, quarter).await.expect("the quarter's assessment");
    assert_eq!(q.period, Some(quarter));
    assert_eq!(line(&q, "BASE").amount_yuan, 9000);
    assert_eq!(line(&q, "LEVEL").amount_yuan, 2400);
    assert_eq!(line(&q, "REWARD_SETTLED").amount_yuan, 100);
    let inputs = q.inputs.unwrap();
    assert_eq!((inputs.sessions_held, inputs.settled, inputs.no_shows), (1, 1, missed_in(&quarter)), "{inputs:?}");

    // The station's list: every active mediator at home there, in pages.
    let mut client = app.ratings().await;
    let list_request = pb::ListAssessmentsRequest {
        site_id: w.station.clone(),
        period: Some(month),
        page_size: 0,
        page_token: String::new(),
    };
    let listed =
        client.list_assessments(authed(list_request.clone(), &w.admin)).await.expect("lists").into_inner().assessments;
    let mut ids: Vec<&str> = listed.iter().map(|a| a.mediator_id.as_str()).collect();
    ids.sort();
    let mut everyone = w.every_mediator().to_vec();
    everyone.sort();
    assert_eq!(ids, everyone);
    let mine = listed.iter().find(|a| a.mediator_id == m.id).expect("M is listed");
    let inputs = mine.inputs.unwrap();
    assert_eq!((inputs.sessions_held, inputs.settled, inputs.no_shows), (1, 1, missed_in(&month)), "{inputs:?}");
    assert_eq!(line(mine, "BASE").amount_yuan, 3000);
    assert_eq!(line(mine, "REWARD_SETTLED").amount_yuan, 100);
    assert_eq!(Some(mine), assessment(&app, &w.admin, &m.id, month).await.ok().as_ref());
    for other in listed.iter().filter(|a| a.mediator_id != m.id) {
        assert_eq!(other.inputs.as_ref().unwrap().sessions_held, 0, "{other:?}");
    }

    let mut paged = Vec::new();
    let mut request = pb::ListAssessmentsRequest { page_size: 3, ..list_request.clone() };
    loop {
        let page = client.list_assessments(authed(request.clone(), &w.admin)).await.expect("lists a page").into_inner();
        assert!(page.assessments.len() <= 3);
        paged.extend(page.assessments.into_iter().map(|a| a.mediator_id));
        if page.next_page_token.is_empty() {
            break;
        }
        request.page_token = page.next_page_token;
    }
    assert_eq!(paged, listed.iter().map(|a| a.mediator_id.clone()).collect::<Vec<_>>());

    // Admins of the station (or above) only.
    let station_admin = staff(&app, &w.admin, identity::Role::StationAdmin, &w.station).await;
    client.list_assessments(authed(list_request.clone(), &station_admin)).await.expect("the station admin lists");
    let other_admin = staff(&app, &w.admin, identity::Role::StationAdmin, &w.other_station).await;
    assert_forbidden(client.list_assessments(authed(list_request.clone(), &other_admin)).await);
    let own = app.login(&m.login, PASSWORD).await.access_token;
    assert_forbidden(client.list_assessments(authed(list_request.clone(), &own)).await);
    let both = pb::ListAssessmentsRequest { period: Some(pb::Period { quarter: 1, ..month }), ..list_request.clone() };
    assert_invalid(client.list_assessments(authed(both, &w.admin)).await, "period");

    // The payroll office's CSV: a header, then one row per pay line.
    let export = pb::ExportAssessmentsRequest { site_id: w.station.clone(), period: Some(month) };
    let csv = client.export_assessments(authed(export.clone(), &w.admin)).await.expect("exports").into_inner().csv;
    assert!(csv.starts_with("mediator_id,display_name,period"), "{csv}");
    let rows = parse_csv(&csv);
    let header = &rows[0];
    let column = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} in {header:?}"));
    let (id_at, period_at, kind_at, amount_at, explanation_at) =
        (column("mediator_id"), column("period"), column("kind"), column("amount_yuan"), column("explanation"));
    let body = &rows[1..];
    assert_eq!(body.len(), listed.iter().map(|a| a.lines.len()).sum::<usize>(), "{csv}");
    assert!(body.iter().all(|r| r.len() == header.len()), "{csv}");
    let label = format!("{}-{:02}", month.year, month.month);
    assert!(body.iter().all(|r| r[period_at] == label), "{csv}");
    for a in &listed {
        let lines: Vec<(String, i64, String)> = body
            .iter()
            .filter(|r| r[id_at] == a.mediator_id)
            .map(|r| (r[kind_at].clone(), r[amount_at].parse().unwrap(), r[explanation_at].clone()))
            .collect();
        let expected: Vec<(String, i64, String)> =
            a.lines.iter().map(|l| (l.kind.clone(), l.amount_yuan, l.explanation.clone())).collect();
        assert_eq!(lines, expected, "{}'s rows", a.mediator_id);
    }
    let display = column("display_name");
    assert!(body.iter().any(|r| r[id_at] == m.id && r[display] == "王建国"), "{csv}");

    let quarterly = pb::ExportAssessmentsRequest { period: Some(quarter), ..export.clone() };
    let csv = client.export_assessments(authed(quarterly, &w.admin)).await.expect("exports a quarter").into_inner().csv;
    let label = format!("{}-Q{}", quarter.year, quarter.quarter);
    assert!(parse_csv(&csv)[1..].iter().all(|r| r[period_at] == label), "{csv}");
    assert_forbidden(client.export_assessments(authed(export.clone(), &other_admin)).await);
    assert_forbidden(client.export_assessments(authed(export, &own)).await);
}

// ---------------------------------------------------------------------------------------------
// Races and settings

async fn concurrent_ratings_are_all_counted_and_duplicates_refused(backend: Backend) {
    let app = spawn(backend).await;
    let w = world(&app).await;
    // A walk-in case with six parties (so DIFFICULT, for the think-tank expert), each of whom
    // registers and verifies their phone.
    let mediator = w.expert.id.clone();
    let phones: Vec<String> = (1..=6).map(|i| format!("1380000040{i}")).collect();
    let roles = [appointments::PartyRole::Applicant, appointments::PartyRole::Respondent];
    let parties = phones
        .iter()
        .enumerate()
        .map(|(i, phone)| appointments::Party {
            name: format!("当事人{i}"),
            phone: phone.clone(),
            role: roles.get(i).copied().unwrap_or(appointments::PartyRole::Other).into(),
            ..Default::default()
        })
        .collect();
    let request = appointments::CreateCaseRequest {
        request_id: new_request_id(),
        category: "neighbour".into(),
        summary: "多户噪音纠纷。".into(),
        parties,
        origin: appointments::CaseOrigin::WalkIn.into(),
        assessment: Some(ordinary()),
        site_id: w.station.clone(),
        ..Default::default()
    };
    let case = app.appointments().await.create_case(authed(request, &w.admin)).await.expect("creates").into_inner();
    let appointment = book(&app, &w, &case.id, &[&mediator]).await;
    complete(&app, &w, &appointment.id, appointments::OutcomeResult::Settled).await;
    let mut tokens = Vec::new();
    for (i, phone) in phones.iter().enumerate() {
        tokens.push(resident_named(&app, phone, &format!("当事人{i}")).await);
    }

    // Every party rates twice at once: overall 1, 2, 3, 4, 5, 5.
    let overall = |i: usize| (i as i32 + 1).min(5);
    let client = app.ratings().await;
    let mut calls = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        for _ in 0..2 {
            let mut client = client.clone();
            let request = authed(rating(&appointment.id, overall(i), "同时提交"), token);
            calls.push((i, tokio::spawn(async move { client.submit_rating(request).await })));
        }
    }
    let mut accepted = vec![0; tokens.len()];
    for (i, call) in calls {
        match call.await.expect("the call ran") {
            Ok(_) => accepted[i] += 1,
            Err(status) => {
                assert_eq!(status.code(), Code::AlreadyExists, "party {i}: {status:?}");
            }
        }
    }
    assert_eq!(accepted, vec![1; tokens.len()], "each party's rating is accepted exactly once");
    let s = summary(&app, &mediator).await;
    assert_summary(&s, 6, 20.0 / 6.0, 60.0 / 16.0, [1, 1, 1, 1, 2]);
    assert_eq!(s.settled.unwrap().count, 6);
    assert_eq!(list(&app, &mediator, None).await.len(), 6);
}

async fn the_prior_and_the_edit_window_follow_the_settings(backend: Backend) {
    let app = TestApp::spawn_with(backend, |s| {
        s.appointments.min_notice_minutes = 0;
        s.ratings.prior_mean = 3.0;
        s.ratings.prior_weight = 2.0;
        s.ratings.edit_window_days = 0;
    })
    .await;
    let w = world(&app).await;
    let mediator = &w.station_mediators[0].id;
    let resident = resident(&app, "13800000411").await;
    let appointment = session(&app, &w, &resident, "13800000411", mediator, appointments::OutcomeResult::Settled).await;

    assert_summary(&summary(&app, mediator).await, 0, 0.0, 3.0, [0; 5]);
    let rated = submit(&app, &resident, rating(&appointment.id, 5, "")).await.expect("rates");
    // (2 × 3 + 5) / (2 + 1)
    assert_summary(&summary(&app, mediator).await, 1, 5.0, 11.0 / 3.0, [0, 0, 0, 0, 1]);
    let hits = search(&app, &w, directory::MediatorOrder::Rating, 0.0).await;
    assert_eq!(hits[0].0, *mediator);
    assert_close(hits[0].1.bayesian_mean, 11.0 / 3.0, "the directory's Bayesian mean");
    assert_close(hits[1].1.bayesian_mean, 3.0, "an unrated mediator stands at the configured prior");

    // With no edit window, the author can no longer change it.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let update =
        pb::UpdateRatingRequest { rating_id: rated.id.clone(), scores: Some(scores(1)), comment: "改".into() };
    let closed = app.ratings().await.update_rating(authed(update, &resident)).await;
    assert_status(closed, Code::FailedPrecondition, "RATING_EDIT_WINDOW_CLOSED");
    assert_summary(&summary(&app, mediator).await, 1, 5.0, 11.0 / 3.0, [0, 0, 0, 0, 1]);
    assert_eq!(list(&app, mediator, None).await[0].scores, Some(scores(5)));
}
