//! Hold and charge: block funds on a bound card, then charge what the
//! final bill comes to (at most what is held), or release the hold.
//!
//! - `create_hold` blocks an amount for `expiry` minutes and sends the
//!   payer a one-time code; `confirm_hold` with the code makes it `active`;
//! - `charge_hold` takes the final amount, with its fiscal receipt: the
//!   hold reads `success` and carries the payment;
//! - `cancel_hold` releases a hold not charged: `canceled`;
//! - a hold left alone lapses at its expiry. The SDK refuses to charge a
//!   hold with less than two minutes left by Multicard's clock
//!   (`CHARGE_MIN_TIME_LEFT`), before sending: the charge could land after
//!   the funds were released.
//!
//! Holds are addressed by the integer `id` `create_hold` answers.
//!
//! ```sh
//! cargo run -p multicard-sandbox --example hold
//! ```
//!
//! Runs against the embedded sandbox; its clock moves only when the
//! example moves it (`Sandbox::advance`). Exits non-zero if a step fails.

use std::process::ExitCode;
use std::time::Duration;

use multicard_api::error::NotSentReason;
use multicard_api::money::Tiyin;
use multicard_api::receipt::{Item, Receipt};
use multicard_api::types::{self, HoldStatus, PaymentStatus};
use multicard_api::{Error, Multicard};
use multicard_sandbox::{STORE_ID, Sandbox, SandboxConfig, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP};
use serde_json::json;

type Failure = Box<dyn std::error::Error>;

fn body<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, Failure> {
    Ok(serde_json::from_value(value)?)
}

/// Stops the example with `what` unless `holds`.
fn check(holds: bool, what: &str) -> Result<(), Failure> {
    if holds { Ok(()) } else { Err(what.into()) }
}

/// An active hold of `amount` on card `token` for `minutes`; its id.
async fn active_hold(
    multicard: &Multicard,
    token: &str,
    amount: Tiyin,
    order: &str,
    minutes: i64,
) -> Result<String, Failure> {
    let request: types::CreateHoldRequest = body(json!({
        "card": {"token": token}, "amount": amount, "store_id": STORE_ID, "invoice_id": order, "expiry": minutes,
    }))?;
    let hold = multicard.send(|api| api.create_hold().body(request.clone())).await?;
    let id = hold.id.to_string();
    let otp: types::ConfirmHoldRequest = body(json!({"otp": TEST_OTP}))?;
    let active = multicard.send(|api| api.confirm_hold().payment_uuid(id.as_str()).body(otp.clone())).await?;
    check(active.status == HoldStatus::Active, "the code did not activate the hold")?;
    Ok(id)
}

async fn run() -> Result<(), Failure> {
    // Each hold sends the payer a code. Multicard allows a card only a few
    // codes in a few minutes (the sandbox: 3 in 5 minutes, then
    // `ERROR_SMS_TO_MANY`); this example sends four, so it allows more.
    let sandbox = Sandbox::start_with(SandboxConfig::default().with_otp_sms_limit(10)).await?;
    let multicard = Multicard::new(sandbox.config())?;
    let add: types::AddCardRequest =
        body(json!({"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY, "user_phone": "998901234567"}))?;
    let draft = multicard.send(|api| api.add_card().body(add.clone())).await?;
    let otp: types::ConfirmCardRequest = body(json!({"otp": TEST_OTP}))?;
    let card = multicard.send(|api| api.confirm_card().card_token(draft.card_token.as_str()).body(otp.clone())).await?;
    let token = card.card_token.as_str();

    // 1. Block a deposit for an hour, confirmed with the payer's code.
    let deposit = Tiyin::from_sum(500_000)?;
    let id = active_hold(&multicard, token, deposit, "rental-1", 60).await?;
    println!("1. hold {id}: {deposit} blocked for 60 minutes, active");

    // 2. Charge the final bill, less than the deposit, with its receipt.
    let bill = Receipt::builder()
        .item(Item::new("Car rental, 1 day", "10112006002000000", "1501471", "350000sum".parse()?, 1).vat(12))
        .item(Item::new("Fuel refill", "10112006002000000", "1501471", "42000sum".parse()?, 1).vat(12))
        .build()?;
    let charge: types::ChargeHoldRequest = body(json!({"amount": bill.amount(), "ofd": bill.ofd()}))?;
    let payment = multicard.send(|api| api.charge_hold().payment_uuid(id.as_str()).body(charge.clone())).await?;
    println!("2. charged {} of the deposit: payment {} {}", bill.amount(), payment.uuid, payment.status);
    check(payment.status == PaymentStatus::Success, "the charge did not succeed")?;
    let read = multicard.send(|api| api.get_hold().payment_uuid(id.as_str())).await?;
    println!("   the hold reads {}", read.status);
    check(read.status == HoldStatus::Success, "a charged hold reads success")?;

    // 3. Another hold, released without a charge.
    let id = active_hold(&multicard, token, Tiyin::from_sum(200_000)?, "rental-2", 60).await?;
    let released = multicard.send(|api| api.cancel_hold().payment_uuid(id.as_str())).await?;
    println!("3. hold {id} released: {}", released.status);
    check(released.status == HoldStatus::Canceled, "a released hold reads canceled")?;

    // 4. A hold for five minutes, charged too late.
    let id = active_hold(&multicard, token, deposit, "rental-3", 5).await?;
    sandbox.advance(Duration::from_secs(4 * 60)).await;
    let sent = sandbox.requests("charge_hold");
    match multicard.send(|api| api.charge_hold().payment_uuid(id.as_str()).body(charge.clone())).await {
        Err(error @ Error::NotSent { reason: NotSentReason::HoldExpiresSoon { .. }, .. }) => {
            println!("4. four minutes later, not sent: {error}")
        }
        Err(error) => return Err(error.into()),
        Ok(_) => return Err("a hold about to lapse was charged".into()),
    }
    check(sandbox.requests("charge_hold") == sent, "the refused charge reached Multicard")?;
    sandbox.advance(Duration::from_secs(60)).await;
    let lapsed = multicard.send(|api| api.get_hold().payment_uuid(id.as_str())).await?;
    println!("   at its expiry the hold lapses: {}", lapsed.status);
    check(lapsed.status == HoldStatus::Canceled, "a lapsed hold reads canceled")?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => {
            println!("hold: done");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("hold: FAILED: {error}");
            ExitCode::FAILURE
        }
    }
}
