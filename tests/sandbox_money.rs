//! Money moves in the sandbox as it does at Multicard, on a clock the test
//! controls: a confirmed payment is `progress`, then `billing` while its
//! success callback is out, then follows the merchant's answer by the
//! vendor's rules (200 with a boolean `success: true` → `success`; exactly
//! 500 or no answer in time → frozen, then as `frozen_payments` says;
//! anything else → cancelled and refunded). Webhooks are repeated 5 times,
//! the card-binding callback sent 5 times 60 s apart; invoices, holds and
//! tokens run out by the same clock. No test sleeps: `Sandbox::advance`
//! moves time and runs what falls due before it returns.

use std::time::Duration;

use multicard_api::types::{self, ErrorCode, HoldStatus, InvoiceStatus, PaymentStatus};
use multicard_api_tests::money::{
    ConfirmingMerchant, body, bound_card, frozen_configurations, ofd, paid, payment, serve, start,
};
use multicard_sandbox::{DeliveryOutcome, FrozenPayments, SandboxConfig, TEST_OTP};
use serde_json::json;
use wiremock::matchers::{body_string_contains, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DAY: Duration = Duration::from_secs(86_400);

/// A merchant that answers every callback with `answer`.
async fn answering(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(answer).mount(&server).await;
    server
}

/// The times (seconds since the first) at which the deliveries were sent.
fn offsets(deliveries: &[multicard_sandbox::Delivery]) -> Vec<i64> {
    let at = |d: &multicard_sandbox::Delivery| d.at.parse::<multicard_api::time::MulticardDateTime>().unwrap();
    let first = deliveries.first().map(at).expect("a delivery");
    deliveries.iter().map(|d| (at(d).to_utc() - first.to_utc()).num_seconds()).collect()
}

#[tokio::test]
async fn a_genuine_callback_during_billing_runs_the_handler_once_and_the_payment_ends_success() {
    for frozen in frozen_configurations() {
        let config = SandboxConfig::default().with_frozen_payments(frozen).with_debit_delay(Duration::from_secs(10));
        let (sandbox, multicard) = start(config).await;
        let merchant = ConfirmingMerchant::start(&multicard, sandbox.secret()).await;
        let token = bound_card(&multicard).await;
        let (uuid, answered) = paid(&multicard, &token, 150_000, Some(&merchant.url)).await;
        assert_eq!(answered, PaymentStatus::Progress, "{frozen:?}: being debited");
        sandbox.advance(Duration::from_secs(9)).await;
        assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Progress, "{frozen:?}");
        assert_eq!((merchant.runs(), sandbox.deliveries().len()), (0, 0), "{frozen:?}: nothing sent yet");

        // The debit ends: `billing`, and the callback is sent and answered
        // before `advance` returns.
        sandbox.advance(Duration::from_secs(1)).await;
        assert_eq!(merchant.runs(), 1, "{frozen:?}: the handler ran once");
        assert_eq!(merchant.seen(), [PaymentStatus::Billing], "{frozen:?}: the API read `billing` meanwhile");
        assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Success, "{frozen:?}");
        let delivered: Vec<_> = sandbox.deliveries().iter().map(|d| (d.status, d.outcome)).collect();
        assert_eq!(delivered, [(Some(200), DeliveryOutcome::Accepted)], "{frozen:?}");

        sandbox.advance(DAY).await;
        assert_eq!((merchant.runs(), sandbox.deliveries().len()), (1, 1), "{frozen:?}: never sent again");
        assert_eq!(sandbox.scheduled(), 0);
    }
}

