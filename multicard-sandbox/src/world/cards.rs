//! Cards as the sandbox keeps them: bound (or binding) cards and hosted-form
//! binding sessions. Card tokens are shaped as in production (22 letters
//! and digits, mixed case).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::kinds::CardStatus;
use super::values::{card_token, masked, payment_system_of};
use crate::config::TEST_CARD_PAN;

/// A bound (or binding) card.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Card {
    /// The answer, in production's field order. Its `status` is only a
    /// placeholder: [`Card::model`] writes [`Card::status`] there.
    pub(crate) fields: Value,
    pub(crate) status: CardStatus,
    pub(crate) pan: String,
    pub(crate) pinfl: Option<String>,
    /// Added by its data, its one-time code not yet given.
    pub(crate) awaiting_otp: bool,
}

/// What a bound card is made of.
pub(crate) struct NewCard<'a> {
    pub(crate) id: i64,
    pub(crate) application_id: i64,
    pub(crate) payer_id: Option<String>,
    pub(crate) pan: &'a str,
    pub(crate) phone: String,
    pub(crate) holder_name: Option<String>,
    pub(crate) pinfl: Option<String>,
    pub(crate) status: CardStatus,
    /// When it is added, as Multicard writes it.
    pub(crate) added_on: String,
}

impl Card {
    /// A card with a new token; returns the token too.
    pub(crate) fn new(card: NewCard<'_>) -> (String, Self) {
        let token = card_token();
        let fields = json!({"id": card.id, "application_id": card.application_id, "payer_id": card.payer_id,
            "card_pan": masked(card.pan), "card_token": token, "phone": card.phone, "holder_name": card.holder_name,
            "pinfl": card.pinfl, "ps": payment_system_of(card.pan), "status": card.status, "added_on": card.added_on,
            "card_status": {"code": 0, "description": "Active"}, "sms_inform": true});
        let awaiting_otp = card.status == CardStatus::Draft;
        let pan = card.pan.to_string();
        (token, Self { fields, status: card.status, pan, pinfl: card.pinfl, awaiting_otp })
    }

    /// The answer Multicard gives for it.
    pub(crate) fn model(&self) -> Value {
        let mut model = self.fields.clone();
        model["status"] = json!(self.status);
        model
    }
}

impl<'a> NewCard<'a> {
    /// Card `pan`, bound by a payer on the hosted form of binding session
    /// `session`.
    pub(crate) fn hosted_form(id: i64, session: &str, pan: &'a str, pinfl: Option<String>, added_on: String) -> Self {
        NewCard {
            id,
            application_id: 9,
            payer_id: Some(session.to_string()),
            pan,
            phone: "998901234567".into(),
            holder_name: Some("SANDBOX PAYER".into()),
            pinfl,
            status: CardStatus::Active,
            added_on,
        }
    }
}

/// The card-binding callback Multicard sends for `card` (a card as
/// `get_card` answers it): the card, and `is_multicard`. Not signed.
pub fn card_binding_body(card: &Value) -> Value {
    let mut body = card.clone();
    body["is_multicard"] = json!(false);
    body
}

/// The test card as the hosted form of binding session `session` binds it
/// (its integer `id`, its `card_token` or a new one, bound at `added_on`
/// as Multicard writes time), as `get_card` answers it: what a
/// card-binding callback written by hand carries.
pub fn hosted_form_card(id: i64, session: &str, card_token: Option<&str>, added_on: &str) -> Value {
    let (token, card) = Card::new(NewCard::hosted_form(id, session, TEST_CARD_PAN, None, added_on.to_string()));
    let mut model = card.model();
    model["card_token"] = json!(card_token.unwrap_or(&token));
    model
}

/// A hosted-form binding session.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Binding {
    pub(crate) callback_url: String,
    /// The card bound, once the payer completed the form.
    pub(crate) card_token: Option<String>,
    pub(crate) pinfl: Option<String>,
    /// Where the form sends the payer after binding, and after a refusal.
    pub(crate) redirect_url: Option<String>,
    pub(crate) redirect_decline_url: Option<String>,
}
