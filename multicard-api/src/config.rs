//! Configuration: credentials, environment, timeouts, and the optional
//! caller-supplied `reqwest::Client`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::token_cache::{Clock, RefreshPolicy, SystemClock};

/// Where the API lives.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Environment {
    /// `https://mesh.multicard.uz`
    Production,
    /// `https://dev-mesh.multicard.uz`
    Sandbox,
    /// Any other base URL (a local sandbox, a proxy).
    Custom(String),
}

impl Environment {
    /// The production base URL.
    pub const PRODUCTION_URL: &'static str = "https://mesh.multicard.uz";
    /// The sandbox base URL.
    pub const SANDBOX_URL: &'static str = "https://dev-mesh.multicard.uz";

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        match self {
            Environment::Production => Self::PRODUCTION_URL,
            Environment::Sandbox => Self::SANDBOX_URL,
            Environment::Custom(url) => url.trim_end_matches('/'),
        }
    }
}

/// Everything a [`Multicard`](crate::Multicard) client needs.
///
/// ```
/// use multicard_api::{Config, Environment};
/// let config = Config::new("my_app", "my-secret", Environment::Sandbox)
///     .with_timeout(std::time::Duration::from_secs(20));
/// assert!(!format!("{config:?}").contains("my-secret"));
/// ```
#[derive(Clone)]
pub struct Config {
    pub(crate) application_id: String,
    pub(crate) secret: SecretString,
    pub(crate) environment: Environment,
    pub(crate) timeout: Duration,
    pub(crate) attempt_timeout: Option<Duration>,
    pub(crate) connect_timeout: Duration,
    pub(crate) refresh: RefreshPolicy,
    pub(crate) http: HttpChoice,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_response_bytes: usize,
    pub(crate) drift: bool,
    pub(crate) checks: crate::checks::RequestChecks,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("application_id", &self.application_id)
            .field("secret", &"<redacted>")
            .field("environment", &shown_environment(&self.environment))
            .field("timeout", &self.timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("refresh", &self.refresh)
            .field("http_client", &self.http)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// The environment as `Debug` shows it: credentials in a custom URL are
/// never printed.
fn shown_environment(environment: &Environment) -> Environment {
    match environment {
        Environment::Custom(url) => match reqwest::Url::parse(url) {
            Ok(mut parsed) if !parsed.username().is_empty() || parsed.password().is_some() => {
                let _ = parsed.set_username("<redacted>");
                let _ = parsed.set_password(None);
                Environment::Custom(parsed.to_string())
            }
            Ok(_) => environment.clone(),
            Err(_) => Environment::Custom("<not a URL>".into()),
        },
        other => other.clone(),
    }
}

/// The hosts of Multicard's own environments, which are only ever spoken
/// to over https.
fn is_vendor_host(host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    host == "multicard.uz" || host.ends_with(".multicard.uz")
}

/// A caller's changes to the SDK's `reqwest::ClientBuilder`.
pub(crate) type Customize = Arc<dyn Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync>;

/// Which HTTP client a [`Config`] makes its calls with.
#[derive(Clone, Default)]
pub(crate) enum HttpChoice {
    /// The SDK's own.
    #[default]
    Own,
    /// The SDK's own builder, changed by the caller; the SDK's safety
    /// settings applied after the caller's changes.
    Customized(Customize),
    /// A client the caller built: the SDK cannot see or change its settings.
    Foreign(reqwest::Client),
}

impl fmt::Debug for HttpChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HttpChoice::Own => "the SDK's own",
            HttpChoice::Customized(_) => "the SDK's own, customized",
            HttpChoice::Foreign(_) => "a foreign client",
        })
    }
}

impl Config {
    /// The HTTP client this configuration makes its calls with: the SDK's
    /// builder with this configuration's timeouts, then the caller's
    /// changes, then the settings money safety needs (applied last, so no
    /// change can undo them); or the caller's own client as it is.
    pub(crate) fn http_client(&self) -> Result<reqwest::Client, Error> {
        let customize = match &self.http {
            HttpChoice::Foreign(client) => return Ok(client.clone()),
            HttpChoice::Customized(customize) => Some(customize),
            HttpChoice::Own => None,
        };
        let mut builder = http_client_builder().timeout(self.timeout).connect_timeout(self.connect_timeout);
        if let Some(customize) = customize {
            builder = customize(builder);
        }
        safety_settings(builder)
            // Only https for an https base URL (the vendor's always are).
            .https_only(self.base_url().starts_with("https://"))
            .build()
            .map_err(|e| Error::InvalidConfiguration { message: format!("cannot build the HTTP client: {e}") })
    }
}

