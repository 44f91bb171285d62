//! What a lost write was ([`Write`]), and what a settle needs of it
//! ([`LostWrite`]): the target (payment uuid, hold id, payout uuid), the
//! amount, and the snapshot read just before it was sent.

use crate::time::MulticardDateTime;
use std::fmt;

use serde_json::Value;

use crate::types::{HoldModel, PaymentModel};

/// The kinds of write a settle knows, without their data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WriteKind {
    /// `confirm_payment`.
    ConfirmPayment,
    /// `refund_payment`: a full refund.
    Refund,
    /// `partial_refund_payment`.
    PartialRefund,
    /// `charge_hold`.
    ChargeHold,
    /// `cancel_hold`.
    CancelHold,
    /// `create_payout` (one step, or the first of two).
    CreatePayout,
    /// `confirm_payout`.
    ConfirmPayout,
    /// `create_invoice`.
    CreateInvoice,
    /// `create_payment`.
    CreatePayment,
}

impl WriteKind {
    /// Every kind, in the order of [`EVIDENCE`](super::EVIDENCE).
    pub const ALL: [WriteKind; 9] = [
        WriteKind::ConfirmPayment,
        WriteKind::Refund,
        WriteKind::PartialRefund,
        WriteKind::ChargeHold,
        WriteKind::CancelHold,
        WriteKind::CreatePayout,
        WriteKind::ConfirmPayout,
        WriteKind::CreateInvoice,
        WriteKind::CreatePayment,
    ];

    /// The operation (`operationId`) that makes this write.
    pub fn operation(self) -> &'static str {
        match self {
            WriteKind::ConfirmPayment => "confirm_payment",
            WriteKind::Refund => "refund_payment",
            WriteKind::PartialRefund => "partial_refund_payment",
            WriteKind::ChargeHold => "charge_hold",
            WriteKind::CancelHold => "cancel_hold",
            WriteKind::CreatePayout => "create_payout",
            WriteKind::ConfirmPayout => "confirm_payout",
            WriteKind::CreateInvoice => "create_invoice",
            WriteKind::CreatePayment => "create_payment",
        }
    }

    /// The kind of write `operation` (an `operationId`) makes, if a settle
    /// knows it.
    pub fn of_operation(operation: &str) -> Option<Self> {
        WriteKind::ALL.into_iter().find(|kind| kind.operation() == operation)
    }

    /// Its name on the command line (`multicard settle <name>`), e.g.
    /// `partial-refund`.
    pub fn as_str(self) -> &'static str {
        match self {
            WriteKind::ConfirmPayment => "confirm-payment",
            WriteKind::Refund => "refund",
            WriteKind::PartialRefund => "partial-refund",
            WriteKind::ChargeHold => "charge-hold",
            WriteKind::CancelHold => "cancel-hold",
            WriteKind::CreatePayout => "create-payout",
            WriteKind::ConfirmPayout => "confirm-payout",
            WriteKind::CreateInvoice => "create-invoice",
            WriteKind::CreatePayment => "create-payment",
        }
    }

    /// The kind named `name` on the command line ([`WriteKind::as_str`]).
    pub fn parse(name: &str) -> Option<Self> {
        WriteKind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

impl fmt::Display for WriteKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One write whose outcome a settle can decide, with what it needs: its
/// target and amount, and, where the SDK read it just before sending, the
/// target as it was then (`before`).
///
/// The SDK makes one for every lost answer of these operations
/// ([`LostWrite`] in [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown));
/// one can also be made by hand (another process, the command line), without
/// a snapshot.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Write {
    /// `confirm_payment` of payment `payment`.
    ConfirmPayment {
        /// The payment's uuid.
        payment: String,
    },
    /// `refund_payment` (in full) of payment `payment`.
    Refund {
        /// The payment's uuid.
        payment: String,
        /// The amount this refund was to return (what was left of the
        /// captured amount), when the SDK read it before sending.
        amount: Option<i64>,
        /// The payment as read just before the refund was sent.
        before: Option<Box<PaymentModel>>,
    },
    /// `partial_refund_payment` of `amount` tiyin of payment `payment`.
    PartialRefund {
        /// The payment's uuid.
        payment: String,
        /// The `refund_amount`, in tiyin.
        amount: i64,
        /// The payment as read just before the refund was sent.
        before: Option<Box<PaymentModel>>,
    },
    /// `charge_hold` of hold `hold`.
    ChargeHold {
        /// The hold's integer `id`, as `create_hold` answered it.
        hold: String,
        /// The amount charged, when the request named one (otherwise the
        /// whole hold).
        amount: Option<i64>,
        /// The hold as read just before the charge was sent.
        before: Option<Box<HoldModel>>,
    },
    /// `cancel_hold` of hold `hold`.
    CancelHold {
        /// The hold's integer `id`.
        hold: String,
    },
    /// `confirm_payout` of payout `payout`.
    ConfirmPayout {
        /// The payout's uuid.
        payout: String,
    },
    /// `create_payout`: the answer, and the uuid with it, was lost.
    CreatePayout {
        /// The merchant's `invoice_id` it was sent with.
        invoice_id: Option<String>,
        /// The `store_id` it was sent with.
        store_id: Option<String>,
    },
    /// `create_invoice`: the answer, and the uuid with it, was lost.
    CreateInvoice {
        /// The merchant's `invoice_id` it was sent with.
        invoice_id: Option<String>,
        /// The `store_id` it was sent with.
        store_id: Option<String>,
    },
    /// `create_payment`: the answer, and the uuid with it, was lost.
    CreatePayment {
        /// The merchant's `invoice_id` it was sent with.
        invoice_id: Option<String>,
        /// The `store_id` it was sent with.
        store_id: Option<String>,
    },
}

