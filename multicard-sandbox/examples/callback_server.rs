//! A small axum server that receives Multicard's callbacks, verifies their
//! signatures, confirms them against the API, and answers them.
//!
//! ```sh
//! cargo run -p multicard-sandbox --example callback_server            # the demo
//! cargo run -p multicard-sandbox --example callback_server -- --serve  # serve on 127.0.0.1:8080
//! ```
//!
//! The demo runs with no credentials: an embedded sandbox plays Multicard,
//! on a clock the demo moves. A payer pays an invoice whose `callback_url`
//! is this server; the payment reads `billing` while the sandbox sends the
//! signed success callback, which the server confirms against the sandbox's
//! API and accepts; the payment then reads `success`. Then the demo sends
//! what Multicard or an
//! attacker could: the same callback again, the callback with digits moved
//! from `invoice_id` into `amount` (its signature is still valid; the API
//! refutes it: 403), one signed with a guessed secret and one that is not
//! JSON (both answered 500: Multicard would hold the payment, not cancel
//! it), a status webhook and a card binding.
//!
//! Answers are exactly 200 or 500 (403 only for a callback the API
//! contradicts): a proxy in front of this server must answer 500 when the
//! server cannot, never 502, 503 or 504, which make Multicard cancel the
//! payment.
//!
//! The signing secret is `MULTICARD_SECRET` when set (the demo's sandbox
//! then uses it too), the sandbox's own otherwise; an empty or blank
//! `MULTICARD_SECRET` stops the server before it starts. `--serve` needs
//! the client's variables (`MULTICARD_APPLICATION_ID`, `MULTICARD_SECRET`,
//! and `MULTICARD_ENV` or `MULTICARD_BASE_URL`): every callback is
//! confirmed against that API.

use std::collections::HashSet;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{FromRef, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use multicard_api::callbacks::axum::{ConfirmedSuccess, UnverifiedCardBinding, VerifiedWebhook};
use multicard_api::callbacks::{self, CallbackReply, Decisions, Outcome, Verifier, testing};
use multicard_api::receipt::{Item, Receipt};
use multicard_api::{Multicard, types};
use multicard_sandbox::{self as sandbox, Sandbox, SandboxConfig};
use serde_json::{Value, json};

type Failure = Box<dyn std::error::Error>;

/// The router's state: the extractors take the verifier, the client and
/// the record of decisions from it (`FromRef`).
#[derive(Clone)]
struct App {
    verifier: Verifier,
    multicard: Multicard,
    /// What was refused (never accepted afterwards), and which payments
    /// have a callback being handled (one at a time per payment).
    decisions: Decisions,
    /// Payments already accepted, by uuid: a repeat is answered success again.
    accepted: Arc<Mutex<HashSet<String>>>,
}

impl FromRef<App> for Verifier {
    fn from_ref(app: &App) -> Verifier {
        app.verifier.clone()
    }
}

impl FromRef<App> for Multicard {
    fn from_ref(app: &App) -> Multicard {
        app.multicard.clone()
    }
}

impl FromRef<App> for Decisions {
    fn from_ref(app: &App) -> Decisions {
        app.decisions.clone()
    }
}

/// Runs only for a callback whose signature checked out and whose payment
/// the API confirmed (it exists, it succeeded or is in `billing` and was
/// never refused, and store, invoice and amount agree), one delivery per
/// payment at a time. Anything else was already answered by the extractor.
/// To refuse on purpose, answer `success.refuse_and_refund(..)`, which
/// records the refusal.
async fn on_success(State(app): State<App>, success: ConfirmedSuccess) -> CallbackReply {
    let key = success.idempotency_key().to_string();
    let first = app.accepted.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).insert(key.clone());
    if !first {
        println!("  payment {key}: already accepted; accepted again, nothing changed");
        return CallbackReply::accept();
    }
    // Here: find the order by success.confirmed.current.store_invoice_id
    // and mark it paid, in the same transaction that records the key.
    let payment = &success.confirmed.current;
    let how = match success.confirmed.outcome {
        Outcome::AcceptedWhileBilling => "confirmed while the API reads `billing`",
        _ => "confirmed by the API",
    };
    println!(
        "  payment {key}: {} tiyin for order {}, {how}; accepted",
        payment.payment_amount,
        payment.store_invoice_id.as_deref().unwrap_or("?")
    );
    CallbackReply::accept()
}

