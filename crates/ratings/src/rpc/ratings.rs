//! Ratings on the wire: parsing submit, update, hide and list requests (every bad field named),
//! the idempotent replay of SubmitRating, and encoding a rating with its rater masked.

use chrono::Utc;
use mediation_api::Violations;
use mediation_api::convert::timestamp;
use mediation_api::idempotent;
use mediation_api::paging;
use mediation_api::ratings::v1 as pb;
use mediation_auth::Principal;
use mediation_store::DbConnection;
use mediation_store::idempotency::Key;
use tonic::Status;

use crate::domain::summary::Scores;
use crate::error::Error;
use crate::repo::Rating;
use crate::service::{self, HideRating, ListRatings, Rated, RatingPage, SubmitRating, UpdateRating};

const COMMENT_CHARS: usize = 1000;
const REASON_CHARS: usize = 500;
const SUBMIT_RATING: &str = "/mediation.ratings.v1.RatingService/SubmitRating";

fn scores(v: &mut Violations, scores: Option<pb::Scores>) -> Option<Scores> {
    let s = scores.unwrap_or_default();
    match Scores::parse(s.overall, s.fairness, s.professionalism, s.timeliness) {
        Ok(scores) => Some(scores),
        Err(field) => {
            v.add(field, "must be 1 to 5");
            None
        }
    }
}

/// Control characters are stripped (new lines kept), then the length is capped.
fn comment(v: &mut Violations, value: &str) -> Option<String> {
    let cleaned: String = value.chars().filter(|c| !c.is_control() || *c == '\n').collect();
    v.text("comment", &cleaned, COMMENT_CHARS, false)
}

impl TryFrom<pb::SubmitRatingRequest> for SubmitRating {
    type Error = Status;

    fn try_from(req: pb::SubmitRatingRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let rated = match (req.appointment_id.is_empty(), req.home_visit_id.is_empty()) {
            (false, true) | (true, true) => v.id("appointment_id", &req.appointment_id).map(Rated::Appointment),
            (true, false) => v.id("home_visit_id", &req.home_visit_id).map(Rated::HomeVisit),
            (false, false) => {
                v.add("appointment_id", "name either the session or the home visit, not both");
                None
            }
        };
        let scores = scores(&mut v, req.scores);
        let comment = comment(&mut v, &req.comment);
        let mediator_id = v.optional_id("mediator_id", &req.mediator_id);
        let request_id = if req.request_id.is_empty() { Some(None) } else { v.request_id(&req.request_id).map(Some) };
        v.finish(|| {
            Some(Self {
                rated: rated?,
                mediator_id: mediator_id?,
                scores: scores?,
                comment: comment?,
                request_id: request_id?,
            })
        })
    }
}

impl TryFrom<pb::UpdateRatingRequest> for UpdateRating {
    type Error = Status;

    fn try_from(req: pb::UpdateRatingRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let rating_id = v.id("rating_id", &req.rating_id);
        let scores = scores(&mut v, req.scores);
        let comment = comment(&mut v, &req.comment);
        v.finish(|| Some(Self { rating_id: rating_id?, scores: scores?, comment: comment? }))
    }
}

impl TryFrom<pb::HideRatingRequest> for HideRating {
    type Error = Status;

    fn try_from(req: pb::HideRatingRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let rating_id = v.id("rating_id", &req.rating_id);
        let reason = v.text("reason", &req.reason, REASON_CHARS, true);
        v.finish(|| Some(Self { rating_id: rating_id?, reason: reason? }))
    }
}

/// The request and who asks: page tokens are bound to the viewer, who may see hidden ratings.
impl TryFrom<(pb::ListRatingsRequest, Option<&Principal>)> for ListRatings {
    type Error = Status;

    fn try_from((req, viewer): (pb::ListRatingsRequest, Option<&Principal>)) -> Result<Self, Status> {
        let mut v = Violations::new();
        let mediator_id = v.id("mediator_id", &req.mediator_id);
        let page_size = v.page_size(req.page_size, 20, 100);
        let query = paging::fingerprint(&("ratings", &req.mediator_id, viewer.map(|p| p.account_id.clone())));
        let after = v.check("page_token", paging::decode_token(&req.page_token, &query));
        v.finish(|| Some(Self { mediator_id: mediator_id?, page_size: page_size?, after: after?, query }))
    }
}

/// Submits the rating once per `request_id`: a retry replays the first response, recorded
/// with the encoded request in the same transaction.
pub fn submit_once(
    conn: &mut DbConnection,
    principal: &Principal,
    req: SubmitRating,
    encoded: &[u8],
) -> Result<pb::Rating, Error> {
    let request_id = req.request_id.clone();
    let submit = |conn: &mut DbConnection| Ok(to_proto(service::submit(conn, principal, req, Utc::now())?, false));
    match &request_id {
        Some(request_id) => {
            let key = Key { principal: &principal.account_id, method: SUBMIT_RATING, request_id };
            idempotent::once(conn, key, encoded, submit)
        }
        None => submit(conn),
    }
}

