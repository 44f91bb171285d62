//! Why a callback body was refused, or a verifier could not be made.
//!
//! No message here carries text from the body: a callback comes from
//! anyone, and what it says must not reach a log line as it was sent (a
//! `\r\n` in a field would forge the next line). Fields are named, and what
//! was sent is described by its JSON type.

/// Why a callback body was refused, or why a [`Verifier`](super::Verifier)
/// could not be made.
///
/// Every refusal of a body is answered HTTP 500 by
/// [`CallbackReply::rejected`](super::CallbackReply::rejected): Multicard then
/// holds the payment and may send the callback again, where any other
/// status would cancel it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// The body is larger than the verifier accepts.
    #[error("callback body of {size} bytes is over the {limit}-byte limit")]
    BodyTooLarge {
        /// The body's size when it was known in advance (its
        /// `Content-Length`), otherwise how much of it was read before it
        /// went over the limit.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The body could not be read to its end: the sender closed the
    /// connection before the length it announced, or the transfer failed.
    #[error("callback body could not be read to its end: {message}")]
    BodyUnreadable {
        /// What went wrong, as the HTTP server reported it.
        message: String,
    },
    /// The body is not JSON (or not UTF-8).
    #[error("callback body is not JSON: {message}")]
    MalformedJson {
        /// Where the JSON breaks (serde_json's description, with line and
        /// column; never the text itself).
        message: String,
    },
    /// The body is JSON but not an object.
    #[error("callback body is not a JSON object")]
    NotAnObject,
    /// A field the check needs is absent (or `null`).
    #[error("callback has no `{field}`")]
    MissingField {
        /// The field.
        field: &'static str,
    },
    /// A field the SDK reads is given more than once: which one counts
    /// would depend on the reader, so none does.
    #[error("callback gives `{field}` more than once")]
    DuplicateField {
        /// The field.
        field: &'static str,
    },
    /// A field has a JSON type the check cannot use.
    #[error("callback `{field}` is {found}; expected {expected}")]
    WrongType {
        /// The field.
        field: &'static str,
        /// What was expected.
        expected: &'static str,
        /// What was sent, by its JSON type (never its value).
        found: &'static str,
    },
    /// `amount` is signed but is not a whole number of tiyin.
    #[error("callback `amount` ({found}) {reason}; expected a whole number of tiyin")]
    InvalidAmount {
        /// What was sent, by its JSON type: `"a string"` or `"a number"`.
        found: &'static str,
        /// What is wrong with it, in words (never its text).
        reason: &'static str,
    },
    /// `sign` has the wrong length or is not hexadecimal.
    #[error("callback `sign` has {received_chars} characters; expected {expected_hex_digits} hex digits")]
    BadSignatureFormat {
        /// The expected number of hex digits (32 for MD5, 40 for SHA-1).
        expected_hex_digits: usize,
        /// What was received.
        received_chars: usize,
    },
    /// The signature matches none of the secrets: forged, altered, or
    /// signed with a secret this verifier does not have.
    #[error("callback signature does not match")]
    SignatureMismatch,
    /// The success callback does not name exactly one payment: neither
    /// `uuid` nor `invoice_uuid` is given, or both are and they differ.
    #[error("callback does not name one payment: {reason}")]
    AmbiguousPayment {
        /// Which of the two cases.
        reason: &'static str,
    },
    /// The signature is right (or there is none to check) but the payload
    /// does not fit its type.
    #[error("callback payload does not fit its type: {message}")]
    Decode {
        /// Which field, and how it does not fit (never its value).
        message: String,
    },
    /// The callback came from an address the
    /// [`SourceCheck`](super::SourceCheck) does not allow.
    #[error("callback sent from {sender}, which is not an allowed address")]
    SourceNotAllowed {
        /// Who sent it (the TCP peer, or the forwarded hop a trusted proxy
        /// named).
        sender: std::net::IpAddr,
    },
    /// A [`SourceCheck`](super::SourceCheck) is configured but the sender
    /// could not be told.
    #[error("callback sender unknown: {reason}")]
    SourceUnknown {
        /// Why.
        reason: &'static str,
    },
    /// An address list of a [`SourceCheck`](super::SourceCheck) holds an
    /// entry that is neither an address nor a network.
    #[error("{list} #{position} is not an IP address or network")]
    InvalidAddress {
        /// Which list.
        list: &'static str,
        /// The entry's position.
        position: usize,
    },
    /// A [`SourceCheck`](super::SourceCheck) with no allowed address, which
    /// would refuse every callback.
    #[error("a source check needs at least one allowed address")]
    NoAddress,
    /// A verifier with no secret.
    #[error("a callback verifier needs at least one secret")]
    NoSecret,
    /// A secret given to the verifier is empty or only whitespace: anyone
    /// could sign a callback with it, so it is refused.
    #[error(
        "callback secret #{position} is empty or only whitespace; anyone could sign with it (is the secret's \
         variable set?)"
    )]
    BlankSecret {
        /// Its position among the secrets given (0 for
        /// [`Verifier::new`](super::Verifier::new)).
        position: usize,
    },
}
