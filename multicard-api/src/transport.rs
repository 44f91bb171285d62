//! The transport: the one way every request goes out and every answer
//! comes back, `/auth` included. It is the generated client's hooks
//! (progenitor's `ClientHooks`):
//!
//! - before sending: refuse a path parameter that would change the route,
//!   put the attempt's token on the request, and keep what the
//!   request carried (to cut it out of an echoed error);
//! - sending: read the body up to the attempt's size cap, never past it;
//! - after: record the answer's status, content type, `Retry-After` and,
//!   when asked, `Date`, for the executor; and every answer's `Date` into
//!   the client's view of Multicard's clock (`server_time.rs`).
//!
//! A call made through [`Multicard::send`](crate::Multicard::send) takes its
//! token before the request is built and hands it here in the attempt (see
//! `attempt.rs`), so the token on the wire is exactly the one a 401 will
//! invalidate. A call made directly on the generated client takes the
//! cached token (refreshing it if needed) here.

use std::fmt;
use std::sync::Arc;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo as ProgenitorOperation};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, DATE, HeaderValue, RETRY_AFTER};

use crate::attempt::{ATTEMPT, Head, Probed};
use crate::operation_table;
use crate::server_time::ServerClock;
pub use crate::token_cache::InvalidToken;
use crate::token_cache::{Token, TokenCache, bearer};

/// Where the generated client's token comes from.
#[derive(Clone)]
enum TokenSource {
    None,
    Static(HeaderValue),
    Cache(Arc<TokenCache>),
}

/// What the generated client carries besides its `reqwest::Client`.
/// Cloning is cheap, and clones share one token cache.
#[derive(Clone)]
pub struct ClientState {
    source: TokenSource,
    /// The largest body read when the generated client is used alone.
    max_body: Option<usize>,
    /// Where answers' `Date` headers go (`server_time.rs`).
    server_clock: Option<Arc<ServerClock>>,
}

impl Default for ClientState {
    fn default() -> Self {
        Self { source: TokenSource::None, max_body: None, server_clock: None }
    }
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = match &self.source {
            TokenSource::None => "none",
            TokenSource::Static(_) => "static token <redacted>",
            TokenSource::Cache(_) => "token cache",
        };
        f.debug_struct("ClientState").field("token", &source).finish()
    }
}

impl ClientState {
    /// A state that sends no token.
    pub fn new() -> Self {
        Self::default()
    }

    /// A state that sends `Authorization: Bearer <token>` on every
    /// operation that requires it (all but `get_token`). For tests and for
    /// callers that manage tokens themselves; [`Multicard`](crate::Multicard)
    /// refreshes tokens by itself.
    pub fn with_bearer_token(token: &str) -> Result<Self, InvalidToken> {
        Ok(Self { source: TokenSource::Static(bearer(token)?), max_body: None, server_clock: None })
    }

    /// A state that takes its tokens from `cache`.
    pub fn with_token_cache(cache: Arc<TokenCache>) -> Self {
        Self { source: TokenSource::Cache(cache), max_body: None, server_clock: None }
    }

    /// Reads no answer body larger than `limit` bytes: a larger one is cut
    /// off (it reaches the caller empty, and fails to decode) instead of
    /// filling memory. Calls through [`Multicard::send`](crate::Multicard::send)
    /// have their own limit and report [`Error::ResponseTooLarge`](crate::Error::ResponseTooLarge).
    pub fn with_max_body(mut self, limit: usize) -> Self {
        self.max_body = Some(limit);
        self
    }

    /// Records every answer's `Date` header into `clock`.
    pub(crate) fn with_server_clock(mut self, clock: Arc<ServerClock>) -> Self {
        self.server_clock = Some(clock);
        self
    }

    /// Where answers' `Date` headers go, if anywhere.
    pub(crate) fn server_clock(&self) -> Option<&Arc<ServerClock>> {
        self.server_clock.as_ref()
    }
}

