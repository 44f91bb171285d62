//! Sending one callback to a merchant and reading its answer, within
//! bounds: a POST with the JSON body, no redirect followed (a 3xx is an
//! answer, and the signed body goes nowhere else), the whole exchange
//! within `callback_timeout`, and at most `max_callback_answer` bytes of a
//! success callback's answer read (it only matters whether it is JSON with
//! a boolean `success: true`; the rest is read to be shown, and only the
//! status decides).

use serde_json::Value;

use crate::world::callbacks::{Answered, Outgoing};
use crate::world::kinds::CallbackKind;

/// The client callbacks are sent with: no redirects, `timeout` for the
/// whole exchange.
pub(crate) fn client(timeout: std::time::Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder().timeout(timeout).redirect(reqwest::redirect::Policy::none()).build()
}

/// How much of a merchant's answer is kept to show (the dashboard).
pub(crate) const SHOWN_ANSWER_BYTES: usize = 2048;

/// What came back for one callback, and what is kept of it to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Exchange {
    pub(crate) answered: Answered,
    /// The first [`SHOWN_ANSWER_BYTES`] of the answer's body (lossy UTF-8),
    /// when one was read.
    pub(crate) shown: Option<String>,
}

impl Exchange {
    fn status(status: u16, success_true: bool, body: &[u8]) -> Self {
        let shown = String::from_utf8_lossy(&body[..body.len().min(SHOWN_ANSWER_BYTES)]).into_owned();
        Self { answered: Answered::Status { status, success_true }, shown: Some(shown) }
    }

    fn without_body(answered: Answered) -> Self {
        Self { answered, shown: None }
    }
}

/// Sends `message` and reads what came back, reading at most `limit`
/// bytes of an answer's body. Only a success callback's 200 is judged by
/// its body; any other answer's body is read (as far as `limit` and the
/// timeout allow) to be shown, and its status decides.
pub(crate) async fn post(http: &reqwest::Client, message: &Outgoing, limit: usize) -> Exchange {
    let mut response = match http.post(&message.url).json(&message.body).send().await {
        Ok(response) => response,
        Err(error) if error.is_timeout() => return Exchange::without_body(Answered::TimedOut),
        Err(_) => return Exchange::without_body(Answered::Failed),
    };
    let status = response.status().as_u16();
    let judged = status == 200 && message.kind == CallbackKind::Success;
    if response.content_length().is_some_and(|length| length > limit as u64) {
        return Exchange::status(status, false, b"");
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) if body.len().saturating_add(chunk.len()) > limit => {
                // Dropping the response closes the connection: no more is read.
                return Exchange::status(status, false, &body);
            }
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(error) if judged && error.is_timeout() => return Exchange::without_body(Answered::TimedOut),
            Err(_) => return Exchange::status(status, false, &body),
        }
    }
    let success_true =
        judged && serde_json::from_slice::<Value>(&body).is_ok_and(|answer| answer["success"] == Value::Bool(true));
    Exchange::status(status, success_true, &body)
}
