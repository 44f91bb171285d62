//! The binary's controls (`/sandbox/admin/...`), for tests in any language:
//! its clock, every fault of the catalogue, lagging reads, the callbacks
//! sent; bad requests answered with the field named and nothing echoed; and
//! the controls refused to anyone but the sandbox's own host. Each run binds
//! a free loopback port, with the clock standing still until advanced.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use multicard_api::types::{self, PaymentStatus};
use multicard_api::{Config, Environment, Multicard};
use multicard_sandbox::{APPLICATION_ID, SECRET, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP};
use serde_json::{Value, json};

/// Kills the child when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary with `args` on a free port; returns it and its URL.
fn start(args: &[&str]) -> (Running, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_multicard-sandbox"))
        .args(["--port", "0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let mut running = Running(child);
    let stdout = running.0.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("its first line");
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("its URL").to_string();
    (running, url)
}

/// `body` as the SDK's request type `T`.
fn body<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("a request")
}

/// Calls a control; returns the HTTP status and the body.
async fn control(url: &str, method: &str, path: &str, body: Value) -> (u16, Value) {
    let http = reqwest::Client::new();
    let request = http.request(method.parse().unwrap(), format!("{url}/sandbox/admin/{path}"));
    let request = if body.is_null() { request } else { request.json(&body) };
    let answer = request.send().await.expect("the control answers");
    (answer.status().as_u16(), answer.json().await.unwrap_or(Value::Null))
}

async fn ok(url: &str, method: &str, path: &str, body: Value) -> Value {
    let (status, answer) = control(url, method, path, body).await;
    assert_eq!((status, &answer["success"]), (200, &json!(true)), "{path}: {answer}");
    answer["data"].clone()
}

/// A merchant answering every callback with `status` and `{"success": true}`.
async fn merchant(status: u16) -> String {
    let answer = move || async move {
        (axum::http::StatusCode::from_u16(status).unwrap(), axum::Json(json!({"success": true})))
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/cb", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, axum::Router::new().fallback(answer)).await });
    url
}

async fn card(multicard: &Multicard) -> String {
    let add: types::AddCardRequest =
        body(json!({"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY, "user_phone": "998901234567"}));
    let draft = multicard.send(|api| api.add_card().body(add.clone())).await.unwrap();
    let otp: types::ConfirmCardRequest = body(json!({"otp": TEST_OTP}));
    multicard
        .send(|api| api.confirm_card().card_token(draft.card_token.as_str()).body(otp.clone()))
        .await
        .unwrap()
        .card_token
}

async fn draft(multicard: &Multicard, token: &str, amount: i64, callback_url: Option<&str>) -> String {
    let request: types::CreatePaymentRequest = body(json!({"card": {"token": token}, "amount": amount, "store_id": 6,
        "invoice_id": format!("o-{amount}"), "callback_url": callback_url}));
    multicard.send(|api| api.create_payment().body(request.clone())).await.unwrap().uuid
}

async fn confirm(multicard: &Multicard, uuid: &str) -> Result<types::PaymentModel, multicard_api::Error> {
    let empty: types::ConfirmPaymentRequest = body(json!({}));
    multicard.send(|api| api.confirm_payment().uuid(uuid).body(empty.clone())).await
}

async fn status(multicard: &Multicard, uuid: &str) -> Option<PaymentStatus> {
    multicard.send(|api| api.get_payment().uuid(uuid)).await.ok().map(|p| p.status)
}

async fn fault(url: &str, operation: &str, fault: Value) {
    ok(url, "POST", "faults", json!({"operation": operation, "fault": fault})).await;
}

#[tokio::test]
async fn the_clock_and_every_money_fault_are_reachable_over_http() {
    let (_running, url) = start(&["--manual-clock", "--otp-sms-limit", "100"]);
    let multicard = Multicard::new(Config::new(APPLICATION_ID, SECRET, Environment::Custom(url.clone()))).unwrap();
    let token = card(&multicard).await;

    // The clock: a frozen payment's callback is sent again 60 s on.
    let refusing = merchant(500).await;
    let frozen = draft(&multicard, &token, 1_000, Some(&refusing)).await;
    assert_eq!(confirm(&multicard, &frozen).await.unwrap().status, PaymentStatus::Billing);
    ok(&url, "POST", "advance", json!({"seconds": 0})).await;
    let sent = ok(&url, "GET", "deliveries", Value::Null).await;
    assert_eq!((sent[0]["status"].clone(), sent[0]["outcome"].clone()), (json!(500), json!("frozen")));
    let clock = ok(&url, "POST", "advance", json!({"seconds": 60})).await;
    assert_eq!(clock["scheduled"], 1, "the next resend waits: {clock}");
    assert_eq!(ok(&url, "GET", "deliveries", Value::Null).await.as_array().map(Vec::len), Some(2));

    // Lose the answer: applied all the same.
    let lost = draft(&multicard, &token, 2_000, None).await;
    fault(&url, "confirm_payment", json!({"kind": "lose_answer"})).await;
    assert!(confirm(&multicard, &lost).await.unwrap_err().is_outcome_unknown());
    assert_eq!(status(&multicard, &lost).await, Some(PaymentStatus::Success));

    // Apply later: the first read still sees the draft.
    let later = draft(&multicard, &token, 3_000, None).await;
    fault(&url, "confirm_payment", json!({"kind": "apply_later", "seconds": 30})).await;
    assert_eq!(confirm(&multicard, &later).await.unwrap_err().status(), Some(504));
    assert_eq!(status(&multicard, &later).await, Some(PaymentStatus::Draft));
    ok(&url, "POST", "advance", json!({"seconds": 30})).await;
    assert_eq!(status(&multicard, &later).await, Some(PaymentStatus::Success));

    // ERROR_DEBIT_UNKNOWN, then a late error.
    let unknown = draft(&multicard, &token, 4_000, None).await;
    fault(&url, "confirm_payment", json!({"kind": "debit_unknown", "seconds": 10, "then": "error"})).await;
    let error = confirm(&multicard, &unknown).await.unwrap_err();
    assert_eq!(error.code(), Some(&types::ErrorCode::ErrorDebitUnknown));
    assert_eq!(status(&multicard, &unknown).await, Some(PaymentStatus::Progress));
    ok(&url, "POST", "advance", json!({"seconds": 10})).await;
    assert_eq!(status(&multicard, &unknown).await, Some(PaymentStatus::Error));

    // Stale reads: something made within the lag is not found yet.
    ok(&url, "POST", "reads", json!({"stale_reads": 5, "registry_lag": 5, "clock_offset": -300})).await;
    let stale = draft(&multicard, &token, 5_000, None).await;
    assert_eq!(status(&multicard, &stale).await, None);
    ok(&url, "POST", "advance", json!({"seconds": 5})).await;
    assert_eq!(status(&multicard, &stale).await, Some(PaymentStatus::Draft));
    ok(&url, "POST", "reads", json!({"stale_reads": 0})).await;

    // A callback treated as timed out freezes an accepted payment.
    let accepting = merchant(200).await;
    ok(&url, "POST", "delivery-faults", json!({"fault": "timed_out"})).await;
    let timed_out = draft(&multicard, &token, 6_000, Some(&accepting)).await;
    confirm(&multicard, &timed_out).await.unwrap();
    ok(&url, "POST", "advance", json!({"seconds": 0})).await;
    assert_eq!(status(&multicard, &timed_out).await, Some(PaymentStatus::Billing));

    // Every other fault of the catalogue is accepted, then cleared.
    let kinds = [
        json!({"kind": "html_bad_gateway"}),
        json!({"kind": "rbac_denied"}),
        json!({"kind": "malformed_json"}),
        json!({"kind": "drop_connection"}),
        json!({"kind": "error_under_200", "code": "ERROR_UNKNOWN"}),
        json!({"kind": "too_many_requests", "retry_after": 2}),
        json!({"kind": "delay", "seconds": 0.01}),
        json!({"kind": "delay_answer", "seconds": 0.01}),
        json!({"kind": "hang", "seconds": 0.01}),
        json!({"kind": "oversized", "size": 1024}),
        json!({"kind": "respond", "status": 418, "content_type": "text/plain", "body": "teapot"}),
    ];
    for kind in &kinds {
        fault(&url, "get_application", kind.clone()).await;
    }
    let http = reqwest::Client::new();
    let token_answer: Value = http
        .post(format!("{url}/auth"))
        .json(&json!({"application_id": APPLICATION_ID, "secret": SECRET}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bearer = token_answer["token"].as_str().unwrap().to_string();
    let first = http.get(format!("{url}/payment/application")).bearer_auth(&bearer).send().await.unwrap();
    assert_eq!(first.status().as_u16(), 502, "the first fault answered");
    ok(&url, "DELETE", "faults", Value::Null).await;
    let after = http.get(format!("{url}/payment/application")).bearer_auth(&bearer).send().await.unwrap();
    assert_eq!(after.status().as_u16(), 200, "cleared");
}

#[tokio::test]
async fn a_bad_control_request_names_the_field_and_echoes_nothing() {
    let (_running, url) = start(&["--manual-clock"]);
    let marker = "<script>x-41f7</script>";
    let cases = [
        ("advance", json!({"seconds": -5}), "`seconds`"),
        ("advance", json!({"seconds": marker}), "`seconds`"),
        ("faults", json!({"operation": marker, "fault": {"kind": "lose_answer"}}), "`operation`"),
        ("faults", json!({"operation": "get_payment", "fault": {"kind": marker}}), "`fault.kind`"),
        ("faults", json!({"operation": "get_payment", "fault": {"kind": "apply_later"}}), "`fault.seconds`"),
        ("faults", json!({"operation": "get_payment", "fault": {"kind": "lose_answer"}, "times": 0}), "`times`"),
        ("delivery-faults", json!({"fault": marker}), "`fault`"),
        ("reads", json!({"clock_offset": 1.5}), "`clock_offset`"),
    ];
    for (path, sent, field) in cases {
        let (status, answer) = control(&url, "POST", path, sent.clone()).await;
        assert_eq!((status, &answer["error"]["code"]), (400, &json!("ERROR_FIELDS")), "{path} {sent}");
        let details = answer["error"]["details"].as_str().unwrap_or_default();
        assert!(details.contains(field), "{path}: {details}");
        assert!(!answer.to_string().contains("x-41f7"), "{path}: echoed what was sent: {answer}");
    }
    let (status, _) = control(&url, "POST", "advance", json!("not an object")).await;
    assert_eq!(status, 400);
}

/// A non-loopback address of this host, if it has one (learned from a UDP
/// socket's route; no packet is sent).
fn outward_address() -> Option<std::net::IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("10.255.255.255:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[tokio::test]
async fn the_controls_answer_only_the_sandboxs_own_host() {
    let Some(ip) = outward_address() else {
        eprintln!("no address but loopback on this host: nothing to check");
        return;
    };
    let (_running, url) = start(&["--host", "0.0.0.0"]);
    let port = url.rsplit(':').next().unwrap().trim_end_matches('/');
    let (status, answer) = control(&format!("http://{ip}:{port}"), "POST", "advance", json!({"seconds": 60})).await;
    assert_eq!((status, &answer["error"]["code"]), (403, &json!("ERROR_ACCESS_DENIED")), "{answer}");
    let clock = ok(&format!("http://127.0.0.1:{port}"), "GET", "clock", Value::Null).await;
    assert!(clock["now"].is_string());
    let _ = Duration::ZERO;
}

/// A web page elsewhere cannot drive the controls: a browser's cross-site
/// POST carries that site's `Origin`, and a DNS-rebound request names
/// another host. Test clients (no `Origin`, a loopback host) still can.
#[tokio::test]
async fn the_controls_refuse_other_sites_pages_and_rebound_host_names() {
    let (_running, url) = start(&[]);
    let http = reqwest::Client::new();
    let before = ok(&url, "GET", "clock", Value::Null).await;
    let host = url.trim_start_matches("http://").trim_end_matches('/').to_string();
    let cross_site = http
        .post(format!("{url}/sandbox/admin/advance"))
        .header("origin", "http://evil.example")
        .header("content-type", "text/plain")
        .body(r#"{"seconds": 90}"#)
        .send()
        .await
        .expect("an answer");
    assert_eq!(cross_site.status(), 403);
    let rebound = http
        .get(format!("{url}/sandbox/admin/deliveries"))
        .header("host", format!("rebind.example:{}", host.rsplit(':').next().expect("a port")))
        .send()
        .await
        .expect("an answer");
    assert_eq!(rebound.status(), 403);
    let after = ok(&url, "GET", "clock", Value::Null).await;
    assert_eq!(before["now"], after["now"], "a refused control moved the clock");
    // Its own origin, or none, is let through.
    let own = http
        .post(format!("{url}/sandbox/admin/advance"))
        .header("origin", format!("http://{host}"))
        .json(&json!({"seconds": 1}))
        .send()
        .await
        .expect("an answer");
    assert_eq!(own.status(), 200);
    ok(&url, "POST", "advance", json!({"seconds": 1})).await;
}
