//! Safe defaults on the wire: no redirects, no resend by the HTTP library,
//! no route changed by a path parameter, one timeout for the whole call, no
//! secret, token or card number in an error or a log line, even from a
//! server that echoes the request, and no blank secret accepted.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Duration as ChronoDuration;
use multicard_api::error::TransportKind;
use multicard_api::retry::RetryPolicy;
use multicard_api::{CallOptions, Config, Environment, Error, Multicard, types};
use multicard_api_tests::fake::{self, APPLICATION_ID, SECRET, count, expiry_in, server_with_auth};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const PAN: &str = "8600533364098829";
const UUID: &str = "a81b7b62-6d86-11f0-9a1b-00505680eaf6";

fn body<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("valid body")
}

fn card_payment() -> types::CreatePaymentRequest {
    body(json!({"card": {"pan": PAN, "expiry": "2806"}, "amount": 10_000, "store_id": 6, "invoice_id": "order-1"}))
}

// ---- redirects (item 5) ----------------------------------------------------

/// A server that counts every request it is sent: where a redirect points.
async fn elsewhere() -> (MockServer, String) {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any()).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let uri = server.uri();
    (server, uri)
}

#[tokio::test]
async fn a_redirect_from_auth_is_not_followed_and_the_secret_stays_home() {
    let (other, other_uri) = elsewhere().await;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/auth"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", format!("{other_uri}/auth").as_str()))
        .mount(&server)
        .await;
    let client = Multicard::new(fake::config(&server).with_retry_policy(RetryPolicy::none())).unwrap();
    let error = client.send(|api| api.get_application()).await.expect_err("a redirect is no token");
    assert_eq!(error.status(), Some(307), "{error:?}");
    assert_eq!(other.received_requests().await.unwrap().len(), 0, "nothing reached the other host");
}

#[tokio::test]
async fn a_redirect_from_create_payment_does_not_carry_the_card_elsewhere() {
    let (other, other_uri) = elsewhere().await;
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(method("POST"))
        .and(path("/payment"))
        .respond_with(ResponseTemplate::new(308).insert_header("location", format!("{other_uri}/payment").as_str()))
        .mount(&server)
        .await;
    let client = fake::client(&server);
    let request = card_payment();
    let error = client.send(|api| api.create_payment().body(request.clone())).await.expect_err("not followed");
    assert_eq!(error.status(), Some(308), "{error:?}");
    assert_eq!(other.received_requests().await.unwrap().len(), 0, "the PAN reached no other host");
    assert_eq!(count(&server, "/payment").await, 1, "sent once");
}

#[test]
fn multicards_own_hosts_are_refused_over_plain_http() {
    for url in ["http://mesh.multicard.uz", "http://dev-mesh.multicard.uz/", "HTTP://MESH.MULTICARD.UZ."] {
        match Multicard::new(Config::new("app", "secret", Environment::Custom(url.into()))) {
            Err(Error::InvalidConfiguration { message }) => assert!(message.contains("https"), "{message}"),
            other => panic!("{url}: expected InvalidConfiguration, got {other:?}"),
        }
    }
    Multicard::new(Config::new("app", "secret", Environment::Production)).expect("https production");
    Multicard::new(Config::new("app", "secret", Environment::Custom("http://127.0.0.1:9".into())))
        .expect("a local sandbox over http");
}

// ---- blank secrets (item 3) ------------------------------------------------

#[test]
fn an_empty_or_blank_secret_is_refused() {
    for secret in ["", " ", "\t\n"] {
        match Multicard::new(Config::new("app", secret, Environment::Sandbox)) {
            Err(Error::InvalidConfiguration { message }) => assert!(message.contains("secret"), "{message}"),
            other => panic!("{secret:?}: expected InvalidConfiguration, got {other:?}"),
        }
    }
    let lookup = |name: &str| match name {
        "MULTICARD_APPLICATION_ID" => Some("app".to_string()),
        "MULTICARD_SECRET" => Some("   ".to_string()),
        "MULTICARD_ENV" => Some("sandbox".to_string()),
        _ => None,
    };
    let error = Config::from_lookup(lookup).expect_err("a blank secret");
    assert!(error.to_string().contains("MULTICARD_SECRET"), "{error}");
}

