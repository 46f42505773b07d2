//! The gRPC face of the dispatch service: parse and validate (errors name the field), run the
//! flow with the caller's view, publish what changed on the event bus, encode. Requests and van
//! registrations are idempotent by `request_id`.

use std::pin::Pin;
use std::time::Duration;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use mediation_api::dispatch::v1 as pb;
use mediation_api::dispatch::v1::dispatch_service_server::{DispatchService, DispatchServiceServer};
use mediation_api::google::r#type::{Date, LatLng};
use mediation_api::paging;
use mediation_api::status::Violations;
use mediation_appointments::domain::access::Viewer;
use mediation_audit::{Action, Actor, Event as AuditEvent, TargetKind};
use mediation_auth::{Principal, caller};
use mediation_directory::domain::parse_text;
use mediation_store::idempotency::{self, Key};
use mediation_store::{Db, DbConnection, run_blocking};
use tokio::sync::mpsc;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::domain::travel::Point;
use crate::domain::{HomeVisit, Shift, StoredPlan, Van, VanStatus, VisitReason, VisitStatus, coarsen, mask_address};
use crate::error::Error;
use crate::events::{self, Bus, Event};
use crate::repo::VisitFilter;
use crate::service::{self, DispatchSettings, NewVisit, VanPatch};
use crate::streams::{Slot, StreamSlots};

const REQUEST_VISIT: &str = "/mediation.dispatch.v1.DispatchService/RequestHomeVisit";
const REGISTER_VAN: &str = "/mediation.dispatch.v1.DispatchService/RegisterVan";
/// Updates a watcher may have queued before it is considered gone.
const WATCH_BUFFER: usize = 16;

/// The audit record owed when a staff member is shown a home address in clear; none for the
/// resident whose visit it is, or for a masked view.
fn address_read(viewer: &Viewer, full: bool, visit_id: &str, via: &str) -> Option<AuditEvent> {
    (full && viewer.is_staff()).then(|| {
        AuditEvent::new(Action::PersonalDataRead, TargetKind::HomeVisit, visit_id, format!("address via {via}"))
    })
}

/// The dispatch service over one database and one event bus.
#[derive(Debug, Clone)]
pub struct Dispatch {
    db: Db,
    settings: DispatchSettings,
    bus: Bus,
    streams: StreamSlots,
}

impl Dispatch {
    pub fn new(db: Db, settings: DispatchSettings) -> Self {
        let bus = Bus::new(settings.bus_capacity);
        let streams = StreamSlots::new(settings.max_streams_per_principal);
        Self { db, settings, bus, streams }
    }

    /// A watch-stream slot for the caller, or RESOURCE_EXHAUSTED when they hold all theirs.
    fn stream_slot(&self, principal: &Principal) -> Result<Slot, Status> {
        self.streams.take(&principal.account_id).ok_or_else(|| Error::TooManyStreams(self.streams.max()).into())
    }

    pub fn into_server(self) -> DispatchServiceServer<Dispatch> {
        DispatchServiceServer::new(self)
    }

    /// The event bus, for a [`crate::relay`] to carry across processes.
    pub fn bus(&self) -> &Bus {
        &self.bus
    }

