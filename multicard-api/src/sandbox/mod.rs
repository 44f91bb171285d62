//! A local Multicard: a stateful, in-process server that behaves like the
//! real API, for tests and for trying the SDK with no credentials and no
//! internet (cargo feature `sandbox`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use multicard_api::sandbox::Sandbox;
//! use multicard_api::Multicard;
//!
//! let sandbox = Sandbox::start().await?;          // a free loopback port
//! let multicard = Multicard::new(sandbox.config())?; // its URL and credentials
//! let application = multicard.send(|api| api.get_application()).await?;
//! # Ok(()) }                                       // stops when `sandbox` is dropped
//! ```
//!
//! It implements all 31 operations with Multicard's envelope and error
//! codes: tokens from `/auth` with an `expiry` in GMT+5 (lifetime
//! configurable), invoices with checkout links and TTL, card binding by
//! hosted form and by card data with OTP (test card `8600533364098829`,
//! expiry `2806`, OTP `112233`), payments by token, by card, split and in
//! apps, full and partial refunds, holds, payouts, fiscal links and the
//! registries. It signs and delivers callbacks, and it can inject faults.
//! The binary `multicard-sandbox` serves it on a chosen port.
//!
//! Where production differs from the vendor's pages, it answers as
//! production does: payments without `amount`, token payments with
//! `otp_hash: null` confirmed by `{}`, 22-character card tokens, invoices
//! that read `cancelled` after a delete or their lifetime and then answer
//! `ERROR_TRANS_NOT_READY`, holds addressed by their integer id, and
//! `ERROR_SMS_TO_MANY` past a card's one-time-code limit
//! ([`SandboxConfig::otp_sms_limit`]).
//!
//! It is meant for loopback: it POSTs callbacks to any URL a client gives
//! it, so anyone who can reach it can make it send requests into the
//! network it runs in. Bound to another address it logs a warning (the
//! binary prints one). What a client can hold is bounded: connections
//! (`max_connections`), the time to send a request's header or body
//! (`header_read_timeout`, `body_read_timeout`), and the tokens kept
//! (`max_tokens`; expired ones are dropped).

mod auth;
mod cards;
mod faults;
mod holds;
mod invoices;
mod otp;
mod payments;
mod payouts;
mod refunds;
mod reports;
mod server;
mod state;
mod tokens;
mod values;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub use faults::Fault;
use state::World;

use crate::config::{Config, Environment};
use crate::operation_table::{OPERATIONS, OperationInfo};

/// The test card of the sandbox.
pub const TEST_CARD_PAN: &str = "8600533364098829";
/// Its expiry (YYMM).
pub const TEST_CARD_EXPIRY: &str = "2806";
/// The OTP the sandbox accepts.
pub const TEST_OTP: &str = "112233";
/// The sandbox's application id.
pub const APPLICATION_ID: &str = "rhmt_test";
/// The sandbox's secret (also the callback signing secret).
pub const SECRET: &str = "Pw18axeBFo8V7NamKHXX";
/// The sandbox's store.
pub const STORE_ID: i64 = 6;

