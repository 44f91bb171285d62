//! axum integration (cargo feature `axum`): extractors that check a
//! callback before the handler runs, and [`CallbackReply`] as a response.
//!
//! | Extractor | Checks | State it needs (`FromRef`) |
//! |---|---|---|
//! | [`ConfirmedSuccess`] | signature, then the payment read back from the API | [`Verifier`] and [`Multicard`] |
//! | [`VerifiedSuccess`] | signature only: confirm before granting value | [`Verifier`] |
//! | [`VerifiedWebhook`] | signature only (`status` is unsigned) | [`Verifier`] |
//! | [`UnverifiedCardBinding`] | nothing (Multicard does not sign it) | [`Verifier`] (for its body limit) |
//!
//! For the success callback use [`ConfirmedSuccess`]: a valid signature
//! alone can be forged by moving digits between `invoice_id` and `amount`
//! (see [what a valid signature proves](super#what-a-valid-signature-proves)).
//! [`CallbackState`] is a ready-made state holding both a verifier and a
//! client; an application with its own state implements `FromRef` for
//! [`Verifier`] and [`Multicard`] instead.
//!
//! A callback that fails a check never reaches the handler. The answer:
//!
//! | What failed | HTTP | To Multicard (for a genuine success callback) |
//! |---|---|---|
//! | body over the verifier's limit (announced or read) | 413 | refused: cancel and refund |
//! | body cut short by the sender, malformed, missing fields | 400 | refused: cancel and refund |
//! | signature (bad or malformed) | 403 | refused: cancel and refund |
//! | the API contradicts the callback (a field differs, the payment failed or was reverted) | 403 | refused: cancel and refund |
//! | the API could not confirm it (unreachable, timed out, an error answer, the payment not final yet) | 500 | hold the payment, send the callback again |
//!
//! A forged callback does not come from Multicard, so what it is answered
//! changes nothing at Multicard; the statuses are chosen for the genuine
//! callback that fails a check. A passing failure on the merchant's side
//! must not cancel a payer's genuine payment, hence 500 (the vendor's
//! documents say Multicard holds the payment after HTTP 500 or no answer,
//! and cancels after any other non-200 status). The confirmation is one
//! `get_payment` call under the client's own timeout and retry policy.
//!
//! The body is read as it streams in and refused as soon as it passes the
//! verifier's limit ([`Verifier::max_body`], 64 KiB by default), or at once
//! when its `Content-Length` says it will; axum's own body limit (2 MB) is
//! not used.
//!
//! ```no_run
//! use axum::{Router, routing::post};
//! use multicard_api::callbacks::axum::{CallbackState, ConfirmedSuccess};
//! use multicard_api::callbacks::{CallbackReply, Verifier};
//! use multicard_api::Multicard;
//!
//! async fn on_success(success: ConfirmedSuccess) -> CallbackReply {
//!     // The payment is real and successful, with this store, invoice and
//!     // amount. Look it up by success.idempotency_key(); if it is already
//!     // accepted, answer Accept again; otherwise mark the order paid.
//!     let payment = &success.confirmed.current;
//!     println!("order {:?}: {} tiyin paid", payment.store_invoice_id, payment.payment_amount);
//!     CallbackReply::accept()
//! }
//!
//! # fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let multicard = Multicard::from_env()?;
//! let verifier = Verifier::new(std::env::var("MULTICARD_SECRET")?)?;
//! let app: Router = Router::new()
//!     .route("/multicard/success", post(on_success))
//!     .with_state(CallbackState::new(verifier, multicard));
//! # Ok(()) }
//! ```

use axum::extract::{FromRef, FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use super::{
    CallbackError, CallbackReply, CardBindingCallback, ConfirmError, Confirmed, PaymentStatusWebhook,
    PaymentSuccessCallback, Verifier, confirm_success,
};
use crate::Multicard;
use crate::types::PaymentModel;

impl IntoResponse for CallbackReply {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, self.body()).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

/// A callback body that failed verification, as the answer to send.
#[derive(Debug)]
pub struct Rejection(pub CallbackError);

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        tracing::warn!(target: "multicard::callbacks", error = %self.0, "callback rejected");
        CallbackReply::rejected(&self.0).into_response()
    }
}

/// Reads the body as it streams in, stopping as soon as it passes `limit`
/// bytes (or at once, when its `Content-Length` announces more).
async fn read_body(request: Request, limit: usize) -> Result<Vec<u8>, CallbackError> {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if let Some(announced) = announced.filter(|length| *length > limit as u64) {
        return Err(CallbackError::BodyTooLarge { size: usize::try_from(announced).unwrap_or(usize::MAX), limit });
    }
    let mut stream = request.into_body().into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| body_error(&error))?;
        let size = bytes.len().saturating_add(chunk.len());
        if size > limit {
            return Err(CallbackError::BodyTooLarge { size, limit });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// A failure while reading the body (the sender closed the connection
/// before the length it announced, a broken chunked encoding): the body is
/// unreadable, which is not the same as too large.
fn body_error(error: &axum::Error) -> CallbackError {
    let mut message = error.to_string();
    let mut last = message.clone();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        // axum's error shows its inner error and also gives it as the source.
        let text = inner.to_string();
        if text != last {
            message.push_str(": ");
            message.push_str(&text);
        }
        last = text;
        source = inner.source();
    }
    CallbackError::BodyUnreadable { message }
}

