//! The write settle: [`Multicard::settle_write`] reads a lost write's
//! target until the reads give evidence ([`EVIDENCE`](super::EVIDENCE)),
//! and answers a [`Verdict`].

use tokio::time::Instant;

use super::evidence::{self, Judged};
use super::verdict::{LastRead, Verdict};
use super::write::{LostWrite, Write};
use super::{Settle, shown};
use crate::error::Error;
use crate::executor::far;
use crate::multicard::Multicard;

impl Multicard {
    /// Settles a write whose answer was lost: reads what it changes until
    /// the reads give evidence, for at most `settle` (a `Duration`, or a
    /// [`Settle`]), and answers a [`Verdict`]. The rules per kind of write
    /// are [`EVIDENCE`](super::EVIDENCE).
    ///
    /// - [`Verdict::Applied`] as soon as a read shows it.
    /// - [`Verdict::NotApplied`] only on positive evidence that lasted
    ///   [`Settle::error_quiet_period`]; then, and only then, the write may
    ///   be made again.
    /// - At the deadline, [`Verdict::StillMoving`] when money moves, and
    ///   [`Verdict::Undetermined`] otherwise: do not send it again; check
    ///   the Multicard cabinet.
    ///
    /// No read started less than [`Settle::min_read_delay`] after the
    /// answer was lost counts ([`LostWrite::lost_at`]; the settle waits it
    /// out). A read that fails is no evidence. A lost partial refund is
    /// `Undetermined` after one read. A lost `create_*` leaves no uuid: it
    /// is `Undetermined` here (finding it by its `invoice_id` in the
    /// registry is not part of this version).
    ///
    /// A refund this client sent stays unsettled (and the next refund of
    /// the same payment is refused before sending) until a settle of it on
    /// this client (or a clone) says `Applied` or `NotApplied`, or
    /// [`Multicard::mark_refund_settled`] is called.
    ///
    /// ```no_run
    /// # async fn demo(multicard: multicard_api::Multicard, uuid: &str) {
    /// use std::time::Duration;
    /// use multicard_api::settle::Verdict;
    /// match multicard.send(|api| api.refund_payment().uuid(uuid)).await {
    ///     Ok(payment) => println!("refunded: {}", payment.status),
    ///     Err(error) => match multicard.settle_lost(&error, Duration::from_secs(120)).await {
    ///         Some(Verdict::Applied { .. }) => println!("refunded"),
    ///         Some(verdict) => println!("{verdict}"), // never refund again on anything else
    ///         None => println!("{error}"),            // not a lost answer
    ///     },
    /// }
    /// # }
    /// ```
    pub async fn settle_write(&self, lost: &LostWrite, settle: impl Into<Settle>) -> Verdict {
        let settle = settle.into();
        let write = &lost.write;
        if let Write::CreatePayout { invoice_id, .. }
        | Write::CreateInvoice { invoice_id, .. }
        | Write::CreatePayment { invoice_id, .. } = write
        {
            return match (write, lost.sent_at) {
                (
                    Write::CreatePayout { invoice_id: Some(invoice_id), store_id: Some(store_id) }
                    | Write::CreateInvoice { invoice_id: Some(invoice_id), store_id: Some(store_id) }
                    | Write::CreatePayment { invoice_id: Some(invoice_id), store_id: Some(store_id) },
                    Some(sent_at),
                ) => self.settle_lost_create(write, store_id, invoice_id, sent_at, &settle).await,
                _ => lost_create(write, invoice_id.as_deref()),
            };
        }
        let started = Instant::now();
        let deadline = far(settle.within);
        let counts_from = far_from(lost.lost_at.unwrap_or(started), settle.min_read_delay);
        // Reads before then are no evidence: not made at all.
        tokio::time::sleep_until(counts_from.min(deadline)).await;
        let retry = &self.executor.settings.retry;
        let mut polls = 0u32;
        let mut last: Option<LastRead> = None;
        let mut judged: Option<Judged> = None;
        let mut failed: Option<Error> = None;
        // Since when every counted read has shown `NotApplied` evidence.
        let mut since: Option<Instant> = None;
        loop {
            polls += 1;
            let read_at = Instant::now();
            match self.read_target(write).await {
                Ok(read) => {
                    let now_judged = evidence::judge(write, &read);
                    if read_at >= counts_from {
                        match &now_judged {
                            Judged::Applied(why) => {
                                self.executor.guards.settled_refund(write, true);
                                return Verdict::Applied { last: read, why: why.clone() };
                            }
                            Judged::NotApplied(why) => {
                                let first = *since.get_or_insert(read_at);
                                if read_at.duration_since(first) >= settle.error_quiet_period {
                                    self.executor.guards.settled_refund(write, false);
                                    return Verdict::NotApplied { last: read, why: why.clone() };
                                }
                            }
                            Judged::Moving(_) | Judged::Nothing(_) => since = None,
                        }
                        if matches!(write, Write::PartialRefund { .. }) {
                            // No read can tell: one is enough to report.
                            let (Judged::Applied(why)
                            | Judged::NotApplied(why)
                            | Judged::Moving(why)
                            | Judged::Nothing(why)) = now_judged;
                            return Verdict::Undetermined { last: Some(read), why };
                        }
                    }
                    last = Some(read);
                    judged = Some(now_judged);
                }
                Err(error) => {
                    since = None;
                    failed = Some(error);
                }
            }
            let pause = settle.poll_interval.unwrap_or_else(|| retry.backoff(polls, None).max(retry.base_delay));
            if Instant::now().checked_add(pause).is_none_or(|at| at > deadline) {
                break;
            }
            tokio::time::sleep(pause).await;
        }
        at_deadline(last, judged, failed, counts_from > deadline)
    }

