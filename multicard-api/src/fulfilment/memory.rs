//! A ledger in this process's memory: the contract of [`Ledger`] for one
//! replica and for tests. Across replicas, use the Postgres ledger.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use serde_json::Value;

use super::ledger::{
    DuplicatePolicy, Fulfilment, HandlerFuture, HeldReason, Ledger, LedgerError, LeftFrozen, Retention, StoredDecision,
};
use super::status::{StatusChange, StatusSeen};
use super::subject::{Key, Subject};
use crate::types::PaymentStatus;

/// How long an attempt waits, by default, for another attempt on the same
/// payment or order.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// What a [`MemoryLedger`]'s handler gets: an outbox whose effects are kept
/// only when the attempt commits.
#[derive(Debug, Default)]
pub struct MemoryTx {
    outbox: Vec<Value>,
}

impl MemoryTx {
    /// Queues an effect (a mail to send, a message to publish) to be kept
    /// if, and only if, this attempt commits.
    pub fn push(&mut self, effect: Value) {
        self.outbox.push(effect);
    }
}

/// A [`Ledger`] in this process's memory. Cloning shares it.
///
/// It keeps the contract (one decision per payment, one credited payment
/// per order, decisions replayed, attempts on one order in turn with a
/// lock timeout), but only within this process, and only while it runs:
/// with more than one replica, or to survive a restart, use the Postgres
/// ledger (`multicard-ledger-postgres`). Its transaction is an outbox:
/// the handler's other work is not rolled back with it.
#[derive(Clone)]
pub struct MemoryLedger {
    inner: Arc<Inner>,
    lock_timeout: Duration,
    duplicates: DuplicatePolicy,
}

#[derive(Debug, Default)]
struct Inner {
    state: Mutex<State>,
    lanes: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

#[derive(Debug, Default)]
struct State {
    payments: HashMap<(String, String), PaymentRow>,
    /// The payment that credited each order.
    orders: HashMap<(String, String), String>,
    bindings: HashMap<(String, String, String), StoredDecision>,
    statuses: HashMap<(String, String), PaymentStatus>,
    failures: HashMap<(String, String), LeftFrozen>,
    outbox: Vec<Value>,
}

#[derive(Debug)]
struct PaymentRow {
    invoice_id: String,
    decision: StoredDecision,
    decided_at: SystemTime,
}

/// Counts and settings only: the ledger keeps card tokens as keys (and in
/// the names of the bindings' lanes), which `Debug` never shows.
impl std::fmt::Debug for MemoryLedger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = lock(&self.inner.state);
        f.debug_struct("MemoryLedger")
            .field("payments", &state.payments.len())
            .field("orders", &state.orders.len())
            .field("bindings", &state.bindings.len())
            .field("statuses", &state.statuses.len())
            .field("left_frozen", &state.failures.len())
            .field("outbox", &state.outbox.len())
            .field("lanes", &lock(&self.inner.lanes).len())
            .field("lock_timeout", &self.lock_timeout)
            .field("duplicates", &self.duplicates)
            .finish()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Default for MemoryLedger {
    fn default() -> Self {
        Self { inner: Arc::default(), lock_timeout: DEFAULT_LOCK_TIMEOUT, duplicates: DuplicatePolicy::default() }
    }
}

impl MemoryLedger {
    /// An empty ledger: lock timeout 5 s, duplicates refused.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long an attempt waits for another on the same payment or order
    /// before it is held (500).
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// What to do with a second paid payment for a credited order.
    pub fn with_duplicate_policy(mut self, policy: DuplicatePolicy) -> Self {
        self.duplicates = policy;
        self
    }

    /// The effects committed so far, in order.
    pub fn outbox(&self) -> Vec<Value> {
        lock(&self.inner.state).outbox.clone()
    }

    /// The payment that credited order `invoice_id` of store `store_id`.
    pub fn credited_by(&self, store_id: &str, invoice_id: &str) -> Option<String> {
        lock(&self.inner.state).orders.get(&(store_id.to_string(), invoice_id.to_string())).cloned()
    }

    /// Waits (up to the lock timeout) for the lane `name`, and holds it
    /// until the turn is dropped; a lane nobody holds or waits for is
    /// forgotten then, so the lanes stay as many as the attempts in flight.
    async fn lane(&self, name: String) -> Option<LaneTurn> {
        let lane = lock(&self.inner.lanes).entry(name.clone()).or_default().clone();
        let held = tokio::time::timeout(self.lock_timeout, lane.lock_owned()).await.ok();
        let turn = LaneTurn { held, name, inner: self.inner.clone() };
        if turn.held.is_some() { Some(turn) } else { None }
    }

