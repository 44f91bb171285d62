//! Callbacks: what Multicard sends to the merchant's `callback_url`.
//!
//! | Callback | Type | Signed |
//! |---|---|---|
//! | payment success | [`PaymentSuccessCallback`] | `md5("{store_id}{invoice_id}{amount}{secret}")` |
//! | status change (webhook) | [`PaymentStatusWebhook`] | `sha1("{uuid}{invoice_id}{amount}{secret}")` |
//! | card bound (hosted form) | [`CardBindingCallback`] | **not signed** |
//!
//! Verify with a [`Verifier`] on the raw body, then answer with a
//! [`CallbackReply`]. The answer to the success callback matters: anything
//! but HTTP 200 with `{"success": true}` makes Multicard **cancel the
//! payment and refund the payer**.
//!
//! What a signature does not cover cannot be trusted from the callback
//! alone: the success callback does not sign `uuid`, the webhook does not
//! sign `status`, and the card-binding callback is not signed at all. Before
//! granting value, confirm the callback against the API with
//! [`confirm_success`], [`confirm_status`] or [`confirm_card_binding`].
//!
//! Multicard may send the same callback again (after a timeout or a 500).
//! Key your records by the payment `uuid` ([`PaymentSuccessCallback::idempotency_key`]):
//! when the payment is already accepted, answer success again and change
//! nothing.
//!
//! ```
//! use multicard_api::callbacks::{CallbackReply, Verifier, testing};
//!
//! let verifier = Verifier::new("my-secret");
//! // In a test, sign a payload the way Multicard does:
//! let body = testing::success_body(6, "order-42", 150_000, "e60d8ebc-b9fe-11ef-b159-005056b4367d", "my-secret");
//! let callback = verifier.verify_success(&body).expect("genuine");
//! assert_eq!(callback.amount, 150_000);
//! assert_eq!(callback.idempotency_key(), "e60d8ebc-b9fe-11ef-b159-005056b4367d");
//! let reply = CallbackReply::accept();
//! assert_eq!(reply.status(), 200);
//! assert_eq!(reply.body(), br#"{"success":true}"#);
//! ```

use std::fmt;

use md5::Md5;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

pub use crate::types::{CardBindingCallback, PaymentStatusWebhook, PaymentSuccessCallback};
use crate::types::{CardBindingStatus, PaymentStatus};
use crate::{Error, Multicard};

/// The largest body a [`Verifier`] reads by default (64 KiB): a callback
/// is a few hundred bytes.
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;

/// Why a callback body was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallbackError {
    /// The body is larger than the verifier accepts.
    BodyTooLarge {
        /// The body's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The body is not JSON.
    MalformedJson {
        /// serde_json's message, with line and column.
        message: String,
    },
    /// The body is JSON but not an object.
    NotAnObject,
    /// A field the check needs is absent (or `null`).
    MissingField {
        /// The field.
        field: &'static str,
    },
    /// A field has a type the check cannot use.
    WrongType {
        /// The field.
        field: &'static str,
        /// What was expected.
        expected: &'static str,
    },
    /// `amount` is not a whole number of tiyin.
    InvalidAmount {
        /// The amount as sent.
        amount: String,
    },
    /// `sign` has the wrong length or is not hexadecimal.
    BadSignatureFormat {
        /// The expected number of hex digits (32 for MD5, 40 for SHA-1).
        expected_hex_digits: usize,
        /// What was received.
        received_chars: usize,
    },
    /// The signature matches none of the secrets: forged, altered, or
    /// signed with a secret this verifier does not have.
    SignatureMismatch,
    /// The signature is right but the payload does not fit its type.
    Decode {
        /// What does not fit.
        message: String,
    },
    /// A verifier with no secret.
    NoSecret,
}

