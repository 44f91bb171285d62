//! The `multicard` binary against a local sandbox: one operation of every
//! group, JSON output decoded back into the SDK's types, and the exit codes.

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use multicard_api::types;
use multicard_sandbox::{APPLICATION_ID, Fault, SECRET, Sandbox, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP};
use serde_json::json;
use support::{envelope, error_object, multicard, paid_payment, run};

fn ok<T: serde::de::DeserializeOwned>(output: &Output) -> T {
    assert_eq!(output.status.code(), Some(0), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_operation_of_every_group_decodes_into_the_sdk_types() {
    let sandbox = Sandbox::start().await.unwrap();
    // Its rows are stamped ten minutes back: an export (`--all`) reads a
    // window that closed a minute ago, and they must fall inside it.
    sandbox.set_clock_offset(chrono::TimeDelta::minutes(-10));
    let url = sandbox.url().to_string();
    let j = ["--output", "json"];

    let auth = json!({"application_id": APPLICATION_ID, "secret": SECRET}).to_string();
    let token: types::AuthToken =
        ok(&run(&url, &[&j[..], &["auth", "get-token", "--yes", "--body", &auth]].concat()).await);
    assert!(!token.token.is_empty());

    let _application: types::Application = ok(&run(&url, &[&j[..], &["application", "get"]].concat()).await);

    let ofd = json!([{"qty": 1, "price": 150000, "mxik": "06401004002000000", "total": 150000, "package_code": "1506113", "name": "Shoes"}]);
    let invoice = json!({"store_id": 6, "amount": 150000, "invoice_id": "cli-1", "callback_url": "https://example.invalid/cb", "ofd": ofd}).to_string();
    let invoice: types::Invoice =
        ok(&run(&url, &[&j[..], &["invoice", "create", "-y", "--body", &invoice]].concat()).await);
    let invoice_uuid = invoice.uuid.clone().expect("an invoice uuid");
    let read: types::Invoice = ok(&run(&url, &[&j[..], &["invoice", "get", "--uuid", &invoice_uuid]].concat()).await);
    assert_eq!(read.uuid, invoice.uuid);

    let card = json!({"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY, "user_phone": "998901234567"}).to_string();
    let draft: types::BoundCard =
        ok(&run(&url, &[&j[..], &["card", "add", "-y", "--reveal", "--body", &card]].concat()).await);
    let otp = json!({"otp": TEST_OTP}).to_string();
    let card: types::BoundCard = ok(&run(
        &url,
        &[&j[..], &["card", "confirm", "-y", "--reveal", "--card-token", &draft.card_token, "--body", &otp]].concat(),
    )
    .await);

    let pay =
        json!({"card": {"token": card.card_token}, "amount": 150000, "store_id": 6, "invoice_id": "cli-2", "ofd": ofd})
            .to_string();
    let created: types::PaymentModel =
        ok(&run(&url, &[&j[..], &["payment", "create", "-y", "--body", &pay]].concat()).await);
    let paid: types::PaymentModel =
        ok(&run(&url, &[&j[..], &["payment", "confirm", "-y", "--uuid", &created.uuid, "--body", "{}"]].concat())
            .await);
    assert_eq!(paid.uuid, created.uuid);

    let refund = json!({"refund_amount": 50000, "ofd": [{"qty": 1, "price": 50000, "mxik": "06401004002000000", "total": 50000, "package_code": "1506113", "name": "Shoes"}]}).to_string();
    let refunded: types::PaymentModel = ok(&run(
        &url,
        &[&j[..], &["refund", "partial-payment", "-y", "--uuid", &created.uuid, "--body", &refund]].concat(),
    )
    .await);
    assert_eq!(refunded.uuid, created.uuid);

    let hold = json!({"card": {"token": card.card_token}, "amount": 50000, "store_id": 6, "invoice_id": "cli-3", "expiry": 60}).to_string();
    let _hold: types::HoldModel = ok(&run(&url, &[&j[..], &["hold", "create", "-y", "--body", &hold]].concat()).await);

    let payout = json!({"card": {"pan": TEST_CARD_PAN}, "amount": 10000, "store_id": 6, "invoice_id": "cli-4", "confirmable": false, "device_details": {"ip": "10.1.2.3", "user_agent": "tests"}}).to_string();
    let _payout: types::Payout =
        ok(&run(&url, &[&j[..], &["payout", "create", "-y", "--body", &payout]].concat()).await);

    let now = chrono_like_now();
    let registry: types::PaymentRegistry = ok(&run(
        &url,
        &[
            &j[..],
            &[
                "registry",
                "payments",
                "--store-id",
                "6",
                "--offset",
                "0",
                "--limit",
                "10",
                "--from",
                &now.0,
                "--to",
                &now.1,
            ],
        ]
        .concat(),
    )
    .await);
    assert!(registry.pagination.total >= 1);

    // The registry as NDJSON, one page of one row at a time.
    let ndjson = run(
        &url,
        &[
            "registry",
            "payments",
            "--store-id",
            "6",
            "--offset",
            "0",
            "--limit",
            "1",
            "--from",
            &now.0,
            "--to",
            &now.1,
            "--all",
            "-o",
            "ndjson",
        ],
    )
    .await;
    assert_eq!(ndjson.status.code(), Some(0), "{}", String::from_utf8_lossy(&ndjson.stderr));
    // `--to` is a day ahead: the export closes the window and says so.
    assert!(String::from_utf8_lossy(&ndjson.stderr).contains("is not in the past"));
    let rows = String::from_utf8(ndjson.stdout).unwrap();
    assert_eq!(rows.lines().count() as i64, registry.pagination.total);
    for row in rows.lines() {
        serde_json::from_str::<types::PaymentRegistryListItem>(row).unwrap();
    }
}

/// A window around now as the registry wants it (GMT+5): a day before
/// and after, so the sandbox's payments fall inside.
fn chrono_like_now() -> (String, String) {
    let now = chrono::Utc::now();
    let text = |t| multicard_api::time::MulticardDateTime::from_utc(t).to_string();
    (text(now - chrono::Duration::days(1)), text(now + chrono::Duration::days(1)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = sandbox.url().to_string();

    // An API error: Multicard's envelope, exit 1.
    let missing = run(&url, &["payment", "get", "--uuid", "no-such-payment", "-o", "json"]).await;
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("ERROR_NOT_FOUND"));

    // A write without --yes and no terminal: refused, nothing sent, exit 6.
    let body = json!({"store_id": 6, "amount": 1000, "invoice_id": "x", "callback_url": "https://example.invalid/cb", "ofd": []}).to_string();
    let before = sandbox.requests("create_invoice");
    let refused = run(&url, &["invoice", "create", "--body", &body]).await;
    assert_eq!(refused.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("nothing was sent"));
    assert_eq!(sandbox.requests("create_invoice"), before);

    // Bad input: a body that does not decode, an unknown flag: exit 2, nothing sent.
    let bad = run(&url, &["invoice", "create", "-y", "--body", "{\"amount\": \"many\"}"]).await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("CreateInvoiceRequest"));
    assert_eq!(run(&url, &["payment", "get", "--nope"]).await.status.code(), Some(2));
    assert_eq!(sandbox.requests("create_invoice"), before);

    // Authentication failure: exit 3.
    let url_for_auth = url.clone();
    let denied = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_multicard"))
            .args(["application", "get"])
            .env("MULTICARD_APPLICATION_ID", APPLICATION_ID)
            .env("MULTICARD_SECRET", "wrong-secret")
            .env("MULTICARD_BASE_URL", url_for_auth)
            .env("MULTICARD_CONFIG", "/nonexistent")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(denied.status.code(), Some(3), "{}", String::from_utf8_lossy(&denied.stderr));

    // Transport failure: nothing listens there, exit 4.
    let closed = run("http://127.0.0.1:9", &["application", "get"]).await;
    assert_eq!(closed.status.code(), Some(4));

    // A write whose answer is lost: exit 5, and the read that settles it.
    sandbox.inject("confirm_payment", Fault::DropConnection, 1);
    let lost = run(&url, &["payment", "confirm", "-y", "--uuid", "abc-123", "--body", "{}"]).await;
    assert_eq!(lost.status.code(), Some(5), "{}", String::from_utf8_lossy(&lost.stderr));
    assert!(String::from_utf8_lossy(&lost.stderr).contains("multicard payment get --uuid abc-123"));
}

#[test]
fn sandbox_flag_and_body_from_stdin() {
    let body = json!({"store_id": 6, "amount": 1000, "invoice_id": "stdin-1", "callback_url": "https://example.invalid/cb", "ofd": []}).to_string();
    let output = multicard(
        "http://unused.invalid",
        &["--sandbox", "-o", "json", "invoice", "create", "-y", "--body", "-"],
        Some(&body),
    );
    let invoice: types::Invoice = ok(&output);
    assert!(invoice.uuid.is_some());
}

#[test]
fn completions() {
    let output = multicard("http://unused.invalid", &["completions", "bash"], None);
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("registry"));
}

/// `multicard auth get-token` takes the credentials from the configuration
/// (MULTICARD_APPLICATION_ID, MULTICARD_SECRET): the secret never has to be
/// on the command line, where `ps` and shell history keep it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_token_sends_the_configured_credentials_without_the_secret_in_argv() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = sandbox.url().to_string();
    let output =
        tokio::task::spawn_blocking(move || multicard(&url, &["-o", "json", "auth", "get-token", "--yes"], None))
            .await
            .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "get-token must work from MULTICARD_APPLICATION_ID/MULTICARD_SECRET without the secret in argv; stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Each class of error answer has its exit code: rejected 1, outcome
/// unknown 5, conflict 8, declined 9; a conflict and a decline print the
/// read that settles them, and nothing the server sent reaches the
/// terminal raw.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_follow_the_class_of_each_error_answer() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = sandbox.url().to_string();
    let stderr = |output: &Output| String::from_utf8_lossy(&output.stderr).into_owned();
    let confirm = ["payment", "confirm", "-y", "--uuid", "pay-1", "--body", r#"{"otp": "112233"}"#];

    // Rejected: a wrong OTP, nothing happened.
    sandbox.inject("confirm_payment", envelope(400, "ERROR_WRONG_OTP", "Неверный код подтверждения"), 1);
    let wrong = run(&url, &confirm).await;
    assert_eq!(wrong.status.code(), Some(1), "{}", stderr(&wrong));

    // Conflict: the hold is no longer active; the command that reads it.
    sandbox.inject("cancel_hold", envelope(403, "ERROR_PAYMENT_APPLIED", "Холд не активен"), 1);
    let inactive = run(&url, &["hold", "cancel", "-y", "--payment-uuid", "753967"]).await;
    assert_eq!(inactive.status.code(), Some(8), "{}", stderr(&inactive));
    assert!(stderr(&inactive).contains("multicard hold get --payment-uuid 753967"), "{}", stderr(&inactive));

    // Conflict: confirmed earlier, which does not mean paid.
    sandbox.inject("confirm_payment", envelope(400, "ERROR_FIELDS", "Платеж подтвержден ранее"), 1);
    let earlier = run(&url, &confirm).await;
    assert_eq!(earlier.status.code(), Some(8), "{}", stderr(&earlier));
    assert!(stderr(&earlier).contains("does NOT mean it is paid"), "{}", stderr(&earlier));
    assert!(stderr(&earlier).contains("multicard payment get --uuid pay-1"), "{}", stderr(&earlier));

    // Conflict: deleting a paid invoice; never "cancelled".
    let paid = "Транзакция по инвойсу завершена. Запросите детали платежа";
    sandbox.inject("cancel_invoice", envelope(400, "ERROR_FIELDS", paid), 1);
    let invoice = run(&url, &["invoice", "cancel", "-y", "--uuid", "inv-1"]).await;
    assert_eq!(invoice.status.code(), Some(8), "{}", stderr(&invoice));
    assert!(stderr(&invoice).contains("was NOT cancelled"), "{}", stderr(&invoice));
    assert!(stderr(&invoice).contains("multicard invoice get --uuid inv-1"), "{}", stderr(&invoice));

    // Declined: final, read to confirm.
    sandbox.inject("confirm_payment", envelope(400, "ERROR_INSUFFICIENT_FUNDS", "Недостаточно средств"), 1);
    let declined = run(&url, &confirm).await;
    assert_eq!(declined.status.code(), Some(9), "{}", stderr(&declined));
    assert!(stderr(&declined).contains("multicard payment get --uuid pay-1"), "{}", stderr(&declined));

    // A code no page lists, on a write: outcome unknown, the settling read,
    // and the control characters it carried escaped.
    sandbox.inject("confirm_payment", envelope(400, "ERROR_SOMETHING_NEW", "\u{1b}[2Jновое\u{7}"), 1);
    let unknown = run(&url, &confirm).await;
    assert_eq!(unknown.status.code(), Some(5), "{}", stderr(&unknown));
    assert!(stderr(&unknown).contains("multicard payment get --uuid pay-1"), "{}", stderr(&unknown));
    assert!(!stderr(&unknown).contains('\u{1b}') && !stderr(&unknown).contains('\u{7}'), "{:?}", stderr(&unknown));
    assert!(stderr(&unknown).contains(r"\u{1b}[2J"), "{}", stderr(&unknown));

    // The same unknown code on a read: nothing happened, exit 1.
    sandbox.inject("get_payment", envelope(400, "ERROR_SOMETHING_NEW", "новое"), 1);
    let read = run(&url, &["payment", "get", "--uuid", "pay-1", "-o", "json"]).await;
    assert_eq!(read.status.code(), Some(1), "{}", stderr(&read));
}

#[test]
fn help_lists_the_exit_codes_of_conflict_and_decline() {
    let output = multicard("http://unused.invalid", &["--help"], None);
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("8  conflict") && help.contains("9  declined"), "{help}");
}

/// A loopback server for one `multicard payout create`: it answers `/auth`
/// and `POST /payment/credit`, and hands back each body sent to the latter.
fn payout_capture() -> (String, std::sync::mpsc::Receiver<serde_json::Value>) {
    use std::io::{BufRead, BufReader, Read};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("an address"));
    let (sender, bodies) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().expect("a clone"));
            let (mut request_line, mut length) = (String::new(), 0usize);
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).is_err() || header.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':')
                    && name.eq_ignore_ascii_case("content-length")
                {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let answer = if request_line.starts_with("POST /auth ") {
                json!({"token": "tok-1", "role": "dev", "expiry": "2099-01-01 00:00:00"})
            } else if request_line.starts_with("POST /payment/credit ") {
                let _ = sender.send(serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null));
                json!({"success": true, "data": {"id": 1, "uuid": "p-1", "status": "draft", "payment_amount": 10000}})
            } else {
                json!({"success": false, "error": {"code": "ERROR_NOT_FOUND"}})
            }
            .to_string();
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                answer.len()
            );
            let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(answer.as_bytes()));
        }
    });
    (url, bodies)
}