/// The first character of the rater's name and a star: enough to tell comments apart, not
/// enough to find the person.
fn mask(name: &str) -> String {
    name.chars().next().map_or_else(|| "*".to_owned(), |c| format!("{c}*"))
}

/// A rating as the wire has it; only `admin` (of the mediator's site) sees why it was hidden.
pub fn to_proto(r: Rating, admin: bool) -> pb::Rating {
    pb::Rating {
        scores: Some(pb::Scores {
            overall: r.scores.overall,
            fairness: r.scores.fairness,
            professionalism: r.scores.professionalism,
            timeliness: r.scores.timeliness,
        }),
        rater_masked: mask(&r.rater_name),
        created_at: Some(timestamp(r.created_at)),
        updated_at: Some(timestamp(r.updated_at)),
        hidden_reason: if admin { r.hidden_reason } else { String::new() },
        id: r.id,
        appointment_id: r.appointment_id,
        mediator_id: r.mediator_id,
        comment: r.comment,
        hidden: r.hidden,
    }
}

pub fn page_to_proto(page: RatingPage) -> pb::ListRatingsResponse {
    let admin = page.admin;
    pb::ListRatingsResponse {
        ratings: page.ratings.into_iter().map(|r| to_proto(r, admin)).collect(),
        next_page_token: page.next_page_token,
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt;

    use super::*;

    fn fields(status: &Status) -> Vec<String> {
        let details = status.get_error_details();
        details.bad_request().map(|b| b.field_violations.iter().map(|f| f.field.clone()).collect()).unwrap_or_default()
    }

    #[test]
    fn every_bad_field_of_a_submission_is_named() {
        let req = pb::SubmitRatingRequest {
            appointment_id: " ".into(),
            scores: Some(pb::Scores { overall: 6, fairness: 3, professionalism: 3, timeliness: 3 }),
            comment: "好".repeat(COMMENT_CHARS + 1),
            mediator_id: "x".repeat(65),
            request_id: "retry-1".into(),
            home_visit_id: String::new(),
        };
        let status = SubmitRating::try_from(req).unwrap_err();
        assert_eq!(fields(&status), ["appointment_id", "scores.overall", "comment", "mediator_id", "request_id"]);
    }

    #[test]
    fn a_submission_parses() {
        let req = pb::SubmitRatingRequest {
            appointment_id: " a-1 ".into(),
            scores: Some(pb::Scores { overall: 5, fairness: 4, professionalism: 3, timeliness: 2 }),
            comment: "耐心\u{7}细致\n".into(),
            mediator_id: String::new(),
            request_id: "8C8E5D0E-8A7C-4E8B-9B4C-1B2F0E9C1A11".into(),
            home_visit_id: String::new(),
        };
        let parsed = SubmitRating::try_from(req.clone()).unwrap();
        assert_eq!(parsed.rated, Rated::Appointment("a-1".into()));
        assert_eq!(parsed.mediator_id, None);
        assert_eq!(parsed.comment, "耐心细致");
        assert_eq!(parsed.request_id.as_deref(), Some("8c8e5d0e-8a7c-4e8b-9b4c-1b2f0e9c1a11"));
        // A home visit is rated by its id instead; naming both is refused.
        let visit =
            pb::SubmitRatingRequest { appointment_id: String::new(), home_visit_id: "v-1".into(), ..req.clone() };
        assert_eq!(SubmitRating::try_from(visit).unwrap().rated, Rated::HomeVisit("v-1".into()));
        let both = pb::SubmitRatingRequest { home_visit_id: "v-1".into(), ..req };
        assert_eq!(fields(&SubmitRating::try_from(both).unwrap_err()), ["appointment_id"]);
    }

    #[test]
    fn a_hide_needs_a_reason_and_a_list_a_token_of_its_own_query() {
        let hide = pb::HideRatingRequest { rating_id: "r-1".into(), reason: "  ".into() };
        assert_eq!(fields(&HideRating::try_from(hide).unwrap_err()), ["reason"]);
        let list = pb::ListRatingsRequest { mediator_id: "m-1".into(), page_size: -1, page_token: "nope".into() };
        assert_eq!(fields(&ListRatings::try_from((list, None)).unwrap_err()), ["page_size", "page_token"]);
    }

    #[test]
    fn raters_are_masked() {
        assert_eq!(mask("王芳"), "王*");
        assert_eq!(mask(""), "*");
    }
}
