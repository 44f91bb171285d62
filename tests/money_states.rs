//! Money in motion, read through the public API against a loopback server
//! that answers a scripted sequence of statuses: only statuses the SDK knows
//! to be final end a settle, `error` is final only once it lasts, an
//! invoice's payment is never "none" when it was there and did not decode,
//! and a payout is one-step only when the caller says so.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Duration as ChronoDuration;
use multicard_api::informative::Exact;
use multicard_api::types::{self, PaymentStatus};
use multicard_api::{Error, Multicard, Paid, Settle};
use multicard_api_tests::fake::{self, server_with_auth};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const UUID: &str = "a81b7b62-6d86-11f0-9a1b-00505680eaf6";

/// Answers `{success: true, data: shape(status)}`, one status of the script
/// per request, the last one again once the script is spent.
struct Script {
    statuses: Vec<&'static str>,
    served: Arc<AtomicUsize>,
    shape: fn(&str) -> Value,
}

impl Respond for Script {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.served.fetch_add(1, Ordering::SeqCst);
        let status = self.statuses[n.min(self.statuses.len() - 1)];
        ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": (self.shape)(status)}))
    }
}

fn payment(status: &str) -> Value {
    json!({"uuid": UUID, "payment_amount": 150_000, "status": status, "store_id": 6})
}

fn payout(status: &str) -> Value {
    json!({"id": 9, "uuid": UUID, "payment_amount": 10_000, "status": status})
}

fn hold(status: &str) -> Value {
    json!({"id": 7, "status": status, "payment": payment("hold")})
}

