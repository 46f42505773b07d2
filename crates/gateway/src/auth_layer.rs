//! Turns the bearer token into a [`Principal`] in the request's extensions and enforces each
//! method's [`Access`] before the call reaches a service. A method without an entry in the
//! policy table is denied, so a new RPC cannot ship unguarded. It also resolves the client's
//! address (through trusted proxies) and applies the limits that need no service: anonymous
//! calls to public methods per address, signed-in calls per principal, and open anonymous
//! streams (health watches, reflection) per address.
//!
//! A token is checked fully (signature, issuer, audience, times) the first time this process
//! sees it, then remembered until it expires ([`TokenCache`]). Every call with a valid token is
//! then checked against its account's token not-before (and the kiosk's, for a kiosk resident
//! session) as this process knows it ([`Revocations`]: every account ever disabled, polled
//! from the database every 250 ms, refused here at once when disabled here and within a second
//! when disabled on another process). When what the process knows is more than a second old,
//! the call asks the database itself (one primary-key probe of `account_blocks`), and a
//! database that cannot answer refuses the call (UNAVAILABLE) rather than let a possibly
//! revoked token through.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use std::net::IpAddr;

use http::{Request, Response};
use mediation_api::caller::ClientAddr;
use mediation_api::status::{rate_limited, reason, with_reason};
use mediation_auth::{Access, Decision, Principal, TokenCache, TokenError};
use mediation_identity::revocations::Revocations;
use mediation_store::Db;
use tonic::Code;
use tonic::body::Body;
use tower::{Layer, Service};

use crate::client_addr::TrustedProxies;
use crate::peer_limit::KeyedLimit;
use crate::stream_limit::{Counted, OpenStreams, StreamSlot, is_anonymous_stream};

/// Methods served by the infrastructure rather than a service: open to all.
const OPEN_PREFIXES: &[&str] = &["/grpc.health.v1.Health/", "/grpc.reflection.v1.", "/grpc.reflection.v1alpha."];

/// The limits the layer applies; each `None` is off.
#[derive(Debug, Default)]
pub struct Limits {
    pub public_per_peer: Option<KeyedLimit<IpAddr>>,
    pub per_principal: Option<KeyedLimit<String>>,
    pub anonymous_streams: Option<Arc<OpenStreams>>,
    pub trusted_proxies: TrustedProxies,
}

#[derive(Clone)]
pub struct AuthLayer {
    tokens: Arc<TokenCache>,
    revocations: Arc<Revocations>,
    policy: Arc<HashMap<&'static str, Access>>,
    limits: Arc<Limits>,
    db: Db,
}

impl AuthLayer {
    pub fn new(
        tokens: Arc<TokenCache>,
        revocations: Arc<Revocations>,
        policy: HashMap<&'static str, Access>,
        limits: Limits,
        db: Db,
    ) -> Self {
        Self { tokens, revocations, policy: Arc::new(policy), limits: Arc::new(limits), db }
    }
}

/// What the checks let through: the token still to check against the database (when what this
/// process knows of disabled accounts is stale), and the stream slot the call holds.
struct Admitted {
    issued: Option<Issued>,
    slot: Option<StreamSlot>,
}

/// A verified token still to be checked against its accounts' not-before.
struct Issued {
    accounts: Vec<String>,
    issued_at: i64,
}

impl Issued {
    fn of(principal: &Principal, issued_at: i64) -> Self {
        let accounts = std::iter::once(&principal.account_id).chain(principal.kiosk_id.as_ref()).cloned().collect();
        Self { accounts, issued_at }
    }

    /// Whether an account of the token was disabled after the token was issued.
    async fn revoked(self, db: &Db) -> Result<bool, mediation_store::Error> {
        let not_before = db
            .read::<_, mediation_store::Error, _>(move |conn| {
                let ids: Vec<&str> = self.accounts.iter().map(String::as_str).collect();
                mediation_identity::repo::tokens_not_before(conn, &ids).map_err(mediation_store::Error::Query)
            })
            .await?;
        Ok(mediation_identity::domain::blocks::token_refused(self.issued_at, not_before))
    }
}

