//! Registry exports through the binary against a local sandbox: columns
//! from the spec's row schema whatever the first page holds, a header for
//! an empty export, fields the spec does not know named, and the registry
//! flags' defaults (the configured store, the first page, today in GMT+5).

mod support;

use std::process::Output;

use multicard_api::time::MulticardDateTime;
use multicard_sandbox::{Fault, Sandbox, TEST_CARD_PAN};
use serde_json::json;
use support::{paid_payment, run, run_env};

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(output));
    String::from_utf8(output.stdout.clone()).expect("UTF-8")
}

/// A window a day either side of now, as `--from` and `--to` take it.
fn around_now() -> (String, String) {
    let now = chrono::Utc::now();
    let text = |t| MulticardDateTime::from_utc(t).to_string();
    (text(now - chrono::Duration::days(1)), text(now + chrono::Duration::days(1)))
}

/// The cells of one CSV line (no field here holds a comma or a quote).
fn cells(line: &str) -> Vec<&str> {
    line.split(',').collect()
}

/// `registry payments --limit 1 --all -o csv`, where only the second row
/// has a refund: its `refund_time` column is there and filled, as the
/// spec's row schema has it, though the first page had no such field; and
/// the columns are the same in every run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_export_has_the_schemas_columns_so_a_later_rows_refund_is_kept() {
    let sandbox = Sandbox::start().await.unwrap();
    // Rows stamped ten minutes back fall inside a window closed a minute ago.
    sandbox.set_clock_offset(chrono::TimeDelta::minutes(-10));
    let url = sandbox.url().to_string();
    let kept = paid_payment(&sandbox, 10_000, "export-1").await;
    let refunded = paid_payment(&sandbox, 20_000, "export-2").await;
    let client = multicard_api::Multicard::new(sandbox.config()).unwrap();
    client.send(|api| api.refund_payment().uuid(refunded.as_str())).await.expect("refunded");

    let (from, to) = around_now();
    let args = ["registry", "payments", "--store-id", "6", "--limit", "1", "--from", &from, "--to", &to, "--all"];
    let csv = stdout(&run(&url, &[&args[..], &["-o", "csv"]].concat()).await);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "a header and two rows: {csv}");
    let header = cells(lines[0]);
    assert_eq!(header.last(), Some(&"extra"), "{csv}");
    let column = |name: &str| header.iter().position(|c| *c == name).unwrap_or_else(|| panic!("{name}: {csv}"));
    let (uuid, refund_time, status) = (column("uuid"), column("refund_time"), column("status"));
    let row = |uuid_wanted: &str| {
        lines[1..].iter().map(|l| cells(l)).find(|c| c[uuid] == uuid_wanted).unwrap_or_else(|| panic!("{csv}"))
    };
    assert_eq!(row(&kept)[refund_time], "", "{csv}");
    assert!(row(&refunded)[refund_time].parse::<MulticardDateTime>().is_ok(), "the refund's time: {csv}");
    assert_eq!(row(&refunded)[status], "revert", "{csv}");
    assert_eq!(header.len(), cells(lines[1]).len(), "every row has every column: {csv}");

    // The same columns in every run, whatever the rows: the first page
    // now holds the refunded row alone.
    let only = stdout(&run(&url, &[&args[..], &["-o", "csv", "--only-status", "revert"]].concat()).await);
    assert_eq!(only.lines().next(), Some(lines[0]), "{only}");
    // The table shows the same columns.
    let table = stdout(&run(&url, &[&args[..], &["-o", "table"]].concat()).await);
    assert_eq!(table.lines().next().map(|l| l.split('\t').collect::<Vec<_>>()), Some(header.clone()), "{table}");
}

/// An export with no rows prints its header and nothing else, with and
/// without `--all`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_export_prints_just_the_header() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = sandbox.url().to_string();
    let window = ["--from", "2020-01-01 00:00:00", "--to", "2020-01-02 00:00:00"];
    let base = ["registry", "payments", "--store-id", "6", "-o", "csv"];
    for all in [&["--all"][..], &[]] {
        let csv = stdout(&run(&url, &[&base[..], &window[..], all].concat()).await);
        assert_eq!(csv.lines().count(), 1, "{csv}");
        assert!(csv.starts_with("id,uuid,status,") && csv.trim_end().ends_with(",extra"), "{csv}");
    }
}

