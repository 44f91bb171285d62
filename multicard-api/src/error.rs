//! The one error type of the SDK.
//!
//! Success is decided by the body's `success` flag, not the HTTP status:
//! Multicard sends error envelopes under HTTP 200, and a `{success: true}`
//! under an unusual 2xx is a success. No error holds the secret, a token or
//! a card number: bodies are cut to a short snippet, text from the wire has
//! card-number-shaped digit runs masked and the client's own secret and
//! token removed (see `redact.rs`), nothing of an `/auth` answer's body is
//! kept, and URLs are never kept (the operation id and its path template
//! say where).

use std::fmt;
use std::sync::Arc;

use crate::scrub;
use crate::settle::LostWrite;
use crate::time::MulticardDateTime;
use crate::types::{self, ErrorCode};

/// One message of a `/auth` error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthMessage {
    /// What is wrong, e.g. `Invalid Credentials`.
    pub message: String,
    /// The request field it is about (`application_id`, `secret`), if any.
    pub field: Option<String>,
}

impl AuthMessage {
    pub(crate) fn from_body(body: types::AuthErrorResponse) -> Vec<Self> {
        body.errors
            .into_iter()
            .flat_map(|e| e.message)
            .map(|m| AuthMessage { message: scrub::clean(&m.message), field: m.field.as_deref().map(scrub::clean) })
            .collect()
    }
}

/// Why a call could not reach an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// The connection could not be made: the request never left.
    Connect,
    /// The call timed out; the request may have reached the server.
    Timeout,
    /// The connection failed during the exchange; the request may have
    /// reached the server.
    Interrupted,
    /// Anything else reqwest reports (redirects, bodies, builders).
    Other,
}