impl Write {
    /// Its kind.
    pub fn kind(&self) -> WriteKind {
        match self {
            Write::ConfirmPayment { .. } => WriteKind::ConfirmPayment,
            Write::Refund { .. } => WriteKind::Refund,
            Write::PartialRefund { .. } => WriteKind::PartialRefund,
            Write::ChargeHold { .. } => WriteKind::ChargeHold,
            Write::CancelHold { .. } => WriteKind::CancelHold,
            Write::ConfirmPayout { .. } => WriteKind::ConfirmPayout,
            Write::CreatePayout { .. } => WriteKind::CreatePayout,
            Write::CreateInvoice { .. } => WriteKind::CreateInvoice,
            Write::CreatePayment { .. } => WriteKind::CreatePayment,
        }
    }

    /// What identifies it, as `(name, value)` pairs in the order the
    /// command line takes them (`payment`, `hold`, `payout`, `amount`,
    /// `invoice_id`, `store_id`): what `multicard settle` needs, and nothing
    /// else (no snapshot, no card data).
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let mut push = |name, value: Option<String>| {
            if let Some(value) = value {
                out.push((name, value));
            }
        };
        match self {
            Write::ConfirmPayment { payment } => push("payment", Some(payment.clone())),
            Write::Refund { payment, amount, .. } => {
                push("payment", Some(payment.clone()));
                push("amount", amount.map(|a| a.to_string()));
            }
            Write::PartialRefund { payment, amount, .. } => {
                push("payment", Some(payment.clone()));
                push("amount", Some(amount.to_string()));
            }
            Write::ChargeHold { hold, amount, .. } => {
                push("hold", Some(hold.clone()));
                push("amount", amount.map(|a| a.to_string()));
            }
            Write::CancelHold { hold } => push("hold", Some(hold.clone())),
            Write::ConfirmPayout { payout } => push("payout", Some(payout.clone())),
            Write::CreatePayout { invoice_id, store_id }
            | Write::CreateInvoice { invoice_id, store_id }
            | Write::CreatePayment { invoice_id, store_id } => {
                push("invoice_id", invoice_id.clone());
                push("store_id", store_id.clone());
            }
        }
        out
    }

    /// The write of `kind` named by `fields` (as [`Write::fields`] gives
    /// them: `payment`, `hold`, `payout`, `amount`, `invoice_id`,
    /// `store_id`), without a snapshot: for a write settled by hand (the
    /// command line's `multicard settle`). Says which field is missing or
    /// not a number.
    ///
    /// ```
    /// use multicard_api::settle::{Write, WriteKind};
    /// let write = Write::from_fields(WriteKind::PartialRefund, &[("payment", "p-1"), ("amount", "400")]).unwrap();
    /// assert_eq!(write.to_string(), "partial-refund payment=p-1 amount=400");
    /// assert!(Write::from_fields(WriteKind::ChargeHold, &[("payment", "p-1")]).is_err());
    /// ```
    pub fn from_fields(kind: WriteKind, fields: &[(&str, &str)]) -> Result<Self, String> {
        let get = |name: &str| fields.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string());
        let need = |name: &str| get(name).ok_or_else(|| format!("settling `{kind}` needs its `{name}`"));
        let amount = || -> Result<Option<i64>, String> {
            get("amount")
                .map(|a| a.parse().map_err(|_| format!("the amount `{a}` is not a whole number of tiyin")))
                .transpose()
        };
        Ok(match kind {
            WriteKind::ConfirmPayment => Write::ConfirmPayment { payment: need("payment")? },
            WriteKind::Refund => Write::Refund { payment: need("payment")?, amount: amount()?, before: None },
            WriteKind::PartialRefund => Write::PartialRefund {
                payment: need("payment")?,
                amount: amount()?.ok_or_else(|| format!("settling `{kind}` needs its `amount`"))?,
                before: None,
            },
            WriteKind::ChargeHold => Write::ChargeHold { hold: need("hold")?, amount: amount()?, before: None },
            WriteKind::CancelHold => Write::CancelHold { hold: need("hold")? },
            WriteKind::ConfirmPayout => Write::ConfirmPayout { payout: need("payout")? },
            WriteKind::CreatePayout => Write::CreatePayout { invoice_id: get("invoice_id"), store_id: get("store_id") },
            WriteKind::CreateInvoice => {
                Write::CreateInvoice { invoice_id: get("invoice_id"), store_id: get("store_id") }
            }
            WriteKind::CreatePayment => {
                Write::CreatePayment { invoice_id: get("invoice_id"), store_id: get("store_id") }
            }
        })
    }

    /// The write `operation` made, from its path parameters (`params`, by
    /// name, decoded) and JSON body; `None` for an operation a settle does
    /// not know, or a request without its target.
    pub(crate) fn from_request(operation: &str, params: &[(String, String)], body: Option<&Value>) -> Option<Self> {
        let param = |name: &str| params.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        let text = |name: &str| {
            body.and_then(|b| b.get(name)).and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        let integer = |name: &str| body.and_then(|b| b.get(name)).and_then(Value::as_i64);
        Some(match WriteKind::of_operation(operation)? {
            WriteKind::ConfirmPayment => Write::ConfirmPayment { payment: param("uuid")? },
            WriteKind::Refund => Write::Refund { payment: param("uuid")?, amount: None, before: None },
            WriteKind::PartialRefund => {
                Write::PartialRefund { payment: param("uuid")?, amount: integer("refund_amount")?, before: None }
            }
            WriteKind::ChargeHold => {
                Write::ChargeHold { hold: param("payment_uuid")?, amount: integer("amount"), before: None }
            }
            WriteKind::CancelHold => Write::CancelHold { hold: param("payment_uuid")? },
            WriteKind::ConfirmPayout => Write::ConfirmPayout { payout: param("payment_uuid")? },
            WriteKind::CreatePayout => {
                Write::CreatePayout { invoice_id: text("invoice_id"), store_id: text("store_id") }
            }
            WriteKind::CreateInvoice => {
                Write::CreateInvoice { invoice_id: text("invoice_id"), store_id: text("store_id") }
            }
            WriteKind::CreatePayment => {
                Write::CreatePayment { invoice_id: text("invoice_id"), store_id: text("store_id") }
            }
        })
    }
}

