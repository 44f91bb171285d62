//! Confirmation against the API: the helpers, and the `ConfirmedSuccess`
//! extractor that refuses what the signature cannot (digits moved between
//! fields) and holds what it cannot confirm yet.

use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as ChronoDuration;
use multicard_api::callbacks::axum::{CallbackState, ConfirmedSuccess, VerifiedSuccess};
use multicard_api::callbacks::{self, CallbackReply, ConfirmError, Verifier, testing};
use multicard_api::types::PaymentStatus;
use multicard_api_tests::fake::{self, server_with_auth};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use super::{SECRET, UUID, body, payment_json};

#[tokio::test]
async fn confirm_success_checks_the_callback_against_the_payment() {
    let cases = [
        (payment_json(150000, "order-42", "success"), None),
        // An amount that is neither of the payment's: held, not refused.
        (payment_json(100, "order-42", "success"), Some("amount differs")),
        (payment_json(150000, "order-43", "success"), Some("invoice_id")),
        (payment_json(150000, "order-42", "revert"), Some("status")),
        // Not final: neither a success nor a contradiction (`error` has
        // been seen to turn `success`).
        (payment_json(150000, "order-42", "error"), Some("not final")),
        (payment_json(150000, "order-42", "draft"), Some("not final")),
        (payment_json(150000, "order-42", "progress"), Some("not final")),
        (payment_json(150000, "order-42", "a-new-status"), Some("not final")),
        // The payment has no invoice id: nothing to check against, which is
        // not a contradiction (a 403 would refund a genuine payment).
        (
            json!({"success": true, "data": {"uuid": UUID, "store_id": 6, "payment_amount": 150000, "status": "success"}}),
            Some("unverifiable"),
        ),
    ];
    let verifier = Verifier::new(SECRET).unwrap();
    let callback = verifier.verify_success(&testing::success_body(6, "order-42", 150000, UUID, SECRET)).unwrap();
    for (answer, mismatch) in cases {
        let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
        Mock::given(method("GET"))
            .and(path(format!("/payment/{UUID}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .mount(&server)
            .await;
        let client = fake::client(&server);
        match (callbacks::confirm_success(&client, &callback).await, mismatch) {
            (Ok(confirmed), None) => {
                assert_eq!(confirmed.current.payment_amount, 150000);
                assert_eq!(confirmed.signed, ["store_id", "invoice_id", "amount"]);
                assert!(confirmed.confirmed.contains(&"uuid"), "the unsigned uuid is confirmed by the API");
                assert_eq!(
                    confirmed.unsigned,
                    ["card_pan", "card_token", "invoice_uuid", "payment_time", "phone", "ps", "receipt_url"],
                    "informative fields are reported as unsigned"
                );
            }
            (Err(error @ ConfirmError::Mismatch { field, .. }), Some(expected)) => {
                assert_eq!(field, expected);
                assert!(error.is_contradiction());
                assert_eq!(CallbackReply::unconfirmed(&error).status(), 403);
            }
            (Err(error @ ConfirmError::Unverifiable { field: "invoice_id" }), Some("unverifiable")) => {
                assert!(!error.is_contradiction());
                assert_eq!(CallbackReply::unconfirmed(&error).status(), 500);
            }
            (
                Err(error @ ConfirmError::AmountDiffers { callback: 150000, payment_amount: 100, .. }),
                Some("amount differs"),
            ) => {
                assert!(!error.is_contradiction());
                assert_eq!(CallbackReply::unconfirmed(&error).status(), 500);
            }
            (Err(error @ ConfirmError::NotFinal { .. }), Some("not final")) => {
                assert!(!error.is_contradiction());
                assert_eq!(CallbackReply::unconfirmed(&error).status(), 500);
            }
            (other, expected) => panic!("expected {expected:?}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn confirm_status_reports_the_current_status_and_card_binding_is_confirmed_by_session() {
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path(format!("/payment/{UUID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(payment_json(200000, "test", "revert")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/payment/card/bind/688470c8060af"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": {
            "card_token": "6225f3c93f7a880142782fa4", "status": "active", "card_pan": "986027******1519"}})))
        .mount(&server)
        .await;
    let client = fake::client(&server);
    let verifier = Verifier::new(SECRET).unwrap();
    let webhook = verifier.verify_webhook(&testing::webhook_body(UUID, "test", 200000, "success", SECRET)).unwrap();
    let confirmed = callbacks::confirm_status(&client, &webhook).await.unwrap();
    assert_eq!(confirmed.current.status, PaymentStatus::Revert, "the API's status is the truth, not the webhook's");
    assert!(confirmed.unsigned.contains(&"status".to_string()), "the webhook's status is unsigned");

    let card = verifier
        .parse_card_binding(&body(
            &json!({"payer_id": "688470c8060af", "card_token": "6225f3c93f7a880142782fa4", "status": "active"}),
        ))
        .unwrap();
    callbacks::confirm_card_binding(&client, &card).await.expect("the binding agrees");
    let forged = verifier
        .parse_card_binding(&body(
            &json!({"payer_id": "688470c8060af", "card_token": "ffffffffffffffffffffffff", "status": "active"}),
        ))
        .unwrap();
    let error = callbacks::confirm_card_binding(&client, &forged).await.expect_err("forged");
    assert!(matches!(error, ConfirmError::Mismatch { field: "card_token", .. }), "{error:?}");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("ffffffffffffffffffffffff"), "no card token is shown: {shown}");
}

/// What the handlers behind the confirming extractor granted: invoice id
/// and amount, in order.
type Granted = Arc<std::sync::Mutex<Vec<(String, i64)>>>;

/// A loopback server with `/verified` (signature only) and `/confirmed`
/// (`ConfirmedSuccess`) routes on `state`; returns its URL and what each
/// route's handler granted.
async fn granting_server(state: CallbackState) -> (String, Granted, Granted) {
    use axum::Router;
    use axum::routing::post;

    let (verified, confirmed) = (Granted::default(), Granted::default());
    let (by_signature, by_api) = (verified.clone(), confirmed.clone());
    let app = Router::new()
        .route(
            "/verified",
            post(move |VerifiedSuccess(callback): VerifiedSuccess| async move {
                by_signature.lock().unwrap().push((callback.invoice_id.clone(), callback.amount));
                CallbackReply::accept()
            }),
        )
        .route(
            "/confirmed",
            post(move |success: ConfirmedSuccess| async move {
                assert_eq!(success.idempotency_key(), success.confirmed.current.uuid);
                by_api.lock().unwrap().push((success.callback.invoice_id.clone(), success.callback.amount));
                CallbackReply::accept()
            }),
        )
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, verified, confirmed)
}

/// A fake API whose payment `UUID` is `payment`.
async fn api_with_payment(payment: Value) -> wiremock::MockServer {
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path(format!("/payment/{UUID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(payment))
        .mount(&server)
        .await;
    server
}

async fn post_to(url: &str, body: Vec<u8>) -> (u16, Value) {
    let response = reqwest::Client::new().post(url).body(body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_digit_shifting_forgery_passes_the_signature_but_not_the_confirming_extractor() {
    // A genuine callback: store 6, invoice "42", 5000 tiyin. The vendor
    // signs md5("6" + "42" + "5000" + secret) = md5("6425000" + secret).
    let verifier = Verifier::new(SECRET).unwrap();
    let genuine = testing::success_body(6, "42", 5000, UUID, SECRET);
    let shift = |store: i64, invoice: &str, amount: i64| {
        let mut forged: Value = serde_json::from_slice(&genuine).unwrap();
        forged["store_id"] = json!(store);
        forged["invoice_id"] = json!(invoice);
        forged["amount"] = json!(amount);
        body(&forged)
    };
    // The same signature, the same concatenation, other fields.
    let forgeries = [shift(6, "4", 25000), shift(6, "42500", 0), shift(64, "2", 5000)];
    for forged in &forgeries {
        let callback = verifier.verify_success(forged).expect("the signature alone cannot tell");
        assert_ne!((callback.invoice_id.as_str(), callback.amount), ("42", 5000));
    }

    let api = api_with_payment(payment_json(5000, "42", "success")).await;
    let (url, by_signature, by_api) = granting_server(CallbackState::new(verifier, fake::client(&api))).await;

    // Signature only: the forgery reaches the handler, which would grant
    // order 4 at 25000 tiyin.
    assert_eq!(post_to(&format!("{url}/verified"), forgeries[0].clone()).await.0, 200);
    assert_eq!(*by_signature.lock().unwrap(), [("4".to_string(), 25000)]);

    // Verified and confirmed: every forgery is refused with 403, and the
    // answer tells the forger nothing of the real payment.
    for forged in forgeries {
        let (status, answer) = post_to(&format!("{url}/confirmed"), forged).await;
        assert_eq!(status, 403, "{answer}");
        assert_eq!(answer["success"], json!(false));
        let message = answer["message"].as_str().unwrap();
        assert!(!message.contains("5000") && !message.contains("42"), "{message}");
    }
    assert!(by_api.lock().unwrap().is_empty(), "no forgery reached the confirming handler");

    // The genuine callback is confirmed and reaches the handler; so does its
    // repeat (the handler recognises it by the key).
    for _ in 0..2 {
        assert_eq!(post_to(&format!("{url}/confirmed"), genuine.clone()).await, (200, json!({"success": true})));
    }
    assert_eq!(*by_api.lock().unwrap(), [("42".to_string(), 5000), ("42".to_string(), 5000)]);

    // A bad signature never reaches the API, and is answered 500 (a
    // genuine callback after a secret rotation is held, not cancelled).
    let requests_before = fake::count(&api, &format!("/payment/{UUID}")).await;
    let guessed = testing::success_body(6, "42", 5000, UUID, "guess");
    assert_eq!(post_to(&format!("{url}/confirmed"), guessed).await.0, 500);
    assert_eq!(fake::count(&api, &format!("/payment/{UUID}")).await, requests_before);
}

#[tokio::test]
async fn the_confirming_extractor_holds_rather_than_cancels_when_it_cannot_confirm() {
    use multicard_api::{Config, Environment, Multicard};

    let genuine = testing::success_body(6, "42", 5000, UUID, SECRET);
    let verifier = Verifier::new(SECRET).unwrap();

    // The API unreachable: nothing listens where the client points.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let unreachable = Multicard::new(Config::new(fake::APPLICATION_ID, SECRET, Environment::Custom(nowhere))).unwrap();
    // The API answering with an error page, or an error envelope.
    let (failing, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path(format!("/payment/{UUID}")))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .mount(&failing)
        .await;
    let not_found = api_with_payment(
        json!({"success": false, "error": {"code": "ERROR_NOT_FOUND", "details": "Объект не найден"}}),
    )
    .await;
    // The payment known and agreeing, but not final yet.
    let in_progress = api_with_payment(payment_json(5000, "42", "progress")).await;

    let clients = [
        ("unreachable", unreachable),
        ("502", fake::client(&failing)),
        ("not found", fake::client(&not_found)),
        ("in progress", fake::client(&in_progress)),
    ];
    for (case, client) in clients {
        let (url, _, by_api) = granting_server(CallbackState::new(verifier.clone(), client)).await;
        let (status, answer) = post_to(&format!("{url}/confirmed"), genuine.clone()).await;
        assert_eq!(status, 500, "{case}: 500 holds a genuine payment; any other refusal cancels it ({answer})");
        assert_eq!(answer["success"], json!(false), "{case}");
        assert!(by_api.lock().unwrap().is_empty(), "{case}: nothing granted");
    }

    // A payment that ended otherwise is a contradiction: refused.
    let reverted = api_with_payment(payment_json(5000, "42", "revert")).await;
    let (url, _, by_api) = granting_server(CallbackState::new(verifier, fake::client(&reverted))).await;
    assert_eq!(post_to(&format!("{url}/confirmed"), genuine).await.0, 403);
    assert!(by_api.lock().unwrap().is_empty());
}
