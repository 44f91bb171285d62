//! Exactly once through a fulfilment ledger (issue 24): deliveries on two
//! "replicas" (two servers, each with its own in-process record, one
//! ledger), a second payment for a paid order, a failed handler, refusals
//! replayed, statuses only forward, retention. The memory ledger here; the
//! Postgres ledger's own tests run the same contract on a real database.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::{FromRef, State};
use chrono::Duration as ChronoDuration;
use multicard_api::Multicard;
use multicard_api::callbacks::axum::{CallbackState, ConfirmedSuccess};
use multicard_api::callbacks::{Decisions, Verifier, testing};
use multicard_api::fulfilment::{
    Decision, DuplicatePolicy, Fulfilment, HandlerFuture, Ledger, LedgerError, MemoryLedger, MemoryTx, PaymentCredit,
    Retention, StatusChange, StatusSeen, StoredDecision,
};
use multicard_api::types::PaymentStatus;
use multicard_api_tests::fake;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::SECRET;

const FIRST: &str = "e60d8ebc-b9fe-11ef-b159-005056b4367d";
const SECOND: &str = "7a0c2d10-b9fe-11ef-b159-005056b4367d";

fn payment(uuid: &str, status: &str) -> Value {
    json!({"success": true, "data": {"id": 1, "uuid": uuid, "store_id": 6, "payment_amount": 150000,
        "total_amount": 151500, "store_invoice_id": "order-42", "status": status}})
}

