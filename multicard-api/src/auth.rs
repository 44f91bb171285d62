//! The token cache: `POST /auth` gives a JWT with an `expiry` in GMT+5;
//! every other call sends it as `Authorization: Bearer`.
//!
//! - The first call fetches a token; later calls reuse it with no network.
//! - `expiry` becomes a *monotonic* deadline: its remaining lifetime is
//!   measured against the response's `Date` header when there is one (so a
//!   wrong local clock does not matter), else against the local clock.
//! - The token is refreshed a margin before the deadline, with jitter, so a
//!   fleet of clients does not refresh at the same second. During that
//!   margin callers keep the still-valid token while one refresh runs.
//! - Single flight: any number of concurrent callers cause one `/auth`.
//! - A failed refresh is handed to every caller waiting on it and is not
//!   cached: the next call tries again. A still-valid token survives a
//!   failed early refresh.
//! - `invalidate` after a 401 wipes the token only if it is still the one
//!   that failed: a token another task just refreshed stays.
//! - `/auth` has its own timeout, and the refresh runs as its own task, so
//!   cancelling a caller never wedges the cache.
//! - A refresh whose task dies with its runtime (a service that calls from
//!   a new runtime per request, or shuts one down mid-refresh) is noticed:
//!   it is cleared, and its waiting callers and the next caller start a new
//!   one on their own runtime.
//! - A token whose `expiry` cannot be parsed or is already past is cached
//!   for [`UNUSABLE_EXPIRY_LIFETIME`] only; if the server drops it sooner,
//!   the 401 path replaces it.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use secrecy::{ExposeSecret, SecretString};

use crate::error::{AuthMessage, Error};
use crate::time::MulticardDateTime;
use crate::types;

/// The clocks the cache reads: monotonic for deadlines, wall for `expiry`.
/// Tests inject their own; reqwest itself always runs in real time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Monotonic now.
    fn now(&self) -> Instant;
    /// Wall-clock now (used only when the server sends no `Date` header).
    fn now_utc(&self) -> DateTime<Utc>;
}

/// The system clocks.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn now_utc(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// How the cache refreshes.
#[derive(Debug, Clone)]
pub struct RefreshPolicy {
    /// Refresh this long before the deadline (at most half the lifetime).
    pub margin: Duration,
    /// Up to this much more, chosen at random per token.
    pub jitter: Duration,
    /// The timeout of one `/auth` request.
    pub auth_timeout: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self { margin: Duration::from_secs(60), jitter: Duration::from_secs(30), auth_timeout: Duration::from_secs(10) }
    }
}

/// A bearer token. Never printed: `Debug` shows only its generation.
#[derive(Clone)]
pub struct Token {
    /// Shared by every clone: taking a cached token is one reference count.
    secret: Arc<TokenSecret>,
    generation: u64,
    /// When it stops being valid, on the monotonic clock (for a token whose
    /// `expiry` could not be used, [`UNUSABLE_EXPIRY_LIFETIME`] after it was
    /// issued).
    deadline: Option<Instant>,
    refresh_at: Option<Instant>,
}

/// The token and its header, made once per token.
struct TokenSecret {
    value: SecretString,
    /// `Bearer <token>`, marked sensitive; `None` when the token holds
    /// characters a header cannot carry.
    authorization: Option<reqwest::header::HeaderValue>,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token").field("generation", &self.generation).field("value", &"<redacted>").finish()
    }
}

impl Token {
    /// The token itself, for the `Authorization` header.
    pub fn expose(&self) -> &str {
        self.secret.value.expose_secret()
    }

    /// The `Authorization` header value (`Bearer <token>`, marked
    /// sensitive), or `None` when the token cannot appear in a header.
    pub fn authorization(&self) -> Option<&reqwest::header::HeaderValue> {
        self.secret.authorization.as_ref()
    }

    /// Which refresh produced it: 1 for the first token, 2 for the next...
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// When it stops being valid: from its `expiry`, or
    /// [`UNUSABLE_EXPIRY_LIFETIME`] after it was issued when that was
    /// unusable.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    fn is_valid_at(&self, now: Instant) -> bool {
        self.deadline.is_some_and(|d| now < d)
    }

    fn wants_refresh_at(&self, now: Instant) -> bool {
        self.refresh_at.is_none_or(|r| now >= r)
    }
}

