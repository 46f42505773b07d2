//! The audit service's one flow: a page of records, newest first, narrowed by a filter.

use mediation_api::paging;
use mediation_store::Db;

use crate::chain::Record;
use crate::error::Error;
use crate::repo::{self, Filter};

/// The audit service over one database; its face (`crate::rpc`) serves `ListAuditEvents`.
#[derive(Debug, Clone)]
pub struct Audit {
    db: Db,
}

/// A page of records to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventQuery {
    pub filter: Filter,
    pub page_size: usize,
    /// From the page token: the sequence number the page starts below.
    pub before: Option<i64>,
    /// The fingerprint of the query the page tokens are bound to.
    pub fingerprint: String,
}

/// A page of records and the token for the next one (empty when there is none).
#[derive(Debug, Clone)]
pub struct EventPage {
    pub records: Vec<Record>,
    pub next_page_token: String,
}

impl Audit {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The records matching the query's filter, newest first, one page.
    pub async fn list_events(&self, query: EventQuery) -> Result<EventPage, Error> {
        let EventQuery { filter, page_size, before, fingerprint } = query;
        let limit = page_size as i64 + 1;
        let records = self.db.read::<_, Error, _>(move |conn| Ok(repo::list(conn, &filter, before, limit)?)).await?;
        let (records, next_page_token) = paging::split_page(records, page_size, &fingerprint, |r| r.seq);
        Ok(EventPage { records, next_page_token })
    }
}
