//! The statuses and kinds the sandbox keeps, typed; each writes itself as
//! Multicard spells it.

use serde::{Deserialize, Serialize};

/// A payment's or payout's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum PaymentStatus {
    /// Created, waiting to be confirmed.
    Draft,
    /// Confirmed: being debited at the payment system.
    Progress,
    /// Debited: its success callback is out to the merchant (and, once
    /// frozen by a 500 or a timeout, stays here).
    Billing,
    /// Paid (or paid out), and the merchant accepted it.
    Success,
    /// Refunded in full, or cancelled after it was paid (the merchant
    /// refused its success callback).
    Revert,
    /// Failed, or its hold was released.
    Error,
}

impl PaymentStatus {
    /// Being debited, or its success callback out: money is moving.
    pub(crate) fn is_moving(self) -> bool {
        matches!(self, PaymentStatus::Progress | PaymentStatus::Billing)
    }
}

/// How a payment was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum PaymentKind {
    /// By a bound card's token.
    Token,
    /// By card data, confirmed with a one-time code.
    Card,
    /// By a bound card's token, split between recipients.
    Split,
    /// In a payment app (`payment_system`), confirmed there.
    App,
    /// An invoice paid on its checkout page or by scanpay.
    Invoice,
    /// The payment behind a hold.
    Hold,
    /// A payout (credit to a card).
    Payout,
}

impl PaymentKind {
    /// A payout rather than a payment.
    pub(crate) fn is_payout(self) -> bool {
        self == PaymentKind::Payout
    }
}

/// A hold's status (`canceled` with one "l", as production writes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum HoldStatus {
    /// Created, waiting for its one-time code.
    Draft,
    /// Funds blocked.
    Active,
    /// Charged.
    Success,
    /// Released.
    Canceled,
}

/// A bound card's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum CardStatus {
    /// Added by its data, waiting for its one-time code.
    Draft,
    /// Bound: payments, holds and payouts may use it.
    Active,
    /// Revoked.
    Deleted,
}

/// An invoice's status. Multicard writes none for an open invoice, and
/// `cancelled` (undocumented) for one deleted or run out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum InvoiceStatus {
    /// Can be paid.
    Open,
    /// Paid: it holds its payment.
    Paid,
    /// Deleted, or its lifetime ran out unpaid: since when (the instant,
    /// and as Multicard writes it).
    Cancelled { at: std::time::Duration, on: String },
}

/// The kinds of callback the sandbox sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CallbackKind {
    /// The success callback (MD5 signed), which the merchant may refuse.
    Success,
    /// A status webhook (SHA-1 signed; `SandboxConfig::status_webhooks`).
    Webhook,
    /// The card-binding callback (unsigned).
    CardBinding,
}

impl CallbackKind {
    /// As `Delivery::kind` names it: `success`, `webhook`, `card_binding`.
    pub fn as_str(self) -> &'static str {
        match self {
            CallbackKind::Success => "success",
            CallbackKind::Webhook => "webhook",
            CallbackKind::CardBinding => "card_binding",
        }
    }
}
