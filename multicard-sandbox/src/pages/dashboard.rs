//! The dashboard (`/sandbox/`): everything the sandbox holds (invoices,
//! payments with their statuses over time, holds, payouts, refunds, cards)
//! and every callback it sent (body, signature, the merchant's answer, how
//! long it took, what the answer meant), with its controls: move the clock,
//! inject a fault for the next call of an operation (the faults of
//! `/sandbox/admin/faults`), send a callback again. Read-mostly: each
//! control is a POST form that acts and comes back here (303).

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use multicard_api::operation_table::OPERATIONS;
use serde_json::{Value, json};

use super::guard::Form;
use super::html::{self, cut, escape, money, shown};
use crate::extract::Param;
use crate::state::{App, lock};
use crate::world::World;
use crate::world::callbacks::Outgoing;
use crate::world::kinds::{CallbackKind, PaymentKind};
use crate::{admin, runner};

/// The faults the dashboard offers, as `/sandbox/admin/faults` names them.
const FAULTS: [&str; 14] = [
    "lose_answer",
    "apply_later",
    "debit_unknown",
    "html_bad_gateway",
    "rbac_denied",
    "malformed_json",
    "drop_connection",
    "error_under_200",
    "too_many_requests",
    "delay",
    "delay_answer",
    "hang",
    "oversized",
    "respond",
];

/// The longest a merchant's answer or a body is shown, in characters.
const SHOWN: usize = 2000;

/// The most rows a table shows (the newest); the page says how many more
/// there are.
const MAX_ROWS: usize = 200;

/// `GET /sandbox/`.
pub(crate) async fn show(State(app): State<App>) -> Response {
    let faults: Vec<(String, usize)> = lock(&app.faults).iter().map(|(op, f)| (op.clone(), f.len())).collect();
    let world = lock(&app.world);
    let token = &app.pages.token;
    let delivery_faults = world.delivery_faults.len();
    let mut body = clock(&world, token);
    body.push_str(
        "<nav aria-label=\"Sections\"><p><a href=\"#invoices\">Invoices</a> · <a href=\"#payments\">Payments</a> · \
         <a href=\"#callbacks\">Callbacks</a> · <a href=\"#refunds\">Refunds</a> · <a href=\"#holds\">Holds</a> · \
         <a href=\"#payouts\">Payouts</a> · <a href=\"#cards\">Cards</a> · <a href=\"#faults\">Faults</a></p></nav>\n",
    );
    body.push_str(&invoices(&world));
    body.push_str(&payments(&world, false));
    body.push_str(&deliveries(&world, token));
    body.push_str(&refunds(&world));
    body.push_str(&holds(&world));
    body.push_str(&payments(&world, true));
    body.push_str(&cards(&world));
    body.push_str(&fault_forms(token, &faults, delivery_faults));
    html::answer(StatusCode::OK, html::document("Sandbox dashboard", &body))
}

/// `POST /sandbox/actions/{advance|fault|clear-faults|resend}`.
pub(crate) async fn act(State(app): State<App>, Param(action): Param<String>, form: Form) -> Response {
    let done = match action.as_str() {
        "advance" => advance(&app, &form).await,
        "fault" => fault(&app, &form),
        "clear-faults" => {
            lock(&app.faults).clear();
            lock(&app.world).delivery_faults.clear();
            Ok(())
        }
        "resend" => resend(&app, &form).await,
        "callback-timeout" => {
            lock(&app.world).delivery_faults.push_back(crate::faults::DeliveryFault::TimedOut);
            Ok(())
        }
        _ => Err("no such control".to_string()),
    };
    match done {
        Ok(()) => Redirect::to("/sandbox/").into_response(),
        Err(problem) => {
            html::problem(StatusCode::UNPROCESSABLE_ENTITY, "Not done", &format!("Nothing was done: {problem}."))
        }
    }
}

async fn advance(app: &App, form: &Form) -> Result<(), String> {
    let seconds: u64 = form.field("seconds").parse().map_err(|_| "the seconds must be a whole number, 0 or more")?;
    if seconds > 366 * 86_400 {
        return Err("move the clock by a year at most at once".into());
    }
    runner::advance(app, Duration::from_secs(seconds)).await;
    Ok(())
}

