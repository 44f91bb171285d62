//! The executor: runs one operation to its end. It takes the token, bounds
//! the whole call by its deadline, sends each attempt through the transport
//! (`transport.rs`), has the envelope (`envelope.rs`) decide what the
//! answer means, and applies the one retry policy (`retry.rs`): reads again
//! on transient failures, a write never once it may have reached the
//! server, a 401 replayed once with a fresh token. `/auth` runs here too,
//! with settings of its own (`auth.rs`). The writes a settle knows are built
//! once unsent first, to learn their target: refunds and hold charges pass
//! their guards (`settle/guard.rs`) before anything is sent, and a lost
//! answer carries its write (`Error::OutcomeUnknown`).

use progenitor_client::ClientInfo;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;

use crate::attempt::{ATTEMPT, Attempt, DriftKind, Finding, Recorded};
use crate::drift::Drift;
use crate::envelope::{Interpreted, Outcome, interpret, read_undocumented};
use crate::error::{Error, TransportKind};
use crate::informative::Unreadable;
use crate::operation::{Envelope, Operation};
use crate::retry::{self, RetryPolicy};
use crate::settle::guard::{Guards, RefundTicket};
use crate::settle::{LostWrite, Write, WriteKind};
use crate::token_cache::{Token, TokenCache};
use crate::types::{HoldModel, PaymentModel};
use crate::{Client, operation_table};

/// How an executor runs its calls.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The retry policy.
    pub retry: RetryPolicy,
    /// The whole call: token, attempts and the pauses between them.
    pub timeout: Duration,
    /// One attempt, if it is to be shorter than what is left of the call.
    pub attempt_timeout: Option<Duration>,
    /// The largest body read.
    pub max_body: usize,
    /// Sending it again changes nothing, whatever the method (`/auth`).
    pub resend_always: bool,
    /// Errors keep a snippet of the body (off for `/auth`, whose answer may
    /// echo the secret).
    pub keep_bodies: bool,
    /// Keep the answer's `Date` header.
    pub want_date: bool,
    /// Notice where answers differ from the spec (`drift.rs`).
    pub drift: bool,
    /// The checks a request passes before it is sent (`checks.rs`).
    pub checks: crate::checks::RequestChecks,
}

/// Runs operations with one set of [`Settings`]. Cloning is cheap.
#[derive(Clone, Debug)]
pub(crate) struct Executor {
    pub api: Client,
    /// Where tokens come from; `None` for an executor that sends only
    /// operations that need none (`/auth`).
    pub tokens: Option<Arc<TokenCache>>,
    pub settings: Arc<Settings>,
    /// Cut out of every error: the vendor may echo a request.
    pub secret: Arc<SecretString>,
    pub unreadable: Arc<Unreadable>,
    /// The drift this client has seen.
    pub drift: Arc<Drift>,
    /// Requests sent.
    pub requests: Arc<AtomicU64>,
    /// What the refund and charge guards keep (`settle/guard.rs`).
    pub guards: Arc<Guards>,
}

/// The payload and, when asked for, the answer's `Date` header.
pub(crate) type Reply<T> = (Box<T>, Option<String>);

