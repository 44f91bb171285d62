//! The `holds` group: funds blocked on a bound card, confirmed with a
//! one-time code, then charged (in whole or in part) or released.
//!
//! As in production, not as the vendor's pages say: a hold is addressed by
//! the integer `id` `create_hold` answers (the path parameter the pages
//! call `payment_uuid`; the payment's uuid answers `ERROR_NOT_FOUND`), and
//! its status goes `draft` → `active` → `success` once charged, or to
//! `canceled` (one "l") once released. Creating a hold sends a one-time
//! code, which counts against the card's limit.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::state::{Outcome, World};
use super::values::{card_not_found, integer, need, not_found, now, param, payment_system_of, text};
use super::{Answer, SandboxConfig, TEST_OTP};
use crate::time::MulticardDateTime;

/// A hold and the payment it blocks funds for.
pub(super) struct Hold {
    id: i64,
    payment: String,
    /// `draft`, `active`, `success` (charged) or `canceled`.
    status: &'static str,
    expiry: String,
    added_on: String,
    updated_on: Option<String>,
}

fn not_active() -> Answer {
    Answer::error(403, "ERROR_PAYMENT_APPLIED", "Холд не активен")
}

impl World {
    fn hold_model(&self, hold: &Hold) -> Value {
        json!({"id": hold.id, "status": hold.status, "expiry": hold.expiry, "added_on": hold.added_on,
            "updated_on": hold.updated_on, "payment": self.model(&hold.payment)})
    }

    fn find_hold(&mut self, id: i64) -> Option<&mut Hold> {
        self.holds.iter_mut().find(|h| h.id == id)
    }
}

pub(super) fn operate(
    config: &SandboxConfig,
    world: &mut World,
    operation: &str,
    params: &BTreeMap<&'static str, String>,
    body: &Value,
) -> Outcome {
    match operation {
        "create_hold" => create(config, world, body),
        _ => match param(params, "payment_uuid").parse::<i64>() {
            Ok(id) => hold_operation(world, config, operation, id, body),
            // Production addresses holds by their integer id only.
            Err(_) => (not_found(404), Vec::new()),
        },
    }
}

fn create(config: &SandboxConfig, world: &mut World, body: &Value) -> Outcome {
    let token = need!(body.get("card").and_then(|c| text(c, "token")), "Card");
    let amount = need!(integer(body, "amount").filter(|a| *a > 0), "Amount");
    let _ = need!(text(body, "store_id"), "Store Id");
    let _ = need!(text(body, "invoice_id"), "Invoice Id");
    let minutes = need!(integer(body, "expiry"), "Expiry");
    if !(1..=43_200).contains(&minutes) {
        return (Answer::fields("Значение «Expiry» должно быть от 1 до 43200."), Vec::new());
    }
    let Some(pan) = world.active_card(&token) else { return (card_not_found(400), Vec::new()) };
    if let Err(answer) = world.sms.send(&pan, config) {
        return (answer, Vec::new());
    }
    let payment = world.new_payment("hold", body, amount, payment_system_of(&pan), Some((&token, &pan)));
    let id = world.id();
    let expiry = MulticardDateTime::from_utc(chrono::Utc::now() + chrono::Duration::minutes(minutes)).to_string();
    let hold = Hold { id, payment, status: "draft", expiry, added_on: now(), updated_on: None };
    let model = world.hold_model(&hold);
    world.holds.push(hold);
    (Answer::ok(model), Vec::new())
}

fn hold_operation(world: &mut World, config: &SandboxConfig, operation: &str, id: i64, body: &Value) -> Outcome {
    let (webhooks, secret) = (config.status_webhooks, config.secret.as_str());
    let Some(hold) = world.find_hold(id) else { return (not_found(404), Vec::new()) };
    match operation {
        "confirm_hold" => {
            if hold.status != "draft" {
                return (Answer::fields("Холд подтверждён ранее"), Vec::new());
            }
            if text(body, "otp").as_deref() != Some(TEST_OTP) {
                return (Answer::error(400, "ERROR_WRONG_OTP", "Неверный код подтверждения"), Vec::new());
            }
            hold.status = "active";
            hold.updated_on = Some(now());
            let payment = hold.payment.clone();
            if let Some(p) = world.payments.get_mut(&payment) {
                p.model["otp_hash"] = Value::Null;
            }
        }
        "charge_hold" => {
            if hold.status != "active" {
                return (not_active(), Vec::new());
            }
            let payment = hold.payment.clone();
            let held =
                world.payments.get(&payment).and_then(|p| p.model["payment_amount"].as_i64()).unwrap_or_default();
            let amount = integer(body, "amount").unwrap_or(held);
            if amount <= 0 || amount > held {
                return (Answer::fields("Сумма списания превышает сумму холдирования"), Vec::new());
            }
            if let Some(hold) = world.find_hold(id) {
                hold.status = "success";
                hold.updated_on = Some(now());
            }
            if let Some(p) = world.payments.get_mut(&payment) {
                p.model["payment_amount"] = json!(amount);
                p.model["total_amount"] = json!(amount);
            }
            let out = world.succeed(&payment, webhooks, secret);
            return (Answer::ok(world.model(&payment).unwrap_or_default()), out);
        }
        "cancel_hold" => {
            if hold.status != "draft" && hold.status != "active" {
                return (not_active(), Vec::new());
            }
            hold.status = "canceled";
            hold.updated_on = Some(now());
            let payment = hold.payment.clone();
            if let Some(p) = world.payments.get_mut(&payment) {
                p.model["status"] = json!("error");
            }
        }
        "get_hold" => {}
        _ => return (super::state::no_route(), Vec::new()),
    }
    match world.holds.iter().find(|h| h.id == id) {
        Some(hold) => (Answer::ok(world.hold_model(hold)), Vec::new()),
        None => (not_found(404), Vec::new()),
    }
}
