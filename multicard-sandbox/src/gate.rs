//! What every operation's request goes through before its handler, in
//! this order: it is counted; a fault injected for the operation that
//! answers in its place (or delays it) does so; a body that is not JSON is
//! refused; the bearer token is checked (every operation but `get_token`);
//! a write is checked by the rules the SDK checks before sending
//! (`rules.rs`: amounts, fiscal receipts, splits, identification; Multicard
//! answers `ERROR_FIELDS` with its wording); the body is checked against
//! the operation's request type, as the SDK generates it from the spec
//! (what the spec forbids, the sandbox refuses: Multicard answers
//! `ERROR_FIELDS`); a write larger than
//! `max_object_bytes`, or past `max_stored_bytes`, is refused. Then the
//! handler runs, unless a fault on a write's outcome holds it back
//! (`Fault::ApplyLater`, `Fault::DebitUnknown`) or loses its answer
//! (`Fault::LoseAnswer`).

use std::time::Duration;

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use multicard_api::operation_table::OperationInfo;
use serde_json::{Value, json};

use crate::answer::{Refusal, Succeeded};
use crate::extract::{Body, Plan};
use crate::faults::{Fault, LateOutcome, cut_connection, gateway_timeout};
use crate::rules;
use crate::state::{App, lock};
use crate::world::money::DebitPlan;
use crate::world::schedule::Event;

/// The operations that debit (or pay out): a `Fault::DebitUnknown` on them
/// starts the debit and leaves it in `progress` until its outcome is due.
const DEBITS: [&str; 5] = ["confirm_payment", "charge_hold", "scanpay_invoice", "confirm_payout", "create_payout"];

/// What a write that changed something counts against `max_stored_bytes`
/// besides its body (what the sandbox keeps around it).
const STORED_OVERHEAD: usize = 1024;

/// The gate of one operation.
#[derive(Clone)]
pub(crate) struct Gate {
    pub(crate) app: App,
    pub(crate) operation: OperationInfo,
}

/// Lets a request through to its handler, or answers in its place.
pub(crate) async fn gate(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    let Gate { app, operation } = gate;
    *lock(&app.counts).entry(operation.id.to_string()).or_default() += 1;
    let fault = {
        let mut faults = lock(&app.faults);
        faults.get_mut(operation.id).and_then(|queue| (!queue.is_empty()).then(|| queue.remove(0)))
    };
    let outcome_fault = match fault {
        Some(
            fault @ (Fault::DelayAnswer(_) | Fault::LoseAnswer | Fault::ApplyLater(_) | Fault::DebitUnknown { .. }),
        ) => Some(fault),
        Some(fault) => match fault.respond().await {
            Some(response) => return response,
            None => None,
        },
        None => None,
    };
    let (mut parts, body) = request.into_parts();
    // The server has read the whole body already (within its size and time
    // limits): this only takes it.
    let Ok(bytes) = to_bytes(body, usize::MAX).await else { return Refusal::NotJson.into_response() };
    let json: Option<Value> = if bytes.is_empty() { None } else { serde_json::from_slice(&bytes).ok() };
    let is_auth = !operation.requires_token;
    if !bytes.is_empty() && json.is_none() && !is_auth {
        // (`/auth` answers a body it cannot read with its own error shape.)
        return Refusal::NotJson.into_response();
    }
    if operation.requires_token {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let valid = token.is_some_and(|t| {
            let world = lock(&app.world);
            world.tokens.valid(t, world.now())
        });
        if !valid {
            return Refusal::Unauthorized.into_response();
        }
    }
    let body = json.unwrap_or(Value::Null);
    let body = if is_auth {
        body // `/auth` answers bad bodies with its own error shape
    } else {
        // The rules first, on the body as it arrived: what they refuse is
        // answered in Multicard's words, not the request type's.
        if let Some(refusal) = rules::refusal(operation.id, &body) {
            return refusal.into_response();
        }
        match checked(operation.id, body) {
            Ok(body) => body,
            Err(reason) => return Refusal::Malformed(reason).into_response(),
        }
    };
    // What a write that changes something adds to what the sandbox keeps.
    let stored =
        (operation.requires_token && !operation.is_read()).then(|| bytes.len().saturating_add(STORED_OVERHEAD));
    if let Some(size) = stored {
        if bytes.len() > app.config.max_object_bytes {
            return Refusal::ObjectTooLarge(app.config.max_object_bytes).into_response();
        }
        if lock(&app.world).stored_bytes.saturating_add(size) > app.config.max_stored_bytes {
            return Refusal::StoreFull(app.config.max_stored_bytes).into_response();
        }
    }
    parts.extensions.insert(Body(body));
    let debit = DEBITS.contains(&operation.id);
    if let Some(Fault::DebitUnknown { after, then }) = outcome_fault
        && debit
    {
        parts.extensions.insert(Plan(DebitPlan::unknown(after, then)));
    }
    let request = Request::from_parts(parts, axum::body::Body::empty());
    match outcome_fault {
        Some(Fault::ApplyLater(after)) => {
            hold_back(&app, next, request, after, stored);
            gateway_timeout()
        }
        Some(Fault::DebitUnknown { after, then }) if !debit => {
            if then == LateOutcome::Success {
                hold_back(&app, next, request, after, stored);
            }
            Refusal::DebitUnknown.into_response()
        }
        Some(Fault::DebitUnknown { .. }) => match handle(&app, next, request, stored).await {
            response if response.extensions().get::<Succeeded>().is_some() => Refusal::DebitUnknown.into_response(),
            refused => refused,
        },
        Some(Fault::LoseAnswer) => {
            let _ = handle(&app, next, request, stored).await;
            cut_connection()
        }
        Some(Fault::DelayAnswer(delay)) => {
            let response = handle(&app, next, request, stored).await;
            tokio::time::sleep(delay).await;
            response
        }
        _ => handle(&app, next, request, stored).await,
    }
}

/// Runs the handler, and counts what a write that went through stored.
async fn handle(app: &App, next: Next, request: Request, stored: Option<usize>) -> Response {
    let response = next.run(request).await;
    if let Some(size) = stored
        && response.extensions().get::<Succeeded>().is_some()
    {
        let mut world = lock(&app.world);
        world.stored_bytes = world.stored_bytes.saturating_add(size);
        app.keeper.touch();
    }
    response
}

/// Schedules the request to be handled `after` this long on the sandbox's
/// clock (its answer goes nowhere).
fn hold_back(app: &App, next: Next, request: Request, after: Duration, stored: Option<usize>) {
    let handled = app.clone();
    let apply = Box::new(move || {
        Box::pin(async move {
            let _ = handle(&handled, next, request, stored).await;
        }) as std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
    });
    {
        let mut world = lock(&app.world);
        let at = world.now().saturating_add(after);
        world.schedule.add(at, Event::Apply(apply));
    }
    app.wake.notify_one();
}

/// `body` checked against the request type of `operation` and written back
/// as that type writes it (nulls of optional fields and unknown fields
/// dropped), which is what the sandbox stores and echoes. An absent body is
/// `{}`; an operation without a request type takes its body as it is.
fn checked(operation: &str, body: Value) -> Result<Value, String> {
    let given = if body.is_null() { json!({}) } else { body.clone() };
    multicard_api::decode_request(operation, given).unwrap_or(Ok(body))
}