// ---- no resend by the HTTP library (item 4) --------------------------------

/// An HTTP/2 server (prior knowledge, no TLS) that issues tokens and reads
/// every other request whole, then refuses its stream (`REFUSED_STREAM`).
async fn refusing_h2_server() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let writes = Arc::new(AtomicUsize::new(0));
    let seen = writes.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let Ok(mut connection) = h2::server::handshake(socket).await else { return };
                while let Some(Ok((request, respond))) = connection.accept().await {
                    tokio::spawn(answer(request, respond, seen.clone()));
                }
            });
        }
    });
    (address, writes)
}

async fn answer(
    request: http::Request<h2::RecvStream>,
    mut respond: h2::server::SendResponse<bytes::Bytes>,
    writes: Arc<AtomicUsize>,
) {
    let is_auth = request.uri().path() == "/auth";
    let mut body = request.into_body();
    while let Some(Ok(chunk)) = body.data().await {
        let _ = body.flow_control().release_capacity(chunk.len());
    }
    if is_auth {
        let token = json!({"token": "tok", "role": "dev", "expiry": expiry_in(ChronoDuration::hours(24))});
        let head = http::Response::builder().status(200).header("content-type", "application/json").body(()).unwrap();
        if let Ok(mut stream) = respond.send_response(head, false) {
            let _ = stream.send_data(bytes::Bytes::from(token.to_string()), true);
        }
        return;
    }
    writes.fetch_add(1, Ordering::SeqCst);
    respond.send_reset(h2::Reason::REFUSED_STREAM);
}

#[tokio::test]
async fn a_write_refused_by_an_http2_server_is_sent_once() {
    let (address, writes) = refusing_h2_server().await;
    let url = format!("http://{address}");

    // The test server really provokes a resend: reqwest's own defaults
    // send the same POST again.
    let defaults = reqwest::Client::builder().http2_prior_knowledge().build().unwrap();
    let _ = defaults.post(format!("{url}/payment")).json(&json!({"amount": 1})).send().await;
    let by_default = writes.swap(0, Ordering::SeqCst);
    assert!(by_default > 1, "reqwest's defaults resend a refused stream ({by_default} sends)");

    // The SDK's settings, as a user who brings a client starts from them.
    let http = multicard_api::config::http_client_builder().http2_prior_knowledge().build().unwrap();
    let config = Config::new(APPLICATION_ID, SECRET, Environment::Custom(url)).with_foreign_http_client(http);
    let client = Multicard::new(config).unwrap();
    let request = card_payment();
    let error = client.send(|api| api.create_payment().body(request.clone())).await.expect_err("refused");
    assert!(error.is_outcome_unknown(), "the server had the whole request: {error:?}");
    assert_eq!(writes.load(Ordering::SeqCst), 1, "the write was sent exactly once");
}

#[tokio::test]
async fn a_customized_client_cannot_turn_resends_back_on() {
    let (address, writes) = refusing_h2_server().await;
    let url = format!("http://{address}");
    // A policy that resends whatever failed, writes included.
    let resending = || {
        reqwest::retry::for_host("127.0.0.1")
            .no_budget()
            .max_retries_per_request(3)
            .classify_fn(|attempt| if attempt.error().is_some() { attempt.retryable() } else { attempt.success() })
    };
    let plain = reqwest::Client::builder().http2_prior_knowledge().retry(resending()).build().unwrap();
    let _ = plain.post(format!("{url}/payment")).json(&json!({"amount": 1})).send().await;
    let resent = writes.swap(0, Ordering::SeqCst);
    assert!(resent > 1, "the policy resends a refused write on its own ({resent} sends)");

    // The caller's changes try to turn that resend on, and to follow
    // redirects; the SDK's safety settings are applied after them.
    let config =
        Config::new(APPLICATION_ID, SECRET, Environment::Custom(url)).with_http_customization(move |builder| {
            builder.http2_prior_knowledge().retry(resending()).redirect(reqwest::redirect::Policy::limited(5))
        });
    let client = Multicard::new(config).unwrap();
    let request = card_payment();
    let error = client.send(|api| api.create_payment().body(request.clone())).await.expect_err("refused");
    assert!(error.is_outcome_unknown(), "the server had the whole request: {error:?}");
    assert_eq!(writes.load(Ordering::SeqCst), 1, "the write was sent exactly once");
}

