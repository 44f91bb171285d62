//! What one client can hold of the sandbox is bounded: connections that
//! never finish a request's header are closed after the header timeout, at
//! most `max_connections` are open at once (one more closes the one idle
//! the longest), a body that never arrives is answered 408, and the tokens
//! kept are pruned and capped. Every server here is a
//! sandbox on loopback that the test starts and drops.

use std::time::Duration;

use multicard_api::Multicard;
use multicard_sandbox::{APPLICATION_ID, Fault, SECRET, Sandbox, SandboxConfig};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long any one wait of these tests may take before it fails.
const BOUND: Duration = Duration::from_secs(10);

async fn sandbox(config: SandboxConfig) -> Sandbox {
    Sandbox::start_with(config).await.expect("sandbox starts")
}

/// Reads until the server closes the connection (end of stream or reset).
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return received,
            Ok(n) => received.extend_from_slice(&buffer[..n]),
        }
    }
}

/// `true` once the server has closed `stream`: its end of stream (or a
/// reset) has arrived. Never waits.
fn is_closed(stream: &TcpStream) -> bool {
    let mut buffer = [0u8; 1024];
    match stream.try_read(&mut buffer) {
        Ok(0) => true,
        Ok(_) => false,
        Err(error) => error.kind() != std::io::ErrorKind::WouldBlock,
    }
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + BOUND;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "waited {BOUND:?} for: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn connections_that_never_finish_a_header_are_closed_and_others_are_still_answered() {
    let config = SandboxConfig::default().with_header_read_timeout(Duration::from_millis(300));
    let sandbox = sandbox(config).await;
    let multicard = Multicard::new(sandbox.config()).unwrap();
    let mut idle = Vec::new();
    for n in 0..40 {
        let mut stream = TcpStream::connect(sandbox.address()).await.expect("connect");
        if n % 2 == 1 {
            // Half a request: the blank line that ends the header never comes.
            stream.write_all(b"GET /payment/application HTTP/1.1\r\nHost: sandbox\r\n").await.expect("write");
        }
        idle.push(stream);
    }
    multicard.send(|api| api.get_application()).await.expect("answered while 40 connections hang");
    for (n, mut stream) in idle.into_iter().enumerate() {
        let received = tokio::time::timeout(BOUND, read_until_closed(&mut stream))
            .await
            .unwrap_or_else(|_| panic!("connection {n} still open after {BOUND:?}"));
        let text = String::from_utf8_lossy(&received);
        assert!(!text.contains(" 200 "), "a half request was answered as a whole one: {text}");
    }
    // The client's own keep-alive connection is closed once idle, too.
    wait_until("every connection closed", || sandbox.connections() == 0).await;
}

#[tokio::test]
async fn past_the_cap_a_new_connection_closes_the_one_idle_the_longest() {
    // A header timeout far beyond the test's bound: only the cap can close these.
    let config = SandboxConfig::default().with_max_connections(8).with_header_read_timeout(Duration::from_secs(600));
    let sandbox = sandbox(config).await;
    let mut idle = Vec::new();
    for n in 0..24 {
        let mut stream = TcpStream::connect(sandbox.address()).await.expect("connect");
        if n % 2 == 1 {
            stream.write_all(b"GET /payment/application HTTP/1.1\r\n").await.expect("write");
        }
        idle.push(stream);
    }
    let closed = |idle: &[TcpStream]| idle.iter().filter(|stream| is_closed(stream)).count();
    wait_until("16 of 24 idle connections closed to keep 8", || closed(&idle) >= 16).await;
    let multicard = Multicard::new(sandbox.config().with_timeout(BOUND)).unwrap();
    let call = multicard.send(|api| api.get_application());
    tokio::pin!(call);
    // Sampled while the call runs: never more than the cap.
    let mut most = 0;
    let answered = loop {
        most = most.max(sandbox.connections());
        tokio::select! {
            result = &mut call => break result,
            _ = tokio::time::sleep(Duration::from_millis(5)) => {}
        }
    };
    answered.expect("answered at once: an idle connection made room");
    most = most.max(sandbox.connections());
    assert!(most <= 8, "{most} connections open at once, above the cap of 8");
    assert!(closed(&idle) >= 17, "the call's connection closed one more idle connection");
}