/// A payout body without `confirmable` is sent with `"confirmable": true`:
/// Multicard pays out in one request without it, so one step takes an
/// explicit `false`. The help says so.
#[test]
fn payout_create_sends_confirmable_true_unless_the_body_says_false() {
    let (url, bodies) = payout_capture();
    let body = json!({"card": {"pan": TEST_CARD_PAN}, "amount": 10000, "store_id": 6, "invoice_id": "cli-5"});
    let output = multicard(&url, &["-o", "json", "payout", "create", "-y", "--body", &body.to_string()], None);
    let payout: types::Payout = ok(&output);
    assert_eq!(payout.status, types::PaymentStatus::Draft);
    let sent = bodies.recv_timeout(std::time::Duration::from_secs(5)).expect("a payout was sent");
    assert_eq!(sent["confirmable"], json!(true), "{sent}");

    let mut one_step = body.clone();
    one_step["confirmable"] = json!(false);
    ok::<types::Payout>(&multicard(
        &url,
        &["-o", "json", "payout", "create", "-y", "--body", &one_step.to_string()],
        None,
    ));
    let sent = bodies.recv_timeout(std::time::Duration::from_secs(5)).expect("a payout was sent");
    assert_eq!(sent["confirmable"], json!(false), "{sent}");

    let help = multicard(&url, &["payout", "create", "--help"], None);
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("A body without `confirmable` sends `\"confirmable\": true`"), "{help}");
}