#[tokio::test]
async fn any_other_answer_cancels_the_payment_and_refunds_the_payer_at_once() {
    let elsewhere = answering(ResponseTemplate::new(200).set_body_json(json!({"success": true}))).await;
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/cb", listener.local_addr().unwrap())
    }; // dropped: nothing listens there
    let answers: Vec<(&str, ResponseTemplate)> = vec![
        ("404", ResponseTemplate::new(404)),
        ("502", ResponseTemplate::new(502)),
        ("503", ResponseTemplate::new(503)),
        ("504", ResponseTemplate::new(504)),
        ("400", ResponseTemplate::new(400).set_body_json(json!({"success": false}))),
        ("403", ResponseTemplate::new(403)),
        ("201 with success true", ResponseTemplate::new(201).set_body_json(json!({"success": true}))),
        ("204", ResponseTemplate::new(204)),
        ("307", ResponseTemplate::new(307).insert_header("location", format!("{}/cb", elsewhere.uri()).as_str())),
        ("200 success false", ResponseTemplate::new(200).set_body_json(json!({"success": false, "message": "Нет"}))),
        ("200 success \"true\"", ResponseTemplate::new(200).set_body_json(json!({"success": "true"}))),
        ("200 success 1", ResponseTemplate::new(200).set_body_json(json!({"success": 1}))),
        ("200 not JSON", ResponseTemplate::new(200).set_body_string("OK")),
        ("200 empty", ResponseTemplate::new(200)),
    ];
    for frozen in frozen_configurations() {
        let (sandbox, multicard) = start(SandboxConfig::default().with_frozen_payments(frozen)).await;
        let token = bound_card(&multicard).await;
        let mut merchants = Vec::new();
        for (name, answer) in &answers {
            let merchant = answering(answer.clone()).await;
            merchants.push((name.to_string(), format!("{}/cb", merchant.uri()), Some(merchant)));
        }
        merchants.push(("connection refused".into(), closed.clone(), None));
        for (n, (name, url, _)) in merchants.iter().enumerate() {
            let (uuid, answered) = paid(&multicard, &token, 1_000 + n as i64, Some(url)).await;
            assert_eq!(answered, PaymentStatus::Billing, "{name}");
            sandbox.advance(Duration::ZERO).await;
            let read = payment(&multicard, &uuid).await;
            assert_eq!(read.status, PaymentStatus::Revert, "{frozen:?}, {name}: cancelled");
            assert!(read.refund_time.is_some(), "{frozen:?}, {name}: refunded");
            let last = sandbox.deliveries().pop().expect("sent");
            assert_eq!((last.attempt, last.outcome), (1, DeliveryOutcome::Refused), "{frozen:?}, {name}");
        }
        sandbox.advance(DAY).await;
        assert_eq!(sandbox.deliveries().len(), merchants.len(), "{frozen:?}: a refused callback is never sent again");
    }
    let followed = elsewhere.received_requests().await.unwrap_or_default();
    assert!(followed.is_empty(), "the redirect was not followed: the signed body went nowhere else");
}

#[tokio::test]
async fn exactly_500_freezes_the_payment_and_it_ends_as_configured() {
    let every = Duration::from_secs(30);
    let cases = [
        FrozenPayments::NeverResent,
        FrozenPayments::resent(2, every),
        FrozenPayments::reverted_after(Duration::from_secs(600)),
    ];
    for frozen in cases {
        let (sandbox, multicard) = start(SandboxConfig::default().with_frozen_payments(frozen)).await;
        let merchant = answering(ResponseTemplate::new(500)).await;
        let token = bound_card(&multicard).await;
        let (uuid, _) = paid(&multicard, &token, 5_000, Some(&merchant.uri())).await;
        sandbox.advance(Duration::ZERO).await;
        assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Billing, "{frozen:?}: frozen");
        assert_eq!(sandbox.deliveries()[0].outcome, DeliveryOutcome::Frozen);
        sandbox.advance(Duration::from_secs(599)).await;
        let sent = sandbox.deliveries();
        assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Billing, "{frozen:?}: still frozen");
        match frozen {
            FrozenPayments::Resent { .. } => {
                assert_eq!(offsets(&sent), [0, 30, 60], "{frozen:?}: sent again twice, 30 s apart");
                assert_eq!(sent.iter().map(|d| d.attempt).collect::<Vec<_>>(), [1, 2, 3]);
                assert!(sent.iter().all(|d| d.body == sent[0].body), "the same signed body each time");
            }
            _ => assert_eq!(sent.len(), 1, "{frozen:?}: never sent again"),
        }
        sandbox.advance(Duration::from_secs(1)).await;
        let read = payment(&multicard, &uuid).await;
        if let FrozenPayments::RevertedAfter(_) = frozen {
            assert_eq!(read.status, PaymentStatus::Revert, "reverted 600 s after it froze");
            assert!(read.refund_time.is_some());
        } else {
            sandbox.advance(DAY).await;
            assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Billing, "{frozen:?}: frozen for good");
        }
        assert_eq!(sandbox.scheduled(), 0);
    }
}