/// How the sandbox behaves.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// The lifetime of the tokens `/auth` issues (default 24 h).
    pub token_lifetime: Duration,
    /// Deliver status-change webhooks (SHA-1 signed) besides the success
    /// callback (off by default, as on Multicard).
    pub status_webhooks: bool,
    /// How many times a callback is sent when the merchant does not
    /// answer 200 (default 3).
    pub callback_attempts: u32,
    /// The pause between two attempts (default 200 ms).
    pub callback_retry_delay: Duration,
    /// The timeout of one callback delivery (default 5 s).
    pub callback_timeout: Duration,
    /// The application id and secret it accepts.
    pub application_id: String,
    /// The secret it accepts and signs callbacks with.
    pub secret: String,
    /// The connections open at once (default 128). One more closes the
    /// connection idle the longest (no request in progress: a client that
    /// never finishes its header, or a keep-alive connection between
    /// requests); while every connection has a request in progress, it waits.
    pub max_connections: usize,
    /// How long a connection may take to send a request's header, and may
    /// stay idle between two requests, before it is closed (default 10 s).
    pub header_read_timeout: Duration,
    /// How long a request's body may take to arrive before the request is
    /// answered 408 and the connection closed (default 10 s).
    pub body_read_timeout: Duration,
    /// The tokens kept at most (default 10,000): expired tokens are dropped
    /// when a new one is issued, and past this many the oldest is dropped.
    pub max_tokens: usize,
    /// The one-time codes (SMS) one card may be sent within
    /// `otp_sms_window` (default 3). Binding a card by its data, a payment
    /// by card data and a hold each send one; a payment by card token sends
    /// none. One more answers `ERROR_SMS_TO_MANY` (HTTP 400, Multicard's
    /// spelling) and changes nothing. Multicard's sandbox limits codes the
    /// same way (observed); its exact numbers are not published, so these
    /// are the sandbox's. `usize::MAX` lifts the limit.
    pub otp_sms_limit: usize,
    /// The window `otp_sms_limit` counts codes in (default 5 minutes).
    pub otp_sms_window: Duration,
    /// How long an invoice that was deleted, or whose lifetime ran out
    /// unpaid, still reads with `status: "cancelled"` (default 5 s);
    /// afterwards `get_invoice` answers `ERROR_TRANS_NOT_READY` (HTTP 400).
    /// Production shows both (observed); how long it shows the first is
    /// not known.
    pub cancelled_invoice_readable_for: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            token_lifetime: Duration::from_secs(24 * 3600),
            status_webhooks: false,
            callback_attempts: 3,
            callback_retry_delay: Duration::from_millis(200),
            callback_timeout: Duration::from_secs(5),
            application_id: APPLICATION_ID.into(),
            secret: SECRET.into(),
            max_connections: 128,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            max_tokens: 10_000,
            otp_sms_limit: 3,
            otp_sms_window: Duration::from_secs(5 * 60),
            cancelled_invoice_readable_for: Duration::from_secs(5),
        }
    }
}

/// One callback the sandbox sent.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// `success`, `webhook` or `card_binding`.
    pub kind: &'static str,
    /// Where it went.
    pub url: String,
    /// The JSON body.
    pub body: Value,
    /// Which attempt (1 for the first).
    pub attempt: u32,
    /// The merchant's HTTP status, or `None` when it did not answer.
    pub status: Option<u16>,
}

pub(crate) struct Shared {
    pub(crate) config: SandboxConfig,
    pub(crate) world: Mutex<World>,
    pub(crate) faults: Mutex<BTreeMap<String, Vec<Fault>>>,
    pub(crate) counts: Mutex<BTreeMap<String, u64>>,
    pub(crate) deliveries: Mutex<Vec<Delivery>>,
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    /// The connections open now.
    pub(crate) connections: Arc<std::sync::atomic::AtomicUsize>,
}

/// A running sandbox. Dropping it stops the server.
pub struct Sandbox {
    shared: Arc<Shared>,
    address: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("url", &self.shared.base_url).finish()
    }
}

