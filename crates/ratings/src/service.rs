//! The rating flows. Each runs inside the caller's transaction.

use std::str::FromStr;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use mediation_appointments::domain::{AppointmentStatus, OutcomeResult};
use mediation_appointments::repo::AppointmentFilter;
use mediation_auth::{Principal, Role};
use mediation_directory::domain::search::{RatingBook, RatingSummary};
use mediation_directory::domain::{Mediator, MediatorKind, Site, manages};
use mediation_store::DbConnection;

use crate::domain::assessment::{self, Inputs, PayRules, Weights};
use crate::domain::summary::{Prior, Scores, Summary, Sums};
use crate::error::{Error, Result, invalid};
use crate::repo::{self, Rating};

/// Configurable rules; the gateway's settings module documents each default.
#[derive(Debug, Clone)]
pub struct RatingSettings {
    pub prior: Prior,
    pub weights: Weights,
    pub pay: PayRules,
    /// How long an author may edit a rating.
    pub edit_window: Duration,
}

impl Default for RatingSettings {
    fn default() -> Self {
        Self {
            prior: Prior::default(),
            weights: Weights::default(),
            pay: PayRules::default(),
            edit_window: Duration::days(7),
        }
    }
}

/// Whether `principal` took part in the case: its applicant, or a resident whose verified
/// phone is one of the parties'.
fn is_party(
    conn: &mut DbConnection,
    principal: &Principal,
    case: &mediation_appointments::domain::Case,
) -> Result<bool> {
    if principal.role != Role::Resident {
        return Ok(false);
    }
    if case.applicant_account_id.as_deref() == Some(principal.account_id.as_str()) {
        return Ok(true);
    }
    let account = mediation_identity::repo::account_by_id(conn, &principal.account_id)?;
    Ok(account.is_some_and(|a| {
        a.phone_verified && a.phone.is_some_and(|phone| case.parties.iter().any(|p| p.phone == phone.as_str()))
    }))
}

pub fn submit(
    conn: &mut DbConnection,
    principal: &Principal,
    appointment_id: &str,
    mediator_id: Option<String>,
    scores: Scores,
    comment: String,
    now: DateTime<Utc>,
) -> Result<Rating> {
    let appointment =
        mediation_appointments::repo::appointment(conn, appointment_id)?.ok_or(Error::NotFound("appointment"))?;
    let case = mediation_appointments::repo::case(conn, &appointment.case_id)?.ok_or(Error::NotFound("appointment"))?;
    if !is_party(conn, principal, &case)? {
        return Err(Error::Forbidden("only a party to the session may rate it"));
    }
    if appointment.status != AppointmentStatus::Completed {
        return Err(Error::State {
            reason: format!("APPOINTMENT_{}", appointment.status.as_str()),
            message: format!("only COMPLETED sessions are rated; this one is {}", appointment.status.as_str()),
        });
    }
    let mediator_id = match (mediator_id, appointment.mediator_ids.as_slice()) {
        (Some(m), ids) if ids.contains(&m) => m,
        (Some(_), _) => return Err(invalid("mediator_id", "is not a mediator of this session")),
        (None, [only]) => only.clone(),
        (None, _) => return Err(invalid("mediator_id", "a joint session is rated per mediator: name one")),
    };
    if repo::exists(conn, appointment_id, &mediator_id, &principal.account_id)? {
        return Err(Error::AlreadyRated);
    }
    let settled = appointment.outcome.is_some_and(|o| o.result == OutcomeResult::Settled);
    let rating = Rating {
        id: uuid::Uuid::now_v7().to_string(),
        appointment_id: appointment_id.to_owned(),
        mediator_id,
        rater_account_id: principal.account_id.clone(),
        rater_name: String::new(),
        scores,
        comment,
        settled,
        hidden: false,
        hidden_reason: String::new(),
        created_at: now,
        updated_at: now,
    };
    repo::insert(conn, &rating)?;
    repo::add_to_summary(conn, &rating.mediator_id, &Sums::delta(&scores, settled, 1), now)?;
    repo::rating(conn, &rating.id)?.ok_or(Error::NotFound("rating"))
}

pub fn update(
    conn: &mut DbConnection,
    principal: &Principal,
    settings: &RatingSettings,
    rating_id: &str,
    scores: Scores,
    comment: String,
    now: DateTime<Utc>,
) -> Result<Rating> {
    let mut rating = repo::rating(conn, rating_id)?.ok_or(Error::NotFound("rating"))?;
    if rating.rater_account_id != principal.account_id {
        return Err(Error::Forbidden("only its author may change a rating"));
    }
    if now - rating.created_at > settings.edit_window {
        return Err(Error::State {
            reason: "RATING_EDIT_WINDOW_CLOSED".into(),
            message: format!("ratings can be changed for {} days", settings.edit_window.num_days()),
        });
    }
    if !rating.hidden {
        let delta = Sums::delta(&rating.scores, rating.settled, -1).plus(Sums::delta(&scores, rating.settled, 1));
        repo::add_to_summary(conn, &rating.mediator_id, &delta, now)?;
    }
    rating.scores = scores;
    rating.comment = comment;
    rating.updated_at = now;
    repo::update(conn, &rating)?;
    Ok(rating)
}

