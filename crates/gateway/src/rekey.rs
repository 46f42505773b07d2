//! `mediation rekey`: re-seals every personal column under `privacy.current_key` and recomputes
//! every phone's blind index under `privacy.index_key`. Rows already done are skipped, each
//! batch is its own transaction, and a server may keep running meanwhile (it reads both keys),
//! so it can be stopped and run again at any point. Plain text left from before encryption
//! (a database migrated from before issue #9) is sealed the same way.
//!
//! On SQLite it ends by rewriting the file (VACUUM), so that no old version of a re-sealed value
//! is left in free pages or the log; on PostgreSQL old row versions stay in the table files until
//! VACUUM reuses their space.
//!
//! Rotating the sealing key:
//! 1. make a new key current and move the old one to `privacy.previous_keys`, on every replica;
//! 2. run `mediation rekey`;
//! 3. remove the old key from `privacy.previous_keys`.

use std::fmt;

use mediation_store::{Db, DbConnection};

/// How many rows each table had re-sealed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Rekeyed {
    pub accounts: usize,
    pub parties: usize,
    pub outbox: usize,
    pub visits: usize,
    /// Mediation agreements (their text and terms).
    pub agreements: usize,
    /// Idempotency records looked at (their responses are re-sealed where needed).
    pub idempotency_records: usize,
}

impl fmt::Display for Rekeyed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "re-sealed {} account phones, {} case parties, {} outbox recipients, {} home-visit addresses, \
             {} agreements; checked {} idempotency records",
            self.accounts, self.parties, self.outbox, self.visits, self.agreements, self.idempotency_records
        )
    }
}

type Step = fn(&mut DbConnection, i64) -> mediation_store::personal::QueryResult<usize>;

/// Runs `step` one transaction at a time until a batch finds nothing left to do.
async fn until_done(db: &Db, batch: i64, step: Step) -> anyhow::Result<usize> {
    let mut total = 0;
    loop {
        let done = db.write::<_, mediation_store::Error, _>(move |conn| Ok(step(conn, batch)?)).await?;
        if done == 0 {
            return Ok(total);
        }
        total += done;
    }
}

/// Re-seals everything; `batch` rows per transaction.
pub async fn rekey(db: &Db, batch: i64) -> anyhow::Result<Rekeyed> {
    anyhow::ensure!(batch > 0, "the batch size must be positive");
    let mut report = Rekeyed {
        accounts: until_done(db, batch, mediation_identity::repo::rekey_accounts).await?,
        parties: until_done(db, batch, mediation_appointments::repo::rekey_parties).await?,
        outbox: until_done(db, batch, mediation_appointments::repo::rekey_outbox).await?,
        visits: until_done(db, batch, mediation_dispatch::repo::rekey_visits).await?,
        agreements: until_done(db, batch, mediation_appointments::repo::rekey_agreements).await?,
        ..Rekeyed::default()
    };
    loop {
        let offset = report.idempotency_records as i64;
        let seen = db.write(move |conn| mediation_store::idempotency::rekey(conn, offset, batch)).await?;
        report.idempotency_records += seen;
        if (seen as i64) < batch {
            break;
        }
    }
    // Rewritten rows leave their old versions behind in SQLite's free pages and log.
    db.compact().await?;
    Ok(report)
}
