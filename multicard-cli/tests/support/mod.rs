//! What the command-line tests share: running the binary against a
//! loopback sandbox, and a paid payment to find in it.

#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use multicard_api::types;
use multicard_sandbox::{APPLICATION_ID, SECRET, Sandbox, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP};
use serde_json::json;

/// Where the tests' commands look for a running sandbox: nowhere, so a
/// sandbox a developer keeps running (`multicard sandbox start`) is never
/// met; a test of the running sandbox sets its own folder.
pub const NO_SANDBOX_HOME: &str = "/nonexistent/multicard-sandbox-home";

/// `multicard ARGS` against `url` with the sandbox's credentials, no
/// profile, no default store and no running sandbox; standard streams left
/// to the caller.
pub fn command(url: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_multicard"));
    command
        .args(args)
        .env("MULTICARD_APPLICATION_ID", APPLICATION_ID)
        .env("MULTICARD_SECRET", SECRET)
        .env("MULTICARD_BASE_URL", url)
        .env_remove("MULTICARD_ENV")
        .env_remove("MULTICARD_STORE_ID")
        .env("MULTICARD_CONFIG", "/nonexistent/multicard/config.toml")
        .env("MULTICARD_SANDBOX_HOME", NO_SANDBOX_HOME);
    command
}

/// Runs `multicard` against `url` with the sandbox's credentials, standard
/// input not a terminal (closed, or `stdin` when given).
pub fn multicard(url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    multicard_env(url, args, stdin, &[])
}

/// [`multicard`] with environment variables `env` set too.
pub fn multicard_env(url: &str, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut child = command(url, args)
        .envs(env.iter().copied())
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(text) = stdin {
        child.stdin.take().expect("piped").write_all(text.as_bytes()).expect("stdin");
    }
    child.wait_with_output().expect("the binary finishes")
}

/// [`multicard`] from a test's runtime, off its threads (the sandbox
/// serves on them).
pub async fn run(url: &str, args: &[&str]) -> Output {
    run_env(url, args, &[]).await
}

/// [`run`] with environment variables `env` set too.
pub async fn run_env(url: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let (url, args): (String, Vec<String>) = (url.into(), args.iter().map(|a| a.to_string()).collect());
    let env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        multicard_env(&url, &args, None, &env)
    })
    .await
    .expect("joined")
}

fn decode<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("a valid request")
}

/// A paid payment of `amount` tiyin with `invoice_id` in `sandbox`, made
/// through the SDK; its uuid.
pub async fn paid_payment(sandbox: &Sandbox, amount: i64, invoice_id: &str) -> String {
    let client = multicard_api::Multicard::new(sandbox.config()).expect("a client");
    let add: types::AddCardRequest =
        decode(json!({"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY, "user_phone": "998901234567"}));
    let draft = client.send(|api| api.add_card().body(add.clone())).await.expect("a card");
    let otp: types::ConfirmCardRequest = decode(json!({"otp": TEST_OTP}));
    let card = client.send(|api| api.confirm_card().card_token(draft.card_token.as_str()).body(otp.clone())).await;
    let token = card.expect("a bound card").card_token;
    let create: types::CreatePaymentRequest =
        decode(json!({"card": {"token": token}, "amount": amount, "store_id": 6, "invoice_id": invoice_id}));
    let uuid = client.send(|api| api.create_payment().body(create.clone())).await.expect("a payment").uuid;
    let empty: types::ConfirmPaymentRequest = decode(json!({}));
    client.send(|api| api.confirm_payment().uuid(uuid.as_str()).body(empty.clone())).await.expect("paid");
    uuid
}

/// The error object `-o json` prints: stderr is JSON objects, one a line
/// (notes and warnings first), the error last; stdout is empty.
pub fn error_object(output: &Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: a line that is not JSON: {text}")))
        .collect();
    assert!(output.stdout.is_empty(), "stdout keeps data only: {}", String::from_utf8_lossy(&output.stdout));
    let last = lines.last().unwrap_or_else(|| panic!("nothing on stderr"));
    assert_eq!(lines.iter().filter(|l| l.get("error").is_some()).count(), 1, "one error: {text}");
    last.get("error").cloned().unwrap_or_else(|| panic!("the error comes last: {text}"))
}

/// A fault that answers with Multicard's error envelope.
pub fn envelope(status: u16, code: &str, details: &str) -> multicard_sandbox::Fault {
    multicard_sandbox::Fault::Respond {
        status,
        content_type: "application/json".into(),
        body: serde_json::json!({"success": false, "error": {"code": code, "details": details}}).to_string(),
    }
}
