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

use std::error::Error as StdError;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use multicard_api::escape_controls;
use multicard_api::fulfilment::{
    DUPLICATE_MESSAGE, Decision, DuplicatePolicy, Fulfilment, HandlerError, HandlerFuture, HeldReason, Key, Ledger,
    LedgerError, LeftFrozen, Retention, StatusChange, StatusSeen, StoredDecision, Subject,
};
use multicard_api::types::PaymentStatus;
use sqlx::{PgPool, Postgres, Row, Transaction};

/// The transaction a handler gets: the ledger's own, in which the payment's
/// row is claimed and its decision is stored.
pub type PgTx = Transaction<'static, Postgres>;

/// How long an attempt waits, by default, for a row another attempt holds
/// (`lock_timeout`), before it is held (500).
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

/// How many times, by default, an attempt that failed to serialize is run
/// again on a fresh transaction.
pub const DEFAULT_MAX_SERIALIZATION_RETRIES: u32 = 3;

/// The migrations, in order: version, name, SQL.
const MIGRATIONS: &[(i32, &str, &str)] =
    &[(1, "fulfilment_ledger", include_str!("../migrations/0001_fulfilment_ledger.sql"))];

/// The advisory lock two replicas migrating at once take in turn
/// (`"mcledger"` in ASCII).
const MIGRATION_LOCK: i64 = 0x6d63_6c65_6467_6572;

/// How many times one attempt claims a payment's row when the row that
/// stood in its way went before it could be read.
const CLAIM_ROUNDS: usize = 3;

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
}

/// Why one attempt did not decide.
#[derive(Debug)]
enum Failure {
    Busy,
    Handler { text: String, retry: bool },
    Storage { text: String, retry: bool },
    DuplicateHeld { credited: String },
}

impl Failure {
    fn retryable(&self) -> bool {
        matches!(self, Failure::Handler { retry: true, .. } | Failure::Storage { retry: true, .. })
    }

    fn into_reason(self) -> HeldReason {
        match self {
            Failure::Busy => HeldReason::Busy,
            Failure::Handler { text, .. } => HeldReason::Handler(text),
            Failure::Storage { text, .. } => HeldReason::Storage(text),
            Failure::DuplicateHeld { credited } => HeldReason::DuplicateHeld { credited },
        }
    }
}

impl From<sqlx::Error> for Failure {
    fn from(error: sqlx::Error) -> Self {
        match sqlstate(&error).as_deref() {
            Some(LOCK_NOT_AVAILABLE) => Failure::Busy,
            code => Failure::Storage { text: storage_text(&error), retry: code.is_some_and(is_retry_code) },
        }
    }
}

type BoxFuture<'x, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'x>>;

/// How an attempt ends when it did not fail.
enum Step {
    /// Decided now: commit.
    Commit(Fulfilment),
    /// Decided before (a replay): nothing written, roll back.
    Replay(Fulfilment),
}

const LOCK_NOT_AVAILABLE: &str = "55P03";
const SERIALIZATION_FAILURE: &str = "40001";
const DEADLOCK_DETECTED: &str = "40P01";

fn is_retry_code(code: &str) -> bool {
    code == SERIALIZATION_FAILURE || code == DEADLOCK_DETECTED
}

fn sqlstate(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(db) => db.code().map(|code| code.into_owned()),
        _ => None,
    }
}

/// A database error as text: the driver's message and the SQLSTATE, never
/// the values bound to the statement (Postgres' `DETAIL`, which may show a
/// key, is left out).
fn storage_text(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db) => match db.code() {
            Some(code) => format!("{} (SQLSTATE {code})", db.message()),
            None => db.message().to_string(),
        },
        other => other.to_string(),
    }
}

fn ledger_error(error: sqlx::Error) -> LedgerError {
    match sqlstate(&error).as_deref() {
        Some(LOCK_NOT_AVAILABLE) => LedgerError::Busy,
        _ => LedgerError::Storage(storage_text(&error)),
    }
}

