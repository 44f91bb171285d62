//! A payment's status as the ledger keeps it: only ever forward, whatever
//! order the webhooks arrive in.

use crate::callbacks::Confirmed;
use crate::types::{PaymentModel, PaymentStatus};

use super::subject::store_key;

/// A payment's status as the API read it (at a confirmation, a confirmed
/// webhook, a sweep), to record with [`Ledger::record_status`](super::Ledger::record_status).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusSeen {
    /// The store (as [`PaymentCredit::store_id`](super::PaymentCredit::store_id)).
    pub store_id: String,
    /// The payment.
    pub uuid: String,
    /// The merchant's order, when the payment names one.
    pub invoice_id: Option<String>,
    /// The status read.
    pub status: PaymentStatus,
}

impl StatusSeen {
    /// The status of a confirmed payment
    /// ([`confirm_status`](crate::callbacks::confirm_status) for a
    /// webhook: its `status` is unsigned, the API's is what counts). `None`
    /// when the payment names no store.
    pub fn from_confirmed(confirmed: &Confirmed<PaymentModel>) -> Option<Self> {
        Self::from_payment(&confirmed.current)
    }

    /// The status of a payment read from the API.
    pub fn from_payment(payment: &PaymentModel) -> Option<Self> {
        Some(Self {
            store_id: store_key(payment)?,
            uuid: payment.uuid.clone(),
            invoice_id: payment.store_invoice_id.clone(),
            status: payment.status.clone(),
        })
    }

    /// The status's place in a payment's life: `draft` < `progress` <
    /// `billing` = `hold` < `error` < `success` < `revert`. `error` comes
    /// before `success` because a payment has been seen to turn `success`
    /// after `error`. `None` for a status this SDK does not know: it is
    /// never recorded (never final, never a step back).
    pub fn rank(status: &PaymentStatus) -> Option<u8> {
        Some(match status {
            PaymentStatus::Draft => 0,
            PaymentStatus::Progress => 1,
            PaymentStatus::Billing | PaymentStatus::Hold => 2,
            PaymentStatus::Error => 3,
            PaymentStatus::Success => 4,
            PaymentStatus::Revert => 5,
            _ => return None,
        })
    }

    /// Whether `to` is a step forward from `from` (`None`: nothing
    /// recorded yet). Arrival order means nothing: a `progress` webhook
    /// that arrives after `success` is stale.
    pub fn moves_forward(from: Option<&PaymentStatus>, to: &PaymentStatus) -> bool {
        match (from.map(Self::rank), Self::rank(to)) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(None), Some(_)) => true,
            (Some(Some(old)), Some(new)) => new > old,
        }
    }

    /// Whether the payment has ended for a purge: `revert` only. A
    /// `success` can still be refunded (`revert`), and its row is what
    /// reports that ([`StatusChange::RevertedAfterFulfilment`]) and keeps
    /// the order credited once.
    pub fn is_final_for_purge(status: &PaymentStatus) -> bool {
        matches!(status, PaymentStatus::Revert)
    }
}

/// What recording a status changed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusChange {
    /// The status moved forward (from nothing recorded, or from `from`).
    Advanced {
        /// The status recorded before, if any.
        from: Option<PaymentStatus>,
    },
    /// The same status was recorded already.
    Unchanged,
    /// A status at or before the recorded one, arriving late: ignored.
    Stale {
        /// The status recorded.
        recorded: PaymentStatus,
    },
    /// A status this SDK does not know: not recorded (a status the SDK does
    /// not know is never final and never a step back).
    NotRecorded,
    /// The payment was reverted after this service credited its order
    /// (accepted): the money went back to the payer, the order is still
    /// credited. Act on it (reverse the order, ask support); it is logged
    /// as an error.
    RevertedAfterFulfilment {
        /// The order the payment credited.
        invoice_id: String,
    },
}

/// Logs a payment reverted after its order was credited: someone must act.
pub(crate) fn log_reverted(store_id: &str, uuid: &str, invoice_id: &str) {
    tracing::error!(
        target: "multicard::fulfilment",
        store_id = %crate::escape_controls(store_id),
        uuid = %crate::escape_controls(uuid),
        invoice_id = %crate::escape_controls(invoice_id),
        "a payment was reverted after its order was credited"
    );
}
