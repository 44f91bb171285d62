//! Error answers in four classes, per operation (`multicard_api::outcome`),
//! through the public API against a loopback server: what each class means
//! for a resend, that a write never meets a bare `Error::Api` for a code
//! nobody classified, the typed reasons of `ERROR_FIELDS` from the vendor's
//! own wordings, and what "confirmed earlier" came to.

use std::time::Duration;

use chrono::Duration as ChronoDuration;
use multicard_api::outcome::{FieldsReason, PaymentVerdict, WriteOutcome, classify};
use multicard_api::types::{self, ErrorCode, PaymentStatus};
use multicard_api::{Error, Multicard};
use multicard_api_tests::fake::{self, server_with_auth};
use multicard_api_tests::workspace_root;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const UUID: &str = "a81b7b62-6d86-11f0-9a1b-00505680eaf6";
const HOLD: &str = "753967";

/// A client whose server answers `verb at` with `body` under `status`.
async fn answering(verb: &str, at: &str, status: u16, body: Value) -> (MockServer, Multicard) {
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    readable_targets(&server).await;
    let client = fake::client(&server);
    (server, client)
}

/// What the refund and charge guards read before sending: the payment
/// (paid, 100,000 tiyin) and the hold (active, lapsing in a day).
async fn readable_targets(server: &MockServer) {
    let paid = json!({"success": true, "data": {"uuid": UUID, "payment_amount": 100_000, "status": "success"}});
    let expiry = multicard_api::time::MulticardDateTime::from_utc(chrono::Utc::now() + ChronoDuration::days(1));
    let hold = json!({"success": true, "data": {"id": 753967, "status": "active", "expiry": expiry.to_string()}});
    for (at, answer) in [(payment_path(), paid), (format!("/payment/hold/{HOLD}"), hold)] {
        Mock::given(method("GET"))
            .and(path(at))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .mount(server)
            .await;
    }
}

/// How many `verb` requests `server` saw on `at`.
async fn sent(server: &MockServer, verb: &str, at: &str) -> usize {
    let requests = server.received_requests().await.unwrap_or_default();
    requests.iter().filter(|r| r.method.as_str() == verb && r.url.path() == at).count()
}

/// A client whose server refuses `verb at` with Multicard's envelope.
async fn refusing(verb: &str, at: &str, status: u16, code: &str, details: &str) -> (MockServer, Multicard) {
    answering(verb, at, status, json!({"success": false, "error": {"code": code, "details": details}})).await
}

fn otp() -> types::ConfirmPaymentRequest {
    serde_json::from_value(json!({"otp": "112233"})).unwrap()
}

fn payment_path() -> String {
    format!("/payment/{UUID}")
}

async fn confirm_payment_answered(status: u16, code: &str, details: &str) -> (Error, MockServer) {
    let (server, client) = refusing("PUT", &payment_path(), status, code, details).await;
    let error = client.send(|api| api.confirm_payment().uuid(UUID).body(otp())).await.expect_err("refused");
    (error, server)
}

#[tokio::test]
async fn an_unknown_code_on_a_write_is_an_unknown_outcome_naming_the_settling_read() {
    let (error, server) = confirm_payment_answered(400, "ERROR_SOMETHING_NEW", "Что-то новое").await;
    match &error {
        Error::OutcomeUnknown { operation: "confirm_payment", settle_with: Some("get_payment"), cause, .. } => {
            assert!(matches!(**cause, Error::Api { status: 400, .. }), "{cause:?}")
        }
        other => panic!("a code nobody classified must not invite a resend: {other:?}"),
    }
    assert_eq!(fake::count(&server, &payment_path()).await, 1, "sent once");

    // Every write names its own read; the registry for a create.
    let hold = format!("/payment/hold/{HOLD}");
    let (_s, client) = refusing("DELETE", &hold, 400, "ERROR_SOMETHING_NEW", "").await;
    let error = client.send(|api| api.cancel_hold().payment_uuid(HOLD)).await.expect_err("refused");
    assert!(matches!(error, Error::OutcomeUnknown { settle_with: Some("get_hold"), .. }), "{error:?}");
    let (_s, client) = refusing("POST", "/payment", 200, "ERROR_SOMETHING_NEW", "").await;
    let body: types::CreatePaymentRequest =
        serde_json::from_value(json!({"card": {"token": "tok"}, "amount": 1000, "store_id": 6, "invoice_id": "o-1"}))
            .unwrap();
    let error = client.send(|api| api.create_payment().body(body.clone())).await.expect_err("refused");
    assert!(matches!(error, Error::OutcomeUnknown { settle_with: Some("list_payments"), .. }), "{error:?}");
}

