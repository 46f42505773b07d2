//! Dispatch events across replicas on PostgreSQL: a resident watches their visit through
//! gateway B while the van's crew reports its position through gateway A, and the watch on B
//! moves with the van. On SQLite one process is the deployment, so the test runs on PostgreSQL
//! only.

use std::time::Duration;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};
use mediation_api::directory::v1 as directory;
use mediation_api::dispatch::v1 as pb;
use mediation_api::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use mediation_api::google::r#type::{Date, LatLng};
use mediation_api::identity::v1 as identity;
use prost_types::Timestamp;

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_position_reported_on_one_replica_reaches_a_watcher_on_another() {
    if !postgres_configured() {
        eprintln!("skipped: set {} to run on PostgreSQL", mediation_store::testdb::POSTGRES_ENV);
        return;
    }
    let a = TestApp::spawn(Backend::Postgres).await;
    let b = a.spawn_second().await;
    let crew = Crew::on_duty(&a).await;
    let (resident, visit) = crew.visit_for_a_resident(&a, "13800000901").await;

    let mut watch = DispatchServiceClient::new(b.channel().await)
        .watch_visit(authed(pb::WatchVisitRequest { visit_id: visit.clone() }, &resident))
        .await
        .expect("the resident watches on B")
        .into_inner();
    let first = watch.message().await.unwrap().expect("the current state first");
    assert!(first.van_location.is_none(), "{first:?}");

    let report = pb::ReportPositionRequest {
        van_id: crew.van.clone(),
        location: Some(LatLng { latitude: 29.8445, longitude: 121.5552 }),
    };
    DispatchServiceClient::new(a.channel().await)
        .report_position(authed(report, &crew.token))
        .await
        .expect("the crew reports on A");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let update = tokio::time::timeout_at(deadline, watch.message())
            .await
            .expect("the position reaches B in time")
            .unwrap()
            .expect("the stream stays open");
        if let Some(van) = update.van_location {
            // Rounded to about a kilometre until the van arrives.
            assert!((van.latitude - 29.84).abs() < 0.006 && (van.longitude - 121.56).abs() < 0.006, "{van:?}");
            assert!(update.eta.is_some(), "{update:?}");
            break;
        }
    }

    // The other way round, for a change of the visit itself: set off on B, seen on A.
    let mut on_a = DispatchServiceClient::new(a.channel().await)
        .watch_visit(authed(pb::WatchVisitRequest { visit_id: visit.clone() }, &resident))
        .await
        .unwrap()
        .into_inner();
    on_a.message().await.unwrap().expect("the current state first");
    let set_off = pb::UpdateVisitStatusRequest {
        visit_id: visit,
        status: pb::VisitStatus::EnRoute.into(),
        note: "出发了".into(),
    };
    DispatchServiceClient::new(b.channel().await).update_visit_status(authed(set_off, &crew.token)).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let update = tokio::time::timeout_at(deadline, on_a.message()).await.expect("in time").unwrap().unwrap();
        if update.status() == pb::VisitStatus::EnRoute {
            break;
        }
    }
}

/// A station with a dispatcher, one van and its crew on a shift three days from now.
struct Crew {
    station: String,
    dispatcher: String,
    van: String,
    /// The crew mediator's access token.
    token: String,
    day: NaiveDate,
}

fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap()
}

fn ts(day: NaiveDate, hour: u32) -> Timestamp {
    let t: DateTime<Utc> =
        shanghai().from_local_datetime(&day.and_hms_opt(hour, 0, 0).unwrap()).unwrap().with_timezone(&Utc);
    Timestamp { seconds: t.timestamp(), nanos: 0 }
}

async fn staff(app: &TestApp, admin: &str, role: identity::Role, site: &str) -> (String, String) {
    let login = format!("staff.{}", uuid::Uuid::new_v4().simple());
    let request = identity::CreateStaffAccountRequest {
        request_id: new_request_id(),
        login: login.clone(),
        password: PASSWORD.into(),
        role: role.into(),
        site_id: site.into(),
        display_name: login.clone(),
    };
    let account = app.identity().await.create_staff_account(authed(request, admin)).await.expect("creates");
    (login, account.into_inner().id)
}