/// A field the spec does not know is named once on stderr; the columns do
/// not change. (The SDK's row types leave its value out, so it is named
/// as such; rows that carry such fields put them in `extra`, as the
/// writer's own tests show.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_the_spec_does_not_know_is_named_and_the_columns_stay() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = sandbox.url().to_string();
    let row = |uuid: &str| json!({"uuid": uuid, "status": "success", "payment_amount": 100, "surprise_field": "x"});
    let page = json!({"success": true, "data": {"pagination": {"total": 2, "offset": 0, "limit": 100},
        "list": [row("u-1"), row("u-2")]}});
    let answer = Fault::Respond { status: 200, content_type: "application/json".into(), body: page.to_string() };
    sandbox.inject("list_payments", answer, 1);
    let output = run(&url, &["registry", "payments", "--store-id", "6", "-o", "csv"]).await;
    let csv = stdout(&output);
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.lines().next().is_some_and(|h| !h.contains("surprise") && h.ends_with(",extra")), "{csv}");
    assert_eq!(stderr(&output).matches("`surprise_field`").count(), 1, "named once: {}", stderr(&output));
}

/// Without `--store-id`, `--offset`, `--limit`, `--from` and `--to`: the
/// configured store (or exit 2 naming both ways to give one, nothing
/// sent), every page from the first, and today in GMT+5, said on stderr;
/// `--all` without `-o` on a pipe writes NDJSON.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_flags_default_to_the_configured_store_every_page_and_today() {
    let sandbox = Sandbox::start().await.unwrap();
    sandbox.set_clock_offset(chrono::TimeDelta::minutes(-2));
    let url = sandbox.url().to_string();
    let uuid = paid_payment(&sandbox, 10_000, "today-1").await;

    let before = sandbox.requests("list_payments");
    let storeless = run(&url, &["registry", "payments", "--all"]).await;
    assert_eq!(storeless.status.code(), Some(2), "{}", stderr(&storeless));
    assert!(stderr(&storeless).contains("--store-id") && stderr(&storeless).contains("MULTICARD_STORE_ID"));
    assert_eq!(sandbox.requests("list_payments"), before, "nothing was sent");

    let today = MulticardDateTime::from_utc(chrono::Utc::now()).naive_local();
    let output = run_env(&url, &["registry", "payments", "--all"], &[("MULTICARD_STORE_ID", "6")]).await;
    let rows = stdout(&output);
    let day = today.date();
    assert!(stderr(&output).contains(&format!("{day} 00:00:00 to {day} 23:59:59")), "{}", stderr(&output));
    assert!(stderr(&output).contains("a minute ago"), "the window is closed: {}", stderr(&output));
    // Payouts without --only-status: --all reads each status in turn.
    let payout = json!({"card": {"pan": TEST_CARD_PAN}, "amount": 10000, "store_id": 6, "invoice_id": "today-2",
        "confirmable": false, "device_details": {"ip": "10.1.2.3", "user_agent": "tests"}});
    let made = run(&url, &["-o", "json", "payout", "create", "-y", "--body", &payout.to_string()]).await;
    let made: serde_json::Value = serde_json::from_str(&stdout(&made)).expect("a payout");
    let env = [("MULTICARD_STORE_ID", "6")];
    let payouts = stdout(&run_env(&url, &["registry", "payouts", "--all", "-o", "ndjson"], &env).await);
    // Rows made two minutes ago are today's unless today began since.
    if today.time() > chrono::NaiveTime::from_hms_opt(0, 5, 0).unwrap() {
        let row: serde_json::Value = serde_json::from_str(rows.lines().next().unwrap_or("null")).expect("NDJSON");
        assert_eq!(row["uuid"], uuid.as_str(), "{rows}");
        assert!(payouts.lines().any(|l| l.contains(made["uuid"].as_str().unwrap())), "{payouts}");
    }
}

/// A malformed date exits 2 before anything is sent, naming the flag and
/// the format; `--only-status` takes, and lists, the status values.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_date_or_status_exits_2_before_anything_is_sent() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = sandbox.url().to_string();
    let before = sandbox.request_counts();
    for (flag, value) in [("--from", "2025-03-01"), ("--to", "yesterday"), ("--end-date", "2025-13-01 00:00:00")] {
        let output = run(&url, &["registry", "payments", "--store-id", "6", flag, value]).await;
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        let named = if flag == "--from" { "--start-date" } else { "--end-date" };
        assert!(stderr(&output).contains(named), "{}", stderr(&output));
        assert!(stderr(&output).contains("YYYY-MM-DD HH:MM:SS"), "{}", stderr(&output));
    }
    let status = run(&url, &["registry", "payouts", "--store-id", "6", "--only-status", "paid"]).await;
    assert_eq!(status.status.code(), Some(2), "{}", stderr(&status));
    // One page of payouts is one status's listing: it needs one (--all reads each).
    let one_page = run(&url, &["registry", "payouts", "--store-id", "6"]).await;
    assert_eq!(one_page.status.code(), Some(2), "{}", stderr(&one_page));
    assert!(stderr(&one_page).contains("--only-status"), "{}", stderr(&one_page));
    assert_eq!(sandbox.request_counts(), before, "nothing was sent");

    let help = run(&url, &["registry", "payouts", "--help"]).await;
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("[possible values: draft, progress, billing, success, error, revert, hold]"), "{help}");
}
