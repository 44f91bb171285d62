//! The [`Reconciler`]: reads each pending item at Multicard, judges it, and
//! credits what was paid but never called back, through the ledger.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use futures_util::StreamExt;

use super::finding::{Expiry, Finding, FindingKind, Report};
use super::pending::{Origin, Pending, Window};
use super::search::{self, Found};
use crate::error::Error;
use crate::fulfilment::{
    Fulfilment, HandlerFuture, HeldReason, Ledger, MemoryLedger, MemoryTx, PaymentCredit, StatusChange, StatusSeen,
    StoredDecision,
};
use crate::informative::Exact;
use crate::multicard::Multicard;
use crate::settle::ERROR_QUIET_PERIOD;
use crate::types::{ErrorCode, InvoiceStatus, PaymentModel, PaymentStatus};

/// How many items a sweep reads at once, by default.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// How far before a payment's given time (or now) the registry is searched
/// for its order, by default: three days.
pub const DEFAULT_LOOKBACK: Duration = Duration::from_secs(3 * 86_400);
/// How long a `draft` payment may stay unconfirmed before a sweep calls it
/// expired, by default: one day (an invoice's default lifetime).
pub const DEFAULT_DRAFT_TTL: Duration = Duration::from_secs(86_400);
/// How long after an invoice's expiry a payment may still be missing from
/// the registry (which lists a payment some time after it is made), by
/// default: ten minutes.
pub const DEFAULT_REGISTRY_GRACE: Duration = Duration::from_secs(600);

/// The margin added on both sides of a registry window (clocks disagree).
const SKEW: Duration = Duration::from_secs(300);

/// The ledger of a read-only reconciler: none. A sweep with it reads and
/// reports, and credits nothing.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct ReadOnly;

/// The handler type of a read-only sweep (never called).
type NoHandler = for<'t> fn(&'t mut MemoryTx, &'t PaymentCredit) -> HandlerFuture<'t>;

/// Reads what the merchant is waiting on at Multicard and says, item by
/// item, where it stands ([`Report`]); with a [`Ledger`], it credits each
/// payment that was paid but never called back **through the same
/// ledger** as the callbacks, so that a sweep and a late callback never
/// both credit one payment.
///
/// A sweep never credits a payment in `billing` (no API call completes
/// it), a payment whose amount is not the order's, or a payment whose
/// status this SDK does not know. Run it periodically: an item that is not
/// final (moving, unreadable) is found again by the next sweep
/// ([`Report::carry_over`]), and so is every payment the ledger left
/// frozen ([`Ledger::left_frozen`]), which each sweep adds by itself.
///
/// ```no_run
/// # async fn demo(multicard: multicard_api::Multicard) {
/// use multicard_api::fulfilment::{Decision, MemoryLedger};
/// use multicard_api::reconcile::{Pending, Reconciler};
/// let reconciler = Reconciler::new(multicard, MemoryLedger::new()).with_concurrency(2);
/// let pending = vec![Pending::order("6", "order-42", chrono::Utc::now() - chrono::Duration::hours(1))];
/// let report = reconciler
///     .sweep(pending, |tx, credit| {
///         Box::pin(async move {
///             tx.push(serde_json::json!({"credit": credit.invoice_id}));
///             Ok(Decision::Accept)
///         })
///     })
///     .await;
/// for finding in report.needs_attention() {
///     eprintln!("{:?} {:?}: {}", finding.invoice_id, finding.uuid, finding.kind.describe());
/// }
/// # }
/// ```
#[derive(Debug)]
pub struct Reconciler<L = ReadOnly> {
    multicard: Multicard,
    ledger: L,
    concurrency: usize,
    lookback: Duration,
    draft_ttl: Duration,
    error_quiet_period: Duration,
    registry_grace: Duration,
    /// When this reconciler first read `error` for each payment that reads
    /// it still.
    errors_seen: Arc<Mutex<HashMap<String, DateTime<Utc>>>>,
}

/// Where an item was found.
enum Located {
    /// Its payment, read, and the other payments of its order.
    Payment(Box<PaymentModel>, Vec<String>),
    /// A finding without a payment to judge.
    Kind(FindingKind),
}

impl Reconciler<ReadOnly> {
    /// A reconciler without a ledger: it reads and reports, credits
    /// nothing, and reports a paid payment as
    /// [`FindingKind::PaidNotChecked`].
    pub fn read_only(multicard: Multicard) -> Self {
        Self::with_ledger(multicard, ReadOnly)
    }

