//! The envelope and the typed errors: success is decided by the body's
//! `success` flag, not the HTTP status, and every other answer becomes a
//! typed error that keeps what it needs and nothing secret.

use std::time::Duration;

use chrono::Duration as ChronoDuration;
use multicard_api::error::TransportKind;
use multicard_api::types::{self, ErrorCode, PaymentStatus};
use multicard_api::{Config, Environment, Error, Multicard};
use multicard_api_tests::fake::{self, application_body, count, server_with_auth};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const UUID: &str = "a81b7b62-6d86-11f0-9a1b-00505680eaf6";

async fn answering(route: (&str, &str), answer: ResponseTemplate) -> (MockServer, Multicard) {
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(method(route.0)).and(path(route.1)).respond_with(answer).mount(&server).await;
    let client = fake::client(&server);
    (server, client)
}

fn payment(status: &str) -> serde_json::Value {
    json!({"id": 11351395, "uuid": UUID, "store_id": 6, "payment_amount": 10000, "commission_amount": 0,
        "commission_type": "up", "total_amount": 10000, "store_invoice_id": "order-1", "status": status, "ps": "humo",
        "added_on": "2025-07-31 01:49:16"})
}

#[tokio::test]
async fn a_success_envelope_is_unwrapped_to_its_data() {
    let (_server, client) = answering(
        ("GET", "/payment/a81b7b62-6d86-11f0-9a1b-00505680eaf6"),
        ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": payment("success")})),
    )
    .await;
    let payment: types::PaymentModel = client.send(|api| api.get_payment().uuid(UUID)).await.expect("success");
    assert_eq!(payment.payment_amount, 10000);
    assert_eq!(payment.status, PaymentStatus::Success);
    assert_eq!(payment.added_on.unwrap().to_string(), "2025-07-31 01:49:16");
}

#[tokio::test]
async fn an_error_envelope_under_http_200_is_an_error() {
    let (_server, client) = answering(
        ("GET", "/payment/invoice/a81b7b62-6d86-11f0-9a1b-00505680eaf6"),
        ResponseTemplate::new(200).set_body_json(
            json!({"success": false, "error": {"code": "ERROR_NOT_FOUND", "details": "Объект не найден"}}),
        ),
    )
    .await;
    let error = client.send(|api| api.get_invoice().uuid(UUID)).await.expect_err("an error under 200");
    match error {
        Error::Api { operation, status, code, details } => {
            assert_eq!((operation, status), ("get_invoice", 200));
            assert_eq!(code, ErrorCode::ErrorNotFound);
            assert_eq!(details, "Объект не найден");
        }
        other => panic!("not an API error: {other:?}"),
    }
}

#[tokio::test]
async fn a_documented_error_status_is_an_api_error_with_its_code() {
    let (_server, client) = answering(
        ("DELETE", "/payment/hold/a81b7b62-6d86-11f0-9a1b-00505680eaf6"),
        ResponseTemplate::new(403).set_body_json(
            json!({"success": false, "error": {"code": "ERROR_PAYMENT_APPLIED", "details": "Холд не активен"}}),
        ),
    )
    .await;
    let error = client.send(|api| api.cancel_hold().payment_uuid(UUID)).await.expect_err("403");
    assert_eq!(error.code(), Some(&ErrorCode::ErrorPaymentApplied));
    assert_eq!(error.status(), Some(403));
}

#[tokio::test]
async fn an_error_under_an_undocumented_status_is_still_an_api_error() {
    let (_server, client) = answering(
        ("PUT", "/payment/a81b7b62-6d86-11f0-9a1b-00505680eaf6"),
        ResponseTemplate::new(500)
            .set_body_json(json!({"success": false, "error": {"code": "ERROR_DEBIT_UNKNOWN", "details": "unknown"}})),
    )
    .await;
    let body = serde_json::from_value::<types::ConfirmPaymentRequest>(json!({"otp": "112233"})).unwrap();
    let error = client.send(|api| api.confirm_payment().uuid(UUID).body(body.clone())).await.expect_err("500");
    assert_eq!(error.code(), Some(&ErrorCode::ErrorDebitUnknown));
    assert_eq!(error.status(), Some(500));
}

#[tokio::test]
async fn an_unknown_error_code_is_kept() {
    let (_server, client) = answering(
        ("GET", "/payment/application"),
        ResponseTemplate::new(200)
            .set_body_json(json!({"success": false, "error": {"code": "ERROR_NEW_THING", "details": "?"}})),
    )
    .await;
    let error = client.send(|api| api.get_application()).await.expect_err("error");
    assert_eq!(error.code(), Some(&ErrorCode::Unknown("ERROR_NEW_THING".into())));
    assert!(error.to_string().contains("ERROR_NEW_THING"));
}

