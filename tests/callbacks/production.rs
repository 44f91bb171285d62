//! The success callback as production sends it (issue 12), not as the
//! vendor documents it: fields in production's order, `store_id` a JSON
//! integer, an `invoice_uuid` equal to `uuid`, `billing_id: null`, no
//! `status`, a 22-character mixed-case `card_token`. Read through the public
//! verifier and through the `ConfirmedSuccess` extractor against the sandbox,
//! which sends the same shape; and the store id, integer or string, checked
//! against the store the payment names.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequest, Request, State};
use axum::response::{IntoResponse, Response};
use multicard_api::Multicard;
use multicard_api::callbacks::axum::{CallbackState, ConfirmedSuccess};
use multicard_api::callbacks::testing::SuccessCallback;
use multicard_api::callbacks::{CallbackError, CallbackReply, Verifier};
use multicard_api::types::{self, StoreId};
use multicard_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};

use super::SECRET;

/// The fields of a production success callback, in the order they come.
const PRODUCTION_ORDER: [&str; 13] = [
    "store_id",
    "amount",
    "invoice_id",
    "invoice_uuid",
    "billing_id",
    "payment_time",
    "phone",
    "card_pan",
    "card_token",
    "ps",
    "uuid",
    "receipt_url",
    "sign",
];

const PAYMENT: &str = "3f1c9a52-6a09-11f0-9a1b-00505680eaf6";
const TOKEN: &str = "Xk3nP9qR2sT4vW6yZ8aB1c";

/// A production-shaped success callback, byte for byte. Its `sign`:
/// python3 -c "import hashlib; print(hashlib.md5(b'6order-1001150000Pw18axeBFo8V7NamKHXX').hexdigest())"
const FIXTURE: &str = concat!(
    r#"{"store_id":6,"amount":150000,"invoice_id":"order-1001","#,
    r#""invoice_uuid":"3f1c9a52-6a09-11f0-9a1b-00505680eaf6","billing_id":null,"#,
    r#""payment_time":"2025-07-26 15:21:40","phone":"998901234567","card_pan":"860030******5959","#,
    r#""card_token":"Xk3nP9qR2sT4vW6yZ8aB1c","ps":"uzcard","uuid":"3f1c9a52-6a09-11f0-9a1b-00505680eaf6","#,
    r#""receipt_url":"https://checkout.multicard.uz/check/3f1c9a52-6a09-11f0-9a1b-00505680eaf6","#,
    r#""sign":"d27aa8da459e22f0514e942eb026f53c"}"#
);

fn keys(body: &[u8]) -> Vec<String> {
    let value: Value = serde_json::from_slice(body).expect("JSON");
    value.as_object().expect("an object").keys().cloned().collect()
}

/// `body` with `store_id` replaced by `store` and signed with `sign`.
fn with_store(store: Value, sign: &str) -> Vec<u8> {
    let mut value: Value = serde_json::from_str(FIXTURE).unwrap();
    value["store_id"] = store;
    value["sign"] = json!(sign);
    value.to_string().into_bytes()
}

#[test]
fn a_production_success_callback_verifies_and_decodes() {
    assert_eq!(keys(FIXTURE.as_bytes()), PRODUCTION_ORDER);
    assert!(!FIXTURE.contains("\"status\""), "production sends no status");
    assert!(TOKEN.len() == 22 && TOKEN.chars().all(|c| c.is_ascii_alphanumeric()));
    assert!(TOKEN.chars().any(|c| c.is_ascii_uppercase()) && TOKEN.chars().any(|c| c.is_ascii_lowercase()));

    let callback = Verifier::new(SECRET).unwrap().verify_success(FIXTURE.as_bytes()).expect("genuine");
    assert_eq!(callback.store_id, StoreId::Integer(6));
    assert_eq!((callback.amount, callback.invoice_id.as_str()), (150_000, "order-1001"));
    assert_eq!(callback.invoice_uuid.as_deref(), Some(PAYMENT), "exposed as a typed field");
    assert_eq!(callback.invoice_uuid.as_deref(), Some(callback.uuid.as_str()));
    assert_eq!(callback.billing_id, None);
    assert_eq!(callback.card_token.as_deref(), Some(TOKEN), "no shape is checked");
    assert_eq!(callback.idempotency_key(), PAYMENT);

    // The test helper writes the same bytes.
    let written = SuccessCallback::new(6, "order-1001", 150_000, PAYMENT)
        .set("payment_time", "2025-07-26 15:21:40")
        .set("card_token", TOKEN)
        .signed(SECRET);
    assert_eq!(String::from_utf8(written).unwrap(), FIXTURE);
    assert_eq!(SuccessCallback::new(6, "o", 1, PAYMENT).field_names(), PRODUCTION_ORDER);
}

