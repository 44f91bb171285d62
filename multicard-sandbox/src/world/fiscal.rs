//! The fiscal receipts the sandbox issues, as Multicard issues them through
//! the tax authority for a store that sends `ofd`.
//!
//! A payment that reaches `success` with a fiscal receipt (`ofd`: its
//! invoice's, its own, or its hold charge's; one item at least) gets one. A
//! full refund (or a refund of the rest) issues a refund receipt that
//! cancels it. A partial refund cancels it the same way and issues a new
//! receipt from the refund's `ofd` for what stays paid (the partial refund
//! page: «Данные для фискализации нового чека. Старый фискальный чек будет
//! отменен.»; what the new receipt lists is the merchant's `ofd`, as sent).
//!
//! A payment answers with them in the fields the spec's `PaymentModel`
//! has: `tax_receipt_id` and `tax` (its current receipt) and `refund_tax`
//! (the latest refund receipt), each a `TaxReceiptModel` (`receipts.rs`).
//! Payments without a receipt have none of these fields.

use serde_json::{Value, json};

use super::World;
use super::receipts::FiscalReceipt;
use super::values::new_uuid;

impl World {
    /// Payment `uuid` reached `success`: its receipt, if it carries a fiscal
    /// receipt and has none yet.
    pub(crate) fn issue_receipt(&mut self, uuid: &str) {
        let Some(payment) = self.payments.get(uuid).filter(|p| !p.kind.is_payout()) else { return };
        if current(&payment.fields).is_some() {
            return;
        }
        let Some(items) = payment.fields["ofd"].as_array().filter(|items| !items.is_empty()).cloned() else {
            return;
        };
        let amount = payment.amount();
        let f_num = self.new_receipt(uuid, items, amount, None);
        self.show(uuid, "tax", &f_num);
    }

    /// Payment `uuid` was refunded in full (or the rest of it): a refund
    /// receipt cancels its current receipt.
    pub(crate) fn refund_receipt(&mut self, uuid: &str) {
        let Some(current) = self.payments.get(uuid).and_then(|p| current(&p.fields)) else { return };
        let Some(cancelled) = self.receipts.get(&current).filter(|r| r.cancelled_by.is_none()) else { return };
        let (items, amount) = (cancelled.items.clone(), cancelled.amount);
        let refund = self.new_receipt(uuid, items, amount, Some(current.clone()));
        if let Some(cancelled) = self.receipts.get_mut(&current) {
            cancelled.cancelled_by = Some(refund.clone());
        }
        self.show(uuid, "refund_tax", &refund);
    }

    /// Payment `uuid` was refunded in part, `remaining` of it stays paid:
    /// its receipt is cancelled, and a new one lists `ofd` (the refund's)
    /// for `remaining`.
    pub(crate) fn reissue_receipt(&mut self, uuid: &str, ofd: &Value, remaining: i64) {
        self.refund_receipt(uuid);
        let Some(items) = ofd.as_array().filter(|items| !items.is_empty()).cloned() else { return };
        if remaining <= 0 || !self.payments.contains_key(uuid) {
            return;
        }
        let f_num = self.new_receipt(uuid, items, remaining, None);
        self.show(uuid, "tax", &f_num);
    }

    /// Issues a receipt for payment `uuid` (a refund one when it `cancels`
    /// another); returns its `f_num`.
    fn new_receipt(&mut self, uuid: &str, items: Vec<Value>, amount: i64, cancels: Option<String>) -> String {
        let receipt = FiscalReceipt {
            id: self.id(),
            f_num: new_uuid(),
            payment: uuid.to_string(),
            items,
            amount,
            issued_on: self.stamp(),
            is_refund: cancels.is_some(),
            cancels,
            cancelled_by: None,
        };
        let f_num = receipt.f_num.clone();
        self.receipts.insert(f_num.clone(), receipt);
        f_num
    }

    /// Payment `uuid` answers with receipt `f_num` in `field` (`tax` or
    /// `refund_tax`).
    fn show(&mut self, uuid: &str, field: &str, f_num: &str) {
        let Some(receipt) = self.receipts.get(f_num) else { return };
        let model = receipt.model(&self.base_url);
        let id = receipt.id;
        let Some(payment) = self.payments.get_mut(uuid) else { return };
        let fields = &mut payment.fields;
        if field == "tax" {
            fields["tax_receipt_id"] = json!(id);
        }
        for name in ["tax", "refund_tax"] {
            if fields.get(name).is_none() {
                fields[name] = Value::Null;
            }
        }
        fields[field] = model;
    }
}

/// The `f_num` of a payment's current receipt.
fn current(fields: &Value) -> Option<String> {
    fields.get("tax").and_then(|tax| tax.get("f_num")).and_then(Value::as_str).map(str::to_string)
}
