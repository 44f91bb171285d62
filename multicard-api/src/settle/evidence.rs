//! The rules of a write settle, as data: per kind of write, what is read
//! and what counts as evidence ([`EVIDENCE`], documented), and the judge
//! that applies them to one read (`judge`, matching the table row by row).
//!
//! Everything here reads fields of the vendor's models only: the status of
//! a payment, a payout or a hold, and the status of a hold's payment.

use super::verdict::LastRead;
use super::write::{Write, WriteKind};
use crate::types::{HoldStatus, PaymentStatus};

/// What a settle reads for one kind of write, and what it takes as
/// evidence. Anything not listed is no evidence: at the deadline it is
/// [`Verdict::StillMoving`](super::Verdict::StillMoving) when the target
/// moves, [`Verdict::Undetermined`](super::Verdict::Undetermined) otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Evidence {
    /// The kind of write.
    pub kind: WriteKind,
    /// The read a settle makes.
    pub read: &'static str,
    /// What shows it applied.
    pub applied: &'static str,
    /// What shows it did not, and cannot later (after
    /// [`Settle::error_quiet_period`](super::Settle::error_quiet_period));
    /// `None`: nothing can, so it is never
    /// [`NotApplied`](super::Verdict::NotApplied).
    pub not_applied: Option<&'static str>,
    /// What shows money still moving.
    pub still_moving: Option<&'static str>,
}

/// The rules, one row per [`WriteKind`], in [`WriteKind::ALL`] order.
pub const EVIDENCE: [Evidence; 9] = [
    Evidence {
        kind: WriteKind::ConfirmPayment,
        read: "get_payment",
        applied: "the payment reads `success` or `revert` (debited, perhaps refunded since)",
        not_applied: Some("the payment reads `error`, and keeps reading it for the quiet period"),
        still_moving: Some("the payment reads `progress` or `billing`"),
    },
    Evidence {
        kind: WriteKind::Refund,
        read: "get_payment",
        applied: "the payment reads `revert`, and did not before the refund was sent",
        not_applied: None,
        still_moving: None,
    },
    Evidence {
        kind: WriteKind::PartialRefund,
        read: "get_payment",
        applied: "nothing: live traffic has not shown what a partial refund changes on the payment (it stays \
                  `success`, and the payment model has no refunded amount)",
        not_applied: None,
        still_moving: None,
    },
    Evidence {
        kind: WriteKind::ChargeHold,
        read: "get_hold",
        applied: "the hold reads `success` (charged), and did not before the charge was sent",
        not_applied: Some(
            "the hold does not read `success` and its payment reads `error`, for the quiet period; and the \
             snapshot read before the charge was sent shows its payment did not read `error` then (an earlier \
             failed charge; without a snapshot, as for a write settled by hand, this never counts)",
        ),
        still_moving: Some("the hold's payment reads `progress` or `billing`"),
    },
    Evidence {
        kind: WriteKind::CancelHold,
        read: "get_hold",
        applied: "the hold reads `canceled` (released)",
        not_applied: Some("the hold reads `success` (charged: a charged hold is not released), for the quiet period"),
        still_moving: Some("the hold's payment reads `progress` or `billing`"),
    },
    Evidence {
        kind: WriteKind::CreatePayout,
        read: "list_payouts",
        applied: "one row with its `invoice_id` in the payout registry, under any status, read back by its uuid (none or several: undetermined)",
        not_applied: None,
        still_moving: None,
    },
    Evidence {
        kind: WriteKind::ConfirmPayout,
        read: "get_payout",
        applied: "the payout reads `success` or `revert`",
        not_applied: Some("the payout reads `error`, and keeps reading it for the quiet period"),
        still_moving: Some("the payout reads `progress` or `billing`"),
    },
    Evidence {
        kind: WriteKind::CreateInvoice,
        read: "list_payments",
        applied: "one row with its `invoice_id` in the payment registry, read back by its uuid (none or several: undetermined)",
        not_applied: None,
        still_moving: None,
    },
    Evidence {
        kind: WriteKind::CreatePayment,
        read: "list_payments",
        applied: "one row with its `invoice_id` in the payment registry, read back by its uuid (none or several: undetermined)",
        not_applied: None,
        still_moving: None,
    },
];

impl Evidence {
    /// The row of [`EVIDENCE`] for `kind`.
    pub fn of(kind: WriteKind) -> &'static Evidence {
        EVIDENCE.iter().find(|row| row.kind == kind).expect("a row per kind (tested)")
    }
}

