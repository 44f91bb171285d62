//! End-to-end flows through the SDK against the local sandbox, for every
//! group of the API: invoices, cards, payments (all four kinds), refunds,
//! holds, payouts, registries and callbacks; token expiry mid-flow; fault
//! injection; and malformed requests that must not crash or corrupt it.
//! Time moves by the sandbox's clock (`Sandbox::advance`), never by sleeping.

use std::time::Duration;

use multicard_api::callbacks::Verifier;
use multicard_api::error::NotSentReason;
use multicard_api::informative::Exact;
use multicard_api::time::MulticardDateTime;
use multicard_api::types::{self, CardBindingStatus, ErrorCode, HoldStatus, InvoiceStatus, PaymentStatus};
use multicard_api::{Error, Multicard, Paid};
use multicard_sandbox::{DeliveryOutcome, Fault, Sandbox, SandboxConfig, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP};
use serde_json::{Value, json};

fn body<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{value}: {e}"))
}

fn ofd(amount: i64) -> Value {
    json!([{"qty": 1, "price": amount, "mxik": "06401004002000000", "total": amount, "package_code": "1506113", "name": "item"}])
}

async fn bound_card(multicard: &Multicard) -> String {
    let request: types::AddCardRequest =
        body(json!({"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY, "user_phone": "998901234567"}));
    let draft = multicard.send(|api| api.add_card().body(request.clone())).await.expect("add card");
    assert_eq!(draft.status, Some(CardBindingStatus::Draft));
    let otp: types::ConfirmCardRequest = body(json!({"otp": TEST_OTP}));
    let card = multicard
        .send(|api| api.confirm_card().card_token(draft.card_token.as_str()).body(otp.clone()))
        .await
        .expect("confirm");
    assert_eq!(card.status, Some(CardBindingStatus::Active));
    card.card_token
}

async fn paid(multicard: &Multicard, token: &str, amount: i64, callback_url: Option<&str>) -> types::PaymentModel {
    let request: types::CreatePaymentRequest = body(
        json!({"card": {"token": token}, "amount": amount, "store_id": 6, "invoice_id": "order-1", "callback_url": callback_url}),
    );
    let created = multicard.send(|api| api.create_payment().body(request.clone())).await.expect("create payment");
    assert_eq!(created.status, PaymentStatus::Draft);
    assert!(created.otp_hash.is_none(), "as in production, a token payment sends no OTP");
    let empty: types::ConfirmPaymentRequest = body(json!({}));
    multicard
        .send(|api| api.confirm_payment().uuid(created.uuid.as_str()).body(empty.clone()))
        .await
        .expect("confirm payment")
}

fn day_window() -> (String, String) {
    let now = chrono::Utc::now();
    (
        MulticardDateTime::from_utc(now - chrono::Duration::hours(1)).to_string(),
        MulticardDateTime::from_utc(now + chrono::Duration::hours(1)).to_string(),
    )
}

#[tokio::test]
async fn invoices_are_created_read_paid_by_checkout_and_cancelled() {
    let sandbox = Sandbox::start().await.unwrap();
    let multicard = Multicard::new(sandbox.config()).unwrap();
    let request: types::CreateInvoiceRequest = body(
        json!({"store_id": 6, "amount": 50000, "invoice_id": "inv-1", "callback_url": "http://127.0.0.1:9/cb", "ofd": ofd(50000)}),
    );
    let invoice = multicard.send(|api| api.create_invoice().body(request.clone())).await.unwrap();
    assert!(invoice.checkout_url.as_deref().unwrap_or_default().starts_with(sandbox.url()));
    let read = multicard.send(|api| api.get_invoice().uuid(invoice.uuid.as_deref().unwrap())).await.unwrap();
    assert_eq!((read.amount, read.payment.is_paid()), (50000, Paid::No));
    assert!(matches!(read.payment, Exact::Absent));

    // Paying on the checkout page attaches the payment, `billing` while its
    // success callback is out. Nobody listens at the callback URL: the
    // callback is refused, and the payment cancelled and refunded.
    sandbox.pay_invoice(invoice.uuid.as_deref().unwrap()).unwrap();
    let read = multicard.send(|api| api.get_invoice().uuid(invoice.uuid.as_deref().unwrap())).await.unwrap();
    match &read.payment {
        Exact::Present(payment) => assert_eq!(payment.status, PaymentStatus::Billing),
        other => panic!("{other:?}"),
    }
    assert!(matches!(read.payment.is_paid(), Paid::Unknown { .. }), "moving: neither paid nor unpaid");
    sandbox.advance(Duration::ZERO).await;
    let read = multicard.send(|api| api.get_invoice().uuid(invoice.uuid.as_deref().unwrap())).await.unwrap();
    match &read.payment {
        Exact::Present(payment) => assert_eq!(payment.status, PaymentStatus::Revert),
        other => panic!("{other:?}"),
    }
    assert_eq!(read.payment.is_paid(), Paid::No, "refunded in full");
    let error = multicard.send(|api| api.cancel_invoice().uuid(invoice.uuid.as_deref().unwrap())).await.unwrap_err();
    assert_eq!(error.code(), Some(&ErrorCode::ErrorFields), "a paid invoice cannot be cancelled");

    // An open invoice is cancelled, then reads `cancelled` (and, some
    // seconds later, ERROR_TRANS_NOT_READY: tests/sandbox_production.rs).
    let other = multicard.send(|api| api.create_invoice().body(request.clone())).await.unwrap();
    let cancelled = multicard.send(|api| api.cancel_invoice().uuid(other.uuid.as_deref().unwrap())).await.unwrap();
    assert_eq!(*cancelled, Some(vec![]));
    let read = multicard.send(|api| api.get_invoice().uuid(other.uuid.as_deref().unwrap())).await.unwrap();
    assert_eq!(read.status, Some(InvoiceStatus::Cancelled));
    assert!(sandbox.pay_invoice(other.uuid.as_deref().unwrap()).is_err(), "a cancelled invoice is not payable");

    // Unknown invoices: the vendor answers that under HTTP 200.
    match multicard.send(|api| api.get_invoice().uuid("00000000-0000-0000-0000-000000000000")).await.unwrap_err() {
        Error::Api { status: 200, code: ErrorCode::ErrorNotFound, .. } => {}
        other => panic!("{other:?}"),
    }

    // A short TTL expires the invoice.
    let short: types::CreateInvoiceRequest = body(
        json!({"store_id": 6, "amount": 100, "invoice_id": "inv-2", "callback_url": "http://127.0.0.1:9/cb", "ofd": ofd(100), "ttl": 1}),
    );
    let expiring = multicard.send(|api| api.create_invoice().body(short.clone())).await.unwrap();
    sandbox.advance(Duration::from_secs(1)).await;
    let read = multicard.send(|api| api.get_invoice().uuid(expiring.uuid.as_deref().unwrap())).await.unwrap();
    assert_eq!(read.status, Some(InvoiceStatus::Cancelled));
    let code: types::ScanpayRequest = body(json!({"code": "880012345678"}));
    let error = multicard
        .send(|api| api.scanpay_invoice().uuid(expiring.uuid.as_deref().unwrap()).body(code.clone()))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(&ErrorCode::ErrorTransNotReady), "an expired invoice is not payable");

    // Scanpay pays an open invoice with a code from the payer's app.
    let scanned = multicard.send(|api| api.create_invoice().body(request.clone())).await.unwrap();
    let code: types::ScanpayRequest = body(json!({"code": "1234"}));
    let error = multicard
        .send(|api| api.scanpay_invoice().uuid(scanned.uuid.as_deref().unwrap()).body(code.clone()))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(&ErrorCode::ErrorFields));
    let code: types::ScanpayRequest = body(json!({"code": "880012345678"}));
    let payment = multicard
        .send(|api| api.scanpay_invoice().uuid(scanned.uuid.as_deref().unwrap()).body(code.clone()))
        .await
        .unwrap();
    assert_eq!(payment.status, PaymentStatus::Billing, "debited; its success callback is due");
}

#[tokio::test]
async fn cards_are_bound_by_form_and_by_card_data_checked_and_revoked() {
    let sandbox = Sandbox::start().await.unwrap();
    let multicard = Multicard::new(sandbox.config()).unwrap();
    let receiver = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200))
        .mount(&receiver)
        .await;
    let request: types::CardBindingRequest = body(
        json!({"redirect_url": "https://shop/ok", "redirect_decline_url": "https://shop/no",
        "store_id": 6, "callback_url": format!("{}/card", receiver.uri()), "phone": "998901234567", "pinfl": "31105892514010"}),
    );
    let session = multicard.send(|api| api.create_card_binding().body(request.clone())).await.unwrap();
    assert!(session.form_url.contains(&session.session_id));
    let pending = multicard.send(|api| api.get_card_binding().session_id(session.session_id.as_str())).await.unwrap();
    assert_eq!(pending.status, Some(CardBindingStatus::Draft));

    sandbox.complete_card_binding(&session.session_id).unwrap();
    assert!(sandbox.deliveries().is_empty(), "sent when the clock says: nothing moved yet");
    sandbox.advance(Duration::ZERO).await;
    let deliveries = sandbox.deliveries();
    assert_eq!(deliveries[0].kind, "card_binding");
    let callback =
        Verifier::new(sandbox.secret()).unwrap().parse_card_binding(deliveries[0].body.to_string().as_bytes()).unwrap();
    let confirmed =
        multicard_api::callbacks::confirm_card_binding(&multicard, &callback).await.expect("the binding is confirmed");
    let token = confirmed.current.card_token.clone();
    let card = multicard.send(|api| api.get_card().card_token(token.as_str())).await.unwrap();
    assert_eq!(card.card_pan.as_deref(), Some("860053******8829"));

    let check: types::CheckPinflRequest = body(json!({"pan": TEST_CARD_PAN, "pinfl": "31105892514010"}));
    assert_eq!(*multicard.send(|api| api.check_card_pinfl().body(check.clone())).await.unwrap(), Some(true));
    let short: types::CheckPinflRequest = body(json!({"pan": TEST_CARD_PAN, "pinfl": "123"}));
    assert_eq!(
        multicard.send(|api| api.check_card_pinfl().body(short.clone())).await.unwrap_err().code(),
        Some(&ErrorCode::ErrorFields)
    );
    let lookup = multicard.send(|api| api.check_card_pan().pan(TEST_CARD_PAN)).await.unwrap();
    assert_eq!(lookup.masked_pan.as_deref(), Some("860053******8829"));

    // By card data: a wrong OTP is an error under HTTP 200, as documented.
    let add: types::AddCardRequest =
        body(json!({"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY, "user_phone": "998901234567"}));
    let draft = multicard.send(|api| api.add_card().body(add.clone())).await.unwrap();
    let wrong: types::ConfirmCardRequest = body(json!({"otp": "000000"}));
    match multicard
        .send(|api| api.confirm_card().card_token(draft.card_token.as_str()).body(wrong.clone()))
        .await
        .unwrap_err()
    {
        Error::Api { status: 200, code: ErrorCode::ErrorWrongOtp, .. } => {}
        other => panic!("{other:?}"),
    }
    let bad: types::AddCardRequest =
        body(json!({"pan": "8600000000000000", "expiry": "2806", "user_phone": "998901234567"}));
    assert_eq!(
        multicard.send(|api| api.add_card().body(bad.clone())).await.unwrap_err().code(),
        Some(&ErrorCode::ErrorCardNotFound)
    );

    let revoked = multicard.send(|api| api.revoke_card().card_token(token.as_str())).await.unwrap();
    assert!(revoked.is_empty());
    let card = multicard.send(|api| api.get_card().card_token(token.as_str())).await.unwrap();
    assert_eq!(card.status, Some(CardBindingStatus::Deleted));
}

/// A client of `sandbox` that only warns about rule `rule` of the request
/// checks, so what breaks it reaches the sandbox.
fn lenient(sandbox: &Sandbox, rule: &str) -> Multicard {
    let checks = multicard_api::checks::RequestChecks::new()
        .with_rule(rule, multicard_api::checks::Action::Warn)
        .expect("a rule");
    Multicard::new(sandbox.config().with_request_checks(checks)).unwrap()
}

#[tokio::test]
async fn payments_of_all_four_kinds_refunds_fiscal_links_and_callbacks() {
    let sandbox = Sandbox::start_with(SandboxConfig::default().with_status_webhooks(true)).await.unwrap();
    let multicard = Multicard::new(sandbox.config()).unwrap();
    let receiver = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .mount(&receiver)
        .await;
    let callback_url = format!("{}/cb", receiver.uri());
    let token = bound_card(&multicard).await;

    // By token, with the signed success callback and a webhook per status.
    let payment = paid(&multicard, &token, 150_000, Some(&callback_url)).await;
    assert_eq!(payment.status, PaymentStatus::Billing, "its success callback is out");
    sandbox.advance(Duration::ZERO).await;
    let deliveries = sandbox.deliveries();
    let verifier = Verifier::new(sandbox.secret()).unwrap();
    let success = deliveries.iter().find(|d| d.kind == "success").expect("a success callback");
    let callback = verifier.verify_success(success.body.to_string().as_bytes()).expect("signed with the secret");
    assert_eq!((callback.amount, callback.uuid.as_str()), (150_000, payment.uuid.as_str()));
    multicard_api::callbacks::confirm_success(&multicard, &callback).await.expect("confirmed");
    let statuses: Vec<PaymentStatus> = deliveries
        .iter()
        .filter(|d| d.kind == "webhook")
        .map(|d| verifier.verify_webhook(d.body.to_string().as_bytes()).unwrap().status)
        .collect();
    assert_eq!(statuses, [PaymentStatus::Progress, PaymentStatus::Billing, PaymentStatus::Success]);

    // Confirming twice is refused.
    let otp: types::ConfirmPaymentRequest = body(json!({"otp": TEST_OTP}));
    let again =
        multicard.send(|api| api.confirm_payment().uuid(payment.uuid.as_str()).body(otp.clone())).await.unwrap_err();
    assert_eq!(again.code(), Some(&ErrorCode::ErrorFields));

    // Partial refunds within the paid amount, then the rest.
    let refund =
        |amount: i64| body::<types::PartialRefundRequest>(json!({"refund_amount": amount, "ofd": ofd(amount)}));
    let part = refund(50_000);
    let after = multicard
        .send(|api| api.partial_refund_payment().uuid(payment.uuid.as_str()).body(part.clone()))
        .await
        .unwrap();
    assert_eq!(after.status, PaymentStatus::Success);
    let too_much = refund(100_001);
    let error = multicard
        .send(|api| api.partial_refund_payment().uuid(payment.uuid.as_str()).body(too_much.clone()))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::NotSent { reason: NotSentReason::RefundExceedsCaptured { .. }, .. }),
        "the SDK refuses it before sending: {error:?}"
    );
    // The sandbox refuses it too (the generated client has no guard).
    let raw = multicard.api().partial_refund_payment().uuid(payment.uuid.as_str()).body(too_much.clone()).send().await;
    let Err(multicard_api::RawError::UnexpectedResponse(answer)) = raw else { panic!("{raw:?}") };
    assert_eq!(answer.status(), 400);
    let answer: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(answer["error"]["code"], "ERROR_FIELDS", "no refund beyond the paid amount");
    let rest = refund(100_000);
    let after = multicard
        .send(|api| api.partial_refund_payment().uuid(payment.uuid.as_str()).body(rest.clone()))
        .await
        .unwrap();
    assert_eq!(after.status, PaymentStatus::Revert);

    // A full refund, and a fiscal link.
    let second = paid(&multicard, &token, 20_000, None).await;
    let fiscal: types::FiscalLinkRequest = body(json!({"url": "https://ofd.soliq.uz/check?t=1", "is_refund": false}));
    multicard.send(|api| api.send_fiscal_link().uuid(second.uuid.as_str()).body(fiscal.clone())).await.unwrap();
    let reverted = multicard.send(|api| api.refund_payment().uuid(second.uuid.as_str())).await.unwrap();
    assert_eq!(reverted.status, PaymentStatus::Revert);
    assert!(reverted.refund_time.is_some());

    // By card data.
    let by_card: types::CreatePaymentRequest = body(json!({"card": {"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY},
        "amount": 30_000, "store_id": 6, "invoice_id": "order-2"}));
    let created = multicard.send(|api| api.create_payment().body(by_card.clone())).await.unwrap();
    let wrong: types::ConfirmPaymentRequest = body(json!({"otp": "111111"}));
    let error =
        multicard.send(|api| api.confirm_payment().uuid(created.uuid.as_str()).body(wrong.clone())).await.unwrap_err();
    assert_eq!(error.code(), Some(&ErrorCode::ErrorWrongOtp));
    let confirmed =
        multicard.send(|api| api.confirm_payment().uuid(created.uuid.as_str()).body(otp.clone())).await.unwrap();
    assert_eq!(confirmed.status, PaymentStatus::Success);

    // Split, within the amount.
    let split: types::CreatePaymentRequest = body(json!({"card": {"token": token}, "amount": 100_000, "store_id": 6,
        "invoice_id": "order-3", "split": [{"type": "account", "amount": 60_000, "details": "share", "recipient": "r1"}]}));
    let created = multicard.send(|api| api.create_payment().body(split.clone())).await.unwrap();
    assert!(created.split.is_some());
    let oversplit: types::CreatePaymentRequest =
        body(json!({"card": {"token": token}, "amount": 100_000, "store_id": 6,
        "invoice_id": "order-4", "split": [{"type": "card", "amount": 100_001, "details": "too much"}]}));
    // The SDK refuses it before sending (`split.within_amount`); a client
    // that only warns sends it, and the sandbox refuses it. Its
    // `ERROR_FIELDS` details are not classified: on a write that is an
    // unknown outcome, settled by reading the registry (`outcome/table.rs`).
    let refused = multicard.send(|api| api.create_payment().body(oversplit.clone())).await.unwrap_err();
    assert!(matches!(refused, Error::RequestRefused { .. }), "{refused:?}");
    let lenient = lenient(&sandbox, "split.within_amount");
    match lenient.send(|api| api.create_payment().body(oversplit.clone())).await.unwrap_err() {
        Error::OutcomeUnknown { settle_with: Some("list_payments"), cause, .. } => {
            assert!(matches!(*cause, Error::Api { status: 200, code: ErrorCode::ErrorFields, .. }), "{cause:?}")
        }
        other => panic!("{other:?}"),
    }

    // In an app: no OTP, the app confirms.
    let app: types::CreatePaymentRequest =
        body(json!({"payment_system": "payme", "amount": 10_000, "store_id": 6, "invoice_id": "order-5"}));
    let created = multicard.send(|api| api.create_payment().body(app.clone())).await.unwrap();
    assert!(created.checkout_url.as_deref().is_some_and(|u| u.contains("/sandbox/app/")));
    let completed = sandbox.complete_app_payment(&created.uuid).unwrap();
    assert_eq!(completed["status"], "success", "no callback URL: paid at once");
    let read = multicard.send(|api| api.get_payment().uuid(created.uuid.as_str())).await.unwrap();
    assert_eq!(read.status, PaymentStatus::Success);

    let unknown: types::CreatePaymentRequest =
        body(json!({"card": {"token": "ffffffffffffffffffffffff"}, "amount": 1, "store_id": 6, "invoice_id": "x"}));
    assert_eq!(
        multicard.send(|api| api.create_payment().body(unknown.clone())).await.unwrap_err().code(),
        Some(&ErrorCode::ErrorCardNotFound)
    );
}

#[tokio::test]
async fn holds_are_created_confirmed_charged_and_cancelled() {
    let sandbox = Sandbox::start().await.unwrap();
    let multicard = Multicard::new(sandbox.config()).unwrap();
    let token = bound_card(&multicard).await;
    let create = |amount: i64| {
        body::<types::CreateHoldRequest>(
            json!({"card": {"token": token}, "amount": amount, "store_id": 6, "invoice_id": "hold-1", "expiry": 60}),
        )
    };
    let request = create(80_000);
    let hold = multicard.send(|api| api.create_hold().body(request.clone())).await.unwrap();
    assert_eq!(hold.status, HoldStatus::Draft);
    // Addressed by its integer id, as in production.
    let id = hold.id.to_string();
    let otp: types::ConfirmHoldRequest = body(json!({"otp": TEST_OTP}));
    let active = multicard.send(|api| api.confirm_hold().payment_uuid(id.as_str()).body(otp.clone())).await.unwrap();
    assert_eq!(active.status, HoldStatus::Active);
    let charge: types::ChargeHoldRequest = body(json!({"amount": 70_000}));
    let charged = multicard.send(|api| api.charge_hold().payment_uuid(id.as_str()).body(charge.clone())).await.unwrap();
    assert_eq!((charged.status, charged.payment_amount), (PaymentStatus::Success, 70_000));
    let error = multicard.send(|api| api.cancel_hold().payment_uuid(id.as_str())).await.unwrap_err();
    match error {
        Error::Api { status: 403, code: ErrorCode::ErrorPaymentApplied, .. } => {}
        other => panic!("{other:?}"),
    }
    let read = multicard.send(|api| api.get_hold().payment_uuid(id.as_str())).await.unwrap();
    assert_eq!((read.id, read.status), (hold.id, HoldStatus::Success));

    // A second hold is released before capture, addressed by its id.
    let request = create(10_000);
    let other = multicard.send(|api| api.create_hold().body(request.clone())).await.unwrap();
    let cancelled = multicard.send(|api| api.cancel_hold().payment_uuid(other.id.to_string())).await.unwrap();
    assert_eq!(cancelled.status, HoldStatus::Canceled);

    let bad: types::CreateHoldRequest =
        body(json!({"card": {"token": token}, "amount": 1, "store_id": 6, "invoice_id": "hold-2", "expiry": 43_201}));
    assert_eq!(
        multicard.send(|api| api.create_hold().body(bad.clone())).await.unwrap_err().code(),
        Some(&ErrorCode::ErrorFields)
    );
}

#[tokio::test]
async fn payouts_registries_application_and_merchant_account() {
    let sandbox = Sandbox::start().await.unwrap();
    let multicard = Multicard::new(sandbox.config()).unwrap();
    let token = bound_card(&multicard).await;
    // One step only on request: `confirmable: false` (the SDK sends `true`
    // when it is left out).
    let single: types::CreatePayoutRequest = body(
        json!({"card": {"pan": TEST_CARD_PAN}, "amount": 10_000, "store_id": 6, "invoice_id": "p-1", "confirmable": false}),
    );
    let payout = multicard.send(|api| api.create_payout().body(single.clone())).await.unwrap();
    assert_eq!(payout.status, PaymentStatus::Success);
    let two_step: types::CreatePayoutRequest = body(
        json!({"card": {"token": token}, "amount": 20_000, "store_id": 6, "invoice_id": "p-2", "confirmable": true}),
    );
    let draft = multicard.send(|api| api.create_payout().body(two_step.clone())).await.unwrap();
    assert_eq!(draft.status, PaymentStatus::Draft);
    let otp: types::ConfirmPayoutRequest = body(json!({"otp": TEST_OTP}));
    let done =
        multicard.send(|api| api.confirm_payout().payment_uuid(draft.uuid.as_str()).body(otp.clone())).await.unwrap();
    assert_eq!(done.status, PaymentStatus::Success);
    let read = multicard.send(|api| api.get_payout().payment_uuid(draft.uuid.as_str())).await.unwrap();
    assert!(read.receipt_url.is_some());
    let kyc: types::CreatePayoutRequest =
        body(json!({"card": {"pan": TEST_CARD_PAN}, "amount": 1_000_000_001, "store_id": 6, "invoice_id": "p-3"}));
    let refused = multicard.send(|api| api.create_payout().body(kyc.clone())).await.unwrap_err();
    assert!(matches!(refused, Error::RequestRefused { .. }), "the SDK refuses it before sending: {refused:?}");
    let lenient = lenient(&sandbox, "payout.kyc_above_10m_sum");
    match lenient.send(|api| api.create_payout().body(kyc.clone())).await.unwrap_err() {
        Error::Api { status: 200, code: ErrorCode::ErrorFields, details, .. } => {
            assert!(details.contains("идентификацию"))
        }
        other => panic!("{other:?}"),
    }

    for amount in [1_000, 2_000, 3_000] {
        paid(&multicard, &token, amount, None).await;
    }
    let (start, end) = day_window();
    let page = |offset: i64, limit: i64| {
        let (start, end) = (start.clone(), end.clone());
        let multicard = multicard.clone();
        async move {
            multicard
                .send(|api| {
                    api.list_payments()
                        .store_id("6")
                        .offset(offset)
                        .limit(limit)
                        .start_date(start.as_str())
                        .end_date(end.as_str())
                })
                .await
        }
    };
    let first = page(0, 2).await.unwrap();
    assert_eq!((first.pagination.total, first.list.len()), (3, 2));
    let second = page(2, 2).await.unwrap();
    assert_eq!(second.list.len(), 1);
    assert_eq!(first.stat.iter().filter_map(|s| s.payment_amount.as_ref()?.as_i64()).sum::<i64>(), 6_000);
    let only = multicard
        .send(|api| {
            api.list_payments()
                .store_id("6")
                .offset(0)
                .limit(10)
                .only_status(PaymentStatus::Revert)
                .start_date(start.as_str())
                .end_date(end.as_str())
        })
        .await
        .unwrap();
    assert_eq!(only.pagination.total, 0);
    let payouts = multicard
        .send(|api| {
            api.list_payouts()
                .store_id("6")
                .offset(0)
                .limit(10)
                .only_status("success")
                .start_date(start.as_str())
                .end_date(end.as_str())
        })
        .await
        .unwrap();
    assert_eq!(payouts.pagination.total, 2);
    let denied = multicard
        .send(|api| {
            api.list_payments().store_id("999").offset(0).limit(10).start_date(start.as_str()).end_date(end.as_str())
        })
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Some(&ErrorCode::ErrorAccessDenied));

    let application = multicard.send(|api| api.get_application()).await.unwrap();
    assert_eq!(application.application_id.as_deref(), Some("rhmt_test"));
    let account = multicard
        .send(|api| api.get_merchant_account().recipient("a81b7b62-6d86-11f0-9a1b-00505680eaf6"))
        .await
        .unwrap();
    assert!(account.active.as_ref().is_some_and(|a| a.is_set()));
}

