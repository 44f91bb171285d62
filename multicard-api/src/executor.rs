//! [`Multicard`]: the authenticated client, and the executor every
//! operation goes through.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tracing::Instrument;

use crate::auth::{Token, TokenCache};
use crate::operation::{Envelope, FailureBody, Operation};
use crate::config::Config;
use crate::error::Error;
use crate::transport::{ATTEMPT, Attempt, ClientState};
use crate::retry::{self, RetryPolicy};
use crate::{Client, operation_table};

/// The Multicard client: tokens, envelope and errors handled.
///
/// Cloning is cheap; clones share one connection pool and one token.
///
/// ```no_run
/// # async fn demo() -> Result<(), multicard_api::Error> {
/// use multicard_api::{Config, Environment, Multicard};
/// let multicard = Multicard::new(Config::new("my_app", "my-secret", Environment::Sandbox))?;
/// let payment = multicard.send(|api| api.get_payment().uuid("a81b7b62-6d86-11f0-9a1b-00505680eaf6")).await?;
/// println!("{} tiyin, {}", payment.payment_amount, payment.status);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Multicard {
    api: Client,
    tokens: Arc<TokenCache>,
    retry: RetryPolicy,
    max_response_bytes: usize,
    timeout: Duration,
    attempt_timeout: Option<Duration>,
    unreadable: Arc<crate::informative::Unreadable>,
}

/// Settings for one call.
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    timeout: Option<Duration>,
}

impl CallOptions {
    /// The client's settings.
    pub fn new() -> Self {
        Self::default()
    }

    /// A total timeout for this call, instead of the client's: it bounds
    /// waiting for a token, every attempt and the pauses between them.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

impl Multicard {
    /// A client for `config`. Fails only on a configuration that cannot
    /// work (empty credentials, a base URL that is not http(s)).
    pub fn new(config: Config) -> Result<Self, Error> {
        config.validate()?;
        let http = match &config.http {
            Some(http) => http.clone(),
            None => crate::config::http_client_builder()
                .timeout(config.timeout)
                .connect_timeout(config.connect_timeout)
                // Only https for an https base URL (the vendor's always are).
                .https_only(config.base_url().starts_with("https://"))
                .build()
                .map_err(|e| Error::InvalidConfiguration { message: format!("cannot build the HTTP client: {e}") })?,
        };
        let tokens = Arc::new(
            TokenCache::new(
                http.clone(),
                config.base_url(),
                config.application_id.clone(),
                config.secret.clone(),
                config.refresh.clone(),
                config.clock.clone(),
            )
            .with_retry_policy(config.retry.clone()),
        );
        let api = Client::new_with_client(config.base_url(), http, ClientState::with_token_cache(tokens.clone()));
        Ok(Self {
            api,
            tokens,
            retry: config.retry.clone(),
            max_response_bytes: config.max_response_bytes,
            timeout: config.timeout,
            attempt_timeout: config.attempt_timeout,
            unreadable: Arc::default(),
        })
    }

    /// A client configured from `MULTICARD_*` environment variables; see
    /// [`Config::from_env`].
    pub fn from_env() -> Result<Self, Error> {
        Self::new(Config::from_env()?)
    }

    /// The generated client, for calls where the raw response is wanted.
    /// It carries the same token cache.
    pub fn api(&self) -> &Client {
        &self.api
    }

    /// The most recent informative fields (at most
    /// [`informative::KEPT`](crate::informative::KEPT)) that did not decode
    /// and were left empty, with their raw values, oldest first. Each also
    /// logged a `tracing` warning naming the operation and the field.
    pub fn unreadable_fields(&self) -> Vec<crate::informative::UnreadableField> {
        self.unreadable.snapshot()
    }

    /// The token cache.
    pub fn tokens(&self) -> &Arc<TokenCache> {
        &self.tokens
    }

