//! Signature checks: the vendor's MD5 and SHA-1 schemes, in constant time,
//! against one or several secrets.

use std::fmt;
use std::sync::Arc;

use md5::Md5;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use super::{CallbackError, CardBindingCallback, PaymentStatusWebhook, PaymentSuccessCallback};

/// The largest body a [`Verifier`] reads by default (64 KiB): a callback
/// is a few hundred bytes.
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;

/// Checks callback signatures against one or more secrets (several during a
/// rotation: the old and the new are both accepted).
///
/// A valid signature does not make a callback true: see [what a valid
/// signature proves](super#what-a-valid-signature-proves). Cloning is cheap.
#[derive(Clone)]
pub struct Verifier {
    secrets: Arc<[SecretString]>,
    max_body: usize,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier").field("secrets", &self.secrets.len()).field("max_body", &self.max_body).finish()
    }
}

/// The signature scheme of a callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    /// `md5(store_id + invoice_id + amount + secret)`.
    Success,
    /// `sha1(uuid + invoice_id + amount + secret)`.
    Webhook,
}

impl Scheme {
    fn fields(self) -> [&'static str; 3] {
        match self {
            Scheme::Success => ["store_id", "invoice_id", "amount"],
            Scheme::Webhook => ["uuid", "invoice_id", "amount"],
        }
    }

    fn hex_digits(self) -> usize {
        match self {
            Scheme::Success => 32,
            Scheme::Webhook => 40,
        }
    }

    fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            Scheme::Success => Md5::digest(message).to_vec(),
            Scheme::Webhook => Sha1::digest(message).to_vec(),
        }
    }
}

impl Verifier {
    /// A verifier for one secret (the application secret, the one `/auth`
    /// takes, unless Multicard gave a separate callback secret).
    ///
    /// An empty or blank secret is refused with
    /// [`CallbackError::BlankSecret`]: a callback signed with it could come
    /// from anyone. A secret read from an unset variable is the usual cause.
    pub fn new(secret: impl Into<String>) -> Result<Self, CallbackError> {
        Self::with_secrets([secret])
    }

    /// A verifier that accepts any of `secrets` (for a rotation).
    ///
    /// No secret at all is [`CallbackError::NoSecret`]; an empty or blank
    /// one, wherever it is in the list, is [`CallbackError::BlankSecret`]
    /// naming its position (it is refused, not skipped: a blank entry is a
    /// configuration mistake worth hearing about).
    pub fn with_secrets<I, S>(secrets: I) -> Result<Self, CallbackError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut kept = Vec::new();
        for (position, secret) in secrets.into_iter().enumerate() {
            let secret = SecretString::from(secret.into());
            if secret.expose_secret().trim().is_empty() {
                return Err(CallbackError::BlankSecret { position });
            }
            kept.push(secret);
        }
        if kept.is_empty() {
            return Err(CallbackError::NoSecret);
        }
        Ok(Self { secrets: kept.into(), max_body: DEFAULT_MAX_BODY })
    }

    /// Refuse bodies larger than `limit` bytes.
    pub fn with_max_body(mut self, limit: usize) -> Self {
        self.max_body = limit;
        self
    }

    /// The largest body this verifier reads.
    pub fn max_body(&self) -> usize {
        self.max_body
    }

    /// Verifies a payment-success callback (MD5 signature) and decodes it.
    ///
    /// `Ok` means the signature is right, not that the callback is true:
    /// its `uuid` is unsigned and digits can move between `invoice_id` and
    /// `amount`. Confirm it with [`confirm_success`](super::confirm_success)
    /// before granting value.
    pub fn verify_success(&self, body: &[u8]) -> Result<PaymentSuccessCallback, CallbackError> {
        let object = self.verify(body, Scheme::Success)?;
        decode(object)
    }

    /// Verifies a status-change webhook (SHA-1 signature) and decodes it.
    /// Its `status` is not signed: see [`confirm_status`](super::confirm_status).
    pub fn verify_webhook(&self, body: &[u8]) -> Result<PaymentStatusWebhook, CallbackError> {
        let object = self.verify(body, Scheme::Webhook)?;
        decode(object)
    }

    /// Decodes a card-binding callback. It carries **no signature**: nothing
    /// in it can be trusted until
    /// [`confirm_card_binding`](super::confirm_card_binding) has checked it
    /// against the API.
    pub fn parse_card_binding(&self, body: &[u8]) -> Result<CardBindingCallback, CallbackError> {
        let object = self.object(body)?;
        decode(object)
    }

    fn object(&self, body: &[u8]) -> Result<Map<String, Value>, CallbackError> {
        if body.len() > self.max_body {
            return Err(CallbackError::BodyTooLarge { size: body.len(), limit: self.max_body });
        }
        let value: Value =
            serde_json::from_slice(body).map_err(|e| CallbackError::MalformedJson { message: e.to_string() })?;
        match value {
            Value::Object(object) => Ok(object),
            _ => Err(CallbackError::NotAnObject),
        }
    }

    fn verify(&self, body: &[u8], scheme: Scheme) -> Result<Map<String, Value>, CallbackError> {
        let mut object = self.object(body)?;
        let message = signed_message(&object, scheme)?;
        let received = signature(&object, scheme)?;
        // Every secret is tried, so the time taken does not tell which one
        // matched or how close a forgery came.
        let mut matched = subtle::Choice::from(0u8);
        for secret in self.secrets.iter() {
            let mut input = message.clone().into_bytes();
            input.extend_from_slice(secret.expose_secret().as_bytes());
            matched |= scheme.digest(&input).ct_eq(&received);
        }
        if !bool::from(matched) {
            return Err(CallbackError::SignatureMismatch);
        }
        // The amount as signed, as an integer, so the typed payload reads it.
        // The store id stays as sent (an integer, or a string: a number or a
        // store UUID), which is the text that was signed.
        let amount = canonical_amount(&object)?;
        object.insert(
            "amount".into(),
            Value::from(amount.parse::<i64>().map_err(|_| CallbackError::InvalidAmount { amount })?),
        );
        Ok(object)
    }
}

