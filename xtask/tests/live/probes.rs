//! The probes: against the sandbox every one measures a relation; against
//! a scripted server each verdict is the one its answers make; a probe
//! that cannot run says why; nothing of an answer leaves the run.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use multicard_sandbox::{APPLICATION_ID, SECRET, Sandbox, SandboxConfig, TEST_CARD_PAN};
use xtask::live::probes::verdict::{ABOUT, ProbesFile};
use xtask::live::probes::{NOT_MEASURED, QUESTIONS, SECOND_REFUND};
use xtask::live::shape::PROBES_FILE;
use xtask::live::story::{AMOUNT, PHONE, REFUND};
use xtask::live::{LiveRun, ProbeOptions};

use crate::scripted::{self, CARD_TOKEN, COMMISSION, Charge, EPOCH, FIRST_HOLD, Script, TOKENS, UUID_PREFIX};
use crate::support;

/// Options with a loopback callback listener and no pause (the scripted
/// server keeps its own clock).
fn listening(wait: Duration, paid_after: Duration) -> ProbeOptions {
    ProbeOptions {
        callback_listen: Some("127.0.0.1:0".parse().unwrap()),
        callback_wait: wait,
        paid_after,
        ..ProbeOptions::default()
    }
}

async fn run(base_url: &str, options: &ProbeOptions, out: &Path) -> LiveRun {
    let target = support::target(base_url, APPLICATION_ID, SECRET);
    xtask::live::live_check_with(&support::spec(), &target, options, out).await.expect("the live check runs")
}

/// Each probe's lines, by its name.
fn answers(run: &LiveRun) -> BTreeMap<String, Vec<String>> {
    run.probes.iter().map(|p| (p.probe.clone(), p.answer.clone())).collect()
}

fn lines(items: &[&str]) -> Vec<String> {
    items.iter().map(ToString::to_string).collect()
}

/// The probes, in order, in the report and in `probes.json`.
fn assert_recorded(run: &LiveRun, out: &Path) {
    let names: Vec<&str> = run.probes.iter().map(|p| p.probe.as_str()).collect();
    let expected: Vec<&str> = QUESTIONS.iter().map(|q| q.id).collect();
    assert_eq!(names, expected);
    let text = std::fs::read_to_string(out.join(PROBES_FILE)).expect("probes.json written");
    let file: ProbesFile = serde_json::from_str(&text).expect("probes.json reads");
    assert_eq!(file.about, ABOUT);
    assert_eq!(file.probes, run.probes);
    let report = run.report();
    for probe in &run.probes {
        for line in &probe.answer {
            let shown =
                report.lines().any(|l| l.strip_prefix(&probe.probe).is_some_and(|rest| rest.trim_start() == line));
            assert!(shown, "{line} not in\n{report}");
        }
    }
    // The observations still read, and `regen` still compares them.
    let observed = xtask::live::shape::read_all(out).expect("probes.json is not read as an observation");
    assert_eq!(observed, run.observed);
    xtask::live::contradictions(out, support::spec().document()).expect("regen reads the folder");
}

#[tokio::test]
async fn every_probe_measures_a_relation_against_the_sandbox() {
    // Played like production: the sandbox's clock follows the wall clock, so
    // its callbacks go out without a test moving time.
    let sandbox = Sandbox::start_with(SandboxConfig::default().with_real_time(true)).await.expect("the sandbox starts");
    let out = tempfile::tempdir().unwrap();
    let options = listening(Duration::from_secs(10), ProbeOptions::default().paid_after);
    let run = run(sandbox.url(), &options, out.path()).await;
    println!("{}", run.report());
    assert_recorded(&run, out.path());
    for probe in &run.probes {
        assert!(probe.measured, "{probe:?}");
        assert!(probe.answer.iter().all(|line| !line.contains(NOT_MEASURED)), "{probe:?}");
    }
    // What the sandbox does, as its code says.
    let answers = answers(&run);
    assert_eq!(
        answers["callback_amount"][0],
        "equal to payment_amount and to total_amount, which are equal (no commission): undecidable"
    );
    assert_eq!(answers["partial_refunds"][0], "status success→success→success");
    assert!(
        answers["partial_refunds"].contains(&"refund_time: first refund null→string; second refund unchanged".into())
            || answers["partial_refunds"]
                .contains(&"refund_time: first refund null→string; second refund changed".into())
    );
    assert!(answers["partial_refunds"].last().unwrap().contains("payment_amount"), "{answers:?}");
    assert_eq!(
        answers["duplicate_invoice_id"],
        lines(&[
            "invoice: a second create with the same invoice_id is accepted: another one (another uuid)",
            "payment (the first left a draft, neither confirmed): a second create with the same invoice_id is \
             accepted: another one (another uuid)",
        ])
    );
    assert_eq!(
        answers["registry_date_filter"],
        lines(&[
            "filters on the creation time (added_on), not payment_time",
            "a draft payment (created, never confirmed): listed, status draft",
            "an unpaid invoice: not listed",
        ])
    );
    assert_eq!(
        answers["hold_statuses"],
        lines(&[
            "after a charge (created→confirmed→charged): hold draft→active→success; its payment draft→draft→success",
            "after a cancel (created→cancelled, never confirmed): hold draft→canceled; its payment draft→error",
        ])
    );
    assert_eq!(
        answers["token_rotation"],
        lines(&["older token still valid after a new /auth (get_application accepted it)"])
    );
    // The sandbox delivered the success callback to the listener, once.
    let delivered = sandbox.deliveries();
    assert_eq!(delivered.iter().filter(|d| d.kind == "success" && d.status == Some(200)).count(), 1, "{delivered:?}");
}