/// A handler's error; retried when a `sqlx::Error` in its source chain is a
/// serialization failure or a deadlock.
fn handler_failure(error: HandlerError) -> Failure {
    let mut retry = false;
    let mut cause: Option<&(dyn StdError + 'static)> = Some(&*error);
    while let Some(current) = cause {
        if let Some(sqlx_error) = current.downcast_ref::<sqlx::Error>() {
            retry = sqlstate(sqlx_error).as_deref().is_some_and(is_retry_code);
            break;
        }
        cause = current.source();
    }
    Failure::Handler { text: error.to_string(), retry }
}

fn status_text(status: &PaymentStatus) -> Option<String> {
    match serde_json::to_value(status) {
        Ok(serde_json::Value::String(text)) => Some(text),
        _ => None,
    }
}

fn parse_status(text: String) -> PaymentStatus {
    serde_json::from_value(serde_json::Value::String(text)).unwrap_or(PaymentStatus::Draft)
}

fn stored_decision(
    decision: &str,
    message: Option<String>,
    credited_by: Option<String>,
) -> Result<StoredDecision, String> {
    match decision {
        "accepted" => Ok(StoredDecision::Accepted),
        "refused" => Ok(StoredDecision::Refused { message: message.unwrap_or_default() }),
        "duplicate" => Ok(StoredDecision::DuplicatePaymentForOrder { credited: credited_by.unwrap_or_default() }),
        other => Err(format!("a fulfilment row with the decision {:?}", escape_controls(other))),
    }
}

fn system_time(micros: i64) -> SystemTime {
    if micros >= 0 {
        UNIX_EPOCH + Duration::from_micros(micros.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_micros(micros.unsigned_abs())
    }
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

    /// Creates or updates the ledger's tables: idempotent, safe to call at
    /// every start from every replica at once. Runs in one transaction
    /// under an advisory lock (a second replica waits, then finds the work
    /// done), and records each migration in `multicard_schema_migrations`.
    /// Returns how many migrations it applied.
    pub async fn migrate(&self) -> Result<usize, LedgerError> {
        let mut tx = self.pool.begin().await.map_err(ledger_error)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(ledger_error)?;
        sqlx::raw_sql(
            "CREATE TABLE IF NOT EXISTS multicard_schema_migrations (
                 version    integer     PRIMARY KEY,
                 name       text        NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .execute(&mut *tx)
        .await
        .map_err(ledger_error)?;
        let applied: Vec<i32> = sqlx::query_scalar("SELECT version FROM multicard_schema_migrations")
            .fetch_all(&mut *tx)
            .await
            .map_err(ledger_error)?;
        let mut count = 0;
        for (version, name, sql) in MIGRATIONS {
            if applied.contains(version) {
                continue;
            }
            sqlx::raw_sql(sql).execute(&mut *tx).await.map_err(ledger_error)?;
            sqlx::query("INSERT INTO multicard_schema_migrations (version, name) VALUES ($1, $2)")
                .bind(version)
                .bind(name)
                .execute(&mut *tx)
                .await
                .map_err(ledger_error)?;
            count += 1;
        }
        tx.commit().await.map_err(ledger_error)?;
        Ok(count)
    }

    /// Queues an effect that is not a database write (a mail, an HTTP call,
    /// a message to publish) in `multicard_outbox`, **in the handler's
    /// transaction**: it exists if, and only if, the decision commits. A
    /// worker of yours sends the unsent rows (`sent_at IS NULL`, in `id`
    /// order) and sets `sent_at`. This is the place for such effects: the
    /// handler may run more than once for one delivery (a serialization
    /// retry), and a rolled-back attempt must leave nothing behind. Returns
    /// the row's id.
    pub async fn push_outbox(tx: &mut PgTx, topic: &str, payload: &serde_json::Value) -> Result<i64, LedgerError> {
        let payload = serde_json::to_string(payload).map_err(|error| LedgerError::Storage(error.to_string()))?;
        sqlx::query_scalar("INSERT INTO multicard_outbox (topic, payload) VALUES ($1, $2::text::jsonb) RETURNING id")
            .bind(topic)
            .bind(payload)
            .fetch_one(&mut **tx)
            .await
            .map_err(ledger_error)
    }

    /// A transaction for one attempt: the isolation level, then the lock
    /// timeout (`SET LOCAL`: it ends with the transaction).
    ///
    /// The database steps of an attempt are boxed futures: each is proved
    /// `Send` where its lifetimes are concrete, which sqlx's executors need
    /// inside a future generic over a higher-ranked handler.
    fn begin(&self) -> BoxFuture<'_, Result<PgTx, sqlx::Error>> {
        Box::pin(async move {
            let mut tx = self.pool.begin().await?;
            if self.isolation == Isolation::Serializable {
                sqlx::query("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE").execute(&mut *tx).await?;
            }
            let millis = self.lock_timeout.as_millis().clamp(1, i32::MAX as u128);
            sqlx::query(&format!("SET LOCAL lock_timeout = {millis}")).persistent(false).execute(&mut *tx).await?;
            Ok(tx)
        })
    }

    /// One attempt on a fresh transaction.
    async fn attempt<S, H>(&self, key: &Key<'_>, subject: &S, handler: &mut H) -> Result<Fulfilment, Failure>
    where
        S: Subject,
        H: for<'t> FnMut(&'t mut PgTx, &'t S) -> HandlerFuture<'t> + Send,
    {
        let mut tx = self.begin().await?;
        let step = match *key {
            Key::Payment { store_id, uuid, invoice_id, amount, status } => {
                let payment = PaymentKey { store_id, uuid, invoice_id, amount, status };
                self.payment_attempt(&mut tx, &payment, subject, handler).await
            }
            Key::CardBinding { application_id, payer_id, card_token } => {
                let binding = BindingKey { application_id, payer_id, card_token };
                binding_attempt(&mut tx, &binding, subject, handler).await
            }
            _ => Err(Failure::Storage { text: "a subject this ledger does not know".to_string(), retry: false }),
        };
        match step {
            Ok(Step::Commit(fulfilment)) => {
                commit(tx).await?;
                Ok(fulfilment)
            }
            Ok(Step::Replay(fulfilment)) => {
                rollback(tx).await;
                Ok(fulfilment)
            }
            Err(failure) => {
                rollback(tx).await;
                Err(failure)
            }
        }
    }

    async fn payment_attempt<S, H>(
        &self,
        tx: &mut PgTx,
        payment: &PaymentKey<'_>,
        subject: &S,
        handler: &mut H,
    ) -> Result<Step, Failure>
    where
        S: Subject,
        H: for<'t> FnMut(&'t mut PgTx, &'t S) -> HandlerFuture<'t> + Send,
    {
        let mut claimed = None;
        for _ in 0..CLAIM_ROUNDS {
            // The claim: a concurrent attempt for this payment, or for
            // another payment of this order, waits here on a unique index.
            if payment.claim(tx, true).await? {
                claimed = Some(true);
                break;
            }
            if let Some(decision) = payment.stored(tx).await? {
                return Ok(Step::Replay(decision.replay()));
            }
            // No row for this payment: the order's index stood in the way.
            let Some(credited) = payment.credited(tx).await? else {
                continue; // the credited row went meanwhile: claim again
            };
            match self.duplicates {
                DuplicatePolicy::Refuse => {
                    if !payment.refuse_duplicate(tx, &credited).await? {
                        continue; // another delivery decided it meanwhile: replay it
                    }
                    payment.finish(tx).await?;
                    return Ok(Step::Commit(Fulfilment::DuplicatePaymentForOrder { credited, replayed: false }));
                }
                DuplicatePolicy::AskHandler => {
                    if payment.claim(tx, false).await? {
                        claimed = Some(false);
                        break;
                    }
                }
                _ => return Err(Failure::DuplicateHeld { credited }),
            }
        }
        let Some(credits_order) = claimed else {
            return Err(Failure::Busy);
        };
        let decision = handler(tx, subject).await.map_err(handler_failure)?;
        let fulfilment = match decision {
            Decision::Accept => {
                payment.decide(tx, "accepted", None, credits_order).await?;
                Fulfilment::Accepted { replayed: false }
            }
            Decision::Refuse { message } => {
                // Refused: the order may be paid by another payment later.
                payment.decide(tx, "refused", Some(message.clone()), false).await?;
                Fulfilment::Refused { message, replayed: false }
            }
            _ => {
                return Err(Failure::Handler {
                    text: "a decision this ledger does not know".to_string(),
                    retry: false,
                });
            }
        };
        payment.finish(tx).await?;
        Ok(Step::Commit(fulfilment))
    }

    /// Records a held attempt in its own statement (autocommit): the
    /// reconciler reads it in [`Ledger::left_frozen`].
    fn record_failure<'x>(&'x self, key: &'x Key<'x>, reason: &'x HeldReason) -> BoxFuture<'x, ()> {
        Box::pin(async move {
            let Key::Payment { store_id, uuid, invoice_id, .. } = *key else { return };
            failure_row(&self.pool, store_id, uuid, invoice_id, format!("{reason:?}")).await;
        })
    }
}

/// Why an attempt dropped before it decided is left frozen.
const ABANDONED: &str = "the attempt was dropped before it decided (the request was dropped: a callback timeout?)";

/// Records a payment's attempt as left frozen if it is dropped before it
/// decides (its `Drop` spawns the write on the current runtime).
struct Abandoned {
    pool: PgPool,
    row: Option<(String, String, String)>,
}

impl Abandoned {
    fn new(pool: &PgPool, key: &Key<'_>) -> Self {
        let row = match *key {
            Key::Payment { store_id, uuid, invoice_id, .. } => {
                Some((store_id.to_string(), uuid.to_string(), invoice_id.to_string()))
            }
            _ => None,
        };
        Self { pool: pool.clone(), row }
    }

    fn disarm(&mut self) {
        self.row = None;
    }
}

impl Drop for Abandoned {
    fn drop(&mut self) {
        let Some((store_id, uuid, invoice_id)) = self.row.take() else { return };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let pool = self.pool.clone();
        let reason = format!("{:?}", HeldReason::Handler(ABANDONED.to_string()));
        runtime.spawn(async move { failure_row(&pool, &store_id, &uuid, &invoice_id, reason).await });
    }
}

/// Writes a payment's failed attempt in its own statement (autocommit).
fn failure_row<'x>(
    pool: &'x PgPool,
    store_id: &'x str,
    uuid: &'x str,
    invoice_id: &'x str,
    reason: String,
) -> BoxFuture<'x, ()> {
    Box::pin(async move {
        let result = sqlx::query(
            "INSERT INTO multicard_failures AS f (store_id, payment_uuid, invoice_id, first_failed_at, \
                 last_failed_at, attempts, last_reason) \
                 VALUES ($1, $2, $3, clock_timestamp(), clock_timestamp(), 1, $4) \
                 ON CONFLICT (store_id, payment_uuid) DO UPDATE SET invoice_id = EXCLUDED.invoice_id, \
                 last_failed_at = EXCLUDED.last_failed_at, attempts = f.attempts + 1, \
                 last_reason = EXCLUDED.last_reason",
        )
        .bind(store_id)
        .bind(uuid)
        .bind(invoice_id)
        .bind(reason)
        .execute(pool)
        .await;
        if let Err(error) = result {
            tracing::warn!(
                target: "multicard::fulfilment",
                store_id = %escape_controls(store_id),
                uuid = %escape_controls(uuid),
                error = %escape_controls(&storage_text(&error)),
                "a held payment could not be recorded as left frozen"
            );
        }
    })
}

fn commit(tx: PgTx) -> BoxFuture<'static, Result<(), sqlx::Error>> {
    Box::pin(tx.commit())
}

