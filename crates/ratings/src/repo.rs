//! The rating tables: ratings, the running summaries, and the moderation log.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use mediation_store::DbConnection;
use mediation_store::schema::{accounts, rating_moderations, rating_summaries, ratings};

use crate::domain::summary::{Scores, Sums};

pub type QueryResult<T> = Result<T, diesel::result::Error>;

fn naive(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    pub id: String,
    pub appointment_id: String,
    pub mediator_id: String,
    pub rater_account_id: String,
    /// The rater's display name, for masking.
    pub rater_name: String,
    pub scores: Scores,
    pub comment: String,
    pub settled: bool,
    pub hidden: bool,
    pub hidden_reason: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    i32,
    i32,
    i32,
    i32,
    String,
    bool,
    bool,
    String,
    NaiveDateTime,
    NaiveDateTime,
);

#[allow(clippy::type_complexity)] // the column list itself, in the order of `Row`
fn columns() -> (
    ratings::id,
    ratings::appointment_id,
    ratings::mediator_id,
    ratings::rater_account_id,
    accounts::display_name,
    ratings::overall,
    ratings::fairness,
    ratings::professionalism,
    ratings::timeliness,
    ratings::comment,
    ratings::settled,
    ratings::hidden,
    ratings::hidden_reason,
    ratings::created_at,
    ratings::updated_at,
) {
    (
        ratings::id,
        ratings::appointment_id,
        ratings::mediator_id,
        ratings::rater_account_id,
        accounts::display_name,
        ratings::overall,
        ratings::fairness,
        ratings::professionalism,
        ratings::timeliness,
        ratings::comment,
        ratings::settled,
        ratings::hidden,
        ratings::hidden_reason,
        ratings::created_at,
        ratings::updated_at,
    )
}

fn from_row(r: Row) -> Rating {
    Rating {
        id: r.0,
        appointment_id: r.1,
        mediator_id: r.2,
        rater_account_id: r.3,
        rater_name: r.4,
        scores: Scores { overall: r.5, fairness: r.6, professionalism: r.7, timeliness: r.8 },
        comment: r.9,
        settled: r.10,
        hidden: r.11,
        hidden_reason: r.12,
        created_at: r.13.and_utc(),
        updated_at: r.14.and_utc(),
    }
}

