//! Where tokens come from: `POST /auth` (`get_token`) gives a JWT with an
//! `expiry` in GMT+5. The fetch sends it through the same executor and
//! transport as every other operation, with settings of its own: its own
//! timeout per attempt ([`RefreshPolicy::auth_timeout`]), retries on
//! transient failures (sending it again changes nothing), a small size cap
//! ([`AUTH_RESPONSE_LIMIT`]), and errors that keep nothing of the answer's
//! body (it may echo the secret). The token cache (`token_cache.rs`) decides
//! when to fetch.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use secrecy::{ExposeSecret, SecretString};

use crate::executor::{Executor, Settings};
use crate::retry::RetryPolicy;
use crate::time::MulticardDateTime;
use crate::token_cache::{Clock, Fetch, Fetched, RefreshPolicy};
use crate::types;

/// The largest `/auth` answer read (a token is a few hundred bytes).
pub const AUTH_RESPONSE_LIMIT: usize = 64 * 1024;

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

/// The settings of a `get_token` call: each attempt bounded by the
/// refresh policy's `auth_timeout`, retried by `retry` whatever its method,
/// and the whole of it bounded by every attempt timing out with the longest
/// backoffs between them.
pub(crate) fn settings(refresh: &RefreshPolicy, retry: &RetryPolicy) -> Settings {
    let attempts = retry.max_attempts.max(1);
    let waiting = retry.max_delay.max(retry.max_retry_after).saturating_mul(attempts - 1);
    Settings {
        retry: retry.clone(),
        timeout: refresh.auth_timeout.saturating_mul(attempts).saturating_add(waiting),
        attempt_timeout: Some(refresh.auth_timeout),
        max_body: AUTH_RESPONSE_LIMIT,
        resend_always: true,
        keep_bodies: false,
        want_date: true,
        drift: true,
        checks: crate::checks::RequestChecks::new(),
    }
}

/// The longest a fetch with `settings` may take before the cache gives it
/// up: its whole timeout, and a second to spare.
pub(crate) fn budget(settings: &Settings) -> Duration {
    settings.timeout.saturating_add(Duration::from_secs(1))
}

/// A fetch that sends `get_token` for `application_id` through `executor`
/// and measures the token's lifetime against the answer's `Date` header
/// (the local wall clock of `clock` when there is none).
pub(crate) fn fetch(executor: Executor, application_id: String, secret: SecretString, clock: Arc<dyn Clock>) -> Fetch {
    let shared = Arc::new((executor, application_id, secret, clock));
    Arc::new(move |_generation| {
        let shared = shared.clone();
        async move {
            let (executor, application_id, secret, clock) = &*shared;
            let request = types::AuthRequest {
                application_id: application_id.clone(),
                secret: secret.expose_secret().to_string(),
            };
            let (token, date) =
                executor.run(&crate::CallOptions::default(), |api| api.get_token().body(request.clone())).await?;
            let lifetime = remaining_lifetime(&token.expiry, date.as_deref(), clock.now_utc());
            Ok(Fetched { token: SecretString::from(token.token), lifetime })
        }
        .boxed()
    })
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
