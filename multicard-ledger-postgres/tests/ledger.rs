//! The Postgres ledger against a real server (`MULTICARD_TEST_DATABASE_URL`):
//! the contract `MemoryLedger` keeps, kept across pools and transactions.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use multicard_api::fulfilment::{
    CardBinding, DUPLICATE_MESSAGE, Decision, DuplicatePolicy, Fulfilment, HandlerError, HandlerFuture, HeldReason,
    Ledger, LedgerError, PaymentCredit, Retention, StatusChange, StatusSeen, StoredDecision,
};
use multicard_api::types::PaymentStatus;
use multicard_ledger_postgres::{Isolation, PgLedger, PgTx};
use sqlx::PgPool;

const STORE: &str = "42";
const DAY: Duration = Duration::from_secs(86_400);

fn credit(uuid: &str, invoice: &str) -> PaymentCredit {
    PaymentCredit::for_tests(STORE, uuid, invoice, 150_000)
}

fn seen(credit: &PaymentCredit, status: PaymentStatus) -> StatusSeen {
    let mut payment = credit.payment.clone();
    payment.status = status;
    StatusSeen::from_payment(&payment).expect("a payment with a store")
}

/// A ledger on a migrated database of its own.
async fn ledger(db: &support::TestDb) -> (PgLedger, PgPool) {
    let pool = db.pool(10).await;
    let ledger = PgLedger::new(pool.clone());
    ledger.migrate().await.expect("migrate");
    (ledger, pool)
}

