//! The sandbox's controls over HTTP, for tests in other languages that run
//! the binary: everything a Rust test does through [`Sandbox`](crate::Sandbox)
//! (move the clock, inject faults, make reads lag, read the callbacks
//! sent). They answer only requests from the sandbox's own host (a
//! loopback address), in Multicard's envelope.
//!
//! | Route | Body | Does |
//! |---|---|---|
//! | `POST /sandbox/admin/advance` | `{"seconds": 90}` | `Sandbox::advance`; answers the new time |
//! | `GET /sandbox/admin/clock` | | the time, and how many events wait |
//! | `POST /sandbox/admin/faults` | `{"operation": "confirm_payment", "fault": {"kind": "lose_answer"}, "times": 1}` | `Sandbox::inject` |
//! | `DELETE /sandbox/admin/faults` | | `Sandbox::clear_faults` |
//! | `POST /sandbox/admin/delivery-faults` | `{"fault": "timed_out", "times": 1}` | `Sandbox::inject_delivery` |
//! | `POST /sandbox/admin/reads` | `{"stale_reads": 5, "registry_lag": 10, "clock_offset": -300}` (seconds, each optional) | `set_stale_reads`, `set_registry_lag`, `set_clock_offset` |
//! | `GET /sandbox/admin/deliveries` | | `Sandbox::deliveries` |
//!
//! A fault is `{"kind": ...}` with its fields: `lose_answer`;
//! `apply_later` (`seconds`); `debit_unknown` (`seconds`, `then`:
//! `success` or `error`); `html_bad_gateway`; `rbac_denied`;
//! `malformed_json`; `drop_connection`; `error_under_200` (`code`);
//! `too_many_requests` (`retry_after`, optional); `delay`, `delay_answer`,
//! `hang` (`seconds`); `oversized` (`size`); `respond` (`status`,
//! `content_type`, `body`). A request that cannot be read answers
//! `ERROR_FIELDS` naming the field, never repeating what was sent.

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::TimeDelta;
use multicard_api::operation_table::OPERATIONS;
use serde_json::{Value, json};

use crate::answer::{Answer, Refusal};
use crate::faults::{DeliveryFault, Fault, LateOutcome};
use crate::pages::guard;
use crate::runner;
use crate::server::Peer;
use crate::state::{App, lock};

/// The largest fault count one request may add.
const MAX_TIMES: u64 = 10_000;

/// The controls' routes.
pub(crate) fn routes() -> Router<App> {
    Router::new()
        .route("/sandbox/admin/advance", post(advance))
        .route("/sandbox/admin/clock", get(clock))
        .route("/sandbox/admin/faults", post(add_fault).delete(clear_faults))
        .route("/sandbox/admin/delivery-faults", post(add_delivery_fault))
        .route("/sandbox/admin/reads", post(reads))
        .route("/sandbox/admin/deliveries", get(deliveries))
        .route_layer(from_fn(only_here))
}

/// Lets through requests from a loopback address only, that name a
/// loopback host, and none a browser sends from another site's page (its
/// `Origin` would be that site's): no web page can move the clock, inject
/// faults or read the callbacks sent, by a cross-site request or by DNS
/// rebinding. Test clients send no `Origin`.
async fn only_here(request: Request, next: Next) -> Response {
    let peer_is_local = request.extensions().get::<Peer>().is_some_and(Peer::is_loopback);
    let headers = request.headers();
    if peer_is_local && guard::names_loopback(headers) && guard::origin_is_own(headers) {
        next.run(request).await
    } else {
        Refusal::AdminElsewhere.into_response()
    }
}

/// A refusal naming what is wrong.
fn bad(reason: impl Into<String>) -> Refusal {
    Refusal::AdminRequest(reason.into())
}

fn object(bytes: &[u8]) -> Result<Value, Refusal> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(value @ Value::Object(_)) => Ok(value),
        _ => Err(bad("the body must be a JSON object")),
    }
}

/// Field `field` of `body` as a duration in seconds (a number, 0 or more).
fn seconds(body: &Value, field: &str) -> Result<Duration, Refusal> {
    let value = body.get(field).ok_or_else(|| bad(format!("`{field}` (seconds) is missing")))?;
    value
        .as_f64()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| bad(format!("`{field}` must be a number of seconds, 0 or more")))
}

fn count(body: &Value, field: &str, default: u64) -> Result<usize, Refusal> {
    match body.get(field) {
        None => Ok(default as usize),
        Some(value) => value
            .as_u64()
            .filter(|n| (1..=MAX_TIMES).contains(n))
            .map(|n| n as usize)
            .ok_or_else(|| bad(format!("`{field}` must be a whole number from 1 to {MAX_TIMES}"))),
    }
}

fn text(body: &Value, field: &str) -> Result<String, Refusal> {
    body.get(field).and_then(Value::as_str).map(str::to_string).ok_or_else(|| bad(format!("`{field}` must be text")))
}

async fn advance(State(app): State<App>, body: Bytes) -> Result<Answer, Refusal> {
    let by = seconds(&object(&body)?, "seconds")?;
    runner::advance(&app, by).await;
    Ok(now(&app))
}

async fn clock(State(app): State<App>) -> Answer {
    now(&app)
}

fn now(app: &App) -> Answer {
    let world = lock(&app.world);
    Answer::ok(json!({"now": world.clock.date().to_string(), "scheduled": world.schedule.len()}))
}

