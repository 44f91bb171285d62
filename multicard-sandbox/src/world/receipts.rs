//! The fiscal receipts the sandbox issues (`fiscal.rs` issues them): a
//! sale, or a refund that cancels one, and the `TaxReceiptModel` a payment
//! answers with for it: `f_num` (the fiscal sign, a uuid), `fm_num` (the
//! fiscal module), `qr_url` (the receipt's page on the sandbox,
//! `/sandbox/fiscal/{f_num}`, where production links to the tax
//! authority's), `is_refund`, and `receipt` (the receipt as sent to the tax
//! authority; the spec leaves its fields open: the sandbox's holds `items`,
//! `amount` and `issued_on`).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The fiscal module the sandbox's receipts are issued by (`fm_num`).
pub(crate) const FISCAL_MODULE: &str = "UZ000000000000";

/// A fiscal receipt: a sale, or a refund that cancels one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct FiscalReceipt {
    /// `tax_receipt_id` (from the sandbox's one sequence of ids).
    pub(crate) id: i64,
    /// The fiscal sign: a uuid, as the spec's `f_num`.
    pub(crate) f_num: String,
    /// The uuid of the payment it was issued for.
    pub(crate) payment: String,
    /// The items, as the merchant's `ofd` listed them.
    pub(crate) items: Vec<Value>,
    /// The amount, in tiyin: what was paid (or, on a refund receipt, what
    /// the receipt it cancels was for).
    pub(crate) amount: i64,
    /// When it was issued, as Multicard writes times.
    pub(crate) issued_on: String,
    pub(crate) is_refund: bool,
    /// On a refund receipt: the `f_num` of the receipt it cancels.
    pub(crate) cancels: Option<String>,
    /// The `f_num` of the refund receipt that cancelled it.
    pub(crate) cancelled_by: Option<String>,
}

impl FiscalReceipt {
    /// Its page on the sandbox.
    pub(crate) fn url(&self, base_url: &str) -> String {
        format!("{base_url}/sandbox/fiscal/{}", self.f_num)
    }

    /// The `TaxReceiptModel` a payment answers with.
    pub(crate) fn model(&self, base_url: &str) -> Value {
        json!({
            "receipt": {"items": self.items, "amount": self.amount, "issued_on": self.issued_on},
            "f_num": self.f_num, "fm_num": FISCAL_MODULE, "qr_url": self.url(base_url), "is_refund": self.is_refund,
        })
    }
}
