//! The token cache against a loopback `/auth`: single flight, refresh
//! margin, clock skew, 401 replay, failures and cancellation. HTTP runs in
//! real time (reqwest cannot run under paused tokio time); deadlines run on
//! an injected clock, and every assertion counts what the server saw.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use futures_util::future::join_all;
use multicard_api::error::TransportKind;
use multicard_api::time::MulticardDateTime;
use multicard_api::token_cache::{Clock, RefreshPolicy};
use multicard_api::{Error, Multicard};
use multicard_api_tests::fake::{self, IssueTokens, application_body, bearers, count, server_with_auth};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A clock the test moves by hand; the wall clock may be set off from the
/// real one.
#[derive(Debug)]
struct ManualClock {
    start: Instant,
    elapsed_ms: AtomicU64,
    wall_offset: ChronoDuration,
}

impl ManualClock {
    fn new(wall_offset: ChronoDuration) -> Arc<Self> {
        Arc::new(Self { start: Instant::now(), elapsed_ms: AtomicU64::new(0), wall_offset })
    }
    fn advance(&self, by: Duration) {
        self.elapsed_ms.fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + Duration::from_millis(self.elapsed_ms.load(Ordering::SeqCst))
    }
    fn now_utc(&self) -> DateTime<Utc> {
        Utc::now() + self.wall_offset + ChronoDuration::milliseconds(self.elapsed_ms.load(Ordering::SeqCst) as i64)
    }
}

fn no_jitter(margin: Duration) -> RefreshPolicy {
    RefreshPolicy::default().with_margin(margin).with_jitter(Duration::ZERO).with_auth_timeout(Duration::from_secs(5))
}

async fn mount_application(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/payment/application"))
        .respond_with(ResponseTemplate::new(200).set_body_json(application_body()))
        .mount(server)
        .await;
}

async fn concurrent_calls(client: &Multicard, n: usize) -> usize {
    let calls = (0..n).map(|_| client.send(|api| api.get_application()));
    join_all(calls).await.into_iter().filter(|r| r.is_ok()).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_calls_cause_one_auth_request_at_start_and_one_at_expiry() {
    let (server, issued) = server_with_auth(ChronoDuration::hours(24), Duration::from_millis(50)).await;
    mount_application(&server).await;
    let clock = ManualClock::new(ChronoDuration::zero());
    let client = Multicard::new(fake::config(&server).with_clock(clock.clone())).unwrap();

    assert_eq!(concurrent_calls(&client, 1000).await, 1000, "every call succeeds");
    assert_eq!(count(&server, "/auth").await, 1, "one /auth for 1000 callers with no token");
    assert_eq!(issued.load(Ordering::SeqCst), 1);

    // A day later every token has expired: again 1000 callers, one /auth.
    clock.advance(Duration::from_secs(25 * 3600));
    assert_eq!(concurrent_calls(&client, 1000).await, 1000);
    assert_eq!(count(&server, "/auth").await, 2, "one more /auth for 1000 callers at expiry");
    let seen = bearers(&server, "/payment/application").await;
    assert_eq!(seen.len(), 2000);
    assert!(seen[..1000].iter().all(|t| t == "tok-1") && seen[1000..].iter().all(|t| t == "tok-2"));
}

#[tokio::test]
async fn later_calls_reuse_the_token_without_touching_the_network() {
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    mount_application(&server).await;
    let client = fake::client(&server);
    for _ in 0..20 {
        client.send(|api| api.get_application()).await.expect("call succeeds");
    }
    assert_eq!(count(&server, "/auth").await, 1);
    // Clones share the token.
    let clone = client.clone();
    clone.send(|api| api.get_application()).await.unwrap();
    assert_eq!(count(&server, "/auth").await, 1, "a clone shares the cached token");
}

#[tokio::test]
async fn the_token_is_refreshed_a_margin_before_expiry_while_the_old_one_keeps_serving() {
    let (server, _) = server_with_auth(ChronoDuration::hours(1), Duration::ZERO).await;
    mount_application(&server).await;
    let clock = ManualClock::new(ChronoDuration::zero());
    let client = Multicard::new(
        fake::config(&server).with_clock(clock.clone()).with_refresh_policy(no_jitter(Duration::from_secs(60))),
    )
    .unwrap();
    client.send(|api| api.get_application()).await.unwrap();

    clock.advance(Duration::from_secs(3600 - 70)); // 70 s left: outside the margin
    client.send(|api| api.get_application()).await.unwrap();
    assert_eq!(count(&server, "/auth").await, 1, "no refresh before the margin");

    clock.advance(Duration::from_secs(20)); // 50 s left: inside the margin
    client.send(|api| api.get_application()).await.unwrap();
    // The call was served at once with the still-valid token; one refresh runs.
    let deadline = Instant::now() + Duration::from_secs(5);
    while count(&server, "/auth").await < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(count(&server, "/auth").await, 2, "one refresh inside the margin");
    tokio::time::sleep(Duration::from_millis(50)).await;
    client.send(|api| api.get_application()).await.unwrap();
    assert_eq!(bearers(&server, "/payment/application").await, ["tok-1", "tok-1", "tok-1", "tok-2"]);
}

#[tokio::test]
async fn server_and_local_clocks_two_hours_apart_still_give_the_right_deadline() {
    for offset in [ChronoDuration::hours(-2), ChronoDuration::hours(2)] {
        let (server, _) = server_with_auth(ChronoDuration::hours(1), Duration::ZERO).await;
        let clock = ManualClock::new(offset);
        let client = Multicard::new(
            fake::config(&server).with_refresh_policy(no_jitter(Duration::from_secs(60))).with_clock(clock.clone()),
        )
        .unwrap();
        let token = client.tokens().get().await.expect("token");
        let left = token.deadline().expect("a usable expiry") - clock.now();
        // The Date header says when the token was issued: one hour left,
        // whatever the local wall clock believes.
        assert!(
            left > Duration::from_secs(3590) && left <= Duration::from_secs(3601),
            "offset {offset}: {left:?} left"
        );
    }
}

/// Answers 401 to the first `unauthorized` requests, then success.
struct RejectFirst {
    unauthorized: usize,
    seen: AtomicUsize,
}

impl Respond for RejectFirst {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.seen.fetch_add(1, Ordering::SeqCst) < self.unauthorized {
            ResponseTemplate::new(401)
                .set_body_json(json!({"success": false, "error": {"code": "ERROR_UNAUTHORIZED", "details": "expired"}}))
        } else {
            ResponseTemplate::new(200).set_body_json(application_body())
        }
    }
}

