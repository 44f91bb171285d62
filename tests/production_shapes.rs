//! What the real Multicard API sends, as integrators observed it, decoded
//! through the public API (`send` against a loopback server). One fixture a
//! fact; a spec regeneration that tightens a type back fails here.

use std::time::Duration;

use chrono::Duration as ChronoDuration;
use multicard_api::informative::Exact;
use multicard_api::types::{self, ErrorCode, HoldStatus, InvoiceStatus, PaymentService, PaymentStatus};
use multicard_api::{Error, Multicard};
use multicard_api_tests::fake::{self, server_with_auth};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const UUID: &str = "a81b7b62-6d86-11f0-9a1b-00505680eaf6";

/// A client whose server answers `verb path` with `{success: true, data}`.
async fn answering(verb: &str, at: &str, data: Value) -> (MockServer, Multicard) {
    answering_body(verb, at, json!({"success": true, "data": data})).await
}

async fn answering_body(verb: &str, at: &str, body: Value) -> (MockServer, Multicard) {
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let client = fake::client(&server);
    (server, client)
}

/// A production payment: `payment_amount`, `total_amount`,
/// `commission_amount`, `ps`, `payment_time`, and no `amount`.
fn production_payment(status: &str) -> Value {
    json!({"uuid": UUID, "payment_amount": 150_000, "total_amount": 151_500, "commission_amount": 1_500,
        "ps": "uzcard", "payment_time": "2026-11-28 10:12:59", "status": status, "card_token": null,
        "billing_id": null, "store_id": 6})
}

#[tokio::test]
async fn a_production_payment_has_no_amount_and_decodes() {
    let (_server, client) = answering("GET", &format!("/payment/{UUID}"), production_payment("success")).await;
    let payment = client.send(|api| api.get_payment().uuid(UUID)).await.expect("decodes");
    assert_eq!(
        (payment.payment_amount, payment.total_amount, payment.commission_amount),
        (150_000, Some(151_500), Some(1_500))
    );
    assert_eq!(payment.ps, Some(PaymentService::Uzcard));
    assert_eq!(payment.status, PaymentStatus::Success);
    assert!(payment.id.is_none(), "the integer id may be absent");
}

#[tokio::test]
async fn a_payment_still_billing_during_its_callback_decodes() {
    let (_server, client) = answering("GET", &format!("/payment/{UUID}"), production_payment("billing")).await;
    let payment = client.send(|api| api.get_payment().uuid(UUID)).await.expect("decodes");
    assert_eq!(payment.status, PaymentStatus::Billing);
}

#[tokio::test]
async fn a_payout_with_kyc_data_as_a_string_and_a_null_card_token_decodes() {
    let mut payout = production_payment("success");
    payout["kyc_data"] = json!("{\"first_name\":\"Ali\",\"pinfl\":\"12345678901234\"}");
    let (_server, client) = answering("GET", &format!("/payment/{UUID}"), payout.clone()).await;
    let payment = client.send(|api| api.get_payment().uuid(UUID)).await.expect("decodes");
    let kyc = payment.kyc_data.expect("kept").fields().expect("a JSON object inside the string");
    assert_eq!(kyc["first_name"], "Ali");
    assert!(payment.card_token.is_none());
}

#[tokio::test]
async fn merchant_account_flags_come_as_integers_or_booleans() {
    for active in [json!(1), json!(true), json!(0), json!(false)] {
        let data = json!({"id": 1, "uuid": UUID, "tin": "123", "active": active});
        let (_server, client) = answering("GET", "/payment/merchant-account/123", data).await;
        let account = client.send(|api| api.get_merchant_account().recipient("123")).await.expect("decodes");
        let expected = active == json!(1) || active == json!(true);
        assert_eq!(account.active.map(|a| a.is_set()), Some(expected), "{active}");
    }
}