#[tokio::test]
async fn a_frozen_payment_sent_again_ends_as_the_next_answer_says() {
    let config = SandboxConfig::default().with_frozen_payments(FrozenPayments::resent(3, Duration::from_secs(60)));
    let (sandbox, multicard) = start(config).await;
    let token = bound_card(&multicard).await;
    for (then, ends) in [
        (ResponseTemplate::new(200).set_body_json(json!({"success": true})), PaymentStatus::Success),
        (ResponseTemplate::new(404), PaymentStatus::Revert),
    ] {
        let merchant = MockServer::start().await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(500)).up_to_n_times(1).mount(&merchant).await;
        Mock::given(method("POST")).respond_with(then).mount(&merchant).await;
        let (uuid, _) = paid(&multicard, &token, 9_000, Some(&merchant.uri())).await;
        sandbox.advance(Duration::from_secs(60)).await;
        assert_eq!(payment(&multicard, &uuid).await.status, ends);
        sandbox.advance(DAY).await;
        assert_eq!(merchant.received_requests().await.unwrap().len(), 2, "sent twice, then never again");
    }
}

#[tokio::test]
async fn no_answer_within_the_callback_timeout_freezes_the_payment() {
    // A merchant that never answers; the sandbox gives up after 300 ms.
    let hanging = serve(axum::Router::new().fallback(std::future::pending::<&'static str>)).await;
    let config = SandboxConfig::default()
        .with_callback_timeout(Duration::from_millis(300))
        .with_frozen_payments(FrozenPayments::NeverResent);
    let (sandbox, multicard) = start(config).await;
    let token = bound_card(&multicard).await;
    let (uuid, _) = paid(&multicard, &token, 4_000, Some(&hanging)).await;
    sandbox.advance(Duration::ZERO).await;
    assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Billing);
    let delivered = sandbox.deliveries();
    assert_eq!((delivered[0].status, delivered[0].outcome), (None, DeliveryOutcome::Frozen));
}

#[tokio::test]
async fn webhooks_are_repeated_five_times_and_the_binding_callback_sent_five_times_60_s_apart() {
    let config = SandboxConfig::default().with_status_webhooks(true).with_webhook_repeat_every(Duration::from_secs(90));
    let (sandbox, multicard) = start(config).await;
    let merchant = answering(ResponseTemplate::new(503)).await;
    let token = bound_card(&multicard).await;
    let (uuid, _) = paid(&multicard, &token, 3_000, Some(&merchant.uri())).await;
    sandbox.advance(DAY).await;
    assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Revert, "the 503 refused the payment");
    let webhooks: Vec<_> = sandbox.deliveries().into_iter().filter(|d| d.kind == "webhook").collect();
    for status in ["progress", "billing", "revert"] {
        let of: Vec<_> = webhooks.iter().filter(|d| d.body["status"] == status).cloned().collect();
        assert_eq!(of.iter().map(|d| d.attempt).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6], "{status}");
        assert_eq!(offsets(&of), [0, 90, 180, 270, 360, 450], "{status}: every `webhook_repeat_every`");
        assert!(of.iter().all(|d| d.outcome == DeliveryOutcome::NotAccepted));
    }

    let binding: types::CardBindingRequest = body(json!({"redirect_url": "https://shop/ok",
        "redirect_decline_url": "https://shop/no", "store_id": 6, "callback_url": format!("{}/card", merchant.uri()),
        "phone": "998901234567"}));
    let session = multicard.send(|api| api.create_card_binding().body(binding.clone())).await.unwrap();
    sandbox.complete_card_binding(&session.session_id).unwrap();
    sandbox.advance(DAY).await;
    let sent: Vec<_> = sandbox.deliveries().into_iter().filter(|d| d.kind == "card_binding").collect();
    assert_eq!(sent.iter().map(|d| d.attempt).collect::<Vec<_>>(), [1, 2, 3, 4, 5], "5 attempts in all");
    assert_eq!(offsets(&sent), [0, 60, 120, 180, 240], "60 s apart");
}

