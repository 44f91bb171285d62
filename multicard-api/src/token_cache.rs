//! The token cache: it keeps the bearer token every call but `/auth` sends,
//! and decides when to fetch a new one. It does not fetch: the fetch is a
//! function it is handed ([`Fetch`]); the client's fetch sends `get_token`
//! through the same executor and transport as every other operation (see
//! `auth.rs`).
//!
//! - The first call fetches a token; later calls reuse it with no network.
//! - A token's lifetime becomes a *monotonic* deadline, measured from the
//!   moment its fetch started.
//! - The token is refreshed a margin before the deadline, with jitter, so a
//!   fleet of clients does not refresh at the same second. During that
//!   margin callers keep the still-valid token while one refresh runs.
//! - Single flight: any number of concurrent callers cause one fetch.
//! - A failed refresh is handed to every caller waiting on it and is not
//!   cached: the next call tries again. A still-valid token survives a
//!   failed early refresh.
//! - `invalidate` after a 401 wipes the token only if it is still the one
//!   that failed: a token another task just refreshed stays.
//! - The refresh runs as its own task, so cancelling a caller never wedges
//!   the cache.
//! - A refresh whose task dies with its runtime (a service that calls from
//!   a new runtime per request, or shuts one down mid-refresh), or that
//!   outlives its budget on a runtime nobody drives, is noticed: it is
//!   cleared, and its waiting callers and the next caller start a new one
//!   on their own runtime.
//! - A token without a usable lifetime (its `expiry` could not be parsed or
//!   is already past) is cached for [`UNUSABLE_EXPIRY_LIFETIME`] only; if
//!   the server drops it sooner, the 401 path replaces it.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use secrecy::{ExposeSecret, SecretString};

use crate::error::{AuthMessage, Error};

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
#[non_exhaustive]
pub struct RefreshPolicy {
    /// Refresh this long before the deadline (at most half the lifetime).
    pub margin: Duration,
    /// Up to this much more, chosen at random per token.
    pub jitter: Duration,
    /// The timeout of one `/auth` request.
    pub auth_timeout: Duration,
}

impl RefreshPolicy {
    /// Sets `margin`.
    #[must_use]
    pub fn with_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    /// Sets `jitter`.
    #[must_use]
    pub fn with_jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self
    }

    /// Sets `auth_timeout`.
    #[must_use]
    pub fn with_auth_timeout(mut self, auth_timeout: Duration) -> Self {
        self.auth_timeout = auth_timeout;
        self
    }
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
    /// The token itself (tests only: the `fuzzing` feature). The SDK sends
    /// it as [`Token::authorization`].
    #[cfg(feature = "fuzzing")]
    #[doc(hidden)]
    pub fn expose(&self) -> &str {
        self.value()
    }

    /// The token itself, for the SDK's own use (scrubbing it from errors).
    pub(crate) fn value(&self) -> &str {
        self.secret.value.expose_secret()
    }

    /// The `Authorization` header value (`Bearer <token>`, marked
    /// sensitive), or `None` when the token cannot appear in a header.
    pub(crate) fn authorization(&self) -> Option<&reqwest::header::HeaderValue> {
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

/// A token that cannot be put in an HTTP header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the token holds characters that cannot appear in an HTTP header")]
pub struct InvalidToken;

/// `Bearer <token>`, marked sensitive (never logged by the HTTP stack).
pub(crate) fn bearer(token: &str) -> Result<reqwest::header::HeaderValue, InvalidToken> {
    let mut value = reqwest::header::HeaderValue::try_from(format!("Bearer {token}")).map_err(|_| InvalidToken)?;
    value.set_sensitive(true);
    Ok(value)
}

/// What one fetch brought: the token, and how long it lives from the
/// moment the fetch started (`None` when that could not be told).
#[derive(Clone)]
#[non_exhaustive]
pub struct Fetched {
    /// The token.
    pub token: SecretString,
    /// Its lifetime; `None` caches it for [`UNUSABLE_EXPIRY_LIFETIME`].
    pub lifetime: Option<Duration>,
}

impl Fetched {
    /// A token and its lifetime (`None`: cached for [`UNUSABLE_EXPIRY_LIFETIME`]).
    pub fn new(token: SecretString, lifetime: Option<Duration>) -> Self {
        Self { token, lifetime }
    }
}

impl fmt::Debug for Fetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetched").field("token", &"<redacted>").field("lifetime", &self.lifetime).finish()
    }
}