#[tokio::test]
async fn a_registry_with_string_amounts_and_null_card_tokens_decodes() {
    let data = json!({
        "pagination": {"total": 1, "offset": 0, "limit": 10},
        "stat": [{"status": "success", "ps": "humo", "payment_amount": "300000"}],
        "list": [{"uuid": UUID, "status": "success", "payment_amount": 300_000, "card_token": null, "ps": "humo"}]
    });
    let (_server, client) = answering("GET", "/payment/store/6/history", data).await;
    let registry = client
        .send(|api| {
            api.list_payments()
                .store_id("6")
                .offset(0)
                .limit(10)
                .start_date("2026-11-01 00:00:00")
                .end_date("2026-11-29 00:00:00")
        })
        .await
        .expect("decodes");
    assert_eq!(registry.pagination.total, 1);
    assert_eq!(registry.stat[0].payment_amount.as_ref().and_then(|a| a.as_i64()), Some(300_000));
    assert!(registry.list[0].card_token.is_none());
}

#[tokio::test]
async fn a_token_payment_without_otp_hash_is_confirmed_with_an_empty_body() {
    let mut created = production_payment("draft");
    created["otp_hash"] = Value::Null;
    let (server, client) = answering("POST", "/payment", created).await;
    let request: types::CreatePaymentRequest = serde_json::from_value(
        json!({"card": {"token": "Ab3dE5gH7jK9mN1pQ3sT5v"}, "amount": 150_000, "store_id": 6, "invoice_id": "o-1"}),
    )
    .unwrap();
    let payment = client.send(|api| api.create_payment().body(request.clone())).await.expect("decodes");
    assert!(payment.otp_hash.is_none());
    Mock::given(method("PUT"))
        .and(path(format!("/payment/{UUID}")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": production_payment("success")})),
        )
        .mount(&server)
        .await;
    let empty: types::ConfirmPaymentRequest = serde_json::from_value(json!({})).expect("an empty body is a request");
    let confirmed = client.send(|api| api.confirm_payment().uuid(UUID).body(empty.clone())).await.expect("confirmed");
    assert_eq!(confirmed.status, PaymentStatus::Success);
    let sent = server.received_requests().await.unwrap();
    let confirm = sent.iter().find(|r| r.method.as_str() == "PUT").unwrap();
    assert_eq!(confirm.body, b"{}", "the empty body goes as `{{}}`");
}

#[tokio::test]
async fn an_invoice_delete_answers_an_empty_list() {
    let (_server, client) = answering("DELETE", &format!("/payment/invoice/{UUID}"), json!([])).await;
    let cancelled = client.send(|api| api.cancel_invoice().uuid(UUID)).await.expect("decodes");
    assert!(cancelled.0.as_ref().is_none_or(|items| items.is_empty()), "{cancelled:?}");
}

#[tokio::test]
async fn a_cancelled_invoice_and_one_without_uuid_decode() {
    let data = json!({"uuid": UUID, "amount": 150_000, "invoice_id": "o-1", "store_id": 6, "status": "cancelled"});
    let (_server, client) = answering("GET", &format!("/payment/invoice/{UUID}"), data).await;
    let invoice = client.send(|api| api.get_invoice().uuid(UUID)).await.expect("decodes");
    assert_eq!(invoice.status, Some(InvoiceStatus::Cancelled));

    // A created invoice whose uuid is null is still a created invoice:
    // never OutcomeUnknown, and it says how to find it.
    let data = json!({"uuid": null, "amount": 150_000, "invoice_id": "o-2", "store_id": 6,
        "checkout_url": "https://checkout.multicard.uz/invoice/abc"});
    let (_server, client) = answering("POST", "/payment/invoice", data).await;
    let request: types::CreateInvoiceRequest = serde_json::from_value(json!({"store_id": 6, "amount": 150_000,
        "invoice_id": "o-2", "callback_url": "https://shop.example/cb", "ofd": [{"qty": 1, "price": 150_000,
        "mxik": "10399002001000000", "package_code": "1", "name": "Tea", "total": 150_000}]}))
    .unwrap();
    let invoice = client.send(|api| api.create_invoice().body(request.clone())).await.expect("created");
    assert!(invoice.uuid.is_none());
    assert_eq!(invoice.invoice_id.as_str(), "o-2");
    assert!(invoice.checkout_url.is_some());
}

#[tokio::test]
async fn holds_by_integer_id_with_their_observed_statuses() {
    for (status, expected) in [
        ("draft", HoldStatus::Draft),
        ("active", HoldStatus::Active),
        ("success", HoldStatus::Success),
        ("canceled", HoldStatus::Canceled),
    ] {
        let data = json!({"id": 4312, "status": status});
        let (_server, client) = answering("GET", "/payment/hold/4312", data).await;
        let hold = client.send(|api| api.get_hold().payment_uuid("4312")).await.expect("decodes");
        assert_eq!((hold.id, hold.status), (4312, expected), "{status}");
    }
}

#[tokio::test]
async fn application_info_keeps_its_stores() {
    let data = json!({"application_id": "rhmt_test", "wallet_sum": 0, "stores": [{"id": 6}, {"id": 7, "name": "B"}]});
    let (_server, client) = answering("GET", "/payment/application", data).await;
    let application = client.send(|api| api.get_application()).await.expect("decodes");
    let ids: Vec<_> = application.stores.iter().filter_map(|s| s.id).collect();
    assert_eq!(ids, [6, 7]);
    assert_eq!(application.wallet_sum, Some(0));
}

#[tokio::test]
async fn check_card_pinfl_answers_true_false_or_null() {
    for answer in [json!(true), json!(false), Value::Null] {
        let (_server, client) = answering("POST", "/payment/card/check-pinfl", answer.clone()).await;
        let request: types::CheckPinflRequest =
            serde_json::from_value(json!({"pan": "8600533364098829", "pinfl": "12345678901234"})).unwrap();
        let result = client.send(|api| api.check_card_pinfl().body(request.clone())).await;
        match (&answer, result) {
            (Value::Bool(b), Ok(check)) => assert_eq!(check.0, Some(*b)),
            // `data: null` with `success: true` is "unknown", not a failure.
            (Value::Null, Ok(check)) => assert_eq!(check.0, None),
            (Value::Null, Err(Error::UnexpectedResponse { reason, .. })) => {
                assert!(reason.contains("no `data`"), "{reason}")
            }
            (_, other) => panic!("{answer}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn observed_error_codes_are_known() {
    for (code, expected) in [
        ("ERROR_FIELDS", ErrorCode::ErrorFields),
        ("ERROR_SMS_TO_MANY", ErrorCode::ErrorSmsToMany),
        ("ERROR_TRANS_NOT_READY", ErrorCode::ErrorTransNotReady),
    ] {
        let body = json!({"success": false, "error": {"code": code, "details": "..."}});
        let (_server, client) = answering_body("GET", &format!("/payment/invoice/{UUID}"), body).await;
        let error = client.send(|api| api.get_invoice().uuid(UUID)).await.expect_err("an error");
        assert_eq!(error.code(), Some(&expected), "{code}");
    }
}

#[tokio::test]
async fn a_confirmed_write_whose_data_does_not_decode_is_a_success_not_an_unknown_outcome() {
    // `status` of a type nobody expected: the write went through all the same.
    let mut data = production_payment("success");
    data["payment_amount"] = json!({"sum": 150_000});
    let (server, client) = answering("PUT", &format!("/payment/{UUID}"), data).await;
    let otp: types::ConfirmPaymentRequest = serde_json::from_value(json!({"otp": "112233"})).unwrap();
    let error = client.send(|api| api.confirm_payment().uuid(UUID).body(otp.clone())).await.expect_err("undecodable");
    assert!(!error.is_outcome_unknown(), "{error}");
    assert!(error.succeeded(), "{error:?}");
    match &error {
        Error::Undecodable { path, data, .. } => {
            assert_eq!(path, "data.payment_amount");
            assert_eq!(data.value()["uuid"], UUID, "the raw data is there to act on");
        }
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("SUCCEEDED"), "{error}");
    let sent = server.received_requests().await.unwrap();
    assert_eq!(sent.iter().filter(|r| r.method.as_str() == "PUT").count(), 1, "sent once");
}

#[tokio::test]
async fn auth_answers_token_role_and_expiry_at_top_level() {
    let server = MockServer::start().await;
    let expiry = fake::expiry_in(ChronoDuration::hours(24));
    Mock::given(method("POST"))
        .and(path("/auth"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"token": "tok-1", "role": "dev", "expiry": expiry})),
        )
        .mount(&server)
        .await;
    let client = fake::client(&server);
    let token = client
        .send(|api| {
            api.get_token()
                .body(types::AuthRequest::builder().application_id(fake::APPLICATION_ID).secret(fake::SECRET))
        })
        .await
        .expect("decodes");
    assert_eq!(token.role.as_deref(), Some("dev"));
}

#[tokio::test]
async fn a_nested_informative_object_that_does_not_decode_never_sinks_the_answer() {
    let mut data = production_payment("success");
    data["store"] = json!({"id": "six", "name": "Shop"});
    data["clearing"] = json!("not an object");
    data["tax"] = json!({"f_num": 42, "is_refund": "maybe"});
    let (_server, client) = answering("GET", &format!("/payment/{UUID}"), data).await;
    let payment = client.send(|api| api.get_payment().uuid(UUID)).await.expect("the payment decodes");
    assert_eq!(payment.payment_amount, 150_000);
    assert!(payment.store.is_none() && payment.clearing.is_none() && payment.tax.is_none());
    let unreadable = client.unreadable_fields();
    let mut fields: Vec<_> = unreadable.iter().map(|u| (u.operation, u.field.as_str())).collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            (Some("get_payment"), "PaymentModel.clearing"),
            (Some("get_payment"), "PaymentModel.store.id"),
            (Some("get_payment"), "PaymentModel.tax.f_num")
        ]
    );
    let store = unreadable.iter().find(|u| u.field.starts_with("PaymentModel.store")).unwrap();
    assert_eq!(store.value.value()["name"], "Shop", "the raw value is kept for the caller");
}

