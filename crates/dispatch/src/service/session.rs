//! The caller of an open watch stream, checked for as long as it stays open. The gateway checks
//! a token once, when the call starts; a stream outlives that check, so each one has a guard:
//! a task that ends the stream when the token it was opened with expires, and that asks the
//! database every `stream_recheck` whether the caller's account (or the kiosk their session is
//! bound to) was disabled since the token was issued, the same not-before rule the gateway
//! applies (`mediation_identity::domain::blocks::token_refused`). Disabling is a row in the
//! database, so a stream on any replica ends within one recheck. A database that cannot answer
//! ends the stream too, as the gateway refuses such a call, rather than keep a possibly revoked
//! caller listening.
//!
//! The stream the caller reads ([`Guarded`]) yields the guard's verdict ahead of any update still
//! queued, then ends: nothing queued before the verdict reaches a revoked caller.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use chrono::{DateTime, Utc};
use mediation_auth::Principal;
use mediation_store::Db;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::Stream;

use crate::error::{Error, Result, SessionEnd};

/// When the access token a stream was opened with was issued and when it expires, in seconds
/// since the epoch (its `iat` and `exp` claims).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenLife {
    pub issued_at: i64,
    pub expires_at: i64,
}

/// What the guard of one stream watches.
#[derive(Debug, Clone)]
pub(super) struct Session {
    /// The caller's account, and the kiosk a walk-in session is bound to.
    accounts: Vec<String>,
    /// The token's `iat`; without a token, when the stream opened.
    issued_at: i64,
    expires_at: Option<DateTime<Utc>>,
}

impl Session {
    pub(super) fn new(principal: &Principal, token: Option<TokenLife>, now: DateTime<Utc>) -> Self {
        let accounts = std::iter::once(&principal.account_id).chain(principal.kiosk_id.as_ref()).cloned().collect();
        Self {
            accounts,
            issued_at: token.map_or(now.timestamp(), |t| t.issued_at),
            expires_at: token.and_then(|t| DateTime::from_timestamp(t.expires_at, 0)),
        }
    }

    /// Whether an account of the session was disabled after its token was issued.
    async fn revoked(&self, db: &Db) -> Result<bool> {
        let accounts = self.accounts.clone();
        let not_before = db
            .read::<_, Error, _>(move |conn| {
                let ids: Vec<&str> = accounts.iter().map(String::as_str).collect();
                Ok(mediation_identity::repo::tokens_not_before(conn, &ids)?)
            })
            .await?;
        Ok(mediation_identity::domain::blocks::token_refused(self.issued_at, not_before))
    }
}

/// Starts the guard of a stream of `updates`; returns the stream the caller reads.
pub(super) fn guard<T>(db: Db, every: Duration, session: Session, updates: mpsc::Receiver<T>) -> Guarded<T> {
    let (verdict, end) = oneshot::channel();
    tokio::spawn(watch_session(db, every, session, verdict));
    Guarded { updates, end: Some(end), ended: false }
}

/// Watches the session until the stream goes away (`verdict` closes) or the session ends, which
/// it sends on `verdict`.
async fn watch_session(db: Db, every: Duration, session: Session, mut verdict: oneshot::Sender<Error>) {
    let expiry = async {
        match session.expires_at {
            Some(at) => tokio::time::sleep((at - Utc::now()).to_std().unwrap_or_default()).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(expiry);
    let every = every.max(Duration::from_millis(100));
    let mut checks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    checks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let why = loop {
        tokio::select! {
            () = verdict.closed() => return,
            () = &mut expiry => break SessionEnd::Expired,
            _ = checks.tick() => match session.revoked(&db).await {
                Ok(false) => {}
                Ok(true) => break SessionEnd::Revoked,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot check an open stream's session; ending it");
                    break SessionEnd::Unchecked;
                }
            },
        }
    };
    let _ = verdict.send(Error::SessionEnded(why));
}

/// A stream's updates, cut short by its guard's verdict.
#[derive(Debug)]
pub struct Guarded<T> {
    updates: mpsc::Receiver<T>,
    end: Option<oneshot::Receiver<Error>>,
    ended: bool,
}

impl<T> Stream for Guarded<T> {
    type Item = Result<T>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(None);
        }
        if let Some(end) = this.end.as_mut()
            && let Poll::Ready(verdict) = Pin::new(end).poll(cx)
        {
            this.end = None;
            this.ended = true;
            this.updates.close();
            // A guard gone without a verdict (the runtime is shutting down) cannot vouch either.
            return Poll::Ready(Some(Err(verdict.unwrap_or(Error::SessionEnded(SessionEnd::Unchecked)))));
        }
        this.updates.poll_recv(cx).map(|update| update.map(Ok))
    }
}

#[cfg(test)]
mod tests {
    use tokio_stream::StreamExt;

    use super::*;

    fn guarded(capacity: usize) -> (mpsc::Sender<u32>, oneshot::Sender<Error>, Guarded<u32>) {
        let (tx, updates) = mpsc::channel(capacity);
        let (verdict, end) = oneshot::channel();
        (tx, verdict, Guarded { updates, end: Some(end), ended: false })
    }

    #[tokio::test]
    async fn the_verdict_comes_before_anything_queued_and_ends_the_stream() {
        let (tx, verdict, mut stream) = guarded(8);
        tx.send(1).await.unwrap();
        assert_eq!(stream.next().await.unwrap().unwrap(), 1);
        tx.send(2).await.unwrap();
        tx.send(3).await.unwrap();
        verdict.send(Error::SessionEnded(SessionEnd::Revoked)).unwrap();
        assert!(matches!(stream.next().await, Some(Err(Error::SessionEnded(SessionEnd::Revoked)))));
        assert!(stream.next().await.is_none(), "nothing queued is shown after the verdict");
        assert!(tx.send(4).await.is_err(), "the feeder learns the watcher is gone");
    }

    #[tokio::test]
    async fn updates_flow_and_end_while_the_session_holds() {
        let (tx, _verdict, mut stream) = guarded(8);
        tx.send(7).await.unwrap();
        drop(tx);
        assert_eq!(stream.next().await.unwrap().unwrap(), 7);
        assert!(stream.next().await.is_none());
    }

    #[tokio::test]
    async fn a_guard_gone_without_a_verdict_ends_the_stream_unchecked() {
        let (_tx, verdict, mut stream) = guarded(8);
        drop(verdict);
        assert!(matches!(stream.next().await, Some(Err(Error::SessionEnded(SessionEnd::Unchecked)))));
        assert!(stream.next().await.is_none());
    }

    #[test]
    fn the_session_takes_the_tokens_times_and_the_kiosk_it_is_bound_to() {
        let now = Utc::now();
        let principal = Principal {
            account_id: "r1".into(),
            role: mediation_auth::Role::Resident,
            site_id: None,
            kiosk_id: Some("k1".into()),
        };
        let session = Session::new(&principal, Some(TokenLife { issued_at: 100, expires_at: 1000 }), now);
        assert_eq!(session.accounts, ["r1", "k1"]);
        assert_eq!((session.issued_at, session.expires_at.map(|t| t.timestamp())), (100, Some(1000)));
        let untimed = Session::new(&principal, None, now);
        assert_eq!((untimed.issued_at, untimed.expires_at), (now.timestamp(), None));
    }
}
