//! The sandbox answers as production does, not as the vendor's pages say
//! (issue 12): payments without `amount`, a deleted or expired invoice that
//! reads `cancelled` and then `ERROR_TRANS_NOT_READY`, holds addressed by
//! their integer id with `success` and `canceled`, `ERROR_SMS_TO_MANY`
//! past the one-time-code limit of a card, token payments without an OTP,
//! and 22-character card tokens. Everything goes through `Multicard::send`
//! against `Sandbox::start`; where the typed value cannot show it (a key
//! that is absent rather than null), the raw answer is read as well.

use std::time::Duration;

use multicard_api::time::MulticardDateTime;
use multicard_api::types::{self, ErrorCode, HoldStatus, InvoiceStatus, PaymentStatus};
use multicard_api::{Error, Multicard};
use multicard_sandbox::{Sandbox, SandboxConfig, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP};
use serde_json::{Value, json};

fn body<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{value}: {e}"))
}

fn ofd(amount: i64) -> Value {
    json!([{"qty": 1, "price": amount, "mxik": "06401004002000000", "total": amount, "package_code": "1506113", "name": "item"}])
}

async fn start(config: SandboxConfig) -> (Sandbox, Multicard) {
    let sandbox = Sandbox::start_with(config).await.expect("the sandbox starts");
    let multicard = Multicard::new(sandbox.config()).expect("a client");
    (sandbox, multicard)
}