fn fault(app: &App, form: &Form) -> Result<(), String> {
    let operation =
        OPERATIONS.iter().find(|op| op.id == form.field("operation")).ok_or("choose an operation of the list")?;
    let kind = FAULTS.iter().find(|k| **k == form.field("kind")).ok_or("choose a fault of the list")?;
    let mut spec = json!({"kind": kind});
    for name in ["seconds", "retry_after", "size", "status"] {
        if !form.field(name).is_empty() {
            let number: u64 = form.field(name).parse().map_err(|_| format!("{name} must be a whole number"))?;
            spec[name] = json!(number);
        }
    }
    for name in ["then", "code", "content_type", "body"] {
        if !form.field(name).is_empty() {
            spec[name] = json!(form.field(name));
        }
    }
    let fault = admin::fault(&spec).map_err(|refusal| crate::payer::reason(&refusal))?;
    let times: usize = match form.field("times") {
        "" => 1,
        text => text.parse().ok().filter(|n| (1..=100).contains(n)).ok_or("times must be from 1 to 100")?,
    };
    lock(&app.faults).entry(operation.id.to_string()).or_default().extend(std::iter::repeat_n(fault, times));
    Ok(())
}

async fn resend(app: &App, form: &Form) -> Result<(), String> {
    let number: usize = form.field("delivery").parse().map_err(|_| "no callback was named")?;
    let sent = lock(&app.world).deliveries.all().into_iter().find(|d| d.number == number);
    let sent = sent.ok_or("that callback is no longer kept")?;
    let kind = match sent.kind {
        "success" => CallbackKind::Success,
        "webhook" => CallbackKind::Webhook,
        _ => CallbackKind::CardBinding,
    };
    let message = Outgoing { kind, url: sent.url, body: sent.body, payment: sent.payment };
    // Sent now, and its answer acted on, before the page comes back.
    runner::send_again(app, message, sent.attempt + 1).await;
    Ok(())
}

/// The time on the sandbox's clock, and the form that moves it.
fn clock(world: &World, token: &str) -> String {
    let mut out = format!(
        "<p>Now on the sandbox's clock: <strong>{}</strong>; events waiting: {}.</p>\n",
        escape(&world.clock.date().to_string()),
        world.schedule.len()
    );
    let fields = format!(
        "{}<button type=\"submit\">Move the clock on</button>\n",
        html::input("seconds", "Move the clock on by (seconds)", "inputmode=\"numeric\" value=\"60\" required")
    );
    out.push_str(&html::form("/sandbox/actions/advance", token, &fields));
    out
}

/// The forms that inject faults, and the faults waiting.
fn fault_forms(token: &str, faults: &[(String, usize)], delivery_faults: usize) -> String {
    let mut out = String::from("<h2 id=\"faults\">Inject a fault</h2>\n");
    let options = |items: &mut dyn Iterator<Item = &str>| -> String {
        items.map(|item| format!("<option value=\"{0}\">{0}</option>", escape(item))).collect()
    };
    let fields = format!(
        "<label for=\"operation\">For the next call of</label><select id=\"operation\" name=\"operation\">{}</select>\n\
         <label for=\"kind\">Fault</label><select id=\"kind\" name=\"kind\">{}</select>\n{}\
         <label for=\"then\">Then (debit_unknown)</label><select id=\"then\" name=\"then\"><option value=\"\">-</option>\
         <option value=\"success\">success</option><option value=\"error\">error</option></select>\n{}{}{}{}{}{}{}\
         <button type=\"submit\">Inject</button>\n",
        options(&mut OPERATIONS.iter().map(|op| op.id)),
        options(&mut FAULTS.iter().copied()),
        html::input(
            "fault-seconds",
            "Seconds (apply_later, debit_unknown, delay, delay_answer, hang)",
            "inputmode=\"numeric\""
        )
        .replace("name=\"fault-seconds\"", "name=\"seconds\""),
        html::input("code", "Error code (error_under_200)", ""),
        html::input("retry_after", "Retry-After seconds (too_many_requests)", "inputmode=\"numeric\""),
        html::input("size", "Answer size in bytes (oversized)", "inputmode=\"numeric\""),
        html::input("status", "HTTP status (respond)", "inputmode=\"numeric\""),
        html::input("content_type", "Content type (respond)", ""),
        html::input("body", "Body (respond)", ""),
        html::input("times", "Times", "inputmode=\"numeric\" value=\"1\""),
    );
    out.push_str(&html::form("/sandbox/actions/fault", token, &fields));
    let button = "<button type=\"submit\" class=\"secondary\">The next callback times out</button>\n";
    out.push_str(&html::form("/sandbox/actions/callback-timeout", token, button));
    if !faults.is_empty() || delivery_faults > 0 {
        out.push_str("<h3>Waiting</h3>\n<ul>\n");
        for (operation, count) in faults {
            out.push_str(&format!("<li>{}: {count} waiting</li>\n", escape(operation)));
        }
        if delivery_faults > 0 {
            out.push_str(&format!("<li>the next {delivery_faults} callback(s) time out</li>\n"));
        }
        out.push_str("</ul>\n");
        let button = "<button type=\"submit\" class=\"secondary\">Clear the faults</button>\n";
        out.push_str(&html::form("/sandbox/actions/clear-faults", token, button));
    }
    out
}

