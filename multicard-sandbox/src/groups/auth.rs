//! The `auth` group: `/auth` issues bearer tokens with an `expiry` in
//! GMT+5, and answers bad credentials with its own error shape.

use axum::extract::State;
use axum::http::StatusCode;
use multicard_api::time::MulticardDateTime;
use serde_json::json;

use crate::answer::{Answer, Refusal};
use crate::extract::Body;
use crate::registry::Registry;
use crate::state::App;
use crate::world::values::{hex, text};

pub(crate) fn register(registry: &mut Registry) {
    registry.add("get_token", get_token);
}

async fn get_token(State(app): State<App>, Body(body): Body) -> Answer {
    app.run(|world, config| {
        let (application_id, secret) = (text(&body, "application_id"), text(&body, "secret"));
        if application_id.is_none() || secret.is_none() {
            return Err(Refusal::CredentialsMissing {
                application_id: application_id.is_none(),
                secret: secret.is_none(),
            });
        }
        if application_id.as_deref() != Some(config.application_id.as_str())
            || secret.as_deref() != Some(config.secret.as_str())
        {
            return Err(Refusal::InvalidCredentials);
        }
        let token = format!("sandbox.{}.{}", hex(24), hex(16));
        let (now, lifetime) = (world.now(), config.token_lifetime);
        let expires = now.saturating_add(lifetime);
        world.tokens.issue(token.clone(), expires, now);
        // As the server's clock writes it (a test may set it off the client's).
        let expiry = MulticardDateTime::from_utc(world.clock.utc_at(expires));
        let body = json!({"token": token, "role": "dev", "expiry": expiry.to_string()});
        Ok(Answer::raw(StatusCode::OK, body).into())
    })
}
