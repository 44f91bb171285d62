//! Holds as the sandbox keeps them: funds blocked on a bound card for a
//! payment.
//!
//! As in production, not as the vendor's pages say: a hold is addressed by
//! its integer `id`, and its status goes `draft` → `active` → `success` once
//! charged, or to `canceled` (one "l") once released.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::kinds::HoldStatus;

/// A hold and the payment it blocks funds for.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Hold {
    pub(crate) id: i64,
    /// The uuid of its payment.
    pub(crate) payment: String,
    pub(crate) status: HoldStatus,
    /// When it runs out, as Multicard writes it.
    pub(crate) expiry: String,
    pub(crate) added_on: String,
    pub(crate) updated_on: Option<String>,
}

impl Hold {
    /// A draft hold of `payment`, added at `now`.
    pub(crate) fn new(id: i64, payment: String, expiry: String, now: String) -> Self {
        Self { id, payment, status: HoldStatus::Draft, expiry, added_on: now, updated_on: None }
    }

    /// Moves it to `status` at `now`.
    pub(crate) fn set(&mut self, status: HoldStatus, now: String) {
        self.status = status;
        self.updated_on = Some(now);
    }

    /// The answer Multicard gives for it, with its payment's (`payment`).
    pub(crate) fn model(&self, payment: Option<Value>) -> Value {
        json!({"id": self.id, "status": self.status, "expiry": self.expiry, "added_on": self.added_on,
            "updated_on": self.updated_on, "payment": payment})
    }
}