    fn failed(&self, key: &Key<'_>, reason: &HeldReason) {
        let Key::Payment { store_id, uuid, invoice_id, .. } = *key else { return };
        let now = SystemTime::now();
        let mut state = lock(&self.inner.state);
        let entry = state.failures.entry((store_id.to_string(), uuid.to_string())).or_insert_with(|| LeftFrozen {
            store_id: store_id.to_string(),
            uuid: uuid.to_string(),
            invoice_id: invoice_id.to_string(),
            first_failed_at: now,
            last_failed_at: now,
            attempts: 0,
            last_reason: String::new(),
        });
        entry.last_failed_at = now;
        entry.attempts = entry.attempts.saturating_add(1);
        entry.last_reason = format!("{reason:?}");
    }
}

/// One attempt's hold on a lane (see [`MemoryLedger::lane`]).
struct LaneTurn {
    held: Option<tokio::sync::OwnedMutexGuard<()>>,
    name: String,
    inner: Arc<Inner>,
}

impl Drop for LaneTurn {
    fn drop(&mut self) {
        // Released first, so that its lane is idle when nobody waits.
        drop(self.held.take());
        let mut lanes = lock(&self.inner.lanes);
        if lanes.get(&self.name).is_some_and(|lane| Arc::strong_count(lane) == 1) {
            lanes.remove(&self.name);
        }
    }
}

/// Where a payment stands before its handler runs.
enum Before {
    Decided(Fulfilment),
    Run { duplicate_of: Option<String> },
}

/// Records an attempt dropped before it decided as left frozen.
struct Abandoned<'l> {
    ledger: &'l MemoryLedger,
    key: Option<Key<'l>>,
}

impl Drop for Abandoned<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.ledger.failed(&key, &HeldReason::Handler(ABANDONED.to_string()));
        }
    }
}

/// Why an attempt dropped before it decided is left frozen.
const ABANDONED: &str = "the attempt was dropped before it decided (the request was dropped: a callback timeout?)";

impl MemoryLedger {
    /// One attempt: [`Ledger::fulfil`] without the record of an attempt
    /// dropped before it decided.
    async fn attempt<'a, S, H>(&'a self, subject: &'a S, mut handler: H) -> Fulfilment
    where
        S: Subject + 'a,
        H: for<'t> FnMut(&'t mut MemoryTx, &'t S) -> HandlerFuture<'t> + Send + 'a,
    {
        let key = subject.key();
        // A payment decided before replays at once: a decision never
        // changes, and waiting behind another payment of its order could
        // only hold (500) what was decided.
        if let Key::Payment { store_id, uuid, .. } = key
            && let Some(row) = lock(&self.inner.state).payments.get(&(store_id.to_string(), uuid.to_string()))
        {
            return row.decision.replay();
        }
        // One lane per order (payments) or per binding: the memory
        // counterpart of the unique indexes a concurrent attempt waits on.
        let lane = match key {
            Key::Payment { store_id, invoice_id, .. } => format!("order\u{0}{store_id}\u{0}{invoice_id}"),
            Key::CardBinding { application_id, payer_id, card_token } => {
                format!("binding\u{0}{application_id}\u{0}{payer_id}\u{0}{card_token}")
            }
        };
        let Some(_turn) = self.lane(lane).await else {
            self.failed(&key, &HeldReason::Busy);
            return Fulfilment::Held(HeldReason::Busy);
        };
        let before = {
            let state = lock(&self.inner.state);
            match key {
                Key::Payment { store_id, uuid, invoice_id, .. } => {
                    let ids = (store_id.to_string(), uuid.to_string());
                    match state.payments.get(&ids) {
                        Some(row) => Before::Decided(row.decision.replay()),
                        None => Before::Run {
                            duplicate_of: state.orders.get(&(store_id.to_string(), invoice_id.to_string())).cloned(),
                        },
                    }
                }
                Key::CardBinding { application_id, payer_id, card_token } => {
                    let ids = (application_id.to_string(), payer_id.to_string(), card_token.to_string());
                    match state.bindings.get(&ids) {
                        Some(decision) => Before::Decided(decision.replay()),
                        None => Before::Run { duplicate_of: None },
                    }
                }
            }
        };
        let duplicate_of = match before {
            Before::Decided(fulfilment) => return fulfilment,
            Before::Run { duplicate_of } => duplicate_of,
        };
        let stored = match (duplicate_of, self.duplicates) {
            (Some(credited), DuplicatePolicy::Hold) => {
                let reason = HeldReason::DuplicateHeld { credited };
                self.failed(&key, &reason);
                return Fulfilment::Held(reason);
            }
            (Some(credited), DuplicatePolicy::Refuse) => (StoredDecision::DuplicatePaymentForOrder { credited }, None),
            (duplicate, _) => {
                let mut tx = MemoryTx::default();
                match handler(&mut tx, subject).await {
                    Ok(super::Decision::Accept) => (StoredDecision::Accepted, Some((tx, duplicate.is_none()))),
                    Ok(super::Decision::Refuse { message }) => (StoredDecision::Refused { message }, Some((tx, false))),
                    Err(error) => {
                        let reason = HeldReason::Handler(error.to_string());
                        self.failed(&key, &reason);
                        return Fulfilment::Held(reason);
                    }
                }
            }
        };
        let (decision, committed) = stored;
        let mut state = lock(&self.inner.state);
        let mut credits_order = false;
        if let Some((tx, credits)) = committed {
            state.outbox.extend(tx.outbox);
            credits_order = credits;
        }
        match key {
            Key::Payment { store_id, uuid, invoice_id, status, .. } => {
                let ids = (store_id.to_string(), uuid.to_string());
                if credits_order {
                    state.orders.insert((store_id.to_string(), invoice_id.to_string()), uuid.to_string());
                }
                state.payments.insert(
                    ids.clone(),
                    PaymentRow {
                        invoice_id: invoice_id.to_string(),
                        decision: decision.clone(),
                        decided_at: SystemTime::now(),
                    },
                );
                state.failures.remove(&ids);
                let recorded = state.statuses.get(&ids);
                if StatusSeen::moves_forward(recorded, status) {
                    state.statuses.insert(ids, status.clone());
                }
            }
            Key::CardBinding { application_id, payer_id, card_token } => {
                let ids = (application_id.to_string(), payer_id.to_string(), card_token.to_string());
                state.bindings.insert(ids, decision.clone());
            }
        }
        match decision {
            StoredDecision::Accepted => Fulfilment::Accepted { replayed: false },
            StoredDecision::Refused { message } => Fulfilment::Refused { message, replayed: false },
            StoredDecision::DuplicatePaymentForOrder { credited } => {
                Fulfilment::DuplicatePaymentForOrder { credited, replayed: false }
            }
        }
    }
}

