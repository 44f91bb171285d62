//! Sending one callback to a merchant and reading its answer, within
//! bounds: a POST with the JSON body, no redirect followed (a 3xx is an
//! answer, and the signed body goes nowhere else), the whole exchange
//! within `callback_timeout`, and at most `max_callback_answer` bytes of a
//! success callback's answer read (it only matters whether it is JSON with
//! a boolean `success: true`; other callbacks' answers are not read past
//! their status).

use serde_json::Value;

use crate::world::callbacks::{Answered, Outgoing};
use crate::world::kinds::CallbackKind;

/// The client callbacks are sent with: no redirects, `timeout` for the
/// whole exchange.
pub(crate) fn client(timeout: std::time::Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder().timeout(timeout).redirect(reqwest::redirect::Policy::none()).build()
}

/// Sends `message` and reads what came back, reading at most `limit`
/// bytes of an answer's body.
pub(crate) async fn post(http: &reqwest::Client, message: &Outgoing, limit: usize) -> Answered {
    let mut response = match http.post(&message.url).json(&message.body).send().await {
        Ok(response) => response,
        Err(error) if error.is_timeout() => return Answered::TimedOut,
        Err(_) => return Answered::Failed,
    };
    let status = response.status().as_u16();
    if status != 200 || message.kind != CallbackKind::Success {
        return Answered::Status { status, success_true: false };
    }
    if response.content_length().is_some_and(|length| length > limit as u64) {
        return Answered::Status { status, success_true: false };
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) if body.len().saturating_add(chunk.len()) > limit => {
                // Dropping the response closes the connection: no more is read.
                return Answered::Status { status, success_true: false };
            }
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(error) if error.is_timeout() => return Answered::TimedOut,
            Err(_) => return Answered::Status { status, success_true: false },
        }
    }
    let success_true =
        serde_json::from_slice::<Value>(&body).is_ok_and(|answer| answer["success"] == Value::Bool(true));
    Answered::Status { status, success_true }
}
