//! The `payouts` group: credits to a card (bound or by number), at once or
//! confirmed with a one-time code, with identity data above 10 million сум
//! (the rule `payout.kyc_above_10m_sum`, enforced by the gate).
//! A payout reads `progress` while it is paid out (`debit_delay`), then
//! `success`; it sends no callback.

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::answer::{Answer, Refusal};
use crate::config::{STORE_ID, TEST_OTP};
use crate::extract::{Body, Param, Plan};
use crate::registry::Registry;
use crate::state::{App, Outcome};
use crate::world::kinds::{PaymentKind, PaymentStatus};
use crate::world::payments::Payment;
use crate::world::values::{integer, masked, new_uuid, payment_system_of, store, text};

pub(crate) fn register(registry: &mut Registry) {
    registry.add("create_payout", create_payout).add("confirm_payout", confirm_payout).add("get_payout", get_payout);
}

async fn create_payout(State(app): State<App>, Plan(plan): Plan, Body(body): Body) -> Answer {
    app.run(|world, config| {
        let card = body.get("card").filter(|c| c.is_object()).cloned().ok_or(Refusal::Missing("Card"))?;
        // The gate's rules refused an amount not above zero, and one above
        // 10 million сум without `kyc_data`.
        let amount = integer(&body, "amount").unwrap_or_default();
        text(&body, "store_id").ok_or(Refusal::Missing("Store Id"))?;
        let invoice_id = text(&body, "invoice_id").ok_or(Refusal::Missing("Invoice Id"))?;
        let (token, pan) = (text(&card, "token"), text(&card, "pan"));
        let pan = match (&token, &pan) {
            (Some(token), _) => world.active_card(token),
            (None, Some(pan)) if pan.len() == 16 && pan.bytes().all(|b| b.is_ascii_digit()) => Some(pan.clone()),
            _ => None,
        };
        let pan = pan.ok_or(Refusal::CardNotFound(StatusCode::OK))?;
        let confirmable = body.get("confirmable").and_then(Value::as_bool).unwrap_or(false);
        let uuid = new_uuid();
        let id = world.id();
        let status = PaymentStatus::Draft;
        let fields = json!({
            "id": id, "uuid": uuid, "store_id": STORE_ID, "multicard_user_id": null, "ps": payment_system_of(&pan),
            "store_invoice_id": invoice_id, "merchant_id": "01200000119700D", "terminal_id": "186368T6", "payment_amount": amount,
            "commission_amount": 0, "commission_type": "up", "total_amount": amount, "phone": null, "card_token": token,
            "card_pan": masked(&pan), "ps_id": null, "ps_uniq_id": null, "status": status,
            "ps_response_code": null, "ps_response_msg": null, "payment_time": null,
            "callback_url": text(&body, "callback_url"), "kyc_data": body.get("kyc_data").filter(|k| k.is_object()).map(|k| k.to_string()),
            "added_on": world.stamp(), "store": store(), "receipt_url": null,
        });
        let created = world.now();
        let history = vec![(world.stamp(), status)];
        let payout =
            Payment { fields, status, kind: PaymentKind::Payout, needs_otp: confirmable, refunded: 0, created, history };
        world.add_payment(payout);
        if !confirmable {
            // Paid out at once (after `debit_delay`).
            world.start_debit(&uuid, plan, config);
        }
        Ok(Outcome::ok(world.payment_model(&uuid).unwrap_or_default()))
    })
}

async fn confirm_payout(
    State(app): State<App>,
    Param(uuid): Param<String>,
    Plan(plan): Plan,
    Body(body): Body,
) -> Answer {
    app.run(|world, config| {
        let payout = world
            .payments
            .get_mut(&uuid)
            .filter(|p| p.kind.is_payout())
            .ok_or(Refusal::NotFound(StatusCode::BAD_REQUEST))?;
        if payout.status != PaymentStatus::Draft {
            return Err(Refusal::PayoutConfirmed);
        }
        if text(&body, "otp").as_deref() != Some(TEST_OTP) {
            return Err(Refusal::WrongOtp(StatusCode::BAD_REQUEST));
        }
        world.start_debit(&uuid, plan, config);
        Ok(Outcome::ok(world.payment_model(&uuid).unwrap_or_default()))
    })
}

async fn get_payout(State(app): State<App>, Param(uuid): Param<String>) -> Answer {
    // What a read sees (it may lag behind the writes: `stale_reads`).
    app.run(|world, _| {
        let payout = world.payments.get(&uuid).filter(|p| p.kind.is_payout()).and_then(|_| world.seen_payment(&uuid));
        Ok(Outcome::ok(payout.ok_or(Refusal::NotFound(StatusCode::NOT_FOUND))?))
    })
}
