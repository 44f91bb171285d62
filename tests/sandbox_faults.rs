//! The sandbox's fault catalogue for money, through the SDK: writes that
//! apply and lose their answer, apply after the first settle read, or answer
//! `ERROR_DEBIT_UNKNOWN` and end later as success or error; reads that lag
//! behind writes, registries that lag, a server clock off the client's; a
//! callback treated as timed out. And the bounds of issue 22: a merchant's
//! answer read up to a limit, no redirect followed, what the sandbox keeps
//! capped. Time moves by `Sandbox::advance` only.

use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::TimeDelta;
use multicard_api::time::MulticardDateTime;
use multicard_api::types::{self, ErrorCode, HoldStatus, PaymentStatus};
use multicard_api::{Error, Multicard};
use multicard_api_tests::money::{
    body, bound_card, confirm, draft_payment, ofd, paid, payment, runaway_merchant, start,
};
use multicard_sandbox::{DeliveryFault, DeliveryOutcome, Fault, LateOutcome, Sandbox, SandboxConfig, TEST_OTP};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn accepting() -> MockServer {
    let server = MockServer::start().await;
    let accept = ResponseTemplate::new(200).set_body_json(json!({"success": true}));
    Mock::given(method("POST")).respond_with(accept).mount(&server).await;
    server
}

async fn registry(multicard: &Multicard) -> types::PaymentRegistry {
    let now = chrono::Utc::now();
    let start = MulticardDateTime::from_utc(now - chrono::Duration::hours(1)).to_string();
    let end = MulticardDateTime::from_utc(now + chrono::Duration::hours(1)).to_string();
    multicard
        .send(|api| {
            api.list_payments().store_id("6").offset(0).limit(100).start_date(start.as_str()).end_date(end.as_str())
        })
        .await
        .expect("the registry")
}

#[tokio::test]
async fn a_write_that_applies_and_loses_its_answer() {
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let token = bound_card(&multicard).await;
    let uuid = draft_payment(&multicard, &token, 2_000, None).await;
    sandbox.inject("confirm_payment", Fault::LoseAnswer, 1);
    let error = confirm(&multicard, &uuid).await.expect_err("no answer");
    assert!(error.is_outcome_unknown(), "{error}");
    assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Success, "it applied all the same");

    // A lost `create_payment` answer leaves no uuid: the registry finds it.
    sandbox.inject("create_payment", Fault::LoseAnswer, 1);
    let request: types::CreatePaymentRequest =
        body(json!({"card": {"token": token}, "amount": 3_000, "store_id": 6, "invoice_id": "lost-create"}));
    let error = multicard.send(|api| api.create_payment().body(request.clone())).await.expect_err("no answer");
    assert!(error.is_outcome_unknown(), "{error}");
    let found = registry(&multicard)
        .await
        .list
        .into_iter()
        .filter(|row| row.store_invoice_id.as_deref() == Some("lost-create"));
    assert_eq!(found.count(), 1, "found by its invoice id");
    assert_eq!(sandbox.requests("create_payment"), 2);
}

#[tokio::test]
async fn a_write_applied_after_the_first_settle_read() {
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let token = bound_card(&multicard).await;
    let uuid = draft_payment(&multicard, &token, 2_000, None).await;
    sandbox.inject("confirm_payment", Fault::ApplyLater(Duration::from_secs(30)), 1);
    let error = confirm(&multicard, &uuid).await.expect_err("a proxy's 504");
    assert!(error.is_outcome_unknown() && error.status() == Some(504), "{error}");
    assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Draft, "the first read sees nothing yet");
    sandbox.advance(Duration::from_secs(29)).await;
    assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Draft);
    sandbox.advance(Duration::from_secs(1)).await;
    assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Success, "applied 30 s later");

    // Any write: an invoice created later.
    sandbox.inject("create_invoice", Fault::ApplyLater(Duration::from_secs(5)), 1);
    let request: types::CreateInvoiceRequest = body(json!({"store_id": 6, "amount": 100, "invoice_id": "late",
        "callback_url": "http://127.0.0.1:9/cb", "ofd": ofd(100)}));
    assert!(multicard.send(|api| api.create_invoice().body(request.clone())).await.is_err());
    assert_eq!(sandbox.scheduled(), 1, "held back");
    sandbox.advance(Duration::from_secs(5)).await;
    assert_eq!(sandbox.scheduled(), 0, "handled");
}

