//! What every dispatch call runs against, and the steps they share: the caller's view inside a
//! transaction, the audit records owed for addresses shown, the events published after a change.

use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use mediation_api::paging;
use mediation_appointments::domain::access::Viewer;
use mediation_audit::{Action, Actor, Event as AuditEvent, TargetKind};
use mediation_auth::Principal;
use mediation_store::{Db, DbConnection};

use super::DispatchSettings;
use crate::domain::HomeVisit;
use crate::domain::replans::Replans;
use crate::error::{Error, Result};
use crate::events::{Bus, Event};
use crate::streams::{Slot, StreamSlots};

/// The dispatch service over one database and one event bus.
#[derive(Debug, Clone)]
pub struct Core {
    pub(super) db: Db,
    pub(super) settings: DispatchSettings,
    pub(super) bus: Bus,
    streams: StreamSlots,
    /// The background re-plans of each station's date, and the turns they take to run.
    pub(super) replans: Arc<Mutex<Replans<(String, NaiveDate), String>>>,
    pub(super) replan_turns: Arc<tokio::sync::Semaphore>,
}

/// One page of a list: at most `size` items after the cursor `after`, whose next page token is
/// bound to the `query` fingerprint.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub size: usize,
    pub after: Option<String>,
    pub query: String,
}

impl PageRequest {
    /// How many rows to fetch: one more than the page, to know whether another follows.
    pub(super) fn limit(&self) -> i64 {
        self.size as i64 + 1
    }

    /// The page of `items` (fetched with [`Self::limit`]) and the token of the next one.
    pub(super) fn cut<T>(&self, items: Vec<T>, id: impl Fn(&T) -> &str) -> (Vec<T>, String) {
        paging::split_page(items, self.size, &self.query, |item| id(item).to_owned())
    }
}

impl Core {
    pub fn new(db: Db, settings: DispatchSettings) -> Self {
        let bus = Bus::new(settings.bus_capacity);
        let streams = StreamSlots::new(settings.max_streams_per_principal);
        let replans = Arc::new(Mutex::new(Replans::new(settings.replan_min_interval)));
        let replan_turns = Arc::new(tokio::sync::Semaphore::new(settings.replan_concurrency.max(1)));
        Self { db, settings, bus, streams, replans, replan_turns }
    }

    /// The event bus, for a [`crate::relay`] to carry across processes.
    pub fn bus(&self) -> &Bus {
        &self.bus
    }

    pub fn settings(&self) -> &DispatchSettings {
        &self.settings
    }

    /// Runs `work` with the caller's view in one write transaction.
    pub async fn write<T, F>(&self, principal: Principal, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Viewer) -> Result<T> + Send + 'static,
    {
        self.db
            .write::<_, Error, _>(move |conn| {
                let viewer = super::viewer(conn, principal)?;
                work(conn, &viewer)
            })
            .await
    }

    /// Runs `work` with the caller's view, outside a transaction.
    pub async fn read<T, F>(&self, principal: Principal, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConnection, &Viewer) -> Result<T> + Send + 'static,
    {
        self.db
            .read::<_, Error, _>(move |conn| {
                let viewer = super::viewer(conn, principal)?;
                work(conn, &viewer)
            })
            .await
    }

    /// Records a staff member's reads of home addresses before they are answered, so that
    /// nothing is shown without its audit record.
    pub(super) async fn audit_reads(&self, actor: Actor, reads: Vec<AuditEvent>) -> Result<()> {
        Ok(mediation_audit::record(&self.db, actor, reads).await?)
    }

    /// [`disclose_in`] for reads answered outside a transaction: the records the showings owe
    /// are appended in one write transaction of their own, then the visits may be answered.
    pub(super) async fn disclose(
        &self,
        actor: Actor,
        owed: Vec<(HomeVisit, bool, Option<AuditEvent>, chrono_tz::Tz)>,
    ) -> Result<Vec<ShownVisit>> {
        let mut reads = Vec::new();
        let mut shown = Vec::with_capacity(owed.len());
        for (visit, full, read, zone) in owed {
            reads.extend(read);
            shown.push(ShownVisit { visit, full, zone });
        }
        self.audit_reads(actor, reads).await?;
        Ok(shown)
    }

    /// Tells the open watches of these visits' changes.
    pub fn publish_visits(&self, visits: impl IntoIterator<Item = HomeVisit>) {
        for visit in visits {
            self.bus.publish(Event::Visit(Box::new(visit)));
        }
    }

    /// A watch-stream slot for the caller, or [`Error::TooManyStreams`] when they hold all theirs.
    pub(super) fn stream_slot(&self, principal: &Principal) -> Result<Slot> {
        self.streams.take(&principal.account_id).ok_or(Error::TooManyStreams(self.streams.max()))
    }
}

/// A visit as one caller is shown it: the only thing the gRPC face encodes a visit from. Its
/// address is in clear (`full`) only when it was built by [`disclose_in`] or [`Core::disclose`],
/// which append the audit record a staff member's read of it owes, or for what cannot be a read:
/// the address its requester just typed ([`ShownVisit::entered`]) and the board's live
/// updates, whose watcher's reads are recorded when the board is opened ([`ShownVisit::on_board`]).
#[derive(Debug, Clone)]
pub struct ShownVisit {
    visit: HomeVisit,
    full: bool,
    /// The station's time zone.
    zone: chrono_tz::Tz,
}

impl ShownVisit {
    /// The visit as its requester just entered it.
    pub fn entered(conn: &mut DbConnection, visit: HomeVisit) -> Result<Self> {
        let zone = super::station(conn, &visit.station_id)?.zone;
        Ok(Self { visit, full: true, zone })
    }

    /// A live update on a board whose opening recorded the watcher's reads (WatchBoard).
    /// `zone` is the board's station's.
    pub fn on_board(visit: HomeVisit, zone: chrono_tz::Tz) -> Self {
        Self { visit, full: true, zone }
    }

    pub fn visit(&self) -> &HomeVisit {
        &self.visit
    }

    /// The visit, whether its address shows in clear, and its station's time zone.
    pub fn into_parts(self) -> (HomeVisit, bool, chrono_tz::Tz) {
        (self.visit, self.full, self.zone)
    }
}

/// The visit as `viewer` is shown it by the method `via`, after appending on `conn` (in the
/// caller's transaction) the audit record owed when a staff member sees its address in clear.
pub fn disclose_in(
    conn: &mut DbConnection,
    actor: &Actor,
    viewer: &Viewer,
    visit: HomeVisit,
    full: bool,
    via: &str,
) -> Result<ShownVisit> {
    if let Some(read) = address_read(viewer, full, &visit.id, via) {
        mediation_audit::repo::append(conn, actor, read, chrono::Utc::now())?;
    }
    let zone = super::station(conn, &visit.station_id)?.zone;
    Ok(ShownVisit { visit, full, zone })
}

/// The audit record owed when a staff member is shown a home address in clear; none for the
/// resident whose visit it is, or for a masked view.
pub(super) fn address_read(viewer: &Viewer, full: bool, visit_id: &str, via: &str) -> Option<AuditEvent> {
    (full && viewer.is_staff()).then(|| {
        AuditEvent::new(Action::PersonalDataRead, TargetKind::HomeVisit, visit_id, format!("address via {via}"))
    })
}
