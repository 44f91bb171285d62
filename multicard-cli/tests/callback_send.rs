//! `multicard callback send` against a merchant's server on loopback that
//! checks what it receives with the SDK's own extractors
//! (`multicard_api::callbacks::axum`): a callback made of flags verifies
//! and is accepted; one made of a running sandbox's payment is confirmed
//! against that sandbox's API; a 500 freezes, a 404 cancels and refunds;
//! production, Multicard's hosts and a real secret over plain http are
//! refused before anything is sent.

mod support;

use std::process::Output;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{Next, from_fn};
use axum::routing::post;
use multicard_api::Multicard;
use multicard_api::callbacks::axum::{
    CallbackState, ConfirmedSuccess, UnverifiedCardBinding, VerifiedSuccess, VerifiedWebhook,
};
use multicard_api::callbacks::{CallbackReply, Verifier};
use multicard_sandbox::{SECRET, Sandbox};
use serde_json::Value;
use support::run_env;

/// What the merchant's server saw: every request's path, and what each
/// handler received.
#[derive(Default)]
struct Seen {
    paths: Vec<String>,
    accepted: Vec<String>,
}

/// A merchant's server on loopback: `/verified` (a success callback whose
/// signature holds), `/confirmed` (one the sandbox's API confirms),
/// `/webhook`, `/binding`, `/500`, `/404`. Its URL and what it saw.
async fn merchant(sandbox: &Sandbox) -> (String, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let state = CallbackState::new(Verifier::new(SECRET).unwrap(), Multicard::new(sandbox.config()).unwrap());
    let (paths, accepted) = (seen.clone(), seen.clone());
    let accept = move |what: String| {
        accepted.lock().unwrap().accepted.push(what);
        CallbackReply::accept()
    };
    let (a, b, c, d) = (accept.clone(), accept.clone(), accept.clone(), accept);
    let app = Router::new()
        .route("/verified", post(move |VerifiedSuccess(cb): VerifiedSuccess| async move { a(cb.uuid) }))
        .route(
            "/confirmed",
            post(move |cb: ConfirmedSuccess| async move { b(format!("confirmed {}", cb.idempotency_key())) }),
        )
        .route(
            "/webhook",
            post(move |VerifiedWebhook(hook): VerifiedWebhook| async move { c(hook.status.to_string()) }),
        )
        .route(
            "/binding",
            post(move |UnverifiedCardBinding(card): UnverifiedCardBinding| async move { d(card.card_token) }),
        )
        .route("/500", post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "busy\u{1b}[2J") }))
        .route("/404", post(|| async { StatusCode::NOT_FOUND }))
        .layer(from_fn(move |request: Request, next: Next| {
            paths.lock().unwrap().paths.push(request.uri().path().to_string());
            next.run(request)
        }))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

