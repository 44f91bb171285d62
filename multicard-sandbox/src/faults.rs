//! Fault injection: make the next requests to an operation fail the way
//! real networks and gateways fail ([`Fault`]), make a write's outcome
//! unknown to its client while it applies anyway ([`Fault::LoseAnswer`],
//! [`Fault::ApplyLater`], [`Fault::DebitUnknown`]), and make the next
//! callbacks meet a merchant that did not answer in time
//! ([`DeliveryFault`]).

use std::time::Duration;

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::answer::Refusal;

/// A way for one request to go wrong.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status, content type and body.
    Respond {
        /// HTTP status.
        status: u16,
        /// `Content-Type`.
        content_type: String,
        /// Body.
        body: String,
    },
    /// Answer 429 with an optional `Retry-After` (seconds).
    TooManyRequests {
        /// `Retry-After`, if any.
        retry_after: Option<u64>,
    },
    /// A proxy's HTML 502 page.
    HtmlBadGateway,
    /// The mesh's plain-text `403 RBAC: access denied`.
    RbacDenied,
    /// HTTP 200 with a body that is not JSON.
    MalformedJson,
    /// Multicard's error envelope under HTTP 200.
    ErrorUnder200 {
        /// The error code.
        code: String,
    },
    /// Wait, then handle the request normally.
    Delay(Duration),
    /// Handle the request (the operation is done), then wait before
    /// answering: the answer a client that timed out never sees.
    DelayAnswer(Duration),
    /// Wait, then answer 504 without doing the operation.
    Hang(Duration),
    /// Do not answer: the response starts and the connection is cut.
    DropConnection,
    /// An answer of `size` bytes (a runaway body).
    Oversized {
        /// The body's size.
        size: usize,
    },
    /// Handle the request (a write applies), then cut the connection
    /// before any answer: the client cannot know it applied.
    LoseAnswer,
    /// Answer 504 (a proxy's timeout) at once, and handle the request
    /// when the sandbox's clock has moved on by this much
    /// (`Sandbox::advance`): a read made before then (the first read of a
    /// settle) still sees the state before the write.
    ApplyLater(Duration),
    /// Answer `ERROR_DEBIT_UNKNOWN`, and let the outcome be known only
    /// `after` this long on the sandbox's clock. On a debit
    /// (`confirm_payment`, `charge_hold`, `scanpay_invoice`,
    /// `confirm_payout`, `create_payout`) the request is handled at once:
    /// the payment or payout reads `progress` until then, and ends as
    /// `then` says (a late `success` goes on to the success callback as
    /// usual). On any other write, a late `success` handles the request
    /// `after` this long and a late `error` never does.
    DebitUnknown {
        /// How long the outcome stays unknown.
        after: Duration,
        /// How it ends.
        then: LateOutcome,
    },
}

/// How a write whose outcome was unknown ends ([`Fault::DebitUnknown`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum LateOutcome {
    /// It went through: a payment is paid (then its success callback goes
    /// out), a payout paid out.
    Success,
    /// It failed: the payment or payout ends `error`; nothing was taken.
    Error,
}

/// A way for the next callback deliveries to go wrong
/// (`Sandbox::inject_delivery`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeliveryFault {
    /// The callback is sent (the merchant receives it and may act on it)
    /// but its answer is treated as never having come in time: a success
    /// callback freezes its payment, as a timeout does at Multicard.
    TimedOut,
}

impl Fault {
    /// The response for this fault, or `None` to handle the request
    /// normally (after the fault's delay, if any).
    pub(crate) async fn respond(&self) -> Option<Response> {
        let text = |status: u16, content_type: &str, body: String| {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Some((status, [(header::CONTENT_TYPE, content_type.to_string())], body).into_response())
        };
        match self {
            Fault::Respond { status, content_type, body } => text(*status, content_type, body.clone()),
            Fault::TooManyRequests { retry_after } => {
                let mut response = Refusal::TooManyRequests.into_response();
                if let Some(seconds) = retry_after {
                    response.headers_mut().insert(header::RETRY_AFTER, seconds.to_string().parse().ok()?);
                }
                Some(response)
            }
            Fault::HtmlBadGateway => text(
                502,
                "text/html",
                "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>".into(),
            ),
            Fault::RbacDenied => text(403, "text/plain", "RBAC: access denied".into()),
            Fault::MalformedJson => text(200, "application/json", r#"{"success": true, "data": {"id": 1,"#.into()),
            Fault::ErrorUnder200 { code } => text(
                200,
                "application/json",
                serde_json::json!({"success": false, "error": {"code": code, "details": "Ошибка (песочница)"}}).to_string(),
            ),
            Fault::Delay(delay) => {
                tokio::time::sleep(*delay).await;
                None
            }
            Fault::DelayAnswer(_) | Fault::LoseAnswer | Fault::ApplyLater(_) | Fault::DebitUnknown { .. } => None,
            Fault::Hang(delay) => {
                tokio::time::sleep(*delay).await;
                Some(gateway_timeout())
            }
            Fault::DropConnection => Some(cut_connection()),
            Fault::Oversized { size } => {
                let mut body = String::with_capacity(*size + 64);
                body.push_str(r#"{"success":true,"data":{"padding":""#);
                body.extend(std::iter::repeat_n('x', *size));
                body.push_str(r#""}}"#);
                text(200, "application/json", body)
            }
        }
    }
}

/// An answer that starts and is cut: the connection closes before its body.
pub(crate) fn cut_connection() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other("connection dropped by the sandbox"))
    });
    let mut response = Response::new(Body::from_stream(stream));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    headers.insert(header::CONTENT_LENGTH, header::HeaderValue::from_static("1000"));
    response
}

/// A proxy's 504: it gave up waiting for the server behind it.
pub(crate) fn gateway_timeout() -> Response {
    let body = "<html><body>504 Gateway Time-out</body></html>";
    (StatusCode::GATEWAY_TIMEOUT, [(header::CONTENT_TYPE, "text/html")], body).into_response()
}
