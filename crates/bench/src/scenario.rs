//! The scenarios: what one call of each is, and the mix of requests it draws from.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Datelike, TimeZone, Utc};
use mediation_api::appointments::v1 as appointments;
use mediation_api::appointments::v1::appointment_service_client::AppointmentServiceClient;
use mediation_api::directory::v1 as directory;
use mediation_api::directory::v1::directory_service_client::DirectoryServiceClient;
use mediation_api::identity::v1 as identity;
use mediation_api::identity::v1::identity_service_client::IdentityServiceClient;
use mediation_api::ratings::v1 as ratings;
use mediation_api::ratings::v1::rating_service_client::RatingServiceClient;
use rand::Rng;
use rand::rngs::StdRng;
use tonic::Status;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

use crate::seed::{District, PASSWORD};

/// Page size of every search, as the phone app asks.
const PAGE_SIZE: i32 = 20;
/// How far ahead a resident looks for a slot.
const AVAILABILITY_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// grpc.health.v1 Health/Check: the floor every call pays.
    Empty,
    /// Health/Check with a resident's access token: what a token costs on its own.
    EmptySignedIn,
    /// IdentityService/GetMe as a resident: the smallest signed-in read of the database.
    GetMe,
    /// DirectoryService/ListSpecialties, anonymous: a small fixed list from the database.
    ListSpecialties,
    /// IdentityService/Login of seeded residents by phone and password (argon2 on every call).
    Login,
    /// DirectoryService/SearchMediators with a mix of realistic queries.
    SearchMediators,
    /// The same searches with a resident's access token.
    SearchMediatorsSignedIn,
    /// AppointmentService/SearchAvailability over the next 30 days, one-hour slots.
    SearchAvailability,
    /// AppointmentService/SearchAvailability of one mediator of the resident's station over one
    /// working day (Monday to Friday, at least two days ahead), one-hour slots.
    AvailabilityDay,
    /// AppointmentService/BookAppointment, every call a distinct slot, so every call writes.
    Book,
    /// AppointmentService/StartSessionNow of the station's walk-in case by one of its mediators
    /// in their room, then CancelAppointment to free them for the next call: two writes a call.
    StartNow,
    /// A realistic day: mostly searches, some bookings, cancellations and ratings.
    Mixed,
    /// Many open DispatchService/WatchVisit streams with van positions flowing.
    Streams,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Empty => "empty",
            Scenario::EmptySignedIn => "empty-signed-in",
            Scenario::GetMe => "get-me",
            Scenario::ListSpecialties => "list-specialties",
            Scenario::Login => "login",
            Scenario::SearchMediators => "search-mediators",
            Scenario::SearchMediatorsSignedIn => "search-mediators-signed-in",
            Scenario::SearchAvailability => "search-availability",
            Scenario::AvailabilityDay => "availability-day",
            Scenario::Book => "book",
            Scenario::StartNow => "start-now",
            Scenario::Mixed => "mixed",
            Scenario::Streams => "streams",
        }
    }

    /// The kinds of request a scenario mixes, each reported on its own as well.
    pub fn variants(self) -> &'static [&'static str] {
        match self {
            Scenario::Empty => &["check"],
            Scenario::EmptySignedIn => &["check-with-token"],
            Scenario::GetMe => &["resident"],
            Scenario::ListSpecialties => &["anonymous"],
            Scenario::Login => &["resident-by-phone"],
            Scenario::SearchMediators | Scenario::SearchMediatorsSignedIn => {
                &["speciality-in-subtree", "speciality-and-mode", "name-text"]
            }
            Scenario::SearchAvailability => {
                &["ordinary-at-station", "difficult-district", "major-joint", "one-mediator"]
            }
            Scenario::AvailabilityDay => &["one-mediator-weekday"],
            Scenario::Book => &["in-person"],
            Scenario::StartNow => &["walk-in"],
            Scenario::Mixed => &MIXED_NAMES,
            Scenario::Streams => &["watch-visit"],
        }
    }

    /// Whether the scenario needs mediators' hours, rooms and residents' cases.
    pub fn needs_appointments(self) -> bool {
        matches!(
            self,
            Scenario::SearchAvailability
                | Scenario::AvailabilityDay
                | Scenario::Book
                | Scenario::StartNow
                | Scenario::Mixed
        )
    }
}