    /// Reads every item now and reports it.
    pub async fn inspect(&self, pending: Vec<Pending>) -> Report {
        self.inspect_at(Utc::now(), pending).await
    }

    /// [`Reconciler::inspect`] at `now` (a test clock).
    pub async fn inspect_at(&self, now: DateTime<Utc>, pending: Vec<Pending>) -> Report {
        let items = pending.into_iter().map(|p| (p, Origin::Asked)).collect();
        let findings = self.run::<MemoryLedger, NoHandler>(now, items, None).await;
        Report { at: now, findings, left_frozen_error: None }
    }
}

impl<L: Ledger> Reconciler<L> {
    /// A reconciler reading with `multicard` and crediting through
    /// `ledger` (the one the callbacks use).
    pub fn new(multicard: Multicard, ledger: L) -> Self {
        Self::with_ledger(multicard, ledger)
    }

    /// The ledger.
    pub fn ledger(&self) -> &L {
        &self.ledger
    }

    /// One sweep now: the items `pending`, and every payment the ledger
    /// left frozen. A payment paid and never called back is credited with
    /// `handler`, run by [`Ledger::fulfil`] in the ledger's transaction (it
    /// may run more than once for one attempt: do only work the transaction
    /// rolls back).
    pub async fn sweep<H>(&self, pending: Vec<Pending>, handler: H) -> Report
    where
        H: for<'t> Fn(&'t mut L::Tx, &'t PaymentCredit) -> HandlerFuture<'t> + Send + Sync,
    {
        self.sweep_at(Utc::now(), pending, handler).await
    }

    /// [`Reconciler::sweep`] at `now` (a test clock).
    pub async fn sweep_at<H>(&self, now: DateTime<Utc>, pending: Vec<Pending>, handler: H) -> Report
    where
        H: for<'t> Fn(&'t mut L::Tx, &'t PaymentCredit) -> HandlerFuture<'t> + Send + Sync,
    {
        let mut items: Vec<(Pending, Origin)> = pending.into_iter().map(|p| (p, Origin::Asked)).collect();
        let left_frozen_error = match self.ledger.left_frozen().await {
            Ok(frozen) => {
                for entry in frozen {
                    if items.iter().any(|(p, _)| p.uuid() == Some(entry.uuid.as_str())) {
                        continue;
                    }
                    let pending = Pending::payment(entry.uuid)
                        .with_order(entry.store_id, entry.invoice_id)
                        .made_since(DateTime::<Utc>::from(entry.first_failed_at));
                    items.push((
                        pending,
                        Origin::LeftFrozen { attempts: entry.attempts, last_reason: entry.last_reason },
                    ));
                }
                None
            }
            Err(error) => Some(error),
        };
        let findings = self.run(now, items, Some((&self.ledger, &handler))).await;
        Report { at: now, findings, left_frozen_error }
    }
}

impl<L> Reconciler<L> {
    fn with_ledger(multicard: Multicard, ledger: L) -> Self {
        Self {
            multicard,
            ledger,
            concurrency: DEFAULT_CONCURRENCY,
            lookback: DEFAULT_LOOKBACK,
            draft_ttl: DEFAULT_DRAFT_TTL,
            error_quiet_period: ERROR_QUIET_PERIOD,
            registry_grace: DEFAULT_REGISTRY_GRACE,
            errors_seen: Arc::default(),
        }
    }

    /// How many items are read at once (at least one; default
    /// [`DEFAULT_CONCURRENCY`]).
    #[must_use]
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// How far back the registry is searched for a payment's order
    /// (default [`DEFAULT_LOOKBACK`]).
    #[must_use]
    pub fn with_lookback(mut self, lookback: Duration) -> Self {
        self.lookback = lookback;
        self
    }

    /// How long a `draft` payment may stay unconfirmed before it is called
    /// expired (default [`DEFAULT_DRAFT_TTL`]).
    #[must_use]
    pub fn with_draft_ttl(mut self, ttl: Duration) -> Self {
        self.draft_ttl = ttl;
        self
    }

    /// How long a payment must keep reading `error`, across this
    /// reconciler's sweeps, before it is called expired (default
    /// [`ERROR_QUIET_PERIOD`]): a payment read `error` has been seen to
    /// turn `success`.
    #[must_use]
    pub fn with_error_quiet_period(mut self, period: Duration) -> Self {
        self.error_quiet_period = period;
        self
    }

