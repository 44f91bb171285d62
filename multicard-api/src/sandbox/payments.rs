//! The `payments` group: payments by card token, by card data, split and in
//! apps; confirming them, reading them, and their fiscal links.
//!
//! As in production: a payment carries `payment_amount`, `total_amount`,
//! `commission_amount`, `ps` and `payment_time`, and no `amount`; a payment
//! by card token (split or not) sends no one-time code, answers
//! `otp_hash: null` and is confirmed with `{}`; a payment by card data sends
//! one, which counts against the card's limit.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::state::{Outcome, STORE_UUID, World, deliver};
use super::values::{card_not_found, integer, need, not_found, param, payment_system_of, text};
use super::{Answer, STORE_ID, SandboxConfig, Shared, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP};

/// The apps a payment can be made in (`payment_system`).
const APPS: [&str; 10] = ["payme", "click", "uzum", "anorbank", "alif", "oson", "xazna", "beepul", "trastpay", "sbp"];

pub(super) fn operate(
    config: &SandboxConfig,
    world: &mut World,
    operation: &str,
    params: &BTreeMap<&'static str, String>,
    body: &Value,
) -> Outcome {
    let uuid = param(params, "uuid");
    match operation {
        "create_payment" => create_payment(config, world, body),
        "confirm_payment" => {
            let Some(payment) = world.payments.get(uuid).filter(|p| !p.is_payout) else {
                return (not_found(400), Vec::new());
            };
            if payment.model["status"] != "draft" || payment.kind == "hold" {
                return (Answer::fields("Платеж подтвержден ранее"), Vec::new());
            }
            if payment.kind == "app" {
                return (Answer::fields("Платёж подтверждается в приложении"), Vec::new());
            }
            // A token payment needs no code: `{}` confirms it (any `otp` is ignored).
            if payment.needs_otp && text(body, "otp").as_deref() != Some(TEST_OTP) {
                return (Answer::error(400, "ERROR_WRONG_OTP", "Неверный код подтверждения"), Vec::new());
            }
            let out = world.succeed(uuid, config.status_webhooks, &config.secret);
            (Answer::ok(world.model(uuid).unwrap_or_default()), out)
        }
        "get_payment" => match world.payments.get(uuid).filter(|p| !p.is_payout) {
            Some(payment) => (Answer::ok(payment.model.clone()), Vec::new()),
            None => (not_found(404), Vec::new()),
        },
        "send_fiscal_link" => {
            let url = need!(text(body, "url"), "Url");
            match world.payments.get_mut(uuid) {
                Some(payment) if payment.model["status"] == "success" || payment.model["status"] == "revert" => {
                    payment.model["details"] =
                        json!({"fiscal_url": url, "is_refund": body.get("is_refund").cloned().unwrap_or(json!(false))});
                    (Answer::ok(Value::Null), Vec::new())
                }
                Some(_) => (Answer::fields("Платёж не проведён"), Vec::new()),
                None => (not_found(400), Vec::new()),
            }
        }
        _ => (super::state::no_route(), Vec::new()),
    }
}

fn create_payment(config: &SandboxConfig, world: &mut World, body: &Value) -> Outcome {
    let card = body.get("card").filter(|c| c.is_object());
    let kind = if body.get("payment_system").is_some() {
        "app"
    } else if card.and_then(|c| text(c, "token")).is_some() {
        if body.get("split").is_some_and(|s| s.is_array()) { "split" } else { "token" }
    } else if card.is_some_and(|c| text(c, "pan").is_some() && text(c, "expiry").is_some()) {
        "card"
    } else {
        return (Answer::fields("Card should be array with (`pan` and `expiry`) or `token` field"), Vec::new());
    };
    let amount = need!(integer(body, "amount").filter(|a| *a > 0), "Amount");
    let store = need!(text(body, "store_id"), "Store Id");
    let _ = need!(text(body, "invoice_id"), "Invoice Id");
    // Multicard answers a split's errors under HTTP 200, the others' under 400.
    let status = if kind == "split" { 200 } else { 400 };
    if store != STORE_ID.to_string() && store != STORE_UUID {
        return (Answer::error(status, "ERROR_FIELDS", "Неверный store_id"), Vec::new());
    }
    let uuid = match kind {
        "app" => {
            let Some(system) = text(body, "payment_system").filter(|s| APPS.contains(&s.as_str())) else {
                return (Answer::fields("Значение «Payment System» неверно."), Vec::new());
            };
            world.new_payment("app", body, amount, &system, None)
        }
        "card" => {
            let card = card.cloned().unwrap_or_default();
            let (pan, expiry) = (text(&card, "pan").unwrap_or_default(), text(&card, "expiry").unwrap_or_default());
            if pan != TEST_CARD_PAN || expiry != TEST_CARD_EXPIRY {
                return (card_not_found(400), Vec::new());
            }
            if let Err(answer) = world.sms.send(&pan, config) {
                return (answer, Vec::new());
            }
            let uuid = world.new_payment("card", body, amount, payment_system_of(&pan), Some(("", &pan)));
            if let Some(p) = world.payments.get_mut(&uuid) {
                p.model["card_token"] = Value::Null;
            }
            uuid
        }
        _ => {
            let token = card.and_then(|c| text(c, "token")).unwrap_or_default();
            let Some(pan) = world.active_card(&token) else { return (card_not_found(status), Vec::new()) };
            if kind == "split" {
                let total = body["split"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| integer(s, "amount"))
                    .fold(0i64, i64::saturating_add);
                if total > amount {
                    return (
                        Answer::error(200, "ERROR_FIELDS", "Сумма расщепления превышает сумму платежа"),
                        Vec::new(),
                    );
                }
            }
            world.new_payment(kind, body, amount, payment_system_of(&pan), Some((&token, &pan)))
        }
    };
    (Answer::ok(world.model(&uuid).unwrap_or_default()), Vec::new())
}

/// Completes app payment `uuid` as the payer's app would.
pub(super) fn complete_app_payment(shared: &Arc<Shared>, uuid: &str) -> Result<Value, String> {
    let (model, out) = {
        let mut world = shared.world.lock().unwrap_or_else(|p| p.into_inner());
        match world.payments.get(uuid) {
            Some(p) if p.kind == "app" && p.model["status"] == "draft" => {}
            _ => return Err("no app payment waiting".into()),
        }
        let out = world.succeed(uuid, shared.config.status_webhooks, &shared.config.secret);
        (world.model(uuid), out)
    };
    for message in out {
        deliver(shared.clone(), message);
    }
    model.ok_or_else(|| "no such payment".into())
}
