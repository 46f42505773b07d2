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

use crate::Clock;
use crate::domain::agreement::{Agreement, broken_text, follow_up_text, to_sign_text};
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

/// Enqueues one message about an agreement, due at `at`.
fn enqueue_agreement_notice(
    conn: &mut DbConnection,
    kind: NoticeKind,
    to: &str,
    body: String,
    agreement: &Agreement,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    let message = OutboxMessage {
        id: uuid::Uuid::now_v7().to_string(),
        kind,
        recipient: to.to_owned(),
        body,
        appointment_id: None,
        deliver_after: at,
    };
    Ok(repo::enqueue_for_agreement(conn, &message, &agreement.id, now)?)
}

/// Tells every party that the agreement is ready to sign (again, after a redraft: an earlier
/// notice not yet sent is withdrawn). The SMS carries no term of it, only where to read it.
pub fn agreement_to_sign(
    conn: &mut DbConnection,
    case: &Case,
    agreement: &Agreement,
    station: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    repo::withdraw_for_agreement(conn, &agreement.id, NoticeKind::AgreementToSign, now)?;
    for party in &case.parties {
        enqueue_agreement_notice(
            conn,
            NoticeKind::AgreementToSign,
            &party.phone,
            to_sign_text(station),
            agreement,
            now,
            now,
        )?;
    }
    Ok(())
}

/// Schedules each party's FOLLOW_UP notice `settings.follow_up_after` after signing.
pub fn follow_up(
    conn: &mut DbConnection,
    settings: &AppointmentSettings,
    case: &Case,
    agreement: &Agreement,
    station: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let at = now + settings.follow_up_after;
    for party in &case.parties {
        enqueue_agreement_notice(
            conn,
            NoticeKind::FollowUp,
            &party.phone,
            follow_up_text(station),
            agreement,
            at,
            now,
        )?;
    }
    Ok(())
}

/// Withdraws the follow-up of a voided agreement, if it was not sent yet.
pub fn withdraw_follow_up(conn: &mut DbConnection, agreement: &Agreement, now: DateTime<Utc>) -> Result<()> {
    repo::withdraw_for_agreement(conn, &agreement.id, NoticeKind::AgreementToSign, now)?;
    repo::withdraw_for_agreement(conn, &agreement.id, NoticeKind::FollowUp, now)?;
    Ok(())
}

/// Tells the station's staff that an agreement was reported broken and the case is open again:
/// by SMS to those with a phone, else to `account:<id>` for the sink to route to their console.
pub fn agreement_broken(conn: &mut DbConnection, case: &Case, agreement: &Agreement, now: DateTime<Utc>) -> Result<()> {
    let body = broken_text(&case.id);
    for staff in mediation_identity::repo::staff_of_station(conn, &case.site_id)? {
        let to = staff.phone.map_or_else(|| format!("account:{}", staff.id), |p| p.as_str().to_owned());
        enqueue_agreement_notice(conn, NoticeKind::AgreementBroken, &to, body.clone(), agreement, now, now)?;
    }
    Ok(())
}

/// How long a claimed message is reserved for the worker that claimed it.
const LEASE: Duration = Duration::seconds(60);
const BATCH: i64 = 50;

/// Delivers due messages until `shutdown` resolves, polling every `poll`; `clock` says what
/// is due.
pub async fn deliver_until(
    db: Db,
    notifier: Arc<Notifier>,
    poll: StdDuration,
    clock: Clock,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        if let Err(err) = deliver_due(&db, &notifier, &clock).await {
            tracing::error!(error = %err, "outbox delivery failed; will retry");
        }
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(poll) => {}
        }
    }
}

/// One round: claim what is due, send it, mark what the sink accepted. Returns how many went.
pub async fn deliver_due(db: &Db, notifier: &Notifier, clock: &Clock) -> Result<usize> {
    let now = clock.now();
    let claimed = db.write::<_, crate::Error, _>(move |conn| Ok(repo::claim_due(conn, now, LEASE, BATCH)?)).await?;
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
                let (id, now) = (message.id.clone(), clock.now());
                db.write::<_, crate::Error, _>(move |conn| Ok(repo::mark_delivered(conn, &id, now)?)).await?;
                sent += 1;
            }
            // The lease runs out and a later round tries again.
            Err(err) => tracing::warn!(error = %err, kind = message.kind.as_str(), "notice not delivered; will retry"),
        }
    }
    Ok(sent)
}
