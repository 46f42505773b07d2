//! How many home visits a resident may have open, and request in an hour. Every request (and
//! every cancellation) sets off a re-plan of its station's date and makes a proposed plan stale,
//! so a resident's requests are held to what one household can need; staff requesting for a
//! case are not limited here.

use std::time::Duration;

use chrono::{DateTime, Utc};

/// A resident's limits; 0 turns one off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResidentLimits {
    /// Visits requested by the resident that are not over (REQUESTED, PLANNED, EN_ROUTE,
    /// ARRIVED). Reaching it refuses the next request with FAILED_PRECONDITION
    /// (`TOO_MANY_OPEN_VISITS`) until one is cancelled or done.
    pub max_open_visits: u32,
    /// Requests in the last hour, cancelled ones included. Reaching it refuses the next with
    /// RESOURCE_EXHAUSTED (`RATE_LIMITED`, with a RetryInfo).
    pub requests_per_hour: u32,
}

impl Default for ResidentLimits {
    fn default() -> Self {
        Self { max_open_visits: 10, requests_per_hour: 20 }
    }
}

/// The window `requests_per_hour` counts over.
pub fn request_window() -> chrono::Duration {
    chrono::Duration::hours(1)
}

/// What the store says of a resident's requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requested {
    /// Their visits that are not over.
    pub open: i64,
    /// Their requests since `now - request_window()`.
    pub recent: i64,
    /// The oldest of those.
    pub oldest_recent: Option<DateTime<Utc>>,
}

/// Why a resident's request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    TooManyOpen { max: u32 },
    TooFrequent { retry_after: Duration },
}

/// Whether a resident with `requested` may request one more visit at `now`.
pub fn check(limits: ResidentLimits, requested: Requested, now: DateTime<Utc>) -> Result<(), Refusal> {
    let max_open = limits.max_open_visits;
    if max_open > 0 && requested.open >= i64::from(max_open) {
        return Err(Refusal::TooManyOpen { max: max_open });
    }
    let per_hour = limits.requests_per_hour;
    if per_hour > 0 && requested.recent >= i64::from(per_hour) {
        let frees = requested.oldest_recent.map_or(now, |oldest| oldest + request_window());
        let retry_after = (frees - now).to_std().unwrap_or_default().max(Duration::from_secs(1));
        return Err(Refusal::TooFrequent { retry_after });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
    }

    fn requested(open: i64, recent: i64, oldest_minutes_ago: i64) -> Requested {
        Requested { open, recent, oldest_recent: Some(now() - chrono::Duration::minutes(oldest_minutes_ago)) }
    }

    #[test]
    fn open_visits_are_capped() {
        let limits = ResidentLimits { max_open_visits: 3, requests_per_hour: 0 };
        assert_eq!(check(limits, requested(2, 50, 10), now()), Ok(()));
        assert_eq!(check(limits, requested(3, 3, 10), now()), Err(Refusal::TooManyOpen { max: 3 }));
    }

    #[test]
    fn requests_an_hour_are_capped_until_the_oldest_ages_out() {
        let limits = ResidentLimits { max_open_visits: 0, requests_per_hour: 4 };
        assert_eq!(check(limits, requested(100, 3, 10), now()), Ok(()));
        assert_eq!(
            check(limits, requested(0, 4, 10), now()),
            Err(Refusal::TooFrequent { retry_after: Duration::from_secs(50 * 60) })
        );
        // Cancelled requests count too: 20 request-and-cancel pairs are 20 requests.
        assert!(check(limits, requested(0, 20, 59), now()).is_err());
        // Never a zero retry delay.
        assert_eq!(
            check(limits, requested(0, 4, 60), now()),
            Err(Refusal::TooFrequent { retry_after: Duration::from_secs(1) })
        );
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let off = ResidentLimits { max_open_visits: 0, requests_per_hour: 0 };
        assert_eq!(check(off, requested(1_000, 1_000, 1), now()), Ok(()));
    }
}