/// The lifetime left on a token, from its `expiry` (GMT+5, no offset) and
/// the moment it was issued: the response's `Date` header if it has one,
/// else the local wall clock. `None` when `expiry` is not a timestamp or is
/// not in the future.
pub fn remaining_lifetime(expiry: &str, server_date: Option<&str>, local_now: DateTime<Utc>) -> Option<Duration> {
    let expiry: MulticardDateTime = expiry.parse().ok()?;
    let issued_at = server_date
        .and_then(|d| DateTime::parse_from_rfc2822(d.trim()).ok())
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or(local_now);
    (expiry.to_utc() - issued_at).to_std().ok().filter(|d| !d.is_zero())
}

/// How a refresh ended, for the callers waiting on it.
#[derive(Clone)]
enum RefreshEnd {
    /// `/auth` answered (or failed): the result to hand out.
    Done(Result<Token, Error>),
    /// The refresh task was cancelled (its runtime shut down) or panicked
    /// before it finished: nothing was learned, start another.
    Lost(String),
}

type Refresh = Shared<BoxFuture<'static, RefreshEnd>>;

/// The refresh in flight.
struct InFlight {
    generation: u64,
    /// When it started, on the cache's clock.
    started: Instant,
    refresh: Refresh,
    /// Tells whether the task is over without polling it: a task that is
    /// over but never stored its outcome died with its runtime.
    task: tokio::task::AbortHandle,
}

#[derive(Default)]
struct State {
    current: Option<Token>,
    refreshing: Option<InFlight>,
    generation: u64,
    /// After a failed refresh, no *early* refresh before this instant (the
    /// valid token keeps serving); an expired token still retries at once.
    early_retry_at: Option<Instant>,
}

/// The largest `/auth` answer read (a token is a few hundred bytes).
pub const AUTH_RESPONSE_LIMIT: usize = 64 * 1024;

/// How long a failed early refresh waits before the next early attempt.
const EARLY_RETRY_DELAY: Duration = Duration::from_secs(2);

/// How long a token whose `expiry` cannot be used (not a timestamp, or not
/// in the future) is cached. Multicard's tokens live for a day; should the
/// server drop this one sooner, its 401 brings a fresh token at once.
pub const UNUSABLE_EXPIRY_LIFETIME: Duration = Duration::from_secs(60);

/// How many refreshes one caller starts when each dies with its runtime
/// before giving up (each try runs on the caller's own runtime, so a second
/// loss means that runtime itself is going away).
const LOST_REFRESH_TRIES: u32 = 3;

/// Fetches tokens from `/auth` and caches them.
pub struct TokenCache {
    http: reqwest::Client,
    auth_url: String,
    application_id: String,
    secret: SecretString,
    policy: RefreshPolicy,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    requests: std::sync::atomic::AtomicU64,
    retry: crate::retry::RetryPolicy,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock().map(|s| (s.generation, s.current.is_some())).unwrap_or((0, false));
        f.debug_struct("TokenCache")
            .field("auth_url", &self.auth_url)
            .field("application_id", &self.application_id)
            .field("secret", &"<redacted>")
            .field("generation", &state.0)
            .field("has_token", &state.1)
            .field("policy", &self.policy)
            .finish()
    }
}

