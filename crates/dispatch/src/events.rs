//! The in-process event bus behind WatchVisit and WatchBoard: a tokio broadcast channel. A
//! watcher that falls behind loses the oldest events (it is told how many and skips them)
//! instead of holding the others back; a watcher that goes away just stops receiving.
//!
//! On its own the bus reaches one process. On PostgreSQL the gateway attaches a
//! [`crate::relay`], which sends what is published here to the other replicas (LISTEN/NOTIFY)
//! and delivers theirs here, so a watcher sees changes made through any replica.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, NaiveDate, Utc};
use tokio::sync::{broadcast, mpsc};

use crate::domain::HomeVisit;
use crate::domain::travel::Point;

#[derive(Debug, Clone)]
pub enum Event {
    /// A visit as it is now.
    Visit(Box<HomeVisit>),
    /// A van reported where it is.
    VanPosition { van_id: String, station_id: String, location: Point, at: DateTime<Utc> },
    /// A plan of the station's date was committed.
    PlanCommitted { station_id: String, day: NaiveDate, plan_id: String },
    /// A plan was proposed after a change, waiting for a dispatcher.
    PlanProposed { station_id: String, day: NaiveDate, plan_id: String },
}

#[derive(Debug, Clone)]
pub struct Bus {
    sender: broadcast::Sender<Event>,
    /// Where published events also go, to reach other processes, once a relay is attached.
    outgoing: Arc<OnceLock<mpsc::Sender<Event>>>,
}

impl Bus {
    /// A bus that keeps up to `capacity` events for its slowest watcher.
    pub fn new(capacity: usize) -> Self {
        Self { sender: broadcast::channel(capacity.max(1)).0, outgoing: Arc::new(OnceLock::new()) }
    }

    /// Sends to every current watcher, here and (with a relay) on the other replicas; nobody
    /// listening is fine.
    pub fn publish(&self, event: Event) {
        if let Some(outgoing) = self.outgoing.get()
            && outgoing.try_send(event.clone()).is_err()
        {
            tracing::warn!("the event relay is behind or gone; other replicas miss an event");
        }
        let _ = self.sender.send(event);
    }

    /// Sends to this process's watchers only: for events that came from another replica.
    pub(crate) fn deliver(&self, event: Event) {
        let _ = self.sender.send(event);
    }

    /// Sends every published event to `outgoing` as well; false when a relay is attached already.
    pub(crate) fn attach(&self, outgoing: mpsc::Sender<Event>) -> bool {
        self.outgoing.set(outgoing).is_ok()
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }
}

/// The next event, skipping what a lagging receiver lost; `None` once the bus is gone.
pub async fn next(receiver: &mut broadcast::Receiver<Event>) -> Option<Event> {
    loop {
        match receiver.recv().await {
            Ok(event) => return Some(event),
            Err(broadcast::error::RecvError::Lagged(skipped)) => {
                tracing::debug!(skipped, "a watcher fell behind and skipped events");
            }
            Err(broadcast::error::RecvError::Closed) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(n: usize) -> Event {
        Event::PlanCommitted { station_id: "s".into(), day: NaiveDate::MIN, plan_id: n.to_string() }
    }

    #[tokio::test]
    async fn a_lagging_watcher_skips_and_others_keep_up() {
        let bus = Bus::new(4);
        let mut slow = bus.subscribe();
        let mut fast = bus.subscribe();
        for n in 0..10 {
            bus.publish(plan(n));
            let Some(Event::PlanCommitted { plan_id, .. }) = next(&mut fast).await else { panic!() };
            assert_eq!(plan_id, n.to_string());
        }
        // The slow one lost the oldest six and resumes with what is left.
        let Some(Event::PlanCommitted { plan_id, .. }) = next(&mut slow).await else { panic!() };
        assert_eq!(plan_id, "6");
    }

    #[test]
    fn publishing_without_watchers_is_fine() {
        Bus::new(1).publish(plan(1));
    }
}
