//! The gRPC face of the directory: parse and validate (errors name the field), run the flow in
//! one transaction, encode. Creates are idempotent by `request_id`.

use mediation_api::directory::v1 as pb;
use mediation_api::directory::v1::directory_service_server::{DirectoryService, DirectoryServiceServer};
use mediation_api::google::r#type::LatLng as PbLatLng;
use mediation_api::paging;
use mediation_api::status::Violations;
use mediation_auth::{Principal, caller};
use mediation_store::Db;
use mediation_store::idempotency::{self, Key};
use tonic::{Request, Response, Status};

use std::sync::Arc;

use crate::domain::search::{Cursor, Order, RatingBook, RatingSummary, SearchFilter};
use crate::domain::{
    LatLng, Mediator, MediatorKind, Mode, Room, RoomKind, Site, SiteKind, check_capacity, check_level, check_location,
    parse_languages, parse_text, parse_time_zone,
};
use crate::error::{Error, invalid};
use crate::index::IndexCache;
use crate::service::{self, MediatorPatch, RoomPatch, SitePatch};

const CREATE_SITE: &str = "/mediation.directory.v1.DirectoryService/CreateSite";
const CREATE_ROOM: &str = "/mediation.directory.v1.DirectoryService/CreateRoom";
const CREATE_MEDIATOR: &str = "/mediation.directory.v1.DirectoryService/CreateMediator";
const NAME_CHARS: usize = 100;
const ADDRESS_CHARS: usize = 200;
const BIO_CHARS: usize = 2000;
const QUERY_CHARS: usize = 100;

/// Reads every mediator's rating summary; the gateway wires in the rating service's, since
/// that service depends on this one.
pub type RatingLookup =
    Arc<dyn Fn(&mut mediation_store::DbConnection) -> Result<RatingBook, diesel::result::Error> + Send + Sync>;

/// The directory service over one database.
#[derive(Clone)]
pub struct Directory {
    db: Db,
    ratings: RatingLookup,
    search_index: Arc<IndexCache>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory").field("db", &self.db).finish_non_exhaustive()
    }
}

impl Directory {
    pub fn new(db: Db, ratings: RatingLookup) -> Self {
        Self { db, ratings, search_index: Arc::default() }
    }

    pub fn into_server(self) -> DirectoryServiceServer<Directory> {
        DirectoryServiceServer::new(self)
    }

    /// Runs `create` once per `(caller, method, request_id)` in one write transaction.
    async fn create_once<M, F>(
        &self,
        principal: Principal,
        method: &'static str,
        request_id: String,
        request: impl prost::Message + 'static,
        create: F,
    ) -> Result<M, Status>
    where
        M: prost::Message + Default + 'static,
        F: FnOnce(&mut mediation_store::DbConnection, &Principal) -> Result<M, Error> + Send + 'static,
    {
        let request = request.encode_to_vec();
        Ok(self
            .db
            .write(move |conn| {
                let key = Key { principal: &principal.account_id, method, request_id: &request_id };
                idempotency::once(conn, key, &request, |conn| create(conn, &principal))
            })
            .await?)
    }
}

// ---- conversions between the wire and the rules ----

fn site_kind_from(value: i32) -> Option<SiteKind> {
    match pb::SiteKind::try_from(value).ok()? {
        pb::SiteKind::Centre => Some(SiteKind::Centre),
        pb::SiteKind::Station => Some(SiteKind::Station),
        pb::SiteKind::Kiosk => Some(SiteKind::Kiosk),
        pb::SiteKind::Unspecified => None,
    }
}

fn site_kind_to(kind: SiteKind) -> pb::SiteKind {
    match kind {
        SiteKind::Centre => pb::SiteKind::Centre,
        SiteKind::Station => pb::SiteKind::Station,
        SiteKind::Kiosk => pb::SiteKind::Kiosk,
    }
}

fn room_kind_from(value: i32) -> Option<RoomKind> {
    match pb::RoomKind::try_from(value).ok()? {
        pb::RoomKind::Mediation => Some(RoomKind::Mediation),
        pb::RoomKind::Triage => Some(RoomKind::Triage),
        pb::RoomKind::Video => Some(RoomKind::Video),
        pb::RoomKind::Advisory => Some(RoomKind::Advisory),
        pb::RoomKind::Unspecified => None,
    }
}

