//! A Postgres [`Ledger`] for the [`multicard_api`] SDK: each paid order
//! credited **exactly once**, whichever replica receives which delivery of
//! its callback, and whether a callback or a reconciliation sweep finds the
//! payment first.
//!
//! The contract is [`multicard_api::fulfilment`]'s; this crate keeps it in
//! the database that holds your orders, so that your handler's writes and
//! the ledger's decision commit **together**, in one transaction.
//!
//! ```no_run
//! use multicard_api::fulfilment::{Decision, Ledger, PaymentCredit};
//! use multicard_ledger_postgres::PgLedger;
//!
//! # async fn example(pool: sqlx::PgPool, credit: PaymentCredit) -> Result<(), Box<dyn std::error::Error>> {
//! let ledger = PgLedger::new(pool);
//! ledger.migrate().await?; // idempotent: at every start
//! let fulfilment = ledger
//!     .fulfil(&credit, |tx, credit| {
//!         Box::pin(async move {
//!             sqlx::query("UPDATE orders SET paid = true WHERE id = $1")
//!                 .bind(&credit.invoice_id)
//!                 .execute(&mut **tx)
//!                 .await?;
//!             // A mail to send after the commit: through the outbox.
//!             PgLedger::push_outbox(tx, "order-paid", &serde_json::json!({"order": credit.invoice_id})).await?;
//!             Ok(Decision::Accept)
//!         })
//!     })
//!     .await;
//! let reply = fulfilment.reply(); // the answer to send to Multicard
//! # let _ = reply;
//! # Ok(())
//! # }
//! ```
//!
//! Tables (prefix `multicard_`) are created by [`PgLedger::migrate`] from
//! the SQL shipped in `migrations/`; see the crate's README for what each
//! keeps, the lock timeout, the isolation level, the outbox and retention.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

mod attempt;
mod binding;
mod convert;
mod errors;
mod failures;
mod ledger;
mod migrate;
mod outbox;
mod payment;
mod pending;
mod status;
mod transaction;

pub use pending::pending_orders;

use std::time::Duration;

use multicard_api::fulfilment::DuplicatePolicy;
// Named only by the docs' links.
#[cfg(doc)]
use multicard_api::fulfilment::{HeldReason, Ledger};
use sqlx::{PgPool, Postgres, Transaction};

/// The transaction a handler gets: the ledger's own, in which the payment's
/// row is claimed and its decision is stored.
pub type PgTx = Transaction<'static, Postgres>;

/// How long an attempt waits, by default, for a row another attempt holds
/// (`lock_timeout`), before it is held (500).
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// How long, by default, an attempt's transaction may sit idle (its
/// handler awaiting something that is not the database, or its replica
/// hung with the connection still open) before Postgres ends the session
/// and releases the payment's claim: `idle_in_transaction_session_timeout`.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(15);

/// How many times, by default, an attempt that failed to serialize is run
/// again on a fresh transaction.
pub const DEFAULT_MAX_SERIALIZATION_RETRIES: u32 = 3;

/// The transaction isolation level of each attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Isolation {
    /// `READ COMMITTED`, Postgres' default. The ledger's own guarantees come
    /// from its unique indexes and hold at this level.
    #[default]
    ReadCommitted,
    /// `SERIALIZABLE`: for handlers whose own reads must not go stale. A
    /// serialization failure (SQLSTATE 40001) re-runs the whole attempt,
    /// handler included, on a fresh transaction, up to
    /// [`PgLedger::with_max_serialization_retries`] times (so does a
    /// deadlock, 40P01, at either level).
    Serializable,
}

/// A fulfilment [`Ledger`] in Postgres: for services with more than one
/// replica, or that must survive a restart.
///
/// Each [`fulfil`](Ledger::fulfil) is one transaction: the payment's row is
/// claimed by `INSERT … ON CONFLICT DO NOTHING` (a concurrent attempt for
/// the same payment, or for another payment of the same order, waits on the
/// unique index, at most the lock timeout), your handler runs with the
/// transaction ([`PgTx`]), and the decision commits with your writes.
/// Cloning shares the pool.
#[derive(Debug, Clone)]
pub struct PgLedger {
    pool: PgPool,
    lock_timeout: Duration,
    duplicates: DuplicatePolicy,
    isolation: Isolation,
    max_retries: u32,
    idle_timeout: Duration,
}

impl PgLedger {
    /// A ledger on `pool`: lock timeout 5 s, duplicates refused,
    /// `READ COMMITTED`, 3 serialization retries. Call
    /// [`migrate`](Self::migrate) once at start.
    pub fn new(pool: PgPool) -> Self {
        Self {
            pool,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            duplicates: DuplicatePolicy::default(),
            isolation: Isolation::default(),
            max_retries: DEFAULT_MAX_SERIALIZATION_RETRIES,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
        }
    }

    /// How long a statement of an attempt (the ledger's or the handler's)
    /// waits for a lock another transaction holds, `SET LOCAL lock_timeout`
    /// in each attempt's transaction, before the attempt is held
    /// ([`HeldReason::Busy`], answered 500). Keep it below Multicard's
    /// callback timeout. At least 1 ms (Postgres reads 0 as "no limit").
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long an attempt's transaction may sit idle before Postgres ends
    /// its session (`SET LOCAL idle_in_transaction_session_timeout`, 15 s
    /// by default): a replica that hangs mid-attempt with its connection
    /// still open would otherwise hold the payment's claim until TCP
    /// notices (hours), and every resend meanwhile would be held (500)
    /// until Multicard stops sending. A handler does only database work,
    /// so it is never idle that long. At least 1 ms.
    pub fn with_idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// What to do with a second paid payment for an order another payment
    /// credited.
    pub fn with_duplicate_policy(mut self, policy: DuplicatePolicy) -> Self {
        self.duplicates = policy;
        self
    }

    /// The isolation level of each attempt's transaction.
    pub fn with_isolation(mut self, isolation: Isolation) -> Self {
        self.isolation = isolation;
        self
    }

    /// How many times an attempt that failed with a serialization failure
    /// (40001) or a deadlock (40P01) runs again, handler included, on a
    /// fresh transaction; then it is held.
    pub fn with_max_serialization_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The pool the ledger runs on.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}
