//! The gRPC face of the directory: each handler parses its request into plain values (the
//! `TryFrom` parsers in the resource files name every bad field), runs one flow of
//! [`crate::service`] in one transaction, and encodes the answer. Creates are idempotent by
//! `request_id`: the first response is recorded and replayed to retries.

mod error;
mod mediators;
mod rooms;
mod search;
mod sites;
mod specialties;

pub use mediators::{mode_from, mode_to, to_proto as mediator_to_proto};

use std::sync::Arc;

use mediation_api::directory::v1 as pb;
use mediation_api::directory::v1::directory_service_server::{DirectoryService, DirectoryServiceServer};
use mediation_api::idempotent::once;
use mediation_api::{Violations, caller, paging};
use mediation_store::Db;
use mediation_store::idempotency::Key;
use prost::Message;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::{Request, Response, Status};

use crate::index::{IndexCache, RatingLookup};
use crate::service;

const CREATE_SITE: &str = "/mediation.directory.v1.DirectoryService/CreateSite";
const CREATE_ROOM: &str = "/mediation.directory.v1.DirectoryService/CreateRoom";
const CREATE_MEDIATOR: &str = "/mediation.directory.v1.DirectoryService/CreateMediator";

/// The directory service over one database.
#[derive(Clone)]
pub struct Directory {
    db: Db,
    search_index: Arc<IndexCache>,
    /// The specialities, read once (see `service::taxonomy`).
    taxonomy: Arc<tokio::sync::OnceCell<Vec<service::Specialty>>>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory").field("db", &self.db).finish_non_exhaustive()
    }
}

impl Directory {
    pub fn new(db: Db, ratings: RatingLookup) -> Self {
        Self { db, search_index: Arc::new(IndexCache::new(ratings)), taxonomy: Arc::default() }
    }

    pub fn into_server(self) -> DirectoryServiceServer<Directory> {
        DirectoryServiceServer::new(self)
    }
}

/// An AIP-158 page request, parsed: its size, the keyset position it continues after, and the
/// fingerprint of the query that its token, and the next page's, is bound to.
pub struct Page<C> {
    pub size: usize,
    pub after: Option<C>,
    query: String,
}

impl<C: Serialize + DeserializeOwned> Page<C> {
    /// `size` defaults and caps at `(default, max)`; the token must come from `query`.
    fn parse(
        v: &mut Violations,
        size: i32,
        token: &str,
        (default, max): (usize, usize),
        query: String,
    ) -> Option<Self> {
        let size = v.page_size(size, default, max);
        let after = v.check("page_token", paging::decode_token::<C>(token, &query));
        Some(Page { size: size?, after: after?, query })
    }

    /// One more than the page holds, so that a fuller fetch tells whether another page follows.
    fn limit(&self) -> usize {
        self.size + 1
    }

    /// The page cut from a fetch of [`Page::limit`] items, and the next page's token.
    fn split<T>(&self, items: Vec<T>, cursor: impl Fn(&T) -> C) -> (Vec<T>, String) {
        paging::split_page(items, self.size, &self.query, cursor)
    }

    /// The token of the page after `last`.
    fn token(&self, last: &C) -> String {
        paging::encode_token(&self.query, last)
    }
}

/// A required id that is the whole request.
fn id(field: &str, value: &str) -> Result<String, Status> {
    let mut v = Violations::new();
    let id = v.id(field, value);
    v.finish(|| id)
}

/// A required field with presence that is checked alone.
fn present<T>(field: &str, value: Option<T>) -> Result<T, Status> {
    let mut v = Violations::new();
    let value = v.present(field, value);
    v.finish(|| value)
}

#[tonic::async_trait]
impl DirectoryService for Directory {
    async fn list_sites(
        &self,
        request: Request<pb::ListSitesRequest>,
    ) -> Result<Response<pb::ListSitesResponse>, Status> {
        let sites::ListSites { parent_id, kind, page } = request.into_inner().try_into()?;
        let (after, limit) = (page.after.clone(), page.limit());
        let found = self
            .db
            .read(move |conn| service::list_sites(conn, parent_id.as_deref(), kind, after.as_deref(), limit))
            .await?;
        Ok(Response::new(sites::list_to_proto(found, &page)))
    }