#[test]
fn the_store_id_is_signed_as_sent_integer_or_string() {
    let verifier = Verifier::new(SECRET).unwrap();
    // The same text "6": as a number or as a string, the same signature.
    let six = "d27aa8da459e22f0514e942eb026f53c";
    let callback = verifier.verify_success(&with_store(json!("6"), six)).expect("\"6\" is signed as 6");
    assert_eq!((callback.store_id.clone(), callback.store_id.as_i64()), (StoreId::String("6".into()), Some(6)));
    // "06" is other text: signed over "06", not over the number it spells.
    // python3 -c "import hashlib; print(hashlib.md5(b'06order-1001150000Pw18axeBFo8V7NamKHXX').hexdigest())"
    let zero_six = "984d50f1797f1e3dfa8d1fd79f5861c9";
    assert_eq!(verifier.verify_success(&with_store(json!("06"), six)).unwrap_err(), CallbackError::SignatureMismatch);
    let callback = verifier.verify_success(&with_store(json!("06"), zero_six)).expect("signed over \"06\"");
    assert_eq!(callback.store_id, StoreId::String("06".into()));
    assert_eq!(verifier.verify_success(&with_store(json!(6), zero_six)).unwrap_err(), CallbackError::SignatureMismatch);
    // A store UUID, as the documents allow at invoice creation.
    // python3 -c "import hashlib; print(hashlib.md5(b'0b9c0c4e-8a8f-11ef-9a1b-00505680eaf6order-1001150000Pw18axeBFo8V7NamKHXX').hexdigest())"
    let store_uuid = "0b9c0c4e-8a8f-11ef-9a1b-00505680eaf6";
    let by_uuid = "7771dc9a8abb9963758de7850e3f02c3";
    let callback = verifier.verify_success(&with_store(json!(store_uuid), by_uuid)).expect("signed over the UUID");
    assert_eq!((callback.store_id.to_string(), callback.store_id.as_i64()), (store_uuid.to_string(), None));
    assert_eq!(
        verifier.verify_success(&with_store(json!(store_uuid), six)).unwrap_err(),
        CallbackError::SignatureMismatch
    );
    // The helper signs what it writes, whichever type.
    let body = SuccessCallback::new(store_uuid, "order-1001", 150_000, PAYMENT).signed(SECRET);
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["sign"], json!(by_uuid));
}

/// What the merchant below received: each raw body, and for each callback
/// it accepted, which fields the API confirmed.
#[derive(Clone, Default)]
struct Received {
    bodies: Arc<Mutex<Vec<Vec<u8>>>>,
    confirmed: Arc<Mutex<Vec<Vec<&'static str>>>>,
}

/// A merchant's success route: keeps the raw body, then lets the
/// `ConfirmedSuccess` extractor verify it and confirm it with the API.
async fn merchant(State((state, received)): State<(CallbackState, Received)>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024).await.expect("a small body");
    received.bodies.lock().unwrap().push(bytes.to_vec());
    match ConfirmedSuccess::from_request(Request::from_parts(parts, Body::from(bytes)), &state).await {
        Ok(success) => {
            received.confirmed.lock().unwrap().push(success.confirmed.confirmed.to_vec());
            CallbackReply::accept().into_response()
        }
        Err(rejection) => rejection.into_response(),
    }
}

async fn post(url: &str, body: Vec<u8>) -> u16 {
    reqwest::Client::new().post(url).body(body).send().await.expect("the merchant answers").status().as_u16()
}

#[tokio::test]
async fn production_shaped_callbacks_pass_the_confirming_extractor_against_the_sandbox() {
    // Under every way the sandbox may treat a frozen payment.
    for frozen in multicard_api_tests::money::frozen_configurations() {
        production_shaped_callbacks_against(SandboxConfig::default().with_frozen_payments(frozen)).await;
    }
}

