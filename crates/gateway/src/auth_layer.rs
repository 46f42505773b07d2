//! Turns the bearer token into a [`Principal`] in the request's extensions and enforces each
//! method's [`Access`] before the call reaches a service. A method without an entry in the
//! policy table is denied, so a new RPC cannot ship unguarded.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use mediation_api::status::{rate_limited, reason, with_reason};
use mediation_auth::{Access, Decision, TokenError, TokenKeys};
use tonic::Code;
use tonic::body::Body;
use tower::{Layer, Service};

use crate::peer_limit::{PeerLimit, peer};

/// Methods served by the infrastructure rather than a service: open to all.
const OPEN_PREFIXES: &[&str] = &["/grpc.health.v1.Health/", "/grpc.reflection.v1.", "/grpc.reflection.v1alpha."];

#[derive(Clone)]
pub struct AuthLayer {
    keys: Arc<TokenKeys>,
    policy: Arc<HashMap<&'static str, Access>>,
    public_limit: Option<Arc<PeerLimit>>,
}

impl AuthLayer {
    pub fn new(keys: Arc<TokenKeys>, policy: HashMap<&'static str, Access>, public_limit: Option<PeerLimit>) -> Self {
        Self { keys, policy: Arc::new(policy), public_limit: public_limit.map(Arc::new) }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService { inner, layer: self.clone() }
    }
}

#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    layer: AuthLayer,
}

fn bearer<B>(request: &Request<B>) -> Option<&str> {
    let value = request.headers().get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

impl AuthLayer {
    fn check<B>(&self, request: &mut Request<B>) -> Result<(), tonic::Status> {
        let path = request.uri().path();
        let infrastructure = OPEN_PREFIXES.iter().any(|prefix| path.starts_with(prefix));
        let access = match self.policy.get(path) {
            Some(access) => *access,
            None if infrastructure => Access::Public,
            None => {
                return Err(with_reason(Code::PermissionDenied, reason::FORBIDDEN, "this method has no access policy"));
            }
        };
        let verified = bearer(request).map(|token| self.keys.verify(token));
        let principal = match (access, verified) {
            // A stale token left in a client's metadata must not stop it logging in again.
            (Access::Public, Some(Err(_))) | (_, None) => None,
            (_, Some(Ok(principal))) => Some(principal),
            (Access::Roles(_), Some(Err(TokenError::Expired))) => {
                return Err(with_reason(
                    Code::Unauthenticated,
                    reason::TOKEN_EXPIRED,
                    "the access token expired; refresh it",
                ));
            }
            (Access::Roles(_), Some(Err(_))) => {
                return Err(with_reason(Code::Unauthenticated, reason::TOKEN_INVALID, "the access token is not valid"));
            }
        };
        // Anonymous calls to public methods are limited per peer; probes of health and
        // reflection are not.
        if let (Access::Public, None, false, Some(limit)) = (access, &principal, infrastructure, &self.public_limit) {
            if let Some(wait) = peer(request).and_then(|ip| limit.check(ip).err()) {
                return Err(rate_limited("too many anonymous calls from your address; slow down", wait));
            }
        }
        match access.decide(principal.as_ref().map(|p| p.role)) {
            Decision::Allow => {
                if let Some(principal) = principal {
                    tracing::Span::current().record("account", principal.account_id.as_str());
                    request.extensions_mut().insert(principal);
                }
                Ok(())
            }
            Decision::Unauthenticated => Err(with_reason(
                Code::Unauthenticated,
                reason::TOKEN_INVALID,
                "this call needs `authorization: Bearer <access token>`",
            )),
            Decision::Forbidden => {
                Err(with_reason(Code::PermissionDenied, reason::FORBIDDEN, "your role may not call this method"))
            }
        }
    }
}

impl<S, B> Service<Request<B>> for AuthService<S>
where
    S: Service<Request<B>, Response = Response<Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        match self.layer.check(&mut request) {
            Ok(()) => Box::pin(self.inner.call(request)),
            Err(status) => Box::pin(std::future::ready(Ok(status.into_http()))),
        }
    }
}
