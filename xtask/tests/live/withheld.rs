//! Regressions from a hostile review: values that must not leave the run,
//! the body cap and the scheme check. Each failed before its fix.

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use multicard_sandbox::APPLICATION_ID;
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support;

/// A server that answers every request with `body`.
async fn echoing(body: serde_json::Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(ResponseTemplate::new(200).set_body_json(body)).mount(&server).await;
    server
}

fn assert_absent(needle: &str, report: &str, out: &std::path::Path) {
    let mut leaks: Vec<String> =
        report.lines().filter(|l| l.contains(needle)).map(|l| format!("report: {l}")).collect();
    for (path, text) in support::files(out) {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        leaks.extend(text.lines().filter(|l| l.contains(needle)).map(|l| format!("{name}: {}", l.trim())));
    }
    leaks.sort();
    leaks.dedup();
    assert!(leaks.is_empty(), "{needle:?} leaves the run:\n{}", leaks.join("\n"));
}

/// The walk knows the secret it sent; an all-lowercase secret echoed as a
/// field name passes `looks_like_name` and is written verbatim.
#[tokio::test]
async fn lowercase_secret_echoed_as_field_name_is_withheld() {
    const SECRET: &str = "correcthorsebatterystaple";
    let server = echoing(json!({"token": "eyJhbGciOiJIUzI1NiJ9.e30.c2ln", "data": {SECRET: 1}})).await;
    let out = tempfile::tempdir().unwrap();
    let run = support::run(&support::target(&server.uri(), APPLICATION_ID, SECRET), out.path()).await;
    assert_absent(SECRET, &run.report(), out.path());
}

/// An all-uppercase secret echoed as `error.code`: printed in the request
/// log and written to `error_codes`.
#[tokio::test]
async fn uppercase_secret_echoed_as_error_code_is_withheld() {
    const SECRET: &str = "CORRECTHORSEBATTERYSTAPLE";
    let server = echoing(json!({"token": "eyJhbGciOiJIUzI1NiJ9.e30.c2ln",
        "error": {"code": SECRET, "details": "x"}}))
    .await;
    let out = tempfile::tempdir().unwrap();
    let run = support::run(&support::target(&server.uri(), APPLICATION_ID, SECRET), out.path()).await;
    assert_absent(SECRET, &run.report(), out.path());
}

/// An opaque bearer token (not a JWT) that is all lowercase, echoed where
/// an enum belongs (`data.status`) and as a key: written verbatim.
#[tokio::test]
async fn lowercase_bearer_token_echoed_in_enum_field_is_withheld() {
    const TOKEN: &str = "opaquebearertokenvalue";
    let server = echoing(json!({"token": TOKEN, "data": {"status": TOKEN, "uuid": "u"}})).await;
    let out = tempfile::tempdir().unwrap();
    let run = support::run(&support::target(&server.uri(), APPLICATION_ID, "Secret1Secret2"), out.path()).await;
    assert_absent(TOKEN, &run.report(), out.path());
}

/// A merchant's name and its site in an enum field, and as a key, are
/// values; they reach `spec/observed/`.
#[tokio::test]
async fn merchant_name_is_withheld() {
    let server = echoing(json!({"token": "eyJhbGciOiJIUzI1NiJ9.e30.c2ln",
        "data": {"status": "romashka.uz", "uuid": "u", "ooo-romashka-llc": {"x": 1}},
        "error": {"code": "ivanov_ivan_ivanovich", "details": "x"}}))
    .await;
    let out = tempfile::tempdir().unwrap();
    let run = support::run(&support::target(&server.uri(), APPLICATION_ID, "Secret1Secret2"), out.path()).await;
    let report = run.report();
    assert_absent("romashka.uz", &report, out.path());
    assert_absent("ooo-romashka-llc", &report, out.path());
    assert_absent("ivanov_ivan_ivanovich", &report, out.path());
}

/// A raw HTTP server that answers with a 256 MiB body (whitespace) and
/// counts what it managed to send.
fn huge_server(sent: Arc<AtomicU64>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let sent = sent.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                const LEN: u64 = 256 << 20;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {LEN}\r\nconnection: close\r\n\r\n"
                );
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
                let chunk = vec![b' '; 1 << 20];
                for _ in 0..(LEN >> 20) {
                    if stream.write_all(&chunk).is_err() {
                        return;
                    }
                    sent.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                }
            });
        }
    });
    format!("http://{addr}")
}

/// No cap on an answer's size: the whole body is buffered in memory
/// (`story.rs` `response.bytes()`); a hostile or broken server can make
/// the run read gigabytes within its 30 s timeout.
#[tokio::test]
async fn huge_body_is_cut_off() {
    let sent = Arc::new(AtomicU64::new(0));
    let base = huge_server(sent.clone());
    let out = tempfile::tempdir().unwrap();
    let _run = support::run(&support::target(&base, APPLICATION_ID, "Secret1Secret2"), out.path()).await;
    let read = sent.load(Ordering::Relaxed);
    assert!(read < 16 << 20, "the run read {} MiB of one answer", read >> 20);
}

/// The secret goes in the body of `POST /auth` over plain http to any
/// host: `--base-url http://<not loopback>` is accepted.
#[test]
fn plain_http_to_a_remote_host_is_refused() {
    let spec = support::spec();
    let args = xtask::live::parse_args(&["--base-url".into(), "http://mesh.multicard.uz".into()]).unwrap();
    let env = |name: &str| match name {
        "MULTICARD_APPLICATION_ID" => Some("app".to_string()),
        "MULTICARD_SECRET" => Some("secret".to_string()),
        _ => None,
    };
    let target = xtask::live::target_from_env(&spec, &args, env);
    assert!(target.is_err(), "plain http to a remote host accepted: {target:?}");
}

/// The report strips user and password from the base URL but prints its
/// query and fragment, where a key can sit.
#[tokio::test]
async fn report_hides_base_url_query() {
    let server = echoing(json!({})).await;
    let out = tempfile::tempdir().unwrap();
    let base = format!("{}/?api_key=hunter2secret", server.uri());
    let run = support::run(&support::target(&base, APPLICATION_ID, "Secret1Secret2"), out.path()).await;
    assert!(!run.report().contains("hunter2secret"), "{}", run.report());
}
