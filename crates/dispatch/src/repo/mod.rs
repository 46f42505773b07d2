//! The dispatch tables: vans, their shifts and crews, home visits, the per-day versions that
//! make stale plans detectable, and the stored plans.
//!
//! A visit's address is personal data: `home_visits.address` holds it sealed
//! (`mediation_store::personal`), opened when a visit is read.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use mediation_store::DbConnection;
use mediation_store::personal;
use mediation_store::schema::{dispatch_days, dispatch_plans, home_visits, van_crew, van_shifts, vans, visit_tracking};

use crate::domain::travel::Point;
use crate::domain::{HomeVisit, PlanBody, Shift, StoredPlan, Van, VisitStatus};

pub type QueryResult<T> = Result<T, DieselError>;

/// The sealed column's purpose, bound into its values as associated data.
const ADDRESS: &str = "home_visits.address";

fn naive(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn parse<T: std::str::FromStr>(stored: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    // Only this module writes these columns, always from the enums' names and ISO dates.
    stored.parse().expect("stored value is valid")
}

/// The PostgreSQL exclusion constraint or the SQLite trigger, both named `van_crew_no_overlap`.
pub fn is_crew_overlap(err: &DieselError) -> bool {
    match err {
        DieselError::DatabaseError(_, info) => {
            info.constraint_name() == Some("van_crew_no_overlap") || info.message().contains("van_crew_no_overlap")
        }
        _ => false,
    }
}

mod days;
mod fleet;
mod plans;
mod shifts;
mod visits;

pub use days::*;
pub use fleet::*;
pub use plans::*;
pub use shifts::*;
pub use visits::*;
