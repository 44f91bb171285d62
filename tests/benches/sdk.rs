//! What the SDK costs, side by side in one run against the same loopback
//! server: an SDK call with a warm token against raw reqwest + serde_json
//! into the same types (the floor), for a small response (`get_payment`)
//! and a large one (`list_payments`, 10,000 rows); decoding the registry
//! into the generated types against `serde_json::Value`; the token cache;
//! callback verification. `cargo xtask bench-report` turns the medians into
//! the table of BENCHMARKS.md.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::routing::{get, post};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use futures_util::FutureExt;
use futures_util::future::join_all;
use multicard_api::auth::{RefreshPolicy, SystemClock, TokenCache};
use multicard_api::callbacks::{Verifier, testing};
use multicard_api::time::MulticardDateTime;
use multicard_api::types;
use multicard_api::{Config, Environment, Multicard};
use serde_json::{Value, json};

const UUID: &str = "a81b7b62-6d86-11f0-9a1b-00505680eaf6";
const TOKEN: &str = "bench-token";

fn payment(i: usize) -> Value {
    json!({"id": 11351395 + i, "uuid": UUID, "store_id": 6, "payment_amount": 10000 + i, "commission_type": "up",
        "commission_amount": 0, "total_amount": 10000 + i, "store_invoice_id": format!("order-{i}"), "status": "success",
        "callback_url": "https://shop.example/cb", "billing_id": null, "phone": "998901234567", "ps": "uzcard",
        "receipt_url": format!("https://checkout.multicard.uz/check/{UUID}"), "card_token": "6225f3c93f7a880142782fa4",
        "card_pan": "860053******8829", "payment_time": "2025-07-31 01:51:12", "refund_time": null, "otp_hash": null,
        "added_on": "2025-07-31 01:49:16", "ps_uniq_id": "521120956011", "merchant_id": "01200000119700D", "terminal_id": "186368T6"})
}

/// The small body: one payment.
fn small_body() -> Vec<u8> {
    json!({"success": true, "data": payment(0)}).to_string().into_bytes()
}

/// The large body: a registry page of 10,000 rows.
fn registry_body() -> Vec<u8> {
    let list: Vec<Value> = (0..10_000)
        .map(|i| {
            json!({"id": 11351395 + i, "uuid": UUID, "status": "success", "ps": "uzcard", "store_invoice_id": format!("order-{i}"),
                "payment_amount": 10000 + i, "commission_amount": 0, "card_token": "6225f3c93f7a880142782fa4",
                "added_on": "2025-07-31 01:49:16", "billing_id": "b", "payment_time": "2025-07-31 01:51:12",
                "card_pan": "860053******8829", "ps_uniq_id": "521120956011", "refund_time": "2025-08-01 10:00:00"})
        })
        .collect();
    json!({"success": true, "data": {"pagination": {"total": 10_000, "offset": 0, "limit": 10_000},
        "stat": [{"status": "success", "ps": "uzcard", "payment_amount": 100_000_000}], "list": list}})
    .to_string()
    .into_bytes()
}

struct Server {
    address: SocketAddr,
    auth_requests: Arc<AtomicU64>,
}

