use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts failures (wrong passwords, wrong kiosk secrets) per key in a fixed window and blocks a
/// key that reached the limit until its window ends. It lives in one process: with several
/// replicas each counts its own, so the effective limit is the limit times the replicas.
#[derive(Debug)]
pub struct FailureLimiter {
    max_failures: u32,
    window: Duration,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl FailureLimiter {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self { max_failures, window, windows: Mutex::new(HashMap::new()) }
    }

    /// `Err(wait)` while `key` is blocked.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let windows = self.windows.lock().expect("limiter lock");
        match windows.get(key) {
            Some((start, failures)) if *failures >= self.max_failures && now < *start + self.window => {
                Err(*start + self.window - now)
            }
            _ => Ok(()),
        }
    }

    pub fn record_failure(&self, key: &str, now: Instant) {
        let mut windows = self.windows.lock().expect("limiter lock");
        if windows.len() > 100_000 {
            // Bound memory under a spray of distinct keys: forget windows that have ended.
            windows.retain(|_, (start, _)| now < *start + self.window);
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now >= entry.0 + self.window {
            *entry = (now, 0);
        }
        entry.1 += 1;
    }

    pub fn clear(&self, key: &str) {
        self.windows.lock().expect("limiter lock").remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_until_the_window_ends() {
        let limiter = FailureLimiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(limiter.check("alice", t0).is_ok(), "attempt {i}");
            limiter.record_failure("alice", t0);
        }
        assert_eq!(limiter.check("alice", t0 + Duration::from_secs(10)), Err(Duration::from_secs(50)));
        assert!(limiter.check("bob", t0).is_ok());
        assert!(limiter.check("alice", t0 + Duration::from_secs(60)).is_ok());
        limiter.record_failure("alice", t0 + Duration::from_secs(61));
        assert!(limiter.check("alice", t0 + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn success_clears_the_count() {
        let limiter = FailureLimiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        limiter.record_failure("alice", t0);
        limiter.clear("alice");
        limiter.record_failure("alice", t0);
        assert!(limiter.check("alice", t0).is_ok());
    }
}
