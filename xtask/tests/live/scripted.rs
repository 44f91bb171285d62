//! A loopback Multicard whose every answer the probe tests script, so each
//! probe's verdict is known before the run: a commission (the success
//! callback carries `total_amount`), a `refunded_amount` that grows with
//! each partial refund, a reused `invoice_id` refused for invoices and
//! answered with the same payment, a registry that filters on
//! `payment_time` and lists no drafts, a hold that stays `active` once
//! charged, and `/auth` that retires the older token. Its own clock: a
//! payment is created ten seconds after the one before and paid five
//! seconds after its creation, so the probes need no pause.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use chrono::NaiveDateTime;
use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// What the script changes between tests.
#[derive(Debug, Clone, Copy)]
pub struct Script {
    /// Callbacks are delivered (a status webhook, then the success callback).
    pub callbacks: bool,
    /// `create_payment` is refused with `ERROR_CARD_NOT_FOUND`.
    pub refuse_payments: bool,
    /// How `charge_hold` goes.
    pub charge: Charge,
}

/// How `charge_hold` goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charge {
    /// Charged and answered.
    Charged,
    /// Charged, but answered `ERROR_DEBIT_UNKNOWN`.
    ChargedUnknown,
    /// Refused with `ERROR_INSUFFICIENT_FUNDS`: nothing charged.
    Refused,
}

impl Default for Script {
    fn default() -> Self {
        Self { callbacks: true, refuse_payments: false, charge: Charge::Charged }
    }
}

/// The tokens `/auth` answers, in order (then the last again).
pub const TOKENS: [&str; 2] =
    ["ScriptedTokenOne.QUJDREVGR0g.c2lnbmF0dXJl", "ScriptedTokenTwo.SUpLTE1OT1A.c2lnbmF0dXJm"];
/// The bound card's token.
pub const CARD_TOKEN: &str = "ScriptedCardToken";
/// The commission on every payment, in tiyin.
pub const COMMISSION: i64 = 1_700;
/// The first hold's id.
pub const FIRST_HOLD: i64 = 70_001;
/// The script's clock starts here.
pub const EPOCH: &str = "2031-07-14 10:00:00";
/// What every payment's uuid starts with.
pub const UUID_PREFIX: &str = "5c01f0e1-aaaa-4bbb-8ccc-";

const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

struct Payment {
    uuid: String,
    invoice_id: String,
    amount: i64,
    status: &'static str,
    added: NaiveDateTime,
    paid: Option<NaiveDateTime>,
    callback_url: Option<String>,
    refunded: i64,
    refund_time: Option<NaiveDateTime>,
}

impl Payment {
    fn model(&self) -> Value {
        let mut model = json!({"uuid": self.uuid, "store_id": 6, "store_invoice_id": self.invoice_id,
            "payment_amount": self.amount, "commission_amount": COMMISSION, "total_amount": self.amount + COMMISSION,
            "status": self.status, "added_on": self.added.format(FORMAT).to_string(),
            "payment_time": self.paid.map(|t| t.format(FORMAT).to_string()), "card_token": CARD_TOKEN,
            "card_pan": "860053******8829", "otp_hash": null});
        if self.refunded > 0 {
            model["refunded_amount"] = json!(self.refunded);
            model["refund_time"] = json!(self.refund_time.map(|t| t.format(FORMAT).to_string()));
        }
        model
    }
}

struct Hold {
    id: i64,
    status: &'static str,
    payment: &'static str,
}

#[derive(Default)]
struct World {
    tokens: usize,
    payments: Vec<Payment>,
    invoices: Vec<(String, String)>,
    holds: Vec<Hold>,
    /// Seconds since `EPOCH`.
    clock: i64,
}

impl World {
    fn tick(&mut self, seconds: i64) -> NaiveDateTime {
        self.clock += seconds;
        NaiveDateTime::parse_from_str(EPOCH, FORMAT).unwrap() + chrono::Duration::seconds(self.clock)
    }

    fn payment(&mut self, uuid: &str) -> Option<&mut Payment> {
        self.payments.iter_mut().find(|p| p.uuid == uuid)
    }

