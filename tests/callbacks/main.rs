//! Callbacks: signatures (known vectors and properties), malformed bodies,
//! secrets and replies (`signatures`); signed fields verified as sent and
//! unsigned ones read leniently (`lenient`); what every refusal is answered
//! and logged (`answers`); confirmation against the API and the confirming
//! extractor (`confirm`); `billing`, amounts, the record of decisions and one
//! delivery per payment at a time (`billing`); the axum extractors and how
//! they read bodies, end to end on loopback (`extractors`); the success
//! callback as production sends it, verified and confirmed against the
//! sandbox (`production`); the money decisions end to end against the
//! sandbox under every frozen-payment setting (`sandbox_matrix`).

mod answers;
mod billing;
mod confirm;
mod extractors;
mod fulfilment;
mod lenient;
mod production;
mod sandbox_matrix;
mod signatures;
mod source;

use serde_json::{Value, json};

const SECRET: &str = "Pw18axeBFo8V7NamKHXX";
const UUID: &str = "e60d8ebc-b9fe-11ef-b159-005056b4367d";

fn body(value: &Value) -> Vec<u8> {
    value.to_string().into_bytes()
}

fn success(store_id: Value, invoice_id: &str, amount: Value, sign: &str) -> Vec<u8> {
    body(&json!({"store_id": store_id, "invoice_id": invoice_id, "amount": amount, "uuid": UUID, "sign": sign}))
}

/// `get_payment`'s answer for payment `UUID`.
fn payment_json(amount: i64, invoice: &str, status: &str) -> Value {
    json!({"success": true, "data": {"id": 1, "uuid": UUID, "store_id": 6, "payment_amount": amount,
        "store_invoice_id": invoice, "status": status}})
}
