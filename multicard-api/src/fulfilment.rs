//! Fulfilment: crediting each paid order **exactly once**, across
//! replicas, callback resends and reconciliation sweeps.
//!
//! Multicard may send a success callback again (after a timeout or a 500),
//! and with several replicas behind one callback URL two deliveries can be
//! handled at the same moment by two processes: an in-process check
//! ([`Decisions`](crate::callbacks::Decisions)) cannot stop a double
//! credit. A [`Ledger`] can: it keeps, in the database that holds your
//! orders, one decision per payment and one credited payment per order,
//! and runs your handler inside the transaction that stores the decision.
//!
//! | Key | Unique | What it stops |
//! |---|---|---|
//! | `(store_id, payment uuid)` | one decision per payment | a resend, on any replica, credits again |
//! | `(store_id, invoice_id)` | one credited payment per order | a second payment for a paid order credits again ([`Fulfilment::DuplicatePaymentForOrder`], refunded by default: [`DuplicatePolicy`]) |
//! | `(application_id, payer_id, card_token)` | one decision per bound card | a resent binding callback stores the card twice |
//!
//! The keys are taken **after** confirmation, from the API's record
//! ([`PaymentCredit`], [`CardBinding`]): the callback's `uuid` is unsigned
//! and the binding callback is not signed at all.
//!
//! # One attempt, one transaction
//!
//! 1. the payment's row is claimed (`INSERT … ON CONFLICT DO NOTHING` in
//!    the Postgres ledger); a concurrent attempt for the same payment or
//!    the same order waits on the unique index, at most the lock timeout
//!    (5 s by default), then is held (500: Multicard sends it again);
//! 2. a payment decided before replays its decision: the handler does not
//!    run;
//! 3. otherwise your handler runs **with the transaction** and returns a
//!    [`Decision`]: update the order there;
//! 4. the decision is stored and everything commits together. A handler
//!    error, a storage error or a crash before the commit rolls it all
//!    back: nothing is credited, the answer is 500 (or none), and the
//!    failed attempt is recorded in its own row
//!    ([`Ledger::left_frozen`]) so that a sweep knows which payments this
//!    service left frozen.
//!
//! The handler may run more than once for one delivery (a serialization
//! failure under `SERIALIZABLE` re-runs it on a fresh transaction): it
//! must do **only database work in that transaction**. Mail, HTTP calls
//! and messages go to an outbox table written in the same transaction and
//! sent by a worker after the commit.
//!
//! # Statuses
//!
//! [`Ledger::record_status`] keeps the status the API read (at a
//! confirmation, a confirmed webhook, a sweep) and moves it only forward:
//! `draft` < `progress` < `billing` < `error` < `success` < `revert`
//! ([`StatusSeen::rank`]); a webhook that arrives late changes nothing. A
//! `revert` of a payment whose order was credited is
//! [`StatusChange::RevertedAfterFulfilment`].
//!
//! # Retention
//!
//! A ledger deletes nothing by default. [`Ledger::purge`] deletes only rows
//! decided longer ago than the retention, which may not be shorter than
//! the reconciler's lookback, and only of payments recorded as `revert`: a
//! row of a payment that may still move (a `success` included: a refund can
//! still revert it) is what stops its next callback from crediting again,
//! and what reports a refund of a credited order
//! ([`StatusChange::RevertedAfterFulfilment`]).
//!
//! # The lock trap
//!
//! Never hold a lock on the order's row (`SELECT … FOR UPDATE`, or an open
//! transaction that updated it) while calling `confirm_payment` (or any
//! write that completes a payment): Multicard sends the success callback
//! **during** that call, the callback's handler waits on your lock, the
//! callback times out (`ERROR_CALLBACK_TIMEOUT`), and the payment is left
//! frozen. Commit first, then call the API; let the callback credit the
//! order.

mod ledger;
mod memory;
mod status;
mod subject;

pub use ledger::{
    DUPLICATE_MESSAGE, Decision, DuplicatePolicy, Fulfilment, HandlerError, HandlerFuture, HeldReason, Ledger,
    LedgerError, LeftFrozen, Retention, StoredDecision,
};
pub use memory::{DEFAULT_LOCK_TIMEOUT, MemoryLedger, MemoryTx};
pub use status::{StatusChange, StatusSeen};
pub use subject::{CardBinding, Key, PaymentCredit, Source, Subject};
