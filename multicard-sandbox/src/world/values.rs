//! What every API group of the sandbox shares: the values it makes
//! (identifiers, masked PANs) and how it reads request bodies. Times come
//! from the sandbox's clock (`World::stamp`), never from the wall clock.

use serde_json::Value;

use crate::config::{STORE_ID, STORE_UUID};

/// `len` random lowercase hex digits.
pub(crate) fn hex(len: usize) -> String {
    (0..len).map(|_| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0')).collect()
}

/// The apps a payment can be made in (the API's `payment_system`).
pub(crate) const APPS: [&str; 10] =
    ["payme", "click", "uzum", "anorbank", "alif", "oson", "xazna", "beepul", "trastpay", "sbp"];

/// A uuid shaped like Multicard's (version 1, as its database makes them).
pub fn new_uuid() -> String {
    format!("{}-{}-11f0-{}-{}", hex(8), hex(4), hex(4), hex(12))
}

/// A card token as production issues them: 22 letters and digits, mixed
/// case (the vendor's pages show 24 hex digits; real tokens are not hex).
pub(crate) fn card_token() -> String {
    loop {
        let token: String = (0..22).map(|_| fastrand::alphanumeric()).collect();
        if token.bytes().any(|b| b.is_ascii_uppercase()) && token.bytes().any(|b| b.is_ascii_lowercase()) {
            return token;
        }
    }
}

/// The first six and last four digits, as Multicard masks a PAN.
pub(crate) fn masked(pan: &str) -> String {
    if pan.len() < 10 || !pan.is_ascii() {
        return "*".repeat(pan.chars().count());
    }
    format!("{}******{}", &pan[..6], &pan[pan.len() - 4..])
}

/// The payment system a PAN belongs to.
pub(crate) fn payment_system_of(pan: &str) -> &'static str {
    match pan.as_bytes().first() {
        _ if pan.starts_with("8600") || pan.starts_with("5614") => "uzcard",
        _ if pan.starts_with("9860") => "humo",
        Some(b'4') => "visa",
        Some(b'5') => "mastercard",
        _ => "uzcard",
    }
}

/// A field that is a non-blank string or a number, as text.
pub(crate) fn text(body: &Value, field: &str) -> Option<String> {
    match body.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// A field that is an integer, or a string holding one.
pub(crate) fn integer(body: &Value, field: &str) -> Option<i64> {
    match body.get(field) {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The sandbox's store, as Multicard writes it inside a payment or an
/// application.
pub(crate) fn store() -> Value {
    serde_json::json!({"id": STORE_ID, "uuid": STORE_UUID, "title": "Sandbox store", "category_id": null, "note": null,
        "logo": null, "color": null, "tax_registration": 0, "qr_url": "", "bg_img": ""})
}

/// `true` when `store` (an id or a uuid) is the sandbox's store.
pub(crate) fn is_our_store(store: &str) -> bool {
    store == STORE_ID.to_string() || store == STORE_UUID
}