async fn add_fault(State(app): State<App>, body: Bytes) -> Result<Answer, Refusal> {
    let body = object(&body)?;
    let operation = text(&body, "operation")?;
    let operation = OPERATIONS
        .iter()
        .find(|op| op.id == operation)
        .ok_or_else(|| bad("`operation` is not an operation id of the spec"))?;
    let fault = fault(body.get("fault").ok_or_else(|| bad("`fault` is missing"))?)?;
    let times = count(&body, "times", 1)?;
    let mut faults = lock(&app.faults);
    faults.entry(operation.id.to_string()).or_default().extend(std::iter::repeat_n(fault, times));
    Ok(Answer::ok(json!({"operation": operation.id, "pending": faults[operation.id].len()})))
}

/// A fault as the controls write it.
pub(crate) fn fault(spec: &Value) -> Result<Fault, Refusal> {
    let kind = text(spec, "kind").map_err(|_| bad("`fault.kind` must be text"))?;
    let field = |name: &str| format!("fault.{name}");
    let secs = |name: &str| seconds(spec, name).map_err(|_| bad(format!("`{}` must be seconds", field(name))));
    Ok(match kind.as_str() {
        "lose_answer" => Fault::LoseAnswer,
        "apply_later" => Fault::ApplyLater(secs("seconds")?),
        "debit_unknown" => {
            let then = match spec.get("then").and_then(Value::as_str) {
                Some("success") => LateOutcome::Success,
                Some("error") => LateOutcome::Error,
                _ => return Err(bad("`fault.then` must be \"success\" or \"error\"")),
            };
            Fault::DebitUnknown { after: secs("seconds")?, then }
        }
        "html_bad_gateway" => Fault::HtmlBadGateway,
        "rbac_denied" => Fault::RbacDenied,
        "malformed_json" => Fault::MalformedJson,
        "drop_connection" => Fault::DropConnection,
        "error_under_200" => {
            Fault::ErrorUnder200 { code: text(spec, "code").map_err(|_| bad("`fault.code` must be text"))? }
        }
        "too_many_requests" => Fault::TooManyRequests {
            retry_after: match spec.get("retry_after") {
                None => None,
                Some(value) => Some(value.as_u64().ok_or_else(|| bad("`fault.retry_after` must be whole seconds"))?),
            },
        },
        "delay" => Fault::Delay(secs("seconds")?),
        "delay_answer" => Fault::DelayAnswer(secs("seconds")?),
        "hang" => Fault::Hang(secs("seconds")?),
        "oversized" => Fault::Oversized {
            size: spec
                .get("size")
                .and_then(Value::as_u64)
                .filter(|size| *size <= 64 * 1024 * 1024)
                .ok_or_else(|| bad("`fault.size` must be a byte count up to 64 MiB"))? as usize,
        },
        "respond" => Fault::Respond {
            status: spec
                .get("status")
                .and_then(Value::as_u64)
                .filter(|s| (100..=599).contains(s))
                .ok_or_else(|| bad("`fault.status` must be an HTTP status"))? as u16,
            content_type: text(spec, "content_type").map_err(|_| bad("`fault.content_type` must be text"))?,
            body: text(spec, "body").map_err(|_| bad("`fault.body` must be text"))?,
        },
        _ => return Err(bad("`fault.kind` is not a fault the sandbox knows")),
    })
}

async fn clear_faults(State(app): State<App>) -> Answer {
    lock(&app.faults).clear();
    Answer::ok(json!([]))
}

async fn add_delivery_fault(State(app): State<App>, body: Bytes) -> Result<Answer, Refusal> {
    let body = object(&body)?;
    let fault = match body.get("fault").and_then(Value::as_str) {
        Some("timed_out") => DeliveryFault::TimedOut,
        _ => return Err(bad("`fault` must be \"timed_out\"")),
    };
    let times = count(&body, "times", 1)?;
    let mut world = lock(&app.world);
    world.delivery_faults.extend(std::iter::repeat_n(fault, times));
    Ok(Answer::ok(json!({"pending": world.delivery_faults.len()})))
}

async fn reads(State(app): State<App>, body: Bytes) -> Result<Answer, Refusal> {
    let body = object(&body)?;
    let stale = body.get("stale_reads").map(|_| seconds(&body, "stale_reads")).transpose()?;
    let lag = body.get("registry_lag").map(|_| seconds(&body, "registry_lag")).transpose()?;
    let offset = match body.get("clock_offset") {
        None => None,
        Some(value) => Some(
            value
                .as_i64()
                .and_then(TimeDelta::try_seconds)
                .ok_or_else(|| bad("`clock_offset` must be whole seconds (negative: behind)"))?,
        ),
    };
    let mut world = lock(&app.world);
    if let Some(stale) = stale {
        world.set_stale_reads(stale);
    }
    if let Some(lag) = lag {
        world.replica.registry_lag = lag;
    }
    if let Some(offset) = offset {
        world.clock.set_offset(offset);
    }
    Ok(Answer::ok(json!({"stale_reads": world.replica.stale_reads.as_secs_f64(),
        "registry_lag": world.replica.registry_lag.as_secs_f64()})))
}

async fn deliveries(State(app): State<App>) -> Answer {
    let list: Vec<Value> = lock(&app.world)
        .deliveries
        .all()
        .into_iter()
        .map(|d| {
            json!({"kind": d.kind, "url": d.url, "body": d.body, "attempt": d.attempt, "status": d.status,
                "outcome": d.outcome.as_str(), "at": d.at})
        })
        .collect();
    Answer::ok(Value::Array(list))
}
