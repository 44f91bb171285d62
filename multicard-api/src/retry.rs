//! The retry policy, written once and applied to every call.
//!
//! Multicard has no idempotency key, so a request that creates, confirms,
//! charges, refunds or pays out money is **never sent again automatically
//! once it may have reached the server**:
//!
//! - reads (`GET`) and `/auth` are retried on connect errors, timeouts,
//!   broken connections, HTTP 429 and 502/503/504, with capped exponential
//!   backoff and full jitter, honouring `Retry-After` (capped), up to
//!   [`RetryPolicy::max_attempts`];
//! - any request whose connection could not be made (it provably never
//!   left) is retried the same way, whatever its method;
//! - a write that may have reached the server fails with
//!   [`Error::OutcomeUnknown`]: after a lost or unreadable answer, HTTP 5xx,
//!   or an error code that [`crate::outcome`] classes as
//!   [`WriteOutcome::OutcomeUnknown`] for that write (`ERROR_DEBIT_UNKNOWN`,
//!   `ERROR_CALLBACK_TIMEOUT`, `ERROR_UNKNOWN`, and any code or
//!   `ERROR_FIELDS` reason not classified for it). It names the
//!   read that settles it (`get_payment`, `get_hold`, `get_payout`,
//!   `get_invoice`, ...) and, for the writes that move money, carries the
//!   write: [`Multicard::settle_write`](crate::Multicard::settle_write) says
//!   whether it was applied (never send it again before it says
//!   `NotApplied`);
//! - the one exception is HTTP 401: the token is refreshed and the request
//!   replayed once (the server refused it before doing anything).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::{Error, TransportKind};
use crate::outcome::{self, WriteOutcome};

/// How calls are retried. See the module documentation for the rules.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included (default 3; 1 turns retries off).
    pub max_attempts: u32,
    /// The first backoff (default 100 ms); it doubles with each attempt.
    pub base_delay: Duration,
    /// The longest backoff (default 2 s).
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured (default 10 s); a longer one is cut.
    pub max_retry_after: Duration,
    /// Full jitter: each backoff is random between zero and its cap
    /// (default on; off makes tests deterministic).
    pub jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(10),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// Sets `max_attempts`.
    #[must_use]
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// Sets `base_delay`.
    #[must_use]
    pub fn with_base_delay(mut self, base_delay: Duration) -> Self {
        self.base_delay = base_delay;
        self
    }

    /// Sets `max_delay`.
    #[must_use]
    pub fn with_max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// Sets `max_retry_after`.
    #[must_use]
    pub fn with_max_retry_after(mut self, max_retry_after: Duration) -> Self {
        self.max_retry_after = max_retry_after;
        self
    }

    /// Sets `jitter`.
    #[must_use]
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// No retries at all.
    pub fn none() -> Self {
        Self { max_attempts: 1, ..Self::default() }
    }

    /// The pause before attempt `attempt + 1`, after `attempt` attempts.
    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exponent = attempt.saturating_sub(1).min(20);
        let cap = self.base_delay.saturating_mul(1 << exponent).min(self.max_delay);
        let delay = if self.jitter { cap.mul_f64(fastrand::f64()) } else { cap };
        match retry_after {
            Some(after) => delay.max(after.min(self.max_retry_after)),
            None => delay,
        }
    }
}

/// `Retry-After` as seconds or as an HTTP date.
pub(crate) fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// A failure worth another try for a read: the server did not do the work,
/// or a read does not mind if it did.
pub(crate) fn is_transient(error: &Error) -> bool {
    match error {
        Error::Transport { kind, .. } => {
            matches!(kind, TransportKind::Connect | TransportKind::Timeout | TransportKind::Interrupted)
        }
        other => matches!(other.status(), Some(429 | 502 | 503 | 504)),
    }
}

/// A failure after which a write may or may not have happened.
pub(crate) fn may_have_reached(error: &Error) -> bool {
    match error {
        Error::Transport { kind, .. } => *kind != TransportKind::Connect,
        Error::ResponseTooLarge { .. } => true,
        // Multicard said `success: true`: done, whatever the data looks like.
        Error::Undecodable { succeeded, .. } => !succeeded,
        Error::UnexpectedResponse { status, .. } => *status == 0 || *status >= 500 || (200..300).contains(status),
        // The table of `outcome.rs` decides, per operation: a code it does
        // not list for this write (or `ERROR_FIELDS` details it does not
        // know) may have been applied.
        Error::Api { operation, status, code, details } => {
            *status >= 500 || outcome::classify(operation, code, details).outcome == WriteOutcome::OutcomeUnknown
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_honours_retry_after() {
        let policy = RetryPolicy::default().with_jitter(false);
        let delays: Vec<u128> = (1..=6).map(|a| policy.backoff(a, None).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1600, 2000]);
        assert_eq!(policy.backoff(1, Some(Duration::from_secs(3))), Duration::from_secs(3));
        assert_eq!(policy.backoff(1, Some(Duration::from_secs(60))), Duration::from_secs(10), "capped");
        let jittered = RetryPolicy::default();
        assert!((0..100).all(|_| jittered.backoff(3, None) <= Duration::from_millis(400)));
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_a_date() {
        let now: DateTime<Utc> = "2025-03-07T10:00:00Z".parse().unwrap();
        assert_eq!(parse_retry_after("5", now), Some(Duration::from_secs(5)));
        assert_eq!(parse_retry_after("Fri, 07 Mar 2025 10:00:30 GMT", now), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after("Fri, 07 Mar 2025 09:00:00 GMT", now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
