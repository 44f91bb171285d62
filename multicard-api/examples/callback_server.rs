//! A small axum server that receives, verifies and answers Multicard's
//! callbacks.
//!
//! ```sh
//! cargo run -p multicard-api --features axum --example callback_server            # demo: sends itself callbacks
//! cargo run -p multicard-api --features axum --example callback_server -- --serve  # serve on 127.0.0.1:8080
//! ```
//!
//! The secret is `MULTICARD_SECRET` (a demo secret when unset). With all
//! `MULTICARD_*` variables set, each verified callback is also confirmed
//! against the API before it is accepted.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::extract::{FromRef, State};
use axum::routing::post;
use axum::{Json, Router};
use multicard_api::Multicard;
use multicard_api::callbacks::axum::{UnverifiedCardBinding, VerifiedSuccess, VerifiedWebhook};
use multicard_api::callbacks::{self, CallbackReply, Verifier, testing};

#[derive(Clone)]
struct App {
    verifier: Verifier,
    /// Payments already accepted, by uuid: a repeat is answered success again.
    accepted: Arc<Mutex<HashSet<String>>>,
    /// The API, to confirm callbacks; `None` without credentials.
    multicard: Option<Multicard>,
}

impl FromRef<App> for Verifier {
    fn from_ref(app: &App) -> Verifier {
        app.verifier.clone()
    }
}

async fn on_success(State(app): State<App>, VerifiedSuccess(callback): VerifiedSuccess) -> CallbackReply {
    let key = callback.idempotency_key().to_string();
    if app.accepted.lock().unwrap().contains(&key) {
        println!("  success callback for {key}: a repeat, accepted again");
        return CallbackReply::accept();
    }
    if let Some(multicard) = &app.multicard {
        // The signature does not cover the uuid: confirm before granting value.
        if let Err(error) = callbacks::confirm_success(multicard, &callback).await {
            println!("  success callback for {key}: not confirmed ({error}); refusing");
            return CallbackReply::refuse_and_refund("Платёж не подтверждён");
        }
    }
    // Here: look up the order by callback.invoice_id, check the amount,
    // mark it paid. Refusing would cancel and refund the payment.
    app.accepted.lock().unwrap().insert(key.clone());
    println!("  success callback for {key}: {} tiyin for order {}, accepted", callback.amount, callback.invoice_id);
    CallbackReply::accept()
}

async fn on_webhook(VerifiedWebhook(webhook): VerifiedWebhook) -> CallbackReply {
    // `status` is not signed: read the payment before acting on it.
    println!("  webhook: payment {} reports status {}", webhook.uuid, webhook.status);
    CallbackReply::accept()
}

async fn on_card(State(app): State<App>, UnverifiedCardBinding(card): UnverifiedCardBinding) -> CallbackReply {
    // Unsigned: confirm against the API before storing the card token.
    match &app.multicard {
        Some(multicard) => match callbacks::confirm_card_binding(multicard, &card).await {
            Ok(_) => println!("  card {} bound and confirmed", card.card_pan.as_deref().unwrap_or("?")),
            Err(error) => println!("  card binding not confirmed: {error}"),
        },
        None => println!("  card binding for session {} received; confirm it before storing", card.payer_id),
    }
    CallbackReply::accept()
}

fn router(app: App) -> Router {
    Router::new()
        .route("/multicard/success", post(on_success))
        .route("/multicard/webhook", post(on_webhook))
        .route("/multicard/card", post(on_card))
        .route("/health", axum::routing::get(|| async { Json(serde_json::json!({"ok": true})) }))
        .with_state(app)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("MULTICARD_SECRET").unwrap_or_else(|_| "demo-secret".to_string());
    let app = App {
        verifier: Verifier::new(secret.clone()),
        accepted: Arc::default(),
        multicard: Multicard::from_env().ok(),
    };
    let serve = std::env::args().any(|a| a == "--serve");
    let address = if serve { "127.0.0.1:8080" } else { "127.0.0.1:0" };
    let listener = tokio::net::TcpListener::bind(address).await?;
    let url = format!("http://{}", listener.local_addr()?);
    println!("callback server on {url}");
    let server = tokio::spawn(async move { axum::serve(listener, router(app)).await });
    if serve {
        server.await??;
        return Ok(());
    }

    // The demo: Multicard's callbacks, as they arrive.
    let http = reqwest::Client::new();
    let uuid = "e60d8ebc-b9fe-11ef-b159-005056b4367d";
    let genuine = testing::success_body(6, "order-42", 150_000, uuid, &secret);
    let forged = testing::success_body(6, "order-42", 150_000, uuid, "a guessed secret");
    let webhook = testing::webhook_body(uuid, "order-42", 150_000, "success", &secret);
    let card = serde_json::json!({"id": 1, "payer_id": "688470c8060af", "card_pan": "986027******1519",
        "card_token": "6225f3c93f7a880142782fa4", "status": "active", "ps": "humo"})
    .to_string()
    .into_bytes();
    for (name, path, body) in [
        ("genuine success callback", "/multicard/success", genuine.clone()),
        ("the same callback again", "/multicard/success", genuine),
        ("forged success callback", "/multicard/success", forged),
        ("not JSON", "/multicard/success", b"<xml/>".to_vec()),
        ("status webhook", "/multicard/webhook", webhook),
        ("card-binding callback", "/multicard/card", card),
    ] {
        println!("{name}:");
        let response =
            http.post(format!("{url}{path}")).header("content-type", "application/json").body(body).send().await?;
        println!("  -> HTTP {} {}", response.status().as_u16(), response.text().await?);
    }
    Ok(())
}