    fn hold(&mut self, id: &str) -> Option<&mut Hold> {
        self.holds.iter_mut().find(|h| h.id.to_string() == id)
    }
}

fn ok(data: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"success": true, "data": data}))
}

fn refused(status: u16, code: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"success": false, "error": {"code": code, "details": "-"}}))
}

fn hold_model(hold: &Hold) -> Value {
    json!({"id": hold.id, "status": hold.status, "payment": {"status": hold.payment, "uuid": "hold-payment"}})
}

/// Posts `body` to `url` (plain http on loopback) from a thread of its own.
fn post(url: &str, body: Value) {
    let url = reqwest::Url::parse(url).expect("a callback URL");
    let address = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(80));
    let path = url.path().to_string();
    std::thread::spawn(move || {
        let Ok(mut stream) = std::net::TcpStream::connect(address) else { return };
        let text = body.to_string();
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            text.len()
        );
        let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(text.as_bytes()));
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
    });
}

struct Scripted {
    script: Script,
    world: Arc<Mutex<World>>,
}

impl Respond for Scripted {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut world = self.world.lock().unwrap();
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let text = |field: &str| body.get(field).and_then(Value::as_str).unwrap_or_default().to_string();
        let path = request.url.path().trim_start_matches('/').to_string();
        let segments: Vec<&str> = path.split('/').collect();
        let method = request.method.as_str();
        if (method, segments.as_slice()) == ("POST", ["auth"].as_slice()) {
            let token = TOKENS[world.tokens.min(1)];
            world.tokens += 1;
            return ResponseTemplate::new(200).set_body_json(json!({"token": token, "role": "dev"}));
        }
        // Only the newest token is accepted; an older one gets a bare 401.
        let newest = TOKENS[world.tokens.saturating_sub(1).min(1)];
        let bearer = request.headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if bearer != format!("Bearer {newest}") {
            return ResponseTemplate::new(401);
        }
        let query = |name: &str| {
            request
                .url
                .query_pairs()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| NaiveDateTime::parse_from_str(&v, FORMAT).ok())
        };
        match (method, segments.as_slice()) {
            ("GET", ["payment", "application"]) => ok(json!({"id": 1})),
            ("POST", ["payment", "invoice"]) => {
                let invoice_id = text("invoice_id");
                if world.invoices.iter().any(|(_, id)| *id == invoice_id) {
                    return refused(400, "ERROR_FIELDS");
                }
                let uuid = format!("{UUID_PREFIX}1{:011}", world.invoices.len());
                world.invoices.push((uuid.clone(), invoice_id.clone()));
                let added = world.tick(1).format(FORMAT).to_string();
                ok(json!({"uuid": uuid, "invoice_id": invoice_id, "amount": body["amount"], "added_on": added}))
            }
            ("GET" | "DELETE", ["payment", "invoice", _]) => ok(json!([])),
            ("GET", ["payment", "card", "check", _]) => ok(json!({"ps": "uzcard"})),
            ("POST", ["payment", "card"]) | ("PUT", ["payment", "card", _]) => ok(json!({"card_token": CARD_TOKEN})),
            ("POST", ["payment", "card", "bind"]) => ok(json!({"session_id": "scripted-session"})),
            ("GET", ["payment", "card", ..]) => ok(json!({})),
            ("POST", ["payment"]) if self.script.refuse_payments => refused(400, "ERROR_CARD_NOT_FOUND"),
            ("POST", ["payment"]) => {
                let invoice_id = text("invoice_id");
                if let Some(same) = world.payments.iter().find(|p| p.invoice_id == invoice_id) {
                    return ok(same.model());
                }
                let added = world.tick(10);
                let uuid = format!("{UUID_PREFIX}2{:011}", world.payments.len());
                let callback_url = body.get("callback_url").and_then(Value::as_str).map(str::to_string);
                let amount = body["amount"].as_i64().unwrap_or_default();
                world.payments.push(Payment {
                    uuid: uuid.clone(),
                    invoice_id,
                    amount,
                    status: "draft",
                    added,
                    paid: None,
                    callback_url,
                    refunded: 0,
                    refund_time: None,
                });
                ok(world.payment(&uuid).unwrap().model())
            }
            ("PUT", ["payment", uuid]) => {
                let callbacks = self.script.callbacks;
                let Some(payment) = world.payment(uuid) else { return refused(400, "ERROR_NOT_FOUND") };
                payment.status = "success";
                payment.paid = Some(payment.added + chrono::Duration::seconds(5));
                if let (true, Some(url)) = (callbacks, &payment.callback_url) {
                    let model = payment.model();
                    let base = json!({"uuid": payment.uuid, "invoice_id": payment.invoice_id,
                        "invoice_uuid": payment.uuid, "payment_time": model["payment_time"], "sign": "0f0f"});
                    let mut webhook = base.clone();
                    webhook["status"] = json!("success");
                    webhook["amount"] = json!(payment.amount);
                    post(url, webhook);
                    std::thread::sleep(std::time::Duration::from_millis(50));
                    let mut success = base;
                    success["amount"] = json!(payment.amount + COMMISSION);
                    post(url, success);
                }
                ok(payment.model())
            }
            ("GET", ["payment", uuid]) => match world.payment(uuid) {
                Some(payment) => ok(payment.model()),
                None => refused(404, "ERROR_NOT_FOUND"),
            },
            ("DELETE", ["payment", uuid, "partial"]) => {
                let amount = body["refund_amount"].as_i64().unwrap_or_default();
                let at = world.tick(1);
                let Some(payment) = world.payment(uuid) else { return refused(400, "ERROR_NOT_FOUND") };
                payment.refunded += amount;
                payment.refund_time = Some(at);
                ok(payment.model())
            }
            ("POST", ["payment", "hold"]) => {
                let id = FIRST_HOLD + world.holds.len() as i64;
                world.holds.push(Hold { id, status: "draft", payment: "draft" });
                ok(hold_model(world.holds.last().unwrap()))
            }
            ("GET" | "PUT" | "DELETE", ["payment", "hold", id, rest @ ..]) => {
                let Some(hold) = world.hold(id) else { return refused(404, "ERROR_NOT_FOUND") };
                match (method, rest) {
                    ("PUT", []) => hold.status = "active",
                    ("PUT", ["charge"]) if self.script.charge == Charge::Refused => {
                        return refused(400, "ERROR_INSUFFICIENT_FUNDS");
                    }
                    ("PUT", ["charge"]) if self.script.charge == Charge::ChargedUnknown => {
                        hold.payment = "success";
                        return refused(400, "ERROR_DEBIT_UNKNOWN");
                    }
                    // Charged: the hold stays `active`, its payment succeeds.
                    ("PUT", ["charge"]) => hold.payment = "success",
                    ("DELETE", []) => (hold.status, hold.payment) = ("canceled", "revert"),
                    _ => {}
                }
                ok(hold_model(hold))
            }
            ("GET", ["payment", "store", _, "history"]) => {
                let (Some(start), Some(end)) = (query("start_date"), query("end_date")) else {
                    return refused(400, "ERROR_FIELDS");
                };
                let list: Vec<Value> = world
                    .payments
                    .iter()
                    .filter(|p| p.paid.is_some_and(|t| t >= start && t <= end))
                    .map(Payment::model)
                    .collect();
                ok(json!({"pagination": {"total": list.len(), "offset": 0, "limit": 100}, "list": list}))
            }
            ("GET", ["payment", "store", _, "credit-history"]) => {
                ok(json!({"pagination": {"total": 0, "offset": 0, "limit": 20}, "list": []}))
            }
            _ => refused(404, "ERROR_NOT_FOUND"),
        }
    }
}

/// A scripted Multicard on loopback.
pub async fn server(script: Script) -> MockServer {
    let server = MockServer::start().await;
    let responder = Scripted { script, world: Arc::new(Mutex::new(World::default())) };
    Mock::given(any()).respond_with(responder).mount(&server).await;
    server
}
