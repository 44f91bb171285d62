//! The whole payment story, step by step: authenticate, create an invoice,
//! bind the test card with its OTP, pay by card token (no OTP: production
//! confirms a token payment with `{}`), watch the payment move (`progress`
//! while it is debited, `billing` while its success callback is out,
//! `success` once the merchant accepted it), receive and verify the success
//! callback, read the payment (its amounts as production sends them),
//! refund part of it, list the store's payments, delete the unpaid invoice
//! (`data: []`, then it reads `cancelled`, and later
//! `ERROR_TRANS_NOT_READY`).
//!
//! The embedded sandbox runs on a clock the program moves
//! (`Sandbox::advance`): nothing happens between two steps unless a step
//! moves time on.
//!
//! ```sh
//! cargo run -p multicard-sandbox --example quickstart
//! cargo run -p multicard-sandbox --example quickstart -- --keep-running   # then open the dashboard it prints
//! ```
//!
//! With no configuration it runs against the embedded sandbox. With
//! `MULTICARD_APPLICATION_ID`, `MULTICARD_SECRET` and `MULTICARD_ENV=sandbox`
//! (or `MULTICARD_BASE_URL`) set, the same program runs against that
//! Multicard instead (`MULTICARD_STORE_ID` picks the store, default 6); the
//! callback step then needs a public `MULTICARD_CALLBACK_URL` and is skipped
//! without one.

use std::fmt::Display;
use std::future::Future;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use multicard_api::callbacks::axum::VerifiedSuccess;
use multicard_api::callbacks::{self, CallbackReply, PaymentSuccessCallback, Verifier};
use multicard_api::receipt::{Item, Receipt, Returned, remaining};
use multicard_api::time::MulticardDateTime;
use multicard_api::types;
use multicard_api::types::{ErrorCode, InvoiceStatus};
use multicard_api::{Config, Multicard};
use multicard_sandbox::{Sandbox, SandboxConfig, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP};
use serde_json::json;
use tokio::sync::mpsc;

type Failure = Box<dyn std::error::Error>;

/// Runs one step and prints it as one line: number, name, result, time.
async fn step<T, F, D>(n: u32, name: &str, work: F, describe: impl FnOnce(&T) -> D) -> Result<T, Failure>
where
    F: Future<Output = Result<T, Failure>>,
    D: Display,
{
    let started = Instant::now();
    let result = work.await;
    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
    match &result {
        Ok(value) => println!("[{n}] {name:<40} ok    {:<58} {elapsed:>8.1} ms", describe(value).to_string()),
        Err(error) => println!("[{n}] {name:<40} FAIL  {error} ({elapsed:.1} ms)"),
    }
    result
}

fn body<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, Failure> {
    Ok(serde_json::from_value(value)?)
}

/// A success callback received, with the payment's status as the API read
/// while the callback was being answered.
type Received = (PaymentSuccessCallback, String);