#[tokio::test]
async fn invoices_holds_and_tokens_run_out_on_the_test_clock() {
    let (sandbox, multicard) = start(SandboxConfig::default().with_token_lifetime(Duration::from_secs(3600))).await;
    let token = bound_card(&multicard).await;

    // The token runs out an hour in: the next call is refused 401 and the
    // SDK fetches a new one.
    sandbox.advance(Duration::from_secs(3599)).await;
    multicard.send(|api| api.get_application()).await.expect("the first token");
    assert_eq!(sandbox.requests("get_token"), 1);
    sandbox.advance(Duration::from_secs(1)).await;
    multicard.send(|api| api.get_application()).await.expect("refreshed after the 401");
    assert_eq!(sandbox.requests("get_token"), 2, "a new token was fetched");

    let request: types::CreateInvoiceRequest = body(json!({"store_id": 6, "amount": 100, "invoice_id": "ttl",
        "callback_url": "http://127.0.0.1:9/cb", "ofd": ofd(100), "ttl": 120}));
    let invoice = multicard.send(|api| api.create_invoice().body(request.clone())).await.unwrap();
    let uuid = invoice.uuid.clone().unwrap();
    sandbox.advance(Duration::from_secs(119)).await;
    assert_eq!(multicard.send(|api| api.get_invoice().uuid(uuid.as_str())).await.unwrap().status, None);
    sandbox.advance(Duration::from_secs(1)).await;
    let read = multicard.send(|api| api.get_invoice().uuid(uuid.as_str())).await.unwrap();
    assert_eq!(read.status, Some(InvoiceStatus::Cancelled), "run out after its ttl");

    // A hold confirmed and never charged is released at its expiry (60 minutes).
    let hold: types::CreateHoldRequest =
        body(json!({"card": {"token": token}, "amount": 5_000, "store_id": 6, "invoice_id": "h", "expiry": 60}));
    let hold = multicard.send(|api| api.create_hold().body(hold.clone())).await.unwrap();
    let id = hold.id.to_string();
    let otp: types::ConfirmHoldRequest = body(json!({"otp": TEST_OTP}));
    multicard.send(|api| api.confirm_hold().payment_uuid(id.as_str()).body(otp.clone())).await.unwrap();
    sandbox.advance(Duration::from_secs(59 * 60)).await;
    let read = multicard.send(|api| api.get_hold().payment_uuid(id.as_str())).await.unwrap();
    assert_eq!(read.status, HoldStatus::Active);
    sandbox.advance(Duration::from_secs(60)).await;
    let read = multicard.send(|api| api.get_hold().payment_uuid(id.as_str())).await.unwrap();
    assert_eq!(read.status, HoldStatus::Canceled, "released at its expiry");
    assert_eq!(read.payment.map(|p| p.status), Some(PaymentStatus::Error));
    let charge: types::ChargeHoldRequest = body(json!({"amount": 5_000}));
    // The SDK refuses to send it: the hold's expiry has passed by
    // Multicard's clock (the sandbox's `Date`).
    let error = multicard.send(|api| api.charge_hold().payment_uuid(id.as_str()).body(charge.clone())).await;
    let error = error.expect_err("a released hold is not charged");
    assert!(
        matches!(
            error,
            multicard_api::Error::NotSent { reason: multicard_api::error::NotSentReason::HoldExpiresSoon { .. }, .. }
        ),
        "{error:?}"
    );
    // The sandbox refuses it too (the generated client has no guard).
    let raw = multicard.api().charge_hold().payment_uuid(id.as_str()).body(charge.clone()).send().await;
    let Err(multicard_api::RawError::UnexpectedResponse(answer)) = raw else { panic!("{raw:?}") };
    assert_eq!(answer.status(), 403);
    let answer: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(answer["error"]["code"], ErrorCode::ErrorPaymentApplied.as_str(), "a released hold is not charged");
}