    /// How long after an invoice's expiry an order with nothing in the
    /// registry is still not called expired (default
    /// [`DEFAULT_REGISTRY_GRACE`]).
    #[must_use]
    pub fn with_registry_grace(mut self, grace: Duration) -> Self {
        self.registry_grace = grace;
        self
    }

    /// Reads and judges every item, `concurrency` at a time. Boxed as a
    /// `Send` future here, where the handler's type is generic: rustc
    /// cannot yet prove such a future `Send` where a concrete handler
    /// closure is named (rust-lang/rust#100013), and a periodic sweep
    /// runs in a spawned task.
    fn run<'a, L2, H>(
        &'a self,
        now: DateTime<Utc>,
        items: Vec<(Pending, Origin)>,
        books: Option<(&'a L2, &'a H)>,
    ) -> Pin<Box<dyn Future<Output = Vec<Finding>> + Send + 'a>>
    where
        L: Sync,
        L2: Ledger,
        H: for<'t> Fn(&'t mut L2::Tx, &'t PaymentCredit) -> HandlerFuture<'t> + Send + Sync,
    {
        Box::pin(
            futures_util::stream::iter(items)
                .map(move |(pending, origin)| self.one(now, pending, origin, books))
                .buffered(self.concurrency.max(1))
                .collect(),
        )
    }

    async fn one<L2, H>(
        &self,
        now: DateTime<Utc>,
        pending: Pending,
        origin: Origin,
        books: Option<(&L2, &H)>,
    ) -> Finding
    where
        L2: Ledger,
        H: for<'t> Fn(&'t mut L2::Tx, &'t PaymentCredit) -> HandlerFuture<'t> + Send + Sync,
    {
        let mut finding = Finding {
            store_id: pending.store_id().map(str::to_string),
            invoice_id: pending.invoice_id().map(str::to_string),
            uuid: pending.uuid().map(str::to_string),
            status: None,
            other_payments: Vec::new(),
            origin,
            kind: FindingKind::StillMoving,
            pending,
        };
        match self.locate(now, &finding.pending).await {
            Located::Kind(kind) => finding.kind = kind,
            Located::Payment(payment, others) => {
                finding.other_payments = others;
                self.judge(now, &payment, &mut finding, books).await;
            }
        }
        if !matches!(finding.kind, FindingKind::CreditedNow | FindingKind::AlreadyFulfilled { .. }) {
            tracing::debug!(
                target: "multicard::reconcile",
                uuid = ?finding.uuid.as_deref().map(crate::escape_controls),
                invoice_id = ?finding.invoice_id.as_deref().map(crate::escape_controls),
                finding = finding.kind.name(),
                "reconciled"
            );
        }
        finding
    }

    async fn read(&self, uuid: &str) -> Result<PaymentModel, Error> {
        self.multicard.send(|api| api.get_payment().uuid(uuid)).await
    }

    async fn locate(&self, now: DateTime<Utc>, pending: &Pending) -> Located {
        match pending {
            Pending::Payment { uuid, store_id, invoice_id, since, .. } => match self.read(uuid).await {
                Ok(payment) => Located::Payment(Box::new(payment), Vec::new()),
                Err(error) if error.code() == Some(&ErrorCode::ErrorNotFound) => {
                    let (Some(store_id), Some(invoice_id)) = (store_id, invoice_id) else {
                        return Located::Kind(FindingKind::UnknownToMulticard { searched: None });
                    };
                    let from = earlier(since.unwrap_or(now), self.lookback.saturating_add(SKEW));
                    let window = Window::new(from, later(now, SKEW));
                    match self.search(store_id, invoice_id, &window).await {
                        Ok(Some(located)) => located,
                        Ok(None) => Located::Kind(FindingKind::UnknownToMulticard { searched: Some(window) }),
                        Err(kind) => Located::Kind(kind),
                    }
                }
                Err(error) => Located::Kind(FindingKind::ReadFailed { error }),
            },
            Pending::Order { store_id, invoice_id, created_at, invoice_uuid, expires_at, .. } => {
                let (mut cancelled, mut open, mut gone) = (false, false, false);
                if let Some(invoice_uuid) = invoice_uuid {
                    match self.multicard.send(|api| api.get_invoice().uuid(invoice_uuid.as_str())).await {
                        Ok(invoice) => match (&invoice.payment, &invoice.status) {
                            (Exact::Present(payment), _) => {
                                return match self.read(&payment.uuid).await {
                                    Ok(payment) => Located::Payment(Box::new(payment), Vec::new()),
                                    Err(error) => Located::Kind(FindingKind::ReadFailed { error }),
                                };
                            }
                            (Exact::Absent, Some(InvoiceStatus::Cancelled)) => cancelled = true,
                            (Exact::Absent, None) => open = true,
                            (Exact::Absent, Some(other)) => {
                                let status = crate::scrub::printable(&format!("invoice: {other}"), 80);
                                return Located::Kind(FindingKind::UnknownStatus { status });
                            }
                            // What does not decode says nothing: the registry may.
                            (Exact::Unreadable(_), _) => {}
                        },
                        // An expired or deleted invoice cannot be read, paid
                        // or not: the registry tells.
                        Err(error)
                            if matches!(
                                error.code(),
                                Some(ErrorCode::ErrorTransNotReady | ErrorCode::ErrorNotFound)
                            ) =>
                        {
                            gone = true
                        }
                        Err(error) => return Located::Kind(FindingKind::ReadFailed { error }),
                    }
                }
                let window = Window::new(earlier(*created_at, SKEW), later(now, SKEW));
                let expired = expires_at.is_some_and(|at| now >= later(at, self.registry_grace));
                match self.search(store_id, invoice_id, &window).await {
                    Ok(Some(located)) => located,
                    Err(kind) => Located::Kind(kind),
                    Ok(None) if cancelled => Located::Kind(FindingKind::Expired { why: Expiry::InvoiceCancelled }),
                    Ok(None) if open => Located::Kind(FindingKind::StillMoving),
                    Ok(None) if expired => Located::Kind(FindingKind::Expired { why: Expiry::NoPaymentBeforeExpiry }),
                    // The invoice existed and cannot be read any more, and the
                    // registry may not list its payment yet: look again.
                    Ok(None) if gone && expires_at.is_some() => Located::Kind(FindingKind::StillMoving),
                    Ok(None) => Located::Kind(FindingKind::UnknownToMulticard { searched: Some(window) }),
                }
            }
        }
    }

    /// The order's payment in the registry (the one that matters most,
    /// read at the API), or `None` when there is none.
    async fn search(&self, store_id: &str, invoice_id: &str, window: &Window) -> Result<Option<Located>, FindingKind> {
        let rows = search::payments_of_order(&self.multicard, store_id, invoice_id, window)
            .await
            .map_err(|error| FindingKind::ReadFailed { error })?;
        let Some(chosen) = rows.iter().min_by_key(|row| weight(&row.status)) else { return Ok(None) };
        let others = rows.iter().filter(|row| row.uuid != chosen.uuid).map(|row| row.uuid.clone()).collect();
        let Found { uuid, .. } = chosen;
        match self.read(uuid).await {
            Ok(payment) => Ok(Some(Located::Payment(Box::new(payment), others))),
            Err(error) => Err(FindingKind::ReadFailed { error }),
        }
    }

    async fn judge<L2, H>(
        &self,
        now: DateTime<Utc>,
        payment: &PaymentModel,
        finding: &mut Finding,
        books: Option<(&L2, &H)>,
    ) where
        L2: Ledger,
        H: for<'t> Fn(&'t mut L2::Tx, &'t PaymentCredit) -> HandlerFuture<'t> + Send + Sync,
    {
        let seen = StatusSeen::from_payment(payment);
        if let Some(seen) = &seen {
            finding.store_id = Some(seen.store_id.clone());
        }
        if let Some(invoice_id) = &payment.store_invoice_id {
            finding.invoice_id = Some(invoice_id.clone());
        }
        finding.uuid = Some(payment.uuid.clone());
        finding.status = Some(payment.status.clone());
        if payment.status != PaymentStatus::Error {
            self.errors_seen.lock().unwrap_or_else(PoisonError::into_inner).remove(&payment.uuid);
        }
        let (mut change, mut decision) = (None, None);
        if let (Some((ledger, _)), Some(seen)) = (books, &seen) {
            let read =
                async { Ok((ledger.record_status(seen).await?, ledger.decision(&seen.store_id, &seen.uuid).await?)) };
            match read.await {
                Ok((recorded, decided)) => (change, decision) = (Some(recorded), decided),
                Err(error) => {
                    finding.kind = FindingKind::LedgerFailed { error };
                    return;
                }
            }
        }
        let expected = finding.pending.expected_amount();
        finding.kind = match (&payment.status, decision) {
            (PaymentStatus::Revert, decision) => {
                let reverted_after = matches!(change, Some(StatusChange::RevertedAfterFulfilment { .. }));
                if reverted_after || decision == Some(StoredDecision::Accepted) {
                    FindingKind::RevertedAfterFulfilment
                } else {
                    FindingKind::Reverted
                }
            }
            (_, Some(decision)) => FindingKind::AlreadyFulfilled { decision },
            _ if expected.is_some_and(|e| e != payment.payment_amount && Some(e) != payment.total_amount) => {
                FindingKind::AmountMismatch {
                    expected: expected.unwrap_or_default(),
                    payment_amount: payment.payment_amount,
                    total_amount: payment.total_amount,
                }
            }
            (PaymentStatus::Success, None) => match books {
                None => FindingKind::PaidNotChecked,
                Some((ledger, handler)) => credit(ledger, handler, payment).await,
            },
            (PaymentStatus::Billing, None) => FindingKind::FrozenAwaitingCallback,
            (PaymentStatus::Hold, None) => FindingKind::NotCaptured,
            (PaymentStatus::Progress, None) => FindingKind::StillMoving,
            (PaymentStatus::Draft, None) => {
                let added = payment.added_on.map(|at| at.to_utc());
                if added.is_some_and(|at| now >= later(at, self.draft_ttl)) {
                    FindingKind::Expired { why: Expiry::DraftPastTtl }
                } else {
                    FindingKind::StillMoving
                }
            }
            (PaymentStatus::Error, None) => {
                let first = *self
                    .errors_seen
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .entry(payment.uuid.clone())
                    .or_insert(now);
                if now >= later(first, self.error_quiet_period) {
                    FindingKind::Expired { why: Expiry::ErrorPastQuietPeriod }
                } else {
                    FindingKind::StillMoving
                }
            }
            (other, None) => FindingKind::UnknownStatus { status: crate::scrub::printable(&other.to_string(), 64) },
        };
    }
}