impl Crew {
    async fn on_duty(app: &TestApp) -> Crew {
        let admin = app.centre_admin().await.access_token;
        let centre = app.site(&admin, directory::SiteKind::Centre, "", "鄞州区警调衔接中心").await;
        let site = directory::Site {
            name: "中河派出所".into(),
            kind: directory::SiteKind::Station.into(),
            parent_id: centre,
            address: "宁波市鄞州区中河街道天童南路588号".into(),
            location: Some(LatLng { latitude: 29.8415, longitude: 121.5532 }),
            ..Default::default()
        };
        let request = directory::CreateSiteRequest { request_id: new_request_id(), site: Some(site) };
        let station = app.directory().await.create_site(authed(request, &admin)).await.unwrap().into_inner().id;
        let (login, _) = staff(app, &admin, identity::Role::Dispatcher, &station).await;
        let dispatcher = app.login(&login, PASSWORD).await.access_token;
        let day = Utc::now().with_timezone(&shanghai()).date_naive() + chrono::Duration::days(3);
        let van =
            pb::Van { plate: "浙B·M9001".into(), depot_site_id: station.clone(), seats: 6, ..Default::default() };
        let request = pb::RegisterVanRequest { request_id: new_request_id(), van: Some(van) };
        let mut dispatch = DispatchServiceClient::new(app.channel().await);
        let van = dispatch.register_van(authed(request, &dispatcher)).await.expect("registers").into_inner().id;

        let (login, account_id) = staff(app, &admin, identity::Role::Mediator, &station).await;
        let profile = directory::Mediator {
            display_name: "陈海芬".into(),
            kind: directory::MediatorKind::StationMediator.into(),
            level: 2,
            specialty_codes: vec!["neighbour".into()],
            languages: vec!["zh".into()],
            modes: vec![directory::MediationMode::InPerson.into(), directory::MediationMode::HomeVisit.into()],
            home_site_id: station.clone(),
            account_id,
            bio: "常上门调解。".into(),
            ..Default::default()
        };
        let request = directory::CreateMediatorRequest { request_id: new_request_id(), mediator: Some(profile) };
        let mediator = app.directory().await.create_mediator(authed(request, &admin)).await.unwrap().into_inner().id;
        let token = app.login(&login, PASSWORD).await.access_token;
        let shift = pb::SetVanShiftRequest {
            van_id: van.clone(),
            date: Some(Date { year: day.year(), month: day.month() as i32, day: day.day() as i32 }),
            start: Some(ts(day, 8)),
            end: Some(ts(day, 18)),
            crew_mediator_ids: vec![mediator],
        };
        dispatch.set_van_shift(authed(shift, &dispatcher)).await.expect("sets the shift");
        Crew { station, dispatcher, van, token, day }
    }

    /// A resident's case, a home visit requested for it and assigned to the van: (resident's
    /// access token, visit id).
    async fn visit_for_a_resident(&self, app: &TestApp, phone: &str) -> (String, String) {
        use mediation_api::appointments::v1 as appointments;
        let resident = app.resident(phone).await.access_token;
        let request = appointments::CreateCaseRequest {
            request_id: new_request_id(),
            category: "neighbour".into(),
            summary: "楼上漏水，不便到所。".into(),
            parties: vec![
                appointments::Party {
                    name: "王芳".into(),
                    phone: phone.into(),
                    role: appointments::PartyRole::Applicant.into(),
                },
                appointments::Party {
                    name: "赵强".into(),
                    phone: "13800000001".into(),
                    role: appointments::PartyRole::Respondent.into(),
                },
            ],
            origin: appointments::CaseOrigin::App.into(),
            assessment: Some(appointments::Assessment {
                amount_in_dispute_yuan: 1000,
                party_count: 2,
                ..Default::default()
            }),
            site_id: self.station.clone(),
        };
        let case = app.appointments().await.create_case(authed(request, &resident)).await.unwrap().into_inner();
        let request = pb::RequestHomeVisitRequest {
            request_id: new_request_id(),
            case_id: case.id,
            address: "宁波市鄞州区中河街道某小区1幢101室".into(),
            location: Some(LatLng { latitude: 29.85, longitude: 121.56 }),
            window_start: Some(ts(self.day, 9)),
            window_end: Some(ts(self.day, 12)),
            duration: Some(prost_types::Duration { seconds: 45 * 60, nanos: 0 }),
            reason: pb::VisitReason::Privacy.into(),
            ..Default::default()
        };
        let mut dispatch = DispatchServiceClient::new(app.channel().await);
        let visit = dispatch.request_home_visit(authed(request, &resident)).await.unwrap().into_inner().id;
        let assign = pb::AssignVisitRequest { visit_id: visit.clone(), van_id: self.van.clone(), position: 0 };
        dispatch.assign_visit(authed(assign, &self.dispatcher)).await.expect("assigns the visit to the van");
        (resident, visit)
    }
}
