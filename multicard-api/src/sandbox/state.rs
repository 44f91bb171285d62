//! The sandbox's world: what it holds for each API group, the payments the
//! groups make, the callbacks a payment triggers, and the dispatch of one
//! operation to its group (`auth.rs`, `invoices.rs`, `cards.rs`,
//! `payments.rs`, `refunds.rs`, `holds.rs`, `payouts.rs`, `reports.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::http::Method;
use serde_json::{Value, json};

use super::cards::{Binding, Card};
use super::holds::Hold;
use super::invoices::Invoice;
use super::otp::SmsLog;
use super::values::{hex, masked, new_uuid, now, text};
use super::{
    Answer, Delivery, STORE_ID, Shared, auth, cards, holds, invoices, payments, payouts, refunds, reports,
    tokens::Tokens,
};
use crate::callbacks::{success_signature, webhook_signature};
use crate::operation_table::OperationInfo;

/// The uuid of the sandbox's store (`STORE_ID` is its integer id).
pub(super) const STORE_UUID: &str = "2cbd6ec4-5fa1-11ef-9a1b-00505680eaf6";

/// An answer and the callbacks to send once the world's lock is released.
pub(super) type Outcome = (Answer, Vec<Outgoing>);

/// A callback to send once the world's lock is released.
pub(crate) struct Outgoing {
    pub(super) kind: &'static str,
    pub(super) url: String,
    pub(super) body: Value,
    pub(super) payment: Option<String>,
}

/// A payment or payout, as Multicard answers it, and what the sandbox
/// needs to know besides.
pub(super) struct Payment {
    pub(super) model: Value,
    /// `token`, `card`, `split`, `app`, `invoice`, `hold` or `payout`.
    pub(super) kind: &'static str,
    pub(super) needs_otp: bool,
    pub(super) refunded: i64,
    pub(super) is_payout: bool,
}

pub(crate) struct World {
    pub(super) base_url: String,
    pub(crate) tokens: Tokens,
    pub(super) invoices: BTreeMap<String, Invoice>,
    pub(super) cards: BTreeMap<String, Card>,
    pub(super) bindings: BTreeMap<String, Binding>,
    pub(super) payments: BTreeMap<String, Payment>,
    /// Payment uuids in the order they were made (the registries' order).
    pub(super) order: Vec<String>,
    pub(super) holds: Vec<Hold>,
    /// The one-time codes sent, by card.
    pub(super) sms: SmsLog,
    next_id: i64,
}

impl World {
    pub(crate) fn new(base_url: &str, max_tokens: usize) -> Self {
        Self {
            base_url: base_url.to_string(),
            tokens: Tokens::new(max_tokens),
            invoices: BTreeMap::new(),
            cards: BTreeMap::new(),
            bindings: BTreeMap::new(),
            payments: BTreeMap::new(),
            order: Vec::new(),
            holds: Vec::new(),
            sms: SmsLog::default(),
            next_id: 11_351_395,
        }
    }

    pub(crate) fn token_valid(&self, token: &str) -> bool {
        self.tokens.valid(token)
    }

    /// The next integer id (payments, holds and cards share one sequence).
    pub(super) fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    pub(super) fn store() -> Value {
        json!({"id": STORE_ID, "uuid": STORE_UUID, "title": "Sandbox store", "category_id": null, "note": null,
            "logo": null, "color": null, "tax_registration": 0, "qr_url": "", "bg_img": ""})
    }

