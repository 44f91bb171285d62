//! Regressions from the hostile review of the one call path, the drift
//! signals and the command line: each test failed before its fix.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::Duration as ChronoDuration;
use multicard_api::{CallOptions, Config, Environment, Error, Multicard};
use multicard_api_tests::fake::{self, server_with_auth};
use multicard_api_tests::logs;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn payment(uuid: &str) -> serde_json::Value {
    json!({"id": 1, "uuid": uuid, "payment_amount": 10000, "total_amount": 10000, "store_id": 6, "status": "success"})
}

/// Answers `GET /payment/{uuid}` with `data` in a success envelope.
async fn answer_get_payment(server: &MockServer, uuid: &str, data: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path(format!("/payment/{uuid}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": data})))
        .mount(server)
        .await;
}

/// A raw HTTP/1.1 server: `/auth` issues a day-long token; every other
/// request is answered `502` with a declared `Content-Length: 1000`, of
/// which only a few bytes are sent before the server stalls for a minute
/// (a proxy that hangs half-way through its error page). Counts the
/// non-`/auth` requests.
async fn stalling_502_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { return };
            let counter = counter.clone();
            tokio::spawn(async move {
                loop {
                    // One request: head, then its body by Content-Length.
                    let mut buf = Vec::new();
                    let mut byte = [0u8; 1];
                    while !buf.ends_with(b"\r\n\r\n") {
                        match socket.read(&mut byte).await {
                            Ok(1) => buf.push(byte[0]),
                            _ => return,
                        }
                    }
                    let head = String::from_utf8_lossy(&buf).to_string();
                    let length = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length").then(|| v.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    let mut body = vec![0u8; length];
                    if socket.read_exact(&mut body).await.is_err() {
                        return;
                    }
                    if head.starts_with("POST /auth ") {
                        let token = json!({"token": "tok-raw", "role": "dev",
                            "expiry": fake::expiry_in(ChronoDuration::hours(24))})
                        .to_string();
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{token}",
                            token.len()
                        );
                        if socket.write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                        continue;
                    }
                    counter.fetch_add(1, Ordering::SeqCst);
                    let _ = socket
                        .write_all(
                            b"HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/html\r\ncontent-length: 1000\r\n\r\n<html><body>Bad ga",
                        )
                        .await;
                    let _ = socket.flush().await;
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    return;
                }
            });
        }
    });
    (url, hits)
}

