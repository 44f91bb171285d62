//! An invoice's checkout page (`/sandbox/checkout/{uuid}`, the invoice's
//! `checkout_url`): what is paid for (store, order, amount, the items of
//! its fiscal receipt), a card form and the apps to pay in; and what became
//! of it once paid. GET shows; each POST acts, then sends the browser back
//! to the page (303), so a reload never pays twice.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;

use super::guard::Form;
use super::html::{self, escape, money, shown};
use super::pending::Purpose;
use super::{card_step, paths};
use crate::extract::Param;
use crate::payer;
use crate::state::{App, lock};
use crate::world::World;
use crate::world::kinds::InvoiceStatus;
use crate::world::kinds::PaymentStatus;
use crate::world::money::InvoicePayer;
use crate::world::values::APPS;

/// `GET /sandbox/checkout/{uuid}`.
pub(crate) async fn show(State(app): State<App>, Param(uuid): Param<String>) -> Response {
    page(&app, &uuid, StatusCode::OK, "")
}

/// `POST /sandbox/checkout/{uuid}/card`: a card entered; on to its
/// one-time code.
pub(crate) async fn card(State(app): State<App>, Param(uuid): Param<String>, form: Form) -> Response {
    let payable = {
        let world = lock(&app.world);
        world.invoices.get(&uuid).map(|invoice| invoice.payable(world.now()).is_ok())
    };
    match payable {
        None => return no_invoice(),
        Some(false) => return page(&app, &uuid, StatusCode::CONFLICT, "This invoice cannot be paid any more."),
        Some(true) => {}
    }
    match card_step(&app, &form, Purpose::Invoice(uuid.clone())) {
        Ok(step) => Redirect::to(&paths::code(&step)).into_response(),
        Err(problem) => page(&app, &uuid, StatusCode::UNPROCESSABLE_ENTITY, &problem),
    }
}

/// `POST /sandbox/checkout/{uuid}/app`: paid in the app chosen.
pub(crate) async fn in_app(State(app): State<App>, Param(uuid): Param<String>, form: Form) -> Response {
    let Some(chosen) = APPS.iter().find(|a| **a == form.field("app")) else {
        return page(&app, &uuid, StatusCode::UNPROCESSABLE_ENTITY, "Choose one of the apps listed.");
    };
    match payer::pay_invoice_with(&app, &uuid, InvoicePayer::App(chosen), crate::world::money::DebitPlan::configured) {
        Ok(_) => Redirect::to(&paths::checkout(&uuid)).into_response(),
        Err(reason) => page(&app, &uuid, StatusCode::CONFLICT, &format!("Not paid: {reason}.")),
    }
}

/// A GET of a form's address (a reload after a refused card): the page.
pub(crate) async fn back(Param(uuid): Param<String>) -> Redirect {
    Redirect::to(&paths::checkout(&uuid))
}

fn no_invoice() -> Response {
    html::problem(StatusCode::NOT_FOUND, "No such invoice", "The sandbox has no invoice at this address.")
}

/// The page for invoice `uuid`, with `problem` (plain text) above the form
/// when there is one.
fn page(app: &App, uuid: &str, status: StatusCode, problem: &str) -> Response {
    let world = lock(&app.world);
    let Some(invoice) = world.invoices.get(uuid) else { return no_invoice() };
    let model = &invoice.model;
    let mut body = String::new();
    if !problem.is_empty() {
        body.push_str(&format!("<p class=\"error\" role=\"alert\">{}</p>\n", escape(problem)));
    }
    body.push_str("<dl>\n");
    body.push_str(&format!("<dt>Store</dt><dd>Sandbox store (id {})</dd>\n", shown(&model["store_id"])));
    body.push_str(&format!("<dt>Order</dt><dd>{}</dd>\n", shown(&model["invoice_id"])));
    body.push_str(&format!("<dt>Amount</dt><dd class=\"amount\">{}</dd>\n", money(&model["amount"])));
    body.push_str("</dl>\n");
    if let Some(items) = model["ofd"].as_array().filter(|items| !items.is_empty()) {
        body.push_str(&items_table(items));
    }
    match invoice.status(world.now()) {
        InvoiceStatus::Open => body.push_str(&forms(&app.pages.token, uuid)),
        InvoiceStatus::Cancelled { on, .. } => {
            body.push_str(&format!(
                "<p class=\"note\" role=\"status\">This invoice was cancelled on {} (deleted, or its time ran out): \
                 it cannot be paid.</p>\n",
                escape(&on)
            ));
            body.push_str(&html::store_link(model["return_error_url"].as_str(), "Back to the store"));
        }
        InvoiceStatus::Paid => {
            if let Some(payment) = invoice.payment.as_deref() {
                body.push_str(&paid(&world, payment));
                let failed = world.payments.get(payment).is_some_and(|p| p.status == PaymentStatus::Error);
                let back = if failed { "return_error_url" } else { "return_url" };
                body.push_str(&html::store_link(model[back].as_str(), "Back to the store"));
            }
        }
    }
    html::answer(status, html::document(&format!("Pay {}", money(&model["amount"])), &body))
}

