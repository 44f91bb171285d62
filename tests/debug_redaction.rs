//! `Debug` of the generated types never prints a secret, a bearer or card
//! token, a card number, an expiry, a CVC or a one-time code: each type that
//! holds one is built with canary values, and neither `{:?}` nor `{:#?}`
//! shows them. A card number shows as its first six and last four digits.
//! Every schema and operation the spec marks `x-sensitive` must be covered
//! here, so a newly marked field cannot go untested.

use std::collections::BTreeSet;
use std::fmt::Debug;

use multicard_api::types::{self, builder};
use multicard_api::{Config, Environment, Multicard};
use multicard_api_tests::spec;
use serde_json::{Value, json};

const SECRET: &str = "CANARY-secret-3f9a";
const BEARER: &str = "CANARY-bearer-77c1";
const OTP: &str = "CANARY-otp-5521";
const SCAN_CODE: &str = "CANARY-scan-code-19";
const EXPIRY: &str = "CANARY-expiry-2806";
const CVC: &str = "CANARY-cvc-123";
const CARD_TOKEN: &str = "CANARY-card-token-6225f3";
const PAN: &str = "8600539517534890";
/// What a PAN may show: the first six and last four digits.
const MASKED_PAN: &str = "860053******4890";
/// The digits a masked PAN hides.
const PAN_MIDDLE: &str = "951753";

fn decode<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{value}: {e}"))
}