/// Fulfils `credit` with a handler that counts its runs and decides `decision`.
async fn decide(ledger: &PgLedger, credit: &PaymentCredit, runs: &Arc<AtomicUsize>, decision: Decision) -> Fulfilment {
    let runs = runs.clone();
    ledger
        .fulfil(credit, move |_tx, _credit| {
            let runs = runs.clone();
            let decision = decision.clone();
            Box::pin(async move {
                runs.fetch_add(1, Ordering::SeqCst);
                Ok(decision)
            })
        })
        .await
}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.expect(sql)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_twice_is_idempotent_and_replicas_migrating_together_do_not_race() {
    let Some(db) = support::database("migrate").await else { return };
    let (first, second) = (db.pool(2).await, db.pool(2).await);
    let (one, other) = (PgLedger::new(first.clone()), PgLedger::new(second.clone()));
    let (a, b) = tokio::join!(one.migrate(), other.migrate());
    let (a, b) = (a.expect("first replica migrates"), b.expect("second replica migrates"));
    assert_eq!(a + b, 1, "the migration is applied once between two replicas starting together");
    assert_eq!(PgLedger::new(first.clone()).migrate().await.expect("migrate again"), 0);
    assert_eq!(count(&first, "SELECT count(*) FROM multicard_schema_migrations").await, 1);
    let tables = count(
        &first,
        "SELECT count(*) FROM pg_tables WHERE tablename IN ('multicard_fulfilments', 'multicard_card_bindings', \
         'multicard_payment_statuses', 'multicard_failures', 'multicard_outbox')",
    )
    .await;
    assert_eq!(tables, 5);
    first.close().await;
    second.close().await;
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_then_resend_replays_without_running_the_handler() {
    let Some(db) = support::database("replay").await else { return };
    let (ledger, pool) = ledger(&db).await;
    let runs = Arc::new(AtomicUsize::new(0));
    let payment = credit("pay-1", "order-1");
    assert_eq!(decide(&ledger, &payment, &runs, Decision::Accept).await, Fulfilment::Accepted { replayed: false });
    assert_eq!(decide(&ledger, &payment, &runs, Decision::Accept).await, Fulfilment::Accepted { replayed: true });
    // Even a handler that would refuse now does not run: the decision stands.
    assert_eq!(decide(&ledger, &payment, &runs, Decision::refuse("no")).await, Fulfilment::Accepted { replayed: true });
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(ledger.decision(STORE, "pay-1").await.unwrap(), Some(StoredDecision::Accepted));
    assert_eq!(ledger.decision(STORE, "pay-unknown").await.unwrap(), None);
    // The status read at confirmation is recorded with the decision.
    assert_eq!(
        sqlx::query_scalar::<_, String>("SELECT status FROM multicard_payment_statuses WHERE payment_uuid = 'pay-1'")
            .fetch_one(&pool)
            .await
            .unwrap(),
        "success"
    );
    pool.close().await;
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuse_replays_refused_and_leaves_the_order_payable() {
    let Some(db) = support::database("refuse").await else { return };
    let (ledger, pool) = ledger(&db).await;
    let runs = Arc::new(AtomicUsize::new(0));
    let first = credit("pay-1", "order-1");
    let refused = Fulfilment::Refused { message: "out of stock".to_string(), replayed: false };
    assert_eq!(decide(&ledger, &first, &runs, Decision::refuse("out of stock")).await, refused);
    assert_eq!(
        decide(&ledger, &first, &runs, Decision::Accept).await,
        Fulfilment::Refused { message: "out of stock".to_string(), replayed: true }
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(
        ledger.decision(STORE, "pay-1").await.unwrap(),
        Some(StoredDecision::Refused { message: "out of stock".to_string() })
    );
    // A refused payment credits nothing: another payment may pay the order.
    let second = credit("pay-2", "order-1");
    assert_eq!(decide(&ledger, &second, &runs, Decision::Accept).await, Fulfilment::Accepted { replayed: false });
    pool.close().await;
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_payment_for_a_credited_order_follows_the_duplicate_policy() {
    let Some(db) = support::database("duplicates").await else { return };
    let (refusing, pool) = ledger(&db).await;
    let runs = Arc::new(AtomicUsize::new(0));
    assert_eq!(
        decide(&refusing, &credit("pay-1", "order-1"), &runs, Decision::Accept).await,
        Fulfilment::Accepted { replayed: false }
    );

    // Refuse (the default): stored, replayed, the handler never runs.
    let second = credit("pay-2", "order-1");
    assert_eq!(
        decide(&refusing, &second, &runs, Decision::Accept).await,
        Fulfilment::DuplicatePaymentForOrder { credited: "pay-1".to_string(), replayed: false }
    );
    assert_eq!(
        decide(&refusing, &second, &runs, Decision::Accept).await,
        Fulfilment::DuplicatePaymentForOrder { credited: "pay-1".to_string(), replayed: true }
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(
        refusing.decision(STORE, "pay-2").await.unwrap(),
        Some(StoredDecision::DuplicatePaymentForOrder { credited: "pay-1".to_string() })
    );
    let message: Option<String> =
        sqlx::query_scalar("SELECT message FROM multicard_fulfilments WHERE payment_uuid = 'pay-2'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(message.as_deref(), Some(DUPLICATE_MESSAGE));

    // Hold: nothing stored, answered 500, left frozen.
    let holding = PgLedger::new(pool.clone()).with_duplicate_policy(DuplicatePolicy::Hold);
    let third = credit("pay-3", "order-1");
    assert_eq!(
        decide(&holding, &third, &runs, Decision::Accept).await,
        Fulfilment::Held(HeldReason::DuplicateHeld { credited: "pay-1".to_string() })
    );
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(holding.decision(STORE, "pay-3").await.unwrap(), None);
    let frozen = holding.left_frozen().await.unwrap();
    assert_eq!(frozen.len(), 1);
    assert_eq!((frozen[0].uuid.as_str(), frozen[0].invoice_id.as_str()), ("pay-3", "order-1"));

    // AskHandler: the handler decides; its acceptance does not take the
    // order's credit from the first payment.
    let asking = PgLedger::new(pool.clone()).with_duplicate_policy(DuplicatePolicy::AskHandler);
    assert_eq!(decide(&asking, &third, &runs, Decision::Accept).await, Fulfilment::Accepted { replayed: false });
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    assert!(asking.left_frozen().await.unwrap().is_empty(), "a decision clears the failure row");
    let credited: Vec<String> = sqlx::query_scalar(
        "SELECT payment_uuid FROM multicard_fulfilments WHERE invoice_id = 'order-1' AND credits_order",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(credited, vec!["pay-1".to_string()]);
    pool.close().await;
    db.drop_database().await;
}

#[derive(Debug)]
struct HandlerFailed;

impl std::fmt::Display for HandlerFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the shop's database said no")
    }
}

impl std::error::Error for HandlerFailed {}

/// A handler that inserts into `shop_orders`, queues a mail, then fails
/// (`fail`) or accepts.
fn failing(fail: bool) -> impl for<'t> FnMut(&'t mut PgTx, &'t PaymentCredit) -> HandlerFuture<'t> + Send {
    move |tx, credit| {
        let invoice = credit.invoice_id.clone();
        Box::pin(async move {
            sqlx::query("INSERT INTO shop_orders (invoice_id, paid) VALUES ($1, true)")
                .bind(invoice)
                .execute(&mut **tx)
                .await?;
            PgLedger::push_outbox(tx, "order-paid", &serde_json::json!({"order": "order-1"})).await?;
            if fail {
                return Err(HandlerError::from(Box::new(HandlerFailed)));
            }
            Ok(Decision::Accept)
        })
    }
}

/// A handler that queues a mail, then decides `decision` (`None`: fails).
fn pushing(
    decision: Option<Decision>,
) -> impl for<'t> FnMut(&'t mut PgTx, &'t PaymentCredit) -> HandlerFuture<'t> + Send {
    move |tx, credit| {
        let decision = decision.clone();
        let payload = serde_json::json!({"order": credit.invoice_id, "payment": credit.uuid});
        Box::pin(async move {
            PgLedger::push_outbox(tx, "order-paid", &payload).await?;
            decision.ok_or_else(|| HandlerError::from("the handler failed after queueing a mail"))
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_error_rolls_back_its_writes_and_is_left_frozen_until_decided() {
    let Some(db) = support::database("handler_error").await else { return };
    let (ledger, pool) = ledger(&db).await;
    sqlx::raw_sql("CREATE TABLE shop_orders (invoice_id text PRIMARY KEY, paid boolean NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    let payment = credit("pay-1", "order-1");
    for attempt in 1..=2u32 {
        assert_eq!(
            ledger.fulfil(&payment, failing(true)).await,
            Fulfilment::Held(HeldReason::Handler("the shop's database said no".to_string()))
        );
        assert_eq!(count(&pool, "SELECT count(*) FROM shop_orders").await, 0, "the handler's insert rolled back");
        assert_eq!(count(&pool, "SELECT count(*) FROM multicard_outbox").await, 0, "no outbox row without a commit");
        assert_eq!(count(&pool, "SELECT count(*) FROM multicard_fulfilments").await, 0, "no claim kept");
        let frozen = ledger.left_frozen().await.unwrap();
        assert_eq!(frozen.len(), 1);
        assert_eq!(frozen[0].uuid, "pay-1");
        assert_eq!(frozen[0].attempts, attempt);
        assert!(frozen[0].last_reason.contains("the shop's database said no"), "{:?}", frozen[0].last_reason);
        assert!(frozen[0].first_failed_at <= frozen[0].last_failed_at);
    }
    assert_eq!(ledger.fulfil(&payment, failing(false)).await, Fulfilment::Accepted { replayed: false });
    assert_eq!(count(&pool, "SELECT count(*) FROM shop_orders").await, 1);
    assert!(ledger.left_frozen().await.unwrap().is_empty(), "the decision deleted the failure row");
    assert_eq!(count(&pool, "SELECT count(*) FROM multicard_failures").await, 0);
    pool.close().await;
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbox_rows_are_written_only_when_the_attempt_commits() {
    let Some(db) = support::database("outbox").await else { return };
    let (ledger, pool) = ledger(&db).await;
    assert!(matches!(ledger.fulfil(&credit("pay-1", "order-1"), pushing(None)).await, Fulfilment::Held(_)));
    assert_eq!(count(&pool, "SELECT count(*) FROM multicard_outbox").await, 0);
    assert_eq!(
        ledger.fulfil(&credit("pay-1", "order-1"), pushing(Some(Decision::Accept))).await,
        Fulfilment::Accepted { replayed: false }
    );
    assert!(matches!(
        ledger.fulfil(&credit("pay-2", "order-2"), pushing(Some(Decision::refuse("no")))).await,
        Fulfilment::Refused { .. }
    ));
    let text: Vec<(String, String)> =
        sqlx::query_as("SELECT topic, payload::text FROM multicard_outbox WHERE sent_at IS NULL ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let rows: Vec<(String, serde_json::Value)> =
        text.into_iter().map(|(topic, payload)| (topic, serde_json::from_str(&payload).unwrap())).collect();
    assert_eq!(
        rows,
        vec![
            ("order-paid".to_string(), serde_json::json!({"order": "order-1", "payment": "pay-1"})),
            ("order-paid".to_string(), serde_json::json!({"order": "order-2", "payment": "pay-2"})),
        ]
    );
    pool.close().await;
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_deliveries_from_two_pools_run_the_handler_once() {
    let Some(db) = support::database("concurrent").await else { return };
    let (first, pool_a) = ledger(&db).await;
    let pool_b = db.pool(10).await;
    let second = PgLedger::new(pool_b.clone());
    sqlx::raw_sql("CREATE TABLE shop_credits (invoice_id text NOT NULL, payment_uuid text NOT NULL)")
        .execute(&pool_a)
        .await
        .unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let payment = Arc::new(credit("pay-1", "order-1"));
    let mut tasks = Vec::new();
    for i in 0..50 {
        let ledger = if i % 2 == 0 { first.clone() } else { second.clone() };
        let (runs, payment) = (runs.clone(), payment.clone());
        tasks.push(tokio::spawn(async move {
            ledger
                .fulfil(&*payment, move |tx, credit| {
                    let runs = runs.clone();
                    let (invoice, uuid) = (credit.invoice_id.clone(), credit.uuid.clone());
                    Box::pin(async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        sqlx::query("INSERT INTO shop_credits (invoice_id, payment_uuid) VALUES ($1, $2)")
                            .bind(invoice)
                            .bind(uuid)
                            .execute(&mut **tx)
                            .await?;
                        // Hold the claim a while: the others wait on it.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        Ok(Decision::Accept)
                    })
                })
                .await
        }));
    }
    let mut fresh = 0;
    for task in tasks {
        match task.await.unwrap() {
            Fulfilment::Accepted { replayed: false } => fresh += 1,
            Fulfilment::Accepted { replayed: true } => {}
            other => panic!("every delivery is accepted, got {other:?}"),
        }
    }
    assert_eq!(fresh, 1, "one delivery decided, the others replayed");
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the handler ran exactly once");
    assert_eq!(count(&pool_a, "SELECT count(*) FROM shop_credits").await, 1);
    pool_a.close().await;
    pool_b.close().await;
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_locked_past_the_lock_timeout_is_held_busy() {
    let Some(db) = support::database("busy").await else { return };
    let (_, pool) = ledger(&db).await;
    let timeout = Duration::from_millis(400);
    let ledger = PgLedger::new(pool.clone()).with_lock_timeout(timeout);
    let runs = Arc::new(AtomicUsize::new(0));
    // Another replica's attempt, in progress: it claimed the payment's row.
    let mut other = db.connection().await;
    sqlx::raw_sql(
        "BEGIN; INSERT INTO multicard_fulfilments (store_id, payment_uuid, invoice_id, amount, decision, \
         credits_order) VALUES ('42', 'pay-1', 'order-1', 150000, 'pending', true)",
    )
    .execute(&mut other)
    .await
    .unwrap();
    for payment in [credit("pay-1", "order-1"), credit("pay-2", "order-1")] {
        // The same payment waits on the primary key; another payment of
        // the same order on the order's index.
        let started = Instant::now();
        assert_eq!(decide(&ledger, &payment, &runs, Decision::Accept).await, Fulfilment::Held(HeldReason::Busy));
        let waited = started.elapsed();
        assert!(waited >= timeout - Duration::from_millis(50), "held after {waited:?}, before the lock timeout");
        assert!(waited < timeout + Duration::from_secs(3), "held after {waited:?}, long past the lock timeout");
    }
    assert_eq!(runs.load(Ordering::SeqCst), 0);
    let frozen = ledger.left_frozen().await.unwrap();
    assert_eq!(frozen.len(), 2);
    assert!(frozen.iter().all(|row| row.last_reason == "Busy"), "{frozen:?}");
    sqlx::raw_sql("ROLLBACK").execute(&mut other).await.unwrap();
    assert_eq!(
        decide(&ledger, &credit("pay-1", "order-1"), &runs, Decision::Accept).await,
        Fulfilment::Accepted { replayed: false }
    );
    assert_eq!(ledger.left_frozen().await.unwrap().len(), 1, "pay-2 is still left frozen");
    drop(other);
    pool.close().await;
    db.drop_database().await;
}

/// A handler under SERIALIZABLE that reads an account, lets another
/// transaction change it (the first time only), then writes it: a real
/// serialization failure (40001) from the handler's own query.
async fn serializable_conflict(retries: u32) -> Option<(Fulfilment, usize, i64, PgLedger, support::TestDb, PgPool)> {
    let db = support::database(&format!("serializable_{retries}")).await?;
    let (_, pool) = ledger(&db).await;
    sqlx::raw_sql("CREATE TABLE shop_accounts (id int PRIMARY KEY, balance bigint NOT NULL); INSERT INTO shop_accounts VALUES (1, 0)")
        .execute(&pool)
        .await
        .unwrap();
    let ledger =
        PgLedger::new(pool.clone()).with_isolation(Isolation::Serializable).with_max_serialization_retries(retries);
    let runs = Arc::new(AtomicUsize::new(0));
    let handler_runs = runs.clone();
    let outside = pool.clone();
    let fulfilment = ledger
        .fulfil(&credit("pay-1", "order-1"), move |tx, credit| {
            let runs = handler_runs.clone();
            let outside = outside.clone();
            let amount = credit.amount;
            Box::pin(async move {
                let run = runs.fetch_add(1, Ordering::SeqCst);
                let balance: i64 =
                    sqlx::query_scalar("SELECT balance FROM shop_accounts WHERE id = 1").fetch_one(&mut **tx).await?;
                if run == 0 {
                    sqlx::query("UPDATE shop_accounts SET balance = balance + 1 WHERE id = 1")
                        .execute(&outside)
                        .await?;
                }
                sqlx::query("UPDATE shop_accounts SET balance = $1 WHERE id = 1")
                    .bind(balance + amount)
                    .execute(&mut **tx)
                    .await?;
                Ok(Decision::Accept)
            })
        })
        .await;
    let balance = count(&pool, "SELECT balance FROM shop_accounts WHERE id = 1").await;
    Some((fulfilment, runs.load(Ordering::SeqCst), balance, ledger, db, pool))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serialization_failure_in_the_handler_reruns_the_attempt_and_commits_once() {
    let Some((fulfilment, runs, balance, ledger, db, pool)) = serializable_conflict(3).await else { return };
    assert_eq!(fulfilment, Fulfilment::Accepted { replayed: false });
    assert_eq!(runs, 2, "the handler ran again after the serialization failure");
    assert_eq!(balance, 1 + 150_000, "the other transaction's write and one credit, not a lost update");
    assert!(ledger.left_frozen().await.unwrap().is_empty());
    pool.close().await;
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_retries_a_serialization_failure_is_held_and_left_frozen() {
    let Some((fulfilment, runs, balance, ledger, db, pool)) = serializable_conflict(0).await else { return };
    let Fulfilment::Held(HeldReason::Handler(text)) = fulfilment else { panic!("held, got {fulfilment:?}") };
    assert!(text.contains("could not serialize"), "{text}");
    assert_eq!(runs, 1);
    assert_eq!(balance, 1, "the attempt rolled back");
    assert_eq!(ledger.left_frozen().await.unwrap().len(), 1);
    assert_eq!(ledger.decision(STORE, "pay-1").await.unwrap(), None);
    pool.close().await;
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_serializable_attempts_with_write_skew_both_commit_after_a_retry() {
    let Some(db) = support::database("write_skew").await else { return };
    let (_, pool) = ledger(&db).await;
    sqlx::raw_sql("CREATE TABLE shop_tickets (payment_uuid text PRIMARY KEY, seen bigint NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    let ledger = PgLedger::new(pool.clone()).with_isolation(Isolation::Serializable);
    let runs = Arc::new(AtomicUsize::new(0));
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let attempt = |uuid: &'static str, invoice: &'static str| {
        let (ledger, runs, barrier) = (ledger.clone(), runs.clone(), barrier.clone());
        tokio::spawn(async move {
            let payment = credit(uuid, invoice);
            let first_run = Arc::new(std::sync::atomic::AtomicBool::new(true));
            ledger
                .fulfil(&payment, move |tx, credit| {
                    let (runs, barrier, first_run) = (runs.clone(), barrier.clone(), first_run.clone());
                    let uuid = credit.uuid.clone();
                    Box::pin(async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        // Each reads what the other writes: a write skew.
                        let seen: i64 =
                            sqlx::query_scalar("SELECT count(*) FROM shop_tickets").fetch_one(&mut **tx).await?;
                        if first_run.swap(false, Ordering::SeqCst) {
                            barrier.wait().await;
                        }
                        sqlx::query("INSERT INTO shop_tickets (payment_uuid, seen) VALUES ($1, $2)")
                            .bind(uuid)
                            .bind(seen)
                            .execute(&mut **tx)
                            .await?;
                        Ok(Decision::Accept)
                    })
                })
                .await
        })
    };
    let (a, b) = (attempt("pay-1", "order-1"), attempt("pay-2", "order-2"));
    assert_eq!(a.await.unwrap(), Fulfilment::Accepted { replayed: false });
    assert_eq!(b.await.unwrap(), Fulfilment::Accepted { replayed: false });
    assert!(runs.load(Ordering::SeqCst) >= 3, "one of the two was re-run after a serialization failure");
    let mut seen: Vec<i64> = sqlx::query_scalar("SELECT seen FROM shop_tickets").fetch_all(&pool).await.unwrap();
    seen.sort();
    assert_eq!(seen, vec![0, 1], "the two handlers ran as if one after the other");
    pool.close().await;
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_move_only_forward_and_a_revert_after_acceptance_is_reported() {
    let Some(db) = support::database("statuses").await else { return };
    let (ledger, pool) = ledger(&db).await;
    let payment = credit("pay-1", "order-1");
    let record = |status| {
        let seen = seen(&payment, status);
        let ledger = ledger.clone();
        async move { ledger.record_status(&seen).await.unwrap() }
    };
    assert_eq!(record(PaymentStatus::Progress).await, StatusChange::Advanced { from: None });
    assert_eq!(record(PaymentStatus::Draft).await, StatusChange::Stale { recorded: PaymentStatus::Progress });
    assert_eq!(record(PaymentStatus::Error).await, StatusChange::Advanced { from: Some(PaymentStatus::Progress) });
    assert_eq!(record(PaymentStatus::Success).await, StatusChange::Advanced { from: Some(PaymentStatus::Error) });
    assert_eq!(record(PaymentStatus::Progress).await, StatusChange::Stale { recorded: PaymentStatus::Success });
    assert_eq!(record(PaymentStatus::Success).await, StatusChange::Unchanged);
    assert_eq!(record(PaymentStatus::Unknown("frozen_by_bank".to_string())).await, StatusChange::NotRecorded);
    let stored: String =
        sqlx::query_scalar("SELECT status FROM multicard_payment_statuses WHERE payment_uuid = 'pay-1'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored, "success");

    // A revert of a payment whose order was credited.
    let runs = Arc::new(AtomicUsize::new(0));
    assert_eq!(decide(&ledger, &payment, &runs, Decision::Accept).await, Fulfilment::Accepted { replayed: false });
    assert_eq!(
        record(PaymentStatus::Revert).await,
        StatusChange::RevertedAfterFulfilment { invoice_id: "order-1".to_string() }
    );
    assert_eq!(record(PaymentStatus::Revert).await, StatusChange::Unchanged);
    assert_eq!(record(PaymentStatus::Success).await, StatusChange::Stale { recorded: PaymentStatus::Revert });

    // A revert of a refused payment is only a step forward.
    let refused = credit("pay-2", "order-2");
    assert!(matches!(decide(&ledger, &refused, &runs, Decision::refuse("no")).await, Fulfilment::Refused { .. }));
    assert_eq!(
        ledger.record_status(&seen(&refused, PaymentStatus::Revert)).await.unwrap(),
        StatusChange::Advanced { from: Some(PaymentStatus::Success) }
    );
    // The status at confirmation never moves a recorded status back.
    let late = credit("pay-3", "order-3");
    ledger.record_status(&seen(&late, PaymentStatus::Revert)).await.unwrap();
    assert_eq!(decide(&ledger, &late, &runs, Decision::Accept).await, Fulfilment::Accepted { replayed: false });
    let stored: String =
        sqlx::query_scalar("SELECT status FROM multicard_payment_statuses WHERE payment_uuid = 'pay-3'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored, "revert");
    pool.close().await;
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_deletes_only_old_rows_of_final_payments_and_refuses_a_short_retention() {
    let Some(db) = support::database("purge").await else { return };
    let (ledger, pool) = ledger(&db).await;
    let runs = Arc::new(AtomicUsize::new(0));
    for (uuid, invoice) in
        [("old-success", "o1"), ("old-revert", "o2"), ("old-progress", "o3"), ("old-none", "o4"), ("recent", "o5")]
    {
        assert!(decide(&ledger, &credit(uuid, invoice), &runs, Decision::Accept).await.credited());
    }
    let revert = seen(&credit("old-revert", "o2"), PaymentStatus::Revert);
    ledger.record_status(&revert).await.unwrap();
    // A payment whose recorded status is not final (written as a sweep of
    // an older ledger might have left it), and one with no status at all.
    sqlx::raw_sql(
        "UPDATE multicard_payment_statuses SET status = 'progress', rank = 1 WHERE payment_uuid = 'old-progress'; \
         DELETE FROM multicard_payment_statuses WHERE payment_uuid = 'old-none'; \
         UPDATE multicard_fulfilments SET decided_at = now() - interval '40 days' WHERE payment_uuid LIKE 'old-%'",
    )
    .execute(&pool)
    .await
    .unwrap();

    let short = Retention::new(DAY, 7 * DAY);
    assert!(matches!(ledger.purge(short).await, Err(LedgerError::Retention { .. })));
    assert_eq!(count(&pool, "SELECT count(*) FROM multicard_fulfilments").await, 5, "a refused purge deletes nothing");

    // Only the reverted one: a `success` can still be refunded, and its row
    // is what reports that.
    assert_eq!(ledger.purge(Retention::new(30 * DAY, 7 * DAY)).await.unwrap(), 1);
    let mut left: Vec<String> =
        sqlx::query_scalar("SELECT payment_uuid FROM multicard_fulfilments").fetch_all(&pool).await.unwrap();
    left.sort();
    assert_eq!(left, vec!["old-none", "old-progress", "old-success", "recent"]);
    assert_eq!(ledger.decision(STORE, "old-revert").await.unwrap(), None);
    assert_eq!(ledger.decision(STORE, "old-success").await.unwrap(), Some(StoredDecision::Accepted));
    // A longer retention than the rows' age deletes nothing more.
    assert_eq!(ledger.purge(Retention::new(60 * DAY, 7 * DAY)).await.unwrap(), 0);
    pool.close().await;
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_binding_is_decided_once_and_replayed() {
    let Some(db) = support::database("bindings").await else { return };
    let (ledger, pool) = ledger(&db).await;
    let runs = Arc::new(AtomicUsize::new(0));
    let bind = |binding: CardBinding, decision: Option<Decision>| {
        let (ledger, runs) = (ledger.clone(), runs.clone());
        async move {
            ledger
                .fulfil(&binding, move |_tx, _binding| {
                    let (runs, decision) = (runs.clone(), decision.clone());
                    Box::pin(async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        decision.ok_or_else(|| HandlerError::from("the card store failed"))
                    })
                })
                .await
        }
    };
    let card = || CardBinding::for_tests("7", "payer-1", "card-token-1");
    assert_eq!(bind(card(), None).await, Fulfilment::Held(HeldReason::Handler("the card store failed".to_string())));
    assert_eq!(count(&pool, "SELECT count(*) FROM multicard_card_bindings").await, 0, "the failed claim rolled back");
    assert_eq!(bind(card(), Some(Decision::Accept)).await, Fulfilment::Accepted { replayed: false });
    assert_eq!(bind(card(), Some(Decision::refuse("no"))).await, Fulfilment::Accepted { replayed: true });
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    let other = CardBinding::for_tests("7", "payer-2", "card-token-2");
    assert_eq!(
        bind(other.clone(), Some(Decision::refuse("card not accepted"))).await,
        Fulfilment::Refused { message: "card not accepted".to_string(), replayed: false }
    );
    assert_eq!(
        bind(other, Some(Decision::Accept)).await,
        Fulfilment::Refused { message: "card not accepted".to_string(), replayed: true }
    );
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    pool.close().await;
    db.drop_database().await;
}

/// Review (issue 24): a purge deletes the row of an accepted payment
/// recorded as `success`, which is not final: a payment may be reverted
/// long after it was credited (a refund). The revert must still be reported
/// as `RevertedAfterFulfilment` (someone must reverse the order); after the
/// purge it is a plain step forward, and nobody is told.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revert_after_a_purge_is_still_reported_as_reverted_after_fulfilment() {
    let Some(db) = support::database("purge_revert").await else { return };
    let (ledger, pool) = ledger(&db).await;
    let runs = Arc::new(AtomicUsize::new(0));
    let payment = credit("pay-1", "order-1");
    assert!(decide(&ledger, &payment, &runs, Decision::Accept).await.credited());
    sqlx::raw_sql("UPDATE multicard_fulfilments SET decided_at = now() - interval '40 days'")
        .execute(&pool)
        .await
        .unwrap();
    // A purge the README allows: retention longer than the lookback.
    ledger.purge(Retention::new(30 * DAY, 7 * DAY)).await.unwrap();
    assert_eq!(
        ledger.record_status(&seen(&payment, PaymentStatus::Revert)).await.unwrap(),
        StatusChange::RevertedAfterFulfilment { invoice_id: "order-1".to_string() },
        "a credited order whose payment was refunded must be reported, purge or not"
    );
    pool.close().await;
    db.drop_database().await;
}

/// Review (issue 24): an attempt that stops in the middle of its
/// transaction without its connection closing (a replica that hangs, or
/// is cut off from the network: Postgres sees no FIN) keeps its claim on the
/// payment and the order until TCP keepalive notices, about two hours by
/// default. Every resend meanwhile is held (500) after the lock timeout;
/// Multicard gives up and the payment stays frozen. The ledger must bound
/// how long an attempt may hold its claim idle (for example
/// `SET LOCAL idle_in_transaction_session_timeout`), so that a resend
/// can decide the payment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_attempt_does_not_hold_the_payments_claim_forever() {
    let Some(db) = support::database("hung").await else { return };
    let (_, pool) = ledger(&db).await;
    let ledger = PgLedger::new(pool.clone())
        .with_lock_timeout(Duration::from_millis(200))
        .with_idle_timeout(Duration::from_secs(2));
    let payment = credit("pay-1", "order-1");
    // The hung replica: its handler never returns; its connection stays up.
    let hung = {
        let (ledger, payment) = (ledger.clone(), payment.clone());
        tokio::spawn(async move { ledger.fulfil(&payment, |_tx, _credit| Box::pin(std::future::pending())).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let runs = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = decide(&ledger, &payment, &runs, Decision::Accept).await;
    while last == Fulfilment::Held(HeldReason::Busy) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        last = decide(&ledger, &payment, &runs, Decision::Accept).await;
    }
    assert_eq!(last, Fulfilment::Accepted { replayed: false }, "resends held for 20 s by a hung attempt");
    hung.abort();
    pool.close().await;
    db.drop_database().await;
}

/// Review (issue 24): an attempt whose future is dropped mid-handler (the
/// server drops the request when Multicard closes the connection at its
/// callback timeout) rolls back, and left the payment frozen: it must be
/// recorded as left frozen like a held attempt, or the reconciler never
/// learns of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_dropped_mid_handler_is_recorded_as_left_frozen() {
    let Some(db) = support::database("dropped").await else { return };
    let (ledger, pool) = ledger(&db).await;
    let payment = credit("pay-1", "order-1");
    let task = {
        let (ledger, payment) = (ledger.clone(), payment.clone());
        tokio::spawn(async move {
            ledger
                .fulfil(&payment, |_tx, _credit| {
                    Box::pin(async {
                        tokio::time::sleep(Duration::from_secs(10)).await;
                        Ok(Decision::Accept)
                    })
                })
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    task.abort();
    let _ = task.await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(ledger.decision(STORE, "pay-1").await.unwrap(), None, "rolled back");
    let frozen = ledger.left_frozen().await.unwrap();
    assert_eq!(frozen.iter().map(|f| f.uuid.as_str()).collect::<Vec<_>>(), ["pay-1"], "{frozen:?}");
    pool.close().await;
    db.drop_database().await;
}
