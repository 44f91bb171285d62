//! The answer to a callback, and what Multicard does with it.

use super::{CallbackError, ConfirmError};

/// The answer to a callback.
///
/// To the success callback, Multicard reads HTTP 200 with
/// `{"success": true}` as acceptance. HTTP 500 (or no answer in time) holds
/// the payment (the payer's funds stay blocked) and Multicard may send the
/// callback again. Any other answer (502, 503 and 504 included) **cancels
/// the payment and refunds the payer**.
///
/// So the SDK answers with exactly two statuses, and a third in one case:
///
/// - **200**: [`CallbackReply::Accept`], or
///   [`CallbackReply::RefuseAndRefund`] to refuse on purpose;
/// - **500**: anything that cannot be decided now
///   ([`CallbackReply::RetryLater`]): a body that does not verify (bad
///   signature, malformed, oversized, cut short, an odd field), a callback
///   the API could not confirm yet, your own storage down. A forger gains
///   nothing by a 500; a genuine callback answered 500 (after a secret
///   rotation, or with a field this SDK does not expect) is held, not
///   cancelled;
/// - **403**: only a verified callback that the API itself contradicts
///   ([`CallbackReply::unconfirmed`]).
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
    /// The callback is refused with a status other than 200 and 500: to
    /// Multicard a refusal that **cancels the payment and refunds the
    /// payer**. The SDK builds it only with 403, for a verified callback
    /// that the API contradicts ([`CallbackReply::unconfirmed`]).
    Rejected {
        /// The HTTP status (a status that is not a valid HTTP status is
        /// answered 500).
        status: u16,
        /// Why, without secrets.
        message: String,
    },
    /// HTTP 500: not decided yet. Multicard holds the payment and may send
    /// the callback again; nothing is cancelled. The answer when the
    /// callback could not be confirmed (the API unreachable, the payment not
    /// final yet) or your own storage is down.
    RetryLater {
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

    /// Decide later: HTTP 500, after which Multicard holds the payment and
    /// may send the callback again (see [`CallbackReply::RetryLater`]).
    pub fn retry_later(message: impl Into<String>) -> Self {
        CallbackReply::RetryLater { message: message.into() }
    }

    /// The answer to a body that failed verification, whatever the reason:
    /// HTTP 500 ([`CallbackReply::RetryLater`]). A forger's answer changes
    /// nothing at Multicard, while any refusing status to a genuine callback
    /// that failed here (a rotated secret not yet configured, a field in a
    /// new shape, a body cut by a proxy) would cancel a real payment; 500
    /// holds it and lets Multicard send it again. The message says why,
    /// never quoting the body.
    pub fn rejected(error: &CallbackError) -> Self {
        CallbackReply::RetryLater { message: format!("the callback was not verified: {error}") }
    }

    /// The answer to a verified callback that the API did not confirm.
    ///
    /// - The API contradicts it ([`ConfirmError::is_contradiction`]): HTTP
    ///   403. A forgery (digits moved between fields, a `uuid` swapped in)
    ///   gets this answer; a genuine callback never should, and if one did,
    ///   cancelling the payment is the safe end for the money.
    /// - Otherwise (the API could not be asked or did not answer usefully,
    ///   the payment is not final yet, the amount is neither of the
    ///   payment's, the payment was refused earlier): HTTP 500, so that a
    ///   genuine payment is held and its callback sent again rather than
    ///   cancelled because of a passing failure. To a forger the answer
    ///   means nothing.
    ///
    /// The message says nothing of what the API answered, so a forger
    /// learns nothing about the payment it named; log the error itself.
    pub fn unconfirmed(error: &ConfirmError) -> Self {
        if error.is_contradiction() {
            CallbackReply::Rejected { status: 403, message: "the callback does not match the payment".into() }
        } else {
            CallbackReply::RetryLater { message: "the callback could not be confirmed yet; send it again".into() }
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            CallbackReply::Rejected { status, .. } => *status,
            CallbackReply::RetryLater { .. } => 500,
            CallbackReply::Accept | CallbackReply::RefuseAndRefund { .. } => 200,
        }
    }

    /// The JSON body.
    pub fn body(&self) -> Vec<u8> {
        let value = match self {
            CallbackReply::Accept => serde_json::json!({"success": true}),
            CallbackReply::RefuseAndRefund { message }
            | CallbackReply::Rejected { message, .. }
            | CallbackReply::RetryLater { message } => {
                serde_json::json!({"success": false, "message": message})
            }
        };
        value.to_string().into_bytes()
    }
}