#[tokio::test]
async fn tokens_expiring_mid_flow_are_refreshed_without_the_caller_noticing() {
    let sandbox =
        Sandbox::start_with(SandboxConfig::default().with_token_lifetime(Duration::from_secs(2))).await.unwrap();
    let multicard = Multicard::new(sandbox.config()).unwrap();
    let token = bound_card(&multicard).await;
    sandbox.advance(Duration::from_secs(2)).await;
    let payment = paid(&multicard, &token, 5_000, None).await;
    assert_eq!(payment.status, PaymentStatus::Success);
    assert!(sandbox.requests("get_token") >= 2, "the expired token was replaced");
}

#[tokio::test]
async fn injected_faults_reach_the_caller_as_typed_errors_and_are_counted() {
    let sandbox = Sandbox::start().await.unwrap();
    // Retries off: each fault reaches the caller (the fault matrix covers retries).
    let multicard =
        Multicard::new(sandbox.config().with_retry_policy(multicard_api::retry::RetryPolicy::none())).unwrap();
    sandbox.inject("get_application", Fault::HtmlBadGateway, 1);
    sandbox.inject("get_application", Fault::RbacDenied, 1);
    sandbox.inject("get_application", Fault::MalformedJson, 1);
    sandbox.inject("get_application", Fault::ErrorUnder200 { code: "ERROR_UNKNOWN".into() }, 1);
    let expect = [502, 403, 200, 200];
    for status in expect {
        let error = multicard.send(|api| api.get_application()).await.unwrap_err();
        assert_eq!(error.status(), Some(status), "{error}");
    }
    multicard.send(|api| api.get_application()).await.expect("the faults are used up");
    assert_eq!(sandbox.requests("get_application"), 5);
}

