//! Sending one callback to a merchant and reading its answer, within
//! bounds: a POST with the JSON body, no redirect followed (a 3xx is an
//! answer, and the signed body goes nowhere else), the whole exchange
//! within `callback_timeout`, and at most `max_callback_answer` bytes of
//! the answer read. Only a 200 to a success callback is decided by its
//! body (JSON with a boolean `success: true`, or not); every other answer
//! by its status alone ([`verdict`](crate::callbacks::verdict)).
//!
//! Every answer's body is read, bounded, to be shown: the sandbox keeps
//! its start for the dashboard ([`Exchange`]), `multicard callback send`
//! prints it ([`post`]).

use serde_json::Value;

use crate::world::callbacks::{Answered, Exchange, Outgoing};
use crate::world::kinds::CallbackKind;

/// The client callbacks are sent with: no redirects, `timeout` for the
/// whole exchange (Multicard's: 5 s, `SandboxConfig::callback_timeout`).
pub fn client(timeout: std::time::Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder().timeout(timeout).redirect(reqwest::redirect::Policy::none()).build()
}

/// A merchant's answer to one callback, as [`post`] read it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Reply {
    /// The answer, as the vendor's rules read it.
    pub answered: Answered,
    /// The start of its body: what was read of it (at most the limit).
    pub body: Vec<u8>,
    /// The body went on past the limit, or stopped before its end.
    pub cut: bool,
    /// Why there was no answer, or the body stopped: the HTTP client's
    /// words.
    pub error: Option<String>,
}

/// Sends `body` to `url` as a callback of `kind` with `http` (see
/// [`client`]), and reads the answer, its body up to `limit` bytes.
pub async fn post(http: &reqwest::Client, url: &str, body: &Value, kind: CallbackKind, limit: usize) -> Reply {
    let response = match http.post(url).json(body).send().await {
        Ok(response) => response,
        Err(error) => return no_answer(&error),
    };
    let status = response.status().as_u16();
    let (read, cut, error) = read_body(response, limit).await;
    let answered = match (&error, decided_by_body(kind, status)) {
        (Some((true, _)), true) => Answered::TimedOut,
        _ if cut => Answered::Status { status, success_true: false },
        _ => Answered::status(status, &read),
    };
    Reply { answered, body: read, cut, error: error.map(|(_, text)| text) }
}

/// How much of a merchant's answer is kept to show (the dashboard).
pub(crate) const SHOWN_ANSWER_BYTES: usize = 2048;

/// Sends `message` with `http` ([`post`]) and keeps the start of the
/// answer to show.
pub(crate) async fn exchange(http: &reqwest::Client, message: &Outgoing, limit: usize) -> Exchange {
    let reply = post(http, &message.url, &message.body, message.kind, limit).await;
    let shown = matches!(reply.answered, Answered::Status { .. })
        .then(|| String::from_utf8_lossy(&reply.body[..reply.body.len().min(SHOWN_ANSWER_BYTES)]).into_owned());
    Exchange { answered: reply.answered, shown }
}

/// Whether the body of an answer `status` to a callback of `kind` matters.
fn decided_by_body(kind: CallbackKind, status: u16) -> bool {
    kind == CallbackKind::Success && status == 200
}

/// No HTTP answer: a timeout, or none at all.
fn no_answer(error: &reqwest::Error) -> Reply {
    let answered = if error.is_timeout() { Answered::TimedOut } else { Answered::Failed };
    Reply { answered, body: Vec::new(), cut: false, error: Some(describe(error)) }
}

/// An error with its causes, as one line.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Reads at most `limit` bytes of `response`'s body: what was read,
/// whether it was cut (longer, or broken off), and why it stopped early
/// (`true` for a timeout).
async fn read_body(mut response: reqwest::Response, limit: usize) -> (Vec<u8>, bool, Option<(bool, String)>) {
    let mut body = Vec::new();
    if response.content_length().is_some_and(|length| length > limit as u64) {
        return (body, true, None);
    }
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) if body.len().saturating_add(chunk.len()) > limit => {
                // Dropping the response closes the connection: no more is read.
                body.extend_from_slice(&chunk[..limit - body.len()]);
                return (body, true, None);
            }
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            Ok(None) => return (body, false, None),
            Err(error) => return (body, true, Some((error.is_timeout(), describe(&error)))),
        }
    }
}