/// Engineering notes §8: "one timeout bounds a whole call". The body of an
/// answer under an undocumented status (a proxy's 502) is read by
/// `envelope::read_undocumented`, which the executor awaits *after* the
/// attempt's `tokio::time::timeout` has completed (executor.rs, `attempt`:
/// `Interpreted::ReadBody(response) => read_undocumented::<O>(..).await`).
/// So neither `CallOptions::timeout` nor `Config::with_attempt_timeout`
/// bounds it; only reqwest's client-wide timeout (the `Config::with_timeout`
/// value, or nothing at all with `Config::with_foreign_http_client`) does.
#[tokio::test]
async fn a_stalled_body_under_an_undocumented_status_ends_within_the_calls_timeout() {
    let (url, hits) = stalling_502_server().await;
    let config = Config::new(fake::APPLICATION_ID, fake::SECRET, Environment::Custom(url))
        .with_timeout(Duration::from_secs(30))
        .with_attempt_timeout(Duration::from_millis(300));
    let client = Multicard::new(config).unwrap();
    let uuid = "a81b7b62-6d86-11f0-9a1b-00505680eaf6";
    let options = CallOptions::new().timeout(Duration::from_millis(500));
    // A confirm: a refund would read its payment first (its guard), and
    // that read would meet the stalling server instead.
    let otp: multicard_api::types::ConfirmPaymentRequest = serde_json::from_value(serde_json::json!({})).unwrap();
    let confirm = client.send_with(options, |api| api.confirm_payment().uuid(uuid).body(otp.clone()));
    let outcome = tokio::time::timeout(Duration::from_secs(5), confirm).await;
    let result = outcome.expect(
        "a confirm whose 502 body stalls must end within the call's 500 ms timeout (and its 300 ms attempt \
         timeout); it was still running after 5 s",
    );
    assert!(matches!(result, Err(Error::OutcomeUnknown { .. })), "{result:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 1, "the confirm is sent once");
}

/// Drift signals promise "never a value" in a log, and §5 keeps PANs out of
/// logs. The JSON path of an unknown field is made of the answer's own keys,
/// logged unmasked (drift.rs `record`: `path = %path`, no `scrub::clean`).
/// An answer whose unknown field is keyed by a card number puts the PAN in
/// the log and in `Multicard::drift_signals`.
#[tokio::test(flavor = "current_thread")]
async fn a_pan_shaped_unknown_key_is_not_shown_in_drift_signals_or_logs() {
    let (captured, _guard) = logs::capture();
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    let uuid = "d1f7a0b2-0000-4000-8000-00000000aa01";
    let mut data = payment(uuid);
    data["card 8600-5333-6409-8829"] = json!(true);
    answer_get_payment(&server, uuid, data).await;
    let client = fake::client(&server);
    client.send(|api| api.get_payment().uuid(uuid)).await.expect("the answer works");
    let signals = format!("{:?}", client.drift_signals());
    let text = captured.text();
    assert!(!signals.contains("8600-5333-6409-8829"), "a PAN in drift_signals: {signals}");
    assert!(!text.contains("8600-5333-6409-8829"), "a PAN in the log:\n{text}");
}

/// The same through the unknown-enum path: `find_string` builds paths from
/// raw keys (no `json_path`, no masking), so a PAN used as a key next to an
/// unknown status value is logged in full.
#[tokio::test(flavor = "current_thread")]
async fn a_pan_used_as_a_key_beside_an_unknown_enum_value_is_not_shown() {
    let (captured, _guard) = logs::capture();
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    let uuid = "d1f7a0b2-0000-4000-8000-00000000aa02";
    let mut data = payment(uuid);
    data["status"] = json!("frozen-review");
    data["cards"] = json!({"8600533364098829": "frozen-review"});
    answer_get_payment(&server, uuid, data).await;
    let client = fake::client(&server);
    client.send(|api| api.get_payment().uuid(uuid)).await.expect("the answer works");
    let signals = format!("{:?}", client.drift_signals());
    let text = captured.text();
    assert!(!signals.contains("8600533364098829"), "a PAN in drift_signals: {signals}");
    assert!(!text.contains("8600533364098829"), "a PAN in the log:\n{text}");
}

/// A server (or anything in the middle) that sends many field names the spec
/// does not know grows the process-wide `WARNED` set and the client's counts
/// without bound and writes one WARN line per name (drift.rs: `WARNED`,
/// `Drift::counts`, no cap). One answer with 5000 random keys is 5000 log
/// lines and 5000 entries kept for the life of the process; a new set per
/// sampled answer grows forever on a long-running service.
#[tokio::test(flavor = "current_thread")]
async fn drift_signals_and_warnings_are_bounded() {
    let (captured, _guard) = logs::capture();
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    let uuid = "d1f7a0b2-0000-4000-8000-00000000aa03";
    let mut data = payment(uuid);
    for i in 0..5000 {
        data[format!("rnd_{i:05}_field")] = json!(i);
    }
    answer_get_payment(&server, uuid, data).await;
    let client = fake::client(&server);
    client.send(|api| api.get_payment().uuid(uuid)).await.expect("the answer works");
    let kept = client.drift_signals().len();
    let lines = captured.text().lines().filter(|l| l.contains("multicard::drift")).count();
    assert!(kept <= 256, "drift signals must be bounded; one answer made {kept}");
    assert!(lines <= 256, "drift warnings must be bounded; one answer wrote {lines} WARN lines");
}

/// auth.rs promises `/auth` errors "keep nothing of the answer's body (it
/// may echo the secret)", but `Error::forget_body` (error.rs) clears only
/// `UnexpectedResponse` snippets and `Undecodable` data: an `Error::Api`'s
/// `details` (and `Authentication` messages) are kept, scrubbed only for the
/// secret's literal spelling. A PHP backend echoing the request with
/// `json_encode` writes `/` as `\/`, and the secret survives in the error.
#[tokio::test(flavor = "current_thread")]
async fn an_auth_error_keeps_no_escaped_echo_of_the_secret() {
    let (captured, _guard) = logs::capture();
    let secret = "Pw18+axe/BFo8V7Nam==";
    let server = MockServer::start().await;
    let echoed = r#"bad request {"application_id":"rhmt_test","secret":"Pw18+axe\/BFo8V7Nam=="}"#;
    Mock::given(method("POST"))
        .and(path("/auth"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"success": false, "error": {"code": "ERROR_FIELDS", "details": echoed}})),
        )
        .mount(&server)
        .await;
    let config = Config::new(fake::APPLICATION_ID, secret, Environment::Custom(server.uri()))
        .with_timeout(Duration::from_secs(5));
    let client = Multicard::new(config).unwrap();
    let error = client
        .send(|api| api.get_payment().uuid("a81b7b62-6d86-11f0-9a1b-00505680eaf6"))
        .await
        .expect_err("/auth refused");
    let shown = format!("{error} | {error:?}");
    assert!(!shown.contains(r"Pw18+axe\/BFo8V7Nam"), "the secret reached the error: {shown}");
    // token_cache.rs `finish` logs the same error at WARN.
    let text = captured.text();
    assert!(!text.contains(r"Pw18+axe\/BFo8V7Nam"), "the secret reached the log:\n{text}");
}

/// `Multicard::api()` is documented as "the generated client ... It carries
/// the same token cache", but the response size cap (`Config::
/// with_max_response_bytes`) lives only in the task-local attempt
/// (transport.rs `exec`: no `ATTEMPT`, `return Ok(response)`), so a call
/// made on it reads any body whole into memory.
#[tokio::test(flavor = "current_thread")]
async fn the_generated_client_used_alone_keeps_the_size_cap() {
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    let uuid = "d1f7a0b2-0000-4000-8000-00000000aa04";
    let mut data = payment(uuid);
    data["padding"] = json!("x".repeat(256 * 1024));
    answer_get_payment(&server, uuid, data).await;
    let client = Multicard::new(fake::config(&server).with_max_response_bytes(16 * 1024)).unwrap();
    let through_send = client.send(|api| api.get_payment().uuid(uuid)).await;
    assert!(matches!(through_send, Err(Error::ResponseTooLarge { .. })), "{through_send:?}");
    let direct = client.api().get_payment().uuid(uuid).send().await;
    assert!(direct.is_err(), "a 256 KiB body passed a 16 KiB cap through Multicard::api()");
}
