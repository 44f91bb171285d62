//! The run against the sandbox: every step answered, the report clean.

use multicard_sandbox::{APPLICATION_ID, SECRET, Sandbox};

use crate::support;

/// The operations the walk and the probes reach, in the sandbox where every
/// step works.
const REACHED: &[&str] = &[
    "add_card",
    "cancel_hold",
    "cancel_invoice",
    "charge_hold",
    "check_card_pan",
    "confirm_card",
    "confirm_hold",
    "confirm_payment",
    "create_card_binding",
    "create_hold",
    "create_invoice",
    "create_payment",
    "get_application",
    "get_card",
    "get_card_binding",
    "get_hold",
    "get_invoice",
    "get_payment",
    "get_token",
    "list_payments",
    "list_payouts",
    "partial_refund_payment",
];

#[tokio::test]
async fn the_sandbox_walk_reaches_every_step_and_matches_the_spec() {
    let sandbox = Sandbox::start().await.expect("the sandbox starts");
    let out = tempfile::tempdir().expect("a temporary folder");
    let run = support::run(&support::target(sandbox.url(), APPLICATION_ID, SECRET), out.path()).await;
    let report = run.report();
    println!("{report}");
    for line in &run.log {
        assert!(!line.contains("skipped") && !line.contains("no answer"), "{line}");
    }
    let reached: Vec<&str> = run.observed.keys().map(String::as_str).collect();
    assert_eq!(reached, REACHED);
    // Every answer of the story was a success, and its shape is the spec's.
    for (operation, observed) in &run.observed {
        let statuses: Vec<&str> = observed.answers.keys().map(String::as_str).collect();
        assert_eq!(statuses, ["200"], "{operation}");
    }
    assert_eq!(support::lines(&run), Vec::<String>::new());
    assert!(report.contains("No drift: every answer matches spec/multicard.yaml."), "{report}");
    // One stable file per operation, named by its operationId, and the
    // probes' answers.
    let files = support::files(out.path());
    let names: Vec<String> =
        files.iter().map(|(path, _)| path.file_name().unwrap().to_string_lossy().into_owned()).collect();
    let mut expected: Vec<String> = REACHED.iter().map(|op| format!("{op}.json")).collect();
    expected.push(xtask::live::shape::PROBES_FILE.to_string());
    expected.sort();
    assert_eq!(names, expected);
    let (_, payment) = files.iter().find(|(path, _)| path.ends_with("get_payment.json")).unwrap();
    let value: serde_json::Value = serde_json::from_str(payment).unwrap();
    assert_eq!(value["path"], "/payment/{uuid}");
    assert_eq!(value["answers"]["200"]["fields"]["data.status"]["types"], serde_json::json!(["string"]));
    // Read back, the files give the same (empty) drift.
    let spec = support::spec();
    let again = xtask::live::shape::read_all(out.path()).unwrap();
    assert_eq!(again, run.observed);
    assert!(xtask::live::drift::compare(&spec, &again).is_empty());
}
