//! The walk: the quickstart's story against a Multicard, request by
//! request with reqwest (no typed decoding, so an answer the SDK would
//! refuse is still recorded), and every read reachable with the ids it
//! learned. Each answer's shape goes to [`Observed`]; ids and the token
//! stay in memory for the next request and are never printed.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::shape::Observed;
use super::spec::{Operation, Spec};

/// The test card the vendor documents for its sandbox.
pub const TEST_CARD_PAN: &str = "8600533364098829";
/// Its expiry (YYMM).
pub const TEST_CARD_EXPIRY: &str = "2806";
/// The sandbox's one-time code.
pub const TEST_OTP: &str = "112233";
/// The amount of the invoice and the payment, in tiyin.
pub const AMOUNT: i64 = 150_000;
/// The amount refunded, in tiyin.
pub const REFUND: i64 = 50_000;
/// A phone for binding the card by its data.
pub const PHONE: &str = "998901234567";

/// Whom the walk talks to, with what.
#[derive(Clone)]
pub struct Target {
    /// The base URL, without a trailing `/`.
    pub base_url: String,
    /// `MULTICARD_APPLICATION_ID`.
    pub application_id: String,
    /// `MULTICARD_SECRET`.
    pub secret: String,
    /// The store the invoice and payment go to.
    pub store_id: i64,
    /// The `callback_url` sent where one is required.
    pub callback_url: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target").field("base_url", &self.base_url).field("store_id", &self.store_id).finish()
    }
}

/// What the walk did and saw.
#[derive(Debug, Default)]
pub struct Walk {
    /// The observations, by operation id.
    pub observed: BTreeMap<String, Observed>,
    /// One line per request: operation, method, path template, status.
    pub log: Vec<String>,
}

/// What one request got: the HTTP status (none when no answer came or its
/// body could not be read) and the JSON body, if it had one. Kept in
/// memory only.
#[derive(Default)]
pub(crate) struct Reply {
    pub(crate) status: Option<u16>,
    pub(crate) body: Option<Value>,
}

impl Reply {
    /// A 2xx answer whose body says `success: true`.
    pub(crate) fn accepted(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
            && self.body.as_ref().and_then(|b| b.get("success")).and_then(Value::as_bool) == Some(true)
    }

    /// A field of the body as a string (`/data/uuid`).
    pub(crate) fn learn(&self, pointer: &str) -> Option<String> {
        learn(&self.body, pointer)
    }
}

/// The hold the walk cancelled without confirming: its reads before and
/// after the cancel, for the probes.
#[derive(Default)]
pub(crate) struct CancelledHold {
    pub(crate) before: Reply,
    pub(crate) cancel: Reply,
    pub(crate) after: Reply,
}

/// The walk's session: the client, the token, what must not be written,
/// and what the story learned that the probes reuse.
pub(crate) struct Walker<'a> {
    pub(crate) spec: &'a Spec,
    operations: BTreeMap<String, Operation<'a>>,
    client: reqwest::Client,
    pub(crate) target: &'a Target,
    pub(crate) token: Option<String>,
    /// What the run sent or learned that must not be written anywhere: the
    /// secret, the token, the card token, the card number, the phone.
    pub(crate) sent: Vec<String>,
    /// The `invoice_id` prefix of this run (`live-check-<millis>`).
    pub(crate) order: String,
    /// The bound test card's token.
    pub(crate) card_token: Option<String>,
    /// The hold the story cancelled.
    pub(crate) cancelled_hold: Option<CancelledHold>,
    pub(crate) walk: Walk,
}

/// The largest answer read; a larger one is recorded as cut off.
pub const MAX_ANSWER: usize = 4 * 1024 * 1024;

