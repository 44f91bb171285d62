//! The receipt probes (`--probe-receipts`): only when asked for; three
//! invoices, each deleted once created; `receipts.json` holds the HTTP
//! status, `success` and the error code of each, and nothing else of the
//! answers (no `details`, no uuid).

use std::path::Path;
use std::time::Duration;

use multicard_sandbox::{APPLICATION_ID, SECRET, Sandbox};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};
use xtask::live::probes::receipts::{ABOUT, CASES, ReceiptsFile};
use xtask::live::shape::RECEIPTS_FILE;
use xtask::live::{LiveRun, ProbeOptions};

use crate::support;

fn receipts_on() -> ProbeOptions {
    ProbeOptions { receipts: true, paid_after: Duration::from_millis(10), ..ProbeOptions::default() }
}

async fn run(base_url: &str, options: &ProbeOptions, out: &Path) -> LiveRun {
    let target = support::target(base_url, APPLICATION_ID, SECRET);
    xtask::live::live_check_with(&support::spec(), &target, options, out).await.expect("the live check runs")
}

/// The log lines of the receipt probes' requests.
fn receipt_requests(run: &LiveRun) -> Vec<&str> {
    let start = run.log.iter().position(|l| l == "-- probe receipts").expect("the receipt probes ran");
    run.log[start + 1..].iter().map(String::as_str).collect()
}

/// The file, read back; every string in it is the file's own words (the
/// about, the cases' descriptions and rules) or an error code.
fn read(out: &Path) -> ReceiptsFile {
    let text = std::fs::read_to_string(out.join(RECEIPTS_FILE)).expect("receipts.json written");
    assert!(text.ends_with("}\n"), "{text}");
    let value: Value = serde_json::from_str(&text).unwrap();
    let mut strings = Vec::new();
    collect_strings(&value, &mut strings);
    for string in strings {
        let own = string == ABOUT || CASES.iter().any(|c| c.request == string || c.rule == string);
        assert!(own || string.starts_with("ERROR_"), "{string} in {text}");
    }
    // Sorted: the keys of every object in order.
    let file: ReceiptsFile = serde_json::from_str(&text).unwrap();
    let names: Vec<&String> = file.cases.keys().collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let first = text.find("\"code\"").unwrap();
    let order: Vec<usize> = ["\"request\"", "\"rule\"", "\"status\"", "\"success\""]
        .iter()
        .map(|key| text[first..].find(key).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert_eq!(file.about, ABOUT);
    file
}

fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => out.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn against_the_sandbox_each_invoice_is_answered_recorded_and_deleted() {
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let out = tempfile::tempdir().unwrap();
    let run = run(sandbox.url(), &receipts_on(), out.path()).await;
    println!("{}", run.report());

    let requests = receipt_requests(&run);
    assert_eq!(requests.iter().filter(|l| l.contains("create_invoice")).count(), 3, "{requests:?}");
    assert_eq!(requests.iter().filter(|l| l.contains("cancel_invoice")).count(), 3, "{requests:?}");
    let receipts = run.receipts.as_ref().expect("asked for");
    assert_eq!(receipts.lines.len(), 3);
    assert!(receipts.lines.iter().all(|l| l.ends_with("accepted (HTTP 200); deleted")), "{:?}", receipts.lines);
    assert!(run.report().contains("Receipt probes"), "{}", run.report());

    let file = read(out.path());
    assert_eq!(file.cases.len(), 3);
    for case in CASES {
        let answer = &file.cases[case.name];
        assert_eq!((answer.status, answer.success, answer.code.as_deref()), (200, Some(true), None), "{answer:?}");
        assert_eq!(answer.rule, case.rule);
    }
    // Not an observation of an operation.
    assert_eq!(xtask::live::shape::read_all(out.path()).unwrap(), run.observed);
}

#[tokio::test]
async fn without_the_flag_nothing_is_sent_for_them() {
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let out = tempfile::tempdir().unwrap();
    let options = ProbeOptions { paid_after: Duration::from_millis(10), ..ProbeOptions::default() };
    let run = run(sandbox.url(), &options, out.path()).await;
    assert!(run.receipts.is_none());
    assert!(!run.log.iter().any(|l| l.contains("probe receipts")));
    assert!(!out.path().join(RECEIPTS_FILE).exists());
    assert!(xtask::live::parse_args(&["--probe-receipts".to_string()]).unwrap().probe_options().receipts);
    assert!(!xtask::live::parse_args(&[]).unwrap().probe_options().receipts);
}

/// Whether the request's first receipt item has `field` equal to `value`.
fn item_has(field: &'static str, value: Value) -> impl Fn(&Request) -> bool {
    move |request: &Request| {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
        body.pointer(&format!("/ofd/0/{field}")) == Some(&value)
    }
}

#[tokio::test]
async fn refusals_are_recorded_by_status_success_and_code_only() {
    let server = MockServer::start().await;
    let token = json!({"token": "a.b.c", "role": "dev", "expiry": "2030-01-01 00:00:00"});
    let refused = |status: u16| {
        ResponseTemplate::new(status).set_body_json(
            json!({"success": false, "error": {"code": "ERROR_FIELDS", "details": "Значение «mxik» неверно."}}),
        )
    };
    let created = json!({"success": true, "data": {"uuid": "inv-uuid-7f3a", "invoice_id": "x", "amount": 150000}});
    let mocks = [
        Mock::given(method("POST")).and(path("/auth")).respond_with(ResponseTemplate::new(200).set_body_json(token)),
        Mock::given(method("POST"))
            .and(path("/payment/invoice"))
            .and(item_has("mxik", json!("12345")))
            .respond_with(refused(400)),
        Mock::given(method("POST"))
            .and(path("/payment/invoice"))
            .and(item_has("qty", json!(2)))
            .respond_with(refused(200)),
        Mock::given(method("POST"))
            .and(path("/payment/invoice"))
            .respond_with(ResponseTemplate::new(200).set_body_json(created)),
        Mock::given(method("DELETE"))
            .and(path_regex("^/payment/invoice/inv-uuid-7f3a$"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": null}))),
    ];
    for mock in mocks {
        mock.mount(&server).await;
    }
    let out = tempfile::tempdir().unwrap();
    let run = run(&server.uri(), &receipts_on(), out.path()).await;
    println!("{}", run.report());

    let requests = receipt_requests(&run);
    let cancels: Vec<&&str> = requests.iter().filter(|l| l.contains("cancel_invoice")).collect();
    assert_eq!(cancels.len(), 1, "only the invoice created is deleted: {requests:?}");
    let file = read(out.path());
    let shown: Vec<(&str, u16, Option<bool>, Option<&str>)> =
        file.cases.iter().map(|(name, a)| (name.as_str(), a.status, a.success, a.code.as_deref())).collect();
    assert_eq!(
        shown,
        [
            ("item_totals_differ_from_amount", 200, Some(true), None),
            ("malformed_mxik", 400, Some(false), Some("ERROR_FIELDS")),
            ("total_is_not_price_times_qty", 200, Some(false), Some("ERROR_FIELDS")),
        ]
    );
    let text = std::fs::read_to_string(out.path().join(RECEIPTS_FILE)).unwrap();
    assert!(!text.contains("Значение") && !text.contains("inv-uuid"), "{text}");
    assert!(!run.report().contains("inv-uuid") && !run.report().contains("Значение"), "{}", run.report());
}
