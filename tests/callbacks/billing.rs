//! `billing` accepted in exactly one place, the record of refusals, the
//! amount matched against `payment_amount` or `total_amount`, and one
//! delivery per payment at a time (issue 21, items 3 and 4).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{FromRef, State};
use chrono::Duration as ChronoDuration;
use multicard_api::Multicard;
use multicard_api::callbacks::axum::{CallbackState, ConfirmedSuccess};
use multicard_api::callbacks::{self, CallbackReply, ConfirmError, Decisions, Outcome, Verifier, testing};
use multicard_api_tests::fake;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{SECRET, UUID};

const OTHER: &str = "7a0c2d10-b9fe-11ef-b159-005056b4367d";

/// `get_payment`'s answer for payment `uuid` of store 6, invoice
/// `order-42`, 150000 tiyin (151500 with the commission).
fn payment(uuid: &str, status: &str) -> Value {
    json!({"success": true, "data": {"id": 1, "uuid": uuid, "store_id": 6, "payment_amount": 150000,
        "total_amount": 151500, "store_invoice_id": "order-42", "status": status}})
}

/// A fake API whose payments read, in turn, each of `answers` (the last
/// one for ever after).
async fn api(uuid: &str, answers: &[Value]) -> MockServer {
    let (server, _) = fake::server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    for (i, answer) in answers.iter().enumerate() {
        let mock = Mock::given(method("GET"))
            .and(path(format!("/payment/{uuid}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer));
        let last = i + 1 == answers.len();
        let mock = if last { mock } else { mock.up_to_n_times(1) };
        mock.with_priority(u8::try_from(i + 1).unwrap()).mount(&server).await;
    }
    server
}

fn genuine(uuid: &str, amount: i64) -> Vec<u8> {
    testing::success_body(6, "order-42", amount, uuid, SECRET)
}

/// What the merchant's handler saw: each outcome, and how many handlers
/// ran at once at most.
#[derive(Clone, Default)]
struct Seen {
    outcomes: Arc<Mutex<Vec<Outcome>>>,
    active: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
}

/// The merchant's state: its own, with the callback state's parts given
/// to the extractor through `FromRef`.
#[derive(Clone)]
struct Shop {
    callbacks: CallbackState,
    seen: Seen,
    gate: Option<Arc<Semaphore>>,
}

impl FromRef<Shop> for Verifier {
    fn from_ref(shop: &Shop) -> Verifier {
        shop.callbacks.verifier().clone()
    }
}

impl FromRef<Shop> for Multicard {
    fn from_ref(shop: &Shop) -> Multicard {
        shop.callbacks.multicard().clone()
    }
}

impl FromRef<Shop> for Decisions {
    fn from_ref(shop: &Shop) -> Decisions {
        shop.callbacks.decisions().clone()
    }
}

/// Accepts, after taking a permit of the gate when there is one.
async fn accept(State(shop): State<Shop>, success: ConfirmedSuccess) -> CallbackReply {
    let now = shop.seen.active.fetch_add(1, Ordering::SeqCst) + 1;
    shop.seen.most.fetch_max(now, Ordering::SeqCst);
    if let Some(gate) = shop.gate {
        gate.acquire().await.unwrap().forget();
    }
    shop.seen.outcomes.lock().unwrap().push(success.confirmed.outcome);
    shop.seen.active.fetch_sub(1, Ordering::SeqCst);
    CallbackReply::accept()
}

/// Refuses on purpose.
async fn refuse(State(shop): State<Shop>, success: ConfirmedSuccess) -> CallbackReply {
    shop.seen.outcomes.lock().unwrap().push(success.confirmed.outcome);
    success.refuse_and_refund("the order was cancelled")
}

/// Serves `ConfirmedSuccess` on `/success` (the handler accepts, after
/// taking a permit of `gate` when one is given) and on `/refuse` (the
/// handler refuses on purpose).
async fn merchant(callbacks: CallbackState, gate: Option<Arc<Semaphore>>) -> (String, Seen) {
    use axum::Router;
    use axum::routing::post;

    let seen = Seen::default();
    let app = Router::new().route("/success", post(accept)).route("/refuse", post(refuse)).with_state(Shop {
        callbacks,
        seen: seen.clone(),
        gate,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

async fn post(url: &str, body: Vec<u8>) -> (u16, Value) {
    // Bounded, so that a delivery that waits for ever fails the test.
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let response = http.post(url).body(body).send().await.expect("the merchant answers in time");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn state(api: &MockServer) -> CallbackState {
    CallbackState::new(Verifier::new(SECRET).unwrap(), fake::client(api))
}

#[tokio::test]
async fn billing_is_accepted_by_the_confirming_extractor_and_said_so() {
    let api = api(UUID, &[payment(UUID, "billing")]).await;
    let (url, seen) = merchant(state(&api), None).await;
    assert_eq!(post(&format!("{url}/success"), genuine(UUID, 150000)).await, (200, json!({"success": true})));
    assert_eq!(*seen.outcomes.lock().unwrap(), [Outcome::AcceptedWhileBilling]);

    // Once the API reads `success`, the outcome says so.
    let api = self::api(UUID, &[payment(UUID, "success")]).await;
    let (url, seen) = merchant(state(&api), None).await;
    assert_eq!(post(&format!("{url}/success"), genuine(UUID, 150000)).await.0, 200);
    assert_eq!(*seen.outcomes.lock().unwrap(), [Outcome::Agreed]);
}

#[tokio::test]
async fn billing_is_accepted_nowhere_else() {
    let api = api(UUID, &[payment(UUID, "billing")]).await;
    let client = fake::client(&api);
    let callback = Verifier::new(SECRET).unwrap().verify_success(&genuine(UUID, 150000)).unwrap();

    // Without a record, `confirm_success` cannot know the payment was never
    // refused: not final, answered 500.
    let error = callbacks::confirm_success(&client, &callback).await.unwrap_err();
    assert!(matches!(error, ConfirmError::NotFinal { .. }), "{error:?}");
    assert_eq!(CallbackReply::unconfirmed(&error).status(), 500);
    // With a record, the same callback is accepted, and said to be.
    let decisions = Decisions::new();
    let confirmed = decisions.confirm_success(&client, &callback).await.expect("accepted while billing");
    assert_eq!(confirmed.outcome, Outcome::AcceptedWhileBilling);
    // The status webhook reports what the API reads; it accepts nothing.
    let webhook = Verifier::new(SECRET)
        .unwrap()
        .verify_webhook(&testing::webhook_body(UUID, "order-42", 150000, "success", SECRET));
    let confirmed = callbacks::confirm_status(&client, &webhook.unwrap()).await.unwrap();
    assert_eq!((confirmed.outcome, confirmed.current.status.as_str()), (Outcome::Agreed, "billing"));

    // A payment that names no store is not accepted in `billing`, even with
    // a record: every field that names the payment must agree.
    let mut storeless = payment(UUID, "billing");
    storeless["data"].as_object_mut().unwrap().remove("store_id");
    let api = self::api(UUID, &[storeless]).await;
    let error = decisions.confirm_success(&fake::client(&api), &callback).await.unwrap_err();
    assert!(matches!(error, ConfirmError::NotFinal { .. }), "{error:?}");
}

#[tokio::test]
async fn a_payment_once_refused_is_never_accepted_afterwards() {
    // The merchant refuses a successful payment; later the API reads it as
    // `billing`, then `success`: neither is accepted, and the handler never
    // runs again. The answer holds (500), it does not refuse again.
    let api = api(UUID, &[payment(UUID, "success"), payment(UUID, "billing"), payment(UUID, "success")]).await;
    let state = state(&api);
    let decisions = state.decisions().clone();
    let (url, seen) = merchant(state, None).await;
    let (status, answer) = post(&format!("{url}/refuse"), genuine(UUID, 150000)).await;
    assert_eq!((status, &answer["success"]), (200, &json!(false)), "{answer}");
    assert!(decisions.is_refused(UUID), "the refusal is recorded");
    for _ in 0..2 {
        assert_eq!(post(&format!("{url}/success"), genuine(UUID, 150000)).await.0, 500);
    }
    assert_eq!(*seen.outcomes.lock().unwrap(), [Outcome::Agreed], "only the refused delivery was handled");

    // A payment the API reads as reverted is refused (403) and recorded; a
    // later `billing` is not accepted.
    let api = self::api(OTHER, &[payment(OTHER, "revert"), payment(OTHER, "billing")]).await;
    let state = self::state(&api);
    let decisions = state.decisions().clone();
    let (url, seen) = merchant(state, None).await;
    assert_eq!(post(&format!("{url}/success"), genuine(OTHER, 150000)).await.0, 403);
    assert_eq!(post(&format!("{url}/success"), genuine(OTHER, 150000)).await.0, 500);
    assert!(decisions.is_refused(OTHER));
    assert!(seen.outcomes.lock().unwrap().is_empty());

    // A refusal recorded by hand (outside axum) counts as well.
    let api = self::api(UUID, &[payment(UUID, "billing")]).await;
    let callback = Verifier::new(SECRET).unwrap().verify_success(&genuine(UUID, 150000)).unwrap();
    let decisions = Decisions::new();
    decisions.record_refusal(UUID);
    let error = decisions.confirm_success(&fake::client(&api), &callback).await.unwrap_err();
    assert!(matches!(error, ConfirmError::RefusedEarlier), "{error:?}");
    assert_eq!(CallbackReply::unconfirmed(&error).status(), 500);
}

#[tokio::test]
async fn a_forgery_borrowing_the_uuid_does_not_block_the_genuine_callback() {
    // Digits moved from the invoice id into the amount: the same signature,
    // refused by the API, and not recorded against the payment it names.
    let api = api(UUID, &[payment(UUID, "billing")]).await;
    let (url, seen) = merchant(state(&api), None).await;
    let mut forged: Value = serde_json::from_slice(&genuine(UUID, 150000)).unwrap();
    forged["invoice_id"] = json!("order-4");
    forged["amount"] = json!(2150000);
    assert_eq!(post(&format!("{url}/success"), forged.to_string().into_bytes()).await.0, 403);
    assert_eq!(post(&format!("{url}/success"), genuine(UUID, 150000)).await.0, 200);
    assert_eq!(*seen.outcomes.lock().unwrap(), [Outcome::AcceptedWhileBilling]);
}

#[tokio::test]
async fn the_amount_may_be_the_payment_amount_or_the_total_and_another_is_held() {
    let api = api(UUID, &[payment(UUID, "success")]).await;
    let client = fake::client(&api);
    let verifier = Verifier::new(SECRET).unwrap();
    for amount in [150000, 151500] {
        let callback = verifier.verify_success(&genuine(UUID, amount)).unwrap();
        let confirmed =
            callbacks::confirm_success(&client, &callback).await.unwrap_or_else(|e| panic!("{amount}: {e}"));
        assert!(confirmed.confirmed.contains(&"amount"), "{amount}");
    }
    let callback = verifier.verify_success(&genuine(UUID, 1500)).unwrap();
    let error = callbacks::confirm_success(&client, &callback).await.unwrap_err();
    assert!(matches!(error, ConfirmError::AmountDiffers { callback: 1500, payment_amount: 150000, .. }), "{error:?}");
    assert!(!error.is_contradiction());
    assert_eq!(CallbackReply::unconfirmed(&error).status(), 500);
    let webhook = verifier.verify_webhook(&testing::webhook_body(UUID, "order-42", 151500, "success", SECRET)).unwrap();
    callbacks::confirm_status(&client, &webhook).await.expect("the webhook may carry the total too");

    // Through the extractor: the total is accepted, another amount held.
    let (url, seen) = merchant(state(&api), None).await;
    assert_eq!(post(&format!("{url}/success"), genuine(UUID, 151500)).await.0, 200);
    let (status, answer) = post(&format!("{url}/success"), genuine(UUID, 1500)).await;
    assert_eq!(status, 500, "{answer}");
    assert_eq!(seen.outcomes.lock().unwrap().len(), 1);
}

/// Waits until `seen` has a handler running.
async fn until_handling(seen: &Seen) {
    for _ in 0..500 {
        if seen.active.load(Ordering::SeqCst) > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no handler started");
}

#[tokio::test]
async fn two_deliveries_of_one_payment_are_handled_one_after_the_other() {
    let api = api(UUID, &[payment(UUID, "billing")]).await;
    let gate = Arc::new(Semaphore::new(0));
    let (url, seen) = merchant(state(&api), Some(gate.clone())).await;
    let url = format!("{url}/success");
    let first = tokio::spawn({
        let url = url.clone();
        async move { post(&url, genuine(UUID, 150000)).await.0 }
    });
    until_handling(&seen).await;
    // Multicard sends the callback again while the first is being handled.
    let second = tokio::spawn({
        let url = url.clone();
        async move { post(&url, genuine(UUID, 150000)).await.0 }
    });
    // Time for the second delivery to reach the handler, if it could.
    tokio::time::sleep(Duration::from_millis(300)).await;
    gate.add_permits(2);
    assert_eq!((first.await.unwrap(), second.await.unwrap()), (200, 200));
    assert_eq!(seen.most.load(Ordering::SeqCst), 1, "the handler never ran twice at once");
    assert_eq!(seen.outcomes.lock().unwrap().len(), 2, "both deliveries were handled, in turn");
}

#[tokio::test]
async fn a_delivery_that_waits_too_long_is_held_and_other_payments_do_not_wait() {
    let api = api(UUID, &[payment(UUID, "billing")]).await;
    Mock::given(method("GET"))
        .and(path(format!("/payment/{OTHER}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(payment(OTHER, "success")))
        .mount(&api)
        .await;
    let gate = Arc::new(Semaphore::new(0));
    let state = state(&api).with_decisions(Decisions::new().with_wait_limit(Duration::from_millis(200)));
    let (url, seen) = merchant(state, Some(gate.clone())).await;
    let url = format!("{url}/success");
    let first = tokio::spawn({
        let url = url.clone();
        async move { post(&url, genuine(UUID, 150000)).await.0 }
    });
    until_handling(&seen).await;
    // The same payment: waits 200 ms for its turn, then holds (500).
    let (status, answer) = post(&url, genuine(UUID, 150000)).await;
    assert_eq!(status, 500, "{answer}");
    // Another payment does not wait for this one: its handler runs while
    // the first is still inside its own.
    let other = tokio::spawn({
        let url = url.clone();
        async move { post(&url, genuine(OTHER, 150000)).await.0 }
    });
    for _ in 0..500 {
        if seen.active.load(Ordering::SeqCst) == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(seen.active.load(Ordering::SeqCst), 2, "two payments are handled side by side");
    gate.add_permits(2);
    assert_eq!((first.await.unwrap(), other.await.unwrap()), (200, 200));
    // Its turn released, the payment is handled again.
    gate.add_permits(1);
    assert_eq!(post(&url, genuine(UUID, 150000)).await.0, 200);
}

#[test]
fn the_decision_record_is_shared_by_its_clones() {
    let decisions = Decisions::new();
    let shared = decisions.clone();
    shared.record_refusal(UUID);
    assert!(decisions.is_refused(UUID) && !decisions.is_refused(OTHER));
}

#[tokio::test]
async fn a_genuine_callback_while_the_payment_reads_error_is_held_not_cancelled() {
    // `error` has been seen to turn `success` (settle waits a quiet period
    // before it believes one). A genuine success callback that meets such an
    // `error` must be held (500, sent again), not refused (403, which makes
    // Multicard cancel the payment), nor recorded as refused, which would
    // block the payment's callback for good once it reads `success`.
    let api = api(UUID, &[payment(UUID, "error"), payment(UUID, "success")]).await;
    let state = state(&api);
    let decisions = state.decisions().clone();
    let (url, seen) = merchant(state, None).await;
    assert_eq!(post(&format!("{url}/success"), genuine(UUID, 150000)).await.0, 500);
    assert!(!decisions.is_refused(UUID), "no refusal is recorded for an `error` that may pass");
    assert_eq!(post(&format!("{url}/success"), genuine(UUID, 150000)).await, (200, json!({"success": true})));
    assert_eq!(*seen.outcomes.lock().unwrap(), [Outcome::Agreed]);
}
