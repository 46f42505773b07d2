//! What the tests set up through the API as an admin would: staff accounts, kiosks, mediators and
//! their working hours, rooms, cases, home visits, vans and their shifts. Where the copies these
//! replace differed (a display name, a mediator's modes or bio, the hours), the difference is a
//! parameter or a field the caller sets over the default here.

use chrono::NaiveDate;
use mediation_api::appointments::v1 as appointments;
use mediation_api::directory::v1 as directory;
use mediation_api::directory::v1::{MediationMode, MediatorKind};
use mediation_api::dispatch::v1 as dispatch;
use mediation_api::google::r#type::{DayOfWeek, LatLng};
use mediation_api::identity::v1 as identity;

use super::time::{date, local, time_of_day, ts};
use super::{PASSWORD, TestApp, authed, new_request_id};

// ---------------------------------------------------------------------------------------------
// Accounts

/// A staff account `login` of `role` at `site`, shown as `display_name`, made by `admin`;
/// returns its id.
pub async fn create_staff_account(
    app: &TestApp,
    admin: &str,
    login: &str,
    role: identity::Role,
    site: &str,
    display_name: &str,
) -> String {
    let request = identity::CreateStaffAccountRequest {
        request_id: new_request_id(),
        login: login.into(),
        password: PASSWORD.into(),
        role: role.into(),
        site_id: site.into(),
        display_name: display_name.into(),
    };
    let account = app.identity().await.create_staff_account(authed(request, admin)).await.expect("creates the account");
    account.into_inner().id
}

/// A staff account of `role` at `site` with a fresh login (`staff.<uuid>`), made by `admin` and
/// shown as `display_name`, or as its login without one; returns (login, account id).
pub async fn staff_account_shown_as(
    app: &TestApp,
    admin: &str,
    role: identity::Role,
    site: &str,
    display_name: Option<&str>,
) -> (String, String) {
    let login = format!("staff.{}", uuid::Uuid::new_v4().simple());
    let id = create_staff_account(app, admin, &login, role, site, display_name.unwrap_or(&login)).await;
    (login, id)
}

/// A staff account of `role` at `site`, shown as its login; returns (login, account id).
pub async fn staff_account(app: &TestApp, admin: &str, role: identity::Role, site: &str) -> (String, String) {
    staff_account_shown_as(app, admin, role, site, None).await
}

/// A logged-in staff member of `role` at `site`; returns the access token.
pub async fn staff(app: &TestApp, admin: &str, role: identity::Role, site: &str) -> String {
    let (login, _) = staff_account(app, admin, role, site).await;
    app.login(&login, PASSWORD).await.access_token
}

/// A kiosk provisioned at `kiosk_site` and logged in; returns its access token.
pub async fn kiosk(app: &TestApp, admin: &str, kiosk_site: &str) -> String {
    let mut client = app.identity().await;
    let request = identity::ProvisionKioskRequest {
        request_id: new_request_id(),
        site_id: kiosk_site.into(),
        name: "警务亭".into(),
    };
    let kiosk = client.provision_kiosk(authed(request, admin)).await.expect("provisions").into_inner();
    let login = identity::KioskLoginRequest { kiosk_id: kiosk.kiosk_id, secret: kiosk.secret };
    client.kiosk_login(login).await.expect("the kiosk logs in").into_inner().access_token
}

/// The account of `token`'s holder.
pub async fn account_id(app: &TestApp, token: &str) -> String {
    app.identity().await.get_me(authed(identity::GetMeRequest {}, token)).await.unwrap().into_inner().id
}

// ---------------------------------------------------------------------------------------------
// Mediators, their hours and rooms

/// A mediator profile and the login of its MEDIATOR account.
pub struct Staffed {
    pub id: String,
    pub login: String,
}

/// A level-2 profile of `kind` named `name` at `home`, speaking zh, for neighbour and family
/// cases in `modes`, with the bio "`name`，调解多年。"; [`mediator_with_account`] gives it an
/// account.
pub fn mediator_profile(name: &str, kind: MediatorKind, home: &str, modes: &[MediationMode]) -> directory::Mediator {
    directory::Mediator {
        display_name: name.into(),
        kind: kind.into(),
        level: 2,
        specialty_codes: vec!["neighbour".into(), "family_marriage".into()],
        languages: vec!["zh".into()],
        modes: modes.iter().map(|&mode| mode.into()).collect(),
        home_site_id: home.into(),
        bio: format!("{name}，调解多年。"),
        ..Default::default()
    }
}