/// A status webhook: its `status` is not signed, so the current status is
/// read from the API.
async fn on_webhook(State(app): State<App>, VerifiedWebhook(webhook): VerifiedWebhook) -> CallbackReply {
    match callbacks::confirm_status(&app.multicard, &webhook).await {
        Ok(confirmed) => {
            println!("  webhook says {}, the API says {}", webhook.status, confirmed.current.status);
            CallbackReply::accept()
        }
        Err(error) => {
            println!("  webhook not confirmed: {error}");
            CallbackReply::unconfirmed(&error)
        }
    }
}

/// A card binding: not signed at all, so it is read back before the card
/// token is stored.
async fn on_card(State(app): State<App>, UnverifiedCardBinding(card): UnverifiedCardBinding) -> CallbackReply {
    match callbacks::confirm_card_binding(&app.multicard, &card).await {
        Ok(confirmed) => {
            println!("  card {} bound and confirmed", confirmed.current.card_pan.as_deref().unwrap_or("?"));
            CallbackReply::accept()
        }
        Err(error) => {
            println!("  card binding not confirmed: {error}");
            CallbackReply::unconfirmed(&error)
        }
    }
}

fn router(app: App) -> Router {
    Router::new()
        .route("/multicard/success", post(on_success))
        .route("/multicard/webhook", post(on_webhook))
        .route("/multicard/card", post(on_card))
        .route("/health", get(|| async { Json(json!({"ok": true})) }))
        .with_state(app)
}

