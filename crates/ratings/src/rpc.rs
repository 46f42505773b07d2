//! The gRPC face of the rating service: parse and validate (errors name the field), run the
//! flow, encode. Raters are always masked on the wire.

use chrono::{DateTime, Utc};
use mediation_api::paging;
use mediation_api::ratings::v1 as pb;
use mediation_api::ratings::v1::rating_service_server::{RatingService, RatingServiceServer};
use mediation_api::status::Violations;
use mediation_auth::{Principal, caller};
use mediation_directory::domain::parse_text;
use mediation_store::Db;
use mediation_store::idempotency::{self, Key};
use tonic::{Request, Response, Status};

use crate::domain::summary::Scores;
use crate::error::Error;
use crate::repo::Rating;
use crate::service::{self, Assessment, Period, RatingSettings};

const COMMENT_CHARS: usize = 1000;
const SUBMIT_RATING: &str = "/mediation.ratings.v1.RatingService/SubmitRating";

/// The rating service over one database.
#[derive(Debug, Clone)]
pub struct Ratings {
    db: Db,
    settings: RatingSettings,
}

impl Ratings {
    pub fn new(db: Db, settings: RatingSettings) -> Self {
        Self { db, settings }
    }

    pub fn into_server(self) -> RatingServiceServer<Ratings> {
        RatingServiceServer::new(self)
    }
}

fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: t.timestamp(), nanos: t.timestamp_subsec_nanos() as i32 }
}

/// The first character of the rater's name and a star: enough to tell comments apart, not
/// enough to find the person.
fn mask(name: &str) -> String {
    name.chars().next().map_or_else(|| "*".to_owned(), |c| format!("{c}*"))
}

fn rating_to_proto(r: Rating, admin: bool) -> pb::Rating {
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
    v.check("comment", parse_text(&cleaned, COMMENT_CHARS, false))
}

fn period(v: &mut Violations, p: Option<pb::Period>) -> Option<Period> {
    let p = p.unwrap_or_default();
    if !(2000..=2100).contains(&p.year) {
        v.add("period.year", "must be 2000 to 2100");
        return None;
    }
    match (p.month, p.quarter) {
        (1..=12, 0) => Some(Period::Month { year: p.year, month: p.month as u32 }),
        (0, 1..=4) => Some(Period::Quarter { year: p.year, quarter: p.quarter as u32 }),
        _ => {
            v.add("period", "give a month (1 to 12) or a quarter (1 to 4), not both");
            None
        }
    }
}

fn period_to(p: Period) -> pb::Period {
    match p {
        Period::Month { year, month } => pb::Period { year, month: month as i32, quarter: 0 },
        Period::Quarter { year, quarter } => pb::Period { year, month: 0, quarter: quarter as i32 },
    }
}

fn assessment_to_proto(a: Assessment) -> pb::Assessment {
    let i = a.inputs;
    pb::Assessment {
        mediator_id: a.mediator.id,
        period: Some(period_to(a.period)),
        score: a.outcome.score,
        level: a.outcome.level,
        total_yuan: a.outcome.total_yuan(),
        lines: a
            .outcome
            .lines
            .into_iter()
            .map(|l| pb::PayLine { kind: l.kind.to_owned(), amount_yuan: l.amount_yuan, explanation: l.explanation })
            .collect(),
        inputs: Some(pb::AssessmentInputs {
            sessions_held: i.sessions_held as i32,
            settled: i.settled as i32,
            settlement_rate: i.settlement_rate(),
            no_shows: i.no_shows as i32,
            think_tank_sessions: i.think_tank_sessions as i32,
            ratings_count: i.ratings_count as i32,
            ratings_bayesian_mean: a.outcome.bayesian_mean,
            hidden_ratings: i.hidden_ratings as i32,
            complaints: i.complaints as i32,
            current_level: i.current_level,
        }),
        explanation: a.outcome.explanation,
    }
}