    /// Runs `work` with the caller's view in one write transaction.
    async fn write<T, F>(&self, principal: Principal, work: F) -> Result<T, Status>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Viewer) -> Result<T, Error> + Send + 'static,
    {
        Ok(self
            .db
            .write::<_, Error, _>(move |conn| {
                let viewer = service::viewer(conn, principal)?;
                work(conn, &viewer)
            })
            .await?)
    }

    /// Records a staff member's reads of home addresses before they are answered, so that
    /// nothing is shown without its audit record.
    async fn audit_reads(&self, actor: Actor, reads: Vec<AuditEvent>) -> Result<(), Status> {
        mediation_audit::record(&self.db, actor, reads).await.map_err(|err| Error::Store(err).into())
    }

    /// Runs `work` with the caller's view, outside a transaction.
    async fn read<T, F>(&self, principal: Principal, work: F) -> Result<T, Status>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Viewer) -> Result<T, Error> + Send + 'static,
    {
        Ok(self
            .db
            .read::<_, Error, _>(move |conn| {
                let viewer = service::viewer(conn, principal)?;
                work(conn, &viewer)
            })
            .await?)
    }

    /// Like [`Self::write`], replaying the first response to a retry of `request_id`.
    async fn write_once<M, F>(
        &self,
        principal: Principal,
        method: &'static str,
        request_id: String,
        request: Vec<u8>,
        work: F,
    ) -> Result<M, Status>
    where
        M: prost::Message + Default + 'static,
        F: FnOnce(&mut DbConnection, &Viewer) -> Result<M, Error> + Send + 'static,
    {
        self.write(principal, move |conn, viewer| {
            let key = Key { principal: &viewer.principal.account_id.clone(), method, request_id: &request_id };
            idempotency::once(conn, key, &request, |conn| work(conn, viewer))
        })
        .await
    }

    fn publish_visits(&self, visits: impl IntoIterator<Item = HomeVisit>) {
        for visit in visits {
            self.bus.publish(Event::Visit(Box::new(visit)));
        }
    }

    /// Proposes a new plan for the station's date in the background after a change, keeping
    /// visits under way and confirmed ones where they can stay, and tells the board. The change
    /// itself already answered; a re-plan that fails is logged.
    fn replan(&self, station_id: String, day: NaiveDate, triggered_by: String) {
        let (db, settings, bus) = (self.db.clone(), self.settings.clone(), self.bus.clone());
        tokio::spawn(async move {
            let proposed: Result<Option<StoredPlan>, Error> = async {
                let snapshot =
                    db.read::<_, Error, _>(move |conn| service::read_snapshot(conn, &station_id, day)).await?;
                if snapshot.visits.is_empty() {
                    return Ok(None);
                }
                let limit = settings.default_time_limit;
                let planned = snapshot.clone();
                let body = run_blocking(move || service::solve(&planned, &settings, limit)).await?;
                let plan = db
                    .write::<_, Error, _>(move |conn| service::store_plan(conn, &triggered_by, &snapshot, body))
                    .await?;
                Ok(Some(plan))
            }
            .await;
            match proposed {
                Ok(Some(plan)) => {
                    bus.publish(Event::PlanProposed { station_id: plan.station_id, day: plan.day, plan_id: plan.id })
                }
                Ok(None) => {}
                Err(err) => tracing::warn!(error = %err, "re-planning after a change failed"),
            }
        });
    }
}

// ---- conversions ----

fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: t.timestamp(), nanos: t.timestamp_subsec_nanos() as i32 }
}

fn instant(v: &mut Violations, field: &str, value: Option<prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    let parsed = value.and_then(|t| DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32));
    if parsed.is_none() {
        v.add(field, "is required");
    }
    parsed
}

fn date_to(day: NaiveDate) -> Date {
    Date { year: day.year(), month: day.month() as i32, day: day.day() as i32 }
}

fn date_from(v: &mut Violations, field: &str, value: Option<Date>) -> Option<NaiveDate> {
    let parsed = value.and_then(|d| NaiveDate::from_ymd_opt(d.year, d.month as u32, d.day as u32));
    if parsed.is_none() {
        v.add(field, "must be a full date");
    }
    parsed
}

fn point_to(p: Point) -> LatLng {
    LatLng { latitude: p.latitude(), longitude: p.longitude() }
}

fn point_from(v: &mut Violations, field: &str, value: Option<LatLng>) -> Option<Point> {
    match value {
        Some(l) if (-90.0..=90.0).contains(&l.latitude) && (-180.0..=180.0).contains(&l.longitude) => {
            Some(Point::lat_lng(l.latitude, l.longitude))
        }
        _ => {
            v.add(field, "is required: latitude within ±90 and longitude within ±180");
            None
        }
    }
}

fn status_to(s: VisitStatus) -> pb::VisitStatus {
    match s {
        VisitStatus::Requested => pb::VisitStatus::Requested,
        VisitStatus::Planned => pb::VisitStatus::Planned,
        VisitStatus::EnRoute => pb::VisitStatus::EnRoute,
        VisitStatus::Arrived => pb::VisitStatus::Arrived,
        VisitStatus::Completed => pb::VisitStatus::Completed,
        VisitStatus::Failed => pb::VisitStatus::Failed,
        VisitStatus::Cancelled => pb::VisitStatus::Cancelled,
    }
}

fn status_from(value: i32) -> Option<VisitStatus> {
    Some(match pb::VisitStatus::try_from(value).ok()? {
        pb::VisitStatus::Requested => VisitStatus::Requested,
        pb::VisitStatus::Planned => VisitStatus::Planned,
        pb::VisitStatus::EnRoute => VisitStatus::EnRoute,
        pb::VisitStatus::Arrived => VisitStatus::Arrived,
        pb::VisitStatus::Completed => VisitStatus::Completed,
        pb::VisitStatus::Failed => VisitStatus::Failed,
        pb::VisitStatus::Cancelled => VisitStatus::Cancelled,
        pb::VisitStatus::Unspecified => return None,
    })
}

