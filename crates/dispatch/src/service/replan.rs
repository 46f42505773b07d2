//! Re-planning on the service's own after a change (a visit requested or cancelled, a van out
//! of service): a new plan of the station's date is proposed in the background, keeping visits
//! under way and confirmed ones where they can stay, and the board is told. A dispatcher commits
//! it or not. The change itself has already answered; a re-plan that fails is logged.

use chrono::NaiveDate;
use mediation_store::run_blocking;

use super::{Core, read_snapshot, solve, store_plan};
use crate::domain::StoredPlan;
use crate::error::{Error, Result};
use crate::events::Event;

impl Core {
    /// Proposes a new plan for the station's date in the background; see the module.
    pub(super) fn replan(&self, station_id: String, day: NaiveDate, triggered_by: String) {
        let core = self.clone();
        tokio::spawn(async move {
            match core.propose_on_change(station_id, day, triggered_by).await {
                Ok(Some(plan)) => core.bus.publish(Event::PlanProposed {
                    station_id: plan.station_id,
                    day: plan.day,
                    plan_id: plan.id,
                }),
                Ok(None) => {}
                Err(err) => tracing::warn!(error = %err, "re-planning after a change failed"),
            }
        });
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
