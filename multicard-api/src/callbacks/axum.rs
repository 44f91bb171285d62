//! axum integration (cargo feature `axum`): extractors that check a
//! callback before the handler runs, and [`CallbackReply`] as a response.
//!
//! | Extractor | Checks | State it needs (`FromRef`) |
//! |---|---|---|
//! | [`ConfirmedSuccess`] | signature, then the payment read back from the API; one delivery per payment at a time | [`Verifier`], [`Multicard`] and [`Decisions`] |
//! | [`VerifiedSuccess`] | signature only: confirm before granting value | [`Verifier`] |
//! | [`VerifiedWebhook`] | signature only (`status` is unsigned) | [`Verifier`] |
//! | [`UnverifiedCardBinding`] | nothing (Multicard does not sign it) | [`Verifier`] (for its body limit) |
//!
//! For the success callback use [`ConfirmedSuccess`]: a valid signature
//! alone can be forged by moving digits between `invoice_id` and `amount`
//! (see [what a valid signature proves](super#what-a-valid-signature-proves)).
//! [`CallbackState`] is a ready-made state holding a verifier, a client and
//! a decision record; an application with its own state implements
//! `FromRef` for [`Verifier`], [`Multicard`] and [`Decisions`] instead.
//!
//! # What a refused callback is answered
//!
//! A callback that fails a check never reaches the handler. Multicard
//! accepts a success callback only on HTTP 200 with `{"success": true}`;
//! it **holds** the payment (and may send the callback again) on HTTP 500
//! or no answer, and **cancels it and refunds the payer** on any other
//! status, 502, 503 and 504 included. A forged callback does not come from
//! Multicard, so what it is answered changes nothing there: the answers
//! are chosen for the genuine callback that fails a check.
//!
//! | What failed | HTTP | To Multicard (for a genuine success callback) |
//! |---|---|---|
//! | body over the verifier's limit (announced or read), cut short, not JSON, a signed field missing, doubled or of an odd type, no single payment `uuid` | 500 | hold the payment, send the callback again |
//! | signature (bad or malformed) | 500 | hold, send again |
//! | the sender's address, when the verifier has a [`SourceCheck`](super::SourceCheck) (not allowed, or the sender cannot be told: serve with `into_make_service_with_connect_info::<SocketAddr>()`) | 500 | hold, send again |
//! | another delivery of the same payment still being handled after the wait limit ([`Decisions::with_wait_limit`]) | 500 | hold, send again |
//! | the API could not confirm it (unreachable, timed out, an error answer, the payment not final yet (`error` included: it has been seen to turn `success`), an amount that is neither its `payment_amount` nor its `total_amount`, a payment refused earlier) | 500 | hold, send again |
//! | the API contradicts the callback (the invoice id or store differ, the payment was reverted) | 403 | cancel and refund |
//!
//! A signature that does not verify is answered 500, not 403: after a
//! secret rotation that is not configured yet, a genuine callback would
//! otherwise cancel a real payment. Every refusal before the handler is
//! logged (`tracing`, target `multicard::callbacks`) with the reason, never
//! with text from the body.
//!
//! **A proxy or load balancer in front of the callback URL must answer 500
//! when the application cannot** (during a deploy, a restart, an overload),
//! never 502, 503 or 504: to Multicard those cancel genuine payments.
//!
//! # One delivery per payment at a time
//!
//! Multicard may send a callback again while the first delivery is still
//! being handled (after a timeout). [`ConfirmedSuccess`] takes a turn per
//! payment `uuid` before it confirms, and holds it until it is dropped,
//! which is when the handler returns: a second delivery waits for the first
//! to be answered (up to 15 s by default, then 500) and never runs the
//! handler beside it. The turn is per process: across replicas, deduplicate
//! in the database that holds the orders.
//!
//! # `billing`
//!
//! While the callback is out, the API may read the payment as `billing`
//! rather than `success` (integrators' report). [`ConfirmedSuccess`]
//! accepts it then ([`Outcome::AcceptedWhileBilling`]) when the signature
//! holds, the API agrees on store, invoice id and amount, and no refusal of
//! the payment is recorded in [`Decisions`]. To refuse a confirmed payment,
//! answer with [`ConfirmedSuccess::refuse_and_refund`], which records the
//! refusal.
//!
//! The body is read as it streams in and refused as soon as it passes the
//! verifier's limit ([`Verifier::max_body`], 64 KiB by default), or at once
//! when its `Content-Length` says it will; axum's own body limit (2 MB) is
//! not used. The confirmation is one `get_payment` call under the client's
//! own timeout and retry policy.
//!
//! ```no_run
//! use axum::{Router, routing::post};
//! use multicard_api::callbacks::axum::{CallbackState, ConfirmedSuccess};
//! use multicard_api::callbacks::{CallbackReply, Outcome, Verifier};
//! use multicard_api::Multicard;
//!
//! async fn on_success(success: ConfirmedSuccess) -> CallbackReply {
//!     // The payment is real, with this store, invoice and amount, and
//!     // succeeded (or is in `billing` and accepted by the rules above).
//!     // Look it up by success.idempotency_key(); if it is already
//!     // accepted, answer Accept again; otherwise mark the order paid.
//!     let payment = &success.confirmed.current;
//!     let billing = success.confirmed.outcome == Outcome::AcceptedWhileBilling;
//!     println!("order {:?}: {} tiyin paid (billing: {billing})", payment.store_invoice_id, payment.payment_amount);
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

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use axum::extract::{ConnectInfo, FromRef, FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

#[cfg(doc)]
use super::Outcome;
use super::decisions::Turn;
use super::{
    CallbackError, CallbackReply, CardBindingCallback, ConfirmError, Confirmed, Decisions, PaymentStatusWebhook,
    PaymentSuccessCallback, Verifier,
};
use crate::Multicard;
use crate::fulfilment::{
    CardBinding, Fulfilment, HandlerFuture, HeldReason, Ledger, LedgerError, PaymentCredit, StatusChange, StatusSeen,
};
use crate::types::PaymentModel;

impl IntoResponse for CallbackReply {
    fn into_response(self) -> Response {
        // A status that is not one (a `Rejected` built by hand) holds the
        // payment rather than cancelling it.
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, self.body()).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

impl IntoResponse for Fulfilment {
    fn into_response(self) -> Response {
        self.reply().into_response()
    }
}

/// A callback body that failed verification, as the answer to send:
/// HTTP 500 ([`CallbackReply::rejected`]), logged with the reason.
#[derive(Debug)]
pub struct Rejection(pub CallbackError);

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        unverified(&self.0);
        CallbackReply::rejected(&self.0).into_response()
    }
}

