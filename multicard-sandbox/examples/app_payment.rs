//! Pay through an app: `create_payment` with a `payment_system` (`payme`,
//! `click`, `uzum`, …) instead of a card. The payment starts as a `draft`
//! whose `checkout_url` opens the payer's app; the payer confirms there (no
//! one-time code passes through the shop); Multicard sends the signed
//! success callback, which the shop's route takes only once the API
//! confirmed it (`ConfirmedSuccess`), and the payment reads `success`.
//! Until the callback, the shop does not treat the payment as paid: a
//! `draft` the payer never confirms is not paid.
//!
//! ```sh
//! cargo run -p multicard-sandbox --example app_payment
//! ```
//!
//! The embedded sandbox plays Multicard and the payer's app
//! (`Sandbox::complete_app_payment` is the payer confirming in the app);
//! its clock moves only when the example moves it (`Sandbox::advance`).
//! Exits non-zero if a step fails.

use std::process::ExitCode;
use std::time::Duration;

use axum::routing::post;
use axum::{Extension, Router};
use multicard_api::Multicard;
use multicard_api::callbacks::axum::{CallbackState, ConfirmedSuccess};
use multicard_api::callbacks::{CallbackReply, Verifier};
use multicard_api::receipt::{Item, Receipt};
use multicard_api::types::{self, AppPaymentRequestPaymentSystem, PaymentStatus};
use multicard_sandbox::{STORE_ID, Sandbox};
use serde_json::json;
use tokio::sync::mpsc;

type Failure = Box<dyn std::error::Error>;

/// Runs only for a success callback the API confirmed: hands the paid
/// order on (here: to the example; a shop marks it paid).
async fn on_success(Extension(paid): Extension<mpsc::Sender<String>>, success: ConfirmedSuccess) -> CallbackReply {
    let order = success.confirmed.current.store_invoice_id.clone().unwrap_or_default();
    match paid.send(order).await {
        Ok(()) => CallbackReply::accept(),
        // Not recorded: 500, and Multicard holds the payment, not cancels it.
        Err(_) => CallbackReply::retry_later("the order book is unavailable"),
    }
}

fn body<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, Failure> {
    Ok(serde_json::from_value(value)?)
}

/// Stops the example with `what` unless `holds`.
fn check(holds: bool, what: &str) -> Result<(), Failure> {
    if holds { Ok(()) } else { Err(what.into()) }
}

async fn run() -> Result<(), Failure> {
    let sandbox = Sandbox::start().await?;
    let multicard = Multicard::new(sandbox.config())?;

    // The shop's callback route.
    let (paid_tx, mut paid) = mpsc::channel::<String>(8);
    let state = CallbackState::new(Verifier::new(sandbox.secret())?, multicard.clone());
    let shop = Router::new().route("/multicard/success", post(on_success)).layer(Extension(paid_tx)).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let callback_url = format!("http://{}/multicard/success", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, shop).await });

    // 1. A payment in the payer's app, with its fiscal receipt.
    let receipt = Receipt::builder()
        .item(Item::new("Cinema ticket", "10399002001000000", "1509547", "65000sum".parse()?, 2).vat(12))
        .build()?;
    let request: types::CreatePaymentRequest = body(json!({
        "payment_system": AppPaymentRequestPaymentSystem::Payme, "amount": receipt.amount(), "store_id": STORE_ID,
        "invoice_id": "tickets-77", "callback_url": callback_url, "ofd": receipt.ofd(),
    }))?;
    let created = multicard.send(|api| api.create_payment().body(request.clone())).await?;
    let app_link = created.checkout_url.as_deref().ok_or("the app payment has no checkout_url")?;
    println!("1. payment {} of {}: {}", created.uuid, receipt.amount(), created.status);
    println!("   open the payer's app at {app_link}");
    check(created.status == PaymentStatus::Draft, "an app payment starts as a draft")?;

    // 2. Not paid until the payer confirms in the app.
    let read = multicard.send(|api| api.get_payment().uuid(created.uuid.as_str())).await?;
    println!("2. before the payer confirms: {} (not paid)", read.status);

    // 3. The payer confirms in the app; the success callback goes out.
    let completed =
        sandbox.complete_app_payment(&created.uuid).map_err(|e| format!("the payer could not confirm: {e}"))?;
    println!("3. the payer confirmed in the app: {}", completed["status"].as_str().unwrap_or("?"));
    sandbox.advance(Duration::ZERO).await;
    let order = tokio::time::timeout(Duration::from_secs(10), paid.recv()).await?.ok_or("no confirmed callback")?;
    println!("   confirmed callback: order {order} paid");
    check(order == "tickets-77", "the callback named another order")?;

    // 4. The API agrees.
    let read = multicard.send(|api| api.get_payment().uuid(created.uuid.as_str())).await?;
    println!("4. the payment reads {} by {}", read.status, read.ps.as_ref().map_or("?", |ps| ps.as_str()));
    check(read.status == PaymentStatus::Success, "the app payment did not succeed")?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => {
            println!("app_payment: done");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("app_payment: FAILED: {error}");
            ExitCode::FAILURE
        }
    }
}
