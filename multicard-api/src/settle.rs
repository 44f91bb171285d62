//! Settling a lost answer: after [`Error::OutcomeUnknown`], say whether the
//! write was applied, by reading what it changes.
//!
//! Multicard has no idempotency key, so a write whose answer was lost
//! (a timeout, a cut connection, a proxy's 5xx, `ERROR_DEBIT_UNKNOWN`) is
//! never sent again by the SDK. [`Multicard::settle_write`] reads the
//! payment, payout or hold the write changes until the reads give
//! evidence, and answers a [`Verdict`]:
//!
//! | verdict | means | do |
//! |---|---|---|
//! | [`Applied`](Verdict::Applied) | the write took effect | nothing: do not send it again |
//! | [`NotApplied`](Verdict::NotApplied) | positive evidence that it did not, and cannot later | it may be made again |
//! | [`StillMoving`](Verdict::StillMoving) | money is moving (`progress`, `billing`, an `error` not yet quiet) | settle again later; do not send it again |
//! | [`Undetermined`](Verdict::Undetermined) | no evidence either way by the deadline | do **not** send it again; check the Multicard cabinet |
//!
//! The rules, per kind of write, are data ([`EVIDENCE`]); the table is also
//! in the README ("When the answer is lost"). Three of them keep money from
//! moving twice where the vendor's pages are silent:
//!
//! - **`NotApplied` only on positive evidence.** A payment still `draft`, a
//!   payment still `success` after a refund, a hold still `active` after a
//!   charge or a cancel: none of these says the write did not happen (it may
//!   land later: a delayed apply; a partially refunded payment stays
//!   `success`). Without evidence the answer is `Undetermined`.
//! - **A read taken less than [`Settle::min_read_delay`] after the write is
//!   never evidence.** Reads may lag behind writes.
//! - **A lost partial refund settles `Undetermined`.** Live traffic has not
//!   shown what a partial refund changes on the payment (the vendor's payment
//!   model has no refunded amount), so no read can tell.
//!
//! A settle reads only fields of the vendor's models (statuses of the
//! payment, payout and hold, and the hold's payment).
//!
//! Two writes are guarded before they are sent, in the executor, so every
//! call path ([`Multicard::send`] included) goes through it (see
//! [`Error::NotSent`]):
//!
//! - **refunds** (`refund_payment`, `partial_refund_payment`) read the
//!   payment first (the snapshot travels in the [`LostWrite`] of a lost
//!   answer), and are refused while an earlier refund of the same payment
//!   sent by this client is unsettled, or when the refunds this client sent
//!   would exceed the captured amount. The register is in-process, shared by
//!   a client's clones; a `fulfilment::Ledger` could hold it across replicas
//!   later. The generated [`Client`](crate::Client) used directly
//!   ([`Multicard::api`]) has no guard.
//! - **`charge_hold`** reads the hold first and is refused when it lapses in
//!   less than [`CHARGE_MIN_TIME_LEFT`] (2 minutes) by Multicard's clock.
//!
//! [`Multicard::settle_payment`], [`Multicard::settle_payout`] and
//! [`Multicard::settle_hold`] read a status until it is final; they do not
//! say whether a given write was applied.

use std::time::Duration;

#[cfg(doc)]
use crate::error::Error;
#[cfg(doc)]
use crate::multicard::Multicard;

mod creates;
mod evidence;
pub(crate) mod guard;
mod status;
mod verdict;
mod write;
mod writes;

pub use evidence::{EVIDENCE, Evidence};
pub use guard::CHARGE_MIN_TIME_LEFT;
pub use verdict::{LastRead, Verdict};
pub use write::{LostWrite, Write, WriteKind};

/// How long a payment or payout must keep reading `error` before a settle
/// takes it as final, by default: 30 seconds. See [`Settle::error_quiet_period`].
pub const ERROR_QUIET_PERIOD: Duration = Duration::from_secs(30);

/// How long after a write a read starts to count as evidence, by default:
/// 5 seconds. See [`Settle::min_read_delay`].
pub const MIN_READ_DELAY: Duration = Duration::from_secs(5);