impl Sandbox {
    /// Starts a sandbox with default settings on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(SandboxConfig::default()).await
    }

    /// Starts a sandbox with `config` on a free loopback port.
    pub async fn start_with(config: SandboxConfig) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        Self::serve(listener, config).await
    }

    /// Serves on `listener` (the binary uses this with a chosen port).
    /// Logs a warning when `listener` is not on a loopback address.
    pub async fn serve(listener: tokio::net::TcpListener, config: SandboxConfig) -> std::io::Result<Self> {
        let address = listener.local_addr()?;
        if !address.ip().is_loopback() {
            tracing::warn!(%address, "{}", exposure_warning(address));
        }
        let base_url = format!("http://{address}");
        let http = reqwest::Client::builder()
            .timeout(config.callback_timeout)
            .build()
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let limits = server::Limits {
            max_connections: config.max_connections,
            header_read_timeout: config.header_read_timeout,
            body_read_timeout: config.body_read_timeout,
        };
        let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let shared = Arc::new(Shared {
            world: Mutex::new(World::new(&base_url, config.max_tokens)),
            connections: connections.clone(),
            config,
            faults: Mutex::default(),
            counts: Mutex::default(),
            deliveries: Mutex::default(),
            http,
            base_url,
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server::serve(listener, app, limits, connections, stopped));
        Ok(Self { shared, address, shutdown: Some(shutdown), task })
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> &str {
        &self.shared.base_url
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// A client configuration for this sandbox (its URL and credentials).
    pub fn config(&self) -> Config {
        Config::new(
            &self.shared.config.application_id,
            &self.shared.config.secret,
            Environment::Custom(self.url().into()),
        )
    }

    /// The secret callbacks are signed with.
    pub fn secret(&self) -> &str {
        &self.shared.config.secret
    }

    /// Makes the next `times` requests to `operation` (an `operationId`)
    /// answer with `fault` instead.
    pub fn inject(&self, operation: &str, fault: Fault, times: usize) {
        let mut faults = self.shared.faults.lock().unwrap_or_else(|p| p.into_inner());
        faults.entry(operation.to_string()).or_default().extend(std::iter::repeat_n(fault, times));
    }

    /// Removes every pending fault.
    pub fn clear_faults(&self) {
        self.shared.faults.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// How many requests `operation` received (faulted ones included).
    pub fn requests(&self, operation: &str) -> u64 {
        self.shared.counts.lock().unwrap_or_else(|p| p.into_inner()).get(operation).copied().unwrap_or(0)
    }

    /// Requests received, by operation.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.shared.counts.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The connections open now (at most `max_connections`).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The tokens it keeps: issued and not yet dropped (expired tokens are
    /// dropped as new ones are issued).
    pub fn issued_tokens(&self) -> usize {
        self.shared.world.lock().unwrap_or_else(|p| p.into_inner()).tokens.len()
    }

    /// Every callback sent so far.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.deliveries.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Completes the hosted card-binding form of `session_id` with the
    /// test card, as a payer would, and sends the card-binding callback.
    pub fn complete_card_binding(&self, session_id: &str) -> Result<Value, String> {
        cards::complete_binding(&self.shared, session_id)
    }

    /// Pays invoice `uuid` with the test card on the checkout page, as a
    /// payer would, and sends the success callback.
    pub fn pay_invoice(&self, uuid: &str) -> Result<Value, String> {
        invoices::pay_invoice(&self.shared, uuid)
    }

    /// Completes an app payment (`payment_system`) as the payer's app would.
    pub fn complete_app_payment(&self, uuid: &str) -> Result<Value, String> {
        payments::complete_app_payment(&self.shared, uuid)
    }

    /// Waits until at least `count` callbacks were sent, or `timeout` passes.
    pub async fn wait_for_deliveries(&self, count: usize, timeout: Duration) -> Vec<Delivery> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let deliveries = self.deliveries();
            if deliveries.len() >= count || tokio::time::Instant::now() >= deadline {
                return deliveries;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops the server and waits for it to end.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.task.abort();
    }
}

/// The warning for a sandbox reachable from other hosts.
pub fn exposure_warning(address: SocketAddr) -> String {
    format!(
        "the Multicard sandbox listens on {address}, which is not a loopback address: anyone who can reach it can \
         use it with the published test credentials, and it sends callbacks (HTTP POST) to any URL a client gives \
         it, into the network it runs in; listen on 127.0.0.1 unless this network is isolated"
    )
}

/// The operation a method and path address: the template with the most
/// literal segments wins (`/payment/application` before `/payment/{uuid}`).
pub(crate) fn route(method: &Method, path: &str) -> Option<(&'static OperationInfo, BTreeMap<&'static str, String>)> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let mut best: Option<(usize, &'static OperationInfo, BTreeMap<&'static str, String>)> = None;
    for op in OPERATIONS.iter() {
        if op.method != method.as_str() {
            continue;
        }
        let template: Vec<&'static str> = op.path.split('/').skip(1).collect();
        if template.len() != segments.len() {
            continue;
        }
        let mut params = BTreeMap::new();
        let mut literals = 0;
        let matched = template.iter().zip(&segments).all(|(t, s)| {
            if let Some(name) = t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                params.insert(name, percent_decode(s));
                !s.is_empty()
            } else {
                literals += 1;
                t == s
            }
        });
        if matched && best.as_ref().is_none_or(|(l, _, _)| literals > *l) {
            best = Some((literals, op, params));
        }
    }
    best.map(|(_, op, params)| (op, params))
}

fn percent_decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(byte) = segment.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An answer: HTTP status and JSON body.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Value,
}