fn rollback(tx: PgTx) -> BoxFuture<'static, ()> {
    Box::pin(async move {
        let _ = tx.rollback().await;
    })
}

/// A payment's keys, as an attempt uses them.
struct PaymentKey<'k> {
    store_id: &'k str,
    uuid: &'k str,
    invoice_id: &'k str,
    amount: i64,
    status: &'k PaymentStatus,
}

impl PaymentKey<'_> {
    /// Claims the payment's row (`pending`), or finds it taken (`false`).
    fn claim<'x>(&'x self, tx: &'x mut PgTx, credits_order: bool) -> BoxFuture<'x, Result<bool, sqlx::Error>> {
        Box::pin(async move {
            let row = sqlx::query(
                "INSERT INTO multicard_fulfilments (store_id, payment_uuid, invoice_id, amount, decision, \
                 credits_order) VALUES ($1, $2, $3, $4, 'pending', $5) ON CONFLICT DO NOTHING RETURNING true",
            )
            .bind(self.store_id)
            .bind(self.uuid)
            .bind(self.invoice_id)
            .bind(self.amount)
            .bind(credits_order)
            .fetch_optional(&mut **tx)
            .await?;
            Ok(row.is_some())
        })
    }

    /// The decision stored for this payment, if any.
    fn stored<'x>(&'x self, tx: &'x mut PgTx) -> BoxFuture<'x, Result<Option<StoredDecision>, Failure>> {
        Box::pin(async move {
            let row = sqlx::query(
                "SELECT decision, message, credited_by FROM multicard_fulfilments \
                 WHERE store_id = $1 AND payment_uuid = $2",
            )
            .bind(self.store_id)
            .bind(self.uuid)
            .fetch_optional(&mut **tx)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let decision: String = row.try_get(0)?;
            stored_decision(&decision, row.try_get(1)?, row.try_get(2)?)
                .map(Some)
                .map_err(|text| Failure::Storage { text, retry: false })
        })
    }

    /// The payment that credited this payment's order, if any.
    fn credited<'x>(&'x self, tx: &'x mut PgTx) -> BoxFuture<'x, Result<Option<String>, sqlx::Error>> {
        Box::pin(async move {
            sqlx::query_scalar(
                "SELECT payment_uuid FROM multicard_fulfilments WHERE store_id = $1 AND invoice_id = $2 \
                 AND credits_order",
            )
            .bind(self.store_id)
            .bind(self.invoice_id)
            .fetch_optional(&mut **tx)
            .await
        })
    }

    /// Stores this payment as a duplicate of `credited`, or finds its row
    /// taken (`false`).
    fn refuse_duplicate<'x>(&'x self, tx: &'x mut PgTx, credited: &'x str) -> BoxFuture<'x, Result<bool, sqlx::Error>> {
        Box::pin(async move {
            let row = sqlx::query(
                "INSERT INTO multicard_fulfilments (store_id, payment_uuid, invoice_id, amount, decision, \
                 message, credited_by, credits_order) VALUES ($1, $2, $3, $4, 'duplicate', $5, $6, false) \
                 ON CONFLICT DO NOTHING RETURNING true",
            )
            .bind(self.store_id)
            .bind(self.uuid)
            .bind(self.invoice_id)
            .bind(self.amount)
            .bind(DUPLICATE_MESSAGE)
            .bind(credited)
            .fetch_optional(&mut **tx)
            .await?;
            Ok(row.is_some())
        })
    }

    /// Stores the handler's decision on the claimed row.
    fn decide<'x>(
        &'x self,
        tx: &'x mut PgTx,
        decision: &'static str,
        message: Option<String>,
        credits_order: bool,
    ) -> BoxFuture<'x, Result<(), sqlx::Error>> {
        Box::pin(async move {
            sqlx::query(
                "UPDATE multicard_fulfilments SET decision = $3, message = $4, credits_order = $5, \
                 decided_at = now() WHERE store_id = $1 AND payment_uuid = $2",
            )
            .bind(self.store_id)
            .bind(self.uuid)
            .bind(decision)
            .bind(message)
            .bind(credits_order)
            .execute(&mut **tx)
            .await?;
            Ok(())
        })
    }

    /// In the deciding transaction: the status read at confirmation
    /// (forward only), and the payment no longer left frozen.
    fn finish<'x>(&'x self, tx: &'x mut PgTx) -> BoxFuture<'x, Result<(), sqlx::Error>> {
        Box::pin(async move {
            if let (Some(rank), Some(status)) = (StatusSeen::rank(self.status), status_text(self.status)) {
                sqlx::query(
                    "INSERT INTO multicard_payment_statuses (store_id, payment_uuid, status, rank, updated_at) \
                     VALUES ($1, $2, $3, $4, now()) ON CONFLICT (store_id, payment_uuid) DO UPDATE \
                     SET status = EXCLUDED.status, rank = EXCLUDED.rank, updated_at = EXCLUDED.updated_at \
                     WHERE multicard_payment_statuses.rank < EXCLUDED.rank",
                )
                .bind(self.store_id)
                .bind(self.uuid)
                .bind(status)
                .bind(i16::from(rank))
                .execute(&mut **tx)
                .await?;
            }
            sqlx::query("DELETE FROM multicard_failures WHERE store_id = $1 AND payment_uuid = $2")
                .bind(self.store_id)
                .bind(self.uuid)
                .execute(&mut **tx)
                .await?;
            Ok(())
        })
    }
}

