//! The audit log: append-only, hash-chained records of who did what to what, when and from
//! where: staff reads of personal data, grade overrides, rating moderation, account and role
//! changes, plan commits and overrides. It owns `audit_events` and `audit_head` and no other
//! table.
//!
//! [`chain`] is pure: the canonical encoding, the SHA-256 of a record and the verification of a
//! chain. [`repo`] holds the SQL: [`repo::append`] runs inside the caller's transaction, so a
//! write and its record commit or roll back together; reads of personal data, which write
//! nothing else, append through [`record`] in a transaction of their own before the data is
//! answered. `AuditService` (`ListAuditEvents`) is for centre admins: `rpc.rs` is its face, the
//! only code here that knows tonic and prost (it parses the request into a plain query naming
//! every bad field, encodes the records, and maps [`Error`] to statuses); `service.rs` runs the
//! query; [`Error`] is only the shared [`mediation_api::Fault`]s. This crate knows nothing of the
//! services that record; they name their actions with [`Action`].

pub mod chain;
mod error;
mod policy;
pub mod repo;
mod rpc;
mod service;

pub use chain::{Action, Actor, Event, Record, TargetKind};
pub use error::Error;
pub use policy::POLICY;
pub use rpc::to_status;
pub use service::Audit;

use mediation_store::Db;

/// Appends `events` by `actor` in a write transaction of their own: for reads, which have no
/// transaction of theirs to join. The caller answers only once this succeeded, so personal data
/// is never shown without its record.
pub async fn record(db: &Db, actor: Actor, events: Vec<Event>) -> Result<(), mediation_store::Error> {
    if events.is_empty() {
        return Ok(());
    }
    db.write::<_, mediation_store::Error, _>(move |conn| {
        let now = chrono::Utc::now();
        for event in events {
            repo::append(conn, &actor, event, now).map_err(mediation_store::Error::Query)?;
        }
        Ok(())
    })
    .await
}
