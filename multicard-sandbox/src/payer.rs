//! What a payer does outside the API: pays an invoice on its checkout page,
//! completes the hosted card-binding form, confirms an app payment in the
//! app. [`Sandbox`](crate::Sandbox) offers each as a method, and the pages
//! the API's links point to (`pages/`) do the same after a person fills
//! them in; both come here, so a page and a method move money the same
//! way. What they send (callbacks) goes out when due, by the sandbox's
//! clock.

use serde_json::Value;

use crate::answer::Refusal;
use crate::config::TEST_CARD_PAN;
use crate::state::{App, Outcome};
use crate::world::World;
use crate::world::callbacks::Outgoing;
use crate::world::cards::{NewCard, card_binding_body};
use crate::world::kinds::{CallbackKind, PaymentKind, PaymentStatus};
use crate::world::money::{DebitPlan, InvoicePayer};

/// Pays invoice `uuid` with the test card, as its checkout page does: the
/// payment is debited, then its success callback goes out.
pub(crate) fn pay_invoice(app: &App, uuid: &str) -> Result<Value, String> {
    pay_invoice_with(app, uuid, InvoicePayer::Card(TEST_CARD_PAN), DebitPlan::configured)
}

/// Pays invoice `uuid` by `payer`, debited as `plan` makes it from the
/// configuration; returns the payment's answer, or why it cannot be paid.
pub(crate) fn pay_invoice_with(
    app: &App,
    uuid: &str,
    payer: InvoicePayer<'_>,
    plan: impl FnOnce(&crate::config::SandboxConfig) -> DebitPlan,
) -> Result<Value, String> {
    let mut paid = Err(String::new());
    app.run(|world, config| {
        paid = world.pay_invoice(uuid, payer, plan(config), config).map_err(|r| reason(&r));
        Ok(Outcome::ok(Value::Null))
    });
    paid
}

/// Completes the hosted form of binding `session` with the test card; the
/// card-binding callback goes out.
pub(crate) fn complete_binding(app: &App, session: &str) -> Result<Value, String> {
    complete_binding_with(app, session, TEST_CARD_PAN)
}

/// Completes the hosted form of binding `session` with card `pan`.
pub(crate) fn complete_binding_with(app: &App, session: &str, pan: &str) -> Result<Value, String> {
    let mut bound = Err(String::new());
    app.run(|world, _| {
        bound = bind(world, session, pan);
        Ok(Outcome::ok(Value::Null))
    });
    bound
}

/// Binds card `pan` on the form of `session`; returns the callback's body.
fn bind(world: &mut World, session: &str, pan: &str) -> Result<Value, String> {
    let id = world.id();
    let binding = world.bindings.get(session).ok_or("no such binding session")?;
    if binding.card_token.is_some() {
        return Err("the binding is already complete".into());
    }
    let (callback_url, pinfl) = (binding.callback_url.clone(), binding.pinfl.clone());
    let added_on = world.stamp();
    let model = world.add_card(NewCard::hosted_form(id, session, pan, pinfl, added_on));
    if let Some(binding) = world.bindings.get_mut(session) {
        binding.card_token = model["card_token"].as_str().map(str::to_string);
    }
    let body = card_binding_body(&model);
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
pub(crate) fn reason(refusal: &Refusal) -> String {
    refusal.answer().body["error"]["details"].as_str().unwrap_or("not payable").to_string()
}