/// A card binding's keys.
struct BindingKey<'k> {
    application_id: &'k str,
    payer_id: &'k str,
    card_token: &'k str,
}

impl BindingKey<'_> {
    fn claim<'x>(&'x self, tx: &'x mut PgTx) -> BoxFuture<'x, Result<bool, sqlx::Error>> {
        Box::pin(async move {
            let row = sqlx::query(
                "INSERT INTO multicard_card_bindings (application_id, payer_id, card_token, decision) \
                 VALUES ($1, $2, $3, 'pending') ON CONFLICT DO NOTHING RETURNING true",
            )
            .bind(self.application_id)
            .bind(self.payer_id)
            .bind(self.card_token)
            .fetch_optional(&mut **tx)
            .await?;
            Ok(row.is_some())
        })
    }

    fn stored<'x>(&'x self, tx: &'x mut PgTx) -> BoxFuture<'x, Result<Option<StoredDecision>, Failure>> {
        Box::pin(async move {
            let row = sqlx::query(
                "SELECT decision, message FROM multicard_card_bindings WHERE application_id = $1 \
                 AND payer_id = $2 AND card_token = $3",
            )
            .bind(self.application_id)
            .bind(self.payer_id)
            .bind(self.card_token)
            .fetch_optional(&mut **tx)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let decision: String = row.try_get(0)?;
            stored_decision(&decision, row.try_get(1)?, None)
                .map(Some)
                .map_err(|text| Failure::Storage { text, retry: false })
        })
    }

    fn decide<'x>(
        &'x self,
        tx: &'x mut PgTx,
        decision: &'static str,
        message: Option<String>,
    ) -> BoxFuture<'x, Result<(), sqlx::Error>> {
        Box::pin(async move {
            sqlx::query(
                "UPDATE multicard_card_bindings SET decision = $4, message = $5, decided_at = now() \
                 WHERE application_id = $1 AND payer_id = $2 AND card_token = $3",
            )
            .bind(self.application_id)
            .bind(self.payer_id)
            .bind(self.card_token)
            .bind(decision)
            .bind(message)
            .execute(&mut **tx)
            .await?;
            Ok(())
        })
    }
}

