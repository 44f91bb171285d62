//! Signed callback bodies for tests (yours and ours), so nobody
//! hand-computes an MD5 in a test.
//!
//! [`success_body`] and [`SuccessCallback`] write the success callback the
//! way production sends it, which is not the vendor's documented example:
//! the fields in production's order, `store_id` a JSON integer, an
//! `invoice_uuid` equal to `uuid`, `billing_id: null`, no `status`, and a
//! 22-character mixed-case `card_token`.

use serde_json::{Value, json};

use super::verify::sign_text;
use super::webhook_signature;
use crate::types::StoreId;

/// A production-style card token: 22 mixed-case letters and digits (the
/// vendor's documents show 24 hex digits; nothing may rely on either).
pub const PRODUCTION_CARD_TOKEN: &str = "T7kQ2mZp9XcV4bN8wLr3Ds";

/// A payment-success callback body, as production sends it, signed with
/// `secret`.
pub fn success_body(store_id: i64, invoice_id: &str, amount: i64, uuid: &str, secret: &str) -> Vec<u8> {
    SuccessCallback::new(store_id, invoice_id, amount, uuid).signed(secret)
}

/// A payment-success callback to sign, starting from production's shape;
/// fields can be changed, added or left out, and keep their place.
///
/// ```
/// use multicard_api::callbacks::{Verifier, testing::SuccessCallback};
///
/// let uuid = "e60d8ebc-b9fe-11ef-b159-005056b4367d";
/// // A store UUID as the store id, sent as a string: the signature covers the string.
/// let body = SuccessCallback::new("0b9c0c4e-8a8f-11ef-9a1b-00505680eaf6", "order-42", 150_000, uuid)
///     .set("phone", serde_json::Value::Null)
///     .signed("my-secret");
/// let callback = Verifier::new("my-secret").unwrap().verify_success(&body).expect("genuine");
/// assert_eq!(callback.store_id.as_i64(), None);
/// assert_eq!(callback.invoice_uuid.as_deref(), Some(uuid));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SuccessCallback {
    fields: Vec<(String, Value)>,
}

impl SuccessCallback {
    /// Production's success callback for one payment (field order `store_id,
    /// amount, invoice_id, invoice_uuid, billing_id, payment_time, phone,
    /// card_pan, card_token, ps, uuid, receipt_url, sign`). `store_id` is
    /// written as given: an integer (production) or a string.
    pub fn new(store_id: impl Into<StoreId>, invoice_id: &str, amount: i64, uuid: &str) -> Self {
        let store_id = match store_id.into() {
            StoreId::Integer(id) => json!(id),
            StoreId::String(text) => json!(text),
        };
        let fields = [
            ("store_id", store_id),
            ("amount", json!(amount)),
            ("invoice_id", json!(invoice_id)),
            ("invoice_uuid", json!(uuid)),
            ("billing_id", Value::Null),
            ("payment_time", json!("2024-12-14 14:36:31")),
            ("phone", json!("998901234567")),
            ("card_pan", json!("860030******5959")),
            ("card_token", json!(PRODUCTION_CARD_TOKEN)),
            ("ps", json!("uzcard")),
            ("uuid", json!(uuid)),
            ("receipt_url", json!(format!("https://checkout.multicard.uz/check/{uuid}"))),
            ("sign", Value::Null),
        ];
        Self { fields: fields.into_iter().map(|(name, value)| (name.to_string(), value)).collect() }
    }

    /// Sets `field` (in its place, or last before `sign` when new).
    pub fn set(mut self, field: &str, value: impl Into<Value>) -> Self {
        let value = value.into();
        match self.fields.iter_mut().find(|(name, _)| name == field) {
            Some((_, slot)) => *slot = value,
            None => {
                let at = self.fields.iter().position(|(name, _)| name == "sign").unwrap_or(self.fields.len());
                self.fields.insert(at, (field.to_string(), value));
            }
        }
        self
    }

    /// Leaves `field` out.
    pub fn without(mut self, field: &str) -> Self {
        self.fields.retain(|(name, _)| name != field);
        self
    }

    /// The field names, in the order they are written.
    pub fn field_names(&self) -> Vec<&str> {
        self.fields.iter().map(|(name, _)| name.as_str()).collect()
    }

    /// The body, with `sign` computed over its `store_id`, `invoice_id` and
    /// `amount` as they are written (a string's content, a number's JSON
    /// text: `"1000.00"` is signed as `1000.00`), unless `sign` was left
    /// out; written in this field order whatever JSON map the build uses.
    pub fn signed(mut self, secret: &str) -> Vec<u8> {
        let value = |field: &str| self.fields.iter().find(|(name, _)| name == field).map(|(_, v)| v.clone());
        let text: String =
            ["store_id", "invoice_id", "amount"].map(|field| plain(&value(field).unwrap_or(Value::Null))).concat();
        let sign = sign_text(false, &text, secret);
        if let Some((_, slot)) = self.fields.iter_mut().find(|(name, _)| name == "sign") {
            *slot = Value::String(sign);
        }
        self.to_json().into_bytes()
    }

    /// The body as it stands (unsigned until [`SuccessCallback::signed`]).
    pub fn to_json(&self) -> String {
        let members: Vec<String> =
            self.fields.iter().map(|(name, value)| format!("{}:{}", Value::String(name.clone()), value)).collect();
        format!("{{{}}}", members.join(","))
    }
}

/// A status-change webhook body signed with `secret`.
pub fn webhook_body(uuid: &str, invoice_id: &str, amount: i64, status: &str, secret: &str) -> Vec<u8> {
    let sign = webhook_signature(uuid, invoice_id, amount, secret);
    json!({
        "uuid": uuid, "amount": amount, "invoice_id": invoice_id, "status": status,
        "billing_id": null, "payment_time": "2024-12-14 14:36:31", "refund_time": null, "phone": "998901234567",
        "card_pan": "860030******5959", "ps": "uzcard", "card_token": PRODUCTION_CARD_TOKEN,
        "receipt_url": null, "sign": sign,
    })
    .to_string()
    .into_bytes()
}

/// Signs any success-callback JSON object in place: its `sign` is set
/// from its `store_id`, `invoice_id` and `amount` as they are written (a
/// string's content, a number's JSON text).
pub fn sign_success(payload: &mut Value, secret: &str) {
    let text = ["store_id", "invoice_id", "amount"].map(|field| plain(&payload[field])).concat();
    payload["sign"] = Value::String(sign_text(false, &text, secret));
}

/// Signs any webhook JSON object in place, from its `uuid`, `invoice_id`
/// and `amount` as they are written.
pub fn sign_webhook(payload: &mut Value, secret: &str) {
    let text = ["uuid", "invoice_id", "amount"].map(|field| plain(&payload[field])).concat();
    payload["sign"] = Value::String(sign_text(true, &text, secret));
}

/// A field as it enters the signed text: a string's content, anything else
/// as its JSON text.
fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
