//! The gRPC face of the rating service: each handler takes the caller, parses the request into
//! a plain one (`TryFrom`, naming every bad field), runs the flow in `crate::service` inside one
//! transaction, and encodes the answer. The conversions live by resource (`ratings`,
//! `summaries`, `assessments`); `error` maps the crate's errors to statuses. Raters are always
//! masked on the wire.

mod assessments;
mod error;
mod ratings;
mod summaries;

use chrono::Utc;
use mediation_api::caller;
use mediation_api::ratings::v1 as pb;
use mediation_api::ratings::v1::rating_service_server::{RatingService, RatingServiceServer};
use mediation_audit::Actor;
use mediation_auth::Principal;
use mediation_store::Db;
use prost::Message;
use tonic::{Request, Response, Status};

use crate::error::Error;
use crate::service::{
    self, ExportAssessments, GetAssessment, GetSummary, HideRating, ListAssessments, ListRatings, RatingSettings,
    SubmitRating, UpdateRating,
};

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

#[tonic::async_trait]
impl RatingService for Ratings {
    async fn submit_rating(&self, request: Request<pb::SubmitRatingRequest>) -> Result<Response<pb::Rating>, Status> {
        let principal = caller(&request)?;
        let encoded = request.get_ref().encode_to_vec();
        let req = SubmitRating::try_from(request.into_inner())?;
        let rating =
            self.db.write::<_, Error, _>(move |conn| ratings::submit_once(conn, &principal, req, &encoded)).await?;
        Ok(Response::new(rating))
    }

    async fn update_rating(&self, request: Request<pb::UpdateRatingRequest>) -> Result<Response<pb::Rating>, Status> {
        let principal = caller(&request)?;
        let req = UpdateRating::try_from(request.into_inner())?;
        let settings = self.settings.clone();
        let rating = self
            .db
            .write::<_, Error, _>(move |conn| service::update(conn, &principal, &settings, req, Utc::now()))
            .await?;
        Ok(Response::new(ratings::to_proto(rating, false)))
    }

    async fn get_mediator_summary(
        &self,
        request: Request<pb::GetMediatorSummaryRequest>,
    ) -> Result<Response<pb::MediatorSummary>, Status> {
        let req = GetSummary::try_from(request.into_inner())?;
        let (settings, mediator_id) = (self.settings.clone(), req.mediator_id.clone());
        let summary = self.db.read::<_, Error, _>(move |conn| service::summary(conn, &settings, &req)).await?;
        Ok(Response::new(summaries::to_proto(mediator_id, summary)))
    }

    async fn list_ratings(
        &self,
        request: Request<pb::ListRatingsRequest>,
    ) -> Result<Response<pb::ListRatingsResponse>, Status> {
        let viewer = request.extensions().get::<Principal>().cloned();
        let req = ListRatings::try_from((request.into_inner(), viewer.as_ref()))?;
        let page = self.db.read::<_, Error, _>(move |conn| service::list(conn, viewer.as_ref(), &req)).await?;
        Ok(Response::new(ratings::page_to_proto(page)))
    }

    async fn hide_rating(&self, request: Request<pb::HideRatingRequest>) -> Result<Response<pb::Rating>, Status> {
        let principal = caller(&request)?;
        let actor = Actor::new(&principal, request.remote_addr());
        let req = HideRating::try_from(request.into_inner())?;
        let rating =
            self.db.write::<_, Error, _>(move |conn| service::hide(conn, &principal, &actor, req, Utc::now())).await?;
        Ok(Response::new(ratings::to_proto(rating, true)))
    }

    async fn get_assessment(
        &self,
        request: Request<pb::GetAssessmentRequest>,
    ) -> Result<Response<pb::Assessment>, Status> {
        let principal = caller(&request)?;
        let req = GetAssessment::try_from(request.into_inner())?;
        let settings = self.settings.clone();
        let assessment =
            self.db.read::<_, Error, _>(move |conn| service::get_assessment(conn, &principal, &settings, &req)).await?;
        Ok(Response::new(assessments::to_proto(assessment)))
    }

    async fn list_assessments(
        &self,
        request: Request<pb::ListAssessmentsRequest>,
    ) -> Result<Response<pb::ListAssessmentsResponse>, Status> {
        let principal = caller(&request)?;
        let req = ListAssessments::try_from(request.into_inner())?;
        let settings = self.settings.clone();
        let page = self
            .db
            .read::<_, Error, _>(move |conn| service::list_assessments(conn, &principal, &settings, &req))
            .await?;
        Ok(Response::new(assessments::page_to_proto(page)))
    }

    async fn export_assessments(
        &self,
        request: Request<pb::ExportAssessmentsRequest>,
    ) -> Result<Response<pb::ExportAssessmentsResponse>, Status> {
        let principal = caller(&request)?;
        let req = ExportAssessments::try_from(request.into_inner())?;
        let settings = self.settings.clone();
        let csv = self
            .db
            .read::<_, Error, _>(move |conn| service::export_assessments(conn, &principal, &settings, &req))
            .await?;
        Ok(Response::new(pb::ExportAssessmentsResponse { csv }))
    }
}
