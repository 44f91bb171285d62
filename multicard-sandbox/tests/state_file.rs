//! A sandbox with a state file outlives its process: what one sandbox made
//! (invoices, paid payments, a callback still due, its clock's time) reads
//! the same through the SDK from the next sandbox started on the file; a
//! file that is not a state file stops the start and is left byte for byte.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use multicard_api::Multicard;
use multicard_api::types::{self, PaymentStatus};
use multicard_sandbox::{Sandbox, SandboxConfig};
use serde_json::{Value, json};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("multicard-state-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A merchant that accepts every callback; the bodies it received.
async fn merchant() -> (String, Arc<Mutex<Vec<Value>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let kept = received.clone();
    let app = Router::new().route(
        "/cb",
        post(move |body: axum::Json<Value>| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(body.0);
                axum::Json(json!({"success": true}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/cb", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

async fn invoice(multicard: &Multicard, invoice_id: &str, callback_url: &str) -> String {
    let request: types::CreateInvoiceRequest = serde_json::from_value(json!({"store_id": 6, "amount": 150_000,
        "invoice_id": invoice_id, "callback_url": callback_url, "ofd": []}))
    .unwrap();
    let made = multicard.send(|api| api.create_invoice().body(request.clone())).await.unwrap();
    made.uuid.expect("an invoice uuid")
}

/// The invoice and its payment as the SDK reads them, as JSON.
async fn read(multicard: &Multicard, uuid: &str) -> (Value, Value) {
    let invoice = multicard.send(|api| api.get_invoice().uuid(uuid)).await.unwrap();
    let invoice = serde_json::to_value(invoice).unwrap();
    let payment = invoice["payment"]["uuid"].as_str().expect("paid").to_string();
    let payment = multicard.send(|api| api.get_payment().uuid(payment.as_str())).await.unwrap();
    (invoice, serde_json::to_value(payment).unwrap())
}

#[tokio::test]
async fn what_a_sandbox_made_reads_the_same_from_the_next_one_and_its_due_callback_goes_out() {
    let dir = scratch("restart");
    let state = dir.join("state.json");
    let config = SandboxConfig::default().with_state_file(&state);
    let (callback_url, received) = merchant().await;

    let first = Sandbox::start_with(config.clone()).await.unwrap();
    assert!(state.exists(), "an empty sandbox writes its file at once");
    let multicard = Multicard::new(first.config()).unwrap();
    let accepted = invoice(&multicard, "kept-1", &callback_url).await;
    first.pay_invoice(&accepted).unwrap();
    first.advance(Duration::from_secs(90)).await;
    let due = invoice(&multicard, "kept-2", &callback_url).await;
    let paid = first.pay_invoice(&due).unwrap();
    assert_eq!(paid["status"], "billing", "its success callback is due, not sent");
    let before = (read(&multicard, &accepted).await, read(&multicard, &due).await);
    assert_eq!(before.0.1["status"], "success");
    let (now, old_url) = (first.now(), first.url().to_string());
    assert_eq!(first.scheduled(), 1);
    first.stop().await;
    assert_eq!(received.lock().unwrap().len(), 1);

    let second = Sandbox::start_with(config.clone()).await.unwrap();
    assert_ne!(second.url(), old_url, "another port");
    assert_eq!(second.now(), now, "a manual clock keeps its time");
    assert_eq!(second.scheduled(), 1, "the callback still due was kept");
    let multicard = Multicard::new(second.config()).unwrap();
    let after = (read(&multicard, &accepted).await, read(&multicard, &due).await);
    let moved = |value: &(Value, Value)| {
        let text = serde_json::to_string(value).unwrap().replace(&old_url, second.url());
        serde_json::from_str::<(Value, Value)>(&text).unwrap()
    };
    assert_eq!(after.0, moved(&before.0), "the paid invoice and payment read the same");
    assert_eq!(after.1, moved(&before.1));
    assert!(after.0.0["checkout_url"].as_str().unwrap().starts_with(second.url()), "its links follow the sandbox");

    second.advance(Duration::ZERO).await;
    let bodies = received.lock().unwrap().clone();
    assert_eq!(bodies.len(), 2, "the due callback went out from the second sandbox");
    assert_eq!(bodies[1]["invoice_id"], "kept-2");
    assert_eq!(bodies[1]["receipt_url"].as_str().map(|u| u.starts_with(second.url())), Some(true));
    let payment = after.1.1["uuid"].as_str().unwrap().to_string();
    let read = multicard.send(|api| api.get_payment().uuid(payment.as_str())).await.unwrap();
    assert_eq!(read.status, PaymentStatus::Success);
    let tokens = second.issued_tokens();
    second.stop().await;

    let third = Sandbox::start_with(config).await.unwrap();
    assert_eq!((third.scheduled(), third.issued_tokens(), third.deliveries().len()), (0, tokens, 2));
}

#[tokio::test]
async fn a_file_that_is_not_a_state_file_stops_the_start_and_is_left_byte_for_byte() {
    let dir = scratch("corrupt");
    let state = dir.join("state.json");
    let config = SandboxConfig::default().with_state_file(&state);
    let first = Sandbox::start_with(config.clone()).await.unwrap();
    Multicard::new(first.config()).unwrap().send(|api| api.get_application()).await.unwrap();
    first.stop().await;
    let mut bytes = std::fs::read(&state).unwrap();
    let cut = bytes.len() / 2;
    bytes.truncate(cut);
    bytes.extend_from_slice(b"\n\xff garbage");
    std::fs::write(&state, &bytes).unwrap();

    let error = Sandbox::start_with(config.clone()).await.expect_err("a corrupt file");
    let message = error.to_string();
    assert!(message.contains(&state.display().to_string()) && message.contains("(line 1, column "), "{message}");
    assert_eq!(std::fs::read(&state).unwrap(), bytes, "left as it was");

    std::fs::write(&state, r#"{"format": 99, "world": {}}"#).unwrap();
    let message = Sandbox::start_with(config.clone()).await.expect_err("another format").to_string();
    assert!(message.contains("format 99"), "{message}");
    assert_eq!(std::fs::read_to_string(&state).unwrap(), r#"{"format": 99, "world": {}}"#);

    let unwritable = SandboxConfig::default().with_state_file(dir.join("no-such-folder").join("state.json"));
    let message = Sandbox::start_with(unwritable).await.expect_err("no folder").to_string();
    assert!(message.contains("cannot be written") && message.contains("no-such-folder"), "{message}");
}

/// The binary: `--state FILE`, written when it is told to stop (SIGTERM),
/// read by the next one.
#[cfg(unix)]
#[tokio::test]
async fn the_binary_keeps_its_state_across_a_sigterm() {
    use std::io::{BufRead, BufReader};

    let dir = scratch("binary");
    let state = dir.join("state.json");
    let start = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_multicard-sandbox"))
            .args(["--port", "0", "--manual-clock", "--state"])
            .arg(&state)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect(&line).to_string();
        (child, url)
    };
    let (child, url) = start();
    let config = multicard_api::Config::new(
        multicard_sandbox::APPLICATION_ID,
        multicard_sandbox::SECRET,
        multicard_api::Environment::Custom(url),
    );
    let multicard = Multicard::new(config).unwrap();
    let uuid = invoice(&multicard, "from-the-binary", "https://example.invalid/cb").await;
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap()).await.unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));

    let (mut child, url) = start();
    let config = multicard_api::Config::new(
        multicard_sandbox::APPLICATION_ID,
        multicard_sandbox::SECRET,
        multicard_api::Environment::Custom(url),
    );
    let read = Multicard::new(config).unwrap().send(|api| api.get_invoice().uuid(uuid.as_str())).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(serde_json::to_value(read.unwrap()).unwrap()["invoice_id"], "from-the-binary");
}