fn reason_to(r: VisitReason) -> pb::VisitReason {
    match r {
        VisitReason::Privacy => pb::VisitReason::Privacy,
        VisitReason::Mobility => pb::VisitReason::Mobility,
        VisitReason::Elderly => pb::VisitReason::Elderly,
        VisitReason::Other => pb::VisitReason::Other,
    }
}

fn van_status_to(s: VanStatus) -> pb::VanStatus {
    match s {
        VanStatus::Available => pb::VanStatus::Available,
        VanStatus::OutOfService => pb::VanStatus::OutOfService,
    }
}

fn van_status_from(v: &mut Violations, value: i32) -> Option<VanStatus> {
    match pb::VanStatus::try_from(value) {
        Ok(pb::VanStatus::Available) => Some(VanStatus::Available),
        Ok(pb::VanStatus::OutOfService) => Some(VanStatus::OutOfService),
        _ => {
            v.add("status", "must be AVAILABLE or OUT_OF_SERVICE");
            None
        }
    }
}

/// The visit as this caller may see it: the address and exact location only when `full`.
fn visit_to_proto(v: HomeVisit, full: bool) -> pb::HomeVisit {
    pb::HomeVisit {
        address: if full { v.address.clone() } else { mask_address(&v.address) },
        location: Some(point_to(if full { v.location } else { coarsen(v.location) })),
        window_start: Some(timestamp(v.window_start)),
        window_end: Some(timestamp(v.window_end)),
        duration: Some(prost_types::Duration { seconds: v.duration_minutes as i64 * 60, nanos: 0 }),
        reason: reason_to(v.reason).into(),
        status: status_to(v.status).into(),
        eta: v.eta.map(timestamp),
        address_masked: !full,
        date: Some(date_to(v.day)),
        position: v.position.unwrap_or_default(),
        specialty_code: v.specialty_code.unwrap_or_default(),
        van_id: v.van_id.unwrap_or_default(),
        id: v.id,
        case_id: v.case_id,
        station_id: v.station_id,
        priority: v.priority,
        note: v.note,
        cancel_reason: v.cancel_reason,
    }
}

fn van_to_proto(v: Van) -> pb::Van {
    pb::Van {
        status: van_status_to(v.status).into(),
        location: v.location.map(point_to),
        location_at: v.located_at.map(timestamp),
        id: v.id,
        plate: v.plate,
        depot_site_id: v.depot_site_id,
        seats: v.seats,
    }
}

fn shift_to_proto(s: Shift) -> pb::Shift {
    pb::Shift {
        van_id: s.van_id,
        date: Some(date_to(s.day)),
        start: Some(timestamp(s.start)),
        end: Some(timestamp(s.end)),
        crew_mediator_ids: s.crew_mediator_ids,
    }
}

fn plan_to_proto(plan: StoredPlan, svg: String) -> pb::Plan {
    let body = plan.body;
    pb::Plan {
        id: plan.id,
        date: Some(date_to(plan.day)),
        station_id: plan.station_id,
        routes: body
            .routes
            .into_iter()
            .map(|r| pb::Route {
                van_id: r.van_id,
                depart_depot: Some(timestamp(r.depart_depot)),
                return_depot: Some(timestamp(r.return_depot)),
                distance_m: r.distance_m,
                stops: r
                    .stops
                    .into_iter()
                    .map(|s| pb::Stop {
                        visit_id: s.visit_id,
                        arrival: Some(timestamp(s.arrival)),
                        start: Some(timestamp(s.start)),
                        departure: Some(timestamp(s.departure)),
                    })
                    .collect(),
            })
            .collect(),
        unassigned: body
            .unassigned
            .into_iter()
            .map(|u| pb::Unassigned { visit_id: u.visit_id, reason: u.reason })
            .collect(),
        total_distance_m: body.total_distance_m,
        total_travel: Some(prost_types::Duration { seconds: body.total_travel_secs.round() as i64, nanos: 0 }),
        version: plan.version,
        committed: plan.committed,
        created_at: Some(timestamp(plan.created_at)),
        svg,
    }
}

/// What the resident sees of their visit: no address, the van rounded until it has ARRIVED.
fn visit_update(v: &HomeVisit, van_location: Option<Point>) -> pb::VisitUpdate {
    let exact = matches!(v.status, VisitStatus::Arrived | VisitStatus::Completed);
    pb::VisitUpdate {
        visit_id: v.id.clone(),
        status: status_to(v.status).into(),
        eta: v.eta.map(timestamp),
        van_location: van_location.map(|p| point_to(if exact { p } else { coarsen(p) })),
        van_id: v.van_id.clone().unwrap_or_default(),
    }
}