fn room_kind_to(kind: RoomKind) -> pb::RoomKind {
    match kind {
        RoomKind::Mediation => pb::RoomKind::Mediation,
        RoomKind::Triage => pb::RoomKind::Triage,
        RoomKind::Video => pb::RoomKind::Video,
        RoomKind::Advisory => pb::RoomKind::Advisory,
    }
}

fn mediator_kind_from(value: i32) -> Option<MediatorKind> {
    match pb::MediatorKind::try_from(value).ok()? {
        pb::MediatorKind::StationMediator => Some(MediatorKind::StationMediator),
        pb::MediatorKind::ThinkTankExpert => Some(MediatorKind::ThinkTankExpert),
        pb::MediatorKind::PoliceLiaison => Some(MediatorKind::PoliceLiaison),
        pb::MediatorKind::PartnerMediator => Some(MediatorKind::PartnerMediator),
        pb::MediatorKind::Unspecified => None,
    }
}

fn mediator_kind_to(kind: MediatorKind) -> pb::MediatorKind {
    match kind {
        MediatorKind::StationMediator => pb::MediatorKind::StationMediator,
        MediatorKind::ThinkTankExpert => pb::MediatorKind::ThinkTankExpert,
        MediatorKind::PoliceLiaison => pb::MediatorKind::PoliceLiaison,
        MediatorKind::PartnerMediator => pb::MediatorKind::PartnerMediator,
    }
}

pub fn mode_from(value: i32) -> Option<Mode> {
    match pb::MediationMode::try_from(value).ok()? {
        pb::MediationMode::InPerson => Some(Mode::InPerson),
        pb::MediationMode::Video => Some(Mode::Video),
        pb::MediationMode::HomeVisit => Some(Mode::HomeVisit),
        pb::MediationMode::Unspecified => None,
    }
}

pub fn mode_to(mode: Mode) -> pb::MediationMode {
    match mode {
        Mode::InPerson => pb::MediationMode::InPerson,
        Mode::Video => pb::MediationMode::Video,
        Mode::HomeVisit => pb::MediationMode::HomeVisit,
    }
}

fn site_to_proto(site: Site) -> pb::Site {
    pb::Site {
        id: site.id,
        name: site.name,
        kind: site_kind_to(site.kind).into(),
        parent_id: site.parent_id.unwrap_or_default(),
        time_zone: site.time_zone,
        address: site.address,
        location: site.location.map(|l| PbLatLng { latitude: l.latitude, longitude: l.longitude }),
    }
}

fn room_to_proto(room: Room) -> pb::Room {
    pb::Room {
        id: room.id,
        site_id: room.site_id,
        name: room.name,
        kind: room_kind_to(room.kind).into(),
        capacity: room.capacity,
    }
}

pub fn mediator_to_proto(m: Mediator) -> pb::Mediator {
    pb::Mediator {
        id: m.id,
        display_name: m.display_name,
        kind: mediator_kind_to(m.kind).into(),
        level: m.level,
        specialty_codes: m.specialty_codes,
        languages: m.languages,
        modes: m.modes.into_iter().map(|mode| mode_to(mode).into()).collect(),
        home_site_id: m.home_site_id,
        account_id: m.account_id,
        bio: m.bio,
        active: m.active,
    }
}

fn rating_to_proto(r: RatingSummary) -> pb::RatingSummary {
    pb::RatingSummary { count: r.count as i32, mean: r.mean, bayesian_mean: r.bayesian_mean }
}

fn location(v: &mut Violations, field: &str, value: Option<PbLatLng>) -> Option<Option<LatLng>> {
    match value {
        None => Some(None),
        Some(l) => v.check(field, check_location(LatLng { latitude: l.latitude, longitude: l.longitude })).map(Some),
    }
}

fn modes(v: &mut Violations, field: &str, values: &[i32]) -> Option<Vec<Mode>> {
    let mut out = Vec::new();
    for value in values {
        match mode_from(*value) {
            Some(mode) => out.push(mode),
            None => {
                v.add(field, "each mode must be IN_PERSON, VIDEO or HOME_VISIT");
                return None;
            }
        }
    }
    out.sort();
    out.dedup();
    if out.is_empty() {
        v.add(field, "at least one mode is required");
        return None;
    }
    Some(out)
}