#[tokio::test]
async fn scripted_answers_give_the_verdicts_they_script() {
    let server = scripted::server(Script::default()).await;
    let out = tempfile::tempdir().unwrap();
    let run = run(&server.uri(), &listening(Duration::from_secs(10), Duration::ZERO), out.path()).await;
    println!("{}", run.report());
    assert_recorded(&run, out.path());
    let expected: BTreeMap<String, Vec<String>> = [
        (
            "callback_amount",
            lines(&[
                "equal to total_amount, not payment_amount",
                "the callback's amount is a JSON integer",
                "the callback's uuid is the payment's uuid",
                "1 status webhook(s) came for the payment too",
            ]),
        ),
        (
            "partial_refunds",
            lines(&[
                "status success→success→success",
                "refund_time: first refund appeared (string); second refund changed",
                "refunded_amount: first refund appeared, equal to the refund = the refunds so far; second refund up by \
             the refund",
                "unchanged: added_on, card_pan, card_token, commission_amount, otp_hash, payment_amount, payment_time, \
             store_id, store_invoice_id, total_amount, uuid",
            ]),
        ),
        (
            "duplicate_invoice_id",
            lines(&[
                "invoice: a second create with the same invoice_id is refused with ERROR_FIELDS (HTTP 400)",
                "payment (the first left a draft, neither confirmed): a second create with the same invoice_id is \
             accepted: the same one (same uuid)",
            ]),
        ),
        (
            "registry_date_filter",
            lines(&[
                "filters on payment_time, not the creation time (added_on)",
                "a draft payment (created, never confirmed): not listed",
                "an unpaid invoice: not listed",
            ]),
        ),
        (
            "hold_statuses",
            lines(&[
                "after a charge (created→confirmed→charged): hold draft→active→active; its payment draft→draft→success",
                "after a cancel (created→cancelled, never confirmed): hold draft→canceled; its payment draft→revert",
            ]),
        ),
        (
            "token_rotation",
            lines(&["older token refused after a new /auth: get_application answered HTTP 401 without a JSON body"]),
        ),
    ]
    .into_iter()
    .map(|(name, lines)| (name.to_string(), lines))
    .collect();
    assert_eq!(answers(&run), expected);
    assert!(run.probes.iter().all(|p| p.measured));
}

/// Every value the scripted server sends or the run sends it.
fn scripted_values() -> Vec<String> {
    let mut values: Vec<String> = vec![
        SECRET.into(),
        TEST_CARD_PAN.into(),
        PHONE.into(),
        CARD_TOKEN.into(),
        UUID_PREFIX.into(),
        EPOCH[..10].into(),
        FIRST_HOLD.to_string(),
        (FIRST_HOLD + 1).to_string(),
        AMOUNT.to_string(),
        (AMOUNT + COMMISSION).to_string(),
        COMMISSION.to_string(),
        REFUND.to_string(),
        SECOND_REFUND.to_string(),
        (REFUND + SECOND_REFUND).to_string(),
        "860053******8829".into(),
        "live-check-1".into(),
    ];
    values.extend(TOKENS.iter().map(ToString::to_string));
    values.extend(TOKENS.iter().flat_map(|t| t.split('.')).map(ToString::to_string));
    values
}

#[tokio::test]
async fn no_value_of_the_scripted_answers_reaches_the_report_or_the_files() {
    let server = scripted::server(Script::default()).await;
    let out = tempfile::tempdir().unwrap();
    let run = run(&server.uri(), &listening(Duration::from_secs(10), Duration::ZERO), out.path()).await;
    let report = run.report();
    let files = support::files(out.path());
    for value in scripted_values() {
        assert!(!report.contains(&value), "the report shows {value:?}:\n{report}");
        for (path, text) in &files {
            assert!(!text.contains(&value), "{} holds {value:?}", path.display());
        }
    }
    let probes = std::fs::read_to_string(out.path().join(PROBES_FILE)).unwrap();
    for text in [probes.as_str(), report.split("\nProbes (").nth(1).unwrap().split("\nwrote ").next().unwrap()] {
        let mut run = 0;
        for c in text.chars() {
            run = if c.is_ascii_digit() { run + 1 } else { 0 };
            assert!(run < 4, "a number in the probes:\n{text}");
        }
    }
}