#[tokio::test]
async fn a_401_mid_life_refreshes_once_and_replays_once() {
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path("/payment/application"))
        .respond_with(RejectFirst { unauthorized: 1, seen: AtomicUsize::new(0) })
        .mount(&server)
        .await;
    let client = fake::client(&server);
    let application = client.send(|api| api.get_application()).await.expect("the replay succeeds");
    assert_eq!(application.application_id.as_deref(), Some(fake::APPLICATION_ID));
    assert_eq!(count(&server, "/auth").await, 2, "one refresh");
    assert_eq!(bearers(&server, "/payment/application").await, ["tok-1", "tok-2"], "one replay, with the new token");
}

#[tokio::test]
async fn a_second_401_is_the_callers_error_with_no_loop() {
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path("/payment/application"))
        .respond_with(RejectFirst { unauthorized: usize::MAX, seen: AtomicUsize::new(0) })
        .mount(&server)
        .await;
    let client = fake::client(&server);
    let error = client.send(|api| api.get_application()).await.expect_err("still refused");
    assert!(matches!(error, Error::Unauthorized { operation: "get_application" }), "{error:?}");
    assert_eq!(count(&server, "/payment/application").await, 2, "sent twice, never more");
    assert_eq!(count(&server, "/auth").await, 2);
}

#[tokio::test]
async fn a_401_wipes_the_token_only_if_it_is_still_the_current_one() {
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    let client = Multicard::new(fake::config(&server).with_clock(ManualClock::new(ChronoDuration::zero()))).unwrap();
    let cache = client.tokens();
    let first = cache.get().await.unwrap();
    assert!(cache.invalidate(&first), "the failed token is the current one");
    let second = cache.get().await.unwrap();
    assert_eq!(second.generation(), first.generation() + 1);
    // A late 401 for the old token must not wipe the new one.
    assert!(!cache.invalidate(&first));
    let again = cache.get().await.unwrap();
    assert_eq!(again.generation(), second.generation());
    assert_eq!(count(&server, "/auth").await, 2);
}

/// `/auth` answers with each of `answers` in turn, then issues tokens.
struct AuthScript {
    answers: Vec<ResponseTemplate>,
    seen: AtomicUsize,
    tokens: IssueTokens,
}

