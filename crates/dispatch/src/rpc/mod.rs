//! The gRPC face of the dispatch service. Each handler takes the verified caller, parses the
//! request into plain values (`TryFrom` in the module of its resource, naming every bad field at
//! once), runs the call on the service's [`Core`], and encodes the reply. Requests and van
//! registrations are idempotent by `request_id`: the first reply is recorded and replayed.

mod error;
mod live;
mod plans;
mod vans;
mod visits;

use std::pin::Pin;

use chrono::Utc;
use mediation_api::Violations;
use mediation_api::caller;
use mediation_api::dispatch::v1 as pb;
use mediation_api::dispatch::v1::dispatch_service_server::{DispatchService, DispatchServiceServer};
use mediation_appointments::domain::access::Viewer;
use mediation_audit::Actor;
use mediation_auth::Principal;
use mediation_store::idempotency::Key;
use mediation_store::{Db, DbConnection};
use prost::Message;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status};

use crate::domain::Shift;
use crate::events::Bus;
use crate::service::{self, Core, DispatchSettings};

const REQUEST_VISIT: &str = "/mediation.dispatch.v1.DispatchService/RequestHomeVisit";
const REGISTER_VAN: &str = "/mediation.dispatch.v1.DispatchService/RegisterVan";
const PROPOSE_PLAN: &str = "/mediation.dispatch.v1.DispatchService/ProposePlan";
const UPDATE_VISIT_STATUS: &str = "/mediation.dispatch.v1.DispatchService/UpdateVisitStatus";

type UpdateStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// The dispatch service over one database and one event bus.
#[derive(Debug, Clone)]
pub struct Dispatch {
    core: Core,
}

impl Dispatch {
    pub fn new(db: Db, settings: DispatchSettings) -> Self {
        Self { core: Core::new(db, settings) }
    }

    pub fn into_server(self) -> DispatchServiceServer<Dispatch> {
        DispatchServiceServer::new(self)
    }

    /// The event bus, for a [`crate::relay`] to carry across processes.
    pub fn bus(&self) -> &Bus {
        self.core.bus()
    }

    /// Runs `create` with the caller's view in one write transaction, once per `request_id`:
    /// a retry gets the recorded reply of the first call.
    async fn create_once<M, F>(
        &self,
        principal: Principal,
        method: &'static str,
        request_id: String,
        request: Vec<u8>,
        create: F,
    ) -> Result<M, Status>
    where
        M: Message + Default + Send + 'static,
        F: FnOnce(&mut DbConnection, &Viewer) -> crate::Result<M> + Send + 'static,
    {
        let create = move |conn: &mut DbConnection, viewer: &Viewer| create(conn, viewer).map(|reply| (reply, ()));
        Ok(self.write_once(principal, method, Some(request_id), request, create).await?.0)
    }

    /// Runs `work` with the caller's view in one write transaction, once per `request_id` when
    /// one is given: the claim, the work and the recorded reply commit together, so a retry
    /// (racing the first call, or after a crash) gets the first reply and no `T`. `T` is what
    /// the caller does after the commit (the visits to publish).
    async fn write_once<M, T, F>(
        &self,
        principal: Principal,
        method: &'static str,
        request_id: Option<String>,
        request: Vec<u8>,
        work: F,
    ) -> Result<(M, Option<T>), Status>
    where
        M: Message + Default + Send + 'static,
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Viewer) -> crate::Result<(M, T)> + Send + 'static,
    {
        let reply = self.core.write(principal, move |conn, viewer| {
            let mut after = None;
            let run = |conn: &mut DbConnection| {
                let (reply, then) = work(conn, viewer)?;
                after = Some(then);
                Ok::<_, crate::Error>(reply)
            };
            let reply = match &request_id {
                None => run(conn)?,
                Some(request_id) => {
                    let key = Key { principal: &viewer.principal.account_id, method, request_id };
                    mediation_api::idempotent::once(conn, key, &request, run)?
                }
            };
            Ok((reply, after))
        });
        Ok(reply.await?)
    }
}