/// A realistic day's calls, with their weights in percent: residents mostly look (for a
/// mediator, then for a time), some book, a few cancel, and rate past sessions.
const MIXED: [(&str, u32); 6] = [
    ("search-mediators", 45),
    ("search-availability", 25),
    ("book", 12),
    ("cancel", 4),
    ("rate", 6),
    ("rating-summary", 8),
];

const MIXED_NAMES: [&str; MIXED.len()] =
    ["search-mediators", "search-availability", "book", "cancel", "rate", "rating-summary"];

/// The `MIXED` entry a roll of 0..100 picks.
fn mixed_pick(roll: u32) -> usize {
    let mut upto = 0;
    for (index, (_, weight)) in MIXED.iter().enumerate() {
        upto += weight;
        if roll < upto {
            return index;
        }
    }
    MIXED.len() - 1
}

/// One call's outcome: which variant ran, and how many results came back.
pub type Outcome = (usize, Result<usize, Status>);

/// What every worker of a run shares: the district, a token per resident, and the counters
/// that hand out distinct slots to book and sessions to rate (they carry over between the
/// points of a sweep, as the database does).
pub struct Shared {
    pub district: Arc<District>,
    pub resident_tokens: Vec<MetadataValue<Ascii>>,
    /// Tokens of the bookable mediators, in the district's order (for `start-now`).
    pub mediator_tokens: Vec<MetadataValue<Ascii>>,
    next_slot: AtomicUsize,
    next_rating: AtomicUsize,
    /// Run only this variant of a scenario that mixes several (`--variant`).
    pub only_variant: Option<usize>,
}

impl Shared {
    pub fn new(
        district: Arc<District>,
        resident_tokens: Vec<String>,
        mediator_tokens: Vec<String>,
        only_variant: Option<usize>,
    ) -> anyhow::Result<Self> {
        let resident_tokens = resident_tokens.iter().map(|t| bearer(t)).collect::<anyhow::Result<_>>()?;
        let mediator_tokens = mediator_tokens.iter().map(|t| bearer(t)).collect::<anyhow::Result<_>>()?;
        Ok(Self {
            district,
            resident_tokens,
            mediator_tokens,
            next_slot: AtomicUsize::new(0),
            next_rating: AtomicUsize::new(0),
            only_variant,
        })
    }

    /// Takes the next unbooked slot index, shared with the raw database ceiling, passing over
    /// the ones the seeded bookings hold.
    pub fn take_slot(&self) -> usize {
        loop {
            let index = self.next_slot.fetch_add(1, Ordering::Relaxed);
            if !self.district.pre_booked.contains(&index) {
                return index;
            }
        }
    }
}

pub fn bearer(token: &str) -> anyhow::Result<MetadataValue<Ascii>> {
    Ok(format!("Bearer {token}").parse()?)
}

fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: t.timestamp(), nanos: 0 }
}

/// One call as bytes on the wire: what h2load sends.
pub struct WireCall {
    /// `/package.Service/Method`.
    pub path: String,
    /// The encoded request message, without gRPC's five-byte frame header.
    pub message: Vec<u8>,
    /// The `authorization` header's value, when the call is signed in.
    pub authorization: Option<String>,
}

impl WireCall {
    fn new<M: prost::Message>(service: &str, method: &str, request: tonic::Request<M>) -> Self {
        let authorization =
            request.metadata().get("authorization").and_then(|value| value.to_str().ok()).map(str::to_owned);
        Self { path: format!("/{service}/{method}"), message: request.into_inner().encode_to_vec(), authorization }
    }
}

/// One worker's clients and random source; a worker makes one call at a time, as one resident.
pub struct Caller {
    health: HealthClient<Channel>,
    identity: IdentityServiceClient<Channel>,
    directory: DirectoryServiceClient<Channel>,
    appointments: AppointmentServiceClient<Channel>,
    ratings: RatingServiceClient<Channel>,
    shared: Arc<Shared>,
    rng: StdRng,
    calls: usize,
    /// The seeded resident this worker acts as.
    resident: usize,
    /// This worker's index, which picks its own mediator for `start-now`.
    worker: usize,
    /// Appointments this worker booked and has not cancelled, for `mixed` to cancel.
    booked: Vec<String>,
}

