//! The receipt pages the payments' links point to, on the sandbox's own
//! URL: `/sandbox/fiscal/{f_num}` (a fiscal receipt, the `qr_url` of a
//! payment's `tax` or `refund_tax`) and `/sandbox/receipt/{uuid}` (a
//! payment's `receipt_url`). HTML, GET only, read without changing
//! anything. Every value on them is escaped: item names come from whoever
//! created the invoice or payment.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

use crate::answer::Refusal;
use crate::extract::Param;
use crate::pages::html::{escape, money, shown};
use crate::state::{App, lock};
use crate::world::World;
use crate::world::receipts::{FISCAL_MODULE, FiscalReceipt};

/// The receipt pages.
pub(crate) fn pages() -> Router<App> {
    let read_only = || async { Refusal::ReceiptMethod };
    Router::new()
        .route("/sandbox/fiscal/{f_num}", get(fiscal).fallback(read_only))
        .route("/sandbox/receipt/{uuid}", get(payment).fallback(read_only))
}

/// A receipt no one issued: answered as any page that does not exist.
fn no_page() -> Response {
    Refusal::PageRefused("no such page".into()).into_response()
}

fn html(body: String) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

async fn fiscal(State(app): State<App>, Param(f_num): Param<String>) -> Response {
    let world = lock(&app.world);
    match world.receipts.get(&f_num) {
        Some(receipt) => html(fiscal_page(&world, receipt)),
        None => no_page(),
    }
}

async fn payment(State(app): State<App>, Param(uuid): Param<String>) -> Response {
    let world = lock(&app.world);
    match world.payments.get(&uuid).filter(|p| !p.kind.is_payout() && !p.fields["receipt_url"].is_null()) {
        Some(payment) => html(payment_page(&world, &payment.model())),
        None => no_page(),
    }
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n<body><main>\n\
         <h1>{title}</h1>\n{body}</main></body></html>\n"
    )
}

/// A link to receipt `f_num`'s page.
fn link(world: &World, f_num: &str) -> String {
    match world.receipts.get(f_num) {
        Some(receipt) => format!("<a href=\"{}\">{}</a>", escape(&receipt.url(&world.base_url)), escape(f_num)),
        None => escape(f_num),
    }
}

fn fiscal_page(world: &World, receipt: &FiscalReceipt) -> String {
    let title = if receipt.is_refund { "Refund receipt" } else { "Fiscal receipt" };
    let mut body = String::from("<dl>\n");
    let mut row = |name: &str, value: String| body.push_str(&format!("<dt>{name}</dt><dd>{value}</dd>\n"));
    row("Fiscal sign (f_num)", escape(&receipt.f_num));
    row("Fiscal module (fm_num)", escape(FISCAL_MODULE));
    row("Receipt id", receipt.id.to_string());
    row("Payment", escape(&receipt.payment));
    row("Issued on", escape(&receipt.issued_on));
    if let Some(cancels) = &receipt.cancels {
        row("Cancels", link(world, cancels));
    }
    match &receipt.cancelled_by {
        Some(refund) => row("Status", format!("cancelled by {}", link(world, refund))),
        None => row("Status", "valid".into()),
    }
    body.push_str("</dl>\n");
    body.push_str(&items_table(&receipt.items));
    let totals = receipt
        .items
        .iter()
        .map(|item| item["total"].as_i64())
        .try_fold(0i64, |sum, total| total.and_then(|t| sum.checked_add(t)));
    if let Some(totals) = totals {
        body.push_str(&format!("<p class=\"totals\">Items' totals: {}</p>\n", money(&Value::from(totals))));
    }
    body.push_str(&format!("<p class=\"amount\">Amount: {}</p>\n", money(&Value::from(receipt.amount))));
    document(title, &body)
}

/// The items: name, codes, quantity, price, VAT and total.
fn items_table(items: &[Value]) -> String {
    let mut table = String::from(
        "<table class=\"items\">\n<thead><tr><th>Name</th><th>MXIK</th><th>Package code</th><th>Qty</th>\
         <th>Price</th><th>VAT, %</th><th>Total</th></tr></thead>\n<tbody>\n",
    );
    for item in items {
        table.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            shown(&item["name"]),
            shown(&item["mxik"]),
            shown(&item["package_code"]),
            shown(&item["qty"]),
            money(&item["price"]),
            shown(&item["vat"]),
            money(&item["total"]),
        ));
    }
    table.push_str("</tbody></table>\n");
    table
}

fn payment_page(world: &World, model: &Value) -> String {
    let mut body = String::from("<dl>\n");
    let mut row = |name: &str, value: String| body.push_str(&format!("<dt>{name}</dt><dd>{value}</dd>\n"));
    row("Payment", shown(&model["uuid"]));
    row("Order", shown(&model["store_invoice_id"]));
    row("Status", shown(&model["status"]));
    row("Paid on", shown(&model["payment_time"]));
    row("Card", shown(&model["card_pan"]));
    row("Amount", money(&model["payment_amount"]));
    for (name, field) in [("Fiscal receipt", "tax"), ("Refund receipt", "refund_tax")] {
        if let Some(f_num) = model[field]["f_num"].as_str() {
            row(name, link(world, f_num));
        }
    }
    body.push_str("</dl>\n");
    if let Some(items) = model["ofd"].as_array() {
        body.push_str(&items_table(items));
    }
    document("Payment receipt", &body)
}