/// Every way a call can fail.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// Multicard answered with its error envelope
    /// `{success: false, error: {code, details}}`, under any HTTP status.
    /// [`Error::outcome`] says what it means for the money (per operation:
    /// [`Rejected`](crate::outcome::WriteOutcome::Rejected),
    /// [`Conflict`](crate::outcome::WriteOutcome::Conflict) or
    /// [`Declined`](crate::outcome::WriteOutcome::Declined));
    /// [`Error::fields_reason`] types the details of `ERROR_FIELDS`. An
    /// answer to a write that may have been applied is never this variant
    /// but [`Error::OutcomeUnknown`].
    Api {
        /// The operation, e.g. `create_payment`.
        operation: &'static str,
        /// The HTTP status it came with (200 included).
        status: u16,
        /// The error code; unknown codes are kept as `ErrorCode::Unknown`.
        code: ErrorCode,
        /// The vendor's message, usually in Russian.
        details: String,
    },
    /// `/auth` refused the credentials or the request (bad or missing
    /// fields), or a token could not be obtained.
    Authentication {
        /// The HTTP status, when there was an answer.
        status: Option<u16>,
        /// The messages `/auth` gave, with the fields they name.
        messages: Vec<AuthMessage>,
    },
    /// The server kept refusing the token (HTTP 401) after one fresh one.
    Unauthorized {
        /// The operation.
        operation: &'static str,
    },
    /// No answer: connection, timeout or I/O failure.
    Transport {
        /// The operation.
        operation: &'static str,
        /// What kind of failure.
        kind: TransportKind,
        /// reqwest's description, without the URL.
        message: String,
        /// The underlying error.
        source: Option<Arc<reqwest::Error>>,
    },
    /// An answer that is neither the operation's success nor Multicard's
    /// error envelope: an HTML page from a proxy, a plain-text
    /// `403 RBAC: access denied`, malformed JSON, a wrong type.
    UnexpectedResponse {
        /// The operation.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// The `Content-Type`, if any.
        content_type: Option<String>,
        /// The start of the body (at most 256 characters, control
        /// characters replaced).
        snippet: String,
        /// Why it does not decode.
        reason: String,
    },
    /// Multicard answered `success: true` (or a success status), but the
    /// `data` does not decode into the SDK's type. **If `succeeded` is
    /// true, the operation happened**: a write is done and must not be sent
    /// again; read what you need from `data`, and report the `path` so the
    /// spec can learn what Multicard really sends.
    Undecodable {
        /// The operation.
        operation: &'static str,
        /// The HTTP status.
        status: u16,
        /// `true` when the envelope said `success: true`.
        succeeded: bool,
        /// The JSON path that failed, from the body's root, e.g.
        /// `data.store.id`.
        path: String,
        /// What is wrong there (card numbers masked).
        reason: String,
        /// The raw `data` payload.
        data: RawData,
    },
    /// A request that changes state may or may not have taken effect: the
    /// answer was lost (timeout, broken connection, HTTP 5xx), Multicard
    /// said the outcome is unknown (`ERROR_DEBIT_UNKNOWN`,
    /// `ERROR_CALLBACK_TIMEOUT`, `ERROR_UNKNOWN`), or it answered an error
    /// code (or `ERROR_FIELDS` details) not classified for this write (see
    /// [`crate::outcome`]). It was **not** sent again.
    ///
    /// Settle it before anything else: for the writes a settle knows
    /// (confirms, refunds, hold charges and cancels, payouts, creates),
    /// `write` carries what the settle needs and
    /// [`Multicard::settle_lost`](crate::Multicard::settle_lost) (or
    /// [`Multicard::settle_write`](crate::Multicard::settle_write)) answers
    /// whether it was applied. **Do not send the write again unless a
    /// settle says [`NotApplied`](crate::settle::Verdict::NotApplied).**
    OutcomeUnknown {
        /// The operation.
        operation: &'static str,
        /// The read that settles it, e.g. `get_payment`.
        settle_with: Option<&'static str>,
        /// What happened.
        cause: Box<Error>,
        /// The write, with its target, amount and the snapshot read before
        /// it was sent: what [`Multicard::settle_write`](crate::Multicard::settle_write)
        /// needs. `None` for a write a settle does not know.
        write: Option<Box<LostWrite>>,
    },
    /// A write the SDK refused to send: nothing was sent. See
    /// [`NotSentReason`]: a refund while an earlier refund of the same
    /// payment is unsettled, refunds above the captured amount, a hold
    /// charged too close to its expiry.
    NotSent {
        /// The operation, e.g. `partial_refund_payment`.
        operation: &'static str,
        /// The payment uuid or hold id it was for.
        target: String,
        /// Why.
        reason: NotSentReason,
    },
    /// The request breaks a rule the SDK checks before sending
    /// ([`checks`](crate::checks)): a fiscal receipt item without its
    /// code, an amount of zero, splits above the amount, a payout above
    /// 10 million сум without `kyc_data`. **Nothing was sent**; correct the
    /// request and send it.
    RequestRefused {
        /// The operation, e.g. `create_invoice`.
        operation: &'static str,
        /// Each rule broken, with the field (`ofd[1].mxik`) and what is
        /// wrong; never empty.
        findings: Vec<crate::checks::Finding>,
    },
    /// The answer was larger than the configured limit; it was not read.
    ResponseTooLarge {
        /// The operation.
        operation: &'static str,
        /// The limit in bytes.
        limit: usize,
    },
    /// A status did not become final before the deadline.
    NotSettled {
        /// The read that was polled.
        operation: &'static str,
        /// The last status seen.
        last_status: String,
    },
    /// The request could not be built (a builder argument was invalid).
    InvalidRequest {
        /// The operation.
        operation: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The client's configuration is unusable.
    InvalidConfiguration {
        /// What is wrong, naming the setting or variable.
        message: String,
    },
}

/// Why the SDK refused to send a write ([`Error::NotSent`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotSentReason {
    /// An earlier refund of this payment, sent by this client, is being
    /// sent or its outcome is unknown: settle it first
    /// ([`Multicard::settle_write`](crate::Multicard::settle_write) says
    /// `Applied` or `NotApplied`, or
    /// [`Multicard::mark_refund_settled`](crate::Multicard::mark_refund_settled)
    /// after checking the Multicard cabinet).
    RefundUnsettled {
        /// Its amount in tiyin, when known.
        amount: Option<i64>,
    },
    /// The refund, with the refunds this client sent before, would exceed
    /// what the payment captured (or nothing is left: it reads `revert`).
    RefundExceedsCaptured {
        /// The refund's amount in tiyin (for a full refund, what is left).
        requested: i64,
        /// The payment's `payment_amount`, in tiyin.
        captured: i64,
        /// What this client refunded of it before, in tiyin.
        refunded: i64,
    },
    /// The hold lapses in less than
    /// [`CHARGE_MIN_TIME_LEFT`](crate::settle::CHARGE_MIN_TIME_LEFT) (2
    /// minutes) by Multicard's clock, or its expiry is not known: a charge
    /// could reach it as it lapses.
    HoldExpiresSoon {
        /// The hold's `expiry` (GMT+5), if it had one.
        expiry: Option<MulticardDateTime>,
        /// Seconds left by Multicard's clock (negative: past).
        seconds_left: Option<i64>,
    },
    /// The read the guard needs first failed: nothing was sent.
    TargetUnreadable {
        /// The read, e.g. `get_payment`.
        read: &'static str,
        /// Its error.
        message: String,
    },
}