impl Respond for AuthScript {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let n = self.seen.fetch_add(1, Ordering::SeqCst);
        match self.answers.get(n) {
            Some(answer) => answer.clone(),
            None => self.tokens.respond(request),
        }
    }
}

async fn auth_fails_once_with(answer: ResponseTemplate, policy: RefreshPolicy) -> (Error, MockServer, Multicard) {
    let server = MockServer::start().await;
    let tokens = IssueTokens {
        issued: Arc::new(AtomicUsize::new(0)),
        expiry: Box::new(|| fake::expiry_in(ChronoDuration::hours(24))),
        delay: Duration::ZERO,
    };
    Mock::given(method("POST"))
        .and(path("/auth"))
        .respond_with(AuthScript { answers: vec![answer], seen: AtomicUsize::new(0), tokens })
        .mount(&server)
        .await;
    mount_application(&server).await;
    // Retries off: each failure is seen as it is (retries have their own tests).
    let config =
        fake::config(&server).with_refresh_policy(policy).with_retry_policy(multicard_api::retry::RetryPolicy::none());
    let client = Multicard::new(config).unwrap();
    let error = client.send(|api| api.get_application()).await.expect_err("the first /auth fails");
    (error, server, client)
}

/// A failure of `/auth`: its name, the answer, and the error it must give.
type AuthCase = (&'static str, ResponseTemplate, fn(&Error) -> bool);

#[tokio::test]
async fn every_kind_of_auth_failure_is_a_typed_error_and_the_next_call_tries_again() {
    let policy = RefreshPolicy::default().with_auth_timeout(Duration::from_millis(300));
    let cases: Vec<AuthCase> = vec![
        (
            "400 with missing fields",
            ResponseTemplate::new(400).set_body_json(json!({"errors": [{"message": [
                {"message": "application_id required", "field": "application_id"},
                {"message": "You must supply a secret", "field": "secret"}]}]})),
            |e| {
                matches!(e, Error::Authentication { status: Some(400), messages }
                if messages.iter().filter_map(|m| m.field.as_deref()).collect::<Vec<_>>() == ["application_id", "secret"])
            },
        ),
        (
            "400 Invalid Credentials",
            ResponseTemplate::new(400)
                .set_body_json(json!({"errors": [{"message": [{"message": "Invalid Credentials"}]}]})),
            |e| {
                matches!(e, Error::Authentication { status: Some(400), messages }
                if messages.len() == 1 && messages[0].message == "Invalid Credentials" && messages[0].field.is_none())
            },
        ),
        (
            "500 with an HTML page",
            ResponseTemplate::new(500).set_body_raw("<html><body>Internal Server Error</body></html>", "text/html"),
            |e| {
                // Classified, but nothing of the body kept: it may echo the secret.
                matches!(e, Error::UnexpectedResponse { operation: "get_token", status: 500, content_type: Some(ct), snippet, reason }
                if ct.starts_with("text/html") && snippet.is_empty() && reason.contains("HTML page"))
            },
        ),
        ("timeout", ResponseTemplate::new(200).set_delay(Duration::from_secs(3)), |e| {
            matches!(e, Error::Transport { operation: "get_token", kind: TransportKind::Timeout, .. })
        }),
        ("garbage body", ResponseTemplate::new(200).set_body_raw("{\"token\": 42", "application/json"), |e| {
            matches!(e, Error::UnexpectedResponse { operation: "get_token", status: 200, .. })
        }),
    ];
    for (name, answer, expected) in cases {
        let (error, server, client) = auth_fails_once_with(answer, policy.clone()).await;
        assert!(expected(&error), "{name}: {error:?}");
        assert_eq!(count(&server, "/payment/application").await, 0, "{name}: no API call without a token");
        client.send(|api| api.get_application()).await.unwrap_or_else(|e| panic!("{name}: the next call retries: {e}"));
        assert_eq!(count(&server, "/auth").await, 2, "{name}: the failure was not cached");
    }
}

#[tokio::test]
async fn a_still_valid_token_survives_a_failed_early_refresh() {
    let server = MockServer::start().await;
    let tokens = IssueTokens {
        issued: Arc::new(AtomicUsize::new(0)),
        expiry: Box::new(|| fake::expiry_in(ChronoDuration::hours(1))),
        delay: Duration::ZERO,
    };
    // First /auth succeeds, the second (the early refresh) fails, then succeeds.
    struct SecondFails(AuthScript);
    impl Respond for SecondFails {
        fn respond(&self, request: &Request) -> ResponseTemplate {
            if self.0.seen.fetch_add(1, Ordering::SeqCst) == 1 {
                ResponseTemplate::new(503).set_body_raw("busy", "text/plain")
            } else {
                self.0.tokens.respond(request)
            }
        }
    }
    Mock::given(method("POST"))
        .and(path("/auth"))
        .respond_with(SecondFails(AuthScript { answers: vec![], seen: AtomicUsize::new(0), tokens }))
        .mount(&server)
        .await;
    mount_application(&server).await;
    let clock = ManualClock::new(ChronoDuration::zero());
    let config = fake::config(&server)
        .with_clock(clock.clone())
        .with_refresh_policy(no_jitter(Duration::from_secs(60)))
        .with_retry_policy(multicard_api::retry::RetryPolicy::none());
    let client = Multicard::new(config).unwrap();
    client.send(|api| api.get_application()).await.unwrap();
    clock.advance(Duration::from_secs(3600 - 30)); // inside the margin
    client.send(|api| api.get_application()).await.expect("served by the valid token");
    let deadline = Instant::now() + Duration::from_secs(5);
    while count(&server, "/auth").await < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The early refresh failed; the valid token keeps serving.
    client.send(|api| api.get_application()).await.expect("still served by the valid token");
    assert_eq!(bearers(&server, "/payment/application").await, ["tok-1", "tok-1", "tok-1"]);
}

#[tokio::test]
async fn cancelling_the_task_that_refreshes_never_wedges_the_cache() {
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::from_millis(300)).await;
    mount_application(&server).await;
    let client = fake::client(&server);
    // The first caller gives up while /auth is in flight.
    let first = tokio::time::timeout(Duration::from_millis(50), client.send(|api| api.get_application())).await;
    assert!(first.is_err(), "the first call was cancelled");
    // The next caller joins the same refresh and succeeds.
    client.send(|api| api.get_application()).await.expect("the cache still works");
    assert_eq!(count(&server, "/auth").await, 1, "the cancelled refresh completed and was shared");
}

