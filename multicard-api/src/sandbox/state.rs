//! The sandbox's world: tokens, invoices, cards, payments, holds, payouts,
//! and the rules Multicard applies to them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::http::Method;
use serde_json::{Value, json};

use super::{Answer, Delivery, STORE_ID, Shared, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP, tokens::Tokens};
use crate::callbacks::{success_signature, webhook_signature};
use crate::time::MulticardDateTime;

/// 10 million UZS in tiyin: payouts above it need `kyc_data`.
const KYC_THRESHOLD: i64 = 1_000_000_000;
const STORE_UUID: &str = "2cbd6ec4-5fa1-11ef-9a1b-00505680eaf6";

fn now() -> String {
    MulticardDateTime::from_utc(chrono::Utc::now()).to_string()
}

fn hex(len: usize) -> String {
    (0..len).map(|_| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0')).collect()
}

fn new_uuid() -> String {
    format!("{}-{}-11f0-{}-{}", hex(8), hex(4), hex(4), hex(12))
}

fn masked(pan: &str) -> String {
    if pan.len() < 10 {
        return "*".repeat(pan.len());
    }
    format!("{}******{}", &pan[..6], &pan[pan.len() - 4..])
}

fn payment_system_of(pan: &str) -> &'static str {
    match pan.as_bytes().first() {
        _ if pan.starts_with("8600") || pan.starts_with("5614") => "uzcard",
        _ if pan.starts_with("9860") => "humo",
        Some(b'4') => "visa",
        Some(b'5') => "mastercard",
        _ => "uzcard",
    }
}

