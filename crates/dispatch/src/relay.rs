//! Dispatch events across processes on PostgreSQL, so that a van position reported to one
//! replica reaches a resident watching on another: every replica `LISTEN`s on one channel on a
//! connection of its own, and sends what its bus publishes with `pg_notify` through the pool.
//!
//! - A notification carries the event small: a visit goes by id and the receiver reads it from
//!   the database (so it always sees the stored visit, and the payload stays far below
//!   PostgreSQL's 8000-byte limit); positions and plans go whole.
//! - Each replica tags what it sends and skips its own notifications, which its watchers had
//!   already.
//! - The listening connection is polled every [`POLL`] (libpq reads what has arrived without
//!   blocking) and pinged every [`PING`]; when it fails (the database restarted) it is opened
//!   again with a growing pause up to [`MAX_BACKOFF`]. Events sent while it was down are lost to
//!   that replica's watchers, which see the next change; live streams are advisory, the stored
//!   state is what GetHomeVisit and a new watch read.
//! - Delivery is after commit and at most once: a replica that dies between its commit and its
//!   `pg_notify` leaves the others a change behind until the next one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::RunQueryDsl;
use diesel::pg::PgConnection;
use diesel::sql_types::Text;
use mediation_store::{Backend, Db, DbConnection};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::domain::travel::Point;
use crate::error::Error;
use crate::events::{Bus, Event};
use crate::repo;

/// The PostgreSQL notification channel.
pub const CHANNEL: &str = "mediation_dispatch_events";
pub const POLL: Duration = Duration::from_millis(25);
pub const PING: Duration = Duration::from_secs(10);
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// Events waiting to be sent before new ones are dropped (and a warning logged).
const QUEUE: usize = 4096;
const BATCH: usize = 64;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Wire {
    Visit { id: String },
    VanPosition { van_id: String, station_id: String, lat: f64, lng: f64, at: DateTime<Utc> },
    PlanCommitted { station_id: String, day: NaiveDate, plan_id: String },
    PlanProposed { station_id: String, day: NaiveDate, plan_id: String },
}

#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    /// The sending process's relay.
    from: String,
    event: Wire,
}

fn to_wire(event: &Event) -> Wire {
    match event {
        Event::Visit(visit) => Wire::Visit { id: visit.id.clone() },
        Event::VanPosition { van_id, station_id, location, at } => Wire::VanPosition {
            van_id: van_id.clone(),
            station_id: station_id.clone(),
            lat: location.y,
            lng: location.x,
            at: *at,
        },
        Event::PlanCommitted { station_id, day, plan_id } => {
            Wire::PlanCommitted { station_id: station_id.clone(), day: *day, plan_id: plan_id.clone() }
        }
        Event::PlanProposed { station_id, day, plan_id } => {
            Wire::PlanProposed { station_id: station_id.clone(), day: *day, plan_id: plan_id.clone() }
        }
    }
}

/// The event a notification stands for; a visit is read as it is stored now (`None` if gone).
fn from_wire(conn: &mut DbConnection, wire: Wire) -> Result<Option<Event>, Error> {
    Ok(Some(match wire {
        Wire::Visit { id } => match repo::visit(conn, &id)? {
            Some(visit) => Event::Visit(Box::new(visit)),
            None => return Ok(None),
        },
        Wire::VanPosition { van_id, station_id, lat, lng, at } => {
            Event::VanPosition { van_id, station_id, location: Point::lat_lng(lat, lng), at }
        }
        Wire::PlanCommitted { station_id, day, plan_id } => Event::PlanCommitted { station_id, day, plan_id },
        Wire::PlanProposed { station_id, day, plan_id } => Event::PlanProposed { station_id, day, plan_id },
    }))
}

/// Relays a bus while it lives; dropping it stops both directions.
#[derive(Debug)]
pub struct Relay {
    stop: Arc<AtomicBool>,
    sender: tokio::task::JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.sender.abort();
    }
}

/// Starts relaying `bus` through `db` when it is PostgreSQL; `None` on SQLite, where one
/// process is the deployment. Call it from within the runtime, once per bus.
pub fn start(bus: &Bus, db: &Db) -> std::io::Result<Option<Relay>> {
    if db.backend() != Backend::Postgres {
        return Ok(None);
    }
    let (outgoing, queued) = mpsc::channel(QUEUE);
    if !bus.attach(outgoing) {
        tracing::warn!("this event bus is relayed already");
        return Ok(None);
    }
    let origin = uuid::Uuid::new_v4().to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let (listen_db, listen_bus, listen_origin, listen_stop) = (db.clone(), bus.clone(), origin.clone(), stop.clone());
    std::thread::Builder::new()
        .name("dispatch-events".into())
        .spawn(move || listen(&listen_db, &listen_bus, &listen_origin, &listen_stop))?;
    let sender = tokio::spawn(send(db.clone(), origin, queued));
    Ok(Some(Relay { stop, sender }))
}

