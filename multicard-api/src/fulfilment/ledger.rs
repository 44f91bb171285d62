//! The ledger's contract: what one fulfilment attempt does, what it
//! answers, and what it keeps.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use super::status::{StatusChange, StatusSeen};
use super::subject::Subject;
use crate::callbacks::CallbackReply;

/// What a handler's error is: anything that can be shown (a database
/// error, your own). It rolls the attempt back and answers 500.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a handler returns: a boxed future borrowing the transaction and
/// the subject, `Box::pin(async move { … })`.
pub type HandlerFuture<'t> = Pin<Box<dyn Future<Output = Result<Decision, HandlerError>> + Send + 't>>;

/// The merchant's decision about a confirmed payment (or binding), taken by
/// the handler inside the ledger's transaction. Stored with it, and replayed
/// on every later delivery of the same payment.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Credit the order: answered 200 `{"success": true}`.
    Accept,
    /// Refuse the payment: answered 200 `{"success": false, "message": …}`,
    /// which makes Multicard **cancel the payment and refund the payer**
    /// (the message is shown to the payer).
    Refuse {
        /// What the payer is shown.
        message: String,
    },
}

impl Decision {
    /// [`Decision::Refuse`] with `message`.
    pub fn refuse(message: impl Into<String>) -> Self {
        Decision::Refuse { message: message.into() }
    }
}

/// What to do with a second, distinct paid payment for an order another
/// payment already credited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DuplicatePolicy {
    /// Refuse it (stored as a decision, answered 200 `success: false`), so
    /// that Multicard refunds the payer. The default: the order is paid
    /// once, and the second payment is returned without anyone's help.
    #[default]
    Refuse,
    /// Hold it (answered 500, nothing stored): Multicard keeps the payer's
    /// funds blocked until someone decides (in the cabinet). For services
    /// whose staff resolve such payments by hand.
    Hold,
    /// Run the handler, which decides (an order that may be paid in parts).
    /// The handler sees [`Fulfilment`] only after it decides; it learns of
    /// the earlier payment from its own records.
    AskHandler,
}

/// Why an attempt was held (answered 500, nothing decided): Multicard
/// keeps the payment frozen and may send the callback again.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeldReason {
    /// Another delivery of the same payment (or another payment of the same
    /// order) was being handled, on this replica or another, past the
    /// ledger's lock timeout.
    Busy,
    /// The handler failed (its error, as text); the attempt was rolled back.
    Handler(String),
    /// The ledger's storage failed (its error, as text); nothing was kept.
    Storage(String),
    /// The API did not confirm the callback (its error, as text).
    Unconfirmed(String),
    /// A second payment for an order already credited, under
    /// [`DuplicatePolicy::Hold`].
    DuplicateHeld {
        /// The uuid of the payment that credited the order.
        credited: String,
    },
}

/// The result of one fulfilment attempt, and the answer it sends.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fulfilment {
    /// The handler accepted it (now, or on an earlier delivery when
    /// `replayed`).
    Accepted {
        /// An earlier delivery decided it; the handler did not run.
        replayed: bool,
    },
    /// The handler refused it (now, or earlier when `replayed`).
    Refused {
        /// What the payer is shown.
        message: String,
        /// An earlier delivery decided it; the handler did not run.
        replayed: bool,
    },
    /// Another payment already credited this order: this one is refused
    /// (stored; [`DuplicatePolicy::Refuse`]), so Multicard refunds it.
    DuplicatePaymentForOrder {
        /// The uuid of the payment that credited the order.
        credited: String,
        /// An earlier delivery decided it.
        replayed: bool,
    },
    /// Nothing was decided: answered 500 (the payment stays frozen and the
    /// callback may come again). The attempt is recorded as failed.
    Held(HeldReason),
}

/// The message a duplicate payment is refused with (shown to the payer).
pub const DUPLICATE_MESSAGE: &str = "This order is already paid; this payment is refunded.";

impl Fulfilment {
    /// The answer to send to Multicard.
    pub fn reply(&self) -> CallbackReply {
        match self {
            Fulfilment::Accepted { .. } => CallbackReply::accept(),
            Fulfilment::Refused { message, .. } => CallbackReply::refuse_and_refund(message.clone()),
            Fulfilment::DuplicatePaymentForOrder { .. } => CallbackReply::refuse_and_refund(DUPLICATE_MESSAGE),
            Fulfilment::Held(_) => CallbackReply::retry_later("the payment could not be decided now; send it again"),
        }
    }

    /// Whether the order was credited by this payment (now or earlier).
    pub fn credited(&self) -> bool {
        matches!(self, Fulfilment::Accepted { .. })
    }
}

/// The decision stored for a payment, as a ledger gives it back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoredDecision {
    /// Accepted: the order was credited by this payment.
    Accepted,
    /// Refused by the handler.
    Refused {
        /// What the payer was shown.
        message: String,
    },
    /// Refused as a second payment for an order already credited.
    DuplicatePaymentForOrder {
        /// The payment that credited the order.
        credited: String,
    },
}

impl StoredDecision {
    /// The fulfilment that replays this decision.
    pub fn replay(&self) -> Fulfilment {
        match self {
            StoredDecision::Accepted => Fulfilment::Accepted { replayed: true },
            StoredDecision::Refused { message } => Fulfilment::Refused { message: message.clone(), replayed: true },
            StoredDecision::DuplicatePaymentForOrder { credited } => {
                Fulfilment::DuplicatePaymentForOrder { credited: credited.clone(), replayed: true }
            }
        }
    }
}