fn home_site(conn: &mut DbConnection, mediator_id: &str) -> Result<(Mediator, Site)> {
    let mediator = mediation_directory::repo::mediator(conn, mediator_id)?.ok_or(Error::NotFound("mediator"))?;
    let site = mediation_directory::repo::site(conn, &mediator.home_site_id)?.ok_or(Error::NotFound("site"))?;
    Ok((mediator, site))
}

/// Hides a rating from summaries and public lists; it is kept, and the moderation logged.
pub fn hide(
    conn: &mut DbConnection,
    principal: &Principal,
    rating_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Rating> {
    let mut rating = repo::rating(conn, rating_id)?.ok_or(Error::NotFound("rating"))?;
    let (_, site) = home_site(conn, &rating.mediator_id)?;
    if !manages(principal, &site) {
        return Err(Error::Forbidden("only an admin of the mediator's site moderates their ratings"));
    }
    if rating.hidden {
        return Ok(rating);
    }
    repo::add_to_summary(conn, &rating.mediator_id, &Sums::delta(&rating.scores, rating.settled, -1), now)?;
    rating.hidden = true;
    rating.hidden_reason = reason.to_owned();
    rating.updated_at = now;
    repo::update(conn, &rating)?;
    repo::log_moderation(conn, rating_id, &principal.account_id, "HIDE", reason, now)?;
    Ok(rating)
}

pub fn summary(conn: &mut DbConnection, settings: &RatingSettings, mediator_id: &str) -> Result<Summary> {
    mediation_directory::repo::mediator(conn, mediator_id)?.ok_or(Error::NotFound("mediator"))?;
    Ok(repo::sums(conn, mediator_id)?.summary(settings.prior))
}

/// A mediator's ratings, newest first; hidden ones only for admins of their site.
pub fn list(
    conn: &mut DbConnection,
    principal: Option<&Principal>,
    mediator_id: &str,
    after: Option<(DateTime<Utc>, String)>,
    limit: i64,
) -> Result<(Vec<Rating>, bool)> {
    let (_, site) = home_site(conn, mediator_id)?;
    let admin = principal.is_some_and(|p| manages(p, &site));
    Ok((repo::list(conn, mediator_id, admin, after, limit)?, admin))
}

/// Every rated mediator's summary for the directory's search (min_rating, rating order); an
/// unrated mediator stands at the prior.
pub fn rating_book(conn: &mut DbConnection, prior: Prior) -> Result<RatingBook, diesel::result::Error> {
    let summary = |s: Summary| RatingSummary { count: s.count, mean: s.mean, bayesian_mean: s.bayesian_mean };
    Ok(RatingBook {
        by_mediator: repo::all_sums(conn)?.into_iter().map(|(id, sums)| (id, summary(sums.summary(prior)))).collect(),
        unrated: summary(Sums::default().summary(prior)),
    })
}

/// A month (1..12) or a quarter (1..4) of a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
}

impl Period {
    pub fn months(self) -> i64 {
        match self {
            Period::Month { .. } => 1,
            Period::Quarter { .. } => 3,
        }
    }

    /// Its first day and the first day after it.
    pub fn dates(self) -> (NaiveDate, NaiveDate) {
        let (year, first_month, months) = match self {
            Period::Month { year, month } => (year, month, 1),
            Period::Quarter { year, quarter } => (year, quarter * 3 - 2, 3),
        };
        let start = NaiveDate::from_ymd_opt(year, first_month, 1).expect("validated period");
        let end_month = first_month + months;
        let end = if end_month > 12 {
            NaiveDate::from_ymd_opt(year + 1, end_month - 12, 1)
        } else {
            NaiveDate::from_ymd_opt(year, end_month, 1)
        }
        .expect("validated period");
        (start, end)
    }
}

fn local_midnight(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    tz.from_local_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| date.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
}

/// Whether `principal` may read the mediator's assessment: the mediator themselves, or an
/// admin of their home site.
fn may_read(conn: &mut DbConnection, principal: &Principal, mediator: &Mediator, site: &Site) -> Result<bool> {
    Ok(match principal.role {
        Role::Mediator => {
            mediation_directory::repo::mediator_by_account(conn, &principal.account_id)?.as_deref()
                == Some(mediator.id.as_str())
        }
        Role::StationAdmin | Role::CentreAdmin => manages(principal, site),
        _ => false,
    })
}

/// The assessment of one mediator for a period, with its inputs.
#[derive(Debug, Clone)]
pub struct Assessment {
    pub mediator: Mediator,
    pub period: Period,
    pub inputs: Inputs,
    pub outcome: assessment::Outcome,
}