#[tokio::test]
async fn error_fields_with_details_nobody_classified_on_a_write_is_an_unknown_outcome() {
    let partial = format!("/payment/{UUID}/partial");
    let (server, client) =
        refusing("DELETE", &partial, 400, "ERROR_FIELDS", "Сумма возврата превышает сумму платежа").await;
    let body: types::PartialRefundRequest = serde_json::from_value(json!({"refund_amount": 1000, "ofd": []})).unwrap();
    let error =
        client.send(|api| api.partial_refund_payment().uuid(UUID).body(body.clone())).await.expect_err("refused");
    assert!(
        matches!(&error, Error::OutcomeUnknown { settle_with: Some("get_payment"), .. }),
        "unclassified ERROR_FIELDS on a refund: {error:?}"
    );
    assert_eq!(error.code(), Some(&ErrorCode::ErrorFields));
    assert_eq!(error.fields_reason(), Some(FieldsReason::Other));
    assert_eq!(error.outcome(), Some(WriteOutcome::OutcomeUnknown));
    assert_eq!(fake::count(&server, &partial).await, 1, "sent once");
}

#[tokio::test]
async fn a_read_error_is_rejected_whatever_its_code() {
    for (status, code) in [(404, "ERROR_NOT_FOUND"), (400, "ERROR_SOMETHING_NEW"), (400, "ERROR_FIELDS")] {
        let (_s, client) = refusing("GET", &payment_path(), status, code, "Объект не найден").await;
        let error = client.send(|api| api.get_payment().uuid(UUID)).await.expect_err("refused");
        assert!(matches!(error, Error::Api { .. }), "a read's error is no unknown outcome: {error:?}");
        assert_eq!(error.outcome(), Some(WriteOutcome::Rejected), "{code}");
        assert_eq!(error.settle_with(), None, "{code}");
    }
}

#[tokio::test]
async fn not_found_on_a_full_refund_is_a_conflict_settled_by_reading_the_payment() {
    let (server, client) = refusing("DELETE", &payment_path(), 404, "ERROR_NOT_FOUND", "Объект не найден").await;
    let error = client.send(|api| api.refund_payment().uuid(UUID)).await.expect_err("refused");
    assert!(matches!(error, Error::Api { status: 404, .. }), "{error:?}");
    assert_eq!(error.outcome(), Some(WriteOutcome::Conflict));
    assert_eq!(error.settle_with(), Some("get_payment"));
    assert_eq!(sent(&server, "DELETE", &payment_path()).await, 1);
    assert_eq!(sent(&server, "GET", &payment_path()).await, 1, "the refund guard read the payment first");
}

#[tokio::test]
async fn an_inactive_hold_on_cancel_is_a_conflict_settled_by_reading_the_hold() {
    let hold = format!("/payment/hold/{HOLD}");
    let (_s, client) = refusing("DELETE", &hold, 403, "ERROR_PAYMENT_APPLIED", "Холд не активен").await;
    let error = client.send(|api| api.cancel_hold().payment_uuid(HOLD)).await.expect_err("refused");
    assert_eq!(error.outcome(), Some(WriteOutcome::Conflict), "{error:?}");
    assert_eq!(error.settle_with(), Some("get_hold"));
}

#[tokio::test]
async fn a_wrong_otp_is_rejected_so_the_user_may_try_again() {
    for details in ["Неверный код подтверждения", "Код подтверждения истек, запросите новый"]
    {
        let (error, _s) = confirm_payment_answered(400, "ERROR_WRONG_OTP", details).await;
        assert!(matches!(error, Error::Api { code: ErrorCode::ErrorWrongOtp, .. }), "{error:?}");
        assert_eq!(error.outcome(), Some(WriteOutcome::Rejected));
        assert_eq!(error.settle_with(), None);
    }
}

#[tokio::test]
async fn insufficient_funds_on_a_confirm_and_an_expired_card_on_a_charge_are_declined() {
    let (error, _s) = confirm_payment_answered(400, "ERROR_INSUFFICIENT_FUNDS", "Недостаточно средств").await;
    assert_eq!(error.outcome(), Some(WriteOutcome::Declined), "{error:?}");
    assert_eq!(error.settle_with(), Some("get_payment"));

    let charge = format!("/payment/hold/{HOLD}/charge");
    let (_s, client) = refusing("PUT", &charge, 400, "ERROR_CARD_EXPIRED", "Срок действия карты истек").await;
    let body: types::ChargeHoldRequest = serde_json::from_value(json!({"amount": 1000})).unwrap();
    let error = client.send(|api| api.charge_hold().payment_uuid(HOLD).body(body.clone())).await.expect_err("refused");
    assert_eq!(error.outcome(), Some(WriteOutcome::Declined), "{error:?}");
    assert_eq!(error.settle_with(), Some("get_hold"));
}

