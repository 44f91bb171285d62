//! [`Multicard`]: the client users hold. It puts the pieces together (the
//! HTTP client, the transport, the executor, the token cache and its
//! `/auth` fetch) and hands each call to the executor.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::config::Config;
use crate::error::Error;
use crate::executor::{Executor, Settings};
use crate::operation::{Envelope, Operation};
use crate::server_time::{ClockOffset, ServerClock};
use crate::settle::guard::Guards;
use crate::time::MulticardDateTime;
use crate::token_cache::{Clock, TokenCache};
use crate::transport::ClientState;
use crate::{Client, auth};
use chrono::{DateTime, Utc};
use progenitor_client::ClientInfo;

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
    pub(crate) executor: Executor,
    /// Read only by the test hook `tokens` (the `fuzzing` feature).
    #[cfg_attr(not(feature = "fuzzing"), allow(dead_code))]
    tokens: Arc<TokenCache>,
    auth_requests: Arc<AtomicU64>,
    /// The client's clocks ([`Config::with_clock`]): registry windows are
    /// checked against its wall clock.
    pub(crate) clock: Arc<dyn Clock>,
}

/// Settings for one call.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CallOptions {
    pub(crate) timeout: Option<Duration>,
    pub(crate) checks: Option<crate::checks::RequestChecks>,
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

    /// The request checks for this call instead of the client's
    /// ([`Config::with_request_checks`]): e.g. a split payment's
    /// commission ([`RequestChecks::split_commission`](crate::checks::RequestChecks::split_commission)).
    pub fn checks(mut self, checks: crate::checks::RequestChecks) -> Self {
        self.checks = Some(checks);
        self
    }
}

impl Multicard {
    /// A client for `config`. Fails only on a configuration that cannot
    /// work (empty credentials, a base URL that is not http(s)).
    pub fn new(config: Config) -> Result<Self, Error> {
        config.validate()?;
        if config.base_url().starts_with("https://") && !cfg!(any(feature = "rustls", feature = "native-tls")) {
            return Err(Error::InvalidConfiguration {
                message: "the base URL is https but this build has no TLS backend: enable the `rustls` (default) or \
                          `native-tls` feature of multicard-api"
                    .into(),
            });
        }
        let http = config.http_client()?;
        let secret = Arc::new(config.secret.clone());
        let unreadable = Arc::default();
        let drift = Arc::default();
        let server_clock = Arc::new(ServerClock::new(config.clock.clone()));
        // `/auth` goes the same way as every call, with its own settings and
        // no token cache behind it.
        let mut auth_settings = auth::settings(&config.refresh, &config.retry);
        auth_settings.drift = config.drift;
        let budget = auth::budget(&auth_settings);
        let auth_requests = Arc::new(AtomicU64::new(0));
        let auth_executor = Executor {
            api: Client::new_with_client(
                config.base_url(),
                http.clone(),
                ClientState::new().with_server_clock(server_clock.clone()),
            ),
            tokens: None,
            settings: Arc::new(auth_settings),
            secret: secret.clone(),
            unreadable: Arc::clone(&unreadable),
            drift: Arc::clone(&drift),
            requests: auth_requests.clone(),
            guards: Arc::new(Guards::new(config.clock.clone())),
        };
        let fetch =
            auth::fetch(auth_executor, config.application_id.clone(), config.secret.clone(), config.clock.clone());
        let tokens = Arc::new(TokenCache::create(fetch, config.refresh.clone(), budget, config.clock.clone()));
        let executor = Executor {
            api: Client::new_with_client(
                config.base_url(),
                http,
                ClientState::with_token_cache(tokens.clone())
                    .with_max_body(config.max_response_bytes)
                    .with_server_clock(server_clock),
            ),
            tokens: Some(tokens.clone()),
            settings: Arc::new(Settings {
                retry: config.retry.clone(),
                timeout: config.timeout,
                attempt_timeout: config.attempt_timeout,
                max_body: config.max_response_bytes,
                resend_always: false,
                keep_bodies: true,
                want_date: false,
                drift: config.drift,
                checks: config.checks.clone(),
            }),
            secret,
            unreadable,
            drift,
            requests: Arc::default(),
            guards: Arc::new(Guards::new(config.clock.clone())),
        };
        Ok(Self { executor, tokens, auth_requests, clock: config.clock.clone() })
    }

