//! Rate limits counted in this process: anonymous calls to public methods per client address
//! (the published directory and rating summaries, and the identity calls that need no token), as
//! API.md promises, and every signed-in call per principal, so that a token does not lift the
//! limit. With several replicas behind a balancer each counts its own share.

use std::hash::Hash;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Beyond this many tracked keys, those that are back to a full bucket are forgotten.
const MAX_TRACKED_KEYS: usize = 10_000;

/// A token bucket per key (a client address, an account id).
#[derive(Debug)]
pub struct KeyedLimit<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    /// `None` when `per_second` is 0 (the limit is off).
    pub fn new(per_second: u32, burst: u32) -> Option<Self> {
        let per_second = NonZeroU32::new(per_second)?;
        let burst = NonZeroU32::new(burst.max(per_second.get())).expect("at least per_second, which is not 0");
        Some(Self { limiter: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)) })
    }

    /// `Err(wait)` when `key` has used up its calls for now.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        if self.limiter.len() > MAX_TRACKED_KEYS {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(key).map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;

    use super::*;

    #[test]
    fn a_key_gets_its_burst_then_waits() {
        let limit = KeyedLimit::new(1, 3).unwrap();
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            assert!(limit.check(&a).is_ok());
        }
        let wait = limit.check(&a).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1), "{wait:?}");
        assert!(limit.check(&b).is_ok(), "other keys are counted apart");
    }

    #[test]
    fn zero_turns_it_off() {
        assert!(KeyedLimit::<String>::new(0, 100).is_none());
    }
}
