//! Hostile input through a real connection: arbitrary field values (control characters, strings
//! up to the 4 MiB cap, huge and negative numbers, NaN, unknown enum values, impossible times)
//! in requests of every service, arbitrary and mutated bytes as message bodies, malformed gRPC
//! frames, oversized messages, extreme page sizes and megabyte-long names.
//!
//! The rule, from gRPC's own status table: a request that decodes never gets INTERNAL or UNKNOWN
//! (nor UNAVAILABLE, CANCELLED or a deadline, which would mean a crashed handler or a hang); one
//! that does not decode may get INTERNAL or INVALID_ARGUMENT. After each run the health check
//! still answers SERVING. The property tests run 64 cases each against one SQLite gateway; a
//! fixed set of the same hostile values runs on both backends.

use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;
use mediation_api::appointments::v1 as appointments;
use mediation_api::directory::v1 as directory;
use mediation_api::dispatch::v1 as dispatch;
use mediation_api::google::r#type::{Date, LatLng, TimeOfDay};
use mediation_api::identity::v1 as identity;
use mediation_api::ratings::v1 as ratings;
use mediation_auth::Access;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use prost::Message;
use prost_types::{FieldMask, Timestamp};
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::common::*;
use crate::matrix::{APPOINTMENTS, DIRECTORY, DISPATCH, IDENTITY, IN_FLIGHT, RATINGS, Who, World, raw_call, world};

both_backends!(
    fixed_hostile_values_in_every_service_never_get_internal,
    malformed_frames_oversized_messages_page_sizes_and_long_names_get_precise_codes,
);

/// A gateway for hostile callers: no booking notice, and login limits out of the way so that
/// arbitrary logins reach validation instead of the limiter.
async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |s| {
        s.appointments.min_notice_minutes = 0;
        s.auth.max_failures_per_login = 1_000_000;
        s.auth.max_failures_per_peer = 1_000_000;
    })
    .await
}

async fn assert_serving(app: &TestApp) {
    let mut health = HealthClient::new(app.channel().await);
    let reply = health.check(HealthCheckRequest { service: String::new() }).await.expect("the health check answers");
    assert_eq!(reply.into_inner().status(), ServingStatus::Serving);
}

/// Codes a decodable request must never get: a bug, a crashed handler, or a hang.
const NEVER_FOR_DECODABLE: &[Code] =
    &[Code::Internal, Code::Unknown, Code::Unavailable, Code::Cancelled, Code::DeadlineExceeded, Code::DataLoss];

// ---------------------------------------------------------------------------------------------
// Hostile field values

/// A string field's value; its Debug shows the start and the length of long ones.
#[derive(Clone)]
struct Text(String);

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let chars = self.0.chars().count();
        if chars <= 48 {
            write!(f, "{:?}", self.0)
        } else {
            write!(f, "{:?}… ({chars} chars, {} bytes)", self.0.chars().take(24).collect::<String>(), self.0.len())
        }
    }
}

/// The values one hostile request is made of; every builder draws its fields from these.
#[derive(Debug, Clone)]
struct Values {
    text: [Text; 3],
    int: [i32; 3],
    long: [i64; 2],
    float: [f64; 2],
    /// (seconds, nanos) of a Timestamp or Duration.
    instant: [(i64, i32); 2],
    flag: bool,
    /// Name the world's real ids instead of `text`, so that validation past the lookups runs.
    real: bool,
}

impl Values {
    fn s(&self, i: usize) -> String {
        self.text[i].0.clone()
    }

    fn id(&self, real: &str, i: usize) -> String {
        if self.real { real.to_owned() } else { self.s(i) }
    }

    fn request_id(&self) -> String {
        if self.real { new_request_id() } else { self.s(2) }
    }

    fn ts(&self, i: usize) -> Option<Timestamp> {
        Some(Timestamp { seconds: self.instant[i].0, nanos: self.instant[i].1 })
    }

    fn duration(&self, i: usize) -> Option<prost_types::Duration> {
        Some(prost_types::Duration { seconds: self.long[i], nanos: self.int[i] })
    }

    fn date(&self) -> Option<Date> {
        Some(Date { year: self.int[0], month: self.int[1], day: self.int[2] })
    }

    fn location(&self) -> Option<LatLng> {
        Some(LatLng { latitude: self.float[0], longitude: self.float[1] })
    }

    fn time_of_day(&self, i: usize) -> Option<TimeOfDay> {
        let j = (i + 1) % 3;
        Some(TimeOfDay { hours: self.int[i], minutes: self.int[j], seconds: self.int[i], nanos: self.int[j] })
    }

    fn mask(&self, real: &[&str]) -> Option<FieldMask> {
        let paths = if self.real { real.iter().map(|p| p.to_string()).collect() } else { vec![self.s(0)] };
        Some(FieldMask { paths })
    }
}

const LONG: usize = 4 << 20;

const SPECIAL: &[&str] = &[
    "",
    " ",
    "\0",
    "\u{0}\u{1}\u{1b}[2J\u{7f}",
    "\u{202e}gnp.exe",
    "\u{feff}\u{200b}",
    "\u{fffd}",
    "👨‍👩‍👧‍👦",
    "'; DROP TABLE accounts; --",
    "\" OR 1=1 --",
    "%s%n%x%p",
    "../../../../etc/passwd",
    "<script>alert(1)</script>",
    "a\r\nb\tc",
    "\\",
    "13800000001",
    "+8613800000001",
    "+86 138 0000 0001",
    "+999999999999999999999999",
    "00000000-0000-0000-0000-000000000000",
    "Asia/Shanghai",
    "Mars/Olympus_Mons",
    "neighbour",
    "zh",
    "name",
    "*",
    "NaN",
];

fn text() -> impl Strategy<Value = Text> {
    let phoneish: Vec<char> = "0123456789+ -".chars().collect();
    prop_oneof![
        4 => prop::collection::vec(any::<char>(), 0..24).prop_map(String::from_iter),
        3 => prop::sample::select(SPECIAL).prop_map(str::to_owned),
        2 => prop::collection::vec(prop::sample::select(phoneish), 0..20).prop_map(String::from_iter),
        1 => (0..=LONG).prop_map(|n| "x".repeat(n)),
        1 => (0..=LONG / 3).prop_map(|n| "长".repeat(n)),
    ]
    .prop_map(Text)
}

fn int() -> impl Strategy<Value = i32> {
    prop_oneof![any::<i32>(), prop::sample::select(vec![0, 1, -1, 2, 3, 5, 12, 100, i32::MAX, i32::MIN])]
}

