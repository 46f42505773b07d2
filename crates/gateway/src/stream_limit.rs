//! Long-lived streams that need no token — health `Watch` and server reflection — counted per
//! client address, so that one peer cannot hold thousands of them open. A stream counts from
//! the call until its response body is dropped (the stream ended or the client went away).

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

/// The methods whose calls are open streams without a principal.
const STREAMING_PATHS: &[&str] = &[
    "/grpc.health.v1.Health/Watch",
    "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
];

pub fn is_anonymous_stream(path: &str) -> bool {
    STREAMING_PATHS.contains(&path)
}

#[derive(Debug)]
pub struct OpenStreams {
    max_per_peer: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

impl OpenStreams {
    /// `None` when `max_per_peer` is 0 (no limit).
    pub fn new(max_per_peer: usize) -> Option<Arc<Self>> {
        (max_per_peer > 0).then(|| Arc::new(Self { max_per_peer, open: Mutex::new(HashMap::new()) }))
    }

    /// A slot for one more stream from `peer`, or `None` when it holds its share.
    pub fn open(self: &Arc<Self>, peer: IpAddr) -> Option<StreamSlot> {
        let mut open = self.open.lock().expect("stream counts are never left poisoned");
        let count = open.entry(peer).or_insert(0);
        if *count >= self.max_per_peer {
            return None;
        }
        *count += 1;
        Some(StreamSlot { streams: self.clone(), peer })
    }

    #[cfg(test)]
    fn count(&self, peer: IpAddr) -> usize {
        self.open.lock().unwrap().get(&peer).copied().unwrap_or(0)
    }
}

/// One open stream; dropping it frees the slot.
#[derive(Debug)]
pub struct StreamSlot {
    streams: Arc<OpenStreams>,
    peer: IpAddr,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.streams.open.lock().expect("stream counts are never left poisoned");
        if let Some(count) = open.get_mut(&self.peer) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.peer);
            }
        }
    }
}

/// A response body that holds its stream's slot until it is dropped.
pub struct Counted<B> {
    inner: B,
    _slot: StreamSlot,
}

impl<B> Counted<B> {
    pub fn new(inner: B, slot: StreamSlot) -> Self {
        Self { inner, _slot: slot }
    }
}

impl<B: Body<Data = Bytes> + Unpin> Body for Counted<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_holds_its_share_and_gets_slots_back() {
        let streams = OpenStreams::new(2).unwrap();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let first = streams.open(a).unwrap();
        let _second = streams.open(a).unwrap();
        assert!(streams.open(a).is_none());
        assert!(streams.open(b).is_some(), "other peers are counted apart");
        drop(first);
        assert_eq!(streams.count(a), 1);
        assert!(streams.open(a).is_some());
    }

    #[test]
    fn only_the_anonymous_streams_are_counted() {
        assert!(is_anonymous_stream("/grpc.health.v1.Health/Watch"));
        assert!(!is_anonymous_stream("/grpc.health.v1.Health/Check"));
        assert!(is_anonymous_stream("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"));
    }
}