impl fmt::Display for CallbackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallbackError::BodyTooLarge { size, limit } => {
                write!(f, "callback body of {size} bytes is over the {limit}-byte limit")
            }
            CallbackError::MalformedJson { message } => write!(f, "callback body is not JSON: {message}"),
            CallbackError::NotAnObject => f.write_str("callback body is not a JSON object"),
            CallbackError::MissingField { field } => write!(f, "callback has no `{field}`"),
            CallbackError::WrongType { field, expected } => write!(f, "callback `{field}` is not {expected}"),
            CallbackError::InvalidAmount { amount } => {
                write!(f, "callback `amount` {amount} is not a whole number of tiyin")
            }
            CallbackError::BadSignatureFormat { expected_hex_digits, received_chars } => {
                write!(f, "callback `sign` has {received_chars} characters; expected {expected_hex_digits} hex digits")
            }
            CallbackError::SignatureMismatch => f.write_str("callback signature does not match"),
            CallbackError::Decode { message } => write!(f, "callback payload does not fit its type: {message}"),
            CallbackError::NoSecret => f.write_str("a callback verifier needs at least one secret"),
        }
    }
}

impl std::error::Error for CallbackError {}

/// Checks callback signatures against one or more secrets (several during a
/// rotation: the old and the new are both accepted).
#[derive(Clone)]
pub struct Verifier {
    secrets: Vec<SecretString>,
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
    pub fn new(secret: impl Into<String>) -> Self {
        Self { secrets: vec![SecretString::from(secret.into())], max_body: DEFAULT_MAX_BODY }
    }

    /// A verifier that accepts any of `secrets` (for a rotation).
    pub fn with_secrets<I, S>(secrets: I) -> Result<Self, CallbackError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let secrets: Vec<SecretString> = secrets
            .into_iter()
            .map(|s| SecretString::from(s.into()))
            .filter(|s| !s.expose_secret().is_empty())
            .collect();
        if secrets.is_empty() {
            return Err(CallbackError::NoSecret);
        }
        Ok(Self { secrets, max_body: DEFAULT_MAX_BODY })
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
    pub fn verify_success(&self, body: &[u8]) -> Result<PaymentSuccessCallback, CallbackError> {
        let object = self.verify(body, Scheme::Success)?;
        decode(object)
    }

    /// Verifies a status-change webhook (SHA-1 signature) and decodes it.
    /// Its `status` is not signed: see [`confirm_status`].
    pub fn verify_webhook(&self, body: &[u8]) -> Result<PaymentStatusWebhook, CallbackError> {
        let object = self.verify(body, Scheme::Webhook)?;
        decode(object)
    }

    /// Decodes a card-binding callback. It carries **no signature**: nothing
    /// in it can be trusted until [`confirm_card_binding`] has checked it
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
        for secret in &self.secrets {
            let mut input = message.clone().into_bytes();
            input.extend_from_slice(secret.expose_secret().as_bytes());
            matched |= scheme.digest(&input).ct_eq(&received);
        }
        if !bool::from(matched) {
            return Err(CallbackError::SignatureMismatch);
        }
        // The amount as signed, as an integer, so the typed payload reads it;
        // a store id sent as a digit string likewise.
        let amount = canonical_amount(&object)?;
        object.insert(
            "amount".into(),
            Value::from(amount.parse::<i64>().map_err(|_| CallbackError::InvalidAmount { amount })?),
        );
        if let Some(Value::String(store)) = object.get("store_id")
            && let Ok(store) = store.trim().parse::<i64>()
        {
            object.insert("store_id".into(), Value::from(store));
        }
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
/// integers as plain digits.
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

/// The lowercase hex signature of a payment-success callback.
pub fn success_signature(store_id: &str, invoice_id: &str, amount: i64, secret: &str) -> String {
    hex_encode(&Scheme::Success.digest(format!("{store_id}{invoice_id}{amount}{secret}").as_bytes()))
}

/// The lowercase hex signature of a status-change webhook.
pub fn webhook_signature(uuid: &str, invoice_id: &str, amount: i64, secret: &str) -> String {
    hex_encode(&Scheme::Webhook.digest(format!("{uuid}{invoice_id}{amount}{secret}").as_bytes()))
}

impl PaymentSuccessCallback {
    /// The key to recognise a repeat of this callback: the payment `uuid`.
    pub fn idempotency_key(&self) -> &str {
        &self.uuid
    }
}

impl PaymentStatusWebhook {
    /// The key to recognise a repeat of this webhook: the payment `uuid`
    /// and the status it reports.
    pub fn idempotency_key(&self) -> (&str, &str) {
        (&self.uuid, self.status.as_str())
    }
}

/// The answer to a callback.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallbackReply {
    /// HTTP 200 `{"success": true}`: accepted (also the answer to a repeat
    /// of a callback already accepted).
    Accept,
    /// HTTP 200 `{"success": false, "message": ...}`. For the success
    /// callback this **cancels the payment and refunds the payer**; the
    /// message is shown to the payer.
    RefuseAndRefund {
        /// Shown to the payer on the failure page.
        message: String,
    },
    /// The body failed verification: HTTP 403 (400 for a malformed body).
    /// To Multicard any non-200 answer is a refusal too.
    Rejected {
        /// The HTTP status.
        status: u16,
        /// Why, without secrets.
        message: String,
    },
}