#[tokio::test]
async fn debit_unknown_stays_an_unknown_outcome() {
    let (error, _s) = confirm_payment_answered(200, "ERROR_DEBIT_UNKNOWN", "").await;
    assert!(matches!(error, Error::OutcomeUnknown { settle_with: Some("get_payment"), .. }), "{error:?}");
    assert_eq!(error.outcome(), Some(WriteOutcome::OutcomeUnknown));
}

#[tokio::test]
async fn confirmed_earlier_is_a_conflict_and_says_nothing_of_paid() {
    let (error, _s) = confirm_payment_answered(400, "ERROR_FIELDS", "Платеж подтвержден ранее").await;
    assert!(matches!(error, Error::Api { .. }), "{error:?}");
    assert_eq!(error.fields_reason(), Some(FieldsReason::AlreadyConfirmed));
    assert_eq!(error.outcome(), Some(WriteOutcome::Conflict));
    assert_eq!(error.settle_with(), Some("get_payment"));
}

#[tokio::test]
async fn deleting_a_paid_invoice_is_a_conflict_never_a_cancellation() {
    let at = format!("/payment/invoice/{UUID}");
    let details = "Транзакция по инвойсу завершена. Запросите детали платежа";
    let (_s, client) = refusing("DELETE", &at, 400, "ERROR_FIELDS", details).await;
    let error = client.send(|api| api.cancel_invoice().uuid(UUID)).await.expect_err("refused");
    assert_eq!(error.fields_reason(), Some(FieldsReason::InvoiceAlreadyPaid), "{error:?}");
    assert_eq!(error.outcome(), Some(WriteOutcome::Conflict));
    assert_eq!(error.settle_with(), Some("get_invoice"));
}

#[tokio::test]
async fn classified_error_fields_on_a_write_stays_a_plain_error_with_its_reason() {
    let (_s, client) = refusing("POST", "/payment", 200, "ERROR_FIELDS", "Необходимо заполнить «Amount».").await;
    let body: types::CreatePaymentRequest =
        serde_json::from_value(json!({"card": {"token": "tok"}, "amount": 1000, "store_id": 6, "invoice_id": "o-1"}))
            .unwrap();
    let error = client.send(|api| api.create_payment().body(body.clone())).await.expect_err("refused");
    assert!(matches!(error, Error::Api { .. }), "{error:?}");
    assert_eq!(error.fields_reason(), Some(FieldsReason::FieldMissing { field: "Amount".into() }));
    assert_eq!(error.outcome(), Some(WriteOutcome::Rejected));
}

/// The vendor's text with YAML's folding undone: every run of whitespace one
/// space.
fn vendor_text() -> String {
    let dir = workspace_root().join("spec/vendor/endpoints");
    let mut all = String::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        all.push_str(&std::fs::read_to_string(entry.path()).unwrap());
        all.push(' ');
    }
    all.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_typed_reason_comes_from_the_vendors_own_wording_read_tolerantly() {
    let missing = |field: &str| FieldsReason::FieldMissing { field: field.into() };
    let invalid = |field: &str| FieldsReason::FieldInvalid { field: field.into() };
    let cases = [
        ("Платеж подтвержден ранее", FieldsReason::AlreadyConfirmed),
        ("Транзакция по инвойсу завершена. Запросите детали платежа", FieldsReason::InvoiceAlreadyPaid),
        ("Для пополнения на эту сумму необходимо пройти идентификацию", FieldsReason::IdentificationRequired),
        ("Необходимо заполнить «Invoice Id».", missing("Invoice Id")),
        ("Необходимо заполнить «Amount».", missing("Amount")),
        ("Необходимо заполнить «Pinfl».", missing("Pinfl")),
        ("Не переданы обязательные поля: store_id", missing("store_id")),
        ("Поле store_id является обязательным", missing("store_id")),
        ("Не передан SMS-код", missing("SMS-код")),
        ("Значение «Payment System» неверно.", invalid("Payment System")),
        ("Card should be array with (`pan` and `expiry`) or `token` field", invalid("card")),
        ("Неверный store_id", FieldsReason::BadStore),
        ("pinfl должен состоять из 14 цифр.", FieldsReason::PinflFormat),
        ("Неверный код, либо приложение не поддерживается", FieldsReason::ScanCodeRejected),
    ];
    let vendor = vendor_text();
    for (wording, reason) in cases {
        assert!(vendor.contains(wording), "not a vendor wording: {wording}");
        assert_eq!(FieldsReason::from_details(wording), reason, "{wording}");
        // Case, ё, whitespace and text around it change nothing but the
        // field's case.
        let varied =
            format!("Ошибка:\n\t{}  (запрос 42)", wording.to_uppercase().replace('Е', "Ё").replace(' ', "  \n"));
        let got = FieldsReason::from_details(&varied);
        assert_eq!(std::mem::discriminant(&got), std::mem::discriminant(&reason), "{varied:?}: {got:?}");
    }
    assert_eq!(FieldsReason::from_details("Холд не активен"), FieldsReason::Other);
    assert_eq!(FieldsReason::from_details(""), FieldsReason::Other);
    // A field name never carries a control character.
    assert_eq!(FieldsReason::from_details("Необходимо заполнить «Invoice\u{7}\u{1b}Id»."), missing("Invoice Id"));
    assert_eq!(FieldsReason::from_details("Необходимо заполнить «a\u{1b}[2Jb»."), FieldsReason::Other, "no name");
}