impl Answer {
    pub(crate) fn ok(data: Value) -> Self {
        Self { status: StatusCode::OK, body: json!({"success": true, "data": data}) }
    }
    pub(crate) fn error(status: u16, code: &str, details: &str) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            body: json!({"success": false, "error": {"code": code, "details": details}}),
        }
    }
    pub(crate) fn fields(details: &str) -> Self {
        Self::error(400, "ERROR_FIELDS", details)
    }
}

impl IntoResponse for Answer {
    fn into_response(self) -> Response {
        (self.status, [(header::CONTENT_TYPE, "application/json")], self.body.to_string()).into_response()
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    if let Some(page) = path.strip_prefix("/sandbox/") {
        return state::sandbox_page(&shared, &method, page).into_response();
    }
    let Some((op, params)) = route(&method, &path) else {
        return Answer::error(404, "ERROR_NOT_FOUND", "Маршрут не найден").into_response();
    };
    *shared.counts.lock().unwrap_or_else(|p| p.into_inner()).entry(op.id.to_string()).or_default() += 1;
    let fault = {
        let mut faults = shared.faults.lock().unwrap_or_else(|p| p.into_inner());
        faults.get_mut(op.id).and_then(|queue| (!queue.is_empty()).then(|| queue.remove(0)))
    };
    let mut answer_delay = None;
    if let Some(fault) = fault {
        if let Fault::DelayAnswer(delay) = fault {
            answer_delay = Some(delay);
        } else if let Some(response) = fault.respond().await {
            return response;
        }
    }
    let query: BTreeMap<String, String> = uri
        .query()
        .map(|q| {
            q.split('&')
                .map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    (percent_decode(k), percent_decode(&v.replace('+', " ")))
                })
                .collect()
        })
        .unwrap_or_default();
    let json_body: Option<Value> = if body.is_empty() { None } else { serde_json::from_slice(&body).ok() };
    if !body.is_empty() && json_body.is_none() && op.id != "get_token" {
        // (`/auth` answers a body it cannot read with its own error shape.)
        return Answer::fields("Тело запроса не является JSON").into_response();
    }
    if op.requires_token {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let valid = token.is_some_and(|t| shared.world.lock().unwrap_or_else(|p| p.into_inner()).token_valid(t));
        if !valid {
            return Answer::error(401, "ERROR_UNAUTHORIZED", "Unauthorized").into_response();
        }
    }
    let body = match validate_body(op.id, json_body.unwrap_or(Value::Null)) {
        Ok(body) => body,
        Err(message) => return Answer::fields(&format!("Неверный формат запроса: {message}")).into_response(),
    };
    let response = state::dispatch(&shared, op, &params, &query, body).into_response();
    if let Some(delay) = answer_delay {
        tokio::time::sleep(delay).await;
    }
    response
}

/// Checks a request body against the operation's request type, as the
/// SDK generates it from the spec: what the spec forbids, the sandbox
/// refuses (Multicard answers `ERROR_FIELDS`). Returns the body as that
/// type writes it (nulls of optional fields and unknown fields dropped),
/// which is what the sandbox stores and echoes. An absent body is `{}`.
fn validate_body(operation: &str, body: Value) -> Result<Value, String> {
    if operation == "get_token" {
        return Ok(body); // `/auth` answers bad bodies with its own error shape
    }
    let given = if body.is_null() { json!({}) } else { body.clone() };
    crate::operation::decode_request(operation, given).unwrap_or(Ok(body))
}
