//! The gRPC face of the audit log: `ListAuditEvents`, newest first, for centre admins.

use chrono::{DateTime, Utc};
use mediation_api::audit::v1 as pb;
use mediation_api::audit::v1::audit_service_server::{AuditService, AuditServiceServer};
use mediation_api::paging;
use mediation_api::status::Violations;
use mediation_auth::caller;
use mediation_store::Db;
use tonic::{Request, Response, Status};

use crate::chain::{Action, Record};
use crate::error::Error;
use crate::repo::{self, Filter};

/// The audit service over one database.
#[derive(Debug, Clone)]
pub struct Audit {
    db: Db,
}

impl Audit {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    pub fn into_server(self) -> AuditServiceServer<Audit> {
        AuditServiceServer::new(self)
    }
}

fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: t.timestamp(), nanos: t.timestamp_subsec_nanos() as i32 }
}

fn instant(v: &mut Violations, field: &str, value: Option<prost_types::Timestamp>) -> Option<Option<DateTime<Utc>>> {
    let Some(ts) = value else { return Some(None) };
    match DateTime::from_timestamp(ts.seconds, u32::try_from(ts.nanos).unwrap_or(u32::MAX)) {
        Some(t) if (0..1_000_000_000).contains(&ts.nanos) => Some(Some(t)),
        _ => {
            v.add(field, "is not a valid timestamp");
            None
        }
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
        name => v.check("action", name.parse::<Action>()).map(|a| Some(a.as_str().to_owned())),
    };
    let from = instant(v, "from", req.from);
    let to = instant(v, "to", req.to);
    if let (Some(Some(from)), Some(Some(to))) = (from, to)
        && to <= from
    {
        v.add("to", "must be after from");
        return None;
    }
    Some(Filter { actor_id: actor_id?, action: action?, from: from?, to: to? })
}

#[tonic::async_trait]
impl AuditService for Audit {
    async fn list_audit_events(
        &self,
        request: Request<pb::ListAuditEventsRequest>,
    ) -> Result<Response<pb::ListAuditEventsResponse>, Status> {
        caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let filter = filter_from(&mut v, &req);
        let size = v.check("page_size", paging::page_size(req.page_size, 50, 500));
        let query = paging::fingerprint(&(
            "audit",
            &req.actor_id,
            &req.action,
            req.from.map(|t| (t.seconds, t.nanos)),
            req.to.map(|t| (t.seconds, t.nanos)),
        ));
        let before = v.check("page_token", paging::decode_token::<i64>(&req.page_token, &query));
        let (filter, size, before) = v.finish(|| Some((filter?, size?, before?)))?;
        let records =
            self.db.read::<_, Error, _>(move |conn| Ok(repo::list(conn, &filter, before, size as i64 + 1)?)).await?;
        let (records, next_page_token) = paging::split_page(records, size, &query, |r| r.seq);
        Ok(Response::new(pb::ListAuditEventsResponse {
            events: records.into_iter().map(to_proto).collect(),
            next_page_token,
        }))
    }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(filter.action.as_deref(), Some("PLAN_COMMITTED"));
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
}
