//! axum integration (cargo feature `axum`): extractors that verify a
//! callback before the handler runs, and [`CallbackReply`] as a response.
//!
//! The router's state must give a [`Verifier`] (`FromRef`). A body that
//! fails verification never reaches the handler: the extractor answers
//! with [`CallbackReply::rejected`] (403 for a bad signature, 400 for a
//! malformed body, 413 for an oversized one).
//!
//! ```no_run
//! use axum::{Router, routing::post};
//! use multicard_api::callbacks::{CallbackReply, Verifier, axum::VerifiedSuccess};
//!
//! async fn on_success(VerifiedSuccess(callback): VerifiedSuccess) -> CallbackReply {
//!     // Look the payment up by callback.idempotency_key(); if it is already
//!     // accepted, answer Accept again.
//!     CallbackReply::accept()
//! }
//!
//! let app: Router = Router::new().route("/multicard/success", post(on_success)).with_state(Verifier::new("secret"));
//! ```

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{
    CallbackError, CallbackReply, CardBindingCallback, PaymentStatusWebhook, PaymentSuccessCallback, Verifier,
};

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

async fn body<S: Send + Sync>(request: Request, state: &S, limit: usize) -> Result<Bytes, Rejection> {
    let bytes = Bytes::from_request(request, state)
        .await
        .map_err(|_| Rejection(CallbackError::BodyTooLarge { size: limit + 1, limit }))?;
    if bytes.len() > limit {
        return Err(Rejection(CallbackError::BodyTooLarge { size: bytes.len(), limit }));
    }
    Ok(bytes)
}

/// A payment-success callback whose MD5 signature checked out.
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
                let bytes = body(request, state, verifier.max_body()).await?;
                verifier.$check(&bytes).map($extractor).map_err(Rejection)
            }
        }
    };
}

extractor!(VerifiedSuccess, verify_success);
extractor!(VerifiedWebhook, verify_webhook);
extractor!(UnverifiedCardBinding, parse_card_binding);