/// Sends what the bus publishes, a batch per pooled checkout.
async fn send(db: Db, origin: String, mut queued: mpsc::Receiver<Event>) {
    while let Some(first) = queued.recv().await {
        let mut batch = vec![first];
        while batch.len() < BATCH
            && let Ok(event) = queued.try_recv()
        {
            batch.push(event);
        }
        let payloads: Vec<String> = batch
            .iter()
            .filter_map(|event| serde_json::to_string(&Envelope { from: origin.clone(), event: to_wire(event) }).ok())
            .collect();
        let sent = db
            .read::<_, Error, _>(move |conn| {
                let DbConnection::Pg(pg) = conn else { return Ok(()) };
                for payload in &payloads {
                    diesel::sql_query("SELECT pg_notify($1, $2)")
                        .bind::<Text, _>(CHANNEL)
                        .bind::<Text, _>(payload)
                        .execute(pg)?;
                }
                Ok(())
            })
            .await;
        if let Err(err) = sent {
            tracing::warn!(error = %err, events = batch.len(), "events not sent to the other replicas");
        }
    }
}

/// Listens until `stop`, opening the connection again whenever it fails.
fn listen(db: &Db, bus: &Bus, origin: &str, stop: &AtomicBool) {
    let mut backoff = POLL * 4;
    while !stop.load(Ordering::Relaxed) {
        let mut connected = false;
        match listen_once(db, bus, origin, stop, &mut connected) {
            Ok(()) => return,
            Err(err) if connected => {
                tracing::warn!(error = %err, "the event listener lost its connection; opening it again");
                backoff = POLL * 4;
            }
            Err(err) => {
                tracing::warn!(error = %err, retry_ms = backoff.as_millis() as u64, "the event listener cannot connect");
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
        let until = Instant::now() + backoff;
        while Instant::now() < until && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(POLL);
        }
    }
}

/// Why the listening connection was given up.
#[derive(Debug, thiserror::Error)]
enum ListenError {
    #[error("cannot connect: {0}")]
    Connect(#[from] diesel::ConnectionError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error(transparent)]
    Read(#[from] Error),
}

fn listen_once(db: &Db, bus: &Bus, origin: &str, stop: &AtomicBool, connected: &mut bool) -> Result<(), ListenError> {
    let Some(opened) = db.dedicated_postgres() else { return Ok(()) };
    let mut conn = DbConnection::Pg(opened?);
    diesel::sql_query(format!("LISTEN {CHANNEL}")).execute(pg(&mut conn))?;
    *connected = true;
    tracing::debug!("listening for dispatch events of other replicas");
    let mut pinged = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let mut arrived = Vec::new();
        for notification in pg(&mut conn).notifications_iter() {
            arrived.push(notification?.payload);
        }
        for payload in arrived {
            let envelope: Envelope = match serde_json::from_str(&payload) {
                Ok(envelope) => envelope,
                Err(err) => {
                    tracing::warn!(error = %err, "an event from another replica could not be read; skipped");
                    continue;
                }
            };
            if envelope.from == origin {
                continue;
            }
            // Reading the visit opens its sealed address, which needs the database's keys.
            if let Some(event) = db.with_keys_in_scope(|| from_wire(&mut conn, envelope.event))? {
                bus.deliver(event);
            }
        }
        // libpq notices a closed socket when it reads; a quiet half-open one needs a query.
        if pinged.elapsed() >= PING {
            diesel::sql_query("SELECT 1").execute(pg(&mut conn))?;
            pinged = Instant::now();
        }
        std::thread::sleep(POLL);
    }
    Ok(())
}

fn pg(conn: &mut DbConnection) -> &mut PgConnection {
    match conn {
        DbConnection::Pg(pg) => pg,
        DbConnection::Sqlite(_) => unreachable!("the relay runs on PostgreSQL only"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_travel_small_and_come_back_whole() {
        let position = Event::VanPosition {
            van_id: "v".into(),
            station_id: "s".into(),
            location: Point::lat_lng(29.84, 121.55),
            at: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        };
        let wire = to_wire(&position);
        let text = serde_json::to_string(&Envelope { from: "me".into(), event: wire.clone() }).unwrap();
        assert!(text.contains(r#""kind":"van_position""#), "{text}");
        let back: Envelope = serde_json::from_str(&text).unwrap();
        assert_eq!(back.event, wire);
        let Wire::VanPosition { lat, lng, .. } = back.event else { panic!() };
        assert_eq!((lat, lng), (29.84, 121.55));
    }
}
