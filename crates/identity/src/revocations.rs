//! Which access tokens disabling has revoked, known in memory so that a signed-in call needs no
//! database read to learn it.
//!
//! Each process keeps every account's token not-before (`account_blocks` holds only accounts
//! ever disabled, so this is small) and polls `block_generation`, one row that triggers move on
//! every change to `account_blocks`, every [`POLL_EVERY`]; only when the counter moved does it
//! read the table again. What it knows is trusted for [`FRESH_FOR`] after the read that produced
//! it began; past that (the database did not answer, or the poll fell behind) the answer is "not
//! known" and the caller asks the database itself, as every call did before. So a token of an
//! account disabled on another process is refused here within [`FRESH_FOR`] of the disabling
//! transaction's commit, and at once on the process that disabled it ([`Revocations::note`]).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use mediation_store::Db;

use crate::domain::blocks::token_refused;
use crate::repo;

/// How often each process asks whether `account_blocks` changed.
pub const POLL_EVERY: Duration = Duration::from_millis(250);

/// How long what a read found is trusted; past it, callers ask the database.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
pub struct Revocations {
    known: RwLock<Known>,
}

#[derive(Debug, Default)]
struct Known {
    /// The counter as of the last read of the table.
    generation: Option<i64>,
    /// When the last successful poll began: what it found was committed by then.
    as_of: Option<Instant>,
    /// Token not-before of each account ever disabled, seconds since the epoch.
    not_before: HashMap<String, i64>,
    /// Disablings made by this process, with when they were noted, until a poll that began
    /// after them has read them back from the table.
    noted: HashMap<String, (i64, Instant)>,
}

impl Known {
    fn not_before(&self, account_id: &str) -> Option<i64> {
        let polled = self.not_before.get(account_id).copied();
        let noted = self.noted.get(account_id).map(|(nb, _)| *nb);
        polled.max(noted)
    }
}

impl Revocations {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Whether a token issued at `issued_at` (its `iat`) for these accounts (the session's
    /// account and the kiosk it is bound to) is refused: `None` when what is known is older than
    /// [`FRESH_FOR`] at `now`, and the database must answer instead.
    pub fn refused(&self, account_ids: &[&str], issued_at: i64, now: Instant) -> Option<bool> {
        let known = self.read();
        let fresh = known.as_of.is_some_and(|as_of| now.saturating_duration_since(as_of) <= FRESH_FOR);
        if !fresh {
            return None;
        }
        let not_before = account_ids.iter().filter_map(|id| known.not_before(id)).max();
        Some(token_refused(issued_at, not_before.and_then(|nb| DateTime::from_timestamp(nb, 0))))
    }

    /// Records a disabling this process just committed, so that its tokens are refused here at
    /// once rather than at the next poll.
    pub fn note(&self, account_id: &str, tokens_not_before: DateTime<Utc>, now: Instant) {
        let mut known = self.write();
        let nb = tokens_not_before.timestamp();
        let entry = known.noted.entry(account_id.to_owned()).or_insert((nb, now));
        *entry = (entry.0.max(nb), now);
    }

    /// Reads the counter and, when it moved, the table; `now` is when this read begins.
    pub async fn refresh(&self, db: &Db, now: Instant) -> Result<(), mediation_store::Error> {
        let seen = self.read().generation;
        let (generation, table) = db
            .read::<_, mediation_store::Error, _>(move |conn| {
                let generation = repo::block_generation(conn).map_err(mediation_store::Error::Query)?;
                if Some(generation) == seen {
                    return Ok((generation, None));
                }
                // Read after the counter: the rows are at least as new as it, so a change made
                // in between is read now and read again at the next poll.
                let rows = repo::all_tokens_not_before(conn).map_err(mediation_store::Error::Query)?;
                Ok((generation, Some(rows)))
            })
            .await?;
        self.apply(generation, table, now);
        Ok(())
    }

    fn apply(&self, generation: i64, table: Option<Vec<(String, DateTime<Utc>)>>, began: Instant) {
        let mut known = self.write();
        if let Some(rows) = table {
            known.not_before = rows.into_iter().map(|(id, nb)| (id, nb.timestamp())).collect();
            known.generation = Some(generation);
        }
        // Disablings noted before this read began were committed before it, so it found them.
        known.noted.retain(|_, (_, noted_at)| *noted_at >= began);
        known.as_of = Some(known.as_of.map_or(began, |as_of| as_of.max(began)));
    }

    /// Polls every [`POLL_EVERY`] until the last other holder of `self` lets go.
    pub fn keep_polling(self: &Arc<Self>, db: Db) -> tokio::task::JoinHandle<()> {
        let this = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(POLL_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut failing = false;
            loop {
                tick.tick().await;
                let Some(revocations) = this.upgrade() else { break };
                match revocations.refresh(&db, Instant::now()).await {
                    Ok(()) => failing = false,
                    // Calls ask the database themselves meanwhile; say so once, not every poll.
                    Err(err) if !failing => {
                        failing = true;
                        tracing::warn!(error = %err, "cannot poll account blocks; checking tokens one by one");
                    }
                    Err(_) => {}
                }
            }
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Known> {
        self.known.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Known> {
        self.known.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).unwrap()
    }

    #[test]
    fn nothing_is_known_before_the_first_poll_nor_after_it_goes_stale() {
        let revocations = Revocations::new();
        let start = Instant::now();
        assert_eq!(revocations.refused(&["a"], 100, start), None);
        revocations.apply(1, Some(vec![]), start);
        assert_eq!(revocations.refused(&["a"], 100, start + FRESH_FOR), Some(false));
        assert_eq!(revocations.refused(&["a"], 100, start + FRESH_FOR + Duration::from_millis(1)), None);
    }

    #[test]
    fn tokens_issued_before_the_not_before_are_refused() {
        let revocations = Revocations::new();
        let start = Instant::now();
        revocations.apply(3, Some(vec![("a".into(), at(1_000)), ("kiosk".into(), at(2_000))]), start);
        assert_eq!(revocations.refused(&["a"], 999, start), Some(true));
        assert_eq!(revocations.refused(&["a"], 1_000, start), Some(false));
        assert_eq!(revocations.refused(&["b"], 0, start), Some(false));
        // A walk-in session dies with its kiosk.
        assert_eq!(revocations.refused(&["a", "kiosk"], 1_500, start), Some(true));
    }

    #[test]
    fn an_unmoved_counter_keeps_the_table_and_freshens_it() {
        let revocations = Revocations::new();
        let start = Instant::now();
        revocations.apply(3, Some(vec![("a".into(), at(1_000))]), start);
        let later = start + Duration::from_secs(5);
        revocations.apply(3, None, later);
        assert_eq!(revocations.refused(&["a"], 999, later), Some(true));
    }

    #[test]
    fn a_local_disabling_counts_at_once_and_survives_a_poll_that_began_before_it() {
        let revocations = Revocations::new();
        let start = Instant::now();
        revocations.apply(1, Some(vec![]), start);
        let noted = start + Duration::from_millis(10);
        revocations.note("a", at(1_000), noted);
        assert_eq!(revocations.refused(&["a"], 999, noted), Some(true));
        // A poll that began before the note read the table without it...
        revocations.apply(1, Some(vec![]), start + Duration::from_millis(5));
        assert_eq!(revocations.refused(&["a"], 999, noted), Some(true));
        // ...one that began after found it there.
        let next = start + Duration::from_millis(300);
        revocations.apply(2, Some(vec![("a".into(), at(1_000))]), next);
        assert!(revocations.read().noted.is_empty());
        assert_eq!(revocations.refused(&["a"], 999, next), Some(true));
    }
}