#[test]
fn a_base_url_that_does_not_parse_is_not_echoed() {
    for url in ["http://user:hunter2-pass@[bad/", "https://merchant:hunter2-pass@exa mple.com/"] {
        let config = Config::new(APPLICATION_ID, SECRET, Environment::Custom(url.into()));
        let error = Multicard::new(config).expect_err("not a URL");
        let shown = format!("{error} {error:?}");
        assert!(matches!(error, Error::InvalidConfiguration { .. }), "{error:?}");
        assert!(!shown.contains("hunter2"), "the password is not shown: {shown}");
    }
    let config =
        Config::new(APPLICATION_ID, SECRET, Environment::Custom("http://api.multicard.uz/?key=hunter2".into()));
    let shown = Multicard::new(config).expect_err("plain http to Multicard").to_string();
    assert!(shown.contains("api.multicard.uz") && !shown.contains("hunter2"), "{shown}");
}

// ---- path parameters (item 9) ----------------------------------------------

#[tokio::test]
async fn a_path_parameter_that_would_change_the_route_is_refused_before_sending() {
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": {}})))
        .mount(&server)
        .await;
    let client = fake::client(&server);
    for bad in ["..", ".", ""] {
        let error = client.send(|api| api.charge_hold().payment_uuid(bad)).await.expect_err("refused");
        match &error {
            Error::InvalidRequest { operation: "charge_hold", message } => {
                assert!(message.contains("/payment/hold/{payment_uuid}/charge"), "{message}")
            }
            other => panic!("{bad:?}: expected InvalidRequest, got {other:?}"),
        }
        let error = client.send(|api| api.get_payment().uuid(bad)).await.expect_err("refused");
        assert!(matches!(error, Error::InvalidRequest { operation: "get_payment", .. }), "{bad:?}: {error:?}");
    }
    let requests = server.received_requests().await.unwrap();
    let sent: Vec<_> = requests.iter().map(|r| r.url.path()).filter(|p| *p != "/auth").collect();
    assert!(sent.is_empty(), "nothing but /auth was sent: {sent:?}");

    // The generated client used directly is held to the same rule.
    let error = client.api().get_payment().uuid("..").send().await.expect_err("refused");
    assert!(error.to_string().contains("/payment/{uuid}"), "{error}");

    // Ordinary values, and a dot inside one, still go through.
    client.send(|api| api.get_payment().uuid("a.b")).await.expect_err("an empty object is no payment");
    assert_eq!(count(&server, "/payment/a.b").await, 1);
}

// ---- one timeout for the whole call (item 7) -------------------------------

#[tokio::test]
async fn the_calls_timeout_bounds_waiting_for_a_token() {
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::from_secs(30)).await;
    let client = fake::client(&server);
    let request: types::ConfirmPaymentRequest = body(json!({"otp": "112233"}));
    let started = Instant::now();
    let error = client
        .send_with(CallOptions::new().timeout(Duration::from_millis(200)), |api| {
            api.confirm_payment().uuid(UUID).body(request.clone())
        })
        .await
        .expect_err("the token never comes");
    let waited = started.elapsed();
    assert!(waited < Duration::from_secs(5), "bounded by the call's timeout, not /auth's, took {waited:?}");
    match &error {
        Error::Transport { operation: "confirm_payment", kind: TransportKind::Timeout, message, .. } => {
            assert!(message.contains("not sent"), "{message}")
        }
        other => panic!("expected a timeout before sending, got {other:?}"),
    }
    assert!(!error.is_outcome_unknown(), "the write never left");
    assert_eq!(count(&server, &format!("/payment/{UUID}")).await, 0);

    // The client's own timeout does the same.
    let client = Multicard::new(fake::config(&server).with_timeout(Duration::from_millis(200))).unwrap();
    let started = Instant::now();
    let error = client.send(|api| api.get_application()).await.expect_err("the token never comes");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    assert!(matches!(error, Error::Transport { kind: TransportKind::Timeout, .. }), "{error:?}");
}