impl fmt::Display for NotSentReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotSentReason::RefundUnsettled { amount } => {
                f.write_str("an earlier refund of this payment")?;
                if let Some(amount) = amount {
                    write!(f, " ({amount} tiyin)")?;
                }
                f.write_str(
                    " is not settled: settle it first (Multicard::settle_write, or `multicard settle refund` / \
                     `partial-refund`)",
                )
            }
            NotSentReason::RefundExceedsCaptured { requested, captured, refunded } => write!(
                f,
                "refunding {requested} tiyin would exceed the payment: it captured {captured} tiyin and this client \
                 refunded {refunded} of it before"
            ),
            NotSentReason::HoldExpiresSoon { expiry: Some(expiry), seconds_left } => write!(
                f,
                "the hold lapses at {expiry} (GMT+5), {} s from now by Multicard's clock; a charge needs at least {} s",
                seconds_left.unwrap_or_default(),
                crate::settle::CHARGE_MIN_TIME_LEFT.as_secs()
            ),
            NotSentReason::HoldExpiresSoon { expiry: None, .. } => {
                f.write_str("the hold's expiry is not known, so it may lapse as the charge reaches it")
            }
            NotSentReason::TargetUnreadable { read, message } => {
                write!(f, "the `{read}` the guard needs first failed: {message}")
            }
        }
    }
}

/// A raw JSON payload kept by an error. `Debug` shows its shape (the keys
/// of an object), never its values, which may hold card tokens.
#[derive(Clone, PartialEq)]
pub struct RawData(Box<serde_json::Value>);

impl RawData {
    pub(crate) fn new(value: serde_json::Value) -> Self {
        Self(Box::new(value))
    }

    /// The JSON as it came.
    pub fn value(&self) -> &serde_json::Value {
        &self.0
    }

    /// The JSON as it came, owned.
    pub fn into_value(self) -> serde_json::Value {
        *self.0
    }
}

impl fmt::Debug for RawData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_ref() {
            serde_json::Value::Object(map) => f.debug_set().entries(map.keys()).finish(),
            serde_json::Value::Array(items) => write!(f, "[{} items]", items.len()),
            serde_json::Value::Null => f.write_str("null"),
            _ => f.write_str("<a scalar>"),
        }
    }
}

/// How much of a body an error keeps.
pub const SNIPPET_CHARS: usize = 256;

fn snippet(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    // Control characters become spaces first, then card numbers are masked
    // (a tab between digit groups is still a separator), and only then is
    // the text cut, so a card number across the cut is still seen whole.
    let text: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let text = scrub::mask_pans(&text);
    let mut out: String = text.chars().take(SNIPPET_CHARS).collect();
    if text.chars().count() > SNIPPET_CHARS {
        out.push('…');
    }
    out
}

impl Error {
    pub(crate) fn unexpected(
        operation: &'static str,
        status: u16,
        content_type: Option<String>,
        body: &[u8],
        reason: &str,
    ) -> Self {
        Error::UnexpectedResponse {
            operation,
            status,
            content_type,
            snippet: snippet(body),
            reason: scrub::clean(reason),
        }
    }

    /// Removes `secrets` (the client's secret and token) from every text of
    /// the error that came from the wire: the vendor may echo a request.
    pub(crate) fn redact(&mut self, secrets: &[&str]) {
        match self {
            Error::Api { details, .. } => scrub::scrub_in_place(details, secrets),
            Error::Authentication { messages, .. } => {
                for m in messages {
                    scrub::scrub_in_place(&mut m.message, secrets);
                    if let Some(field) = &mut m.field {
                        scrub::scrub_in_place(field, secrets);
                    }
                }
            }
            Error::UnexpectedResponse { snippet, reason, content_type, .. } => {
                scrub::scrub_in_place(snippet, secrets);
                scrub::scrub_in_place(reason, secrets);
                if let Some(content_type) = content_type {
                    scrub::scrub_in_place(content_type, secrets);
                }
            }
            Error::InvalidRequest { message, .. } | Error::Transport { message, .. } => {
                scrub::scrub_in_place(message, secrets)
            }
            Error::OutcomeUnknown { cause, .. } => cause.redact(secrets),
            Error::NotSent { reason: NotSentReason::TargetUnreadable { message, .. }, .. } => {
                scrub::scrub_in_place(message, secrets)
            }
            Error::NotSent { .. } => {}
            Error::RequestRefused { findings, .. } => {
                for finding in findings {
                    scrub::scrub_in_place(&mut finding.message, secrets);
                }
            }
            Error::Undecodable { reason, .. } => scrub::scrub_in_place(reason, secrets),
            Error::NotSettled { last_status, .. } => scrub::scrub_in_place(last_status, secrets),
            Error::Unauthorized { .. } | Error::ResponseTooLarge { .. } | Error::InvalidConfiguration { .. } => {}
        }
    }

