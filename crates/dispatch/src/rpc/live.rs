//! Live status on the wire: ReportPosition, UpdateVisitStatus and WatchBoard parsed into plain
//! values; the updates of the watch streams encoded; the lifetime of the token a stream is
//! opened with.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use mediation_api::Violations;
use mediation_api::convert::timestamp;
use mediation_api::dispatch::v1 as pb;
use mediation_auth::Principal;
use tonic::{Request, Status};

use super::visits::{self, point_from, point_to, status_from, status_to};
use crate::domain::VisitStatus;
use crate::domain::travel::Point;
use crate::service::{BoardUpdate, StatusChange, TokenLife, VisitUpdate};

/// When the caller's access token was issued and when it expires, from the `authorization`
/// metadata of a stream's call. The gateway verified that very token (signature, issuer,
/// audience, expiry, not-before) before the call got here and put its principal into the
/// extensions, so its claims are only decoded here; a token that does not name that principal
/// is not used. `None` without one: the stream is then checked against the account's
/// disabling from when it opened, with no expiry.
pub(super) fn token_life<T>(request: &Request<T>, principal: &Principal) -> Option<TokenLife> {
    let value = request.metadata().get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let payload = token.trim().split('.').nth(1)?;
    let claims: mediation_auth::Claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    (claims.sub == principal.account_id).then_some(TokenLife { issued_at: claims.iat, expires_at: claims.exp })
}

pub(super) struct ReportPosition {
    pub van_id: String,
    pub at: Point,
}

impl TryFrom<pb::ReportPositionRequest> for ReportPosition {
    type Error = Status;

    fn try_from(req: pb::ReportPositionRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let van_id = v.id("van_id", &req.van_id);
        let at = point_from(&mut v, "location", req.location);
        v.finish(|| Some(Self { van_id: van_id?, at: at? }))
    }
}

pub(super) struct UpdateStatus {
    pub visit_id: String,
    pub change: StatusChange,
}

impl TryFrom<pb::UpdateVisitStatusRequest> for UpdateStatus {
    type Error = Status;

    fn try_from(req: pb::UpdateVisitStatusRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let visit_id = v.id("visit_id", &req.visit_id);
        let to = match status_from(req.status) {
            Some(s @ (VisitStatus::EnRoute | VisitStatus::Arrived | VisitStatus::Completed | VisitStatus::Failed)) => {
                Some(s)
            }
            _ => {
                v.add("status", "must be EN_ROUTE, ARRIVED, COMPLETED or FAILED");
                None
            }
        };
        let note = v.text("note", &req.note, 1000, false);
        // A visit is a session: completing it takes the outcome a session's completion does.
        let outcome = match (to, req.outcome) {
            (Some(VisitStatus::Completed), Some(outcome)) => {
                mediation_appointments::outcome_from(&mut v, "outcome", outcome).map(Some)
            }
            (Some(VisitStatus::Completed), None) => {
                v.add("outcome", "is required to complete a visit: SETTLED, NOT_SETTLED or REFERRED");
                None
            }
            (_, Some(_)) => {
                v.add("outcome", "is given only with COMPLETED");
                None
            }
            (_, None) => Some(None),
        };
        v.finish(|| {
            Some(Self { visit_id: visit_id?, change: StatusChange { to: to?, note: note?, outcome: outcome? } })
        })
    }
}

/// The longest tracking token read; a real one is 43 characters.
const MAX_TOKEN_CHARS: usize = 256;

/// GetVisitByTrackingToken's token.
pub(super) fn tracking_token(req: pb::GetVisitByTrackingTokenRequest) -> Result<String, Status> {
    let mut v = Violations::new();
    let token = req.token.trim();
    if token.is_empty() || token.chars().count() > MAX_TOKEN_CHARS {
        v.add("token", format!("is required, at most {MAX_TOKEN_CHARS} characters"));
    }
    v.finish(|| Some(token.to_owned()))
}

pub(super) struct WatchBoard {
    pub station_id: String,
    pub day: NaiveDate,
}

impl TryFrom<pb::WatchBoardRequest> for WatchBoard {
    type Error = Status;

    fn try_from(req: pb::WatchBoardRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let day = v.date("date", req.date);
        let station_id = v.id("station_id", &req.station_id);
        v.finish(|| Some(Self { station_id: station_id?, day: day? }))
    }
}

pub(super) fn update_to_proto(u: VisitUpdate) -> pb::VisitUpdate {
    pb::VisitUpdate {
        visit_id: u.visit_id,
        status: status_to(u.status).into(),
        eta: u.eta.map(timestamp),
        van_location: u.van_location.map(point_to),
        van_id: u.van_id.unwrap_or_default(),
    }
}

/// An update on a board of a station in `zone`.
pub(super) fn board_to_proto(update: BoardUpdate, zone: chrono_tz::Tz) -> pb::BoardEvent {
    use pb::board_event::Event;
    let event = match update {
        BoardUpdate::Visit(visit) => Event::Visit(visits::to_proto(crate::service::ShownVisit::on_board(*visit, zone))),
        BoardUpdate::VanPosition { van_id, location, at } => {
            Event::VanPosition(pb::VanPosition { van_id, location: Some(point_to(location)), at: Some(timestamp(at)) })
        }
        BoardUpdate::PlanCommitted { plan_id } => Event::PlanCommitted(plan_id),
        BoardUpdate::PlanProposed { plan_id } => Event::PlanProposed(plan_id),
    };
    pb::BoardEvent { event: Some(event) }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};
    use mediation_auth::{Role, TokenKeys, generate_signing_key_pem};

    use super::*;

    fn principal(account: &str) -> Principal {
        Principal { account_id: account.into(), role: Role::Dispatcher, site_id: Some("s1".into()), kiosk_id: None }
    }

    fn with_token(token: &str) -> Request<()> {
        let mut request = Request::new(());
        request.metadata_mut().insert("authorization", format!("Bearer {token}").parse().unwrap());
        request
    }

    #[test]
    fn a_streams_token_life_comes_from_its_verified_token() {
        let keys = TokenKeys::from_pem(&generate_signing_key_pem(), "mediation", "mediation-api").unwrap();
        let now = Utc::now();
        let (token, expires_at) = keys.issue(&principal("d1"), now, Duration::seconds(900)).unwrap();
        let life = token_life(&with_token(&token), &principal("d1")).expect("the token's times");
        assert_eq!(life, TokenLife { issued_at: now.timestamp(), expires_at: expires_at.timestamp() });
        assert_eq!(token_life(&with_token(&token), &principal("someone else")), None);
        assert_eq!(token_life(&with_token("not.a-token"), &principal("d1")), None);
        assert_eq!(token_life(&Request::new(()), &principal("d1")), None);
    }
}