/// A fake API where both payments are paid, for the same order.
async fn api() -> MockServer {
    let (server, _) = fake::server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    for uuid in [FIRST, SECOND] {
        Mock::given(method("GET"))
            .and(path(format!("/payment/{uuid}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(payment(uuid, "success")))
            .mount(&server)
            .await;
    }
    server
}

/// What the merchant's handler does, shared by every replica: counts its
/// runs, waits `hold` inside the transaction, fails while `fail` is above
/// zero, refuses when `refuse`.
#[derive(Clone, Default)]
struct Handler {
    runs: Arc<AtomicUsize>,
    fail: Arc<AtomicUsize>,
    refuse: bool,
    hold: Duration,
}

impl Handler {
    fn run<'t>(&self, tx: &'t mut MemoryTx, credit: &'t PaymentCredit) -> HandlerFuture<'t> {
        let this = self.clone();
        Box::pin(async move {
            this.runs.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(this.hold).await;
            if this.fail.load(Ordering::SeqCst) > 0 {
                this.fail.fetch_sub(1, Ordering::SeqCst);
                return Err("the orders table is unreachable".into());
            }
            tx.push(json!({"credit": credit.invoice_id, "payment": credit.uuid}));
            Ok(if this.refuse { Decision::refuse("out of stock") } else { Decision::Accept })
        })
    }
}

#[derive(Clone)]
struct Shop {
    callbacks: CallbackState,
    ledger: MemoryLedger,
    handler: Handler,
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

async fn on_success(State(shop): State<Shop>, success: ConfirmedSuccess) -> Fulfilment {
    let handler = shop.handler.clone();
    success.fulfil(&shop.ledger, |tx, credit| handler.run(tx, credit)).await
}

/// One replica: its own server and in-process record, the shared ledger.
async fn replica(api: &MockServer, ledger: &MemoryLedger, handler: &Handler) -> String {
    use axum::Router;
    use axum::routing::post;
    let shop = Shop {
        callbacks: CallbackState::new(Verifier::new(SECRET).unwrap(), fake::client(api)),
        ledger: ledger.clone(),
        handler: handler.clone(),
    };
    let app = Router::new().route("/success", post(on_success)).with_state(shop);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/success", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

async fn deliver(url: &str, uuid: &str) -> (u16, Value) {
    let body = testing::success_body(6, "order-42", 150000, uuid, SECRET);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let response = http.post(url).body(body).send().await.expect("the merchant answers in time");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn one_callback_on_two_replicas_at_once_credits_the_order_once() {
    let api = api().await;
    let ledger = MemoryLedger::new();
    let handler = Handler { hold: Duration::from_millis(50), ..Handler::default() };
    let (a, b) = (replica(&api, &ledger, &handler).await, replica(&api, &ledger, &handler).await);
    let deliveries: Vec<_> = (0..10)
        .map(|i| {
            let url = if i % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move { deliver(&url, FIRST).await })
        })
        .collect();
    for delivery in deliveries {
        assert_eq!(delivery.await.unwrap(), (200, json!({"success": true})), "every delivery is accepted");
    }
    assert_eq!(handler.runs.load(Ordering::SeqCst), 1, "the handler ran once");
    assert_eq!(ledger.outbox().len(), 1, "one effect committed");
    assert_eq!(ledger.credited_by("6", "order-42").as_deref(), Some(FIRST));
}

#[tokio::test]
async fn a_second_payment_for_a_paid_order_is_refused_so_multicard_refunds_it() {
    let api = api().await;
    let ledger = MemoryLedger::new();
    let handler = Handler::default();
    let url = replica(&api, &ledger, &handler).await;
    assert_eq!(deliver(&url, FIRST).await.0, 200);
    let (status, answer) = deliver(&url, SECOND).await;
    assert_eq!((status, &answer["success"]), (200, &json!(false)), "{answer}");
    assert_eq!(handler.runs.load(Ordering::SeqCst), 1, "the handler never saw the second payment");
    assert_eq!(
        ledger.decision("6", SECOND).await.unwrap(),
        Some(StoredDecision::DuplicatePaymentForOrder { credited: FIRST.into() })
    );
    // Replayed on a resend, on any replica.
    let other = replica(&api, &ledger, &handler).await;
    assert_eq!(deliver(&other, SECOND).await.1["success"], json!(false));

    // Held instead, when the merchant resolves such payments by hand.
    let ledger = MemoryLedger::new().with_duplicate_policy(DuplicatePolicy::Hold);
    let url = replica(&api, &ledger, &handler).await;
    assert_eq!(deliver(&url, FIRST).await.0, 200);
    assert_eq!(deliver(&url, SECOND).await.0, 500);
    assert_eq!(ledger.left_frozen().await.unwrap().iter().map(|f| f.uuid.as_str()).collect::<Vec<_>>(), [SECOND]);
}

#[tokio::test]
async fn a_failed_handler_answers_500_is_recorded_frozen_and_the_resend_credits() {
    let api = api().await;
    let ledger = MemoryLedger::new();
    let handler = Handler::default();
    handler.fail.store(1, Ordering::SeqCst);
    let url = replica(&api, &ledger, &handler).await;
    assert_eq!(deliver(&url, FIRST).await.0, 500, "held: Multicard sends it again");
    assert!(ledger.outbox().is_empty(), "nothing of the failed attempt was kept");
    let frozen = ledger.left_frozen().await.unwrap();
    assert_eq!((frozen.len(), frozen[0].attempts, frozen[0].uuid.as_str()), (1, 1, FIRST));
    assert_eq!(deliver(&url, FIRST).await, (200, json!({"success": true})));
    assert!(ledger.left_frozen().await.unwrap().is_empty(), "decided now");
    assert_eq!((handler.runs.load(Ordering::SeqCst), ledger.outbox().len()), (2, 1));
}

#[tokio::test]
async fn a_refusal_is_a_decision_replayed_on_every_replica() {
    let api = api().await;
    let ledger = MemoryLedger::new();
    let handler = Handler { refuse: true, ..Handler::default() };
    let (a, b) = (replica(&api, &ledger, &handler).await, replica(&api, &ledger, &handler).await);
    let first = deliver(&a, FIRST).await;
    assert_eq!((first.0, &first.1["success"]), (200, &json!(false)));
    let again = deliver(&b, FIRST).await;
    assert_eq!(again, first, "the same answer, replayed");
    assert_eq!(handler.runs.load(Ordering::SeqCst), 1);
    // A refused payment leaves the order free for another payment.
    let accepting = Handler::default();
    let c = replica(&api, &ledger, &accepting).await;
    assert_eq!(deliver(&c, SECOND).await, (200, json!({"success": true})));
    assert_eq!(ledger.credited_by("6", "order-42").as_deref(), Some(SECOND));
}

/// Review (issue 24): a resend that reaches the replica which stored the
/// refusal must replay it (200 `success: false`, so Multicard cancels and
/// refunds), as every other replica does; not answer 500, which leaves the
/// payer's money frozen. The first answer can be lost (a timeout, a dropped
/// connection) after the refusal committed: the resend is what Multicard
/// acts on.
#[tokio::test]
async fn a_refusal_is_replayed_on_the_replica_that_stored_it() {
    let api = api().await;
    let ledger = MemoryLedger::new();
    let handler = Handler { refuse: true, ..Handler::default() };
    let a = replica(&api, &ledger, &handler).await;
    let first = deliver(&a, FIRST).await;
    assert_eq!((first.0, &first.1["success"]), (200, &json!(false)));
    let again = deliver(&a, FIRST).await;
    assert_eq!(again, first, "the stored refusal, replayed on the replica that decided it");
    assert_eq!(handler.runs.load(Ordering::SeqCst), 1);
    // The same for a duplicate payment refused by the ledger.
    let accepting = Handler::default();
    let ledger = MemoryLedger::new();
    let b = replica(&api, &ledger, &accepting).await;
    assert_eq!(deliver(&b, FIRST).await, (200, json!({"success": true})));
    let duplicate = deliver(&b, SECOND).await;
    assert_eq!((duplicate.0, &duplicate.1["success"]), (200, &json!(false)));
    assert_eq!(deliver(&b, SECOND).await, duplicate, "the duplicate's refusal, replayed");
}

#[tokio::test]
async fn an_attempt_that_waits_past_the_lock_timeout_is_held() {
    let api = api().await;
    let ledger = MemoryLedger::new().with_lock_timeout(Duration::from_millis(100));
    let slow = Handler { hold: Duration::from_millis(600), ..Handler::default() };
    let url = replica(&api, &ledger, &slow).await;
    let first = tokio::spawn({
        let url = url.clone();
        async move { deliver(&url, FIRST).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Another payment of the same order waits on the order, then is held.
    assert_eq!(deliver(&url, SECOND).await.0, 500);
    assert_eq!(first.await.unwrap().0, 200);
    let frozen = ledger.left_frozen().await.unwrap();
    assert!(frozen.iter().any(|f| f.uuid == SECOND && f.last_reason.contains("Busy")), "{frozen:?}");
}

#[tokio::test]
async fn statuses_move_only_forward_and_a_revert_after_credit_is_raised() {
    let ledger = MemoryLedger::new();
    let credit = PaymentCredit::for_tests("6", FIRST, "order-42", 150000);
    let fulfilment = ledger.fulfil(&credit, |_tx, _credit| Box::pin(async { Ok(Decision::Accept) })).await;
    assert_eq!(fulfilment, Fulfilment::Accepted { replayed: false });
    let seen = |status: PaymentStatus| StatusSeen::from_payment(&credit_payment(status)).unwrap();
    assert_eq!(
        ledger.record_status(&seen(PaymentStatus::Progress)).await.unwrap(),
        StatusChange::Stale { recorded: PaymentStatus::Success }
    );
    assert_eq!(ledger.record_status(&seen(PaymentStatus::Success)).await.unwrap(), StatusChange::Unchanged);
    assert_eq!(
        ledger.record_status(&seen(PaymentStatus::Unknown("settled".into()))).await.unwrap(),
        StatusChange::NotRecorded
    );
    assert_eq!(
        ledger.record_status(&seen(PaymentStatus::Revert)).await.unwrap(),
        StatusChange::RevertedAfterFulfilment { invoice_id: "order-42".into() }
    );
    // `error` may be followed by `success` (observed), never the reverse.
    let other = |status: &str| {
        let payment: multicard_api::types::PaymentModel = serde_json::from_value(
            json!({"uuid": SECOND, "store_id": 6, "store_invoice_id": "order-43", "payment_amount": 1, "status": status}),
        )
        .unwrap();
        StatusSeen::from_payment(&payment).unwrap()
    };
    assert_eq!(ledger.record_status(&other("error")).await.unwrap(), StatusChange::Advanced { from: None });
    assert_eq!(
        ledger.record_status(&other("success")).await.unwrap(),
        StatusChange::Advanced { from: Some(PaymentStatus::Error) }
    );
    assert!(matches!(ledger.record_status(&other("error")).await.unwrap(), StatusChange::Stale { .. }));
}

fn credit_payment(status: PaymentStatus) -> multicard_api::types::PaymentModel {
    serde_json::from_value(json!({"uuid": FIRST, "store_id": 6, "store_invoice_id": "order-42",
        "payment_amount": 150000, "status": status.as_str()}))
    .unwrap()
}

#[tokio::test]
async fn a_purge_never_deletes_what_the_reconciler_or_a_moving_payment_needs() {
    let ledger = MemoryLedger::new();
    let day = Duration::from_secs(86_400);
    let refused = ledger.purge(Retention::new(day, 7 * day)).await.unwrap_err();
    assert!(matches!(refused, LedgerError::Retention { .. }), "{refused}");
    let credit = PaymentCredit::for_tests("6", FIRST, "order-42", 150000);
    ledger.fulfil(&credit, |_tx, _credit| Box::pin(async { Ok(Decision::Accept) })).await;
    // Decided within the retention: kept.
    assert_eq!(ledger.purge(Retention::new(day, day)).await.unwrap(), 0);
    tokio::time::sleep(Duration::from_millis(20)).await;
    // Old enough but `success`: kept, since a refund can still revert it
    // (its row is what reports that).
    assert_eq!(ledger.purge(Retention::new(Duration::from_millis(1), Duration::ZERO)).await.unwrap(), 0);
    // Reverted (ended): it may go.
    let reverted = StatusSeen::from_payment(&credit_payment(PaymentStatus::Revert)).unwrap();
    assert!(matches!(ledger.record_status(&reverted).await.unwrap(), StatusChange::RevertedAfterFulfilment { .. }));
    assert_eq!(ledger.purge(Retention::new(Duration::from_millis(1), Duration::ZERO)).await.unwrap(), 1);
    // A payment recorded as `billing` (accepted while billing) is never
    // purged, however old: its next callback must still find it.
    let mut moving = PaymentCredit::for_tests("6", SECOND, "order-43", 1);
    moving.status = PaymentStatus::Billing;
    ledger.fulfil(&moving, |_tx, _credit| Box::pin(async { Ok(Decision::Accept) })).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(ledger.purge(Retention::new(Duration::from_millis(1), Duration::ZERO)).await.unwrap(), 0);
    assert_eq!(ledger.decision("6", SECOND).await.unwrap(), Some(StoredDecision::Accepted));
    assert_eq!(ledger.decision("6", FIRST).await.unwrap(), None, "the purged one is gone");
}

#[tokio::test]
async fn a_resent_card_binding_is_stored_once_and_an_unconfirmed_one_is_held() {
    use multicard_api::callbacks::axum::UnverifiedCardBinding;
    let (server, _) = fake::server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path("/payment/card/bind/688470c8060af"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": {
            "card_token": "6225f3c93f7a880142782fa4", "status": "active", "application_id": 17}})))
        .mount(&server)
        .await;
    let client = fake::client(&server);
    let verifier = Verifier::new(SECRET).unwrap();
    let parse = |token: &str| {
        let body = json!({"payer_id": "688470c8060af", "card_token": token, "status": "active"});
        UnverifiedCardBinding(verifier.parse_card_binding(body.to_string().as_bytes()).unwrap())
    };
    let ledger = MemoryLedger::new();
    let stored = Arc::new(AtomicUsize::new(0));
    for _ in 0..3 {
        let stored = stored.clone();
        let fulfilment = parse("6225f3c93f7a880142782fa4")
            .fulfil(&client, &ledger, move |_tx, binding| {
                let stored = stored.clone();
                let application = binding.application_id.clone();
                Box::pin(async move {
                    assert_eq!(application, "17", "keyed by the API's application");
                    stored.fetch_add(1, Ordering::SeqCst);
                    Ok(Decision::Accept)
                })
            })
            .await;
        assert!(fulfilment.credited(), "{fulfilment:?}");
    }
    assert_eq!(stored.load(Ordering::SeqCst), 1, "stored once for three deliveries");
    // A token the API does not confirm stores nothing and is held.
    let forged = parse("ffffffffffffffffffffffff")
        .fulfil(&client, &ledger, |_tx, _binding| Box::pin(async { Ok(Decision::Accept) }))
        .await;
    assert!(matches!(forged, Fulfilment::Held(_)), "{forged:?}");
    assert_eq!(forged.reply().status(), 500);
    assert!(!format!("{forged:?}").contains("ffffffffffffffffffffffff"), "no token shown");
}

#[tokio::test]
async fn a_webhook_records_the_apis_status_not_its_own() {
    use multicard_api::callbacks::axum::VerifiedWebhook;
    let (server, _) = fake::server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path(format!("/payment/{FIRST}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(payment(FIRST, "revert")))
        .mount(&server)
        .await;
    let client = fake::client(&server);
    let ledger = MemoryLedger::new();
    let credit = PaymentCredit::for_tests("6", FIRST, "order-42", 150000);
    ledger.fulfil(&credit, |_tx, _credit| Box::pin(async { Ok(Decision::Accept) })).await;
    let verifier = Verifier::new(SECRET).unwrap();
    // The webhook says `success`; the API reads `revert`: the revert is
    // what is recorded, and the credited order is raised.
    let webhook = VerifiedWebhook(
        verifier.verify_webhook(&testing::webhook_body(FIRST, "order-42", 150000, "success", SECRET)).unwrap(),
    );
    assert_eq!(
        webhook.record(&client, &ledger).await.unwrap(),
        StatusChange::RevertedAfterFulfilment { invoice_id: "order-42".into() }
    );
    // The same webhook again (arrival order means nothing): unchanged.
    assert_eq!(webhook.record(&client, &ledger).await.unwrap(), StatusChange::Unchanged);
}

/// Review (issue 24): a card token is a credential the memory ledger keeps
/// as a key (and in the name of the binding's lane); `Debug` of the ledger
/// (derived: an application state that derives `Debug` and is logged, a
/// `Reconciler` printed with `{:?}`) must not show it.
#[tokio::test]
async fn a_memory_ledgers_debug_never_shows_a_card_token() {
    const TOKEN: &str = "CANARY-card-token-6225f3";
    let ledger = MemoryLedger::new();
    let binding = multicard_api::fulfilment::CardBinding::for_tests("7", "payer-1", TOKEN);
    let fulfilment = ledger.fulfil(&binding, |_tx, _binding| Box::pin(async { Ok(Decision::Accept) })).await;
    assert_eq!(fulfilment, Fulfilment::Accepted { replayed: false });
    for text in [format!("{ledger:?}"), format!("{ledger:#?}")] {
        assert!(!text.contains(TOKEN), "the card token printed in {text}");
    }
}

/// Review (issue 24): a payment already decided is replayed, whatever
/// another payment of its order is doing, and is never listed as left
/// frozen (the Postgres ledger filters decided payments out; the memory
/// ledger listed one that a resend had waited on past the lock timeout).
#[tokio::test]
async fn a_decided_payment_replays_at_once_and_is_never_left_frozen() {
    let ledger = MemoryLedger::new()
        .with_lock_timeout(Duration::from_millis(100))
        .with_duplicate_policy(DuplicatePolicy::AskHandler);
    let first = PaymentCredit::for_tests("6", FIRST, "order-42", 150000);
    let second = PaymentCredit::for_tests("6", SECOND, "order-42", 150000);
    fn accept<'t>(_tx: &'t mut MemoryTx, _credit: &'t PaymentCredit) -> HandlerFuture<'t> {
        Box::pin(async { Ok(Decision::Accept) })
    }
    assert_eq!(ledger.fulfil(&first, accept).await, Fulfilment::Accepted { replayed: false });
    // Another payment of the order, its handler slow (an order paid in parts).
    let slow = {
        let (ledger, second) = (ledger.clone(), second.clone());
        tokio::spawn(async move {
            ledger
                .fulfil(&second, |_tx, _credit| {
                    Box::pin(async {
                        tokio::time::sleep(Duration::from_millis(600)).await;
                        Ok(Decision::Accept)
                    })
                })
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    // A resend of the first payment, meanwhile.
    assert_eq!(ledger.fulfil(&first, accept).await, Fulfilment::Accepted { replayed: true });
    slow.await.unwrap();
    let frozen = ledger.left_frozen().await.unwrap();
    assert!(frozen.iter().all(|f| f.uuid != FIRST), "a decided payment listed as left frozen: {frozen:?}");
}

/// The memory ledger's per-order lanes are forgotten once no attempt holds
/// or waits for them: a long-running process does not keep one per order
/// it ever saw.
#[tokio::test]
async fn the_memory_ledgers_lanes_are_as_many_as_the_attempts_in_flight() {
    let ledger = MemoryLedger::new();
    for i in 0..50 {
        let credit = PaymentCredit::for_tests("6", &format!("pay-{i}"), &format!("order-{i}"), 1);
        ledger.fulfil(&credit, |_tx, _credit| Box::pin(async { Ok(Decision::Accept) })).await;
    }
    let shown = format!("{ledger:?}");
    assert!(shown.contains("lanes: 0"), "{shown}");
    assert!(shown.contains("payments: 50"), "{shown}");
}
