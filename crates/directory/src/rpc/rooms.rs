//! Rooms on the wire: their kinds, the requests that list, create and update them parsed into
//! plain values (every bad field named), and the `Room` message.

use mediation_api::Violations;
use mediation_api::directory::v1 as pb;
use mediation_api::paging;
use tonic::Status;

use super::Page;
use crate::domain::{Room, RoomKind, check_capacity};
use crate::service::RoomPatch;

const NAME_CHARS: usize = 100;
const KIND_RULE: &str = "must be MEDIATION, TRIAGE, VIDEO or ADVISORY";

fn kind_from(value: i32) -> Option<RoomKind> {
    match pb::RoomKind::try_from(value).ok()? {
        pb::RoomKind::Mediation => Some(RoomKind::Mediation),
        pb::RoomKind::Triage => Some(RoomKind::Triage),
        pb::RoomKind::Video => Some(RoomKind::Video),
        pb::RoomKind::Advisory => Some(RoomKind::Advisory),
        pb::RoomKind::Unspecified => None,
    }
}

fn kind_to(kind: RoomKind) -> pb::RoomKind {
    match kind {
        RoomKind::Mediation => pb::RoomKind::Mediation,
        RoomKind::Triage => pb::RoomKind::Triage,
        RoomKind::Video => pb::RoomKind::Video,
        RoomKind::Advisory => pb::RoomKind::Advisory,
    }
}

pub fn to_proto(room: Room) -> pb::Room {
    pb::Room {
        id: room.id,
        site_id: room.site_id,
        name: room.name,
        kind: kind_to(room.kind).into(),
        capacity: room.capacity,
    }
}

pub struct ListRooms {
    pub site_id: String,
    /// After a room id.
    pub page: Page<String>,
}

impl TryFrom<pb::ListRoomsRequest> for ListRooms {
    type Error = Status;

    fn try_from(req: pb::ListRoomsRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let site_id = v.id("site_id", &req.site_id);
        let query = paging::fingerprint(&("rooms", &req.site_id));
        let page = Page::parse(&mut v, req.page_size, &req.page_token, (50, 500), query);
        v.finish(|| Some(ListRooms { site_id: site_id?, page: page? }))
    }
}

pub fn list_to_proto(rooms: Vec<Room>, page: &Page<String>) -> pb::ListRoomsResponse {
    let (rooms, next_page_token) = page.split(rooms, |r| r.id.clone());
    pb::ListRoomsResponse { rooms: rooms.into_iter().map(to_proto).collect(), next_page_token }
}

pub struct CreateRoom {
    pub request_id: String,
    /// With a new id.
    pub room: Room,
}

impl TryFrom<pb::CreateRoomRequest> for CreateRoom {
    type Error = Status;

    fn try_from(req: pb::CreateRoomRequest) -> Result<Self, Status> {
        let room = req.room.unwrap_or_default();
        let mut v = Violations::new();
        let request_id = v.request_id(&req.request_id);
        let site_id = v.id("room.site_id", &room.site_id);
        let name = v.text("room.name", &room.name, NAME_CHARS, true);
        let kind = kind_from(room.kind);
        let capacity = match kind {
            None => {
                v.add("room.kind", KIND_RULE);
                None
            }
            Some(kind) => v.check("room.capacity", check_capacity(kind, room.capacity)),
        };
        v.finish(|| {
            let room = Room {
                id: uuid::Uuid::now_v7().to_string(),
                site_id: site_id?,
                name: name?,
                kind: kind?,
                capacity: capacity?,
            };
            Some(CreateRoom { request_id: request_id?, room })
        })
    }
}

pub struct UpdateRoom {
    pub id: String,
    /// The masked fields; the capacity is checked against the room's kind by the flow.
    pub patch: RoomPatch,
}

impl TryFrom<pb::UpdateRoomRequest> for UpdateRoom {
    type Error = Status;

    fn try_from(req: pb::UpdateRoomRequest) -> Result<Self, Status> {
        let room = req.room.unwrap_or_default();
        let mut v = Violations::new();
        let id = v.id("room.id", &room.id);
        let mut patch = RoomPatch::default();
        for path in v.update_mask(req.update_mask, &["name", "kind", "capacity"]) {
            match path.as_str() {
                "name" => patch.name = v.text("room.name", &room.name, NAME_CHARS, true),
                "kind" => {
                    patch.kind = kind_from(room.kind);
                    if patch.kind.is_none() {
                        v.add("room.kind", KIND_RULE);
                    }
                }
                "capacity" => patch.capacity = Some(room.capacity),
                _ => {}
            }
        }
        v.finish(|| Some(UpdateRoom { id: id?, patch }))
    }
}