fn revoked() -> tonic::Status {
    with_reason(
        Code::Unauthenticated,
        reason::TOKEN_INVALID,
        "the access token was revoked (the account was disabled); log in again",
    )
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
    /// Checks the token, the policy and the limits; returns what remains to check against the
    /// database.
    fn check<B>(&self, request: &mut Request<B>) -> Result<Admitted, tonic::Status> {
        let client = self.limits.trusted_proxies.client(request);
        if let Some(ip) = client {
            request.extensions_mut().insert(ClientAddr(ip));
        }
        let path = request.uri().path();
        let infrastructure = OPEN_PREFIXES.iter().any(|prefix| path.starts_with(prefix));
        let access = match self.policy.get(path) {
            Some(access) => *access,
            None if infrastructure => Access::Public,
            None => {
                return Err(with_reason(Code::PermissionDenied, reason::FORBIDDEN, "this method has no access policy"));
            }
        };
        let now = chrono::Utc::now().timestamp();
        let verified = bearer(request).map(|token| self.tokens.verify(token, now));
        let (principal, issued_at) = match (access, verified) {
            // A stale token left in a client's metadata must not stop it logging in again.
            (Access::Public, Some(Err(_))) | (_, None) => (None, 0),
            (_, Some(Ok(verified))) => (Some(verified.principal), verified.issued_at),
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
        // reflection are not, but their open streams are counted.
        if let (Access::Public, None, false, Some(limit)) =
            (access, &principal, infrastructure, &self.limits.public_per_peer)
            && let Some(wait) = client.and_then(|ip| limit.check(&ip).err())
        {
            return Err(rate_limited("too many anonymous calls from your address; slow down", wait));
        }
        if let (Some(principal), Some(limit)) = (&principal, &self.limits.per_principal)
            && let Err(wait) = limit.check(&principal.account_id)
        {
            return Err(rate_limited("too many calls from your account; slow down", wait));
        }
        let slot = match (&self.limits.anonymous_streams, client) {
            (Some(streams), Some(ip)) if is_anonymous_stream(path) => Some(streams.open(ip).ok_or_else(|| {
                with_reason(
                    Code::ResourceExhausted,
                    reason::TOO_MANY_STREAMS,
                    "your address holds as many open health or reflection streams as it may",
                )
            })?),
            _ => None,
        };
        match access.decide(principal.as_ref().map(|p| p.role)) {
            Decision::Allow => {
                let Some(principal) = principal else { return Ok(Admitted { issued: None, slot }) };
                tracing::Span::current().record("account", principal.account_id.as_str());
                let issued = Issued::of(&principal, issued_at);
                let accounts: Vec<&str> = issued.accounts.iter().map(String::as_str).collect();
                let issued = match self.revocations.refused(&accounts, issued_at, std::time::Instant::now()) {
                    Some(true) => return Err(revoked()),
                    Some(false) => None,
                    None => Some(issued),
                };
                request.extensions_mut().insert(principal);
                Ok(Admitted { issued, slot })
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
    S: Service<Request<B>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let Admitted { issued, slot } = match self.layer.check(&mut request) {
            Ok(Admitted { issued: None, slot: None }) => return Box::pin(self.inner.call(request)),
            Ok(admitted) => admitted,
            Err(status) => return Box::pin(std::future::ready(Ok(status.into_http()))),
        };
        // The service that was polled ready serves this call; a clone waits for the next one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let db = self.layer.db.clone();
        Box::pin(async move {
            if let Some(issued) = issued {
                match issued.revoked(&db).await {
                    Ok(false) => {}
                    Ok(true) => return Ok(revoked().into_http()),
                    Err(err) => {
                        tracing::error!(error = %err, "cannot check the token's not-before");
                        return Ok(with_reason(
                            Code::Unavailable,
                            reason::UNAVAILABLE,
                            "cannot check the token now; retry",
                        )
                        .into_http());
                    }
                }
            }
            let response = inner.call(request).await?;
            Ok(match slot {
                Some(slot) => response.map(|body| Body::new(Counted::new(body, slot))),
                None => response,
            })
        })
    }
}
