//! Payments and payouts as the sandbox keeps them: the answer Multicard
//! gives for one (in production's field order), its typed status and kind,
//! and the callbacks it sends (`money.rs` moves it through its statuses).
//!
//! As in production: a payment carries `payment_amount`, `total_amount`,
//! `commission_amount`, `ps` and `payment_time`, and no `amount`; a payment
//! by card token (split or not) answers `otp_hash: null`.

use std::time::Duration;

use multicard_api::callbacks::{success_signature, webhook_signature};
use serde_json::{Value, json};

use super::callbacks::Outgoing;
use super::kinds::{CallbackKind, PaymentKind, PaymentStatus};
use super::values::{hex, masked, new_uuid, store, text};
use crate::config::STORE_ID;

/// A payment or payout.
#[derive(Debug)]
pub(crate) struct Payment {
    /// The answer, in production's field order. Its `status` is only a
    /// placeholder: [`Payment::model`] writes [`Payment::status`] there.
    pub(crate) fields: Value,
    pub(crate) status: PaymentStatus,
    pub(crate) kind: PaymentKind,
    /// Confirming it takes the one-time code.
    pub(crate) needs_otp: bool,
    /// How much of it was refunded.
    pub(crate) refunded: i64,
    /// When it was made, on the sandbox's clock (the registries' lag
    /// counts from here).
    pub(crate) created: Duration,
    /// Each status it has had and when it took it (as Multicard writes
    /// time), oldest first: what the dashboard shows.
    pub(crate) history: Vec<(String, PaymentStatus)>,
}

impl Payment {
    /// A draft payment with a new uuid. `card` is the card's token and PAN;
    /// `at` is now on the sandbox's clock, `now` the same as Multicard
    /// writes it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn draft(
        id: i64,
        kind: PaymentKind,
        body: &Value,
        amount: i64,
        ps: &str,
        card: Option<(&str, &str)>,
        base_url: &str,
        (at, now): (Duration, &str),
    ) -> Self {
        // Production sends a code for a payment by card data only: a token
        // payment (split or not) answers `otp_hash: null` and is confirmed
        // with `{}`.
        let needs_otp = kind == PaymentKind::Card;
        let uuid = new_uuid();
        let fields = json!({
            "id": id, "uuid": uuid, "store_id": STORE_ID, "payment_amount": amount, "commission_type": "up",
            "commission_amount": 0, "total_amount": amount,
            "store_invoice_id": text(body, "invoice_id").unwrap_or_default(), "status": PaymentStatus::Draft,
            "callback_url": text(body, "callback_url"), "billing_id": text(body, "billing_id"), "phone": null, "ps": ps,
            "receipt_url": null, "card_token": card.map(|c| c.0), "card_pan": card.map(|c| masked(c.1)),
            "split": body.get("split").filter(|s| s.is_array()), "ofd": body.get("ofd").filter(|o| o.is_array()),
            "otp_hash": if needs_otp { Some(hex(32)) } else { None }, "payment_time": null, "refund_time": null,
            "added_on": now, "store": store(),
            "checkout_url": if kind == PaymentKind::App { Some(format!("{base_url}/sandbox/app/{uuid}")) } else { None },
            "device_details": body.get("device_details").filter(|d| d.is_object()),
        });
        let history = vec![(now.to_string(), PaymentStatus::Draft)];
        Self { fields, status: PaymentStatus::Draft, kind, needs_otp, refunded: 0, created: at, history }
    }

    /// Its uuid.
    pub(crate) fn uuid(&self) -> String {
        self.fields["uuid"].as_str().unwrap_or_default().to_string()
    }

    /// The answer Multicard gives for it.
    pub(crate) fn model(&self) -> Value {
        let mut model = self.fields.clone();
        model["status"] = json!(self.status);
        model
    }

    /// Adds its status to its history at `now` when it changed since the
    /// last entry.
    pub(crate) fn note_status(&mut self, now: &str) {
        if self.history.last().map(|(_, status)| *status) != Some(self.status) {
            self.history.push((now.to_string(), self.status));
        }
    }

    /// `payment_amount`.
    pub(crate) fn amount(&self) -> i64 {
        self.fields["payment_amount"].as_i64().unwrap_or_default()
    }

    /// Records the debit that paid it (or paid it out) at `now`.
    pub(crate) fn paid(&mut self, uuid: &str, base_url: &str, now: &str) {
        self.fields["payment_time"] = json!(now);
        if self.kind.is_payout() {
            self.fields["ps_id"] = json!(hex(10));
            self.fields["ps_uniq_id"] = json!(hex(12));
            self.fields["receipt_url"] = json!(format!("{base_url}/sandbox/credit/check/{uuid}"));
        } else {
            self.fields["otp_hash"] = Value::Null;
            self.fields["ps_uniq_id"] = json!(hex(12));
            self.fields["receipt_url"] = json!(format!("{base_url}/sandbox/receipt/{uuid}"));
        }
    }

    /// Its success callback, when it has a `callback_url` (a payout sends
    /// none).
    pub(crate) fn success_callback(&self, uuid: &str, secret: &str) -> Option<Outgoing> {
        let model = self.model();
        let url = model["callback_url"].as_str().filter(|u| !u.is_empty() && !self.kind.is_payout())?;
        let amount = self.amount();
        let invoice_id = model["store_invoice_id"].as_str().unwrap_or_default();
        Some(Outgoing {
            kind: CallbackKind::Success,
            url: url.to_string(),
            // As production sends it (issue 12), not as documented: this
            // field order, `store_id` a JSON integer whatever the payment
            // was created with, `invoice_uuid` equal to `uuid`, a null
            // `billing_id`, no `status`.
            body: json!({
                "store_id": STORE_ID, "amount": amount, "invoice_id": invoice_id, "invoice_uuid": uuid,
                "billing_id": null, "payment_time": model["payment_time"], "phone": "998901234567",
                "card_pan": model["card_pan"], "card_token": model["card_token"], "ps": model["ps"], "uuid": uuid,
                "receipt_url": model["receipt_url"],
                "sign": success_signature(&STORE_ID.to_string(), invoice_id, amount, secret),
            }),
            payment: Some(uuid.to_string()),
        })
    }

    /// The status webhook for its current status, when webhooks are
    /// `enabled` and it has a callback URL (a payout sends none).
    pub(crate) fn webhook(&self, uuid: &str, enabled: bool, secret: &str) -> Option<Outgoing> {
        let model = self.model();
        let url = model["callback_url"].as_str().filter(|u| enabled && !u.is_empty() && !self.kind.is_payout())?;
        let amount = self.amount();
        let invoice_id = model["store_invoice_id"].as_str().unwrap_or_default();
        Some(Outgoing {
            kind: CallbackKind::Webhook,
            url: url.to_string(),
            body: json!({
                "uuid": uuid, "amount": amount, "invoice_id": invoice_id, "status": model["status"],
                "billing_id": model["billing_id"], "payment_time": model["payment_time"], "refund_time": model["refund_time"],
                "phone": "998901234567", "card_pan": model["card_pan"], "ps": model["ps"], "card_token": model["card_token"],
                "receipt_url": model["receipt_url"], "sign": webhook_signature(uuid, invoice_id, amount, secret),
            }),
            payment: None,
        })
    }
}
