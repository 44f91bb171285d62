//! Settle a lost answer. Multicard has no idempotency key: a write whose
//! answer is lost (a timeout, a cut connection, a proxy's 5xx,
//! `ERROR_DEBIT_UNKNOWN`) may or may not have taken effect, so the SDK
//! never sends it again and answers `Error::OutcomeUnknown`. Settle it with
//! `Multicard::settle_lost` (or `settle_write` with `error.lost_write()`),
//! which reads what the write changes, and act only on the verdict:
//!
//! | verdict | do |
//! |---|---|
//! | `Applied` | it took effect: do not send it again |
//! | `NotApplied` | positive evidence it did not and cannot: it may be made again |
//! | `StillMoving` | money is moving: settle again later |
//! | `Undetermined` | no evidence: do not send it again; check the Multicard cabinet |
//!
//! Three lost answers, made by the sandbox's faults: a confirmation that
//! went through (`Fault::LoseAnswer`), a debit that ended in `error` after
//! a while (`Fault::DebitUnknown`), and a refund a proxy answered 504
//! (`Fault::Hang`), which no read can settle: the SDK refuses another
//! refund of the payment until the cabinet is checked.
//!
//! ```sh
//! cargo run -p multicard-sandbox --example settle_lost_answer
//! ```
//!
//! Runs against the embedded sandbox. Settles take real time; this example
//! shortens them (production keeps the defaults: reads count from 5 s after
//! the loss, an `error` must last 30 s). Exits non-zero if a step fails.

use std::process::ExitCode;
use std::time::Duration;

use multicard_api::error::NotSentReason;
use multicard_api::money::Tiyin;
use multicard_api::settle::Verdict;
use multicard_api::types::{self, PaymentStatus};
use multicard_api::{Error, Multicard, Settle};
use multicard_sandbox::{Fault, LateOutcome, STORE_ID, Sandbox, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP};
use serde_json::json;

type Failure = Box<dyn std::error::Error>;

fn body<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, Failure> {
    Ok(serde_json::from_value(value)?)
}

/// A settle short enough for an example.
fn quick() -> Settle {
    Settle::within(Duration::from_secs(2))
        .with_min_read_delay(Duration::from_millis(200))
        .with_error_quiet_period(Duration::from_millis(500))
        .with_poll_interval(Duration::from_millis(50))
}

/// A draft payment of `amount` by card `token`.
async fn draft(multicard: &Multicard, token: &str, amount: Tiyin, order: &str) -> Result<String, Failure> {
    let request: types::CreatePaymentRequest =
        body(json!({"card": {"token": token}, "amount": amount, "store_id": STORE_ID, "invoice_id": order}))?;
    Ok(multicard.send(|api| api.create_payment().body(request.clone())).await?.uuid)
}

async fn confirm(multicard: &Multicard, uuid: &str) -> Result<types::PaymentModel, Error> {
    let empty = types::ConfirmPaymentRequest::builder();
    multicard.send(|api| api.confirm_payment().uuid(uuid).body(empty.clone())).await
}

/// The verdict on `error`, which must be a lost answer.
async fn settle(multicard: &Multicard, error: &Error) -> Result<Verdict, Failure> {
    let verdict = multicard.settle_lost(error, quick()).await.ok_or("not a lost answer")?;
    println!("   verdict: {verdict}");
    Ok(verdict)
}

async fn run() -> Result<(), Failure> {
    let sandbox = Sandbox::start().await?;
    let multicard = Multicard::new(sandbox.config())?;
    let add: types::AddCardRequest =
        body(json!({"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY, "user_phone": "998901234567"}))?;
    let card = multicard.send(|api| api.add_card().body(add.clone())).await?;
    let otp: types::ConfirmCardRequest = body(json!({"otp": TEST_OTP}))?;
    let token = multicard
        .send(|api| api.confirm_card().card_token(card.card_token.as_str()).body(otp.clone()))
        .await?
        .card_token;

    // 1. The confirmation went through; its answer did not.
    println!("1. confirm_payment, answer lost");
    let uuid = draft(&multicard, &token, Tiyin::from_sum(1_200)?, "order-1").await?;
    sandbox.inject("confirm_payment", Fault::LoseAnswer, 1);
    let error = confirm(&multicard, &uuid).await.err().ok_or("the answer should have been lost")?;
    println!("   {error}");
    match settle(&multicard, &error).await? {
        Verdict::Applied { .. } => println!("   => paid: fulfil order-1, never confirm it again"),
        other => return Err(format!("expected applied, got {other}").into()),
    }

    // 2. The debit's outcome is unknown for 10 s, then it fails.
    println!("2. confirm_payment answers ERROR_DEBIT_UNKNOWN");
    let uuid = draft(&multicard, &token, Tiyin::from_sum(1_300)?, "order-2").await?;
    let fault = Fault::DebitUnknown { after: Duration::from_secs(10), then: LateOutcome::Error };
    sandbox.inject("confirm_payment", fault, 1);
    let error = confirm(&multicard, &uuid).await.err().ok_or("the outcome should be unknown")?;
    println!("   {error}");
    match settle(&multicard, &error).await? {
        Verdict::StillMoving { .. } => println!("   => moving: settle again later, do not confirm again"),
        other => return Err(format!("expected still moving, got {other}").into()),
    }
    sandbox.advance(Duration::from_secs(10)).await;
    match settle(&multicard, &error).await? {
        Verdict::NotApplied { .. } => println!("   => not paid: only now may the payer try again"),
        other => return Err(format!("expected not applied, got {other}").into()),
    }
    let again = draft(&multicard, &token, Tiyin::from_sum(1_300)?, "order-2").await?;
    let paid = confirm(&multicard, &again).await?;
    println!("   the second payment: {}", paid.status);

    // 3. A proxy answers 504 to a refund that never reached Multicard.
    println!("3. refund_payment answered 504 by a proxy");
    sandbox.inject("refund_payment", Fault::Hang(Duration::ZERO), 1);
    let error = multicard.send(|api| api.refund_payment().uuid(again.as_str())).await.err().ok_or("a 504 expected")?;
    println!("   {error}");
    match settle(&multicard, &error).await? {
        Verdict::Undetermined { .. } => println!("   => unknown: do not refund again; check the cabinet"),
        other => return Err(format!("expected undetermined, got {other}").into()),
    }
    match multicard.send(|api| api.refund_payment().uuid(again.as_str())).await {
        Err(Error::NotSent { reason: NotSentReason::RefundUnsettled { .. }, .. }) => {
            println!("   a second refund is refused, nothing sent, until the first is settled")
        }
        other => return Err(format!("expected the second refund refused, got {other:?}").into()),
    }
    // The cabinet shows no refund of it: say so, then refund.
    multicard.mark_refund_settled(&again, false);
    let refunded = multicard.send(|api| api.refund_payment().uuid(again.as_str())).await?;
    println!("   the cabinet shows none; refunded now: {}", refunded.status);
    if refunded.status != PaymentStatus::Revert {
        return Err("the refund did not revert the payment".into());
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => {
            println!("settle_lost_answer: done");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("settle_lost_answer: FAILED: {error}");
            ExitCode::FAILURE
        }
    }
}
