//! Two replicas, one Postgres (issue 24, "done when"): two independent
//! servers, each with the SDK's confirming extractor, its own in-process
//! record and its own connection pool, receive the same signed success
//! callback at the same moment, 1,000 times over, with faults: a handler
//! that fails once, a replica killed after its commit but before it
//! answers, a replica killed in the middle of its transaction. Multicard is
//! played by the test: it resends whatever was not answered 200
//! `success: true`. Each order must be credited exactly once, no genuine
//! callback answered 4xx, and a resend after a crash must replay the stored
//! decision; with resends disabled, what was left frozen is known.
//!
//! A "kill" is a panic in the replica's request task after (or before)
//! the commit: the task dies with its transaction (rolled back by the
//! driver) and its connection, and Multicard sees no answer, as when a
//! process dies.

#[path = "../multicard-ledger-postgres/tests/support/mod.rs"]
mod pg;

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{FromRef, State};
use axum::routing::post;
use chrono::Duration as ChronoDuration;
use multicard_api::Multicard;
use multicard_api::callbacks::axum::{CallbackState, ConfirmedSuccess};
use multicard_api::callbacks::{Decisions, Verifier, testing};
use multicard_api::fulfilment::{Decision, Fulfilment, HandlerFuture, Ledger, PaymentCredit};
use multicard_api_tests::fake;
use multicard_ledger_postgres::PgLedger;
use serde_json::json;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const SECRET: &str = fake::SECRET;

fn uuid(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

/// What happens to the deliveries of order `i` the first time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    None,
    /// The handler fails once (its transaction rolls back, 500).
    HandlerFailsOnce,
    /// A replica commits, then dies before it answers.
    KilledAfterCommit,
    /// A replica dies in the middle of its transaction.
    KilledMidTransaction,
}

fn fault(i: usize) -> Fault {
    match i % 8 {
        1 => Fault::HandlerFailsOnce,
        3 => Fault::KilledAfterCommit,
        5 => Fault::KilledMidTransaction,
        _ => Fault::None,
    }
}

/// A fake Multicard API whose payment `uuid(i)` reads `status`, store 6,
/// order `order-{i}`, 150000 tiyin.
async fn api(status: &'static str) -> MockServer {
    let (server, _) = fake::server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path_regex("^/payment/[0-9a-f-]{36}$"))
        .respond_with(move |request: &Request| {
            let uuid = request.url.path().trim_start_matches("/payment/").to_string();
            let i: usize = uuid[24..].parse().unwrap_or(0);
            ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": {"uuid": uuid, "store_id": 6,
                "store_invoice_id": format!("order-{i}"), "payment_amount": 150000, "status": status}}))
        })
        .mount(&server)
        .await;
    server
}

/// The faults still to happen (each once), and what the handlers did.
#[derive(Clone, Default)]
struct Faults {
    pending: Arc<Mutex<HashSet<(usize, &'static str)>>>,
    handler_runs: Arc<AtomicUsize>,
}

impl Faults {
    fn armed(orders: usize) -> Self {
        let faults = Faults::default();
        let mut pending = faults.pending.lock().unwrap();
        for i in 0..orders {
            match fault(i) {
                Fault::None => {}
                Fault::HandlerFailsOnce => drop(pending.insert((i, "handler"))),
                Fault::KilledAfterCommit => drop(pending.insert((i, "after-commit"))),
                Fault::KilledMidTransaction => drop(pending.insert((i, "mid-transaction"))),
            }
        }
        drop(pending);
        faults
    }

