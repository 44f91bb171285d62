//! The record of what was decided about each payment, in this process: the
//! refusals that forbid any later acceptance, and (for the axum extractor)
//! which payments have a callback being handled right now.

#[cfg(feature = "axum")]
use std::collections::HashMap;
use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
#[cfg(feature = "axum")]
use std::time::Duration;

use super::{ConfirmError, Confirmed, PaymentSuccessCallback, confirm};
use crate::Multicard;
use crate::types::PaymentModel;

/// How many refusals one record keeps. Past it, no payment in `billing` is
/// accepted any more (a refusal that cannot be recorded could be forgotten,
/// and `billing` is accepted only when none is recorded); `success` is
/// unaffected.
const MAX_REFUSALS: usize = 100_000;

/// How long a second delivery of the same payment waits, by default, for
/// the first to be handled.
#[cfg(feature = "axum")]
const DEFAULT_WAIT: Duration = Duration::from_secs(15);

/// The decisions taken about payments by this process: which payments
/// were refused (and so are never accepted afterwards), and which have a
/// success callback being handled right now (`ConfirmedSuccess` handles
/// one delivery per payment at a time).
///
/// It is what lets a payment still in `billing` be accepted: see
/// [`Decisions::confirm_success`]. Cloning is cheap and shares the record;
/// keep one per application (`CallbackState` holds one).
///
/// The record lives in this process's memory. **Across replicas** (several
/// processes behind one callback URL) each has its own, so a refusal taken
/// by one replica is unknown to the others, and two replicas may handle the
/// same payment at once: with more than one replica, keep the decisive
/// record in the database that holds the orders (deduplicate there, in the
/// same transaction as the order's update), and treat this one as a
/// per-process guard only.
#[derive(Clone, Default)]
pub struct Decisions {
    inner: Arc<Inner>,
    #[cfg(feature = "axum")]
    wait: Option<Duration>,
}

#[derive(Default)]
struct Inner {
    refused: Mutex<Refusals>,
    /// The payments with a delivery being handled, each with the lock that
    /// deliveries of it take in turn.
    #[cfg(feature = "axum")]
    in_flight: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

#[derive(Default)]
struct Refusals {
    uuids: HashSet<String>,
    /// A refusal could not be kept for lack of room.
    overflowed: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl fmt::Debug for Decisions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decisions").field("refused", &lock(&self.inner.refused).uuids.len()).finish_non_exhaustive()
    }
}

impl Decisions {
    /// An empty record.
    pub fn new() -> Self {
        Self::default()
    }

    /// Confirms a verified success callback like
    /// [`confirm_success`](super::confirm_success), with this record:
    ///
    /// - a payment refused before ([`Decisions::record_refusal`], or a
    ///   contradiction found here earlier) is never accepted:
    ///   [`ConfirmError::RefusedEarlier`];
    /// - a payment the API reads as `billing` is accepted
    ///   ([`Outcome::AcceptedWhileBilling`](super::Outcome::AcceptedWhileBilling))
    ///   when the signature held (the callback comes from a
    ///   [`Verifier`](super::Verifier)), the API agrees on store (the
    ///   payment must name it), `store_invoice_id` and amount, and no
    ///   refusal of it is recorded. This is the one place where `billing`
    ///   is accepted;
    /// - a contradiction on the payment's status (the payment the callback
    ///   names, with its store, invoice id and amount, was reverted; one
    ///   that reads `error` is not final, as `error` has been seen to turn
    ///   `success`) is recorded as a refusal of that payment: the answer to
    ///   it (HTTP 403) makes Multicard cancel it, were the callback genuine.
    ///   A contradiction on a field that names the payment (`uuid`,
    ///   `invoice_id`, `store_id`) is not recorded: it shows that the
    ///   callback is not about that payment (digits moved by a forger,
    ///   usually), and recording it would let any such forgery block the
    ///   genuine callback of the payment whose `uuid` it borrowed.
    pub async fn confirm_success(
        &self,
        multicard: &Multicard,
        callback: &PaymentSuccessCallback,
    ) -> Result<Confirmed<PaymentModel>, ConfirmError> {
        let accept_billing = {
            let refused = lock(&self.inner.refused);
            if refused.uuids.contains(&callback.uuid) {
                return Err(ConfirmError::RefusedEarlier);
            }
            !refused.overflowed
        };
        let outcome = confirm::success(multicard, callback, accept_billing).await;
        match &outcome {
            Err(ConfirmError::Mismatch { field: "status", .. }) => self.record_refusal(&callback.uuid),
            // A refusal recorded while the API was being asked wins.
            Ok(_) if self.is_refused(&callback.uuid) => return Err(ConfirmError::RefusedEarlier),
            _ => {}
        }
        outcome
    }

