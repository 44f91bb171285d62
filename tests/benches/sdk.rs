//! What the SDK costs, side by side in one run against the same loopback
//! server: an SDK call with a warm token against raw reqwest + serde_json
//! into the same types (the floor), for a small response (`get_payment`)
//! and a large one (`list_payments`, 10,000 rows); decoding the registry
//! into the generated types against `serde_json::Value`; the token cache;
//! callback verification. `cargo xtask bench-report` turns the medians into
//! the table of BENCHMARKS.md.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::header;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use futures_util::FutureExt;
use futures_util::future::join_all;
use multicard_api::callbacks::{Verifier, testing};
use multicard_api::types;
use multicard_api::{Config, Environment, Multicard};
use serde_json::{Value, json};

mod loopback;
use loopback::{TOKEN, UUID, registry_body, server, small_body};

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let small = small_body();
    let large = registry_body();
    let server = runtime.block_on(server(Bytes::from(small.clone()), Bytes::from(large.clone())));
    let base = format!("http://{}", server.address);
    let http = reqwest::Client::new();
    let sdk = Multicard::new(
        Config::new("bench", "secret", Environment::Custom(base.clone())).with_foreign_http_client(http.clone()),
    )
    .unwrap();
    runtime.block_on(sdk.tokens().get()).unwrap();

    // Paired: the variants called in turn (the order rotating), so all see
    // the same machine at the same moment; on a shared 2-core VM separate
    // criterion runs drift by ±10-20% between runs. Besides the SDK and the
    // floor, two steps between them split the SDK's cost: the floor with
    // the two headers the generated request adds (`accept`, `api-version`),
    // and the generated client alone (its hooks, no executor).
    let raw_call = |extra_headers: bool| {
        let mut request = http.get(format!("{base}/payment/{UUID}")).bearer_auth(TOKEN);
        if extra_headers {
            request = request.header(header::ACCEPT, "application/json").header("api-version", "1.0.0");
        }
        async move {
            let response = request.send().await.unwrap();
            let body: types::PaymentModelResponse = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
            body.data.unwrap()
        }
    };
    const PAIRS: usize = 4000;
    let names = ["sdk", "raw", "raw_with_headers", "generated"];
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(PAIRS); names.len()];
    runtime.block_on(async {
        for i in 0..PAIRS {
            for k in 0..names.len() {
                let variant = (i + k) % names.len();
                let started = Instant::now();
                match variant {
                    0 => drop(sdk.send(|api| api.get_payment().uuid(UUID)).await.unwrap()),
                    1 => drop(raw_call(false).await),
                    2 => drop(raw_call(true).await),
                    _ => drop(sdk.api().get_payment().uuid(UUID).send().await.unwrap().into_inner()),
                }
                times[variant].push(started.elapsed());
            }
        }
    });
    let medians: Vec<f64> = times
        .iter_mut()
        .map(|times| {
            times.sort();
            times[times.len() / 2].as_nanos() as f64
        })
        .collect();
    let raw_median = medians[1];
    let mut paired = serde_json::Map::new();
    for (name, median) in names.iter().zip(&medians) {
        println!("paired get_payment ({PAIRS} rounds): {name} {:.1} µs, {:.3}x raw", median / 1e3, median / raw_median);
        paired.insert(format!("{name}_ns"), json!(median));
    }
    paired.insert("pairs".into(), json!(PAIRS));
    let _ = std::fs::create_dir_all("../target/criterion");
    let _ = std::fs::write("../target/criterion/paired_get_payment.json", Value::Object(paired).to_string());

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
    let cache = Multicard::new(
        Config::new("bench", "secret", Environment::Custom(base.clone())).with_foreign_http_client(http.clone()),
    )
    .unwrap()
    .tokens()
    .clone();
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
    let verifier = Verifier::new("Pw18axeBFo8V7NamKHXX").expect("a real secret");
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
