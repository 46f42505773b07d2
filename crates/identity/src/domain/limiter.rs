use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts attempts (passwords, kiosk secrets) per key in a fixed window and refuses a key that
/// used up its attempts until its window ends. An attempt is taken before it is checked and
/// given back when it succeeds, so concurrent guesses cannot overrun the limit.
///
/// It lives in one process: with several replicas each counts its own, so the effective limit
/// is the limit times the replicas.
#[derive(Debug)]
pub struct FailureLimiter {
    max_failures: u32,
    window: Duration,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

/// Beyond this many keys, windows that ended are forgotten, and if that is not enough, all
/// are: under a spray of distinct keys the limiter fails open rather than grow without bound.
const MAX_KEYS: usize = 100_000;

impl FailureLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self { max_failures, window, windows: Mutex::new(HashMap::new()) }
    }

    /// Takes an attempt for `key`, or says how long until it may try again.
    pub fn take(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut windows = self.windows.lock().expect("limiter lock");
        if windows.len() >= MAX_KEYS {
            windows.retain(|_, (start, _)| now < *start + self.window);
            if windows.len() >= MAX_KEYS {
                windows.clear();
            }
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now >= entry.0 + self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.max_failures {
            return Err(entry.0 + self.window - now);
        }
        entry.1 += 1;
        Ok(())
    }

    /// Returns one attempt that succeeded.
    pub fn give_back(&self, key: &str) {
        if let Some(entry) = self.windows.lock().expect("limiter lock").get_mut(key) {
            entry.1 = entry.1.saturating_sub(1);
        }
    }

    /// Forgets every attempt of `key`.
    pub fn clear(&self, key: &str) {
        self.windows.lock().expect("limiter lock").remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_the_limit_until_the_window_ends() {
        let limiter = FailureLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(limiter.take("alice", t0).is_ok(), "attempt {i}");
        }
        assert_eq!(limiter.take("alice", t0 + Duration::from_secs(10)), Err(Duration::from_secs(50)));
        assert!(limiter.take("bob", t0).is_ok());
        assert!(limiter.take("alice", t0 + Duration::from_secs(60)).is_ok());
    }

    #[test]
    fn successes_do_not_count() {
        let limiter = FailureLimiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..5 {
            limiter.take("peer", t0).unwrap();
            limiter.give_back("peer");
        }
        limiter.take("alice", t0).unwrap();
        limiter.take("alice", t0).unwrap();
        limiter.clear("alice");
        assert!(limiter.take("alice", t0).is_ok());
    }
}
