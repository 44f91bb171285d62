//! What one attempt of a call carries and sees, shared between the
//! executor (which fills it in before sending and reads it after) and the
//! transport's hooks (which read the token and limits, and record what the
//! answer's head said). It travels in a task-local, [`ATTEMPT`], because the
//! generated client's hooks take no argument of ours.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use reqwest::header::HeaderValue;

use crate::error::RawData;
use crate::operation_table::OperationInfo;
use crate::scrub::Sent;
use crate::token_cache::Token;

/// A nested field that did not decode, and what it held: an informative
/// one (left empty) or an exact one (kept as `Exact::Unreadable`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UnreadableField {
    /// The operation whose answer held it (`None` outside
    /// [`Multicard::send`](crate::Multicard::send)).
    pub operation: Option<&'static str>,
    /// The type and field, e.g. `PaymentModel.store`.
    pub field: String,
    /// Why it did not decode (card numbers masked).
    pub reason: String,
    /// The value as it came.
    pub value: RawData,
}

/// What kind of drift from the spec an answer showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DriftKind {
    /// A field the spec does not name (it was skipped).
    UnknownField,
    /// An enum value the spec does not name (it decoded as `Unknown`).
    UnknownEnumValue,
    /// A nested field that did not decode (an informative one was left
    /// empty, an exact one kept as unreadable).
    UnreadableField,
}

/// One drift an attempt noticed: its kind and where (never a value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub kind: DriftKind,
    pub path: String,
}

/// The head of an answer, as the transport saw it.
#[derive(Debug, Default)]
pub(crate) struct Head {
    pub status: u16,
    pub content_type: Option<HeaderValue>,
    pub retry_after: Option<Duration>,
    /// The `Date` header, when the attempt asked for it.
    pub date: Option<String>,
}

/// One attempt of a call.
#[derive(Debug, Default)]
pub(crate) struct Attempt {
    /// The operation.
    pub operation: &'static str,
    /// The operation as the spec lists it.
    pub info: Option<&'static OperationInfo>,
    /// The token the executor took for this attempt.
    pub token: Option<Token>,
    /// The largest body to read.
    pub max_body: Option<usize>,
    /// Record the answer's `Date` header (the token's lifetime is measured
    /// against it).
    pub want_date: bool,
    /// Notice drift from the spec at all.
    pub drift: bool,
    /// Also look for fields the spec does not name (a second pass over the
    /// body: done on a sample of answers).
    pub check_fields: bool,
    /// Set while that second pass runs, so nothing is noted twice.
    pub replaying: Cell<bool>,
    /// Enum values that decoded as `Unknown`: the enum and the value, until
    /// the body tells where they were.
    pub unknown_values: RefCell<Vec<(&'static str, String)>>,
    /// The drift noticed so far.
    pub findings: RefCell<Vec<Finding>>,
    /// Set when the body was over `max_body` (and was not read).
    pub oversized: Cell<bool>,
    /// The head of the answer, recorded by the post hook.
    pub head: RefCell<Head>,
    /// Informative fields of the answer that did not decode.
    pub unreadable: RefCell<Vec<UnreadableField>>,
    /// What this attempt's request carried, for scrubbing an error.
    pub sent: RefCell<Sent>,
    /// Build the request, record it ([`Probed`]) and do not send it: the
    /// executor learns a write's target before its guards.
    pub probe: bool,
    /// The request a probe built.
    pub probed: RefCell<Option<Probed>>,
}

/// A request built and not sent: its path and body.
#[derive(Debug, Default)]
pub(crate) struct Probed {
    /// The URL's path, percent-encoded.
    pub path: String,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
}

/// What the hooks recorded, taken from the attempt when it is over.
#[derive(Default)]
pub(crate) struct Recorded {
    pub head: Head,
    pub oversized: bool,
    pub unreadable: Vec<UnreadableField>,
    pub sent: Sent,
    pub findings: Vec<Finding>,
}

impl Attempt {
    /// Takes what the hooks recorded. Called inside the attempt's scope,
    /// once its request is over.
    pub(crate) fn take() -> Recorded {
        ATTEMPT
            .try_with(|attempt| Recorded {
                head: attempt.head.take(),
                oversized: attempt.oversized.get(),
                unreadable: attempt.unreadable.take(),
                sent: attempt.sent.take(),
                findings: attempt.findings.take(),
            })
            .unwrap_or_default()
    }
}

impl Attempt {
    /// What a probe recorded. Called inside the probe's scope.
    pub(crate) fn take_probe() -> Option<Probed> {
        ATTEMPT.try_with(|attempt| attempt.probed.take()).ok().flatten()
    }
}

tokio::task_local! {
    /// The attempt under way. Boxed: a task-local is moved in and out of
    /// its slot on every poll, and a pointer moves cheaper than the
    /// attempt's few hundred bytes.
    pub(crate) static ATTEMPT: Box<Attempt>;
}

/// The operation of the attempt under way, if any.
pub(crate) fn current_operation() -> Option<&'static str> {
    ATTEMPT.try_with(|attempt| attempt.operation).ok()
}

/// Notes an informative field that did not decode, for the executor.
pub(crate) fn record_unreadable(field: UnreadableField) {
    let _ = ATTEMPT.try_with(|attempt| {
        if !attempt.replaying.get() {
            attempt.unreadable.borrow_mut().push(field)
        }
    });
}