#[tokio::test]
async fn debit_unknown_then_a_late_success_or_error() {
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let merchant = accepting().await;
    let token = bound_card(&multicard).await;
    for (then, ends) in [(LateOutcome::Success, PaymentStatus::Success), (LateOutcome::Error, PaymentStatus::Error)] {
        let uuid = draft_payment(&multicard, &token, 4_000, Some(&merchant.uri())).await;
        sandbox.inject("confirm_payment", Fault::DebitUnknown { after: Duration::from_secs(20), then }, 1);
        let error = confirm(&multicard, &uuid).await.expect_err("unknown");
        assert!(error.is_outcome_unknown(), "{error}");
        assert_eq!(error.code(), Some(&ErrorCode::ErrorDebitUnknown));
        sandbox.advance(Duration::from_secs(19)).await;
        assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Progress, "{then:?}: not known yet");
        sandbox.advance(Duration::from_secs(1)).await;
        assert_eq!(payment(&multicard, &uuid).await.status, ends, "{then:?}");
    }
    let sent: Vec<_> = sandbox.deliveries().iter().map(|d| d.outcome).collect();
    assert_eq!(sent, [DeliveryOutcome::Accepted], "only the late success sent its callback");

    // A hold's charge that failed late leaves the hold active, to be charged again.
    let hold: types::CreateHoldRequest =
        body(json!({"card": {"token": token}, "amount": 5_000, "store_id": 6, "invoice_id": "h", "expiry": 60}));
    let id = multicard.send(|api| api.create_hold().body(hold.clone())).await.unwrap().id.to_string();
    let otp: types::ConfirmHoldRequest = body(json!({"otp": TEST_OTP}));
    multicard.send(|api| api.confirm_hold().payment_uuid(id.as_str()).body(otp.clone())).await.unwrap();
    sandbox.inject("charge_hold", Fault::DebitUnknown { after: Duration::from_secs(5), then: LateOutcome::Error }, 1);
    let charge: types::ChargeHoldRequest = body(json!({"amount": 5_000}));
    let charge_it = || multicard.send(|api| api.charge_hold().payment_uuid(id.as_str()).body(charge.clone()));
    assert_eq!(charge_it().await.expect_err("unknown").code(), Some(&ErrorCode::ErrorDebitUnknown));
    sandbox.advance(Duration::from_secs(5)).await;
    let read = multicard.send(|api| api.get_hold().payment_uuid(id.as_str())).await.unwrap();
    assert_eq!((read.status, read.payment.map(|p| p.status)), (HoldStatus::Active, Some(PaymentStatus::Error)));
    assert_eq!(charge_it().await.expect("charged again").status, PaymentStatus::Success);

    // Any other write: a refund that turns out to have happened, one that did not.
    let (refunded, _) = paid(&multicard, &token, 6_000, None).await;
    let (kept, _) = paid(&multicard, &token, 7_000, None).await;
    for (uuid, then) in [(&refunded, LateOutcome::Success), (&kept, LateOutcome::Error)] {
        sandbox.inject("refund_payment", Fault::DebitUnknown { after: Duration::from_secs(10), then }, 1);
        let error = multicard.send(|api| api.refund_payment().uuid(uuid.as_str())).await.expect_err("unknown");
        assert_eq!(error.code(), Some(&ErrorCode::ErrorDebitUnknown));
    }
    assert_eq!(payment(&multicard, &refunded).await.status, PaymentStatus::Success, "not known yet");
    sandbox.advance(Duration::from_secs(10)).await;
    assert_eq!(payment(&multicard, &refunded).await.status, PaymentStatus::Revert);
    assert_eq!(payment(&multicard, &kept).await.status, PaymentStatus::Success);
}

#[tokio::test]
async fn reads_lag_behind_writes_and_registry_rows_appear_late() {
    let config = SandboxConfig::default().with_stale_reads(Duration::from_secs(5));
    let (sandbox, multicard) = start(config).await;
    let token = bound_card(&multicard).await;
    let uuid = draft_payment(&multicard, &token, 2_500, None).await;
    let missing = multicard.send(|api| api.get_payment().uuid(uuid.as_str())).await.expect_err("not there yet");
    assert_eq!(missing.code(), Some(&ErrorCode::ErrorNotFound));
    sandbox.advance(Duration::from_secs(5)).await;
    assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Draft);
    let confirmed = confirm(&multicard, &uuid).await.expect("confirmed");
    assert_eq!(confirmed.status, PaymentStatus::Success, "the write's own answer is current");
    sandbox.advance(Duration::from_secs(4)).await;
    assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Draft, "a stale read");
    sandbox.advance(Duration::from_secs(1)).await;
    assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Success);
    sandbox.set_stale_reads(Duration::ZERO);

    // Reads that start lagging show what already exists as it is, then lag
    // behind its next change.
    let existing = draft_payment(&multicard, &token, 2_600, None).await;
    sandbox.set_stale_reads(Duration::from_secs(5));
    assert_eq!(payment(&multicard, &existing).await.status, PaymentStatus::Draft, "not hidden");
    confirm(&multicard, &existing).await.expect("confirmed");
    assert_eq!(payment(&multicard, &existing).await.status, PaymentStatus::Draft, "lags behind the change");
    sandbox.set_stale_reads(Duration::ZERO);
    assert_eq!(payment(&multicard, &existing).await.status, PaymentStatus::Success, "no lag: current");

    sandbox.set_registry_lag(Duration::from_secs(60));
    let (late, _) = paid(&multicard, &token, 3_500, None).await;
    let listed = |r: types::PaymentRegistry| r.list.iter().any(|row| row.uuid == late);
    assert!(!listed(registry(&multicard).await), "not in the registry yet");
    sandbox.advance(Duration::from_secs(60)).await;
    assert!(listed(registry(&multicard).await), "listed 60 s after it was made");
}

