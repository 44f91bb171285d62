//! Callbacks: what Multicard sends to the merchant's `callback_url`.
//!
//! | Callback | Type | Signed |
//! |---|---|---|
//! | payment success | [`PaymentSuccessCallback`] | `md5("{store_id}{invoice_id}{amount}{secret}")` |
//! | status change (webhook) | [`PaymentStatusWebhook`] | `sha1("{uuid}{invoice_id}{amount}{secret}")` |
//! | card bound (hosted form) | [`CardBindingCallback`] | **not signed** |
//!
//! Verify with a [`Verifier`] on the raw body, confirm against the API, then
//! answer with a [`CallbackReply`].
//!
//! # Answers: exactly 200 or 500
//!
//! The answer to the success callback matters. Multicard accepts it only on
//! HTTP 200 with `{"success": true}`. HTTP 500 (or no answer in time) holds
//! the payment (the payer's funds stay blocked) and Multicard may send the
//! callback again. **Any other status, 502, 503 and 504 included, or
//! `success` not true, cancels the payment and refunds the payer.** So:
//!
//! - 200 `{"success": true}` to accept ([`CallbackReply::accept`]);
//!   200 `{"success": false}` only to refuse on purpose
//!   ([`CallbackReply::refuse_and_refund`]);
//! - 500 whenever the callback cannot be decided now: a body that does not
//!   verify (a bad signature, malformed, oversized or cut short, a signed
//!   field of an odd type, no single payment `uuid`), a callback the API
//!   could not confirm yet, your own storage down
//!   ([`CallbackReply::rejected`], [`CallbackReply::retry_later`]). A
//!   forger gains nothing by a 500, while a refusal of a genuine callback
//!   that failed a check (a rotated secret, a field in a new shape) would
//!   cancel a real payment;
//! - 403 only for a verified callback the API itself contradicts (another
//!   invoice or store, a payment that was reverted; `error` is held, as it
//!   has been seen to turn `success`):
//!   [`CallbackReply::unconfirmed`].
//!
//! **A proxy or load balancer in front of the callback URL must answer 500
//! when the application cannot answer** (a deploy, a restart, an overload),
//! never 502, 503 or 504, or genuine payments are cancelled. Webhooks are
//! sent again after any answer but 2xx, and the card-binding callback after
//! any answer but 200, so 500 suits them too.
//!
//! # Signed as sent
//!
//! The signed fields (`store_id`, `invoice_id`, `amount` for the success
//! callback; `uuid`, `invoice_id`, `amount` for the webhook) are read as
//! raw JSON and the signature is checked over exactly what was sent: a
//! string's content, a number's literal digits (`1000.0` is `1000.0`). An
//! amount written with a zero fraction (`1000.0`, `"1000.00"`) also
//! verifies when signed over its whole tiyin (`1000`), as the clients in
//! the field sign it. Nothing is converted before the signature holds, and
//! an error before that names the field and its JSON type, never its value.
//!
//! After the signature, the other fields are read leniently: `payment_time`
//! as `YYYY-MM-DD HH:MM:SS` (GMT+5), with milliseconds, or ISO 8601 with or
//! without a fraction and a zone; `billing_id` and `phone` as numbers or
//! strings; `receipt_url` as a string, or an object kept as its JSON text.
//! An informative field that does not decode is left out (with a warning
//! naming it), never failing the callback. A missing `uuid` is taken from
//! `invoice_uuid` (production sends both, equal); a callback with neither,
//! or with two that differ, names no single payment and is refused (500).
//!
//! # What a valid signature proves
//!
//! The signatures are the vendor's and cannot change. A valid signature
//! proves less than it seems:
//!
//! - **It proves** that someone who knows the secret once signed the
//!   concatenated text of the signed fields: `{store_id}{invoice_id}{amount}`
//!   for the success callback, `{uuid}{invoice_id}{amount}` for the webhook.
//! - **It does not prove where one field ends and the next begins.** The
//!   fields are joined with no separator, so digits can move between them: a
//!   genuine callback from store `6` for invoice `42` at `5000` tiyin also
//!   verifies as invoice `4` at `25000`, as invoice `42500` at `0`, and as
//!   store `64` with invoice `2`.
//! - **It does not prove that the callback is new.** Nothing signed changes
//!   between a callback and its replay, and nothing signed expires.
//! - **It does not cover the other fields**: the success callback's `uuid`
//!   (the payment it names), the webhook's `status`, and every card,
//!   phone, time and receipt field. The card-binding callback is not signed
//!   at all.
//!
//! So a signature alone never grants value. Confirm the callback against the
//! API first: [`confirm_success`] reads the payment its `uuid` names and
//! checks that store, invoice, amount and status agree (which undoes any
//! shifting of digits), [`confirm_status`] reads the current status, and
//! [`confirm_card_binding`] reads the binding. With the `axum` feature the
//! `axum::ConfirmedSuccess` extractor verifies **and** confirms before the
//! handler runs.
//!
//! The invoice id and store must agree (a difference is a contradiction:
//! 403). The `amount` agrees when it is the payment's `payment_amount` or
//! its `total_amount`: which one the callback carries is not documented,
//! and an amount that is neither is held (500), not refused. That costs no
//! safety: digits moved by a forger change the invoice id or the store as
//! well (the amount is the last signed field), so an amount alone that
//! differs is no sign of forgery, while refusing it could cancel a genuine
//! payment.
//!
//! # `billing`, and the record of decisions
//!
//! While the success callback is out, `GET /payment/{uuid}` may read
//! `billing` rather than `success` (integrators' report, not the vendor's);
//! a confirmation that waits for `success` may wait for ever. A payment in
//! `billing` is accepted in exactly one place,
//! [`Decisions::confirm_success`] (which the `ConfirmedSuccess` extractor
//! uses), and only when the signature held, the API agrees on store,
//! `store_invoice_id` and amount, and no refusal of this payment is
//! recorded: a payment once refused is never accepted afterwards. The
//! result says so ([`Outcome::AcceptedWhileBilling`]). [`confirm_success`]
//! without a record answers `billing` with [`ConfirmError::NotFinal`]
//! (500). The record is in-process: across replicas, keep the decisive one
//! in the database that holds the orders.
//!
//! # As production sends it
//!
//! The success callback differs from the vendor's example, and the typed
//! [`PaymentSuccessCallback`] reads what production sends: `store_id` is a
//! [`StoreId`](crate::types::StoreId) (a JSON integer in production, even for
//! an invoice created with a store UUID; a string decodes too, and the
//! signature covers the text as sent), `invoice_uuid` is present (equal to
//! `uuid`, unsigned), `billing_id` is `null`, there is no `status`, and
//! `card_token` is 22 mixed-case letters and digits where the documents show
//! 24 hex digits: nothing here checks its shape, and your code should not
//! either. [`testing::SuccessCallback`] writes that shape for tests.
//!
//! # Repeats
//!
//! Multicard may send the same callback again (after a timeout or a 500).
//! Key your records by the payment `uuid`
//! ([`PaymentSuccessCallback::idempotency_key`]) **after** confirmation:
//! the `uuid` is not signed, so before confirmation anyone can replay a
//! callback under a new `uuid`, and it would get a new key. When the payment
//! is already accepted, answer success again and change nothing.
//!
//! ```
//! use multicard_api::callbacks::{CallbackReply, Verifier, testing};
//!
//! let verifier = Verifier::new("my-secret").expect("a real secret");
//! // In a test, sign a payload the way Multicard does:
//! let body = testing::success_body(6, "order-42", 150_000, "e60d8ebc-b9fe-11ef-b159-005056b4367d", "my-secret");
//! let callback = verifier.verify_success(&body).expect("genuine");
//! assert_eq!(callback.amount, 150_000);
//! // Not yet a reason to grant anything: confirm_success(&multicard, &callback) first.
//! let reply = CallbackReply::accept();
//! assert_eq!(reply.status(), 200);
//! assert_eq!(reply.body(), br#"{"success":true}"#);
//! ```