/// How a settle reads: until when, how often, how long an `error` must
/// last before it counts, and how long after the write a read counts.
///
/// A `Duration` converts into one with the defaults, so
/// `multicard.settle_payment(uuid, Duration::from_secs(120))` works as is.
///
/// ```
/// use std::time::Duration;
/// let settle = multicard_api::Settle::within(Duration::from_secs(120))
///     .with_error_quiet_period(Duration::from_secs(45))
///     .with_min_read_delay(Duration::from_secs(10))
///     .with_poll_interval(Duration::from_secs(2));
/// assert_eq!(settle.within, Duration::from_secs(120));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Settle {
    /// How long to keep reading. A status settle that has no final status
    /// by then is [`Error::NotSettled`]; a write settle answers
    /// [`Verdict::StillMoving`] or [`Verdict::Undetermined`].
    pub within: Duration,
    /// How long a payment or payout must keep reading `error`, read again
    /// at the end of it, before the settle returns it (default
    /// [`ERROR_QUIET_PERIOD`], 30 s). Integrators of the real API saw
    /// `error` followed by `success`: taking the first `error` as final
    /// invites a second payment while the first one goes through. Thirty
    /// seconds outlasts the exchanges that reconcile a payment (a
    /// processing centre's late answer, a callback round trip; the vendor
    /// documents none of them), and stays well inside the minute or two a
    /// settle usually gets. Any other status in between starts it again.
    /// Give `within` more than this, or an `error` can never be confirmed
    /// (the settle ends `NotSettled` with last status `error`). Zero takes
    /// the first `error` as final. A write settle applies it to every
    /// `NotApplied` evidence.
    pub error_quiet_period: Duration,
    /// A write settle ([`Multicard::settle_write`]) takes no read started
    /// less than this after the write's answer was lost (or, when that time
    /// is not known, after the settle started) as evidence: reads may lag
    /// behind writes (default [`MIN_READ_DELAY`], 5 s). Status settles
    /// ignore it.
    pub min_read_delay: Duration,
    /// The pause between reads. `None` (the default) paces them by the
    /// client's retry policy: its backoff, at least its base delay and at
    /// most its longest delay.
    pub poll_interval: Option<Duration>,
}

impl Settle {
    /// Reads for at most `within`, with the default quiet period, read
    /// delay and pacing.
    pub fn within(within: Duration) -> Self {
        Self { within, error_quiet_period: ERROR_QUIET_PERIOD, min_read_delay: MIN_READ_DELAY, poll_interval: None }
    }

    /// Sets [`Settle::error_quiet_period`].
    #[must_use]
    pub fn with_error_quiet_period(mut self, period: Duration) -> Self {
        self.error_quiet_period = period;
        self
    }

    /// Sets [`Settle::min_read_delay`].
    #[must_use]
    pub fn with_min_read_delay(mut self, delay: Duration) -> Self {
        self.min_read_delay = delay;
        self
    }

    /// Sets [`Settle::poll_interval`]: a fixed pause between reads.
    #[must_use]
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = Some(interval);
        self
    }
}

impl From<Duration> for Settle {
    fn from(within: Duration) -> Self {
        Self::within(within)
    }
}

/// The longest status an error repeats, in characters.
const SHOWN_MAX: usize = 200;

/// A status as an error shows it: text from the wire when Multicard sends
/// one it does not document, so escaped, masked and cut.
fn shown(status: &str) -> String {
    crate::scrub::printable(status, SHOWN_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_is_shown_without_control_characters() {
        assert_eq!(shown("draft"), "draft");
        assert_eq!(shown("ok\u{1b}[2J\r\n"), "ok\\u{1b}[2J\\u{d}\\u{a}");
        assert_eq!(shown("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(shown("8600533364098829"), "860053******8829");
        let long = "x".repeat(SHOWN_MAX + 10);
        assert_eq!(shown(&long).chars().count(), SHOWN_MAX + 1);
    }
}