impl fmt::Display for Write {
    /// `partial-refund payment=… amount=…`: the kind and
    /// [`Write::fields`], escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind().as_str())?;
        for (name, value) in self.fields() {
            write!(f, " {name}={}", crate::scrub::printable(&value, 80))?;
        }
        Ok(())
    }
}

/// A write whose answer was lost, as [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown)
/// carries it: settle it with
/// [`Multicard::settle_write`](crate::Multicard::settle_write) (or
/// [`Multicard::settle_lost`](crate::Multicard::settle_lost) on the error),
/// and do not send it again before the settle says
/// [`NotApplied`](super::Verdict::NotApplied).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct LostWrite {
    /// The write.
    pub write: Write,
    /// When the SDK gave up on its answer. A settle counts
    /// [`Settle::min_read_delay`](super::Settle::min_read_delay) from here;
    /// `None` (a write made by hand) counts it from the settle's start.
    pub lost_at: Option<tokio::time::Instant>,
    /// When it was sent, by Multicard's clock (the client's wall clock and
    /// the `Date` offset it last saw): where a lost create's registry
    /// search starts ([`LostCreate`](crate::lost_create::LostCreate)).
    /// `None` for a write made by hand.
    pub sent_at: Option<MulticardDateTime>,
}

impl LostWrite {
    /// A lost write whose time is not known: a settle counts its read delay
    /// from its own start, and a lost create is not searched for.
    pub fn new(write: Write) -> Self {
        Self { write, lost_at: None, sent_at: None }
    }

    /// The same, sent at `sent_at` by Multicard's clock (a lost create is
    /// then searched for from there).
    pub fn sent_at(mut self, sent_at: MulticardDateTime) -> Self {
        self.sent_at = Some(sent_at);
        self
    }
}

impl From<Write> for LostWrite {
    fn from(write: Write) -> Self {
        Self::new(write)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_names_an_operation_of_the_spec_and_parses_back() {
        for kind in WriteKind::ALL {
            let info = crate::operation_table::find(kind.operation()).expect("in the spec");
            assert!(!info.is_read(), "{kind}");
            assert_eq!(WriteKind::parse(kind.as_str()), Some(kind));
            assert_eq!(WriteKind::of_operation(kind.operation()), Some(kind));
        }
    }

    #[test]
    fn a_write_is_read_from_its_request() {
        let params = [("uuid".to_string(), "p-1".to_string())];
        let body = serde_json::json!({"refund_amount": 400, "ofd": []});
        let write = Write::from_request("partial_refund_payment", &params, Some(&body)).unwrap();
        assert_eq!(write, Write::PartialRefund { payment: "p-1".into(), amount: 400, before: None });
        assert_eq!(write.to_string(), "partial-refund payment=p-1 amount=400");
        assert_eq!(Write::from_request("get_payment", &params, None), None);
        let body = serde_json::json!({"invoice_id": "order-1", "store_id": 6});
        let write = Write::from_request("create_payment", &[], Some(&body)).unwrap();
        assert_eq!(write.fields(), [("invoice_id", "order-1".to_string()), ("store_id", "6".to_string())]);
    }
}
