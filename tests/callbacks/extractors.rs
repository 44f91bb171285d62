//! The axum extractors end to end on loopback, and how they read a body:
//! with the limit, as it streams in, telling a cut body from a large one.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use multicard_api::callbacks::axum::{UnverifiedCardBinding, VerifiedSuccess, VerifiedWebhook};
use multicard_api::callbacks::{CallbackReply, Verifier, testing};
use serde_json::{Value, json};

use super::{SECRET, UUID, body};

#[tokio::test]
async fn the_axum_extractors_verify_before_the_handler_runs() {
    use axum::Router;
    use axum::routing::post;

    let handled = Arc::new(AtomicUsize::new(0));
    let (h1, h2, h3) = (handled.clone(), handled.clone(), handled.clone());
    let app = Router::new()
        .route(
            "/success",
            post(move |VerifiedSuccess(cb): VerifiedSuccess| async move {
                h1.fetch_add(1, Ordering::SeqCst);
                assert_eq!(cb.amount, 150000);
                CallbackReply::accept()
            }),
        )
        .route(
            "/webhook",
            post(move |VerifiedWebhook(_): VerifiedWebhook| async move {
                h2.fetch_add(1, Ordering::SeqCst);
                CallbackReply::accept()
            }),
        )
        .route(
            "/card",
            post(move |UnverifiedCardBinding(_): UnverifiedCardBinding| async move {
                h3.fetch_add(1, Ordering::SeqCst);
                CallbackReply::refuse_and_refund("no")
            }),
        )
        .with_state(Verifier::new(SECRET).unwrap().with_max_body(2048));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();
    let post = |path: &str, body: Vec<u8>| http.post(format!("{url}{path}")).body(body).send();

    let genuine = testing::success_body(6, "order-42", 150000, UUID, SECRET);
    let response = post("/success", genuine).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.json::<Value>().await.unwrap(), json!({"success": true}));
    assert_eq!(handled.load(Ordering::SeqCst), 1);

    // Whatever fails verification is answered exactly 500, which holds a
    // genuine payment; 400, 403 or 413 would cancel it.
    let forged = testing::success_body(6, "order-42", 150000, UUID, "guess");
    let response = post("/success", forged).await.unwrap();
    assert_eq!(response.status().as_u16(), 500, "a bad signature");
    assert_eq!(response.json::<Value>().await.unwrap()["success"], json!(false));
    let response = post("/success", b"{".to_vec()).await.unwrap();
    assert_eq!(response.status().as_u16(), 500, "malformed");
    let response = post("/success", vec![b' '; 4096]).await.unwrap();
    assert_eq!(response.status().as_u16(), 500, "oversized");
    let response = post("/webhook", testing::webhook_body(UUID, "order-42", 150000, "success", "guess")).await.unwrap();
    assert_eq!(response.status().as_u16(), 500, "a webhook with a bad signature");
    let response = post("/card", b"[]".to_vec()).await.unwrap();
    assert_eq!(response.status().as_u16(), 500, "a card binding that is not an object");
    assert_eq!(handled.load(Ordering::SeqCst), 1, "no refused body reached the handler");

    let response = post("/webhook", testing::webhook_body(UUID, "order-42", 150000, "success", SECRET)).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let response = post("/card", body(&json!({"payer_id": "s", "card_token": "t", "status": "active"}))).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.json::<Value>().await.unwrap(), json!({"success": false, "message": "no"}));
    assert_eq!(handled.load(Ordering::SeqCst), 3);
}

/// A loopback server with one `VerifiedSuccess` route under a `limit`-byte
/// verifier; returns its address and how often the handler ran.
async fn limited_server(limit: usize) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    use axum::Router;
    use axum::routing::post;

    let handled = Arc::new(AtomicUsize::new(0));
    let counter = handled.clone();
    let app = Router::new()
        .route(
            "/success",
            post(move |VerifiedSuccess(_): VerifiedSuccess| async move {
                counter.fetch_add(1, Ordering::SeqCst);
                CallbackReply::accept()
            }),
        )
        .with_state(Verifier::new(SECRET).unwrap().with_max_body(limit));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (address, handled)
}