    /// Makes a draft payment and returns its uuid. `card` is the card's
    /// token and PAN.
    pub(super) fn new_payment(
        &mut self,
        kind: &'static str,
        body: &Value,
        amount: i64,
        ps: &str,
        card: Option<(&str, &str)>,
    ) -> String {
        let uuid = new_uuid();
        let id = self.id();
        // Production sends a code for a payment by card data only: a token
        // payment (split or not) answers `otp_hash: null` and is confirmed
        // with `{}`.
        let needs_otp = kind == "card";
        let model = json!({
            "id": id, "uuid": uuid, "store_id": STORE_ID, "payment_amount": amount, "commission_type": "up",
            "commission_amount": 0, "total_amount": amount,
            "store_invoice_id": text(body, "invoice_id").unwrap_or_default(), "status": "draft",
            "callback_url": text(body, "callback_url"), "billing_id": text(body, "billing_id"), "phone": null, "ps": ps,
            "receipt_url": null, "card_token": card.map(|c| c.0), "card_pan": card.map(|c| masked(c.1)),
            "split": body.get("split").filter(|s| s.is_array()), "ofd": body.get("ofd").filter(|o| o.is_array()),
            "otp_hash": if needs_otp { Some(hex(32)) } else { None }, "payment_time": null, "refund_time": null,
            "added_on": now(), "store": World::store(),
            "checkout_url": if kind == "app" { Some(format!("{}/sandbox/app/{uuid}", self.base_url)) } else { None },
            "device_details": body.get("device_details").filter(|d| d.is_object()),
        });
        self.payments.insert(uuid.clone(), Payment { model, kind, needs_otp, refunded: 0, is_payout: false });
        self.order.push(uuid.clone());
        uuid
    }

    pub(super) fn model(&self, uuid: &str) -> Option<Value> {
        self.payments.get(uuid).map(|p| p.model.clone())
    }

    /// Marks a payment paid and returns the callbacks it triggers.
    pub(super) fn succeed(&mut self, uuid: &str, webhooks: bool, secret: &str) -> Vec<Outgoing> {
        let Some(payment) = self.payments.get_mut(uuid) else { return Vec::new() };
        payment.model["status"] = json!("success");
        payment.model["payment_time"] = json!(now());
        payment.model["otp_hash"] = Value::Null;
        payment.model["ps_uniq_id"] = json!(hex(12));
        payment.model["receipt_url"] = json!(format!("{}/sandbox/receipt/{uuid}", self.base_url));
        let mut out = Vec::new();
        let model = payment.model.clone();
        if let Some(url) = model["callback_url"].as_str().filter(|u| !u.is_empty()) {
            let amount = model["payment_amount"].as_i64().unwrap_or_default();
            let invoice_id = model["store_invoice_id"].as_str().unwrap_or_default();
            out.push(Outgoing {
                kind: "success",
                url: url.to_string(),
                // As production sends it (issue 12), not as documented: this
                // field order, `store_id` a JSON integer whatever the payment
                // was created with, `invoice_uuid` equal to `uuid`, a null
                // `billing_id`, no `status`.
                body: json!({
                    "store_id": STORE_ID, "amount": amount, "invoice_id": invoice_id, "invoice_uuid": uuid,
                    "billing_id": null, "payment_time": model["payment_time"], "phone": "998901234567",
                    "card_pan": model["card_pan"], "card_token": model["card_token"], "ps": model["ps"], "uuid": uuid,
                    "receipt_url": model["receipt_url"],
                    "sign": success_signature(&STORE_ID.to_string(), invoice_id, amount, secret),
                }),
                payment: Some(uuid.to_string()),
            });
        }
        out.extend(self.webhook(uuid, webhooks, secret));
        out
    }

    pub(super) fn webhook(&self, uuid: &str, enabled: bool, secret: &str) -> Option<Outgoing> {
        let model = &self.payments.get(uuid)?.model;
        let url = model["callback_url"].as_str().filter(|u| enabled && !u.is_empty())?;
        let amount = model["payment_amount"].as_i64().unwrap_or_default();
        let invoice_id = model["store_invoice_id"].as_str().unwrap_or_default();
        Some(Outgoing {
            kind: "webhook",
            url: url.to_string(),
            body: json!({
                "uuid": uuid, "amount": amount, "invoice_id": invoice_id, "status": model["status"],
                "billing_id": model["billing_id"], "payment_time": model["payment_time"], "refund_time": model["refund_time"],
                "phone": "998901234567", "card_pan": model["card_pan"], "ps": model["ps"], "card_token": model["card_token"],
                "receipt_url": model["receipt_url"], "sign": webhook_signature(uuid, invoice_id, amount, secret),
            }),
            payment: None,
        })
    }
}

