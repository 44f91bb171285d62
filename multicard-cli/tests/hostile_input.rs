//! What the command line shows of input it refuses: never the card data,
//! codes or passwords the input carried.

use std::process::{Command, Output, Stdio};

use multicard_sandbox::{APPLICATION_ID, SECRET};

/// `multicard ARGS` with the sandbox's credentials and `base_url`; nothing is
/// sent in these tests (each input is refused before anything leaves).
fn refused(base_url: &str, args: &[&str]) -> (Output, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_multicard"))
        .args(args)
        .env("MULTICARD_APPLICATION_ID", APPLICATION_ID)
        .env("MULTICARD_SECRET", SECRET)
        .env("MULTICARD_BASE_URL", base_url)
        .env_remove("MULTICARD_ENV")
        .env("MULTICARD_CONFIG", "/nonexistent/multicard/config.toml")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    let shown = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output, shown)
}

#[test]
fn a_body_that_does_not_decode_names_the_path_never_the_card_data() {
    // The PAN as a number, the expiry as an object: each fails to decode.
    let cases = [
        (["card", "add"], r#"{"pan": 8600533364098829, "expiry": "2806"}"#, Some("at `pan`")),
        (["card", "add"], r#"{"pan": "8600533364098829", "expiry": {"yymm": 2806}}"#, Some("at `expiry`")),
        // A body of several shapes (token, card data, split) names the
        // closest one's path.
        (
            ["payment", "create"],
            r#"{"card": {"pan": 8600533364098829, "expiry": "2806"}, "amount": 5000, "store_id": 6, "invoice_id": "o-1"}"#,
            Some("at `card.pan`"),
        ),
    ];
    for (command, body, path) in cases {
        let args = [&command[..], &["--yes", "--output", "json", "--body", body]].concat();
        let (output, shown) = refused("http://127.0.0.1:9", &args);
        assert_eq!(output.status.code(), Some(2), "a usage error: {shown}");
        assert!(shown.contains("--body is not a valid"), "{shown}");
        if let Some(path) = path {
            assert!(shown.contains(path), "the path is named: {shown}");
            assert!(shown.contains("expected a string"), "what was expected is named: {shown}");
        }
        for secret in ["8600533364098829", "860053", "2806"] {
            assert!(!shown.contains(secret), "{secret} is not shown: {shown}");
        }
    }
}

#[test]
fn a_base_url_that_does_not_parse_is_not_repeated() {
    let (output, shown) = refused("https://merchant:hunter2-pass@exa mple.com/", &["application", "get"]);
    assert_ne!(output.status.code(), Some(0), "{shown}");
    assert!(!shown.contains("hunter2"), "the password is not shown: {shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_whose_answer_cannot_be_printed_says_it_succeeded_and_what_it_made() {
    let sandbox = multicard_sandbox::Sandbox::start().await.unwrap();
    let url = sandbox.url().to_string();
    let body = r#"{"amount": 150000, "store_id": 6, "invoice_id": "full-disk-1", "callback_url": "http://127.0.0.1:9/cb", "ofd": [{"qty": 1, "price": 150000, "mxik": "06401004002000000", "total": 150000, "package_code": "1506113", "name": "Shoes"}]}"#;
    let output = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_multicard"))
            .args(["invoice", "create", "--yes", "--output", "json", "--body", body])
            .env("MULTICARD_APPLICATION_ID", APPLICATION_ID)
            .env("MULTICARD_SECRET", SECRET)
            .env("MULTICARD_BASE_URL", url)
            .env_remove("MULTICARD_ENV")
            .env("MULTICARD_CONFIG", "/nonexistent/multicard/config.toml")
            .stdin(Stdio::null())
            .stdout(std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full"))
            .stderr(Stdio::piped())
            .output()
            .expect("the binary runs")
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(10), "{stderr}");
    assert!(stderr.contains("SUCCEEDED") && stderr.contains("do not send it again"), "{stderr}");
    let uuid = stderr.split("uuid ").nth(1).and_then(|rest| rest.split([',', ' ', '\n']).next()).unwrap_or_default();
    assert!(!uuid.is_empty(), "the uuid is named: {stderr}");
    // The invoice it names is the one that was made.
    let multicard = multicard_api::Multicard::new(sandbox.config()).unwrap();
    let invoice = multicard.send(|api| api.get_invoice().uuid(uuid)).await.expect("the invoice exists");
    assert_eq!(invoice.invoice_id.to_string(), "full-disk-1");
}
