//! The outbox: notices written in the same transaction as the change they announce, claimed
//! and delivered later by the notices worker. Recipients are sealed.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use mediation_store::DbConnection;
use mediation_store::personal::{self, open, seal};
use mediation_store::schema::outbox;

use super::{QueryResult, naive, parse};
use crate::domain::NoticeKind;

/// The sealed column's purpose, bound into its values as associated data.
const RECIPIENT: &str = "outbox.recipient";

/// A message to deliver at or after `deliver_after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: String,
    pub kind: NoticeKind,
    pub recipient: String,
    pub body: String,
    pub appointment_id: Option<String>,
    pub deliver_after: DateTime<Utc>,
}

pub fn enqueue(conn: &mut DbConnection, m: &OutboxMessage, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(&m.id),
            outbox::kind.eq(m.kind.as_str()),
            outbox::recipient.eq(seal(RECIPIENT, &m.recipient)?),
            outbox::body.eq(&m.body),
            outbox::appointment_id.eq(&m.appointment_id),
            outbox::deliver_after.eq(naive(m.deliver_after)),
            outbox::created_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Enqueues a message about an agreement (AGREEMENT_TO_SIGN, FOLLOW_UP), so that
/// [`withdraw_for_agreement`] can take it back.
pub fn enqueue_for_agreement(
    conn: &mut DbConnection,
    m: &OutboxMessage,
    agreement_id: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    enqueue(conn, m, now)?;
    diesel::update(outbox::table.find(&m.id)).set(outbox::agreement_id.eq(agreement_id)).execute(conn)?;
    Ok(())
}

/// Withdraws undelivered messages of `kind` about an agreement (the follow-up of one voided).
pub fn withdraw_for_agreement(
    conn: &mut DbConnection,
    agreement_id: &str,
    kind: NoticeKind,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::agreement_id.eq(agreement_id))
            .filter(outbox::kind.eq(kind.as_str()))
            .filter(outbox::delivered_at.is_null())
            .filter(outbox::cancelled_at.is_null()),
    )
    .set(outbox::cancelled_at.eq(naive(now)))
    .execute(conn)
}

/// Withdraws undelivered messages of `kind` about an appointment (a reminder for a session
/// that moved or was cancelled).
pub fn withdraw(
    conn: &mut DbConnection,
    appointment_id: &str,
    kind: NoticeKind,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(
        outbox::table
            .filter(outbox::appointment_id.eq(appointment_id))
            .filter(outbox::kind.eq(kind.as_str()))
            .filter(outbox::delivered_at.is_null())
            .filter(outbox::cancelled_at.is_null()),
    )
    .set(outbox::cancelled_at.eq(naive(now)))
    .execute(conn)?;
    Ok(())
}

/// Claims up to `limit` due messages for `lease`, so that no other worker (in this process or
/// another) takes them meanwhile. A message whose lease ran out (its worker died) is due again.
pub fn claim_due(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    lease: chrono::Duration,
    limit: i64,
) -> QueryResult<Vec<OutboxMessage>> {
    let due = outbox::table
        .filter(outbox::delivered_at.is_null())
        .filter(outbox::cancelled_at.is_null())
        .filter(outbox::deliver_after.le(naive(now)))
        .filter(outbox::claimed_until.is_null().or(outbox::claimed_until.lt(naive(now))))
        .order(outbox::deliver_after)
        .limit(limit)
        .select((
            outbox::id,
            outbox::kind,
            outbox::recipient,
            outbox::body,
            outbox::appointment_id,
            outbox::deliver_after,
        ));
    type Row = (String, String, String, String, Option<String>, NaiveDateTime);
    let rows: Vec<Row> = match conn {
        // SKIP LOCKED lets replicas claim different rows instead of queueing on the same ones.
        DbConnection::Pg(pg) => due.for_update().skip_locked().load(pg)?,
        DbConnection::Sqlite(sqlite) => due.load(sqlite)?,
    };
    let ids: Vec<&String> = rows.iter().map(|r| &r.0).collect();
    diesel::update(outbox::table.filter(outbox::id.eq_any(ids)))
        .set((outbox::claimed_until.eq(naive(now + lease)), outbox::attempts.eq(outbox::attempts + 1)))
        .execute(conn)?;
    rows.into_iter()
        .map(|(id, kind, recipient, body, appointment_id, after)| {
            Ok(OutboxMessage {
                id,
                kind: parse("outbox.kind", &kind)?,
                recipient: open(RECIPIENT, &recipient)?,
                body,
                appointment_id,
                deliver_after: after.and_utc(),
            })
        })
        .collect()
}

/// Marks a message delivered; a text that carried a secret (a tracking link) is erased with it,
/// so that the link lives in the database only until it is sent.
pub fn mark_delivered(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(outbox::table.find(id)).set(outbox::delivered_at.eq(naive(now))).execute(conn)?;
    let secret_kinds: Vec<&str> = NoticeKind::ALL.iter().filter(|k| k.carries_secret()).map(|k| k.as_str()).collect();
    diesel::update(outbox::table.find(id).filter(outbox::kind.eq_any(secret_kinds)))
        .set(outbox::body.eq(""))
        .execute(conn)?;
    Ok(())
}

/// Messages not yet delivered nor withdrawn.
pub fn backlog(conn: &mut DbConnection) -> QueryResult<i64> {
    outbox::table.filter(outbox::delivered_at.is_null()).filter(outbox::cancelled_at.is_null()).count().get_result(conn)
}

/// Seals up to `batch` recipients not sealed under the current key yet, like
/// [`rekey_parties`](super::rekey_parties); returns how many rows it changed.
pub fn rekey_outbox(conn: &mut DbConnection, batch: i64) -> QueryResult<usize> {
    let (sealed_now, _) = personal::current_prefixes()?;
    let rows: Vec<(String, String)> = outbox::table
        .filter(outbox::recipient.not_like(&sealed_now))
        .order(outbox::id)
        .limit(batch)
        .select((outbox::id, outbox::recipient))
        .load(conn)?;
    for (id, recipient) in &rows {
        let resealed = personal::reseal(RECIPIENT, recipient)?.unwrap_or_else(|| recipient.clone());
        diesel::update(outbox::table.find(id)).set(outbox::recipient.eq(resealed)).execute(conn)?;
    }
    Ok(rows.len())
}
