//! Accept a payment by checkout: the shop creates an invoice carrying its
//! fiscal receipt and sends the payer to the invoice's `checkout_url`; the
//! payer pays there; Multicard sends the signed success callback; the
//! shop's callback route takes it only once the API confirmed it
//! (`ConfirmedSuccess`: signature, store, invoice, amount and status all
//! checked), marks the order paid and accepts it; the payment then reads
//! `success` and the invoice reads paid (`Paid::Yes`).
//!
//! ```sh
//! cargo run -p multicard-sandbox --example checkout
//! ```
//!
//! The embedded sandbox plays Multicard and the payer
//! (`Sandbox::pay_invoice` is what the payer does on the checkout page). Its
//! clock moves only when the example moves it (`Sandbox::advance`), so the
//! callback goes out at a known step. Exits non-zero if a step fails.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::routing::post;
use axum::{Extension, Router};
use multicard_api::callbacks::axum::{CallbackState, ConfirmedSuccess};
use multicard_api::callbacks::{CallbackReply, Verifier};
use multicard_api::receipt::{Item, Receipt};
use multicard_api::{Multicard, Paid, types};
use multicard_sandbox::{STORE_ID, Sandbox};
use serde_json::json;

type Failure = Box<dyn std::error::Error>;

/// The shop's orders marked paid, by invoice id (each once).
type PaidOrders = Arc<Mutex<Vec<String>>>;

/// Runs only for a success callback the API confirmed; anything else was
/// already answered by the extractor (the payment is not cancelled).
async fn on_success(Extension(orders): Extension<PaidOrders>, success: ConfirmedSuccess) -> CallbackReply {
    let payment = &success.confirmed.current;
    let order = payment.store_invoice_id.clone().unwrap_or_default();
    let mut paid = orders.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // A repeat of an accepted callback is accepted again, changing nothing.
    if !paid.contains(&order) {
        println!("  callback: order {order} paid, {} tiyin, payment {}", payment.payment_amount, payment.uuid);
        paid.push(order);
    }
    CallbackReply::accept()
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

    // The shop's callback route: verified with the secret, confirmed with the API.
    let orders = PaidOrders::default();
    let state = CallbackState::new(Verifier::new(sandbox.secret())?, multicard.clone());
    let shop =
        Router::new().route("/multicard/success", post(on_success)).layer(Extension(orders.clone())).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let callback_url = format!("http://{}/multicard/success", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, shop).await });

    // 1. The invoice, its amount derived from its fiscal receipt.
    let receipt = Receipt::builder()
        .item(Item::new("Sneakers", "06401004002000000", "1506113", "1000sum".parse()?, 1).vat(12))
        .item(Item::new("Delivery", "10107002001000000", "1209885", "500sum".parse()?, 1))
        .build()?;
    let request: types::CreateInvoiceRequest = body(json!({
        "store_id": STORE_ID, "amount": receipt.amount(), "invoice_id": "order-1001",
        "callback_url": callback_url, "ofd": receipt.ofd(),
        "return_url": "https://shop.example/thanks", "return_error_url": "https://shop.example/failed",
    }))?;
    let invoice = multicard.send(|api| api.create_invoice().body(request.clone())).await?;
    let uuid = invoice.uuid.clone().ok_or("the invoice has no uuid")?;
    println!("1. invoice {uuid} for {}", receipt.amount());
    println!("   send the payer to {}", invoice.checkout_url.as_deref().ok_or("the invoice has no checkout_url")?);

    // 2. The payer pays on the checkout page.
    let paid = sandbox.pay_invoice(&uuid).map_err(|e| format!("the payer could not pay: {e}"))?;
    println!(
        "2. the payer paid: the payment reads {} while its success callback is out",
        paid["status"].as_str().unwrap_or("?")
    );

    // 3. The callback goes out (the sandbox's clock runs what is due now).
    sandbox.advance(Duration::ZERO).await;
    let delivered = sandbox.deliveries();
    let answer = delivered.first().and_then(|d| d.status).ok_or("no success callback was answered")?;
    println!("3. the success callback was answered HTTP {answer}");
    let marked = orders.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
    check(marked == ["order-1001"], "the order was not marked paid by a confirmed callback")?;

    // 4. The API agrees: the payment is `success`, the invoice paid.
    let read = multicard.send(|api| api.get_invoice().uuid(uuid.as_str())).await?;
    let is_paid = read.payment.is_paid();
    println!("4. the API reads the invoice's payment: paid {is_paid:?}");
    check(is_paid == Paid::Yes, "the invoice does not read paid")?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => {
            println!("checkout: done");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("checkout: FAILED: {error}");
            ExitCode::FAILURE
        }
    }
}
