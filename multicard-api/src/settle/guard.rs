//! Guards the executor runs before two kinds of write, so that no call
//! path of [`Multicard`](crate::Multicard) skips them:
//!
//! - a refund (`refund_payment`, `partial_refund_payment`) reads its payment
//!   first, and is refused while an earlier refund of the same payment sent
//!   by this client is unsettled, or when the refunds this client sent
//!   would exceed the captured amount (`payment_amount`);
//! - `charge_hold` reads its hold first, and is refused when the hold
//!   lapses in less than [`CHARGE_MIN_TIME_LEFT`] by Multicard's clock.
//!
//! The refund register lives in the client (shared by its clones), in
//! memory: another process or replica does not see it. A
//! `fulfilment::Ledger` could hold it across replicas later.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::write::Write;
use crate::error::NotSentReason;
use crate::token_cache::Clock;
use crate::types::{HoldModel, PaymentModel, PaymentStatus};

/// The least time a hold must have left for `charge_hold` to be sent: 2
/// minutes, by Multicard's clock.
pub const CHARGE_MIN_TIME_LEFT: Duration = Duration::from_secs(120);

/// What the executor guards with: the refunds this client sent, and its
/// wall clock.
#[derive(Debug)]
pub(crate) struct Guards {
    refunds: Mutex<HashMap<String, Track>>,
    clock: Arc<dyn Clock>,
}

/// The refunds of one payment this client sent.
#[derive(Debug, Default, Clone, Copy)]
struct Track {
    /// Tiyin sent in refunds not known to have failed.
    sent: i64,
    /// The refund being sent or unsettled, with its amount (zero while its
    /// payment is being read).
    open: Option<i64>,
}

impl Guards {
    pub(crate) fn new(clock: Arc<dyn Clock>) -> Self {
        Self { refunds: Mutex::default(), clock }
    }

    fn with<R>(&self, payment: &str, f: impl FnOnce(&mut Track) -> R) -> R {
        let mut refunds = self.refunds.lock().unwrap_or_else(PoisonError::into_inner);
        let track = refunds.entry(payment.to_string()).or_default();
        let out = f(track);
        if track.sent == 0 && track.open.is_none() {
            refunds.remove(payment);
        }
        out
    }

    /// Takes the payment's one refund slot, or says why not.
    pub(crate) fn reserve(self: &Arc<Self>, payment: &str) -> Result<Reservation, NotSentReason> {
        self.with(payment, |track| match track.open {
            Some(amount) => Err(NotSentReason::RefundUnsettled { amount: (amount > 0).then_some(amount) }),
            None => {
                track.open = Some(0);
                Ok(Reservation { guards: self.clone(), payment: payment.to_string(), armed: true })
            }
        })
    }

    /// The amount of the refund of `payment` that is being sent or is
    /// unsettled, if any (zero while its payment is read).
    pub(crate) fn unsettled(&self, payment: &str) -> Option<i64> {
        let refunds = self.refunds.lock().unwrap_or_else(PoisonError::into_inner);
        refunds.get(payment).and_then(|t| t.open)
    }

    /// A settle decided `write`: if it is the open refund of its payment
    /// (same amount, where the write knows it), it is closed, `applied` or
    /// not. A settle of an older refund leaves a newer one open.
    pub(crate) fn settled_refund(&self, write: &Write, applied: bool) {
        let (payment, amount) = match write {
            Write::Refund { payment, amount, .. } => (payment, *amount),
            Write::PartialRefund { payment, amount, .. } => (payment, Some(*amount)),
            _ => return,
        };
        self.with(payment, |track| {
            if let Some(open) = track.open
                && open > 0
                && amount.is_none_or(|amount| amount == open)
            {
                track.open = None;
                if !applied {
                    track.sent -= open;
                }
            }
        });
    }

    /// Closes the open refund of `payment`: kept in the sum if `applied`.
    pub(crate) fn settle(&self, payment: &str, applied: bool) {
        self.with(payment, |track| {
            if let Some(amount) = track.open.take()
                && !applied
            {
                track.sent -= amount;
            }
        });
    }

    /// Multicard's time now: the later of the answer's `Date` header and
    /// this client's wall clock (the later one leaves a hold less time: the
    /// careful side).
    pub(crate) fn multicard_now(&self, date: Option<&str>) -> DateTime<Utc> {
        let local = self.clock.now_utc();
        let server = date.and_then(|d| DateTime::parse_from_rfc2822(d.trim()).ok()).map(|d| d.with_timezone(&Utc));
        server.map_or(local, |server| server.max(local))
    }