/// The token's header value.
fn header_of(token: &Token) -> Result<HeaderValue, InvalidToken> {
    token.authorization().cloned().ok_or(InvalidToken)
}

/// Percent-encodes one path parameter: what the generated client's own
/// encoder does, and a backslash too, which the URL parser would otherwise
/// take for a `/` (`mine\..\other` would reach `other`). The generated
/// client calls this one (`multicard-api-build` rewrites its calls).
pub(crate) fn encode_path(segment: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'`')
        .add(b'{')
        .add(b'}')
        .add(b'/')
        .add(b'%')
        .add(b'\\');
    percent_encoding::utf8_percent_encode(segment, SET).to_string()
}

/// Checks that `url` is `base` followed by `op`'s path template with each
/// `{parameter}` filled by one non-empty segment that is not `.` or `..`.
/// The message names the template only: a path may carry a card token.
pub(crate) fn check_route(base: &str, url: &reqwest::Url, op: &operation_table::OperationInfo) -> Result<(), String> {
    let refuse = || {
        Err(format!(
            "a path parameter of `{} {}` is empty, `.` or `..`, which would send the request to another route; \
             it was not sent",
            op.method, op.path
        ))
    };
    let base_path =
        base.find("://").map(|scheme| &base[scheme + 3..]).and_then(|rest| rest.find('/').map(|i| &rest[i..]));
    let base_path = base_path.unwrap_or("").trim_end_matches('/');
    let Some(path) = url.path().strip_prefix(base_path) else {
        return refuse();
    };
    let mut actual = path.split('/');
    for expected in op.path.split('/') {
        let Some(segment) = actual.next() else {
            return refuse();
        };
        let is_parameter = expected.starts_with('{') && expected.ends_with('}');
        let fits = if is_parameter {
            !segment.is_empty() && !matches!(segment, "." | ".." | "%2e" | "%2E" | "%2e%2e" | "%2E%2E")
        } else {
            segment == expected
        };
        if !fits {
            return refuse();
        }
    }
    if actual.next().is_some() {
        return refuse();
    }
    Ok(())
}

fn refused<E>(error: impl fmt::Display) -> progenitor_client::Error<E> {
    progenitor_client::Error::Custom(error.to_string())
}

