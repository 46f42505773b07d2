//! Notices to the people of a case, written to the outbox in the same transaction as the
//! change they announce, and the worker that delivers them through the notification sink.
//!
//! Delivery is at least once: a message is marked delivered after the sink accepted it, so a
//! crash in between sends it again; a restart never resends what was marked. Replicas on one
//! PostgreSQL claim disjoint messages (`FOR UPDATE SKIP LOCKED` plus a lease).

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use mediation_notify::{Notification, Notifier};
use mediation_store::{Db, DbConnection};

use crate::domain::parties::{Participation, invitation_text};
use crate::domain::{Appointment, Case, NoticeKind};
use crate::error::Result;
use crate::repo::{self, OutboxMessage};
use crate::service::{AppointmentSettings, stored_zone};

/// Everyone a session's notices go to: the applicant's account phone and every party's phone
/// but those who declined, each once.
fn recipients(conn: &mut DbConnection, case: &Case) -> Result<Vec<String>> {
    let mut phones = Vec::new();
    if let Some(account_id) = &case.applicant_account_id
        && let Some(account) = mediation_identity::repo::account_by_id(conn, account_id)?
        && let Some(phone) = account.phone
    {
        phones.push(phone.as_str().to_owned());
    }
    for party in case.parties.iter().filter(|p| p.participation != Participation::Declined) {
        if !phones.contains(&party.phone) {
            phones.push(party.phone.clone());
        }
    }
    Ok(phones)
}

/// The phone of the resident a home visit is for: the applicant's account phone, else the
/// applicant party's phone (a case filed by staff for a walk-in resident).
pub fn resident_phone(conn: &mut DbConnection, case: &Case) -> Result<Option<String>> {
    if let Some(account_id) = &case.applicant_account_id
        && let Some(account) = mediation_identity::repo::account_by_id(conn, account_id)?
        && let Some(phone) = account.phone
    {
        return Ok(Some(phone.as_str().to_owned()));
    }
    Ok(case.parties.iter().find(|p| p.role == crate::domain::PartyRole::Applicant).map(|p| p.phone.clone()))
}

/// Writes a notice to the outbox for delivery now: a home visit's notices (dispatch writes
/// them in the transaction of the change they announce).
pub fn enqueue_now(
    conn: &mut DbConnection,
    kind: NoticeKind,
    to: &str,
    body: String,
    now: DateTime<Utc>,
) -> Result<()> {
    let message = OutboxMessage {
        id: uuid::Uuid::now_v7().to_string(),
        kind,
        recipient: to.to_owned(),
        body,
        appointment_id: None,
        deliver_after: now,
    };
    Ok(repo::enqueue(conn, &message, now)?)
}

/// Invites each party of a new case who has not accepted by filing it: an SMS in Chinese that
/// names who filed it and where, and no detail of the dispute.
pub fn invitations(conn: &mut DbConnection, case: &Case, filed_by: &str, now: DateTime<Utc>) -> Result<()> {
    let station =
        mediation_directory::repo::site(conn, &case.site_id)?.map_or_else(|| case.site_id.clone(), |s| s.name);
    for party in case.parties.iter().filter(|p| p.participation == Participation::Invited) {
        let message = OutboxMessage {
            id: uuid::Uuid::now_v7().to_string(),
            kind: NoticeKind::CaseInvitation,
            recipient: party.phone.clone(),
            body: invitation_text(filed_by, &station),
            appointment_id: None,
            deliver_after: now,
        };
        repo::enqueue(conn, &message, now)?;
    }
    Ok(())
}

fn local_time(conn: &mut DbConnection, a: &Appointment) -> Result<String> {
    let site = mediation_directory::repo::site(conn, &a.site_id)?;
    let (tz, name) = match site {
        Some(site) => (stored_zone(&site)?, site.name),
        None => (chrono_tz::Asia::Shanghai, a.site_id.clone()),
    };
    Ok(format!("{} {}", a.span.start.with_timezone(&tz).format("%Y-%m-%d %H:%M"), name))
}