fn long() -> impl Strategy<Value = i64> {
    prop_oneof![any::<i64>(), prop::sample::select(vec![0, 1, -1, 3_600, 1_000_000, i64::MAX, i64::MIN])]
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        prop::num::f64::ANY,
        prop::sample::select(vec![0.0, -0.0, 29.84, 121.55, 90.0, -90.0, 180.0, -180.0, 1e308, f64::MIN_POSITIVE]),
    ]
}

fn instant() -> impl Strategy<Value = (i64, i32)> {
    let now = Utc::now().timestamp();
    let seconds = prop_oneof![
        any::<i64>(),
        (now - 10 * 86_400)..(now + 70 * 86_400),
        // Before year 1, year 10000, and the ends of the range.
        prop::sample::select(vec![0, -62_135_596_801, 253_402_300_800, i64::MAX, i64::MIN]),
    ];
    let nanos = prop_oneof![Just(0), 0..1_000_000_000, any::<i32>()];
    (seconds, nanos)
}

fn values() -> impl Strategy<Value = Values> {
    (
        (text(), text(), text()),
        (int(), int(), int()),
        (long(), long()),
        (float(), float()),
        (instant(), instant()),
        (any::<bool>(), any::<bool>()),
    )
        .prop_map(|(text, int, long, float, instant, (flag, real))| Values {
            text: [text.0, text.1, text.2],
            int: [int.0, int.1, int.2],
            long: [long.0, long.1],
            float: [float.0, float.1],
            instant: [instant.0, instant.1],
            flag,
            real,
        })
}

/// Hand-picked hostile values, for the fixed run on both backends.
fn fixed_values() -> Vec<Values> {
    let t = |s: &str| Text(s.to_owned());
    let now = Utc::now().timestamp();
    let mut out = Vec::new();
    for real in [true, false] {
        out.push(Values {
            text: [t(""), t(""), t("")],
            int: [0; 3],
            long: [0; 2],
            float: [0.0; 2],
            instant: [(0, 0); 2],
            flag: false,
            real,
        });
        out.push(Values {
            text: [t("\0\u{202e}\u{1b}[2J"), t("'; DROP TABLE accounts; --"), t(&"👨‍👩‍👧‍👦".repeat(300))],
            int: [i32::MIN, i32::MAX, -1],
            long: [i64::MIN, i64::MAX],
            float: [f64::NAN, f64::INFINITY],
            instant: [(i64::MIN, -1), (i64::MAX, 1_000_000_000)],
            flag: true,
            real,
        });
        out.push(Values {
            text: [t("+86 138 0000 0001"), t("Mars/Olympus_Mons"), t("%s%n%x%p")],
            int: [13, -5, 1_000_000],
            long: [-1, 86_400 * 365 * 10_000],
            float: [-90.000_001, 1e308],
            instant: [(253_402_300_800, 0), (-62_135_596_801, 999_999_999)],
            flag: false,
            real,
        });
        // A plausible window the wrong way round, nanos out of range.
        out.push(Values {
            text: [t("neighbour"), t("zh"), t("*")],
            int: [2, 30, 0],
            long: [3_600, -3_600],
            float: [29.84, 121.55],
            instant: [(now + 7 * 86_400, 0), (now + 86_400, -1)],
            flag: true,
            real,
        });
    }
    // Plain text a few kilobytes long: under most length limits' radar if echoed back.
    for real in [true, false] {
        out.push(Values {
            text: [Text("z".repeat(6_000)), Text("y".repeat(6_000)), Text("w".repeat(6_000))],
            int: [1, 2, 3],
            long: [3_600, 60],
            float: [29.84, 121.55],
            instant: [(now + 86_400, 0), (now + 90_000, 0)],
            flag: false,
            real,
        });
    }
    // Megabyte-long strings in every text field.
    out.push(Values {
        text: [Text("名".repeat(350_000)), Text("x".repeat(1 << 20)), Text("\u{7}".repeat(1 << 20))],
        int: [1; 3],
        long: [1; 2],
        float: [1.0; 2],
        instant: [(now + 86_400, 0), (now + 90_000, 0)],
        flag: true,
        real: true,
    });
    out
}

// ---------------------------------------------------------------------------------------------
// Requests of every service, built from hostile values

/// One request: the method, who calls it, and the encoded message.
struct Call {
    method: String,
    who: Who,
    body: Vec<u8>,
    streaming: bool,
}

fn call(service: &str, method: &str, who: Who, message: impl Message) -> Call {
    Call { method: format!("{service}{method}"), who, body: message.encode_to_vec(), streaming: false }
}

type Build = fn(&Values, &World) -> Call;

