//! Signed callback bodies for tests (yours and ours), so nobody
//! hand-computes an MD5 in a test.

use serde_json::{Value, json};

use super::{success_signature, webhook_signature};

/// A payment-success callback body signed with `secret`.
pub fn success_body(store_id: i64, invoice_id: &str, amount: i64, uuid: &str, secret: &str) -> Vec<u8> {
    let sign = success_signature(&store_id.to_string(), invoice_id, amount, secret);
    json!({
        "store_id": store_id, "amount": amount, "invoice_id": invoice_id, "uuid": uuid,
        "billing_id": null, "payment_time": "2024-12-14 14:36:31", "phone": "998901234567",
        "card_pan": "860030******5959", "ps": "uzcard", "card_token": "6225f3c93f7a880142782fa4",
        "receipt_url": format!("https://checkout.multicard.uz/check/{uuid}"), "sign": sign,
    })
    .to_string()
    .into_bytes()
}

/// A status-change webhook body signed with `secret`.
pub fn webhook_body(uuid: &str, invoice_id: &str, amount: i64, status: &str, secret: &str) -> Vec<u8> {
    let sign = webhook_signature(uuid, invoice_id, amount, secret);
    json!({
        "uuid": uuid, "amount": amount, "invoice_id": invoice_id, "status": status,
        "billing_id": null, "payment_time": "2024-12-14 14:36:31", "refund_time": null, "phone": "998901234567",
        "card_pan": "860030******5959", "ps": "uzcard", "card_token": "6225f3c93f7a880142782fa4",
        "receipt_url": null, "sign": sign,
    })
    .to_string()
    .into_bytes()
}

/// Signs any success-callback JSON object in place (its `sign` is set
/// from its `store_id`, `invoice_id` and `amount`, which must be plain).
pub fn sign_success(payload: &mut Value, secret: &str) {
    let sign = success_signature(
        &plain(&payload["store_id"]),
        &plain(&payload["invoice_id"]),
        amount(&payload["amount"]),
        secret,
    );
    payload["sign"] = Value::String(sign);
}

/// Signs any webhook JSON object in place.
pub fn sign_webhook(payload: &mut Value, secret: &str) {
    let sign =
        webhook_signature(&plain(&payload["uuid"]), &plain(&payload["invoice_id"]), amount(&payload["amount"]), secret);
    payload["sign"] = Value::String(sign);
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn amount(value: &Value) -> i64 {
    value.as_i64().or_else(|| value.as_f64().map(|f| f as i64)).unwrap_or_default()
}