/// A table with a caption, header cells and rows (cells already escaped).
/// The newest [`MAX_ROWS`] of `items` (oldest first, as they are kept), and
/// how many there are in all: only those shown are formatted.
fn newest<T>(items: impl Iterator<Item = T>) -> (usize, Vec<T>) {
    let mut items: Vec<T> = items.collect();
    let total = items.len();
    (total, items.split_off(total.saturating_sub(MAX_ROWS)))
}

/// A table under its heading: `rows` are the newest of `total` (cells
/// already escaped).
fn table(id: &str, caption: &str, headers: &[&str], total: usize, rows: Vec<Vec<String>>) -> String {
    let mut out = format!("<h2 id=\"{id}\">{caption}</h2>\n");
    if rows.is_empty() {
        out.push_str("<p>None yet.</p>\n");
        return out;
    }
    let more = total.saturating_sub(rows.len());
    if more > 0 {
        out.push_str(&format!("<p>The newest {MAX_ROWS} are shown; {more} older are not.</p>\n"));
    }
    out.push_str(&format!("<table aria-labelledby=\"{id}\">\n<thead><tr>"));
    for header in headers {
        out.push_str(&format!("<th scope=\"col\">{header}</th>"));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            out.push_str(&format!("<td>{cell}</td>"));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    out
}

fn invoices(world: &World) -> String {
    let now = world.now();
    let mut by_age: Vec<_> = world.invoices.iter().collect();
    by_age.sort_by(|(_, a), (_, b)| a.model["added_on"].as_str().cmp(&b.model["added_on"].as_str()));
    let (total, recent) = newest(by_age.into_iter());
    let rows = recent
        .into_iter()
        .map(|(uuid, invoice)| {
            let status = match invoice.status(now) {
                crate::world::kinds::InvoiceStatus::Open => "open",
                crate::world::kinds::InvoiceStatus::Paid => "paid",
                crate::world::kinds::InvoiceStatus::Cancelled { .. } => "cancelled",
            };
            vec![
                format!("<a href=\"/sandbox/checkout/{0}\"><code>{0}</code></a>", escape(uuid)),
                shown(&invoice.model["invoice_id"]),
                money(&invoice.model["amount"]),
                status.to_string(),
                invoice.payment.as_deref().map(|p| format!("<code>{}</code>", escape(p))).unwrap_or_default(),
            ]
        })
        .collect();
    table("invoices", "Invoices", &["Invoice (checkout page)", "Order", "Amount", "Status", "Payment"], total, rows)
}

/// Payments (or, with `payouts`, payouts) in the order they were made.
fn payments(world: &World, payouts: bool) -> String {
    let kept = world.order.iter().filter_map(|uuid| world.payments.get(uuid).map(|p| (uuid, p)));
    let (total, recent) = newest(kept.filter(|(_, p)| p.kind.is_payout() == payouts));
    let rows = recent
        .into_iter()
        .map(|(uuid, payment)| {
            let model = payment.model();
            let history: Vec<String> = payment
                .history
                .iter()
                .map(|(at, status)| format!("{} ({})", shown(&json!(status)), escape(at)))
                .collect();
            vec![
                format!("<code>{}</code>", escape(uuid)),
                escape(kind_name(payment.kind)),
                shown(&model["store_invoice_id"]),
                money(&model["payment_amount"]),
                format!("{} {}", shown(&model["ps"]), shown(&model["card_pan"])),
                format!("<strong>{}</strong>", shown(&model["status"])),
                history.join(" → "),
            ]
        })
        .collect();
    let (id, caption) = if payouts { ("payouts", "Payouts") } else { ("payments", "Payments") };
    let headers = ["Uuid", "Kind", "Order", "Amount", "Paid with", "Status", "Statuses over time"];
    table(id, caption, &headers, total, rows)
}

fn kind_name(kind: PaymentKind) -> &'static str {
    match kind {
        PaymentKind::Token => "by card token",
        PaymentKind::Card => "by card data",
        PaymentKind::Split => "split",
        PaymentKind::App => "in an app",
        PaymentKind::Invoice => "invoice",
        PaymentKind::Hold => "hold",
        PaymentKind::Payout => "payout",
    }
}

