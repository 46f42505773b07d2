//! The live streams: a resident following their visit (WatchVisit) and a dispatcher's board of
//! a station's date (WatchBoard). Each opens from what is stored, then follows the event bus in
//! a task of its own that holds the caller's stream slot, and ends when the watcher goes away,
//! the bus closes, or (for a visit) the visit reaches a final state; or, with an error, when the
//! caller's session ends under it (`session`: the token expires, the account is disabled).
//!
//! The streams carry plain updates, already cut to what the watcher may see.

use chrono::{DateTime, NaiveDate, Utc};
use mediation_api::Fault;
use mediation_appointments::domain::access::Viewer;
use mediation_audit::Actor;
use mediation_auth::Principal;
use mediation_store::DbConnection;
use tokio::sync::{broadcast, mpsc};
use tokio_stream::Stream;

use super::core::address_read;
use super::session::{self, Session, TokenLife};
use super::{Core, require_dispatcher, station};
use crate::domain::travel::Point;
use crate::domain::{HomeVisit, VisitStatus, coarsen};
use crate::error::Result;
use crate::events::{self, Event};
use crate::repo;
use crate::streams::Slot;

/// Updates a watcher may have queued before it is considered gone.
const WATCH_BUFFER: usize = 16;

/// What a resident sees of their visit: no address, the van's position rounded until it has
/// ARRIVED.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitUpdate {
    pub visit_id: String,
    pub status: VisitStatus,
    pub eta: Option<DateTime<Utc>>,
    pub van_id: Option<String>,
    pub van_location: Option<Point>,
}

impl VisitUpdate {
    pub(super) fn of(visit: &HomeVisit, van_location: Option<Point>) -> Self {
        let exact = matches!(visit.status, VisitStatus::Arrived | VisitStatus::Completed);
        Self {
            visit_id: visit.id.clone(),
            status: visit.status,
            eta: visit.eta,
            van_id: visit.van_id.clone(),
            van_location: van_location.map(|p| if exact { p } else { coarsen(p) }),
        }
    }
}

/// What a dispatcher's board shows of the station's date as it changes.
#[derive(Debug, Clone, PartialEq)]
pub enum BoardUpdate {
    /// A visit as it is now, its address in clear: the board is for the station's dispatchers.
    Visit(Box<HomeVisit>),
    VanPosition {
        van_id: String,
        location: Point,
        at: DateTime<Utc>,
    },
    PlanCommitted {
        plan_id: String,
    },
    PlanProposed {
        plan_id: String,
    },
}

impl Core {
    /// A resident's visit as it is, then each change of it or of its van's position, until the
    /// caller's session ends (`token`: the access token the stream was opened with).
    pub async fn watch_visit(
        &self,
        principal: Principal,
        token: Option<TokenLife>,
        visit_id: String,
    ) -> Result<impl Stream<Item = Result<VisitUpdate>> + Send + 'static> {
        let slot = self.stream_slot(&principal)?;
        let session = Session::new(&principal, token, Utc::now());
        // Subscribe first, so that nothing between the snapshot and the stream is lost.
        let events = self.bus.subscribe();
        let (visit, van_location) =
            self.read(principal, move |conn, viewer| visit_to_watch(conn, viewer, &visit_id)).await?;
        let (tx, rx) = mpsc::channel(WATCH_BUFFER);
        let _ = tx.try_send(VisitUpdate::of(&visit, van_location));
        if !visit.status.is_final() {
            tokio::spawn(follow_visit(slot, events, tx, visit, van_location));
        }
        Ok(self.guard(session, rx))
    }

    /// A station's date: every visit of it as it is, then each change of a visit, a van's
    /// position, or a plan. Opening it shows every address in clear, which is audited; visits
    /// that reach the board later are not recorded one by one. It ends when the caller's session
    /// does, as [`Core::watch_visit`].
    pub async fn watch_board(
        &self,
        principal: Principal,
        token: Option<TokenLife>,
        actor: Actor,
        station_id: String,
        day: NaiveDate,
    ) -> Result<(chrono_tz::Tz, impl Stream<Item = Result<BoardUpdate>> + Send + 'static)> {
        let slot = self.stream_slot(&principal)?;
        let session = Session::new(&principal, token, Utc::now());
        let events = self.bus.subscribe();
        let board_station = station_id.clone();
        let (visits, reads, zone) = self
            .read(principal, move |conn, viewer| {
                let visits = board(conn, viewer, &board_station, day)?;
                let reads = visits.iter().filter_map(|visit| address_read(viewer, true, &visit.id, "WatchBoard"));
                let reads = reads.collect();
                Ok((visits, reads, station(conn, &board_station)?.zone))
            })
            .await?;
        self.audit_reads(actor, reads).await?;
        let (tx, rx) = mpsc::channel(WATCH_BUFFER.max(visits.len() + 1));
        for visit in visits {
            let _ = tx.try_send(BoardUpdate::Visit(Box::new(visit)));
        }
        tokio::spawn(follow_board(slot, events, tx, station_id, day));
        Ok((zone, self.guard(session, rx)))
    }

    /// The stream of `updates`, ended when `session` ends.
    fn guard<T>(&self, session: Session, updates: mpsc::Receiver<T>) -> session::Guarded<T> {
        session::guard(self.db.clone(), self.settings.stream_recheck, session, updates)
    }
}

