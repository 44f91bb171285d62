//! The `invoices` group: invoices with a checkout link and a lifetime, paid
//! on the checkout page or by a code from the payer's app (scanpay), and
//! cancelled by a delete.
//!
//! As in production, not as the vendor's pages say: a delete answers
//! `data: []`; an invoice deleted, or whose lifetime ran out unpaid, reads
//! with the undocumented `status: "cancelled"` for
//! `cancelled_invoice_readable_for`, and `get_invoice` answers
//! `ERROR_TRANS_NOT_READY` after that. An open invoice has no `status`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::state::{Outcome, Outgoing, STORE_UUID, World, deliver};
use super::values::{card_token, integer, need, new_uuid, not_found, now, param, text};
use super::{Answer, STORE_ID, SandboxConfig, Shared, TEST_CARD_PAN};
use crate::time::MulticardDateTime;

/// The longest lifetime the sandbox keeps (ten years); a longer `ttl`
/// is cut to it.
const MAX_TTL_SECONDS: i64 = 10 * 365 * 86_400;

/// An invoice and what the sandbox needs to know besides its model.
pub(super) struct Invoice {
    model: Value,
    expires_at: Instant,
    /// `expires_at` as Multicard writes it.
    expires_on: String,
    /// When it was deleted, if it was deleted while open.
    deleted: Option<(Instant, String)>,
    callback_url: String,
}

impl Invoice {
    fn paid(&self) -> bool {
        self.model["payment"].is_object()
    }

    /// When it was cancelled, if it was: deleted, or its lifetime ran out
    /// unpaid. A paid invoice is never cancelled.
    fn cancelled(&self, now: Instant) -> Option<(Instant, String)> {
        if self.paid() {
            return None;
        }
        if let Some(deleted) = &self.deleted {
            return Some(deleted.clone());
        }
        (now >= self.expires_at).then(|| (self.expires_at, self.expires_on.clone()))
    }

    /// What `get_invoice` answers: the model, `cancelled` for a while after
    /// a cancellation, then `ERROR_TRANS_NOT_READY`.
    fn read(&self, config: &SandboxConfig) -> Answer {
        let now = Instant::now();
        match self.cancelled(now) {
            None => Answer::ok(self.model.clone()),
            Some((at, on)) if now.saturating_duration_since(at) < config.cancelled_invoice_readable_for => {
                let mut model = self.model.clone();
                model["status"] = json!("cancelled");
                model["updated_on"] = json!(on);
                Answer::ok(model)
            }
            Some(_) => not_ready(),
        }
    }
}

fn not_ready() -> Answer {
    Answer::error(400, "ERROR_TRANS_NOT_READY", "Транзакция завершена или не готова")
}

pub(super) fn operate(
    config: &SandboxConfig,
    world: &mut World,
    operation: &str,
    params: &BTreeMap<&'static str, String>,
    body: &Value,
) -> Outcome {
    let uuid = param(params, "uuid");
    match operation {
        "create_invoice" => create(world, body),
        "get_invoice" => match world.invoices.get(uuid) {
            None => (not_found(200), Vec::new()),
            Some(invoice) => (invoice.read(config), Vec::new()),
        },
        "cancel_invoice" => match world.invoices.get_mut(uuid) {
            None => (not_found(400), Vec::new()),
            Some(invoice) if invoice.paid() => {
                (Answer::fields("Транзакция по инвойсу завершена. Запросите детали платежа"), Vec::new())
            }
            Some(invoice) => {
                if invoice.cancelled(Instant::now()).is_none() {
                    invoice.deleted = Some((Instant::now(), now()));
                }
                (Answer::ok(json!([])), Vec::new())
            }
        },
        "scanpay_invoice" => {
            let code = need!(text(body, "code"), "Code");
            if let Err(answer) = world.invoice_open(uuid) {
                return (answer, Vec::new());
            }
            if code.len() < 6 {
                return (Answer::fields("Неверный код, либо приложение не поддерживается"), Vec::new());
            }
            let (model, out) = world.invoice_payment(uuid, "payme", config.status_webhooks, &config.secret);
            (Answer::ok(model.unwrap_or(Value::Null)), out)
        }
        _ => (super::state::no_route(), Vec::new()),
    }
}

