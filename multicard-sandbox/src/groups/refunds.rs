//! The `refunds` group: a paid payment refunded whole, or in parts up to
//! the amount paid, each with its fiscal items: a refund cancels the
//! payment's fiscal receipt, a partial one issues a new receipt from its
//! `ofd` for what stays paid (`world/receipts.rs`).

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;

use crate::answer::{Answer, Refusal};
use crate::extract::{Body, Param};
use crate::registry::Registry;
use crate::state::{App, Outcome};
use crate::world::kinds::{PaymentKind, PaymentStatus};
use crate::world::payments::Payment;
use crate::world::values::{integer, text};

pub(crate) fn register(registry: &mut Registry) {
    registry.add("refund_payment", refund_payment).add("partial_refund_payment", partial_refund_payment);
}

/// Payment `uuid` (a payout is not one), as the group addresses it.
fn payment<'a>(
    payments: &'a mut std::collections::BTreeMap<String, Payment>,
    uuid: &str,
) -> Result<&'a mut Payment, Refusal> {
    payments.get_mut(uuid).filter(|p| !p.kind.is_payout()).ok_or(Refusal::NotFound(StatusCode::NOT_FOUND))
}

async fn refund_payment(State(app): State<App>, Param(uuid): Param<String>) -> Answer {
    app.run(|world, config| {
        let now = world.stamp();
        let payment = payment(&mut world.payments, &uuid)?;
        if payment.status != PaymentStatus::Success {
            return Err(Refusal::NotRefundable);
        }
        payment.status = PaymentStatus::Revert;
        payment.fields["refund_time"] = json!(now);
        payment.refunded = payment.amount();
        world.refund_receipt(&uuid);
        world.webhook(&uuid, config);
        Ok(Outcome::ok(world.payment_model(&uuid).unwrap_or_default()))
    })
}

async fn partial_refund_payment(State(app): State<App>, Param(uuid): Param<String>, Body(body): Body) -> Answer {
    app.run(|world, config| {
        // The gate's rules refused a `refund_amount` that is not above
        // zero, and a refund without `ofd`.
        let amount = integer(&body, "refund_amount").unwrap_or_default();
        let now = world.stamp();
        let payment = payment(&mut world.payments, &uuid)?;
        if payment.status != PaymentStatus::Success {
            return Err(Refusal::NotRefundable);
        }
        if payment.kind == PaymentKind::App && text(&body, "card_pan").is_none() {
            return Err(Refusal::Missing("Card Pan"));
        }
        let paid = payment.amount();
        if payment.refunded.saturating_add(amount) > paid {
            return Err(Refusal::RefundExceedsPayment);
        }
        payment.refunded += amount;
        payment.fields["refund_time"] = json!(now);
        let remaining = paid - payment.refunded;
        let whole = remaining == 0;
        if whole {
            payment.status = PaymentStatus::Revert;
        }
        payment.fields["ofd"] = body["ofd"].clone();
        if whole {
            world.refund_receipt(&uuid);
            // A webhook goes out on a change of status only.
            world.webhook(&uuid, config);
        } else {
            world.reissue_receipt(&uuid, &body["ofd"], remaining);
        }
        Ok(Outcome::ok(world.payment_model(&uuid).unwrap_or_default()))
    })
}