impl Dispatch {
    /// For calls whose work spans transactions (a plan is solved between its read and its
    /// write), made safe to retry by an optional
    /// `request_id`: a retry of a call whose answer was recorded gets it back without running
    /// again; otherwise `run` runs and its answer is recorded for the next retry (when a
    /// concurrent retry recorded first, both get that answer). Empty `request_id`: just `run`.
    async fn run_maybe_once<M, Fut>(
        &self,
        principal: Principal,
        method: &'static str,
        request_id: Option<String>,
        request: Vec<u8>,
        run: impl FnOnce() -> Fut,
    ) -> Result<M, Status>
    where
        M: Message + Default + Send + 'static,
        Fut: std::future::Future<Output = Result<M, Status>>,
    {
        let Some(request_id) = request_id else { return run().await };
        let (id, bytes) = (request_id.clone(), request.clone());
        let recorded = self
            .core
            .read(principal.clone(), move |conn, viewer| {
                let key = Key { principal: &viewer.principal.account_id, method, request_id: &id };
                Ok(mediation_api::idempotent::recorded::<M>(conn, key, &bytes)?)
            })
            .await?;
        if let Some(reply) = recorded {
            return Ok(reply);
        }
        let reply = run().await?;
        let reply = self.core.write(principal, move |conn, viewer| {
            let key = Key { principal: &viewer.principal.account_id, method, request_id: &request_id };
            mediation_api::idempotent::once(conn, key, &request, |_| Ok(reply))
        });
        Ok(reply.await?)
    }
}

/// The optional `request_id` of a call that may be retried (none when empty) and the encoded
/// request its replay is bound to.
fn retry_of(request_id: &str, request: &impl Message) -> Result<(Option<String>, Vec<u8>), Status> {
    let mut v = Violations::new();
    let id = v.optional_request_id(request_id);
    v.finish(|| id).map(|id| (id, request.encode_to_vec()))
}

/// A request whose one field is an id.
fn id_of(field: &str, value: &str) -> Result<String, Status> {
    let mut v = Violations::new();
    let id = v.id(field, value);
    v.finish(|| id)
}

#[tonic::async_trait]
impl DispatchService for Dispatch {
    async fn request_home_visit(
        &self,
        request: Request<pb::RequestHomeVisitRequest>,
    ) -> Result<Response<pb::HomeVisit>, Status> {
        let principal = caller(&request)?;
        let (req, account) = (request.into_inner(), principal.account_id.clone());
        let encoded = req.encode_to_vec();
        let visits::RequestVisit { request_id, visit } = req.try_into()?;
        let limits = self.core.settings().resident_limits;
        let reply = self
            .create_once(principal, REQUEST_VISIT, request_id, encoded, move |conn, viewer| {
                let visit = service::request_visit(conn, viewer, visit, limits, Utc::now())?;
                Ok(visits::to_proto(service::ShownVisit::entered(conn, visit)?))
            })
            .await?;
        self.core.visit_requested(&reply.id, account).await;
        Ok(Response::new(reply))
    }

    async fn cancel_home_visit(
        &self,
        request: Request<pb::CancelHomeVisitRequest>,
    ) -> Result<Response<pb::HomeVisit>, Status> {
        let principal = caller(&request)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let visits::CancelVisit { visit_id, reason } = request.into_inner().try_into()?;
        let shown = self.core.cancel_visit(principal, actor, visit_id, reason).await?;
        Ok(Response::new(visits::to_proto(shown)))
    }

    async fn get_home_visit(
        &self,
        request: Request<pb::GetHomeVisitRequest>,
    ) -> Result<Response<pb::HomeVisit>, Status> {
        let principal = caller(&request)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let id = id_of("id", &request.get_ref().id)?;
        let shown = self.core.get_visit(principal, actor, id).await?;
        Ok(Response::new(visits::to_proto(shown)))
    }

    async fn list_home_visits(
        &self,
        request: Request<pb::ListHomeVisitsRequest>,
    ) -> Result<Response<pb::ListHomeVisitsResponse>, Status> {
        let principal = caller(&request)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let visits::ListVisits { filter, page } = (request.into_inner(), &principal).try_into()?;
        let (items, next_page_token) = self.core.list_visits(principal, actor, filter, page).await?;
        let home_visits = items.into_iter().map(visits::to_proto).collect();
        Ok(Response::new(pb::ListHomeVisitsResponse { home_visits, next_page_token }))
    }