    /// Whether hold `hold` (as read) may be charged at `now`.
    pub(crate) fn check_charge(hold: &HoldModel, now: DateTime<Utc>) -> Result<(), NotSentReason> {
        let Some(expiry) = hold.expiry else {
            return Err(NotSentReason::HoldExpiresSoon { expiry: None, seconds_left: None });
        };
        let left = (expiry.to_utc() - now).num_seconds();
        if left < CHARGE_MIN_TIME_LEFT.as_secs() as i64 {
            return Err(NotSentReason::HoldExpiresSoon { expiry: Some(expiry), seconds_left: Some(left) });
        }
        Ok(())
    }
}

/// A payment's refund slot, taken while its payment is read. Dropped
/// unused, it is given back (nothing was sent).
#[derive(Debug)]
pub(crate) struct Reservation {
    guards: Arc<Guards>,
    payment: String,
    armed: bool,
}

impl Reservation {
    /// Checks the refund against the payment as read (`before`): `requested`
    /// tiyin (`None`: a full refund, of what is left). On success the amount
    /// counts as sent until the ticket says otherwise.
    pub(crate) fn commit(
        mut self,
        requested: Option<i64>,
        before: &PaymentModel,
    ) -> Result<RefundTicket, NotSentReason> {
        let captured = before.payment_amount;
        let guards = self.guards.clone();
        let payment = std::mem::take(&mut self.payment);
        self.armed = false;
        guards.with(&payment, |track| {
            let refunded = track.sent;
            let left = if before.status == PaymentStatus::Revert { 0 } else { captured - refunded };
            let amount = requested.unwrap_or(left);
            if amount <= 0 || amount > left {
                track.open = None;
                return Err(NotSentReason::RefundExceedsCaptured { requested: amount, captured, refunded });
            }
            track.sent += amount;
            track.open = Some(amount);
            Ok(RefundTicket { guards: guards.clone(), payment: payment.clone(), amount })
        })
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.armed {
            self.guards.with(&self.payment, |track| track.open = None);
        }
    }
}

/// A refund about to be sent. Dropped before its answer (the call was
/// cancelled), it stays unsettled: it may have reached Multicard.
#[derive(Debug)]
pub(crate) struct RefundTicket {
    guards: Arc<Guards>,
    payment: String,
    pub(crate) amount: i64,
}

impl RefundTicket {
    /// The refund's answer: applied (`Some(true)`), not applied
    /// (`Some(false)`), or unknown (`None`: it stays unsettled until a
    /// settle decides).
    pub(crate) fn finish(self, applied: Option<bool>) {
        if let Some(applied) = applied {
            self.guards.settle(&self.payment, applied);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token_cache::SystemClock;

    fn payment(amount: i64, status: &str) -> PaymentModel {
        serde_json::from_value(serde_json::json!({"uuid": "p", "payment_amount": amount, "status": status})).unwrap()
    }

    #[test]
    fn refunds_are_one_at_a_time_and_never_above_what_was_captured() {
        let guards = Arc::new(Guards::new(Arc::new(SystemClock)));
        let ticket = guards.reserve("p").unwrap().commit(Some(400), &payment(1_000, "success")).unwrap();
        assert_eq!(guards.reserve("p").unwrap_err(), NotSentReason::RefundUnsettled { amount: Some(400) });
        ticket.finish(None);
        assert_eq!(guards.unsettled("p"), Some(400), "an unknown outcome stays open");
        guards.settle("p", true);
        let over = guards.reserve("p").unwrap().commit(Some(700), &payment(1_000, "success")).unwrap_err();
        assert_eq!(over, NotSentReason::RefundExceedsCaptured { requested: 700, captured: 1_000, refunded: 400 });
        assert_eq!(guards.unsettled("p"), None, "a refusal gives the slot back");
        let rest = guards.reserve("p").unwrap().commit(None, &payment(1_000, "success")).unwrap();
        assert_eq!(rest.amount, 600, "a full refund is of what is left");
        rest.finish(Some(false));
        assert!(guards.reserve("p").is_ok(), "a refund that failed frees the slot and its amount");
        let reverted = guards.reserve("q").unwrap().commit(None, &payment(1_000, "revert")).unwrap_err();
        assert!(matches!(reverted, NotSentReason::RefundExceedsCaptured { requested: 0, .. }));
    }

    #[test]
    fn a_settle_closes_only_the_refund_it_is_about() {
        let guards = Arc::new(Guards::new(Arc::new(SystemClock)));
        let partial = |amount| Write::PartialRefund { payment: "r".into(), amount, before: None };
        guards.reserve("r").unwrap().commit(Some(200), &payment(1_000, "success")).unwrap().finish(None);
        guards.settled_refund(&partial(100), true);
        assert_eq!(guards.unsettled("r"), Some(200), "an older refund's settle leaves this one open");
        guards.settled_refund(&partial(200), false);
        assert_eq!(guards.unsettled("r"), None);
        let all = guards.reserve("r").unwrap().commit(Some(1_000), &payment(1_000, "success"));
        assert!(all.is_ok(), "not applied: its amount no longer counts");
    }
}