/// A lost refund prints the exact `multicard settle` command (with `-o
/// json`, in the error object on stderr, as fields), never advice to send
/// it again; the
/// command settles it: a full refund read `revert` is applied, a partial
/// refund stays undetermined.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_refund_prints_its_settle_command_and_the_command_settles_it() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = sandbox.url().to_string();
    let stderr = |output: &Output| String::from_utf8_lossy(&output.stderr).into_owned();

    let uuid = paid_payment(&sandbox, 10_000, "cli-10000").await;
    sandbox.inject("partial_refund_payment", Fault::LoseAnswer, 1);
    let body = json!({"refund_amount": 4_000, "ofd": []}).to_string();
    let refund = ["refund", "partial-payment", "-y", "--uuid", &uuid, "--body", &body, "-o", "json"];
    let lost = run(&url, &refund).await;
    assert_eq!(lost.status.code(), Some(5), "{}", stderr(&lost));
    let command = format!("multicard settle partial-refund --payment {uuid} --amount 4000tiyin");
    assert!(stderr(&lost).contains(&command), "{}", stderr(&lost));
    assert!(stderr(&lost).contains("do not send it again unless a settle says `not applied`"), "{}", stderr(&lost));
    // With -o json the error is one object on stderr; stdout keeps only data.
    let error = &error_object(&lost);
    assert_eq!((error["exit"].as_u64(), error["exit_class"].as_str()), (Some(5), Some("outcome_unknown")));
    assert_eq!(error["reason"], "outcome_unknown");
    assert_eq!(error["settle"]["kind"], "partial-refund");
    assert_eq!(error["settle"]["payment"], uuid.as_str());
    assert_eq!(error["settle"]["amount"], "4000tiyin");
    assert_eq!(error["settle"]["command"], command.as_str());

    let fast = ["--within", "1", "--min-read-delay", "0", "-o", "json"];
    let settle = |args: Vec<String>| {
        let url = url.clone();
        async move { run(&url, &args.iter().map(String::as_str).collect::<Vec<_>>()).await }
    };
    let mut args: Vec<String> = command.split(' ').skip(1).map(String::from).collect();
    args.extend(fast.iter().map(|a| a.to_string()));
    let partial = settle(args).await;
    assert_eq!(partial.status.code(), Some(5), "{}", stderr(&partial));
    let verdict: serde_json::Value = serde_json::from_slice(&partial.stdout).unwrap();
    assert_eq!((verdict["verdict"].as_str(), verdict["status"].as_str()), (Some("undetermined"), Some("success")));

    let whole = paid_payment(&sandbox, 20_000, "cli-20000").await;
    sandbox.inject("refund_payment", Fault::LoseAnswer, 1);
    let lost = run(&url, &["refund", "payment", "-y", "--uuid", &whole]).await;
    assert_eq!(lost.status.code(), Some(5), "{}", stderr(&lost));
    let command = format!("multicard settle refund --payment {whole} --amount 20000tiyin");
    assert!(stderr(&lost).contains(&command), "{}", stderr(&lost));
    let mut args: Vec<String> = command.split(' ').skip(1).map(String::from).collect();
    args.extend(fast.iter().map(|a| a.to_string()));
    let applied = settle(args).await;
    assert_eq!(applied.status.code(), Some(0), "{}", stderr(&applied));
    let verdict: serde_json::Value = serde_json::from_slice(&applied.stdout).unwrap();
    assert_eq!(verdict["verdict"], "applied");
}

