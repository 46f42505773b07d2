//! The outbox: notices written in the same transaction as the change they announce, claimed
//! and delivered later by the notices worker. Recipients are sealed.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use mediation_store::DbConnection;
use mediation_store::personal::{self, open, seal};
use mediation_store::schema::outbox;

use super::{QueryResult, naive, parse};
use crate::domain::NoticeKind;
use crate::domain::whistle::Channel;

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
    /// SMS through the notification sink, or a POST to the webhook URL in `recipient`.
    pub channel: Channel,
}

impl OutboxMessage {
    /// A message of `kind` to `recipient` by SMS, due now.
    pub fn sms(kind: NoticeKind, recipient: &str, body: String, now: DateTime<Utc>) -> Self {
        OutboxMessage {
            id: uuid::Uuid::now_v7().to_string(),
            kind,
            recipient: recipient.to_owned(),
            body,
            appointment_id: None,
            deliver_after: now,
            channel: Channel::Sms,
        }
    }
}

/// An outbox row as written: the message, its recipient sealed, and the dedup key if it is
/// owed once.
#[derive(Insertable)]
#[diesel(table_name = outbox)]
struct NewRow<'a> {
    id: &'a str,
    kind: &'a str,
    recipient: String,
    body: &'a str,
    appointment_id: Option<&'a str>,
    deliver_after: NaiveDateTime,
    created_at: NaiveDateTime,
    channel: &'a str,
    dedup_key: Option<&'a str>,
}

impl<'a> NewRow<'a> {
    fn of(m: &'a OutboxMessage, dedup_key: Option<&'a str>, now: DateTime<Utc>) -> QueryResult<Self> {
        Ok(NewRow {
            id: &m.id,
            kind: m.kind.as_str(),
            recipient: seal(RECIPIENT, &m.recipient)?,
            body: &m.body,
            appointment_id: m.appointment_id.as_deref(),
            deliver_after: naive(m.deliver_after),
            created_at: naive(now),
            channel: m.channel.as_str(),
            dedup_key,
        })
    }
}

pub fn enqueue(conn: &mut DbConnection, m: &OutboxMessage, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::insert_into(outbox::table).values(NewRow::of(m, None, now)?).execute(conn)?;
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

/// Enqueues `m` unless a message with `dedup_key` was ever enqueued (delivered or not), which
/// the unique index decides even against another process; whether it was enqueued now.
pub fn enqueue_once(
    conn: &mut DbConnection,
    m: &OutboxMessage,
    dedup_key: &str,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let insert =
        diesel::insert_into(outbox::table).values(NewRow::of(m, Some(dedup_key), now)?).on_conflict_do_nothing();
    // diesel's multi-backend layer has no ON CONFLICT, though both backends do.
    let inserted = match conn {
        DbConnection::Pg(pg) => insert.execute(pg)?,
        DbConnection::Sqlite(sqlite) => insert.execute(sqlite)?,
    };
    Ok(inserted == 1)
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
            outbox::channel,
        ));
    type Row = (String, String, String, String, Option<String>, NaiveDateTime, String);
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
        .map(|(id, kind, recipient, body, appointment_id, after, channel)| {
            Ok(OutboxMessage {
                id,
                kind: parse("outbox.kind", &kind)?,
                recipient: open(RECIPIENT, &recipient)?,
                body,
                appointment_id,
                deliver_after: after.and_utc(),
                channel: parse("outbox.channel", &channel)?,
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
