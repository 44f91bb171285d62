//! The sandbox's world: everything it holds (tokens, invoices, cards,
//! payments, holds, fiscal receipts, one-time codes sent), each kind in its own file, and
//! the few changes that touch several of them (an invoice paid makes a
//! payment; a hold shows its payment). It knows nothing of routes or of
//! the handlers that change it.

pub(crate) mod callbacks;
pub(crate) mod cards;
pub(crate) mod fiscal;
pub(crate) mod holds;
pub(crate) mod invoices;
pub(crate) mod kinds;
pub(crate) mod money;
pub(crate) mod otp;
pub(crate) mod payments;
pub(crate) mod reads;
pub(crate) mod receipts;
pub(crate) mod replica;
pub(crate) mod schedule;
pub(crate) mod test_cards;
pub(crate) mod tokens;
pub(crate) mod values;

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use self::callbacks::{DeliveryLog, Outgoing};
use self::cards::{Binding, Card, NewCard};
use self::holds::Hold;
use self::invoices::Invoice;
use self::kinds::{CardStatus, PaymentKind};
use self::otp::SmsLog;
use self::payments::Payment;
use self::receipts::FiscalReceipt;
use self::replica::Replica;
use self::schedule::{Event, Schedule};
use self::tokens::Tokens;
use crate::clock::Clock;
use crate::config::SandboxConfig;
use crate::faults::DeliveryFault;

/// Everything the sandbox holds (`persist.rs` keeps it in a file).
#[derive(Serialize, Deserialize)]
pub(crate) struct World {
    /// The sandbox's own URL (checkout, form and receipt links).
    pub(crate) base_url: String,
    /// Its clock: every time it writes and every schedule it keeps.
    pub(crate) clock: Clock,
    /// What it has to do later.
    pub(crate) schedule: Schedule,
    /// The callbacks sent.
    pub(crate) deliveries: DeliveryLog,
    /// Faults for the next callbacks sent (not kept in a state file).
    #[serde(skip)]
    pub(crate) delivery_faults: VecDeque<DeliveryFault>,
    /// What reads see of it (stale reads, the registries' lag).
    pub(crate) replica: Replica,
    /// The request data kept so far (`max_stored_bytes`).
    pub(crate) stored_bytes: usize,
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
    /// The fiscal receipts issued, by `f_num`.
    pub(crate) receipts: BTreeMap<String, FiscalReceipt>,
    /// The one-time codes sent, by card.
    pub(crate) sms: SmsLog,
    next_id: i64,
}

impl World {
    pub(crate) fn new(base_url: &str, config: &SandboxConfig) -> Self {
        Self {
            base_url: base_url.to_string(),
            clock: Clock::new(config.real_time, config.clock_offset),
            schedule: Schedule::default(),
            deliveries: DeliveryLog::new(config.max_deliveries),
            delivery_faults: VecDeque::new(),
            replica: Replica::new(config.stale_reads, config.registry_lag),
            stored_bytes: 0,
            tokens: Tokens::new(config.max_tokens),
            invoices: BTreeMap::new(),
            cards: BTreeMap::new(),
            bindings: BTreeMap::new(),
            payments: BTreeMap::new(),
            order: Vec::new(),
            holds: Vec::new(),
            receipts: BTreeMap::new(),
            sms: SmsLog::default(),
            next_id: 11_351_395,
        }
    }

    /// Now, on the sandbox's clock.
    pub(crate) fn now(&self) -> Duration {
        self.clock.now()
    }

    /// Now, as Multicard writes it.
    pub(crate) fn stamp(&self) -> String {
        self.clock.stamp()
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
        let now = (self.now(), self.stamp());
        let payment = Payment::draft(id, kind, body, amount, ps, card, &self.base_url, (now.0, &now.1));
        self.add_payment(payment)
    }

    /// Keeps a payment or payout, last in the registries; returns its uuid.
    pub(crate) fn add_payment(&mut self, payment: Payment) -> String {
        let uuid = payment.uuid();
        self.payments.insert(uuid.clone(), payment);
        self.order.push(uuid.clone());
        uuid
    }

    /// The answer for payment `uuid`, as it is now.
    pub(crate) fn payment_model(&self, uuid: &str) -> Option<Value> {
        self.payments.get(uuid).map(Payment::model)
    }

    /// Sends the status webhook of payment `uuid` (if webhooks are on):
    /// due now.
    /// Every change of a payment's status comes here, so its history is
    /// kept here too.
    pub(crate) fn webhook(&mut self, uuid: &str, config: &SandboxConfig) {
        let now = self.stamp();
        if let Some(payment) = self.payments.get_mut(uuid) {
            payment.note_status(&now);
        }
        let message = self.payments.get(uuid).and_then(|p| p.webhook(config.status_webhooks, &config.secret));
        if let Some(message) = message {
            self.send(message);
        }
    }

    /// Sends `message`: its first attempt is due now.
    pub(crate) fn send(&mut self, message: Outgoing) {
        let now = self.now();
        self.schedule.add(now, Event::Deliver { message, attempt: 1 });
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

    /// Hold `id`.
    pub(crate) fn hold(&mut self, id: i64) -> Option<&mut Hold> {
        self.holds.iter_mut().find(|h| h.id == id)
    }

    /// The answer for hold `id`, with its payment's, as it is now.
    pub(crate) fn hold_model(&self, id: i64) -> Option<Value> {
        let hold = self.holds.iter().find(|h| h.id == id)?;
        Some(hold.model(self.payment_model(&hold.payment)))
    }
}
