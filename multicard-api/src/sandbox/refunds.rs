//! The `refunds` group: a paid payment refunded whole, or in parts up to
//! the amount paid, each with its fiscal items.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::state::{Outcome, World};
use super::values::{integer, missing, need, not_found, now, param, text};
use super::{Answer, SandboxConfig};

fn not_refundable() -> Answer {
    Answer::error(404, "ERROR_NOT_FOUND", "Платёж не проведён или уже возвращён")
}

pub(super) fn operate(
    config: &SandboxConfig,
    world: &mut World,
    operation: &str,
    params: &BTreeMap<&'static str, String>,
    body: &Value,
) -> Outcome {
    let uuid = param(params, "uuid");
    let (webhooks, secret) = (config.status_webhooks, config.secret.as_str());
    match operation {
        "refund_payment" => match world.payments.get_mut(uuid).filter(|p| !p.is_payout) {
            Some(payment) if payment.model["status"] == "success" => {
                payment.model["status"] = json!("revert");
                payment.model["refund_time"] = json!(now());
                payment.refunded = payment.model["payment_amount"].as_i64().unwrap_or_default();
                let out = world.webhook(uuid, webhooks, secret).into_iter().collect();
                (Answer::ok(world.model(uuid).unwrap_or_default()), out)
            }
            Some(_) => (not_refundable(), Vec::new()),
            None => (not_found(404), Vec::new()),
        },
        "partial_refund_payment" => {
            let amount = need!(integer(body, "refund_amount").filter(|a| *a > 0), "Refund Amount");
            let _ = need!(body.get("ofd").filter(|o| o.is_array()), "Ofd");
            let Some(payment) = world.payments.get_mut(uuid).filter(|p| !p.is_payout) else {
                return (not_found(404), Vec::new());
            };
            if payment.model["status"] != "success" {
                return (not_refundable(), Vec::new());
            }
            if payment.kind == "app" && text(body, "card_pan").is_none() {
                return (missing("Card Pan"), Vec::new());
            }
            let paid = payment.model["payment_amount"].as_i64().unwrap_or_default();
            if payment.refunded.saturating_add(amount) > paid {
                return (Answer::fields("Сумма возврата превышает сумму платежа"), Vec::new());
            }
            payment.refunded += amount;
            payment.model["refund_time"] = json!(now());
            if payment.refunded == paid {
                payment.model["status"] = json!("revert");
            }
            payment.model["ofd"] = body["ofd"].clone();
            let out = world.webhook(uuid, webhooks, secret).into_iter().collect();
            (Answer::ok(world.model(uuid).unwrap_or_default()), out)
        }
        _ => (super::state::no_route(), Vec::new()),
    }
}
