//! What a sweep found: one [`Finding`] per item, and the [`Report`] of a
//! whole sweep.

use chrono::{DateTime, Utc};

use super::pending::{Origin, Pending, Window};
use crate::error::Error;
use crate::fulfilment::{Fulfilment, HeldReason, LedgerError, StoredDecision};
use crate::types::PaymentStatus;

/// Why a payment or order is over without money having moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Expiry {
    /// The order's invoice reads `cancelled` and has no payment: its
    /// lifetime ran out, or it was deleted.
    InvoiceCancelled,
    /// No payment for the order in the registry, and its invoice's
    /// lifetime ran out (plus the registry's grace) before now.
    NoPaymentBeforeExpiry,
    /// A `draft` payment (never confirmed) older than the reconciler's
    /// draft lifetime.
    DraftPastTtl,
    /// A payment that kept reading `error` for the SDK's error quiet period
    /// (an earlier `error` has been seen to turn `success`).
    ErrorPastQuietPeriod,
}

/// What a sweep found for one item.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum FindingKind {
    /// Paid (`success`), no decision in the ledger (the callback never
    /// came, or never reached the ledger): **credited now** through the
    /// ledger, with the merchant's handler.
    CreditedNow,
    /// Paid (`success`) but the handler refused it, or another payment had
    /// credited the order: not credited. The payer's money is taken and no
    /// callback answer can return it any more: refund it.
    CreditRefused {
        /// What the ledger decided.
        fulfilment: Fulfilment,
    },
    /// Paid (`success`), and crediting it failed (the handler's or the
    /// storage's error, or another attempt held it): nothing was credited;
    /// the next sweep tries again.
    CreditHeld {
        /// Why.
        reason: HeldReason,
    },
    /// Paid (`success`), read without a ledger (the read-only command
    /// line): whether the order was credited was not checked.
    PaidNotChecked,
    /// The ledger has a decision for this payment (a callback, or an
    /// earlier sweep, decided it): nothing done. Needs attention while
    /// Multicard still reads the payment `billing` or `hold`: the decision
    /// never reached it.
    AlreadyFulfilled {
        /// The decision stored.
        decision: StoredDecision,
    },
    /// Accepted but not captured (`hold`): the funds are held until the
    /// merchant charges or releases them.
    NotCaptured,
    /// Frozen awaiting a callback (`billing`): **never credited** by a
    /// sweep (no API call completes it). Multicard may send the callback
    /// again, or revert it; someone may have to act in the cabinet.
    FrozenAwaitingCallback,
    /// Over without money having moved.
    Expired {
        /// How it ended.
        why: Expiry,
    },
    /// Cancelled and refunded (`revert`); the ledger had not credited it.
    Reverted,
    /// Cancelled and refunded (`revert`) **after** the ledger credited its
    /// order: reverse the order.
    RevertedAfterFulfilment,
    /// The order's amount is neither the payment's `payment_amount` nor its
    /// `total_amount` (the amounts a callback is confirmed by): never
    /// credited.
    AmountMismatch {
        /// What the order expects, in tiyin.
        expected: i64,
        /// The payment's `payment_amount`, in tiyin.
        payment_amount: i64,
        /// The payment's `total_amount` (commission included), if sent.
        total_amount: Option<i64>,
    },
    /// Multicard has no such payment: `ERROR_NOT_FOUND` for the uuid and,
    /// when the order was known, nothing for its `invoice_id` in the
    /// registry over `searched`.
    UnknownToMulticard {
        /// The registry window searched (`None`: no order known to search
        /// for).
        searched: Option<Window>,
    },
    /// Still moving (`draft` or `progress` within its lifetime, `error`
    /// within the quiet period, an open invoice not paid yet): look again.
    StillMoving,
    /// A status this SDK does not know (escaped): never final, never
    /// "nothing happened".
    UnknownStatus {
        /// The status as read.
        status: String,
    },
    /// Multicard could not be read (transport, an error answer): the item
    /// is kept for the next sweep.
    ReadFailed {
        /// The error.
        error: Error,
    },
    /// The ledger could not be read or written: the item is kept for the
    /// next sweep.
    LedgerFailed {
        /// The error.
        error: LedgerError,
    },
}