/// A card binding's attempt: the same flow, keyed by
/// `(application_id, payer_id, card_token)`, with no order.
async fn binding_attempt<S, H>(
    tx: &mut PgTx,
    binding: &BindingKey<'_>,
    subject: &S,
    handler: &mut H,
) -> Result<Step, Failure>
where
    S: Subject,
    H: for<'t> FnMut(&'t mut PgTx, &'t S) -> HandlerFuture<'t> + Send,
{
    if !binding.claim(tx).await? {
        return match binding.stored(tx).await? {
            Some(stored) => Ok(Step::Replay(stored.replay())),
            None => Err(Failure::Busy), // it went between the claim and the read
        };
    }
    let decision = handler(tx, subject).await.map_err(handler_failure)?;
    let fulfilment = match decision {
        Decision::Accept => {
            binding.decide(tx, "accepted", None).await?;
            Fulfilment::Accepted { replayed: false }
        }
        Decision::Refuse { message } => {
            binding.decide(tx, "refused", Some(message.clone())).await?;
            Fulfilment::Refused { message, replayed: false }
        }
        _ => return Err(Failure::Handler { text: "a decision this ledger does not know".to_string(), retry: false }),
    };
    Ok(Step::Commit(fulfilment))
}

impl Ledger for PgLedger {
    type Tx = PgTx;