/// Requests across every service, each sent by a principal its role policy lets through, so
/// that the hostile values reach the service's own parsing and rules.
const BUILDERS: &[Build] = &[
    |v, _| {
        let m = identity::RegisterResidentRequest { phone: v.s(0), password: v.s(1), display_name: v.s(2) };
        call(IDENTITY, "RegisterResident", Who::Anonymous, m)
    },
    |v, _| call(IDENTITY, "Login", Who::Anonymous, identity::LoginRequest { login: v.s(0), password: v.s(1) }),
    |v, _| {
        let m = identity::SendPhoneCodeRequest { phone: v.s(0), purpose: v.int[0] };
        call(IDENTITY, "SendPhoneCode", Who::Anonymous, m)
    },
    |v, _| {
        let m = identity::VerifyPhoneRequest { phone: v.s(0), code: v.s(1) };
        call(IDENTITY, "VerifyPhone", Who::Anonymous, m)
    },
    |v, _| call(IDENTITY, "Refresh", Who::Anonymous, identity::RefreshRequest { refresh_token: v.s(0) }),
    |v, _| {
        let m = identity::KioskLoginRequest { kiosk_id: v.s(0), secret: v.s(1) };
        call(IDENTITY, "KioskLogin", Who::Anonymous, m)
    },
    |v, w| {
        let m = identity::CreateStaffAccountRequest {
            request_id: v.request_id(),
            login: v.s(0),
            password: v.s(1),
            role: v.int[0],
            site_id: v.id(&w.stations[0], 2),
            display_name: v.s(2),
        };
        call(IDENTITY, "CreateStaffAccount", Who::CentreAdmin, m)
    },
    |v, w| {
        let m = identity::ProvisionKioskRequest {
            request_id: v.request_id(),
            site_id: v.id(&w.kiosk_sites[0], 0),
            name: v.s(1),
        };
        call(IDENTITY, "ProvisionKiosk", Who::StationAdmin, m)
    },
    |v, _| {
        let m = identity::StartKioskResidentSessionRequest { phone: v.s(0), code: v.s(1) };
        call(IDENTITY, "StartKioskResidentSession", Who::Kiosk, m)
    },
    |v, w| {
        let site = directory::Site {
            id: v.s(1),
            name: v.s(0),
            kind: v.int[0],
            parent_id: v.id(&w.centre, 1),
            time_zone: v.s(1),
            address: v.s(2),
            location: v.location(),
        };
        let m = directory::CreateSiteRequest { request_id: v.request_id(), site: Some(site) };
        call(DIRECTORY, "CreateSite", Who::CentreAdmin, m)
    },
    |v, w| {
        let site = directory::Site {
            id: v.id(&w.kiosk_sites[0], 2),
            name: v.s(0),
            kind: v.int[0],
            parent_id: v.s(1),
            time_zone: v.s(1),
            address: v.s(2),
            location: v.location(),
        };
        let update_mask = v.mask(&["name", "address", "location", "time_zone"]);
        call(DIRECTORY, "UpdateSite", Who::StationAdmin, directory::UpdateSiteRequest { site: Some(site), update_mask })
    },
    |v, w| {
        let room = directory::Room {
            id: v.s(2),
            site_id: v.id(&w.stations[0], 0),
            name: v.s(1),
            kind: v.int[0],
            capacity: v.int[1],
        };
        let m = directory::CreateRoomRequest { request_id: v.request_id(), room: Some(room) };
        call(DIRECTORY, "CreateRoom", Who::StationAdmin, m)
    },
    |v, w| {
        let room =
            directory::Room { id: v.id(&w.room, 2), site_id: v.s(0), name: v.s(1), kind: v.int[0], capacity: v.int[1] };
        let update_mask = v.mask(&["name", "kind", "capacity"]);
        call(DIRECTORY, "UpdateRoom", Who::StationAdmin, directory::UpdateRoomRequest { room: Some(room), update_mask })
    },
    |v, w| {
        let m = directory::ListSitesRequest {
            parent_id: v.id(&w.centre, 0),
            kind: v.int[0],
            page_size: v.int[1],
            page_token: v.s(1),
        };
        call(DIRECTORY, "ListSites", Who::Anonymous, m)
    },
    |v, w| {
        let m = directory::SearchMediatorsRequest {
            specialty_codes: vec![v.s(0), v.s(1)],
            site_id: v.id(&w.stations[0], 2),
            include_child_sites: v.flag,
            mode: v.int[0],
            language: v.s(2),
            query: v.s(1),
            min_rating: v.float[0],
            order_by: v.int[1],
            page_size: v.int[2],
            page_token: v.s(2),
        };
        call(DIRECTORY, "SearchMediators", Who::Anonymous, m)
    },
    |v, w| {
        let mediator = directory::Mediator {
            id: v.s(2),
            display_name: v.s(0),
            kind: v.int[0],
            level: v.int[1],
            specialty_codes: vec![v.s(1)],
            languages: vec![v.s(2)],
            modes: vec![v.int[2], v.int[0]],
            home_site_id: v.id(&w.stations[0], 1),
            account_id: v.s(1),
            bio: v.s(1),
            active: v.flag,
        };
        let m = directory::CreateMediatorRequest { request_id: v.request_id(), mediator: Some(mediator) };
        call(DIRECTORY, "CreateMediator", Who::CentreAdmin, m)
    },
    |v, w| {
        let mediator = directory::Mediator {
            id: v.id(&w.mediators[0], 2),
            display_name: v.s(0),
            kind: v.int[0],
            level: v.int[1],
            specialty_codes: vec![v.s(1)],
            languages: vec![v.s(2)],
            modes: vec![v.int[2]],
            home_site_id: v.s(1),
            bio: v.s(1),
            ..Default::default()
        };
        let update_mask = v.mask(&["display_name", "kind", "level", "specialty_codes", "languages", "modes", "bio"]);
        let m = directory::UpdateMediatorRequest { mediator: Some(mediator), update_mask };
        call(DIRECTORY, "UpdateMediator", Who::StationAdmin, m)
    },
    |v, w| {
        let m = appointments::CreateCaseRequest {
            request_id: v.request_id(),
            category: v.s(0),
            summary: v.s(1),
            parties: vec![
                appointments::Party { name: v.s(2), phone: v.s(0), role: v.int[0], ..Default::default() },
                appointments::Party { name: v.s(1), phone: v.s(2), role: v.int[1], ..Default::default() },
            ],
            origin: v.int[2],
            assessment: Some(assessment(v)),
            site_id: v.id(&w.stations[0], 2),
            ..Default::default()
        };
        call(APPOINTMENTS, "CreateCase", Who::Resident, m)
    },
    |v, w| {
        let m = appointments::AssessCaseRequest { case_id: v.id(&w.case, 0), assessment: Some(assessment(v)) };
        call(APPOINTMENTS, "AssessCase", Who::StationAdmin, m)
    },
    |v, w| {
        let m = appointments::OverrideGradeRequest { case_id: v.id(&w.case, 0), grade: v.int[0], reason: v.s(1) };
        call(APPOINTMENTS, "OverrideGrade", Who::StationAdmin, m)
    },
    |v, w| {
        let m = appointments::SearchAvailabilityRequest {
            case_id: v.id(&w.case, 0),
            specialty_code: v.s(1),
            site_id: v.id(&w.stations[0], 2),
            mediator_id: v.id(&w.mediators[0], 1),
            mode: v.int[0],
            from: v.ts(0),
            to: v.ts(1),
            duration: v.duration(0),
            step: v.duration(1),
            max_slots: v.int[2],
        };
        call(APPOINTMENTS, "SearchAvailability", Who::Resident, m)
    },
    |v, w| {
        let m = appointments::BookAppointmentRequest {
            request_id: v.request_id(),
            case_id: v.id(&w.case, 0),
            start: v.ts(0),
            end: v.ts(1),
            mediator_ids: vec![v.id(&w.mediators[0], 1), v.s(2)],
            room_id: v.id(&w.room, 2),
            mode: v.int[0],
        };
        call(APPOINTMENTS, "BookAppointment", Who::Resident, m)
    },
    |v, w| {
        let m = appointments::RescheduleAppointmentRequest {
            appointment_id: v.id(&w.booked, 0),
            request_id: v.request_id(),
            start: v.ts(0),
            end: v.ts(1),
            room_id: v.id(&w.room, 1),
        };
        call(APPOINTMENTS, "RescheduleAppointment", Who::StationAdmin, m)
    },
    |v, w| {
        let rule = appointments::WeeklyRule { day_of_week: v.int[0], start: v.time_of_day(0), end: v.time_of_day(1) };
        let m = appointments::SetWorkingHoursRequest {
            mediator_id: v.id(&w.mediators[0], 0),
            site_id: v.id(&w.stations[0], 1),
            rules: vec![rule, rule],
            effective_from: v.date(),
            effective_to: Some(Date { year: v.int[2], month: v.int[0], day: v.int[1] }),
        };
        call(APPOINTMENTS, "SetWorkingHours", Who::Mediator, m)
    },
    |v, w| {
        let m = appointments::AddScheduleExceptionRequest {
            mediator_id: v.id(&w.mediators[0], 0),
            start: v.ts(0),
            end: v.ts(1),
            kind: v.int[0],
            site_id: v.id(&w.stations[0], 1),
        };
        call(APPOINTMENTS, "AddScheduleException", Who::Mediator, m)
    },
    |v, w| {
        let m = appointments::CompleteAppointmentRequest {
            appointment_id: v.id(&w.booked, 0),
            outcome: Some(appointments::Outcome { result: v.int[0], agreement_summary: v.s(1), referred_to: v.s(2) }),
        };
        call(APPOINTMENTS, "CompleteAppointment", Who::StationAdmin, m)
    },
    |v, w| {
        let m = appointments::ListAppointmentsRequest {
            mediator_id: v.id(&w.mediators[0], 0),
            site_id: v.id(&w.stations[0], 1),
            case_id: v.s(2),
            status: v.int[0],
            from: v.ts(0),
            to: v.ts(1),
            page_size: v.int[1],
            page_token: v.s(2),
        };
        call(APPOINTMENTS, "ListAppointments", Who::StationAdmin, m)
    },
    |v, w| {
        let m = appointments::ListCasesRequest {
            site_id: v.id(&w.stations[0], 0),
            status: v.int[0],
            grade: v.int[1],
            page_size: v.int[2],
            page_token: v.s(1),
            ..Default::default()
        };
        call(APPOINTMENTS, "ListCases", Who::Dispatcher, m)
    },
    |v, w| {
        let m = appointments::PostMessageRequest { case_id: v.id(&w.case, 0), body: v.s(1) };
        call(APPOINTMENTS, "PostMessage", Who::Resident, m)
    },
    |v, w| {
        let m =
            appointments::ListMessagesRequest { case_id: v.id(&w.case, 0), page_size: v.int[0], page_token: v.s(1) };
        call(APPOINTMENTS, "ListMessages", Who::Resident, m)
    },
    |v, w| {
        let m = appointments::GetStatisticsRequest {
            site_id: v.id(&w.stations[0], 0),
            mediator_id: v.id(&w.mediators[0], 1),
            from: v.ts(0),
            to: v.ts(1),
        };
        call(APPOINTMENTS, "GetStatistics", Who::CentreAdmin, m)
    },
    |v, w| {
        let m = ratings::SubmitRatingRequest {
            appointment_id: v.id(&w.booked, 0),
            scores: Some(scores(v)),
            comment: v.s(1),
            mediator_id: v.id(&w.mediators[0], 2),
            request_id: v.request_id(),
            home_visit_id: if v.flag { v.id(&w.visit, 0) } else { String::new() },
        };
        call(RATINGS, "SubmitRating", Who::Resident, m)
    },
    |v, w| {
        let m =
            ratings::UpdateRatingRequest { rating_id: v.id(&w.rating, 0), scores: Some(scores(v)), comment: v.s(1) };
        call(RATINGS, "UpdateRating", Who::Resident, m)
    },
    |v, w| {
        let m = ratings::ListRatingsRequest {
            mediator_id: v.id(&w.mediators[0], 0),
            page_size: v.int[0],
            page_token: v.s(1),
        };
        call(RATINGS, "ListRatings", Who::Anonymous, m)
    },
    |v, w| {
        let m = ratings::GetAssessmentRequest { mediator_id: v.id(&w.mediators[0], 0), period: Some(period(v)) };
        call(RATINGS, "GetAssessment", Who::StationAdmin, m)
    },
    |v, w| {
        let m = ratings::ExportAssessmentsRequest { site_id: v.id(&w.stations[0], 0), period: Some(period(v)) };
        call(RATINGS, "ExportAssessments", Who::CentreAdmin, m)
    },
    |v, w| {
        let m = dispatch::RequestHomeVisitRequest {
            request_id: v.request_id(),
            case_id: v.id(&w.case, 0),
            address: v.s(1),
            location: v.location(),
            window_start: v.ts(0),
            window_end: v.ts(1),
            duration: v.duration(0),
            reason: v.int[0],
            specialty_code: v.s(2),
            priority: v.int[1],
        };
        call(DISPATCH, "RequestHomeVisit", Who::Resident, m)
    },
    |v, w| {
        let filter = dispatch::HomeVisitFilter {
            date: v.date(),
            station_id: v.id(&w.stations[0], 0),
            status: v.int[0],
            van_id: v.s(1),
        };
        let m = dispatch::ListHomeVisitsRequest { filter: Some(filter), page_size: v.int[1], page_token: v.s(2) };
        call(DISPATCH, "ListHomeVisits", Who::Dispatcher, m)
    },
    |v, w| {
        let van = dispatch::Van {
            id: v.s(2),
            plate: v.s(0),
            depot_site_id: v.id(&w.stations[0], 1),
            status: v.int[0],
            seats: v.int[1],
            location: v.location(),
            location_at: v.ts(0),
        };
        let m = dispatch::RegisterVanRequest { request_id: v.request_id(), van: Some(van) };
        call(DISPATCH, "RegisterVan", Who::Dispatcher, m)
    },
    |v, w| {
        let van = dispatch::Van {
            id: v.id(&w.van, 2),
            plate: v.s(0),
            depot_site_id: v.s(1),
            status: v.int[0],
            seats: v.int[1],
            location: v.location(),
            location_at: v.ts(0),
        };
        let update_mask = v.mask(&["plate", "seats"]);
        call(DISPATCH, "UpdateVan", Who::Dispatcher, dispatch::UpdateVanRequest { van: Some(van), update_mask })
    },
    |v, w| {
        let m = dispatch::SetVanShiftRequest {
            van_id: v.id(&w.van, 0),
            date: v.date(),
            start: v.ts(0),
            end: v.ts(1),
            crew_mediator_ids: vec![v.id(&w.mediators[0], 1), v.s(2)],
        };
        call(DISPATCH, "SetVanShift", Who::Dispatcher, m)
    },
    |v, w| {
        // A capped time limit: the planner may use all of it on a day with visits.
        let m = dispatch::ProposePlanRequest {
            date: v.date(),
            station_id: v.id(&w.stations[0], 0),
            time_limit: Some(prost_types::Duration { seconds: v.long[0].clamp(-1, 1), nanos: v.int[1] }),
        };
        call(DISPATCH, "ProposePlan", Who::Dispatcher, m)
    },
    |v, w| {
        let m =
            dispatch::AssignVisitRequest { visit_id: v.id(&w.visit, 0), van_id: v.id(&w.van, 1), position: v.int[0] };
        call(DISPATCH, "AssignVisit", Who::Dispatcher, m)
    },
    |v, w| {
        let m = dispatch::ReportPositionRequest { van_id: v.id(&w.van, 0), location: v.location() };
        call(DISPATCH, "ReportPosition", Who::Dispatcher, m)
    },
    |v, w| {
        let outcome =
            v.flag.then(|| appointments::Outcome { result: v.int[1], agreement_summary: v.s(0), referred_to: v.s(2) });
        let m =
            dispatch::UpdateVisitStatusRequest { visit_id: v.id(&w.visit, 0), status: v.int[0], note: v.s(1), outcome };
        call(DISPATCH, "UpdateVisitStatus", Who::Dispatcher, m)
    },
    |v, w| {
        let m = dispatch::SuggestVisitWindowsRequest {
            case_id: v.id(&w.case, 0),
            date_from: v.date(),
            date_to: v.date(),
            duration: v.duration(0),
            location: v.location(),
            specialty_code: v.s(1),
            max_windows: v.int[2],
        };
        call(DISPATCH, "SuggestVisitWindows", Who::Resident, m)
    },
    |v, _| {
        let m = dispatch::GetVisitByTrackingTokenRequest { token: v.s(0) };
        call(DISPATCH, "GetVisitByTrackingToken", Who::Resident, m)
    },
    |v, w| {
        let m = dispatch::WatchBoardRequest { date: v.date(), station_id: v.id(&w.stations[0], 0) };
        Call { streaming: true, ..call(DISPATCH, "WatchBoard", Who::Dispatcher, m) }
    },
    |v, w| {
        let m = dispatch::WatchVisitRequest { visit_id: v.id(&w.visit, 0) };
        Call { streaming: true, ..call(DISPATCH, "WatchVisit", Who::Resident, m) }
    },
];

