//! The consultation on the wire: PostMessage and ListMessages parsed, messages encoded.

use mediation_api::Violations;
use mediation_api::appointments::v1 as pb;
use mediation_api::convert::timestamp;
use mediation_api::paging::fingerprint;
use tonic::Status;

use super::fields::Page;
use crate::domain::Message;

pub(super) struct Post {
    pub case_id: String,
    pub body: String,
}

impl TryFrom<pb::PostMessageRequest> for Post {
    type Error = Status;

    fn try_from(req: pb::PostMessageRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let case_id = v.id("case_id", &req.case_id);
        let body = v.text("body", &req.body, 4000, true);
        v.finish(|| Some(Post { case_id: case_id?, body: body? }))
    }
}

pub(super) struct List {
    pub case_id: String,
    pub page: Page,
}

impl TryFrom<pb::ListMessagesRequest> for List {
    type Error = Status;

    fn try_from(req: pb::ListMessagesRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let case_id = v.id("case_id", &req.case_id);
        let query = fingerprint(&("messages", &req.case_id));
        let page = Page::parse(&mut v, req.page_size, &req.page_token, query);
        v.finish(|| Some(List { case_id: case_id?, page: page? }))
    }
}

pub(super) fn to_proto(m: Message) -> pb::Message {
    pb::Message {
        id: m.id,
        case_id: m.case_id,
        author_id: m.author_id,
        author_name: m.author_name,
        body: m.body,
        created_at: Some(timestamp(m.created_at)),
    }
}