impl Caller {
    pub fn new(channel: Channel, shared: Arc<Shared>, rng: StdRng, worker: usize) -> Self {
        let residents = shared.district.residents.len().max(1);
        Self {
            health: HealthClient::new(channel.clone()),
            identity: IdentityServiceClient::new(channel.clone()),
            directory: DirectoryServiceClient::new(channel.clone()),
            appointments: AppointmentServiceClient::new(channel.clone()),
            ratings: RatingServiceClient::new(channel),
            shared,
            rng,
            calls: 0,
            resident: worker % residents,
            worker,
            booked: Vec::new(),
        }
    }

    /// A request carrying the token of seeded resident `resident`.
    fn as_resident<T>(&self, resident: usize, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.metadata_mut().insert("authorization", self.shared.resident_tokens[resident].clone());
        request
    }

    pub async fn call(&mut self, scenario: Scenario) -> Outcome {
        self.calls += 1;
        match scenario {
            Scenario::Empty => {
                let reply = self.health.check(HealthCheckRequest { service: String::new() }).await;
                (0, reply.map(|_| 1))
            }
            Scenario::EmptySignedIn => {
                let request = self.as_resident(self.resident, HealthCheckRequest { service: String::new() });
                (0, self.health.check(request).await.map(|_| 1))
            }
            Scenario::GetMe => {
                let request = self.as_resident(self.resident, identity::GetMeRequest {});
                (0, self.identity.get_me(request).await.map(|_| 1))
            }
            Scenario::ListSpecialties => {
                let reply = self.directory.list_specialties(directory::ListSpecialtiesRequest {}).await;
                (0, reply.map(|r| r.into_inner().specialties.len()))
            }
            Scenario::Login => (0, self.login().await),
            Scenario::SearchMediators | Scenario::SearchMediatorsSignedIn => {
                let variant = self.mediators_variant();
                let signed_in = scenario == Scenario::SearchMediatorsSignedIn;
                (variant, self.search_mediators(variant, signed_in).await)
            }
            Scenario::SearchAvailability => {
                let variant = self.availability_variant();
                (variant, self.search_availability(variant).await)
            }
            Scenario::AvailabilityDay => (0, self.availability_day().await),
            Scenario::Book => (0, self.book().await),
            Scenario::StartNow => (0, self.start_now().await),
            Scenario::Mixed => self.mixed().await,
            Scenario::Streams => unreachable!("streams are driven by streams::run"),
        }
    }

    /// The call `scenario` makes next, as bytes on the wire with its variant, for a driver that
    /// repeats one request (h2load); only calls that read, since a repeated write would replay
    /// or conflict.
    pub fn next_wire_call(&mut self, scenario: Scenario) -> anyhow::Result<(usize, WireCall)> {
        use mediation_api::appointments::v1::appointment_service_server::SERVICE_NAME as APPOINTMENTS;
        use mediation_api::directory::v1::directory_service_server::SERVICE_NAME as DIRECTORY;
        use mediation_api::identity::v1::identity_service_server::SERVICE_NAME as IDENTITY;
        use tonic_health::pb::health_server::SERVICE_NAME as HEALTH;
        self.calls += 1;
        let check = HealthCheckRequest { service: String::new() };
        Ok(match scenario {
            Scenario::Empty => (0, WireCall::new(HEALTH, "Check", tonic::Request::new(check))),
            Scenario::EmptySignedIn => (0, WireCall::new(HEALTH, "Check", self.as_resident(self.resident, check))),
            Scenario::GetMe => {
                (0, WireCall::new(IDENTITY, "GetMe", self.as_resident(self.resident, identity::GetMeRequest {})))
            }
            Scenario::ListSpecialties => {
                let request = tonic::Request::new(directory::ListSpecialtiesRequest {});
                (0, WireCall::new(DIRECTORY, "ListSpecialties", request))
            }
            Scenario::SearchMediators | Scenario::SearchMediatorsSignedIn => {
                let variant = self.mediators_variant();
                let signed_in = scenario == Scenario::SearchMediatorsSignedIn;
                let request = self.search_mediators_request(variant, signed_in);
                (variant, WireCall::new(DIRECTORY, "SearchMediators", request))
            }
            Scenario::SearchAvailability => {
                let variant = self.availability_variant();
                let request = self.search_availability_request(variant)?;
                (variant, WireCall::new(APPOINTMENTS, "SearchAvailability", request))
            }
            Scenario::AvailabilityDay => {
                (0, WireCall::new(APPOINTMENTS, "SearchAvailability", self.availability_day_request()?))
            }
            other => anyhow::bail!("{} cannot be driven by a tool that repeats one request", other.name()),
        })
    }