fn enqueue(
    conn: &mut DbConnection,
    kind: NoticeKind,
    to: &str,
    body: String,
    a: &Appointment,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    let message = OutboxMessage {
        id: uuid::Uuid::now_v7().to_string(),
        kind,
        recipient: to.to_owned(),
        body,
        appointment_id: Some(a.id.clone()),
        deliver_after: at,
    };
    Ok(repo::enqueue(conn, &message, now)?)
}

fn reminder(
    conn: &mut DbConnection,
    settings: &AppointmentSettings,
    to: &str,
    a: &Appointment,
    when: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    if a.span.start <= now {
        return Ok(());
    }
    let at = (a.span.start - settings.reminder_lead).max(now);
    enqueue(
        conn,
        NoticeKind::Reminder,
        to,
        format!("【鄞州调解】提醒：您的调解将于 {when} 开始。Reminder: your session starts {when}."),
        a,
        at,
        now,
    )
}

pub fn booked(
    conn: &mut DbConnection,
    settings: &AppointmentSettings,
    case: &Case,
    a: &Appointment,
    now: DateTime<Utc>,
) -> Result<()> {
    let when = local_time(conn, a)?;
    let mut body = format!("【鄞州调解】已预约 {when} 的调解。Booked: {when}.");
    if !a.join_url.is_empty() {
        body.push_str(&format!(" {}", a.join_url));
    }
    for to in recipients(conn, case)? {
        enqueue(conn, NoticeKind::Booked, &to, body.clone(), a, now, now)?;
        reminder(conn, settings, &to, a, &when, now)?;
    }
    Ok(())
}

pub fn rescheduled(
    conn: &mut DbConnection,
    settings: &AppointmentSettings,
    case: &Case,
    a: &Appointment,
    now: DateTime<Utc>,
) -> Result<()> {
    repo::withdraw(conn, &a.id, NoticeKind::Reminder, now)?;
    let when = local_time(conn, a)?;
    for to in recipients(conn, case)? {
        let body = format!("【鄞州调解】调解已改至 {when}。Moved to {when}.");
        enqueue(conn, NoticeKind::Rescheduled, &to, body, a, now, now)?;
        reminder(conn, settings, &to, a, &when, now)?;
    }
    Ok(())
}

pub fn cancelled(
    conn: &mut DbConnection,
    _settings: &AppointmentSettings,
    case: &Case,
    a: &Appointment,
    now: DateTime<Utc>,
) -> Result<()> {
    repo::withdraw(conn, &a.id, NoticeKind::Reminder, now)?;
    let when = local_time(conn, a)?;
    for to in recipients(conn, case)? {
        let body = format!("【鄞州调解】{when} 的调解已取消。Cancelled: {when}.");
        enqueue(conn, NoticeKind::Cancelled, &to, body, a, now, now)?;
    }
    Ok(())
}

/// How long a claimed message is reserved for the worker that claimed it.
const LEASE: Duration = Duration::seconds(60);
const BATCH: i64 = 50;

/// Delivers due messages until `shutdown` resolves, polling every `poll`.
pub async fn deliver_until(
    db: Db,
    notifier: Arc<Notifier>,
    poll: StdDuration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        if let Err(err) = deliver_due(&db, &notifier).await {
            tracing::error!(error = %err, "outbox delivery failed; will retry");
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(poll) => {}
        }
    }
}

/// One round: claim what is due, send it, mark what the sink accepted. Returns how many went.
pub async fn deliver_due(db: &Db, notifier: &Notifier) -> Result<usize> {
    let claimed = db.write::<_, crate::Error, _>(|conn| Ok(repo::claim_due(conn, Utc::now(), LEASE, BATCH)?)).await?;
    let mut sent = 0;
    for message in claimed {
        let notification = Notification {
            to: message.recipient.clone(),
            kind: message.kind.as_str().to_owned(),
            text: message.body.clone(),
            code: None,
        };
        match notifier.send(&notification).await {
            Ok(()) => {
                let id = message.id.clone();
                db.write::<_, crate::Error, _>(move |conn| Ok(repo::mark_delivered(conn, &id, Utc::now())?)).await?;
                sent += 1;
            }
            // The lease runs out and a later round tries again.
            Err(err) => tracing::warn!(error = %err, kind = message.kind.as_str(), "notice not delivered; will retry"),
        }
    }
    Ok(sent)
}
