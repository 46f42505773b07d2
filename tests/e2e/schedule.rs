//! Working hours and schedule exceptions read back, and a wrong leave removed.

use mediation_api::appointments::v1 as pb;
use mediation_api::directory::v1::{MediationMode, MediatorKind};
use tonic::Code;

use crate::common::*;

both_backends!(hours_and_exceptions_are_read_back_and_a_wrong_leave_removed);

async fn hours_and_exceptions_are_read_back_and_a_wrong_leave_removed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let centre = app.centre_admin().await.access_token;
    let (_, [s1, s2], _) = app.district(&centre).await;
    let profile =
        |name, home: &str| mediator_profile(name, MediatorKind::StationMediator, home, &[MediationMode::InPerson]);
    let wang = mediator_with_account(&app, &centre, profile("王建国", &s1)).await;
    let other = mediator_with_account(&app, &centre, profile("李秀英", &s2)).await;
    let wang_token = app.login(&wang.login, PASSWORD).await.access_token;
    let other_token = app.login(&other.login, PASSWORD).await.access_token;
    set_working_hours(&app, &wang_token, &wang.id, &s1, weekly_rules(&WEEKDAYS, 9, 17)).await;
    let mut client = app.appointments().await;

    let hours = client
        .list_working_hours(authed(pb::ListWorkingHoursRequest { mediator_id: wang.id.clone() }, &other_token))
        .await
        .expect("staff read working hours")
        .into_inner()
        .working_hours;
    assert_eq!(hours.len(), 1);
    assert_eq!((hours[0].site_id.as_str(), hours[0].rules.len()), (s1.as_str(), 5));
    assert_eq!(hours[0].time_zone, "Asia/Shanghai");

    let day = session_day();
    let leave = pb::AddScheduleExceptionRequest {
        mediator_id: wang.id.clone(),
        start: Some(ts(local(day, 0))),
        end: Some(ts(local(day, 0) + chrono::Duration::days(1))),
        kind: pb::ExceptionKind::Leave.into(),
        site_id: String::new(),
        ..Default::default()
    };
    let added = client.add_schedule_exception(authed(leave, &wang_token)).await.unwrap().into_inner();
    let range = pb::ListScheduleExceptionsRequest {
        mediator_id: wang.id.clone(),
        from: Some(ts(local(day, 0) - chrono::Duration::days(1))),
        to: Some(ts(local(day, 0) + chrono::Duration::days(2))),
    };
    let listed =
        client.list_schedule_exceptions(authed(range.clone(), &wang_token)).await.unwrap().into_inner().exceptions;
    assert_eq!(listed, [added.clone()]);

    // Only whoever may add it removes it.
    let delete = pb::DeleteScheduleExceptionRequest { exception_id: added.id.clone() };
    let refused = client.delete_schedule_exception(authed(delete.clone(), &other_token)).await;
    assert_status(refused, Code::PermissionDenied, "FORBIDDEN");
    client.delete_schedule_exception(authed(delete.clone(), &wang_token)).await.expect("the mediator removes it");
    let gone = client.delete_schedule_exception(authed(delete, &wang_token)).await;
    assert_status(gone, Code::NotFound, "NOT_FOUND");
    let listed = client.list_schedule_exceptions(authed(range, &wang_token)).await.unwrap().into_inner().exceptions;
    assert!(listed.is_empty());

    // Residents read no schedules; a backwards range names its field.
    let resident = app.resident("13800000301").await.access_token;
    let as_resident = client
        .list_working_hours(authed(pb::ListWorkingHoursRequest { mediator_id: wang.id.clone() }, &resident))
        .await;
    assert_status(as_resident, Code::PermissionDenied, "FORBIDDEN");
    let backwards = pb::ListScheduleExceptionsRequest {
        mediator_id: wang.id.clone(),
        from: Some(ts(local(day, 0))),
        to: Some(ts(local(day, 0) - chrono::Duration::days(1))),
    };
    let refused = client.list_schedule_exceptions(authed(backwards, &wang_token)).await;
    assert_eq!(violated_fields(&assert_status(refused, Code::InvalidArgument, "VALIDATION")), ["to"]);
}
