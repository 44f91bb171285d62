//! Invoices as the sandbox keeps them: the answer, the lifetime, and the
//! status that follows from them.
//!
//! As in production, not as the vendor's pages say: an invoice deleted, or
//! whose lifetime ran out unpaid, reads with the undocumented
//! `status: "cancelled"` for `cancelled_invoice_readable_for`, and
//! `get_invoice` answers `ERROR_TRANS_NOT_READY` after that. An open
//! invoice has no `status`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::kinds::InvoiceStatus;
use super::values::now;
use crate::answer::Refusal;
use crate::config::SandboxConfig;

/// An invoice and what the sandbox needs to know besides its answer.
#[derive(Debug)]
pub(crate) struct Invoice {
    /// The answer, in production's field order.
    pub(crate) model: Value,
    /// Where its payment's callbacks go.
    pub(crate) callback_url: String,
    expires_at: Instant,
    /// `expires_at` as Multicard writes it.
    expires_on: String,
    /// When it was deleted, if it was deleted while open.
    deleted: Option<(Instant, String)>,
}

impl Invoice {
    /// An open invoice that runs out after `lifetime` (`expires_on`, as
    /// Multicard writes that moment).
    pub(crate) fn new(model: Value, callback_url: String, lifetime: Duration, expires_on: String) -> Self {
        Self { model, callback_url, expires_at: Instant::now() + lifetime, expires_on, deleted: None }
    }

    /// Its status at `now`. A paid invoice is never cancelled.
    pub(crate) fn status(&self, now: Instant) -> InvoiceStatus {
        if self.model["payment"].is_object() {
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

    /// What `get_invoice` answers: the model, `cancelled` for a while after
    /// a cancellation, then `ERROR_TRANS_NOT_READY`.
    pub(crate) fn read(&self, config: &SandboxConfig) -> Result<Value, Refusal> {
        let now = Instant::now();
        match self.status(now) {
            InvoiceStatus::Open | InvoiceStatus::Paid => Ok(self.model.clone()),
            InvoiceStatus::Cancelled { at, on }
                if now.saturating_duration_since(at) < config.cancelled_invoice_readable_for =>
            {
                let mut model = self.model.clone();
                model["status"] = json!("cancelled");
                model["updated_on"] = json!(on);
                Ok(model)
            }
            InvoiceStatus::Cancelled { .. } => Err(Refusal::TransactionNotReady),
        }
    }

    /// `Ok` while it can be paid.
    pub(crate) fn payable(&self) -> Result<(), Refusal> {
        match self.status(Instant::now()) {
            InvoiceStatus::Open => Ok(()),
            InvoiceStatus::Paid | InvoiceStatus::Cancelled { .. } => Err(Refusal::TransactionNotReady),
        }
    }

    /// Deletes it: an open invoice is cancelled from now on, a cancelled
    /// one stays as it is, a paid one cannot be deleted.
    pub(crate) fn delete(&mut self) -> Result<(), Refusal> {
        match self.status(Instant::now()) {
            InvoiceStatus::Paid => Err(Refusal::InvoicePaid),
            InvoiceStatus::Open => {
                self.deleted = Some((Instant::now(), now()));
                Ok(())
            }
            InvoiceStatus::Cancelled { .. } => Ok(()),
        }
    }

    /// Records its payment (`payment`, the payment's answer).
    pub(crate) fn paid_by(&mut self, payment: Value) {
        self.model["payment"] = payment;
        self.model["updated_on"] = json!(now());
    }
}
