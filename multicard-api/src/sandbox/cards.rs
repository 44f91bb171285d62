//! The `cards` group: binding a card on the hosted form or by its data with
//! a one-time code, reading, checking and revoking bound cards. Card tokens
//! are shaped as in production (22 letters and digits, mixed case), and
//! binding by card data counts against the card's one-time-code limit.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::state::{Outcome, Outgoing, World, deliver};
use super::values::{
    card_not_found, card_token, hex, integer, masked, need, not_found, now, param, payment_system_of, text,
};
use super::{Answer, SandboxConfig, Shared, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP};

/// A bound (or binding) card.
pub(super) struct Card {
    pub(super) model: Value,
    pub(super) pan: String,
    pinfl: Option<String>,
    awaiting_otp: bool,
}

/// A hosted-form binding session.
pub(super) struct Binding {
    store_id: i64,
    callback_url: String,
    card_token: Option<String>,
    pinfl: Option<String>,
}

impl World {
    /// The active card behind `token`, as its PAN.
    pub(super) fn active_card(&self, token: &str) -> Option<String> {
        self.cards.get(token).filter(|c| c.model["status"] == "active").map(|c| c.pan.clone())
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
        "create_card_binding" => {
            let _ = need!(text(body, "redirect_url"), "Redirect Url");
            let _ = need!(text(body, "redirect_decline_url"), "Redirect Decline Url");
            let store_id = need!(integer(body, "store_id"), "store_id");
            let callback_url = need!(text(body, "callback_url"), "Callback Url");
            let _ = need!(text(body, "phone"), "Phone");
            let session = hex(13);
            world.bindings.insert(
                session.clone(),
                Binding { store_id, callback_url, card_token: None, pinfl: text(body, "pinfl") },
            );
            let form_url = format!("{}/sandbox/bind/{session}", world.base_url);
            (Answer::ok(json!({"session_id": session, "form_url": form_url})), Vec::new())
        }
        "get_card_binding" => {
            let session = param(params, "session_id");
            let data = match world.bindings.get(session) {
                None => return (not_found(404), Vec::new()),
                Some(Binding { card_token: Some(token), .. }) => {
                    world.cards.get(token).map(|c| c.model.clone()).unwrap_or_default()
                }
                Some(_) => {
                    json!({"id": 0, "payer_id": session, "card_token": "", "status": "draft", "added_on": now()})
                }
            };
            (Answer::ok(data), Vec::new())
        }
        "get_card" => match world.cards.get(param(params, "card_token")) {
            Some(card) => (Answer::ok(card.model.clone()), Vec::new()),
            None => (card_not_found(400), Vec::new()),
        },
        "check_card_pinfl" => {
            let pan = need!(text(body, "pan"), "Pan");
            let pinfl = need!(text(body, "pinfl"), "Pinfl");
            if pinfl.len() != 14 || !pinfl.bytes().all(|b| b.is_ascii_digit()) {
                return (Answer::fields("pinfl должен состоять из 14 цифр."), Vec::new());
            }
            let result = match world.cards.values().find(|c| c.pan == pan) {
                None => Value::Null,
                Some(card) => json!(card.pinfl.as_deref() == Some(pinfl.as_str())),
            };
            (Answer::ok(result), Vec::new())
        }
        "revoke_card" => match world.cards.get_mut(param(params, "card_token")) {
            Some(card) => {
                card.model["status"] = json!("deleted");
                (Answer::ok(json!([])), Vec::new())
            }
            None => (card_not_found(400), Vec::new()),
        },
        "add_card" => add_card(config, world, body),
        "confirm_card" => {
            let Some(card) = world.cards.get_mut(param(params, "card_token")) else {
                return (card_not_found(400), Vec::new());
            };
            let Some(otp) = text(body, "otp") else {
                return (Answer::error(200, "ERROR_FIELDS", "Не передан SMS-код"), Vec::new());
            };
            if !card.awaiting_otp {
                return (Answer::ok(card.model.clone()), Vec::new());
            }
            if otp != TEST_OTP {
                return (Answer::error(200, "ERROR_WRONG_OTP", "Неверный код подтверждения"), Vec::new());
            }
            card.awaiting_otp = false;
            card.model["status"] = json!("active");
            if let Some(pinfl) = text(body, "pinfl") {
                card.pinfl = Some(pinfl.clone());
                card.model["pinfl"] = json!(pinfl);
            }
            (Answer::ok(card.model.clone()), Vec::new())
        }
        "check_card_pan" => {
            let pan = param(params, "pan");
            if pan.len() != 16 || !pan.bytes().all(|b| b.is_ascii_digit()) {
                return (card_not_found(400), Vec::new());
            }
            let data = json!({"ps": payment_system_of(pan), "holder_name": null, "masked_pan": masked(pan),
                "bank": {"bin": &pan[..6], "name": "Sandbox Bank", "color": null, "logo": null, "ps_bank_id": null, "country": "UZ"}});
            (Answer::ok(data), Vec::new())
        }
        _ => (super::state::no_route(), Vec::new()),
    }
}

fn add_card(config: &SandboxConfig, world: &mut World, body: &Value) -> Outcome {
    let pan = need!(text(body, "pan"), "Pan");
    let expiry = need!(text(body, "expiry"), "Expiry");
    let phone = need!(text(body, "user_phone"), "User Phone");
    if pan != TEST_CARD_PAN || expiry != TEST_CARD_EXPIRY {
        return (card_not_found(400), Vec::new());
    }
    if let Err(answer) = world.sms.send(&pan, config) {
        return (answer, Vec::new());
    }
    let token = card_token();
    let model = json!({"id": world.id(), "application_id": 1, "payer_id": text(body, "session_id"), "card_pan": masked(&pan),
        "card_token": token, "phone": phone, "holder_name": text(body, "holder_name"), "pinfl": null,
        "ps": payment_system_of(&pan), "status": "draft", "added_on": now(), "card_status": {"code": 0, "description": "Active"},
        "sms_inform": true});
    world.cards.insert(token, Card { model: model.clone(), pan, pinfl: None, awaiting_otp: true });
    (Answer::ok(model), Vec::new())
}

/// Completes the hosted form of binding `session` with the test card, as
/// the payer would, and sends the card-binding callback.
pub(super) fn complete_binding(shared: &Arc<Shared>, session: &str) -> Result<Value, String> {
    let message = {
        let mut world = shared.world.lock().unwrap_or_else(|p| p.into_inner());
        let id = world.id();
        let Some(binding) = world.bindings.get_mut(session) else { return Err("no such binding session".into()) };
        if binding.card_token.is_some() {
            return Err("the binding is already complete".into());
        }
        let token = card_token();
        binding.card_token = Some(token.clone());
        let (store_id, callback_url, pinfl) = (binding.store_id, binding.callback_url.clone(), binding.pinfl.clone());
        let model = json!({"id": id, "application_id": 9, "payer_id": session, "card_pan": masked(TEST_CARD_PAN),
            "card_token": token, "phone": "998901234567", "holder_name": "SANDBOX PAYER", "pinfl": pinfl,
            "ps": "uzcard", "status": "active", "added_on": now(), "card_status": {"code": 0, "description": "Active"},
            "sms_inform": true});
        world.cards.insert(token, Card { model: model.clone(), pan: TEST_CARD_PAN.into(), pinfl, awaiting_otp: false });
        let mut callback = model.clone();
        callback["is_multicard"] = json!(false);
        let _ = store_id;
        Outgoing { kind: "card_binding", url: callback_url, body: callback, payment: None }
    };
    let body = message.body.clone();
    deliver(shared.clone(), message);
    Ok(body)
}