// ---- nothing secret in errors or logs, even echoed (item 6) ----------------

/// Answers with an error that repeats the request: its headers and body.
struct Echo {
    status: u16,
    envelope: bool,
}

impl Respond for Echo {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let headers: String =
            request.headers.iter().map(|(k, v)| format!("{k}: {}\n", v.to_str().unwrap_or(""))).collect();
        let echoed = format!("{headers}\n{}", String::from_utf8_lossy(&request.body));
        if self.envelope {
            return ResponseTemplate::new(self.status)
                .set_body_json(json!({"success": false, "error": {"code": "ERROR_FIELDS", "details": echoed}}));
        }
        ResponseTemplate::new(self.status).set_body_raw(format!("<html><pre>{echoed}</pre></html>"), "text/html")
    }
}

fn assert_clean(what: &str, text: &str, token: &str) {
    assert!(!text.contains(SECRET), "{what} holds the secret: {text}");
    assert!(!text.contains("2806"), "{what} holds the card's expiry: {text}");
    assert!(!text.contains(token), "{what} holds the token: {text}");
    assert!(!text.contains(PAN), "{what} holds the PAN: {text}");
}

#[tokio::test(flavor = "current_thread")]
async fn an_echoing_server_puts_no_secret_token_or_pan_in_errors_or_logs() {
    let (captured, _guard) = multicard_api_tests::logs::capture();
    let mut errors = Vec::new();

    // `/auth` echoes the request (the secret) in an HTML error page, and in
    // its own error shape.
    for (status, auth_shape) in [(500, false), (400, true)] {
        let server = MockServer::start().await;
        let responder = Echo { status, envelope: false };
        if auth_shape {
            Mock::given(method("POST"))
                .and(path("/auth"))
                .respond_with(move |request: &Request| {
                    let echoed = String::from_utf8_lossy(&request.body).to_string();
                    ResponseTemplate::new(400)
                        .set_body_json(json!({"errors": [{"message": [{"message": echoed.clone(), "field": echoed}]}]}))
                })
                .mount(&server)
                .await;
        } else {
            Mock::given(method("POST")).and(path("/auth")).respond_with(responder).mount(&server).await;
        }
        let client = Multicard::new(fake::config(&server).with_retry_policy(RetryPolicy::none())).unwrap();
        errors.push(client.send(|api| api.get_application()).await.expect_err("no token"));
    }

    // The other operations echo the request: the token in the header, the
    // PAN in the body; as an HTML page and inside the error envelope.
    for (status, envelope) in [(400, false), (502, false), (200, true), (400, true)] {
        let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
        Mock::given(method("POST")).and(path("/payment")).respond_with(Echo { status, envelope }).mount(&server).await;
        Mock::given(method("GET"))
            .and(path("/payment/application"))
            .respond_with(Echo { status, envelope })
            .mount(&server)
            .await;
        let client = Multicard::new(fake::config(&server).with_retry_policy(RetryPolicy::none())).unwrap();
        let request = card_payment();
        errors.push(client.send(|api| api.create_payment().body(request.clone())).await.expect_err("echoed"));
        errors.push(client.send(|api| api.get_application()).await.expect_err("echoed"));
    }

    // A card-number-shaped run in the vendor's own message is masked too.
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(method("GET")).and(path("/payment/card/check/8600533364098829")).respond_with(
        ResponseTemplate::new(200).set_body_json(
            json!({"success": false, "error": {"code": "ERROR_CARD_NOT_FOUND", "details": format!("Карта {PAN} не найдена")}}),
        ),
    ).mount(&server).await;
    let client = fake::client(&server);
    let error = client.send(|api| api.check_card_pan().pan(PAN)).await.expect_err("not found");
    assert!(error.to_string().contains("860053******8829"), "masked, not removed: {error}");
    errors.push(error);

    // Card numbers with other separators, and the card's expiry beside it.
    for details in [
        format!("card {PAN} 2806 refused"),
        "card 8600\t5333\t6409\t8829".into(),
        "8600.5333.6409.8829".into(),
        "８６００５３３３６４０９８８２９".into(),
    ] {
        let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
        Mock::given(method("POST"))
            .and(path("/payment"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"success": false, "error": {"code": "ERROR_FIELDS", "details": details}})),
            )
            .mount(&server)
            .await;
        let client = fake::client(&server);
        let request = card_payment();
        let error = client.send(|api| api.create_payment().body(request.clone())).await.expect_err("refused");
        for digits in ["5333", "６４０９"] {
            assert!(!error.to_string().contains(digits), "{details:?} -> {error}");
        }
        errors.push(error);
    }

    assert_eq!(errors.len(), 15);
    for error in &errors {
        // Every token the fake issues is `tok-N`.
        for text in [error.to_string(), format!("{error:?}")] {
            assert_clean("an error", &text, "tok-1");
        }
    }
    let logs = captured.text();
    assert!(!logs.is_empty(), "the calls were logged");
    for line in logs.lines() {
        assert_clean("a log line", line, "tok-1");
    }
    // The echo was there to be leaked: the snippets did keep the rest.
    assert!(errors.iter().any(|e| e.to_string().contains("<redacted>")), "{errors:#?}");
}