/// A payment debited: a confirm (of a payment or payout) applied.
const DEBITED: &[PaymentStatus] = &[PaymentStatus::Success, PaymentStatus::Revert];
/// Money moving: not evidence yet.
const MOVING: &[PaymentStatus] = &[PaymentStatus::Progress, PaymentStatus::Billing];

/// What one read says about one write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Judged {
    Applied(String),
    /// Evidence that must last the quiet period.
    NotApplied(String),
    Moving(String),
    /// No evidence.
    Nothing(String),
}

/// What `read` says about `write`, by its row of [`EVIDENCE`].
pub(crate) fn judge(write: &Write, read: &LastRead) -> Judged {
    let status = read.status();
    match (write, read) {
        (Write::ConfirmPayment { .. }, LastRead::Payment(p)) => debit(&p.status, "payment", &status),
        (Write::ConfirmPayout { .. }, LastRead::Payout(p)) => debit(&p.status, "payout", &status),
        (Write::Refund { before, .. }, LastRead::Payment(p)) => {
            let was_reverted = before.as_ref().is_some_and(|b| b.status == PaymentStatus::Revert);
            if p.status == PaymentStatus::Revert && !was_reverted {
                Judged::Applied("the payment reads `revert`".into())
            } else {
                Judged::Nothing(format!("the payment reads `{status}`, which does not tell whether it was refunded"))
            }
        }
        (Write::PartialRefund { .. }, LastRead::Payment(_)) => Judged::Nothing(format!(
            "a partial refund's effect on the payment is not observed in live traffic (it reads `{status}`)"
        )),
        (Write::ChargeHold { before, .. }, LastRead::Hold(hold)) => {
            let payment = hold.payment.as_ref().map(|p| &p.status);
            let charged_before = before.as_ref().is_some_and(|b| b.status == HoldStatus::Success);
            // An `error` already there before the charge was sent (an earlier
            // charge that failed) says nothing about this one; without the
            // snapshot, no `error` counts.
            let failed_before =
                before.as_ref().is_none_or(|b| b.payment.as_ref().is_some_and(|p| p.status == PaymentStatus::Error));
            if hold.status == HoldStatus::Success && !charged_before {
                Judged::Applied(format!("the hold reads `{status}`: charged"))
            } else if payment.is_some_and(|s| MOVING.contains(s)) {
                Judged::Moving(format!("the hold reads `{status}`: its payment is moving"))
            } else if hold.status != HoldStatus::Success && payment == Some(&PaymentStatus::Error) && !failed_before {
                Judged::NotApplied(format!("the hold reads `{status}`: its payment failed"))
            } else {
                Judged::Nothing(format!("the hold reads `{status}`, which is no evidence of the charge"))
            }
        }
        (Write::CancelHold { .. }, LastRead::Hold(hold)) => {
            let payment = hold.payment.as_ref().map(|p| &p.status);
            if hold.status == HoldStatus::Canceled {
                Judged::Applied(format!("the hold reads `{status}`: released"))
            } else if payment.is_some_and(|s| MOVING.contains(s)) {
                Judged::Moving(format!("the hold reads `{status}`: its payment is moving"))
            } else if hold.status == HoldStatus::Success {
                Judged::NotApplied(format!("the hold reads `{status}`: charged, so not released"))
            } else {
                Judged::Nothing(format!("the hold reads `{status}`, which is no evidence of the cancel"))
            }
        }
        _ => Judged::Nothing(format!("a read of `{status}` says nothing about this write")),
    }
}

/// A confirm's evidence from its payment's (or payout's) status.
fn debit(status: &PaymentStatus, what: &str, shown: &str) -> Judged {
    if DEBITED.contains(status) {
        Judged::Applied(format!("the {what} reads `{shown}`"))
    } else if *status == PaymentStatus::Error {
        Judged::NotApplied(format!("the {what} reads `error`"))
    } else if MOVING.contains(status) {
        Judged::Moving(format!("the {what} reads `{shown}`"))
    } else {
        Judged::Nothing(format!("the {what} reads `{shown}`, which is no evidence (the write may still land)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_one_row_per_kind_in_order() {
        let kinds: Vec<_> = EVIDENCE.iter().map(|row| row.kind).collect();
        assert_eq!(kinds, WriteKind::ALL);
        for row in EVIDENCE {
            let read = crate::operation_table::find(row.read).expect("a read of the spec");
            assert!(read.is_read(), "{}", row.read);
        }
    }

    #[test]
    fn no_not_applied_where_the_table_lists_no_evidence() {
        for row in EVIDENCE.iter().filter(|row| row.not_applied.is_none()) {
            assert!(
                matches!(row.kind, WriteKind::Refund | WriteKind::PartialRefund) || row.read.starts_with("list_"),
                "{:?}",
                row.kind
            );
        }
    }
}
