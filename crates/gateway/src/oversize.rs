//! A request message over `server.max_message_bytes` is refused by tonic's decoder with
//! OUT_OF_RANGE; the gRPC status-code specification names RESOURCE_EXHAUSTED for a message
//! larger than the server accepts, and clients decide on that. This layer rewrites that one
//! answer (a trailers-only response, since nothing was sent before the decoder gave up) and
//! gives it the ErrorInfo every other error carries.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Request, Response};
use mediation_api::status::with_reason;
use tonic::Code;
use tonic::body::Body;
use tower::{Layer, Service};

/// The reason given to a message over the size limit.
pub const MESSAGE_TOO_LARGE: &str = "MESSAGE_TOO_LARGE";

#[derive(Debug, Clone, Copy)]
pub struct OversizeLayer {
    pub max_message_bytes: usize,
}

impl<S> Layer<S> for OversizeLayer {
    type Service = Oversize<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Oversize { inner, max_message_bytes: self.max_message_bytes }
    }
}

#[derive(Debug, Clone)]
pub struct Oversize<S> {
    inner: S,
    max_message_bytes: usize,
}

/// Whether `response` is tonic's refusal of an oversize message.
fn is_decoder_refusal(response: &Response<Body>) -> bool {
    let headers = response.headers();
    headers.get("grpc-status").is_some_and(|v| v.as_bytes() == b"11")
        && headers.get("grpc-message").is_some_and(|v| {
            // The message is percent-encoded on the wire.
            let message = String::from_utf8_lossy(v.as_bytes()).replace("%20", " ");
            message.contains("decoded message length too large")
        })
}

impl<S, B> Service<Request<B>> for Oversize<S>
where
    S: Service<Request<B>, Response = Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let max = self.max_message_bytes;
        let call = self.inner.call(request);
        Box::pin(async move {
            let response = call.await?;
            if !is_decoder_refusal(&response) {
                return Ok(response);
            }
            let status = with_reason(
                Code::ResourceExhausted,
                MESSAGE_TOO_LARGE,
                format!("the request message is larger than this server accepts ({max} bytes)"),
            );
            Ok(status.into_http())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_decoders_refusal_is_rewritten() {
        let refusal = tonic::Status::out_of_range(
            "Error, decoded message length too large: found 70000 bytes, the limit is: 65536 bytes",
        )
        .into_http::<Body>();
        assert!(is_decoder_refusal(&refusal));
        let other = tonic::Status::out_of_range("page past the end").into_http::<Body>();
        assert!(!is_decoder_refusal(&other));
    }
}