    /// Drops what the error kept of the answer's body (its snippet, its
    /// raw `data`, the envelope's `details`), keeping what kind of answer it
    /// was and its error code: for `/auth`, whose
    /// answer may echo the secret in a form no scrubbing recognises.
    pub(crate) fn forget_body(&mut self) {
        match self {
            Error::UnexpectedResponse { snippet, reason, .. } => {
                let kind = match snippet.trim_start().chars().next() {
                    None => "empty",
                    Some('<') => "markup, e.g. an HTML page",
                    Some('{' | '[') => "JSON",
                    Some(_) => "text",
                };
                *reason = format!("{reason} ({kind}; the body is not kept)");
                snippet.clear();
            }
            Error::Undecodable { data, .. } => *data = RawData::new(serde_json::Value::Null),
            Error::Api { details, .. } if !details.is_empty() => {
                *details = "(the details of an /auth answer are not kept)".into();
            }
            Error::OutcomeUnknown { cause, .. } => cause.forget_body(),
            _ => {}
        }
    }

    pub(crate) fn from_transport(operation: &'static str, error: reqwest::Error) -> Self {
        let kind = if error.is_connect() {
            TransportKind::Connect
        } else if error.is_timeout() {
            TransportKind::Timeout
        } else if error.is_request() || error.is_body() || error.is_decode() {
            TransportKind::Interrupted
        } else {
            TransportKind::Other
        };
        let error = error.without_url();
        let mut message = error.to_string();
        let mut source = std::error::Error::source(&error);
        while let Some(inner) = source {
            message.push_str(": ");
            message.push_str(&inner.to_string());
            source = inner.source();
        }
        Error::Transport { operation, kind, message, source: Some(Arc::new(error)) }
    }

    pub(crate) fn from_envelope(operation: &'static str, status: u16, body: types::ErrorResponse) -> Self {
        Error::api(operation, status, body.error.code, body.error.details)
    }

    /// Multicard's error envelope; card numbers in its message are masked.
    pub(crate) fn api(operation: &'static str, status: u16, code: ErrorCode, details: Option<String>) -> Self {
        Error::Api { operation, status, code, details: details.as_deref().map(scrub::clean).unwrap_or_default() }
    }

    /// The error code, for an [`Error::Api`] (also inside
    /// [`Error::OutcomeUnknown`]).
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Error::Api { code, .. } => Some(code),
            Error::OutcomeUnknown { cause, .. } => cause.code(),
            _ => None,
        }
    }

    /// `true` when Multicard said the operation succeeded, even though its
    /// answer could not be decoded ([`Error::Undecodable`]).
    pub fn succeeded(&self) -> bool {
        matches!(self, Error::Undecodable { succeeded: true, .. })
    }

    /// The write a lost answer leaves to settle (see
    /// [`Error::OutcomeUnknown`]), when a settle knows its kind.
    pub fn lost_write(&self) -> Option<&LostWrite> {
        match self {
            Error::OutcomeUnknown { write, .. } => write.as_deref(),
            _ => None,
        }
    }

    /// `true` when a request that changes state may or may not have taken
    /// effect: see [`Error::OutcomeUnknown`].
    pub fn is_outcome_unknown(&self) -> bool {
        matches!(self, Error::OutcomeUnknown { .. })
    }

    /// The HTTP status, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::OutcomeUnknown { cause, .. } => cause.status(),
            Error::Api { status, .. }
            | Error::UnexpectedResponse { status, .. }
            | Error::Undecodable { status, .. } => Some(*status),
            Error::Authentication { status, .. } => *status,
            Error::Unauthorized { .. } => Some(401),
            _ => None,
        }
    }

    /// `true` when the request provably never reached the server (the
    /// connection could not be made).
    pub fn is_connect(&self) -> bool {
        matches!(self, Error::Transport { kind: TransportKind::Connect, .. })
    }
}