/// Sends `head` and `body` on a raw connection (closing the sending half
/// afterwards when `close` is set, keeping it open otherwise) and returns
/// the HTTP status the server answers, with the body of its answer. The
/// 10 s bound only keeps a hung server from hanging the test: a server that
/// waits for the rest of a body it should have refused never answers.
async fn raw_exchange(address: std::net::SocketAddr, head: &str, body: &[u8], close: bool) -> (Option<u16>, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    stream.flush().await.unwrap();
    if close {
        stream.shutdown().await.unwrap();
    }
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let complete = |answer: &[u8]| {
        let text = String::from_utf8_lossy(answer);
        let Some((head, body)) = text.split_once("\r\n\r\n") else { return false };
        let length = head
            .lines()
            .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string()))
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
        body.len() >= length
    };
    let read = async {
        while !complete(&answer) {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(10), read).await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.strip_prefix("HTTP/1.1 ").and_then(|t| t.get(..3)).and_then(|t| t.parse().ok());
    let body = text.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default();
    (status, body)
}

async fn raw_status(address: std::net::SocketAddr, head: &str, body: &[u8], close: bool) -> Option<u16> {
    raw_exchange(address, head, body, close).await.0
}

#[tokio::test]
async fn a_body_cut_short_by_the_client_is_unreadable_not_oversized_and_answered_500() {
    let (address, handled) = limited_server(1024).await;
    let genuine = testing::success_body(6, "order-42", 150000, UUID, SECRET);
    let head = format!(
        "POST /success HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        genuine.len()
    );
    // The client promises the whole callback, sends a third of it and
    // closes its side: the body is cut, not too large.
    let (status, answer) = raw_exchange(address, &head, &genuine[..genuine.len() / 3], true).await;
    assert_eq!(status, Some(500), "a cut body is answered 500: {answer}");
    let answer: Value = serde_json::from_str(&answer).unwrap();
    let message = answer["message"].as_str().unwrap();
    assert!(message.contains("could not be read to its end"), "unreadable, not malformed: {message}");
    // The whole body on the same kind of connection is accepted.
    assert_eq!(raw_status(address, &head, &genuine, true).await, Some(200));
    assert_eq!(handled.load(Ordering::SeqCst), 1, "only the whole body reached the handler");
}

#[tokio::test]
async fn an_oversized_body_is_refused_at_the_limit_without_waiting_for_the_rest() {
    let limit = 1024;
    let (address, handled) = limited_server(limit).await;

    // Chunked, no length: one chunk just over the limit, and the rest
    // never comes. Reading with the limit answers at once; reading
    // everything first (up to axum's 2 MB) waits for ever.
    let head = "POST /success HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
    let chunk = format!("{:x}\r\n{}\r\n", limit + 1, " ".repeat(limit + 1));
    assert_eq!(raw_status(address, head, chunk.as_bytes(), false).await, Some(500), "chunked, over the limit");

    // A declared length over the limit (but under axum's 2 MB) is refused
    // before the body is read.
    let head = "POST /success HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n";
    assert_eq!(raw_status(address, head, b"{", false).await, Some(500), "declared over the limit");

    // Exactly at the limit is read: a genuine callback padded to the limit
    // is accepted, one byte more is not.
    let mut padded = testing::success_body(6, "order-42", 150000, UUID, SECRET);
    padded.resize(limit, b' ');
    let head = |len: usize| {
        format!(
            "POST /success HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {len}\r\n\r\n"
        )
    };
    assert_eq!(raw_status(address, &head(limit), &padded, true).await, Some(200), "exactly the limit");
    padded.push(b' ');
    let (status, answer) = raw_exchange(address, &head(limit + 1), &padded, true).await;
    assert_eq!(status, Some(500), "one byte over");
    assert!(answer.contains("over the 1024-byte limit"), "{answer}");
    assert_eq!(handled.load(Ordering::SeqCst), 1);
}