impl TokenCache {
    /// A cache that fetches tokens for `application_id` from
    /// `<base_url>/auth` with `http`.
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        application_id: String,
        secret: SecretString,
        policy: RefreshPolicy,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            http,
            auth_url: format!("{}/auth", base_url.trim_end_matches('/')),
            application_id,
            secret,
            policy,
            clock,
            state: Mutex::new(State::default()),
            requests: std::sync::atomic::AtomicU64::new(0),
            retry: crate::retry::RetryPolicy::none(),
        }
    }

    /// Retry `/auth` on transient failures with `policy` (a new cache
    /// tries once).
    pub fn with_retry_policy(mut self, policy: crate::retry::RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The application secret, to scrub from errors (the crate only).
    pub(crate) fn secret(&self) -> &str {
        self.secret.expose_secret()
    }

    /// How many `/auth` requests this cache has sent.
    pub fn auth_requests(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A valid token: the cached one, or a fresh one from a refresh that
    /// this call starts or joins.
    pub async fn get(self: &Arc<Self>) -> Result<Token, Error> {
        let mut lost = 0;
        loop {
            let (generation, started, refresh) = {
                let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                let now = self.clock.now();
                match &state.current {
                    Some(token) if token.is_valid_at(now) && !token.wants_refresh_at(now) => {
                        return Ok(token.clone());
                    }
                    Some(token) if token.is_valid_at(now) => {
                        // Early refresh: keep serving the valid token while
                        // one refresh runs in the background.
                        let token = token.clone();
                        if state.early_retry_at.is_none_or(|at| now >= at) {
                            drop(self.start_refresh(&mut state));
                        }
                        return Ok(token);
                    }
                    _ => self.start_refresh(&mut state),
                }
            };
            // A refresh runs on the runtime of the call that started it; if
            // that runtime is kept but idle, the task never runs. Past its
            // budget it counts as lost, and this caller starts another.
            let budget = self.refresh_budget();
            let deadline = started
                .checked_add(budget)
                .map(tokio::time::Instant::from_std)
                .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(365 * 24 * 3600));
            let end = match tokio::time::timeout_at(deadline, refresh).await {
                Ok(end) => end,
                Err(_) => RefreshEnd::Lost(format!(
                    "it did not finish within {} s (its runtime may be idle or gone)",
                    budget.as_secs()
                )),
            };
            match end {
                RefreshEnd::Done(result) => return result,
                RefreshEnd::Lost(why) => {
                    self.forget_refresh(generation);
                    lost += 1;
                    tracing::warn!(target: "multicard::auth", generation, why = %why, "token refresh lost; starting another");
                    if lost >= LOST_REFRESH_TRIES {
                        return Err(Error::Authentication {
                            status: None,
                            messages: vec![AuthMessage {
                                message: format!("the token refresh task was lost {lost} times in a row: {why}"),
                                field: None,
                            }],
                        });
                    }
                }
            }
        }
    }

    /// Forgets `failed` after the server refused it (a 401), unless the
    /// cache already holds a newer token. Returns `true` if it was wiped.
    pub fn invalidate(&self, failed: &Token) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match &state.current {
            Some(current) if current.generation == failed.generation => {
                state.current = None;
                true
            }
            _ => false,
        }
    }

    /// The longest a refresh may take: every `/auth` attempt timing out,
    /// with the longest backoff between them, and a second to spare.
    fn refresh_budget(&self) -> Duration {
        let attempts = self.retry.max_attempts.max(1);
        let waiting = self.retry.max_delay.max(self.retry.max_retry_after).saturating_mul(attempts - 1);
        self.policy.auth_timeout.saturating_mul(attempts).saturating_add(waiting).saturating_add(Duration::from_secs(1))
    }

    /// The refresh in flight (its generation and start), or a new one.
    fn start_refresh(self: &Arc<Self>, state: &mut State) -> (u64, Instant, Refresh) {
        if let Some(in_flight) = &state.refreshing {
            // A task stores its outcome before it ends, so one that is over
            // and still here was cancelled with its runtime, or panicked;
            // one past its budget sits on a runtime nobody drives.
            let overdue = self.clock.now().saturating_duration_since(in_flight.started) > self.refresh_budget();
            if !in_flight.task.is_finished() && !overdue {
                return (in_flight.generation, in_flight.started, in_flight.refresh.clone());
            }
            tracing::warn!(target: "multicard::auth", generation = in_flight.generation, overdue, "token refresh task died or stalled with its runtime; starting another");
            in_flight.task.abort();
            state.refreshing = None;
        }
        state.generation += 1;
        let generation = state.generation;
        let cache = Arc::clone(self);
        // The refresh runs as its own task: a caller that is cancelled
        // stops waiting, the refresh goes on, and the cache is never left
        // waiting for a future nobody polls. If the task itself dies (its
        // runtime shuts down), its callers see `Lost` and the cache drops it.
        let task = tokio::spawn(async move {
            let result = cache.fetch(generation).await;
            cache.finish(generation, &result);
            result
        });
        let abort = task.abort_handle();
        let refresh: Refresh = async move {
            match task.await {
                Ok(result) => RefreshEnd::Done(result),
                Err(join) if join.is_cancelled() => {
                    RefreshEnd::Lost("the task was cancelled (its runtime shut down)".into())
                }
                Err(_) => RefreshEnd::Lost("the task panicked".into()),
            }
        }
        .boxed()
        .shared();
        let started = self.clock.now();
        state.refreshing = Some(InFlight { generation, started, refresh: refresh.clone(), task: abort });
        (generation, started, refresh)
    }

    /// Drops refresh `generation` if it is still the one in flight.
    fn forget_refresh(&self, generation: u64) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.refreshing.as_ref().is_some_and(|r| r.generation == generation) {
            state.refreshing = None;
        }
    }

    /// Stores the outcome of refresh `generation`.
    fn finish(&self, generation: u64, result: &Result<Token, Error>) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.refreshing.as_ref().is_some_and(|r| r.generation == generation) {
            state.refreshing = None;
        }
        match result {
            Ok(token) => {
                let newer = state.current.as_ref().is_some_and(|c| c.generation > token.generation);
                if !newer {
                    state.current = Some(token.clone());
                    state.early_retry_at = None;
                }
            }
            Err(error) => {
                state.early_retry_at = Some(self.clock.now() + EARLY_RETRY_DELAY);
                tracing::warn!(target: "multicard::auth", generation, error = %error, "token refresh failed; the next call retries");
            }
        }
    }

    /// `/auth`, retried on transient failures (it changes nothing).
    async fn fetch(&self, generation: u64) -> Result<Token, Error> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut retry_after = None;
            match self.fetch_once(generation, &mut retry_after).await {
                Err(error) if crate::retry::is_transient(&error) && attempts < self.retry.max_attempts => {
                    let delay = self.retry.backoff(attempts, retry_after);
                    tracing::info!(target: "multicard::auth", error = %error, delay_ms = delay.as_millis() as u64, "retrying /auth");
                    tokio::time::sleep(delay).await;
                }
                result => return result,
            }
        }
    }

    /// One `/auth` request; notes the answer's `Retry-After`.
    async fn fetch_once(&self, generation: u64, retry_after: &mut Option<Duration>) -> Result<Token, Error> {
        self.requests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let started = self.clock.now();
        let body = types::AuthRequest {
            application_id: self.application_id.clone(),
            secret: self.secret.expose_secret().to_string(),
        };
        let response = self
            .http
            .post(&self.auth_url)
            .timeout(self.policy.auth_timeout)
            .json(&body)
            .send()
            .await
            .map_err(|e| Error::from_transport("get_token", e))?;
        let status = response.status();
        *retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| crate::retry::parse_retry_after(v, Utc::now()));
        let server_date =
            response.headers().get(reqwest::header::DATE).and_then(|v| v.to_str().ok()).map(str::to_string);
        let content_type =
            response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        // A token answer is small: anything past the limit is cut off.
        if response.content_length().is_some_and(|length| length > AUTH_RESPONSE_LIMIT as u64) {
            return Err(Error::ResponseTooLarge { operation: "get_token", limit: AUTH_RESPONSE_LIMIT });
        }
        let mut response = response;
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| Error::from_transport("get_token", e))? {
            if bytes.len() + chunk.len() > AUTH_RESPONSE_LIMIT {
                return Err(Error::ResponseTooLarge { operation: "get_token", limit: AUTH_RESPONSE_LIMIT });
            }
            bytes.extend_from_slice(&chunk);
        }
        // An `/auth` answer may echo the request, secret included: an error
        // keeps its classification, never the body.
        let secret = self.secret.expose_secret();
        let unexpected = |reason: String| {
            let mut error = Error::unexpected("get_token", status.as_u16(), content_type.clone(), b"", &reason);
            error.redact(&[secret]);
            error
        };
        if !status.is_success() {
            if let Ok(body) = serde_json::from_slice::<types::AuthErrorResponse>(&bytes) {
                let mut error =
                    Error::Authentication { status: Some(status.as_u16()), messages: AuthMessage::from_body(body) };
                error.redact(&[secret]);
                return Err(error);
            }
            return Err(unexpected(format!("not the /auth error shape ({}; body not kept)", body_kind(&bytes))));
        }
        let token: types::AuthToken = serde_json::from_slice(&bytes).map_err(|e| {
            unexpected(format!("not a token ({}; body not kept): {}", body_kind(&bytes), json_error_kind(&e)))
        })?;
        let usable = remaining_lifetime(&token.expiry, server_date.as_deref(), self.clock.now_utc());
        if usable.is_none() {
            tracing::warn!(
                target: "multicard::auth",
                generation,
                fallback_secs = UNUSABLE_EXPIRY_LIFETIME.as_secs(),
                "token expiry unusable; the token is cached for the fallback lifetime"
            );
        }
        let lifetime = usable.unwrap_or(UNUSABLE_EXPIRY_LIFETIME);
        let margin = self.policy.margin.min(lifetime / 2);
        let jitter_cap = self.policy.jitter.min(lifetime.saturating_sub(margin) / 2);
        let jitter = jitter_cap.mul_f64(fastrand::f64());
        let (deadline, refresh_at) = (Some(started + lifetime), Some(started + lifetime - margin - jitter));
        tracing::info!(
            target: "multicard::auth",
            generation,
            lifetime_secs = lifetime.as_secs(),
            expiry_usable = usable.is_some(),
            date_header = server_date.is_some(),
            "token refreshed"
        );
        let authorization = crate::transport::bearer(&token.token).ok();
        let secret = Arc::new(TokenSecret { value: SecretString::from(token.token), authorization });
        Ok(Token { secret, generation, deadline, refresh_at })
    }
}

