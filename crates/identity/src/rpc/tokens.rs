//! Sessions on the wire: login and refresh-token requests, and the tokens handed out.

use mediation_api::Violations;
use mediation_api::convert::timestamp;
use mediation_api::identity::v1 as pb;
use tonic::Status;

use super::fields::secret;
use crate::domain;
use crate::service::{Credentials, IssuedTokens, RefreshToken};

pub(super) fn to_proto(tokens: IssuedTokens) -> pb::Tokens {
    let (refresh_token, refresh_expires_at) = match tokens.refresh {
        Some((token, expires_at)) => (token, Some(timestamp(expires_at))),
        None => (String::new(), None),
    };
    pb::Tokens {
        access_token: tokens.access_token,
        refresh_token,
        access_expires_at: Some(timestamp(tokens.access_expires_at)),
        refresh_expires_at,
    }
}

impl TryFrom<pb::LoginRequest> for Credentials {
    type Error = Status;

    fn try_from(req: pb::LoginRequest) -> Result<Self, Status> {
        let mut v = Violations::new();
        let login = secret(&mut v, "login", req.login.trim());
        if req.password.is_empty() || req.password.chars().count() > *domain::PASSWORD_CHARS.end() {
            v.add("password", "is required and at most 128 characters");
        }
        let login = v.finish(|| login)?;
        Ok(Credentials { login, password: req.password })
    }
}

fn refresh_token(token: &str) -> Result<RefreshToken, Status> {
    let mut v = Violations::new();
    let token = secret(&mut v, "refresh_token", token);
    Ok(RefreshToken(v.finish(|| token)?))
}

impl TryFrom<pb::RefreshRequest> for RefreshToken {
    type Error = Status;

    fn try_from(req: pb::RefreshRequest) -> Result<Self, Status> {
        refresh_token(&req.refresh_token)
    }
}

impl TryFrom<pb::LogoutRequest> for RefreshToken {
    type Error = Status;

    fn try_from(req: pb::LogoutRequest) -> Result<Self, Status> {
        refresh_token(&req.refresh_token)
    }
}