/// Where an item stands after a sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Standing {
    /// Nothing left to do: credited, fulfilled, expired or reverted.
    Reconciled,
    /// Not final yet (moving, or unreadable): the next sweep looks again.
    Open,
    /// Someone must act: frozen, held, a mismatch, unknown, reverted after
    /// crediting, a paid payment not credited.
    NeedsAttention,
}

impl FindingKind {
    /// A short, stable name (`credited_now`, `frozen_awaiting_callback`, …),
    /// for logs and the command line.
    pub fn name(&self) -> &'static str {
        match self {
            FindingKind::CreditedNow => "credited_now",
            FindingKind::CreditRefused { .. } => "credit_refused",
            FindingKind::CreditHeld { .. } => "credit_held",
            FindingKind::PaidNotChecked => "paid_not_checked",
            FindingKind::AlreadyFulfilled { .. } => "already_fulfilled",
            FindingKind::NotCaptured => "not_captured",
            FindingKind::FrozenAwaitingCallback => "frozen_awaiting_callback",
            FindingKind::Expired { .. } => "expired",
            FindingKind::Reverted => "reverted",
            FindingKind::RevertedAfterFulfilment => "reverted_after_fulfilment",
            FindingKind::AmountMismatch { .. } => "amount_mismatch",
            FindingKind::UnknownToMulticard { .. } => "unknown_to_multicard",
            FindingKind::StillMoving => "still_moving",
            FindingKind::UnknownStatus { .. } => "unknown_status",
            FindingKind::ReadFailed { .. } => "read_failed",
            FindingKind::LedgerFailed { .. } => "ledger_failed",
        }
    }

    /// What it means, in one line (statuses and errors escaped).
    pub fn describe(&self) -> String {
        match self {
            FindingKind::CreditedNow => "paid, never called back: credited now by the sweep".into(),
            FindingKind::CreditRefused { fulfilment } => {
                format!("paid, but not credited ({fulfilment:?}): refund the payer")
            }
            FindingKind::CreditHeld { reason } => {
                format!("paid, crediting failed ({reason:?}): tried again next sweep")
            }
            FindingKind::PaidNotChecked => "paid (success); no ledger consulted: check the order is credited".into(),
            FindingKind::AlreadyFulfilled { decision } => format!("already decided ({decision:?}): nothing done"),
            FindingKind::NotCaptured => "held (hold): charge or release it".into(),
            FindingKind::FrozenAwaitingCallback => {
                "frozen in billing, awaiting a callback: never credited by a sweep".into()
            }
            FindingKind::Expired { why } => format!("expired or cancelled ({why:?}): no money moved"),
            FindingKind::Reverted => "reverted (refunded); never credited".into(),
            FindingKind::RevertedAfterFulfilment => "reverted AFTER the order was credited: reverse the order".into(),
            FindingKind::AmountMismatch { expected, payment_amount, total_amount } => format!(
                "amount mismatch: expected {expected}, payment_amount {payment_amount}, total_amount {}: not credited",
                total_amount.map(|t| t.to_string()).unwrap_or_else(|| "absent".into())
            ),
            FindingKind::UnknownToMulticard { searched: Some(window) } => format!(
                "unknown to Multicard: not found, nothing in the registry from {} to {}",
                window.from.format("%Y-%m-%d %H:%M:%S UTC"),
                window.to.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            FindingKind::UnknownToMulticard { searched: None } => "unknown to Multicard: not found".into(),
            FindingKind::StillMoving => "still moving: look again later".into(),
            FindingKind::UnknownStatus { status } => format!("status `{status}` unknown to this SDK: never final"),
            FindingKind::ReadFailed { error } => {
                format!(
                    "could not be read ({}): kept for the next sweep",
                    crate::scrub::printable(&error.to_string(), 300)
                )
            }
            FindingKind::LedgerFailed { error } => format!("the ledger failed ({error}): kept for the next sweep"),
        }
    }
}

