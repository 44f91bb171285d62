//! The callbacks the sandbox sends to merchants: one to send
//! ([`Outgoing`]), what its answer was ([`Answered`]) and what that means
//! by the vendor's rules ([`verdict`], [`DeliveryOutcome`]), and the log of
//! those sent ([`Delivery`], at most `max_deliveries` kept).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::kinds::CallbackKind;

/// A callback to send.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Outgoing {
    pub(crate) kind: CallbackKind,
    pub(crate) url: String,
    pub(crate) body: Value,
    /// The payment a success callback is about: the merchant's answer
    /// decides how it ends.
    pub(crate) payment: Option<String>,
}

/// What came back for one callback, and what is kept of it to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Exchange {
    pub(crate) answered: Answered,
    /// The first 2,048 bytes of the answer's body (lossy UTF-8), when an
    /// answer came.
    pub(crate) shown: Option<String>,
}

/// What came back from a merchant for one callback.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answered {
    /// An HTTP status, and whether the body (read only for a 200, up to
    /// `max_callback_answer` bytes) was JSON with a boolean `success: true`.
    Status {
        /// The HTTP status.
        status: u16,
        /// A 200 whose body is JSON with a boolean `success: true`.
        success_true: bool,
    },
    /// No answer within `callback_timeout` (or a fault said so).
    TimedOut,
    /// No HTTP answer at all: the connection was refused or cut, the TLS
    /// handshake failed, the URL could not be reached.
    Failed,
}

impl Answered {
    /// The answer `status` with `body` (as much of it as was read; a body
    /// cut short reads as no `success: true`).
    pub fn status(status: u16, body: &[u8]) -> Self {
        let success_true = status == 200
            && serde_json::from_slice::<Value>(body).is_ok_and(|answer| answer["success"] == Value::Bool(true));
        Answered::Status { status, success_true }
    }
}

/// What Multicard does with `answered`, the merchant's answer to a callback
/// of `kind`, by the vendor's rules: the success callback is accepted on
/// HTTP 200 with a boolean `success: true`; exactly 500, or no answer in
/// time, freezes the payment; anything else (another status, a redirect,
/// 200 without `success: true`, no connection) cancels it and refunds the
/// payer. A webhook is accepted on any 2xx, the card-binding callback on
/// 200; otherwise they are sent again. The sandbox acts on this
/// (`world/money.rs`), and `multicard callback send` reports it.
pub fn verdict(kind: CallbackKind, answered: &Answered) -> DeliveryOutcome {
    match (kind, answered) {
        (CallbackKind::Success, Answered::Status { status: 200, success_true: true }) => DeliveryOutcome::Accepted,
        (CallbackKind::Success, Answered::Status { status: 500, .. } | Answered::TimedOut) => DeliveryOutcome::Frozen,
        (CallbackKind::Success, _) => DeliveryOutcome::Refused,
        (CallbackKind::Webhook, Answered::Status { status: 200..=299, .. })
        | (CallbackKind::CardBinding, Answered::Status { status: 200, .. }) => DeliveryOutcome::Accepted,
        (CallbackKind::Webhook | CallbackKind::CardBinding, _) => DeliveryOutcome::NotAccepted,
    }
}

/// What a callback's answer meant to the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeliveryOutcome {
    /// Accepted: HTTP 200 with a boolean `success: true` for the success
    /// callback, any 2xx for a webhook, 200 for the card-binding callback.
    Accepted,
    /// Success callback answered exactly 500, or not answered in time:
    /// the payment is frozen (stays `billing`) and the callback may be
    /// sent again (`SandboxConfig::frozen_payments`).
    Frozen,
    /// Success callback answered anything else (another status, a
    /// redirect, 200 without a boolean `success: true`, no connection):
    /// the payment is cancelled and the payer refunded (`revert`).
    Refused,
    /// A webhook or card-binding callback not accepted: sent again while
    /// attempts remain.
    NotAccepted,
    /// Sent, but its payment had meanwhile ended another way: the answer
    /// changed nothing.
    Skipped,
}

