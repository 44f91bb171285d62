//! `multicard reconcile` against a local sandbox: one JSON object per
//! finding, items from arguments or standard input, and the exit codes
//! (0 reconciled, 11 needs attention, 2 usage).

mod support;

use std::process::Output;

use multicard_api::Multicard;
use multicard_api::types;
use multicard_sandbox::{Sandbox, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP};
use serde_json::{Value, json};
use support::multicard;

/// Runs it off the runtime's threads (the sandbox serves on them).
async fn run(url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let (url, args, stdin) =
        (url.to_string(), args.iter().map(|a| a.to_string()).collect::<Vec<_>>(), stdin.map(String::from));
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        multicard(&url, &args, stdin.as_deref())
    })
    .await
    .expect("joined")
}

/// The findings printed, one JSON object a line.
fn findings(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

fn body<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("a request")
}

/// A payment of `amount` for order `invoice_id`, paid by the test card, no
/// callback: it reads `success`.
async fn paid(multicard: &Multicard, invoice_id: &str, amount: i64) -> String {
    let card: types::AddCardRequest =
        body(json!({"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY, "user_phone": "998901234567"}));
    let draft = multicard.send(|api| api.add_card().body(card.clone())).await.unwrap();
    let otp: types::ConfirmCardRequest = body(json!({"otp": TEST_OTP}));
    let card = multicard.send(|api| api.confirm_card().card_token(draft.card_token.as_str()).body(otp.clone())).await;
    let token = card.unwrap().card_token;
    let request: types::CreatePaymentRequest =
        body(json!({"card": {"token": token}, "amount": amount, "store_id": 6, "invoice_id": invoice_id}));
    let created = multicard.send(|api| api.create_payment().body(request.clone())).await.unwrap();
    let empty: types::ConfirmPaymentRequest = body(json!({}));
    multicard.send(|api| api.confirm_payment().uuid(created.uuid.as_str()).body(empty.clone())).await.unwrap();
    created.uuid
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_prints_one_finding_per_item_and_exits_by_what_needs_attention() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = sandbox.url().to_string();
    let client = Multicard::new(sandbox.config()).unwrap();
    let uuid = paid(&client, "cli-paid", 5_000).await;
    sandbox.advance(std::time::Duration::ZERO).await;

    // A paid payment: reconciled (read-only: not checked against a ledger).
    let output = run(&url, &["-o", "json", "reconcile", &uuid], None).await;
    assert_eq!(output.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let found = findings(&output);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["finding"], "paid_not_checked");
    assert_eq!(
        (&found[0]["uuid"], &found[0]["store_id"], &found[0]["invoice_id"]),
        (&json!(uuid), &json!("6"), &json!("cli-paid"))
    );
    assert_eq!(found[0]["status"], "success");

    // The same order found by its invoice id, and one Multicard never saw.
    let args = ["-o", "json", "reconcile", "--store-id", "6", "--invoice-id", "cli-paid", "--invoice-id", "cli-never"];
    let output = run(&url, &args, None).await;
    assert_eq!(output.status.code(), Some(11), "needs attention: {}", String::from_utf8_lossy(&output.stderr));
    let found = findings(&output);
    let names: Vec<_> = found.iter().map(|f| f["finding"].as_str().unwrap_or_default()).collect();
    assert_eq!(names, ["paid_not_checked", "unknown_to_multicard"]);
    assert_eq!(found[0]["uuid"], json!(uuid), "found in the registry by its invoice id");
    assert_eq!(found[1]["standing"], "needs_attention");

    // The items from standard input, one a line.
    let lines = format!("# pending\n{uuid}\n6 cli-never\n\n");
    let output = run(&url, &["-o", "json", "reconcile"], Some(&lines)).await;
    assert_eq!(output.status.code(), Some(11));
    let names: Vec<_> =
        findings(&output).iter().map(|f| f["finding"].as_str().unwrap_or_default().to_string()).collect();
    assert_eq!(names, ["paid_not_checked", "unknown_to_multicard"]);

    // Multicard could not be read: not final, exit 12.
    let denied = json!({"success": false, "error": {"code": "ERROR_ACCESS_DENIED", "details": "no"}});
    let fault = multicard_sandbox::Fault::Respond {
        status: 403,
        content_type: "application/json".into(),
        body: denied.to_string(),
    };
    sandbox.inject("get_payment", fault, 1);
    let output = run(&url, &["-o", "json", "reconcile", &uuid], None).await;
    assert_eq!(output.status.code(), Some(12), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(findings(&output)[0]["finding"], "read_failed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_refuses_bad_input_and_runs_with_the_embedded_sandbox() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = sandbox.url().to_string();
    for args in [
        &["reconcile"][..],
        &[
            "reconcile",
            "--invoice-id",
            "a",
            "--invoice-id",
            "b",
            "--store-id",
            "6",
            "--store-id",
            "7",
            "--store-id",
            "8",
        ],
        &["reconcile", "--store-id", "6", "--invoice-id", "x", "--since", "yesterday"],
        &["-o", "csv", "reconcile", "a81b7b62-6d86-11f0-9a1b-00505680eaf6"],
    ] {
        let output = run(&url, args, None).await;
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    }
    let output = run(&url, &["reconcile"], Some("one two three\n")).await;
    assert_eq!(output.status.code(), Some(2));

    // `--sandbox`: a fresh embedded Multicard knows no payment.
    let output = run(
        "http://127.0.0.1:9",
        &["--sandbox", "-o", "json", "reconcile", "a81b7b62-6d86-11f0-9a1b-00505680eaf6"],
        None,
    )
    .await;
    assert_eq!(output.status.code(), Some(11), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(findings(&output)[0]["finding"], "unknown_to_multicard");

    // A table on request, with a line of detail under each finding.
    let output = run(&url, &["-o", "table", "reconcile", "a81b7b62-6d86-11f0-9a1b-00505680eaf6"], None).await;
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("FINDING"), "{text}");
    assert!(text.contains("unknown_to_multicard") && text.contains("unknown to Multicard: not found"), "{text}");
}