async fn receiver(verifier: Verifier, multicard: Multicard) -> Result<(String, mpsc::Receiver<Received>), Failure> {
    let (tx, rx) = mpsc::channel(8);
    async fn on_success(State(app): State<App>, VerifiedSuccess(callback): VerifiedSuccess) -> CallbackReply {
        // While the merchant answers, Multicard reads the payment `billing`.
        let status = match app.2.send(|api| api.get_payment().uuid(callback.uuid.as_str())).await {
            Ok(payment) => payment.status.to_string(),
            Err(error) => format!("unreadable ({error})"),
        };
        let _ = app.1.send((callback, status)).await;
        CallbackReply::accept()
    }
    #[derive(Clone)]
    struct App(Verifier, mpsc::Sender<Received>, Multicard);
    impl axum::extract::FromRef<App> for Verifier {
        fn from_ref(app: &App) -> Verifier {
            app.0.clone()
        }
    }
    let app = Router::new().route("/callback", post(on_success)).with_state(App(verifier, tx, multicard));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/callback", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, rx))
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let remote = Config::from_env().ok();
    let sandbox = match remote {
        Some(_) => None,
        // The debit takes a second of the sandbox's clock, so `progress` shows.
        None => Some(Sandbox::start_with(SandboxConfig::default().with_debit_delay(Duration::from_secs(1))).await?),
    };
    let (config, secret, target) = match (&remote, &sandbox) {
        (Some(config), _) => {
            let secret = std::env::var("MULTICARD_SECRET").unwrap_or_default();
            (config.clone(), secret, config.base_url().to_string())
        }
        (None, Some(sandbox)) => {
            (sandbox.config(), sandbox.secret().to_string(), format!("embedded sandbox {}", sandbox.url()))
        }
        (None, None) => unreachable!("one of the two is set"),
    };
    let store_id: i64 = std::env::var("MULTICARD_STORE_ID").ok().and_then(|s| s.parse().ok()).unwrap_or(6);
    println!("Multicard quickstart against {target}\n");
    let multicard = Multicard::new(config)?;
    let (local_callback, mut callbacks) = receiver(Verifier::new(secret.clone())?, multicard.clone()).await?;
    let callback_url = match (&sandbox, std::env::var("MULTICARD_CALLBACK_URL")) {
        (Some(_), _) => Some(local_callback),
        (None, Ok(url)) => Some(url),
        (None, Err(_)) => None,
    };
    let order = format!("order-{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis());
    // The fiscal receipt every invoice carries, made by the SDK's builder:
    // totals computed, codes checked, the amount derived from the items.
    let receipt = Receipt::builder()
        .item(Item::new("Sneakers", "06401004002000000", "1506113", "1000sum".parse()?, 1).vat(12))
        .item(Item::new("Delivery", "10107002001000000", "1209885", "500sum".parse()?, 1))
        .build()?;
    let ofd = receipt.ofd();

    let application = step(
        1,
        "authenticate (POST /auth) and read the application",
        async { Ok(multicard.send(|api| api.get_application()).await?) },
        |_| format!("{} /auth request; the token is cached and refreshed before expiry", multicard.auth_requests()),
    )
    .await?;
    let _ = application;

    let invoice: types::Invoice = step(
        2,
        "create an invoice",
        async {
            let request = body::<types::CreateInvoiceRequest>(json!({"store_id": store_id, "amount": receipt.amount(), "invoice_id": order,
                "callback_url": callback_url.clone().unwrap_or_else(|| "https://example.invalid/callback".into()), "ofd": ofd}))?;
            Ok(multicard.send(|api| api.create_invoice().body(request.clone())).await?)
        },
        |i| format!("{} tiyin, checkout {}", i.amount, i.checkout_url.as_deref().unwrap_or("(none)")),
    )
    .await?;

    let card: types::BoundCard = step(
        3,
        "bind the test card, confirm its OTP",
        async {
            let request = body::<types::AddCardRequest>(
                json!({"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY, "user_phone": "998901234567"}),
            )?;
            let draft = multicard.send(|api| api.add_card().body(request.clone())).await?;
            let otp = body::<types::ConfirmCardRequest>(json!({"otp": TEST_OTP}))?;
            Ok(multicard.send(|api| api.confirm_card().card_token(draft.card_token.as_str()).body(otp.clone())).await?)
        },
        |c| {
            format!(
                "{} {}, token {}",
                c.card_pan.as_deref().unwrap_or("?"),
                c.status.as_ref().map(|s| s.as_str()).unwrap_or("?"),
                c.card_token
            )
        },
    )
    .await?;

    let payment: types::PaymentModel = step(
        4,
        "pay by card token, confirm it",
        async {
            let request = body::<types::PaymentByTokenRequest>(
                json!({"card": {"token": card.card_token}, "amount": receipt.amount(),
                "store_id": store_id, "invoice_id": order, "callback_url": callback_url, "ofd": ofd}),
            )?;
            let created = multicard.send(|api| api.create_payment().body(request.clone())).await?;
            // A token payment sends no OTP (`otp_hash` null): `{}` confirms it.
            let (confirm, how) = match created.otp_hash {
                Some(_) => (json!({"otp": TEST_OTP}), "the OTP"),
                None => (json!({}), "{} (otp_hash null)"),
            };
            let confirm = body::<types::ConfirmPaymentRequest>(confirm)?;
            let paid =
                multicard.send(|api| api.confirm_payment().uuid(created.uuid.as_str()).body(confirm.clone())).await?;
            Ok((paid, how))
        },
        |(p, how)| format!("confirmed with {how}, {} tiyin, status {}", p.payment_amount, p.status),
    )
    .await?
    .0;

    if callback_url.is_some() {
        step(
            5,
            "the debit ends; receive the success callback",
            async {
                if let Some(sandbox) = &sandbox {
                    // One second on: the debit ends, the payment reads
                    // `billing` and its callback goes out, answered before
                    // `advance` returns.
                    sandbox.advance(Duration::from_secs(1)).await;
                }
                let (callback, during) =
                    tokio::time::timeout(Duration::from_secs(10), callbacks.recv()).await?.ok_or("no callback")?;
                let confirmed = callbacks::confirm_success(&multicard, &callback).await?;
                Ok((callback, during, confirmed))
            },
            |(c, during, confirmed)| {
                format!(
                    "md5 valid, {} tiyin; {during} while answered, then {} (confirmed by the API)",
                    c.amount, confirmed.current.status
                )
            },
        )
        .await?;
    } else {
        println!("[5] receive and verify the success callback  skipped: set MULTICARD_CALLBACK_URL to a public URL");
    }

    step(
        6,
        "read the payment",
        async { Ok(multicard.send(|api| api.get_payment().uuid(payment.uuid.as_str())).await?) },
        |p: &types::PaymentModel| {
            let or_unknown = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_else(|| "?".into());
            format!(
                "{} at {}: {} + {} commission = {} tiyin by {}",
                p.status,
                p.payment_time.map(|t| t.to_string()).unwrap_or_else(|| "?".into()),
                p.payment_amount,
                or_unknown(p.commission_amount),
                or_unknown(p.total_amount),
                p.ps.as_ref().map(|ps| ps.to_string()).unwrap_or_else(|| "?".into())
            )
        },
    )
    .await?;

    step(
        7,
        "refund the delivery (a partial refund with its new receipt)",
        async {
            // The new receipt lists what the payer keeps: an inference, as
            // the vendor's pages do not say (see `receipt::remaining`).
            let refund = remaining(receipt.items(), &[Returned::Units { line: 1, qty: 1 }])?;
            let request = body::<types::PartialRefundRequest>(
                json!({"refund_amount": refund.refund_amount, "ofd": refund.receipt.ofd()}),
            )?;
            Ok(multicard
                .send(|api| api.partial_refund_payment().uuid(payment.uuid.as_str()).body(request.clone()))
                .await?)
        },
        |p: &types::PaymentModel| format!("50000 of {} tiyin refunded, status {}", p.payment_amount, p.status),
    )
    .await?;

    step(
        8,
        "list the store's payments",
        async {
            let now = chrono::Utc::now();
            let start = MulticardDateTime::from_utc(now - chrono::Duration::days(1)).to_string();
            let end = MulticardDateTime::from_utc(now + chrono::Duration::minutes(5)).to_string();
            let registry = multicard
                .send(|api| {
                    api.list_payments()
                        .store_id(store_id.to_string())
                        .offset(0)
                        .limit(20)
                        .start_date(start.as_str())
                        .end_date(end.as_str())
                })
                .await?;
            Ok::<_, Failure>(registry)
        },
        |r: &types::PaymentRegistry| format!("{} payment(s) in the last day", r.pagination.total),
    )
    .await?;

    if let Some(uuid) = invoice.uuid.as_deref() {
        step(
            9,
            "delete the unpaid invoice, read it",
            async {
                let deleted = multicard.send(|api| api.cancel_invoice().uuid(uuid)).await?;
                let answer = if deleted.as_ref().is_none_or(|items| items.is_empty()) { "data []" } else { "data" };
                // Production reads a deleted invoice as `cancelled` for a while,
                // then answers ERROR_TRANS_NOT_READY: a caller handles both.
                let read = match multicard.send(|api| api.get_invoice().uuid(uuid)).await {
                    Ok(read) if read.status == Some(InvoiceStatus::Cancelled) => "reads status cancelled".to_string(),
                    Ok(read) => format!("reads status {:?}", read.status.map(|s| s.to_string())),
                    Err(e) if e.code() == Some(&ErrorCode::ErrorTransNotReady) => {
                        "reads ERROR_TRANS_NOT_READY".to_string()
                    }
                    Err(e) => return Err(e.into()),
                };
                Ok(format!("{answer}, {read}"))
            },
            |described: &String| described.clone(),
        )
        .await?;
    }

    println!("\ndone: {} /auth request(s) for the whole story", multicard.auth_requests());
    if let Some(sandbox) = sandbox {
        keep_running(sandbox).await;
    }
    Ok(())
}

/// With `--keep-running`, keeps the embedded sandbox up for a person: its
/// dashboard shows everything the story did, its checkout pages take the
/// test card, and its clock ticks once a second (it stood still between
/// the steps) until Ctrl-C. Without it, says how.
async fn keep_running(sandbox: Sandbox) {
    let dashboard = format!("{}/sandbox/", sandbox.url());
    if !std::env::args().any(|arg| arg == "--keep-running") {
        println!("(run with `-- --keep-running` to keep this sandbox and open its dashboard)");
        return;
    }
    println!("\nThe sandbox keeps running: its dashboard is {dashboard}");
    println!("(an invoice's checkout_url opens its payment page there; Ctrl-C stops it)");
    let ticking = async {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            sandbox.advance(Duration::from_secs(1)).await;
        }
    };
    tokio::select! {
        _ = ticking => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