mod confirm;
mod decisions;
mod error;
mod lenient;
mod raw;
mod reply;
mod source;
pub mod testing;
mod verify;

#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub mod axum;

pub use crate::types::{CardBindingCallback, PaymentStatusWebhook, PaymentSuccessCallback};
pub use confirm::{ConfirmError, Confirmed, Outcome, confirm_card_binding, confirm_status, confirm_success};
pub use decisions::Decisions;
pub use error::CallbackError;
pub use reply::CallbackReply;
pub use source::SourceCheck;
pub use verify::{DEFAULT_MAX_BODY, Verifier, success_signature, webhook_signature};

impl PaymentSuccessCallback {
    /// The key to recognise a repeat of this callback: the payment `uuid`.
    ///
    /// Use it only **after** [`confirm_success`] has succeeded. The `uuid`
    /// is not signed: until the API has confirmed that this `uuid` names a
    /// successful payment with this store, invoice and amount, a replayed
    /// callback with a made-up `uuid` gets a fresh key and would look new.
    pub fn idempotency_key(&self) -> &str {
        &self.uuid
    }
}

impl PaymentStatusWebhook {
    /// The key to recognise a repeat of this webhook: the payment `uuid`
    /// and the status it reports.
    ///
    /// Neither is proof of anything before [`confirm_status`]: the status is
    /// not signed, so key on the confirmed payment and its current status.
    pub fn idempotency_key(&self) -> (&str, &str) {
        (&self.uuid, self.status.as_str())
    }
}