    /// Runs one operation: `build` makes the request from the generated
    /// client's builder (typed arguments), and the result is the `data`
    /// payload, unwrapped, or an [`Error`].
    ///
    /// The token is taken (or refreshed) first. Reads are retried on
    /// transient failures; a write is never sent twice once it may have
    /// reached the server (see [`crate::retry`]): then the error is
    /// [`Error::OutcomeUnknown`], naming the read that settles it. If the
    /// server answers 401, the token is dropped (unless another call already
    /// replaced it) and the request is sent once more with a fresh one; a
    /// second 401 is [`Error::Unauthorized`].
    ///
    /// The call's timeout ([`Config::with_timeout`], or
    /// [`CallOptions::timeout`]) bounds all of it. Run out while waiting
    /// for a token, it is [`Error::Transport`] with
    /// [`TransportKind::Timeout`](crate::error::TransportKind::Timeout) and
    /// the request was never sent; run out during a write's request, it is
    /// [`Error::OutcomeUnknown`].
    pub async fn send<'c, O, F>(&'c self, build: F) -> Result<<O::Success as Envelope>::Data, Error>
    where
        O: Operation + 'c,
        F: Fn(&'c Client) -> O,
    {
        self.send_with(CallOptions::default(), build).await
    }

    /// [`Multicard::send`] with settings for this call (a timeout).
    pub async fn send_with<'c, O, F>(
        &'c self,
        options: CallOptions,
        build: F,
    ) -> Result<<O::Success as Envelope>::Data, Error>
    where
        O: Operation + 'c,
        F: Fn(&'c Client) -> O,
    {
        let info = operation_table::find(O::ID);
        let span = tracing::info_span!(
            "multicard.call",
            operation = O::ID,
            method = info.map(|i| i.method),
            path = info.map(|i| i.path),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        let requires_token = info.is_none_or(|i| i.requires_token);
        let is_read = info.is_some_and(|i| i.is_read());
        let settle_with = info.and_then(|i| i.settled_by);
        let timeout = options.timeout.unwrap_or(self.timeout);
        let deadline = far(timeout);
        async move {
            let mut attempts = 0u32;
            let mut replayed = false;
            loop {
                attempts += 1;
                let token = if requires_token {
                    match tokio::time::timeout_at(deadline, self.tokens.get()).await {
                        Ok(token) => Some(token?),
                        Err(_) => {
                            return Err(Error::Transport {
                                operation: O::ID,
                                kind: crate::error::TransportKind::Timeout,
                                message: format!(
                                    "the call's {} ms ran out waiting for a token; the request was not sent",
                                    timeout.as_millis()
                                ),
                                source: None,
                            });
                        }
                    }
                } else {
                    None
                };
                let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
                if remaining.is_zero() {
                    return Err(Error::Transport {
                        operation: O::ID,
                        kind: crate::error::TransportKind::Timeout,
                        message: format!("the call's {} ms ran out before the request was sent", timeout.as_millis()),
                        source: None,
                    });
                }
                // The block ends before the backoff's await, so the attempt's
                // large values (the envelope is kilobytes) never become part
                // of this future: it stays small however big the types are.
                let delay = {
                    // Boxed: the request future is large, and awaiting it in
                    // place would copy it into this one.
                    let limit = self.attempt_timeout.map_or(remaining, |t| t.min(remaining));
                    let seen = Box::pin(self.attempt(&build, info, token.as_ref(), limit)).await;
                    let span = tracing::Span::current();
                    span.record("attempts", attempts);
                    if let Some(status) = seen.status {
                        span.record("status", status);
                    }
                    let error = match seen.outcome {
                        Outcome::Done(Ok(data)) => {
                            tracing::debug!("call succeeded");
                            return Ok(data);
                        }
                        Outcome::Unauthorized => match &token {
                            Some(token) if !replayed => {
                                replayed = true;
                                let wiped = self.tokens.invalidate(token);
                                tracing::info!(wiped, "HTTP 401: replaying once with a fresh token");
                                continue;
                            }
                            _ => Error::Unauthorized { operation: O::ID },
                        },
                        Outcome::Done(Err(mut error)) => {
                            // The vendor may echo the request: no secret,
                            // token, card data or code goes further than here.
                            let token = token.as_ref().map(Token::expose).unwrap_or_default();
                            let mut secrets = vec![self.tokens.secret(), token];
                            let sent = seen.sent.secrets();
                            secrets.extend(sent.iter().map(String::as_str));
                            error.redact(&secrets);
                            error
                        }
                    };
                    // Reads may be sent again; anything only when it never left,
                    // and only while the call's time lasts.
                    let retryable = error.is_connect() || (is_read && retry::is_transient(&error));
                    let delay = self.retry.backoff(attempts, seen.retry_after);
                    let in_time = tokio::time::Instant::now().checked_add(delay).is_some_and(|at| at < deadline);
                    if !(retryable && in_time && attempts < self.retry.max_attempts) {
                        let error = if !is_read && retry::may_have_reached(&error) {
                            Error::OutcomeUnknown { operation: O::ID, settle_with, cause: Box::new(error) }
                        } else {
                            error
                        };
                        tracing::debug!(error = %error, "call failed");
                        return Err(error);
                    }
                    tracing::info!(error = %error, delay_ms = delay.as_millis() as u64, "retrying");
                    delay
                };
                tokio::time::sleep(delay).await;
            }
        }
        .instrument(span)
        .await
        .map(|data| *data)
    }

    /// One attempt of a call: sends the request with `token` (through the
    /// hooks, which read it from the task-local) and interprets the answer.
    async fn attempt<'c, O, F>(
        &'c self,
        build: &F,
        info: Option<&'static operation_table::OperationInfo>,
        token: Option<&Token>,
        timeout: Duration,
    ) -> Seen<O>
    where
        O: Operation + 'c,
        F: Fn(&'c Client) -> O,
    {
        let attempt = Arc::new(Attempt {
            operation: O::ID,
            info,
            token: token.cloned(),
            timeout: Some(timeout),
            max_body: Some(self.max_response_bytes),
            ..Default::default()
        });
        // The answer is boxed where it is made: the wrappers between here and
        // the generated future copy their output on every poll, and a
        // decoded envelope is kilobytes.
        let result = ATTEMPT.scope(attempt.clone(), async { Box::new(build(&self.api).send_request().await) }).await;
        // The hooks are done with the attempt: take what they recorded.
        let observed = attempt.observed.lock().ok().and_then(|mut o| o.take());
        let retry_after = attempt.retry_after.lock().ok().and_then(|mut r| r.take());
        if let Ok(mut unreadable) = attempt.unreadable.lock() {
            unreadable.drain(..).for_each(|field| self.unreadable.push(field));
        }
        let status = observed.as_ref().map(|(status, _)| *status);
        let outcome = if attempt.oversized.load(Ordering::Relaxed) {
            Outcome::Done(Err(Error::ResponseTooLarge { operation: O::ID, limit: self.max_response_bytes }))
        } else {
            match interpret::<O>(*result, observed) {
                Interpreted::Outcome(outcome) => outcome,
                Interpreted::ReadBody(response) => read_undocumented::<O>(response).await,
            }
        };
        let sent = attempt.sent.lock().map(|mut s| std::mem::take(&mut *s)).unwrap_or_default();
        Seen { outcome, sent, status, retry_after }
    }

    /// Reads payment `uuid` until its status is final (`success`, `error`
    /// or `revert`), with backoff, for at most `within`. Use it after
    /// [`Error::OutcomeUnknown`] on a confirm, charge, scanpay or refund.
    pub async fn settle_payment(&self, uuid: &str, within: Duration) -> Result<crate::types::PaymentModel, Error> {
        use crate::types::PaymentStatus as S;
        self.settle(
            "get_payment",
            within,
            |p: &crate::types::PaymentModel| {
                (matches!(p.status, S::Success | S::Error | S::Revert), p.status.to_string())
            },
            || self.send(|api| api.get_payment().uuid(uuid)),
        )
        .await
    }

    /// Reads payout `uuid` until its status is final (`success` or `error`).
    pub async fn settle_payout(&self, uuid: &str, within: Duration) -> Result<crate::types::Payout, Error> {
        use crate::types::PaymentStatus as S;
        self.settle(
            "get_payout",
            within,
            |p: &crate::types::Payout| (matches!(p.status, S::Success | S::Error | S::Revert), p.status.to_string()),
            || self.send(|api| api.get_payout().payment_uuid(uuid)),
        )
        .await
    }

    /// Reads hold `key` (its integer `id`, as `create_hold` answers it:
    /// production addresses holds by it, whatever the vendor's pages call
    /// the parameter) until it has left `draft` and its payment is not in
    /// progress.
    pub async fn settle_hold(&self, key: &str, within: Duration) -> Result<crate::types::HoldModel, Error> {
        use crate::types::{HoldStatus, PaymentStatus as S};
        let done = |h: &crate::types::HoldModel| {
            let moving = h.payment.as_ref().is_some_and(|p| matches!(p.status, S::Progress | S::Billing));
            (h.status != HoldStatus::Draft && !moving, h.status.to_string())
        };
        self.settle("get_hold", within, done, || self.send(|api| api.get_hold().payment_uuid(key))).await
    }

    async fn settle<T, R, Fut>(
        &self,
        operation: &'static str,
        within: Duration,
        is_final: impl Fn(&T) -> (bool, String),
        read: R,
    ) -> Result<T, Error>
    where
        R: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let deadline = far(within);
        let mut polls = 0u32;
        loop {
            polls += 1;
            let last = match read().await {
                Ok(value) => {
                    let (done, status) = is_final(&value);
                    if done {
                        return Ok(value);
                    }
                    status
                }
                // A read that keeps failing is reported as it is.
                Err(error) if tokio::time::Instant::now() >= deadline => return Err(error),
                Err(error) => format!("unreadable ({error})"),
            };
            let pause = self.retry.backoff(polls, None).max(self.retry.base_delay);
            if tokio::time::Instant::now().checked_add(pause).is_none_or(|at| at > deadline) {
                return Err(Error::NotSettled { operation, last_status: last });
            }
            tokio::time::sleep(pause).await;
        }
    }
}

/// Now plus `wait`, or a year from now when that is past what an instant
/// can hold (a timeout of `Duration::MAX` means "no limit").
fn far(wait: Duration) -> tokio::time::Instant {
    let now = tokio::time::Instant::now();
    now.checked_add(wait).unwrap_or_else(|| now + Duration::from_secs(365 * 24 * 3600))
}

/// What one attempt came to, and what it saw of the answer. The data is
/// boxed: a decoded payload is kilobytes (typify puts nested objects inline),
/// and it would otherwise be copied through every layer of the call.
struct Seen<O: Operation> {
    outcome: Outcome<Box<<O::Success as Envelope>::Data>>,
    /// What the request carried, to cut out of an echoed error.
    sent: crate::scrub::Sent,
    status: Option<u16>,
    retry_after: Option<Duration>,
}

enum Outcome<T> {
    Done(Result<T, Error>),
    Unauthorized,
}

/// What [`interpret`] made of an attempt: an outcome, or a response under
/// an undocumented status whose body is still to be read.
enum Interpreted<T> {
    Outcome(Outcome<T>),
    ReadBody(reqwest::Response),
}

/// Turns what the generated client returned into data or an [`Error`],
/// deciding by the body's `success` flag rather than the HTTP status.
///
/// Not async, so the large values it handles (a decoded envelope is a few
/// kilobytes) are never held across an await of the call's future: only
/// the rare undocumented status, whose body progenitor left unread, goes on
/// to [`read_undocumented`].
fn interpret<O: Operation>(
    result: Result<progenitor_client::ResponseValue<O::Success>, progenitor_client::Error<O::Failure>>,
    observed: Option<(u16, Option<String>)>,
) -> Interpreted<Box<<O::Success as Envelope>::Data>> {
    use progenitor_client::Error as E;
    let (observed_status, observed_type) = match observed {
        Some((status, content_type)) => (Some(status), content_type),
        None => (None, None),
    };
    let done = |r| Interpreted::Outcome(Outcome::Done(r));
    match result {
        Ok(value) => {
            let status = value.status().as_u16();
            done(unwrap_envelope::<O>(status, observed_type, value.into_inner(), b"").map(Box::new))
        }
        Err(E::ErrorResponse(value)) => {
            let status = value.status().as_u16();
            if status == 401 {
                return Interpreted::Outcome(Outcome::Unauthorized);
            }
            done(Err(value.into_inner().into_error(O::ID, status)))
        }
        Err(E::UnexpectedResponse(response)) => Interpreted::ReadBody(response),
        Err(E::InvalidResponsePayload(bytes, error)) => {
            let status = observed_status.unwrap_or(0);
            if status == 401 {
                return Interpreted::Outcome(Outcome::Unauthorized);
            }
            done(decode_body::<O>(status, observed_type, &bytes, &error.to_string()).map(Box::new))
        }
        Err(E::CommunicationError(e)) | Err(E::ResponseBodyError(e)) => done(Err(Error::from_transport(O::ID, e))),
        Err(E::InvalidRequest(message)) | Err(E::Custom(message)) => {
            done(Err(Error::InvalidRequest { operation: O::ID, message }))
        }
        Err(_) => done(Err(Error::unexpected(
            O::ID,
            observed_status.unwrap_or(0),
            observed_type,
            b"",
            "the connection was upgraded, which no Multicard operation does",
        ))),
    }
}

/// The outcome of a response under a status the spec does not document.
async fn read_undocumented<O: Operation>(response: reqwest::Response) -> Outcome<Box<<O::Success as Envelope>::Data>> {
    let status = response.status().as_u16();
    if status == 401 {
        return Outcome::Unauthorized;
    }
    let content_type =
        response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    Outcome::Done(match response.bytes().await {
        Ok(bytes) => decode_body::<O>(status, content_type, &bytes, "undocumented status").map(Box::new),
        Err(e) => Err(Error::from_transport(O::ID, e)),
    })
}

/// A body the generated code could not take as it came: the error envelope
/// (under any status), the success envelope under an unusual status, or
/// something else entirely.
pub(crate) fn decode_body<O: Operation>(
    status: u16,
    content_type: Option<String>,
    bytes: &[u8],
    reason: &str,
) -> Result<<O::Success as Envelope>::Data, Error> {
    if let Ok(envelope) = serde_json::from_slice::<crate::types::ErrorResponse>(bytes)
        && !envelope.success
    {
        return Err(Error::from_envelope(O::ID, status, envelope));
    }
    if let Ok(failure) = serde_json::from_slice::<O::Failure>(bytes)
        && status >= 400
    {
        return Err(failure.into_error(O::ID, status));
    }
    if (200..300).contains(&status) {
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        match serde_path_to_error::deserialize::<_, O::Success>(&mut deserializer) {
            Ok(body) => return unwrap_envelope::<O>(status, content_type, body, bytes),
            Err(failed) => {
                // JSON that does not fit the type: name where, keep the data.
                if let Ok(envelope) = serde_json::from_slice::<AnyEnvelope>(bytes) {
                    return Err(Error::Undecodable {
                        operation: O::ID,
                        status,
                        succeeded: envelope.success == Some(true),
                        path: failed.path().to_string(),
                        reason: crate::scrub::clean(&failed.inner().to_string()),
                        data: crate::error::RawData::new(envelope.data.unwrap_or(serde_json::Value::Null)),
                    });
                }
            }
        }
    }
    Err(Error::unexpected(O::ID, status, content_type, bytes, reason))
}

/// Any JSON object, read for its `success` flag and `data` only.
#[derive(serde::Deserialize)]
struct AnyEnvelope {
    success: Option<bool>,
    data: Option<serde_json::Value>,
}

/// The payload of an envelope, or the error it carries: `success` decides.
fn unwrap_envelope<O: Operation>(
    status: u16,
    content_type: Option<String>,
    body: O::Success,
    raw: &[u8],
) -> Result<<O::Success as Envelope>::Data, Error> {
    match body.into_parts() {
        (true, Some(data), _) => Ok(data),
        // Multicard said it succeeded: never an unknown outcome.
        (true, None, _) => Err(Error::Undecodable {
            operation: O::ID,
            status,
            succeeded: true,
            path: "data".into(),
            reason: "`success` is true but there is no `data`".into(),
            data: crate::error::RawData::new(serde_json::Value::Null),
        }),
        (false, _, Some(error)) => Err(Error::api(O::ID, status, error.code, error.details)),
        (false, _, None) => {
            Err(Error::unexpected(O::ID, status, content_type, raw, "`success` is false but there is no `error`"))
        }
    }
}

impl FailureBody for () {
    fn into_error(self, operation: &'static str, status: u16) -> Error {
        Error::unexpected(operation, status, None, b"", "no error body is documented for this operation")
    }
}