#[tokio::test]
async fn probes_that_cannot_run_say_not_measured_and_why() {
    let server = scripted::server(Script { refuse_payments: true, ..Script::default() }).await;
    let out = tempfile::tempdir().unwrap();
    let run =
        run(&server.uri(), &ProbeOptions { paid_after: Duration::ZERO, ..ProbeOptions::default() }, out.path()).await;
    println!("{}", run.report());
    assert_recorded(&run, out.path());
    let refused = "create_payment refused with ERROR_CARD_NOT_FOUND (HTTP 400)";
    let answers = answers(&run);
    assert_eq!(answers["callback_amount"], [format!("{NOT_MEASURED}{}", xtask::live::probes::NO_CALLBACK_URL)]);
    assert_eq!(answers["partial_refunds"], [format!("{NOT_MEASURED}{refused}")]);
    assert_eq!(answers["registry_date_filter"], [format!("{NOT_MEASURED}{refused}")]);
    assert_eq!(
        answers["duplicate_invoice_id"][1],
        format!("payment (the first left a draft, neither confirmed): {NOT_MEASURED}{refused}")
    );
    let measured: Vec<(&str, bool)> = run.probes.iter().map(|p| (p.probe.as_str(), p.measured)).collect();
    assert_eq!(
        measured,
        [
            ("callback_amount", false),
            ("partial_refunds", false),
            ("duplicate_invoice_id", true),
            ("registry_date_filter", false),
            ("hold_statuses", true),
            ("token_rotation", true),
        ]
    );
}

#[tokio::test]
async fn a_callback_that_never_comes_is_not_measured() {
    let server = scripted::server(Script { callbacks: false, ..Script::default() }).await;
    let out = tempfile::tempdir().unwrap();
    let run = run(&server.uri(), &listening(Duration::from_millis(300), Duration::ZERO), out.path()).await;
    assert_eq!(
        answers(&run)["callback_amount"],
        [format!(
            "{NOT_MEASURED}no success callback within 0.3 s (0 status webhook(s) for the payment, 0 other request(s) \
             to the listener)"
        )]
    );
}

#[tokio::test]
async fn without_a_token_no_probe_sends_anything() {
    let server = wiremock::MockServer::start().await;
    let out = tempfile::tempdir().unwrap();
    let run = run(&server.uri(), &ProbeOptions::default(), out.path()).await;
    assert!(run.probes.iter().all(|p| p.answer == [format!("{NOT_MEASURED}no token: the walk stopped at /auth")]));
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "only /auth was sent");
}

/// The hold cancels the scripted server received for the probe's hold (the
/// walk's is the first).
async fn probe_hold_cancels(server: &wiremock::MockServer) -> usize {
    let path = format!("/payment/hold/{}", FIRST_HOLD + 1);
    let requests = server.received_requests().await.unwrap();
    requests.iter().filter(|r| r.method.as_str() == "DELETE" && r.url.path() == path).count()
}

#[tokio::test]
async fn a_charge_whose_outcome_is_unknown_is_read_never_cancelled_nor_resent() {
    let server = scripted::server(Script { charge: Charge::ChargedUnknown, ..Script::default() }).await;
    let out = tempfile::tempdir().unwrap();
    let run =
        run(&server.uri(), &ProbeOptions { paid_after: Duration::ZERO, ..ProbeOptions::default() }, out.path()).await;
    assert_eq!(
        answers(&run)["hold_statuses"][0],
        "after a charge (created→confirmed→charged): hold draft→active→active; its payment draft→draft→success \
         (charge_hold refused with ERROR_DEBIT_UNKNOWN (HTTP 400): outcome unknown, read afterwards)"
    );
    assert_eq!(probe_hold_cancels(&server).await, 0);
    let charges = server.received_requests().await.unwrap();
    assert_eq!(charges.iter().filter(|r| r.url.path().ends_with("/charge")).count(), 1);
}

#[tokio::test]
async fn a_refused_charge_cancels_the_hold_so_nothing_stays_blocked() {
    let server = scripted::server(Script { charge: Charge::Refused, ..Script::default() }).await;
    let out = tempfile::tempdir().unwrap();
    let run =
        run(&server.uri(), &ProbeOptions { paid_after: Duration::ZERO, ..ProbeOptions::default() }, out.path()).await;
    assert_eq!(
        answers(&run)["hold_statuses"][0],
        format!(
            "after a charge (created→confirmed→charged): {NOT_MEASURED}charge_hold refused with \
             ERROR_INSUFFICIENT_FUNDS (HTTP 400) (the hold was cancelled)"
        )
    );
    assert_eq!(probe_hold_cancels(&server).await, 1);
}
