//! Reading a payment, payout or hold until its status is final: the
//! status settles ([`Multicard::settle_payment`] and its siblings).
//!
//! Only a status the SDK knows to be final ends a settle. A status it does
//! not know (an `Unknown` variant: a new value, a different spelling such as
//! `ACTIVE` or `cancelled`) says nothing, and reading goes on until the
//! deadline, which is then [`Error::NotSettled`] with that status (escaped).
//! A final status says where the target is, not whether a given write was
//! applied: [`Multicard::settle_write`] says that.

use tokio::time::Instant;

use super::{Settle, shown};
use crate::error::Error;
use crate::executor::far;
use crate::multicard::Multicard;
use crate::types::{HoldModel, HoldStatus, PaymentModel, PaymentStatus, Payout};

/// What one read says.
enum Reading {
    /// A status the SDK knows to be final.
    Final,
    /// `error`: final only once it has lasted the quiet period.
    Failed,
    /// Still moving, or a status the SDK does not know.
    Open,
}

/// A payment's or payout's status: `success` and `revert` are final,
/// `error` is final once it lasts; everything else (`draft`, `progress`,
/// `billing`, `hold`, and any status the SDK does not know) is not.
fn payment_reading(status: &PaymentStatus) -> Reading {
    match status {
        PaymentStatus::Success | PaymentStatus::Revert => Reading::Final,
        PaymentStatus::Error => Reading::Failed,
        _ => Reading::Open,
    }
}

/// A hold is final when its status is one the SDK knows to be settled
/// (`active`, `success`, `canceled`) and its payment, if any, is in a
/// status the SDK knows and that is not moving.
fn hold_reading(hold: &HoldModel) -> (Reading, String) {
    let settled = matches!(hold.status, HoldStatus::Active | HoldStatus::Success | HoldStatus::Canceled);
    let payment = hold.payment.as_ref().map(|p| &p.status);
    let payment_still = payment.is_some_and(|s| {
        !matches!(
            s,
            PaymentStatus::Draft
                | PaymentStatus::Hold
                | PaymentStatus::Success
                | PaymentStatus::Error
                | PaymentStatus::Revert
        )
    });
    let status = match payment {
        Some(payment) if payment_still => format!("{} (payment: {payment})", hold.status),
        _ => hold.status.to_string(),
    };
    (if settled && !payment_still { Reading::Final } else { Reading::Open }, status)
}

impl Multicard {
    /// Reads payment `uuid` until its status is final, for at most
    /// `settle` (a `Duration`, or a [`Settle`]). Use it after
    /// [`Error::OutcomeUnknown`] on a confirm, charge, scanpay or refund.
    ///
    /// Final: `success`, `revert`, and `error` once it has lasted the quiet
    /// period ([`Settle::error_quiet_period`], 30 s by default: a payment
    /// read `error` has been seen to turn `success`). Never final: `draft`,
    /// `progress`, `hold`, **`billing`** (the payment is still being
    /// delivered to the merchant's billing, which can end either way; it is
    /// not "paid") and any status the SDK does not know. At the deadline the
    /// answer is [`Error::NotSettled`] with the last status: undetermined,
    /// not failed. Do not send the write again on it.
    ///
    /// A status says where the payment is, not whether a given write was
    /// applied (a partially refunded payment reads `success`): after a lost
    /// answer, use [`Multicard::settle_write`].
    pub async fn settle_payment(&self, uuid: &str, settle: impl Into<Settle>) -> Result<PaymentModel, Error> {
        let judge = |p: &PaymentModel| (payment_reading(&p.status), p.status.to_string());
        self.settle("get_payment", &settle.into(), judge, || self.send(|api| api.get_payment().uuid(uuid))).await
    }

    /// Reads payout `uuid` until its status is final, with the rules of
    /// [`Multicard::settle_payment`]: `success` and `revert` at once,
    /// `error` once it has lasted the quiet period (a payout paid again
    /// after an early `error` pays twice), anything else, unknown statuses
    /// included, never.
    pub async fn settle_payout(&self, uuid: &str, settle: impl Into<Settle>) -> Result<Payout, Error> {
        let judge = |p: &Payout| (payment_reading(&p.status), p.status.to_string());
        self.settle("get_payout", &settle.into(), judge, || self.send(|api| api.get_payout().payment_uuid(uuid))).await
    }

    /// Reads hold `key` (its integer `id`, as `create_hold` answers it:
    /// production addresses holds by it, whatever the vendor's pages call
    /// the parameter) until it is final: `active`, `success` (charged) or
    /// `canceled`, with its payment, if any, in a known status that is not
    /// moving (`progress` and `billing` are; so is any status the SDK does
    /// not know). `draft` and any hold status the SDK does not know
    /// (`cancelled`, `ACTIVE`, `processing`, …) are never final.
    ///
    /// A final status is not evidence about a write: a hold reads `active`
    /// before a charge and after a charge that has not landed yet. After a
    /// lost `charge_hold` or `cancel_hold`, use
    /// [`Multicard::settle_write`] (its error's
    /// [`LostWrite`](crate::settle::LostWrite)).
    pub async fn settle_hold(&self, key: &str, settle: impl Into<Settle>) -> Result<HoldModel, Error> {
        self.settle("get_hold", &settle.into(), hold_reading, || self.send(|api| api.get_hold().payment_uuid(key)))
            .await
    }

    async fn settle<T, R, Fut>(
        &self,
        operation: &'static str,
        settle: &Settle,
        judge: impl Fn(&T) -> (Reading, String),
        read: R,
    ) -> Result<T, Error>
    where
        R: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let deadline = far(settle.within);
        let retry = &self.executor.settings.retry;
        let mut polls = 0u32;
        // Since when every status read has been `error`.
        let mut failing_since: Option<Instant> = None;
        loop {
            polls += 1;
            let last = match read().await {
                Ok(value) => {
                    let (reading, status) = judge(&value);
                    match reading {
                        Reading::Final => return Ok(value),
                        Reading::Failed => {
                            let since = *failing_since.get_or_insert_with(Instant::now);
                            if since.elapsed() >= settle.error_quiet_period {
                                return Ok(value);
                            }
                        }
                        Reading::Open => failing_since = None,
                    }
                    status
                }
                // A read that keeps failing is reported as it is.
                Err(error) if Instant::now() >= deadline => return Err(error),
                Err(error) => format!("unreadable ({error})"),
            };
            let pause = settle.poll_interval.unwrap_or_else(|| retry.backoff(polls, None).max(retry.base_delay));
            if Instant::now().checked_add(pause).is_none_or(|at| at > deadline) {
                return Err(Error::NotSettled { operation, last_status: shown(&last) });
            }
            tokio::time::sleep(pause).await;
        }
    }
}
