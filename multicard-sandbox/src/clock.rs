//! The sandbox's clock: every timestamp it writes and every schedule it
//! keeps (invoice lifetimes, holds, tokens, callbacks sent again) reads
//! this clock, never the wall clock.
//!
//! Time is a [`Duration`] since the sandbox started. With a manual clock
//! (the library's default) it stands still until [`Clock::move_to`] moves
//! it, which only `Sandbox::advance` does; with a real-time clock (the
//! binary's default) it follows the wall clock, plus whatever was advanced.
//! What the sandbox writes (`added_on`, `payment_time`, a token's `expiry`)
//! is that moment in GMT+5, shifted by the clock offset a test may set to
//! make the server's clock disagree with the client's.
//!
//! In a state file (`persist.rs`) the clock keeps its time: a manual clock
//! reads, once loaded, what it read when saved; a real-time clock has
//! moved on by the wall-clock time in between (never back), so it stays as
//! far ahead of the wall clock as it was advanced. Whether it follows the
//! wall clock, and its offset, are the configuration's ([`Clock::configure`]).

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use multicard_api::time::MulticardDateTime;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The sandbox's clock.
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    /// The wall clock when the sandbox started.
    started: Instant,
    /// The same moment in UTC.
    started_utc: DateTime<Utc>,
    /// Follows the wall clock (`true`) or stands still between advances.
    real_time: bool,
    /// How far it was moved ahead of the wall clock (or of the start).
    advanced: Duration,
    /// How far what it writes is from its own time (the server's clock
    /// against the client's).
    offset: TimeDelta,
}

impl Clock {
    /// A clock starting now.
    pub(crate) fn new(real_time: bool, offset: TimeDelta) -> Self {
        Self { started: Instant::now(), started_utc: Utc::now(), real_time, advanced: Duration::ZERO, offset }
    }

    /// The time since the sandbox started.
    pub(crate) fn now(&self) -> Duration {
        let real = if self.real_time { self.started.elapsed() } else { Duration::ZERO };
        real.saturating_add(self.advanced)
    }

    /// Moves the clock to `at` (never back).
    pub(crate) fn move_to(&mut self, at: Duration) {
        let now = self.now();
        if at > now {
            self.advanced = self.advanced.saturating_add(at - now);
        }
    }

    /// From now on follows the wall clock (`real_time`) or stands still,
    /// with `offset`; its time goes on from where it is.
    pub(crate) fn configure(&mut self, real_time: bool, offset: TimeDelta) {
        self.advanced = self.now();
        self.started = Instant::now();
        self.real_time = real_time;
        self.offset = offset;
    }

    /// Sets how far what it writes is from its own time.
    pub(crate) fn set_offset(&mut self, offset: TimeDelta) {
        self.offset = offset;
    }

    /// Moment `at` as the server writes it (offset included), in UTC.
    pub(crate) fn utc_at(&self, at: Duration) -> DateTime<Utc> {
        let since = TimeDelta::from_std(at).unwrap_or(TimeDelta::MAX);
        self.started_utc
            .checked_add_signed(since)
            .and_then(|t| t.checked_add_signed(self.offset))
            .unwrap_or(self.started_utc)
    }

    /// Now, as Multicard writes it (GMT+5, no offset).
    pub(crate) fn stamp(&self) -> String {
        self.stamp_at(self.now())
    }

    /// Moment `at` as Multicard writes it.
    pub(crate) fn stamp_at(&self, at: Duration) -> String {
        MulticardDateTime::from_utc(self.utc_at(at)).to_string()
    }

    /// Now as a date the registries compare.
    pub(crate) fn date(&self) -> MulticardDateTime {
        MulticardDateTime::from_utc(self.utc_at(self.now()))
    }
}

/// A clock as a state file keeps it.
#[derive(Serialize, Deserialize)]
struct Saved {
    /// The moment its time 0 was, in UTC.
    started_utc: DateTime<Utc>,
    /// Its time when it was saved.
    now: Duration,
    /// The wall clock when it was saved.
    saved_at: DateTime<Utc>,
    real_time: bool,
}

impl Serialize for Clock {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let saved =
            Saved { started_utc: self.started_utc, now: self.now(), saved_at: Utc::now(), real_time: self.real_time };
        saved.serialize(serializer)
    }
}

/// A loaded clock: a real-time one has moved on by the wall-clock time
/// since it was saved. The offset is left to [`Clock::configure`].
impl<'de> Deserialize<'de> for Clock {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let saved = Saved::deserialize(deserializer)?;
        let since = (Utc::now() - saved.saved_at).to_std().unwrap_or(Duration::ZERO);
        let now = if saved.real_time { saved.now.saturating_add(since) } else { saved.now };
        Ok(Self {
            started: Instant::now(),
            started_utc: saved.started_utc,
            real_time: saved.real_time,
            advanced: now,
            offset: TimeDelta::zero(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_clock_keeps_its_time_and_a_real_time_one_moves_on_by_the_wall_clock() {
        let mut manual = Clock::new(false, TimeDelta::zero());
        manual.move_to(Duration::from_secs(3600));
        let mut saved = serde_json::to_value(&manual).unwrap();
        saved["saved_at"] = serde_json::json!(Utc::now() - TimeDelta::minutes(10));
        let loaded: Clock = serde_json::from_value(saved.clone()).unwrap();
        assert_eq!(loaded.now(), Duration::from_secs(3600), "a manual clock reads what it read");
        assert_eq!(loaded.stamp(), manual.stamp());
        saved["real_time"] = serde_json::json!(true);
        let loaded: Clock = serde_json::from_value(saved).unwrap();
        let moved = loaded.now() - Duration::from_secs(3600);
        assert!((Duration::from_secs(599)..Duration::from_secs(660)).contains(&moved), "{moved:?}");
    }

    #[test]
    fn a_manual_clock_stands_still_until_moved_and_never_goes_back() {
        let mut clock = Clock::new(false, TimeDelta::zero());
        assert_eq!(clock.now(), Duration::ZERO);
        clock.move_to(Duration::from_secs(90));
        clock.move_to(Duration::from_secs(30));
        assert_eq!(clock.now(), Duration::from_secs(90));
        let written = clock.utc_at(clock.now()) - clock.utc_at(Duration::ZERO);
        assert_eq!(written, TimeDelta::seconds(90));
    }

    #[test]
    fn the_offset_moves_what_it_writes_not_its_schedule() {
        let mut clock = Clock::new(false, TimeDelta::zero());
        let before = clock.utc_at(Duration::ZERO);
        clock.set_offset(TimeDelta::minutes(-7));
        assert_eq!(clock.utc_at(Duration::ZERO) - before, TimeDelta::minutes(-7));
        assert_eq!(clock.now(), Duration::ZERO);
    }
}
