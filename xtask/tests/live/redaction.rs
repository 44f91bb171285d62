//! No value of an answer leaves the run: not the secret, the token, the
//! card number (whole, grouped or masked), the phone or the amounts,
//! whatever field the server puts them in.

use multicard_sandbox::{APPLICATION_ID, SECRET, Sandbox, TEST_CARD_PAN};
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};
use xtask::live::shape::{WITHHELD_NAME, WITHHELD_VALUE};
use xtask::live::story::{AMOUNT, PHONE, REFUND};

use crate::support;

const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.Zm9yZ2VkLXNpZ25hdHVyZQ";
const CARD_TOKEN: &str = "CardTokenNeverToLeave";

/// The strings that must not appear anywhere the run writes or prints.
fn forbidden() -> Vec<String> {
    let pan = TEST_CARD_PAN;
    let mut strings: Vec<String> = vec![
        SECRET.into(),
        TOKEN.into(),
        CARD_TOKEN.into(),
        pan.into(),
        PHONE.into(),
        AMOUNT.to_string(),
        REFUND.to_string(),
        format!("{} {} {} {}", &pan[..4], &pan[4..8], &pan[8..12], &pan[12..]),
        format!("{}-{}-{}-{}", &pan[..4], &pan[4..8], &pan[8..12], &pan[12..]),
        format!("{}******{}", &pan[..6], &pan[12..]),
    ];
    strings.push("c2VjcmV0LXRva2Vu".into());
    strings
}

/// A server that echoes the secrets in every place a shape could carry
/// them: values, enum fields, error codes, field names, messages.
async fn leaking_server() -> MockServer {
    let server = MockServer::start().await;
    let pan = TEST_CARD_PAN;
    let grouped = format!("{} {} {} {}", &pan[..4], &pan[4..8], &pan[8..12], &pan[12..]);
    let leak = json!({
        "token": TOKEN, "role": SECRET, "expiry": PHONE,
        "success": true,
        "data": {
            "uuid": CARD_TOKEN, "card_token": CARD_TOKEN, "card_pan": grouped, "phone": PHONE,
            "amount": AMOUNT, "payment_amount": REFUND, "status": SECRET, "ps": pan,
            "otp_hash": null, "invoice_id": SECRET, "session_id": TOKEN,
            pan: {"nested": SECRET}, SECRET: PHONE, CARD_TOKEN: TOKEN,
            "list": [{"status": CARD_TOKEN, "payment_amount": AMOUNT, "card_pan": pan}],
        },
        "error": {"code": SECRET, "details": format!("card {pan} phone {PHONE} amount {AMOUNT}")},
    });
    Mock::given(any()).respond_with(ResponseTemplate::new(200).set_body_json(leak)).mount(&server).await;
    server
}

/// Every string value of the observation files is vocabulary: a type, a
/// presence, a body kind, the operation's id, method and path template,
/// or an enum value the spec names (or the placeholder).
fn assert_only_vocabulary(value: &Value, spec_enums: &[String]) {
    let observed: xtask::live::Observed = serde_json::from_value(value.clone()).expect("an observation file");
    for answer in observed.answers.values() {
        for (path, field) in &answer.fields {
            for segment in path.split(['.', '[', ']']).filter(|s| !s.is_empty() && *s != "$") {
                assert!(segment == WITHHELD_NAME || !segment.chars().any(|c| c.is_ascii_digit()), "{path}");
            }
            for value in &field.enum_values {
                assert!(value == WITHHELD_VALUE || spec_enums.contains(value), "{path}: {value}");
            }
        }
        for code in &answer.error_codes {
            assert!(code == WITHHELD_VALUE || spec_enums.contains(code), "{code}");
        }
    }
}

/// Every enum value the spec names anywhere.
fn spec_enums() -> Vec<String> {
    fn walk(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::Array(values)) = map.get("enum") {
                    out.extend(values.iter().filter_map(Value::as_str).map(str::to_string));
                }
                map.values().for_each(|v| walk(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(support::spec().document(), &mut out);
    out
}

fn assert_clean(report: &str, out: &std::path::Path) {
    let files = support::files(out);
    assert!(!files.is_empty());
    let enums = spec_enums();
    for forbidden in forbidden() {
        assert!(!report.contains(&forbidden), "the report shows {forbidden:?}:\n{report}");
        for (path, text) in &files {
            assert!(!text.contains(&forbidden), "{} holds {forbidden:?}", path.display());
        }
    }
    for (path, text) in &files {
        if path.ends_with(xtask::live::shape::PROBES_FILE) {
            assert_no_number(text, &path.display().to_string());
        } else {
            assert_only_vocabulary(&serde_json::from_str(text).expect("JSON"), &enums);
        }
    }
    let probes = report.split("\nProbes (").nth(1).expect("the report has a probes section");
    let probes = probes.split("\nwrote ").next().unwrap_or_default();
    assert_no_number(probes, "the report's probes");
}

/// The probes say relations and codes: no run of four digits or more (an
/// amount, an id, a time, a card number) is theirs to show.
fn assert_no_number(text: &str, place: &str) {
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_digit() { run + 1 } else { 0 };
        assert!(run < 4, "{place} shows a number:\n{text}");
    }
}

#[tokio::test]
async fn nothing_of_the_sandbox_answers_leaves_the_run() {
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let out = tempfile::tempdir().expect("a temporary folder");
    let run = support::run(&support::target(sandbox.url(), APPLICATION_ID, SECRET), out.path()).await;
    assert_clean(&run.report(), out.path());
    assert!(!run.report().contains(APPLICATION_ID));
}

#[tokio::test]
async fn secrets_echoed_in_every_field_are_withheld() {
    let server = leaking_server().await;
    let out = tempfile::tempdir().expect("a temporary folder");
    let run = support::run(&support::target(&server.uri(), APPLICATION_ID, SECRET), out.path()).await;
    let report = run.report();
    println!("{report}");
    // The walk went all the way: the echoed ids were used, never shown.
    assert!(run.observed.contains_key("partial_refund_payment"), "{report}");
    assert_clean(&report, out.path());
    // The placeholders show where something was withheld.
    let payment = std::fs::read_to_string(out.path().join("get_payment.json")).unwrap();
    assert!(payment.contains(WITHHELD_NAME) && payment.contains(WITHHELD_VALUE), "{payment}");
}