pub fn insert(conn: &mut DbConnection, r: &Rating) -> QueryResult<()> {
    diesel::insert_into(ratings::table)
        .values((
            ratings::id.eq(&r.id),
            ratings::appointment_id.eq(&r.appointment_id),
            ratings::mediator_id.eq(&r.mediator_id),
            ratings::rater_account_id.eq(&r.rater_account_id),
            ratings::overall.eq(r.scores.overall),
            ratings::fairness.eq(r.scores.fairness),
            ratings::professionalism.eq(r.scores.professionalism),
            ratings::timeliness.eq(r.scores.timeliness),
            ratings::comment.eq(&r.comment),
            ratings::settled.eq(r.settled),
            ratings::hidden.eq(r.hidden),
            ratings::created_at.eq(naive(r.created_at)),
            ratings::updated_at.eq(naive(r.updated_at)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Writes the scores, comment and moderation state.
pub fn update(conn: &mut DbConnection, r: &Rating) -> QueryResult<()> {
    diesel::update(ratings::table.find(&r.id))
        .set((
            ratings::overall.eq(r.scores.overall),
            ratings::fairness.eq(r.scores.fairness),
            ratings::professionalism.eq(r.scores.professionalism),
            ratings::timeliness.eq(r.scores.timeliness),
            ratings::comment.eq(&r.comment),
            ratings::hidden.eq(r.hidden),
            ratings::hidden_reason.eq(&r.hidden_reason),
            ratings::updated_at.eq(naive(r.updated_at)),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn rating(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Rating>> {
    ratings::table
        .inner_join(accounts::table)
        .filter(ratings::id.eq(id))
        .select(columns())
        .first::<Row>(conn)
        .optional()
        .map(|r| r.map(from_row))
}

pub fn exists(conn: &mut DbConnection, appointment_id: &str, mediator_id: &str, rater: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        ratings::table
            .filter(ratings::appointment_id.eq(appointment_id))
            .filter(ratings::mediator_id.eq(mediator_id))
            .filter(ratings::rater_account_id.eq(rater)),
    ))
    .get_result(conn)
}

/// A mediator's ratings, newest first, after the cursor `(created_at, id)`.
pub fn list(
    conn: &mut DbConnection,
    mediator_id: &str,
    include_hidden: bool,
    after: Option<(DateTime<Utc>, String)>,
    limit: i64,
) -> QueryResult<Vec<Rating>> {
    let mut query = ratings::table
        .inner_join(accounts::table)
        .filter(ratings::mediator_id.eq(mediator_id))
        .order((ratings::created_at.desc(), ratings::id.desc()))
        .limit(limit)
        .select(columns())
        .into_boxed();
    if !include_hidden {
        query = query.filter(ratings::hidden.eq(false));
    }
    if let Some((at, id)) = after {
        let at = naive(at);
        query = query.filter(ratings::created_at.lt(at).or(ratings::created_at.eq(at).and(ratings::id.lt(id))));
    }
    Ok(query.load::<Row>(conn)?.into_iter().map(from_row).collect())
}

/// Every rating of the mediator created in `[from, to)`, hidden included.
pub fn in_period(
    conn: &mut DbConnection,
    mediator_id: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<Rating>> {
    Ok(ratings::table
        .inner_join(accounts::table)
        .filter(ratings::mediator_id.eq(mediator_id))
        .filter(ratings::created_at.ge(naive(from)))
        .filter(ratings::created_at.lt(naive(to)))
        .select(columns())
        .load::<Row>(conn)?
        .into_iter()
        .map(from_row)
        .collect())
}

/// Adds `delta` to the mediator's running sums, in one statement per table row, so that
/// concurrent ratings of one mediator on PostgreSQL never lose an update.
pub fn add_to_summary(conn: &mut DbConnection, mediator_id: &str, delta: &Sums, now: DateTime<Utc>) -> QueryResult<()> {
    let seed = diesel::insert_into(rating_summaries::table)
        .values((
            rating_summaries::mediator_id.eq(mediator_id),
            rating_summaries::count.eq(0),
            rating_summaries::sum_overall.eq(0),
            rating_summaries::sum_fairness.eq(0),
            rating_summaries::sum_professionalism.eq(0),
            rating_summaries::sum_timeliness.eq(0),
            rating_summaries::stars_1.eq(0),
            rating_summaries::stars_2.eq(0),
            rating_summaries::stars_3.eq(0),
            rating_summaries::stars_4.eq(0),
            rating_summaries::stars_5.eq(0),
            rating_summaries::settled_count.eq(0),
            rating_summaries::settled_sum.eq(0),
            rating_summaries::updated_at.eq(naive(now)),
        ))
        .on_conflict_do_nothing();
    // diesel's multi-backend layer has no ON CONFLICT, though both backends do.
    match conn {
        DbConnection::Pg(pg) => seed.execute(pg)?,
        DbConnection::Sqlite(sqlite) => seed.execute(sqlite)?,
    };
    let d = |v: i64| v as i32;
    diesel::update(rating_summaries::table.find(mediator_id))
        .set((
            rating_summaries::count.eq(rating_summaries::count + d(delta.count)),
            rating_summaries::sum_overall.eq(rating_summaries::sum_overall + d(delta.overall)),
            rating_summaries::sum_fairness.eq(rating_summaries::sum_fairness + d(delta.fairness)),
            rating_summaries::sum_professionalism.eq(rating_summaries::sum_professionalism + d(delta.professionalism)),
            rating_summaries::sum_timeliness.eq(rating_summaries::sum_timeliness + d(delta.timeliness)),
            rating_summaries::stars_1.eq(rating_summaries::stars_1 + d(delta.stars[0])),
            rating_summaries::stars_2.eq(rating_summaries::stars_2 + d(delta.stars[1])),
            rating_summaries::stars_3.eq(rating_summaries::stars_3 + d(delta.stars[2])),
            rating_summaries::stars_4.eq(rating_summaries::stars_4 + d(delta.stars[3])),
            rating_summaries::stars_5.eq(rating_summaries::stars_5 + d(delta.stars[4])),
            rating_summaries::settled_count.eq(rating_summaries::settled_count + d(delta.settled_count)),
            rating_summaries::settled_sum.eq(rating_summaries::settled_sum + d(delta.settled_sum)),
            rating_summaries::updated_at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}

type SumsRow = (String, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32);

fn sums_of(r: SumsRow) -> (String, Sums) {
    let l = i64::from;
    (
        r.0,
        Sums {
            count: l(r.1),
            overall: l(r.2),
            fairness: l(r.3),
            professionalism: l(r.4),
            timeliness: l(r.5),
            stars: [l(r.6), l(r.7), l(r.8), l(r.9), l(r.10)],
            settled_count: l(r.11),
            settled_sum: l(r.12),
        },
    )
}

#[allow(clippy::type_complexity)] // the column list itself, in the order of `SumsRow`
fn sums_columns() -> (
    rating_summaries::mediator_id,
    rating_summaries::count,
    rating_summaries::sum_overall,
    rating_summaries::sum_fairness,
    rating_summaries::sum_professionalism,
    rating_summaries::sum_timeliness,
    rating_summaries::stars_1,
    rating_summaries::stars_2,
    rating_summaries::stars_3,
    rating_summaries::stars_4,
    rating_summaries::stars_5,
    rating_summaries::settled_count,
    rating_summaries::settled_sum,
) {
    (
        rating_summaries::mediator_id,
        rating_summaries::count,
        rating_summaries::sum_overall,
        rating_summaries::sum_fairness,
        rating_summaries::sum_professionalism,
        rating_summaries::sum_timeliness,
        rating_summaries::stars_1,
        rating_summaries::stars_2,
        rating_summaries::stars_3,
        rating_summaries::stars_4,
        rating_summaries::stars_5,
        rating_summaries::settled_count,
        rating_summaries::settled_sum,
    )
}

/// The mediator's sums; zero when nobody has rated them.
pub fn sums(conn: &mut DbConnection, mediator_id: &str) -> QueryResult<Sums> {
    Ok(rating_summaries::table
        .find(mediator_id)
        .select(sums_columns())
        .first::<SumsRow>(conn)
        .optional()?
        .map(|r| sums_of(r).1)
        .unwrap_or_default())
}

/// Every rated mediator's sums (one row per rated mediator: small next to the mediators).
pub fn all_sums(conn: &mut DbConnection) -> QueryResult<Vec<(String, Sums)>> {
    Ok(rating_summaries::table.select(sums_columns()).load::<SumsRow>(conn)?.into_iter().map(sums_of).collect())
}

/// What a moderator did to a rating, as `rating_moderations.action` records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moderation {
    Hide,
}

impl Moderation {
    pub fn as_str(self) -> &'static str {
        match self {
            Moderation::Hide => "HIDE",
        }
    }
}

pub fn log_moderation(
    conn: &mut DbConnection,
    rating_id: &str,
    actor: &str,
    action: Moderation,
    reason: &str,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(rating_moderations::table)
        .values((
            rating_moderations::id.eq(uuid::Uuid::now_v7().to_string()),
            rating_moderations::rating_id.eq(rating_id),
            rating_moderations::actor_id.eq(actor),
            rating_moderations::action.eq(action.as_str()),
            rating_moderations::reason.eq(reason),
            rating_moderations::at.eq(naive(now)),
        ))
        .execute(conn)?;
    Ok(())
}