/// `profile`, linked to a fresh MEDIATOR account at its home site, both made by `admin`.
pub async fn mediator_with_account(app: &TestApp, admin: &str, profile: directory::Mediator) -> Staffed {
    let (login, account_id) = staff_account(app, admin, identity::Role::Mediator, &profile.home_site_id).await;
    let profile = directory::Mediator { account_id, ..profile };
    let request = directory::CreateMediatorRequest { request_id: new_request_id(), mediator: Some(profile) };
    let created = app.directory().await.create_mediator(authed(request, admin)).await.expect("creates the mediator");
    Staffed { id: created.into_inner().id, login }
}

/// A station's team at `station`: two station mediators (王建国, 李秀英), a think-tank expert
/// (张教授) and a partner mediator (陈法官), each from [`mediator_profile`] meeting in person and
/// by video, and each working `rules` there, all of which the service keeps.
pub async fn station_team(
    app: &TestApp,
    admin: &str,
    station: &str,
    rules: Vec<appointments::WeeklyRule>,
) -> [Staffed; 4] {
    let mut team = Vec::new();
    for (kind, name) in [
        (MediatorKind::StationMediator, "王建国"),
        (MediatorKind::StationMediator, "李秀英"),
        (MediatorKind::ThinkTankExpert, "张教授"),
        (MediatorKind::PartnerMediator, "陈法官"),
    ] {
        let profile = mediator_profile(name, kind, station, &[MediationMode::InPerson, MediationMode::Video]);
        let mediator = mediator_with_account(app, admin, profile).await;
        let kept = set_working_hours(app, admin, &mediator.id, station, rules.clone()).await;
        assert_eq!(kept.len(), rules.len());
        team.push(mediator);
    }
    team.try_into().unwrap_or_else(|_| unreachable!("four mediators"))
}

pub const WEEKDAYS: [DayOfWeek; 5] =
    [DayOfWeek::Monday, DayOfWeek::Tuesday, DayOfWeek::Wednesday, DayOfWeek::Thursday, DayOfWeek::Friday];

pub const EVERY_DAY: [DayOfWeek; 7] = [
    DayOfWeek::Monday,
    DayOfWeek::Tuesday,
    DayOfWeek::Wednesday,
    DayOfWeek::Thursday,
    DayOfWeek::Friday,
    DayOfWeek::Saturday,
    DayOfWeek::Sunday,
];

/// Each of `days` from `start`:00 to `end`:00 (24: to midnight) in the site's time zone.
pub fn weekly_rules(days: &[DayOfWeek], start: i32, end: i32) -> Vec<appointments::WeeklyRule> {
    days.iter()
        .map(|&day| appointments::WeeklyRule {
            day_of_week: day.into(),
            start: Some(time_of_day(start)),
            end: Some(time_of_day(end)),
        })
        .collect()
}

/// Sets the mediator's weekly hours at `site` to `rules`, with no start or end date; returns
/// the rules the service kept.
pub async fn set_working_hours(
    app: &TestApp,
    admin: &str,
    mediator_id: &str,
    site: &str,
    rules: Vec<appointments::WeeklyRule>,
) -> Vec<appointments::WeeklyRule> {
    let request = appointments::SetWorkingHoursRequest {
        mediator_id: mediator_id.into(),
        site_id: site.into(),
        rules,
        effective_from: None,
        effective_to: None,
    };
    let hours = app.appointments().await.set_working_hours(authed(request, admin)).await.expect("sets the hours");
    hours.into_inner().rules
}

/// A room named `name` at `site`; returns its id.
pub async fn room(
    app: &TestApp,
    admin: &str,
    site: &str,
    name: &str,
    kind: directory::RoomKind,
    capacity: i32,
) -> String {
    let room =
        directory::Room { site_id: site.into(), name: name.into(), kind: kind.into(), capacity, ..Default::default() };
    let request = directory::CreateRoomRequest { request_id: new_request_id(), room: Some(room) };
    app.directory().await.create_room(authed(request, admin)).await.expect("creates the room").into_inner().id
}

/// A MEDIATION room for six, 调解室, at `site`; returns its id.
pub async fn mediation_room(app: &TestApp, admin: &str, site: &str) -> String {
    room(app, admin, site, "调解室", directory::RoomKind::Mediation, 6).await
}

// ---------------------------------------------------------------------------------------------
// Cases

