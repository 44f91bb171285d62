//! Informative fields that did not decode.
//!
//! A nested object that only informs (a payment's `store`, `clearing`,
//! `tax`, `application`, `details`: the spec lists them per type as
//! `x-informative-fields`) never sinks an answer. When one does not fit its
//! type, the field is left empty, a `tracing` warning names the operation and
//! the field (never its value), and the raw value is kept for the caller:
//! [`Multicard::unreadable_fields`](crate::Multicard::unreadable_fields)
//! returns the most recent ones.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Deserialize;
use serde::de::DeserializeOwned;

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
            let inner = error.path().to_string();
            let field = if inner == "." { format!("{schema}.{field}") } else { format!("{schema}.{field}.{inner}") };
            let reason = crate::scrub::clean(&error.into_inner().to_string());
            let operation = crate::attempt::current_operation();
            // Through `Multicard::send`, the drift signals report it (once
            // per process); the generated client used alone warns here.
            if operation.is_none() {
                tracing::warn!(
                    target: "multicard::decode",
                    field = %field,
                    "an informative field did not decode and was left empty"
                );
            }
            crate::attempt::record_unreadable(UnreadableField {
                operation,
                field,
                reason,
                value: crate::error::RawData::new(value),
            });
            None
        }
    }
}
