//! A mediator's assessment for a period, a site's list of them, and the payroll CSV: the
//! period's sessions, outcomes and ratings are gathered here and scored by
//! `domain::assessment`.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use mediation_api::Fault;
use mediation_api::paging::split_page;
use mediation_appointments::domain::{AppointmentStatus, OutcomeResult};
use mediation_appointments::repo::AppointmentFilter;
use mediation_auth::{Principal, Role};
use mediation_directory::domain::{Mediator, MediatorKind, Mode, Site, manages};
use mediation_store::DbConnection;

use super::lookup::home_site;
use super::settings::RatingSettings;
use crate::domain::assessment::{self, Inputs};
use crate::domain::period::Period;
use crate::error::Result;
use crate::repo;

/// One mediator's assessment for a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetAssessment {
    pub mediator_id: String,
    pub period: Period,
}

/// A page of the assessments of a site's active mediators, in id order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListAssessments {
    pub site_id: String,
    pub period: Period,
    pub page_size: usize,
    /// The id of the last mediator of the previous page.
    pub after: Option<String>,
    /// The fingerprint the page tokens are bound to (the site and the period).
    pub query: String,
}

/// Every assessment of a site's active mediators, as payroll CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportAssessments {
    pub site_id: String,
    pub period: Period,
}

/// The assessment of one mediator for a period, with its inputs.
#[derive(Debug, Clone)]
pub struct Assessment {
    pub mediator: Mediator,
    pub period: Period,
    pub inputs: Inputs,
    pub outcome: assessment::Outcome,
}

#[derive(Debug, Clone)]
pub struct AssessmentPage {
    pub assessments: Vec<Assessment>,
    pub next_page_token: String,
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

fn compute(
    conn: &mut DbConnection,
    settings: &RatingSettings,
    mediator: Mediator,
    site: &Site,
    period: Period,
) -> Result<Assessment> {
    let tz = site.zone().map_err(|err| mediation_store::Error::Unreadable(format!("site {}: {err}", site.id)))?;
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
    let mut visits = Vec::new();
    for session in sessions.iter().filter(|s| s.span.start >= from && s.span.start < to) {
        match session.status {
            AppointmentStatus::Completed => {
                inputs.sessions_held += 1;
                // A home visit is a session: it counts above like any other, and is shown apart.
                if session.mode == Mode::HomeVisit {
                    inputs.home_visits_held += 1;
                    visits.push(session.id.clone());
                }
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
    inputs.home_visit_travel_secs = mediation_appointments::repo::home_visit_travel(conn, &visits)?
        .into_iter()
        .map(|(_, secs)| i64::from(secs))
        .sum();
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
    let kept = mediation_appointments::repo::kept_counts(conn, None, Some(&mediator.id), from, to)?;
    inputs.agreements_followed_up = kept.followed_up;
    inputs.agreements_kept = kept.kept;
    let outcome = assessment::assess(&inputs, period.months(), &settings.weights, &settings.pay, settings.prior);
    Ok(Assessment { mediator, period, inputs, outcome })
}

pub fn get_assessment(
    conn: &mut DbConnection,
    principal: &Principal,
    settings: &RatingSettings,
    req: &GetAssessment,
) -> Result<Assessment> {
    let (mediator, site) = home_site(conn, &req.mediator_id)?;
    if !may_read(conn, principal, &mediator, &site)? {
        return Err(Fault::Forbidden("a mediator sees only their own assessment; admins their site's").into());
    }
    compute(conn, settings, mediator, &site, req.period)
}

/// Assessments of the active mediators whose home is `site_id`, in id order after `after_id`.
fn of_site(
    conn: &mut DbConnection,
    principal: &Principal,
    settings: &RatingSettings,
    site_id: &str,
    period: Period,
    after_id: Option<&str>,
    limit: usize,
) -> Result<Vec<Assessment>> {
    let site =
        mediation_directory::repo::site(conn, site_id)?.ok_or_else(|| Fault::invalid("site_id", "no such site"))?;
    if !manages(principal, &site) {
        return Err(Fault::Forbidden("admins see the assessments of their own sites").into());
    }
    let ids = mediation_directory::repo::active_mediator_ids_at(conn, site_id)?;
    let mut out = Vec::new();
    for id in ids.into_iter().filter(|id| after_id.is_none_or(|after| id.as_str() > after)).take(limit) {
        let (mediator, _) = home_site(conn, &id)?;
        out.push(compute(conn, settings, mediator, &site, period)?);
    }
    Ok(out)
}

pub fn list_assessments(
    conn: &mut DbConnection,
    principal: &Principal,
    settings: &RatingSettings,
    req: &ListAssessments,
) -> Result<AssessmentPage> {
    let limit = req.page_size + 1;
    let items = of_site(conn, principal, settings, &req.site_id, req.period, req.after.as_deref(), limit)?;
    let (assessments, next_page_token) = split_page(items, req.page_size, &req.query, |a| a.mediator.id.clone());
    Ok(AssessmentPage { assessments, next_page_token })
}

/// The payroll CSV of every active mediator of the site.
pub fn export_assessments(
    conn: &mut DbConnection,
    principal: &Principal,
    settings: &RatingSettings,
    req: &ExportAssessments,
) -> Result<String> {
    Ok(to_csv(&of_site(conn, principal, settings, &req.site_id, req.period, None, usize::MAX)?))
}

/// RFC 4180 CSV, one row per pay line.
pub fn to_csv(assessments: &[Assessment]) -> String {
    let quote = |field: &str| {
        if field.contains([',', '"', '\n']) { format!("\"{}\"", field.replace('"', "\"\"")) } else { field.to_owned() }
    };
    let mut out = String::from("mediator_id,display_name,period,score,level,kind,amount_yuan,explanation\r\n");
    for a in assessments {
        let period = a.period.label();
        for line in &a.outcome.lines {
            let row = [
                quote(&a.mediator.id),
                quote(&a.mediator.display_name),
                period.clone(),
                format!("{:.1}", a.outcome.score),
                a.outcome.level.to_string(),
                line.kind.as_str().to_owned(),
                line.amount_yuan.to_string(),
                quote(&line.explanation),
            ];
            out.push_str(&row.join(","));
            out.push_str("\r\n");
        }
    }
    out
}