    async fn register_van(&self, request: Request<pb::RegisterVanRequest>) -> Result<Response<pb::Van>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let encoded = req.encode_to_vec();
        let vans::RegisterVan { request_id, van } = req.try_into()?;
        let reply = self
            .create_once(principal, REGISTER_VAN, request_id, encoded, move |conn, viewer| {
                service::register_van(conn, viewer, van, Utc::now()).map(vans::to_proto)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn update_van(&self, request: Request<pb::UpdateVanRequest>) -> Result<Response<pb::Van>, Status> {
        let principal = caller(&request)?;
        let vans::UpdateVan { id, patch } = request.into_inner().try_into()?;
        let van = self.core.update_van(principal, id, patch).await?;
        Ok(Response::new(vans::to_proto(van)))
    }

    async fn set_van_status(&self, request: Request<pb::SetVanStatusRequest>) -> Result<Response<pb::Van>, Status> {
        let principal = caller(&request)?;
        let vans::SetVanStatus { id, status } = request.into_inner().try_into()?;
        let van = self.core.set_van_status(principal, id, status).await?;
        Ok(Response::new(vans::to_proto(van)))
    }

    async fn list_vans(&self, request: Request<pb::ListVansRequest>) -> Result<Response<pb::ListVansResponse>, Status> {
        let principal = caller(&request)?;
        let vans::ListVans { depot, page } = request.into_inner().try_into()?;
        let (items, next_page_token) = self.core.list_vans(principal, depot, page).await?;
        Ok(Response::new(pb::ListVansResponse {
            vans: items.into_iter().map(vans::to_proto).collect(),
            next_page_token,
        }))
    }

    async fn set_van_shift(&self, request: Request<pb::SetVanShiftRequest>) -> Result<Response<pb::Shift>, Status> {
        let principal = caller(&request)?;
        let shift = Shift::try_from(request.into_inner())?;
        let shift = self.core.set_shift(principal, shift).await?;
        Ok(Response::new(vans::shift_to_proto(shift)))
    }

    async fn list_shifts(
        &self,
        request: Request<pb::ListShiftsRequest>,
    ) -> Result<Response<pb::ListShiftsResponse>, Status> {
        let principal = caller(&request)?;
        let vans::ListShifts { van_id, from, to } = request.into_inner().try_into()?;
        let shifts = self.core.list_shifts(principal, van_id, from, to).await?;
        Ok(Response::new(pb::ListShiftsResponse { shifts: shifts.into_iter().map(vans::shift_to_proto).collect() }))
    }

    async fn propose_plan(&self, request: Request<pb::ProposePlanRequest>) -> Result<Response<pb::Plan>, Status> {
        let principal = caller(&request)?;
        let (request_id, encoded) = retry_of(&request.get_ref().request_id, request.get_ref())?;
        let plans::ProposePlan { station_id, day, time_limit } = request.into_inner().try_into()?;
        let propose = || async {
            let plan = self.core.propose_plan(principal.clone(), station_id, day, time_limit).await?;
            Ok(plans::to_proto(plan))
        };
        let reply = self.run_maybe_once(principal.clone(), PROPOSE_PLAN, request_id, encoded, propose).await?;
        Ok(Response::new(reply))
    }

    async fn commit_plan(&self, request: Request<pb::CommitPlanRequest>) -> Result<Response<pb::Plan>, Status> {
        let principal = caller(&request)?;
        let id = id_of("plan_id", &request.get_ref().plan_id)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let plan = self.core.commit_plan(principal, actor, id).await?;
        Ok(Response::new(plans::to_proto(plan)))
    }

    async fn get_plan(&self, request: Request<pb::GetPlanRequest>) -> Result<Response<pb::Plan>, Status> {
        let principal = caller(&request)?;
        let id = id_of("plan_id", &request.get_ref().plan_id)?;
        let plan = self.core.get_plan(principal, id).await?;
        Ok(Response::new(plans::to_proto(plan)))
    }

    async fn assign_visit(&self, request: Request<pb::AssignVisitRequest>) -> Result<Response<pb::HomeVisit>, Status> {
        let principal = caller(&request)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let plans::AssignVisit { visit_id, van_id, position } = request.into_inner().try_into()?;
        let visit = self.core.assign_visit(principal, actor, visit_id, van_id, position).await?;
        Ok(Response::new(visits::to_proto(visit)))
    }

    async fn report_position(
        &self,
        request: Request<pb::ReportPositionRequest>,
    ) -> Result<Response<pb::ReportPositionResponse>, Status> {
        let principal = caller(&request)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let live::ReportPosition { van_id, at } = request.into_inner().try_into()?;
        // The crew sees the addresses of its own van's visits, each read audited.
        let ahead = self.core.report_position(principal, actor, van_id, at).await?;
        let home_visits = ahead.into_iter().map(visits::to_proto).collect();
        Ok(Response::new(pb::ReportPositionResponse { home_visits }))
    }

    async fn update_visit_status(
        &self,
        request: Request<pb::UpdateVisitStatusRequest>,
    ) -> Result<Response<pb::HomeVisit>, Status> {
        let principal = caller(&request)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let (request_id, encoded) = retry_of(&request.get_ref().request_id, request.get_ref())?;
        let live::UpdateStatus { visit_id, change } = request.into_inner().try_into()?;
        let settings = self.core.settings().clone();
        let update = move |conn: &mut DbConnection, viewer: &Viewer| {
            let (visit, full) = service::update_status(conn, viewer, &settings, &visit_id, change, Utc::now())?;
            let shown = service::disclose_in(conn, &actor, viewer, visit, full, "UpdateVisitStatus")?;
            let changed = shown.visit().clone();
            Ok((visits::to_proto(shown), changed))
        };
        let (reply, changed) = self.write_once(principal, UPDATE_VISIT_STATUS, request_id, encoded, update).await?;
        self.core.publish_visits(changed);
        Ok(Response::new(reply))
    }

    async fn suggest_visit_windows(
        &self,
        request: Request<pb::SuggestVisitWindowsRequest>,
    ) -> Result<Response<pb::SuggestVisitWindowsResponse>, Status> {
        let principal = caller(&request)?;
        let query = request.into_inner().try_into()?;
        let windows = self.core.suggest_windows(principal, query).await?;
        Ok(Response::new(pb::SuggestVisitWindowsResponse {
            windows: windows.into_iter().map(visits::window_to_proto).collect(),
        }))
    }

    async fn get_visit_by_tracking_token(
        &self,
        request: Request<pb::GetVisitByTrackingTokenRequest>,
    ) -> Result<Response<pb::VisitUpdate>, Status> {
        let token = live::tracking_token(request.into_inner())?;
        let update = self.core.visit_by_tracking_token(token).await?;
        Ok(Response::new(live::update_to_proto(update)))
    }

    type WatchVisitStream = UpdateStream<pb::VisitUpdate>;

    async fn watch_visit(
        &self,
        request: Request<pb::WatchVisitRequest>,
    ) -> Result<Response<Self::WatchVisitStream>, Status> {
        let principal = caller(&request)?;
        let token = live::token_life(&request, &principal);
        let id = id_of("visit_id", &request.get_ref().visit_id)?;
        let updates = self.core.watch_visit(principal, token, id).await?;
        Ok(Response::new(Box::pin(updates.map(|update| update.map(live::update_to_proto).map_err(Status::from)))))
    }

    type WatchBoardStream = UpdateStream<pb::BoardEvent>;

    async fn watch_board(
        &self,
        request: Request<pb::WatchBoardRequest>,
    ) -> Result<Response<Self::WatchBoardStream>, Status> {
        let principal = caller(&request)?;
        let token = live::token_life(&request, &principal);
        let actor = Actor::new(&principal, request.remote_addr());
        let live::WatchBoard { station_id, day } = request.into_inner().try_into()?;
        let (zone, updates) = self.core.watch_board(principal, token, actor, station_id, day).await?;
        let updates = updates.map(move |update| update.map(|u| live::board_to_proto(u, zone)).map_err(Status::from));
        Ok(Response::new(Box::pin(updates)))
    }
}