fn text(output: &Output) -> (String, String) {
    (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

async fn send(to: &str, kind: &str, more: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec!["callback", "send", "--to", to, "--kind", kind];
    args.extend_from_slice(more);
    run_env("http://127.0.0.1:9", &args, env).await
}

#[tokio::test]
async fn a_callback_made_of_flags_is_verified_by_the_sdk_and_its_answer_judged_by_the_vendors_rules() {
    let sandbox = Sandbox::start().await.unwrap();
    let (url, seen) = merchant(&sandbox).await;

    let accepted = send(&format!("{url}/verified"), "success", &["--amount", "2500sum", "--uuid", "u-1"], &[]).await;
    let (stdout, stderr) = text(&accepted);
    assert_eq!(accepted.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("HTTP 200") && stdout.contains("Multicard would: accepted"), "{stdout}");
    assert!(stdout.contains(r#""amount":250000"#) && stdout.contains(r#""card_token":"<redacted>""#), "{stdout}");
    assert_eq!(seen.lock().unwrap().accepted, ["u-1"], "the SDK's verifier took the signature");

    let frozen = send(&format!("{url}/500"), "success", &[], &[]).await;
    let (stdout, stderr) = text(&frozen);
    assert_eq!(frozen.status.code(), Some(15), "{stdout}{stderr}");
    assert!(stdout.contains("HTTP 500: busy\\u{1b}[2J") && stdout.contains("Multicard would: frozen"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "nothing from the merchant reaches the terminal raw");

    let refunded = send(&format!("{url}/404"), "success", &["-o", "json"], &[]).await;
    assert_eq!(refunded.status.code(), Some(15));
    let shown: Value = serde_json::from_slice(&refunded.stdout).expect("one JSON object");
    assert_eq!((shown["answer"]["status"].as_u64(), shown["outcome"].as_str()), (Some(404), Some("refused")));
    assert!(shown["meaning"].as_str().unwrap().starts_with("cancelled and refunded"), "{shown}");
    assert_eq!(shown["body"]["store_id"], 6, "an integer store id, as production sends it");
    let fields: Vec<&String> = shown["body"].as_object().unwrap().keys().collect();
    assert_eq!(fields[..4], ["store_id", "amount", "invoice_id", "invoice_uuid"], "production's field order");

    let webhook = send(&format!("{url}/webhook"), "webhook", &["--status", "revert"], &[]).await;
    assert_eq!(webhook.status.code(), Some(0), "{:?}", text(&webhook));
    let binding = send(&format!("{url}/binding"), "binding", &["--card-token", "T0kenT0kenT0kenT0ken12"], &[]).await;
    assert_eq!(binding.status.code(), Some(0), "{:?}", text(&binding));
    let not_bound = send(&format!("{url}/500"), "binding", &[], &[]).await;
    assert_eq!(not_bound.status.code(), Some(15));
    assert!(text(&not_bound).0.contains("not accepted: sent again 60 s later"));

    // Signed with another secret (a test application's), the sandbox's verifier refuses it: 500.
    let other =
        send(&format!("{url}/verified"), "success", &["--secret-env", "SHOP_SECRET"], &[("SHOP_SECRET", "other")])
            .await;
    assert_eq!(other.status.code(), Some(15));
    assert!(text(&other).0.contains("signed with the secret in SHOP_SECRET"));

    let seen = seen.lock().unwrap();
    assert_eq!(seen.accepted, ["u-1", "revert", "T0kenT0kenT0kenT0ken12"]);
    assert_eq!(seen.paths.len(), 7, "{:?}", seen.paths);
}

#[tokio::test]
async fn a_callback_of_a_running_sandboxs_payment_is_confirmed_against_its_api() {
    let sandbox = Sandbox::start().await.unwrap();
    let (url, seen) = merchant(&sandbox).await;
    let payment = support::paid_payment(&sandbox, 180_000, "order-77").await;
    let home = std::env::temp_dir().join(format!("multicard-callback-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).unwrap();
    let home_env = home.to_str().unwrap();
    let to = format!("{url}/confirmed");

    let none = send(&to, "success", &["--payment", &payment], &[("MULTICARD_SANDBOX_HOME", home_env)]).await;
    assert_eq!(none.status.code(), Some(14), "{:?}", text(&none));
    assert!(text(&none).1.contains("start one with `multicard sandbox start`"));

    let running = serde_json::json!({"url": sandbox.url(), "pid": std::process::id()});
    std::fs::write(home.join("running.json"), running.to_string()).unwrap();
    let sent = send(&to, "success", &["--payment", &payment], &[("MULTICARD_SANDBOX_HOME", home_env)]).await;
    let (stdout, stderr) = text(&sent);
    assert_eq!(sent.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains(r#""invoice_id":"order-77""#), "{stdout}");
    assert_eq!(seen.lock().unwrap().accepted, [format!("confirmed {payment}")]);
}

#[tokio::test]
async fn production_multicards_hosts_and_a_real_secret_over_plain_http_are_refused_before_sending() {
    let sandbox = Sandbox::start().await.unwrap();
    let (url, seen) = merchant(&sandbox).await;
    let to = format!("{url}/verified");
    let to = to.as_str();
    let dir = std::env::temp_dir().join(format!("multicard-callback-profile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let profile = dir.join("config.toml");
    std::fs::write(
        &profile,
        "application_id = \"shop\"\nbase_url = \"https://proxy.shop.example\"\nproduction = true\n",
    )
    .unwrap();
    let profile = profile.to_str().unwrap();
    let refusals = [
        (to, vec![], vec![("MULTICARD_CONFIG", profile)], "configuration is production"),
        (to, vec![], vec![("MULTICARD_BASE_URL", "https://mesh.multicard.uz")], "configuration is production"),
        (
            to,
            vec!["--secret-env", "SHOP"],
            vec![("MULTICARD_ENV", "production"), ("MULTICARD_BASE_URL", ""), ("SHOP", "s3cret")],
            "production",
        ),
        ("https://dev-mesh.multicard.uz/cb", vec![], vec![], "Multicard's host"),
        ("http://10.20.30.40:8080/cb", vec!["--secret-env", "SHOP"], vec![("SHOP", "s3cret")], "not loopback"),
    ];
    for (to, more, env, expected) in refusals {
        let output = send(to, "success", &more, &env).await;
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{to} {env:?}: {stdout}{stderr}");
        assert!(stderr.contains(expected) && stderr.contains("nothing was sent"), "{stderr}");
        assert!(!stderr.contains("s3cret"), "the secret is never printed");
    }
    assert!(seen.lock().unwrap().paths.is_empty(), "the server saw no request");
}
