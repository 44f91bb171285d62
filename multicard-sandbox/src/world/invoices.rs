//! Invoices as the sandbox keeps them: the answer, the lifetime, the
//! payment made on it, and the status that follows from them. Times are
//! the sandbox's clock: an invoice runs out when `Sandbox::advance` moves
//! past its `ttl`.
//!
//! As in production, not as the vendor's pages say: an invoice deleted, or
//! whose lifetime ran out unpaid, reads with the undocumented
//! `status: "cancelled"` for `cancelled_invoice_readable_for`, and
//! `get_invoice` answers `ERROR_TRANS_NOT_READY` after that. An open
//! invoice has no `status`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::kinds::InvoiceStatus;
use crate::answer::Refusal;
use crate::config::SandboxConfig;

/// An invoice and what the sandbox needs to know besides its answer.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Invoice {
    /// The answer, in production's field order (its `payment` is written
    /// when it is read).
    pub(crate) model: Value,
    /// Where its payment's callbacks go.
    pub(crate) callback_url: String,
    /// The uuid of the payment made on it.
    pub(crate) payment: Option<String>,
    expires_at: Duration,
    /// `expires_at` as Multicard writes it.
    expires_on: String,
    /// When it was deleted, if it was deleted while open.
    deleted: Option<(Duration, String)>,
}

impl Invoice {
    /// An open invoice that runs out at `expires_at` on the sandbox's clock
    /// (`expires_on`, as Multicard writes that moment).
    pub(crate) fn new(model: Value, callback_url: String, expires_at: Duration, expires_on: String) -> Self {
        Self { model, callback_url, payment: None, expires_at, expires_on, deleted: None }
    }

    /// Its status at `now`. An invoice with a payment is never cancelled.
    pub(crate) fn status(&self, now: Duration) -> InvoiceStatus {
        if self.payment.is_some() {
            return InvoiceStatus::Paid;
        }
        if let Some((at, on)) = &self.deleted {
            return InvoiceStatus::Cancelled { at: *at, on: on.clone() };
        }
        if now >= self.expires_at {
            return InvoiceStatus::Cancelled { at: self.expires_at, on: self.expires_on.clone() };
        }
        InvoiceStatus::Open
    }

    /// What `get_invoice` answers at `now`, with its payment's answer
    /// (`payment`): the model, `cancelled` for a while after a
    /// cancellation, then `ERROR_TRANS_NOT_READY`.
    pub(crate) fn read(&self, config: &SandboxConfig, now: Duration, payment: Option<Value>) -> Result<Value, Refusal> {
        let mut model = self.model.clone();
        if let Some(payment) = payment {
            model["payment"] = payment;
        }
        match self.status(now) {
            InvoiceStatus::Open | InvoiceStatus::Paid => Ok(model),
            InvoiceStatus::Cancelled { at, on } if now.saturating_sub(at) < config.cancelled_invoice_readable_for => {
                model["status"] = json!("cancelled");
                model["updated_on"] = json!(on);
                Ok(model)
            }
            InvoiceStatus::Cancelled { .. } => Err(Refusal::TransactionNotReady),
        }
    }

    /// `Ok` while it can be paid at `now`.
    pub(crate) fn payable(&self, now: Duration) -> Result<(), Refusal> {
        match self.status(now) {
            InvoiceStatus::Open => Ok(()),
            InvoiceStatus::Paid | InvoiceStatus::Cancelled { .. } => Err(Refusal::TransactionNotReady),
        }
    }

    /// Deletes it at `now` (`on`, as Multicard writes it): an open invoice
    /// is cancelled from then on, a cancelled one stays as it is, one with a
    /// payment cannot be deleted.
    pub(crate) fn delete(&mut self, now: Duration, on: String) -> Result<(), Refusal> {
        match self.status(now) {
            InvoiceStatus::Paid => Err(Refusal::InvoicePaid),
            InvoiceStatus::Open => {
                self.deleted = Some((now, on));
                Ok(())
            }
            InvoiceStatus::Cancelled { .. } => Ok(()),
        }
    }

    /// Records payment `uuid`, made on it at `on`.
    pub(crate) fn paid_by(&mut self, uuid: String, on: String) {
        self.payment = Some(uuid);
        self.model["updated_on"] = json!(on);
    }
}