    async fn mixed(&mut self) -> Outcome {
        let roll = self.rng.gen_range(0..100);
        match MIXED_NAMES[mixed_pick(roll)] {
            "search-mediators" => {
                let variant = self.rng.gen_range(0..Scenario::SearchMediators.variants().len());
                (0, self.search_mediators(variant, false).await)
            }
            "search-availability" => {
                // Residents look at their own station or at one mediator they found.
                let variant = if self.rng.gen_bool(0.7) { 0 } else { 3 };
                (1, self.search_availability(variant).await)
            }
            "cancel" if !self.booked.is_empty() => (3, self.cancel().await),
            "rate" => match self.rate().await {
                Some(result) => (4, result),
                None => (5, self.rating_summary().await),
            },
            "rating-summary" => (5, self.rating_summary().await),
            // "book", and "cancel" with nothing of its own booked yet.
            _ => (2, self.book().await),
        }
    }

    async fn login(&mut self) -> Result<usize, Status> {
        let district = &self.shared.district;
        if district.residents.is_empty() {
            return Err(Status::failed_precondition("login needs --residents"));
        }
        let resident = &district.residents[self.rng.gen_range(0..district.residents.len())];
        let request = identity::LoginRequest { login: resident.phone.clone(), password: PASSWORD.to_owned() };
        self.identity.login(request).await.map(|_| 1)
    }

    /// The searches residents make: a speciality across the whole district, a speciality
    /// with a way of meeting, and a mediator's name typed in full.
    fn search_mediators_request(
        &mut self,
        variant: usize,
        signed_in: bool,
    ) -> tonic::Request<directory::SearchMediatorsRequest> {
        let district = &self.shared.district;
        let code = district.specialty_codes[self.rng.gen_range(0..district.specialty_codes.len())].clone();
        let base = directory::SearchMediatorsRequest { page_size: PAGE_SIZE, ..Default::default() };
        let request = match variant {
            0 => directory::SearchMediatorsRequest {
                specialty_codes: vec![code],
                site_id: district.centre_id.clone(),
                include_child_sites: true,
                ..base
            },
            1 => {
                let mode = [
                    directory::MediationMode::InPerson,
                    directory::MediationMode::Video,
                    directory::MediationMode::HomeVisit,
                ][self.rng.gen_range(0..3)];
                directory::SearchMediatorsRequest { specialty_codes: vec![code], mode: mode.into(), ..base }
            }
            _ => {
                let name = district.names[self.rng.gen_range(0..district.names.len())].clone();
                directory::SearchMediatorsRequest { query: name, ..base }
            }
        };
        if signed_in { self.as_resident(self.resident, request) } else { tonic::Request::new(request) }
    }

    async fn search_mediators(&mut self, variant: usize, signed_in: bool) -> Result<usize, Status> {
        let request = self.search_mediators_request(variant, signed_in);
        self.directory.search_mediators(request).await.map(|r| r.into_inner().hits.len())
    }

    /// A resident's look for a time: their ORDINARY case at their station, their DIFFICULT
    /// case with any think-tank expert, their MAJOR case for a joint session, or their
    /// ORDINARY case with one mediator of their station.
    fn search_availability_request(
        &mut self,
        variant: usize,
    ) -> Result<tonic::Request<appointments::SearchAvailabilityRequest>, Status> {
        let district = &self.shared.district;
        let Some(resident) = district.residents.get(self.resident) else {
            return Err(Status::failed_precondition("search-availability needs --residents"));
        };
        let now = Utc::now();
        let mut request = appointments::SearchAvailabilityRequest {
            case_id: resident.cases[0].clone(),
            mode: directory::MediationMode::InPerson.into(),
            from: Some(timestamp(now)),
            to: Some(timestamp(now + chrono::Duration::days(AVAILABILITY_DAYS))),
            duration: Some(prost_types::Duration { seconds: 3600, nanos: 0 }),
            ..Default::default()
        };
        match variant {
            1 => request.case_id = resident.cases[1].clone(),
            2 => request.case_id = resident.cases[2].clone(),
            3 => {
                let at_station = &district.bookable_by_station[resident.station];
                if let Some(&pick) = at_station.get(self.rng.gen_range(0..at_station.len().max(1))) {
                    request.mediator_id = district.bookable[pick].mediator_id.clone();
                }
            }
            _ => {}
        }
        Ok(self.as_resident(self.resident, request))
    }