impl Ledger for MemoryLedger {
    type Tx = MemoryTx;

    async fn fulfil<'a, S, H>(&'a self, subject: &'a S, handler: H) -> Fulfilment
    where
        S: Subject + 'a,
        H: for<'t> FnMut(&'t mut MemoryTx, &'t S) -> HandlerFuture<'t> + Send + 'a,
    {
        // Dropped before it decides (the server dropped the request when
        // Multicard closed the connection at its callback timeout), the
        // attempt left the payment frozen: recorded like a held one.
        let mut abandoned = Abandoned { ledger: self, key: Some(subject.key()) };
        let fulfilment = self.attempt(subject, handler).await;
        abandoned.key = None;
        fulfilment
    }

    async fn decision<'a>(&'a self, store_id: &'a str, uuid: &'a str) -> Result<Option<StoredDecision>, LedgerError> {
        let state = lock(&self.inner.state);
        Ok(state.payments.get(&(store_id.to_string(), uuid.to_string())).map(|row| row.decision.clone()))
    }

    async fn record_status<'a>(&'a self, seen: &'a StatusSeen) -> Result<StatusChange, LedgerError> {
        let ids = (seen.store_id.clone(), seen.uuid.clone());
        let mut state = lock(&self.inner.state);
        let recorded = state.statuses.get(&ids).cloned();
        if StatusSeen::rank(&seen.status).is_none() {
            return Ok(StatusChange::NotRecorded);
        }
        if recorded.as_ref() == Some(&seen.status) {
            return Ok(StatusChange::Unchanged);
        }
        if !StatusSeen::moves_forward(recorded.as_ref(), &seen.status) {
            return Ok(StatusChange::Stale { recorded: recorded.unwrap_or_else(|| seen.status.clone()) });
        }
        state.statuses.insert(ids.clone(), seen.status.clone());
        if seen.status == PaymentStatus::Revert
            && let Some(row) = state.payments.get(&ids)
            && row.decision == StoredDecision::Accepted
        {
            let invoice_id = row.invoice_id.clone();
            drop(state);
            super::status::log_reverted(&seen.store_id, &seen.uuid, &invoice_id);
            return Ok(StatusChange::RevertedAfterFulfilment { invoice_id });
        }
        Ok(StatusChange::Advanced { from: recorded })
    }

    async fn left_frozen(&self) -> Result<Vec<LeftFrozen>, LedgerError> {
        let state = lock(&self.inner.state);
        // A payment decided since (its failure recorded after the decision,
        // by a resend that waited or was dropped) is not frozen by this
        // service.
        let mut frozen: Vec<LeftFrozen> = state
            .failures
            .iter()
            .filter(|(ids, _)| !state.payments.contains_key(*ids))
            .map(|(_, entry)| entry.clone())
            .collect();
        frozen.sort_by(|a, b| a.first_failed_at.cmp(&b.first_failed_at).then_with(|| a.uuid.cmp(&b.uuid)));
        Ok(frozen)
    }

    async fn purge(&self, retention: Retention) -> Result<u64, LedgerError> {
        let keep = retention.checked()?;
        let cutoff = SystemTime::now().checked_sub(keep).unwrap_or(SystemTime::UNIX_EPOCH);
        let mut state = lock(&self.inner.state);
        let State { payments, orders, statuses, .. } = &mut *state;
        let before = payments.len();
        payments.retain(|ids, row| {
            let done = statuses.get(ids).is_some_and(StatusSeen::is_final_for_purge);
            let keep_row = !done || row.decided_at > cutoff;
            if !keep_row {
                orders.retain(|_, uuid| *uuid != ids.1);
            }
            keep_row
        });
        Ok((before - payments.len()) as u64)
    }
}
