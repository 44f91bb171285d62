//! Probe f: whether a new `/auth` invalidates an older token. A second
//! token is fetched, used once (the control), then the first is used
//! again; the run goes on with the second. Both are withheld like the first.

use serde_json::json;

use super::relation::{ended, failed};
use super::verdict::{Probe, Question};
use crate::live::story::Walker;

/// Probe f.
pub const TOKEN_ROTATION: Question =
    Question { id: "token_rotation", text: "Does a new /auth invalidate an older token?" };

/// Probe f.
pub async fn token_rotation(w: &mut Walker<'_>) -> Probe {
    Probe::from_result(&TOKEN_ROTATION, measure(w).await)
}

async fn measure(w: &mut Walker<'_>) -> Result<Vec<String>, String> {
    let old = w.token.clone().ok_or("no token: the walk stopped at /auth")?;
    let auth = json!({"application_id": w.target.application_id, "secret": w.target.secret});
    let reply = w.send("get_token", &[], &[], Some(auth)).await;
    let Some(new) = reply.learn("/token") else { return Err(failed("the second /auth", &reply, &w.sent)) };
    w.withhold_token(&new);
    if new == old {
        return Ok(vec!["a second /auth answers the same token: nothing older to try".to_string()]);
    }
    w.token = Some(new.clone());
    let control = w.send("get_application", &[], &[], None).await;
    if !control.accepted() {
        return Err(format!("the new token was not accepted either: get_application {}", ended(&control, &w.sent)));
    }
    w.token = Some(old);
    let stale = w.send("get_application", &[], &[], None).await;
    w.token = Some(new);
    Ok(vec![if stale.accepted() {
        "older token still valid after a new /auth (get_application accepted it)".to_string()
    } else {
        format!("older token refused after a new /auth: get_application {}", ended(&stale, &w.sent))
    }])
}
