//! Cards as the sandbox keeps them: bound (or binding) cards and hosted-form
//! binding sessions. Card tokens are shaped as in production (22 letters
//! and digits, mixed case).

use serde_json::{Value, json};

use super::kinds::CardStatus;
use super::values::{card_token, masked, payment_system_of};

/// A bound (or binding) card.
#[derive(Debug)]
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

/// A hosted-form binding session.
#[derive(Debug)]
pub(crate) struct Binding {
    pub(crate) callback_url: String,
    /// The card bound, once the payer completed the form.
    pub(crate) card_token: Option<String>,
    pub(crate) pinfl: Option<String>,
    /// Where the form sends the payer after binding, and after a refusal.
    pub(crate) redirect_url: Option<String>,
    pub(crate) redirect_decline_url: Option<String>,
}
