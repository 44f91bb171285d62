//! The `invoices` group: invoices with a checkout link and a lifetime, paid
//! on the checkout page (`payer.rs`) or by a code from the payer's app
//! (scanpay), and cancelled by a delete.
//!
//! As in production, not as the vendor's pages say: a delete answers
//! `data: []`; an invoice deleted, or whose lifetime ran out unpaid, reads
//! with the undocumented `status: "cancelled"` for a while, then
//! `ERROR_TRANS_NOT_READY` (`world/invoices.rs`). An open invoice has no
//! `status`.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use multicard_api::time::MulticardDateTime;
use serde_json::json;

use crate::answer::{Answer, Refusal};
use crate::config::STORE_ID;
use crate::extract::{Body, Param, Plan};
use crate::registry::Registry;
use crate::state::{App, Outcome};
use crate::world::invoices::Invoice;
use crate::world::money::InvoicePayer;
use crate::world::values::{integer, is_our_store, new_uuid, text};

/// The longest lifetime the sandbox keeps (ten years); a longer `ttl`
/// is cut to it.
const MAX_TTL_SECONDS: i64 = 10 * 365 * 86_400;

pub(crate) fn register(registry: &mut Registry) {
    registry
        .add("create_invoice", create_invoice)
        .add("get_invoice", get_invoice)
        .add("cancel_invoice", cancel_invoice)
        .add("scanpay_invoice", scanpay_invoice);
}

async fn create_invoice(State(app): State<App>, Body(body): Body) -> Answer {
    app.run(|world, _| {
        let store = text(&body, "store_id").ok_or(Refusal::Missing("Store Id"))?;
        let invoice_id = text(&body, "invoice_id").ok_or(Refusal::Missing("Invoice Id"))?;
        let callback_url = text(&body, "callback_url").ok_or(Refusal::Missing("Callback Url"))?;
        // The gate's rules refused an amount not above zero and an invoice
        // without `ofd`.
        let amount = integer(&body, "amount").unwrap_or_default();
        let ofd = body["ofd"].clone();
        if !is_our_store(&store) {
            return Err(Refusal::WrongStore(StatusCode::OK));
        }
        let ttl = integer(&body, "ttl").filter(|t| *t > 0).unwrap_or(86_400).min(MAX_TTL_SECONDS);
        // It runs out `ttl` seconds from now on the sandbox's clock.
        let expires_at = world.now().saturating_add(Duration::from_secs(ttl.unsigned_abs()));
        let expires_on = MulticardDateTime::from_utc(world.clock.utc_at(expires_at)).to_string();
        let added_on = world.stamp();
        let uuid = new_uuid();
        let base_url = &world.base_url;
        let model = json!({
            "uuid": uuid, "store_id": STORE_ID, "amount": amount, "invoice_id": invoice_id,
            "return_url": text(&body, "return_url"), "return_error_url": text(&body, "return_error_url"),
            "callback_url": callback_url, "ofd": ofd, "split": null, "sms": text(&body, "sms"), "payment": null,
            "checkout_url": format!("{base_url}/sandbox/checkout/{uuid}"),
            "deeplink": format!("{base_url}/sandbox/checkout/{uuid}?app=1"), "added_on": added_on, "updated_on": null,
        });
        world.invoices.insert(uuid, Invoice::new(model.clone(), callback_url, expires_at, expires_on));
        Ok(Outcome::ok(model))
    })
}

async fn get_invoice(State(app): State<App>, Param(uuid): Param<String>) -> Answer {
    app.run(|world, config| Ok(Outcome::ok(world.invoice_answer(&uuid, config)?)))
}

async fn cancel_invoice(State(app): State<App>, Param(uuid): Param<String>) -> Answer {
    app.run(|world, _| {
        let (now, on) = (world.now(), world.stamp());
        let invoice = world.invoices.get_mut(&uuid).ok_or(Refusal::NotFound(StatusCode::BAD_REQUEST))?;
        invoice.delete(now, on)?;
        Ok(Outcome::ok(json!([])))
    })
}

async fn scanpay_invoice(
    State(app): State<App>,
    Param(uuid): Param<String>,
    Plan(plan): Plan,
    Body(body): Body,
) -> Answer {
    app.run(|world, config| {
        let code = text(&body, "code").ok_or(Refusal::Missing("Code"))?;
        let invoice = world.invoices.get(&uuid).ok_or(Refusal::NotFound(StatusCode::OK))?;
        invoice.payable(world.now())?;
        if code.len() < 6 {
            return Err(Refusal::WrongScanpayCode);
        }
        Ok(Outcome::ok(world.pay_invoice(&uuid, InvoicePayer::App("payme"), plan, config)?))
    })
}