    /// Takes fault `what` of order `i` if it is still to happen.
    fn take(&self, i: usize, what: &'static str) -> bool {
        self.pending.lock().unwrap().remove(&(i, what))
    }
}

#[derive(Clone)]
struct Replica {
    callbacks: CallbackState,
    ledger: PgLedger,
    faults: Faults,
}

impl FromRef<Replica> for Verifier {
    fn from_ref(r: &Replica) -> Verifier {
        r.callbacks.verifier().clone()
    }
}
impl FromRef<Replica> for Multicard {
    fn from_ref(r: &Replica) -> Multicard {
        r.callbacks.multicard().clone()
    }
}
impl FromRef<Replica> for Decisions {
    fn from_ref(r: &Replica) -> Decisions {
        r.callbacks.decisions().clone()
    }
}

fn order_number(credit: &PaymentCredit) -> usize {
    credit.invoice_id.trim_start_matches("order-").parse().unwrap()
}

/// The merchant's handler: credits the order in the ledger's transaction.
fn credit<'t>(
    faults: &Faults,
    tx: &'t mut sqlx::Transaction<'static, sqlx::Postgres>,
    credit: &'t PaymentCredit,
) -> HandlerFuture<'t> {
    let faults = faults.clone();
    Box::pin(async move {
        faults.handler_runs.fetch_add(1, Ordering::SeqCst);
        let i = order_number(credit);
        sqlx::query("UPDATE shop_orders SET credits = credits + 1, paid_by = $2 WHERE id = $1")
            .bind(i as i64)
            .bind(&credit.uuid)
            .execute(&mut **tx)
            .await?;
        if faults.take(i, "handler") {
            return Err("the handler failed once".into());
        }
        if faults.take(i, "mid-transaction") {
            panic!("replica killed in the middle of its transaction (test fault)");
        }
        Ok(Decision::Accept)
    })
}

async fn on_success(State(replica): State<Replica>, success: ConfirmedSuccess) -> Fulfilment {
    let faults = replica.faults.clone();
    let fulfilment = success.fulfil(&replica.ledger, |tx, c| credit(&faults, tx, c)).await;
    if let Some(i) = success.confirmed.current.store_invoice_id.as_deref().and_then(|s| s.strip_prefix("order-"))
        && replica.faults.take(i.parse().unwrap(), "after-commit")
    {
        panic!("replica killed after its commit, before answering (test fault)");
    }
    fulfilment
}

/// Starts one replica: its own pool, record and server.
async fn replica(db: &pg::TestDb, api: &MockServer, faults: &Faults) -> String {
    let pool = db.pool(8).await;
    let callbacks = CallbackState::new(Verifier::new(SECRET).unwrap(), fake::client(api));
    let state = Replica { callbacks, ledger: PgLedger::new(pool), faults: faults.clone() };
    let app = Router::new().route("/success", post(on_success)).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}/success", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

/// One delivery as Multicard makes it: the answer's status and whether it
/// was `success: true`; `None` for no answer (a killed replica).
async fn deliver(http: &reqwest::Client, url: &str, i: usize) -> Option<(u16, bool)> {
    let body = testing::success_body(6, &format!("order-{i}"), 150000, &uuid(i), SECRET);
    let response = http.post(url).body(body).send().await.ok()?;
    let status = response.status().as_u16();
    let answer: serde_json::Value = response.json().await.unwrap_or_default();
    Some((status, answer["success"] == json!(true)))
}

/// Silences the test faults' panics (a killed replica), not others.
fn quiet_kills() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let text = info.payload().downcast_ref::<&str>().copied().unwrap_or("");
        if !text.contains("(test fault)") {
            default(info);
        }
    }));
}