fn refunds(world: &World) -> String {
    let kept = world.order.iter().filter_map(|uuid| world.payments.get(uuid).map(|p| (uuid, p)));
    let (total, recent) = newest(kept.filter(|(_, p)| p.refunded > 0));
    let rows = recent
        .into_iter()
        .map(|(uuid, payment)| {
            let model = payment.model();
            vec![
                format!("<code>{}</code>", escape(uuid)),
                money(&Value::from(payment.refunded)),
                money(&model["payment_amount"]),
                shown(&model["refund_time"]),
                shown(&model["status"]),
            ]
        })
        .collect();
    table("refunds", "Refunds", &["Payment", "Refunded", "Of", "Last refund at", "Status"], total, rows)
}

fn holds(world: &World) -> String {
    let (total, recent) = newest(world.holds.iter());
    let rows = recent
        .into_iter()
        .map(|hold| {
            let model = hold.model(None);
            vec![
                escape(&hold.id.to_string()),
                format!("<code>{}</code>", escape(&hold.payment)),
                shown(&model["status"]),
                escape(&hold.expiry),
            ]
        })
        .collect();
    table("holds", "Holds", &["Hold id", "Payment", "Status", "Runs out at"], total, rows)
}

fn cards(world: &World) -> String {
    let mut by_age: Vec<_> = world.cards.values().collect();
    by_age.sort_by(|a, b| a.fields["added_on"].as_str().cmp(&b.fields["added_on"].as_str()));
    let (total, recent) = newest(by_age.into_iter());
    let rows = recent
        .into_iter()
        .map(|card| {
            let model = card.model();
            vec![
                shown(&model["card_pan"]),
                format!("<code>{}</code>", shown(&model["card_token"])),
                shown(&model["payer_id"]),
                shown(&model["status"]),
            ]
        })
        .collect();
    table("cards", "Cards", &["Card", "Token", "Payer id", "Status"], total, rows)
}

fn deliveries(world: &World, token: &str) -> String {
    let (total, mut sent) = newest(world.deliveries.all().into_iter());
    sent.reverse();
    let rows = sent
        .into_iter()
        .map(|d| {
            let body = serde_json::to_string_pretty(&d.body).unwrap_or_default();
            let answer = d.answer.as_deref().map(|a| cut(a, SHOWN)).unwrap_or_else(|| "(no answer)".into());
            let button = format!(
                "<input type=\"hidden\" name=\"delivery\" value=\"{}\">\
                 <button type=\"submit\" class=\"secondary\">Send again</button>\n",
                d.number
            );
            vec![
                format!("{} (attempt {})", d.number, d.attempt),
                escape(d.kind),
                format!("<code>{}</code>", escape(&d.url)),
                escape(&d.at),
                format!("{} ms", d.took.as_millis()),
                d.status.map_or_else(|| "none".to_string(), |s| s.to_string()),
                format!("<strong>{}</strong>", escape(d.outcome.as_str())),
                format!("<code>{}</code>", shown(&d.body["sign"])),
                format!(
                    "<details><summary>Body</summary><pre>{}</pre></details>\
                     <details><summary>Answer</summary><pre>{}</pre></details>",
                    escape(&cut(&body, SHOWN)),
                    escape(&answer)
                ),
                html::form("/sandbox/actions/resend", token, &button),
            ]
        })
        .collect();
    let headers =
        ["#", "Kind", "To", "Sent at", "Took", "HTTP status", "Meant", "Signature", "Body and answer", "Action"];
    table("callbacks", "Callbacks sent (newest first)", &headers, total, rows)
}