/// Runs one operation.
pub(crate) fn dispatch(
    shared: &Arc<Shared>,
    operation: &OperationInfo,
    params: &BTreeMap<&'static str, String>,
    query: &BTreeMap<String, String>,
    body: Value,
) -> Answer {
    let (answer, outgoing) = {
        let mut world = shared.world.lock().unwrap_or_else(|p| p.into_inner());
        operate(shared, &mut world, operation, params, query, &body)
    };
    for message in outgoing {
        deliver(shared.clone(), message);
    }
    answer
}

/// Hands an operation to its group (the spec's tag).
fn operate(
    shared: &Shared,
    world: &mut World,
    operation: &OperationInfo,
    params: &BTreeMap<&'static str, String>,
    query: &BTreeMap<String, String>,
    body: &Value,
) -> Outcome {
    let config = &shared.config;
    let id = operation.id;
    match operation.tag {
        "auth" => auth::operate(config, world, body),
        "invoices" => invoices::operate(config, world, id, params, body),
        "cards" => cards::operate(config, world, id, params, body),
        "payments" => payments::operate(config, world, id, params, body),
        "refunds" => refunds::operate(config, world, id, params, body),
        "holds" => holds::operate(config, world, id, params, body),
        "payouts" => payouts::operate(world, id, params, body),
        "reports" => reports::operate(config, world, id, params, query),
        _ => (no_route(), Vec::new()),
    }
}

/// The answer for a route the sandbox does not serve.
pub(super) fn no_route() -> Answer {
    Answer::error(404, "ERROR_NOT_FOUND", "Маршрут не найден")
}

/// The pages a payer would use: the invoice checkout, the hosted card
/// form, the app that confirms an app payment.
pub(crate) fn sandbox_page(shared: &Arc<Shared>, method: &Method, page: &str) -> Answer {
    if method != Method::GET && method != Method::POST {
        return Answer::error(405, "ERROR_FIELDS", "GET or POST");
    }
    let (kind, id) = page.split_once('/').unwrap_or((page, ""));
    let result = match kind {
        "checkout" => invoices::pay_invoice(shared, id),
        "bind" => cards::complete_binding(shared, id),
        "app" => payments::complete_app_payment(shared, id),
        _ => Err("no such page".to_string()),
    };
    match result {
        Ok(data) => Answer::ok(data),
        Err(message) => Answer::error(404, "ERROR_NOT_FOUND", &message),
    }
}

/// Sends one callback, with retries, in the background.
pub(super) fn deliver(shared: Arc<Shared>, message: Outgoing) {
    let attempts = match message.kind {
        "success" => shared.config.callback_attempts,
        _ => shared.config.callback_attempts.max(1),
    };
    tokio::spawn(async move {
        for attempt in 1..=attempts {
            let result = shared.http.post(&message.url).json(&message.body).send().await;
            let (status, accepted, refused) = match result {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body: Value = response.json().await.unwrap_or(Value::Null);
                    let accepted = match message.kind {
                        "success" => status == 200 && body["success"] == true,
                        "webhook" => (200..300).contains(&status),
                        _ => status == 200,
                    };
                    // An answer that says no (rather than failing) is final.
                    let refused = message.kind == "success" && status == 200 && body["success"] == false;
                    (Some(status), accepted, refused)
                }
                Err(_) => (None, false, false),
            };
            shared.deliveries.lock().unwrap_or_else(|p| p.into_inner()).push(Delivery {
                kind: message.kind,
                url: message.url.clone(),
                body: message.body.clone(),
                attempt,
                status,
            });
            if accepted {
                return;
            }
            if refused {
                // The merchant refused the success callback: the payment is
                // cancelled and the payer refunded.
                if let Some(uuid) = &message.payment {
                    let mut world = shared.world.lock().unwrap_or_else(|p| p.into_inner());
                    if let Some(payment) = world.payments.get_mut(uuid) {
                        payment.model["status"] = json!("revert");
                        payment.model["refund_time"] = json!(now());
                        payment.model["callback_message"] = json!("refused by the merchant");
                    }
                }
                return;
            }
            if attempt < attempts {
                tokio::time::sleep(shared.config.callback_retry_delay).await;
            }
        }
    });
}
