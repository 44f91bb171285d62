//! A reconciliation service: every interval it sweeps the orders it waits
//! on (and every payment its ledger left frozen) with
//! `multicard_api::reconcile::Reconciler`, credits what was paid but never
//! called back through the same ledger the callbacks use, and prints what
//! it found. It runs against the embedded sandbox, on the sandbox's clock,
//! and stops after a few rounds.
//!
//! ```sh
//! cargo run -p multicard-sandbox --example reconcile_service
//! ```
//!
//! The story: order-1 is paid but its callback is never sent (no callback
//! URL): the first sweep credits it, later sweeps find it fulfilled.
//! order-2's callback times out: its payment stays frozen in `billing`,
//! which a sweep reports and never credits. order-3 is created and never
//! confirmed (`draft`): moving, then expired. order-4 never reached
//! Multicard at all: unknown. order-5 is paid between two rounds.

use std::time::Duration;

use multicard_api::Multicard;
use multicard_api::fulfilment::{Decision, HandlerFuture, MemoryLedger, MemoryTx, PaymentCredit};
use multicard_api::money::Tiyin;
use multicard_api::receipt::{Item, Receipt};
use multicard_api::reconcile::{Pending, Reconciler, Standing};
use multicard_api::types;
use multicard_sandbox::{
    DeliveryFault, FrozenPayments, Sandbox, SandboxConfig, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP,
};
use serde_json::json;

type Failure = Box<dyn std::error::Error>;

/// The merchant's handler: runs in the ledger's transaction, credits the
/// order there (here: an outbox entry, sent after the commit).
fn credit_order<'t>(tx: &'t mut MemoryTx, credit: &'t PaymentCredit) -> HandlerFuture<'t> {
    Box::pin(async move {
        tx.push(json!({"credit_order": credit.invoice_id, "payment": credit.uuid, "tiyin": credit.amount}));
        Ok(Decision::Accept)
    })
}

fn body<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, Failure> {
    Ok(serde_json::from_value(value)?)
}

/// A payment for `invoice_id` by card `token`; confirmed unless `draft`.
async fn pay(
    multicard: &Multicard,
    token: &str,
    invoice_id: &str,
    callback_url: Option<&str>,
    draft: bool,
) -> Result<String, Failure> {
    let receipt = Receipt::builder()
        .item(Item::new("Sneakers", "06401004002000000", "1506113", "1500sum".parse()?, 1))
        .build()?;
    let request: types::CreatePaymentRequest = body(json!({"card": {"token": token}, "amount": receipt.amount(),
        "store_id": 6, "invoice_id": invoice_id, "callback_url": callback_url, "ofd": receipt.ofd()}))?;
    let created = multicard.send(|api| api.create_payment().body(request.clone())).await?;
    if !draft {
        let empty: types::ConfirmPaymentRequest = body(json!({}))?;
        multicard.send(|api| api.confirm_payment().uuid(created.uuid.as_str()).body(empty.clone())).await?;
    }
    Ok(created.uuid)
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let sandbox =
        Sandbox::start_with(SandboxConfig::default().with_frozen_payments(FrozenPayments::NeverResent)).await?;
    let multicard = Multicard::new(sandbox.config())?;
    let ledger = MemoryLedger::new();
    let reconciler =
        Reconciler::new(multicard.clone(), ledger.clone()).with_concurrency(2).with_draft_ttl(Duration::from_secs(150));

    let card: types::AddCardRequest =
        body(json!({"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY, "user_phone": "998901234567"}))?;
    let draft = multicard.send(|api| api.add_card().body(card.clone())).await?;
    let otp: types::ConfirmCardRequest = body(json!({"otp": TEST_OTP}))?;
    let token = multicard
        .send(|api| api.confirm_card().card_token(draft.card_token.as_str()).body(otp.clone()))
        .await?
        .card_token;

    let started = sandbox.now().to_utc();
    // Nothing listens here: the callback's answer never comes.
    let nowhere = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        format!("http://{}/callback", listener.local_addr()?)
    };
    pay(&multicard, &token, "order-1", None, false).await?;
    sandbox.inject_delivery(DeliveryFault::TimedOut, 1);
    pay(&multicard, &token, "order-2", Some(&nowhere), false).await?;
    pay(&multicard, &token, "order-3", None, true).await?;
    let pending: Vec<Pending> = ["order-1", "order-2", "order-3", "order-4", "order-5"]
        .iter()
        .map(|order| {
            Pending::order("6", *order, started).with_expected_amount(Tiyin::new(150_000).expect("not negative"))
        })
        .collect();

    let mut interval = tokio::time::interval(Duration::from_millis(100));
    for round in 1..=3 {
        interval.tick().await;
        sandbox.advance(Duration::from_secs(60)).await;
        if round == 2 {
            pay(&multicard, &token, "order-5", None, false).await?;
            sandbox.advance(Duration::ZERO).await;
        }
        let report = reconciler.sweep_at(sandbox.now().to_utc(), pending.clone(), credit_order).await;
        println!("round {round} at {} (GMT+5, the sandbox's clock):", sandbox.now());
        for finding in &report.findings {
            let mark = match finding.standing() {
                Standing::Reconciled => "ok  ",
                Standing::Open => "open",
                _ => "ACT ",
            };
            println!(
                "  {mark} {:<9} {:<36} {:<26} {}",
                finding.invoice_id.as_deref().unwrap_or("-"),
                finding.uuid.as_deref().unwrap_or("-"),
                finding.kind.name(),
                finding.kind.describe()
            );
        }
        println!(
            "  credited this round: {}; need attention: {}; open: {}",
            report.credited().count(),
            report.needs_attention().count(),
            report.open().count()
        );
    }
    let outbox = ledger.outbox();
    println!("\ncommitted effects (each order once): {}", outbox.len());
    for effect in &outbox {
        println!("  {effect}");
    }
    sandbox.stop().await;
    Ok(())
}
