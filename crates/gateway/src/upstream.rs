//! Forwarding a whole service to another `mediation serve` process by gRPC path. The request
//! goes on as it came, headers (`authorization`, `grpc-timeout`, `x-request-id`) and body
//! untouched, over one HTTP/2 connection per upstream; the upstream's response, its status and
//! error details and every message of a stream, comes back as it is. Only an upstream that
//! cannot be reached is answered here: UNAVAILABLE with reason `UNAVAILABLE`.
//!
//! The front still runs its own layers (auth, deadline, metrics) before forwarding; the upstream
//! checks the token again with the same key.
//!
//! Health: every [`HEALTH_EVERY`] the front asks the upstream's `grpc.health.v1.Health/Check`
//! about the service and reports that status as its own for the service; NOT_SERVING until the
//! first answer and whenever the upstream does not answer within [`HEALTH_TIMEOUT`].

use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::Context as _;
use http::header::{CONNECTION, CONTENT_LENGTH, HOST, TE, TRANSFER_ENCODING, UPGRADE};
use http::{HeaderValue, Request, Response};
use mediation_api::status::{reason, with_reason};
use tonic::Code;
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic_health::ServingStatus;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus as Reported;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::server::HealthReporter;
use tower::{Service, ServiceExt};

pub const HEALTH_EVERY: Duration = Duration::from_secs(5);
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

/// A lazily connecting channel to `url`; `https://` uses TLS, trusting the WebPKI roots and
/// `ca_pem` when given.
pub fn channel(url: &str, ca_pem: Option<&[u8]>) -> anyhow::Result<Channel> {
    let mut endpoint = Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("upstream address {url:?}"))?
        .connect_timeout(Duration::from_secs(5))
        // Long streams sit idle between events; keep-alives find a dead peer.
        .http2_keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(10))
        .keep_alive_while_idle(true);
    if url.starts_with("https://") {
        let mut tls = ClientTlsConfig::new().with_webpki_roots();
        if let Some(pem) = ca_pem {
            tls = tls.ca_certificate(Certificate::from_pem(pem));
        }
        endpoint = endpoint.tls_config(tls).with_context(|| format!("TLS to upstream {url}"))?;
    }
    Ok(endpoint.connect_lazy())
}

/// Serves the service `S` names (`S` is its generated server type) by forwarding its calls.
pub struct Upstream<S> {
    channel: Channel,
    _service: PhantomData<fn() -> S>,
}

impl<S> Upstream<S> {
    pub fn new(channel: Channel) -> Self {
        Self { channel, _service: PhantomData }
    }
}

impl<S> Clone for Upstream<S> {
    fn clone(&self) -> Self {
        Self::new(self.channel.clone())
    }
}

impl<S: NamedService> NamedService for Upstream<S> {
    const NAME: &'static str = S::NAME;
}

/// Drops what belongs to the caller's connection rather than to the call (HTTP/2 refuses
/// connection-specific headers; a grpc-web request arrives over HTTP/1.1 with them).
fn for_upstream(mut request: Request<Body>) -> Request<Body> {
    let headers = request.headers_mut();
    for name in [CONNECTION, HOST, TRANSFER_ENCODING, UPGRADE, CONTENT_LENGTH] {
        headers.remove(name);
    }
    headers.remove("keep-alive");
    headers.remove("proxy-connection");
    headers.insert(TE, HeaderValue::from_static("trailers"));
    request
}

impl<S: NamedService> Service<Request<Body>> for Upstream<S> {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        // The channel's own readiness is awaited per call, on a clone.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let channel = self.channel.clone();
        Box::pin(async move {
            match channel.oneshot(for_upstream(request)).await {
                Ok(response) => Ok(response),
                Err(err) => {
                    tracing::warn!(service = S::NAME, error = %err, "upstream unreachable");
                    let message = format!("{} is served elsewhere and cannot be reached now; retry", S::NAME);
                    Ok(with_reason(Code::Unavailable, reason::UNAVAILABLE, message).into_http())
                }
            }
        })
    }
}

/// Reports `service`'s health as the upstream behind `channel` reports it, until dropped.
pub async fn mirror_health(channel: Channel, service: &'static str, reporter: HealthReporter) {
    let mut client = HealthClient::new(channel);
    let mut last = None;
    loop {
        let request = HealthCheckRequest { service: service.to_owned() };
        let status = match tokio::time::timeout(HEALTH_TIMEOUT, client.check(request)).await {
            Ok(Ok(reply)) if reply.get_ref().status() == Reported::Serving => ServingStatus::Serving,
            Ok(Ok(_)) => ServingStatus::NotServing,
            Ok(Err(err)) => {
                tracing::debug!(service, error = %err, "upstream health check failed");
                ServingStatus::NotServing
            }
            Err(_) => ServingStatus::NotServing,
        };
        if last != Some(status) {
            tracing::info!(service, ?status, "upstream health");
            reporter.set_service_status(service, status).await;
            last = Some(status);
        }
        tokio::time::sleep(HEALTH_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_headers_stay_behind_and_the_call_headers_go_on() {
        let request = Request::builder()
            .header("authorization", "Bearer t")
            .header("grpc-timeout", "5S")
            .header("connection", "keep-alive")
            .header("host", "front:50051")
            .header("content-length", "12")
            .body(Body::empty())
            .unwrap();
        let forwarded = for_upstream(request);
        let headers = forwarded.headers();
        assert_eq!(headers["authorization"], "Bearer t");
        assert_eq!(headers["grpc-timeout"], "5S");
        assert_eq!(headers["te"], "trailers");
        assert!(!headers.contains_key("connection") && !headers.contains_key("host"));
        assert!(!headers.contains_key("content-length"));
    }
}