impl CallbackReply {
    /// Accept the callback.
    pub fn accept() -> Self {
        CallbackReply::Accept
    }

    /// Refuse a payment-success callback: Multicard **cancels the payment
    /// and refunds the payer**, showing `message`.
    pub fn refuse_and_refund(message: impl Into<String>) -> Self {
        CallbackReply::RefuseAndRefund { message: message.into() }
    }

    /// The answer to a body that failed verification.
    pub fn rejected(error: &CallbackError) -> Self {
        let status = match error {
            CallbackError::SignatureMismatch | CallbackError::BadSignatureFormat { .. } => 403,
            CallbackError::BodyTooLarge { .. } => 413,
            _ => 400,
        };
        CallbackReply::Rejected { status, message: error.to_string() }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            CallbackReply::Rejected { status, .. } => *status,
            _ => 200,
        }
    }

    /// The JSON body.
    pub fn body(&self) -> Vec<u8> {
        let value = match self {
            CallbackReply::Accept => serde_json::json!({"success": true}),
            CallbackReply::RefuseAndRefund { message } | CallbackReply::Rejected { message, .. } => {
                serde_json::json!({"success": false, "message": message})
            }
        };
        value.to_string().into_bytes()
    }
}

/// Why a callback could not be confirmed against the API.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ConfirmError {
    /// The API call failed.
    Api(Error),
    /// The callback and the API disagree on a field: do not grant value.
    Mismatch {
        /// The field.
        field: &'static str,
        /// The callback's value.
        callback: String,
        /// The API's value.
        api: String,
    },
}

impl fmt::Display for ConfirmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfirmError::Api(error) => write!(f, "could not confirm the callback: {error}"),
            ConfirmError::Mismatch { field, callback, api } => {
                write!(f, "the callback says {field} = {callback}, the API says {api}")
            }
        }
    }
}

impl std::error::Error for ConfirmError {}

/// A callback checked against the API.
#[derive(Debug, Clone)]
pub struct Confirmed<T> {
    /// What the API says now.
    pub current: T,
    /// Fields the signature covers.
    pub signed: &'static [&'static str],
    /// Fields the API confirmed.
    pub confirmed: &'static [&'static str],
    /// Fields neither covers: informative only.
    pub unsigned: Vec<String>,
}