fn page<T>(mut items: Vec<T>, size: usize, query: &str, key: impl Fn(&T) -> String) -> (Vec<T>, String) {
    if items.len() > size {
        items.truncate(size);
        let token = paging::encode_token(query, &items.last().map(&key));
        (items, token)
    } else {
        (items, String::new())
    }
}

type UpdateStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

#[tonic::async_trait]
impl DispatchService for Dispatch {
    async fn request_home_visit(
        &self,
        request: Request<pb::RequestHomeVisitRequest>,
    ) -> Result<Response<pb::HomeVisit>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let encoded = prost::Message::encode_to_vec(&req);
        let mut v = Violations::new();
        let request_id = v.request_id(&req.request_id);
        let case_id = v.id("case_id", &req.case_id);
        let address = v.check("address", parse_text(&req.address, 300, true));
        let location = point_from(&mut v, "location", req.location);
        let (start, end) =
            (instant(&mut v, "window_start", req.window_start), instant(&mut v, "window_end", req.window_end));
        if let (Some(s), Some(e)) = (start, end)
            && (e <= s || e - s > chrono::Duration::hours(12))
        {
            v.add("window_end", "must be after window_start, and at most 12 hours later");
        }
        let duration = match req.duration {
            Some(d) if d.nanos == 0 && d.seconds % 60 == 0 && (15 * 60..=8 * 3600).contains(&d.seconds) => {
                Some((d.seconds / 60) as i32)
            }
            _ => {
                v.add("duration", "must be whole minutes, from 15 minutes to 8 hours");
                None
            }
        };
        let reason = match pb::VisitReason::try_from(req.reason) {
            Ok(pb::VisitReason::Privacy) => Some(VisitReason::Privacy),
            Ok(pb::VisitReason::Mobility) => Some(VisitReason::Mobility),
            Ok(pb::VisitReason::Elderly) => Some(VisitReason::Elderly),
            Ok(pb::VisitReason::Other) => Some(VisitReason::Other),
            _ => {
                v.add("reason", "must be PRIVACY, MOBILITY, ELDERLY or OTHER");
                None
            }
        };
        let specialty_code = v.optional_id("specialty_code", &req.specialty_code);
        if !(0..=3).contains(&req.priority) {
            v.add("priority", "must be 0 to 3");
        }
        let (request_id, new) = v.finish(|| {
            Some((
                request_id?,
                NewVisit {
                    case_id: case_id?,
                    address: address?,
                    location: location?,
                    window_start: start?,
                    window_end: end?,
                    duration_minutes: duration?,
                    reason: reason?,
                    specialty_code: specialty_code?,
                    priority: req.priority,
                },
            ))
        })?;
        let account = principal.account_id.clone();
        let reply = self
            .write_once(principal, REQUEST_VISIT, request_id, encoded, move |conn, viewer| {
                let visit = service::request_visit(conn, viewer, new, Utc::now())?;
                Ok(visit_to_proto(visit, true))
            })
            .await?;
        if let Some(visit) = self.bus_visit(&reply.id).await {
            self.replan(visit.station_id, visit.day, account);
        }
        Ok(Response::new(reply))
    }

    async fn cancel_home_visit(
        &self,
        request: Request<pb::CancelHomeVisitRequest>,
    ) -> Result<Response<pb::HomeVisit>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let visit_id = v.id("visit_id", &req.visit_id);
        let reason = v.check("reason", parse_text(&req.reason, 500, false));
        let (visit_id, reason) = v.finish(|| Some((visit_id?, reason?)))?;
        let account = principal.account_id.clone();
        let (visit, full) = self
            .write(principal, move |conn, viewer| service::cancel_visit(conn, viewer, &visit_id, reason, Utc::now()))
            .await?;
        self.publish_visits([visit.clone()]);
        self.replan(visit.station_id.clone(), visit.day, account);
        Ok(Response::new(visit_to_proto(visit, full)))
    }

    async fn get_home_visit(
        &self,
        request: Request<pb::GetHomeVisitRequest>,
    ) -> Result<Response<pb::HomeVisit>, Status> {
        let principal = caller(&request)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let mut v = Violations::new();
        let id = v.id("id", &request.get_ref().id);
        let id = v.finish(|| id)?;
        let (visit, full, read) = self
            .read(principal, move |conn, viewer| {
                let (visit, full) = service::get_visit(conn, viewer, &id)?;
                let read = address_read(viewer, full, &visit.id, "GetHomeVisit");
                Ok((visit, full, read))
            })
            .await?;
        self.audit_reads(actor, read.into_iter().collect()).await?;
        Ok(Response::new(visit_to_proto(visit, full)))
    }

    async fn list_home_visits(
        &self,
        request: Request<pb::ListHomeVisitsRequest>,
    ) -> Result<Response<pb::ListHomeVisitsResponse>, Status> {
        let principal = caller(&request)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let req = request.into_inner();
        let f = req.filter.unwrap_or_default();
        let mut v = Violations::new();
        let day = match f.date {
            Some(d) => date_from(&mut v, "filter.date", Some(d)).map(Some),
            None => Some(None),
        };
        let station = v.optional_id("filter.station_id", &f.station_id);
        let van = v.optional_id("filter.van_id", &f.van_id);
        let status = (f.status != 0).then(|| status_from(f.status));
        if status == Some(None) {
            v.add("filter.status", "must be a visit status");
        }
        let size = v.check("page_size", paging::page_size(req.page_size, 50, 500));
        let query =
            paging::fingerprint(&("home_visits", &principal.account_id, &f.station_id, &f.van_id, f.status, day));
        let after = v.check("page_token", paging::decode_token::<Option<String>>(&req.page_token, &query));
        let (filter, size, after) = v.finish(|| {
            let filter = VisitFilter {
                station_ids: station?.map(|s| vec![s]),
                case_ids: None,
                day: day?,
                status: status.flatten().map(|s| s.as_str().to_owned()),
                van_id: van?,
            };
            Some((filter, size?, after?))
        })?;
        let (items, staff) = self
            .read(principal, move |conn, viewer| {
                let items = service::list_visits(conn, viewer, filter, after.flatten().as_deref(), size as i64 + 1)?;
                Ok((items, viewer.clone()))
            })
            .await?;
        let (items, next_page_token) = page(items, size, &query, |(visit, _)| visit.id.clone());
        let reads = items.iter().filter_map(|(visit, full)| address_read(&staff, *full, &visit.id, "ListHomeVisits"));
        self.audit_reads(actor, reads.collect()).await?;
        Ok(Response::new(pb::ListHomeVisitsResponse {
            home_visits: items.into_iter().map(|(visit, full)| visit_to_proto(visit, full)).collect(),
            next_page_token,
        }))
    }

    async fn register_van(&self, request: Request<pb::RegisterVanRequest>) -> Result<Response<pb::Van>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let encoded = prost::Message::encode_to_vec(&req);
        let van = req.van.unwrap_or_default();
        let mut v = Violations::new();
        let request_id = v.request_id(&req.request_id);
        let plate = v.check("van.plate", parse_text(&van.plate, 20, true));
        let depot = v.id("van.depot_site_id", &van.depot_site_id);
        if !(1..=20).contains(&van.seats) {
            v.add("van.seats", "must be 1 to 20");
        }
        let (request_id, new) = v.finish(|| {
            Some((
                request_id?,
                Van {
                    id: String::new(),
                    plate: plate?,
                    depot_site_id: depot?,
                    seats: van.seats,
                    status: VanStatus::Available,
                    location: None,
                    located_at: None,
                },
            ))
        })?;
        let reply = self
            .write_once(principal, REGISTER_VAN, request_id, encoded, move |conn, viewer| {
                service::register_van(conn, viewer, new, Utc::now()).map(van_to_proto)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn update_van(&self, request: Request<pb::UpdateVanRequest>) -> Result<Response<pb::Van>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let van = req.van.unwrap_or_default();
        let paths = req.update_mask.map(|m| m.paths).unwrap_or_default();
        let mut v = Violations::new();
        let id = v.id("van.id", &van.id);
        if paths.is_empty() {
            v.add("update_mask", "name at least one of plate, seats, depot_site_id");
        }
        let mut patch = VanPatch::default();
        for path in &paths {
            match path.as_str() {
                "plate" => patch.plate = v.check("van.plate", parse_text(&van.plate, 20, true)),
                "seats" if (1..=20).contains(&van.seats) => patch.seats = Some(van.seats),
                "seats" => v.add("van.seats", "must be 1 to 20"),
                "depot_site_id" => patch.depot_site_id = v.id("van.depot_site_id", &van.depot_site_id),
                other => v.add("update_mask", format!("{other:?} cannot be updated")),
            }
        }
        let id = v.finish(|| id)?;
        let reply = self
            .write(principal, move |conn, viewer| service::update_van(conn, viewer, &id, patch, Utc::now()))
            .await?;
        Ok(Response::new(van_to_proto(reply)))
    }

    async fn set_van_status(&self, request: Request<pb::SetVanStatusRequest>) -> Result<Response<pb::Van>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let id = v.id("van_id", &req.van_id);
        let status = van_status_from(&mut v, req.status);
        let (id, status) = v.finish(|| Some((id?, status?)))?;
        let account = principal.account_id.clone();
        let (reply, days) = self
            .write(principal, move |conn, viewer| {
                let van = service::set_van_status(conn, viewer, &id, status, Utc::now())?;
                let days = service::days_to_replan(conn, &van)?;
                Ok((van, days))
            })
            .await?;
        if reply.status == VanStatus::OutOfService {
            for day in days {
                self.replan(reply.depot_site_id.clone(), day, account.clone());
            }
        }
        Ok(Response::new(van_to_proto(reply)))
    }

    async fn list_vans(&self, request: Request<pb::ListVansRequest>) -> Result<Response<pb::ListVansResponse>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let depot = v.optional_id("depot_site_id", &req.depot_site_id);
        let size = v.check("page_size", paging::page_size(req.page_size, 50, 500));
        let query = paging::fingerprint(&("vans", &req.depot_site_id));
        let after = v.check("page_token", paging::decode_token::<Option<String>>(&req.page_token, &query));
        let (depot, size, after) = v.finish(|| Some((depot?, size?, after?)))?;
        let items = self
            .read(principal, move |conn, viewer| {
                service::list_vans(conn, viewer, depot, after.flatten().as_deref(), size as i64 + 1)
            })
            .await?;
        let (items, next_page_token) = page(items, size, &query, |van| van.id.clone());
        Ok(Response::new(pb::ListVansResponse { vans: items.into_iter().map(van_to_proto).collect(), next_page_token }))
    }

    async fn set_van_shift(&self, request: Request<pb::SetVanShiftRequest>) -> Result<Response<pb::Shift>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let van_id = v.id("van_id", &req.van_id);
        let day = date_from(&mut v, "date", req.date);
        let (start, end) = (instant(&mut v, "start", req.start), instant(&mut v, "end", req.end));
        if let (Some(s), Some(e)) = (start, end)
            && (e <= s || e - s > chrono::Duration::hours(16))
        {
            v.add("end", "must be after start, and at most 16 hours later");
        }
        let mut crew = Vec::new();
        for (i, id) in req.crew_mediator_ids.iter().enumerate() {
            if let Some(id) = v.id(&format!("crew_mediator_ids[{i}]"), id)
                && !crew.contains(&id)
            {
                crew.push(id);
            }
        }
        if crew.is_empty() {
            v.add("crew_mediator_ids", "a van needs at least one crew mediator");
        }
        let shift =
            v.finish(|| Some(Shift { van_id: van_id?, day: day?, start: start?, end: end?, crew_mediator_ids: crew }))?;
        let reply = self.write(principal, move |conn, viewer| service::set_shift(conn, viewer, shift)).await?;
        Ok(Response::new(shift_to_proto(reply)))
    }

    async fn propose_plan(&self, request: Request<pb::ProposePlanRequest>) -> Result<Response<pb::Plan>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let day = date_from(&mut v, "date", req.date);
        let station = v.id("station_id", &req.station_id);
        let limit = match req.time_limit {
            None => Some(self.settings.default_time_limit),
            Some(d) if d.seconds >= 0 && d.nanos >= 0 && (d.seconds > 0 || d.nanos > 0) => {
                let asked = Duration::new(d.seconds as u64, d.nanos as u32);
                Some(asked.min(self.settings.max_time_limit))
            }
            Some(_) => {
                v.add("time_limit", "must be positive");
                None
            }
        };
        let (day, station, limit) = v.finish(|| Some((day?, station?, limit?)))?;
        let snapshot =
            self.read(principal.clone(), move |conn, viewer| service::snapshot(conn, viewer, &station, day)).await?;
        let (settings, planned) = (self.settings.clone(), snapshot.clone());
        let body = run_blocking(move || service::solve(&planned, &settings, limit)).await?;
        let (plan, svg) = self
            .write(principal, move |conn, viewer| {
                let plan = service::store_plan(conn, &viewer.principal.account_id, &snapshot, body)?;
                let svg = service::draw(conn, &plan)?;
                Ok((plan, svg))
            })
            .await?;
        Ok(Response::new(plan_to_proto(plan, svg)))
    }

    async fn commit_plan(&self, request: Request<pb::CommitPlanRequest>) -> Result<Response<pb::Plan>, Status> {
        let principal = caller(&request)?;
        let mut v = Violations::new();
        let id = v.id("plan_id", &request.get_ref().plan_id);
        let id = v.finish(|| id)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let (plan, changed, svg) = self
            .write(principal, move |conn, viewer| {
                let now = Utc::now();
                let (plan, changed) = service::commit_plan(conn, viewer, &id, now)?;
                let detail = format!("station {} on {}: {} visits changed", plan.station_id, plan.day, changed.len());
                let event = AuditEvent::new(Action::PlanCommitted, TargetKind::Plan, &plan.id, detail);
                mediation_audit::repo::append(conn, &actor, event, now)?;
                let svg = service::draw(conn, &plan)?;
                Ok((plan, changed, svg))
            })
            .await?;
        self.publish_visits(changed);
        self.bus.publish(Event::PlanCommitted {
            station_id: plan.station_id.clone(),
            day: plan.day,
            plan_id: plan.id.clone(),
        });
        Ok(Response::new(plan_to_proto(plan, svg)))
    }

    async fn get_plan(&self, request: Request<pb::GetPlanRequest>) -> Result<Response<pb::Plan>, Status> {
        let principal = caller(&request)?;
        let mut v = Violations::new();
        let id = v.id("plan_id", &request.get_ref().plan_id);
        let id = v.finish(|| id)?;
        let (plan, svg) = self
            .read(principal, move |conn, viewer| {
                let plan = service::get_plan(conn, viewer, &id)?;
                let svg = service::draw(conn, &plan)?;
                Ok((plan, svg))
            })
            .await?;
        Ok(Response::new(plan_to_proto(plan, svg)))
    }

    async fn assign_visit(&self, request: Request<pb::AssignVisitRequest>) -> Result<Response<pb::HomeVisit>, Status> {
        let principal = caller(&request)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let req = request.into_inner();
        let mut v = Violations::new();
        let visit_id = v.id("visit_id", &req.visit_id);
        let van_id = v.id("van_id", &req.van_id);
        if req.position < 0 {
            v.add("position", "must not be negative");
        }
        let (visit_id, van_id) = v.finish(|| Some((visit_id?, van_id?)))?;
        let settings = self.settings.clone();
        let target = visit_id.clone();
        let changed = self
            .write(principal, move |conn, viewer| {
                let now = Utc::now();
                let position = req.position as usize;
                let changed = service::assign_visit(conn, viewer, &settings, &visit_id, &van_id, position, now)?;
                let detail = format!("van {van_id} position {position}");
                let event = AuditEvent::new(Action::VisitAssigned, TargetKind::HomeVisit, &visit_id, detail);
                mediation_audit::repo::append(conn, &actor, event, now)?;
                Ok(changed)
            })
            .await?;
        let visit = changed.iter().find(|v| v.id == target).cloned().ok_or_else(mediation_api::status::internal)?;
        self.publish_visits(changed);
        Ok(Response::new(visit_to_proto(visit, true)))
    }

    async fn report_position(
        &self,
        request: Request<pb::ReportPositionRequest>,
    ) -> Result<Response<pb::ReportPositionResponse>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let van_id = v.id("van_id", &req.van_id);
        let at = point_from(&mut v, "location", req.location);
        let (van_id, at) = v.finish(|| Some((van_id?, at?)))?;
        let settings = self.settings.clone();
        let now = Utc::now();
        let (van, visits) = self
            .write(principal, move |conn, viewer| service::report_position(conn, viewer, &settings, &van_id, at, now))
            .await?;
        self.bus.publish(Event::VanPosition {
            van_id: van.id.clone(),
            station_id: van.depot_site_id.clone(),
            location: at,
            at: now,
        });
        self.publish_visits(visits.clone());
        // The crew sees the addresses of its own van's visits.
        Ok(Response::new(pb::ReportPositionResponse {
            home_visits: visits.into_iter().map(|visit| visit_to_proto(visit, true)).collect(),
        }))
    }

    async fn update_visit_status(
        &self,
        request: Request<pb::UpdateVisitStatusRequest>,
    ) -> Result<Response<pb::HomeVisit>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let visit_id = v.id("visit_id", &req.visit_id);
        let to = match status_from(req.status) {
            Some(s @ (VisitStatus::EnRoute | VisitStatus::Arrived | VisitStatus::Completed | VisitStatus::Failed)) => {
                Some(s)
            }
            _ => {
                v.add("status", "must be EN_ROUTE, ARRIVED, COMPLETED or FAILED");
                None
            }
        };
        let note = v.check("note", parse_text(&req.note, 1000, false));
        let (visit_id, to, note) = v.finish(|| Some((visit_id?, to?, note?)))?;
        let (visit, full) = self
            .write(principal, move |conn, viewer| service::update_status(conn, viewer, &visit_id, to, note, Utc::now()))
            .await?;
        self.publish_visits([visit.clone()]);
        Ok(Response::new(visit_to_proto(visit, full)))
    }

    type WatchVisitStream = UpdateStream<pb::VisitUpdate>;

    async fn watch_visit(
        &self,
        request: Request<pb::WatchVisitRequest>,
    ) -> Result<Response<Self::WatchVisitStream>, Status> {
        let principal = caller(&request)?;
        let mut v = Violations::new();
        let id = v.id("visit_id", &request.get_ref().visit_id);
        let id = v.finish(|| id)?;
        let slot = self.stream_slot(&principal)?;
        // Subscribe first, so that nothing between the snapshot and the stream is lost.
        let mut events = self.bus.subscribe();
        let (mut visit, mut van_location) =
            self.read(principal, move |conn, viewer| service::watch_visit(conn, viewer, &id)).await?;
        let (tx, rx) = mpsc::channel(WATCH_BUFFER);
        let _ = tx.try_send(Ok(visit_update(&visit, van_location)));
        if !visit.status.is_final() {
            tokio::spawn(async move {
                // Held while the stream is fed; freed when it ends.
                let _slot = slot;
                loop {
                    let event = tokio::select! {
                        () = tx.closed() => break,
                        event = events::next(&mut events) => event,
                    };
                    match event {
                        None => break,
                        Some(Event::Visit(changed)) if changed.id == visit.id => visit = *changed,
                        Some(Event::VanPosition { van_id, location, .. }) if visit.van_id.as_ref() == Some(&van_id) => {
                            van_location = Some(location);
                        }
                        Some(_) => continue,
                    }
                    if tx.send(Ok(visit_update(&visit, van_location))).await.is_err() || visit.status.is_final() {
                        break;
                    }
                }
            });
        }
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    type WatchBoardStream = UpdateStream<pb::BoardEvent>;

    async fn watch_board(
        &self,
        request: Request<pb::WatchBoardRequest>,
    ) -> Result<Response<Self::WatchBoardStream>, Status> {
        let principal = caller(&request)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let req = request.into_inner();
        let mut v = Violations::new();
        let day = date_from(&mut v, "date", req.date);
        let station = v.id("station_id", &req.station_id);
        let (day, station) = v.finish(|| Some((day?, station?)))?;
        let slot = self.stream_slot(&principal)?;
        let mut events = self.bus.subscribe();
        let board_station = station.clone();
        let (visits, viewer) = self
            .read(principal, move |conn, viewer| {
                Ok((service::board(conn, viewer, &board_station, day)?, viewer.clone()))
            })
            .await?;
        // The board opens with every visit's address in clear; visits that reach it later are
        // not recorded one by one.
        let reads = visits.iter().filter_map(|visit| address_read(&viewer, true, &visit.id, "WatchBoard"));
        self.audit_reads(actor, reads.collect()).await?;
        let (tx, rx) = mpsc::channel(WATCH_BUFFER.max(visits.len() + 1));
        for visit in visits {
            let _ = tx.try_send(Ok(board_event(pb::board_event::Event::Visit(visit_to_proto(visit, true)))));
        }
        tokio::spawn(async move {
            // Held while the stream is fed; freed when it ends.
            let _slot = slot;
            loop {
                let event = tokio::select! {
                    () = tx.closed() => break,
                    event = events::next(&mut events) => event,
                };
                let out = match event {
                    None => break,
                    Some(Event::Visit(visit)) if visit.station_id == station && visit.day == day => {
                        pb::board_event::Event::Visit(visit_to_proto(*visit, true))
                    }
                    Some(Event::VanPosition { van_id, station_id, location, at }) if station_id == station => {
                        pb::board_event::Event::VanPosition(pb::VanPosition {
                            van_id,
                            location: Some(point_to(location)),
                            at: Some(timestamp(at)),
                        })
                    }
                    Some(Event::PlanCommitted { station_id, day: d, plan_id }) if station_id == station && d == day => {
                        pb::board_event::Event::PlanCommitted(plan_id)
                    }
                    Some(Event::PlanProposed { station_id, day: d, plan_id }) if station_id == station && d == day => {
                        pb::board_event::Event::PlanProposed(plan_id)
                    }
                    Some(_) => continue,
                };
                if tx.send(Ok(board_event(out))).await.is_err() {
                    break;
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }
}

fn board_event(event: pb::board_event::Event) -> pb::BoardEvent {
    pb::BoardEvent { event: Some(event) }
}

impl Dispatch {
    /// Publishes a visit as it is stored now (after a create, whose reply is a replayable
    /// message rather than the visit itself).
    /// Publishes the visit as stored and returns it.
    async fn bus_visit(&self, id: &str) -> Option<HomeVisit> {
        let id = id.to_owned();
        let read = self.db.read::<_, Error, _>(move |conn| Ok(crate::repo::visit(conn, &id)?)).await;
        let visit = read.ok().flatten()?;
        self.publish_visits([visit.clone()]);
        Some(visit)
    }
}
