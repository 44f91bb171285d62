//! Refunds, partial and full. A payment for a receipt of three lines is
//! refunded in parts, then in full:
//!
//! - a partial refund (`partial_refund_payment`) carries the new fiscal
//!   receipt: what the payer keeps. `receipt::remaining` makes it from the
//!   receipt in force and the units returned, and derives the refund amount
//!   from them. Multicard cancels the old receipt and issues the new one
//!   (`refund_tax`, `tax`); the payment stays `success`;
//! - a second partial refund starts from the receipt the first one carried,
//!   never from the receipt first paid;
//! - a full refund (`refund_payment`) returns what is left: the payment
//!   reads `revert`;
//! - a refund beyond what is left is refused by the SDK before sending
//!   (`Error::NotSent`): nothing reaches Multicard.
//!
//! ```sh
//! cargo run -p multicard-sandbox --example refunds
//! ```
//!
//! Runs against the embedded sandbox. Exits non-zero if a step fails.

use std::process::ExitCode;

use multicard_api::error::NotSentReason;
use multicard_api::money::Tiyin;
use multicard_api::receipt::{Item, Receipt, Returned, remaining};
use multicard_api::types::{self, PaymentStatus};
use multicard_api::{Error, Multicard};
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

/// The payment's fiscal receipts as Multicard issued them.
fn receipts(payment: &types::PaymentModel) -> String {
    let f_num = |tax: &Option<Box<types::TaxReceiptModel>>| {
        tax.as_ref().and_then(|t| t.f_num.clone()).unwrap_or_else(|| "none".into())
    };
    format!("fiscal receipt {}, refund receipt {}", f_num(&payment.tax), f_num(&payment.refund_tax))
}

/// Partially refunds `payment`: `refund` is what `remaining` made.
async fn partial_refund(
    multicard: &Multicard,
    payment: &str,
    refund: &multicard_api::receipt::Remaining,
) -> Result<types::PaymentModel, Failure> {
    let request: types::PartialRefundRequest =
        body(json!({"refund_amount": refund.refund_amount, "ofd": refund.receipt.ofd()}))?;
    Ok(multicard.send(|api| api.partial_refund_payment().uuid(payment).body(request.clone())).await?)
}

async fn run() -> Result<(), Failure> {
    let sandbox = Sandbox::start().await?;
    let multicard = Multicard::new(sandbox.config())?;

    // A card and a paid order of three lines.
    let add: types::AddCardRequest =
        body(json!({"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY, "user_phone": "998901234567"}))?;
    let draft = multicard.send(|api| api.add_card().body(add.clone())).await?;
    let otp: types::ConfirmCardRequest = body(json!({"otp": TEST_OTP}))?;
    let card = multicard.send(|api| api.confirm_card().card_token(draft.card_token.as_str()).body(otp.clone())).await?;
    let paid_receipt = Receipt::builder()
        .item(Item::new("Green tea, 100 g", "06401004002000000", "1506113", "125sum".parse()?, 4).vat(12))
        .item(Item::new("Tea mug", "06912001036000000", "1516172", "300sum".parse()?, 1).vat(12))
        .item(Item::new("Delivery", "10107002001000000", "1209885", "150sum".parse()?, 1))
        .build()?;
    let request: types::CreatePaymentRequest = body(json!({
        "card": {"token": card.card_token}, "amount": paid_receipt.amount(), "store_id": STORE_ID,
        "invoice_id": "order-2001", "ofd": paid_receipt.ofd(),
    }))?;
    let created = multicard.send(|api| api.create_payment().body(request.clone())).await?;
    let uuid = created.uuid.as_str();
    let confirm: types::ConfirmPaymentRequest = body(json!({}))?;
    let payment = multicard.send(|api| api.confirm_payment().uuid(uuid).body(confirm.clone())).await?;
    check(payment.status == PaymentStatus::Success, "the payment did not succeed")?;
    println!("paid {} for order-2001: {}", paid_receipt.amount(), receipts(&payment));

    // 1. One tea back: the new receipt lists 3 teas, the mug and delivery.
    let first = remaining(paid_receipt.items(), &[Returned::Units { line: 0, qty: 1 }])?;
    let after = partial_refund(&multicard, uuid, &first).await?;
    println!("1. refunded {} (one tea): {}, {}", first.refund_amount, after.status, receipts(&after));
    check(after.status == PaymentStatus::Success, "a partial refund leaves the payment success")?;
    check(first.refund_amount == Tiyin::from_sum(125)?, "one tea is 125 сум")?;

    // 2. The mug back, counted in the receipt in force (the first refund's).
    let second = remaining(first.receipt.items(), &[Returned::Units { line: 1, qty: 1 }])?;
    let after = partial_refund(&multicard, uuid, &second).await?;
    let lines: Vec<String> = second.receipt.items().iter().map(|i| format!("{} x{}", i.name, i.qty)).collect();
    println!("2. refunded {} (the mug); the payer keeps {}", second.refund_amount, lines.join(", "));
    println!("   {}, {}", after.status, receipts(&after));

    // 3. A full refund returns what is left.
    let reverted = multicard.send(|api| api.refund_payment().uuid(uuid)).await?;
    let at = reverted.refund_time.map_or("?".to_string(), |t| t.to_string());
    println!("3. refunded the rest: {} at {at}, {}", reverted.status, receipts(&reverted));
    check(reverted.status == PaymentStatus::Revert, "a full refund reverts the payment")?;

    // 4. Nothing is left: the SDK refuses another refund before sending it.
    let sent = sandbox.requests("partial_refund_payment");
    match partial_refund(&multicard, uuid, &second).await {
        Err(error) => match error.downcast_ref::<Error>() {
            Some(Error::NotSent { reason: NotSentReason::RefundExceedsCaptured { .. }, .. }) => {
                println!("4. refused, nothing sent: {error}")
            }
            _ => return Err(error),
        },
        Ok(_) => return Err("a refund beyond the captured amount was sent".into()),
    }
    check(sandbox.requests("partial_refund_payment") == sent, "the refused refund reached Multicard")?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => {
            println!("refunds: done");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("refunds: FAILED: {error}");
            ExitCode::FAILURE
        }
    }
}