fn assessment(v: &Values) -> appointments::Assessment {
    appointments::Assessment {
        amount_in_dispute_yuan: v.long[0],
        party_count: v.int[0],
        violence_risk: v.flag,
        vulnerable_party: !v.flag,
        repeat_dispute: v.flag,
        group_incident_risk: v.int[1] % 2 == 0,
        petition_history: v.real,
    }
}

fn scores(v: &Values) -> ratings::Scores {
    ratings::Scores { overall: v.int[0], fairness: v.int[1], professionalism: v.int[2], timeliness: v.int[0] }
}

fn period(v: &Values) -> ratings::Period {
    ratings::Period { year: v.int[0], month: v.int[1], quarter: v.int[2] }
}

/// The largest error a request may get back, message and details together: violations are capped
/// by construction, so however hostile the request, the answer stays a few KiB.
const MAX_ERROR_BYTES: usize = 8 * 1024;

/// Sends `call` and says what is wrong with the answer, if anything.
///
/// Each call has a connection of its own, so that one which breaks the connection (as a
/// protocol error does) shows as the culprit and not in its neighbours' answers too.
async fn send(url: String, token: Option<String>, call: Call) -> Result<(), String> {
    let channel = Channel::from_shared(url).unwrap().connect().await.expect("connects to the gateway");
    let started = Instant::now();
    let result = raw_call(&channel, &call.method, call.body.clone(), token.as_deref(), call.streaming).await;
    match result {
        Err(status) if NEVER_FOR_DECODABLE.contains(&status.code()) => {
            Err(format!("{} ({} bytes) answered {:?}: {status:?}", call.method, call.body.len(), status.code()))
        }
        Err(status) if status.message().len() + status.details().len() > MAX_ERROR_BYTES => Err(format!(
            "{} ({} bytes) answered an error of {} bytes",
            call.method,
            call.body.len(),
            status.message().len() + status.details().len()
        )),
        Err(status) if status.code() == Code::PermissionDenied && status.message().contains("role may not") => {
            Err(format!("{} is not open to {:?}: the test should call it as someone else", call.method, call.who))
        }
        _ if started.elapsed() > Duration::from_secs(10) => {
            Err(format!("{} took {:?} to answer", call.method, started.elapsed()))
        }
        _ => Ok(()),
    }
}