/// The raw `data` of `GET path`, with the client's own token.
async fn raw(sandbox: &Sandbox, multicard: &Multicard, path: &str) -> Value {
    let token = multicard.tokens().get().await.expect("a token");
    let answer: Value = reqwest::Client::new()
        .get(format!("{}{path}", sandbox.url()))
        .bearer_auth(token.expose())
        .send()
        .await
        .expect("the sandbox answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(answer["success"], true, "{path}: {answer}");
    answer["data"].clone()
}

async fn add_card(multicard: &Multicard) -> Result<types::BoundCard, Error> {
    let request: types::AddCardRequest =
        body(json!({"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY, "user_phone": "998901234567"}));
    multicard.send(|api| api.add_card().body(request.clone())).await
}

async fn bound_card(multicard: &Multicard) -> String {
    let draft = add_card(multicard).await.expect("add card");
    let otp: types::ConfirmCardRequest = body(json!({"otp": TEST_OTP}));
    multicard
        .send(|api| api.confirm_card().card_token(draft.card_token.as_str()).body(otp.clone()))
        .await
        .expect("confirm card")
        .card_token
}

async fn pay_by_card_data(multicard: &Multicard, amount: i64) -> Result<types::PaymentModel, Error> {
    let request: types::CreatePaymentRequest = body(json!({"card": {"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY},
        "amount": amount, "store_id": 6, "invoice_id": "by-card"}));
    multicard.send(|api| api.create_payment().body(request.clone())).await
}

async fn create_hold(multicard: &Multicard, token: &str, amount: i64) -> Result<types::HoldModel, Error> {
    let request: types::CreateHoldRequest =
        body(json!({"card": {"token": token}, "amount": amount, "store_id": 6, "invoice_id": "hold", "expiry": 60}));
    multicard.send(|api| api.create_hold().body(request.clone())).await
}

/// A token payment, confirmed the way production confirms it: `{}`.
async fn token_payment(multicard: &Multicard, token: &str, amount: i64, callback: Option<&str>) -> types::PaymentModel {
    let request: types::CreatePaymentRequest = body(json!({"card": {"token": token}, "amount": amount,
        "store_id": 6, "invoice_id": "by-token", "callback_url": callback}));
    let created = multicard.send(|api| api.create_payment().body(request.clone())).await.expect("created");
    let empty: types::ConfirmPaymentRequest = body(json!({}));
    multicard.send(|api| api.confirm_payment().uuid(created.uuid.as_str()).body(empty.clone())).await.expect("paid")
}

fn assert_production_card_token(token: &str, whose: &str) {
    assert_eq!(token.len(), 22, "{whose}: {token}");
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()), "{whose}: {token}");
    assert!(
        token.bytes().any(|b| b.is_ascii_uppercase()) && token.bytes().any(|b| b.is_ascii_lowercase()),
        "{whose}: mixed case, {token}"
    );
}

fn assert_payment_shape(model: &Value, whose: &str) {
    let keys = model.as_object().unwrap_or_else(|| panic!("{whose}: {model}"));
    assert!(!keys.contains_key("amount"), "{whose} has no `amount`: {model}");
    for key in ["payment_amount", "total_amount", "commission_amount", "ps", "payment_time"] {
        assert!(keys.contains_key(key), "{whose} carries `{key}`: {model}");
    }
}

#[tokio::test]
async fn every_payment_the_sandbox_answers_has_the_production_amounts_and_no_amount() {
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let token = bound_card(&multicard).await;
    let paid = token_payment(&multicard, &token, 150_000, None).await;
    assert_eq!(paid.payment_amount, 150_000);
    let read = multicard.send(|api| api.get_payment().uuid(paid.uuid.as_str())).await.expect("read");
    assert_eq!((read.total_amount, read.commission_amount), (Some(150_000), Some(0)));
    assert!(read.ps.is_some() && read.payment_time.is_some(), "{read:?}");
    assert_payment_shape(&raw(&sandbox, &multicard, &format!("/payment/{}", paid.uuid)).await, "a token payment");

    let draft = pay_by_card_data(&multicard, 20_000).await.expect("a draft");
    assert_payment_shape(&raw(&sandbox, &multicard, &format!("/payment/{}", draft.uuid)).await, "a draft");

    let invoice: types::CreateInvoiceRequest = body(json!({"store_id": 6, "amount": 30_000, "invoice_id": "inv",
        "callback_url": "http://127.0.0.1:9/cb", "ofd": ofd(30_000)}));
    let invoice = multicard.send(|api| api.create_invoice().body(invoice.clone())).await.expect("invoice");
    let uuid = invoice.uuid.clone().expect("a uuid");
    sandbox.pay_invoice(&uuid).expect("paid on the checkout page");
    let read = raw(&sandbox, &multicard, &format!("/payment/invoice/{uuid}")).await;
    assert_payment_shape(&read["payment"], "an invoice's payment");

    let hold = create_hold(&multicard, &token, 40_000).await.expect("a hold");
    let read = raw(&sandbox, &multicard, &format!("/payment/hold/{}", hold.id)).await;
    assert_payment_shape(&read["payment"], "a hold's payment");

    let payout: types::CreatePayoutRequest = body(
        json!({"card": {"pan": TEST_CARD_PAN}, "amount": 10_000, "store_id": 6, "invoice_id": "payout", "confirmable": false}),
    );
    let payout = multicard.send(|api| api.create_payout().body(payout.clone())).await.expect("a payout");
    assert_payment_shape(&raw(&sandbox, &multicard, &format!("/payment/credit/{}", payout.uuid)).await, "a payout");
}

#[tokio::test]
async fn a_deleted_invoice_answers_an_empty_list_reads_cancelled_then_not_ready() {
    let grace = Duration::from_secs(1);
    let (sandbox, multicard) = start(SandboxConfig::default().with_cancelled_invoice_readable_for(grace)).await;
    let request: types::CreateInvoiceRequest = body(json!({"store_id": 6, "amount": 50_000, "invoice_id": "del",
        "callback_url": "http://127.0.0.1:9/cb", "ofd": ofd(50_000)}));
    let invoice = multicard.send(|api| api.create_invoice().body(request.clone())).await.expect("created");
    let uuid = invoice.uuid.expect("a uuid");
    assert_eq!(invoice.status, None, "an open invoice has no status");
    let deleted = multicard.send(|api| api.cancel_invoice().uuid(uuid.as_str())).await.expect("deleted");
    assert_eq!(*deleted, Some(vec![]), "`data: []`");
    let read = multicard.send(|api| api.get_invoice().uuid(uuid.as_str())).await.expect("still readable");
    assert_eq!(read.status, Some(InvoiceStatus::Cancelled));
    assert!(read.updated_on.is_some(), "the cancellation is dated");
    sandbox.advance(grace).await;
    let error = multicard.send(|api| api.get_invoice().uuid(uuid.as_str())).await.expect_err("no longer readable");
    assert_eq!(error.code(), Some(&ErrorCode::ErrorTransNotReady), "{error}");
    assert_eq!(error.status(), Some(400));
}

#[tokio::test]
async fn an_invoice_past_its_lifetime_reads_cancelled_then_not_ready() {
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let request: types::CreateInvoiceRequest = body(json!({"store_id": 6, "amount": 100, "invoice_id": "ttl",
        "callback_url": "http://127.0.0.1:9/cb", "ofd": ofd(100), "ttl": 1}));
    let invoice = multicard.send(|api| api.create_invoice().body(request.clone())).await.expect("created");
    let uuid = invoice.uuid.expect("a uuid");
    sandbox.advance(Duration::from_millis(999)).await;
    let read = multicard.send(|api| api.get_invoice().uuid(uuid.as_str())).await.expect("still open");
    assert_eq!(read.status, None, "open until its lifetime is over");
    sandbox.advance(Duration::from_millis(1)).await;
    let read = multicard.send(|api| api.get_invoice().uuid(uuid.as_str())).await.expect("readable for a while");
    assert_eq!(read.status, Some(InvoiceStatus::Cancelled));
    assert!(sandbox.pay_invoice(&uuid).is_err(), "a cancelled invoice cannot be paid");
    // The default: readable as cancelled for 5 s, then ERROR_TRANS_NOT_READY.
    assert_eq!(SandboxConfig::default().cancelled_invoice_readable_for, Duration::from_secs(5));
    sandbox.advance(Duration::from_secs(5)).await;
    let error = multicard.send(|api| api.get_invoice().uuid(uuid.as_str())).await.expect_err("not readable");
    assert_eq!(error.code(), Some(&ErrorCode::ErrorTransNotReady), "{error}");
}

#[tokio::test]
async fn holds_are_addressed_by_their_integer_id_and_end_success_or_canceled() {
    let (_sandbox, multicard) = start(SandboxConfig::default()).await;
    let token = bound_card(&multicard).await;
    let hold = create_hold(&multicard, &token, 80_000).await.expect("a hold");
    assert_eq!(hold.status, HoldStatus::Draft);
    let id = hold.id.to_string();
    let payment_uuid = hold.payment.as_ref().expect("its payment").uuid.clone();

    // The payment uuid (what the vendor's pages name the parameter) does not address a hold.
    let error = multicard.send(|api| api.get_hold().payment_uuid(payment_uuid.as_str())).await.expect_err("by uuid");
    assert_eq!(error.code(), Some(&ErrorCode::ErrorNotFound), "{error}");
    let otp: types::ConfirmHoldRequest = body(json!({"otp": TEST_OTP}));
    let error = multicard
        .send(|api| api.confirm_hold().payment_uuid(payment_uuid.as_str()).body(otp.clone()))
        .await
        .expect_err("by uuid");
    assert_eq!(error.code(), Some(&ErrorCode::ErrorNotFound), "{error}");

    let active = multicard.send(|api| api.confirm_hold().payment_uuid(id.as_str()).body(otp.clone())).await.unwrap();
    assert_eq!(active.status, HoldStatus::Active);
    let charge: types::ChargeHoldRequest = body(json!({"amount": 70_000}));
    let charged = multicard.send(|api| api.charge_hold().payment_uuid(id.as_str()).body(charge.clone())).await.unwrap();
    assert_eq!((charged.status, charged.payment_amount), (PaymentStatus::Success, 70_000));
    let read = multicard.send(|api| api.get_hold().payment_uuid(id.as_str())).await.expect("by id");
    assert_eq!((read.id, read.status), (hold.id, HoldStatus::Success), "a charged hold reads `success`");
    let settled = multicard.settle_hold(&id, Duration::from_secs(1)).await.expect("settles by id");
    assert_eq!(settled.status, HoldStatus::Success);

    let other = create_hold(&multicard, &token, 10_000).await.expect("a second hold");
    let released = multicard.send(|api| api.cancel_hold().payment_uuid(other.id.to_string())).await.unwrap();
    assert_eq!(released.status, HoldStatus::Canceled, "one `l`");
}

#[tokio::test]
async fn too_many_one_time_codes_for_one_card_answer_error_sms_to_many() {
    assert_eq!(SandboxConfig::default().otp_sms_limit, 3, "the documented default");
    let (_sandbox, multicard) = start(SandboxConfig::default()).await;
    for n in 1..=3 {
        add_card(&multicard).await.unwrap_or_else(|e| panic!("code {n} of 3: {e}"));
    }
    let error = add_card(&multicard).await.expect_err("a fourth code for the same card");
    assert_eq!(error.code(), Some(&ErrorCode::ErrorSmsToMany), "{error}");
    assert_eq!(error.status(), Some(400));
}

#[tokio::test]
async fn binding_by_card_data_card_payments_and_holds_share_the_limit_which_lifts_after_its_window() {
    let window = Duration::from_secs(2);
    let (sandbox, multicard) = start(SandboxConfig::default().with_otp_sms_limit(3).with_otp_sms_window(window)).await;
    let token = bound_card(&multicard).await; // code 1
    create_hold(&multicard, &token, 1_000).await.expect("code 2");
    pay_by_card_data(&multicard, 2_000).await.expect("code 3");
    let sms = |result: Result<(), Error>| result.expect_err("over the limit").code().cloned();
    assert_eq!(sms(pay_by_card_data(&multicard, 3_000).await.map(drop)), Some(ErrorCode::ErrorSmsToMany));
    assert_eq!(sms(create_hold(&multicard, &token, 4_000).await.map(drop)), Some(ErrorCode::ErrorSmsToMany));
    assert_eq!(sms(add_card(&multicard).await.map(drop)), Some(ErrorCode::ErrorSmsToMany));
    // A token payment sends no code, so the limit does not stop it.
    let paid = token_payment(&multicard, &token, 5_000, None).await;
    assert_eq!(paid.status, PaymentStatus::Success);
    sandbox.advance(window).await;
    add_card(&multicard).await.expect("the window has passed");
}

#[tokio::test]
async fn a_token_payment_has_no_otp_hash_and_an_empty_body_confirms_it() {
    let (_sandbox, multicard) = start(SandboxConfig::default()).await;
    let token = bound_card(&multicard).await;
    let request: types::CreatePaymentRequest =
        body(json!({"card": {"token": token}, "amount": 12_000, "store_id": 6, "invoice_id": "no-otp"}));
    let created = multicard.send(|api| api.create_payment().body(request.clone())).await.expect("created");
    assert_eq!(created.status, PaymentStatus::Draft);
    assert_eq!(created.otp_hash, None, "no code is sent for a token payment");
    let empty: types::ConfirmPaymentRequest = body(json!({}));
    let paid =
        multicard.send(|api| api.confirm_payment().uuid(created.uuid.as_str()).body(empty.clone())).await.unwrap();
    assert_eq!(paid.status, PaymentStatus::Success);

    // A payment by card data still waits for its code.
    let by_card = pay_by_card_data(&multicard, 3_000).await.expect("created");
    assert!(by_card.otp_hash.is_some());
    let error = multicard
        .send(|api| api.confirm_payment().uuid(by_card.uuid.as_str()).body(empty.clone()))
        .await
        .expect_err("no code");
    assert_eq!(error.code(), Some(&ErrorCode::ErrorWrongOtp));
}

#[tokio::test]
async fn card_tokens_look_like_production_and_registry_rows_carry_none() {
    let (sandbox, multicard) = start(SandboxConfig::default()).await;
    let receiver = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(json!({"success": true})))
        .mount(&receiver)
        .await;
    let draft = add_card(&multicard).await.expect("by card data");
    assert_production_card_token(&draft.card_token, "add_card");

    let request: types::CardBindingRequest = body(json!({"redirect_url": "https://shop/ok",
        "redirect_decline_url": "https://shop/no", "store_id": 6, "callback_url": format!("{}/card", receiver.uri()),
        "phone": "998901234567"}));
    let session = multicard.send(|api| api.create_card_binding().body(request.clone())).await.expect("a session");
    sandbox.complete_card_binding(&session.session_id).expect("the form is completed");
    let bound = multicard.send(|api| api.get_card_binding().session_id(session.session_id.as_str())).await.unwrap();
    assert_production_card_token(&bound.card_token, "the hosted form");

    let invoice: types::CreateInvoiceRequest = body(json!({"store_id": 6, "amount": 30_000, "invoice_id": "inv",
        "callback_url": format!("{}/pay", receiver.uri()), "ofd": ofd(30_000)}));
    let invoice = multicard.send(|api| api.create_invoice().body(invoice.clone())).await.expect("invoice");
    let paid = sandbox.pay_invoice(invoice.uuid.as_deref().expect("a uuid")).expect("paid");
    let uuid = paid["uuid"].as_str().expect("a payment uuid");
    let payment = multicard.send(|api| api.get_payment().uuid(uuid)).await.expect("read");
    assert_production_card_token(payment.card_token.as_deref().expect("a token"), "the checkout payment");
    sandbox.advance(Duration::ZERO).await;
    let deliveries = sandbox.deliveries();
    let success = deliveries.iter().find(|d| d.kind == "success").expect("the success callback");
    assert_production_card_token(success.body["card_token"].as_str().expect("a token"), "the success callback");

    let now = chrono::Utc::now();
    let (start, end) = (
        MulticardDateTime::from_utc(now - chrono::Duration::hours(1)).to_string(),
        MulticardDateTime::from_utc(now + chrono::Duration::hours(1)).to_string(),
    );
    let registry = multicard
        .send(|api| {
            api.list_payments().store_id("6").offset(0).limit(10).start_date(start.as_str()).end_date(end.as_str())
        })
        .await
        .expect("the registry");
    assert_eq!(registry.list.len(), 1);
    assert_eq!(registry.list[0].card_token, None, "production rows carry `card_token: null`");
    let path = format!("/payment/store/6/history?offset=0&limit=10&start_date={start}&end_date={end}");
    let raw_rows = raw(&sandbox, &multicard, &path.replace(' ', "%20")).await;
    assert!(raw_rows["list"][0].get("card_token").is_none_or(Value::is_null), "{raw_rows}");
}
