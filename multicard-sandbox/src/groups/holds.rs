//! The `holds` group: funds blocked on a bound card, confirmed with a
//! one-time code, then charged (in whole or in part) or released.
//!
//! As in production, not as the vendor's pages say: a hold is addressed by
//! the integer `id` `create_hold` answers (the path parameter the pages
//! call `payment_uuid`; the payment's uuid answers `ERROR_NOT_FOUND`), and
//! its status goes `draft` → `active` → `success` once charged, or to
//! `canceled` (one "l") once released. Creating a hold sends a one-time
//! code, which counts against the card's limit.

use axum::extract::State;
use axum::http::StatusCode;
use multicard_api::time::MulticardDateTime;
use serde_json::{Value, json};

use crate::answer::{Answer, Refusal};
use crate::config::TEST_OTP;
use crate::extract::{Body, Param, Plan};
use crate::registry::Registry;
use crate::state::{App, Outcome};
use crate::world::World;
use crate::world::holds::Hold;
use crate::world::kinds::{HoldStatus, PaymentKind, PaymentStatus};
use crate::world::schedule::Event;
use crate::world::values::{integer, payment_system_of, text};

pub(crate) fn register(registry: &mut Registry) {
    registry
        .add("create_hold", create_hold)
        .add("confirm_hold", confirm_hold)
        .add("get_hold", get_hold)
        .add("cancel_hold", cancel_hold)
        .add("charge_hold", charge_hold);
}

/// `ERROR_NOT_FOUND` as the holds group answers it: for an id no hold has,
/// and for anything but an integer id (production addresses holds by it).
const NOT_FOUND: Refusal = Refusal::NotFound(StatusCode::NOT_FOUND);

async fn create_hold(State(app): State<App>, Body(body): Body) -> Answer {
    app.run(|world, config| {
        let token = body.get("card").and_then(|c| text(c, "token")).ok_or(Refusal::Missing("Card"))?;
        // The gate's rules refused an amount not above zero.
        let amount = integer(&body, "amount").unwrap_or_default();
        text(&body, "store_id").ok_or(Refusal::Missing("Store Id"))?;
        text(&body, "invoice_id").ok_or(Refusal::Missing("Invoice Id"))?;
        let minutes = integer(&body, "expiry").ok_or(Refusal::Missing("Expiry"))?;
        if !(1..=43_200).contains(&minutes) {
            return Err(Refusal::HoldExpiryOutOfRange);
        }
        let pan = world.active_card(&token).ok_or(Refusal::CardNotFound(StatusCode::BAD_REQUEST))?;
        world.sms.send(&pan, config, world.clock.now())?;
        let payment =
            world.new_payment(PaymentKind::Hold, &body, amount, payment_system_of(&pan), Some((&token, &pan)));
        let id = world.id();
        // It runs out `minutes` from now on the sandbox's clock.
        let runs_out = world.now().saturating_add(std::time::Duration::from_secs(minutes.unsigned_abs() * 60));
        let expiry = MulticardDateTime::from_utc(world.clock.utc_at(runs_out)).to_string();
        let added_on = world.stamp();
        world.holds.push(Hold::new(id, payment, expiry, added_on));
        world.schedule.add(runs_out, Event::HoldExpires { id });
        answer(world, id)
    })
}

async fn confirm_hold(State(app): State<App>, Param(id): Param<i64>, Body(body): Body) -> Answer {
    app.run(|world, _| {
        let now = world.stamp();
        let hold = world.hold(id).ok_or(NOT_FOUND)?;
        if hold.status != HoldStatus::Draft {
            return Err(Refusal::HoldConfirmed);
        }
        if text(&body, "otp").as_deref() != Some(TEST_OTP) {
            return Err(Refusal::WrongOtp(StatusCode::BAD_REQUEST));
        }
        hold.set(HoldStatus::Active, now);
        let payment = hold.payment.clone();
        if let Some(p) = world.payments.get_mut(&payment) {
            p.fields["otp_hash"] = Value::Null;
        }
        answer(world, id)
    })
}

async fn get_hold(State(app): State<App>, Param(id): Param<i64>) -> Answer {
    // What a read sees (it may lag behind the writes: `stale_reads`).
    app.run(|world, _| world.seen_hold(id).map(Outcome::ok).ok_or(NOT_FOUND))
}

async fn cancel_hold(State(app): State<App>, Param(id): Param<i64>) -> Answer {
    app.run(|world, config| {
        let now = world.stamp();
        let hold = world.hold(id).ok_or(NOT_FOUND)?;
        let payment = hold.payment.clone();
        let charging = world.payments.get(&payment).is_some_and(|p| p.status.is_moving());
        let hold = world.hold(id).ok_or(NOT_FOUND)?;
        if charging || (hold.status != HoldStatus::Draft && hold.status != HoldStatus::Active) {
            return Err(Refusal::HoldNotActive);
        }
        hold.set(HoldStatus::Canceled, now);
        if let Some(p) = world.payments.get_mut(&payment) {
            p.status = PaymentStatus::Error;
        }
        world.webhook(&payment, config);
        answer(world, id)
    })
}

async fn charge_hold(State(app): State<App>, Param(id): Param<i64>, Plan(plan): Plan, Body(body): Body) -> Answer {
    app.run(|world, config| {
        let hold = world.hold(id).ok_or(NOT_FOUND)?;
        if hold.status != HoldStatus::Active {
            return Err(Refusal::HoldNotActive);
        }
        let payment = hold.payment.clone();
        // A charge under way (its debit not ended) is not started twice; a
        // charge that failed leaves the hold active, to be charged again.
        if world.payments.get(&payment).is_some_and(|p| p.status.is_moving()) {
            return Err(Refusal::HoldNotActive);
        }
        let held = world.payments.get(&payment).map(|p| p.amount()).unwrap_or_default();
        let amount = integer(&body, "amount").unwrap_or(held);
        if amount <= 0 || amount > held {
            return Err(Refusal::ChargeExceedsHold);
        }
        if let Some(p) = world.payments.get_mut(&payment) {
            p.fields["payment_amount"] = json!(amount);
            p.fields["total_amount"] = json!(amount);
            // The charge's fiscal receipt, issued once the debit went through.
            if let Some(ofd) = body.get("ofd").filter(|o| o.is_array()) {
                p.fields["ofd"] = ofd.clone();
            }
        }
        // The hold reads `success` once the debit went through.
        world.start_debit(&payment, plan, config);
        Ok(Outcome::ok(world.payment_model(&payment).unwrap_or_default()))
    })
}

/// Hold `id` as Multicard answers it.
fn answer(world: &World, id: i64) -> Result<Outcome, Refusal> {
    world.hold_model(id).map(Outcome::ok).ok_or(NOT_FOUND)
}
