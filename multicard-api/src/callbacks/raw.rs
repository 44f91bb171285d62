//! The body as it was sent: each member of the JSON object as its raw JSON
//! text, so that the signed fields are checked as Multicard wrote them and
//! nothing is converted before the signature holds.

use std::fmt;

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_json::value::RawValue;

use super::CallbackError;

/// The members of a callback body, in the order sent, each as raw JSON.
pub(super) struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'a> Members<'a> {
    /// Reads `body` as one JSON object. Nothing in an error is taken from
    /// the body: serde_json's syntax errors name a line and column only.
    pub(super) fn parse(body: &'a [u8]) -> Result<Self, CallbackError> {
        let text = std::str::from_utf8(body).map_err(|error| CallbackError::MalformedJson {
            message: format!("not UTF-8 (an invalid byte at offset {})", error.valid_up_to()),
        })?;
        if text.trim_start().starts_with('{') {
            let mut deserializer = serde_json::Deserializer::from_str(text);
            let members = Members::deserialize(&mut deserializer).map_err(malformed)?;
            deserializer.end().map_err(malformed)?;
            return Ok(members);
        }
        // Not an object: valid JSON of another kind, or not JSON at all.
        // (Deserializing it as an object would quote it in the error.)
        match serde_json::from_str::<serde::de::IgnoredAny>(text) {
            Ok(_) => Err(CallbackError::NotAnObject),
            Err(error) => Err(malformed(error)),
        }
    }

    /// The member `name`: `None` when it is absent or `null`. A name given
    /// twice is refused, whichever value each has.
    pub(super) fn get(&self, name: &'static str) -> Result<Option<&'a RawValue>, CallbackError> {
        let mut found = self.0.iter().filter(|(key, _)| key == name).map(|(_, raw)| *raw);
        let first = found.next();
        if found.next().is_some() {
            return Err(CallbackError::DuplicateField { field: name });
        }
        Ok(first.filter(|raw| raw.get() != "null"))
    }
}

fn malformed(error: serde_json::Error) -> CallbackError {
    CallbackError::MalformedJson { message: error.to_string() }
}

impl<'de> Deserialize<'de> for Members<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object;

        impl<'de> Visitor<'de> for Object {
            type Value = Members<'de>;

            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, &'de RawValue>()? {
                    members.push((key, value));
                }
                Ok(Members(members))
            }
        }

        deserializer.deserialize_map(Object)
    }
}

/// What a raw value is, by its JSON type, for errors that must not quote it.
pub(super) fn json_type(raw: &RawValue) -> &'static str {
    match raw.get().as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// A signed field as it enters the signed text: a JSON string's content
/// (unescaped), or a JSON number's literal as sent.
#[derive(Debug)]
pub(super) enum Signed<'a> {
    /// A string's content.
    Text(String),
    /// A number's literal.
    Number(&'a str),
}

impl Signed<'_> {
    /// The text the signature covers.
    pub(super) fn as_str(&self) -> &str {
        match self {
            Signed::Text(text) => text,
            Signed::Number(literal) => literal,
        }
    }

    /// What was sent, by its JSON type.
    pub(super) fn json_type(&self) -> &'static str {
        match self {
            Signed::Text(_) => "a string",
            Signed::Number(_) => "a number",
        }
    }

    /// The text, when it is an integer written in plain digits (a number
    /// literal, or a string; a string keeps its text whatever it holds).
    pub(super) fn into_identifier(self, field: &'static str) -> Result<String, CallbackError> {
        match self {
            Signed::Text(text) => Ok(text),
            Signed::Number(literal) if is_integer(literal) => Ok(literal.to_string()),
            Signed::Number(_) => Err(CallbackError::WrongType {
                field,
                expected: "a string or an integer",
                found: "a number with a fraction or an exponent",
            }),
        }
    }
}

/// `-?[0-9]+`.
pub(super) fn is_integer(literal: &str) -> bool {
    let digits = literal.strip_prefix('-').unwrap_or(literal);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A signed field, read as sent. Before the signature is checked nothing
/// is converted: only its JSON type is looked at.
pub(super) fn signed<'a>(members: &Members<'a>, field: &'static str) -> Result<Signed<'a>, CallbackError> {
    let raw = members.get(field)?.ok_or(CallbackError::MissingField { field })?;
    match json_type(raw) {
        "a string" => serde_json::from_str::<String>(raw.get())
            .map(Signed::Text)
            .map_err(|error| CallbackError::MalformedJson { message: format!("`{field}`: {error}") }),
        "a number" => Ok(Signed::Number(raw.get())),
        found => Err(CallbackError::WrongType { field, expected: "a string or a number", found }),
    }
}

/// The three signed fields of a callback, as sent.
pub(super) struct SignedFields<'a> {
    /// `store_id` (success) or `uuid` (webhook).
    pub(super) first: Signed<'a>,
    /// `invoice_id`.
    pub(super) invoice_id: Signed<'a>,
    /// `amount`.
    pub(super) amount: Signed<'a>,
}

/// `amount` as whole tiyin in plain digits: an integer as it is; `1000.0`
/// or `"1000.00"` as `1000` (as the clients in the field do); anything with
/// a fraction of a tiyin, a sign or an exponent is refused, naming what is
/// wrong but never quoting it.
pub(super) fn canonical_amount(amount: &Signed<'_>) -> Result<String, CallbackError> {
    let invalid = |reason| CallbackError::InvalidAmount { found: amount.json_type(), reason };
    let text = amount.as_str().trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.starts_with('-') {
        return Err(invalid("is negative"));
    }
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("is not written in plain digits"));
    }
    if !fraction.bytes().all(|b| b == b'0') {
        return Err(invalid("has a fraction of a tiyin"));
    }
    let digits = whole.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    if digits.len() > 18 {
        return Err(invalid("has more than 18 digits"));
    }
    Ok(digits.to_string())
}
