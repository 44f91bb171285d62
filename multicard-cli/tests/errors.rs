//! Errors as data: with `-o json`, an error is one JSON object on stderr
//! (Multicard's code, the SDK's class of it, the exit code and its name,
//! the message, the read that settles it), stdout keeps only data; without
//! it, the text for people.

mod support;

use multicard_sandbox::Sandbox;
use serde_json::Value;
use support::{envelope, error_object, multicard, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_json_output_an_error_is_one_object_on_stderr() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = sandbox.url().to_string();
    let confirm = ["payment", "confirm", "-y", "--uuid", "pay-1", "--body", "{}"];

    // A conflict: Multicard's code, the SDK's class and typed reason, the read.
    sandbox.inject("confirm_payment", envelope(400, "ERROR_FIELDS", "Платеж подтвержден ранее"), 1);
    let conflict = run(&url, &[&confirm[..], &["-o", "json"]].concat()).await;
    assert_eq!(conflict.status.code(), Some(8));
    let error = error_object(&conflict);
    assert_eq!((error["code"].as_str(), error["reason"].as_str()), (Some("ERROR_FIELDS"), Some("conflict")));
    assert_eq!((error["exit"].as_u64(), error["exit_class"].as_str()), (Some(8), Some("conflict")));
    assert_eq!(error["fields_reason"], "already_confirmed");
    assert_eq!(error["read"], "multicard payment get --uuid pay-1");
    assert!(error["message"].as_str().unwrap().contains("does NOT mean it is paid"), "{error}");

    // A read's error: rejected, exit 1.
    let missing = run(&url, &["payment", "get", "--uuid", "no-such", "-o", "json"]).await;
    let error = error_object(&missing);
    assert_eq!((error["code"].as_str(), error["reason"].as_str()), (Some("ERROR_NOT_FOUND"), Some("rejected")));
    assert_eq!((error["exit"].as_u64(), error["status"].as_u64()), (Some(1), Some(404)));

    // The command line's own refusals: no Multicard code, the exit class.
    let refused = run(&url, &["payment", "confirm", "--uuid", "pay-1", "--body", "{}", "-o", "json"]).await;
    let error = error_object(&refused);
    assert_eq!((error["code"].clone(), error["exit_class"].as_str()), (Value::Null, Some("not_confirmed")));
    assert_eq!(error["exit"], 6);
    let usage = run(&url, &["-o", "json", "registry", "payments", "--store-id", "6", "--from", "soon"]).await;
    let error = error_object(&usage);
    assert_eq!((error["exit"].as_u64(), error["reason"].as_str()), (Some(2), Some("usage")));
    assert!(error["message"].as_str().unwrap().contains("--start-date"), "{error}");

    // Without -o json: the text for people.
    sandbox.inject("confirm_payment", envelope(400, "ERROR_FIELDS", "Платеж подтвержден ранее"), 1);
    let text = run(&url, &confirm).await;
    assert_eq!(text.status.code(), Some(8));
    assert!(String::from_utf8_lossy(&text.stderr).starts_with("multicard: "));
}

/// A lost write's object carries its settle command and what it needs;
/// the text from the wire stays escaped inside the JSON.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_outcome_carries_the_settle_command_and_its_fields() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = sandbox.url().to_string();
    sandbox.inject("confirm_payment", envelope(400, "ERROR_SOMETHING_NEW", "\u{1b}[2Jновое"), 1);
    let lost = run(&url, &["payment", "confirm", "-y", "--uuid", "pay-2", "--body", "{}", "-o", "json"]).await;
    assert_eq!(lost.status.code(), Some(5));
    assert!(!lost.stderr.contains(&0x1b), "no raw escape: {}", String::from_utf8_lossy(&lost.stderr));
    let error = error_object(&lost);
    assert_eq!(
        (error["reason"].as_str(), error["exit_class"].as_str()),
        (Some("outcome_unknown"), Some("outcome_unknown"))
    );
    assert_eq!(error["code"], "ERROR_SOMETHING_NEW");
    assert_eq!(error["settle"]["kind"], "confirm-payment");
    assert_eq!(error["settle"]["payment"], "pay-2");
    assert_eq!(error["settle"]["command"], "multicard settle confirm-payment --payment pay-2");
    assert!(error["advice"].as_str().unwrap().contains("do not send it again"), "{error}");
}

/// A body of several shapes that fits none names the closest shape, the
/// path and the expected type, never the value.
#[test]
fn a_body_of_several_shapes_names_the_closest_ones_path_and_type() {
    let cases = [
        (
            r#"{"card": {"pan": 8600533364098829, "expiry": "2806"}, "amount": 5000, "store_id": 6, "invoice_id": "o-1"}"#,
            "`PaymentByCardRequest`: at `card.pan`: invalid type: a integer, expected a string",
        ),
        (
            r#"{"card": {"token": 5}, "amount": 5000, "store_id": 6, "invoice_id": "o-1"}"#,
            "`PaymentByTokenRequest`: at `card.token`: invalid type: a integer, expected a string",
        ),
    ];
    for (body, expected) in cases {
        let output = multicard("http://127.0.0.1:9", &["payment", "create", "-y", "--body", body], None);
        let text = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{text}");
        assert!(text.contains(expected), "{text}");
        assert!(!text.contains("untagged") && !text.contains("8600533364098829"), "{text}");
    }
}