#[tokio::test]
async fn a_token_with_an_unusable_expiry_is_cached_for_the_fallback_lifetime() {
    for expiry in ["not a date", "2020-01-01 00:00:00"] {
        let server = MockServer::start().await;
        let expiry = expiry.to_string();
        Mock::given(method("POST"))
            .and(path("/auth"))
            .respond_with(IssueTokens {
                issued: Arc::new(AtomicUsize::new(0)),
                expiry: Box::new(move || expiry.clone()),
                delay: Duration::ZERO,
            })
            .mount(&server)
            .await;
        mount_application(&server).await;
        let clock = ManualClock::new(ChronoDuration::zero());
        let client = Multicard::new(fake::config(&server).with_clock(clock.clone())).expect("valid configuration");
        for _ in 0..10 {
            client.send(|api| api.get_application()).await.expect("the token serves");
        }
        assert_eq!(count(&server, "/auth").await, 1, "ten calls, one /auth");
        // Past the fallback lifetime, a new token is fetched.
        clock.advance(multicard_api::token_cache::UNUSABLE_EXPIRY_LIFETIME);
        client.send(|api| api.get_application()).await.expect("a fresh token serves");
        assert_eq!(count(&server, "/auth").await, 2, "the fallback lifetime ran out");
        let seen = bearers(&server, "/payment/application").await;
        assert_eq!(seen.iter().filter(|t| *t == "tok-1").count(), 10);
        assert_eq!(seen.last().map(String::as_str), Some("tok-2"));
    }
}

#[tokio::test]
async fn a_token_no_header_can_carry_is_a_clear_error_and_never_sent() {
    let server = MockServer::start().await;
    let expiry = MulticardDateTime::from_utc(Utc::now() + ChronoDuration::hours(1)).to_string();
    Mock::given(method("POST"))
        .and(path("/auth"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"token": "line\nbreak", "role": "dev", "expiry": expiry})),
        )
        .mount(&server)
        .await;
    mount_application(&server).await;
    let client = fake::client(&server);
    let error = client.send(|api| api.get_application()).await.expect_err("no header can carry it");
    match &error {
        Error::InvalidRequest { operation, message } => {
            assert_eq!(*operation, "get_application");
            assert!(message.contains("cannot appear in an HTTP header"), "{message}");
        }
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
    assert!(!error.to_string().contains("line\nbreak"), "the token is not printed: {error}");
    assert_eq!(count(&server, "/payment/application").await, 0, "nothing was sent");
}