impl Executor {
    /// Runs one operation: `build` makes the request from the generated
    /// client's builder, once per attempt. `timeout` overrides the whole
    /// call's.
    ///
    /// The writes a settle knows (`settle::WriteKind`) are first built
    /// without being sent, to learn their target and amount: a refund and a
    /// hold's charge are guarded before they are sent (`settle/guard.rs`),
    /// and a lost answer carries the write (`Error::OutcomeUnknown`'s
    /// `write`). Every call of [`Multicard`](crate::Multicard) comes here,
    /// so none skips the guards.
    pub async fn run<'c, O, F>(
        &'c self,
        options: &crate::CallOptions,
        build: F,
    ) -> Result<Reply<<O::Success as Envelope>::Data>, Error>
    where
        O: Operation + 'c,
        F: Fn(&'c Client) -> O,
    {
        let timeout = options.timeout;
        let kind = WriteKind::of_operation(O::ID);
        let checked = crate::checks::applies(O::ID);
        if kind.is_none() && !checked {
            return self.run_plain(timeout, &build).await;
        }
        let probed = Box::pin(self.probe(&build)).await;
        if checked && let Some((_, Some(body))) = &probed {
            let policy = options.checks.as_ref().unwrap_or(&self.settings.checks);
            if let Some(findings) = crate::checks::refusals(O::ID, crate::checks::check(O::ID, body, policy)) {
                return Err(Error::RequestRefused { operation: O::ID, findings });
            }
        }
        let mut write = match (kind, probed) {
            (Some(_), Some((params, body))) => Write::from_request(O::ID, &params, body.as_ref()),
            _ => None,
        };
        let ticket = match write.as_mut() {
            Some(write) => Box::pin(self.guard(O::ID, write, timeout)).await?,
            None => None,
        };
        let sent_at = self.api.inner().server_clock().map(|clock| clock.multicard_now());
        let result = self.run_plain(timeout, &build).await;
        if let Some(ticket) = ticket {
            ticket.finish(match &result {
                Ok(_) => Some(true),
                Err(error) if error.succeeded() => Some(true),
                Err(Error::OutcomeUnknown { .. }) => None,
                Err(_) => Some(false),
            });
        }
        match result {
            Err(Error::OutcomeUnknown { operation, settle_with, cause, write: None }) => Err(Error::OutcomeUnknown {
                operation,
                settle_with,
                cause,
                write: write
                    .map(|write| Box::new(LostWrite { write, lost_at: Some(tokio::time::Instant::now()), sent_at })),
            }),
            other => other,
        }
    }

    /// Builds `build`'s request without sending it (the transport's hook
    /// refuses it): its path parameters and its body as JSON.
    async fn probe<'c, O, F>(&'c self, build: &F) -> Option<(Vec<(String, String)>, Option<serde_json::Value>)>
    where
        O: Operation + 'c,
        F: Fn(&'c Client) -> O,
    {
        let info = operation_table::find(O::ID)?;
        let attempt = Attempt { operation: O::ID, info: Some(info), probe: true, ..Default::default() };
        let probed = ATTEMPT
            .scope(Box::new(attempt), async {
                let _ = Box::pin(build(&self.api).send_request()).await;
                Attempt::take_probe()
            })
            .await?;
        let params = path_params(info.path, &probed.path);
        let body = probed.body.and_then(|body| serde_json::from_slice::<serde_json::Value>(&body).ok());
        Some((params, body))
    }

    /// The guards before a refund and a hold's charge: they read the target
    /// (the snapshot goes into `write`) and refuse what must not be sent.
    async fn guard(
        &self,
        operation: &'static str,
        write: &mut Write,
        timeout: Option<Duration>,
    ) -> Result<Option<RefundTicket>, Error> {
        let not_sent = |target: &str, reason| Error::NotSent { operation, target: target.to_string(), reason };
        let unreadable = |target: &str, read, error: Error| {
            not_sent(target, crate::error::NotSentReason::TargetUnreadable { read, message: error.to_string() })
        };
        match write {
            Write::Refund { payment, amount, before } => {
                let ticket = self.guard_refund(operation, payment, None, before, timeout).await?;
                *amount = Some(ticket.amount);
                Ok(Some(ticket))
            }
            Write::PartialRefund { payment, amount, before } => {
                Ok(Some(self.guard_refund(operation, payment, Some(*amount), before, timeout).await?))
            }
            Write::ChargeHold { hold, before, .. } => {
                let (read, date) = self.read_hold(hold, timeout).await.map_err(|e| unreadable(hold, "get_hold", e))?;
                let now = self.guards.multicard_now(date.as_deref());
                Guards::check_charge(&read, now).map_err(|reason| not_sent(hold, reason))?;
                *before = Some(Box::new(read));
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    /// The refund guard: takes the payment's refund slot, reads the
    /// payment (into `before`) and checks the amount (`requested`; `None`
    /// for a full refund).
    async fn guard_refund(
        &self,
        operation: &'static str,
        payment: &str,
        requested: Option<i64>,
        before: &mut Option<Box<PaymentModel>>,
        timeout: Option<Duration>,
    ) -> Result<RefundTicket, Error> {
        use crate::error::NotSentReason;
        let not_sent = |reason| Error::NotSent { operation, target: payment.to_string(), reason };
        let reservation = self.guards.reserve(payment).map_err(not_sent)?;
        // Dropped on a failed read: the slot is given back.
        let read = self.read_payment(payment, timeout).await.map_err(|error| {
            not_sent(NotSentReason::TargetUnreadable { read: "get_payment", message: error.to_string() })
        })?;
        let ticket = reservation.commit(requested, &read).map_err(not_sent)?;
        *before = Some(Box::new(read));
        Ok(ticket)
    }

    /// Reads payment `uuid` (for the refund guard), within the call's
    /// `timeout`.
    async fn read_payment(&self, uuid: &str, timeout: Option<Duration>) -> Result<PaymentModel, Error> {
        let read = Box::pin(self.run_plain(timeout, &|api: &Client| api.get_payment().uuid(uuid))).await?;
        Ok(*read.0)
    }

    /// Reads hold `id` with the answer's `Date` header (for the charge
    /// guard), within the call's `timeout`.
    async fn read_hold(&self, id: &str, timeout: Option<Duration>) -> Result<(HoldModel, Option<String>), Error> {
        let dated =
            Executor { settings: Arc::new(Settings { want_date: true, ..(*self.settings).clone() }), ..self.clone() };
        let (read, date) = Box::pin(dated.run_plain(timeout, &|api: &Client| api.get_hold().payment_uuid(id))).await?;
        Ok((*read, date))
    }

    /// [`Executor::run`] without the guards: the call itself.
    async fn run_plain<'c, O, F>(
        &'c self,
        timeout: Option<Duration>,
        build: &F,
    ) -> Result<Reply<<O::Success as Envelope>::Data>, Error>
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
        let settings = &*self.settings;
        let requires_token = info.is_none_or(|i| i.requires_token);
        // Reads, and `/auth` (the one operation that needs no token), change
        // nothing: sending them again is safe.
        let may_resend = settings.resend_always || info.is_some_and(|i| i.is_read() || !i.requires_token);
        let settle_with = info.and_then(|i| i.settled_by);
        let timeout = timeout.unwrap_or(settings.timeout);
        let deadline = far(timeout);
        let ran_out = |when: &str| Error::Transport {
            operation: O::ID,
            kind: TransportKind::Timeout,
            message: format!("the call's {} ms ran out {when}; the request was not sent", timeout.as_millis()),
            source: None,
        };
        let call = async {
            let mut attempts = 0u32;
            let mut replayed = false;
            loop {
                attempts += 1;
                let token = match (&self.tokens, requires_token) {
                    (Some(tokens), true) => match tokio::time::timeout_at(deadline, tokens.get()).await {
                        Ok(token) => Some(token?),
                        Err(_) => return Err(ran_out("waiting for a token")),
                    },
                    _ => None,
                };
                let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
                if remaining.is_zero() {
                    return Err(ran_out("before the request was sent"));
                }
                // The block ends before the backoff's await, so the attempt's
                // large values (the envelope is kilobytes) never become part
                // of this future: it stays small however big the types are.
                let delay = {
                    // Boxed: the request future is large, and awaiting it in
                    // place would copy it into this one.
                    let limit = settings.attempt_timeout.map_or(remaining, |t| t.min(remaining));
                    let seen = Box::pin(self.attempt(build, info, token.as_ref(), limit)).await;
                    span.record("attempts", attempts);
                    if let Some(status) = seen.status {
                        span.record("status", status);
                    }
                    let error = match seen.outcome {
                        Outcome::Done(Ok(data)) => {
                            tracing::debug!("call succeeded");
                            return Ok((data, seen.date));
                        }
                        Outcome::Unauthorized => match (&token, &self.tokens) {
                            (Some(token), Some(tokens)) if !replayed => {
                                replayed = true;
                                let wiped = tokens.invalidate(token);
                                tracing::info!(wiped, "HTTP 401: replaying once with a fresh token");
                                continue;
                            }
                            _ => Error::Unauthorized { operation: O::ID },
                        },
                        Outcome::Done(Err(mut error)) => {
                            // The vendor may echo the request: no secret,
                            // token, card data or code goes further than here.
                            let token = token.as_ref().map(Token::value).unwrap_or_default();
                            let mut secrets = vec![self.secret.expose_secret(), token];
                            // Also as a JSON encoder may have escaped them.
                            let escaped = crate::scrub::escaped_forms(&[self.secret.expose_secret(), token]);
                            secrets.extend(escaped.iter().map(String::as_str));
                            let sent = seen.sent.secrets();
                            secrets.extend(sent.iter().map(String::as_str));
                            error.redact(&secrets);
                            if !settings.keep_bodies {
                                error.forget_body();
                            }
                            error
                        }
                    };
                    // Reads may be sent again; anything only when it never left,
                    // and only while the call's time lasts.
                    let retryable = error.is_connect() || (may_resend && retry::is_transient(&error));
                    let delay = settings.retry.backoff(attempts, seen.retry_after);
                    let in_time = tokio::time::Instant::now().checked_add(delay).is_some_and(|at| at < deadline);
                    if !(retryable && in_time && attempts < settings.retry.max_attempts) {
                        // A write that may have been applied (a lost answer,
                        // or an error code `outcome.rs` does not classify
                        // for it) is reported as such, with its settling read.
                        let error = if !may_resend && retry::may_have_reached(&error) {
                            Error::OutcomeUnknown { operation: O::ID, settle_with, cause: Box::new(error), write: None }
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
        };
        // Entered on every poll only when a subscriber wants the span: with
        // none, polling through `Instrumented` cost about 800 instructions a
        // call for nothing. (Disabled, it would be no one's parent anyway.)
        if span.is_disabled() { call.await } else { call.instrument(span.clone()).await }
    }

    /// One attempt of a call: sends the request with `token` (through the
    /// transport, which reads it from the attempt) and interprets the answer.
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
        self.requests.fetch_add(1, Ordering::Relaxed);
        let with_token = token.is_some();
        let attempt = Attempt {
            operation: O::ID,
            info,
            token: token.cloned(),
            max_body: Some(self.settings.max_body),
            want_date: self.settings.want_date,
            drift: self.settings.drift,
            check_fields: self.settings.drift && self.drift.check_fields(info),
            ..Default::default()
        };
        // The answer is interpreted where it is made, inside the scope: what
        // leaves it is small (the payload boxed), so the decoded envelope
        // (kilobytes) is not copied through the wrappers in between.
        // One timer bounds the whole attempt: connecting, sending, the
        // answer's head and its body. (Built in one expression, so the
        // futures are not moved from one local to the next.)
        let bounded = tokio::time::timeout(
            timeout,
            ATTEMPT.scope(Box::new(attempt), async {
                let result = build(&self.api).send_request().await;
                let mut recorded = Attempt::take();
                if recorded.oversized {
                    let error = Error::ResponseTooLarge { operation: O::ID, limit: self.settings.max_body };
                    return (Outcome::Done(Err(error)), recorded);
                }
                let head = &mut recorded.head;
                let status = (head.status != 0).then_some(head.status);
                let outcome = match interpret::<O>(result, status, head.content_type.take(), with_token) {
                    Interpreted::Outcome(outcome) => outcome,
                    // The body of an undocumented status is read here, under
                    // the same timer.
                    Interpreted::ReadBody(response) => read_undocumented::<O>(response, with_token).await,
                };
                (outcome, recorded)
            }),
        );
        let (outcome, recorded) = match bounded.await {
            Ok(done) => done,
            Err(_) => {
                let error = Error::Transport {
                    operation: O::ID,
                    kind: TransportKind::Timeout,
                    message: format!("no complete answer within {} ms", timeout.as_millis()),
                    source: None,
                };
                (Outcome::Done(Err(error)), Recorded::default())
            }
        };
        let Recorded { head, sent, unreadable, findings, .. } = recorded;
        for finding in findings {
            self.drift.record(O::ID, finding);
        }
        for field in unreadable {
            if self.settings.drift {
                self.drift.record(O::ID, Finding { kind: DriftKind::UnreadableField, path: field.field.clone() });
            }
            self.unreadable.push(field);
        }
        let status = (head.status != 0).then_some(head.status);
        Seen { outcome, sent, status, retry_after: head.retry_after, date: head.date }
    }
}

/// The path parameters of `template` (e.g. `/payment/{uuid}/partial`) in
/// `path` (the request's, perhaps under a base path), decoded, by name.
fn path_params(template: &str, path: &str) -> Vec<(String, String)> {
    let names: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    let values: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let Some(skip) = values.len().checked_sub(names.len()) else { return Vec::new() };
    names
        .iter()
        .zip(&values[skip..])
        .filter_map(|(name, value)| {
            let name = name.strip_prefix('{')?.strip_suffix('}')?;
            let value = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
            Some((name.to_string(), value.into_owned()))
        })
        .collect()
}

/// Now plus `wait`, or a year from now when that is past what an instant
/// can hold (a timeout of `Duration::MAX` means "no limit").
pub(crate) fn far(wait: Duration) -> tokio::time::Instant {
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
    date: Option<String>,
}