/// Checks one value and returns the name it covers.
fn check(covers: &'static str, value: &dyn Debug) -> &'static str {
    for text in [format!("{value:?}"), format!("{value:#?}")] {
        for canary in [SECRET, BEARER, OTP, SCAN_CODE, EXPIRY, CVC, CARD_TOKEN, PAN, PAN_MIDDLE, "CANARY"] {
            assert!(!text.contains(canary), "{covers}: `{canary}` printed in {text}");
        }
        assert!(text.contains("<redacted>") || text.contains(MASKED_PAN), "{covers}: nothing redacted in {text}");
    }
    covers
}

fn card_pan_and_token() -> Value {
    json!({"card_pan": PAN, "card_token": CARD_TOKEN})
}

fn merged(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

#[test]
fn request_response_callback_and_builder_types_redact_what_the_spec_marks() {
    let mut covered = BTreeSet::new();
    let mut cover = |name| {
        covered.insert(name);
    };

    // Requests.
    let auth: types::AuthRequest = decode(json!({"application_id": "rhmt_test", "secret": SECRET}));
    cover(check("AuthRequest", &auth));
    let add: types::AddCardRequest =
        decode(json!({"pan": PAN, "expiry": EXPIRY, "cvc": CVC, "user_phone": "998901234567"}));
    let add_text = format!("{add:?}");
    assert!(add_text.contains(MASKED_PAN), "a PAN shows masked: {add_text}");
    assert!(add_text.contains("998901234567"), "other fields print as before: {add_text}");
    cover(check("AddCardRequest", &add));
    cover(check(
        "CheckPinflRequest",
        &decode::<types::CheckPinflRequest>(json!({"pan": PAN, "pinfl": "12345678901234"})),
    ));
    let by_card: types::CreatePaymentRequest =
        decode(json!({"card": {"pan": PAN, "expiry": EXPIRY}, "amount": 5000, "store_id": 6, "invoice_id": "order-1"}));
    assert!(matches!(by_card, types::CreatePaymentRequest::PaymentByCardRequest(_)));
    cover(check("PaymentByCardRequest", &by_card));
    let by_token: types::CreatePaymentRequest =
        decode(json!({"card": {"token": CARD_TOKEN}, "amount": 5000, "store_id": 6, "invoice_id": "order-1"}));
    assert!(matches!(by_token, types::CreatePaymentRequest::PaymentByTokenRequest(_)));
    cover(check("PaymentByTokenRequest", &by_token));
    let split: types::CreatePaymentRequest = decode(json!({
        "card": {"token": CARD_TOKEN}, "amount": 5000, "store_id": 6, "invoice_id": "order-1",
        "split": [{"type": "wallet", "amount": 5000, "details": "share", "recipient": "r"}],
    }));
    assert!(matches!(split, types::CreatePaymentRequest::SplitPaymentRequest(_)));
    cover(check("SplitPaymentRequest", &split));
    cover(check(
        "CreateHoldRequest",
        &decode::<types::CreateHoldRequest>(
            json!({"card": {"token": CARD_TOKEN}, "amount": 5000, "store_id": 6, "invoice_id": "order-1", "expiry": 30}),
        ),
    ));
    for card in [json!({"pan": PAN}), json!({"token": CARD_TOKEN})] {
        cover(check(
            "CreatePayoutRequest",
            &decode::<types::CreatePayoutRequest>(
                json!({"card": card, "amount": 5000, "store_id": 6, "invoice_id": "payout-1"}),
            ),
        ));
    }
    cover(check(
        "PartialRefundRequest",
        &decode::<types::PartialRefundRequest>(json!({"card_pan": PAN, "refund_amount": 100, "ofd": []})),
    ));
    cover(check("ConfirmCardRequest", &decode::<types::ConfirmCardRequest>(json!({"otp": OTP}))));
    cover(check("ConfirmPaymentRequest", &decode::<types::ConfirmPaymentRequest>(json!({"otp": OTP}))));
    cover(check("ConfirmHoldRequest", &decode::<types::ConfirmHoldRequest>(json!({"otp": OTP}))));
    cover(check("ConfirmPayoutRequest", &decode::<types::ConfirmPayoutRequest>(json!({"otp": OTP}))));
    cover(check("ScanpayRequest", &decode::<types::ScanpayRequest>(json!({"code": SCAN_CODE}))));

    // Answers and callbacks.
    cover(check(
        "AuthToken",
        &decode::<types::AuthToken>(json!({"token": BEARER, "role": "dev", "expiry": "2026-01-01 00:00:00"})),
    ));
    cover(check("BoundCard", &decode::<types::BoundCard>(card_pan_and_token())));
    cover(check("CardModel", &decode::<types::CardModel>(merged(card_pan_and_token(), json!({"expiry": EXPIRY})))));
    cover(check(
        "CardCheck",
        &decode::<types::CardCheck>(
            json!({"masked_pan": PAN, "ps": "uzcard", "bank": {"bin": "860053", "name": "Bank"}}),
        ),
    ));
    let payment =
        merged(card_pan_and_token(), json!({"id": 1, "uuid": "u-1", "payment_amount": 5000, "status": "success"}));
    cover(check("PaymentModel", &decode::<types::PaymentModel>(payment.clone())));
    cover(check("Payout", &decode::<types::Payout>(payment)));
    let listed = merged(
        card_pan_and_token(),
        json!({"id": 1, "uuid": "u-1", "status": "success", "ps": "uzcard", "store_invoice_id": "order-1",
               "payment_amount": 5000, "commission_amount": 0, "added_on": "2026-01-01 00:00:00"}),
    );
    cover(check("PaymentRegistry", &decode::<types::PaymentRegistryListItem>(listed.clone())));
    cover(check("PayoutRegistry", &decode::<types::PayoutRegistryListItem>(listed)));
    cover(check(
        "PaymentSuccessCallback",
        &decode::<types::PaymentSuccessCallback>(merged(
            card_pan_and_token(),
            json!({"store_id": 6, "amount": 5000, "invoice_id": "order-1", "uuid": "u-1", "sign": "00"}),
        )),
    ));
    cover(check(
        "PaymentStatusWebhook",
        &decode::<types::PaymentStatusWebhook>(merged(
            card_pan_and_token(),
            json!({"uuid": "u-1", "amount": 5000, "invoice_id": "order-1", "status": "success", "sign": "00"}),
        )),
    ));
    cover(check(
        "CardBindingCallback",
        &decode::<types::CardBindingCallback>(merged(
            card_pan_and_token(),
            json!({"payer_id": "s-1", "status": "active"}),
        )),
    ));

    // The builders hold the same values before they are sent.
    let auth_builder = types::AuthRequest::builder().application_id("rhmt_test").secret(SECRET);
    check("builder::AuthRequest", &auth_builder);
    let add_builder: builder::AddCardRequest = add.clone().into();
    check("builder::AddCardRequest", &add_builder);
    let unset = format!("{:?}", types::ConfirmCardRequest::builder());
    assert!(unset.contains("no value supplied for otp"), "a missing value still says so: {unset}");

    let spec_marked = marked_schemas(&spec());
    let missing: Vec<_> = spec_marked.iter().filter(|name| !covered.contains(name.as_str())).collect();
    assert!(missing.is_empty(), "schemas with `x-sensitive` fields this test does not check: {missing:?}");
}

#[test]
fn operation_builders_redact_marked_path_parameters() {
    let multicard =
        Multicard::new(Config::new("rhmt_test", SECRET, Environment::Custom("http://127.0.0.1:9".into()))).unwrap();
    let api = multicard.api();
    let mut covered = BTreeSet::new();
    covered.insert(check("get_card", &api.get_card().card_token(CARD_TOKEN)));
    covered.insert(check("revoke_card", &api.revoke_card().card_token(CARD_TOKEN)));
    let confirm: types::ConfirmCardRequest = decode(json!({"otp": OTP}));
    covered.insert(check("confirm_card", &api.confirm_card().card_token(CARD_TOKEN).body(confirm)));
    let check_pan = api.check_card_pan().pan(PAN);
    assert!(format!("{check_pan:?}").contains(MASKED_PAN));
    covered.insert(check("check_card_pan", &check_pan));
    let auth: types::AuthRequest = decode(json!({"application_id": "rhmt_test", "secret": SECRET}));
    check("get_token with its body", &api.get_token().body(auth));

    let spec_marked = marked_parameters(&spec());
    let missing: Vec<_> = spec_marked.iter().filter(|id| !covered.contains(id.as_str())).collect();
    assert!(missing.is_empty(), "operations with `x-sensitive` parameters this test does not check: {missing:?}");
}

fn has_mark(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.contains_key("x-sensitive") || map.values().any(has_mark),
        Value::Array(items) => items.iter().any(has_mark),
        _ => false,
    }
}

/// The component schemas with a marked property (at any depth).
fn marked_schemas(spec: &Value) -> BTreeSet<String> {
    let schemas = spec.pointer("/components/schemas").and_then(Value::as_object).expect("schemas");
    schemas.iter().filter(|(_, schema)| has_mark(schema)).map(|(name, _)| name.clone()).collect()
}

/// The operations with a marked parameter.
fn marked_parameters(spec: &Value) -> BTreeSet<String> {
    let paths = spec.get("paths").and_then(Value::as_object).expect("paths");
    let operations = paths.values().filter_map(Value::as_object).flat_map(|item| item.values());
    operations
        .filter(|op| op.get("parameters").is_some_and(has_mark))
        .filter_map(|op| op.get("operationId").and_then(Value::as_str).map(str::to_string))
        .collect()
}