    /// A client configured from `MULTICARD_*` environment variables; see
    /// [`Config::from_env`].
    pub fn from_env() -> Result<Self, Error> {
        Self::new(Config::from_env()?)
    }

    /// The generated client, for calls where the raw response is wanted.
    /// It carries the same token cache.
    pub fn api(&self) -> &Client {
        &self.executor.api
    }

    /// The most recent informative fields (at most
    /// [`informative::KEPT`](crate::informative::KEPT)) that did not decode
    /// and were left empty, with their raw values, oldest first. Each also
    /// logged a `tracing` warning naming the operation and the field.
    pub fn unreadable_fields(&self) -> Vec<crate::informative::UnreadableField> {
        self.executor.unreadable.snapshot()
    }

    /// Where the answers this client received differed from the spec: each
    /// kind, operation and JSON path with how many answers showed it (see
    /// [`drift`](crate::drift)). Empty when drift signals are off.
    pub fn drift_signals(&self) -> Vec<crate::drift::DriftSignal> {
        self.executor.drift.snapshot()
    }

    /// The token cache (tests and benchmarks only: the `fuzzing` feature).
    #[cfg(feature = "fuzzing")]
    #[doc(hidden)]
    pub fn tokens(&self) -> &Arc<TokenCache> {
        &self.tokens
    }

    /// How many `/auth` requests this client has sent (retries included).
    pub fn auth_requests(&self) -> u64 {
        self.auth_requests.load(Ordering::Relaxed)
    }

    /// Runs one operation: `build` makes the request from the generated
    /// client's builder (typed arguments), and the result is the `data`
    /// payload, unwrapped, or an [`Error`].
    ///
    /// `build` is called once per attempt (and once more, without sending,
    /// for the checks before sending), so it is a `Fn`: build the body
    /// outside and clone it in, rather than moving it in:
    ///
    /// ```no_run
    /// # async fn run(multicard: multicard_api::Multicard, request: multicard_api::types::CreateInvoiceRequest)
    /// # -> Result<(), multicard_api::Error> {
    /// let invoice = multicard.send(|api| api.create_invoice().body(request.clone())).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// Builder arguments: an optional text field takes a `String` or an
    /// `Option<String>`, not a `&str` (`.sms("998901234567".to_string())`);
    /// a list of nested bodies is a `Vec` of built values
    /// (`types::X::builder()...try_into()?` each), or JSON through
    /// `serde_json::from_value`; a fiscal receipt comes whole from
    /// [`Receipt`](crate::receipt::Receipt).
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
        self.executor.run(&CallOptions::default(), build).await.map(|(data, _)| *data)
    }

    /// [`Multicard::send`] with settings for this call (a timeout, the
    /// request checks).
    pub async fn send_with<'c, O, F>(
        &'c self,
        options: CallOptions,
        build: F,
    ) -> Result<<O::Success as Envelope>::Data, Error>
    where
        O: Operation + 'c,
        F: Fn(&'c Client) -> O,
    {
        self.executor.run(&options, build).await.map(|(data, _)| *data)
    }
}

impl Multicard {
    /// How far Multicard's clock is from this client's, as the `Date`
    /// header of the latest answer showed it (see
    /// [`server_time`](crate::server_time)); zero, and
    /// [`ClockOffset::is_observed`] `false`, before any answer carried one.
    pub fn clock_offset(&self) -> ClockOffset {
        self.server_clock().map_or(ClockOffset::UNOBSERVED, |clock| clock.latest())
    }

    /// Now by Multicard's clock: the client's wall clock plus
    /// [`Multicard::clock_offset`]. Take it just before sending a create, to
    /// search for it later if its answer is lost
    /// ([`LostCreate`](crate::lost_create::LostCreate)).
    pub fn multicard_now(&self) -> MulticardDateTime {
        self.clock_offset().to_multicard(self.clock.now_utc())
    }

    /// The offset and the client's wall clock, read together.
    pub(crate) fn offset_and_local_now(&self) -> (ClockOffset, DateTime<Utc>) {
        (self.clock_offset(), self.clock.now_utc())
    }

    fn server_clock(&self) -> Option<&Arc<ServerClock>> {
        self.executor.api.inner().server_clock()
    }
}