/// The string Multicard hashes, before the secret: the signed fields
/// concatenated with no separator.
fn signed_message(object: &Map<String, Value>, scheme: Scheme) -> Result<String, CallbackError> {
    let mut message = String::new();
    for field in scheme.fields() {
        let part = match field {
            "amount" => canonical_amount(object)?,
            "store_id" => plain(object, "store_id", "an integer or a string")?,
            "invoice_id" => plain(object, "invoice_id", "a string")?,
            _ => plain(object, "uuid", "a string")?,
        };
        message.push_str(&part);
    }
    Ok(message)
}

/// A string or integer field as it is concatenated: strings as they are,
/// integers as plain digits (`store_id` comes as either: production sends
/// an integer even for an invoice created with a store UUID).
fn plain(object: &Map<String, Value>, field: &'static str, expected: &'static str) -> Result<String, CallbackError> {
    match object.get(field) {
        None | Some(Value::Null) => Err(CallbackError::MissingField { field }),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(n.to_string()),
        Some(_) => Err(CallbackError::WrongType { field, expected }),
    }
}

/// `amount` as the digits Multicard signs: an integer as it is; `1000.0`
/// or `"1000.00"` as `1000` (as the clients in the field do); anything with
/// a fraction of a tiyin, a sign or an exponent is refused.
fn canonical_amount(object: &Map<String, Value>) -> Result<String, CallbackError> {
    let text = match object.get("amount") {
        None | Some(Value::Null) => return Err(CallbackError::MissingField { field: "amount" }),
        Some(Value::Number(n)) if n.is_u64() => return Ok(n.to_string()),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.trim().to_string(),
        Some(_) => return Err(CallbackError::WrongType { field: "amount", expected: "a number" }),
    };
    let invalid = || CallbackError::InvalidAmount { amount: text.chars().take(32).collect() };
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b == b'0') {
        return Err(invalid());
    }
    let digits = whole.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    if digits.len() > 18 {
        return Err(invalid());
    }
    Ok(digits.to_string())
}

fn signature(object: &Map<String, Value>, scheme: Scheme) -> Result<Vec<u8>, CallbackError> {
    let sign = match object.get("sign") {
        None | Some(Value::Null) => return Err(CallbackError::MissingField { field: "sign" }),
        Some(Value::String(s)) => s.trim(),
        Some(_) => return Err(CallbackError::WrongType { field: "sign", expected: "a string" }),
    };
    let bad = || CallbackError::BadSignatureFormat {
        expected_hex_digits: scheme.hex_digits(),
        received_chars: sign.chars().count(),
    };
    if sign.len() != scheme.hex_digits() {
        return Err(bad());
    }
    hex_decode(sign).ok_or_else(bad)
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    let digit = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    text.as_bytes().chunks(2).map(|pair| Some(digit(pair[0])? << 4 | digit(*pair.get(1)?)?)).collect()
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode<T: serde::de::DeserializeOwned>(object: Map<String, Value>) -> Result<T, CallbackError> {
    serde_json::from_value(Value::Object(object)).map_err(|e| CallbackError::Decode { message: e.to_string() })
}

/// The lowercase hex signature of a payment-success callback. `store_id`
/// is the text Multicard signs: an integer's decimal digits, or a string as
/// it is sent (`StoreId`'s `Display` gives it).
pub fn success_signature(store_id: &str, invoice_id: &str, amount: i64, secret: &str) -> String {
    hex_encode(&Scheme::Success.digest(format!("{store_id}{invoice_id}{amount}{secret}").as_bytes()))
}

/// The lowercase hex signature of a status-change webhook.
pub fn webhook_signature(uuid: &str, invoice_id: &str, amount: i64, secret: &str) -> String {
    hex_encode(&Scheme::Webhook.digest(format!("{uuid}{invoice_id}{amount}{secret}").as_bytes()))
}
