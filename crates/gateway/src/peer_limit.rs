//! The per-peer limit on anonymous calls to public methods (the published directory and rating
//! summaries, and the identity calls that need no token), as API.md promises. It is counted in
//! this process: with several replicas behind a balancer each counts its own share, and behind a
//! proxy every caller is the proxy's address.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use http::Request;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};

/// Beyond this many tracked peers, those that are back to a full bucket are forgotten.
const MAX_TRACKED_PEERS: usize = 10_000;

#[derive(Debug)]
pub struct PeerLimit {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
}

impl PeerLimit {
    /// `None` when `per_second` is 0 (the limit is off).
    pub fn new(per_second: u32, burst: u32) -> Option<Self> {
        let per_second = NonZeroU32::new(per_second)?;
        let burst = NonZeroU32::new(burst.max(per_second.get())).expect("at least per_second, which is not 0");
        Some(Self { limiter: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)) })
    }

    /// `Err(wait)` when `peer` has used up its calls for now.
    pub fn check(&self, peer: IpAddr) -> Result<(), Duration> {
        if self.limiter.len() > MAX_TRACKED_PEERS {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&peer).map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// The caller's address, over plain TCP or TLS.
pub fn peer<B>(request: &Request<B>) -> Option<IpAddr> {
    let extensions = request.extensions();
    extensions
        .get::<TcpConnectInfo>()
        .and_then(TcpConnectInfo::remote_addr)
        .or_else(|| extensions.get::<TlsConnectInfo<TcpConnectInfo>>().and_then(|tls| tls.get_ref().remote_addr()))
        .map(|addr| addr.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_gets_its_burst_then_waits() {
        let limit = PeerLimit::new(1, 3).unwrap();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            assert!(limit.check(a).is_ok());
        }
        let wait = limit.check(a).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1), "{wait:?}");
        assert!(limit.check(b).is_ok(), "other peers are counted apart");
    }

    #[test]
    fn zero_turns_it_off() {
        assert!(PeerLimit::new(0, 100).is_none());
    }
}