    async fn search_availability(&mut self, variant: usize) -> Result<usize, Status> {
        let request = self.search_availability_request(variant)?;
        self.appointments.search_availability(request).await.map(|r| r.into_inner().slots.len())
    }

    /// The variant of `search-mediators` the next call makes: each in turn.
    fn mediators_variant(&self) -> usize {
        self.calls % Scenario::SearchMediators.variants().len()
    }

    /// The variant of `search-availability` the next call makes: each in turn, or `--variant`.
    fn availability_variant(&self) -> usize {
        self.shared.only_variant.unwrap_or(self.calls % Scenario::SearchAvailability.variants().len())
    }

    /// One mediator of the resident's station, one working day: what a booking screen asks
    /// once a resident has picked a mediator and a day.
    fn availability_day_request(&mut self) -> Result<tonic::Request<appointments::SearchAvailabilityRequest>, Status> {
        let district = &self.shared.district;
        let Some(resident) = district.residents.get(self.resident) else {
            return Err(Status::failed_precondition("availability-day needs --residents"));
        };
        let at_station = &district.bookable_by_station[resident.station];
        let Some(&pick) = at_station.get(self.rng.gen_range(0..at_station.len().max(1))) else {
            return Err(Status::failed_precondition("the resident's station has no bookable mediator"));
        };
        let zone = chrono_tz::Asia::Shanghai;
        let mut day = Utc::now().with_timezone(&zone).date_naive() + chrono::Duration::days(2);
        while day.weekday().number_from_monday() > 5 {
            day += chrono::Duration::days(1);
        }
        let midnight = |d: chrono::NaiveDate| {
            zone.from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight")).unwrap().with_timezone(&Utc)
        };
        let request = appointments::SearchAvailabilityRequest {
            case_id: resident.cases[0].clone(),
            mediator_id: district.bookable[pick].mediator_id.clone(),
            mode: directory::MediationMode::InPerson.into(),
            from: Some(timestamp(midnight(day))),
            to: Some(timestamp(midnight(day + chrono::Duration::days(1)))),
            duration: Some(prost_types::Duration { seconds: 3600, nanos: 0 }),
            ..Default::default()
        };
        Ok(self.as_resident(self.resident, request))
    }

    async fn availability_day(&mut self) -> Result<usize, Status> {
        let request = self.availability_day_request()?;
        self.appointments.search_availability(request).await.map(|r| r.into_inner().slots.len())
    }

