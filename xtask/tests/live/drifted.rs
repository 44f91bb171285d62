//! A loopback server that answers with one drift of each kind, and the
//! exact report lines it gets.

use serde_json::{Value, json};
use wiremock::matchers::{any, method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support;

/// An answer with a JSON body.
fn answer(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

/// A server whose answers drift from the spec, one way per operation.
async fn drifting_server() -> MockServer {
    let server = MockServer::start().await;
    let mount = |verb: &str, route: &str, template: ResponseTemplate| {
        Mock::given(method(verb)).and(path_regex(format!("^{route}$"))).respond_with(template)
    };
    let token = json!({"token": "a.b.c", "role": "dev", "expiry": "2030-01-01 00:00:00"});
    let mocks = [
        Mock::given(method("POST")).and(path("/auth")).respond_with(answer(200, token)),
        // An extra field.
        mount("GET", "/payment/application", answer(200, json!({"success": true, "data": {"id": 1, "surprise": "x"}}))),
        // A missing required field (`amount`).
        mount(
            "POST",
            "/payment/invoice",
            answer(200, json!({"success": true, "data": {"uuid": "inv-1", "invoice_id": "o-1", "store_id": 6}})),
        ),
        // A wrong type (`store_id` as a string).
        mount(
            "GET",
            "/payment/invoice/[^/]+",
            answer(200, json!({"success": true, "data": {"amount": 1, "invoice_id": "o-1", "store_id": "6"}})),
        ),
        // An enum value the spec does not name.
        mount("GET", "/payment/card/check/[^/]+", answer(200, json!({"success": true, "data": {"ps": "mir"}}))),
        // A null where the spec says non-null.
        mount(
            "POST",
            "/payment/card",
            answer(200, json!({"success": true, "data": {"card_token": "card-1", "card_pan": null}})),
        ),
        // An undocumented status.
        mount(
            "PUT",
            "/payment/card/[^/]+",
            answer(418, json!({"success": false, "error": {"code": "ERROR_FIELDS", "details": "no"}})),
        ),
        // An unknown error code.
        mount(
            "GET",
            "/payment/card/[^/]+",
            answer(400, json!({"success": false, "error": {"code": "ERROR_FLUX_CAPACITOR", "details": "no"}})),
        ),
    ];
    for mock in mocks {
        mock.mount(&server).await;
    }
    // Everything else: a documented error envelope.
    let refusal = json!({"success": false, "error": {"code": "ERROR_FIELDS", "details": "no"}});
    Mock::given(any()).respond_with(answer(200, refusal)).with_priority(10).mount(&server).await;
    server
}

/// One line per kind of drift.
const EXPECTED: &[&str] = &[
    "add_card 200  data.card_pan  unexpected-null  null vs string",
    "check_card_pan 200  data.ps  unknown-enum  \"mir\" vs humo|mastercard|uzcard|visa",
    "confirm_card 418  $  undocumented-status  418 vs 200|400|423",
    "create_invoice 200  data.amount  missing-required  absent vs required",
    "get_application 200  data.surprise  extra-field  string vs absent",
    "get_card 400  error.code  unknown-error-code  \"ERROR_FLUX_CAPACITOR\" vs ErrorCode (13 named values)",
    "get_invoice 200  data.store_id  type-mismatch  string vs integer",
];

#[tokio::test]
async fn every_kind_of_drift_is_reported_as_one_line() {
    let server = drifting_server().await;
    let out = tempfile::tempdir().expect("a temporary folder");
    let run = support::run(&support::target(&server.uri(), "app", "secret"), out.path()).await;
    let report = run.report();
    println!("{report}");
    assert_eq!(support::lines(&run), EXPECTED);
    let section = format!(
        "Drift against spec/multicard.yaml (7 findings; operation status  path  kind  observed vs spec):\n{}\n",
        EXPECTED.join("\n")
    );
    assert!(report.contains(&section), "{report}");
}

#[tokio::test]
async fn regen_reads_the_observations_and_names_what_they_contradict() {
    let server = drifting_server().await;
    let out = tempfile::tempdir().expect("a temporary folder");
    support::run(&support::target(&server.uri(), "app", "secret"), out.path()).await;
    let spec = support::spec();
    let section = xtask::live::contradictions(out.path(), spec.document()).expect("the observations read");
    let expected = format!(
        "Observed traffic contradicts ({} operation(s) in {}):\n{}\n",
        std::fs::read_dir(out.path())
            .unwrap()
            .filter(|entry| entry.as_ref().unwrap().file_name() != xtask::live::shape::PROBES_FILE)
            .count(),
        out.path().display(),
        EXPECTED.join("\n")
    );
    assert_eq!(section.as_deref(), Some(expected.as_str()));
    // No folder: no section.
    assert_eq!(xtask::live::contradictions(&out.path().join("absent"), spec.document()), Ok(None));
}
