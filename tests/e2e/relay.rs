//! Dispatch events across replicas on PostgreSQL: a resident watches their visit through
//! gateway B while the van's crew reports its position through gateway A, and the watch on B
//! moves with the van. On SQLite one process is the deployment, so the test runs on PostgreSQL
//! only.

use std::time::Duration;

use chrono::NaiveDate;
use mediation_api::directory::v1 as directory;
use mediation_api::dispatch::v1 as pb;
use mediation_api::google::r#type::LatLng;
use mediation_api::identity::v1 as identity;

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

    let mut watch = b
        .dispatch()
        .await
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
    a.dispatch().await.report_position(authed(report, &crew.token)).await.expect("the crew reports on A");
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
    let mut on_a = a
        .dispatch()
        .await
        .watch_visit(authed(pb::WatchVisitRequest { visit_id: visit.clone() }, &resident))
        .await
        .unwrap()
        .into_inner();
    on_a.message().await.unwrap().expect("the current state first");
    let set_off = pb::UpdateVisitStatusRequest {
        visit_id: visit,
        status: pb::VisitStatus::EnRoute.into(),
        note: "出发了".into(),
        outcome: None,
    };
    b.dispatch().await.update_visit_status(authed(set_off, &crew.token)).await.unwrap();
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

impl Crew {
    async fn on_duty(app: &TestApp) -> Crew {
        let admin = app.centre_admin().await.access_token;
        let (_, station) = app.located_station(&admin).await;
        let dispatcher = staff(app, &admin, identity::Role::Dispatcher, &station).await;
        let day = days_ahead(3);
        let van = register_van(app, &dispatcher, "浙B·M9001", &station).await;

        let modes = [directory::MediationMode::InPerson, directory::MediationMode::HomeVisit];
        let profile = directory::Mediator {
            specialty_codes: vec!["neighbour".into()],
            bio: "常上门调解。".into(),
            ..mediator_profile("陈海芬", directory::MediatorKind::StationMediator, &station, &modes)
        };
        let Staffed { id: mediator, login } = mediator_with_account(app, &admin, profile).await;
        let token = app.login(&login, PASSWORD).await.access_token;
        let shift = day_shift(&van, day, vec![mediator]);
        app.dispatch().await.set_van_shift(authed(shift, &dispatcher)).await.expect("sets the shift");
        Crew { station, dispatcher, van, token, day }
    }

    /// A resident's case, a home visit requested for it and assigned to the van: (resident's
    /// access token, visit id).
    async fn visit_for_a_resident(&self, app: &TestApp, phone: &str) -> (String, String) {
        let resident = app.resident(phone).await.access_token;
        let case = create_case(app, &resident, home_visit_case(&self.station, phone)).await;
        let request = home_visit(&case.id, self.day, 9, 12);
        let mut dispatch = app.dispatch().await;
        let visit = dispatch.request_home_visit(authed(request, &resident)).await.unwrap().into_inner().id;
        let assign = pb::AssignVisitRequest { visit_id: visit.clone(), van_id: self.van.clone(), position: 0 };
        dispatch.assign_visit(authed(assign, &self.dispatcher)).await.expect("assigns the visit to the van");
        (resident, visit)
    }
}
