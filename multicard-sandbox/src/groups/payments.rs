//! The `payments` group: payments by card token, by card data, split and in
//! apps (completed in `payer.rs`); confirming them, reading them, and their
//! fiscal links.
//!
//! As in production: a payment by card token (split or not) sends no
//! one-time code, answers `otp_hash: null` and is confirmed with `{}`; a
//! payment by card data sends one, which counts against the card's limit.

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::answer::{Answer, Refusal};
use crate::config::{TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP};
use crate::extract::{Body, Param, Plan};
use crate::registry::Registry;
use crate::state::{App, Outcome};
use crate::world::World;
use crate::world::kinds::{PaymentKind, PaymentStatus};
use crate::world::values::{APPS, integer, is_our_store, payment_system_of, text};

pub(crate) fn register(registry: &mut Registry) {
    registry
        .add("create_payment", create_payment)
        .add("confirm_payment", confirm_payment)
        .add("get_payment", get_payment)
        .add("send_fiscal_link", send_fiscal_link);
}

async fn create_payment(State(app): State<App>, Body(body): Body) -> Answer {
    app.run(|world, config| {
        let card = body.get("card").filter(|c| c.is_object());
        let kind = if body.get("payment_system").is_some() {
            PaymentKind::App
        } else if card.and_then(|c| text(c, "token")).is_some() {
            if body.get("split").is_some_and(|s| s.is_array()) { PaymentKind::Split } else { PaymentKind::Token }
        } else if card.is_some_and(|c| text(c, "pan").is_some() && text(c, "expiry").is_some()) {
            PaymentKind::Card
        } else {
            return Err(Refusal::WrongCard);
        };
        // The gate's rules refused an amount not above zero, and splits
        // above it.
        let amount = integer(&body, "amount").unwrap_or_default();
        let store = text(&body, "store_id").ok_or(Refusal::Missing("Store Id"))?;
        text(&body, "invoice_id").ok_or(Refusal::Missing("Invoice Id"))?;
        // Multicard answers a split's errors under HTTP 200, the others' under 400.
        let status = if kind == PaymentKind::Split { StatusCode::OK } else { StatusCode::BAD_REQUEST };
        if !is_our_store(&store) {
            return Err(Refusal::WrongStore(status));
        }
        let uuid = match kind {
            PaymentKind::App => {
                let system = text(&body, "payment_system")
                    .filter(|s| APPS.contains(&s.as_str()))
                    .ok_or(Refusal::WrongPaymentSystem)?;
                world.new_payment(PaymentKind::App, &body, amount, &system, None)
            }
            PaymentKind::Card => {
                let card = card.cloned().unwrap_or_default();
                let (pan, expiry) = (text(&card, "pan").unwrap_or_default(), text(&card, "expiry").unwrap_or_default());
                if pan != TEST_CARD_PAN || expiry != TEST_CARD_EXPIRY {
                    return Err(Refusal::CardNotFound(StatusCode::BAD_REQUEST));
                }
                world.sms.send(&pan, config, world.clock.now())?;
                let uuid =
                    world.new_payment(PaymentKind::Card, &body, amount, payment_system_of(&pan), Some(("", &pan)));
                if let Some(p) = world.payments.get_mut(&uuid) {
                    p.fields["card_token"] = Value::Null;
                }
                uuid
            }
            _ => by_token(world, kind, &body, amount, status)?,
        };
        Ok(Outcome::ok(world.payment_model(&uuid).unwrap_or_default()))
    })
}

/// A payment by a bound card's token (split or not); returns its uuid.
fn by_token(
    world: &mut World,
    kind: PaymentKind,
    body: &Value,
    amount: i64,
    status: StatusCode,
) -> Result<String, Refusal> {
    let token = body.get("card").and_then(|c| text(c, "token")).unwrap_or_default();
    let pan = world.active_card(&token).ok_or(Refusal::CardNotFound(status))?;
    Ok(world.new_payment(kind, body, amount, payment_system_of(&pan), Some((&token, &pan))))
}

async fn confirm_payment(
    State(app): State<App>,
    Param(uuid): Param<String>,
    Plan(plan): Plan,
    Body(body): Body,
) -> Answer {
    app.run(|world, config| {
        let payment = world
            .payments
            .get(&uuid)
            .filter(|p| !p.kind.is_payout())
            .ok_or(Refusal::NotFound(StatusCode::BAD_REQUEST))?;
        if payment.status != PaymentStatus::Draft || payment.kind == PaymentKind::Hold {
            return Err(Refusal::PaymentConfirmed);
        }
        if payment.kind == PaymentKind::App {
            return Err(Refusal::ConfirmedInApp);
        }
        // A token payment needs no code: `{}` confirms it (any `otp` is ignored).
        if payment.needs_otp && text(&body, "otp").as_deref() != Some(TEST_OTP) {
            return Err(Refusal::WrongOtp(StatusCode::BAD_REQUEST));
        }
        // `progress` while it is debited; then `billing` while its success
        // callback is out, or `success` when it has no callback URL.
        world.start_debit(&uuid, plan, config);
        Ok(Outcome::ok(world.payment_model(&uuid).unwrap_or_default()))
    })
}

async fn get_payment(State(app): State<App>, Param(uuid): Param<String>) -> Answer {
    // What a read sees (it may lag behind the writes: `stale_reads`).
    app.run(|world, _| {
        let payment = world.payments.get(&uuid).filter(|p| !p.kind.is_payout()).and_then(|_| world.seen_payment(&uuid));
        Ok(Outcome::ok(payment.ok_or(Refusal::NotFound(StatusCode::NOT_FOUND))?))
    })
}

async fn send_fiscal_link(State(app): State<App>, Param(uuid): Param<String>, Body(body): Body) -> Answer {
    app.run(|world, _| {
        let url = text(&body, "url").ok_or(Refusal::Missing("Url"))?;
        let payment = world.payments.get_mut(&uuid).ok_or(Refusal::NotFound(StatusCode::BAD_REQUEST))?;
        if payment.status != PaymentStatus::Success && payment.status != PaymentStatus::Revert {
            return Err(Refusal::PaymentNotMade);
        }
        let is_refund = body.get("is_refund").cloned().unwrap_or(json!(false));
        payment.fields["details"] = json!({"fiscal_url": url, "is_refund": is_refund});
        Ok(Outcome::ok(Value::Null))
    })
}
