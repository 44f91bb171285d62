//! The `auth` group: `/auth` issues bearer tokens with an `expiry` in
//! GMT+5, and answers bad credentials with its own error shape.

use std::time::Instant;

use axum::http::StatusCode;
use serde_json::{Value, json};

use super::Answer;
use super::SandboxConfig;
use super::state::{Outcome, World};
use super::values::{hex, text};
use crate::time::MulticardDateTime;

/// `get_token`, the group's one operation.
pub(super) fn operate(config: &SandboxConfig, world: &mut World, body: &Value) -> Outcome {
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
        let body = json!({"errors": [{"message": messages}]});
        return (Answer { status: StatusCode::BAD_REQUEST, body }, Vec::new());
    }
    if application_id.as_deref() != Some(config.application_id.as_str())
        || given_secret.as_deref() != Some(config.secret.as_str())
    {
        let body = json!({"errors": [{"message": [{"message": "Invalid Credentials"}]}]});
        return (Answer { status: StatusCode::BAD_REQUEST, body }, Vec::new());
    }
    let token = format!("sandbox.{}.{}", hex(24), hex(16));
    let lifetime = config.token_lifetime;
    world.tokens.issue(token.clone(), Instant::now() + lifetime);
    let expiry = MulticardDateTime::from_utc(
        chrono::Utc::now() + chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::hours(24)),
    );
    let body = json!({"token": token, "role": "dev", "expiry": expiry.to_string()});
    (Answer { status: StatusCode::OK, body }, Vec::new())
}