    async fn get_site(&self, request: Request<pb::GetSiteRequest>) -> Result<Response<pb::Site>, Status> {
        // Public, but the site's own admins also see its police desk.
        let principal = request.extensions().get::<mediation_auth::Principal>().cloned();
        let id = id("id", &request.get_ref().id)?;
        let (site, desk) = self.db.read(move |conn| service::site_as_seen_by(conn, principal.as_ref(), &id)).await?;
        Ok(Response::new(sites::to_proto_with_desk(site, desk)))
    }

    async fn create_site(&self, request: Request<pb::CreateSiteRequest>) -> Result<Response<pb::Site>, Status> {
        let principal = caller(&request)?;
        let encoded = request.get_ref().encode_to_vec();
        let sites::CreateSite { request_id, site, police_desk } = request.into_inner().try_into()?;
        let reply = self
            .db
            .write(move |conn| {
                let key = Key { principal: &principal.account_id, method: CREATE_SITE, request_id: &request_id };
                once(conn, key, &encoded, |conn| {
                    let (site, desk) = service::create_site_with_desk(conn, &principal, site, police_desk)?;
                    Ok::<_, crate::error::Error>(sites::to_proto_with_desk(site, Some(desk)))
                })
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn update_site(&self, request: Request<pb::UpdateSiteRequest>) -> Result<Response<pb::Site>, Status> {
        let principal = caller(&request)?;
        let sites::UpdateSite { id, patch } = request.into_inner().try_into()?;
        let (site, desk) = self.db.write(move |conn| service::update_site(conn, &principal, &id, patch)).await?;
        Ok(Response::new(sites::to_proto_with_desk(site, Some(desk))))
    }

    async fn list_rooms(
        &self,
        request: Request<pb::ListRoomsRequest>,
    ) -> Result<Response<pb::ListRoomsResponse>, Status> {
        let rooms::ListRooms { site_id, page } = request.into_inner().try_into()?;
        let (after, limit) = (page.after.clone(), page.limit());
        let found = self.db.read(move |conn| service::list_rooms(conn, &site_id, after.as_deref(), limit)).await?;
        Ok(Response::new(rooms::list_to_proto(found, &page)))
    }

    async fn create_room(&self, request: Request<pb::CreateRoomRequest>) -> Result<Response<pb::Room>, Status> {
        let principal = caller(&request)?;
        let encoded = request.get_ref().encode_to_vec();
        let rooms::CreateRoom { request_id, room } = request.into_inner().try_into()?;
        let reply = self
            .db
            .write(move |conn| {
                let key = Key { principal: &principal.account_id, method: CREATE_ROOM, request_id: &request_id };
                once(conn, key, &encoded, |conn| service::create_room(conn, &principal, room).map(rooms::to_proto))
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn update_room(&self, request: Request<pb::UpdateRoomRequest>) -> Result<Response<pb::Room>, Status> {
        let principal = caller(&request)?;
        let rooms::UpdateRoom { id, patch } = request.into_inner().try_into()?;
        let room = self.db.write(move |conn| service::update_room(conn, &principal, &id, patch)).await?;
        Ok(Response::new(rooms::to_proto(room)))
    }

    async fn list_specialties(
        &self,
        _request: Request<pb::ListSpecialtiesRequest>,
    ) -> Result<Response<pb::ListSpecialtiesResponse>, Status> {
        let taxonomy = service::taxonomy(&self.db, &self.taxonomy).await?;
        Ok(Response::new(specialties::list_to_proto(taxonomy)))
    }

    async fn search_mediators(
        &self,
        request: Request<pb::SearchMediatorsRequest>,
    ) -> Result<Response<pb::SearchMediatorsResponse>, Status> {
        let search::SearchMediators { filter, page } = request.into_inner().try_into()?;
        let index = &self.search_index;
        let found = service::search_mediators(&self.db, index, &filter, page.after.as_ref(), page.size).await?;
        Ok(Response::new(search::to_proto(found, &page)))
    }

    async fn get_mediator(&self, request: Request<pb::GetMediatorRequest>) -> Result<Response<pb::Mediator>, Status> {
        let id = id("id", &request.get_ref().id)?;
        let mediator = self.db.read(move |conn| service::mediator(conn, &id)).await?;
        Ok(Response::new(mediators::to_proto(mediator)))
    }

    async fn create_mediator(
        &self,
        request: Request<pb::CreateMediatorRequest>,
    ) -> Result<Response<pb::Mediator>, Status> {
        let principal = caller(&request)?;
        let encoded = request.get_ref().encode_to_vec();
        let mediators::CreateMediator { request_id, mediator } = request.into_inner().try_into()?;
        let reply = self
            .db
            .write(move |conn| {
                let key = Key { principal: &principal.account_id, method: CREATE_MEDIATOR, request_id: &request_id };
                once(conn, key, &encoded, |conn| {
                    service::create_mediator(conn, &principal, mediator).map(mediators::to_proto)
                })
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn update_mediator(
        &self,
        request: Request<pb::UpdateMediatorRequest>,
    ) -> Result<Response<pb::Mediator>, Status> {
        let principal = caller(&request)?;
        let mediators::UpdateMediator { id, patch } = request.into_inner().try_into()?;
        let mediator = self.db.write(move |conn| service::update_mediator(conn, &principal, &id, patch)).await?;
        Ok(Response::new(mediators::to_proto(mediator)))
    }

    async fn set_mediator_active(
        &self,
        request: Request<pb::SetMediatorActiveRequest>,
    ) -> Result<Response<pb::Mediator>, Status> {
        let principal = caller(&request)?;
        let (id, active) = (id("id", &request.get_ref().id)?, present("active", request.get_ref().active)?);
        let mediator = self.db.write(move |conn| service::set_mediator_active(conn, &principal, &id, active)).await?;
        Ok(Response::new(mediators::to_proto(mediator)))
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt;

    use super::*;

    /// The fields an INVALID_ARGUMENT names, in order.
    pub(super) fn fields(status: Status) -> Vec<String> {
        let details = status.get_error_details();
        details.bad_request().unwrap().field_violations.iter().map(|f| f.field.clone()).collect()
    }

    #[test]
    fn a_create_names_every_bad_field() {
        let request = pb::CreateMediatorRequest {
            request_id: "retry-1".into(),
            mediator: Some(pb::Mediator { level: 9, languages: vec!["!".into()], ..Default::default() }),
        };
        let Err(status) = mediators::CreateMediator::try_from(request) else { panic!("parsed") };
        assert_eq!(
            fields(status),
            [
                "request_id",
                "mediator.display_name",
                "mediator.kind",
                "mediator.level",
                "mediator.languages",
                "mediator.modes",
                "mediator.home_site_id",
                "mediator.account_id",
            ]
        );
    }

    #[test]
    fn an_update_takes_only_the_masked_fields() {
        let site = pb::Site { id: "s1".into(), name: " 中河 ".into(), address: "\u{0}".into(), ..Default::default() };
        let mask = prost_types::FieldMask { paths: vec!["name".into()] };
        let request = pb::UpdateSiteRequest { site: Some(site.clone()), update_mask: Some(mask) };
        let update = sites::UpdateSite::try_from(request).unwrap();
        assert_eq!((update.id.as_str(), update.patch.name.as_deref()), ("s1", Some("中河")));
        assert!(update.patch.address.is_none() && update.patch.time_zone.is_none());

        let mask = prost_types::FieldMask { paths: vec!["address".into(), "kind".into()] };
        let request = pb::UpdateSiteRequest { site: Some(site), update_mask: Some(mask) };
        let Err(status) = sites::UpdateSite::try_from(request) else { panic!("parsed") };
        assert_eq!(fields(status), ["update_mask", "site.address"]);
    }

    #[test]
    fn a_page_token_is_bound_to_its_query() {
        let first = pb::ListSitesRequest { parent_id: "c1".into(), page_size: 2, ..Default::default() };
        let page = sites::ListSites::try_from(first.clone()).unwrap().page;
        let (_, token) = page.split(vec!["a".to_owned(), "b".into(), "c".into()], Clone::clone);
        let next = sites::ListSites::try_from(pb::ListSitesRequest { page_token: token.clone(), ..first }).unwrap();
        assert_eq!(next.page.after.as_deref(), Some("b"));
        let other = pb::ListSitesRequest { parent_id: "c2".into(), page_token: token, kind: 9, ..Default::default() };
        let Err(status) = sites::ListSites::try_from(other) else { panic!("parsed") };
        assert_eq!(fields(status), ["kind", "page_token"]);
    }
}