/// What a resident's watch starts from: their visit and its van's last position. NOT_FOUND for
/// anyone else, so that the visit's existence stays private.
fn visit_to_watch(conn: &mut DbConnection, viewer: &Viewer, visit_id: &str) -> Result<(HomeVisit, Option<Point>)> {
    let visit = repo::visit(conn, visit_id)?.ok_or(Fault::NotFound("home visit"))?;
    let case = mediation_appointments::repo::case(conn, &visit.case_id)?.ok_or(Fault::NotFound("home visit"))?;
    if !viewer.is_applicant(&case) {
        return Err(Fault::NotFound("home visit").into());
    }
    let van_location = match &visit.van_id {
        Some(van_id) => repo::van(conn, van_id)?.and_then(|v| v.location),
        None => None,
    };
    Ok((visit, van_location))
}

/// What a dispatcher's board starts from: the date's visits.
fn board(conn: &mut DbConnection, viewer: &Viewer, station_id: &str, day: NaiveDate) -> Result<Vec<HomeVisit>> {
    require_dispatcher(viewer, station_id)?;
    station(conn, station_id)?;
    Ok(repo::visits_of_day(conn, station_id, day)?)
}

/// The next event on the bus, or `None` once the watcher is gone or the bus closed.
async fn next_event<T>(tx: &mpsc::Sender<T>, events: &mut broadcast::Receiver<Event>) -> Option<Event> {
    tokio::select! {
        () = tx.closed() => None,
        event = events::next(events) => event,
    }
}

/// Feeds a visit's watcher until it goes away or the visit is over; `_slot` is held till then.
async fn follow_visit(
    _slot: Slot,
    mut events: broadcast::Receiver<Event>,
    tx: mpsc::Sender<VisitUpdate>,
    mut visit: HomeVisit,
    mut van_location: Option<Point>,
) {
    while let Some(event) = next_event(&tx, &mut events).await {
        match event {
            Event::Visit(changed) if changed.id == visit.id => visit = *changed,
            Event::VanPosition { van_id, location, .. } if visit.van_id.as_ref() == Some(&van_id) => {
                van_location = Some(location);
            }
            _ => continue,
        }
        if tx.send(VisitUpdate::of(&visit, van_location)).await.is_err() || visit.status.is_final() {
            break;
        }
    }
}

/// Feeds a board's watcher until it goes away; `_slot` is held till then.
async fn follow_board(
    _slot: Slot,
    mut events: broadcast::Receiver<Event>,
    tx: mpsc::Sender<BoardUpdate>,
    station: String,
    day: NaiveDate,
) {
    while let Some(event) = next_event(&tx, &mut events).await {
        let update = match event {
            Event::Visit(visit) if visit.station_id == station && visit.day == day => BoardUpdate::Visit(visit),
            Event::VanPosition { van_id, station_id, location, at } if station_id == station => {
                BoardUpdate::VanPosition { van_id, location, at }
            }
            Event::PlanCommitted { station_id, day: d, plan_id } if station_id == station && d == day => {
                BoardUpdate::PlanCommitted { plan_id }
            }
            Event::PlanProposed { station_id, day: d, plan_id } if station_id == station && d == day => {
                BoardUpdate::PlanProposed { plan_id }
            }
            _ => continue,
        };
        if tx.send(update).await.is_err() {
            break;
        }
    }
}