#[tokio::test]
async fn success_under_an_unusual_2xx_is_a_success() {
    for status in [201, 202] {
        let (_server, client) =
            answering(("GET", "/payment/application"), ResponseTemplate::new(status).set_body_json(application_body()))
                .await;
        let application = client.send(|api| api.get_application()).await.unwrap_or_else(|e| panic!("{status}: {e}"));
        assert_eq!(application.application_id.as_deref(), Some(fake::APPLICATION_ID));
    }
}

#[tokio::test]
async fn an_html_502_from_a_proxy_is_an_unexpected_response_with_a_snippet() {
    let page = format!("<html><head><title>502 Bad Gateway</title></head><body>{}</body></html>", "x".repeat(5000));
    let (_server, client) =
        answering(("GET", "/payment/application"), ResponseTemplate::new(502).set_body_raw(page, "text/html")).await;
    match client.send(|api| api.get_application()).await.expect_err("502") {
        Error::UnexpectedResponse { operation, status, content_type, snippet, .. } => {
            assert_eq!((operation, status), ("get_application", 502));
            assert_eq!(content_type.as_deref(), Some("text/html"));
            assert!(snippet.contains("502 Bad Gateway"));
            assert!(snippet.chars().count() <= 257, "the snippet is short: {}", snippet.len());
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_plain_text_rbac_403_is_an_unexpected_response() {
    // list_payments documents a JSON 403; the mesh answers plain text.
    let (_server, client) = answering(
        ("GET", "/payment/store/6/history"),
        ResponseTemplate::new(403).set_body_raw("RBAC: access denied", "text/plain"),
    )
    .await;
    let error = client
        .send(|api| {
            api.list_payments()
                .store_id("6")
                .offset(0)
                .limit(10)
                .start_date("2025-07-01 00:00:00")
                .end_date("2025-07-31 23:59:59")
        })
        .await
        .expect_err("403");
    match error {
        Error::UnexpectedResponse { status, content_type, snippet, .. } => {
            assert_eq!(status, 403);
            assert_eq!(content_type.as_deref(), Some("text/plain"));
            assert_eq!(snippet, "RBAC: access denied");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn malformed_json_is_unexpected_and_a_wrong_type_names_its_path() {
    let body = "{\"success\": true, \"data\": ";
    let (_server, client) =
        answering(("GET", "/payment/application"), ResponseTemplate::new(200).set_body_raw(body, "application/json"))
            .await;
    match client.send(|api| api.get_application()).await.expect_err("bad body") {
        Error::UnexpectedResponse { status: 200, snippet, reason, .. } => {
            assert_eq!(snippet, body, "the snippet is the body");
            assert!(!reason.is_empty());
        }
        other => panic!("{body}: {other:?}"),
    }
    let body = "{\"success\": true, \"data\": {\"id\": \"one\"}}";
    let (_server, client) =
        answering(("GET", "/payment/application"), ResponseTemplate::new(200).set_body_raw(body, "application/json"))
            .await;
    match client.send(|api| api.get_application()).await.expect_err("bad body") {
        Error::Undecodable { status: 200, succeeded: true, path, data, .. } => {
            assert_eq!(path, "data.id");
            assert_eq!(data.value(), &serde_json::json!({"id": "one"}), "the raw data is kept");
        }
        other => panic!("{body}: {other:?}"),
    }
}

#[tokio::test]
async fn a_connection_refused_is_a_transport_error_that_never_left() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client =
        Multicard::new(Config::new("app", "secret", Environment::Custom(format!("http://127.0.0.1:{port}")))).unwrap();
    let error = client.send(|api| api.get_application()).await.expect_err("nothing listens");
    assert!(
        matches!(error, Error::Transport { operation: "get_token", kind: TransportKind::Connect, .. }),
        "{error:?}"
    );
    assert!(error.is_connect());
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout() {
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path("/payment/application"))
        .respond_with(ResponseTemplate::new(200).set_body_json(application_body()).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let client = Multicard::new(fake::config(&server).with_attempt_timeout(Duration::from_millis(300))).unwrap();
    let error = client.send(|api| api.get_application()).await.expect_err("timeout");
    assert!(
        matches!(error, Error::Transport { operation: "get_application", kind: TransportKind::Timeout, .. }),
        "{error:?}"
    );
    assert_eq!(count(&server, "/payment/application").await, 3, "a read that timed out is retried, up to 3 attempts");
}

#[test]
fn a_bad_configuration_names_what_is_wrong() {
    let cases = [
        (Config::new("", "secret", Environment::Sandbox), "application_id"),
        (Config::new("app", "", Environment::Sandbox), "secret"),
        (Config::new("app", "secret", Environment::Custom("ftp://x".into())), "http or https"),
        (Config::new("app", "secret", Environment::Custom("not a url".into())), "not a URL"),
        (Config::new("app", "secret", Environment::Sandbox).with_timeout(Duration::ZERO), "timeouts"),
    ];
    for (config, expected) in cases {
        match Multicard::new(config) {
            Err(Error::InvalidConfiguration { message }) => assert!(message.contains(expected), "{message}"),
            other => panic!("{expected}: {other:?}"),
        }
    }
}

#[test]
fn configuration_from_the_environment_names_the_missing_variable() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    };
    let missing = Config::from_lookup(vars(&[("MULTICARD_SECRET", "s"), ("MULTICARD_ENV", "sandbox")])).unwrap_err();
    assert!(missing.to_string().contains("MULTICARD_APPLICATION_ID"), "{missing}");
    let missing =
        Config::from_lookup(vars(&[("MULTICARD_APPLICATION_ID", "a"), ("MULTICARD_ENV", "sandbox")])).unwrap_err();
    assert!(missing.to_string().contains("MULTICARD_SECRET"), "{missing}");
    let missing =
        Config::from_lookup(vars(&[("MULTICARD_APPLICATION_ID", "a"), ("MULTICARD_SECRET", "s")])).unwrap_err();
    assert!(missing.to_string().contains("MULTICARD_BASE_URL") && missing.to_string().contains("MULTICARD_ENV"));
    let wrong = Config::from_lookup(vars(&[
        ("MULTICARD_APPLICATION_ID", "a"),
        ("MULTICARD_SECRET", "s"),
        ("MULTICARD_ENV", "staging"),
    ]))
    .unwrap_err();
    assert!(wrong.to_string().contains("staging"), "{wrong}");

    let sandbox = Config::from_lookup(vars(&[
        ("MULTICARD_APPLICATION_ID", "a"),
        ("MULTICARD_SECRET", "s"),
        ("MULTICARD_ENV", "sandbox"),
    ]))
    .unwrap();
    assert_eq!(sandbox.base_url(), "https://dev-mesh.multicard.uz");
    let production = Config::from_lookup(vars(&[
        ("MULTICARD_APPLICATION_ID", "a"),
        ("MULTICARD_SECRET", "s"),
        ("MULTICARD_ENV", "production"),
    ]))
    .unwrap();
    assert_eq!(production.base_url(), "https://mesh.multicard.uz");
    let custom = Config::from_lookup(vars(&[
        ("MULTICARD_APPLICATION_ID", "a"),
        ("MULTICARD_SECRET", "s"),
        ("MULTICARD_BASE_URL", "http://127.0.0.1:9999/"),
        ("MULTICARD_ENV", "production"),
    ]))
    .unwrap();
    assert_eq!(custom.base_url(), "http://127.0.0.1:9999", "the URL wins over the environment name");
}

#[tokio::test]
async fn every_operation_is_reachable_through_the_client_with_its_typed_data() {
    // One call per group through `send`, each unwrapped to its data type.
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path("/payment/card/check/8600533364098829"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": {
            "ps": "uzcard", "holder_name": null, "masked_pan": "860053******8829",
            "bank": {"bin": "860053", "name": "Bank", "color": null, "logo": null, "ps_bank_id": null, "country": null}}})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/payment/card/check-pinfl"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": null})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/payment/invoice/a81b7b62-6d86-11f0-9a1b-00505680eaf6"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": []})))
        .mount(&server)
        .await;
    let client = fake::client(&server);
    let card: types::CardCheck = client.send(|api| api.check_card_pan().pan("8600533364098829")).await.unwrap();
    assert_eq!(card.masked_pan.as_deref(), Some("860053******8829"));
    let request = serde_json::from_value::<types::CheckPinflRequest>(
        json!({"pan": "8600533364098829", "pinfl": "31105892514010"}),
    )
    .unwrap();
    let unknown: types::PinflCheck = client.send(|api| api.check_card_pinfl().body(request.clone())).await.unwrap();
    assert_eq!(*unknown, None, "`null` means unknown");
    let cancelled: types::CancelledInvoice = client.send(|api| api.cancel_invoice().uuid(UUID)).await.unwrap();
    assert_eq!(*cancelled, Some(vec![]));
}
