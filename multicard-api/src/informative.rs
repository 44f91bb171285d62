//! Informative fields that did not decode.
//!
//! A nested object that only informs (a payment's `store`, `clearing`,
//! `tax`, `application`, `details`: the spec lists them per type as
//! `x-informative-fields`) never sinks an answer. When one does not fit its
//! type, the field is left empty, a `tracing` warning names the operation and
//! the field (never its value), and the raw value is kept for the caller:
//! [`Multicard::unreadable_fields`](crate::Multicard::unreadable_fields)
//! returns the most recent ones.
//!
//! A nested object the SDK or a caller decides on is not informative: an
//! invoice's `payment` says whether the invoice is paid, and reading one
//! that did not decode as "no payment" would credit or cancel wrongly. Such
//! a field (the spec lists them as `x-exact-fields`) has the type [`Exact`]:
//! absent, present, or unreadable, with what did not decode and where. It
//! is reported like an informative field, and never sinks the answer.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// How many unreadable fields a client keeps (the oldest go first).
pub const KEPT: usize = 32;

pub use crate::attempt::UnreadableField;

/// The most recent unreadable fields of one client.
#[derive(Debug, Default)]
pub(crate) struct Unreadable(Mutex<VecDeque<UnreadableField>>);

impl Unreadable {
    pub(crate) fn push(&self, field: UnreadableField) {
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() == KEPT {
            kept.pop_front();
        }
        kept.push_back(field);
    }

    pub(crate) fn snapshot(&self) -> Vec<UnreadableField> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect()
    }
}

/// Decodes an optional informative field; one that does not fit is `None`.
pub(crate) fn read_optional<'de, D, T>(
    deserializer: D,
    schema: &'static str,
    field: &'static str,
) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    if value.is_null() {
        return Ok(None);
    }
    Ok(fit(value, schema, field))
}

fn fit<T: DeserializeOwned>(value: serde_json::Value, schema: &'static str, field: &'static str) -> Option<T> {
    match serde_path_to_error::deserialize::<_, T>(&value) {
        Ok(decoded) => Some(decoded),
        Err(error) => {
            let unreadable = unreadable(value, error, schema, field);
            // Through `Multicard::send`, the drift signals report it (once
            // per process); the generated client used alone warns here.
            if unreadable.operation.is_none() {
                tracing::warn!(
                    target: "multicard::decode",
                    field = %unreadable.field,
                    "an informative field did not decode and was left empty"
                );
            }
            crate::attempt::record_unreadable(unreadable);
            None
        }
    }
}

/// What did not decode, where, and why (card numbers masked).
fn unreadable(
    value: serde_json::Value,
    error: serde_path_to_error::Error<serde_json::Error>,
    schema: &'static str,
    field: &'static str,
) -> UnreadableField {
    let inner = error.path().to_string();
    let field = if inner == "." { format!("{schema}.{field}") } else { format!("{schema}.{field}.{inner}") };
    let reason = crate::scrub::clean(&error.into_inner().to_string());
    UnreadableField {
        operation: crate::attempt::current_operation(),
        field,
        reason,
        value: crate::error::RawData::new(value),
    }
}

/// An optional nested object read exactly (`x-exact-fields` in the spec):
/// an invoice's `payment`. Unlike an `Option`, it cannot say "none" for a
/// value that was there but did not decode.
///
/// ```
/// use multicard_api::informative::Exact;
/// use multicard_api::types::Invoice;
///
/// fn describe(invoice: &Invoice) -> &'static str {
///     match &invoice.payment {
///         Exact::Absent => "no payment yet",
///         Exact::Present(payment) => "a payment: read its status",
///         Exact::Unreadable(_) => "a payment the SDK cannot read: paid or not is unknown",
///         _ => "unknown",
///     }
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub enum Exact<T> {
    /// Absent or `null`: there is none.
    #[default]
    Absent,
    /// Present, and decoded.
    Present(Box<T>),
    /// Present, but it does not fit its type: what it says is unknown. The
    /// field's path (e.g. `Invoice.payment.status`), why it did not decode,
    /// and the raw value. Also reported by
    /// [`Multicard::unreadable_fields`](crate::Multicard::unreadable_fields)
    /// and the drift signals.
    Unreadable(Box<UnreadableField>),
}

impl<T> Exact<T> {
    /// `true` only for [`Exact::Absent`] (for `skip_serializing_if`).
    pub(crate) fn is_absent(&self) -> bool {
        matches!(self, Exact::Absent)
    }
}

/// Written back as it came: absent as `null`, a decoded value as its type
/// writes it, an unreadable one as its raw JSON.
impl<T: Serialize> Serialize for Exact<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Exact::Absent => serializer.serialize_none(),
            Exact::Present(value) => value.serialize(serializer),
            Exact::Unreadable(field) => field.value.value().serialize(serializer),
        }
    }
}

/// Decodes an exact field: `null` is absent, a value that does not fit is
/// unreadable (and reported as an informative field is).
pub(crate) fn read_exact<'de, D, T>(
    deserializer: D,
    schema: &'static str,
    field: &'static str,
) -> Result<Exact<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: DeserializeOwned,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    if value.is_null() {
        return Ok(Exact::Absent);
    }
    match serde_path_to_error::deserialize::<_, T>(&value) {
        Ok(decoded) => Ok(Exact::Present(Box::new(decoded))),
        Err(error) => {
            let unreadable = unreadable(value, error, schema, field);
            if unreadable.operation.is_none() {
                tracing::warn!(
                    target: "multicard::decode",
                    field = %unreadable.field,
                    "an exact field did not decode and was kept as unreadable"
                );
            }
            crate::attempt::record_unreadable(unreadable.clone());
            Ok(Exact::Unreadable(Box::new(unreadable)))
        }
    }
}
