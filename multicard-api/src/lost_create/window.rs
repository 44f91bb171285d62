//! The window of a search, in Multicard's clock, and the wait until it is
//! closed (its end in the past) before it is read.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::delta;
use crate::multicard::Multicard;
use crate::registry::RegistryWindow;
use crate::server_time::ClockOffset;
use crate::time::MulticardDateTime;

/// The whole second at or before `instant`.
fn floor(instant: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(instant.timestamp(), 0).unwrap_or(instant)
}

/// The whole second at or after `instant`.
fn ceil(instant: DateTime<Utc>) -> DateTime<Utc> {
    let down = floor(instant);
    if down == instant { down } else { down + TimeDelta::seconds(1) }
}

/// The window of a create sent at `sent_at` and searched from `started`
/// (both Multicard's clock): from `before` before the send to `after`
/// after the search's start (or the send, if that came later), widened to
/// whole seconds.
pub(super) fn of(
    sent_at: MulticardDateTime,
    started: MulticardDateTime,
    before: Duration,
    after: Duration,
) -> RegistryWindow {
    let sent = sent_at.to_utc();
    let start = floor(sent.checked_sub_signed(delta(before)).unwrap_or(DateTime::<Utc>::MIN_UTC));
    let latest = started.to_utc().max(sent);
    let end = ceil(latest.checked_add_signed(delta(after)).unwrap_or(DateTime::<Utc>::MAX_UTC));
    RegistryWindow::new(MulticardDateTime::from_utc(start), MulticardDateTime::from_utc(end))
}

/// The first instant (Multicard's clock) at which `window` is closed: a
/// second after its end, since a row stamped with the end's second (its
/// fraction dropped) belongs to it.
pub(super) fn closed_at(window: &RegistryWindow) -> DateTime<Utc> {
    window.end.to_utc() + TimeDelta::seconds(1)
}

/// How long until `window` is closed, when Multicard's clock reads `now`;
/// zero once it is.
pub(super) fn until_closed(window: &RegistryWindow, now: DateTime<Utc>) -> Duration {
    (closed_at(window) - now).to_std().unwrap_or(Duration::ZERO)
}

/// How often a wait looks at Multicard's clock again.
const RECHECK: Duration = Duration::from_secs(1);

/// Waits until `window` is closed by Multicard's clock (the client's clock
/// plus the latest offset, read again at least every second), at most
/// `wait`.
/// Closed: the offset and Multicard's now. Not closed in time (known
/// before waiting in vain): Multicard's now and the offset, at once.
pub(super) async fn wait_until_closed(
    multicard: &Multicard,
    window: &RegistryWindow,
    wait: Duration,
) -> Result<(ClockOffset, MulticardDateTime), (MulticardDateTime, ClockOffset)> {
    let deadline = crate::executor::far(wait);
    loop {
        let (offset, local) = multicard.offset_and_local_now();
        let now = offset.to_multicard(local);
        let left = until_closed(window, now.to_utc());
        if left.is_zero() {
            return Ok((offset, now));
        }
        let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left > remaining {
            return Err((now, offset));
        }
        tracing::debug!(
            target: "multicard::lost_create",
            end = %window.end,
            wait_ms = left.as_millis() as u64,
            "waiting for the window to close"
        );
        // Looked at again every second: an answer in between may move the
        // offset.
        tokio::time::sleep(left.min(RECHECK)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> MulticardDateTime {
        text.parse().unwrap()
    }

    #[test]
    fn the_window_runs_from_before_the_send_to_after_the_search() {
        let window = of(at("2025-03-07 12:00:00"), at("2025-03-07 12:03:00"), DEFAULT_BEFORE, DEFAULT_AFTER);
        assert_eq!(window.start, at("2025-03-07 11:55:00"));
        assert_eq!(window.end, at("2025-03-07 12:04:00"));
        let custom = of(at("2025-03-07 12:00:00"), at("2025-03-07 12:03:00"), Duration::from_secs(1), Duration::ZERO);
        assert_eq!((custom.start, custom.end), (at("2025-03-07 11:59:59"), at("2025-03-07 12:03:00")));
    }

    #[test]
    fn a_send_time_after_the_search_start_still_ends_the_window_after_it() {
        let window = of(at("2025-03-07 12:10:00"), at("2025-03-07 12:03:00"), DEFAULT_BEFORE, DEFAULT_AFTER);
        assert_eq!(window.end, at("2025-03-07 12:11:00"));
        assert!(window.start <= window.end);
    }

    #[test]
    fn fractions_of_a_second_widen_the_window() {
        let sent = MulticardDateTime::from_utc("2025-03-07T07:00:00.700Z".parse().unwrap());
        let started = MulticardDateTime::from_utc("2025-03-07T07:01:00.200Z".parse().unwrap());
        let window = of(sent, started, Duration::from_secs(60), Duration::from_secs(60));
        assert_eq!(window.start.to_utc(), "2025-03-07T06:59:00Z".parse::<DateTime<Utc>>().unwrap());
        assert_eq!(window.end.to_utc(), "2025-03-07T07:02:01Z".parse::<DateTime<Utc>>().unwrap());
    }

    #[test]
    fn a_window_is_closed_a_second_after_its_end() {
        let window = RegistryWindow::new(at("2025-03-07 12:00:00"), at("2025-03-07 12:04:00"));
        let end = window.end.to_utc();
        assert_eq!(until_closed(&window, end), Duration::from_secs(1), "its last second may still get rows");
        assert_eq!(until_closed(&window, end + TimeDelta::milliseconds(400)), Duration::from_millis(600));
        assert_eq!(until_closed(&window, end + TimeDelta::seconds(1)), Duration::ZERO);
        assert_eq!(until_closed(&window, end - TimeDelta::minutes(1)), Duration::from_secs(61));
    }

    use super::super::{DEFAULT_AFTER, DEFAULT_BEFORE};
}
