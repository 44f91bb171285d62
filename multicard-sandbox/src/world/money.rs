//! How money moves: a payment's statuses, by the vendor's rules.
//!
//! A confirmed payment goes `draft` → `progress` while it is debited, then
//! `billing` while its success callback is out, and follows the merchant's
//! answer (`DeliveryOutcome`, by `callbacks::verdict`): HTTP 200 with a boolean `success: true` →
//! `success`; exactly 500 or no answer in time → frozen (stays `billing`;
//! `SandboxConfig::frozen_payments` says whether it is sent again or
//! reverted); anything else → cancelled and refunded (`revert`). A payment
//! with no `callback_url`, and a payout, go from `progress` to `success`.
//! A debit that fails ends `error`. A payment that reaches `success` with a
//! fiscal receipt gets it issued (`receipts.rs`). Every change of a payment's status
//! sends a status webhook when they are on; a webhook not answered 2xx is
//! sent 5 more times, the card-binding callback 5 times in all, 60 s apart.
//!
//! Holds run out at their `expiry`: released (`canceled`, their payment
//! `error`) unless charged or released before.

use std::time::Duration;

use serde_json::{Value, json};

use super::World;
use super::callbacks::{Answered, Delivery, DeliveryOutcome, Exchange, Outgoing, verdict};
use super::kinds::{CallbackKind, HoldStatus, PaymentKind, PaymentStatus};
use super::schedule::Event;
use super::values::{card_token, payment_system_of};
use crate::answer::Refusal;
use crate::config::{FrozenPayments, SandboxConfig};
use crate::faults::LateOutcome;

/// How many times a webhook is sent in all: once, and 5 repeats after a
/// non-2xx (the vendor's webhook page).
pub(crate) const WEBHOOK_ATTEMPTS: u32 = 6;
/// How many times the card-binding callback is sent in all, and the pause
/// between two (the vendor's card-binding callback page).
pub(crate) const BINDING_ATTEMPTS: u32 = 5;
pub(crate) const BINDING_PAUSE: Duration = Duration::from_secs(60);

/// How a debit goes: when it ends and how, and whether it may end within
/// the request that started it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DebitPlan {
    /// How long after it starts it ends (on the sandbox's clock).
    pub(crate) delay: Duration,
    /// How it ends.
    pub(crate) outcome: LateOutcome,
    /// It may end within the request that started it (no delay, no fault).
    pub(crate) at_once: bool,
}

impl DebitPlan {
    /// A debit as the configuration says: it succeeds after `debit_delay`.
    pub(crate) fn configured(config: &SandboxConfig) -> Self {
        Self { delay: config.debit_delay, outcome: LateOutcome::Success, at_once: config.debit_delay.is_zero() }
    }

    /// A debit the card's issuer declines: it fails after `debit_delay`.
    pub(crate) fn declined(config: &SandboxConfig) -> Self {
        Self { outcome: LateOutcome::Error, ..Self::configured(config) }
    }

    /// A debit whose outcome stays unknown for `after`, then is `outcome`.
    pub(crate) fn unknown(after: Duration, outcome: LateOutcome) -> Self {
        Self { delay: after, outcome, at_once: false }
    }
}

