//! After the signature holds: the signed fields converted, the rest read
//! leniently. An informative field that does not decode is left out (with
//! a warning naming it, never quoting it); it never sinks the callback.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;
use serde_json::value::RawValue;

use super::raw::{self, Members, SignedFields, canonical_amount};
use super::{CallbackError, CardBindingCallback, PaymentStatusWebhook, PaymentSuccessCallback};
use crate::time::{MulticardDateTime, multicard_offset};
use crate::types::{PaymentService, PaymentStatus, StoreId};

/// The success callback, once its signature holds.
pub(super) fn success(
    members: &Members<'_>,
    signed: SignedFields<'_>,
) -> Result<PaymentSuccessCallback, CallbackError> {
    let store_id = match signed.first {
        raw::Signed::Text(text) => StoreId::String(text),
        raw::Signed::Number(literal) => {
            literal.parse::<i64>().map(StoreId::Integer).map_err(|_| CallbackError::WrongType {
                field: "store_id",
                expected: "an integer or a string",
                found: "a number that is not a 64-bit integer",
            })?
        }
    };
    let amount = amount(&signed.amount)?;
    let invoice_id = signed.invoice_id.into_identifier("invoice_id")?;
    let invoice_uuid = identifier(members, "invoice_uuid")?;
    let uuid = match (identifier(members, "uuid")?, &invoice_uuid) {
        (Some(uuid), Some(other)) if uuid != *other => {
            return Err(CallbackError::AmbiguousPayment { reason: "`uuid` and `invoice_uuid` differ" });
        }
        (Some(uuid), _) => uuid,
        (None, Some(other)) => other.clone(),
        (None, None) => {
            return Err(CallbackError::AmbiguousPayment { reason: "neither `uuid` nor `invoice_uuid` is given" });
        }
    };
    Ok(PaymentSuccessCallback {
        amount,
        billing_id: informative(members, "billing_id", text_or_number),
        card_pan: informative(members, "card_pan", text),
        card_token: informative(members, "card_token", text),
        invoice_id,
        invoice_uuid,
        payment_time: informative(members, "payment_time", date_time),
        phone: informative(members, "phone", text_or_number),
        ps: informative(members, "ps", |raw| text(raw).map(|ps| PaymentService::from(ps.as_str()))),
        receipt_url: informative(members, "receipt_url", receipt),
        sign: sign(members)?,
        store_id,
        uuid,
    })
}

/// The status webhook, once its signature holds. Its `status` is required
/// (a string; one this SDK does not know is kept as sent).
pub(super) fn webhook(members: &Members<'_>, signed: SignedFields<'_>) -> Result<PaymentStatusWebhook, CallbackError> {
    let status = match members.get("status")? {
        None => return Err(CallbackError::MissingField { field: "status" }),
        Some(raw) => text(raw).map(|status| PaymentStatus::from(status.as_str())).ok_or(CallbackError::WrongType {
            field: "status",
            expected: "a string",
            found: raw::json_type(raw),
        })?,
    };
    Ok(PaymentStatusWebhook {
        amount: amount(&signed.amount)?,
        billing_id: informative(members, "billing_id", text_or_number),
        card_pan: informative(members, "card_pan", text),
        card_token: informative(members, "card_token", text),
        invoice_id: signed.invoice_id.into_identifier("invoice_id")?,
        payment_time: informative(members, "payment_time", date_time),
        phone: informative(members, "phone", text_or_number),
        ps: informative(members, "ps", |raw| text(raw).map(|ps| PaymentService::from(ps.as_str()))),
        receipt_url: informative(members, "receipt_url", receipt),
        refund_time: informative(members, "refund_time", date_time),
        sign: sign(members)?,
        status,
        uuid: signed.first.into_identifier("uuid")?,
    })
}