fn text(body: &Value, field: &str) -> Option<String> {
    match body.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

fn integer(body: &Value, field: &str) -> Option<i64> {
    match body.get(field) {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
}

fn missing(field: &str) -> Answer {
    Answer::fields(&format!("Необходимо заполнить «{field}»."))
}

macro_rules! need {
    ($value:expr, $field:expr) => {
        match $value {
            Some(v) => v,
            None => return (missing($field), Vec::new()),
        }
    };
}

/// A callback to send once the world's lock is released.
pub(crate) struct Outgoing {
    kind: &'static str,
    url: String,
    body: Value,
    payment: Option<String>,
}

struct Card {
    model: Value,
    pan: String,
    pinfl: Option<String>,
    awaiting_otp: bool,
}

struct Binding {
    store_id: i64,
    callback_url: String,
    card_token: Option<String>,
    pinfl: Option<String>,
}

struct Payment {
    model: Value,
    kind: &'static str,
    needs_otp: bool,
    refunded: i64,
    is_payout: bool,
}

struct Invoice {
    model: Value,
    expires_at: Instant,
    cancelled: bool,
    callback_url: String,
}

struct Hold {
    id: i64,
    payment: String,
    status: &'static str,
    charged: bool,
    expiry: String,
    added_on: String,
    updated_on: Option<String>,
}

pub(crate) struct World {
    base_url: String,
    pub(crate) tokens: Tokens,
    invoices: BTreeMap<String, Invoice>,
    cards: BTreeMap<String, Card>,
    bindings: BTreeMap<String, Binding>,
    payments: BTreeMap<String, Payment>,
    order: Vec<String>,
    holds: Vec<Hold>,
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
            next_id: 11_351_395,
        }
    }

    pub(crate) fn token_valid(&self, token: &str) -> bool {
        self.tokens.valid(token)
    }

    fn id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    fn store() -> Value {
        json!({"id": STORE_ID, "uuid": STORE_UUID, "title": "Sandbox store", "category_id": null, "note": null,
            "logo": null, "color": null, "tax_registration": 0, "qr_url": "", "bg_img": ""})
    }

    fn new_payment(
        &mut self,
        kind: &'static str,
        body: &Value,
        amount: i64,
        ps: &str,
        card: Option<(&str, &str)>,
    ) -> String {
        let uuid = new_uuid();
        let id = self.id();
        let needs_otp = matches!(kind, "token" | "card" | "split");
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

    fn model(&self, uuid: &str) -> Option<Value> {
        self.payments.get(uuid).map(|p| p.model.clone())
    }

    /// Marks a payment paid and returns the callbacks it triggers.
    fn succeed(&mut self, uuid: &str, webhooks: bool, secret: &str) -> Vec<Outgoing> {
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

    fn webhook(&self, uuid: &str, enabled: bool, secret: &str) -> Option<Outgoing> {
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

    fn bound_card(&self, token: &str) -> Option<Value> {
        self.cards.get(token).map(|c| c.model.clone())
    }

    fn hold_model(&self, hold: &Hold) -> Value {
        json!({"id": hold.id, "status": hold.status, "expiry": hold.expiry, "added_on": hold.added_on,
            "updated_on": hold.updated_on, "payment": self.model(&hold.payment)})
    }

    fn find_hold(&mut self, key: &str) -> Option<&mut Hold> {
        let id: Option<i64> = key.parse().ok();
        self.holds.iter_mut().find(|h| h.payment == key || Some(h.id) == id)
    }

    fn invoice_open(&self, uuid: &str) -> Result<(), Answer> {
        match self.invoices.get(uuid) {
            None => Err(Answer::error(200, "ERROR_NOT_FOUND", "Объект не найден")),
            Some(invoice) if invoice.cancelled || Instant::now() >= invoice.expires_at => {
                Err(Answer::error(400, "ERROR_TRANS_NOT_READY", "Транзакция завершена или не готова"))
            }
            Some(invoice) if invoice.model["payment"].is_object() => {
                Err(Answer::error(400, "ERROR_TRANS_NOT_READY", "Транзакция завершена или не готова"))
            }
            Some(_) => Ok(()),
        }
    }

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
        let card = (ps == "uzcard").then_some(("6225f3c93f7a880142782fa4", TEST_CARD_PAN));
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

/// Runs one operation.
pub(crate) fn dispatch(
    shared: &Arc<Shared>,
    operation: &str,
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

fn param<'a>(params: &'a BTreeMap<&'static str, String>, name: &str) -> &'a str {
    params.get(name).map(String::as_str).unwrap_or_default()
}

fn operate(
    shared: &Shared,
    world: &mut World,
    operation: &str,
    params: &BTreeMap<&'static str, String>,
    query: &BTreeMap<String, String>,
    body: &Value,
) -> (Answer, Vec<Outgoing>) {
    let secret = shared.config.secret.as_str();
    let webhooks = shared.config.status_webhooks;
    let none = Vec::new;
    match operation {
        "get_token" => {
            let application_id = text(body, "application_id");
            let given_secret = text(body, "secret");
            let mut messages = Vec::new();
            if application_id.is_none() {
                messages.push(json!({"message": "application_id required", "field": "application_id"}));
            }
            if given_secret.is_none() {
                messages.push(json!({"message": "You must supply a secret", "field": "secret"}));
            }
            if !messages.is_empty() {
                return (
                    Answer {
                        status: axum::http::StatusCode::BAD_REQUEST,
                        body: json!({"errors": [{"message": messages}]}),
                    },
                    none(),
                );
            }
            if application_id.as_deref() != Some(shared.config.application_id.as_str())
                || given_secret.as_deref() != Some(secret)
            {
                let body = json!({"errors": [{"message": [{"message": "Invalid Credentials"}]}]});
                return (Answer { status: axum::http::StatusCode::BAD_REQUEST, body }, none());
            }
            let token = format!("sandbox.{}.{}", hex(24), hex(16));
            let lifetime = shared.config.token_lifetime;
            world.tokens.issue(token.clone(), Instant::now() + lifetime);
            let expiry = MulticardDateTime::from_utc(
                chrono::Utc::now() + chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::hours(24)),
            );
            let body = json!({"token": token, "role": "dev", "expiry": expiry.to_string()});
            (Answer { status: axum::http::StatusCode::OK, body }, none())
        }
        "create_invoice" => {
            let store = need!(text(body, "store_id"), "Store Id");
            let amount = need!(integer(body, "amount").filter(|a| *a > 0), "Amount");
            let invoice_id = need!(text(body, "invoice_id"), "Invoice Id");
            let callback_url = need!(text(body, "callback_url"), "Callback Url");
            let ofd = need!(body.get("ofd").filter(|o| o.is_array()).cloned(), "Ofd");
            if store != STORE_ID.to_string() && store != STORE_UUID {
                return (Answer::error(200, "ERROR_FIELDS", "Неверный store_id"), none());
            }
            let ttl = integer(body, "ttl").filter(|t| *t > 0).unwrap_or(86_400);
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
                    expires_at: Instant::now() + std::time::Duration::from_secs(ttl as u64),
                    cancelled: false,
                    callback_url,
                },
            );
            (Answer::ok(model), none())
        }
        "get_invoice" => {
            let uuid = param(params, "uuid");
            match world.invoices.get(uuid) {
                None => (Answer::error(200, "ERROR_NOT_FOUND", "Объект не найден"), none()),
                Some(invoice)
                    if invoice.cancelled
                        || (Instant::now() >= invoice.expires_at && invoice.model["payment"].is_null()) =>
                {
                    (Answer::error(400, "ERROR_TRANS_NOT_READY", "Транзакция завершена или не готова"), none())
                }
                Some(invoice) => (Answer::ok(invoice.model.clone()), none()),
            }
        }
        "cancel_invoice" => {
            let uuid = param(params, "uuid");
            match world.invoices.get_mut(uuid) {
                None => (Answer::error(400, "ERROR_NOT_FOUND", "Объект не найден"), none()),
                Some(invoice) if invoice.model["payment"].is_object() => {
                    (Answer::fields("Транзакция по инвойсу завершена. Запросите детали платежа"), none())
                }
                Some(invoice) => {
                    invoice.cancelled = true;
                    (Answer::ok(json!([])), none())
                }
            }
        }
        "scanpay_invoice" => {
            let uuid = param(params, "uuid").to_string();
            let code = need!(text(body, "code"), "Code");
            if let Err(answer) = world.invoice_open(&uuid) {
                return (answer, none());
            }
            if code.len() < 6 {
                return (Answer::fields("Неверный код, либо приложение не поддерживается"), none());
            }
            let (model, out) = world.invoice_payment(&uuid, "payme", webhooks, secret);
            (Answer::ok(model.unwrap_or(Value::Null)), out)
        }
        "create_card_binding" => {
            let _ = need!(text(body, "redirect_url"), "Redirect Url");
            let _ = need!(text(body, "redirect_decline_url"), "Redirect Decline Url");
            let store_id = need!(integer(body, "store_id"), "store_id");
            let callback_url = need!(text(body, "callback_url"), "Callback Url");
            let _ = need!(text(body, "phone"), "Phone");
            let session = hex(13);
            world.bindings.insert(
                session.clone(),
                Binding { store_id, callback_url, card_token: None, pinfl: text(body, "pinfl") },
            );
            let form_url = format!("{}/sandbox/bind/{session}", world.base_url);
            (Answer::ok(json!({"session_id": session, "form_url": form_url})), none())
        }
        "get_card_binding" => {
            let session = param(params, "session_id");
            match world.bindings.get(session) {
                None => (Answer::error(404, "ERROR_NOT_FOUND", "Объект не найден"), none()),
                Some(Binding { card_token: Some(token), .. }) => {
                    (Answer::ok(world.bound_card(token).unwrap_or_default()), none())
                }
                Some(_) => (
                    Answer::ok(
                        json!({"id": 0, "payer_id": session, "card_token": "", "status": "draft", "added_on": now()}),
                    ),
                    none(),
                ),
            }
        }
        "get_card" => match world.bound_card(param(params, "card_token")) {
            Some(card) => (Answer::ok(card), none()),
            None => (Answer::error(400, "ERROR_CARD_NOT_FOUND", "Неверный номер карты или срок действия"), none()),
        },
        "check_card_pinfl" => {
            let pan = need!(text(body, "pan"), "Pan");
            let pinfl = need!(text(body, "pinfl"), "Pinfl");
            if pinfl.len() != 14 || !pinfl.bytes().all(|b| b.is_ascii_digit()) {
                return (Answer::fields("pinfl должен состоять из 14 цифр."), none());
            }
            let known = world.cards.values().find(|c| c.pan == pan);
            let result = match known {
                None => Value::Null,
                Some(card) => json!(card.pinfl.as_deref() == Some(pinfl.as_str())),
            };
            (Answer::ok(result), none())
        }
        "revoke_card" => match world.cards.get_mut(param(params, "card_token")) {
            Some(card) => {
                card.model["status"] = json!("deleted");
                (Answer::ok(json!([])), none())
            }
            None => (Answer::error(400, "ERROR_CARD_NOT_FOUND", "Неверный номер карты или срок действия"), none()),
        },
        "add_card" => {
            let pan = need!(text(body, "pan"), "Pan");
            let expiry = need!(text(body, "expiry"), "Expiry");
            let phone = need!(text(body, "user_phone"), "User Phone");
            if pan != TEST_CARD_PAN || expiry != TEST_CARD_EXPIRY {
                return (Answer::error(400, "ERROR_CARD_NOT_FOUND", "Неверный номер карты или срок действия"), none());
            }
            let token = hex(24);
            let model = json!({"id": world.id(), "application_id": 1, "payer_id": text(body, "session_id"), "card_pan": masked(&pan),
                "card_token": token, "phone": phone, "holder_name": text(body, "holder_name"), "pinfl": null,
                "ps": payment_system_of(&pan), "status": "draft", "added_on": now(), "card_status": {"code": 0, "description": "Active"},
                "sms_inform": true});
            world.cards.insert(token, Card { model: model.clone(), pan, pinfl: None, awaiting_otp: true });
            (Answer::ok(model), none())
        }
        "confirm_card" => {
            let token = param(params, "card_token");
            let Some(card) = world.cards.get_mut(token) else {
                return (Answer::error(400, "ERROR_CARD_NOT_FOUND", "Неверный номер карты или срок действия"), none());
            };
            let Some(otp) = text(body, "otp") else {
                return (Answer::error(200, "ERROR_FIELDS", "Не передан SMS-код"), none());
            };
            if !card.awaiting_otp {
                return (Answer::ok(card.model.clone()), none());
            }
            if otp != TEST_OTP {
                return (Answer::error(200, "ERROR_WRONG_OTP", "Неверный код подтверждения"), none());
            }
            card.awaiting_otp = false;
            card.model["status"] = json!("active");
            if let Some(pinfl) = text(body, "pinfl") {
                card.pinfl = Some(pinfl.clone());
                card.model["pinfl"] = json!(pinfl);
            }
            (Answer::ok(card.model.clone()), none())
        }
        "check_card_pan" => {
            let pan = param(params, "pan");
            if pan.len() != 16 || !pan.bytes().all(|b| b.is_ascii_digit()) {
                return (Answer::error(400, "ERROR_CARD_NOT_FOUND", "Неверный номер карты или срок действия"), none());
            }
            let data = json!({"ps": payment_system_of(pan), "holder_name": null, "masked_pan": masked(pan),
                "bank": {"bin": &pan[..6], "name": "Sandbox Bank", "color": null, "logo": null, "ps_bank_id": null, "country": "UZ"}});
            (Answer::ok(data), none())
        }
        "create_payment" => create_payment(world, body),
        "confirm_payment" => {
            let uuid = param(params, "uuid").to_string();
            let Some(payment) = world.payments.get(&uuid).filter(|p| !p.is_payout) else {
                return (Answer::error(400, "ERROR_NOT_FOUND", "Объект не найден"), none());
            };
            if payment.model["status"] != "draft" || payment.kind == "hold" {
                return (Answer::fields("Платеж подтвержден ранее"), none());
            }
            if payment.kind == "app" {
                return (Answer::fields("Платёж подтверждается в приложении"), none());
            }
            if payment.needs_otp && text(body, "otp").as_deref() != Some(TEST_OTP) {
                return (Answer::error(400, "ERROR_WRONG_OTP", "Неверный код подтверждения"), none());
            }
            let out = world.succeed(&uuid, webhooks, secret);
            (Answer::ok(world.model(&uuid).unwrap_or_default()), out)
        }
        "send_fiscal_link" => {
            let uuid = param(params, "uuid");
            let url = need!(text(body, "url"), "Url");
            match world.payments.get_mut(uuid) {
                Some(payment) if payment.model["status"] == "success" || payment.model["status"] == "revert" => {
                    payment.model["details"] =
                        json!({"fiscal_url": url, "is_refund": body.get("is_refund").cloned().unwrap_or(json!(false))});
                    (Answer::ok(Value::Null), none())
                }
                Some(_) => (Answer::fields("Платёж не проведён"), none()),
                None => (Answer::error(400, "ERROR_NOT_FOUND", "Объект не найден"), none()),
            }
        }
        "refund_payment" => {
            let uuid = param(params, "uuid").to_string();
            match world.payments.get_mut(&uuid).filter(|p| !p.is_payout) {
                Some(payment) if payment.model["status"] == "success" => {
                    payment.model["status"] = json!("revert");
                    payment.model["refund_time"] = json!(now());
                    payment.refunded = payment.model["payment_amount"].as_i64().unwrap_or_default();
                    let out = world.webhook(&uuid, webhooks, secret).into_iter().collect();
                    (Answer::ok(world.model(&uuid).unwrap_or_default()), out)
                }
                Some(_) => (Answer::error(404, "ERROR_NOT_FOUND", "Платёж не проведён или уже возвращён"), none()),
                None => (Answer::error(404, "ERROR_NOT_FOUND", "Объект не найден"), none()),
            }
        }
        "get_payment" => match world.payments.get(param(params, "uuid")).filter(|p| !p.is_payout) {
            Some(payment) => (Answer::ok(payment.model.clone()), none()),
            None => (Answer::error(404, "ERROR_NOT_FOUND", "Объект не найден"), none()),
        },
        "partial_refund_payment" => {
            let uuid = param(params, "uuid").to_string();
            let amount = need!(integer(body, "refund_amount").filter(|a| *a > 0), "Refund Amount");
            let _ = need!(body.get("ofd").filter(|o| o.is_array()), "Ofd");
            let Some(payment) = world.payments.get_mut(&uuid).filter(|p| !p.is_payout) else {
                return (Answer::error(404, "ERROR_NOT_FOUND", "Объект не найден"), none());
            };
            if payment.model["status"] != "success" {
                return (Answer::error(404, "ERROR_NOT_FOUND", "Платёж не проведён или уже возвращён"), none());
            }
            if payment.kind == "app" && text(body, "card_pan").is_none() {
                return (missing("Card Pan"), none());
            }
            let paid = payment.model["payment_amount"].as_i64().unwrap_or_default();
            if payment.refunded + amount > paid {
                return (Answer::fields("Сумма возврата превышает сумму платежа"), none());
            }
            payment.refunded += amount;
            payment.model["refund_time"] = json!(now());
            if payment.refunded == paid {
                payment.model["status"] = json!("revert");
            }
            payment.model["ofd"] = body["ofd"].clone();
            let out = world.webhook(&uuid, webhooks, secret).into_iter().collect();
            (Answer::ok(world.model(&uuid).unwrap_or_default()), out)
        }
        "create_hold" => {
            let token = need!(body.get("card").and_then(|c| text(c, "token")), "Card");
            let amount = need!(integer(body, "amount").filter(|a| *a > 0), "Amount");
            let _ = need!(text(body, "store_id"), "Store Id");
            let _ = need!(text(body, "invoice_id"), "Invoice Id");
            let minutes = need!(integer(body, "expiry"), "Expiry");
            if !(1..=43_200).contains(&minutes) {
                return (Answer::fields("Значение «Expiry» должно быть от 1 до 43200."), none());
            }
            let Some(pan) = world.cards.get(&token).filter(|c| c.model["status"] == "active").map(|c| c.pan.clone())
            else {
                return (Answer::error(400, "ERROR_CARD_NOT_FOUND", "Неверный номер карты или срок действия"), none());
            };
            let payment = world.new_payment("hold", body, amount, payment_system_of(&pan), Some((&token, &pan)));
            let id = world.id();
            let expiry =
                MulticardDateTime::from_utc(chrono::Utc::now() + chrono::Duration::minutes(minutes)).to_string();
            let hold = Hold { id, payment, status: "draft", charged: false, expiry, added_on: now(), updated_on: None };
            let model = world.hold_model(&hold);
            world.holds.push(hold);
            (Answer::ok(model), none())
        }
        "confirm_hold" | "charge_hold" | "get_hold" | "cancel_hold" => {
            hold_operation(world, operation, param(params, "payment_uuid"), body, webhooks, secret)
        }
        "create_payout" => create_payout(world, body),
        "confirm_payout" => {
            let uuid = param(params, "payment_uuid").to_string();
            let Some(payout) = world.payments.get_mut(&uuid).filter(|p| p.is_payout) else {
                return (Answer::error(400, "ERROR_NOT_FOUND", "Объект не найден"), none());
            };
            if payout.model["status"] != "draft" {
                return (Answer::fields("Выплата подтверждена ранее"), none());
            }
            if text(body, "otp").as_deref() != Some(TEST_OTP) {
                return (Answer::error(400, "ERROR_WRONG_OTP", "Неверный код подтверждения"), none());
            }
            payout.model["status"] = json!("success");
            payout.model["payment_time"] = json!(now());
            payout.model["ps_id"] = json!(hex(10));
            payout.model["ps_uniq_id"] = json!(hex(12));
            payout.model["receipt_url"] = json!(format!("{}/sandbox/credit/check/{uuid}", world.base_url));
            (Answer::ok(payout.model.clone()), none())
        }
        "get_payout" => match world.payments.get(param(params, "payment_uuid")).filter(|p| p.is_payout) {
            Some(payout) => (Answer::ok(payout.model.clone()), none()),
            None => (Answer::error(404, "ERROR_NOT_FOUND", "Объект не найден"), none()),
        },
        "get_application" => (
            Answer::ok(
                json!({"id": 9, "application_id": shared.config.application_id, "wallet_sum": 0, "wallet_sender_account": null,
                "wallet_overdraft": 0, "wallet_contract_num": null, "otp_required": 1, "otp_gateway": null, "sms_nickname": null,
                "allow_bank_transaction": 0, "otp_length": 6, "official_name": "Sandbox LLC", "offer_url": null, "phone": null,
                "added_on": "2024-01-01 00:00:00", "updated_on": now(), "stores": [World::store()]}),
            ),
            none(),
        ),
        "get_merchant_account" => (
            Answer::ok(json!({"id": 1, "uuid": param(params, "recipient"), "merchant_id": 1, "tin": "123456789",
                "official_name": "Sandbox LLC", "mfo": "00450", "account_no": "20208000900000000001", "address": "Tashkent",
                "director": "Sandbox Director", "director_pinfl": "31105892514010", "vat_payer": false, "is_commitent": false,
                "contract_no": null, "contract_date": null, "active": 1, "tax_contract_begin": "2024-01-01",
                "tax_contract_end": "2030-01-01"})),
            none(),
        ),
        "list_payments" | "list_payouts" => {
            registry(world, operation == "list_payouts", param(params, "store_id"), query)
        }
        _ => (Answer::error(404, "ERROR_NOT_FOUND", "Маршрут не найден"), none()),
    }
}

fn create_payment(world: &mut World, body: &Value) -> (Answer, Vec<Outgoing>) {
    let card = body.get("card").filter(|c| c.is_object());
    let kind = if body.get("payment_system").is_some() {
        "app"
    } else if card.and_then(|c| text(c, "token")).is_some() {
        if body.get("split").is_some_and(|s| s.is_array()) { "split" } else { "token" }
    } else if card.is_some_and(|c| text(c, "pan").is_some() && text(c, "expiry").is_some()) {
        "card"
    } else {
        return (Answer::fields("Card should be array with (`pan` and `expiry`) or `token` field"), Vec::new());
    };
    let amount = need!(integer(body, "amount").filter(|a| *a > 0), "Amount");
    let store = need!(text(body, "store_id"), "Store Id");
    let _ = need!(text(body, "invoice_id"), "Invoice Id");
    if store != STORE_ID.to_string() && store != STORE_UUID {
        let status = if kind == "split" { 200 } else { 400 };
        return (Answer::error(status, "ERROR_FIELDS", "Неверный store_id"), Vec::new());
    }
    match kind {
        "app" => {
            const APPS: [&str; 10] =
                ["payme", "click", "uzum", "anorbank", "alif", "oson", "xazna", "beepul", "trastpay", "sbp"];
            let Some(system) = text(body, "payment_system").filter(|s| APPS.contains(&s.as_str())) else {
                return (Answer::fields("Значение «Payment System» неверно."), Vec::new());
            };
            let uuid = world.new_payment("app", body, amount, &system, None);
            (Answer::ok(world.model(&uuid).unwrap_or_default()), Vec::new())
        }
        "card" => {
            let card = card.cloned().unwrap_or_default();
            let (pan, expiry) = (text(&card, "pan").unwrap_or_default(), text(&card, "expiry").unwrap_or_default());
            if pan != TEST_CARD_PAN || expiry != TEST_CARD_EXPIRY {
                return (
                    Answer::error(400, "ERROR_CARD_NOT_FOUND", "Неверный номер карты или срок действия"),
                    Vec::new(),
                );
            }
            let uuid = world.new_payment("card", body, amount, payment_system_of(&pan), Some(("", &pan)));
            if let Some(p) = world.payments.get_mut(&uuid) {
                p.model["card_token"] = Value::Null;
            }
            (Answer::ok(world.model(&uuid).unwrap_or_default()), Vec::new())
        }
        _ => {
            let token = card.and_then(|c| text(c, "token")).unwrap_or_default();
            let Some(pan) = world.cards.get(&token).filter(|c| c.model["status"] == "active").map(|c| c.pan.clone())
            else {
                let status = if kind == "split" { 200 } else { 400 };
                return (
                    Answer::error(status, "ERROR_CARD_NOT_FOUND", "Неверный номер карты или срок действия"),
                    Vec::new(),
                );
            };
            if kind == "split" {
                let total: i64 =
                    body["split"].as_array().into_iter().flatten().filter_map(|s| integer(s, "amount")).sum();
                if total > amount {
                    return (
                        Answer::error(200, "ERROR_FIELDS", "Сумма расщепления превышает сумму платежа"),
                        Vec::new(),
                    );
                }
            }
            let uuid = world.new_payment(kind, body, amount, payment_system_of(&pan), Some((&token, &pan)));
            (Answer::ok(world.model(&uuid).unwrap_or_default()), Vec::new())
        }
    }
}

fn hold_operation(
    world: &mut World,
    operation: &str,
    key: &str,
    body: &Value,
    webhooks: bool,
    secret: &str,
) -> (Answer, Vec<Outgoing>) {
    let not_found = || (Answer::error(404, "ERROR_NOT_FOUND", "Объект не найден"), Vec::new());
    let Some(hold) = world.find_hold(key) else { return not_found() };
    match operation {
        "confirm_hold" => {
            if hold.status != "draft" {
                return (Answer::fields("Холд подтверждён ранее"), Vec::new());
            }
            if text(body, "otp").as_deref() != Some(TEST_OTP) {
                return (Answer::error(400, "ERROR_WRONG_OTP", "Неверный код подтверждения"), Vec::new());
            }
            hold.status = "active";
            hold.updated_on = Some(now());
            let payment = hold.payment.clone();
            if let Some(p) = world.payments.get_mut(&payment) {
                p.model["otp_hash"] = Value::Null;
            }
        }
        "charge_hold" => {
            if hold.status != "active" || hold.charged {
                return (Answer::error(403, "ERROR_PAYMENT_APPLIED", "Холд не активен"), Vec::new());
            }
            let payment = hold.payment.clone();
            let held =
                world.payments.get(&payment).and_then(|p| p.model["payment_amount"].as_i64()).unwrap_or_default();
            let amount = integer(body, "amount").unwrap_or(held);
            if amount <= 0 || amount > held {
                return (Answer::fields("Сумма списания превышает сумму холдирования"), Vec::new());
            }
            if let Some(hold) = world.find_hold(key) {
                hold.charged = true;
                hold.updated_on = Some(now());
            }
            if let Some(p) = world.payments.get_mut(&payment) {
                p.model["payment_amount"] = json!(amount);
                p.model["total_amount"] = json!(amount);
            }
            let out = world.succeed(&payment, webhooks, secret);
            return (Answer::ok(world.model(&payment).unwrap_or_default()), out);
        }
        "cancel_hold" => {
            if hold.status != "draft" && (hold.status != "active" || hold.charged) {
                return (Answer::error(403, "ERROR_PAYMENT_APPLIED", "Холд не активен"), Vec::new());
            }
            hold.status = "canceled";
            hold.updated_on = Some(now());
            let payment = hold.payment.clone();
            if let Some(p) = world.payments.get_mut(&payment) {
                p.model["status"] = json!("error");
            }
        }
        _ => {}
    }
    let hold = world.holds.iter().find(|h| h.payment == key || h.id.to_string() == key);
    match hold {
        Some(hold) => (Answer::ok(world.hold_model(hold)), Vec::new()),
        None => not_found(),
    }
}

fn create_payout(world: &mut World, body: &Value) -> (Answer, Vec<Outgoing>) {
    let card = need!(body.get("card").filter(|c| c.is_object()).cloned(), "Card");
    let amount = need!(integer(body, "amount").filter(|a| *a > 0), "Amount");
    let _ = need!(text(body, "store_id"), "Store Id");
    let invoice_id = need!(text(body, "invoice_id"), "Invoice Id");
    let (token, pan) = (text(&card, "token"), text(&card, "pan"));
    let pan = match (&token, &pan) {
        (Some(token), _) => world.cards.get(token).filter(|c| c.model["status"] == "active").map(|c| c.pan.clone()),
        (None, Some(pan)) if pan.len() == 16 && pan.bytes().all(|b| b.is_ascii_digit()) => Some(pan.clone()),
        _ => None,
    };
    let Some(pan) = pan else {
        return (Answer::error(200, "ERROR_CARD_NOT_FOUND", "Неверный номер карты или срок действия"), Vec::new());
    };
    if amount > KYC_THRESHOLD && !body.get("kyc_data").is_some_and(|k| k.is_object()) {
        return (
            Answer::error(200, "ERROR_FIELDS", "Для пополнения на эту сумму необходимо пройти идентификацию"),
            Vec::new(),
        );
    }
    let confirmable = body.get("confirmable").and_then(Value::as_bool).unwrap_or(false);
    let uuid = new_uuid();
    let id = world.id();
    let success = !confirmable;
    let model = json!({
        "id": id, "uuid": uuid, "store_id": STORE_ID, "multicard_user_id": null, "ps": payment_system_of(&pan),
        "store_invoice_id": invoice_id, "merchant_id": "01200000119700D", "terminal_id": "186368T6", "payment_amount": amount,
        "commission_amount": 0, "commission_type": "up", "total_amount": amount, "phone": null, "card_token": token,
        "card_pan": masked(&pan), "ps_id": if success { Some(hex(10)) } else { None },
        "ps_uniq_id": if success { Some(hex(12)) } else { None }, "status": if success { "success" } else { "draft" },
        "ps_response_code": null, "ps_response_msg": null, "payment_time": if success { Some(now()) } else { None },
        "callback_url": text(body, "callback_url"), "kyc_data": body.get("kyc_data").filter(|k| k.is_object()).map(|k| k.to_string()),
        "added_on": now(), "store": World::store(),
        "receipt_url": if success { Some(format!("{}/sandbox/credit/check/{uuid}", world.base_url)) } else { None },
    });
    world.payments.insert(
        uuid.clone(),
        Payment { model: model.clone(), kind: "payout", needs_otp: confirmable, refunded: 0, is_payout: true },
    );
    world.order.push(uuid);
    (Answer::ok(model), Vec::new())
}

fn registry(world: &World, payouts: bool, store: &str, query: &BTreeMap<String, String>) -> (Answer, Vec<Outgoing>) {
    if store != STORE_ID.to_string() && store != STORE_UUID {
        return (Answer::error(403, "ERROR_ACCESS_DENIED", "Доступ запрещен"), Vec::new());
    }
    let number = |name: &str| query.get(name).and_then(|v| v.trim().parse::<i64>().ok());
    let date = |name: &str| query.get(name).and_then(|v| v.parse::<MulticardDateTime>().ok());
    let Some(offset) = number("offset").filter(|o| *o >= 0) else { return (missing("Offset"), Vec::new()) };
    let Some(limit) = number("limit").filter(|l| (1..=1000).contains(l)) else { return (missing("Limit"), Vec::new()) };
    let Some(start) = date("start_date") else { return (missing("Start Date"), Vec::new()) };
    let Some(end) = date("end_date") else { return (missing("End Date"), Vec::new()) };
    let only = query.get("only_status").filter(|s| !s.is_empty());
    if payouts && only.is_none() {
        return (missing("Only Status"), Vec::new());
    }
    let rows: Vec<&Value> = world
        .order
        .iter()
        .filter_map(|uuid| world.payments.get(uuid))
        .filter(|p| {
            p.is_payout == payouts && p.kind != "hold" || (p.kind == "hold" && !payouts && p.model["status"] != "draft")
        })
        .map(|p| &p.model)
        .filter(|m| {
            let added = m["added_on"].as_str().and_then(|a| a.parse::<MulticardDateTime>().ok());
            added.is_some_and(|a| a >= start && a <= end) && only.is_none_or(|s| m["status"] == s.as_str())
        })
        .collect();
    let mut stat: BTreeMap<(String, String), i64> = BTreeMap::new();
    for row in &rows {
        let key = (
            row["status"].as_str().unwrap_or_default().to_string(),
            row["ps"].as_str().unwrap_or_default().to_string(),
        );
        *stat.entry(key).or_default() += row["payment_amount"].as_i64().unwrap_or_default();
    }
    let list: Vec<Value> = rows
        .iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|m| {
            let mut item = json!({"id": m["id"], "uuid": m["uuid"], "status": m["status"], "ps": m["ps"],
                "store_invoice_id": m["store_invoice_id"], "payment_amount": m["payment_amount"],
                "commission_amount": m["commission_amount"], "card_token": m["card_token"].as_str().unwrap_or_default(),
                "added_on": m["added_on"], "billing_id": m["billing_id"], "payment_time": m["payment_time"],
                "card_pan": m["card_pan"], "ps_uniq_id": m["ps_uniq_id"]});
            if payouts {
                item["total_amount"] = m["total_amount"].clone();
            } else {
                item["refund_time"] = m["refund_time"].clone();
            }
            if let Some(map) = item.as_object_mut() {
                // The registry leaves out what a payment does not have yet.
                map.retain(|_, v| !v.is_null());
            }
            item
        })
        .collect();
    let stat: Vec<Value> = stat
        .into_iter()
        .map(|((status, ps), amount)| json!({"status": status, "ps": ps, "payment_amount": amount}))
        .collect();
    let data =
        json!({"pagination": {"total": rows.len(), "offset": offset, "limit": limit}, "stat": stat, "list": list});
    (Answer::ok(data), Vec::new())
}

/// The pages a payer would use: the invoice checkout, the hosted card
/// form, the app that confirms an app payment.
pub(crate) fn sandbox_page(shared: &Arc<Shared>, method: &Method, page: &str) -> Answer {
    if method != Method::GET && method != Method::POST {
        return Answer::error(405, "ERROR_FIELDS", "GET or POST");
    }
    let (kind, id) = page.split_once('/').unwrap_or((page, ""));
    let result = match kind {
        "checkout" => pay_invoice(shared, id),
        "bind" => complete_binding(shared, id),
        "app" => complete_app_payment(shared, id),
        _ => Err("no such page".to_string()),
    };
    match result {
        Ok(data) => Answer::ok(data),
        Err(message) => Answer::error(404, "ERROR_NOT_FOUND", &message),
    }
}

pub(crate) fn pay_invoice(shared: &Arc<Shared>, uuid: &str) -> Result<Value, String> {
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

pub(crate) fn complete_app_payment(shared: &Arc<Shared>, uuid: &str) -> Result<Value, String> {
    let (model, out) = {
        let mut world = shared.world.lock().unwrap_or_else(|p| p.into_inner());
        match world.payments.get(uuid) {
            Some(p) if p.kind == "app" && p.model["status"] == "draft" => {}
            _ => return Err("no app payment waiting".into()),
        }
        let out = world.succeed(uuid, shared.config.status_webhooks, &shared.config.secret);
        (world.model(uuid), out)
    };
    for message in out {
        deliver(shared.clone(), message);
    }
    model.ok_or_else(|| "no such payment".into())
}

pub(crate) fn complete_binding(shared: &Arc<Shared>, session: &str) -> Result<Value, String> {
    let message = {
        let mut world = shared.world.lock().unwrap_or_else(|p| p.into_inner());
        let id = world.id();
        let Some(binding) = world.bindings.get_mut(session) else { return Err("no such binding session".into()) };
        if binding.card_token.is_some() {
            return Err("the binding is already complete".into());
        }
        let token = hex(24);
        binding.card_token = Some(token.clone());
        let (store_id, callback_url, pinfl) = (binding.store_id, binding.callback_url.clone(), binding.pinfl.clone());
        let model = json!({"id": id, "application_id": 9, "payer_id": session, "card_pan": masked(TEST_CARD_PAN),
            "card_token": token, "phone": "998901234567", "holder_name": "SANDBOX PAYER", "pinfl": pinfl,
            "ps": "uzcard", "status": "active", "added_on": now(), "card_status": {"code": 0, "description": "Active"},
            "sms_inform": true});
        world.cards.insert(token, Card { model: model.clone(), pan: TEST_CARD_PAN.into(), pinfl, awaiting_otp: false });
        let mut callback = model.clone();
        callback["is_multicard"] = json!(false);
        let _ = store_id;
        Outgoing { kind: "card_binding", url: callback_url, body: callback, payment: None }
    };
    let body = message.body.clone();
    deliver(shared.clone(), message);
    Ok(body)
}

/// Sends one callback, with retries, in the background.
fn deliver(shared: Arc<Shared>, message: Outgoing) {
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
