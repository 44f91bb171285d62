//! Amounts that say their unit, and the SDK's request checks, through the
//! `multicard` binary against a local sandbox: a bare number refused before
//! anything is sent, `1500sum` sent as 150000 tiyin, a rule the vendor's
//! pages state refused (exit 2, the rule and the field named), a rule they
//! are silent on warned about and sent, or refused with `--strict-checks`;
//! and every `--help` example that shows an amount pastes into a shell.

mod support;

use std::process::Output;

use multicard_api::money::Tiyin;
use multicard_api::types;
use multicard_sandbox::{Sandbox, TEST_CARD_PAN};
use serde_json::{Value, json};
use support::{multicard, run};

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// One receipt item of `total` tiyin, with a well-formed code.
fn item(price: i64, qty: i64, total: i64, mxik: &str) -> Value {
    json!({"qty": qty, "price": price, "mxik": mxik, "total": total, "package_code": "1506113", "name": "Shoes"})
}

/// An invoice body without its amount (given by `--amount`).
fn invoice(invoice_id: &str, ofd: Value) -> String {
    json!({"store_id": 6, "invoice_id": invoice_id, "callback_url": "https://example.invalid/cb", "ofd": ofd})
        .to_string()
}

const MXIK: &str = "06401004002000000";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amount_without_its_unit_is_refused_before_anything_is_sent() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = sandbox.url().to_string();
    let body = invoice("units-1", json!([item(150_000, 1, 150_000, MXIK)]));

    let bare = run(&url, &["invoice", "create", "-y", "--amount", "1500", "--body", &body]).await;
    assert_eq!(bare.status.code(), Some(2), "{}", stderr(&bare));
    for expected in ["--amount", "`1500` has no unit", "1500tiyin", "1500sum"] {
        assert!(stderr(&bare).contains(expected), "{expected} not in {}", stderr(&bare));
    }
    let refund =
        run(&url, &["refund", "partial-payment", "-y", "--uuid", "p-1", "--refund-amount", "400", "--body", "{}"]);
    let refund = refund.await;
    assert_eq!(refund.status.code(), Some(2), "{}", stderr(&refund));
    assert!(stderr(&refund).contains("--refund-amount: `400` has no unit"), "{}", stderr(&refund));
    let settle = run(&url, &["settle", "partial-refund", "--payment", "p-1", "--amount", "4000"]).await;
    assert_eq!(settle.status.code(), Some(2), "{}", stderr(&settle));
    assert!(stderr(&settle).contains("--amount: `4000` has no unit"), "{}", stderr(&settle));
    // Given twice (the flag and the body): which one was meant?
    let mut twice: Value = serde_json::from_str(&body).unwrap();
    twice["amount"] = json!(150_000);
    let twice = run(&url, &["invoice", "create", "-y", "--amount", "1500sum", "--body", &twice.to_string()]).await;
    assert_eq!(twice.status.code(), Some(2), "{}", stderr(&twice));
    assert!(stderr(&twice).contains("given twice"), "{}", stderr(&twice));
    assert_eq!(sandbox.request_counts().keys().filter(|op| op.as_str() != "get_token").count(), 0);
    assert_eq!(sandbox.requests("create_invoice") + sandbox.requests("partial_refund_payment"), 0);

    // `1500sum` is 150000 tiyin on the wire; the confirmation shows both units.
    let unconfirmed = run(&url, &["invoice", "create", "--amount", "1500sum", "--body", &body]).await;
    assert_eq!(unconfirmed.status.code(), Some(6), "{}", stderr(&unconfirmed));
    assert!(stderr(&unconfirmed).contains("amount 150000 tiyin (1500.00 сум)"), "{}", stderr(&unconfirmed));
    let sent = run(&url, &["-o", "json", "invoice", "create", "-y", "--amount", "1500sum", "--body", &body]).await;
    assert_eq!(sent.status.code(), Some(0), "{}", stderr(&sent));
    let created: types::Invoice = serde_json::from_slice(&sent.stdout).unwrap();
    assert_eq!(created.amount, 150_000);
    assert!(!stderr(&sent).contains("warning:"), "a consistent receipt warns of nothing: {}", stderr(&sent));
    // A body given whole stays in tiyin, as the wire is.
    let mut whole: Value = serde_json::from_str(&invoice("units-2", json!([item(150_000, 1, 150_000, MXIK)]))).unwrap();
    whole["amount"] = json!(150_000);
    let whole = run(&url, &["-o", "json", "invoice", "create", "-y", "--body", &whole.to_string()]).await;
    let created: types::Invoice = serde_json::from_slice(&whole.stdout).unwrap();
    assert_eq!(created.amount, 150_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_breaks_a_stated_rule_is_refused_naming_the_rule_and_the_field() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = sandbox.url().to_string();

    // A payout above 10 million сум (strictly: 1,000,000,001 tiyin) without `kyc_data`.
    let payout = json!({"card": {"pan": TEST_CARD_PAN}, "store_id": 6, "invoice_id": "kyc-1"}).to_string();
    let refused = run(&url, &["payout", "create", "-y", "--amount", "10000000.01sum", "--body", &payout]).await;
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    for expected in ["refused before sending, nothing was sent", "payout.kyc_above_10m_sum", "`kyc_data`"] {
        assert!(stderr(&refused).contains(expected), "{expected} not in {}", stderr(&refused));
    }
    assert!(!stderr(&refused).contains(TEST_CARD_PAN), "{}", stderr(&refused));

    // An invoice item without its product code.
    let body = invoice("mxik-1", json!([item(150_000, 1, 150_000, "")]));
    let empty = run(&url, &["invoice", "create", "-y", "--amount", "150000tiyin", "--body", &body]).await;
    assert_eq!(empty.status.code(), Some(2), "{}", stderr(&empty));
    for expected in ["ofd.item.fields", "`ofd[0].mxik`", "nothing was sent"] {
        assert!(stderr(&empty).contains(expected), "{expected} not in {}", stderr(&empty));
    }
    assert_eq!(sandbox.requests("create_payout") + sandbox.requests("create_invoice"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rule_the_pages_are_silent_on_warns_and_sends_unless_strict() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = sandbox.url().to_string();
    // The vendor's own example: an invoice of 5000 сум whose items total 275,000 сум.
    let ofd = json!([item(2_500_000, 1, 25_000_000, MXIK), item(2_500_000, 1, 2_500_000, MXIK)]);
    let body = invoice("warn-1", ofd);
    // Text on stderr (with -o json, each warning is a `{"warning": …}` line).
    let args = ["-o", "table", "invoice", "create", "-y", "--amount", "5000sum", "--body", &body];

    let warned = run(&url, &args).await;
    assert_eq!(warned.status.code(), Some(0), "{}", stderr(&warned));
    let lines: Vec<String> = stderr(&warned).lines().map(str::to_string).collect();
    let totals = lines.iter().filter(|l| l.starts_with("warning: ofd.totals_match_amount: `ofd`")).count();
    assert_eq!(totals, 1, "{lines:?}");
    let times = lines.iter().filter(|l| l.starts_with("warning: ofd.item.total_is_price_times_qty: `ofd[0].total`"));
    assert_eq!(times.count(), 1, "{lines:?}");
    assert!(lines.iter().all(|l| l.starts_with("warning: ")), "{lines:?}");
    assert_eq!(sandbox.requests("create_invoice"), 1);

    let strict = run(&url, &[&["--strict-checks"], &args[..]].concat()).await;
    assert_eq!(strict.status.code(), Some(2), "{}", stderr(&strict));
    for expected in
        ["nothing was sent", "ofd.totals_match_amount", "ofd.item.total_is_price_times_qty", "`ofd[0].total`"]
    {
        assert!(stderr(&strict).contains(expected), "{expected} not in {}", stderr(&strict));
    }
    assert!(!stderr(&strict).contains("warning:"), "{}", stderr(&strict));
    assert_eq!(sandbox.requests("create_invoice"), 1, "--strict-checks sent nothing");
}

/// The words a POSIX shell makes of `text`.
fn shell_words(text: &str) -> Vec<String> {
    let output =
        std::process::Command::new("sh").arg("-c").arg(format!("printf '%s\\n' {text}")).output().expect("sh runs");
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().lines().map(str::to_string).collect()
}

/// Every example in `--help` that shows an amount gives it with its unit,
/// and pastes into a shell as it is printed (wrapped or not): the flags,
/// then one `--body=` word of JSON.
#[test]
fn help_examples_with_amounts_paste_into_a_shell() {
    let commands: [&[&str]; 6] = [
        &["invoice", "create"],
        &["payment", "create"],
        &["refund", "partial-payment"],
        &["hold", "create"],
        &["hold", "charge"],
        &["payout", "create"],
    ];
    let mut amounts = 0;
    for command in commands {
        let output = multicard("http://unused.invalid", &[command, &["--help"]].concat(), None);
        let help = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(help.contains("amount <AMOUNT>"), "{command:?}: {help}");
        let Some((_, after)) = help.split_once("e.g.:\n") else { continue };
        let example: String = after.split("\n\n").next().unwrap().replace("\\\n", " ");
        let words = shell_words(&example);
        let body = words.last().and_then(|w| w.strip_prefix("--body=")).unwrap_or_else(|| panic!("{words:?}"));
        serde_json::from_str::<Value>(body).unwrap_or_else(|e| panic!("{command:?}: {e}: {body}"));
        for pair in words[..words.len() - 1].chunks(2) {
            assert!(pair[0].starts_with("--") && pair[1].ends_with("tiyin"), "{command:?}: {pair:?}");
            pair[1].parse::<Tiyin>().unwrap_or_else(|e| panic!("{command:?}: {e}"));
            amounts += 1;
        }
    }
    assert!(amounts >= 4, "the vendor's examples show amounts");
}
