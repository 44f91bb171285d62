//! Signature checks: the vendor's MD5 and SHA-1 schemes, in constant time,
//! against one or several secrets.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use md5::Md5;
use secrecy::{ExposeSecret, SecretString};
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use super::raw::{self, Members, SignedFields, canonical_amount};
use super::{CallbackError, CardBindingCallback, PaymentStatusWebhook, PaymentSuccessCallback, SourceCheck, lenient};

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
    source: Option<SourceCheck>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("secrets", &self.secrets.len())
            .field("max_body", &self.max_body)
            .field("source", &self.source)
            .finish()
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
        Ok(Self { secrets: kept.into(), max_body: DEFAULT_MAX_BODY, source: None })
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

    /// Also check where callbacks come from (off by default; see
    /// [`SourceCheck`]). The signature is still checked: the address is an
    /// addition, never a replacement. The axum extractors apply it before
    /// reading the body and need the peer's address
    /// (`into_make_service_with_connect_info::<SocketAddr>()`).
    pub fn with_source_check(mut self, check: SourceCheck) -> Self {
        self.source = Some(check);
        self
    }

    /// The source check, if one is configured.
    pub fn source_check(&self) -> Option<&SourceCheck> {
        self.source.as_ref()
    }

    /// Checks the sender of a callback against the configured
    /// [`SourceCheck`]: `peer` is the TCP peer, `forwarded_for` the values of
    /// its `X-Forwarded-For` headers in the order received. `Ok` when no
    /// check is configured. For a callback that fails it, answer
    /// [`CallbackReply::rejected`](super::CallbackReply::rejected) (500):
    /// never a 4xx, which would cancel a genuine payment sent from an
    /// address the list does not have yet.
    pub fn check_source(&self, peer: IpAddr, forwarded_for: &[&str]) -> Result<(), CallbackError> {
        match &self.source {
            Some(check) => check.check(peer, forwarded_for).map(|_| ()),
            None => Ok(()),
        }
    }

    /// Verifies a payment-success callback (MD5 signature) and decodes it.
    ///
    /// The signed fields (`store_id`, `invoice_id`, `amount`) are checked
    /// as sent: a string's content, a number's literal digits (see
    /// [signed as sent](super#signed-as-sent)). Only then is anything
    /// converted; the unsigned fields are read leniently (one that does not
    /// decode is left out), and `uuid` falls back to `invoice_uuid`.
    ///
    /// `Ok` means the signature is right, not that the callback is true:
    /// its `uuid` is unsigned and digits can move between `invoice_id` and
    /// `amount`. Confirm it with [`confirm_success`](super::confirm_success)
    /// before granting value.
    pub fn verify_success(&self, body: &[u8]) -> Result<PaymentSuccessCallback, CallbackError> {
        let members = self.members(body)?;
        let signed = self.verify(&members, Scheme::Success)?;
        lenient::success(&members, signed)
    }

    /// Verifies a status-change webhook (SHA-1 signature) and decodes it,
    /// by the same rules as [`Verifier::verify_success`]. Its `status` is
    /// not signed: see [`confirm_status`](super::confirm_status).
    pub fn verify_webhook(&self, body: &[u8]) -> Result<PaymentStatusWebhook, CallbackError> {
        let members = self.members(body)?;
        let signed = self.verify(&members, Scheme::Webhook)?;
        lenient::webhook(&members, signed)
    }

    /// Decodes a card-binding callback. It carries **no signature**: nothing
    /// in it can be trusted until
    /// [`confirm_card_binding`](super::confirm_card_binding) has checked it
    /// against the API.
    pub fn parse_card_binding(&self, body: &[u8]) -> Result<CardBindingCallback, CallbackError> {
        self.members(body)?;
        lenient::card_binding(body)
    }

    fn members<'a>(&self, body: &'a [u8]) -> Result<Members<'a>, CallbackError> {
        if body.len() > self.max_body {
            return Err(CallbackError::BodyTooLarge { size: body.len(), limit: self.max_body });
        }
        Members::parse(body)
    }

    /// Checks the signature over the signed fields as sent, and returns
    /// them, still unconverted.
    fn verify<'a>(&self, members: &Members<'a>, scheme: Scheme) -> Result<SignedFields<'a>, CallbackError> {
        let [first, second, third] = scheme.fields();
        let fields = SignedFields {
            first: raw::signed(members, first)?,
            invoice_id: raw::signed(members, second)?,
            amount: raw::signed(members, third)?,
        };
        let received = signature(members, scheme)?;
        // The amount as sent, and (as every release so far accepted, and
        // as the clients in the field sign it) its whole tiyin in plain
        // digits when they are other text: `"1000.00"` and `1000.0` verify
        // as signed over `1000.00`/`1000.0` or over `1000`.
        let prefix = format!("{}{}", fields.first.as_str(), fields.invoice_id.as_str());
        let mut messages = vec![format!("{prefix}{}", fields.amount.as_str())];
        if let Ok(digits) = canonical_amount(&fields.amount)
            && digits != fields.amount.as_str()
        {
            messages.push(format!("{prefix}{digits}"));
        }
        // Every secret and every form is tried, so the time taken does not
        // tell which one matched or how close a forgery came.
        let mut matched = subtle::Choice::from(0u8);
        for secret in self.secrets.iter() {
            for message in &messages {
                let mut input = message.clone().into_bytes();
                input.extend_from_slice(secret.expose_secret().as_bytes());
                matched |= scheme.digest(&input).ct_eq(&received);
            }
        }
        if !bool::from(matched) {
            return Err(CallbackError::SignatureMismatch);
        }
        Ok(fields)
    }
}

fn signature(members: &Members<'_>, scheme: Scheme) -> Result<Vec<u8>, CallbackError> {
    let raw = members.get("sign")?.ok_or(CallbackError::MissingField { field: "sign" })?;
    let sign = match raw::json_type(raw) {
        "a string" => serde_json::from_str::<String>(raw.get())
            .map_err(|error| CallbackError::MalformedJson { message: format!("`sign`: {error}") })?,
        found => return Err(CallbackError::WrongType { field: "sign", expected: "a string", found }),
    };
    let sign = sign.trim();
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

/// The lowercase hex signature of `text` followed by `secret`, by the
/// success (MD5) or webhook (SHA-1) scheme; for the test helpers, which
/// sign fields as they write them.
pub(super) fn sign_text(webhook: bool, text: &str, secret: &str) -> String {
    let scheme = if webhook { Scheme::Webhook } else { Scheme::Success };
    hex_encode(&scheme.digest(format!("{text}{secret}").as_bytes()))
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
