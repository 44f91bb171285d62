//! What every operation's request goes through before its handler, in
//! this order: it is counted; a fault injected for the operation answers
//! instead (or delays it); a body that is not JSON is refused; the bearer
//! token is checked (every operation but `get_token`); the body is checked
//! against the operation's request type, as the SDK generates it from the
//! spec. What the spec forbids, the sandbox refuses (Multicard answers
//! `ERROR_FIELDS`).

use std::time::Duration;

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use multicard_api::operation_table::OperationInfo;
use serde_json::{Value, json};

use crate::answer::Refusal;
use crate::extract::Body;
use crate::faults::Fault;
use crate::state::{App, lock};

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
    let mut answer_delay: Option<Duration> = None;
    match fault {
        Some(Fault::DelayAnswer(delay)) => answer_delay = Some(delay),
        Some(fault) => {
            if let Some(response) = fault.respond().await {
                return response;
            }
        }
        None => {}
    }
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
        if !token.is_some_and(|t| lock(&app.world).tokens.valid(t)) {
            return Refusal::Unauthorized.into_response();
        }
    }
    let body = json.unwrap_or(Value::Null);
    let body = if is_auth {
        body // `/auth` answers bad bodies with its own error shape
    } else {
        match checked(operation.id, body) {
            Ok(body) => body,
            Err(reason) => return Refusal::Malformed(reason).into_response(),
        }
    };
    parts.extensions.insert(Body(body));
    let response = next.run(Request::from_parts(parts, axum::body::Body::empty())).await;
    if let Some(delay) = answer_delay {
        tokio::time::sleep(delay).await;
    }
    response
}

/// `body` checked against the request type of `operation` and written back
/// as that type writes it (nulls of optional fields and unknown fields
/// dropped), which is what the sandbox stores and echoes. An absent body is
/// `{}`; an operation without a request type takes its body as it is.
fn checked(operation: &str, body: Value) -> Result<Value, String> {
    let given = if body.is_null() { json!({}) } else { body.clone() };
    multicard_api::decode_request(operation, given).unwrap_or(Ok(body))
}