#[tokio::test]
async fn a_null_payment_and_a_null_split_decode_as_absent() {
    let data =
        json!({"uuid": UUID, "amount": 150_000, "invoice_id": "o-3", "payment": null, "split": null, "ofd": null});
    let (_server, client) = answering("GET", &format!("/payment/invoice/{UUID}"), data).await;
    let invoice = client.send(|api| api.get_invoice().uuid(UUID)).await.expect("decodes");
    assert!(matches!(invoice.payment, Exact::Absent) && invoice.split.is_none());
    let mut payment = production_payment("success");
    payment["split"] = Value::Null;
    payment["ofd"] = Value::Null;
    let (_server, client) = answering("GET", &format!("/payment/{UUID}"), payment).await;
    let payment = client.send(|api| api.get_payment().uuid(UUID)).await.expect("decodes");
    assert!(payment.split.is_none());
}

#[tokio::test]
async fn a_write_answered_success_without_data_is_a_success() {
    for body in [json!({"success": true}), json!({"success": true, "data": null})] {
        let (server, client) = answering_body("PUT", &format!("/payment/{UUID}"), body.clone()).await;
        let otp: types::ConfirmPaymentRequest = serde_json::from_value(json!({"otp": "112233"})).unwrap();
        let error = client.send(|api| api.confirm_payment().uuid(UUID).body(otp.clone())).await.expect_err("no data");
        assert!(error.succeeded() && !error.is_outcome_unknown(), "{body}: {error:?}");
        drop(server);
    }
}

#[tokio::test]
async fn settle_hold_never_reads_a_payment_it_cannot_decode_as_absent() {
    // The hold's payment is still in progress, but in a shape the SDK cannot
    // read: the hold must not look settled (a caller would charge again).
    let data = json!({"id": 7, "status": "active", "payment": {"uuid": UUID, "status": "progress", "amount": 50_000}});
    let (_server, client) = answering("GET", "/payment/hold/7", data).await;
    let result = client.settle_hold("7", Duration::from_millis(300)).await;
    assert!(result.is_err(), "{result:?}");
}
