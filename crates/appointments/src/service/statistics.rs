//! Figures for a period: cases by grade, sessions by outcome, agreements kept.

use chrono::{DateTime, Utc};
use mediation_api::Fault;
use mediation_directory::domain::Mode;
use mediation_store::DbConnection;

use crate::domain::access::Viewer;
use crate::domain::station::median;
use crate::domain::{AppointmentStatus, Grade, Origin, OutcomeResult};
use crate::error::Result;
use crate::repo::{self, AppointmentFilter, CaseFilter};

/// Counts for a period, as the seed reports them ("5,000 disputes a year, 98% settled").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Statistics {
    pub cases: i64,
    pub ordinary: i64,
    pub difficult: i64,
    pub major: i64,
    pub sessions_completed: i64,
    pub settled: i64,
    pub not_settled: i64,
    pub referred: i64,
    pub no_shows: i64,
    pub cancelled: i64,
    pub on_the_spot_sessions: i64,
    pub booked_sessions: i64,
    pub police_110_cases: i64,
    pub police_110_settled_on_the_spot: i64,
    /// From a POLICE_110 case's handover to the start of its first session.
    pub median_handover_to_session: Option<chrono::Duration>,
    /// Completed home visits (sessions of mode HOME_VISIT), also in `sessions_completed`.
    pub home_visit_sessions: i64,
    pub home_visits_settled: i64,
    /// Agreements signed in the period, followed up, and kept (by their latest answer).
    pub agreements: repo::KeptCounts,
}

impl Statistics {
    pub fn settlement_rate(&self) -> f64 {
        if self.sessions_completed == 0 { 0.0 } else { self.settled as f64 / self.sessions_completed as f64 }
    }

    /// The share of the period's POLICE_110 cases settled on the spot: the seed's "over 95%".
    pub fn police_110_on_the_spot_settlement_rate(&self) -> f64 {
        if self.police_110_cases == 0 {
            0.0
        } else {
            self.police_110_settled_on_the_spot as f64 / self.police_110_cases as f64
        }
    }

    /// The share of followed-up agreements that were kept.
    pub fn agreement_kept_rate(&self) -> f64 {
        crate::domain::agreement::kept_rate(self.agreements.kept, self.agreements.followed_up)
    }
}

/// Cases created and sessions held in `[from, to)`, for a site (a station's staff: theirs) and
/// optionally one mediator.
pub fn statistics(
    conn: &mut DbConnection,
    viewer: &Viewer,
    site_id: Option<String>,
    mediator_id: Option<String>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Statistics> {
    let site_ids = if viewer.is_centre_wide() {
        site_id.map(|s| vec![s])
    } else {
        let station = viewer.station.clone().ok_or(Fault::Forbidden("your account belongs to no station"))?;
        if site_id.as_ref().is_some_and(|s| *s != station) {
            return Err(Fault::Forbidden("you may see only your own station's figures").into());
        }
        Some(vec![station])
    };
    let mut stats = Statistics::default();
    if mediator_id.is_none() {
        let cases =
            repo::list_cases(conn, &CaseFilter { site_ids: site_ids.clone(), ..Default::default() }, None, i64::MAX)?;
        let mut handovers = Vec::new();
        for case in cases.iter().filter(|c| c.created_at >= from && c.created_at < to) {
            stats.cases += 1;
            match case.grade {
                Grade::Ordinary => stats.ordinary += 1,
                Grade::Difficult => stats.difficult += 1,
                Grade::Major => stats.major += 1,
            }
            if case.origin == Origin::Police110 {
                handovers.push((case.id.clone(), case.created_at));
            }
        }
        police_110(conn, &mut stats, handovers)?;
    }
    stats.agreements = repo::kept_counts(conn, site_ids.as_deref(), mediator_id.as_deref(), from, to)?;
    let filter = AppointmentFilter { site_ids, mediator_id, from: Some(from), to: Some(to), ..Default::default() };
    for appointment in repo::list_appointments(conn, &filter, None, i64::MAX)? {
        let home_visit = appointment.mode == Mode::HomeVisit;
        let settled = appointment.outcome.as_ref().is_some_and(|o| o.result == OutcomeResult::Settled);
        if home_visit {
            stats.home_visit_sessions += 1;
            stats.home_visits_settled += i64::from(settled);
        } else if appointment.on_the_spot {
            stats.on_the_spot_sessions += 1;
        } else {
            stats.booked_sessions += 1;
        }
        match appointment.status {
            AppointmentStatus::Completed => {
                stats.sessions_completed += 1;
                match appointment.outcome.map(|o| o.result) {
                    Some(OutcomeResult::Settled) => stats.settled += 1,
                    Some(OutcomeResult::NotSettled) => stats.not_settled += 1,
                    Some(OutcomeResult::Referred) => stats.referred += 1,
                    None => {}
                }
            }
            AppointmentStatus::NoShow => stats.no_shows += 1,
            AppointmentStatus::Cancelled => stats.cancelled += 1,
            AppointmentStatus::Booked | AppointmentStatus::CheckedIn => {}
        }
    }
    Ok(stats)
}

/// The POLICE_110 figures: how many of the handovers were settled in a session started on the
/// spot, and the median time from handover to the first session that was not cancelled.
fn police_110(conn: &mut DbConnection, stats: &mut Statistics, handovers: Vec<(String, DateTime<Utc>)>) -> Result<()> {
    stats.police_110_cases = handovers.len() as i64;
    if handovers.is_empty() {
        return Ok(());
    }
    let case_ids: Vec<String> = handovers.iter().map(|(id, _)| id.clone()).collect();
    let filter = AppointmentFilter { case_ids: Some(case_ids), ..Default::default() };
    let sessions = repo::list_appointments(conn, &filter, None, i64::MAX)?;
    let mut waits = Vec::new();
    for (case_id, handed_over) in &handovers {
        let mine: Vec<_> = sessions.iter().filter(|a| a.case_id == *case_id).collect();
        let settled_here = mine
            .iter()
            .any(|a| a.on_the_spot && a.outcome.as_ref().is_some_and(|o| o.result == OutcomeResult::Settled));
        if settled_here {
            stats.police_110_settled_on_the_spot += 1;
        }
        let first = mine.iter().filter(|a| a.status != AppointmentStatus::Cancelled).map(|a| a.span.start).min();
        if let Some(first) = first {
            waits.push((first - *handed_over).max(chrono::Duration::zero()));
        }
    }
    stats.median_handover_to_session = median(waits);
    Ok(())
}