    /// Records that payment `uuid` was refused: call it when you answer a
    /// success callback with
    /// [`CallbackReply::refuse_and_refund`](super::CallbackReply::refuse_and_refund)
    /// outside `ConfirmedSuccess` (whose own `refuse_and_refund` records
    /// it). A payment once refused is never accepted afterwards by this
    /// record.
    pub fn record_refusal(&self, uuid: &str) {
        let mut refused = lock(&self.inner.refused);
        if refused.uuids.len() >= MAX_REFUSALS && !refused.uuids.contains(uuid) {
            refused.overflowed = true;
            tracing::error!(
                target: "multicard::callbacks",
                limit = MAX_REFUSALS,
                "the refusal record is full; no payment in `billing` is accepted any more by this process"
            );
            return;
        }
        refused.uuids.insert(uuid.to_string());
    }

    /// Whether a refusal of payment `uuid` is recorded.
    pub fn is_refused(&self, uuid: &str) -> bool {
        lock(&self.inner.refused).uuids.contains(uuid)
    }

    /// How long a delivery of a payment whose callback is being handled
    /// waits for it before `ConfirmedSuccess` answers HTTP 500 (so that
    /// Multicard holds the payment and sends the callback again). 15 s by
    /// default. This copy of the record waits `limit`; clones made before
    /// keep theirs.
    #[cfg(feature = "axum")]
    #[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
    pub fn with_wait_limit(mut self, limit: Duration) -> Self {
        self.wait = Some(limit);
        self
    }

    /// Waits (up to the wait limit) until no other delivery of payment
    /// `uuid` is being handled, and returns the turn, which is held until
    /// it is dropped. `None` when the wait ran out.
    #[cfg(feature = "axum")]
    pub(super) async fn enter(&self, uuid: &str) -> Option<Turn> {
        let lane = lock(&self.inner.in_flight).entry(uuid.to_string()).or_default().clone();
        let limit = self.wait.unwrap_or(DEFAULT_WAIT);
        // Bound first, so that the lane's clone in the wait is gone when a
        // wait that ran out forgets an idle lane.
        let waited = tokio::time::timeout(limit, lane.lock_owned()).await;
        match waited {
            Ok(held) => Some(Turn { held: Some(held), uuid: uuid.to_string(), inner: self.inner.clone() }),
            Err(_) => {
                self.inner.forget_idle(uuid);
                None
            }
        }
    }
}

#[cfg(feature = "axum")]
impl Inner {
    /// Drops the lane of `uuid` when nobody holds it or waits for it.
    fn forget_idle(&self, uuid: &str) {
        let mut lanes = lock(&self.in_flight);
        if lanes.get(uuid).is_some_and(|lane| Arc::strong_count(lane) == 1) {
            lanes.remove(uuid);
        }
    }
}

/// One delivery's turn to handle a payment: other deliveries of the same
/// payment wait until it is dropped.
#[cfg(feature = "axum")]
pub(super) struct Turn {
    held: Option<tokio::sync::OwnedMutexGuard<()>>,
    uuid: String,
    inner: Arc<Inner>,
}

#[cfg(feature = "axum")]
impl Drop for Turn {
    fn drop(&mut self) {
        // Released first, so that its lane is idle when nobody waits.
        drop(self.held.take());
        self.inner.forget_idle(&self.uuid);
    }
}

#[cfg(feature = "axum")]
impl fmt::Debug for Turn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Turn")
    }
}
