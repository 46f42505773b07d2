//! Submitting, changing, hiding and listing ratings. Every change moves the mediator's running
//! sums in the same transaction, so a summary never disagrees with the visible ratings.

use chrono::{DateTime, Utc};
use mediation_api::Fault;
use mediation_api::paging::split_page;
use mediation_appointments::domain::{AppointmentStatus, Case, OutcomeResult};
use mediation_audit::{Action, Actor, Event, TargetKind};
use mediation_auth::{Principal, Role};
use mediation_directory::domain::manages;
use mediation_store::DbConnection;

use super::lookup::home_site;
use super::settings::RatingSettings;
use crate::domain::summary::{Scores, Sums};
use crate::error::{Error, Result};
use crate::repo::{self, Moderation, Rating};

/// What is rated: a session, or a completed home visit (rated as the session that records it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rated {
    Appointment(String),
    HomeVisit(String),
}

/// A resident's rating of a session they took part in.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitRating {
    pub rated: Rated,
    /// Which mediator of a joint session; `None` for a session with one mediator.
    pub mediator_id: Option<String>,
    pub scores: Scores,
    pub comment: String,
    /// The client's idempotency key (AIP-155); the face replays the first response to a retry.
    pub request_id: Option<String>,
}

/// The author's new scores and comment.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateRating {
    pub rating_id: String,
    pub scores: Scores,
    pub comment: String,
}

/// An admin's moderation, with the reason kept in `rating_moderations`.
#[derive(Debug, Clone, PartialEq)]
pub struct HideRating {
    pub rating_id: String,
    pub reason: String,
}

/// One page of a mediator's ratings, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct ListRatings {
    pub mediator_id: String,
    pub page_size: usize,
    /// The `(created_at, id)` of the last rating of the previous page.
    pub after: Option<(DateTime<Utc>, String)>,
    /// The fingerprint the page tokens are bound to (the mediator and the viewer).
    pub query: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RatingPage {
    pub ratings: Vec<Rating>,
    /// Whether the viewer administers the mediator's site, and so sees hidden ratings and why.
    pub admin: bool,
    pub next_page_token: String,
}