/// What money safety needs of any client: no redirects, no resend.
fn safety_settings(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    // Multicard never redirects; following one would send the body
    // (the secret, a PAN) wherever the `Location` points.
    builder
        .redirect(reqwest::redirect::Policy::none())
        // The SDK's retry policy is the only one: reqwest's own would
        // resend a write the server may have received.
        .retry(reqwest::retry::never())
}

/// A `reqwest::ClientBuilder` with the settings the SDK's own client has:
/// no redirects, no automatic resend, the SDK's user agent. To change the
/// SDK's client, prefer [`Config::with_http_customization`], which applies
/// the safety settings after your changes; this builder is for a client
/// shared with other code and handed over with
/// [`Config::with_foreign_http_client`], where the SDK cannot re-apply them.
///
/// ```
/// let http = multicard_api::config::http_client_builder()
///     .pool_max_idle_per_host(4)
///     .build()
///     .expect("a client");
/// let config = multicard_api::Config::new("my_app", "my-secret", multicard_api::Environment::Sandbox)
///     .with_foreign_http_client(http);
/// # let _ = config;
/// ```
pub fn http_client_builder() -> reqwest::ClientBuilder {
    safety_settings(reqwest::Client::builder()).user_agent(concat!("multicard-api-rust/", env!("CARGO_PKG_VERSION")))
}

/// The default total timeout of one call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default limit on a response body (16 MiB; a registry page of 10,000
/// rows is about 5 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

