//! Pay out to a card (a credit to the payer's card from the merchant's
//! balance), in two steps: `create_payout` with `confirmable: true`
//! answers a `draft`; `confirm_payout` with the one-time code pays it out,
//! and `get_payout` reads it with its receipt. With `confirmable: false` a
//! single request pays out at once. (The vendor's pages say a payout left
//! without `confirmable` is one step; the SDK sends `true` when the field
//! is left out, so name it.)
//!
//! Identification (`kyc_data`): a payout **strictly above 10 million сум**
//! (1,000,000,000 tiyin) must carry the card holder's identity (names,
//! passport and its expiry, PINFL, date of birth). The SDK refuses one
//! without it before sending (`Error::RequestRefused`, rule
//! `payout.kyc_above_10m_sum`; Multicard would answer `ERROR_FIELDS`);
//! exactly 10 million сум needs none.
//!
//! A payout sends no callback: after a lost answer, read it
//! (`Multicard::settle_payout`, or `settle_lost`: see
//! `settle_lost_answer.rs`) until its status is final.
//!
//! ```sh
//! cargo run -p multicard-sandbox --example payout
//! ```
//!
//! Runs against the embedded sandbox. Exits non-zero if a step fails.

use std::process::ExitCode;

use multicard_api::money::Tiyin;
use multicard_api::types::{self, PaymentStatus};
use multicard_api::{Error, Multicard};
use multicard_sandbox::{STORE_ID, Sandbox, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP};
use serde_json::{Value, json};

type Failure = Box<dyn std::error::Error>;

fn body<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, Failure> {
    Ok(serde_json::from_value(value)?)
}

/// Stops the example with `what` unless `holds`.
fn check(holds: bool, what: &str) -> Result<(), Failure> {
    if holds { Ok(()) } else { Err(what.into()) }
}

/// A payout request of `amount` to card `token`.
fn payout(
    token: &str,
    amount: Tiyin,
    order: &str,
    confirmable: bool,
    kyc: Option<Value>,
) -> Result<types::CreatePayoutRequest, Failure> {
    let mut request = json!({
        "card": {"token": token}, "amount": amount, "store_id": STORE_ID, "invoice_id": order, "confirmable": confirmable,
    });
    if let Some(kyc) = kyc {
        request["kyc_data"] = kyc;
    }
    body(request)
}

async fn run() -> Result<(), Failure> {
    let sandbox = Sandbox::start().await?;
    let multicard = Multicard::new(sandbox.config())?;
    let add: types::AddCardRequest =
        body(json!({"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY, "user_phone": "998901234567"}))?;
    let draft = multicard.send(|api| api.add_card().body(add.clone())).await?;
    let otp: types::ConfirmCardRequest = body(json!({"otp": TEST_OTP}))?;
    let card = multicard.send(|api| api.confirm_card().card_token(draft.card_token.as_str()).body(otp.clone())).await?;
    let token = card.card_token.as_str();

    // 1. Two steps: a draft, confirmed with the code.
    let request = payout(token, Tiyin::from_sum(250_000)?, "payout-1", true, None)?;
    let created = multicard.send(|api| api.create_payout().body(request.clone())).await?;
    println!(
        "1. payout {} of {}: {}",
        created.uuid,
        Tiyin::new(created.payment_amount.unwrap_or_default())?,
        created.status
    );
    check(created.status == PaymentStatus::Draft, "a confirmable payout starts as a draft")?;
    let otp: types::ConfirmPayoutRequest = body(json!({"otp": TEST_OTP}))?;
    let confirmed =
        multicard.send(|api| api.confirm_payout().payment_uuid(created.uuid.as_str()).body(otp.clone())).await?;
    let read = multicard.send(|api| api.get_payout().payment_uuid(created.uuid.as_str())).await?;
    println!("   confirmed: {}, receipt {}", confirmed.status, read.receipt_url.as_deref().unwrap_or("(none yet)"));
    check(read.status == PaymentStatus::Success, "the confirmed payout was not paid out")?;

    // 2. Above 10 million сум without kyc_data: refused before sending.
    let above = Tiyin::from_sum(10_000_001)?;
    let sent = sandbox.requests("create_payout");
    let request = payout(token, above, "payout-2", true, None)?;
    match multicard.send(|api| api.create_payout().body(request.clone())).await {
        Err(Error::RequestRefused { findings, .. }) => {
            for finding in &findings {
                println!("2. {above} without kyc_data, not sent: {finding}");
            }
            check(findings.iter().any(|f| f.rule.id == "payout.kyc_above_10m_sum"), "refused for another reason")?;
        }
        Err(error) => return Err(error.into()),
        Ok(_) => return Err("a payout above 10 million сум went without kyc_data".into()),
    }
    check(sandbox.requests("create_payout") == sent, "the refused payout reached Multicard")?;

    // 3. The same payout with the holder's identity goes.
    let kyc = json!({
        "last_name": "Karimov", "first_name": "Aziz", "middle_name": "Rustamovich",
        "passport": "AA1234567", "passport_expiry_date": "2031-05-20", "pinfl": "31105892514010", "dob": "1989-05-31",
    });
    let request = payout(token, above, "payout-2", true, Some(kyc))?;
    let created = multicard.send(|api| api.create_payout().body(request.clone())).await?;
    let confirmed =
        multicard.send(|api| api.confirm_payout().payment_uuid(created.uuid.as_str()).body(otp.clone())).await?;
    println!("3. {above} with kyc_data: {}", confirmed.status);
    check(confirmed.status == PaymentStatus::Success, "the identified payout was not paid out")?;

    // 4. Exactly 10 million сум needs no kyc_data; one step, no code.
    let request = payout(token, Tiyin::from_sum(10_000_000)?, "payout-3", false, None)?;
    let single = multicard.send(|api| api.create_payout().body(request.clone())).await?;
    println!("4. exactly 10 million сум in one step, no kyc_data: {}", single.status);
    check(single.status == PaymentStatus::Success, "the one-step payout was not paid out")?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => {
            println!("payout: done");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("payout: FAILED: {error}");
            ExitCode::FAILURE
        }
    }
}