/// What a sweep found about one item: the store, order and payment it
/// concerns (each when known), the status read, and the finding.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Finding {
    /// The store, as the API names it (numeric id in decimal, or its UUID).
    pub store_id: Option<String>,
    /// The merchant's order id (`store_invoice_id`).
    pub invoice_id: Option<String>,
    /// The payment the finding is about.
    pub uuid: Option<String>,
    /// The payment's status as read, when it was read.
    pub status: Option<PaymentStatus>,
    /// Other payments found for the same order (registry search), not
    /// judged by this finding.
    pub other_payments: Vec<String>,
    /// Where the item came from.
    pub origin: Origin,
    /// The finding.
    pub kind: FindingKind,
    /// The item as asked, to carry to the next sweep.
    pub pending: Pending,
}

impl Finding {
    /// Where the item stands.
    pub fn standing(&self) -> Standing {
        match &self.kind {
            FindingKind::CreditedNow
            | FindingKind::PaidNotChecked
            | FindingKind::Expired { .. }
            | FindingKind::Reverted => Standing::Reconciled,
            // Decided here, but Multicard still holds the payment frozen
            // (`billing`) or uncaptured (`hold`): the answer never reached
            // it (a replica died after its commit, resends ran out). The
            // order may be credited while the money is not captured.
            FindingKind::AlreadyFulfilled { .. }
                if matches!(self.status, Some(PaymentStatus::Billing | PaymentStatus::Hold)) =>
            {
                Standing::NeedsAttention
            }
            FindingKind::AlreadyFulfilled { decision: StoredDecision::Accepted } => Standing::Reconciled,
            // A refusal answered to a callback reverts the payment; one
            // that still reads `success` kept the payer's money.
            FindingKind::AlreadyFulfilled { .. } if self.status == Some(PaymentStatus::Success) => {
                Standing::NeedsAttention
            }
            FindingKind::AlreadyFulfilled { .. } => Standing::Reconciled,
            FindingKind::StillMoving | FindingKind::ReadFailed { .. } | FindingKind::LedgerFailed { .. } => {
                Standing::Open
            }
            _ => Standing::NeedsAttention,
        }
    }
}

/// What one sweep found, item by item.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Report {
    /// The sweep's time (its clock: `Utc::now()`, or the time given).
    pub at: DateTime<Utc>,
    /// One finding per item, in the order asked (the ledger's left-frozen
    /// payments after the items asked).
    pub findings: Vec<Finding>,
    /// The ledger's left-frozen list could not be read: those payments
    /// were not swept.
    pub left_frozen_error: Option<LedgerError>,
}

impl Report {
    /// The findings someone must act on.
    pub fn needs_attention(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.standing() == Standing::NeedsAttention)
    }

    /// The findings that are not final yet.
    pub fn open(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.standing() == Standing::Open)
    }

    /// The payments this sweep credited.
    pub fn credited(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| matches!(f.kind, FindingKind::CreditedNow))
    }

    /// Whether every item is reconciled (and the left-frozen list was read).
    pub fn all_reconciled(&self) -> bool {
        self.left_frozen_error.is_none() && self.findings.iter().all(|f| f.standing() == Standing::Reconciled)
    }

    /// The items to ask about again next sweep: every one not reconciled.
    pub fn carry_over(&self) -> Vec<Pending> {
        let items = self.findings.iter().filter(|f| f.standing() != Standing::Reconciled);
        items.filter(|f| f.origin == Origin::Asked).map(|f| f.pending.clone()).collect()
    }
}