/// A payment-success callback whose MD5 signature checked out.
///
/// The signature alone is not enough to grant value: use
/// [`ConfirmedSuccess`], or call [`confirm_success`] in the handler.
#[derive(Debug, Clone)]
pub struct VerifiedSuccess(pub PaymentSuccessCallback);

/// A status webhook whose SHA-1 signature checked out (its `status` is not
/// signed: confirm it).
#[derive(Debug, Clone)]
pub struct VerifiedWebhook(pub PaymentStatusWebhook);

/// A card-binding callback, decoded but **unverified** (Multicard does not
/// sign it): confirm it with `confirm_card_binding` before storing the card.
#[derive(Debug, Clone)]
pub struct UnverifiedCardBinding(pub CardBindingCallback);

/// `FromRequest` for an extractor: read the body (with the verifier's
/// limit), then check it with one of the verifier's methods.
macro_rules! extractor {
    ($extractor:ident, $check:ident) => {
        impl<S> FromRequest<S> for $extractor
        where
            Verifier: FromRef<S>,
            S: Send + Sync,
        {
            type Rejection = Rejection;

            async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
                let verifier = Verifier::from_ref(state);
                let bytes = read_body(request, verifier.max_body()).await.map_err(Rejection)?;
                verifier.$check(&bytes).map($extractor).map_err(Rejection)
            }
        }
    };
}

extractor!(VerifiedSuccess, verify_success);
extractor!(VerifiedWebhook, verify_webhook);
extractor!(UnverifiedCardBinding, parse_card_binding);

/// A payment-success callback whose signature checked out **and** whose
/// payment the API confirmed: it exists, it succeeded, and its store,
/// invoice id and amount are the callback's. Safe to grant value for (once
/// per [`idempotency_key`](ConfirmedSuccess::idempotency_key)).
///
/// Needs a [`Verifier`] and a [`Multicard`] from the router's state
/// ([`CallbackState`], or `FromRef` on your own state). What it answers when
/// a check fails is in the [module docs](self).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConfirmedSuccess {
    /// The callback as Multicard sent it.
    pub callback: PaymentSuccessCallback,
    /// The payment as the API reads now (`confirmed.current`), and which
    /// fields the signature and the API covered.
    pub confirmed: Confirmed<PaymentModel>,
}

impl ConfirmedSuccess {
    /// The key to recognise a repeat: the uuid of the confirmed payment.
    /// A repeat of a callback already accepted must be answered
    /// [`CallbackReply::accept`] again, changing nothing.
    pub fn idempotency_key(&self) -> &str {
        &self.confirmed.current.uuid
    }
}

/// Why [`ConfirmedSuccess`] refused a callback, as the answer to send.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfirmRejection {
    /// The body failed verification (answered like [`Rejection`]).
    Unverified(CallbackError),
    /// The signature checked out but the API did not confirm the callback
    /// (answered with [`CallbackReply::unconfirmed`]: 403 when the API
    /// contradicts it, 500 when it could not be confirmed yet).
    Unconfirmed(ConfirmError),
}

impl ConfirmRejection {
    /// The answer this rejection sends.
    pub fn reply(&self) -> CallbackReply {
        match self {
            ConfirmRejection::Unverified(error) => CallbackReply::rejected(error),
            ConfirmRejection::Unconfirmed(error) => CallbackReply::unconfirmed(error),
        }
    }
}

impl IntoResponse for ConfirmRejection {
    fn into_response(self) -> Response {
        let reply = self.reply();
        match &self {
            ConfirmRejection::Unverified(error) => {
                tracing::warn!(target: "multicard::callbacks", error = %error, "callback rejected");
            }
            ConfirmRejection::Unconfirmed(error) if error.is_contradiction() => {
                tracing::warn!(target: "multicard::callbacks", error = %error, "callback contradicted by the API; refused");
            }
            ConfirmRejection::Unconfirmed(error) => {
                tracing::warn!(target: "multicard::callbacks", error = %error, "callback not confirmed yet; answered 500");
            }
        }
        reply.into_response()
    }
}

impl<S> FromRequest<S> for ConfirmedSuccess
where
    Verifier: FromRef<S>,
    Multicard: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ConfirmRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = Verifier::from_ref(state);
        let bytes = read_body(request, verifier.max_body()).await.map_err(ConfirmRejection::Unverified)?;
        let callback = verifier.verify_success(&bytes).map_err(ConfirmRejection::Unverified)?;
        let multicard = Multicard::from_ref(state);
        let confirmed = confirm_success(&multicard, &callback).await.map_err(ConfirmRejection::Unconfirmed)?;
        Ok(ConfirmedSuccess { callback, confirmed })
    }
}

/// Router state with what the callback extractors need: a [`Verifier`] and
/// a [`Multicard`] client (both cheap to clone).
#[derive(Debug, Clone)]
pub struct CallbackState {
    verifier: Verifier,
    multicard: Multicard,
}

impl CallbackState {
    /// State for the callback routes.
    pub fn new(verifier: Verifier, multicard: Multicard) -> Self {
        Self { verifier, multicard }
    }

    /// The verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// The client that confirms callbacks.
    pub fn multicard(&self) -> &Multicard {
        &self.multicard
    }
}

impl FromRef<CallbackState> for Verifier {
    fn from_ref(state: &CallbackState) -> Verifier {
        state.verifier.clone()
    }
}

impl FromRef<CallbackState> for Multicard {
    fn from_ref(state: &CallbackState) -> Multicard {
        state.multicard.clone()
    }
}