/// A client whose server answers `GET at` with `statuses`, in order; the
/// counter says how many reads it served.
async fn scripted(
    at: &str,
    statuses: &[&'static str],
    shape: fn(&str) -> Value,
) -> (MockServer, Multicard, Arc<AtomicUsize>) {
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    let served = Arc::new(AtomicUsize::new(0));
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(Script { statuses: statuses.to_vec(), served: served.clone(), shape })
        .mount(&server)
        .await;
    let client = fake::client(&server);
    (server, client, served)
}

fn not_settled(result: Result<impl std::fmt::Debug, Error>, operation: &str) -> String {
    match result {
        Err(Error::NotSettled { operation: read, last_status }) if read == operation => last_status,
        other => panic!("expected NotSettled from {operation}, got {other:?}"),
    }
}

// Settling: what the SDK does not know is never final.

#[tokio::test]
async fn settle_hold_keeps_reading_a_status_it_does_not_know_until_the_deadline() {
    for (status, shown) in [
        ("processing", "processing"),
        ("cancelled", "cancelled"),
        ("ACTIVE", "ACTIVE"),
        ("frozen\u{1b}[2J", "frozen\\u{1b}[2J"),
    ] {
        let (_server, client, served) = scripted("/payment/hold/7", &[status], hold).await;
        let last = not_settled(client.settle_hold("7", Duration::from_millis(350)).await, "get_hold");
        assert_eq!(last, shown, "the status, escaped");
        assert!(served.load(Ordering::SeqCst) >= 2, "{status}: read again, not taken as final");
    }
}

#[tokio::test]
async fn settle_hold_is_not_final_while_its_payment_has_a_status_it_does_not_know() {
    let shape = |status: &str| json!({"id": 7, "status": "active", "payment": payment(status)});
    let (_server, client, _) = scripted("/payment/hold/7", &["reversing"], shape).await;
    let last = not_settled(client.settle_hold("7", Duration::from_millis(300)).await, "get_hold");
    assert_eq!(last, "active (payment: reversing)");
    // A status it knows ends it at once.
    let (_server, client, served) = scripted("/payment/hold/7", &["processing", "active"], hold).await;
    let settled = client.settle_hold("7", Duration::from_secs(5)).await.expect("active is final");
    assert_eq!((settled.status, served.load(Ordering::SeqCst)), (types::HoldStatus::Active, 2));
}

#[tokio::test]
async fn settle_payment_reads_past_an_error_that_turns_success() {
    let (_server, client, served) =
        scripted(&format!("/payment/{UUID}"), &["progress", "error", "success"], payment).await;
    let settled = client.settle_payment(UUID, Duration::from_secs(5)).await.expect("settled");
    assert_eq!(settled.status, PaymentStatus::Success);
    assert_eq!(served.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn settle_payout_reads_past_an_error_that_turns_success() {
    let (_server, client, _) = scripted(&format!("/payment/credit/{UUID}"), &["error", "success"], payout).await;
    let settled = client.settle_payout(UUID, Duration::from_secs(5)).await.expect("settled");
    assert_eq!(settled.status, PaymentStatus::Success);
}

#[tokio::test]
async fn an_error_that_has_not_lasted_its_quiet_period_by_the_deadline_is_not_settled() {
    // The default quiet period (30 s) is longer than the settle.
    let (_server, client, served) = scripted(&format!("/payment/{UUID}"), &["error"], payment).await;
    let last = not_settled(client.settle_payment(UUID, Duration::from_millis(350)).await, "get_payment");
    assert_eq!(last, "error");
    assert!(served.load(Ordering::SeqCst) >= 2);
}

#[tokio::test]
async fn a_payment_status_it_does_not_know_is_not_settled_and_shown_escaped() {
    for (status, shown) in [("billing", "billing"), ("refunding\r\n\u{202e}x", "refunding\\u{d}\\u{a}\\u{202e}x")] {
        let (_server, client, served) = scripted(&format!("/payment/{UUID}"), &[status], payment).await;
        let error = client.settle_payment(UUID, Duration::from_millis(300)).await.unwrap_err();
        assert!(!error.to_string().chars().any(char::is_control), "{error}");
        assert_eq!(not_settled(Err::<(), _>(error), "get_payment"), shown);
        assert!(served.load(Ordering::SeqCst) >= 2);
    }
    let (_server, client, _) = scripted(&format!("/payment/credit/{UUID}"), &["paid_out"], payout).await;
    assert_eq!(not_settled(client.settle_payout(UUID, Duration::from_millis(300)).await, "get_payout"), "paid_out");
}

#[tokio::test]
async fn an_error_that_lasts_its_quiet_period_is_final() {
    let quiet = Duration::from_millis(200);
    let settle = Settle::within(Duration::from_secs(5))
        .with_error_quiet_period(quiet)
        .with_poll_interval(Duration::from_millis(20));
    let (_server, client, served) = scripted(&format!("/payment/{UUID}"), &["error"], payment).await;
    let started = Instant::now();
    let settled = client.settle_payment(UUID, settle.clone()).await.expect("final once it lasts");
    assert_eq!(settled.status, PaymentStatus::Error);
    assert!(started.elapsed() >= quiet, "read again after the quiet period");
    assert!(served.load(Ordering::SeqCst) >= 2);
    // Any other status in between starts the quiet period again.
    let (_server, client, _) =
        scripted(&format!("/payment/{UUID}"), &["error", "error", "progress", "error"], payment).await;
    let started = Instant::now();
    client.settle_payment(UUID, settle.clone()).await.expect("final");
    assert!(started.elapsed() >= quiet + Duration::from_millis(60));
    // Zero takes the first `error`.
    let (_server, client, served) = scripted(&format!("/payment/{UUID}"), &["error"], payment).await;
    client.settle_payment(UUID, settle.with_error_quiet_period(Duration::ZERO)).await.expect("final");
    assert_eq!(served.load(Ordering::SeqCst), 1);
}

// An invoice's payment: absent, present or unreadable.

async fn invoice_with(payment: Option<Value>) -> (MockServer, Multicard) {
    let mut data = json!({"uuid": UUID, "amount": 150_000, "invoice_id": "order-1"});
    if let Some(payment) = payment {
        data["payment"] = payment;
    }
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path(format!("/payment/invoice/{UUID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": data})))
        .mount(&server)
        .await;
    let client = fake::client(&server);
    (server, client)
}

#[tokio::test]
async fn an_invoice_payment_that_does_not_decode_is_unreadable_and_paid_is_unknown() {
    for (value, at) in [
        (json!({"uuid": UUID, "status": "success"}), "Invoice.payment"),
        (json!({"uuid": UUID, "payment_amount": "lots", "status": "success"}), "Invoice.payment.payment_amount"),
        (json!("paid"), "Invoice.payment"),
    ] {
        let (_server, client) = invoice_with(Some(value.clone())).await;
        let invoice = client.send(|api| api.get_invoice().uuid(UUID)).await.expect("the invoice still decodes");
        assert_eq!(invoice.amount, 150_000);
        match &invoice.payment {
            Exact::Unreadable(field) => {
                assert_eq!(field.field, at);
                assert_eq!(field.value.value(), &value, "the raw value is kept");
            }
            other => panic!("{value}: {other:?}"),
        }
        assert!(matches!(invoice.payment.is_paid(), Paid::Unknown { .. }), "{value}");
        assert!(matches!(client.invoice_paid(UUID).await, Ok(Paid::Unknown { .. })));
        assert!(client.unreadable_fields().iter().any(|u| u.field == at), "reported like an informative field");
        let written = serde_json::to_value(&invoice).unwrap();
        assert_eq!(written["payment"], value, "written back as it came");
    }
}

#[tokio::test]
async fn an_invoice_payment_that_is_null_or_absent_is_none_and_unpaid() {
    for payment in [None, Some(Value::Null)] {
        let (_server, client) = invoice_with(payment.clone()).await;
        let invoice = client.send(|api| api.get_invoice().uuid(UUID)).await.expect("decodes");
        assert!(matches!(invoice.payment, Exact::Absent), "{payment:?}");
        assert_eq!(invoice.payment.is_paid(), Paid::No);
        assert!(client.unreadable_fields().is_empty());
        assert!(serde_json::to_value(&invoice).unwrap().get("payment").is_none());
    }
}

#[tokio::test]
async fn only_a_successful_payment_pays_an_invoice_and_only_a_settled_one_leaves_it_unpaid() {
    for (status, expected) in [
        ("success", Some(Paid::Yes)),
        ("draft", Some(Paid::No)),
        ("revert", Some(Paid::No)),
        ("error", None),
        ("billing", None),
        ("progress", None),
        ("settling", None),
    ] {
        let (_server, client) = invoice_with(Some(payment(status))).await;
        let paid = client.invoice_paid(UUID).await.expect("read");
        match expected {
            Some(expected) => assert_eq!(paid, expected, "{status}"),
            None => assert!(matches!(paid, Paid::Unknown { .. }), "{status}: {paid:?}"),
        }
    }
}

#[tokio::test]
async fn an_invoice_that_cannot_be_read_is_never_unpaid() {
    for (code, http) in [("ERROR_TRANS_NOT_READY", 200), ("ERROR_NOT_FOUND", 200), ("ERROR_NOT_FOUND", 404)] {
        let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
        Mock::given(method("GET"))
            .and(path(format!("/payment/invoice/{UUID}")))
            .respond_with(
                ResponseTemplate::new(http)
                    .set_body_json(json!({"success": false, "error": {"code": code, "details": "Объект не найден"}})),
            )
            .mount(&server)
            .await;
        let client = fake::client(&server);
        match client.invoice_paid(UUID).await {
            Ok(Paid::Unknown { reason }) => assert!(reason.contains(code), "{reason}"),
            other => panic!("{code}: {other:?}"),
        }
    }
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path(format!("/payment/invoice/{UUID}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"success": false, "error": {"code": "ERROR_ACCESS_DENIED", "details": "no"}})),
        )
        .mount(&server)
        .await;
    let error = fake::client(&server).invoice_paid(UUID).await.expect_err("any other failure is an error");
    assert_eq!(error.code(), Some(&types::ErrorCode::ErrorAccessDenied));
}

// Payouts: one step only on request.

/// A server that accepts `create_payout`; its requests' bodies are read back.
async fn payout_server() -> (MockServer, Multicard) {
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(method("POST"))
        .and(path("/payment/credit"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": payout("draft")})))
        .mount(&server)
        .await;
    let client = fake::client(&server);
    (server, client)
}

/// The `confirmable` of every body `server` received on `create_payout`.
async fn sent_confirmable(server: &MockServer) -> Vec<Option<Value>> {
    let requests = server.received_requests().await.unwrap_or_default();
    requests
        .iter()
        .filter(|r| r.url.path() == "/payment/credit")
        .map(|r| serde_json::from_slice::<Value>(&r.body).expect("a JSON body").get("confirmable").cloned())
        .collect()
}

#[tokio::test]
async fn a_payout_built_without_confirmable_sends_confirmable_true() {
    let (server, client) = payout_server().await;
    let card = types::CreatePayoutRequestCard::builder().pan(Some("8600533364098829".to_string()));
    let built = types::CreatePayoutRequest::builder().card(card).amount(10_000).store_id(6i64).invoice_id("order-1");
    client.send(|api| api.create_payout().body(built.clone())).await.expect("sent");
    client
        .send(|api| {
            api.create_payout().body_map(|b| {
                b.card(types::CreatePayoutRequestCard::builder().token(Some("tok".to_string())))
                    .amount(10_000)
                    .store_id(6i64)
                    .invoice_id("order-2")
            })
        })
        .await
        .expect("sent");
    let decoded: types::CreatePayoutRequest = serde_json::from_value(
        json!({"card": {"pan": "8600533364098829"}, "amount": 10_000, "store_id": 6, "invoice_id": "order-3"}),
    )
    .unwrap();
    client.send(|api| api.create_payout().body(decoded.clone())).await.expect("sent");
    assert_eq!(sent_confirmable(&server).await, vec![Some(json!(true)); 3]);
}

#[tokio::test]
async fn only_an_explicit_false_sends_a_one_step_payout() {
    let (server, client) = payout_server().await;
    let built = types::CreatePayoutRequest::builder()
        .card(types::CreatePayoutRequestCard::builder().pan(Some("8600533364098829".to_string())))
        .amount(10_000)
        .store_id(6i64)
        .invoice_id("order-1")
        .confirmable(false);
    client.send(|api| api.create_payout().body(built.clone())).await.expect("sent");
    let decoded: types::CreatePayoutRequest = serde_json::from_value(
        json!({"card": {"pan": "8600533364098829"}, "amount": 10_000, "store_id": 6, "invoice_id": "order-2", "confirmable": false}),
    )
    .unwrap();
    client.send(|api| api.create_payout().body(decoded.clone())).await.expect("sent");
    assert_eq!(sent_confirmable(&server).await, vec![Some(json!(false)); 2]);
}

#[test]
fn a_payout_body_with_a_confirmable_that_is_not_a_boolean_is_refused_naming_it() {
    for value in [json!(null), json!("yes"), json!(1)] {
        let body = json!({"card": {"pan": "8600533364098829"}, "amount": 10_000, "store_id": 6, "invoice_id": "o", "confirmable": value});
        let error = serde_json::from_value::<types::CreatePayoutRequest>(body).expect_err("not a boolean");
        assert!(error.to_string().contains("boolean"), "{value}: {error}");
    }
}