/// The card-binding callback (unsigned): its own type's decoder, with an
/// error that names the field and never quotes the value.
pub(super) fn card_binding(body: &[u8]) -> Result<CardBindingCallback, CallbackError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = shown(&error.path().to_string());
        let inner = error.inner().to_string();
        let message = match inner.strip_prefix("missing field `") {
            Some(rest) => format!("`{}` is missing", shown(rest.split('`').next().unwrap_or_default())),
            None => format!("`{path}` has a type or value that does not fit"),
        };
        CallbackError::Decode { message }
    })
}

/// A path or name for a message: control characters escaped, cut to 64
/// characters.
fn shown(text: &str) -> String {
    text.chars().take(64).flat_map(char::escape_debug).collect()
}

fn amount(amount: &raw::Signed<'_>) -> Result<i64, CallbackError> {
    canonical_amount(amount)?
        .parse::<i64>()
        .map_err(|_| CallbackError::InvalidAmount { found: amount.json_type(), reason: "is too large" })
}

fn sign(members: &Members<'_>) -> Result<String, CallbackError> {
    members.get("sign")?.and_then(text).ok_or(CallbackError::MissingField { field: "sign" })
}

/// An identifying field other than the signed ones: absent or `null` is
/// `None`; a non-empty string is kept; anything else is refused (an
/// identity is never guessed).
fn identifier(members: &Members<'_>, field: &'static str) -> Result<Option<String>, CallbackError> {
    let Some(raw) = members.get(field)? else { return Ok(None) };
    match text(raw) {
        Some(value) if !value.trim().is_empty() => Ok(Some(value)),
        Some(_) => Err(CallbackError::WrongType { field, expected: "a non-empty string", found: "an empty string" }),
        None => Err(CallbackError::WrongType { field, expected: "a non-empty string", found: raw::json_type(raw) }),
    }
}

/// An informative field, decoded by `decode`; one that does not decode is
/// left out, with a warning that names it.
fn informative<T>(members: &Members<'_>, field: &'static str, decode: impl Fn(&RawValue) -> Option<T>) -> Option<T> {
    let raw = match members.get(field) {
        Ok(raw) => raw?,
        Err(_) => {
            tracing::warn!(target: "multicard::callbacks", field, "informative callback field given twice; left out");
            return None;
        }
    };
    let decoded = decode(raw);
    if decoded.is_none() {
        let found = raw::json_type(raw);
        tracing::warn!(target: "multicard::callbacks", field, found, "informative callback field does not decode; left out");
    }
    decoded
}

fn text(raw: &RawValue) -> Option<String> {
    serde_json::from_str::<String>(raw.get()).ok()
}

/// A string, or a number as its literal (`billing_id`, `phone`).
fn text_or_number(raw: &RawValue) -> Option<String> {
    match raw::json_type(raw) {
        "a number" => Some(raw.get().to_string()),
        _ => text(raw),
    }
}

/// `receipt_url`: a string, or an object or array kept as its compact
/// JSON text.
fn receipt(raw: &RawValue) -> Option<String> {
    match raw::json_type(raw) {
        "an object" | "an array" => serde_json::from_str::<Value>(raw.get()).ok().map(|value| value.to_string()),
        _ => text(raw),
    }
}

/// A time in any form Multicard has been seen to write: `YYYY-MM-DD
/// HH:MM:SS` (GMT+5), with milliseconds, or ISO 8601 with a `T`, with or
/// without a fraction and a zone (none means GMT+5).
fn date_time(raw: &RawValue) -> Option<MulticardDateTime> {
    parse_date_time(text(raw)?.trim())
}

fn parse_date_time(text: &str) -> Option<MulticardDateTime> {
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Some(MulticardDateTime::from_utc(instant.with_timezone(&Utc)));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(instant) = DateTime::parse_from_str(text, format) {
            return Some(MulticardDateTime::from_utc(instant.with_timezone(&Utc)));
        }
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            let instant = multicard_offset().from_local_datetime(&naive).single()?;
            return Some(MulticardDateTime::from_utc(instant.with_timezone(&Utc)));
        }
    }
    None
}