/// Logs a body that failed verification. `CallbackError`'s messages never
/// quote the body.
fn unverified(error: &CallbackError) {
    tracing::error!(target: "multicard::callbacks", error = %error, "callback not verified; answered 500");
}

/// Applies the verifier's source check, if any, to `request`: its TCP peer
/// (from axum's `ConnectInfo`) and its `X-Forwarded-For` values.
fn check_source(verifier: &Verifier, request: &Request) -> Result<(), CallbackError> {
    if verifier.source_check().is_none() {
        return Ok(());
    }
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(address)| address.ip()).ok_or(
        CallbackError::SourceUnknown {
            reason: "the server gives no peer address: serve the router with \
                     into_make_service_with_connect_info::<SocketAddr>()",
        },
    )?;
    // A header value that is not text cannot name an address: kept as an
    // entry that fails to parse, so it is never skipped over.
    let forwarded: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .map(|value| value.to_str().unwrap_or("<not text>"))
        .collect();
    verifier.check_source(peer, &forwarded)
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
/// [`ConfirmedSuccess`], or call [`confirm_success`](super::confirm_success) in the handler.
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

impl UnverifiedCardBinding {
    /// Confirms the binding against the API
    /// ([`confirm_card_binding`](super::confirm_card_binding)) and stores
    /// it through `ledger` once per `(application_id, payer_id,
    /// card_token)`: `handler` runs in the ledger's transaction, or the
    /// stored decision is replayed. A binding the API does not confirm is
    /// held (500: Multicard sends it again every 60 s, 5 times).
    pub fn fulfil<'a, L, H>(
        &'a self,
        multicard: &'a Multicard,
        ledger: &'a L,
        handler: H,
    ) -> Pin<Box<dyn Future<Output = Fulfilment> + Send + 'a>>
    where
        L: Ledger,
        H: for<'t> FnMut(&'t mut L::Tx, &'t CardBinding) -> HandlerFuture<'t> + Send + 'a,
    {
        Box::pin(async move {
            let confirmed = match super::confirm_card_binding(multicard, &self.0).await {
                Ok(confirmed) => confirmed,
                Err(error) => return Fulfilment::Held(HeldReason::Unconfirmed(error.to_string())),
            };
            match CardBinding::from_confirmed(&self.0, &confirmed) {
                Some(binding) => ledger.fulfil(&binding, handler).await,
                None => Fulfilment::Held(HeldReason::Unconfirmed(
                    "neither the API nor the callback names the application".into(),
                )),
            }
        })
    }
}