#[tokio::test]
async fn the_server_clock_can_be_set_off_the_clients() {
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let token = bound_card(&multicard).await;
    let before = draft_payment(&multicard, &token, 1_100, None).await;
    sandbox.set_clock_offset(TimeDelta::hours(2));
    let after = draft_payment(&multicard, &token, 1_200, None).await;
    let added = |p: types::PaymentModel| p.added_on.expect("dated").to_utc();
    let gap = added(payment(&multicard, &after).await) - added(payment(&multicard, &before).await);
    assert_eq!(gap, TimeDelta::hours(2), "the clock did not move; what it writes did");
    let now = sandbox.now().to_utc() - chrono::Utc::now();
    assert!((now - TimeDelta::hours(2)).num_seconds().abs() < 60, "{now}");
}

#[tokio::test]
async fn a_callback_treated_as_timed_out_freezes_the_payment_and_is_sent_again() {
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let merchant = accepting().await;
    let token = bound_card(&multicard).await;
    sandbox.inject_delivery(DeliveryFault::TimedOut, 1);
    let (uuid, _) = paid(&multicard, &token, 5_500, Some(&merchant.uri())).await;
    sandbox.advance(Duration::ZERO).await;
    assert_eq!(merchant.received_requests().await.unwrap().len(), 1, "the merchant received it");
    assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Billing, "its answer did not count");
    sandbox.advance(Duration::from_secs(60)).await;
    assert_eq!(merchant.received_requests().await.unwrap().len(), 2, "sent again");
    assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Success);
    let outcomes: Vec<_> = sandbox.deliveries().iter().map(|d| (d.status, d.outcome)).collect();
    assert_eq!(outcomes, [(None, DeliveryOutcome::Frozen), (Some(200), DeliveryOutcome::Accepted)]);
}

#[tokio::test]
async fn a_merchants_answer_is_read_up_to_its_limit() {
    let (sandbox, multicard) = start(SandboxConfig::default().with_max_callback_answer(64 * 1024)).await;
    let (url, produced) = runaway_merchant(256 * 1024 * 1024).await;
    let token = bound_card(&multicard).await;
    let (uuid, _) = paid(&multicard, &token, 6_500, Some(&url)).await;
    sandbox.advance(Duration::ZERO).await;
    let read = produced.load(Ordering::SeqCst);
    assert!(read < 32 * 1024 * 1024, "{read} bytes of a 256 MiB answer were pulled");
    assert_eq!(payment(&multicard, &uuid).await.status, PaymentStatus::Revert, "too long to read: no `success: true`");
    multicard.send(|api| api.get_application()).await.expect("the sandbox still answers");
}

#[tokio::test]
async fn what_the_sandbox_keeps_is_capped() {
    let invoice = |n: usize, size: usize| -> types::CreateInvoiceRequest {
        let mut items = ofd(100);
        items[0]["name"] = json!("x".repeat(size));
        body(json!({"store_id": 6, "amount": 100, "invoice_id": format!("inv-{n}"),
            "callback_url": "http://127.0.0.1:9/cb", "ofd": items}))
    };
    let refused = |error: Error, limit: &str| {
        assert_eq!(error.code(), Some(&ErrorCode::ErrorFields), "{error}");
        assert!(error.to_string().contains(limit), "names {limit}: {error}");
    };
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let big = invoice(0, 1024 * 1024);
    let error = multicard.send(|api| api.create_invoice().body(big.clone())).await.expect_err("1 MB");
    refused(error, "max_object_bytes");

    let (sandbox_small, small) = start(SandboxConfig::default().with_max_stored_bytes(40 * 1024)).await;
    let mut made = Vec::new();
    let error = loop {
        match small.send(|api| api.create_invoice().body(invoice(made.len(), 8 * 1024))).await {
            Ok(made_one) => made.push(made_one.uuid.expect("a uuid")),
            Err(error) => break error,
        }
        assert!(made.len() < 10, "never refused");
    };
    refused(error, "max_stored_bytes");
    assert_eq!(made.len(), 4, "four of 9 KiB fit in 40 KiB");
    for uuid in &made {
        small.send(|api| api.get_invoice().uuid(uuid.as_str())).await.expect("what was kept is still there");
    }
    drop(sandbox_small);

    let kept = Sandbox::start_with(SandboxConfig::default().with_max_deliveries(3)).await.unwrap();
    let client = Multicard::new(kept.config()).unwrap();
    let merchant = accepting().await;
    let token = bound_card(&client).await;
    for amount in 1..=5 {
        paid(&client, &token, amount * 1_000, Some(&merchant.uri())).await;
    }
    kept.advance(Duration::ZERO).await;
    let amounts: Vec<_> = kept.deliveries().iter().map(|d| d.body["amount"].as_i64().unwrap()).collect();
    assert_eq!(amounts, [3_000, 4_000, 5_000], "the latest 3 are kept");
    drop(sandbox);
}