/// Sends every call at once, a bounded number in flight; the problems found, in call order.
async fn send_all(app: &TestApp, w: &World, calls: Vec<Call>) -> Vec<String> {
    let limit = std::sync::Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let mut sent = tokio::task::JoinSet::new();
    for (i, call) in calls.into_iter().enumerate() {
        let (url, token, limit) = (app.url(), w.token(call.who).map(str::to_owned), limit.clone());
        sent.spawn(async move {
            let _permit = limit.acquire_owned().await.unwrap();
            (i, send(url, token, call).await)
        });
    }
    let mut problems = Vec::new();
    while let Some(joined) = sent.join_next().await {
        if let (i, Err(problem)) = joined.expect("the call's task") {
            problems.push((i, problem));
        }
    }
    problems.sort();
    problems.into_iter().map(|(_, problem)| problem).collect()
}

/// One SQLite gateway with the matrix's world in it, for a whole proptest run.
struct Harness {
    runtime: tokio::runtime::Runtime,
    app: TestApp,
    world: World,
    channel: Channel,
}

impl Harness {
    fn new() -> Harness {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let (app, world, channel) = runtime.block_on(async {
            let app = spawn(Backend::Sqlite).await;
            let world = world(&app).await;
            let channel = app.channel().await;
            (app, world, channel)
        });
        Harness { runtime, app, world, channel }
    }

    /// Runs 64 cases of `test`, panicking with the smallest failing input; then checks that the
    /// gateway still answers its health check.
    fn run<S: Strategy>(&self, strategy: S, test: impl Fn(&Harness, S::Value) -> Result<(), String>) {
        let config = Config { cases: 64, failure_persistence: None, max_shrink_iters: 256, ..Config::default() };
        let mut runner = TestRunner::new(config);
        match runner.run(&strategy, |input| test(self, input).map_err(TestCaseError::fail)) {
            Ok(()) => {}
            Err(TestError::Fail(why, input)) => panic!("{why}\nminimal failing input: {input:#?}"),
            Err(other) => panic!("{other}"),
        }
        self.runtime.block_on(assert_serving(&self.app));
    }
}

#[test]
fn arbitrary_field_values_in_every_service_never_get_internal() {
    let harness = Harness::new();
    let strategy = (prop::collection::vec(0..BUILDERS.len(), 4), values());
    harness.run(strategy, |h, (builders, v)| {
        let calls = builders.into_iter().map(|i| BUILDERS[i](&v, &h.world)).collect();
        let problems = h.runtime.block_on(send_all(&h.app, &h.world, calls));
        if problems.is_empty() { Ok(()) } else { Err(problems.join("\n")) }
    });
}

