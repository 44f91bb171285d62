//! Settling an unknown outcome: after [`Error::OutcomeUnknown`], read the
//! payment, payout or hold until its status is final.

use std::time::Duration;

use crate::error::Error;
use crate::executor::far;
use crate::multicard::Multicard;

impl Multicard {
    /// Reads payment `uuid` until its status is final (`success`, `error`
    /// or `revert`), with backoff, for at most `within`. Use it after
    /// [`Error::OutcomeUnknown`] on a confirm, charge, scanpay or refund.
    pub async fn settle_payment(&self, uuid: &str, within: Duration) -> Result<crate::types::PaymentModel, Error> {
        use crate::types::PaymentStatus as S;
        self.settle(
            "get_payment",
            within,
            |p: &crate::types::PaymentModel| {
                (matches!(p.status, S::Success | S::Error | S::Revert), p.status.to_string())
            },
            || self.send(|api| api.get_payment().uuid(uuid)),
        )
        .await
    }

    /// Reads payout `uuid` until its status is final (`success` or `error`).
    pub async fn settle_payout(&self, uuid: &str, within: Duration) -> Result<crate::types::Payout, Error> {
        use crate::types::PaymentStatus as S;
        self.settle(
            "get_payout",
            within,
            |p: &crate::types::Payout| (matches!(p.status, S::Success | S::Error | S::Revert), p.status.to_string()),
            || self.send(|api| api.get_payout().payment_uuid(uuid)),
        )
        .await
    }

    /// Reads hold `key` (its integer `id`, as `create_hold` answers it:
    /// production addresses holds by it, whatever the vendor's pages call
    /// the parameter) until it has left `draft` and its payment is not in
    /// progress.
    pub async fn settle_hold(&self, key: &str, within: Duration) -> Result<crate::types::HoldModel, Error> {
        use crate::types::{HoldStatus, PaymentStatus as S};
        let done = |h: &crate::types::HoldModel| {
            let moving = h.payment.as_ref().is_some_and(|p| matches!(p.status, S::Progress | S::Billing));
            (h.status != HoldStatus::Draft && !moving, h.status.to_string())
        };
        self.settle("get_hold", within, done, || self.send(|api| api.get_hold().payment_uuid(key))).await
    }

    async fn settle<T, R, Fut>(
        &self,
        operation: &'static str,
        within: Duration,
        is_final: impl Fn(&T) -> (bool, String),
        read: R,
    ) -> Result<T, Error>
    where
        R: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let deadline = far(within);
        let mut polls = 0u32;
        loop {
            polls += 1;
            let last = match read().await {
                Ok(value) => {
                    let (done, status) = is_final(&value);
                    if done {
                        return Ok(value);
                    }
                    status
                }
                // A read that keeps failing is reported as it is.
                Err(error) if tokio::time::Instant::now() >= deadline => return Err(error),
                Err(error) => format!("unreadable ({error})"),
            };
            let pause = self.executor.settings.retry.backoff(polls, None).max(self.executor.settings.retry.base_delay);
            if tokio::time::Instant::now().checked_add(pause).is_none_or(|at| at > deadline) {
                return Err(Error::NotSettled { operation, last_status: last });
            }
            tokio::time::sleep(pause).await;
        }
    }
}