impl VerifiedWebhook {
    /// Confirms the webhook against the API
    /// ([`confirm_status`](super::confirm_status): its `status` is unsigned,
    /// the API's counts) and records that status in `ledger`, only forward.
    /// `Ok` answers 200; an error should be answered 500
    /// ([`Fulfilment::Held`]'s reply), so that the webhook comes again.
    /// A revert after the order was credited is
    /// [`StatusChange::RevertedAfterFulfilment`], logged as an error.
    pub async fn record<L: Ledger>(&self, multicard: &Multicard, ledger: &L) -> Result<StatusChange, HeldReason> {
        let confirmed = super::confirm_status(multicard, &self.0)
            .await
            .map_err(|error| HeldReason::Unconfirmed(error.to_string()))?;
        let seen = StatusSeen::from_confirmed(&confirmed)
            .ok_or_else(|| HeldReason::Unconfirmed("the payment names no store".into()))?;
        ledger.record_status(&seen).await.map_err(|error| match error {
            LedgerError::Busy => HeldReason::Busy,
            other => HeldReason::Storage(other.to_string()),
        })
    }
}

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
                check_source(&verifier, &request).map_err(Rejection)?;
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
/// payment the API confirmed: it exists, it succeeded (or is in `billing`
/// and was accepted by the rules of [`Decisions::confirm_success`]: see
/// `confirmed.outcome`), and its store, invoice id and amount are the
/// callback's. Safe to grant value for (once per
/// [`idempotency_key`](ConfirmedSuccess::idempotency_key)).
///
/// Needs a [`Verifier`], a [`Multicard`] and a [`Decisions`] record from the
/// router's state ([`CallbackState`], or `FromRef` on your own state).
/// While it lives, other deliveries of the same payment wait: keep it until
/// the handler has its answer. An `async fn` handler that takes it as an
/// argument does (it is dropped when the handler returns). A closure that
/// reads only fields of a `Copy` type from it (an amount, the outcome)
/// captures those fields alone and drops the rest, turn included, before
/// its body runs: use it whole, or write an `async fn`. What it answers
/// when a check fails is in the [module docs](self).
#[derive(Debug)]
#[non_exhaustive]
pub struct ConfirmedSuccess {
    /// The callback as Multicard sent it.
    pub callback: PaymentSuccessCallback,
    /// The payment as the API reads now (`confirmed.current`), how it was
    /// confirmed (`confirmed.outcome`), and which fields the signature and
    /// the API covered.
    pub confirmed: Confirmed<PaymentModel>,
    decisions: Decisions,
    _turn: Turn,
}

impl ConfirmedSuccess {
    /// The key to recognise a repeat: the uuid of the confirmed payment.
    /// A repeat of a callback already accepted must be answered
    /// [`CallbackReply::accept`] again, changing nothing.
    pub fn idempotency_key(&self) -> &str {
        &self.confirmed.current.uuid
    }

    /// Refuses this payment on purpose: records the refusal (the payment is
    /// never accepted afterwards by this record) and returns
    /// [`CallbackReply::refuse_and_refund`], which makes Multicard **cancel
    /// the payment and refund the payer**, showing `message`. Refuse
    /// through this rather than `CallbackReply::refuse_and_refund`, which
    /// the record does not see.
    pub fn refuse_and_refund(&self, message: impl Into<String>) -> CallbackReply {
        self.decisions.record_refusal(&self.confirmed.current.uuid);
        CallbackReply::refuse_and_refund(message)
    }
}

impl ConfirmedSuccess {
    /// Credits this payment through `ledger`, exactly once across
    /// deliveries and replicas: runs `handler` in the ledger's transaction
    /// (or replays the decision stored for the payment) and returns the
    /// result, which is the answer to send (`IntoResponse`:
    /// [`Fulfilment::reply`]). See [`fulfilment`](crate::fulfilment).
    ///
    /// A refusal (the handler's, or of a duplicate payment for a credited
    /// order) is stored in the ledger and replayed from there on every
    /// replica, this one included; it is not recorded in this process's
    /// [`Decisions`], whose record would answer this replica's resend 500
    /// (`RefusedEarlier`, the payment left frozen) instead of replaying the
    /// refusal (200 `success: false`, the payment cancelled and refunded).
    ///
    /// The future is boxed, and `Send`: an axum handler that awaits it
    /// stays a handler whatever closure it passes (a future that held the
    /// closure's higher-ranked signature unboxed would not be proven
    /// `Send`).
    pub fn fulfil<'a, L, H>(
        &'a self,
        ledger: &'a L,
        handler: H,
    ) -> Pin<Box<dyn Future<Output = Fulfilment> + Send + 'a>>
    where
        L: Ledger,
        H: for<'t> FnMut(&'t mut L::Tx, &'t PaymentCredit) -> HandlerFuture<'t> + Send + 'a,
    {
        Box::pin(async move {
            let Some(credit) = PaymentCredit::from_confirmed(&self.confirmed) else {
                // A confirmation always names the order and the store; held if not.
                return Fulfilment::Held(HeldReason::Storage("the confirmed payment names no store or order".into()));
            };
            let fulfilment = ledger.fulfil(&credit, handler).await;
            if let Fulfilment::Held(reason) = &fulfilment {
                tracing::warn!(target: "multicard::fulfilment", reason = ?reason, "payment held; answered 500")
            }
            fulfilment
        })
    }
}