// ---------------------------------------------------------------------------------------------
// Arbitrary and mutated bytes as message bodies

/// Whether `bytes` decode as the request message of `method`, as the server will try.
fn decodes(method: &str, bytes: &[u8]) -> bool {
    macro_rules! by_method {
        ($($name:literal => $message:ty,)*) => {
            match method.rsplit('/').next().unwrap_or_default() {
                $($name => <$message>::decode(bytes).is_ok(),)*
                other => panic!("no request type listed for {other}"),
            }
        };
    }
    by_method! {
        "RegisterResident" => identity::RegisterResidentRequest,
        "Login" => identity::LoginRequest,
        "SendPhoneCode" => identity::SendPhoneCodeRequest,
        "VerifyPhone" => identity::VerifyPhoneRequest,
        "Refresh" => identity::RefreshRequest,
        "KioskLogin" => identity::KioskLoginRequest,
        "CreateStaffAccount" => identity::CreateStaffAccountRequest,
        "ProvisionKiosk" => identity::ProvisionKioskRequest,
        "StartKioskResidentSession" => identity::StartKioskResidentSessionRequest,
        "CreateSite" => directory::CreateSiteRequest,
        "UpdateSite" => directory::UpdateSiteRequest,
        "CreateRoom" => directory::CreateRoomRequest,
        "UpdateRoom" => directory::UpdateRoomRequest,
        "ListSites" => directory::ListSitesRequest,
        "SearchMediators" => directory::SearchMediatorsRequest,
        "CreateMediator" => directory::CreateMediatorRequest,
        "UpdateMediator" => directory::UpdateMediatorRequest,
        "CreateCase" => appointments::CreateCaseRequest,
        "AssessCase" => appointments::AssessCaseRequest,
        "OverrideGrade" => appointments::OverrideGradeRequest,
        "SearchAvailability" => appointments::SearchAvailabilityRequest,
        "BookAppointment" => appointments::BookAppointmentRequest,
        "RescheduleAppointment" => appointments::RescheduleAppointmentRequest,
        "SetWorkingHours" => appointments::SetWorkingHoursRequest,
        "AddScheduleException" => appointments::AddScheduleExceptionRequest,
        "CompleteAppointment" => appointments::CompleteAppointmentRequest,
        "ListAppointments" => appointments::ListAppointmentsRequest,
        "ListCases" => appointments::ListCasesRequest,
        "PostMessage" => appointments::PostMessageRequest,
        "ListMessages" => appointments::ListMessagesRequest,
        "GetStatistics" => appointments::GetStatisticsRequest,
        "SubmitRating" => ratings::SubmitRatingRequest,
        "UpdateRating" => ratings::UpdateRatingRequest,
        "ListRatings" => ratings::ListRatingsRequest,
        "GetAssessment" => ratings::GetAssessmentRequest,
        "ExportAssessments" => ratings::ExportAssessmentsRequest,
        "RequestHomeVisit" => dispatch::RequestHomeVisitRequest,
        "ListHomeVisits" => dispatch::ListHomeVisitsRequest,
        "RegisterVan" => dispatch::RegisterVanRequest,
        "UpdateVan" => dispatch::UpdateVanRequest,
        "SetVanShift" => dispatch::SetVanShiftRequest,
        "ProposePlan" => dispatch::ProposePlanRequest,
        "AssignVisit" => dispatch::AssignVisitRequest,
        "ReportPosition" => dispatch::ReportPositionRequest,
        "UpdateVisitStatus" => dispatch::UpdateVisitStatusRequest,
        "WatchBoard" => dispatch::WatchBoardRequest,
        "WatchVisit" => dispatch::WatchVisitRequest,
        "SuggestVisitWindows" => dispatch::SuggestVisitWindowsRequest,
        "GetVisitByTrackingToken" => dispatch::GetVisitByTrackingTokenRequest,
    }
}

/// A body: arbitrary bytes, or a plausible request's encoding with a few bytes overwritten and
/// perhaps cut short.
#[derive(Debug, Clone)]
enum Body {
    Arbitrary(Vec<u8>),
    Mutated { writes: Vec<(prop::sample::Index, u8)>, cut: Option<prop::sample::Index> },
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..96).prop_map(Body::Arbitrary),
        (
            prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
            any::<Option<prop::sample::Index>>()
        )
            .prop_map(|(writes, cut)| Body::Mutated { writes, cut }),
    ]
}

/// Values every builder turns into a request that passes validation or nearly so.
fn plausible() -> Values {
    fixed_values().into_iter().find(|v| v.real && v.text[0].0 == "neighbour").expect("the plausible preset")
}

#[test]
fn arbitrary_bytes_as_a_body_are_refused_cleanly_or_decoded_and_answered() {
    let harness = Harness::new();
    let base = plausible();
    let strategy = prop::collection::vec((0..BUILDERS.len(), body()), 4);
    harness.run(strategy, |h, bodies| {
        h.runtime.block_on(async {
            for (i, body) in bodies {
                let mut call = BUILDERS[i](&base, &h.world);
                call.body = match body {
                    Body::Arbitrary(bytes) => bytes,
                    Body::Mutated { writes, cut } => {
                        let mut bytes = call.body;
                        if !bytes.is_empty() {
                            for (at, byte) in writes {
                                let at = at.index(bytes.len());
                                bytes[at] = byte;
                            }
                        }
                        if let Some(cut) = cut {
                            bytes.truncate(cut.index(bytes.len() + 1));
                        }
                        bytes
                    }
                };
                if decodes(&call.method, &call.body) {
                    send(h.app.url(), h.world.token(call.who).map(str::to_owned), call).await?;
                } else {
                    let token = h.world.token(call.who);
                    match raw_call(&h.channel, &call.method, call.body.clone(), token, call.streaming).await {
                        Err(status) if matches!(status.code(), Code::InvalidArgument | Code::Internal) => {}
                        other => {
                            return Err(format!(
                                "{} with the undecodable body {:?} answered {other:?}",
                                call.method, call.body
                            ));
                        }
                    }
                }
            }
            Ok(())
        })
    });
}

// ---------------------------------------------------------------------------------------------
// The fixed hostile values, on both backends