/// A field of a JSON answer as a string (`data.uuid`), for the next request.
fn learn(body: &Option<Value>, pointer: &str) -> Option<String> {
    match body.as_ref()?.pointer(pointer)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A path parameter, percent-encoded; `None` for one that would change
/// the route.
fn segment(value: &str) -> Option<String> {
    if value.is_empty() || value == "." || value == ".." {
        return None;
    }
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    Some(out)
}

impl<'a> Walker<'a> {
    /// A session against `target`, with no token yet.
    pub(crate) fn new(spec: &'a Spec, target: &'a Target) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Walker {
            spec,
            operations: spec.operations(),
            client,
            target,
            token: None,
            sent: vec![target.secret.clone(), TEST_CARD_PAN.to_string(), PHONE.to_string()],
            order: format!("live-check-{}", chrono::Utc::now().timestamp_millis()),
            card_token: None,
            cancelled_hold: None,
            walk: Walk::default(),
        })
    }

    fn note(&mut self, operation: &str, what: String) {
        let n = self.walk.log.iter().filter(|line| line.starts_with('[')).count() + 1;
        self.walk.log.push(format!("[{n:>2}] {operation:<24} {what}"));
    }

    /// A line of the log that is not a request (a probe's title).
    pub(crate) fn heading(&mut self, text: String) {
        self.walk.log.push(text);
    }

    /// Keeps `token` (and its dot-separated parts) out of everything written.
    pub(crate) fn withhold_token(&mut self, token: &str) {
        self.sent.push(token.to_string());
        self.sent.extend(token.split('.').map(str::to_string));
    }

    /// Sends one request and records the answer's shape; returns its JSON
    /// body, if it had one.
    async fn call(
        &mut self,
        id: &str,
        params: &[(&str, &str)],
        query: &[(&str, String)],
        body: Option<Value>,
    ) -> Option<Value> {
        self.send(id, params, query, body).await.body
    }

    /// Sends one request and records the answer's shape; returns the status
    /// and the JSON body.
    pub(crate) async fn send(
        &mut self,
        id: &str,
        params: &[(&str, &str)],
        query: &[(&str, String)],
        body: Option<Value>,
    ) -> Reply {
        let Some(operation) = self.operations.get(id).cloned() else {
            self.note(id, "not in the spec: skipped".to_string());
            return Reply::default();
        };
        let template = format!("{} {}", operation.method, operation.path);
        let mut path = operation.path.clone();
        for (name, value) in params {
            let Some(value) = segment(value) else {
                self.note(id, format!("{template}  skipped: an empty or dot path parameter"));
                return Reply::default();
            };
            path = path.replace(&format!("{{{name}}}"), &value);
        }
        let method = reqwest::Method::from_bytes(operation.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut request = self.client.request(method, format!("{}{path}", self.target.base_url)).query(query);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                self.note(id, format!("{template}  no answer: {}", error.without_url()));
                return Reply::default();
            }
        };
        let status = response.status().as_u16();
        let mut response = response;
        let mut bytes = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) if bytes.len() + chunk.len() > MAX_ANSWER => {
                    self.note(id, format!("{template}  {status}, body over {MAX_ANSWER} bytes: not read"));
                    return Reply::default();
                }
                Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
                Ok(None) => break,
                Err(error) => {
                    self.note(id, format!("{template}  {status}, body lost: {}", error.without_url()));
                    return Reply::default();
                }
            }
        }
        let observed = self
            .walk
            .observed
            .entry(id.to_string())
            .or_insert_with(|| Observed::new(id, &operation.method, &operation.path));
        observed.record(self.spec, status, &bytes, &self.sent);
        let value = serde_json::from_slice::<Value>(&bytes).ok();
        let code = value.as_ref().and_then(|v| v.pointer("/error/code")).and_then(Value::as_str);
        let outcome = match code.map(|code| super::shape::error_code(code, &self.sent)) {
            Some(Some(code)) => format!("{status} {code}"),
            Some(None) => format!("{status} (an error code)"),
            None => status.to_string(),
        };
        self.note(id, format!("{template}  {outcome}"));
        Reply { status: Some(status), body: value }
    }

    fn skip(&mut self, id: &str, missing: &str) {
        self.note(id, format!("skipped: no {missing} learned"));
    }
}

/// The fiscal items of an amount: one line of it.
pub(crate) fn ofd(amount: i64) -> Value {
    json!([{"qty": 1, "price": amount, "mxik": "06401004002000000", "total": amount,
            "package_code": "1506113", "name": "live-check"}])
}

/// `YYYY-MM-DD` today in Tashkent (GMT+5), the registry's day.
fn today_in_tashkent() -> String {
    (chrono::Utc::now() + chrono::Duration::hours(5)).format("%Y-%m-%d").to_string()
}

/// Walks the story against `target`.
pub async fn walk(spec: &Spec, target: &Target) -> Result<Walk, String> {
    let mut w = Walker::new(spec, target)?;
    story(&mut w).await;
    Ok(w.walk)
}

