//! The audit tables. Every function takes a connection, so that the caller decides the
//! transaction: [`append`] belongs inside the transaction of the action it records.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use mediation_store::DbConnection;
use mediation_store::schema::{audit_events, audit_head};

use crate::chain::{self, Action, Actor, Broken, Event, Record, Verifier};

pub type QueryResult<T> = Result<T, diesel::result::Error>;

/// The one row of `audit_head`.
const HEAD: i32 = 1;
/// Records read at once while verifying.
const VERIFY_BATCH: i64 = 1_000;

type Row = (i64, NaiveDateTime, String, String, String, String, String, String, String, String, String, String);

fn from_row(row: Row) -> Record {
    let (seq, at, actor_id, actor_role, action, target_kind, target_id, detail, peer, kiosk_id, prev_hash, hash) = row;
    Record {
        seq,
        at: at.and_utc(),
        actor_id,
        actor_role,
        action,
        target_kind,
        target_id,
        detail,
        peer,
        kiosk_id,
        prev_hash,
        hash,
    }
}

/// Appends `event` to the chain. The head row is updated first: on PostgreSQL that locks it
/// until the caller's transaction ends, so appends from every replica take turns; on SQLite the
/// write transaction (`BEGIN IMMEDIATE`) already holds the only write lock.
pub fn append(conn: &mut DbConnection, actor: &Actor, event: Event, now: DateTime<Utc>) -> QueryResult<Record> {
    diesel::update(audit_head::table.find(HEAD)).set(audit_head::seq.eq(audit_head::seq + 1)).execute(conn)?;
    let (seq, prev_hash): (i64, String) =
        audit_head::table.find(HEAD).select((audit_head::seq, audit_head::hash)).get_result(conn)?;
    let record = chain::seal(seq, now, actor, event, &prev_hash);
    diesel::insert_into(audit_events::table)
        .values((
            audit_events::seq.eq(record.seq),
            audit_events::at.eq(record.at.naive_utc()),
            audit_events::actor_id.eq(&record.actor_id),
            audit_events::actor_role.eq(&record.actor_role),
            audit_events::action.eq(&record.action),
            audit_events::target_kind.eq(&record.target_kind),
            audit_events::target_id.eq(&record.target_id),
            audit_events::detail.eq(&record.detail),
            audit_events::peer.eq(&record.peer),
            audit_events::kiosk_id.eq(&record.kiosk_id),
            audit_events::prev_hash.eq(&record.prev_hash),
            audit_events::hash.eq(&record.hash),
        ))
        .execute(conn)?;
    diesel::update(audit_head::table.find(HEAD)).set(audit_head::hash.eq(&record.hash)).execute(conn)?;
    Ok(record)
}

/// What `ListAuditEvents` narrows by; `None` is any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub actor_id: Option<String>,
    pub action: Option<Action>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Records matching `filter`, newest first, before sequence number `before` when given.
pub fn list(conn: &mut DbConnection, filter: &Filter, before: Option<i64>, limit: i64) -> QueryResult<Vec<Record>> {
    let mut query = audit_events::table.into_boxed();
    if let Some(actor) = &filter.actor_id {
        query = query.filter(audit_events::actor_id.eq(actor.clone()));
    }
    if let Some(action) = filter.action {
        query = query.filter(audit_events::action.eq(action.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_events::at.ge(from.naive_utc()));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_events::at.lt(to.naive_utc()));
    }
    if let Some(before) = before {
        query = query.filter(audit_events::seq.lt(before));
    }
    let rows: Vec<Row> = query.order(audit_events::seq.desc()).limit(limit).load(conn)?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// The head: the last sequence number and its hash.
pub fn head(conn: &mut DbConnection) -> QueryResult<(i64, String)> {
    audit_head::table.find(HEAD).select((audit_head::seq, audit_head::hash)).get_result(conn)
}

/// Walks the whole chain in batches and checks it against the head read first (records
/// appended meanwhile are left for the next run). Returns how many records are intact.
pub fn verify(conn: &mut DbConnection) -> QueryResult<Result<i64, Broken>> {
    let (head_seq, head_hash) = head(conn)?;
    let mut verifier = Verifier::new();
    let mut after = 0;
    loop {
        let rows: Vec<Row> = audit_events::table
            .filter(audit_events::seq.gt(after))
            .filter(audit_events::seq.le(head_seq))
            .order(audit_events::seq.asc())
            .limit(VERIFY_BATCH)
            .load(conn)?;
        let Some(last) = rows.last().map(|row| row.0) else { break };
        for row in rows {
            if let Err(broken) = verifier.push(&from_row(row)) {
                return Ok(Err(broken));
            }
        }
        after = last;
    }
    Ok(verifier.finish(head_seq, &head_hash))
}