/// Who pays an invoice: a card (by its number) or an app (by its name,
/// which becomes the payment's `ps`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum InvoicePayer<'a> {
    Card(&'a str),
    App(&'a str),
}

impl World {
    /// Pays invoice `uuid` with card `pan` (on the checkout page) or in app
    /// `ps` (scanpay, or an app chosen on the checkout page), debited as
    /// `plan` says; returns the payment's answer.
    pub(crate) fn pay_invoice(
        &mut self,
        uuid: &str,
        by: InvoicePayer<'_>,
        plan: DebitPlan,
        config: &SandboxConfig,
    ) -> Result<Value, Refusal> {
        let invoice = self.invoices.get(uuid).ok_or(Refusal::NotFound(axum::http::StatusCode::OK))?;
        invoice.payable(self.now())?;
        let body = json!({"invoice_id": invoice.model["invoice_id"], "callback_url": invoice.callback_url,
            "ofd": invoice.model["ofd"]});
        let amount = invoice.model["amount"].as_i64().unwrap_or_default();
        let token = card_token();
        let (ps, card) = match by {
            InvoicePayer::Card(pan) => (payment_system_of(pan), Some((token.as_str(), pan))),
            InvoicePayer::App(app) => (app, None),
        };
        let payment = self.new_payment(PaymentKind::Invoice, &body, amount, ps, card);
        let on = self.stamp();
        if let Some(invoice) = self.invoices.get_mut(uuid) {
            invoice.paid_by(payment.clone(), on);
        }
        self.start_debit(&payment, plan, config);
        Ok(self.payment_model(&payment).unwrap_or_default())
    }

    /// What `get_invoice` answers for invoice `uuid`.
    pub(crate) fn invoice_answer(&self, uuid: &str, config: &SandboxConfig) -> Result<Value, Refusal> {
        let invoice = self.invoices.get(uuid).ok_or(Refusal::NotFound(axum::http::StatusCode::OK))?;
        let payment = invoice.payment.as_deref().and_then(|p| self.payment_model(p));
        invoice.read(config, self.now(), payment)
    }

    /// Starts debiting payment (or payout) `uuid`: it reads `progress`
    /// until the debit ends as `plan` says.
    pub(crate) fn start_debit(&mut self, uuid: &str, plan: DebitPlan, config: &SandboxConfig) {
        // A bound sandbox-only card that declines (`test_cards.rs`) declines
        // every payment by its token too.
        let token = self.payments.get(uuid).and_then(|p| p.fields["card_token"].as_str());
        let declines = token.and_then(|t| self.cards.get(t)).is_some_and(|card| super::test_cards::declines(&card.pan));
        let plan = if declines { DebitPlan { outcome: LateOutcome::Error, ..plan } } else { plan };
        let Some(payment) = self.payments.get_mut(uuid) else { return };
        payment.status = PaymentStatus::Progress;
        self.webhook(uuid, config);
        if plan.at_once {
            self.end_debit(uuid, plan.outcome, config);
        } else {
            let at = self.now().saturating_add(plan.delay);
            self.schedule.add(at, Event::Debit { payment: uuid.to_string(), outcome: plan.outcome });
        }
    }

    /// Ends the debit of payment `uuid` (if it is still in `progress`).
    pub(crate) fn end_debit(&mut self, uuid: &str, outcome: LateOutcome, config: &SandboxConfig) {
        let (base_url, now) = (self.base_url.clone(), self.stamp());
        let Some(payment) = self.payments.get_mut(uuid).filter(|p| p.status == PaymentStatus::Progress) else {
            return;
        };
        if outcome == LateOutcome::Error {
            payment.status = PaymentStatus::Error;
            self.webhook(uuid, config);
            return;
        }
        payment.paid(uuid, &base_url, &now);
        let callback = payment.success_callback(uuid, &config.secret);
        payment.status = if callback.is_some() { PaymentStatus::Billing } else { PaymentStatus::Success };
        if payment.kind == PaymentKind::Hold
            && let Some(hold) = self.holds.iter_mut().find(|h| h.payment == uuid)
        {
            hold.set(HoldStatus::Success, now);
        }
        if callback.is_none() {
            self.issue_receipt(uuid);
        }
        self.webhook(uuid, config);
        if let Some(callback) = callback {
            self.send(callback);
        }
    }

    /// Whether `message` is still to be sent: a success callback only while
    /// its payment is `billing`.
    pub(crate) fn still_wanted(&self, message: &Outgoing) -> bool {
        match (&message.kind, &message.payment) {
            (CallbackKind::Success, Some(uuid)) => {
                self.payments.get(uuid).is_some_and(|p| p.status == PaymentStatus::Billing)
            }
            _ => true,
        }
    }

    /// Records attempt `attempt` of `message` and what its answer means,
    /// and acts on it by the vendor's rules; returns that meaning. Only an
    /// attempt of the vendor's own schedule (`scheduled`) schedules the
    /// next one; one sent again by hand (the dashboard's "send again") is
    /// acted on, but adds no second round of attempts to the one already
    /// under way.
    pub(crate) fn delivered(
        &mut self,
        message: Outgoing,
        attempt: u32,
        exchange: Exchange,
        took: Duration,
        config: &SandboxConfig,
        scheduled: bool,
    ) -> DeliveryOutcome {
        let Exchange { answered, shown } = exchange;
        let outcome = match self.still_wanted(&message) {
            true => verdict(message.kind, &answered),
            false => DeliveryOutcome::Skipped,
        };
        let status = match answered {
            Answered::Status { status, .. } => Some(status),
            Answered::TimedOut | Answered::Failed => None,
        };
        let now = self.now();
        self.deliveries.push(Delivery {
            kind: message.kind.as_str(),
            url: message.url.clone(),
            body: message.body.clone(),
            attempt,
            status,
            outcome,
            at: self.stamp(),
            payment: message.payment.clone(),
            answer: shown,
            took,
            number: 0,
        });
        let payment = message.payment.clone().unwrap_or_default();
        match (message.kind, outcome) {
            (CallbackKind::Success, DeliveryOutcome::Accepted) => {
                if let Some(p) = self.payments.get_mut(&payment) {
                    p.status = PaymentStatus::Success;
                }
                self.issue_receipt(&payment);
                self.webhook(&payment, config);
            }
            (CallbackKind::Success, DeliveryOutcome::Refused) => self.revert(&payment, config),
            (CallbackKind::Success, DeliveryOutcome::Frozen) if scheduled => match config.frozen_payments {
                FrozenPayments::Resent { times, every } if attempt <= times => {
                    self.schedule.add(now.saturating_add(every), Event::Deliver { message, attempt: attempt + 1 });
                }
                FrozenPayments::RevertedAfter(after) if attempt == 1 => {
                    self.schedule.add(now.saturating_add(after), Event::RevertFrozen { payment });
                }
                _ => {}
            },
            (CallbackKind::Webhook, DeliveryOutcome::NotAccepted) if scheduled && attempt < WEBHOOK_ATTEMPTS => {
                let at = now.saturating_add(config.webhook_repeat_every);
                self.schedule.add(at, Event::Deliver { message, attempt: attempt + 1 });
            }
            (CallbackKind::CardBinding, DeliveryOutcome::NotAccepted) if scheduled && attempt < BINDING_ATTEMPTS => {
                self.schedule.add(now.saturating_add(BINDING_PAUSE), Event::Deliver { message, attempt: attempt + 1 });
            }
            _ => {}
        }
        outcome
    }

    /// A frozen payment's time is up: cancelled and refunded, if it is
    /// still frozen.
    pub(crate) fn revert_frozen(&mut self, uuid: &str, config: &SandboxConfig) {
        if self.payments.get(uuid).is_some_and(|p| p.status == PaymentStatus::Billing) {
            self.revert(uuid, config);
        }
    }

    /// Cancels payment `uuid` and refunds the payer in full.
    fn revert(&mut self, uuid: &str, config: &SandboxConfig) {
        let now = self.stamp();
        let Some(payment) = self.payments.get_mut(uuid) else { return };
        payment.status = PaymentStatus::Revert;
        payment.fields["refund_time"] = json!(now);
        payment.refunded = payment.amount();
        self.webhook(uuid, config);
    }

    /// Hold `id` runs out: released unless it was charged (or is being
    /// charged) or released before.
    pub(crate) fn hold_expires(&mut self, id: i64, config: &SandboxConfig) {
        let now = self.stamp();
        let Some(hold) = self.holds.iter_mut().find(|h| h.id == id) else { return };
        let payment = hold.payment.clone();
        let charging = self.payments.get(&payment).is_some_and(|p| p.status.is_moving());
        if charging || !matches!(hold.status, HoldStatus::Draft | HoldStatus::Active) {
            return;
        }
        hold.set(HoldStatus::Canceled, now);
        if let Some(p) = self.payments.get_mut(&payment) {
            p.status = PaymentStatus::Error;
        }
        self.webhook(&payment, config);
    }
}