fn create(world: &mut World, body: &Value) -> Outcome {
    let store = need!(text(body, "store_id"), "Store Id");
    let amount = need!(integer(body, "amount").filter(|a| *a > 0), "Amount");
    let invoice_id = need!(text(body, "invoice_id"), "Invoice Id");
    let callback_url = need!(text(body, "callback_url"), "Callback Url");
    let ofd = need!(body.get("ofd").filter(|o| o.is_array()).cloned(), "Ofd");
    if store != STORE_ID.to_string() && store != STORE_UUID {
        return (Answer::error(200, "ERROR_FIELDS", "Неверный store_id"), Vec::new());
    }
    let ttl = integer(body, "ttl").filter(|t| *t > 0).unwrap_or(86_400).min(MAX_TTL_SECONDS);
    let expires_on = MulticardDateTime::from_utc(chrono::Utc::now() + chrono::Duration::seconds(ttl)).to_string();
    let uuid = new_uuid();
    let model = json!({
        "uuid": uuid, "store_id": STORE_ID, "amount": amount, "invoice_id": invoice_id,
        "return_url": text(body, "return_url"), "return_error_url": text(body, "return_error_url"),
        "callback_url": callback_url, "ofd": ofd, "split": null, "sms": text(body, "sms"), "payment": null,
        "checkout_url": format!("{}/sandbox/checkout/{uuid}", world.base_url),
        "deeplink": format!("{}/sandbox/checkout/{uuid}?app=1", world.base_url), "added_on": now(), "updated_on": null,
    });
    world.invoices.insert(
        uuid,
        Invoice {
            model: model.clone(),
            expires_at: Instant::now() + Duration::from_secs(ttl.unsigned_abs()),
            expires_on,
            deleted: None,
            callback_url,
        },
    );
    (Answer::ok(model), Vec::new())
}

impl World {
    /// `Ok` while invoice `uuid` can be paid.
    fn invoice_open(&self, uuid: &str) -> Result<(), Answer> {
        match self.invoices.get(uuid) {
            None => Err(not_found(200)),
            Some(invoice) if invoice.paid() || invoice.cancelled(Instant::now()).is_some() => Err(not_ready()),
            Some(_) => Ok(()),
        }
    }

    /// Pays invoice `uuid` through `ps`; returns the payment and its callbacks.
    fn invoice_payment(
        &mut self,
        uuid: &str,
        ps: &str,
        webhooks: bool,
        secret: &str,
    ) -> (Option<Value>, Vec<Outgoing>) {
        let Some(invoice) = self.invoices.get(uuid) else { return (None, Vec::new()) };
        let body = json!({"invoice_id": invoice.model["invoice_id"], "callback_url": invoice.callback_url,
            "ofd": invoice.model["ofd"]});
        let amount = invoice.model["amount"].as_i64().unwrap_or_default();
        let token = card_token();
        let card = (ps == "uzcard").then_some((token.as_str(), TEST_CARD_PAN));
        let payment = self.new_payment("invoice", &body, amount, ps, card);
        let out = self.succeed(&payment, webhooks, secret);
        let model = self.model(&payment);
        if let Some(invoice) = self.invoices.get_mut(uuid) {
            invoice.model["payment"] = model.clone().unwrap_or(Value::Null);
            invoice.model["updated_on"] = json!(now());
        }
        (model, out)
    }
}

/// Pays invoice `uuid` on its checkout page, as a payer would.
pub(super) fn pay_invoice(shared: &Arc<Shared>, uuid: &str) -> Result<Value, String> {
    let (model, out) = {
        let mut world = shared.world.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(answer) = world.invoice_open(uuid) {
            return Err(answer.body["error"]["details"].as_str().unwrap_or("not payable").to_string());
        }
        world.invoice_payment(uuid, "uzcard", shared.config.status_webhooks, &shared.config.secret)
    };
    for message in out {
        deliver(shared.clone(), message);
    }
    model.ok_or_else(|| "no such invoice".into())
}
