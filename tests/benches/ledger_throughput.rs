//! Callbacks per second through the Postgres fulfilment ledger against the
//! same handler with no ledger: one replica (the SDK's confirming
//! extractor), a loopback fake of the API that confirms any payment, and a
//! real Postgres. The handler's work is the same in both (one `UPDATE` of
//! the order in a transaction); with the ledger it runs inside the
//! ledger's transaction, after the claim, and the decision is stored.
//! Rounds alternate (paired), each with new payments; medians compared.
//!
//! Needs `MULTICARD_TEST_DATABASE_URL` (see the Postgres tests); without it
//! it says so and exits. `LEDGER_CALLBACKS` per round (default 400),
//! `LEDGER_ROUNDS` pairs (default 7), `LEDGER_CONCURRENCY` (default 8).

#[path = "../../multicard-ledger-postgres/tests/support/mod.rs"]
mod pg;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{FromRef, Path, State};
use axum::routing::{get, post};
use multicard_api::callbacks::axum::{CallbackState, ConfirmedSuccess};
use multicard_api::callbacks::{CallbackReply, Decisions, Verifier, testing};
use multicard_api::fulfilment::{Decision, Fulfilment};
use multicard_api::{Config, Environment, Multicard};
use multicard_ledger_postgres::PgLedger;
use serde_json::{Value, json};
use sqlx::PgPool;

const SECRET: &str = "bench-secret";

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn uuid(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

/// The API: a token for anyone, and payment `uuid(i)` paid for order `i`.
async fn api() -> String {
    async fn payment(Path(uuid): Path<String>) -> axum::Json<Value> {
        let i: usize = uuid.get(24..).and_then(|n| n.parse().ok()).unwrap_or(0);
        axum::Json(json!({"success": true, "data": {"uuid": uuid, "store_id": 6,
            "store_invoice_id": format!("order-{i}"), "payment_amount": 150000, "status": "success"}}))
    }
    async fn auth() -> axum::Json<Value> {
        axum::Json(json!({"token": "bench", "role": "dev", "expiry": "2099-01-01 00:00:00"}))
    }
    let app = Router::new().route("/auth", post(auth)).route("/payment/{uuid}", get(payment));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[derive(Clone)]
struct Shop {
    callbacks: CallbackState,
    ledger: PgLedger,
    pool: PgPool,
}

impl FromRef<Shop> for Verifier {
    fn from_ref(s: &Shop) -> Verifier {
        s.callbacks.verifier().clone()
    }
}
impl FromRef<Shop> for Multicard {
    fn from_ref(s: &Shop) -> Multicard {
        s.callbacks.multicard().clone()
    }
}
impl FromRef<Shop> for Decisions {
    fn from_ref(s: &Shop) -> Decisions {
        s.callbacks.decisions().clone()
    }
}

fn order(invoice_id: &str) -> i64 {
    invoice_id.trim_start_matches("order-").parse().unwrap_or(-1)
}

/// The handler with no ledger: the same update, in its own transaction.
async fn bare(State(shop): State<Shop>, success: ConfirmedSuccess) -> CallbackReply {
    let id = order(success.confirmed.current.store_invoice_id.as_deref().unwrap_or(""));
    let done = async {
        let mut tx = shop.pool.begin().await?;
        sqlx::query("UPDATE shop_orders SET credits = credits + 1 WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await
    };
    match done.await {
        Ok(()) => CallbackReply::accept(),
        Err(_) => CallbackReply::retry_later("storage"),
    }
}

/// The same update through the ledger.
async fn ledgered(State(shop): State<Shop>, success: ConfirmedSuccess) -> Fulfilment {
    success
        .fulfil(&shop.ledger, |tx, credit| {
            let id = order(&credit.invoice_id);
            Box::pin(async move {
                sqlx::query("UPDATE shop_orders SET credits = credits + 1 WHERE id = $1")
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                Ok(Decision::Accept)
            })
        })
        .await
}

/// Sends `count` callbacks for orders `first..first + count` to `url`,
/// `concurrency` at a time; the time it took.
async fn round(url: &str, first: usize, count: usize, concurrency: usize) -> Duration {
    let http = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(first));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (http, next, url) = (http.clone(), next.clone(), url.to_string());
        workers.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= first + count {
                    break;
                }
                let body = testing::success_body(6, &format!("order-{i}"), 150000, &uuid(i), SECRET);
                let response = http.post(&url).body(body).send().await.expect("an answer");
                assert_eq!(response.status().as_u16(), 200, "callback {i} accepted");
            }
        });
    }
    while workers.join_next().await.is_some() {}
    started.elapsed()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let callbacks = env_number("LEDGER_CALLBACKS", 400);
    let rounds = env_number("LEDGER_ROUNDS", 7).max(1);
    let concurrency = env_number("LEDGER_CONCURRENCY", 8).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let Some(db) = pg::database("bench").await else { return };
        let pool = db.pool(16).await;
        let ledger = PgLedger::new(pool.clone());
        ledger.migrate().await.unwrap();
        sqlx::query("CREATE TABLE shop_orders (id bigint PRIMARY KEY, credits int NOT NULL DEFAULT 0)")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO shop_orders (id) SELECT generate_series(0, $1)")
            .bind((2 * rounds * callbacks + 100) as i64)
            .execute(&pool)
            .await
            .unwrap();
        let api = api().await;
        let config = Config::new("bench", "secret", Environment::Custom(api));
        let callbacks_state = CallbackState::new(Verifier::new(SECRET).unwrap(), Multicard::new(config).unwrap());
        let shop = Shop { callbacks: callbacks_state, ledger, pool: pool.clone() };
        let app = Router::new().route("/bare", post(bare)).route("/ledger", post(ledgered)).with_state(shop);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });

        // A warm-up round of each, not counted, on orders past the measured ones.
        let mut first = 2 * rounds * callbacks;
        for path in ["bare", "ledger"] {
            round(&format!("{base}/{path}"), first, callbacks.min(50), concurrency).await;
            first += callbacks.min(50);
        }
        let (mut bare_rates, mut ledger_rates, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for r in 0..rounds {
            let base_index = 2 * r * callbacks;
            // Alternate which goes first, so that drift favours neither.
            let order = if r % 2 == 0 { ["bare", "ledger"] } else { ["ledger", "bare"] };
            let mut rates = [0.0; 2];
            for (k, path) in order.iter().enumerate() {
                let took = round(&format!("{base}/{path}"), base_index + k * callbacks, callbacks, concurrency).await;
                let rate = callbacks as f64 / took.as_secs_f64();
                rates[usize::from(*path == "ledger")] = rate;
            }
            bare_rates.push(rates[0]);
            ledger_rates.push(rates[1]);
            ratios.push(rates[1] / rates[0]);
        }
        let wrong: i64 =
            sqlx::query_scalar("SELECT count(*) FROM shop_orders WHERE credits > 1").fetch_one(&pool).await.unwrap();
        assert_eq!(wrong, 0, "no order credited twice");
        println!(
            "ledger_throughput: {callbacks} callbacks x {rounds} paired rounds, concurrency {concurrency}: \
             no ledger {:.0}/s, Postgres ledger {:.0}/s (medians); ledger/no-ledger throughput ratio {:.3} \
             (median of paired ratios; min {:.3}, max {:.3})",
            median(bare_rates),
            median(ledger_rates),
            median(ratios.clone()),
            ratios.iter().copied().fold(f64::INFINITY, f64::min),
            ratios.iter().copied().fold(0.0, f64::max),
        );
        drop(pool);
        db.drop_database().await;
    });
}
