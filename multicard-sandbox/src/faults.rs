//! Fault injection: make the next requests to an operation fail the way
//! real networks and gateways fail.

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
            Fault::DelayAnswer(_) => None,
            Fault::Hang(delay) => {
                tokio::time::sleep(*delay).await;
                text(504, "text/html", "<html><body>504 Gateway Time-out</body></html>".into())
            }
            Fault::DropConnection => {
                let stream = futures_util::stream::once(async {
                    Err::<axum::body::Bytes, std::io::Error>(std::io::Error::other("connection dropped by the sandbox"))
                });
                Some(
                    Response::builder()
                        .status(StatusCode::OK)
                        .header(header::CONTENT_TYPE, "application/json")
                        .header(header::CONTENT_LENGTH, "1000")
                        .body(Body::from_stream(stream))
                        .ok()?,
                )
            }
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
