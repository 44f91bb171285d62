//! The token cache: taking a cached token, against waiting for a refresh
//! (one `/auth` round trip on loopback), and a whole call with a warm token.

use std::time::Duration;

use chrono::Duration as ChronoDuration;
use criterion::{Criterion, criterion_group, criterion_main};
use multicard_api_tests::fake::{self, application_body, server_with_auth};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

fn token_cache(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (server, _) = runtime.block_on(server_with_auth(ChronoDuration::hours(24), Duration::ZERO));
    runtime.block_on(
        Mock::given(method("GET"))
            .and(path("/payment/application"))
            .respond_with(ResponseTemplate::new(200).set_body_json(application_body()))
            .mount(&server),
    );
    let client = fake::client(&server);
    let cache = client.tokens().clone();
    runtime.block_on(cache.get()).unwrap();

    let mut group = c.benchmark_group("token");
    group.bench_function("cached token", |b| b.to_async(&runtime).iter(|| async { cache.get().await.unwrap() }));
    group.bench_function("wait for a refresh (loopback /auth)", |b| {
        b.to_async(&runtime).iter(|| async {
            let token = cache.get().await.unwrap();
            cache.invalidate(&token);
            cache.get().await.unwrap()
        })
    });
    let client = fake::client(&server);
    runtime.block_on(client.send(|api| api.get_application())).unwrap();
    group.bench_function("get_application, warm token (loopback)", |b| {
        b.to_async(&runtime).iter(|| async { client.send(|api| api.get_application()).await.unwrap() })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(Duration::from_secs(4));
    targets = token_cache
}
criterion_main!(benches);