#[tokio::test]
async fn the_merchant_refusing_the_success_callback_cancels_the_payment() {
    let sandbox = Sandbox::start().await.unwrap();
    let multicard = Multicard::new(sandbox.config()).unwrap();
    let receiver = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&receiver)
        .await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_json(json!({"success": false, "message": "Не найден инвойс"})),
        )
        .mount(&receiver)
        .await;
    let token = bound_card(&multicard).await;
    let payment = paid(&multicard, &token, 7_000, Some(&receiver.uri())).await;
    sandbox.advance(Duration::ZERO).await;
    let read = multicard.send(|api| api.get_payment().uuid(payment.uuid.as_str())).await.unwrap();
    assert_eq!(read.status, PaymentStatus::Billing, "a 500 freezes the payment");
    // By default a frozen payment's callback is sent again 60 s later.
    sandbox.advance(Duration::from_secs(60)).await;
    let deliveries = sandbox.deliveries();
    assert_eq!(
        deliveries.iter().map(|d| (d.attempt, d.status, d.outcome)).collect::<Vec<_>>(),
        [(1, Some(500), DeliveryOutcome::Frozen), (2, Some(200), DeliveryOutcome::Refused)],
        "sent again after a 500"
    );
    let read = multicard.send(|api| api.get_payment().uuid(payment.uuid.as_str())).await.unwrap();
    assert_eq!(read.status, PaymentStatus::Revert, "a refused success callback refunds the payer");
}

