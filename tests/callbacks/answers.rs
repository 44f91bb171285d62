//! What every refusal is answered (issue 21, item 1): exactly 200 or 500,
//! and 403 only for a callback the API contradicts; and what a refusal
//! writes to the log (never text from the body).

use std::sync::OnceLock;
use std::time::Duration;

use axum::response::IntoResponse;
use chrono::Duration as ChronoDuration;
use multicard_api::callbacks::axum::{CallbackState, ConfirmedSuccess, VerifiedSuccess};
use multicard_api::callbacks::testing::SuccessCallback;
use multicard_api::callbacks::{CallbackError, CallbackReply, Verifier, success_signature, testing};
use multicard_api_tests::{fake, logs};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, ResponseTemplate};

use super::{SECRET, UUID, payment_json, success};

/// A line a forger would like to see in the merchant's log.
const FORGED: &str = "1\r\n1999-01-01T00:00:00.000000Z  INFO multicard::callbacks: forged payment accepted";

/// Every `tracing` line this test binary writes, at TRACE, from the first
/// call on. (A subscriber of this thread alone misses lines now and then:
/// tests running beside it hit the same log sites with none, and the
/// interest `tracing` caches for a site is shared.)
fn all_logs() -> logs::Captured {
    static LOG: OnceLock<logs::Captured> = OnceLock::new();
    let log = LOG.get_or_init(|| {
        let log = logs::Captured::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber of this binary");
        log
    });
    tracing::callsite::rebuild_interest_cache();
    log.clone()
}

/// Serves `/verified` (`VerifiedSuccess`) and `/confirmed`
/// (`ConfirmedSuccess`) on loopback; both accept whatever reaches them.
async fn serve(state: CallbackState) -> String {
    use axum::Router;
    use axum::routing::post;

    let app = Router::new()
        .route("/verified", post(|VerifiedSuccess(_): VerifiedSuccess| async { CallbackReply::accept() }))
        .route("/confirmed", post(|_: ConfirmedSuccess| async { CallbackReply::accept() }))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

async fn status_of(url: &str, body: Vec<u8>) -> u16 {
    reqwest::Client::new().post(url).body(body).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_log_line_forged_in_a_field_reaches_neither_the_error_nor_the_log() {
    let captured = all_logs();
    let verifier = Verifier::new(SECRET).unwrap();
    let sign = success_signature("6", "order-42", 150000, SECRET);

    // Without the secret: the forged amount, with a signature over another.
    let unsigned = success(json!(6), "order-42", json!(FORGED), &sign);
    // Signed as sent (a sender with the secret, misbehaving): refused after
    // the signature, as an amount that is not whole tiyin.
    let mut payload = json!({"store_id": 6, "invoice_id": "order-42", "amount": FORGED, "uuid": UUID});
    testing::sign_success(&mut payload, SECRET);
    let signed = payload.to_string().into_bytes();
    // In the unsigned fields: the uuids, an informative field.
    let uuids = SuccessCallback::new(6, "order-42", 150000, UUID).set("invoice_uuid", FORGED).signed(SECRET);
    let informative = SuccessCallback::new(6, "order-42", 150000, UUID).set("payment_time", FORGED).signed(SECRET);
    // As a key, a type, raw control characters.
    let key = format!(r#"{{"{}": 1}}"#, FORGED.replace("\r\n", "\\r\\n")).into_bytes();
    let raw_control = format!(r#"{{"amount": "{FORGED}"}}"#).into_bytes();
    let store = success(json!({FORGED: 6}), "order-42", json!(150000), &sign);

    let bodies = [&unsigned, &signed, &uuids, &key, &raw_control, &store];
    for body in bodies {
        let error = verifier.verify_success(body).expect_err("refused");
        let shown = format!("{error} {error:?} {}", String::from_utf8_lossy(&CallbackReply::rejected(&error).body()));
        assert!(!shown.contains('\r') && !shown.contains('\n'), "{shown}");
        assert!(!shown.contains("forged"), "no sent text: {shown}");
    }
    let error = verifier.verify_success(&signed).unwrap_err();
    assert!(matches!(error, CallbackError::InvalidAmount { .. }), "{error:?}");
    assert!(error.to_string().contains("(a string) is not written in plain digits"), "{error}");
    verifier.verify_success(&informative).expect("an informative field is left out, not refused");

    // Through the extractors, logging at TRACE: the refusals are logged,
    // the forged line is not (in anything this binary logs). The confirming
    // route also meets a uuid with a line break (unsigned), which the API
    // contradicts.
    let (server, _) = fake::server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path_regex("^/payment/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(payment_json(150000, "order-42", "success")))
        .mount(&server)
        .await;
    let url = serve(CallbackState::new(verifier, fake::client(&server))).await;
    for route in ["verified", "confirmed"] {
        for body in bodies.into_iter().chain([&informative]) {
            let status = status_of(&format!("{url}/{route}"), body.clone()).await;
            let expected = if body == &informative { 200 } else { 500 };
            assert_eq!(status, expected, "{route}");
        }
    }
    let mismatched = SuccessCallback::new(6, "order-42", 150000, FORGED).without("invoice_uuid").signed(SECRET);
    assert_eq!(status_of(&format!("{url}/confirmed"), mismatched).await, 403, "the API names another payment");
    let log = captured.text();
    assert!(log.contains("callback not verified; answered 500"), "refusals are logged: {log}");
    assert!(log.contains("contradicted by the API"), "{log}");
    assert!(!log.contains('\r') && !log.contains("forged"), "{log}");
}

#[tokio::test]
async fn the_confirming_extractor_answers_200_500_or_for_a_contradiction_403() {
    let (server, _) = fake::server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path(format!("/payment/{UUID}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(payment_json(150000, "order-42", "success")))
        .mount(&server)
        .await;
    let state = CallbackState::new(Verifier::new(SECRET).unwrap().with_max_body(1024), fake::client(&server));
    let url = format!("{}/confirmed", serve(state).await);
    let genuine = || SuccessCallback::new(6, "order-42", 150000, UUID);

    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("genuine", genuine().signed(SECRET), 200),
        ("bad signature", genuine().signed("a rotated secret"), 500),
        ("malformed", b"{\"store_id\":".to_vec(), 500),
        ("not an object", b"[1]".to_vec(), 500),
        ("oversized", vec![b' '; 2048], 500),
        ("a signed field missing", genuine().without("amount").signed(SECRET), 500),
        ("a signed field of an odd type", genuine().set("store_id", json!([6])).signed(SECRET), 500),
        ("uuid and invoice_uuid differ", genuine().set("invoice_uuid", "0-0").signed(SECRET), 500),
        ("another invoice: the API contradicts it", genuine().set("invoice_id", "order-43").signed(SECRET), 403),
        ("another store: the API contradicts it", genuine().set("store_id", 7).signed(SECRET), 403),
        ("an unknown payment: unconfirmable", SuccessCallback::new(6, "order-42", 150000, "0-1").signed(SECRET), 500),
        ("another amount: held", genuine().set("amount", 140000).signed(SECRET), 500),
    ];
    for (case, body, expected) in cases {
        assert_eq!(status_of(&url, body).await, expected, "{case}");
    }

    // A reply built by hand with a status that is none is answered 500, not 400.
    let response = CallbackReply::Rejected { status: 42, message: "?".into() }.into_response();
    assert_eq!(response.status().as_u16(), 500);
    let body: Value = serde_json::from_slice(&axum::body::to_bytes(response.into_body(), 1024).await.unwrap()).unwrap();
    assert_eq!(body["success"], json!(false));
}