/// The items of the invoice's fiscal receipt.
fn items_table(items: &[Value]) -> String {
    let mut table = String::from(
        "<table class=\"items\">\n<caption>Items</caption>\n<thead><tr><th scope=\"col\">Name</th>\
         <th scope=\"col\">Qty</th><th scope=\"col\">Price</th><th scope=\"col\">Total</th></tr></thead>\n<tbody>\n",
    );
    for item in items {
        table.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            shown(&item["name"]),
            shown(&item["qty"]),
            money(&item["price"]),
            money(&item["total"])
        ));
    }
    table.push_str("</tbody></table>\n");
    table
}

/// The card form and the apps, for an invoice still open.
fn forms(token: &str, uuid: &str) -> String {
    let mut out = String::from("<h2>Pay by card</h2>\n");
    let fields = format!(
        "{}{}<button type=\"submit\">Continue</button>\n",
        html::input("pan", "Card number", "inputmode=\"numeric\" autocomplete=\"cc-number\" required"),
        html::input(
            "expiry",
            "Expiry (YYMM, as Multicard writes it)",
            "inputmode=\"numeric\" autocomplete=\"off\" required"
        ),
    );
    out.push_str(&html::form(&format!("{}/card", paths::checkout(uuid)), token, &fields));
    out.push_str(&html::cards_note());
    out.push_str("<h2>Pay in an app</h2>\n");
    let mut buttons = String::new();
    for app in APPS {
        buttons.push_str(&format!(
            "<button type=\"submit\" class=\"secondary\" name=\"app\" value=\"{app}\">Pay in {app}</button>\n"
        ));
    }
    out.push_str(&html::form(&format!("{}/app", paths::checkout(uuid)), token, &buttons));
    out
}

/// What became of the invoice's payment.
fn paid(world: &World, payment: &str) -> String {
    let Some(model) = world.payment_model(payment) else { return String::new() };
    let status = model["status"].as_str().unwrap_or_default();
    let (class, said) = match status {
        "success" => ("ok", "Paid."),
        "billing" => ("note", "Debited: the store is being told (its success callback is out)."),
        "progress" => ("note", "Being debited. Reload this page to see how it ends."),
        "error" => ("error", "Declined: the card was not debited."),
        "revert" => ("note", "Refunded, or cancelled after it was debited."),
        _ => ("note", "Waiting."),
    };
    let mut out =
        format!("<p class=\"{class}\" role=\"status\">{said} Payment status: <code>{}</code>.</p>\n", escape(status));
    out.push_str("<dl>\n");
    out.push_str(&format!("<dt>Payment</dt><dd><code>{}</code></dd>\n", escape(payment)));
    out.push_str(&format!("<dt>Paid with</dt><dd>{} {}</dd>\n", shown(&model["ps"]), shown(&model["card_pan"])));
    if let Some(receipt) = model["receipt_url"].as_str() {
        out.push_str(&format!("<dt>Receipt</dt><dd><a href=\"{}\">the payment's receipt</a></dd>\n", escape(receipt)));
    }
    out.push_str("</dl>\n");
    if let Some(p) = world.payments.get(payment) {
        out.push_str(&super::history_list(&p.history));
    }
    out
}