#[tokio::test]
async fn a_request_in_progress_is_never_closed_to_make_room() {
    let config = SandboxConfig::default().with_max_connections(2).with_header_read_timeout(Duration::from_secs(600));
    let sandbox = sandbox(config).await;
    let multicard = Multicard::new(sandbox.config().with_timeout(BOUND)).unwrap();
    multicard.send(|api| api.get_application()).await.expect("first call");
    sandbox.inject("get_application", Fault::DelayAnswer(Duration::from_millis(300)), 1);
    let slow = multicard.send(|api| api.get_application());
    tokio::pin!(slow);
    let answered = loop {
        tokio::select! {
            result = &mut slow => break result,
            _ = tokio::time::sleep(Duration::from_millis(5)) => {}
        }
        if sandbox.requests("get_application") == 2 {
            // The slow request is in progress: flood the cap meanwhile.
            let mut flood = Vec::new();
            for _ in 0..10 {
                flood.push(TcpStream::connect(sandbox.address()).await.expect("connect"));
            }
            break slow.as_mut().await;
        }
    };
    answered.expect("answered");
    assert_eq!(sandbox.requests("get_application"), 2, "answered on its connection, not retried on another");
}

#[tokio::test]
async fn a_body_that_never_arrives_is_answered_408_and_the_connection_closed() {
    let config = SandboxConfig::default().with_body_read_timeout(Duration::from_millis(300));
    let sandbox = sandbox(config).await;
    let mut stream = TcpStream::connect(sandbox.address()).await.expect("connect");
    stream
        .write_all(
            b"POST /auth HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        )
        .await
        .expect("write");
    let received = tokio::time::timeout(BOUND, read_until_closed(&mut stream)).await.expect("closed in time");
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    wait_until("the connection closed", || sandbox.connections() == 0).await;
}

async fn token(http: &reqwest::Client, sandbox: &Sandbox) -> String {
    let body = json!({"application_id": APPLICATION_ID, "secret": SECRET});
    let answer: Value =
        http.post(format!("{}/auth", sandbox.url())).json(&body).send().await.unwrap().json().await.unwrap();
    answer["token"].as_str().expect("a token").to_string()
}

async fn status_with(http: &reqwest::Client, sandbox: &Sandbox, token: &str) -> u16 {
    let url = format!("{}/payment/application", sandbox.url());
    http.get(url).bearer_auth(token).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn expired_tokens_are_dropped_and_the_tokens_kept_are_capped() {
    let http = reqwest::Client::new();
    let config = SandboxConfig::default().with_token_lifetime(Duration::from_millis(300));
    let sandbox = sandbox(config).await;
    for _ in 0..30 {
        token(&http, &sandbox).await;
    }
    assert_eq!(sandbox.issued_tokens(), 30);
    sandbox.advance(Duration::from_millis(300)).await;
    let fresh = token(&http, &sandbox).await;
    assert_eq!(sandbox.issued_tokens(), 1, "the 30 expired tokens are gone");
    assert_eq!(status_with(&http, &sandbox, &fresh).await, 200);

    let sandbox = self::sandbox(SandboxConfig::default().with_max_tokens(5)).await;
    let mut tokens = Vec::new();
    for _ in 0..12 {
        tokens.push(token(&http, &sandbox).await);
    }
    assert_eq!(sandbox.issued_tokens(), 5);
    assert_eq!(status_with(&http, &sandbox, &tokens[0]).await, 401, "the oldest token was dropped");
    assert_eq!(status_with(&http, &sandbox, &tokens[11]).await, 200, "the newest is kept");
}
