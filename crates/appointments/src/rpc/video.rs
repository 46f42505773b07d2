//! Join links on the wire: GetJoinLink's answer encoded.

use mediation_api::appointments::v1 as pb;
use mediation_api::convert::timestamp;

use crate::service::IssuedLink;

pub(super) fn to_proto(link: IssuedLink) -> pb::JoinLink {
    pb::JoinLink {
        url: link.url,
        not_before: Some(timestamp(link.not_before)),
        expires_at: Some(timestamp(link.expires_at)),
        identity: link.identity,
    }
}