/// The respondent's phone on the cases [`new_case`] makes.
pub const RESPONDENT_PHONE: &str = "13800000001";

/// An ordinary pre-assessment: two parties, a small sum, no risk.
pub fn ordinary() -> appointments::Assessment {
    appointments::Assessment { amount_in_dispute_yuan: 2_000, party_count: 2, ..Default::default() }
}

pub fn party(name: &str, phone: &str, role: appointments::PartyRole) -> appointments::Party {
    appointments::Party { name: name.into(), phone: phone.into(), role: role.into(), ..Default::default() }
}

/// A neighbour case at `site` ("楼上漏水，协商未果。"): 王芳 at `applicant_phone` (11 mainland
/// digits) applies, 赵强 at [`RESPONDENT_PHONE`] responds.
pub fn new_case(
    site: &str,
    origin: appointments::CaseOrigin,
    applicant_phone: &str,
    assessment: appointments::Assessment,
) -> appointments::CreateCaseRequest {
    appointments::CreateCaseRequest {
        request_id: new_request_id(),
        category: "neighbour".into(),
        summary: "楼上漏水，协商未果。".into(),
        parties: vec![
            party("王芳", applicant_phone, appointments::PartyRole::Applicant),
            party("赵强", RESPONDENT_PHONE, appointments::PartyRole::Respondent),
        ],
        origin: origin.into(),
        assessment: Some(assessment),
        site_id: site.into(),
        ..Default::default()
    }
}

/// [`new_case`] filed in the app by a resident who would rather be visited at home
/// ("楼上漏水，不便到所。"), over 1,000 yuan.
pub fn home_visit_case(site: &str, applicant_phone: &str) -> appointments::CreateCaseRequest {
    let assessment = appointments::Assessment { amount_in_dispute_yuan: 1000, party_count: 2, ..Default::default() };
    appointments::CreateCaseRequest {
        summary: "楼上漏水，不便到所。".into(),
        ..new_case(site, appointments::CaseOrigin::App, applicant_phone, assessment)
    }
}

pub async fn create_case(app: &TestApp, token: &str, request: appointments::CreateCaseRequest) -> appointments::Case {
    app.appointments().await.create_case(authed(request, token)).await.expect("creates the case").into_inner()
}

// ---------------------------------------------------------------------------------------------
// Home visits and vans

/// Zhonghe police station in Yinzhou ([`TestApp::located_station`]); visits are near it.
pub const ZHONGHE: (f64, f64) = (29.8415, 121.5532);

/// A 45-minute home visit of `case_id` for privacy's sake, at flat 1-101 of a compound near
/// 中河 (29.85, 121.56), in the window from `start`:00 to `end`:00 local time on `day`.
pub fn home_visit(case_id: &str, day: NaiveDate, start: u32, end: u32) -> dispatch::RequestHomeVisitRequest {
    dispatch::RequestHomeVisitRequest {
        request_id: new_request_id(),
        case_id: case_id.into(),
        address: "宁波市鄞州区中河街道某小区1幢101室".into(),
        location: Some(LatLng { latitude: 29.85, longitude: 121.56 }),
        window_start: Some(ts(local(day, start))),
        window_end: Some(ts(local(day, end))),
        duration: Some(prost_types::Duration { seconds: 45 * 60, nanos: 0 }),
        reason: dispatch::VisitReason::Privacy.into(),
        ..Default::default()
    }
}

/// A six-seat van with the plate `plate` and its depot at `station`, registered by
/// `dispatcher`; returns its id.
pub async fn register_van(app: &TestApp, dispatcher: &str, plate: &str, station: &str) -> String {
    let van = dispatch::Van { plate: plate.into(), depot_site_id: station.into(), seats: 6, ..Default::default() };
    let request = dispatch::RegisterVanRequest { request_id: new_request_id(), van: Some(van) };
    app.dispatch().await.register_van(authed(request, dispatcher)).await.expect("registers").into_inner().id
}

/// `crew` (mediator ids) on the van's shift from 08:00 to 18:00 local time on `day`.
pub fn day_shift(van_id: &str, day: NaiveDate, crew: Vec<String>) -> dispatch::SetVanShiftRequest {
    dispatch::SetVanShiftRequest {
        van_id: van_id.into(),
        date: Some(date(day)),
        start: Some(ts(local(day, 8))),
        end: Some(ts(local(day, 18))),
        crew_mediator_ids: crew,
    }
}