#[test]
fn each_vendor_error_code_is_classified_by_a_row_of_its_own_somewhere() {
    let vendor = vendor_text();
    let mut codes: Vec<&str> = vendor
        .split(|c: char| !(c.is_ascii_uppercase() || c == '_'))
        .filter(|w| w.starts_with("ERROR_") && w.len() > 6)
        .collect();
    codes.sort_unstable();
    codes.dedup();
    assert!(codes.len() >= 10, "{codes:?}");
    let generic = [
        classify("get_payment", &ErrorCode::from("X"), "").source,
        classify("confirm_payment", &ErrorCode::from("X"), "").source,
    ];
    let operations: Vec<&str> = multicard_api::operation_table::OPERATIONS.iter().map(|o| o.id).collect();
    for code in codes {
        let code = ErrorCode::from(code);
        assert!(!code.is_unknown(), "{code}: not in the spec's enum");
        let own = operations.iter().any(|op| !generic.contains(&classify(op, &code, "").source))
            || operations.iter().any(|op| {
                ["Платеж подтвержден ранее", "Необходимо заполнить «Amount»."]
                    .iter()
                    .any(|d| !generic.contains(&classify(op, &code, d).source))
            });
        assert!(own, "{code}: only the catch-all rows classify it");
    }
}

/// A production-shaped payment with `status`.
fn payment(status: &str) -> Value {
    json!({"uuid": UUID, "payment_amount": 150_000, "total_amount": 151_500, "commission_amount": 1_500,
        "ps": "uzcard", "payment_time": "2026-11-28 10:12:59", "status": status, "card_token": null,
        "billing_id": null, "store_id": 6})
}

#[tokio::test]
async fn after_already_confirmed_reads_paid_declined_reverted_or_still_moving() {
    for (status, expected) in [
        ("success", "paid"),
        ("error", "declined"),
        ("revert", "reverted"),
        ("billing", "moving"),
        ("progress", "moving"),
        ("frozen", "moving"),
    ] {
        let (server, client) =
            answering("GET", &payment_path(), 200, json!({"success": true, "data": payment(status)})).await;
        let verdict = client.after_already_confirmed(UUID).await.expect("read");
        let got = match &verdict {
            PaymentVerdict::Paid(_) => "paid",
            PaymentVerdict::Declined(_) => "declined",
            PaymentVerdict::Reverted(_) => "reverted",
            PaymentVerdict::Moving(_) => "moving",
            other => panic!("{other:?}"),
        };
        assert_eq!(got, expected, "{status}");
        assert_eq!(verdict.is_paid(), status == "success");
        assert_eq!(verdict.payment().status, PaymentStatus::from(status));
        assert_eq!(fake::count(&server, &payment_path()).await, 1, "one read");
    }
    // A read that fails is returned as it is, never a verdict.
    let (_s, client) = refusing("GET", &payment_path(), 404, "ERROR_NOT_FOUND", "Объект не найден").await;
    let error = client.after_already_confirmed(UUID).await.expect_err("no payment");
    assert_eq!(error.code(), Some(&ErrorCode::ErrorNotFound));
}

#[test]
fn every_page_a_classification_cites_is_a_vendor_page() {
    let pages: Vec<String> = std::fs::read_dir(workspace_root().join("spec/vendor/endpoints"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let details = ["", "Платеж подтвержден ранее", "Необходимо заполнить «Amount».", "Неверный store_id"];
    let mut cited = 0;
    for op in multicard_api::operation_table::OPERATIONS.iter() {
        for code in ErrorCode::KNOWN {
            for d in details {
                let source = classify(op.id, code, d).source;
                let ids = source.split(|c: char| !c.is_ascii_digit()).filter(|w| w.len() == 8);
                for id in ids {
                    cited += 1;
                    assert!(pages.iter().any(|p| p.ends_with(&format!("-{id}e0.md"))), "{source}: no page {id}");
                }
            }
        }
    }
    assert!(cited > 20, "{cited}");
}