async fn production_shaped_callbacks_against(config: SandboxConfig) {
    let sandbox = Sandbox::start_with(config).await.unwrap();
    let multicard = Multicard::new(sandbox.config()).unwrap();
    let received = Received::default();
    let state = CallbackState::new(Verifier::new(sandbox.secret()).unwrap(), multicard.clone());
    let app = axum::Router::new()
        .route("/multicard/success", axum::routing::post(merchant))
        .with_state((state, received.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/multicard/success", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    // The sandbox pays an invoice and sends its success callback.
    let request: types::CreateInvoiceRequest = serde_json::from_value(json!({"store_id": 6, "amount": 150_000,
        "invoice_id": "order-1001", "callback_url": url, "ofd": [{"qty": 1, "price": 150_000,
        "mxik": "06401004002000000", "total": 150_000, "package_code": "1506113", "name": "item"}]}))
    .unwrap();
    let invoice = multicard.send(|api| api.create_invoice().body(request.clone())).await.unwrap();
    let payment = sandbox.pay_invoice(invoice.uuid.as_deref().unwrap()).unwrap();
    let uuid = payment["uuid"].as_str().unwrap().to_string();
    assert_eq!(payment["status"], "billing", "its success callback is due");
    // The sandbox's clock moves on: the callback is sent and answered.
    sandbox.advance(Duration::ZERO).await;
    let sent = received.bodies.lock().unwrap().first().cloned().expect("the sandbox sent the callback");
    assert_eq!(keys(&sent), PRODUCTION_ORDER, "production's fields, in production's order");
    let sent: Value = serde_json::from_slice(&sent).unwrap();
    assert!(sent["store_id"].is_i64(), "an integer store id: {sent}");
    assert_eq!((&sent["invoice_uuid"], &sent["uuid"], &sent["billing_id"]), (&json!(uuid), &json!(uuid), &Value::Null));
    let delivered = sandbox.deliveries();
    assert!(delivered.iter().any(|d| d.kind == "success" && d.status == Some(200)), "accepted: {delivered:?}");
    assert_eq!(received.confirmed.lock().unwrap().len(), 1, "confirmed once");

    // Our own production-shaped callbacks for the same payment, with the
    // store id as production sends it, as a digit string and as the store's
    // UUID: each is signed over what it sends and confirmed, store included.
    let read = multicard.send(|api| api.get_payment().uuid(uuid.as_str())).await.unwrap();
    let store_uuid = read.store.as_ref().and_then(|s| s.uuid.clone()).expect("the payment names its store");
    let callback = |store: StoreId| {
        SuccessCallback::new(store, "order-1001", 150_000, &uuid).set("card_token", TOKEN).signed(sandbox.secret())
    };
    for store in [StoreId::Integer(6), StoreId::from("6"), StoreId::from(store_uuid.as_str())] {
        assert_eq!(post(&url, callback(store.clone())).await, 200, "store id {store}");
        let confirmed = received.confirmed.lock().unwrap().last().cloned().unwrap();
        assert!(confirmed.contains(&"store_id"), "{store}: {confirmed:?}");
    }
    // Another store, by number or by UUID: genuine signatures, refused by the API.
    for store in [StoreId::Integer(7), StoreId::from("7"), StoreId::from("0b9c0c4e-8a8f-11ef-9a1b-00505680eaf6")] {
        assert_eq!(post(&url, callback(store.clone())).await, 403, "store id {store}");
    }
    assert_eq!(received.confirmed.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn a_store_id_is_confirmed_only_when_the_payment_names_a_store() {
    use chrono::Duration as ChronoDuration;
    use multicard_api::callbacks;
    use multicard_api_tests::fake;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};

    let verifier = Verifier::new(SECRET).unwrap();
    let by_number = verifier.verify_success(FIXTURE.as_bytes()).unwrap();
    let by_uuid = verifier
        .verify_success(&with_store(json!("0b9c0c4e-8a8f-11ef-9a1b-00505680eaf6"), "7771dc9a8abb9963758de7850e3f02c3"))
        .unwrap();
    let payment = |store: Value| {
        let mut data = json!({"uuid": PAYMENT, "payment_amount": 150_000, "store_invoice_id": "order-1001",
            "status": "success"});
        if let Value::Object(store) = store {
            data.as_object_mut().unwrap().extend(store);
        }
        json!({"success": true, "data": data})
    };
    let cases = [
        // (what the payment names, confirmed by number, confirmed by UUID)
        (json!({}), Some(false), Some(false)),
        (json!({"store_id": 6}), Some(true), Some(false)),
        (json!({"store": {"id": 6, "uuid": "0B9C0C4E-8A8F-11EF-9A1B-00505680EAF6"}}), Some(true), Some(true)),
        (json!({"store_id": 7, "store": {"uuid": "0b9c0c4e-8a8f-11ef-9a1b-00505680eaf6"}}), None, Some(true)),
        (json!({"store": {"id": 6, "uuid": "11111111-8a8f-11ef-9a1b-00505680eaf6"}}), Some(true), None),
    ];
    for (store, number, uuid) in cases {
        let (server, _) = fake::server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
        Mock::given(method("GET"))
            .and(path(format!("/payment/{PAYMENT}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(payment(store.clone())))
            .mount(&server)
            .await;
        let client = fake::client(&server);
        for (callback, expected) in [(&by_number, number), (&by_uuid, uuid)] {
            let outcome = callbacks::confirm_success(&client, callback).await;
            match (outcome, expected) {
                (Ok(confirmed), Some(listed)) => {
                    assert_eq!(confirmed.confirmed.contains(&"store_id"), listed, "{store} / {}", callback.store_id)
                }
                (Err(error), None) => assert!(error.is_contradiction() && error.to_string().contains("store_id")),
                (outcome, expected) => panic!("{store} / {}: {outcome:?}, expected {expected:?}", callback.store_id),
            }
        }
    }
}
