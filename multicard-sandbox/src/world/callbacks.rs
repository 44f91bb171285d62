//! The callbacks the sandbox sends to merchants: one waiting to be sent
//! ([`Outgoing`]) and one sent ([`Delivery`]).

use serde_json::Value;

use super::kinds::CallbackKind;

/// A callback to send once the world's lock is released.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub(crate) kind: CallbackKind,
    pub(crate) url: String,
    pub(crate) body: Value,
    /// The payment a success callback is about: a merchant that refuses it
    /// cancels the payment.
    pub(crate) payment: Option<String>,
}

/// One callback the sandbox sent.
#[derive(Debug, Clone)]
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
    /// The merchant's HTTP status, or `None` when it did not answer.
    pub status: Option<u16>,
}
