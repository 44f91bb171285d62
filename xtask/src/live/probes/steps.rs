//! The requests the probes share: a fresh payment by the bound card's
//! token, its confirmation, a read, an invoice. Each is sent once: a write
//! whose answer is lost is never sent again, only read.

use serde_json::{Value, json};

use super::relation::failed;
use crate::live::story::{AMOUNT, Reply, TEST_OTP, Walker, ofd};

/// A payment created and not yet confirmed.
pub struct Created {
    /// Its uuid (kept in memory, never shown).
    pub uuid: String,
    /// Confirming it takes the one-time code (`otp_hash` not null).
    pub needs_otp: bool,
}

/// Why a probe could not use the card.
pub const NO_CARD: &str = "no card token learned (the walk could not bind the test card)";

/// The body of a payment of [`AMOUNT`] by the bound card's token with
/// `invoice_id`, and `callback_url` when given.
pub fn payment_body(w: &Walker<'_>, invoice_id: &str, callback_url: Option<&str>) -> Result<Value, String> {
    let token = w.card_token.clone().ok_or(NO_CARD)?;
    let mut body = json!({"card": {"token": token}, "amount": AMOUNT, "store_id": w.target.store_id,
        "invoice_id": invoice_id, "ofd": ofd(AMOUNT)});
    if let Some(url) = callback_url {
        body["callback_url"] = json!(url);
    }
    Ok(body)
}

/// Creates a payment of [`AMOUNT`] by the bound card's token with
/// `invoice_id`, and `callback_url` when given.
pub async fn create_payment(
    w: &mut Walker<'_>,
    invoice_id: &str,
    callback_url: Option<&str>,
) -> Result<Created, String> {
    let body = payment_body(w, invoice_id, callback_url)?;
    let reply = w.send("create_payment", &[], &[], Some(body)).await;
    match reply.learn("/data/uuid").filter(|_| reply.accepted()) {
        Some(uuid) => {
            let needs_otp = reply.body.as_ref().and_then(|b| b.pointer("/data/otp_hash")).is_some_and(|h| !h.is_null());
            Ok(Created { uuid, needs_otp })
        }
        None => Err(failed("create_payment", &reply, &w.sent)),
    }
}

/// Confirms a payment (`{}` for a token payment, the code otherwise).
pub async fn confirm_payment(w: &mut Walker<'_>, created: &Created) -> Result<Reply, String> {
    let body = if created.needs_otp { json!({"otp": TEST_OTP}) } else { json!({}) };
    let reply = w.send("confirm_payment", &[("uuid", &created.uuid)], &[], Some(body)).await;
    if reply.accepted() { Ok(reply) } else { Err(failed("confirm_payment", &reply, &w.sent)) }
}

/// Reads a payment; its `data`.
pub async fn read_payment(w: &mut Walker<'_>, uuid: &str) -> Result<Value, String> {
    let reply = w.send("get_payment", &[("uuid", uuid)], &[], None).await;
    data(reply, "get_payment", &w.sent)
}

/// The `data` of an accepted answer that has one.
pub fn data(reply: Reply, operation: &str, sent: &[String]) -> Result<Value, String> {
    if !reply.accepted() {
        return Err(failed(operation, &reply, sent));
    }
    match reply.body.and_then(|mut b| b.get_mut("data").map(Value::take)) {
        Some(data) if data.is_object() => Ok(data),
        _ => Err(format!("{operation} answered without a data object")),
    }
}

/// Creates an invoice of [`AMOUNT`] with `invoice_id`; the answer.
pub async fn create_invoice(w: &mut Walker<'_>, invoice_id: &str) -> Reply {
    let body = json!({"store_id": w.target.store_id, "amount": AMOUNT, "invoice_id": invoice_id,
        "callback_url": w.target.callback_url, "ofd": ofd(AMOUNT)});
    w.send("create_invoice", &[], &[], Some(body)).await
}

/// Deletes an unpaid invoice (nothing moves).
pub async fn delete_invoice(w: &mut Walker<'_>, uuid: &str) {
    w.send("cancel_invoice", &[("uuid", uuid)], &[], None).await;
}