/// The payment's turn ends when the value is dropped. Having a `Drop` of
/// its own keeps the value whole: a handler closure that reads one field
/// captures all of it (not that field alone, dropping the rest, turn
/// included, before the handler's body runs).
impl Drop for ConfirmedSuccess {
    fn drop(&mut self) {}
}

/// Why [`ConfirmedSuccess`] refused a callback, as the answer to send.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfirmRejection {
    /// The body failed verification (answered like [`Rejection`]: 500).
    Unverified(CallbackError),
    /// The signature checked out but the API did not confirm the callback
    /// (answered with [`CallbackReply::unconfirmed`]: 403 when the API
    /// contradicts it, 500 when it could not be confirmed yet).
    Unconfirmed(ConfirmError),
    /// Another delivery of the same payment was still being handled when
    /// the wait limit ran out ([`Decisions::with_wait_limit`]): answered
    /// 500, so Multicard holds the payment and sends the callback again.
    Busy,
}

impl ConfirmRejection {
    /// The answer this rejection sends.
    pub fn reply(&self) -> CallbackReply {
        match self {
            ConfirmRejection::Unverified(error) => CallbackReply::rejected(error),
            ConfirmRejection::Unconfirmed(error) => CallbackReply::unconfirmed(error),
            ConfirmRejection::Busy => {
                CallbackReply::retry_later("another delivery of this payment is being handled; send it again")
            }
        }
    }
}

impl IntoResponse for ConfirmRejection {
    fn into_response(self) -> Response {
        let reply = self.reply();
        match &self {
            ConfirmRejection::Unverified(error) => unverified(error),
            ConfirmRejection::Unconfirmed(error) if error.is_contradiction() => {
                tracing::error!(target: "multicard::callbacks", error = %error, "callback contradicted by the API; refused (403)");
            }
            ConfirmRejection::Unconfirmed(error) => {
                tracing::warn!(target: "multicard::callbacks", error = %error, "callback not confirmed yet; answered 500");
            }
            ConfirmRejection::Busy => {
                tracing::warn!(target: "multicard::callbacks", "another delivery of the payment is still being handled; answered 500");
            }
        }
        reply.into_response()
    }
}

impl<S> FromRequest<S> for ConfirmedSuccess
where
    Verifier: FromRef<S>,
    Multicard: FromRef<S>,
    Decisions: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ConfirmRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = Verifier::from_ref(state);
        check_source(&verifier, &request).map_err(ConfirmRejection::Unverified)?;
        let bytes = read_body(request, verifier.max_body()).await.map_err(ConfirmRejection::Unverified)?;
        let callback = verifier.verify_success(&bytes).map_err(ConfirmRejection::Unverified)?;
        let decisions = Decisions::from_ref(state);
        // The turn is taken before the API is asked, so that a repeat sees
        // what the first delivery decided.
        let turn = decisions.enter(&callback.uuid).await.ok_or(ConfirmRejection::Busy)?;
        let multicard = Multicard::from_ref(state);
        let confirmed =
            decisions.confirm_success(&multicard, &callback).await.map_err(ConfirmRejection::Unconfirmed)?;
        Ok(ConfirmedSuccess { callback, confirmed, decisions, _turn: turn })
    }
}

/// Router state with what the callback extractors need: a [`Verifier`], a
/// [`Multicard`] client and a [`Decisions`] record (all cheap to clone).
#[derive(Debug, Clone)]
pub struct CallbackState {
    verifier: Verifier,
    multicard: Multicard,
    decisions: Decisions,
}

impl CallbackState {
    /// State for the callback routes, with a new, empty [`Decisions`].
    pub fn new(verifier: Verifier, multicard: Multicard) -> Self {
        Self { verifier, multicard, decisions: Decisions::new() }
    }

    /// The same state with `decisions` as its record (one shared with other
    /// routes or states, or with another wait limit).
    pub fn with_decisions(mut self, decisions: Decisions) -> Self {
        self.decisions = decisions;
        self
    }

    /// The decision record.
    pub fn decisions(&self) -> &Decisions {
        &self.decisions
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

impl FromRef<CallbackState> for Decisions {
    fn from_ref(state: &CallbackState) -> Decisions {
        state.decisions.clone()
    }
}
