//! Re-planning on the service's own after a change (a visit requested or cancelled, a van out
//! of service): a new plan of the station's date is proposed in the background, keeping visits
//! under way and confirmed ones where they can stay, and the board is told. A dispatcher commits
//! it or not. The change itself has already answered; a re-plan that fails is logged.
//!
//! Planning a date takes seconds of every core, so changes do not each start one: per station
//! and date at most one re-plan runs and one waits, two start at least `replan_min_interval`
//! apart (`domain::replans`), and at most `replan_concurrency` run at once in the process. The
//! one that waits reads the date when it starts, so it plans every change made until then.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use mediation_store::run_blocking;

use super::{Core, read_snapshot, solve, store_plan};
use crate::domain::StoredPlan;
use crate::domain::replans::Ask;
use crate::error::{Error, Result};
use crate::events::Event;

type Key = (String, NaiveDate);

impl Core {
    /// Asks for a new plan of the station's date in the background; see the module.
    pub(super) fn replan(&self, station_id: String, day: NaiveDate, triggered_by: String) {
        let key = (station_id, day);
        let ask = self.replans.lock().expect("the re-plan table is never poisoned").ask(
            key.clone(),
            triggered_by,
            Instant::now(),
        );
        if let Ask::Spawn { wait } = ask {
            let core = self.clone();
            tokio::spawn(async move { core.run_replans(key, wait).await });
        }
    }

    /// The runner of one station's date: waits `wait`, takes a turn, runs the re-plan that is
    /// due, and again while another became due meanwhile.
    async fn run_replans(&self, key: Key, mut wait: Duration) {
        let mut runner = Runner { core: self, key: &key, done: false };
        loop {
            tokio::time::sleep(wait).await;
            let Ok(_turn) = self.replan_turns.acquire().await else { break };
            let trigger = match runner.table(|replans| replans.start(&key, Instant::now())) {
                Ok(Some(trigger)) => trigger,
                Ok(None) => break,
                Err(owed) => {
                    wait = owed;
                    continue;
                }
            };
            self.replan_once(key.0.clone(), key.1, trigger).await;
            match runner.table(|replans| replans.finish(&key, Instant::now())) {
                Some(next) => wait = next,
                None => break,
            }
        }
        runner.done = true;
    }

    /// One re-plan: proposes, stores, and tells the board; a failure is logged.
    async fn replan_once(&self, station_id: String, day: NaiveDate, triggered_by: String) {
        match self.propose_on_change(station_id, day, triggered_by).await {
            Ok(Some(plan)) => {
                self.bus.publish(Event::PlanProposed { station_id: plan.station_id, day: plan.day, plan_id: plan.id })
            }
            Ok(None) => {}
            Err(err) => tracing::warn!(error = %err, "re-planning after a change failed"),
        }
    }

    /// Publishes a new visit as it is stored (the reply to its request is a replayable message,
    /// so a retry comes here too) and re-plans its date.
    pub async fn visit_requested(&self, visit_id: &str, triggered_by: String) {
        let id = visit_id.to_owned();
        let read = self.db.read::<_, Error, _>(move |conn| Ok(crate::repo::visit(conn, &id)?)).await;
        if let Some(visit) = read.ok().flatten() {
            self.publish_visits([visit.clone()]);
            self.replan(visit.station_id, visit.day, triggered_by);
        }
    }

    /// A stored proposal for the date, or `None` when it has no visit to route.
    async fn propose_on_change(&self, station_id: String, day: NaiveDate, by: String) -> Result<Option<StoredPlan>> {
        let snapshot = self.db.read::<_, Error, _>(move |conn| read_snapshot(conn, &station_id, day)).await?;
        if snapshot.visits.is_empty() {
            return Ok(None);
        }
        let settings = self.settings.clone();
        let limit = settings.default_time_limit;
        let planned = snapshot.clone();
        let body = run_blocking(move || solve(&planned, &settings, limit)).await?;
        let plan = self.db.write::<_, Error, _>(move |conn| store_plan(conn, &by, &snapshot, body)).await?;
        Ok(Some(plan))
    }
}

/// The runner of a key while it lives: if it ends without finishing (a panic, the runtime
/// shutting down), the key is released so that the next change starts a runner again.
struct Runner<'a> {
    core: &'a Core,
    key: &'a Key,
    done: bool,
}

impl Runner<'_> {
    fn table<R>(&self, f: impl FnOnce(&mut crate::domain::replans::Replans<Key, String>) -> R) -> R {
        f(&mut self.core.replans.lock().expect("the re-plan table is never poisoned"))
    }
}

impl Drop for Runner<'_> {
    fn drop(&mut self) {
        if !self.done {
            // A panic elsewhere never leaves the table poisoned: it is locked only here and above.
            if let Ok(mut replans) = self.core.replans.lock() {
                replans.abandon(self.key);
            }
        }
    }
}
