//! One client used from many runtimes: a service that bridges sync code with
//! a fresh runtime per call, or shuts a runtime down while a token refresh
//! runs on it. The refresh task dies with its runtime; the cache must notice
//! and start another, never hand out the dead one's failure for good.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::Duration as ChronoDuration;
use multicard_api::Multicard;
use multicard_api_tests::fake::{self, IssueTokens, application_body, count, expiry_in};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A runtime that outlives every call: it owns the loopback server.
fn server_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("a runtime")
}

fn call_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime")
}

async fn mount_application(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/payment/application"))
        .respond_with(ResponseTemplate::new(200).set_body_json(application_body()))
        .mount(server)
        .await;
}

/// A server, on a runtime of its own, issuing tokens that live `seconds`
/// after answering `/auth` in `delay`.
fn issuing_server(seconds: i64, delay: Duration) -> (tokio::runtime::Runtime, MockServer) {
    let host = server_runtime();
    let server = host.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/auth"))
            .respond_with(IssueTokens {
                issued: Arc::new(AtomicUsize::new(0)),
                expiry: Box::new(move || expiry_in(ChronoDuration::seconds(seconds))),
                delay,
            })
            .mount(&server)
            .await;
        mount_application(&server).await;
        server
    });
    (host, server)
}

#[test]
fn a_new_runtime_per_call_survives_many_token_expiries() {
    // Tokens live two seconds (the vendor's `expiry` has whole seconds, so
    // one to two): the early refresh starts on one call's runtime, which
    // ends with that call.
    let (host, server) = issuing_server(2, Duration::from_millis(20));
    let client = fake::client(&server);
    for call in 1..=20 {
        let result = call_runtime().block_on(client.send(|api| api.get_application()));
        if let Err(error) = result {
            panic!("call {call} failed: {error}");
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let auth = host.block_on(count(&server, "/auth"));
    assert!(auth >= 3, "six seconds of two-second tokens need several refreshes, saw {auth}");
}

/// `/auth` that hangs on its first request and answers the rest at once.
struct FirstHangs(AtomicUsize);

impl Respond for FirstHangs {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        let template = ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "token": format!("tok-{n}"), "role": "dev", "expiry": expiry_in(ChronoDuration::hours(24))
        }));
        if n == 1 { template.set_delay(Duration::from_secs(3)) } else { template }
    }
}

#[test]
fn a_runtime_shut_down_during_auth_leaves_no_dead_refresh_behind() {
    let host = server_runtime();
    let server = host.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/auth"))
            .respond_with(FirstHangs(AtomicUsize::new(0)))
            .mount(&server)
            .await;
        mount_application(&server).await;
        server
    });
    let client: Multicard = fake::client(&server);

    // Runtime A starts the refresh (its `/auth` hangs); a caller on runtime
    // B joins it; then A shuts down, killing the refresh task.
    let a = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime A");
    let first = {
        let client = client.clone();
        a.spawn(async move { client.send(|api| api.get_application()).await.map(|_| ()) })
    };
    std::thread::sleep(Duration::from_millis(300));
    let b = std::thread::spawn({
        let client = client.clone();
        move || call_runtime().block_on(client.send(|api| api.get_application())).map(|_| ())
    });
    std::thread::sleep(Duration::from_millis(300));
    a.shutdown_background();
    drop(first);

    b.join().expect("no panic").expect("the caller waiting on the dead refresh starts another and succeeds");
    for call in 1..=3 {
        if let Err(error) = call_runtime().block_on(client.send(|api| api.get_application())) {
            panic!("call {call} from a new runtime failed: {error}");
        }
    }
    assert_eq!(host.block_on(count(&server, "/auth")), 2, "the hung one, then exactly one replacement");
}

#[test]
fn a_refresh_stuck_on_a_kept_but_idle_runtime_is_given_up_after_its_budget() {
    let (_host, server) = issuing_server(4, Duration::from_millis(200));
    // No pooled connections, so that what is measured is the token cache
    // alone (a pooled connection belongs to the runtime that opened it).
    let http = multicard_api::config::http_client_builder().pool_max_idle_per_host(0).build().unwrap();
    let policy = multicard_api::token_cache::RefreshPolicy::default()
        .with_margin(Duration::from_secs(2))
        .with_jitter(Duration::ZERO)
        .with_auth_timeout(Duration::from_millis(500));
    let config = fake::config(&server)
        .with_foreign_http_client(http)
        .with_refresh_policy(policy)
        .with_retry_policy(multicard_api::retry::RetryPolicy::none());
    let client = Multicard::new(config).unwrap();

    // Runtime A, kept for the whole test: the first token, then a call in
    // the refresh margin that starts the early refresh on A, which then
    // sits idle (a thread-local runtime of a worker that has no work).
    let a = call_runtime();
    a.block_on(client.send(|api| api.get_application())).expect("first call");
    std::thread::sleep(Duration::from_millis(2300));
    a.block_on(client.send(|api| api.get_application())).expect("the still-valid token serves");
    std::thread::sleep(Duration::from_millis(2500));

    // Past expiry, callers on runtime B must not hang on A's refresh.
    let b = call_runtime();
    for call in 1..=3 {
        let options = multicard_api::CallOptions::new().timeout(Duration::from_secs(10));
        if let Err(error) = b.block_on(client.send_with(options, |api| api.get_application())) {
            panic!("call {call} on runtime B failed: {error}");
        }
    }
    drop(a);
}