// ---- no panic on extreme settings, no credentials in a base URL ------------

#[tokio::test]
async fn an_unbounded_timeout_is_no_panic() {
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path("/payment/application"))
        .respond_with(ResponseTemplate::new(200).set_body_json(multicard_api_tests::fake::application_body()))
        .mount(&server)
        .await;
    let client = fake::client(&server);
    client
        .send_with(CallOptions::new().timeout(Duration::MAX), |api| api.get_application())
        .await
        .expect("no limit is a limit too");
    let policy = RetryPolicy::default().with_max_retry_after(Duration::MAX).with_jitter(false);
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path("/payment/application"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "18446744073709551615"))
        .mount(&server)
        .await;
    let client =
        Multicard::new(fake::config(&server).with_retry_policy(policy).with_timeout(Duration::from_secs(2))).unwrap();
    let error = client.send(|api| api.get_application()).await.expect_err("still 429");
    assert_eq!(error.status(), Some(429), "{error:?}");
}

#[test]
fn credentials_in_a_base_url_are_refused_and_never_printed() {
    let config = Config::new("app", "secret", Environment::Custom("https://svc:Pr0xyPassw0rd@gw.example/mc".into()));
    assert!(!format!("{config:?}").contains("Pr0xyPassw0rd"), "{config:?}");
    match Multicard::new(config) {
        Err(Error::InvalidConfiguration { message }) => {
            assert!(message.contains("credentials") && !message.contains("Pr0xyPassw0rd"), "{message}")
        }
        other => panic!("expected InvalidConfiguration, got {other:?}"),
    }
}

#[tokio::test]
async fn a_backslash_in_a_path_parameter_stays_inside_it() {
    let (server, _) = server_with_auth(ChronoDuration::hours(24), Duration::ZERO).await;
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"success": false, "error": {"code": "ERROR_NOT_FOUND"}})),
        )
        .mount(&server)
        .await;
    let client = fake::client(&server);
    let _ = client.send(|api| api.get_payment().uuid("mine\\..\\victim")).await;
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_string())
        .filter(|p| p != "/auth")
        .collect();
    assert_eq!(paths, ["/payment/mine%5C..%5Cvictim"], "one segment, as given");
}