impl Config {
    /// Credentials and environment; everything else has defaults.
    pub fn new(application_id: impl Into<String>, secret: impl Into<String>, environment: Environment) -> Self {
        Self {
            application_id: application_id.into(),
            secret: SecretString::from(secret.into()),
            environment,
            timeout: DEFAULT_TIMEOUT,
            attempt_timeout: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            refresh: RefreshPolicy::default(),
            http: HttpChoice::Own,
            clock: Arc::new(SystemClock),
            retry: RetryPolicy::default(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            drift: true,
            checks: crate::checks::RequestChecks::new(),
        }
    }

    /// From the environment: `MULTICARD_APPLICATION_ID`, `MULTICARD_SECRET`,
    /// and `MULTICARD_BASE_URL` or `MULTICARD_ENV` (`sandbox` or
    /// `production`). A missing variable is an error that names it.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`Config::from_env`] over any source of variables.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let required = |name: &str| {
            lookup(name).filter(|v| !v.trim().is_empty()).ok_or_else(|| Error::InvalidConfiguration {
                message: format!("the environment variable {name} is not set"),
            })
        };
        let application_id = required("MULTICARD_APPLICATION_ID")?;
        let secret = required("MULTICARD_SECRET")?;
        let environment = match (lookup("MULTICARD_BASE_URL").filter(|v| !v.trim().is_empty()), lookup("MULTICARD_ENV"))
        {
            (Some(url), _) => Environment::Custom(url),
            (None, Some(env)) => match env.trim().to_ascii_lowercase().as_str() {
                "sandbox" | "dev" | "test" => Environment::Sandbox,
                "production" | "prod" => Environment::Production,
                other => {
                    return Err(Error::InvalidConfiguration {
                        message: format!("MULTICARD_ENV is `{other}`; expected `sandbox` or `production`"),
                    });
                }
            },
            (None, None) => {
                return Err(Error::InvalidConfiguration {
                    message: "neither MULTICARD_BASE_URL nor MULTICARD_ENV is set".into(),
                });
            }
        };
        Ok(Self::new(application_id, secret, environment))
    }

    /// The total timeout of one call (default 30 s): it bounds the whole of
    /// [`Multicard::send`](crate::Multicard::send), waiting for a token,
    /// every attempt and the pauses between them included.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// A timeout for each attempt (each request) of a call, within the
    /// call's total timeout; off by default, so one attempt may use all of
    /// the call's time. With it, a read whose answer is slow is cut off and
    /// tried again while the call's time lasts; a write cut off is
    /// [`Error::OutcomeUnknown`], so keep it generous where writes go.
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// The connect timeout (default 10 s). Ignored with a supplied client.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How the token is refreshed: margin before expiry, jitter, and the
    /// timeout of `/auth` (defaults: 60 s, 30 s, 10 s).
    pub fn with_refresh_policy(mut self, policy: RefreshPolicy) -> Self {
        self.refresh = policy;
        self
    }

    /// How calls are retried (see [`crate::retry`]).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Whether to notice where answers differ from the spec (default on):
    /// fields it does not name, enum values it does not know, informative
    /// fields that did not decode; see [`crate::drift`].
    pub fn with_drift_signals(mut self, on: bool) -> Self {
        self.drift = on;
        self
    }

    /// The checks every write's request passes before it is sent
    /// ([`crate::checks`]); by default, what the vendor's pages state is
    /// refused and the rest is warned about.
    /// [`CallOptions::checks`](crate::CallOptions::checks) sets them for
    /// one call.
    pub fn with_request_checks(mut self, checks: crate::checks::RequestChecks) -> Self {
        self.checks = checks;
        self
    }

    /// The largest response body read (default 16 MiB); a larger one is
    /// [`Error::ResponseTooLarge`].
    pub fn with_max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Change the HTTP client the SDK builds: proxies, root certificates,
    /// pool sizes, local address, headers. `customize` receives the SDK's
    /// builder (its user agent and this configuration's timeouts already
    /// set) and returns it changed; the SDK then applies, **after** your
    /// changes, what money safety needs: no redirects (a redirect would
    /// carry the secret or card data to another host), no automatic resend
    /// (reqwest resends requests an HTTP/2 server refuses, writes included;
    /// the SDK's retry policy, which never resends money, must be the only
    /// one) and https only for an https base URL. This is the way to bring
    /// your own settings.
    ///
    /// ```
    /// use multicard_api::{Config, Environment};
    /// let config = Config::new("my_app", "my-secret", Environment::Sandbox)
    ///     .with_http_customization(|builder| builder.pool_max_idle_per_host(4).tcp_nodelay(true));
    /// # let _ = config;
    /// ```
    pub fn with_http_customization(
        mut self,
        customize: impl Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync + 'static,
    ) -> Self {
        self.http = HttpChoice::Customized(Arc::new(customize));
        self
    }

    /// Use this `reqwest::Client` **as it is**. Prefer
    /// [`Config::with_http_customization`].
    ///
    /// What a client the SDK did not build loses: the SDK cannot read or
    /// change its settings, so **none of its safety settings apply** unless
    /// you built it from [`http_client_builder`] and kept them: a client
    /// that follows redirects can carry the secret or card data to another
    /// host, and reqwest's default client resends a write that an HTTP/2
    /// server refused (`REFUSED_STREAM`), so a payment can be sent twice.
    /// It also needs a TLS backend for https, and [`Config::with_connect_timeout`]
    /// does not reach it (the SDK's own call timeout,
    /// [`Config::with_timeout`], still bounds every call).
    pub fn with_foreign_http_client(mut self, client: reqwest::Client) -> Self {
        self.http = HttpChoice::Foreign(client);
        self
    }

    /// Use these clocks for token deadlines and for the "end in the past"
    /// check of registry windows (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.environment.base_url()
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        let fail = |message: String| Err(Error::InvalidConfiguration { message });
        if self.application_id.trim().is_empty() {
            return fail("application_id is empty".into());
        }
        if secrecy::ExposeSecret::expose_secret(&self.secret).trim().is_empty() {
            return fail("secret is empty or blank".into());
        }
        match reqwest::Url::parse(self.base_url()) {
            Ok(url) if url.scheme() == "http" && url.host_str().is_some_and(is_vendor_host) => {
                return fail(format!(
                    "the base URL is Multicard's own host `{}` over plain http; it must be https",
                    url.host_str().unwrap_or_default()
                ));
            }
            Ok(url) if !url.username().is_empty() || url.password().is_some() => {
                return fail(
                    "the base URL carries credentials (`user:password@`); the SDK authenticates with its own \
                     token, and a proxy's credentials belong in the `reqwest::Client`'s proxy settings"
                        .into(),
                );
            }
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => {}
            Ok(url) => return fail(format!("the base URL must be http or https with a host, not `{}`", url.scheme())),
            // The URL itself is not repeated: it may carry a password.
            Err(e) => return fail(format!("the base URL is not a URL: {e}")),
        }
        if self.timeout.is_zero()
            || self.connect_timeout.is_zero()
            || self.refresh.auth_timeout.is_zero()
            || self.attempt_timeout.is_some_and(|t| t.is_zero())
        {
            return fail("timeouts must be greater than zero".into());
        }
        if self.retry.max_attempts == 0 {
            return fail("retry.max_attempts must be at least 1".into());
        }
        if self.max_response_bytes == 0 {
            return fail("max_response_bytes must be greater than zero".into());
        }
        Ok(())
    }
}
