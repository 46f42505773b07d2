//! Sites on the wire: their kinds and locations, the requests that list, create and update
//! them parsed into plain values (every bad field named), and the `Site` message.

use mediation_api::Violations;
use mediation_api::directory::v1 as pb;
use mediation_api::google::r#type::LatLng as PbLatLng;
use mediation_api::paging;
use tonic::Status;

use super::Page;
use crate::domain::{LatLng, PoliceDesk, Site, SiteKind, check_location, parse_time_zone, parse_webhook_url};
use crate::service::SitePatch;

const NAME_CHARS: usize = 100;
const ADDRESS_CHARS: usize = 200;
const KIND_RULE: &str = "must be CENTRE, STATION, KIOSK or PARTNER";

fn kind_from(value: i32) -> Option<SiteKind> {
    match pb::SiteKind::try_from(value).ok()? {
        pb::SiteKind::Centre => Some(SiteKind::Centre),
        pb::SiteKind::Station => Some(SiteKind::Station),
        pb::SiteKind::Kiosk => Some(SiteKind::Kiosk),
        pb::SiteKind::Partner => Some(SiteKind::Partner),
        pb::SiteKind::Unspecified => None,
    }
}

fn kind_to(kind: SiteKind) -> pb::SiteKind {
    match kind {
        SiteKind::Centre => pb::SiteKind::Centre,
        SiteKind::Station => pb::SiteKind::Station,
        SiteKind::Kiosk => pb::SiteKind::Kiosk,
        SiteKind::Partner => pb::SiteKind::Partner,
    }
}

/// A police desk as given: its phone parsed to E.164, its URL checked; absent is none.
fn police_desk(v: &mut Violations, value: Option<pb::PoliceDesk>) -> Option<PoliceDesk> {
    let desk = value.unwrap_or_default();
    let phone = if desk.phone.trim().is_empty() {
        Some(None)
    } else {
        v.check("site.police_desk.phone", mediation_identity::domain::PhoneNumber::parse(&desk.phone))
            .map(|p| Some(p.as_str().to_owned()))
    };
    let webhook_url = v.check("site.police_desk.webhook_url", parse_webhook_url(&desk.webhook_url));
    Some(PoliceDesk { phone: phone?, webhook_url: webhook_url? })
}

fn desk_to_proto(desk: PoliceDesk) -> pb::PoliceDesk {
    pb::PoliceDesk { phone: desk.phone.unwrap_or_default(), webhook_url: desk.webhook_url.unwrap_or_default() }
}

/// A site with its police desk, for those who administer it.
pub fn to_proto_with_desk(site: Site, desk: Option<PoliceDesk>) -> pb::Site {
    pb::Site { police_desk: desk.map(desk_to_proto), ..to_proto(site) }
}

/// An optional location: absent is `Some(None)`.
fn location(v: &mut Violations, field: &str, value: Option<PbLatLng>) -> Option<Option<LatLng>> {
    match value {
        None => Some(None),
        Some(l) => v.check(field, check_location(LatLng { latitude: l.latitude, longitude: l.longitude })).map(Some),
    }
}

pub fn to_proto(site: Site) -> pb::Site {
    pb::Site {
        id: site.id,
        name: site.name,
        kind: kind_to(site.kind).into(),
        parent_id: site.parent_id.unwrap_or_default(),
        time_zone: site.time_zone,
        address: site.address,
        location: site.location.map(|l| PbLatLng { latitude: l.latitude, longitude: l.longitude }),
        police_desk: None,
    }
}

pub struct ListSites {
    pub parent_id: Option<String>,
    pub kind: Option<SiteKind>,
    /// After a site id.
    pub page: Page<String>,
}

impl TryFrom<pb::ListSitesRequest> for ListSites {
    type Error = Status;

    fn try_from(req: pb::ListSitesRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let parent_id = v.optional_id("parent_id", &req.parent_id);
        let kind = (req.kind != 0).then(|| kind_from(req.kind));
        if kind == Some(None) {
            v.add("kind", KIND_RULE);
        }
        let query = paging::fingerprint(&("sites", &req.parent_id, req.kind));
        let page = Page::parse(&mut v, req.page_size, &req.page_token, (50, 500), query);
        v.finish(|| Some(ListSites { parent_id: parent_id?, kind: kind.flatten(), page: page? }))
    }
}

pub fn list_to_proto(sites: Vec<Site>, page: &Page<String>) -> pb::ListSitesResponse {
    let (sites, next_page_token) = page.split(sites, |s| s.id.clone());
    pb::ListSitesResponse { sites: sites.into_iter().map(to_proto).collect(), next_page_token }
}

pub struct CreateSite {
    pub request_id: String,
    /// With a new id.
    pub site: Site,
    pub police_desk: PoliceDesk,
}

impl TryFrom<pb::CreateSiteRequest> for CreateSite {
    type Error = Status;

    fn try_from(req: pb::CreateSiteRequest) -> Result<Self, Status> {
        let site = req.site.unwrap_or_default();
        let mut v = Violations::new();
        let request_id = v.request_id(&req.request_id);
        let name = v.text("site.name", &site.name, NAME_CHARS, true);
        let kind = kind_from(site.kind);
        if kind.is_none() {
            v.add("site.kind", KIND_RULE);
        }
        let parent_id = v.optional_id("site.parent_id", &site.parent_id);
        let time_zone = v.check("site.time_zone", parse_time_zone(&site.time_zone));
        let address = v.text("site.address", &site.address, ADDRESS_CHARS, false);
        let location = location(&mut v, "site.location", site.location);
        let police_desk = police_desk(&mut v, site.police_desk);
        v.finish(|| {
            let site = Site {
                id: uuid::Uuid::now_v7().to_string(),
                name: name?,
                kind: kind?,
                parent_id: parent_id?,
                time_zone: time_zone?,
                address: address?,
                location: location?,
            };
            Some(CreateSite { request_id: request_id?, site, police_desk: police_desk? })
        })
    }
}

pub struct UpdateSite {
    pub id: String,
    /// The masked fields.
    pub patch: SitePatch,
}

impl TryFrom<pb::UpdateSiteRequest> for UpdateSite {
    type Error = Status;

    fn try_from(req: pb::UpdateSiteRequest) -> Result<Self, Status> {
        let site = req.site.unwrap_or_default();
        let mut v = Violations::new();
        let id = v.id("site.id", &site.id);
        let mut patch = SitePatch::default();
        for path in v.update_mask(req.update_mask, &["name", "address", "location", "time_zone", "police_desk"]) {
            match path.as_str() {
                "name" => patch.name = v.text("site.name", &site.name, NAME_CHARS, true),
                "address" => patch.address = v.text("site.address", &site.address, ADDRESS_CHARS, false),
                "location" => patch.location = location(&mut v, "site.location", site.location),
                "time_zone" => patch.time_zone = v.check("site.time_zone", parse_time_zone(&site.time_zone)),
                "police_desk" => patch.police_desk = police_desk(&mut v, site.police_desk.clone()),
                _ => {}
            }
        }
        v.finish(|| Some(UpdateSite { id: id?, patch }))
    }
}
