//! The gRPC face of the audit log: `ListAuditEvents`, newest first, for centre admins. It parses
//! the request into an [`EventQuery`] (naming every bad field), runs the flow in
//! `crate::service`, encodes the records, and maps [`Error`] to statuses.

use mediation_api::Violations;
use mediation_api::audit::v1 as pb;
use mediation_api::audit::v1::audit_service_server::{AuditService, AuditServiceServer};
use mediation_api::caller;
use mediation_api::convert::timestamp;
use mediation_api::paging;
use tonic::{Request, Response, Status};

use crate::chain::{Action, Record};
use crate::error::Error;
use crate::repo::Filter;
use crate::service::{Audit, EventQuery};

impl Audit {
    pub fn into_server(self) -> AuditServiceServer<Audit> {
        AuditServiceServer::new(self)
    }
}

impl From<Error> for Status {
    fn from(err: Error) -> Self {
        to_status(err)
    }
}

/// The one mapping of audit's errors to statuses: all of them are the shared faults.
pub fn to_status(err: Error) -> Status {
    match err {
        Error::Fault(fault) => Status::from(fault),
    }
}

fn to_proto(record: Record) -> pb::AuditEvent {
    pb::AuditEvent {
        seq: record.seq,
        at: Some(timestamp(record.at)),
        actor_id: record.actor_id,
        actor_role: record.actor_role,
        action: record.action,
        target_kind: record.target_kind,
        target_id: record.target_id,
        detail: record.detail,
        peer: record.peer,
        kiosk_id: record.kiosk_id,
        prev_hash: record.prev_hash,
        hash: record.hash,
    }
}

/// Parses the request into a filter, or names every bad field.
fn filter_from(v: &mut Violations, req: &pb::ListAuditEventsRequest) -> Option<Filter> {
    let actor_id = v.optional_id("actor_id", &req.actor_id);
    let action = match req.action.trim() {
        "" => Some(None),
        name => v.check("action", name.parse::<Action>()).map(Some),
    };
    let from = v.optional_instant("from", req.from);
    let to = v.optional_instant("to", req.to);
    if let (Some(Some(from)), Some(Some(to))) = (from, to)
        && to <= from
    {
        v.add("to", "must be after from");
        return None;
    }
    Some(Filter { actor_id: actor_id?, action: action?, from: from?, to: to? })
}

impl TryFrom<pb::ListAuditEventsRequest> for EventQuery {
    type Error = Status;

    fn try_from(req: pb::ListAuditEventsRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let filter = filter_from(&mut v, &req);
        let size = v.page_size(req.page_size, 50, 500);
        let fingerprint = paging::fingerprint(&(
            "audit",
            &req.actor_id,
            &req.action,
            req.from.map(|t| (t.seconds, t.nanos)),
            req.to.map(|t| (t.seconds, t.nanos)),
        ));
        let before = v.check("page_token", paging::decode_token::<i64>(&req.page_token, &fingerprint));
        let (filter, page_size, before) = v.finish(|| Some((filter?, size?, before?)))?;
        Ok(EventQuery { filter, page_size, before, fingerprint })
    }
}

#[tonic::async_trait]
impl AuditService for Audit {
    async fn list_audit_events(
        &self,
        request: Request<pb::ListAuditEventsRequest>,
    ) -> Result<Response<pb::ListAuditEventsResponse>, Status> {
        caller(&request)?;
        let query = EventQuery::try_from(request.into_inner())?;
        let page = self.list_events(query).await?;
        Ok(Response::new(pb::ListAuditEventsResponse {
            events: page.records.into_iter().map(to_proto).collect(),
            next_page_token: page.next_page_token,
        }))
    }
}

#[cfg(test)]
mod tests {
    use mediation_api::Fault;
    use mediation_api::status::reason;
    use tonic::Code;
    use tonic_types::StatusExt;

    use super::*;

    #[test]
    fn filters_name_their_bad_fields() {
        let mut v = Violations::new();
        let req = pb::ListAuditEventsRequest {
            action: "PLAN_COMMITTED".into(),
            from: Some(prost_types::Timestamp { seconds: 100, nanos: 0 }),
            ..Default::default()
        };
        let filter = filter_from(&mut v, &req).unwrap();
        assert_eq!(filter.action.map(Action::as_str), Some("PLAN_COMMITTED"));
        assert!(filter.to.is_none() && filter.actor_id.is_none());
        assert!(v.is_empty());

        let bad = pb::ListAuditEventsRequest {
            action: "NUKE".into(),
            from: Some(prost_types::Timestamp { seconds: 100, nanos: -1 }),
            ..Default::default()
        };
        assert!(filter_from(&mut v, &bad).is_none());
        let backwards = pb::ListAuditEventsRequest {
            from: Some(prost_types::Timestamp { seconds: 100, nanos: 0 }),
            to: Some(prost_types::Timestamp { seconds: 50, nanos: 0 }),
            ..Default::default()
        };
        assert!(filter_from(&mut v, &backwards).is_none());
        let message = v.into_status().message().to_owned();
        assert!(message.contains("action") && message.contains("from") && message.contains("to"), "{message}");
    }

    #[test]
    fn queries_name_every_bad_field() {
        let req = pb::ListAuditEventsRequest {
            action: "NUKE".into(),
            page_size: -1,
            page_token: "%%%".into(),
            ..Default::default()
        };
        let status = EventQuery::try_from(req).unwrap_err();
        let details = status.get_error_details();
        let fields: Vec<_> = details.bad_request().unwrap().field_violations.iter().map(|f| f.field.clone()).collect();
        assert_eq!(fields, ["action", "page_size", "page_token"]);
    }

    #[test]
    fn codes_and_reasons() {
        let invalid = to_status(Fault::invalid("action", "no").into());
        assert_eq!(invalid.code(), Code::InvalidArgument);
        let internal = to_status(mediation_store::Error::Migration("secret detail".into()).into());
        assert_eq!(internal.code(), Code::Internal);
        assert_eq!(internal.get_error_details().error_info().unwrap().reason, reason::INTERNAL);
        assert!(!internal.message().contains("secret"));
    }
}
