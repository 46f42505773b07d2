//! Every call gets a deadline: the server's `server.request_timeout_secs`, or the client's
//! `grpc-timeout` when that is sooner. A call past it is answered DEADLINE_EXCEEDED with an
//! ErrorInfo reason (tonic's own timeout would answer CANCELLED without one).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use mediation_api::status::{reason, with_reason};
use tonic::Code;
use tonic::body::Body;
use tower::{Layer, Service};

#[derive(Debug, Clone, Copy)]
pub struct DeadlineLayer {
    limit: Duration,
}

impl DeadlineLayer {
    pub fn new(limit: Duration) -> Self {
        Self { limit }
    }
}

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Deadline { inner, limit: self.limit }
    }
}

#[derive(Debug, Clone)]
pub struct Deadline<S> {
    inner: S,
    limit: Duration,
}

/// The `grpc-timeout` header: up to 8 digits and a unit (H, M, S, m, u, n).
fn client_timeout<B>(request: &Request<B>) -> Option<Duration> {
    let value = request.headers().get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount * 3600),
        "M" => Duration::from_secs(amount * 60),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

impl<S, B> Service<Request<B>> for Deadline<S>
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

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let limit = client_timeout(&request).map_or(self.limit, |client| client.min(self.limit));
        let call = self.inner.call(request);
        Box::pin(async move {
            match tokio::time::timeout(limit, call).await {
                Ok(result) => result,
                Err(_) => {
                    tracing::warn!(limit_ms = limit.as_millis() as u64, "call ran past its deadline");
                    let status = with_reason(
                        Code::DeadlineExceeded,
                        reason::DEADLINE_EXCEEDED,
                        "the call ran past its deadline",
                    );
                    Ok(status.into_http())
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use tower::ServiceExt;

    use super::*;

    fn slow(
        delay: Duration,
    ) -> impl Service<Request<()>, Response = Response<Body>, Error = Infallible, Future: Send> + Clone {
        tower::service_fn(move |_req: Request<()>| async move {
            tokio::time::sleep(delay).await;
            Ok::<_, Infallible>(Response::new(Body::empty()))
        })
    }

    fn grpc_status(response: &Response<Body>) -> Option<&str> {
        response.headers().get("grpc-status").and_then(|v| v.to_str().ok())
    }

    #[tokio::test(start_paused = true)]
    async fn slow_calls_get_deadline_exceeded() {
        let service = DeadlineLayer::new(Duration::from_secs(30)).layer(slow(Duration::from_secs(60)));
        let response = service.oneshot(Request::new(())).await.unwrap();
        assert_eq!(grpc_status(&response), Some("4"));
    }

    #[tokio::test(start_paused = true)]
    async fn the_sooner_client_deadline_wins() {
        let service = DeadlineLayer::new(Duration::from_secs(30)).layer(slow(Duration::from_secs(5)));
        let request = Request::builder().header("grpc-timeout", "1000m").body(()).unwrap();
        let started = tokio::time::Instant::now();
        let response = service.oneshot(request).await.unwrap();
        assert_eq!(grpc_status(&response), Some("4"));
        assert_eq!(started.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn calls_within_the_deadline_pass() {
        let service = DeadlineLayer::new(Duration::from_secs(30)).layer(slow(Duration::from_secs(1)));
        let response = service.oneshot(Request::new(())).await.unwrap();
        assert_eq!(grpc_status(&response), None);
    }

    #[test]
    fn timeout_header_units() {
        let with = |v: &str| client_timeout(&Request::builder().header("grpc-timeout", v).body(()).unwrap());
        assert_eq!(with("2S"), Some(Duration::from_secs(2)));
        assert_eq!(with("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(with("250m"), Some(Duration::from_millis(250)));
        assert_eq!(with("123456789S"), None);
        assert_eq!(with("5x"), None);
        assert_eq!(with("S"), None);
    }
}