fn compute(
    conn: &mut DbConnection,
    settings: &RatingSettings,
    mediator: Mediator,
    site: &Site,
    period: Period,
) -> Result<Assessment> {
    let tz = Tz::from_str(&site.time_zone).unwrap_or(chrono_tz::Asia::Shanghai);
    let (first, after) = period.dates();
    let (from, to) = (local_midnight(tz, first), local_midnight(tz, after));
    let filter = AppointmentFilter {
        mediator_id: Some(mediator.id.clone()),
        from: Some(from),
        to: Some(to),
        ..Default::default()
    };
    let sessions = mediation_appointments::repo::list_appointments(conn, &filter, None, i64::MAX)?;
    let mut inputs = Inputs { current_level: mediator.level, ..Inputs::default() };
    for session in sessions.iter().filter(|s| s.span.start >= from && s.span.start < to) {
        match session.status {
            AppointmentStatus::Completed => {
                inputs.sessions_held += 1;
                if session.outcome.as_ref().is_some_and(|o| o.result == OutcomeResult::Settled) {
                    inputs.settled += 1;
                }
                if mediator.kind == MediatorKind::ThinkTankExpert {
                    inputs.think_tank_sessions += 1;
                }
            }
            AppointmentStatus::NoShow => inputs.no_shows += 1,
            _ => {}
        }
    }
    for rating in repo::in_period(conn, &mediator.id, from, to)? {
        if rating.hidden {
            inputs.hidden_ratings += 1;
        } else {
            inputs.ratings_count += 1;
            inputs.ratings_sum += i64::from(rating.scores.overall);
            if rating.scores.overall <= 2 {
                inputs.complaints += 1;
            }
        }
    }
    let outcome = assessment::assess(&inputs, period.months(), &settings.weights, &settings.pay, settings.prior);
    Ok(Assessment { mediator, period, inputs, outcome })
}

pub fn get_assessment(
    conn: &mut DbConnection,
    principal: &Principal,
    settings: &RatingSettings,
    mediator_id: &str,
    period: Period,
) -> Result<Assessment> {
    let (mediator, site) = home_site(conn, mediator_id)?;
    if !may_read(conn, principal, &mediator, &site)? {
        return Err(Error::Forbidden("a mediator sees only their own assessment; admins their site's"));
    }
    compute(conn, settings, mediator, &site, period)
}

/// Assessments of the active mediators whose home is `site_id`, in id order after `after_id`.
pub fn list_assessments(
    conn: &mut DbConnection,
    principal: &Principal,
    settings: &RatingSettings,
    site_id: &str,
    period: Period,
    after_id: Option<&str>,
    limit: usize,
) -> Result<Vec<Assessment>> {
    let site = mediation_directory::repo::site(conn, site_id)?.ok_or_else(|| invalid("site_id", "no such site"))?;
    if !manages(principal, &site) {
        return Err(Error::Forbidden("admins see the assessments of their own sites"));
    }
    let ids = mediation_directory::repo::active_mediator_ids_at(conn, site_id)?;
    let mut out = Vec::new();
    for id in ids.into_iter().filter(|id| after_id.is_none_or(|after| id.as_str() > after)).take(limit) {
        let (mediator, _) = home_site(conn, &id)?;
        out.push(compute(conn, settings, mediator, &site, period)?);
    }
    Ok(out)
}

/// RFC 4180 CSV, one row per pay line.
pub fn to_csv(assessments: &[Assessment]) -> String {
    let quote = |field: &str| {
        if field.contains([',', '"', '\n']) { format!("\"{}\"", field.replace('"', "\"\"")) } else { field.to_owned() }
    };
    let mut out = String::from("mediator_id,display_name,period,score,level,kind,amount_yuan,explanation\r\n");
    for a in assessments {
        let period = match a.period {
            Period::Month { year, month } => format!("{year}-{month:02}"),
            Period::Quarter { year, quarter } => format!("{year}-Q{quarter}"),
        };
        for line in &a.outcome.lines {
            let row = [
                quote(&a.mediator.id),
                quote(&a.mediator.display_name),
                period.clone(),
                format!("{:.1}", a.outcome.score),
                a.outcome.level.to_string(),
                line.kind.to_owned(),
                line.amount_yuan.to_string(),
                quote(&line.explanation),
            ];
            out.push_str(&row.join(","));
            out.push_str("\r\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(Period::Month { year: 2026, month: 12 }.dates(), (d(2026, 12, 1), d(2027, 1, 1)));
        assert_eq!(Period::Quarter { year: 2026, quarter: 4 }.dates(), (d(2026, 10, 1), d(2027, 1, 1)));
        assert_eq!(Period::Quarter { year: 2026, quarter: 1 }.dates(), (d(2026, 1, 1), d(2026, 4, 1)));
        assert_eq!(Period::Quarter { year: 2026, quarter: 1 }.months(), 3);
    }
}
