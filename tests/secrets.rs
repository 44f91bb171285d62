//! No public type's `Debug` or `Display`, no error and no log line holds the
//! secret or the token; spans name the operation and its path template,
//! never a card token.

use std::sync::Arc;
use std::time::Duration;

use chrono::Duration as ChronoDuration;
use futures_util::FutureExt;
use multicard_api::token_cache::{Fetch, Fetched, RefreshPolicy, SystemClock, TokenCache};
use multicard_api::transport::ClientState;
use multicard_api::{Client, Config, Environment, Error, Multicard};
use multicard_api_tests::fake::{application_body, expiry_in};
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const SECRET: &str = "CANARY-SECRET-7f3a";
const TOKEN: &str = "CANARY-TOKEN-91bc";
const CARD_TOKEN: &str = "CANARYCARD6225f3c93f7a88";

/// `/auth` that accepts only the canary secret and issues the canary token
/// (the same value each time, so a leak of any generation is caught).
struct CanaryAuth;

impl Respond for CanaryAuth {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
        if body["secret"] != SECRET {
            return ResponseTemplate::new(400)
                .set_body_json(json!({"errors": [{"message": [{"message": "Invalid Credentials"}]}]}));
        }
        ResponseTemplate::new(200)
            .set_body_json(json!({"token": TOKEN, "role": "dev", "expiry": expiry_in(ChronoDuration::hours(24))}))
    }
}

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(SECRET), "{what} holds the secret: {text}");
    assert!(!text.contains(TOKEN), "{what} holds the token: {text}");
    assert!(!text.contains("CANARY"), "{what} holds a canary: {text}");
}

#[tokio::test(flavor = "current_thread")]
async fn no_debug_display_error_or_log_line_holds_the_secret_or_the_token() {
    let (captured, _guard) = multicard_api_tests::logs::capture();

    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/auth")).respond_with(CanaryAuth).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/payment/application"))
        .respond_with(ResponseTemplate::new(401).set_body_raw("expired", "text/plain"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/payment/application"))
        .respond_with(ResponseTemplate::new(200).set_body_json(application_body()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/payment/card/{CARD_TOKEN}")))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"success": false, "error": {"code": "ERROR_CARD_NOT_FOUND", "details": "Неверный номер карты"}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/payment/a81b7b62-6d86-11f0-9a1b-00505680eaf6"))
        .respond_with(ResponseTemplate::new(502).set_body_raw("<html>Bad Gateway</html>", "text/html"))
        .mount(&server)
        .await;

    let config = Config::new("rhmt_test", SECRET, Environment::Custom(server.uri()));
    assert_clean("Config Debug", &format!("{config:?}"));
    let client = Multicard::new(config.clone()).unwrap();

    let mut errors: Vec<Error> = Vec::new();
    client.send(|api| api.get_application()).await.expect("401, refresh, replay, success");
    errors.push(client.send(|api| api.get_card().card_token(CARD_TOKEN)).await.unwrap_err());
    errors.push(client.send(|api| api.get_payment().uuid("a81b7b62-6d86-11f0-9a1b-00505680eaf6")).await.unwrap_err());
    let token = client.tokens().get().await.unwrap();
    assert_eq!(token.expose(), TOKEN, "the token is there, just never printed");

    // /auth refusing a wrong secret, and a transport failure.
    let wrong =
        Multicard::new(Config::new("rhmt_test", "CANARY-wrong-secret", Environment::Custom(server.uri()))).unwrap();
    errors.push(wrong.send(|api| api.get_application()).await.unwrap_err());
    let nowhere = Multicard::new(
        Config::new("rhmt_test", SECRET, Environment::Custom("http://127.0.0.1:9".into()))
            .with_timeout(Duration::from_millis(500)),
    )
    .unwrap();
    errors.push(nowhere.send(|api| api.get_application()).await.unwrap_err());
    assert_eq!(errors.len(), 4);

    // Every public type that holds a secret or a token.
    let static_state = ClientState::with_bearer_token(TOKEN).unwrap();
    let raw = Client::new_with_client(&server.uri(), reqwest::Client::new(), static_state.clone());
    // A cache on its own, its fetch handing out `TOKEN`.
    let fetch: Fetch =
        Arc::new(|_| async { Ok(Fetched::new(SecretString::from(TOKEN), Some(Duration::from_secs(3600)))) }.boxed());
    let cache =
        Arc::new(TokenCache::new(fetch, RefreshPolicy::default(), Duration::from_secs(5), Arc::new(SystemClock)));
    let from_cache = cache.get().await.unwrap();
    assert_eq!(from_cache.expose(), TOKEN);
    let printed = [
        ("Multicard", format!("{client:?}")),
        ("Client", format!("{:?}", client.api())),
        ("raw Client with a static token", format!("{raw:?}")),
        ("ClientState", format!("{static_state:?}")),
        ("TokenCache", format!("{:?}", client.tokens())),
        ("new TokenCache", format!("{cache:?}")),
        ("Token from a new TokenCache", format!("{from_cache:?}")),
        ("Token", format!("{token:?}")),
    ];
    for (what, text) in &printed {
        assert_clean(what, text);
    }
    for error in &errors {
        assert_clean("error Display", &error.to_string());
        assert_clean("error Debug", &format!("{error:?}"));
        let mut source = std::error::Error::source(error);
        while let Some(inner) = source {
            assert_clean("error source", &inner.to_string());
            source = inner.source();
        }
    }

    let logs = captured.text();
    assert_clean("the logs", &logs);
    assert!(!logs.contains(CARD_TOKEN), "a card token in the logs");
    // The spans say what happened, in the terms of the spec.
    assert!(logs.contains("multicard.call"), "{logs}");
    assert!(logs.contains("operation=\"get_card\"") || logs.contains("operation=get_card"), "{logs}");
    assert!(logs.contains("/payment/card/{card_token}"), "the path template is logged: {logs}");
    assert!(logs.contains("token refreshed"), "one event per refresh: {logs}");
    assert!(logs.contains("attempts=2"), "the 401 replay shows as a second attempt: {logs}");
}
