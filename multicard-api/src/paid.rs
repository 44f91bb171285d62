//! Whether an invoice is paid: yes, no, or unknown, never a guess.
//!
//! An invoice's `payment` is read exactly ([`Exact`]), and a read of the
//! invoice that fails says nothing about it: after an invoice's lifetime
//! runs out, or once it is deleted, `get_invoice` answers
//! `ERROR_TRANS_NOT_READY` or `ERROR_NOT_FOUND` whether or not it was paid.
//! Both are [`Paid::Unknown`] here, as is every payment status that may
//! still move.

use crate::error::Error;
use crate::informative::Exact;
use crate::multicard::Multicard;
use crate::types::{ErrorCode, PaymentModel, PaymentStatus};

/// The longest reason [`Paid::Unknown`] gives, in characters.
const REASON_MAX: usize = 300;

/// Whether an invoice is paid, as far as one read can tell.
///
/// Credit an order on [`Paid::Yes`] only, and give up on it on
/// [`Paid::No`] only: [`Paid::Unknown`] is neither.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Paid {
    /// Its payment reads `success` (a partly refunded payment stays
    /// `success`).
    Yes,
    /// Nothing is paid at this read: no payment, a payment still `draft`
    /// (never confirmed), or one refunded in full (`revert`).
    No,
    /// This read cannot tell: the payment is moving (`progress`,
    /// `billing`, `hold`), reads `error` (which has been seen to turn
    /// `success`; [`Multicard::settle_payment`] waits it out), has a status
    /// the SDK does not know, does not decode, or the invoice could not be
    /// read at all. Never act on it as [`Paid::No`].
    Unknown {
        /// Why, for a log line (statuses escaped, no card data).
        reason: String,
    },
}

impl Exact<PaymentModel> {
    /// Whether this payment (an invoice's `payment`) means the invoice is
    /// paid. Absent is [`Paid::No`]; unreadable is [`Paid::Unknown`].
    pub fn is_paid(&self) -> Paid {
        let payment = match self {
            Exact::Absent => return Paid::No,
            Exact::Present(payment) => payment,
            Exact::Unreadable(field) => {
                let reason = format!("the payment does not decode at `{}`: {}", field.field, field.reason);
                return Paid::Unknown { reason: crate::scrub::printable(&reason, REASON_MAX) };
            }
        };
        match &payment.status {
            PaymentStatus::Success => Paid::Yes,
            PaymentStatus::Draft | PaymentStatus::Revert => Paid::No,
            PaymentStatus::Error => Paid::Unknown {
                reason: "the payment reads `error`, which may still turn `success`: settle it with settle_payment"
                    .into(),
            },
            other => Paid::Unknown {
                reason: format!(
                    "the payment reads `{}`, which is not final",
                    crate::scrub::printable(&other.to_string(), 64)
                ),
            },
        }
    }
}

impl Multicard {
    /// Reads invoice `uuid` and says whether it is paid ([`Paid`]).
    ///
    /// `ERROR_TRANS_NOT_READY` and `ERROR_NOT_FOUND` are
    /// [`Paid::Unknown`], not an error and never [`Paid::No`]: Multicard
    /// answers them for an invoice whose lifetime ran out or that was
    /// deleted, paid or not. Find its payment by your `invoice_id` in the
    /// payment registry (`list_payments`) or by its success callback. Any
    /// other failure is returned as it is.
    pub async fn invoice_paid(&self, uuid: &str) -> Result<Paid, Error> {
        match self.send(|api| api.get_invoice().uuid(uuid)).await {
            Ok(invoice) => Ok(invoice.payment.is_paid()),
            Err(error) => match error.code() {
                Some(code @ (ErrorCode::ErrorTransNotReady | ErrorCode::ErrorNotFound)) => Ok(Paid::Unknown {
                    reason: format!(
                        "get_invoice answered {code}: an expired or deleted invoice cannot be read, which says \
                         nothing about whether it was paid"
                    ),
                }),
                _ => Err(error),
            },
        }
    }
}