/// The quickstart's story, request by request; stops after `/auth` when it
/// got no token.
pub(crate) async fn story(w: &mut Walker<'_>) {
    let target = w.target;
    let store = target.store_id;
    let order = w.order.clone();

    let auth = json!({"application_id": target.application_id, "secret": target.secret});
    let answer = w.call("get_token", &[], &[], Some(auth)).await;
    w.token = learn(&answer, "/token");
    if let Some(token) = w.token.clone() {
        w.withhold_token(&token);
    }
    if w.token.is_none() {
        w.note("get_token", "no token: the rest of the walk needs one, stopped".to_string());
        return;
    }
    w.call("get_application", &[], &[], None).await;

    // An invoice, read back.
    let invoice = json!({"store_id": store, "amount": AMOUNT, "invoice_id": order,
        "callback_url": target.callback_url, "ofd": ofd(AMOUNT)});
    let answer = w.call("create_invoice", &[], &[], Some(invoice)).await;
    let invoice_uuid = learn(&answer, "/data/uuid");
    match &invoice_uuid {
        Some(uuid) => {
            w.call("get_invoice", &[("uuid", uuid)], &[], None).await;
        }
        None => w.skip("get_invoice", "invoice uuid"),
    }

    // The test card bound by its data and OTP, read back.
    w.call("check_card_pan", &[("pan", TEST_CARD_PAN)], &[], None).await;
    let card = json!({"pan": TEST_CARD_PAN, "expiry": TEST_CARD_EXPIRY, "user_phone": PHONE});
    let answer = w.call("add_card", &[], &[], Some(card)).await;
    let card_token = learn(&answer, "/data/card_token");
    w.sent.extend(card_token.clone());
    w.card_token = card_token.clone();
    match &card_token {
        Some(token) => {
            w.call("confirm_card", &[("card_token", token)], &[], Some(json!({"otp": TEST_OTP}))).await;
            w.call("get_card", &[("card_token", token)], &[], None).await;
        }
        None => w.skip("confirm_card", "card token"),
    }

    // A binding by the hosted form, read back (nobody fills the form).
    let binding = json!({"redirect_url": target.callback_url, "redirect_decline_url": target.callback_url,
        "store_id": store, "callback_url": target.callback_url, "phone": PHONE});
    let answer = w.call("create_card_binding", &[], &[], Some(binding)).await;
    match learn(&answer, "/data/session_id") {
        Some(session) => {
            w.call("get_card_binding", &[("session_id", &session)], &[], None).await;
        }
        None => w.skip("get_card_binding", "session id"),
    }

    // A payment by the card's token, confirmed, read, partly refunded.
    let payment_uuid = match &card_token {
        Some(token) => {
            let payment = json!({"card": {"token": token}, "amount": AMOUNT, "store_id": store,
                "invoice_id": format!("{order}-p"), "ofd": ofd(AMOUNT)});
            let answer = w.call("create_payment", &[], &[], Some(payment)).await;
            let uuid = learn(&answer, "/data/uuid");
            if let Some(uuid) = &uuid {
                // A token payment has `otp_hash: null` and is confirmed by `{}`.
                let has_otp = answer.as_ref().and_then(|a| a.pointer("/data/otp_hash")).is_some_and(|h| !h.is_null());
                let confirm = if has_otp { json!({"otp": TEST_OTP}) } else { json!({}) };
                w.call("confirm_payment", &[("uuid", uuid)], &[], Some(confirm)).await;
            }
            uuid
        }
        None => {
            w.skip("create_payment", "card token");
            None
        }
    };
    match &payment_uuid {
        Some(uuid) => {
            w.call("get_payment", &[("uuid", uuid)], &[], None).await;
            let refund = json!({"refund_amount": REFUND, "ofd": ofd(REFUND)});
            w.call("partial_refund_payment", &[("uuid", uuid)], &[], Some(refund)).await;
            w.call("get_payment", &[("uuid", uuid)], &[], None).await;
        }
        None => w.skip("get_payment", "payment uuid"),
    }

    // A hold on the card, read, cancelled (never confirmed: nothing is
    // taken), read again. Holds are addressed by their integer `id`.
    match &card_token {
        Some(token) => {
            let hold = json!({"card": {"token": token}, "amount": AMOUNT, "store_id": store,
                "invoice_id": format!("{order}-h"), "expiry": 60});
            let answer = w.call("create_hold", &[], &[], Some(hold)).await;
            match learn(&answer, "/data/id") {
                Some(id) => {
                    let before = w.send("get_hold", &[("payment_uuid", &id)], &[], None).await;
                    let cancel = w.send("cancel_hold", &[("payment_uuid", &id)], &[], None).await;
                    let after = w.send("get_hold", &[("payment_uuid", &id)], &[], None).await;
                    w.cancelled_hold = Some(CancelledHold { before, cancel, after });
                }
                None => w.skip("get_hold", "hold id"),
            }
        }
        None => w.skip("create_hold", "card token"),
    }

    // Today's registries.
    let day = today_in_tashkent();
    let window = |extra: Option<&str>| {
        let mut query = vec![
            ("offset", "0".to_string()),
            ("limit", "20".to_string()),
            ("start_date", format!("{day} 00:00:00")),
            ("end_date", format!("{day} 23:59:59")),
        ];
        if let Some(status) = extra {
            query.push(("only_status", status.to_string()));
        }
        query
    };
    let store_text = store.to_string();
    w.call("list_payments", &[("store_id", &store_text)], &window(None), None).await;
    w.call("list_payouts", &[("store_id", &store_text)], &window(Some("success")), None).await;

    // The unpaid invoice deleted, then read again.
    if let Some(uuid) = &invoice_uuid {
        w.call("cancel_invoice", &[("uuid", uuid)], &[], None).await;
        w.call("get_invoice", &[("uuid", uuid)], &[], None).await;
    }
}