impl DeliveryOutcome {
    /// Its name: `accepted`, `frozen`, `refused`, `not_accepted`, `skipped`.
    pub fn as_str(&self) -> &'static str {
        match self {
            DeliveryOutcome::Accepted => "accepted",
            DeliveryOutcome::Frozen => "frozen",
            DeliveryOutcome::Refused => "refused",
            DeliveryOutcome::NotAccepted => "not_accepted",
            DeliveryOutcome::Skipped => "skipped",
        }
    }

    /// What Multicard does then with a callback of `kind`, in words.
    pub fn meaning(&self, kind: CallbackKind) -> &'static str {
        match (self, kind) {
            (DeliveryOutcome::Accepted, CallbackKind::Success) => "accepted: the payment is paid (`success`)",
            (DeliveryOutcome::Accepted, _) => "accepted: not sent again",
            (DeliveryOutcome::Frozen, _) => {
                "frozen: the payment stays `billing`, the payer's funds blocked, and the callback may be sent again"
            }
            (DeliveryOutcome::Refused, _) => {
                "cancelled and refunded: the payment is cancelled (`revert`) and the payer refunded"
            }
            (DeliveryOutcome::NotAccepted, CallbackKind::CardBinding) => {
                "not accepted: sent again 60 s later, 5 attempts in all"
            }
            (DeliveryOutcome::NotAccepted, _) => "not accepted: sent again, 5 more times",
            (DeliveryOutcome::Skipped, _) => "skipped: its payment had already ended another way",
        }
    }
}

/// One callback the sandbox sent.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Delivery {
    /// `success`, `webhook` or `card_binding`.
    pub kind: &'static str,
    /// Where it went.
    pub url: String,
    /// The JSON body.
    pub body: Value,
    /// Which attempt (1 for the first).
    pub attempt: u32,
    /// The merchant's HTTP status, or `None` when it did not answer (in
    /// time).
    pub status: Option<u16>,
    /// What the answer meant.
    pub outcome: DeliveryOutcome,
    /// When it was sent, by the sandbox's clock, as Multicard writes time.
    pub at: String,
    /// The payment a success callback is about.
    pub payment: Option<String>,
    /// The first 2,048 bytes of the merchant's answer (lossy UTF-8), when
    /// there was one: what a merchant sends, shown only escaped.
    pub answer: Option<String>,
    /// How long the merchant took to answer (wall time).
    pub took: std::time::Duration,
    /// Its number among all the callbacks this sandbox sent (1 for the
    /// first).
    pub number: usize,
}

/// A [`Delivery`] as a state file holds it (its `kind` read as a
/// [`CallbackKind`]).
#[derive(Deserialize)]
struct Sent {
    kind: CallbackKind,
    url: String,
    body: Value,
    attempt: u32,
    status: Option<u16>,
    outcome: DeliveryOutcome,
    at: String,
    payment: Option<String>,
    answer: Option<String>,
    took: std::time::Duration,
    number: usize,
}

impl<'de> Deserialize<'de> for Delivery {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Sent { kind, url, body, attempt, status, outcome, at, payment, answer, took, number } =
            Sent::deserialize(deserializer)?;
        Ok(Delivery { kind: kind.as_str(), url, body, attempt, status, outcome, at, payment, answer, took, number })
    }
}

/// The callbacks sent, the oldest dropped past `max`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct DeliveryLog {
    kept: VecDeque<Delivery>,
    pub(crate) max: usize,
    /// How many were sent in all.
    pub(crate) total: usize,
}

impl DeliveryLog {
    pub(crate) fn new(max: usize) -> Self {
        Self { kept: VecDeque::new(), max: max.max(1), total: 0 }
    }

    pub(crate) fn push(&mut self, mut delivery: Delivery) {
        delivery.number = self.total + 1;
        while self.kept.len() >= self.max {
            self.kept.pop_front();
        }
        self.kept.push_back(delivery);
        self.total += 1;
    }

    pub(crate) fn all(&self) -> Vec<Delivery> {
        self.kept.iter().cloned().collect()
    }
}
