//! Keeping the in-memory search index current. Every search first reads the database's search
//! counters (one tiny row that triggers move on every change to mediators, their specialities,
//! sites and rating summaries) and rebuilds what they say changed, so a gateway answers from
//! data no older than the last committed write, whether it runs alone or beside others.

use std::sync::{Arc, RwLock};

use mediation_store::{Db, DbConnection};

use crate::domain::search::{RatingBook, SearchIndex};
use crate::error::Error;
use crate::repo;

/// Reads every mediator's rating summary; the gateway wires in the rating service's, since
/// that service depends on this one.
pub type RatingLookup = Arc<dyn Fn(&mut DbConnection) -> Result<RatingBook, diesel::result::Error> + Send + Sync>;

/// The counters an index was built at: (directory, ratings).
type Generation = (i64, i64);

pub struct IndexCache {
    ratings: RatingLookup,
    current: RwLock<Option<(Generation, SearchIndex)>>,
    /// One rebuild at a time: searches that find the index stale wait for it instead of each
    /// loading the whole directory.
    rebuilding: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for IndexCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexCache").finish_non_exhaustive()
    }
}

impl IndexCache {
    /// An empty cache; the first search builds the index, reading ratings through `ratings`.
    pub fn new(ratings: RatingLookup) -> Self {
        Self { ratings, current: RwLock::default(), rebuilding: tokio::sync::Mutex::default() }
    }

    /// An index at least as new as the database's counters when the call began.
    pub async fn current(&self, db: &Db) -> Result<SearchIndex, Error> {
        let wanted = db.read_small::<_, Error, _>(|conn| Ok(repo::search_generation(conn)?)).await?;
        if let Some(index) = self.at_least(wanted) {
            return Ok(index);
        }
        let _turn = self.rebuilding.lock().await;
        if let Some(index) = self.at_least(wanted) {
            return Ok(index);
        }
        let previous = self.current.read().expect("index lock poisoned").clone();
        let ratings = self.ratings.clone();
        let (generation, index) = db
            .read::<_, Error, _>(move |conn| {
                // Counters first: rows read after them are at least that new, so a change that
                // lands in between is picked up by the next search, never missed.
                let generation = repo::search_generation(conn)?;
                let book = ratings(conn)?;
                let index = match previous {
                    Some((built, index)) if built.0 == generation.0 => index.with_ratings(&book),
                    _ => SearchIndex::build(repo::active_profiles(conn)?, repo::site_parents(conn)?, &book),
                };
                Ok((generation, index))
            })
            .await?;
        *self.current.write().expect("index lock poisoned") = Some((generation, index.clone()));
        Ok(index)
    }

    fn at_least(&self, wanted: Generation) -> Option<SearchIndex> {
        let current = self.current.read().expect("index lock poisoned");
        let (built, index) = current.as_ref()?;
        (built.0 >= wanted.0 && built.1 >= wanted.1).then(|| index.clone())
    }
}