#[tonic::async_trait]
impl RatingService for Ratings {
    async fn submit_rating(&self, request: Request<pb::SubmitRatingRequest>) -> Result<Response<pb::Rating>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let appointment_id = v.id("appointment_id", &req.appointment_id);
        let scores = scores(&mut v, req.scores);
        let comment = comment(&mut v, &req.comment);
        let mediator_id = v.optional_id("mediator_id", &req.mediator_id);
        let request_id = if req.request_id.is_empty() { Some(None) } else { v.request_id(&req.request_id).map(Some) };
        let (appointment_id, scores, comment, mediator_id, request_id) =
            v.finish(|| Some((appointment_id?, scores?, comment?, mediator_id?, request_id?)))?;
        let encoded = prost::Message::encode_to_vec(&req);
        let rating = self
            .db
            .write::<_, Error, _>(move |conn| {
                let submit = |conn: &mut mediation_store::DbConnection| {
                    let rating =
                        service::submit(conn, &principal, &appointment_id, mediator_id, scores, comment, Utc::now())?;
                    Ok(rating_to_proto(rating, false))
                };
                match &request_id {
                    Some(request_id) => {
                        let key = Key { principal: &principal.account_id, method: SUBMIT_RATING, request_id };
                        idempotency::once(conn, key, &encoded, submit)
                    }
                    None => submit(conn),
                }
            })
            .await?;
        Ok(Response::new(rating))
    }

    async fn update_rating(&self, request: Request<pb::UpdateRatingRequest>) -> Result<Response<pb::Rating>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let rating_id = v.id("rating_id", &req.rating_id);
        let scores = scores(&mut v, req.scores);
        let comment = comment(&mut v, &req.comment);
        let (rating_id, scores, comment) = v.finish(|| Some((rating_id?, scores?, comment?)))?;
        let settings = self.settings.clone();
        let rating = self
            .db
            .write::<_, Error, _>(move |conn| {
                service::update(conn, &principal, &settings, &rating_id, scores, comment, Utc::now())
            })
            .await?;
        Ok(Response::new(rating_to_proto(rating, false)))
    }

    async fn get_mediator_summary(
        &self,
        request: Request<pb::GetMediatorSummaryRequest>,
    ) -> Result<Response<pb::MediatorSummary>, Status> {
        let mut v = Violations::new();
        let mediator_id = v.id("mediator_id", &request.get_ref().mediator_id);
        let mediator_id = v.finish(|| mediator_id)?;
        let settings = self.settings.clone();
        let m = mediator_id.clone();
        let s = self.db.read::<_, Error, _>(move |conn| service::summary(conn, &settings, &m)).await?;
        Ok(Response::new(pb::MediatorSummary {
            mediator_id,
            count: s.count as i32,
            mean: s.mean,
            bayesian_mean: s.bayesian_mean,
            distribution: s.distribution.iter().map(|c| *c as i32).collect(),
            fairness_mean: s.fairness_mean,
            professionalism_mean: s.professionalism_mean,
            timeliness_mean: s.timeliness_mean,
            settled: Some(pb::OutcomeSplit { count: s.settled.0 as i32, mean: s.settled.1 }),
            not_settled: Some(pb::OutcomeSplit { count: s.not_settled.0 as i32, mean: s.not_settled.1 }),
        }))
    }

    async fn list_ratings(
        &self,
        request: Request<pb::ListRatingsRequest>,
    ) -> Result<Response<pb::ListRatingsResponse>, Status> {
        let principal: Option<Principal> = request.extensions().get::<Principal>().cloned();
        let req = request.into_inner();
        let mut v = Violations::new();
        let mediator_id = v.id("mediator_id", &req.mediator_id);
        let size = v.check("page_size", paging::page_size(req.page_size, 20, 100));
        let query =
            paging::fingerprint(&("ratings", &req.mediator_id, principal.as_ref().map(|p| p.account_id.clone())));
        let after = v.check("page_token", paging::decode_token::<(DateTime<Utc>, String)>(&req.page_token, &query));
        let (mediator_id, size, after) = v.finish(|| Some((mediator_id?, size?, after?)))?;
        let (ratings, admin) = self
            .db
            .read::<_, Error, _>(move |conn| {
                service::list(conn, principal.as_ref(), &mediator_id, after, size as i64 + 1)
            })
            .await?;
        let (ratings, next_page_token) = paging::split_page(ratings, size, &query, |r| (r.created_at, r.id.clone()));
        Ok(Response::new(pb::ListRatingsResponse {
            ratings: ratings.into_iter().map(|r| rating_to_proto(r, admin)).collect(),
            next_page_token,
        }))
    }

    async fn hide_rating(&self, request: Request<pb::HideRatingRequest>) -> Result<Response<pb::Rating>, Status> {
        let principal = caller(&request)?;
        let actor = mediation_audit::Actor::new(&principal, request.remote_addr());
        let req = request.into_inner();
        let mut v = Violations::new();
        let rating_id = v.id("rating_id", &req.rating_id);
        let reason = v.check("reason", parse_text(&req.reason, 500, true));
        let (rating_id, reason) = v.finish(|| Some((rating_id?, reason?)))?;
        let rating = self
            .db
            .write::<_, Error, _>(move |conn| {
                let now = Utc::now();
                let rating = service::hide(conn, &principal, &rating_id, &reason, now)?;
                // The reason stays in rating_moderations: it is free text and may quote the comment.
                let event = mediation_audit::Event::new(
                    mediation_audit::Action::RatingHidden,
                    mediation_audit::TargetKind::Rating,
                    &rating.id,
                    format!("mediator {}", rating.mediator_id),
                );
                mediation_audit::repo::append(conn, &actor, event, now)?;
                Ok(rating)
            })
            .await?;
        Ok(Response::new(rating_to_proto(rating, true)))
    }

    async fn get_assessment(
        &self,
        request: Request<pb::GetAssessmentRequest>,
    ) -> Result<Response<pb::Assessment>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let mediator_id = v.id("mediator_id", &req.mediator_id);
        let period = period(&mut v, req.period);
        let (mediator_id, period) = v.finish(|| Some((mediator_id?, period?)))?;
        let settings = self.settings.clone();
        let assessment = self
            .db
            .read::<_, Error, _>(move |conn| service::get_assessment(conn, &principal, &settings, &mediator_id, period))
            .await?;
        Ok(Response::new(assessment_to_proto(assessment)))
    }

    async fn list_assessments(
        &self,
        request: Request<pb::ListAssessmentsRequest>,
    ) -> Result<Response<pb::ListAssessmentsResponse>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let site_id = v.id("site_id", &req.site_id);
        let period = period(&mut v, req.period);
        let size = v.check("page_size", paging::page_size(req.page_size, 50, 200));
        let query =
            paging::fingerprint(&("assessments", &req.site_id, req.period.map(|p| (p.year, p.month, p.quarter))));
        let after = v.check("page_token", paging::decode_token::<String>(&req.page_token, &query));
        let (site_id, period, size, after) = v.finish(|| Some((site_id?, period?, size?, after?)))?;
        let settings = self.settings.clone();
        let items = self
            .db
            .read::<_, Error, _>(move |conn| {
                service::list_assessments(conn, &principal, &settings, &site_id, period, after.as_deref(), size + 1)
            })
            .await?;
        let (items, next_page_token) = paging::split_page(items, size, &query, |a| a.mediator.id.clone());
        Ok(Response::new(pb::ListAssessmentsResponse {
            assessments: items.into_iter().map(assessment_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn export_assessments(
        &self,
        request: Request<pb::ExportAssessmentsRequest>,
    ) -> Result<Response<pb::ExportAssessmentsResponse>, Status> {
        let principal = caller(&request)?;
        let req = request.into_inner();
        let mut v = Violations::new();
        let site_id = v.id("site_id", &req.site_id);
        let period = period(&mut v, req.period);
        let (site_id, period) = v.finish(|| Some((site_id?, period?)))?;
        let settings = self.settings.clone();
        let items = self
            .db
            .read::<_, Error, _>(move |conn| {
                service::list_assessments(conn, &principal, &settings, &site_id, period, None, usize::MAX)
            })
            .await?;
        Ok(Response::new(pb::ExportAssessmentsResponse { csv: service::to_csv(&items) }))
    }
}
