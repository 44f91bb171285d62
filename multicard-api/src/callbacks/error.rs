//! Why a callback body was refused, or a verifier could not be made.

/// Why a callback body was refused, or why a [`Verifier`](super::Verifier)
/// could not be made.
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
    /// The body is not JSON.
    #[error("callback body is not JSON: {message}")]
    MalformedJson {
        /// serde_json's message, with line and column.
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
    /// A field has a type the check cannot use.
    #[error("callback `{field}` is not {expected}")]
    WrongType {
        /// The field.
        field: &'static str,
        /// What was expected.
        expected: &'static str,
    },
    /// `amount` is not a whole number of tiyin.
    #[error("callback `amount` {amount} is not a whole number of tiyin")]
    InvalidAmount {
        /// The amount as sent.
        amount: String,
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
    /// The signature is right but the payload does not fit its type.
    #[error("callback payload does not fit its type: {message}")]
    Decode {
        /// What does not fit.
        message: String,
    },
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
