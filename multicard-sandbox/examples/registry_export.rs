//! Export a registry: every payment of a store over a closed window,
//! written out as CSV, read with `Multicard::payment_registry` (a `Stream`
//! that requests page after page and holds one page at a time;
//! `multicard_api::registry`). `payout_registry` reads payouts the same way.
//!
//! - The window must be closed, its end in the past (by this machine's
//!   clock): rows still arriving would shift the pages.
//!   `RegistryWindow::until_a_minute_ago` closes one a minute back.
//! - A page that fails ends the stream with the error; the report says
//!   where (`RegistryReport::position`), and a new read resumes there
//!   (`RegistryQuery::resume_from`): nothing is read twice or skipped.
//! - The report also says whether rows arrived during the read
//!   (`total_changed`) and how many repeats were left out.
//!
//! ```sh
//! cargo run -p multicard-sandbox --example registry_export
//! ```
//!
//! Runs against the embedded sandbox, which stamps what it records ten
//! minutes back (`Sandbox::set_clock_offset`), as if the payments were made
//! ten minutes ago: a window closed a minute ago holds them. Exits non-zero
//! if a step fails.

use chrono::{TimeDelta, Utc};
use futures_util::StreamExt;
use multicard_api::Multicard;
use multicard_api::money::Tiyin;
use multicard_api::receipt::{Item, Receipt};
use multicard_api::registry::{RegistryQuery, RegistryWindow};
use multicard_api::time::MulticardDateTime;
use multicard_api::types::{self, PaymentRegistryListItem};
use multicard_sandbox::{Fault, STORE_ID, Sandbox, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP};
use serde_json::json;
use std::process::ExitCode;

type Failure = Box<dyn std::error::Error>;

fn body<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, Failure> {
    Ok(serde_json::from_value(value)?)
}

/// Stops the example with `what` unless `holds`.
fn check(holds: bool, what: &str) -> Result<(), Failure> {
    if holds { Ok(()) } else { Err(what.into()) }
}

/// One CSV line of a row.
fn csv(row: &PaymentRegistryListItem) -> String {
    let time = row.payment_time.map(|t| t.to_string()).unwrap_or_default();
    let order = row.store_invoice_id.as_deref().unwrap_or_default();
    format!("{},{order},{},{},{time}", row.uuid, row.status, row.payment_amount)
}

/// Pays `amount` for `order` with card `token`.
async fn pay(multicard: &Multicard, token: &str, amount: Tiyin, order: &str) -> Result<(), Failure> {
    let receipt =
        Receipt::builder().item(Item::new("Coffee beans, 1 kg", "06401004002000000", "1506113", amount, 1)).build()?;
    let request: types::CreatePaymentRequest = body(json!({"card": {"token": token}, "amount": receipt.amount(),
        "store_id": STORE_ID, "invoice_id": order, "ofd": receipt.ofd()}))?;
    let created = multicard.send(|api| api.create_payment().body(request.clone())).await?;
    let confirm: types::ConfirmPaymentRequest = body(json!({}))?;
    multicard.send(|api| api.confirm_payment().uuid(created.uuid.as_str()).body(confirm.clone())).await?;
    Ok(())
}

async fn run() -> Result<(), Failure> {
    let sandbox = Sandbox::start().await?;
    let multicard = Multicard::new(sandbox.config())?;
    let add: types::AddCardRequest =
        body(json!({"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY, "user_phone": "998901234567"}))?;
    let draft = multicard.send(|api| api.add_card().body(add.clone())).await?;
    let otp: types::ConfirmCardRequest = body(json!({"otp": TEST_OTP}))?;
    let card = multicard.send(|api| api.confirm_card().card_token(draft.card_token.as_str()).body(otp.clone())).await?;

    // Five payments, made "ten minutes ago"; the export reads the last hour.
    sandbox.set_clock_offset(TimeDelta::minutes(-10));
    for n in 1..=5 {
        pay(&multicard, &card.card_token, Tiyin::from_sum(90_000 + 1_000 * n)?, &format!("order-{n}")).await?;
    }
    let start = MulticardDateTime::from_utc(Utc::now() - TimeDelta::hours(1));
    let window = RegistryWindow::until_a_minute_ago(start);
    println!("store {STORE_ID}, {} to {} (GMT+5), two rows a page", window.start, window.end);
    let query = RegistryQuery::new(STORE_ID.to_string(), window).page_size(2);

    // The read fails at its second page (the mesh in front answers 403)...
    println!("uuid,invoice_id,status,amount_tiyin,payment_time");
    let mut exported = Vec::new();
    let mut rows = multicard.payment_registry(query.clone());
    while let Some(row) = rows.next().await {
        match row {
            Ok(row) => {
                println!("{}", csv(&row.item));
                exported.push(row.item.uuid);
                if exported.len() == 2 {
                    sandbox.inject("list_payments", Fault::RbacDenied, 1);
                }
            }
            Err(error) => eprintln!("the read stopped: {error}"),
        }
    }
    let stopped = rows.report();
    check(!stopped.complete, "the read should have stopped at the fault")?;
    println!("# stopped after {} rows; resuming at offset {}", stopped.rows, stopped.position.offset);

    // ... and resumes where it stopped.
    let mut rows = multicard.payment_registry(query.resume_from(stopped.position));
    while let Some(row) = rows.next().await {
        let row = row?;
        println!("{}", csv(&row.item));
        exported.push(row.item.uuid);
    }
    let report = rows.report();
    println!(
        "# {} rows in {} pages; complete {}, rows arrived during the read: {}, repeats left out: {}",
        exported.len(),
        stopped.requests + report.requests,
        report.complete,
        report.total_changed(),
        report.duplicates
    );
    exported.sort();
    exported.dedup();
    check(report.complete && exported.len() == 5, "the export does not hold the five payments once each")?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => {
            println!("registry_export: done");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("registry_export: FAILED: {error}");
            ExitCode::FAILURE
        }
    }
}