/// Credits a payment read `success` through the ledger.
async fn credit<L, H>(ledger: &L, handler: &H, payment: &PaymentModel) -> FindingKind
where
    L: Ledger,
    H: for<'t> Fn(&'t mut L::Tx, &'t PaymentCredit) -> HandlerFuture<'t> + Send + Sync,
{
    let Some(credit) = PaymentCredit::from_reconciled(payment) else {
        let reason = HeldReason::Storage("the paid payment names no store or no order (store_invoice_id)".into());
        return FindingKind::CreditHeld { reason };
    };
    match ledger.fulfil(&credit, |tx, credit| handler(tx, credit)).await {
        Fulfilment::Accepted { replayed: false } => {
            tracing::info!(
                target: "multicard::reconcile",
                uuid = %crate::escape_controls(&credit.uuid),
                invoice_id = %crate::escape_controls(&credit.invoice_id),
                "a paid payment never called back was credited by the sweep"
            );
            FindingKind::CreditedNow
        }
        Fulfilment::Accepted { replayed: true } => FindingKind::AlreadyFulfilled { decision: StoredDecision::Accepted },
        Fulfilment::Refused { message, replayed: true } => {
            FindingKind::AlreadyFulfilled { decision: StoredDecision::Refused { message } }
        }
        Fulfilment::DuplicatePaymentForOrder { credited, replayed: true } => {
            FindingKind::AlreadyFulfilled { decision: StoredDecision::DuplicatePaymentForOrder { credited } }
        }
        Fulfilment::Held(reason) => FindingKind::CreditHeld { reason },
        fulfilment => FindingKind::CreditRefused { fulfilment },
    }
}

/// Which of an order's payments a finding is about: a paid one first, then
/// one whose status is unknown, frozen, held, moving, and last the ended.
fn weight(status: &PaymentStatus) -> u8 {
    match status {
        PaymentStatus::Success => 0,
        PaymentStatus::Billing => 2,
        PaymentStatus::Hold => 3,
        PaymentStatus::Progress => 4,
        PaymentStatus::Draft => 5,
        PaymentStatus::Error => 6,
        PaymentStatus::Revert => 7,
        _ => 1,
    }
}

/// `at` plus `duration`, saturating.
fn later(at: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(duration).ok().and_then(|d| at.checked_add_signed(d)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `at` minus `duration`, saturating.
fn earlier(at: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(duration).ok().and_then(|d| at.checked_sub_signed(d)).unwrap_or(DateTime::<Utc>::MIN_UTC)
}