/// `MULTICARD_SECRET`, if set. A blank one is refused by `Verifier::new`.
fn secret_from_env() -> Result<Option<String>, Failure> {
    match std::env::var("MULTICARD_SECRET") {
        Ok(secret) => Ok(Some(secret)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(error) => Err(format!("MULTICARD_SECRET: {error}").into()),
    }
}

fn verifier(secret: String) -> Result<Verifier, Failure> {
    Verifier::new(secret).map_err(|error| format!("MULTICARD_SECRET: {error}; not starting").into())
}

fn parse<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, Failure> {
    Ok(serde_json::from_value(value)?)
}

async fn run() -> Result<(), Failure> {
    let serve = std::env::args().any(|a| a == "--serve");
    let secret = secret_from_env()?;
    if serve {
        let secret = secret.ok_or("--serve needs MULTICARD_SECRET (and the other MULTICARD_* variables)")?;
        let verifier = verifier(secret)?;
        let multicard = Multicard::from_env()?;
        let app = App { verifier, multicard, decisions: Decisions::new(), accepted: Arc::default() };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
        println!("callback server on http://{}", listener.local_addr()?);
        axum::serve(listener, router(app)).await?;
        return Ok(());
    }

    // The demo. The verifier is made first: a blank secret stops here.
    let secret = secret.unwrap_or_else(|| sandbox::SECRET.to_string());
    let verifier = verifier(secret.clone())?;
    let multicard_sandbox = Sandbox::start_with(SandboxConfig::default().with_secret(secret.clone())).await?;
    let multicard = Multicard::new(multicard_sandbox.config())?;
    let app = App {
        verifier: verifier.clone(),
        multicard: multicard.clone(),
        decisions: Decisions::new(),
        accepted: Arc::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    println!("callback server on {url}; Multicard played by a sandbox on {}", multicard_sandbox.url());
    tokio::spawn(async move { axum::serve(listener, router(app)).await });

    // A payer pays an invoice; the sandbox sends the success callback.
    println!("a payer pays invoice order-42 (150000 tiyin); Multicard sends the success callback:");
    let receipt = Receipt::builder()
        .item(Item::new("Sneakers", "06401004002000000", "1506113", "1500sum".parse()?, 1))
        .build()?;
    let request: types::CreateInvoiceRequest = parse(json!({
        "store_id": sandbox::STORE_ID, "amount": receipt.amount(), "invoice_id": "order-42",
        "callback_url": format!("{url}/multicard/success"), "ofd": receipt.ofd(),
    }))?;
    let invoice = multicard.send(|api| api.create_invoice().body(request.clone())).await?;
    let paid = multicard_sandbox.pay_invoice(invoice.uuid.as_deref().ok_or("the sandbox gave the invoice no uuid")?)?;
    let uuid = paid["uuid"].as_str().unwrap_or_default().to_string();
    println!("  the payment is {} while its success callback is out", paid["status"].as_str().unwrap_or("?"));
    // The sandbox's clock moves on: the callback is sent and answered.
    multicard_sandbox.advance(Duration::ZERO).await;
    let delivered = multicard_sandbox.deliveries();
    let first = delivered.first().ok_or("the sandbox sent no callback")?;
    let status = first.status.map_or("no answer".into(), |s| format!("HTTP {s}"));
    println!("  -> {status} ({})", first.outcome.as_str());
    let payment = multicard.send(|api| api.get_payment().uuid(uuid.as_str())).await?;
    println!("  the payment is now {}", payment.status);
    let genuine = first.body.clone();

    // What else could arrive at the same URL.
    let mut shifted = genuine.clone();
    shifted["invoice_id"] = json!("order-4");
    shifted["amount"] = json!(2_150_000);
    let shifted = shifted.to_string().into_bytes();
    let signature_only = if verifier.verify_success(&shifted).is_ok() { "valid" } else { "invalid" };
    let forged = testing::success_body(sandbox::STORE_ID, "order-42", 150_000, &uuid, "a guessed secret");
    let webhook = testing::webhook_body(&uuid, "order-42", 150_000, "success", &secret);
    let cases: [(String, &str, Vec<u8>); 5] = [
        ("the same callback again (a repeat)".into(), "/multicard/success", genuine.to_string().into_bytes()),
        (format!("digits moved: order-4 at 2150000 tiyin (signature {signature_only})"), "/multicard/success", shifted),
        ("signed with a guessed secret".into(), "/multicard/success", forged),
        ("not JSON".into(), "/multicard/success", b"<xml/>".to_vec()),
        ("status webhook".into(), "/multicard/webhook", webhook),
    ];
    let http = reqwest::Client::new();
    for (name, path, body) in cases {
        println!("{name}:");
        let response =
            http.post(format!("{url}{path}")).header("content-type", "application/json").body(body).send().await?;
        println!("  -> HTTP {} {}", response.status().as_u16(), response.text().await?);
    }

    // A card bound on the hosted form; the sandbox sends the (unsigned) callback.
    println!("a payer binds a card on the hosted form; Multicard sends the card-binding callback:");
    let request: types::CardBindingRequest = parse(json!({
        "redirect_url": "https://shop.example/ok", "redirect_decline_url": "https://shop.example/no",
        "store_id": sandbox::STORE_ID, "callback_url": format!("{url}/multicard/card"), "phone": "998901234567",
    }))?;
    let session = multicard.send(|api| api.create_card_binding().body(request.clone())).await?;
    multicard_sandbox.complete_card_binding(&session.session_id)?;
    multicard_sandbox.advance(Duration::ZERO).await;
    let delivered = multicard_sandbox.deliveries();
    let status = delivered.get(1).and_then(|d| d.status).map_or("no answer".into(), |s| format!("HTTP {s}"));
    println!("  -> {status}");

    let payment = multicard.send(|api| api.get_payment().uuid(uuid.as_str())).await?;
    println!("the payment is {} (accepted once, never cancelled by a forgery)", payment.status);
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("callback_server: {error}");
            ExitCode::FAILURE
        }
    }
}
