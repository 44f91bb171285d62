//! The loopback server the benches call: plain axum with canned answers
//! (one payment; a registry page of 10,000 rows), the same for the SDK and
//! for raw reqwest.
#![allow(dead_code)] // each bench uses part of it

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::routing::{get, post};
use multicard_api::time::MulticardDateTime;
use serde_json::{Value, json};

pub const UUID: &str = "a81b7b62-6d86-11f0-9a1b-00505680eaf6";
pub const TOKEN: &str = "bench-token";

pub fn payment(i: usize) -> Value {
    json!({"id": 11351395 + i, "uuid": UUID, "store_id": 6, "payment_amount": 10000 + i, "commission_type": "up",
        "commission_amount": 0, "total_amount": 10000 + i, "store_invoice_id": format!("order-{i}"), "status": "success",
        "callback_url": "https://shop.example/cb", "billing_id": null, "phone": "998901234567", "ps": "uzcard",
        "receipt_url": format!("https://checkout.multicard.uz/check/{UUID}"), "card_token": "6225f3c93f7a880142782fa4",
        "card_pan": "860053******8829", "payment_time": "2025-07-31 01:51:12", "refund_time": null, "otp_hash": null,
        "added_on": "2025-07-31 01:49:16", "ps_uniq_id": "521120956011", "merchant_id": "01200000119700D", "terminal_id": "186368T6"})
}

/// The small body: one payment.
pub fn small_body() -> Vec<u8> {
    json!({"success": true, "data": payment(0)}).to_string().into_bytes()
}

/// The large body: a registry page of 10,000 rows.
pub fn registry_body() -> Vec<u8> {
    registry_page(10_000, "uzcard")
}

/// A registry page of `rows` rows, each paid through payment system `ps`
/// (one the spec does not name makes every row drift).
pub fn registry_page(rows: usize, ps: &str) -> Vec<u8> {
    let list: Vec<Value> = (0..rows)
        .map(|i| {
            json!({"id": 11351395 + i, "uuid": UUID, "status": "success", "ps": ps, "store_invoice_id": format!("order-{i}"),
                "payment_amount": 10000 + i, "commission_amount": 0, "card_token": "6225f3c93f7a880142782fa4",
                "added_on": "2025-07-31 01:49:16", "billing_id": "b", "payment_time": "2025-07-31 01:51:12",
                "card_pan": "860053******8829", "ps_uniq_id": "521120956011", "refund_time": "2025-08-01 10:00:00"})
        })
        .collect();
    json!({"success": true, "data": {"pagination": {"total": rows, "offset": 0, "limit": rows},
        "stat": [{"status": "success", "ps": "uzcard", "payment_amount": 100_000_000}], "list": list}})
    .to_string()
    .into_bytes()
}

pub struct Server {
    pub address: SocketAddr,
    pub auth_requests: Arc<AtomicU64>,
}

/// A plain loopback server with canned answers, the same for the SDK and
/// for raw reqwest.
pub async fn server(small: Bytes, large: Bytes) -> Server {
    let auth_requests = Arc::new(AtomicU64::new(0));
    let counter = auth_requests.clone();
    let expiry = MulticardDateTime::from_utc(chrono::Utc::now() + chrono::Duration::hours(24)).to_string();
    let auth = Bytes::from(json!({"token": TOKEN, "role": "dev", "expiry": expiry}).to_string());
    let json_answer = |bytes: Bytes| {
        move || {
            let bytes = bytes.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], bytes) }
        }
    };
    let app = Router::new()
        .route(
            "/auth",
            post(move || {
                counter.fetch_add(1, Ordering::Relaxed);
                let auth = auth.clone();
                async move {
                    // A token round trip takes a little while on a real server.
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    ([(header::CONTENT_TYPE, "application/json")], auth)
                }
            }),
        )
        .route("/payment/{uuid}", get(json_answer(small)))
        .route("/payment/store/{store}/history", get(json_answer(large)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server { address, auth_requests }
}