    /// [`Multicard::settle_write`] for the write `error` lost, when it is
    /// an [`Error::OutcomeUnknown`] that carries one; `None` otherwise.
    pub async fn settle_lost(&self, error: &Error, settle: impl Into<Settle>) -> Option<Verdict> {
        let lost = error.lost_write()?;
        Some(self.settle_write(lost, settle).await)
    }

    /// One read of what `write` changes.
    async fn read_target(&self, write: &Write) -> Result<LastRead, Error> {
        match write {
            Write::ConfirmPayment { payment }
            | Write::Refund { payment, .. }
            | Write::PartialRefund { payment, .. } => {
                let read = self.send(|api| api.get_payment().uuid(payment.as_str())).await?;
                Ok(LastRead::Payment(Box::new(read)))
            }
            Write::ConfirmPayout { payout } => {
                let read = self.send(|api| api.get_payout().payment_uuid(payout.as_str())).await?;
                Ok(LastRead::Payout(Box::new(read)))
            }
            Write::ChargeHold { hold, .. } | Write::CancelHold { hold } => {
                let read = self.send(|api| api.get_hold().payment_uuid(hold.as_str())).await?;
                Ok(LastRead::Hold(Box::new(read)))
            }
            Write::CreatePayout { .. } | Write::CreateInvoice { .. } | Write::CreatePayment { .. } => {
                Err(Error::InvalidRequest {
                    operation: "settle_write",
                    message: "a create has no target to read".into(),
                })
            }
        }
    }
}

/// `at` plus `wait`, or a year on when that is past what an instant holds.
fn far_from(at: Instant, wait: std::time::Duration) -> Instant {
    at.checked_add(wait).unwrap_or_else(|| far(wait))
}

/// The verdict at the deadline: no evidence came.
fn at_deadline(last: Option<LastRead>, judged: Option<Judged>, failed: Option<Error>, too_short: bool) -> Verdict {
    let why = match (&judged, &failed) {
        _ if too_short => "the settle ended before any read could count (within < min_read_delay)".to_string(),
        (Some(Judged::Moving(why) | Judged::Nothing(why)), _) => why.clone(),
        (Some(Judged::NotApplied(why)), _) => format!("{why}, but not yet for the quiet period"),
        (Some(Judged::Applied(why)), _) => format!("{why}, but only in a read too soon after the write to count"),
        (None, Some(error)) => format!("no read succeeded: {}", shown(&error.to_string())),
        (None, None) => "no read was made".into(),
    };
    match (last, judged) {
        (Some(last), Some(Judged::Moving(_) | Judged::NotApplied(_))) if !too_short => {
            Verdict::StillMoving { last, why }
        }
        (last, _) => Verdict::Undetermined { last, why },
    }
}

/// A lost `create_*` that cannot be searched for (its store, invoice id or
/// send time unknown: a write settled by hand): its answer carried the
/// uuid, so there is nothing to read by it.
fn lost_create(write: &Write, invoice_id: Option<&str>) -> Verdict {
    let name = invoice_id.map_or("its invoice_id".to_string(), |id| format!("invoice_id `{}`", shown(id)));
    Verdict::Undetermined {
        last: None,
        why: format!(
            "a lost `{}` left no uuid to read; look for {name} in the Multicard cabinet or the registry \
             (Multicard::find_lost_create, with the store and the time it was sent)",
            write.kind().operation()
        ),
    }
}

impl Multicard {
    /// The amount (tiyin) of the refund of payment `uuid` this client (or a
    /// clone) is sending or has not settled, if any: while there is one,
    /// the next refund of the payment is refused before sending
    /// ([`NotSentReason::RefundUnsettled`](crate::error::NotSentReason::RefundUnsettled)).
    /// Zero while the guard reads the payment.
    pub fn unsettled_refund(&self, uuid: &str) -> Option<i64> {
        self.executor.guards.unsettled(uuid)
    }

    /// Closes the unsettled refund of payment `uuid` by hand, after
    /// checking the Multicard cabinet: `applied` keeps its amount in what
    /// this client refunded of the payment; `false` takes it out. Use it
    /// only when [`Multicard::settle_write`] stays `Undetermined` and the
    /// cabinet shows the answer.
    pub fn mark_refund_settled(&self, uuid: &str, applied: bool) {
        self.executor.guards.settle(uuid, applied);
    }
}
