//! Multicard's clock as this client sees it: the offset between the
//! client's wall clock and the `Date` header of Multicard's answers.
//!
//! Multicard stamps what it records (`added_on`, a hold's `expiry`, the
//! registries' windows) with its own clock, in GMT+5. A window or deadline
//! meant in that clock is wrong by however far the client's clock is off.
//! Every answer that carries a readable `Date` header (RFC 7231's
//! `IMF-fixdate`, read as RFC 2822) updates the client's
//! [`ClockOffset`]: the latest answer wins. Before any such answer the
//! offset is zero, and [`ClockOffset::is_observed`] says so.
//!
//! The header has a resolution of one second, and it is written before the
//! answer travels: the offset is good to a second or two, which is what
//! windows of minutes need.
//!
//! ```no_run
//! # async fn run(multicard: multicard_api::Multicard) -> Result<(), multicard_api::Error> {
//! multicard.send(|api| api.get_application()).await?;
//! let offset = multicard.clock_offset();
//! println!("Multicard's clock is {} s from ours (observed: {})", offset.offset.num_seconds(), offset.is_observed());
//! println!("Multicard's now: {}", multicard.multicard_now());
//! # Ok(()) }
//! ```

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};

use crate::time::MulticardDateTime;
use crate::token_cache::Clock;

/// How far Multicard's clock is from this client's wall clock
/// ([`Config::with_clock`](crate::Config::with_clock)), as the latest
/// answer's `Date` header showed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClockOffset {
    /// Multicard's clock minus the client's (positive: Multicard's is
    /// ahead). Zero while none was observed.
    pub offset: TimeDelta,
    /// When (by the client's wall clock) the answer it was read from came
    /// in; `None` while no answer carried a readable `Date` header, in
    /// which case [`ClockOffset::offset`] is an assumption (zero), not a
    /// measurement.
    pub observed_at: Option<DateTime<Utc>>,
}

impl ClockOffset {
    /// No offset observed: zero, assumed.
    pub const UNOBSERVED: ClockOffset = ClockOffset { offset: TimeDelta::zero(), observed_at: None };

    /// An offset measured at `observed_at`.
    pub fn observed(offset: TimeDelta, observed_at: DateTime<Utc>) -> Self {
        Self { offset, observed_at: Some(observed_at) }
    }

    /// Whether an answer's `Date` header measured it (`false`: zero is
    /// assumed).
    pub fn is_observed(&self) -> bool {
        self.observed_at.is_some()
    }

    /// The instant `local` (by the client's wall clock) as Multicard's
    /// clock reads it.
    pub fn to_multicard(&self, local: DateTime<Utc>) -> MulticardDateTime {
        MulticardDateTime::from_utc(local.checked_add_signed(self.offset).unwrap_or(local))
    }
}

impl Default for ClockOffset {
    fn default() -> Self {
        Self::UNOBSERVED
    }
}

/// What the transport records answers' `Date` headers into: one per client,
/// shared by its clones and by its `/auth` fetch.
pub(crate) struct ServerClock {
    clock: Arc<dyn Clock>,
    /// The latest offset, and the `Date` text it was measured from.
    latest: Mutex<(String, ClockOffset)>,
}

impl std::fmt::Debug for ServerClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerClock").field("latest", &self.latest()).finish_non_exhaustive()
    }
}

impl ServerClock {
    /// A clock that has seen no answer yet, measuring against `clock`.
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Self {
        Self { clock, latest: Mutex::new((String::new(), ClockOffset::UNOBSERVED)) }
    }

    /// Records the `Date` header of an answer that just came in; a header
    /// that does not parse changes nothing. The same text as the last one
    /// (answers within one second: a `Date` has no finer resolution) keeps
    /// the offset measured from its first sighting, without parsing it
    /// again: every call's answer passes here.
    pub(crate) fn observe(&self, date: &str) {
        let mut latest = self.latest.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if latest.0 == date {
            return;
        }
        let Ok(server) = DateTime::parse_from_rfc2822(date.trim()) else { return };
        let local = self.clock.now_utc();
        let offset = server.with_timezone(&Utc) - local;
        latest.0.clear();
        latest.0.push_str(date);
        latest.1 = ClockOffset::observed(offset, local);
    }

    /// Now by Multicard's clock: this clock's now plus the latest offset.
    pub(crate) fn multicard_now(&self) -> MulticardDateTime {
        self.latest().to_multicard(self.clock.now_utc())
    }

    /// The latest offset.
    pub(crate) fn latest(&self) -> ClockOffset {
        self.latest.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token_cache::SystemClock;

    #[derive(Debug)]
    struct Fixed(DateTime<Utc>);
    impl Clock for Fixed {
        fn now(&self) -> std::time::Instant {
            std::time::Instant::now()
        }
        fn now_utc(&self) -> DateTime<Utc> {
            self.0
        }
    }

    #[test]
    fn the_offset_is_the_date_header_minus_the_local_clock() {
        let local = "2025-03-07T17:00:00Z".parse().unwrap();
        let clock = ServerClock::new(Arc::new(Fixed(local)));
        assert_eq!(clock.latest(), ClockOffset::UNOBSERVED);
        clock.observe("Fri, 07 Mar 2025 17:10:30 GMT");
        let offset = clock.latest();
        assert_eq!(offset.offset, TimeDelta::seconds(630));
        assert_eq!(offset.observed_at, Some(local));
        assert_eq!(offset.to_multicard(local).to_string(), "2025-03-07 22:10:30", "GMT+5");
        clock.observe("not a date");
        assert_eq!(clock.latest(), offset, "an unreadable header changes nothing");
        clock.observe("Fri, 07 Mar 2025 16:59:00 GMT");
        assert_eq!(clock.latest().offset, TimeDelta::seconds(-60), "the latest answer wins");
    }

    #[test]
    fn unobserved_is_zero_and_says_so() {
        let clock = ServerClock::new(Arc::new(SystemClock));
        assert!(!clock.latest().is_observed());
        assert_eq!(clock.latest().offset, TimeDelta::zero());
    }
}
