//! The `cards` group: binding a card on the hosted form (completed in
//! `payer.rs`) or by its data with a one-time code, reading, checking and
//! revoking bound cards. Binding by card data counts against the card's
//! one-time-code limit.

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::answer::{Answer, Refusal};
use crate::config::{TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP};
use crate::extract::{Body, Param};
use crate::registry::Registry;
use crate::state::{App, Outcome};
use crate::world::cards::{Binding, NewCard};
use crate::world::kinds::CardStatus;
use crate::world::values::{hex, integer, masked, payment_system_of, text};

pub(crate) fn register(registry: &mut Registry) {
    registry
        .add("create_card_binding", create_card_binding)
        .add("get_card_binding", get_card_binding)
        .add("get_card", get_card)
        .add("revoke_card", revoke_card)
        .add("confirm_card", confirm_card)
        .add("check_card_pinfl", check_card_pinfl)
        .add("add_card", add_card)
        .add("check_card_pan", check_card_pan);
}

/// `ERROR_CARD_NOT_FOUND` as the cards group answers it.
const CARD_NOT_FOUND: Refusal = Refusal::CardNotFound(StatusCode::BAD_REQUEST);

async fn create_card_binding(State(app): State<App>, Body(body): Body) -> Answer {
    app.run(|world, _| {
        let redirect_url = text(&body, "redirect_url").ok_or(Refusal::Missing("Redirect Url"))?;
        let redirect_decline_url =
            text(&body, "redirect_decline_url").ok_or(Refusal::Missing("Redirect Decline Url"))?;
        integer(&body, "store_id").ok_or(Refusal::Missing("store_id"))?;
        let callback_url = text(&body, "callback_url").ok_or(Refusal::Missing("Callback Url"))?;
        text(&body, "phone").ok_or(Refusal::Missing("Phone"))?;
        let session = hex(13);
        let binding = Binding {
            callback_url,
            card_token: None,
            pinfl: text(&body, "pinfl"),
            redirect_url: Some(redirect_url),
            redirect_decline_url: Some(redirect_decline_url),
        };
        world.bindings.insert(session.clone(), binding);
        let form_url = format!("{}/sandbox/bind/{session}", world.base_url);
        Ok(Outcome::ok(json!({"session_id": session, "form_url": form_url})))
    })
}

async fn get_card_binding(State(app): State<App>, Param(session): Param<String>) -> Answer {
    app.run(|world, _| {
        let binding = world.bindings.get(&session).ok_or(Refusal::NotFound(StatusCode::NOT_FOUND))?;
        let data = match &binding.card_token {
            Some(token) => world.cards.get(token).map(|c| c.model()).unwrap_or_default(),
            None => {
                json!({"id": 0, "payer_id": session, "card_token": "", "status": CardStatus::Draft, "added_on": world.stamp()})
            }
        };
        Ok(Outcome::ok(data))
    })
}

async fn get_card(State(app): State<App>, Param(token): Param<String>) -> Answer {
    app.run(|world, _| Ok(Outcome::ok(world.cards.get(&token).ok_or(CARD_NOT_FOUND)?.model())))
}

async fn check_card_pinfl(State(app): State<App>, Body(body): Body) -> Answer {
    app.run(|world, _| {
        let pan = text(&body, "pan").ok_or(Refusal::Missing("Pan"))?;
        let pinfl = text(&body, "pinfl").ok_or(Refusal::Missing("Pinfl"))?;
        if pinfl.len() != 14 || !pinfl.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Refusal::WrongPinfl);
        }
        let result = match world.cards.values().find(|c| c.pan == pan) {
            None => Value::Null,
            Some(card) => json!(card.pinfl.as_deref() == Some(pinfl.as_str())),
        };
        Ok(Outcome::ok(result))
    })
}

async fn revoke_card(State(app): State<App>, Param(token): Param<String>) -> Answer {
    app.run(|world, _| {
        world.cards.get_mut(&token).ok_or(CARD_NOT_FOUND)?.status = CardStatus::Deleted;
        Ok(Outcome::ok(json!([])))
    })
}

async fn add_card(State(app): State<App>, Body(body): Body) -> Answer {
    app.run(|world, config| {
        let pan = text(&body, "pan").ok_or(Refusal::Missing("Pan"))?;
        let expiry = text(&body, "expiry").ok_or(Refusal::Missing("Expiry"))?;
        let phone = text(&body, "user_phone").ok_or(Refusal::Missing("User Phone"))?;
        if pan != TEST_CARD_PAN || expiry != TEST_CARD_EXPIRY {
            return Err(CARD_NOT_FOUND);
        }
        world.sms.send(&pan, config, world.clock.now())?;
        let id = world.id();
        let added_on = world.stamp();
        let model = world.add_card(NewCard {
            id,
            application_id: 1,
            payer_id: text(&body, "session_id"),
            pan: &pan,
            phone,
            holder_name: text(&body, "holder_name"),
            pinfl: None,
            status: CardStatus::Draft,
            added_on,
        });
        Ok(Outcome::ok(model))
    })
}

async fn confirm_card(State(app): State<App>, Param(token): Param<String>, Body(body): Body) -> Answer {
    app.run(|world, _| {
        let card = world.cards.get_mut(&token).ok_or(CARD_NOT_FOUND)?;
        let otp = text(&body, "otp").ok_or(Refusal::OtpNotSent)?;
        if !card.awaiting_otp {
            return Ok(Outcome::ok(card.model()));
        }
        if otp != TEST_OTP {
            return Err(Refusal::WrongOtp(StatusCode::OK));
        }
        card.awaiting_otp = false;
        card.status = CardStatus::Active;
        if let Some(pinfl) = text(&body, "pinfl") {
            card.fields["pinfl"] = json!(pinfl);
            card.pinfl = Some(pinfl);
        }
        Ok(Outcome::ok(card.model()))
    })
}

async fn check_card_pan(State(app): State<App>, Param(pan): Param<String>) -> Answer {
    app.run(|_, _| {
        if pan.len() != 16 || !pan.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CARD_NOT_FOUND);
        }
        let data = json!({"ps": payment_system_of(&pan), "holder_name": null, "masked_pan": masked(&pan),
            "bank": {"bin": &pan[..6], "name": "Sandbox Bank", "color": null, "logo": null, "ps_bank_id": null, "country": "UZ"}});
        Ok(Outcome::ok(data))
    })
}
