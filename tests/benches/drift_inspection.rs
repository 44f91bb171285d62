//! What noticing drift costs on a large answer: a registry page in which
//! every row carries a payment system the spec does not name (each decodes
//! as `Unknown` and is reported as drift) against the same page without
//! drift, both through `Multicard::send` against loopback servers, called
//! in turn (paired), medians compared.
//!
//! `DRIFT_ROWS` sets the page's rows (default 100,000), `DRIFT_ROUNDS` the
//! pairs (default 7).

use std::time::{Duration, Instant};

use axum::body::Bytes;
use multicard_api::{Config, Environment, Multicard};

mod loopback;
use loopback::{registry_page, server, small_body};

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let rows = env_number("DRIFT_ROWS", 100_000);
    let rounds = env_number("DRIFT_ROUNDS", 7).max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let client = |page: Vec<u8>| {
        runtime.block_on(async {
            let server = server(Bytes::from(small_body()), Bytes::from(page)).await;
            let config = Config::new("bench", "secret", Environment::Custom(format!("http://{}", server.address)))
                .with_timeout(Duration::from_secs(600))
                .with_max_response_bytes(1 << 30);
            let sdk = Multicard::new(config).unwrap();
            sdk.tokens().get().await.unwrap();
            sdk
        })
    };
    let clean = client(registry_page(rows, "uzcard"));
    let drifting = client(registry_page(rows, "paynet_next"));
    let call = |sdk: &Multicard| {
        let started = Instant::now();
        let page = runtime
            .block_on(sdk.send(|api| {
                api.list_payments()
                    .store_id("6")
                    .offset(0)
                    .limit(rows as i64)
                    .start_date("2025-07-01 00:00:00")
                    .end_date("2025-07-31 23:59:59")
            }))
            .unwrap();
        assert_eq!(page.list.len(), rows);
        started.elapsed()
    };
    let (mut without, mut with) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round % 2 == 0 {
            without.push(call(&clean));
            with.push(call(&drifting));
        } else {
            with.push(call(&drifting));
            without.push(call(&clean));
        }
    }
    let signals = drifting.drift_signals();
    assert!(signals.iter().any(|s| s.path == "data.list[].ps"), "the drift was noticed: {signals:?}");
    let (without, with) = (median(without), median(with));
    println!(
        "list_payments, {rows} rows, {rounds} pairs: every row drifting {:.1} ms, no drift {:.1} ms, ratio {:.3}x",
        with.as_secs_f64() * 1e3,
        without.as_secs_f64() * 1e3,
        with.as_secs_f64() / without.as_secs_f64()
    );
}