/// Whether `principal` took part in the case: its applicant, or a resident whose verified
/// phone is one of the parties'.
fn is_party(conn: &mut DbConnection, principal: &Principal, case: &Case) -> Result<bool> {
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

/// Why a visit with no session yet cannot be rated: a party learns its state (FAILED_PRECONDITION,
/// `VISIT_<STATUS>`, as dispatch names it), anyone else what they would learn of a completed one.
fn unrated_visit(conn: &mut DbConnection, principal: &Principal, id: &str) -> Result<std::convert::Infallible> {
    let visit = mediation_dispatch::repo::visit(conn, id)?.ok_or(Fault::NotFound("home visit"))?;
    let case = mediation_appointments::repo::case(conn, &visit.case_id)?.ok_or(Fault::NotFound("home visit"))?;
    if !is_party(conn, principal, &case)? {
        return Err(Fault::Forbidden("only a party to the session may rate it").into());
    }
    let status = visit.status.as_str();
    let message = format!("only COMPLETED visits are rated; this one is {status}");
    Err(Fault::state(format!("VISIT_{status}"), message).with("current_state", status).into())
}

pub fn submit(conn: &mut DbConnection, principal: &Principal, req: SubmitRating, now: DateTime<Utc>) -> Result<Rating> {
    let SubmitRating { rated, mediator_id, scores, comment, request_id: _ } = req;
    let appointment = match rated {
        Rated::Appointment(id) => {
            mediation_appointments::repo::appointment(conn, &id)?.ok_or(Fault::NotFound("appointment"))?
        }
        // A visit has a session once it is COMPLETED; before that there is nothing to rate.
        Rated::HomeVisit(id) => match mediation_appointments::repo::appointment_of_home_visit(conn, &id)? {
            Some(appointment) => appointment,
            None => match unrated_visit(conn, principal, &id)? {},
        },
    };
    let appointment_id = appointment.id.clone();
    let case = mediation_appointments::repo::case(conn, &appointment.case_id)?.ok_or(Fault::NotFound("appointment"))?;
    if !is_party(conn, principal, &case)? {
        return Err(Fault::Forbidden("only a party to the session may rate it").into());
    }
    if appointment.status != AppointmentStatus::Completed {
        return Err(Error::NotCompleted(appointment.status));
    }
    let mediator_id = match (mediator_id, appointment.mediator_ids.as_slice()) {
        (Some(m), ids) if ids.contains(&m) => m,
        (Some(_), _) => return Err(Fault::invalid("mediator_id", "is not a mediator of this session").into()),
        (None, [only]) => only.clone(),
        (None, _) => {
            return Err(Fault::invalid("mediator_id", "a joint session is rated per mediator: name one").into());
        }
    };
    if repo::exists(conn, &appointment_id, &mediator_id, &principal.account_id)? {
        return Err(Error::AlreadyRated);
    }
    let settled = appointment.outcome.is_some_and(|o| o.result == OutcomeResult::Settled);
    let rating = Rating {
        id: uuid::Uuid::now_v7().to_string(),
        appointment_id,
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
    Ok(repo::rating(conn, &rating.id)?.ok_or(Fault::NotFound("rating"))?)
}

pub fn update(
    conn: &mut DbConnection,
    principal: &Principal,
    settings: &RatingSettings,
    req: UpdateRating,
    now: DateTime<Utc>,
) -> Result<Rating> {
    let mut rating = repo::rating(conn, &req.rating_id)?.ok_or(Fault::NotFound("rating"))?;
    if rating.rater_account_id != principal.account_id {
        return Err(Fault::Forbidden("only its author may change a rating").into());
    }
    if now - rating.created_at > settings.edit_window {
        return Err(Error::EditWindowClosed { days: settings.edit_window.num_days() });
    }
    if !rating.hidden {
        let delta = Sums::delta(&rating.scores, rating.settled, -1).plus(Sums::delta(&req.scores, rating.settled, 1));
        repo::add_to_summary(conn, &rating.mediator_id, &delta, now)?;
    }
    rating.scores = req.scores;
    rating.comment = req.comment;
    rating.updated_at = now;
    repo::update(conn, &rating)?;
    Ok(rating)
}

/// Hides a rating from summaries and public lists; it is kept, the moderation logged with its
/// reason, and the audit log told (without the reason: it is free text and may quote the
/// comment).
pub fn hide(
    conn: &mut DbConnection,
    principal: &Principal,
    actor: &Actor,
    req: HideRating,
    now: DateTime<Utc>,
) -> Result<Rating> {
    let mut rating = repo::rating(conn, &req.rating_id)?.ok_or(Fault::NotFound("rating"))?;
    let (_, site) = home_site(conn, &rating.mediator_id)?;
    if !manages(principal, &site) {
        return Err(Fault::Forbidden("only an admin of the mediator's site moderates their ratings").into());
    }
    if !rating.hidden {
        repo::add_to_summary(conn, &rating.mediator_id, &Sums::delta(&rating.scores, rating.settled, -1), now)?;
        rating.hidden = true;
        rating.hidden_reason = req.reason;
        rating.updated_at = now;
        repo::update(conn, &rating)?;
        repo::log_moderation(conn, &rating.id, &principal.account_id, Moderation::Hide, &rating.hidden_reason, now)?;
    }
    let event =
        Event::new(Action::RatingHidden, TargetKind::Rating, &rating.id, format!("mediator {}", rating.mediator_id));
    mediation_audit::repo::append(conn, actor, event, now)?;
    Ok(rating)
}

/// A page of a mediator's ratings, newest first; hidden ones only for admins of their site.
pub fn list(conn: &mut DbConnection, viewer: Option<&Principal>, req: &ListRatings) -> Result<RatingPage> {
    let (_, site) = home_site(conn, &req.mediator_id)?;
    let admin = viewer.is_some_and(|p| manages(p, &site));
    let limit = req.page_size as i64 + 1;
    let rows = repo::list(conn, &req.mediator_id, admin, req.after.clone(), limit)?;
    let (ratings, next_page_token) = split_page(rows, req.page_size, &req.query, |r| (r.created_at, r.id.clone()));
    Ok(RatingPage { ratings, admin, next_page_token })
}
