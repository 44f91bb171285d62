//! Payments and payouts as the sandbox keeps them: the answer Multicard
//! gives for one (in production's field order), its typed status and kind,
//! and the callbacks it sends (`money.rs` moves it through its statuses).
//!
//! As in production: a payment carries `payment_amount`, `total_amount`,
//! `commission_amount`, `ps` and `payment_time`, and no `amount`; a payment
//! by card token (split or not) answers `otp_hash: null`.

use std::time::Duration;

use multicard_api::callbacks::{success_signature, webhook_signature};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::callbacks::Outgoing;
use super::kinds::{CallbackKind, PaymentKind, PaymentStatus};
use super::values::{hex, masked, new_uuid, store, text};
use crate::config::STORE_ID;

/// A payment or payout.
#[derive(Debug, Serialize, Deserialize)]
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
        Some(Outgoing {
            kind: CallbackKind::Success,
            url: url.to_string(),
            body: success_callback_body(&model, secret).ok()?,
            payment: Some(uuid.to_string()),
        })
    }

    /// The status webhook for its current status, when webhooks are
    /// `enabled` and it has a callback URL (a payout sends none).
    pub(crate) fn webhook(&self, enabled: bool, secret: &str) -> Option<Outgoing> {
        let model = self.model();
        let url = model["callback_url"].as_str().filter(|u| enabled && !u.is_empty() && !self.kind.is_payout())?;
        Some(Outgoing {
            kind: CallbackKind::Webhook,
            url: url.to_string(),
            body: webhook_body(&model, secret).ok()?,
            payment: None,
        })
    }
}

/// The phone the sandbox's payer pays from, as callbacks carry it when the
/// payment names none.
const PAYER_PHONE: &str = "998901234567";

/// A field a callback needs that a payment lacks (or holds in another
/// type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingField(pub &'static str);

impl std::fmt::Display for MissingField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the payment has no `{}` of the type a callback needs", self.0)
    }
}

impl std::error::Error for MissingField {}

/// What both signed callbacks take from a payment: its uuid, invoice id and
/// amount (`payment_amount`, in tiyin), and the phone.
fn signed_fields(payment: &Value) -> Result<(&str, &str, i64, Value), MissingField> {
    let uuid = payment["uuid"].as_str().ok_or(MissingField("uuid"))?;
    let invoice_id = payment["store_invoice_id"].as_str().ok_or(MissingField("store_invoice_id"))?;
    let amount = payment["payment_amount"].as_i64().ok_or(MissingField("payment_amount"))?;
    let phone = payment.get("phone").filter(|p| p.is_string()).cloned().unwrap_or_else(|| json!(PAYER_PHONE));
    Ok((uuid, invoice_id, amount, phone))
}

/// The success callback Multicard sends for `payment` (a payment as
/// `get_payment` answers it: `uuid`, `store_id`, `store_invoice_id`,
/// `payment_amount` and the card, time and receipt fields), signed with
/// `secret`.
///
/// As production sends it (issue 12), not as documented: this field
/// order, `store_id` a JSON integer, `invoice_uuid` equal to `uuid`, a
/// null `billing_id`, no `status`.
pub fn success_callback_body(payment: &Value, secret: &str) -> Result<Value, MissingField> {
    let (uuid, invoice_id, amount, phone) = signed_fields(payment)?;
    let store_id = payment["store_id"].as_i64().ok_or(MissingField("store_id"))?;
    Ok(json!({
        "store_id": store_id, "amount": amount, "invoice_id": invoice_id, "invoice_uuid": uuid,
        "billing_id": null, "payment_time": payment["payment_time"], "phone": phone,
        "card_pan": payment["card_pan"], "card_token": payment["card_token"], "ps": payment["ps"], "uuid": uuid,
        "receipt_url": payment["receipt_url"],
        "sign": success_signature(&store_id.to_string(), invoice_id, amount, secret),
    }))
}

/// The status webhook Multicard sends for `payment` in its current
/// `status`, signed with `secret`.
pub fn webhook_body(payment: &Value, secret: &str) -> Result<Value, MissingField> {
    let (uuid, invoice_id, amount, phone) = signed_fields(payment)?;
    Ok(json!({
        "uuid": uuid, "amount": amount, "invoice_id": invoice_id, "status": payment["status"],
        "billing_id": payment["billing_id"], "payment_time": payment["payment_time"],
        "refund_time": payment["refund_time"], "phone": phone, "card_pan": payment["card_pan"], "ps": payment["ps"],
        "card_token": payment["card_token"], "receipt_url": payment["receipt_url"],
        "sign": webhook_signature(uuid, invoice_id, amount, secret),
    }))
}
