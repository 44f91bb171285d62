//! What a payer does outside the API: pays an invoice on its checkout page,
//! completes the hosted card-binding form, confirms an app payment in the
//! app. [`Sandbox`](crate::Sandbox) offers each as a method, and the pages
//! the API's links point to do the same over HTTP (GET or POST):
//! `/sandbox/checkout/{uuid}`, `/sandbox/bind/{session_id}`,
//! `/sandbox/app/{uuid}`. What they send (callbacks) goes out when due, by
//! the sandbox's clock.

use axum::Router;
use axum::extract::State;
use axum::http::Method;
use axum::routing::{MethodFilter, any, on};
use serde_json::{Value, json};

use crate::answer::{Answer, Refusal};
use crate::config::TEST_CARD_PAN;
use crate::extract::Param;
use crate::state::{App, Outcome};
use crate::world::World;
use crate::world::callbacks::Outgoing;
use crate::world::cards::NewCard;
use crate::world::kinds::{CallbackKind, CardStatus, PaymentKind, PaymentStatus};
use crate::world::money::DebitPlan;

/// Pays invoice `uuid` with the test card on its checkout page: the payment
/// is debited, then its success callback goes out.
pub(crate) fn pay_invoice(app: &App, uuid: &str) -> Result<Value, String> {
    let mut paid = Err(String::new());
    app.run(|world, config| {
        paid = world.pay_invoice(uuid, "uzcard", DebitPlan::configured(config), config).map_err(|r| reason(&r));
        Ok(Outcome::ok(Value::Null))
    });
    paid
}

/// Completes the hosted form of binding `session` with the test card; the
/// card-binding callback goes out.
pub(crate) fn complete_binding(app: &App, session: &str) -> Result<Value, String> {
    let mut bound = Err(String::new());
    app.run(|world, _| {
        bound = bind(world, session);
        Ok(Outcome::ok(Value::Null))
    });
    bound
}

/// Binds the test card on the form of `session`; returns the callback's body.
fn bind(world: &mut World, session: &str) -> Result<Value, String> {
    let id = world.id();
    let binding = world.bindings.get(session).ok_or("no such binding session")?;
    if binding.card_token.is_some() {
        return Err("the binding is already complete".into());
    }
    let (callback_url, pinfl) = (binding.callback_url.clone(), binding.pinfl.clone());
    let model = world.add_card(NewCard {
        id,
        application_id: 9,
        payer_id: Some(session.to_string()),
        pan: TEST_CARD_PAN,
        phone: "998901234567".into(),
        holder_name: Some("SANDBOX PAYER".into()),
        pinfl,
        status: CardStatus::Active,
        added_on: world.stamp(),
    });
    if let Some(binding) = world.bindings.get_mut(session) {
        binding.card_token = model["card_token"].as_str().map(str::to_string);
    }
    let mut body = model;
    body["is_multicard"] = json!(false);
    world.send(Outgoing { kind: CallbackKind::CardBinding, url: callback_url, body: body.clone(), payment: None });
    Ok(body)
}

/// Completes app payment `uuid` as the payer's app would: the payment is
/// debited, then its success callback goes out.
pub(crate) fn complete_app_payment(app: &App, uuid: &str) -> Result<Value, String> {
    let mut paid = Err(String::new());
    app.run(|world, config| {
        paid = match world.payments.get(uuid) {
            Some(p) if p.kind == PaymentKind::App && p.status == PaymentStatus::Draft => {
                world.start_debit(uuid, DebitPlan::configured(config), config);
                world.payment_model(uuid).ok_or_else(|| "no such payment".into())
            }
            _ => Err("no app payment waiting".into()),
        };
        Ok(Outcome::ok(Value::Null))
    });
    paid
}

/// Why a refusal refused, in its own words.
fn reason(refusal: &Refusal) -> String {
    refusal.answer().body["error"]["details"].as_str().unwrap_or("not payable").to_string()
}

/// The payer's pages.
pub(crate) fn pages() -> Router<App> {
    let page = |action: fn(&App, &str) -> Result<Value, String>| {
        on(
            MethodFilter::GET.or(MethodFilter::POST),
            move |State(app): State<App>, Param(id): Param<String>| async move {
                action(&app, &id).map(Answer::ok).unwrap_or_else(|reason| Refusal::PageRefused(reason).answer())
            },
        )
        .fallback(|| async { Refusal::PageMethod })
    };
    Router::new()
        .route("/sandbox/checkout/{id}", page(pay_invoice))
        .route("/sandbox/bind/{id}", page(complete_binding))
        .route("/sandbox/app/{id}", page(complete_app_payment))
        .route("/sandbox/{*page}", any(no_page))
}

/// Any other page (the receipt pages are `receipt_pages.rs`).
async fn no_page(method: Method) -> Refusal {
    if method == Method::GET || method == Method::POST {
        Refusal::PageRefused("no such page".into())
    } else {
        Refusal::PageMethod
    }
}