/// A lost create prints its settle command with the store, the invoice id
/// and the time it was sent by Multicard's clock (`--sent-at`), which the
/// settle takes: its registry window then ends a minute after it starts,
/// past a short `--within`, so it stays undetermined (exit 5), never
/// "not applied".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_create_prints_a_settle_command_with_the_time_it_was_sent() {
    let sandbox = Sandbox::start().await.unwrap();
    let url = sandbox.url().to_string();
    let stderr = |output: &Output| String::from_utf8_lossy(&output.stderr).into_owned();
    sandbox.inject("create_payment", Fault::LoseAnswer, 1);
    let pay = json!({"card": {"token": "tok"}, "amount": 5_000, "store_id": 6, "invoice_id": "cli-lost-7"}).to_string();
    let lost = run(&url, &["payment", "create", "-y", "--body", &pay, "-o", "json"]).await;
    assert_eq!(lost.status.code(), Some(5), "{}", stderr(&lost));
    let settle = &error_object(&lost)["settle"];
    assert_eq!((settle["kind"].as_str(), settle["invoice_id"].as_str()), (Some("create-payment"), Some("cli-lost-7")));
    let sent_at = settle["sent_at"].as_str().expect("the time it was sent");
    let command = settle["command"].as_str().unwrap();
    assert!(command.contains(&format!("--sent-at '{sent_at}'")), "{command}");
    assert!(stderr(&lost).contains(command), "{}", stderr(&lost));

    let again = run(
        &url,
        &[
            "settle",
            "create-payment",
            "--store-id",
            "6",
            "--invoice-id",
            "cli-lost-7",
            "--sent-at",
            sent_at,
            "--within",
            "1",
            "-o",
            "json",
        ],
    )
    .await;
    assert_eq!(again.status.code(), Some(5), "{}", stderr(&again));
    let verdict: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(verdict["verdict"], "undetermined");
    assert!(verdict["why"].as_str().unwrap().contains("registry window"), "{verdict}");
    let bad =
        run(&url, &["settle", "create-payment", "--store-id", "6", "--invoice-id", "x", "--sent-at", "yesterday"])
            .await;
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
}