impl ClientHooks<ClientState> for crate::Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &ProgenitorOperation,
    ) -> Result<(), progenitor_client::Error<E>> {
        // No parameter may change the route: `..` or `.` is folded away by
        // the URL parser, and an empty one leaves a `//` or a trailing `/`.
        // The executor has looked the operation up already.
        let op = ATTEMPT
            .try_with(|attempt| attempt.info)
            .ok()
            .flatten()
            .or_else(|| operation_table::find(info.operation_id));
        if let Some(op) = op
            && op.has_parameters
        {
            check_route(self.baseurl(), request.url(), op).map_err(refused)?;
        }
        // A probe: the executor wants the request as built, not sent.
        let probing = ATTEMPT.try_with(|attempt| {
            if attempt.probe {
                let body = request.body().and_then(|b| b.as_bytes()).map(<[u8]>::to_vec);
                *attempt.probed.borrow_mut() = Some(Probed { path: request.url().path().to_string(), body });
            }
            attempt.probe
        });
        if probing == Ok(true) {
            return Err(refused("built to be read, not sent"));
        }
        // Through the executor: it chose the token (or none, for `/auth`).
        let chosen = ATTEMPT.try_with(|attempt| {
            // Kept as it is; searched only if the call fails.
            let body = request.body().and_then(|b| b.as_bytes()).map(<[u8]>::to_vec);
            let path_token = attempt
                .info
                .filter(|op| op.card_token_in_path)
                .and_then(|_| request.url().path_segments().and_then(|mut s| s.next_back()).map(str::to_string));
            if body.is_some() || path_token.is_some() {
                *attempt.sent.borrow_mut() = crate::scrub::Sent { body, path_token };
            }
            attempt.token.as_ref().map(header_of).transpose()
        });
        if let Ok(chosen) = chosen {
            if let Some(value) = chosen.map_err(refused)? {
                request.headers_mut().insert(AUTHORIZATION, value);
            }
            return Ok(());
        }
        // The generated client used directly.
        let needs_token = operation_table::find(info.operation_id).is_none_or(|op| op.requires_token);
        if !needs_token {
            return Ok(());
        }
        let value = match &self.inner().source {
            TokenSource::Static(value) => Some(value.clone()),
            TokenSource::Cache(cache) => {
                let token = cache.get().await.map_err(refused)?;
                Some(header_of(&token).map_err(refused)?)
            }
            TokenSource::None => None,
        };
        if let Some(value) = value {
            request.headers_mut().insert(AUTHORIZATION, value);
        }
        Ok(())
    }

    async fn post<E>(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        _info: &ProgenitorOperation,
    ) -> Result<(), progenitor_client::Error<E>> {
        // Multicard's clock, for windows and deadlines in it.
        if let (Ok(response), Some(clock)) = (result, &self.inner().server_clock)
            && let Some(date) = response.headers().get(DATE).and_then(|v| v.to_str().ok())
        {
            clock.observe(date);
        }
        // What the executor reads after the call; nothing to record for
        // the generated client used directly.
        if let Ok(response) = result {
            let _ = ATTEMPT.try_with(|attempt| {
                let headers = response.headers();
                let text = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
                let head = Head {
                    status: response.status().as_u16(),
                    content_type: headers.get(CONTENT_TYPE).cloned(),
                    retry_after: text(RETRY_AFTER).and_then(|v| crate::retry::parse_retry_after(v, chrono::Utc::now())),
                    date: if attempt.want_date { text(DATE).map(str::to_string) } else { None },
                };
                *attempt.head.borrow_mut() = head;
            });
        }
        Ok(())
    }

    /// Sends the request and reads the body with a limit: a runaway body
    /// is cut off (and reported) instead of filling memory.
    async fn exec(&self, request: reqwest::Request, _info: &ProgenitorOperation) -> reqwest::Result<reqwest::Response> {
        let mut response = self.client().execute(request).await?;
        let limit = match ATTEMPT.try_with(|attempt| attempt.max_body) {
            Ok(limit) => limit,
            // The generated client used alone.
            Err(_) => self.inner().max_body,
        };
        let Some(limit) = limit else {
            return Ok(response);
        };
        let oversized = || {
            let _ = ATTEMPT.try_with(|attempt| attempt.oversized.set(true));
        };
        let head_of = |response: &reqwest::Response| {
            let mut head = http::Response::builder().status(response.status()).version(response.version());
            if let Some(headers) = head.headers_mut() {
                headers.extend(response.headers().iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            head
        };
        match response.content_length() {
            Some(length) if length > limit as u64 => {
                oversized();
                return Ok(reqwest::Response::from(head_of(&response).body(Vec::new()).unwrap_or_default()));
            }
            // hyper holds the body to its declared length: nothing to cut.
            Some(_) => return Ok(response),
            None => {}
        }
        let head = head_of(&response);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > limit {
                oversized();
                return Ok(reqwest::Response::from(head.body(Vec::new()).unwrap_or_default()));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(reqwest::Response::from(head.body(body).unwrap_or_default()))
    }
}

/// Reads a documented answer: what progenitor's `ResponseValue::from_response`
/// does (the generated client calls this one instead; `multicard-api-build`
/// rewrites its calls), and then has the drift signals look at the body.
pub(crate) async fn read_answer<T: serde::de::DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let body = response.bytes().await.map_err(progenitor_client::Error::ResponseBodyError)?;
    let inner = match serde_json::from_slice::<T>(&body) {
        Ok(inner) => inner,
        Err(error) => return Err(progenitor_client::Error::InvalidResponsePayload(body, error)),
    };
    crate::drift::inspect::<T>(&body);
    Ok(progenitor_client::ResponseValue::new(inner, status, headers))
}