    /// Books the next distinct (mediator, hour) for this worker's resident's ORDINARY case, in
    /// the mediator's own room.
    async fn book(&mut self) -> Result<usize, Status> {
        let district = self.shared.district.clone();
        let Some(resident) = district.residents.get(self.resident) else {
            return Err(Status::failed_precondition("book needs --residents"));
        };
        let Some((bookable, span)) = district.booking_slot(self.shared.take_slot()) else {
            return Err(Status::resource_exhausted("the seeded slots ran out; seed more mediators"));
        };
        let request = appointments::BookAppointmentRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            case_id: resident.cases[0].clone(),
            start: Some(timestamp(span.start)),
            end: Some(timestamp(span.end)),
            mediator_ids: vec![bookable.mediator_id.clone()],
            room_id: bookable.room_id.clone(),
            mode: directory::MediationMode::InPerson.into(),
        };
        let request = self.as_resident(self.resident, request);
        let appointment = self.appointments.book_appointment(request).await?.into_inner();
        self.booked.push(appointment.id);
        Ok(1)
    }

    /// Starts this worker's mediator's session now on their station's walk-in case, in their
    /// room, then cancels it so that the next call finds them free; each worker has a mediator
    /// of its own.
    async fn start_now(&mut self) -> Result<usize, Status> {
        let district = &self.shared.district;
        if district.bookable.is_empty() || self.shared.mediator_tokens.is_empty() {
            return Err(Status::failed_precondition("start-now needs bookable mediators"));
        }
        let index = self.worker % district.bookable.len();
        let mediator = &district.bookable[index];
        let case_id = district.walk_ins.get(&mediator.site_id).cloned().unwrap_or_default();
        let token = self.shared.mediator_tokens[index].clone();
        let start = appointments::StartSessionNowRequest {
            request_id: uuid::Uuid::new_v4().to_string(),
            case_id,
            mediator_ids: vec![mediator.mediator_id.clone()],
            room_id: mediator.room_id.clone(),
            duration: Some(prost_types::Duration { seconds: 30 * 60, nanos: 0 }),
        };
        let mut request = tonic::Request::new(start);
        request.metadata_mut().insert("authorization", token.clone());
        let session = self.appointments.start_session_now(request).await?.into_inner();
        let cancel = appointments::CancelAppointmentRequest {
            appointment_id: session.id,
            reason: "基准测试".into(),
            ..Default::default()
        };
        let mut request = tonic::Request::new(cancel);
        request.metadata_mut().insert("authorization", token);
        self.appointments.cancel_appointment(request).await.map(|_| 1)
    }

    async fn cancel(&mut self) -> Result<usize, Status> {
        let id = self.booked.pop().expect("cancel is only picked with a booking to cancel");
        let request = appointments::CancelAppointmentRequest {
            appointment_id: id,
            reason: "时间冲突".into(),
            ..Default::default()
        };
        let request = self.as_resident(self.resident, request);
        self.appointments.cancel_appointment(request).await.map(|_| 1)
    }

    /// Rates the next unrated completed session, as its resident; `None` once all are rated.
    async fn rate(&mut self) -> Option<Result<usize, Status>> {
        let index = self.shared.next_rating.fetch_add(1, Ordering::Relaxed);
        let (resident, appointment_id) = self.shared.district.completed.get(index)?.clone();
        let overall = [3, 4, 4, 5, 5][self.rng.gen_range(0..5)];
        let request = ratings::SubmitRatingRequest {
            appointment_id,
            scores: Some(ratings::Scores { overall, fairness: overall, professionalism: 5, timeliness: 4 }),
            comment: "调解员很耐心".into(),
            mediator_id: String::new(),
            request_id: uuid::Uuid::new_v4().to_string(),
            home_visit_id: String::new(),
        };
        let request = self.as_resident(resident, request);
        Some(self.ratings.submit_rating(request).await.map(|_| 1))
    }

    async fn rating_summary(&mut self) -> Result<usize, Status> {
        let district = &self.shared.district;
        if district.bookable.is_empty() {
            return Err(Status::failed_precondition("rating-summary needs mediators with hours"));
        }
        let mediator_id = district.bookable[self.rng.gen_range(0..district.bookable.len())].mediator_id.clone();
        let request = self.as_resident(self.resident, ratings::GetMediatorSummaryRequest { mediator_id });
        self.ratings.get_mediator_summary(request).await.map(|_| 1)
    }
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    use super::*;

    #[test]
    fn names_are_the_command_line_names() {
        for scenario in Scenario::value_variants() {
            let parsed = Scenario::from_str(scenario.name(), false).unwrap();
            assert_eq!(parsed, *scenario);
        }
        assert!(Scenario::from_str("search", false).is_err());
    }

    #[test]
    fn the_mixed_weights_cover_every_roll() {
        assert_eq!(MIXED.iter().map(|(_, w)| w).sum::<u32>(), 100);
        assert_eq!(mixed_pick(0), 0);
        assert_eq!(mixed_pick(44), 0);
        assert_eq!(mixed_pick(45), 1);
        assert_eq!(mixed_pick(99), MIXED.len() - 1);
        let mut seen = [0; MIXED.len()];
        for roll in 0..100 {
            seen[mixed_pick(roll)] += 1;
        }
        assert_eq!(seen, MIXED.map(|(_, w)| w as i32));
        assert_eq!(MIXED.map(|(name, _)| name), MIXED_NAMES);
    }
}
