//! Money flows against the local sandbox, and merchants that answer its
//! callbacks: loopback servers each test starts itself.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use multicard_api::callbacks::axum::ConfirmedSuccess;
use multicard_api::callbacks::{CallbackReply, Decisions, Verifier};
use multicard_api::types::{self, PaymentStatus};
use multicard_api::{Error, Multicard};
use multicard_sandbox::{Sandbox, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP};
use serde_json::{Value, json};

/// `value` as the SDK's request type `T`.
pub fn body<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{value}: {e}"))
}

/// Fiscal items for `amount`.
pub fn ofd(amount: i64) -> Value {
    json!([{"qty": 1, "price": amount, "mxik": "06401004002000000", "total": amount, "package_code": "1506113", "name": "item"}])
}

/// Binds the test card by its data and OTP; returns its token.
pub async fn bound_card(multicard: &Multicard) -> String {
    let request: types::AddCardRequest =
        body(json!({"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY, "user_phone": "998901234567"}));
    let draft = multicard.send(|api| api.add_card().body(request.clone())).await.expect("add card");
    let otp: types::ConfirmCardRequest = body(json!({"otp": TEST_OTP}));
    let card = multicard
        .send(|api| api.confirm_card().card_token(draft.card_token.as_str()).body(otp.clone()))
        .await
        .expect("confirm card");
    card.card_token
}

/// A draft payment by card `token` for `amount`, its callbacks to
/// `callback_url`.
pub async fn draft_payment(multicard: &Multicard, token: &str, amount: i64, callback_url: Option<&str>) -> String {
    let request: types::CreatePaymentRequest = body(json!({"card": {"token": token}, "amount": amount, "store_id": 6,
        "invoice_id": format!("order-{amount}"), "callback_url": callback_url}));
    let created = multicard.send(|api| api.create_payment().body(request.clone())).await.expect("create payment");
    assert_eq!(created.status, PaymentStatus::Draft);
    created.uuid
}

/// Confirms payment `uuid` (a token payment: `{}`).
pub async fn confirm(multicard: &Multicard, uuid: &str) -> Result<types::PaymentModel, Error> {
    let empty: types::ConfirmPaymentRequest = body(json!({}));
    multicard.send(|api| api.confirm_payment().uuid(uuid).body(empty.clone())).await
}

/// A payment by card `token`, created and confirmed; returns its uuid and
/// the status the confirmation answered.
pub async fn paid(
    multicard: &Multicard,
    token: &str,
    amount: i64,
    callback_url: Option<&str>,
) -> (String, PaymentStatus) {
    let uuid = draft_payment(multicard, token, amount, callback_url).await;
    let confirmed = confirm(multicard, &uuid).await.expect("confirm payment");
    (uuid, confirmed.status)
}

/// Payment `uuid` as the API reads it now.
pub async fn payment(multicard: &Multicard, uuid: &str) -> types::PaymentModel {
    multicard.send(|api| api.get_payment().uuid(uuid)).await.expect("get payment")
}

/// A sandbox and a client for it.
pub async fn start(config: multicard_sandbox::SandboxConfig) -> (Sandbox, Multicard) {
    let sandbox = Sandbox::start_with(config).await.expect("the sandbox starts");
    let multicard = Multicard::new(sandbox.config()).expect("a client");
    (sandbox, multicard)
}

/// Serves `router` on a free loopback port; returns its base URL.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

/// What a [`ConfirmingMerchant`]'s handler decides for a confirmed callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decide {
    /// Grant the order once (a repeat changes nothing) and accept.
    Accept,
    /// Refuse the payment through the extractor: Multicard cancels it and
    /// refunds the payer.
    Refuse,
    /// The merchant's own storage is down: answer 500, decide later.
    RetryLater,
}

/// A merchant whose success route takes the SDK's `ConfirmedSuccess`
/// extractor: the handler runs only for a callback the API confirmed, and
/// counts its runs, the status the API reported to it, and the orders it
/// granted (once per payment).
#[derive(Clone)]
pub struct ConfirmingMerchant {
    /// Where the success callback goes.
    pub url: String,
    verifier: Verifier,
    multicard: Multicard,
    decisions: Decisions,
    decide: Arc<Mutex<Decide>>,
    runs: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<PaymentStatus>>>,
    granted: Arc<Mutex<Vec<String>>>,
}

impl FromRef<ConfirmingMerchant> for Verifier {
    fn from_ref(merchant: &ConfirmingMerchant) -> Verifier {
        merchant.verifier.clone()
    }
}

impl FromRef<ConfirmingMerchant> for Multicard {
    fn from_ref(merchant: &ConfirmingMerchant) -> Multicard {
        merchant.multicard.clone()
    }
}

impl FromRef<ConfirmingMerchant> for Decisions {
    fn from_ref(merchant: &ConfirmingMerchant) -> Decisions {
        merchant.decisions.clone()
    }
}

/// The merchant's handler: grants value once per confirmed payment.
async fn on_success(State(merchant): State<ConfirmingMerchant>, success: ConfirmedSuccess) -> CallbackReply {
    merchant.runs.fetch_add(1, Ordering::SeqCst);
    merchant.seen.lock().unwrap().push(success.confirmed.current.status.clone());
    let decide = *merchant.decide.lock().unwrap();
    match decide {
        Decide::Accept => {
            let key = success.idempotency_key().to_string();
            let mut granted = merchant.granted.lock().unwrap();
            if !granted.contains(&key) {
                granted.push(key);
            }
            CallbackReply::accept()
        }
        Decide::Refuse => success.refuse_and_refund("Заказ отменён"),
        Decide::RetryLater => CallbackReply::retry_later("the shop's storage is down"),
    }
}

impl ConfirmingMerchant {
    /// Starts one, confirming callbacks with `multicard`, signed with
    /// `secret`, accepting them.
    pub async fn start(multicard: &Multicard, secret: &str) -> Self {
        let mut merchant = Self {
            url: String::new(),
            verifier: Verifier::new(secret).expect("a secret"),
            multicard: multicard.clone(),
            decisions: Decisions::new(),
            decide: Arc::new(Mutex::new(Decide::Accept)),
            runs: Arc::default(),
            seen: Arc::default(),
            granted: Arc::default(),
        };
        let route = axum::Router::new().route("/success", axum::routing::post(on_success)).with_state(merchant.clone());
        merchant.url = format!("{}/success", serve(route).await);
        merchant
    }

    /// From now on, decides `decide`.
    pub fn decide(&self, decide: Decide) {
        *self.decide.lock().unwrap() = decide;
    }

    /// How many times the handler ran (callbacks the API confirmed).
    pub fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }

    /// The statuses the API reported to the handler, one per run.
    pub fn seen(&self) -> Vec<PaymentStatus> {
        self.seen.lock().unwrap().clone()
    }

    /// The payments whose order was granted, each once.
    pub fn granted(&self) -> Vec<String> {
        self.granted.lock().unwrap().clone()
    }
}

/// A merchant that answers every request 200 with a JSON-looking body of
/// `size` bytes, streamed; returns its URL and how many bytes it produced
/// (what the other side read, give or take the sockets' buffers).
pub async fn runaway_merchant(size: usize) -> (String, Arc<AtomicUsize>) {
    let produced = Arc::new(AtomicUsize::new(0));
    let counter = produced.clone();
    let answer = move || {
        let counter = counter.clone();
        async move {
            const CHUNK: usize = 64 * 1024;
            let chunks = size.div_ceil(CHUNK);
            let stream = futures_util::StreamExt::map(futures_util::stream::iter(0..chunks), move |n| {
                let part = if n == 0 { br#"{"success": true, "pad": ""#.to_vec() } else { vec![b'x'; CHUNK] };
                counter.fetch_add(part.len(), Ordering::SeqCst);
                Ok::<_, std::io::Error>(Bytes::from(part))
            });
            (StatusCode::OK, [("content-type", "application/json")], Body::from_stream(stream)).into_response()
        }
    };
    let url = serve(axum::Router::new().fallback(answer)).await;
    (url, produced)
}

/// Every way a frozen payment may end (`SandboxConfig::frozen_payments`):
/// the money tests run under each.
pub fn frozen_configurations() -> [multicard_sandbox::FrozenPayments; 3] {
    use multicard_sandbox::FrozenPayments;
    [
        FrozenPayments::NeverResent,
        FrozenPayments::resent(3, std::time::Duration::from_secs(60)),
        FrozenPayments::reverted_after(std::time::Duration::from_secs(3600)),
    ]
}