/// Fetches one token. Called with the refresh's generation (1, 2, ...),
/// for logging.
pub type Fetch = Arc<dyn Fn(u64) -> BoxFuture<'static, Result<Fetched, Error>> + Send + Sync>;

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

/// Caches the token that a [`Fetch`] brings, and refreshes it in time.
pub struct TokenCache {
    fetch: Fetch,
    policy: RefreshPolicy,
    /// The longest one fetch may take before it counts as lost.
    budget: Duration,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    fetches: AtomicU64,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock().map(|s| (s.generation, s.current.is_some())).unwrap_or((0, false));
        f.debug_struct("TokenCache")
            .field("generation", &state.0)
            .field("has_token", &state.1)
            .field("policy", &self.policy)
            .field("budget", &self.budget)
            .finish()
    }
}

impl TokenCache {
    /// A cache whose tokens come from `fetch`. A fetch that has not ended
    /// after `budget` counts as lost (its runtime idle or gone) and is
    /// started again by the next caller. Public for tests only (the
    /// `fuzzing` feature): [`Multicard`](crate::Multicard) makes its own.
    #[cfg(feature = "fuzzing")]
    #[doc(hidden)]
    pub fn new(fetch: Fetch, policy: RefreshPolicy, budget: Duration, clock: Arc<dyn Clock>) -> Self {
        Self::create(fetch, policy, budget, clock)
    }

    /// A cache whose tokens come from `fetch` (see `new`).
    pub(crate) fn create(fetch: Fetch, policy: RefreshPolicy, budget: Duration, clock: Arc<dyn Clock>) -> Self {
        Self { fetch, policy, budget, clock, state: Mutex::new(State::default()), fetches: AtomicU64::new(0) }
    }

    /// How many fetches this cache has started.
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
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
            let budget = self.budget;
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

    /// The refresh in flight (its generation and start), or a new one.
    fn start_refresh(self: &Arc<Self>, state: &mut State) -> (u64, Instant, Refresh) {
        if let Some(in_flight) = &state.refreshing {
            // A task stores its outcome before it ends, so one that is over
            // and still here was cancelled with its runtime, or panicked;
            // one past its budget sits on a runtime nobody drives.
            let overdue = self.clock.now().saturating_duration_since(in_flight.started) > self.budget;
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
            let result = cache.fetch_one(generation).await;
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

    /// Runs the fetch and makes its answer a token with deadlines.
    async fn fetch_one(&self, generation: u64) -> Result<Token, Error> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let started = self.clock.now();
        let fetched = (self.fetch)(generation).await?;
        if fetched.lifetime.is_none() {
            tracing::warn!(
                target: "multicard::auth",
                generation,
                fallback_secs = UNUSABLE_EXPIRY_LIFETIME.as_secs(),
                "token expiry unusable; the token is cached for the fallback lifetime"
            );
        }
        let lifetime = fetched.lifetime.unwrap_or(UNUSABLE_EXPIRY_LIFETIME);
        let margin = self.policy.margin.min(lifetime / 2);
        let jitter_cap = self.policy.jitter.min(lifetime.saturating_sub(margin) / 2);
        let jitter = jitter_cap.mul_f64(fastrand::f64());
        let (deadline, refresh_at) = (started.checked_add(lifetime), started.checked_add(lifetime - margin - jitter));
        tracing::info!(
            target: "multicard::auth",
            generation,
            lifetime_secs = lifetime.as_secs(),
            expiry_usable = fetched.lifetime.is_some(),
            "token refreshed"
        );
        let authorization = bearer(fetched.token.expose_secret()).ok();
        let secret = Arc::new(TokenSecret { value: fetched.token, authorization });
        Ok(Token { secret, generation, deadline, refresh_at })
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
}