/// A plain loopback server with canned answers, the same for the SDK and
/// for raw reqwest.
async fn server(small: Bytes, large: Bytes) -> Server {
    let auth_requests = Arc::new(AtomicU64::new(0));
    let counter = auth_requests.clone();
    let expiry = MulticardDateTime::from_utc(chrono::Utc::now() + chrono::Duration::hours(24)).to_string();
    let auth = Bytes::from(json!({"token": TOKEN, "role": "dev", "expiry": expiry}).to_string());
    let json_answer = |bytes: Bytes| {
        move || {
            let bytes = bytes.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], bytes) }
        }
    };
    let app = Router::new()
        .route(
            "/auth",
            post(move || {
                counter.fetch_add(1, Ordering::Relaxed);
                let auth = auth.clone();
                async move {
                    // A token round trip takes a little while on a real server.
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    ([(header::CONTENT_TYPE, "application/json")], auth)
                }
            }),
        )
        .route("/payment/{uuid}", get(json_answer(small)))
        .route("/payment/store/{store}/history", get(json_answer(large)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server { address, auth_requests }
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let small = small_body();
    let large = registry_body();
    let server = runtime.block_on(server(Bytes::from(small.clone()), Bytes::from(large.clone())));
    let base = format!("http://{}", server.address);
    let http = reqwest::Client::new();
    let sdk = Multicard::new(
        Config::new("bench", "secret", Environment::Custom(base.clone())).with_http_client(http.clone()),
    )
    .unwrap();
    runtime.block_on(sdk.tokens().get()).unwrap();

    // Paired: SDK and raw calls interleaved (order alternating), so both
    // see the same machine at the same moment; on a shared 2-core VM the
    // separate criterion runs below drift by ±10-20% between runs.
    let raw_call = || async {
        let response = http.get(format!("{base}/payment/{UUID}")).bearer_auth(TOKEN).send().await.unwrap();
        let body: types::PaymentModelResponse = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        body.data.unwrap()
    };
    let (mut sdk_times, mut raw_times) = (Vec::new(), Vec::new());
    runtime.block_on(async {
        for i in 0..4000 {
            let measure_sdk = async {
                let started = Instant::now();
                sdk.send(|api| api.get_payment().uuid(UUID)).await.unwrap();
                started.elapsed()
            };
            let measure_raw = async {
                let started = Instant::now();
                raw_call().await;
                started.elapsed()
            };
            if i % 2 == 0 {
                sdk_times.push(measure_sdk.await);
                raw_times.push(measure_raw.await);
            } else {
                raw_times.push(measure_raw.await);
                sdk_times.push(measure_sdk.await);
            }
        }
    });
    let median = |times: &mut Vec<Duration>| {
        times.sort();
        times[times.len() / 2].as_nanos() as f64
    };
    let (sdk_median, raw_median) = (median(&mut sdk_times), median(&mut raw_times));
    println!(
        "paired get_payment (4000 pairs): sdk {:.1} µs, raw {:.1} µs, ratio {:.3}",
        sdk_median / 1e3,
        raw_median / 1e3,
        sdk_median / raw_median
    );
    let paired = json!({"sdk_ns": sdk_median, "raw_ns": raw_median, "pairs": 4000});
    let _ = std::fs::create_dir_all("../target/criterion");
    let _ = std::fs::write("../target/criterion/paired_get_payment.json", paired.to_string());

    // Per call: the SDK with a warm token against raw reqwest + serde_json.
    let mut group = c.benchmark_group("call");
    group.bench_function("get_payment/sdk", |b| {
        b.to_async(&runtime).iter(|| async { sdk.send(|api| api.get_payment().uuid(UUID)).await.unwrap() })
    });
    // The generated client alone (its hooks included, no executor): splits
    // the SDK's cost between progenitor's request path and the executor.
    group.bench_function("get_payment/generated", |b| {
        b.to_async(&runtime).iter(|| async { sdk.api().get_payment().uuid(UUID).send().await.unwrap().into_inner() })
    });
    group.bench_function("get_payment/raw", |b| {
        b.to_async(&runtime).iter(|| async {
            let response = http.get(format!("{base}/payment/{UUID}")).bearer_auth(TOKEN).send().await.unwrap();
            let body: types::PaymentModelResponse = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
            assert!(body.success);
            body.data.unwrap()
        })
    });
    let (start, end) = ("2025-07-01 00:00:00", "2025-07-31 23:59:59");
    group.sample_size(20);
    group.bench_function("list_payments_10k/sdk", |b| {
        b.to_async(&runtime).iter(|| async {
            sdk.send(|api| api.list_payments().store_id("6").offset(0).limit(10_000).start_date(start).end_date(end))
                .await
                .unwrap()
        })
    });
    group.bench_function("list_payments_10k/raw", |b| {
        b.to_async(&runtime).iter(|| async {
            let url = format!("{base}/payment/store/6/history?offset=0&limit=10000&start_date={start}&end_date={end}");
            let response = http.get(url).bearer_auth(TOKEN).send().await.unwrap();
            let body: types::PaymentRegistryResponse =
                serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
            body.data.unwrap()
        })
    });
    group.finish();

    // Decoding the registry: the generated types against an untyped Value.
    let mut group = c.benchmark_group("decode");
    group.sample_size(20);
    group.throughput(Throughput::Bytes(large.len() as u64));
    group.bench_function("registry_10k/typed", |b| {
        b.iter(|| serde_json::from_slice::<types::PaymentRegistryResponse>(&large).unwrap())
    });
    group.bench_function("registry_10k/value", |b| b.iter(|| serde_json::from_slice::<Value>(&large).unwrap()));
    group.finish();

    // The token cache.
    let cache = Arc::new(TokenCache::new(
        http.clone(),
        &base,
        "bench".into(),
        "secret".into(),
        RefreshPolicy::default(),
        Arc::new(SystemClock),
    ));
    runtime.block_on(cache.get()).unwrap();
    let mut group = c.benchmark_group("token");
    // Taking a cached token completes on its first poll: measured without
    // an executor around it, then inside the runtime as a call sees it.
    let _guard = runtime.enter();
    group.bench_function("cached", |b| b.iter(|| cache.get().now_or_never().unwrap().unwrap()));
    group.bench_function("cached_in_runtime", |b| b.to_async(&runtime).iter(|| async { cache.get().await.unwrap() }));
    group.sample_size(20);
    for callers in [1usize, 1000] {
        group.bench_function(format!("expiry_{callers}_callers"), |b| {
            b.to_async(&runtime).iter_custom(|iterations| {
                let cache = cache.clone();
                let server_count = server.auth_requests.clone();
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iterations {
                        let token = cache.get().await.unwrap();
                        cache.invalidate(&token);
                        let before = server_count.load(Ordering::Relaxed);
                        let started = Instant::now();
                        let all = join_all((0..callers).map(|_| cache.get())).await;
                        total += started.elapsed();
                        assert!(all.iter().all(|t| t.is_ok()));
                        assert_eq!(server_count.load(Ordering::Relaxed) - before, 1, "one /auth for {callers} callers");
                    }
                    total
                }
            })
        });
    }
    group.finish();

    // Callback verification.
    let verifier = Verifier::new("Pw18axeBFo8V7NamKHXX");
    let body = testing::success_body(6, "order-42", 150_000, UUID, "Pw18axeBFo8V7NamKHXX");
    let mut group = c.benchmark_group("callbacks");
    group.throughput(Throughput::Elements(1));
    group.bench_function("verify_success", |b| b.iter(|| verifier.verify_success(&body).unwrap()));
    let forged = testing::success_body(6, "order-42", 150_000, UUID, "guess");
    group.bench_function("reject_forged", |b| {
        b.iter_batched(|| forged.clone(), |f| verifier.verify_success(&f).unwrap_err(), BatchSize::SmallInput)
    });
    group.finish();
}

criterion_group! {
    name = sdk;
    config = Criterion::default().measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_secs(1));
    targets = benches
}
criterion_main!(sdk);
