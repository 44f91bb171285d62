//! What a write settle answers ([`Verdict`]) and the read it rests on
//! ([`LastRead`]).

use std::fmt;

use crate::types::{HoldModel, PaymentModel, Payout};

/// The last read a settle made of the write's target.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum LastRead {
    /// A payment (`get_payment`).
    Payment(Box<PaymentModel>),
    /// A payout (`get_payout`).
    Payout(Box<Payout>),
    /// A hold, with its payment (`get_hold`).
    Hold(Box<HoldModel>),
}

impl LastRead {
    /// The target's status as read, e.g. `success`, or `active (payment:
    /// error)` for a hold (escaped: it came from the wire).
    pub fn status(&self) -> String {
        let text = match self {
            LastRead::Payment(p) => p.status.to_string(),
            LastRead::Payout(p) => p.status.to_string(),
            LastRead::Hold(h) => match &h.payment {
                Some(payment) => format!("{} (payment: {})", h.status, payment.status),
                None => h.status.to_string(),
            },
        };
        crate::scrub::printable(&text, 200)
    }
}

/// Whether a write whose answer was lost took effect, by what its target
/// reads ([`Multicard::settle_write`](crate::Multicard::settle_write)).
/// Each verdict carries the last read (if any read succeeded) and why.
///
/// Only [`NotApplied`](Self::NotApplied) allows making the write again.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Verdict {
    /// The write took effect: do not send it again.
    Applied {
        /// The read that shows it.
        last: LastRead,
        /// The evidence, e.g. "the payment reads `revert`".
        why: String,
    },
    /// Positive evidence that the write did not take effect and cannot
    /// later (a final `error` that lasted the quiet period, a hold charged
    /// before it could be cancelled): it may be made again.
    NotApplied {
        /// The read that shows it.
        last: LastRead,
        /// The evidence.
        why: String,
    },
    /// At the deadline, the target was still moving (`progress`,
    /// `billing`, an `error` not yet quiet): settle again later; do not send
    /// the write again.
    StillMoving {
        /// The last read.
        last: LastRead,
        /// What moves.
        why: String,
    },
    /// No evidence either way by the deadline (or none can exist, as for a
    /// partial refund): do not send it again; check the Multicard cabinet.
    Undetermined {
        /// The last read, if any succeeded.
        last: Option<LastRead>,
        /// Why nothing could be decided.
        why: String,
    },
}

impl Verdict {
    /// The last read, if any.
    pub fn last(&self) -> Option<&LastRead> {
        match self {
            Verdict::Applied { last, .. } | Verdict::NotApplied { last, .. } | Verdict::StillMoving { last, .. } => {
                Some(last)
            }
            Verdict::Undetermined { last, .. } => last.as_ref(),
        }
    }

    /// Why.
    pub fn why(&self) -> &str {
        match self {
            Verdict::Applied { why, .. }
            | Verdict::NotApplied { why, .. }
            | Verdict::StillMoving { why, .. }
            | Verdict::Undetermined { why, .. } => why,
        }
    }

    /// `applied`, `not applied`, `still moving` or `undetermined`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Applied { .. } => "applied",
            Verdict::NotApplied { .. } => "not applied",
            Verdict::StillMoving { .. } => "still moving",
            Verdict::Undetermined { .. } => "undetermined",
        }
    }

    /// `true` only for [`Verdict::Applied`].
    pub fn is_applied(&self) -> bool {
        matches!(self, Verdict::Applied { .. })
    }

    /// `true` only for [`Verdict::NotApplied`]: the one verdict after which
    /// the write may be made again.
    pub fn may_send_again(&self) -> bool {
        matches!(self, Verdict::NotApplied { .. })
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let why = crate::scrub::escape_controls(self.why());
        match self {
            Verdict::Applied { .. } => write!(f, "applied: {why}; do not send it again"),
            Verdict::NotApplied { .. } => write!(f, "not applied: {why}; nothing moved, it may be made again"),
            Verdict::StillMoving { .. } => {
                write!(f, "still moving: {why}; do not send it again; settle it again later")
            }
            Verdict::Undetermined { .. } => {
                write!(f, "undetermined: {why}; do not send it again; check the Multicard cabinet")
            }
        }
    }
}