    async fn fulfil<'a, S, H>(&'a self, subject: &'a S, mut handler: H) -> Fulfilment
    where
        S: Subject + 'a,
        H: for<'t> FnMut(&'t mut PgTx, &'t S) -> HandlerFuture<'t> + Send + 'a,
    {
        let key = subject.key();
        // Dropped before it decides (the server dropped the request when
        // Multicard closed the connection at its callback timeout), the
        // attempt rolls back and left the payment frozen: recorded like a
        // held one.
        let mut abandoned = Abandoned::new(&self.pool, &key);
        let mut retries = 0;
        loop {
            let failure = match self.attempt(&key, subject, &mut handler).await {
                Ok(fulfilment) => {
                    abandoned.disarm();
                    return fulfilment;
                }
                Err(failure) => failure,
            };
            if failure.retryable() && retries < self.max_retries {
                retries += 1;
                continue;
            }
            let reason = failure.into_reason();
            self.record_failure(&key, &reason).await;
            abandoned.disarm();
            return Fulfilment::Held(reason);
        }
    }

    async fn decision<'a>(&'a self, store_id: &'a str, uuid: &'a str) -> Result<Option<StoredDecision>, LedgerError> {
        let row = sqlx::query(
            "SELECT decision, message, credited_by FROM multicard_fulfilments WHERE store_id = $1 AND payment_uuid = $2 \
             AND decision <> 'pending'",
        )
        .bind(store_id)
        .bind(uuid)
        .fetch_optional(&self.pool)
        .await
        .map_err(ledger_error)?;
        let Some(row) = row else { return Ok(None) };
        let decision: String = row.try_get(0).map_err(ledger_error)?;
        let message = row.try_get(1).map_err(ledger_error)?;
        let credited_by = row.try_get(2).map_err(ledger_error)?;
        stored_decision(&decision, message, credited_by).map(Some).map_err(LedgerError::Storage)
    }

    async fn record_status<'a>(&'a self, seen: &'a StatusSeen) -> Result<StatusChange, LedgerError> {
        let (Some(rank), Some(status)) = (StatusSeen::rank(&seen.status), status_text(&seen.status)) else {
            return Ok(StatusChange::NotRecorded);
        };
        // One statement: the upsert moves the row only forward (its WHERE
        // reads the latest committed row, locked), and reports what it
        // wrote, what it read before, and whether the payment was credited.
        let row = sqlx::query(
            "WITH prior AS ( \
                 SELECT status FROM multicard_payment_statuses WHERE store_id = $1 AND payment_uuid = $2 \
             ), written AS ( \
                 INSERT INTO multicard_payment_statuses (store_id, payment_uuid, status, rank, updated_at) \
                 VALUES ($1, $2, $3, $4, now()) \
                 ON CONFLICT (store_id, payment_uuid) DO UPDATE \
                 SET status = EXCLUDED.status, rank = EXCLUDED.rank, updated_at = EXCLUDED.updated_at \
                 WHERE multicard_payment_statuses.rank < EXCLUDED.rank \
                 RETURNING status \
             ) \
             SELECT (SELECT status FROM written) AS written, (SELECT status FROM prior) AS prior, \
                    (SELECT invoice_id FROM multicard_fulfilments WHERE store_id = $1 AND payment_uuid = $2 \
                     AND decision = 'accepted') AS credited_invoice",
        )
        .bind(&seen.store_id)
        .bind(&seen.uuid)
        .bind(&status)
        .bind(i16::from(rank))
        .fetch_one(&self.pool)
        .await
        .map_err(ledger_error)?;
        let written: Option<String> = row.try_get(0).map_err(ledger_error)?;
        let prior: Option<String> = row.try_get(1).map_err(ledger_error)?;
        let credited_invoice: Option<String> = row.try_get(2).map_err(ledger_error)?;
        if written.is_none() {
            return Ok(match prior {
                Some(prior) if prior == status => StatusChange::Unchanged,
                Some(prior) => StatusChange::Stale { recorded: parse_status(prior) },
                // Another writer recorded a status at or past this one
                // between this statement's snapshot and its upsert.
                None => StatusChange::Stale { recorded: seen.status.clone() },
            });
        }
        if seen.status == PaymentStatus::Revert
            && let Some(invoice_id) = credited_invoice
        {
            tracing::error!(
                target: "multicard::fulfilment",
                store_id = %escape_controls(&seen.store_id),
                uuid = %escape_controls(&seen.uuid),
                invoice_id = %escape_controls(&invoice_id),
                "a payment was reverted after its order was credited"
            );
            return Ok(StatusChange::RevertedAfterFulfilment { invoice_id });
        }
        Ok(StatusChange::Advanced { from: prior.map(parse_status) })
    }

    async fn left_frozen(&self) -> Result<Vec<LeftFrozen>, LedgerError> {
        let rows = sqlx::query(
            "SELECT f.store_id, f.payment_uuid, f.invoice_id, \
                    (extract(epoch FROM f.first_failed_at) * 1000000)::bigint, \
                    (extract(epoch FROM f.last_failed_at) * 1000000)::bigint, f.attempts, f.last_reason \
             FROM multicard_failures f \
             WHERE NOT EXISTS (SELECT 1 FROM multicard_fulfilments d \
                               WHERE d.store_id = f.store_id AND d.payment_uuid = f.payment_uuid) \
             ORDER BY f.first_failed_at, f.payment_uuid",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(ledger_error)?;
        rows.iter()
            .map(|row| {
                let attempts: i32 = row.try_get(5)?;
                Ok(LeftFrozen::new(
                    row.try_get::<String, _>(0)?,
                    row.try_get::<String, _>(1)?,
                    row.try_get::<String, _>(2)?,
                    system_time(row.try_get(3)?),
                    system_time(row.try_get(4)?),
                    u32::try_from(attempts).unwrap_or(0),
                    row.try_get::<String, _>(6)?,
                ))
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(ledger_error)
    }

    async fn purge(&self, retention: Retention) -> Result<u64, LedgerError> {
        let keep = retention.checked()?;
        // Past a thousand years nothing was decided yet.
        let Ok(micros) = i64::try_from(keep.as_micros()) else { return Ok(0) };
        if micros > 1000 * 366 * 86_400 * 1_000_000 {
            return Ok(0);
        }
        // Only rows of payments recorded as final: a row of a payment that
        // may still move is what stops its next callback from crediting
        // again.
        let result = sqlx::query(
            "DELETE FROM multicard_fulfilments f USING multicard_payment_statuses s \
             WHERE s.store_id = f.store_id AND s.payment_uuid = f.payment_uuid \
               AND s.status IN ('success', 'revert') \
               AND f.decision <> 'pending' \
               AND f.decided_at < now() - $1 * interval '1 microsecond'",
        )
        .bind(micros)
        .execute(&self.pool)
        .await
        .map_err(ledger_error)?;
        Ok(result.rows_affected())
    }
}