async fn setup(db: &pg::TestDb, orders: usize) {
    let pool = db.pool(2).await;
    PgLedger::new(pool.clone()).migrate().await.unwrap();
    sqlx::query("CREATE TABLE shop_orders (id bigint PRIMARY KEY, credits int NOT NULL DEFAULT 0, paid_by text)")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO shop_orders (id) SELECT generate_series(0, $1)")
        .bind(orders as i64 - 1)
        .execute(&pool)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_credit_each_order_exactly_once_through_faults() {
    let Some(db) = pg::database("replicas").await else { return };
    const ORDERS: usize = 1000;
    quiet_kills();
    setup(&db, ORDERS).await;
    let api = api("success").await;
    let faults = Faults::armed(ORDERS);
    let (a, b) = (replica(&db, &api, &faults).await, replica(&db, &api, &faults).await);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let four_xx = Arc::new(AtomicUsize::new(0));
    let resends = Arc::new(AtomicUsize::new(0));
    let mut orders = tokio::task::JoinSet::new();
    let gate = Arc::new(tokio::sync::Semaphore::new(16));
    for i in 0..ORDERS {
        let (a, b, http, four_xx, resends, gate) =
            (a.clone(), b.clone(), http.clone(), four_xx.clone(), resends.clone(), gate.clone());
        orders.spawn(async move {
            let _permit = gate.acquire_owned().await.unwrap();
            // The same callback reaches both replicas at once; for half of
            // the orders it reaches one replica only, so that a fault there
            // is repaired by a resend alone.
            let (first, second) = if i % 16 < 8 {
                tokio::join!(deliver(&http, &a, i), deliver(&http, &b, i))
            } else {
                (deliver(&http, &a, i).await, None)
            };
            let mut accepted = false;
            for answer in [first, second].into_iter().flatten() {
                if (400..500).contains(&answer.0) {
                    four_xx.fetch_add(1, Ordering::SeqCst);
                }
                accepted |= answer == (200, true);
            }
            // Multicard resends what was not accepted (a 500, no answer).
            let mut attempt = 0;
            while !accepted {
                attempt += 1;
                assert!(attempt <= 10, "order {i} never accepted");
                resends.fetch_add(1, Ordering::SeqCst);
                let url = if attempt % 2 == 0 { &a } else { &b };
                let answer = deliver(&http, url, i).await;
                if let Some((status, _)) = answer
                    && (400..500).contains(&status)
                {
                    four_xx.fetch_add(1, Ordering::SeqCst);
                }
                accepted = answer == Some((200, true));
            }
        });
    }
    while let Some(done) = orders.join_next().await {
        done.expect("every order is delivered");
    }
    let pool = db.pool(2).await;
    let wrong: Vec<(i64, i32)> = sqlx::query_as("SELECT id, credits FROM shop_orders WHERE credits <> 1 ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(wrong.is_empty(), "orders not credited exactly once: {wrong:?}");
    let misattributed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM shop_orders WHERE paid_by <> '00000000-0000-4000-8000-' || lpad(id::text, 12, '0')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(misattributed, 0);
    assert_eq!(four_xx.load(Ordering::SeqCst), 0, "no genuine callback was answered 4xx");
    assert!(faults.pending.lock().unwrap().is_empty(), "every fault happened");
    // The handler ran once per order, plus once more for each order whose
    // first run failed or died before its commit; never again for an
    // order whose replica died after committing: that resend (or the
    // concurrent delivery) replayed the stored decision.
    let again =
        (0..ORDERS).filter(|i| matches!(fault(*i), Fault::HandlerFailsOnce | Fault::KilledMidTransaction)).count();
    assert_eq!(faults.handler_runs.load(Ordering::SeqCst), ORDERS + again, "handler runs");
    let alone = (0..ORDERS).filter(|i| i % 16 >= 8 && fault(*i) != Fault::None).count();
    assert!(resends.load(Ordering::SeqCst) >= alone, "each fault on a lone delivery was repaired by a resend");
    let ledger = PgLedger::new(pool.clone());
    assert!(ledger.left_frozen().await.unwrap().is_empty(), "every payment was decided in the end");
    // Killed after its commit: the resend replayed the stored decision, so
    // the handler ran once for those orders (and at most twice elsewhere:
    // a failed or killed attempt, then the one that committed).
    for i in (0..ORDERS).filter(|i| fault(*i) == Fault::KilledAfterCommit) {
        let decision = ledger.decision("6", &uuid(i)).await.unwrap();
        assert_eq!(decision, Some(multicard_api::fulfilment::StoredDecision::Accepted), "order {i}");
    }
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_resends_disabled_the_ledger_knows_which_payments_it_left_frozen() {
    let Some(db) = pg::database("frozen").await else { return };
    const ORDERS: usize = 40;
    quiet_kills();
    setup(&db, ORDERS).await;
    // While its callback is out (and after a 500: frozen), Multicard reads
    // the payment as `billing`; `ConfirmedSuccess` accepts it then.
    let api = api("billing").await;
    let faults = Faults::armed(ORDERS);
    let (a, b) = (replica(&db, &api, &faults).await, replica(&db, &api, &faults).await);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let mut unanswered = Vec::new();
    for i in 0..ORDERS {
        // One delivery, to one replica, never resent.
        let url = if i % 2 == 0 { &a } else { &b };
        if deliver(&http, url, i).await != Some((200, true)) {
            unanswered.push(i);
        }
    }
    let ledger = PgLedger::new(db.pool(4).await);
    let frozen: HashSet<String> = ledger.left_frozen().await.unwrap().into_iter().map(|f| f.uuid).collect();
    // A failed handler is recorded as left frozen; a replica killed
    // mid-transaction records nothing (it died), and one killed after its
    // commit decided the payment. The reconciler reads the first kind from
    // the ledger and finds the second by asking Multicard.
    for i in unanswered {
        match fault(i) {
            Fault::HandlerFailsOnce => assert!(frozen.contains(&uuid(i)), "order {i} recorded frozen"),
            Fault::KilledAfterCommit => {
                assert!(ledger.decision("6", &uuid(i)).await.unwrap().is_some(), "order {i} decided")
            }
            Fault::KilledMidTransaction => assert!(ledger.decision("6", &uuid(i)).await.unwrap().is_none()),
            Fault::None => panic!("order {i} had no fault but was not accepted"),
        }
    }
    assert!(!frozen.is_empty());

    // The reconciler reads them from the ledger and reports each one as
    // frozen awaiting its callback: it never credits a payment in
    // `billing` (no API completes it), and changes nothing.
    let multicard = fake::client(&api);
    let reconciler = multicard_api::reconcile::Reconciler::new(multicard, ledger.clone());
    let report = reconciler.sweep(Vec::new(), |tx, c| credit(&faults, tx, c)).await;
    let mut reported: HashSet<String> = HashSet::new();
    for finding in &report.findings {
        assert!(matches!(finding.origin, multicard_api::reconcile::Origin::LeftFrozen { .. }), "{finding:?}");
        assert!(matches!(finding.kind, multicard_api::reconcile::FindingKind::FrozenAwaitingCallback), "{finding:?}");
        reported.insert(finding.uuid.clone().unwrap());
    }
    assert_eq!(reported, frozen, "every payment left frozen is reported");
    assert!(!report.all_reconciled(), "they need attention");
    let pool = db.pool(2).await;
    let credited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM shop_orders WHERE credits > 0 AND id IN (SELECT generate_series(1, $1, 8))",
    )
    .bind(ORDERS as i64)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(credited, 0, "no order whose handler failed was credited by the sweep");
    assert_eq!(ledger.left_frozen().await.unwrap().len(), frozen.len(), "still frozen: nothing decided");
    drop(pool);
    db.drop_database().await;
}

/// A fake Multicard whose `confirm_payment` works as the real one is
/// reported to: it sends the success callback **during** the call and
/// answers only after the merchant answered it (or after 3 s, with
/// `ERROR_CALLBACK_TIMEOUT`, the payment frozen).
async fn api_calling_back(callback_url: Arc<Mutex<String>>) -> String {
    use axum::extract::Path;
    use axum::routing::{get, put};
    let payment = |uuid: &str| json!({"uuid": uuid, "store_id": 6, "store_invoice_id": "order-1", "payment_amount": 150000, "status": "success"});
    let app =
        Router::new()
            .route(
                "/auth",
                post(|| async { axum::Json(json!({"token": "t", "role": "dev", "expiry": "2099-01-01 00:00:00"})) }),
            )
            .route(
                "/payment/{uuid}",
                get(move |Path(uuid): Path<String>| async move {
                    axum::Json(json!({"success": true, "data": payment(&uuid)}))
                }),
            )
            .route(
                "/payment/{uuid}",
                put(move |Path(uuid): Path<String>| {
                    let url = callback_url.lock().unwrap().clone();
                    async move {
                        let body = testing::success_body(6, "order-1", 150000, &uuid, SECRET);
                        let http = reqwest::Client::builder().timeout(Duration::from_secs(3)).build().unwrap();
                        let answered = match http.post(&url).body(body).send().await {
                            Ok(response) if response.status() == 200 => {
                                response.json::<serde_json::Value>().await.is_ok_and(|v| v["success"] == json!(true))
                            }
                            _ => false,
                        };
                        if answered {
                            axum::Json(json!({"success": true, "data": payment(&uuid)}))
                        } else {
                            axum::Json(json!({"success": false, "error": {"code": "ERROR_CALLBACK_TIMEOUT",
                            "details": "the merchant did not accept the callback"}}))
                        }
                    }
                }),
            );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// The lock trap (README, "Running several replicas"): a merchant that
/// holds its order's row lock while it calls `confirm_payment` makes the
/// callback (sent during that call) wait on its own lock: the ledger's lock
/// timeout answers it 500, the payment is left frozen, and the confirm
/// fails. Committing first, then confirming, credits the order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn holding_the_orders_lock_while_confirming_freezes_the_payment() {
    let Some(db) = pg::database("lock_trap").await else { return };
    setup(&db, 2).await;
    let callback_url = Arc::new(Mutex::new(String::new()));
    let api = api_calling_back(callback_url.clone()).await;
    let multicard =
        Multicard::new(multicard_api::Config::new("app", "secret", multicard_api::Environment::Custom(api))).unwrap();
    let pool = db.pool(8).await;
    let ledger = PgLedger::new(pool.clone()).with_lock_timeout(Duration::from_millis(500));
    let faults = Faults::default();
    let state = Replica {
        callbacks: CallbackState::new(Verifier::new(SECRET).unwrap(), multicard.clone()),
        ledger: ledger.clone(),
        faults: faults.clone(),
    };
    let app = Router::new().route("/success", post(on_success)).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    *callback_url.lock().unwrap() = format!("http://{}/success", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let body: multicard_api::types::ConfirmPaymentRequest = serde_json::from_value(json!({})).unwrap();

    // The trap: the order's row locked across the call.
    let mut order = pool.begin().await.unwrap();
    sqlx::query("SELECT * FROM shop_orders WHERE id = 1 FOR UPDATE").execute(&mut *order).await.unwrap();
    let confirmed = multicard.send(|api| api.confirm_payment().uuid(uuid(1).as_str()).body(body.clone())).await;
    order.commit().await.unwrap();
    let error = confirmed.expect_err("the callback could not be accepted during the call");
    assert!(error.to_string().contains("ERROR_CALLBACK_TIMEOUT"), "{error}");
    let credits: i32 =
        sqlx::query_scalar("SELECT credits FROM shop_orders WHERE id = 1").fetch_one(&pool).await.unwrap();
    assert_eq!(credits, 0, "not credited: the payment is frozen");
    let frozen = ledger.left_frozen().await.unwrap();
    assert_eq!(frozen.iter().map(|f| f.uuid.clone()).collect::<Vec<_>>(), [uuid(1)], "recorded as left frozen");

    // The safe way: commit the order's changes first, then confirm.
    let confirmed = multicard.send(|api| api.confirm_payment().uuid(uuid(1).as_str()).body(body.clone())).await;
    assert!(confirmed.is_ok(), "{confirmed:?}");
    let credits: i32 =
        sqlx::query_scalar("SELECT credits FROM shop_orders WHERE id = 1").fetch_one(&pool).await.unwrap();
    assert_eq!(credits, 1);
    assert!(ledger.left_frozen().await.unwrap().is_empty());
    drop(pool);
    db.drop_database().await;
}