/// What an `/auth` body looked like, without a byte of it.
fn body_kind(bytes: &[u8]) -> String {
    let kind = match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        None => "empty",
        Some(b'<') => "markup, e.g. an HTML page",
        Some(b'{' | b'[') if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() => "JSON",
        Some(b'{' | b'[') => "malformed JSON",
        Some(_) => "text",
    };
    format!("{kind}, {} bytes", bytes.len())
}

/// A JSON error without the value it may quote (`invalid type: string
/// "<the value>"`): a missing field is named, anything else classified.
fn json_error_kind(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let kind = match error.classify() {
        serde_json::error::Category::Data if message.starts_with("missing field") => {
            message.split(" at line").next().unwrap_or("a missing field").to_string()
        }
        serde_json::error::Category::Data => "a field of the wrong type".into(),
        serde_json::error::Category::Syntax => "malformed JSON".into(),
        serde_json::error::Category::Eof => "the JSON ends early".into(),
        serde_json::error::Category::Io => "an I/O error".into(),
    };
    format!("{kind} at line {} column {}", error.line(), error.column())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetime_is_measured_against_the_date_header() {
        // expiry 2025-03-07 23:12:15 GMT+5 = 18:12:15 UTC
        let date = "Fri, 07 Mar 2025 17:12:15 GMT";
        let wrong_local = "2025-03-07T15:12:15Z".parse().unwrap(); // two hours behind
        let lifetime = remaining_lifetime("2025-03-07 23:12:15", Some(date), wrong_local).unwrap();
        assert_eq!(lifetime, Duration::from_secs(3600));
        let lifetime = remaining_lifetime("2025-03-07 23:12:15", None, wrong_local).unwrap();
        assert_eq!(lifetime, Duration::from_secs(3 * 3600), "without Date, the local clock is all there is");
    }

    #[test]
    fn an_unusable_expiry_gives_no_lifetime() {
        let now = "2025-03-07T18:12:15Z".parse().unwrap();
        assert_eq!(remaining_lifetime("tomorrow", None, now), None);
        assert_eq!(remaining_lifetime("2025-03-07 23:12:15", None, now), None, "expiring now is past");
        assert_eq!(remaining_lifetime("2025-03-07 20:00:00", None, now), None, "past");
        assert_eq!(remaining_lifetime("2025-03-07T23:12:15+05:00", None, now), None, "not the vendor format");
    }
}