#[tokio::test]
async fn malformed_and_unauthenticated_requests_never_crash_or_corrupt_the_sandbox() {
    let sandbox = Sandbox::start().await.unwrap();
    let multicard = Multicard::new(sandbox.config()).unwrap();
    let token = bound_card(&multicard).await;
    let http = reqwest::Client::new();
    let bearer = multicard.tokens().get().await.unwrap().expose().to_string();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let paths = [
        "/payment",
        "/payment/invoice",
        "/payment/card",
        "/payment/hold",
        "/payment/credit",
        "/auth",
        "/payment/%ZZ",
        "/payment/card/bind/..",
        "/payment/store/6/history?offset=-1&limit=x",
    ];
    let bodies = [
        &b"{"[..],
        b"[]",
        b"null",
        b"{\"amount\": \"lots\"}",
        b"\xff\xfe",
        b"{\"card\": {\"token\": 5}}",
        b"{\"store_id\": {}}",
    ];
    for i in 0..300 {
        let method = ["GET", "POST", "PUT", "DELETE", "PATCH"][(next() % 5) as usize];
        let path = paths[(next() % paths.len() as u64) as usize];
        let payload = bodies[(next() % bodies.len() as u64) as usize].to_vec();
        let mut request = http.request(method.parse().unwrap(), format!("{}{path}", sandbox.url())).body(payload);
        if i % 3 != 0 {
            request = request.bearer_auth(&bearer);
        }
        let response = request.send().await.expect("the sandbox answers");
        assert!(response.status().as_u16() < 500, "{method} {path}: {}", response.status());
    }
    // The state is intact: the bound card still pays.
    let payment = paid(&multicard, &token, 1_000, None).await;
    assert_eq!(payment.status, PaymentStatus::Success);
    let unauthorized = http.get(format!("{}/payment/application", sandbox.url())).send().await.unwrap();
    assert_eq!(unauthorized.status().as_u16(), 401);
}
