//! Field behaviour for every method in one place: reads the request message (one gRPC frame)
//! before the service does and applies `mediation_api::behavior`'s table, built from the
//! `google.api.field_behavior` annotations. A request missing a REQUIRED field is answered here,
//! INVALID_ARGUMENT with reason VALIDATION naming each missing field; OUTPUT_ONLY fields a
//! client sent are dropped before the service sees them. Runs after the auth layer, so a
//! caller who may not call a method learns nothing of its fields.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use http::{Request, Response};
use http_body_util::{BodyExt, Full, Limited};
use mediation_api::behavior::{Behaviors, Checked};
use mediation_api::status::with_reason;
use tonic::Code;
use tonic::body::Body;
use tower::{Layer, Service};

use crate::oversize::MESSAGE_TOO_LARGE;

/// The gRPC message prefix: a compression flag and a 4-byte big-endian length.
const FRAME_HEADER: usize = 5;

#[derive(Clone, Copy)]
pub struct FieldBehaviorLayer {
    pub behaviors: &'static Behaviors,
    pub max_message_bytes: usize,
}

impl<S> Layer<S> for FieldBehaviorLayer {
    type Service = FieldBehavior<S>;

    fn layer(&self, inner: S) -> Self::Service {
        FieldBehavior { inner, layer: *self }
    }
}

#[derive(Clone)]
pub struct FieldBehavior<S> {
    inner: S,
    layer: FieldBehaviorLayer,
}

/// The one uncompressed message a unary or server-streaming request carries, if that is what
/// `body` holds.
fn single_message(body: &[u8]) -> Option<&[u8]> {
    let (header, message) = body.split_at_checked(FRAME_HEADER)?;
    let length = u32::from_be_bytes(header[1..].try_into().ok()?) as usize;
    (header[0] == 0 && message.len() == length).then_some(message)
}

fn framed(message: &[u8]) -> Bytes {
    let mut body = BytesMut::with_capacity(FRAME_HEADER + message.len());
    body.put_u8(0);
    body.put_u32(u32::try_from(message.len()).expect("a message under the size limit"));
    body.put_slice(message);
    body.freeze()
}

impl<S> Service<Request<Body>> for FieldBehavior<S>
where
    S: Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let behaviors = self.layer.behaviors;
        if behaviors.input_of(request.uri().path()).is_none() {
            return Box::pin(self.inner.call(request));
        }
        // The service that was polled ready serves this call; a clone waits for the next one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let limit = self.layer.max_message_bytes + FRAME_HEADER;
        Box::pin(async move {
            let (mut parts, body) = request.into_parts();
            let body = match Limited::new(body, limit).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(err) if err.is::<http_body_util::LengthLimitError>() => {
                    let status = with_reason(
                        Code::ResourceExhausted,
                        MESSAGE_TOO_LARGE,
                        format!(
                            "the request message is larger than this server accepts ({} bytes)",
                            limit - FRAME_HEADER
                        ),
                    );
                    return Ok(status.into_http());
                }
                Err(err) => {
                    tracing::debug!(error = %err, "the request body could not be read");
                    return Ok(tonic::Status::cancelled("the request body could not be read").into_http());
                }
            };
            let body = match single_message(&body).map(|message| behaviors.check(parts.uri.path(), message)) {
                Some(Err(violations)) => return Ok(tonic::Status::from(violations).into_http()),
                Some(Ok(Checked::Rewritten(message))) => {
                    parts.headers.remove(http::header::CONTENT_LENGTH);
                    framed(&message)
                }
                Some(Ok(Checked::Unchanged)) | None => body,
            };
            inner.call(Request::from_parts(parts, Body::new(Full::new(body)))).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let body = framed(b"abc");
        assert_eq!(single_message(&body), Some(&b"abc"[..]));
        assert_eq!(single_message(&body[..6]), None);
        let mut compressed = body.to_vec();
        compressed[0] = 1;
        assert_eq!(single_message(&compressed), None);
        assert_eq!(single_message(&framed(b"")), Some(&b""[..]));
    }
}