/// Text from the wire (the vendor's `details`, a body's first bytes, an
/// unknown code or status, a decoder's complaint) is shown with its control
/// characters, escape sequences and text-reordering marks written as
/// `\u{…}` ([`crate::escape_controls`]): an answer cannot forge a log line,
/// clear a terminal or hide a link in what a person reads.
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = Unescaped(self).to_string();
        f.write_str(&scrub::escape_controls(&text))
    }
}

/// An error's text as it is made, before [`scrub::escape_controls`].
struct Unescaped<'e>(&'e Error);

impl fmt::Display for Unescaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Error::Api { operation, status, code, details } => {
                write!(f, "{operation}: Multicard answered {code} (HTTP {status}): {details}")
            }
            Error::Authentication { status, messages } => {
                write!(f, "authentication failed")?;
                if let Some(status) = status {
                    write!(f, " (HTTP {status})")?;
                }
                for (i, m) in messages.iter().enumerate() {
                    f.write_str(if i == 0 { ": " } else { "; " })?;
                    match &m.field {
                        Some(field) => write!(f, "{} [{field}]", m.message)?,
                        None => f.write_str(&m.message)?,
                    }
                }
                Ok(())
            }
            Error::Unauthorized { operation } => {
                write!(f, "{operation}: the server refused a freshly issued token (HTTP 401)")
            }
            Error::Transport { operation, kind, message, .. } => write!(f, "{operation}: {kind:?} error: {message}"),
            Error::UnexpectedResponse { operation, status, content_type, snippet, reason } => write!(
                f,
                "{operation}: unexpected response (HTTP {status}, {}): {reason}; body starts: {snippet}",
                content_type.as_deref().unwrap_or("no content type")
            ),
            Error::Undecodable { operation, status, succeeded: true, path, reason, .. } => write!(
                f,
                "{operation}: Multicard answered success (HTTP {status}) and the operation SUCCEEDED, but its data \
                 does not decode at `{path}`: {reason}; the raw data is kept in the error"
            ),
            Error::Undecodable { operation, status, path, reason, .. } => write!(
                f,
                "{operation}: the answer (HTTP {status}) does not decode at `{path}`: {reason}; the raw data is kept \
                 in the error"
            ),
            Error::OutcomeUnknown { operation, settle_with, cause, write } => {
                write!(f, "{operation}: outcome unknown, not sent again ({cause})")?;
                match (write, settle_with) {
                    (Some(lost), read) => {
                        write!(f, "; settle it ({}) with Multicard::settle_write", lost.write)?;
                        if let Some(read) = read {
                            write!(f, " (it reads `{read}`)")?;
                        }
                        f.write_str("; do not send it again unless the settle says not applied")
                    }
                    (None, Some(read)) => write!(
                        f,
                        "; read `{read}` until the status is final; do not send it again unless that shows it was not \
                         applied"
                    ),
                    (None, None) => f.write_str("; do not send it again before finding out what it did"),
                }
            }
            Error::NotSent { operation, target, reason } => {
                write!(f, "{operation} of `{target}`: not sent: {reason}")
            }
            Error::RequestRefused { operation, findings } => {
                write!(f, "{operation}: not sent: the request breaks ")?;
                match findings.as_slice() {
                    [one] => write!(f, "a rule: {one}"),
                    many => {
                        write!(f, "{} rules:", many.len())?;
                        for finding in many {
                            write!(f, " {finding};")?;
                        }
                        Ok(())
                    }
                }
            }
            Error::ResponseTooLarge { operation, limit } => {
                write!(f, "{operation}: the response is larger than the {limit}-byte limit")
            }
            Error::NotSettled { operation, last_status } => {
                write!(f, "{operation}: the status is still `{last_status}` at the deadline")
            }
            Error::InvalidRequest { operation, message } => write!(f, "{operation}: invalid request: {message}"),
            Error::InvalidConfiguration { message } => write!(f, "invalid configuration: {message}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Transport { source: Some(source), .. } => Some(source.as_ref()),
            Error::OutcomeUnknown { cause, .. } => Some(cause.as_ref()),
            _ => None,
        }
    }
}
