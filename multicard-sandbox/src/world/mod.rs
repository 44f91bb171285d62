//! The sandbox's world: everything it holds (tokens, invoices, cards,
//! payments, holds, one-time codes sent), each kind in its own file, and
//! the few changes that touch several of them (an invoice paid makes a
//! payment; a hold shows its payment). It knows nothing of routes or of
//! the handlers that change it.

pub(crate) mod callbacks;
pub(crate) mod cards;
pub(crate) mod holds;
pub(crate) mod invoices;
pub(crate) mod kinds;
pub(crate) mod otp;
pub(crate) mod payments;
pub(crate) mod tokens;
pub(crate) mod values;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use self::callbacks::Outgoing;
use self::cards::{Binding, Card, NewCard};
use self::holds::Hold;
use self::invoices::Invoice;
use self::kinds::{CardStatus, PaymentKind};
use self::otp::SmsLog;
use self::payments::Payment;
use self::tokens::Tokens;
use self::values::card_token;
use crate::answer::Refusal;
use crate::config::{SandboxConfig, TEST_CARD_PAN};

/// Everything the sandbox holds.
pub(crate) struct World {
    /// The sandbox's own URL (checkout, form and receipt links).
    pub(crate) base_url: String,
    pub(crate) tokens: Tokens,
    pub(crate) invoices: BTreeMap<String, Invoice>,
    /// By card token.
    pub(crate) cards: BTreeMap<String, Card>,
    /// Hosted-form sessions, by session id.
    pub(crate) bindings: BTreeMap<String, Binding>,
    /// Payments and payouts, by uuid.
    pub(crate) payments: BTreeMap<String, Payment>,
    /// Payment uuids in the order they were made (the registries' order).
    pub(crate) order: Vec<String>,
    pub(crate) holds: Vec<Hold>,
    /// The one-time codes sent, by card.
    pub(crate) sms: SmsLog,
    next_id: i64,
}

impl World {
    pub(crate) fn new(base_url: &str, max_tokens: usize) -> Self {
        Self {
            base_url: base_url.to_string(),
            tokens: Tokens::new(max_tokens),
            invoices: BTreeMap::new(),
            cards: BTreeMap::new(),
            bindings: BTreeMap::new(),
            payments: BTreeMap::new(),
            order: Vec::new(),
            holds: Vec::new(),
            sms: SmsLog::default(),
            next_id: 11_351_395,
        }
    }

    /// The next integer id (payments, holds and cards share one sequence).
    pub(crate) fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    /// Makes a draft payment and returns its uuid. `card` is the card's
    /// token and PAN.
    pub(crate) fn new_payment(
        &mut self,
        kind: PaymentKind,
        body: &Value,
        amount: i64,
        ps: &str,
        card: Option<(&str, &str)>,
    ) -> String {
        let id = self.id();
        let payment = Payment::draft(id, kind, body, amount, ps, card, &self.base_url);
        self.add_payment(payment)
    }

    /// Keeps a payment or payout, last in the registries; returns its uuid.
    pub(crate) fn add_payment(&mut self, payment: Payment) -> String {
        let uuid = payment.uuid();
        self.payments.insert(uuid.clone(), payment);
        self.order.push(uuid.clone());
        uuid
    }

    /// The answer for payment `uuid`.
    pub(crate) fn payment_model(&self, uuid: &str) -> Option<Value> {
        self.payments.get(uuid).map(Payment::model)
    }

    /// Marks payment `uuid` paid and returns the callbacks it triggers.
    pub(crate) fn succeed(&mut self, uuid: &str, config: &SandboxConfig) -> Vec<Outgoing> {
        let Some(payment) = self.payments.get_mut(uuid) else { return Vec::new() };
        payment.succeed(uuid, &self.base_url, config.status_webhooks, &config.secret)
    }

    /// The status webhook of payment `uuid`, if webhooks are on.
    pub(crate) fn webhook(&self, uuid: &str, config: &SandboxConfig) -> Option<Outgoing> {
        self.payments.get(uuid)?.webhook(uuid, config.status_webhooks, &config.secret)
    }

    /// The active card behind `token`, as its PAN.
    pub(crate) fn active_card(&self, token: &str) -> Option<String> {
        self.cards.get(token).filter(|c| c.status == CardStatus::Active).map(|c| c.pan.clone())
    }

    /// Binds a card; returns its answer.
    pub(crate) fn add_card(&mut self, card: NewCard<'_>) -> Value {
        let (token, card) = Card::new(card);
        let model = card.model();
        self.cards.insert(token, card);
        model
    }

    /// Pays invoice `uuid` through `ps` (the test card on the checkout page,
    /// `uzcard`; an app by scanpay); returns the payment and its callbacks.
    pub(crate) fn pay_invoice(
        &mut self,
        uuid: &str,
        ps: &str,
        config: &SandboxConfig,
    ) -> Result<(Value, Vec<Outgoing>), Refusal> {
        let invoice = self.invoices.get(uuid).ok_or(Refusal::NotFound(axum::http::StatusCode::OK))?;
        invoice.payable()?;
        let body = json!({"invoice_id": invoice.model["invoice_id"], "callback_url": invoice.callback_url,
            "ofd": invoice.model["ofd"]});
        let amount = invoice.model["amount"].as_i64().unwrap_or_default();
        let token = card_token();
        let card = (ps == "uzcard").then_some((token.as_str(), TEST_CARD_PAN));
        let payment = self.new_payment(PaymentKind::Invoice, &body, amount, ps, card);
        let out = self.succeed(&payment, config);
        let model = self.payment_model(&payment).unwrap_or_default();
        if let Some(invoice) = self.invoices.get_mut(uuid) {
            invoice.paid_by(model.clone());
        }
        Ok((model, out))
    }

    /// Hold `id`.
    pub(crate) fn hold(&mut self, id: i64) -> Option<&mut Hold> {
        self.holds.iter_mut().find(|h| h.id == id)
    }

    /// The answer for hold `id`, with its payment's.
    pub(crate) fn hold_model(&self, id: i64) -> Option<Value> {
        let hold = self.holds.iter().find(|h| h.id == id)?;
        Some(hold.model(self.payment_model(&hold.payment)))
    }
}