async fn fixed_hostile_values_in_every_service_never_get_internal(backend: Backend) {
    let app = spawn(backend).await;
    let w = world(&app).await;
    let mut problems = Vec::new();
    for (n, v) in fixed_values().iter().enumerate() {
        let calls = BUILDERS.iter().map(|build| build(v, &w)).collect();
        problems.extend(send_all(&app, &w, calls).await.into_iter().map(|p| format!("values #{n}: {p}")));
    }
    assert_serving(&app).await;
    assert!(problems.is_empty(), "{} answers broke the rule:\n{}", problems.len(), problems.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Malformed frames, oversized messages, page sizes, megabyte names

/// A gRPC length-prefixed message: the compressed flag, the declared length, the payload.
fn frame(compressed: bool, declared: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![u8::from(compressed)];
    out.extend_from_slice(&declared.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

fn message(payload: &[u8]) -> Vec<u8> {
    frame(false, payload.len() as u32, payload)
}

/// POSTs `body` as the whole HTTP/2 request body of a gRPC call and reads the status from the
/// headers (a trailers-only answer) or the trailers.
async fn post(app: &TestApp, method: &str, token: Option<&str>, body: Vec<u8>) -> Status {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut request = http::Request::builder()
        .method("POST")
        .uri(format!("{}{method}", app.url()))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = tonic::body::Body::new(http_body_util::Full::new(Bytes::from(body)));
    let response = app.channel().await.oneshot(request.body(body).unwrap()).await.expect("an HTTP/2 answer");
    if let Some(status) = Status::from_header_map(response.headers()) {
        return status;
    }
    match response.into_body().collect().await {
        Ok(collected) => collected
            .trailers()
            .and_then(Status::from_header_map)
            .unwrap_or_else(|| Status::unknown("the answer carried no grpc-status")),
        Err(error) => Status::unknown(format!("the answer broke off: {error}")),
    }
}

/// The `page_size` field number of each method's request, for every paged method.
fn paged_methods() -> Vec<(String, u32)> {
    let set = prost_types::FileDescriptorSet::decode(mediation_api::FILE_DESCRIPTOR_SET).unwrap();
    let mut messages = std::collections::HashMap::new();
    for file in &set.file {
        for m in &file.message_type {
            messages.insert(format!(".{}.{}", file.package(), m.name()), m.clone());
        }
    }
    let mut out = Vec::new();
    for file in set.file.iter().filter(|f| f.package().starts_with("mediation.")) {
        for service in &file.service {
            for method in &service.method {
                let input = &messages[method.input_type()];
                if let Some(field) = input.field.iter().find(|f| f.name() == "page_size") {
                    let path = format!("/{}.{}/{}", file.package(), service.name(), method.name());
                    out.push((path, field.number() as u32));
                }
            }
        }
    }
    out
}

/// Someone the role policy lets call `method`, the most privileged first.
fn caller_for(method: &str) -> Who {
    let policy = mediation_gateway::policy_table();
    match policy.get(method).copied() {
        Some(Access::Public) => Who::Anonymous,
        Some(Access::Roles(roles)) => [Who::CentreAdmin, Who::Dispatcher, Who::Mediator, Who::Resident, Who::Kiosk]
            .into_iter()
            .find(|who| who.role().is_some_and(|r| roles.contains(&r)))
            .expect("a role that may call it"),
        None => panic!("{method} has no policy"),
    }
}

/// Just `page_size = value`, encoded as field `number`.
fn page_size_only(number: u32, value: i32) -> Vec<u8> {
    let mut out = Vec::new();
    prost::encoding::int32::encode(number, &value, &mut out);
    out
}

async fn malformed_frames_oversized_messages_page_sizes_and_long_names_get_precise_codes(backend: Backend) {
    let app = spawn(backend).await;
    let w = world(&app).await;
    let resident = w.token(Who::Resident);
    let login = format!("{IDENTITY}Login");
    let create_case = format!("{APPOINTMENTS}CreateCase");
    let valid_login = identity::LoginRequest { login: "13800000801".into(), password: "wrong".into() }.encode_to_vec();

    // Malformed frames: refused with a precise code, and the server stays up.
    let undecodable = [Code::InvalidArgument, Code::Internal];
    let too_big = [Code::OutOfRange, Code::ResourceExhausted];
    let mut two = message(&valid_login);
    two.extend(message(&valid_login));
    // (what, method, token, request body, the codes that may answer it)
    type Frame<'a> = (&'a str, &'a str, Option<&'a str>, Vec<u8>, &'a [Code]);
    let frames: Vec<Frame> = vec![
        ("a length-delimited field cut short", &login, None, message(&[0x0a, 0x05, b'a']), &undecodable),
        ("a varint that never ends", &login, None, message(&[0xff; 11]), &undecodable),
        ("invalid UTF-8 in a string", &login, None, message(&[0x0a, 0x02, 0xc3, 0x28]), &undecodable),
        ("invalid UTF-8 in a case summary", &create_case, resident, message(&[0x1a, 0x02, 0xff, 0xfe]), &undecodable),
        ("a string field sent as fixed32", &login, None, message(&[0x0d, 0, 0, 0, 0]), &undecodable),
        ("field number zero", &login, None, message(&[0x00, 0x01]), &undecodable),
        ("100 000 nested groups", &login, None, message(&[0x7b; 100_000]), &undecodable),
        ("groups nested in a case", &create_case, resident, message(&[0x7b; 10_000]), &undecodable),
        (
            "the compressed flag with no grpc-encoding",
            &login,
            None,
            frame(true, valid_login.len() as u32, &valid_login),
            &[Code::Internal, Code::Unimplemented, Code::InvalidArgument],
        ),
        ("a frame shorter than declared", &login, None, frame(false, 100, &valid_login), &undecodable),
        ("a frame header cut short", &login, None, vec![0, 0, 0], &undecodable),
        ("a declared length of 4 GiB", &login, None, frame(false, u32::MAX, &valid_login), &too_big),
        ("no message at all", &login, None, Vec::new(), &undecodable),
        (
            "two messages in a unary call",
            &login,
            None,
            two,
            &[Code::InvalidArgument, Code::Internal, Code::Unauthenticated],
        ),
    ];
    let mut wrong = Vec::new();
    for (what, method, token, body, allowed) in frames {
        let status = post(&app, method, token, body).await;
        if !allowed.contains(&status.code()) {
            wrong.push(format!("{what} ({method}): expected one of {allowed:?}, got {status:?}"));
        }
    }
    assert!(wrong.is_empty(), "malformed frames:\n{}", wrong.join("\n"));
    assert_serving(&app).await;

    // A message over the cap, well-formed otherwise.
    let cap = app.settings.server.max_message_bytes;
    let huge = appointments::PostMessageRequest { case_id: w.case.clone(), body: "x".repeat(cap + 1) };
    let channel = app.channel().await;
    let status = raw_call(&channel, &format!("{APPOINTMENTS}PostMessage"), huge.encode_to_vec(), resident, false)
        .await
        .expect_err("over the cap");
    assert!(too_big.contains(&status.code()), "a message of {} bytes: {status:?}", cap + 1);

    // Every paged method: -1 is refused naming page_size; i32::MAX is capped, not refused.
    let paged = paged_methods();
    assert!(paged.len() >= 10, "{paged:?}");
    for (method, number) in &paged {
        let who = caller_for(method);
        let negative = raw_call(&channel, method, page_size_only(*number, -1), w.token(who), false).await;
        let status = negative.expect_err("a negative page size");
        assert_eq!(status.code(), Code::InvalidArgument, "{method} page_size -1 as {who:?}: {status:?}");
        assert!(violated_fields(&status).contains(&"page_size".to_owned()), "{method}: {status:?}");
        match raw_call(&channel, method, page_size_only(*number, i32::MAX), w.token(who), false).await {
            Ok(_) => {}
            Err(status) => {
                assert!(!NEVER_FOR_DECODABLE.contains(&status.code()), "{method} page_size i32::MAX: {status:?}");
                let fields = violated_fields(&status);
                assert!(!fields.contains(&"page_size".to_owned()), "{method} refused page_size i32::MAX: {status:?}");
            }
        }
    }

    // The cap holds: 501 kiosks under station 2 (one there already) come 500 to a page.
    let admin = w.token(Who::CentreAdmin).unwrap().to_owned();
    let mut creates = tokio::task::JoinSet::new();
    for i in 0..501 {
        let (channel, admin, parent) = (channel.clone(), admin.clone(), w.stations[1].clone());
        creates.spawn(async move {
            let site = directory::Site {
                name: format!("警务亭{i}"),
                kind: directory::SiteKind::Kiosk.into(),
                parent_id: parent,
                ..Default::default()
            };
            let request = directory::CreateSiteRequest { request_id: new_request_id(), site: Some(site) };
            let mut client = directory::directory_service_client::DirectoryServiceClient::new(channel);
            client.create_site(authed(request, &admin)).await.expect("creates the kiosk site");
        });
        if creates.len() >= IN_FLIGHT {
            creates.join_next().await.unwrap().unwrap();
        }
    }
    while let Some(done) = creates.join_next().await {
        done.unwrap();
    }
    let list = |page_token: String| directory::ListSitesRequest {
        parent_id: w.stations[1].clone(),
        kind: 0,
        page_size: i32::MAX,
        page_token,
    };
    let mut client = app.directory().await;
    let first = client.list_sites(list(String::new())).await.expect("lists").into_inner();
    assert_eq!(first.sites.len(), 500, "page_size i32::MAX is capped at 500");
    assert!(!first.next_page_token.is_empty());
    let rest = client.list_sites(list(first.next_page_token)).await.expect("lists").into_inner();
    assert_eq!((rest.sites.len(), rest.next_page_token.as_str()), (2, ""));

    // Megabyte-long text is refused naming the field.
    let megabyte = "名".repeat(350_000);
    let long: Vec<(&str, &str, Who, Vec<u8>)> = vec![
        (
            "display_name",
            "RegisterResident",
            Who::Anonymous,
            identity::RegisterResidentRequest {
                phone: "13800000809".into(),
                password: PASSWORD.into(),
                display_name: megabyte.clone(),
            }
            .encode_to_vec(),
        ),
        (
            "site.name",
            "CreateSite",
            Who::CentreAdmin,
            directory::CreateSiteRequest {
                request_id: new_request_id(),
                site: Some(directory::Site {
                    name: megabyte.clone(),
                    kind: directory::SiteKind::Kiosk.into(),
                    parent_id: w.stations[0].clone(),
                    ..Default::default()
                }),
            }
            .encode_to_vec(),
        ),
        (
            "summary",
            "CreateCase",
            Who::Resident,
            appointments::CreateCaseRequest {
                request_id: new_request_id(),
                category: "neighbour".into(),
                summary: megabyte.clone(),
                parties: vec![appointments::Party {
                    name: "王芳".into(),
                    phone: "13800000801".into(),
                    role: appointments::PartyRole::Applicant.into(),
                    ..Default::default()
                }],
                origin: appointments::CaseOrigin::App.into(),
                assessment: Some(appointments::Assessment { party_count: 2, ..Default::default() }),
                site_id: w.stations[0].clone(),
                ..Default::default()
            }
            .encode_to_vec(),
        ),
        (
            "body",
            "PostMessage",
            Who::Resident,
            appointments::PostMessageRequest { case_id: w.case.clone(), body: megabyte.clone() }.encode_to_vec(),
        ),
        (
            "comment",
            "UpdateRating",
            Who::Resident,
            ratings::UpdateRatingRequest {
                rating_id: w.rating.clone(),
                scores: Some(ratings::Scores { overall: 4, fairness: 4, professionalism: 4, timeliness: 4 }),
                comment: megabyte.clone(),
            }
            .encode_to_vec(),
        ),
        (
            "address",
            "RequestHomeVisit",
            Who::Resident,
            dispatch::RequestHomeVisitRequest { address: megabyte.clone(), ..plausible_visit(&w) }.encode_to_vec(),
        ),
    ];
    for (field, method, who, body) in long {
        let path = [IDENTITY, DIRECTORY, APPOINTMENTS, RATINGS, DISPATCH]
            .iter()
            .map(|service| format!("{service}{method}"))
            .find(|p| mediation_gateway::policy_table().contains_key(p.as_str()))
            .unwrap();
        let status = raw_call(&channel, &path, body, w.token(who), false).await.expect_err("a megabyte is too long");
        assert_eq!(status.code(), Code::InvalidArgument, "{method}: {status:?}");
        assert_eq!(violated_fields(&status), [field], "{method}: {status:?}");
    }
    assert_serving(&app).await;
}

/// A home visit of resident A's case that passes validation.
fn plausible_visit(w: &World) -> dispatch::RequestHomeVisitRequest {
    let start = Utc::now() + chrono::TimeDelta::days(2);
    dispatch::RequestHomeVisitRequest {
        request_id: new_request_id(),
        case_id: w.case.clone(),
        address: "宁波市鄞州区中河街道某小区1幢101室".into(),
        location: Some(LatLng { latitude: 29.85, longitude: 121.56 }),
        window_start: Some(Timestamp { seconds: start.timestamp(), nanos: 0 }),
        window_end: Some(Timestamp { seconds: start.timestamp() + 3 * 3600, nanos: 0 }),
        duration: Some(prost_types::Duration { seconds: 45 * 60, nanos: 0 }),
        reason: dispatch::VisitReason::Elderly.into(),
        ..Default::default()
    }
}