#[tokio::test]
async fn advance_runs_every_event_due_in_order_each_at_its_own_time() {
    let config = SandboxConfig::default().with_frozen_payments(FrozenPayments::resent(3, Duration::from_secs(30)));
    let (sandbox, multicard) = start(config.with_debit_delay(Duration::from_secs(15))).await;
    let merchant = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string_contains("order-7000"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&merchant)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .mount(&merchant)
        .await;
    let token = bound_card(&multicard).await;
    let (frozen, _) = paid(&multicard, &token, 7_000, Some(&merchant.uri())).await;
    sandbox.advance(Duration::from_secs(20)).await; // debited at 15 s, frozen
    let (accepted, _) = paid(&multicard, &token, 8_000, Some(&merchant.uri())).await; // debited at 35 s
    // One call: the frozen payment is sent again at 45, 75 and 105 s; the
    // other is debited and accepted at 35 s; all before it returns.
    sandbox.advance(Duration::from_secs(100)).await;
    let sent: Vec<(i64, u32, String)> = {
        let all = sandbox.deliveries();
        offsets(&all).into_iter().zip(all).map(|(at, d)| (at, d.attempt, d.body["invoice_id"].to_string())).collect()
    };
    let expected: Vec<(i64, u32, String)> = [(0, 1, 7000), (20, 1, 8000), (30, 2, 7000), (60, 3, 7000), (90, 4, 7000)]
        .into_iter()
        .map(|(at, attempt, order)| (at, attempt, format!("\"order-{order}\"")))
        .collect();
    assert_eq!(sent, expected);
    assert_eq!(payment(&multicard, &accepted).await.status, PaymentStatus::Success);
    assert_eq!(payment(&multicard, &frozen).await.status, PaymentStatus::Billing);
}

#[tokio::test]
async fn payouts_and_held_charges_move_through_progress_too() {
    let (sandbox, multicard) = start(SandboxConfig::default().with_debit_delay(Duration::from_secs(5))).await;
    let token = bound_card(&multicard).await;
    let payout: types::CreatePayoutRequest = body(
        json!({"card": {"token": token}, "amount": 10_000, "store_id": 6, "invoice_id": "p-1", "confirmable": false}),
    );
    let payout = multicard.send(|api| api.create_payout().body(payout.clone())).await.unwrap();
    assert_eq!(payout.status, PaymentStatus::Progress);

    let hold: types::CreateHoldRequest =
        body(json!({"card": {"token": token}, "amount": 5_000, "store_id": 6, "invoice_id": "h", "expiry": 60}));
    let id = multicard.send(|api| api.create_hold().body(hold.clone())).await.unwrap().id.to_string();
    let otp: types::ConfirmHoldRequest = body(json!({"otp": TEST_OTP}));
    multicard.send(|api| api.confirm_hold().payment_uuid(id.as_str()).body(otp.clone())).await.unwrap();
    let charge: types::ChargeHoldRequest = body(json!({"amount": 4_000}));
    let charged = multicard.send(|api| api.charge_hold().payment_uuid(id.as_str()).body(charge.clone())).await.unwrap();
    assert_eq!(charged.status, PaymentStatus::Progress);
    let again = multicard.send(|api| api.charge_hold().payment_uuid(id.as_str()).body(charge.clone())).await;
    assert!(again.is_err(), "a charge under way is not started twice");
    let read = multicard.send(|api| api.get_hold().payment_uuid(id.as_str())).await.unwrap();
    assert_eq!(read.status, HoldStatus::Active, "still active while the charge is debited");

    sandbox.advance(Duration::from_secs(5)).await;
    let read = multicard.send(|api| api.get_payout().payment_uuid(payout.uuid.as_str())).await.unwrap();
    assert_eq!(read.status, PaymentStatus::Success);
    assert!(read.receipt_url.is_some());
    let read = multicard.send(|api| api.get_hold().payment_uuid(id.as_str())).await.unwrap();
    assert_eq!((read.status, read.payment.map(|p| p.status)), (HoldStatus::Success, Some(PaymentStatus::Success)));
}