fn unsigned_fields(value: &Value, covered: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = value
        .as_object()
        .map(|o| {
            o.iter().filter(|(k, v)| !v.is_null() && !covered.contains(&k.as_str())).map(|(k, _)| k.clone()).collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn mismatch(field: &'static str, callback: impl ToString, api: impl ToString) -> ConfirmError {
    ConfirmError::Mismatch { field, callback: callback.to_string(), api: api.to_string() }
}

/// Reads payment `uuid` and checks that it is the payment the callback
/// describes: same uuid, amount and invoice id.
async fn read_payment(
    multicard: &Multicard,
    uuid: &str,
    amount: i64,
    invoice_id: &str,
) -> Result<crate::types::PaymentModel, ConfirmError> {
    let payment = multicard.send(|api| api.get_payment().uuid(uuid)).await.map_err(ConfirmError::Api)?;
    if payment.uuid != uuid {
        return Err(mismatch("uuid", uuid, &payment.uuid));
    }
    if payment.payment_amount != amount {
        return Err(mismatch("amount", amount, payment.payment_amount));
    }
    if payment.store_invoice_id.as_deref() != Some(invoice_id) {
        return Err(mismatch("invoice_id", invoice_id, payment.store_invoice_id.as_deref().unwrap_or("none")));
    }
    Ok(payment)
}

/// The confirmation of `callback`, with the fields neither the signature
/// nor the API covered.
fn confirmed<T>(
    current: T,
    callback: &impl serde::Serialize,
    signed: &'static [&'static str],
    confirmed: &'static [&'static str],
) -> Confirmed<T> {
    let mut covered: Vec<&str> = signed.iter().chain(confirmed).copied().collect();
    covered.push("sign");
    let unsigned = unsigned_fields(&serde_json::to_value(callback).unwrap_or_default(), &covered);
    Confirmed { current, signed, confirmed, unsigned }
}

/// Confirms a verified success callback: reads the payment by its `uuid`
/// (which the signature does not cover) and checks that amount, invoice id
/// and store agree and that the payment succeeded. Grant value only after
/// this returns `Ok`.
pub async fn confirm_success(
    multicard: &Multicard,
    callback: &PaymentSuccessCallback,
) -> Result<Confirmed<crate::types::PaymentModel>, ConfirmError> {
    let payment = read_payment(multicard, &callback.uuid, callback.amount, &callback.invoice_id).await?;
    if let Some(store) = payment.store_id.filter(|id| *id != callback.store_id) {
        return Err(mismatch("store_id", callback.store_id, store));
    }
    if payment.status != PaymentStatus::Success {
        return Err(mismatch("status", "success", &payment.status));
    }
    const SIGNED: &[&str] = &["store_id", "invoice_id", "amount"];
    const CONFIRMED: &[&str] = &["uuid", "amount", "invoice_id", "store_id", "status"];
    Ok(confirmed(payment, callback, SIGNED, CONFIRMED))
}

/// Confirms a verified status webhook: reads the payment by its `uuid` and
/// checks amount and invoice id. The status the webhook reports is not
/// signed; `current.status` is the truth (it may have moved on since).
pub async fn confirm_status(
    multicard: &Multicard,
    webhook: &PaymentStatusWebhook,
) -> Result<Confirmed<crate::types::PaymentModel>, ConfirmError> {
    let payment = read_payment(multicard, &webhook.uuid, webhook.amount, &webhook.invoice_id).await?;
    Ok(confirmed(payment, webhook, &["uuid", "invoice_id", "amount"], &["uuid", "amount", "invoice_id"]))
}

/// Confirms an (unsigned) card-binding callback: reads the binding by its
/// session (`payer_id`) and checks that the card token agrees and the card
/// is active. Store the card only after this returns `Ok`.
pub async fn confirm_card_binding(
    multicard: &Multicard,
    callback: &CardBindingCallback,
) -> Result<Confirmed<crate::types::BoundCard>, ConfirmError> {
    let card = multicard
        .send(|api| api.get_card_binding().session_id(callback.payer_id.as_str()))
        .await
        .map_err(ConfirmError::Api)?;
    if card.card_token != callback.card_token {
        return Err(mismatch("card_token", &callback.card_token, &card.card_token));
    }
    if card.status != Some(CardBindingStatus::Active) {
        let status = card.status.as_ref().map(|s| s.to_string()).unwrap_or_else(|| "none".into());
        return Err(mismatch("status", "active", status));
    }
    Ok(confirmed(card, callback, &[], &["payer_id", "card_token", "status"]))
}

pub mod testing {
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
        let sign = webhook_signature(
            &plain(&payload["uuid"]),
            &plain(&payload["invoice_id"]),
            amount(&payload["amount"]),
            secret,
        );
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
}

#[cfg(feature = "axum")]
pub mod axum;
