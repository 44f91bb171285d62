//! What every API group of the sandbox shares: the values it makes
//! (identifiers, masked PANs, timestamps), how it reads request bodies and
//! path parameters, and the answers it gives for what is missing.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Answer;
use crate::time::MulticardDateTime;

/// Now, as Multicard writes it (GMT+5, no offset).
pub(super) fn now() -> String {
    MulticardDateTime::from_utc(chrono::Utc::now()).to_string()
}

/// `len` random lowercase hex digits.
pub(super) fn hex(len: usize) -> String {
    (0..len).map(|_| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0')).collect()
}

/// A uuid shaped like Multicard's (version 1, as its database makes them).
pub(super) fn new_uuid() -> String {
    format!("{}-{}-11f0-{}-{}", hex(8), hex(4), hex(4), hex(12))
}

/// A card token as production issues them: 22 letters and digits, mixed
/// case (the vendor's pages show 24 hex digits; real tokens are not hex).
pub(super) fn card_token() -> String {
    loop {
        let token: String = (0..22).map(|_| fastrand::alphanumeric()).collect();
        if token.bytes().any(|b| b.is_ascii_uppercase()) && token.bytes().any(|b| b.is_ascii_lowercase()) {
            return token;
        }
    }
}

/// The first six and last four digits, as Multicard masks a PAN.
pub(super) fn masked(pan: &str) -> String {
    if pan.len() < 10 || !pan.is_ascii() {
        return "*".repeat(pan.chars().count());
    }
    format!("{}******{}", &pan[..6], &pan[pan.len() - 4..])
}

/// The payment system a PAN belongs to.
pub(super) fn payment_system_of(pan: &str) -> &'static str {
    match pan.as_bytes().first() {
        _ if pan.starts_with("8600") || pan.starts_with("5614") => "uzcard",
        _ if pan.starts_with("9860") => "humo",
        Some(b'4') => "visa",
        Some(b'5') => "mastercard",
        _ => "uzcard",
    }
}

/// A field that is a non-blank string or a number, as text.
pub(super) fn text(body: &Value, field: &str) -> Option<String> {
    match body.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// A field that is an integer, or a string holding one.
pub(super) fn integer(body: &Value, field: &str) -> Option<i64> {
    match body.get(field) {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A path parameter (empty when absent; the router never leaves one out).
pub(super) fn param<'a>(params: &'a BTreeMap<&'static str, String>, name: &str) -> &'a str {
    params.get(name).map(String::as_str).unwrap_or_default()
}

/// Multicard's answer to a required field left out.
pub(super) fn missing(field: &str) -> Answer {
    Answer::fields(&format!("Необходимо заполнить «{field}»."))
}

/// `ERROR_NOT_FOUND` under `status`.
pub(super) fn not_found(status: u16) -> Answer {
    Answer::error(status, "ERROR_NOT_FOUND", "Объект не найден")
}

/// `ERROR_CARD_NOT_FOUND` under `status`.
pub(super) fn card_not_found(status: u16) -> Answer {
    Answer::error(status, "ERROR_CARD_NOT_FOUND", "Неверный номер карты или срок действия")
}

/// The value of an `Option`, or the answer that the field is missing.
macro_rules! need {
    ($value:expr, $field:expr) => {
        match $value {
            Some(v) => v,
            None => return ($crate::sandbox::values::missing($field), Vec::new()),
        }
    };
}
pub(super) use need;