/// A payment this service answered 500 and has not decided since: left
/// frozen at Multicard until a callback comes again or someone acts. The
/// reconciler reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LeftFrozen {
    /// The store.
    pub store_id: String,
    /// The payment.
    pub uuid: String,
    /// The merchant's order.
    pub invoice_id: String,
    /// When the first failed attempt answered 500.
    pub first_failed_at: SystemTime,
    /// When the last one did.
    pub last_failed_at: SystemTime,
    /// How many attempts failed.
    pub attempts: u32,
    /// Why the last one failed.
    pub last_reason: String,
}

impl LeftFrozen {
    /// A payment left frozen, as a ledger kept it (for ledgers outside
    /// this crate: the struct is `#[non_exhaustive]`).
    pub fn new(
        store_id: impl Into<String>,
        uuid: impl Into<String>,
        invoice_id: impl Into<String>,
        first_failed_at: SystemTime,
        last_failed_at: SystemTime,
        attempts: u32,
        last_reason: impl Into<String>,
    ) -> Self {
        Self {
            store_id: store_id.into(),
            uuid: uuid.into(),
            invoice_id: invoice_id.into(),
            first_failed_at,
            last_failed_at,
            attempts,
            last_reason: last_reason.into(),
        }
    }
}

/// How long a ledger keeps its rows ([`Ledger::purge`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Retention {
    /// Rows decided longer ago than this may go (when their payment is
    /// final).
    pub keep: Duration,
    /// How far back the reconciler looks: `keep` may not be shorter.
    pub reconciler_lookback: Duration,
}

impl Retention {
    /// Keep rows for `keep`, with a reconciler that looks back
    /// `reconciler_lookback`.
    pub fn new(keep: Duration, reconciler_lookback: Duration) -> Self {
        Self { keep, reconciler_lookback }
    }

    /// The retention, or an error when it would delete rows the reconciler
    /// still needs.
    pub fn checked(&self) -> Result<Duration, LedgerError> {
        if self.keep < self.reconciler_lookback {
            return Err(LedgerError::Retention { keep: self.keep, lookback: self.reconciler_lookback });
        }
        Ok(self.keep)
    }
}

/// A ledger operation that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LedgerError {
    /// The storage failed (the database's error, as text).
    #[error("the fulfilment ledger's storage failed: {0}")]
    Storage(String),
    /// A row was locked past the lock timeout.
    #[error("the fulfilment ledger's row stayed locked past the lock timeout")]
    Busy,
    /// A purge would delete rows the reconciler still reads.
    #[error(
        "a retention of {keep:?} is shorter than the reconciler's lookback of {lookback:?}: rows it still reads \
         would be deleted"
    )]
    Retention {
        /// The retention asked for.
        keep: Duration,
        /// The reconciler's lookback.
        lookback: Duration,
    },
}

/// A fulfilment ledger: the record that makes a payment credited **once**,
/// whichever replica receives which delivery of its callback, and whether
/// a callback or a reconciliation sweep finds it first.
///
/// Each attempt is one transaction: the payment's row is claimed (a
/// concurrent attempt for the same payment, or for another payment of the
/// same order, waits for it, up to the ledger's lock timeout), the
/// merchant's handler runs **with that transaction**, its decision is
/// stored, and everything commits together. A later delivery replays the
/// stored decision without running the handler. A failed attempt rolls
/// back and is recorded as left frozen ([`Ledger::left_frozen`]).
///
/// Implementations: [`MemoryLedger`](super::MemoryLedger) (one process;
/// tests), and `multicard-ledger-postgres` (replicas).
pub trait Ledger: Send + Sync {
    /// What the handler gets to do its own work in the same transaction
    /// (a database transaction; for the memory ledger, an outbox).
    type Tx: Send;

    /// Runs one attempt to fulfil `subject` with `handler`: see the
    /// trait's docs. Never fails: a failure is [`Fulfilment::Held`].
    ///
    /// The handler may run more than once for one attempt (a serialization
    /// failure re-runs it on a fresh transaction): do only work that the
    /// transaction rolls back, and put other effects (mail, HTTP calls) in
    /// an outbox written in the same transaction.
    fn fulfil<'a, S, H>(&'a self, subject: &'a S, handler: H) -> impl Future<Output = Fulfilment> + Send + 'a
    where
        S: Subject + 'a,
        H: for<'t> FnMut(&'t mut Self::Tx, &'t S) -> HandlerFuture<'t> + Send + 'a;

    /// The decision stored for payment `uuid` of store `store_id`, if any.
    fn decision<'a>(
        &'a self,
        store_id: &'a str,
        uuid: &'a str,
    ) -> impl Future<Output = Result<Option<StoredDecision>, LedgerError>> + Send + 'a;

    /// Records a payment's status as the API read it (a confirmed status
    /// webhook, a sweep), moving only forward
    /// ([`StatusSeen::moves_forward`]).
    fn record_status<'a>(
        &'a self,
        seen: &'a StatusSeen,
    ) -> impl Future<Output = Result<StatusChange, LedgerError>> + Send + 'a;

    /// The payments this service answered 500 and never decided since.
    fn left_frozen(&self) -> impl Future<Output = Result<Vec<LeftFrozen>, LedgerError>> + Send + '_;

    /// Deletes rows decided longer ago than `retention.keep` whose payment
    /// has ended (`revert`, as last recorded; a `success` can still be
    /// refunded); never a row of a
    /// payment that is not. Returns how many went. Never called by the SDK:
    /// by default a ledger keeps everything.
    fn purge(&self, retention: Retention) -> impl Future<Output = Result<u64, LedgerError>> + Send + '_;
}