fn specialty_codes(v: &mut Violations, field: &str, values: &[String]) -> Option<Vec<String>> {
    let mut out: Vec<String> = values.iter().map(|c| c.trim().to_owned()).collect();
    if out.iter().any(|c| c.is_empty() || c.len() > 64) {
        v.add(field, "codes must be 1 to 64 characters");
        return None;
    }
    out.sort();
    out.dedup();
    Some(out)
}

/// The paths of `mask`, each one of `allowed`; an empty or unknown path names `update_mask`.
fn mask_paths(v: &mut Violations, mask: Option<prost_types::FieldMask>, allowed: &[&str]) -> Vec<String> {
    let paths = mask.map(|m| m.paths).unwrap_or_default();
    if paths.is_empty() {
        v.add("update_mask", format!("name at least one of: {}", allowed.join(", ")));
    }
    for path in &paths {
        if !allowed.contains(&path.as_str()) {
            v.add("update_mask", format!("unknown path {path:?}; allowed: {}", allowed.join(", ")));
        }
    }
    paths
}

fn page_size(v: &mut Violations, requested: i32, default: usize, max: usize) -> Option<usize> {
    v.check("page_size", paging::page_size(requested, default, max))
}

#[tonic::async_trait]
impl DirectoryService for Directory {
    async fn list_sites(
        &self,
        request: Request<pb::ListSitesRequest>,
    ) -> Result<Response<pb::ListSitesResponse>, Status> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let parent = v.optional_id("parent_id", &req.parent_id);
        let kind = (req.kind != 0).then(|| site_kind_from(req.kind));
        if kind == Some(None) {
            v.add("kind", "must be CENTRE, STATION or KIOSK");
        }
        let size = page_size(&mut v, req.page_size, 50, 500);
        let query = paging::fingerprint(&("sites", &req.parent_id, req.kind));
        let after = v.check("page_token", paging::decode_token::<String>(&req.page_token, &query));
        let (parent, size, after) = v.finish(|| Some((parent?, size?, after?)))?;
        let kind = kind.flatten().map(SiteKind::as_str);
        let sites = self
            .db
            .read::<_, Error, _>(move |conn| {
                Ok(crate::repo::list_sites(conn, parent.as_deref(), kind, after.as_deref(), size as i64 + 1)?)
            })
            .await?;
        let (sites, next_page_token) = paging::split_page(sites, size, &query, |s| s.id.clone());
        Ok(Response::new(pb::ListSitesResponse {
            sites: sites.into_iter().map(site_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn get_site(&self, request: Request<pb::GetSiteRequest>) -> Result<Response<pb::Site>, Status> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let id = v.id("id", &req.id);
        let id = v.finish(|| id)?;
        let site = self
            .db
            .read::<_, Error, _>(move |conn| crate::repo::site(conn, &id)?.ok_or(Error::NotFound("site")))
            .await?;
        Ok(Response::new(site_to_proto(site)))
    }

    async fn create_site(&self, request: Request<pb::CreateSiteRequest>) -> Result<Response<pb::Site>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let site = req.site.clone().unwrap_or_default();
        let mut v = Violations::new();
        let request_id = v.request_id(&req.request_id);
        let name = v.check("site.name", parse_text(&site.name, NAME_CHARS, true));
        let kind = site_kind_from(site.kind);
        if kind.is_none() {
            v.add("site.kind", "must be CENTRE, STATION or KIOSK");
        }
        let parent = v.optional_id("site.parent_id", &site.parent_id);
        let time_zone = v.check("site.time_zone", parse_time_zone(&site.time_zone));
        let address = v.check("site.address", parse_text(&site.address, ADDRESS_CHARS, false));
        let location = location(&mut v, "site.location", site.location);
        let (request_id, site) = v.finish(|| {
            let site = Site {
                id: uuid::Uuid::now_v7().to_string(),
                name: name?,
                kind: kind?,
                parent_id: parent?,
                time_zone: time_zone?,
                address: address?,
                location: location?,
            };
            Some((request_id?, site))
        })?;
        let reply = self
            .create_once(principal, CREATE_SITE, request_id, req, move |conn, principal| {
                service::create_site(conn, principal, site).map(site_to_proto)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn update_site(&self, request: Request<pb::UpdateSiteRequest>) -> Result<Response<pb::Site>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let site = req.site.unwrap_or_default();
        let mut v = Violations::new();
        let id = v.id("site.id", &site.id);
        let mut patch = SitePatch::default();
        for path in mask_paths(&mut v, req.update_mask, &["name", "address", "location", "time_zone"]) {
            match path.as_str() {
                "name" => patch.name = v.check("site.name", parse_text(&site.name, NAME_CHARS, true)),
                "address" => patch.address = v.check("site.address", parse_text(&site.address, ADDRESS_CHARS, false)),
                "location" => patch.location = location(&mut v, "site.location", site.location),
                "time_zone" => patch.time_zone = v.check("site.time_zone", parse_time_zone(&site.time_zone)),
                _ => {}
            }
        }
        let id = v.finish(|| id)?;
        let site = self.db.write::<_, Error, _>(move |conn| service::update_site(conn, &principal, &id, patch)).await?;
        Ok(Response::new(site_to_proto(site)))
    }

    async fn list_rooms(
        &self,
        request: Request<pb::ListRoomsRequest>,
    ) -> Result<Response<pb::ListRoomsResponse>, Status> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let site_id = v.id("site_id", &req.site_id);
        let size = page_size(&mut v, req.page_size, 50, 500);
        let query = paging::fingerprint(&("rooms", &req.site_id));
        let after = v.check("page_token", paging::decode_token::<String>(&req.page_token, &query));
        let (site_id, size, after) = v.finish(|| Some((site_id?, size?, after?)))?;
        let rooms = self
            .db
            .read::<_, Error, _>(move |conn| {
                Ok(crate::repo::list_rooms(conn, &site_id, after.as_deref(), size as i64 + 1)?)
            })
            .await?;
        let (rooms, next_page_token) = paging::split_page(rooms, size, &query, |r| r.id.clone());
        Ok(Response::new(pb::ListRoomsResponse {
            rooms: rooms.into_iter().map(room_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn create_room(&self, request: Request<pb::CreateRoomRequest>) -> Result<Response<pb::Room>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let room = req.room.clone().unwrap_or_default();
        let mut v = Violations::new();
        let request_id = v.request_id(&req.request_id);
        let site_id = v.id("room.site_id", &room.site_id);
        let name = v.check("room.name", parse_text(&room.name, NAME_CHARS, true));
        let kind = room_kind_from(room.kind);
        let capacity = match kind {
            None => {
                v.add("room.kind", "must be MEDIATION, TRIAGE, VIDEO or ADVISORY");
                None
            }
            Some(kind) => v.check("room.capacity", check_capacity(kind, room.capacity)),
        };
        let (request_id, room) = v.finish(|| {
            let room = Room {
                id: uuid::Uuid::now_v7().to_string(),
                site_id: site_id?,
                name: name?,
                kind: kind?,
                capacity: capacity?,
            };
            Some((request_id?, room))
        })?;
        let reply = self
            .create_once(principal, CREATE_ROOM, request_id, req, move |conn, principal| {
                service::create_room(conn, principal, room).map(room_to_proto)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn update_room(&self, request: Request<pb::UpdateRoomRequest>) -> Result<Response<pb::Room>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let room = req.room.unwrap_or_default();
        let mut v = Violations::new();
        let id = v.id("room.id", &room.id);
        let mut patch = RoomPatch::default();
        for path in mask_paths(&mut v, req.update_mask, &["name", "kind", "capacity"]) {
            match path.as_str() {
                "name" => patch.name = v.check("room.name", parse_text(&room.name, NAME_CHARS, true)),
                "kind" => {
                    patch.kind = room_kind_from(room.kind);
                    if patch.kind.is_none() {
                        v.add("room.kind", "must be MEDIATION, TRIAGE, VIDEO or ADVISORY");
                    }
                }
                "capacity" => patch.capacity = Some(room.capacity),
                _ => {}
            }
        }
        let id = v.finish(|| id)?;
        let room = self.db.write::<_, Error, _>(move |conn| service::update_room(conn, &principal, &id, patch)).await?;
        Ok(Response::new(room_to_proto(room)))
    }

    async fn list_specialties(
        &self,
        _request: Request<pb::ListSpecialtiesRequest>,
    ) -> Result<Response<pb::ListSpecialtiesResponse>, Status> {
        let rows = self.db.read::<_, Error, _>(|conn| Ok(crate::repo::specialties(conn)?)).await?;
        let specialties =
            rows.into_iter().map(|(code, name_zh, name_en)| pb::Specialty { code, name_zh, name_en }).collect();
        Ok(Response::new(pb::ListSpecialtiesResponse { specialties }))
    }

    async fn search_mediators(
        &self,
        request: Request<pb::SearchMediatorsRequest>,
    ) -> Result<Response<pb::SearchMediatorsResponse>, Status> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let codes = specialty_codes(&mut v, "specialty_codes", &req.specialty_codes);
        let site_id = v.optional_id("site_id", &req.site_id);
        let mode = (req.mode != 0).then(|| mode_from(req.mode));
        if mode == Some(None) {
            v.add("mode", "must be IN_PERSON, VIDEO or HOME_VISIT");
        }
        let language = if req.language.trim().is_empty() {
            Some(None)
        } else {
            v.check("language", parse_languages(std::slice::from_ref(&req.language))).map(|mut l| l.pop())
        };
        let query = v.check("query", parse_text(&req.query, QUERY_CHARS, false));
        if !(0.0..=5.0).contains(&req.min_rating) {
            v.add("min_rating", "must be 0 to 5");
        }
        let order = match pb::MediatorOrder::try_from(req.order_by) {
            Ok(pb::MediatorOrder::Unspecified | pb::MediatorOrder::Relevance) => Some(Order::Relevance),
            Ok(pb::MediatorOrder::Rating) => Some(Order::Rating),
            Ok(pb::MediatorOrder::Name) => Some(Order::Name),
            Err(_) => {
                v.add("order_by", "must be RELEVANCE, RATING or NAME");
                None
            }
        };
        let size = page_size(&mut v, req.page_size, 20, 100);
        let filter = (|| {
            Some(SearchFilter {
                specialty_codes: codes.clone()?,
                site_id: site_id.clone()?,
                include_child_sites: req.include_child_sites,
                mode: mode.flatten(),
                language: language.clone()?,
                terms: SearchFilter::terms_of(query.as_deref()?),
                min_rating: req.min_rating,
                order: order?,
            })
        })();
        let fingerprint = filter.as_ref().map(paging::fingerprint).unwrap_or_default();
        let after = v.check("page_token", paging::decode_token::<Cursor>(&req.page_token, &fingerprint));
        let (filter, size, after) = v.finish(|| Some((filter?, size?, after?)))?;
        let index = self.search_index.current(&self.db, &self.ratings).await?;
        if let Some(site_id) = &filter.site_id
            && !index.has_site(site_id)
        {
            return Err(invalid("site_id", "no such site").into());
        }
        let (hits, next) = index.search(&filter, after.as_ref(), size);
        Ok(Response::new(pb::SearchMediatorsResponse {
            hits: hits
                .into_iter()
                .map(|(m, rating)| pb::MediatorHit {
                    mediator: Some(mediator_to_proto(m.clone())),
                    rating: Some(rating_to_proto(rating)),
                })
                .collect(),
            next_page_token: next.map(|cursor| paging::encode_token(&fingerprint, &cursor)).unwrap_or_default(),
        }))
    }

    async fn get_mediator(&self, request: Request<pb::GetMediatorRequest>) -> Result<Response<pb::Mediator>, Status> {
        let req = request.into_inner();
        let mut v = Violations::new();
        let id = v.id("id", &req.id);
        let id = v.finish(|| id)?;
        let mediator = self
            .db
            .read::<_, Error, _>(move |conn| crate::repo::mediator(conn, &id)?.ok_or(Error::NotFound("mediator")))
            .await?;
        Ok(Response::new(mediator_to_proto(mediator)))
    }

    async fn create_mediator(
        &self,
        request: Request<pb::CreateMediatorRequest>,
    ) -> Result<Response<pb::Mediator>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let m = req.mediator.clone().unwrap_or_default();
        let mut v = Violations::new();
        let request_id = v.request_id(&req.request_id);
        let name = v.check("mediator.display_name", parse_text(&m.display_name, NAME_CHARS, true));
        let kind = mediator_kind_from(m.kind);
        if kind.is_none() {
            v.add("mediator.kind", "must be STATION_MEDIATOR, THINK_TANK_EXPERT, POLICE_LIAISON or PARTNER_MEDIATOR");
        }
        let level = v.check("mediator.level", check_level(m.level));
        let codes = specialty_codes(&mut v, "mediator.specialty_codes", &m.specialty_codes);
        let languages = v.check("mediator.languages", parse_languages(&m.languages));
        let modes = modes(&mut v, "mediator.modes", &m.modes);
        let home = v.id("mediator.home_site_id", &m.home_site_id);
        let account = v.id("mediator.account_id", &m.account_id);
        let bio = v.check("mediator.bio", parse_text(&m.bio, BIO_CHARS, false));
        let (request_id, mediator) = v.finish(|| {
            let mediator = Mediator {
                id: uuid::Uuid::now_v7().to_string(),
                account_id: account?,
                display_name: name?,
                kind: kind?,
                level: level?,
                specialty_codes: codes?,
                languages: languages?,
                modes: modes?,
                home_site_id: home?,
                bio: bio?,
                active: true,
            };
            Some((request_id?, mediator))
        })?;
        let reply = self
            .create_once(principal, CREATE_MEDIATOR, request_id, req, move |conn, principal| {
                service::create_mediator(conn, principal, mediator).map(mediator_to_proto)
            })
            .await?;
        Ok(Response::new(reply))
    }

    async fn update_mediator(
        &self,
        request: Request<pb::UpdateMediatorRequest>,
    ) -> Result<Response<pb::Mediator>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let m = req.mediator.unwrap_or_default();
        let mut v = Violations::new();
        let id = v.id("mediator.id", &m.id);
        let mut patch = MediatorPatch::default();
        let allowed = ["display_name", "kind", "level", "specialty_codes", "languages", "modes", "home_site_id", "bio"];
        for path in mask_paths(&mut v, req.update_mask, &allowed) {
            match path.as_str() {
                "display_name" => {
                    patch.display_name = v.check("mediator.display_name", parse_text(&m.display_name, NAME_CHARS, true))
                }
                "kind" => {
                    patch.kind = mediator_kind_from(m.kind);
                    if patch.kind.is_none() {
                        v.add(
                            "mediator.kind",
                            "must be STATION_MEDIATOR, THINK_TANK_EXPERT, POLICE_LIAISON or PARTNER_MEDIATOR",
                        );
                    }
                }
                "level" => patch.level = v.check("mediator.level", check_level(m.level)),
                "specialty_codes" => {
                    patch.specialty_codes = specialty_codes(&mut v, "mediator.specialty_codes", &m.specialty_codes)
                }
                "languages" => patch.languages = v.check("mediator.languages", parse_languages(&m.languages)),
                "modes" => patch.modes = modes(&mut v, "mediator.modes", &m.modes),
                "home_site_id" => patch.home_site_id = v.id("mediator.home_site_id", &m.home_site_id),
                "bio" => patch.bio = v.check("mediator.bio", parse_text(&m.bio, BIO_CHARS, false)),
                _ => {}
            }
        }
        let id = v.finish(|| id)?;
        let mediator =
            self.db.write::<_, Error, _>(move |conn| service::update_mediator(conn, &principal, &id, patch)).await?;
        Ok(Response::new(mediator_to_proto(mediator)))
    }

    async fn set_mediator_active(
        &self,
        request: Request<pb::SetMediatorActiveRequest>,
    ) -> Result<Response<pb::Mediator>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let id = v.id("id", &req.id);
        let id = v.finish(|| id)?;
        let mediator = self
            .db
            .write::<_, Error, _>(move |conn| service::set_mediator_active(conn, &principal, &id, req.active))
            .await?;
        Ok(Response::new(mediator_to_proto(mediator)))
    }
}
