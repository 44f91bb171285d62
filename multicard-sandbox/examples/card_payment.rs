//! Bind a card and charge it, both ways a card is bound:
//!
//! - by Multicard's hosted form: `create_card_binding` gives a `form_url`;
//!   the payer enters the card there; the shop reads the session back
//!   (`get_card_binding`) for the card token. The card-binding callback is
//!   not signed, so the token is taken from the API, never from the
//!   callback alone;
//! - by card data: `add_card` with the card's number and expiry, then
//!   `confirm_card` with the one-time code the payer received by SMS.
//!
//! Then a payment by card token, confirmed: a token payment comes back with
//! `otp_hash: null` and is confirmed with `{}` (no code); a payment that
//! sent a code is confirmed with it. Last, the payer unbinds the card.
//!
//! ```sh
//! cargo run -p multicard-sandbox --example card_payment
//! ```
//!
//! The embedded sandbox plays Multicard and the payer
//! (`Sandbox::complete_card_binding` is what the payer does on the form;
//! its test card is `TEST_CARD_PAN`, expiry `TEST_CARD_EXPIRY`, code
//! `TEST_OTP`). Exits non-zero if a step fails.

use std::process::ExitCode;

use multicard_api::money::Tiyin;
use multicard_api::types::{self, CardBindingStatus, ErrorCode, PaymentStatus};
use multicard_api::{Multicard, receipt};
use multicard_sandbox::{STORE_ID, Sandbox, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP};
use serde_json::json;

type Failure = Box<dyn std::error::Error>;

fn body<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, Failure> {
    Ok(serde_json::from_value(value)?)
}

/// Stops the example with `what` unless `holds`.
fn check(holds: bool, what: &str) -> Result<(), Failure> {
    if holds { Ok(()) } else { Err(what.into()) }
}

/// Pays `amount` for order `invoice_id` with card `token`, and confirms it.
async fn pay_by_token(
    multicard: &Multicard,
    token: &str,
    amount: Tiyin,
    invoice_id: &str,
) -> Result<types::PaymentModel, Failure> {
    let receipt = receipt::Receipt::builder()
        .item(receipt::Item::new("Monthly plan", "10305008002000000", "1545765", amount, 1))
        .build()?;
    let request: types::CreatePaymentRequest = body(json!({
        "card": {"token": token}, "amount": receipt.amount(), "store_id": STORE_ID,
        "invoice_id": invoice_id, "ofd": receipt.ofd(),
    }))?;
    let created = multicard.send(|api| api.create_payment().body(request.clone())).await?;
    // `otp_hash` null: no code was sent, `{}` confirms it.
    let confirm: types::ConfirmPaymentRequest = match created.otp_hash {
        None => body(json!({}))?,
        Some(_) => body(json!({"otp": TEST_OTP}))?,
    };
    let paid = multicard.send(|api| api.confirm_payment().uuid(created.uuid.as_str()).body(confirm.clone())).await?;
    Ok(paid)
}

async fn run() -> Result<(), Failure> {
    let sandbox = Sandbox::start().await?;
    let multicard = Multicard::new(sandbox.config())?;

    // 1. By the hosted form.
    let request: types::CardBindingRequest = body(json!({
        "store_id": STORE_ID, "phone": "998901234567",
        "callback_url": "https://shop.example/multicard/card",
        "redirect_url": "https://shop.example/card/added", "redirect_decline_url": "https://shop.example/card/declined",
    }))?;
    let session = multicard.send(|api| api.create_card_binding().body(request.clone())).await?;
    println!("1. send the payer to the form {}", session.form_url);
    sandbox.complete_card_binding(&session.session_id).map_err(|e| format!("the payer could not bind: {e}"))?;
    let bound = multicard.send(|api| api.get_card_binding().session_id(session.session_id.as_str())).await?;
    check(bound.status == Some(CardBindingStatus::Active), "the form did not bind the card")?;
    let form_token = bound.card_token.clone();
    println!("   bound {}: token {form_token}", bound.card_pan.as_deref().unwrap_or("?"));

    // 2. By card data and the code sent by SMS.
    let request: types::AddCardRequest =
        body(json!({"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY, "user_phone": "998901234567"}))?;
    let draft = multicard.send(|api| api.add_card().body(request.clone())).await?;
    let otp: types::ConfirmCardRequest = body(json!({"otp": TEST_OTP}))?;
    let card = multicard.send(|api| api.confirm_card().card_token(draft.card_token.as_str()).body(otp.clone())).await?;
    check(card.status == Some(CardBindingStatus::Active), "the code did not bind the card")?;
    println!("2. bound {} by its data and code: token {}", card.card_pan.as_deref().unwrap_or("?"), card.card_token);

    // 3. Charge each token.
    for (n, token) in [form_token.as_str(), card.card_token.as_str()].into_iter().enumerate() {
        let order = format!("sub-{}", n + 1);
        let paid = pay_by_token(&multicard, token, Tiyin::from_sum(49_000)?, &order).await?;
        println!("3. order {order}: {} tiyin by token, {}", paid.payment_amount, paid.status);
        check(paid.status == PaymentStatus::Success, "the token payment did not succeed")?;
    }

    // 4. The payer unbinds a card: its token no longer pays.
    multicard.send(|api| api.revoke_card().card_token(form_token.as_str())).await?;
    let revoked = multicard.send(|api| api.get_card().card_token(form_token.as_str())).await?;
    println!("4. unbound: the card reads {}", revoked.status.as_ref().map_or("?", |s| s.as_str()));
    check(revoked.status == Some(CardBindingStatus::Deleted), "the card was not unbound")?;
    match pay_by_token(&multicard, &form_token, Tiyin::from_sum(49_000)?, "sub-3").await {
        Ok(_) => return Err("an unbound card was charged".into()),
        Err(error) => match error.downcast_ref::<multicard_api::Error>().and_then(|e| e.code()) {
            Some(ErrorCode::ErrorCardNotFound) => println!("   charging it again is refused: {error}"),
            _ => return Err(error),
        },
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => {
            println!("card_payment: done");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("card_payment: FAILED: {error}");
            ExitCode::FAILURE
        }
    }
}
