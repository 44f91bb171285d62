//! How a sandbox behaves ([`SandboxConfig`], [`FrozenPayments`]) and the
//! test data it knows: credentials, store, test card and one-time code.

use std::path::PathBuf;
use std::time::Duration;

use chrono::TimeDelta;

/// The test card of the sandbox.
pub const TEST_CARD_PAN: &str = "8600533364098829";
/// Its expiry (YYMM).
pub const TEST_CARD_EXPIRY: &str = "2806";
/// The OTP the sandbox accepts.
pub const TEST_OTP: &str = "112233";
/// The sandbox's application id.
pub const APPLICATION_ID: &str = "rhmt_test";
/// The sandbox's secret (also the callback signing secret).
pub const SECRET: &str = "Pw18axeBFo8V7NamKHXX";
/// The sandbox's store.
pub const STORE_ID: i64 = 6;
/// The uuid of the sandbox's store (`STORE_ID` is its integer id).
pub(crate) const STORE_UUID: &str = "2cbd6ec4-5fa1-11ef-9a1b-00505680eaf6";

/// How the sandbox behaves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SandboxConfig {
    /// The lifetime of the tokens `/auth` issues (default 24 h).
    pub token_lifetime: Duration,
    /// Deliver status-change webhooks (SHA-1 signed) besides the success
    /// callback (off by default, as on Multicard): one on every change of
    /// a payment's status, each repeated 5 times after a non-2xx answer.
    pub status_webhooks: bool,
    /// The pause before a webhook is sent again (default 60 s; the
    /// vendor's pages give the count, 5 repeats, not the pause).
    pub webhook_repeat_every: Duration,
    /// What happens to a payment frozen by its success callback (answered
    /// exactly 500, or not in time): see [`FrozenPayments`] (default: sent
    /// again 3 times, 60 s apart, then left frozen).
    pub frozen_payments: FrozenPayments,
    /// How long a merchant has to answer one callback, in real time
    /// (default 5 s). No answer by then counts as a timeout: a success
    /// callback freezes its payment.
    pub callback_timeout: Duration,
    /// The most of a merchant's answer to a success callback that is read
    /// (default 64 KiB). A longer answer stops being read there, and reads
    /// as no `success: true`: the payment is cancelled and refunded. Other
    /// callbacks' answers are not read past their status.
    pub max_callback_answer: usize,
    /// How long a debit takes between `progress` and its end, on the
    /// sandbox's clock (default zero: a confirmed payment is debited at
    /// once and reads `billing` while its success callback is out, or
    /// `success` when it has no `callback_url`).
    pub debit_delay: Duration,
    /// Follow the wall clock (`true`, the binary's default) or stand still
    /// between calls to `Sandbox::advance` (`false`, the default here:
    /// nothing scheduled happens until a test moves time on).
    pub real_time: bool,
    /// For how long after a write a read (`get_payment`, `get_payout`,
    /// `get_hold`) still shows what was there before it, as a lagging
    /// replica does (default zero). Something created within this long
    /// reads as not found.
    pub stale_reads: Duration,
    /// How long after a payment or payout is made it appears in the
    /// registries (`list_payments`, `list_payouts`; default zero).
    pub registry_lag: Duration,
    /// How far the times the sandbox writes (`added_on`, `payment_time`,
    /// a token's `expiry`) are from its own clock, as a server's clock can
    /// be from its client's (default zero; negative is behind).
    pub clock_offset: TimeDelta,
    /// The application id and secret it accepts.
    pub application_id: String,
    /// The secret it accepts and signs callbacks with.
    pub secret: String,
    /// The connections open at once (default 128). One more closes the
    /// connection idle the longest (no request in progress: a client that
    /// never finishes its header, or a keep-alive connection between
    /// requests); while every connection has a request in progress, it waits.
    pub max_connections: usize,
    /// How long a connection may take to send a request's header, and may
    /// stay idle between two requests, before it is closed (default 10 s).
    pub header_read_timeout: Duration,
    /// How long a request's body may take to arrive before the request is
    /// answered 408 and the connection closed (default 10 s).
    pub body_read_timeout: Duration,
    /// The tokens kept at most (default 10,000): expired tokens are dropped
    /// when a new one is issued, and past this many the oldest is dropped.
    pub max_tokens: usize,
    /// The one-time codes (SMS) one card may be sent within
    /// `otp_sms_window` (default 3). Binding a card by its data, a payment
    /// by card data and a hold each send one; a payment by card token sends
    /// none. One more answers `ERROR_SMS_TO_MANY` (HTTP 400, Multicard's
    /// spelling) and changes nothing. Multicard's sandbox limits codes the
    /// same way (observed); its exact numbers are not published, so these
    /// are the sandbox's. `usize::MAX` lifts the limit.
    pub otp_sms_limit: usize,
    /// The window `otp_sms_limit` counts codes in (default 5 minutes).
    pub otp_sms_window: Duration,
    /// How long an invoice that was deleted, or whose lifetime ran out
    /// unpaid, still reads with `status: "cancelled"` (default 5 s);
    /// afterwards `get_invoice` answers `ERROR_TRANS_NOT_READY` (HTTP 400).
    /// Production shows both (observed); how long it shows the first is
    /// not known.
    pub cancelled_invoice_readable_for: Duration,
    /// The largest request body a write may store (default 64 KiB): a
    /// larger one answers `ERROR_FIELDS` (HTTP 400) and changes nothing.
    pub max_object_bytes: usize,
    /// The most request data the sandbox keeps over its life (default
    /// 64 MiB; each write that changed something counts its body and 1 KiB
    /// more). Past it, every write answers `ERROR_FIELDS` (HTTP 400) and
    /// changes nothing: start a new sandbox, or raise this.
    pub max_stored_bytes: usize,
    /// The callbacks kept for [`Sandbox::deliveries`](crate::Sandbox::deliveries)
    /// (default 1,000; the oldest go first).
    pub max_deliveries: usize,
    /// A file the sandbox keeps what it holds in (default none: it starts
    /// empty and forgets everything when it stops). Loaded at start when it
    /// exists, written within a second of each change and when the sandbox
    /// stops, always whole (a temporary file beside it, synced, then
    /// renamed over it). A file that cannot be read or is not a state file
    /// of this format stops the start with an error naming it, and is left
    /// as it is. See [`SandboxConfig::with_state_file`].
    pub state_file: Option<PathBuf>,
}

/// What happens to a payment whose success callback was answered exactly
/// 500 or not in time. Multicard freezes it (it stays `billing`, the
/// payer's funds blocked) and "may" send the callback again; the vendor's
/// pages give no count, pause or end, so each is a setting, and a test
/// suite can run its money tests under each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrozenPayments {
    /// Never sent again: the payment stays frozen.
    NeverResent,
    /// Sent again `times` times, `every` apart, while each answer freezes
    /// it; after the last, it stays frozen.
    Resent {
        /// How many times it is sent again.
        times: u32,
        /// The pause before each.
        every: Duration,
    },
    /// Never sent again; cancelled and refunded (`revert`) this long after
    /// it froze.
    RevertedAfter(Duration),
}

impl FrozenPayments {
    /// Sent again `times` times, `every` apart.
    pub fn resent(times: u32, every: Duration) -> Self {
        FrozenPayments::Resent { times, every }
    }

    /// Cancelled and refunded `after` this long.
    pub fn reverted_after(after: Duration) -> Self {
        FrozenPayments::RevertedAfter(after)
    }
}

impl Default for FrozenPayments {
    fn default() -> Self {
        FrozenPayments::Resent { times: 3, every: Duration::from_secs(60) }
    }
}

impl SandboxConfig {
    /// Sets `token_lifetime`.
    #[must_use]
    pub fn with_token_lifetime(mut self, token_lifetime: Duration) -> Self {
        self.token_lifetime = token_lifetime;
        self
    }

    /// Sets `status_webhooks`.
    #[must_use]
    pub fn with_status_webhooks(mut self, status_webhooks: bool) -> Self {
        self.status_webhooks = status_webhooks;
        self
    }

    /// Sets `webhook_repeat_every`.
    #[must_use]
    pub fn with_webhook_repeat_every(mut self, webhook_repeat_every: Duration) -> Self {
        self.webhook_repeat_every = webhook_repeat_every;
        self
    }

    /// Sets `frozen_payments`.
    #[must_use]
    pub fn with_frozen_payments(mut self, frozen_payments: FrozenPayments) -> Self {
        self.frozen_payments = frozen_payments;
        self
    }

    /// Sets `max_callback_answer`.
    #[must_use]
    pub fn with_max_callback_answer(mut self, max_callback_answer: usize) -> Self {
        self.max_callback_answer = max_callback_answer;
        self
    }

    /// Sets `debit_delay`.
    #[must_use]
    pub fn with_debit_delay(mut self, debit_delay: Duration) -> Self {
        self.debit_delay = debit_delay;
        self
    }

    /// Sets `real_time`.
    #[must_use]
    pub fn with_real_time(mut self, real_time: bool) -> Self {
        self.real_time = real_time;
        self
    }

    /// Sets `stale_reads`.
    #[must_use]
    pub fn with_stale_reads(mut self, stale_reads: Duration) -> Self {
        self.stale_reads = stale_reads;
        self
    }

    /// Sets `registry_lag`.
    #[must_use]
    pub fn with_registry_lag(mut self, registry_lag: Duration) -> Self {
        self.registry_lag = registry_lag;
        self
    }

    /// Sets `clock_offset`.
    #[must_use]
    pub fn with_clock_offset(mut self, clock_offset: TimeDelta) -> Self {
        self.clock_offset = clock_offset;
        self
    }

    /// Sets `max_object_bytes`.
    #[must_use]
    pub fn with_max_object_bytes(mut self, max_object_bytes: usize) -> Self {
        self.max_object_bytes = max_object_bytes;
        self
    }

    /// Sets `max_stored_bytes`.
    #[must_use]
    pub fn with_max_stored_bytes(mut self, max_stored_bytes: usize) -> Self {
        self.max_stored_bytes = max_stored_bytes;
        self
    }

    /// Sets `max_deliveries`.
    #[must_use]
    pub fn with_max_deliveries(mut self, max_deliveries: usize) -> Self {
        self.max_deliveries = max_deliveries;
        self
    }

    /// Sets `callback_timeout`.
    #[must_use]
    pub fn with_callback_timeout(mut self, callback_timeout: Duration) -> Self {
        self.callback_timeout = callback_timeout;
        self
    }

    /// Sets `application_id`.
    #[must_use]
    pub fn with_application_id(mut self, application_id: impl Into<String>) -> Self {
        self.application_id = application_id.into();
        self
    }

    /// Sets `secret`.
    #[must_use]
    pub fn with_secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = secret.into();
        self
    }

    /// Sets `max_connections`.
    #[must_use]
    pub fn with_max_connections(mut self, max_connections: usize) -> Self {
        self.max_connections = max_connections;
        self
    }

    /// Sets `header_read_timeout`.
    #[must_use]
    pub fn with_header_read_timeout(mut self, header_read_timeout: Duration) -> Self {
        self.header_read_timeout = header_read_timeout;
        self
    }

    /// Sets `body_read_timeout`.
    #[must_use]
    pub fn with_body_read_timeout(mut self, body_read_timeout: Duration) -> Self {
        self.body_read_timeout = body_read_timeout;
        self
    }

    /// Sets `max_tokens`.
    #[must_use]
    pub fn with_max_tokens(mut self, max_tokens: usize) -> Self {
        self.max_tokens = max_tokens;
        self
    }

    /// Sets `otp_sms_limit`.
    #[must_use]
    pub fn with_otp_sms_limit(mut self, otp_sms_limit: usize) -> Self {
        self.otp_sms_limit = otp_sms_limit;
        self
    }

    /// Sets `otp_sms_window`.
    #[must_use]
    pub fn with_otp_sms_window(mut self, otp_sms_window: Duration) -> Self {
        self.otp_sms_window = otp_sms_window;
        self
    }

    /// Keeps what the sandbox holds in `path` (`state_file`), so that a
    /// sandbox started again from it has the same invoices, cards,
    /// payments, holds, receipts, tokens, callbacks sent and scheduled
    /// (callbacks due, debits ending, holds running out), and its clock's
    /// time. How it behaves comes from this configuration at each start,
    /// not from the file: whether the clock follows the wall clock, its
    /// offset, stale reads, the registries' lag and every limit. Faults
    /// are not kept, nor writes a fault holds back.
    ///
    /// Links the sandbox wrote (checkout, receipts) name its URL: a
    /// sandbox started again on another address rewrites them to its own.
    /// Two sandboxes must not share one file: the last to write wins.
    #[must_use]
    pub fn with_state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Sets `cancelled_invoice_readable_for`.
    #[must_use]
    pub fn with_cancelled_invoice_readable_for(mut self, cancelled_invoice_readable_for: Duration) -> Self {
        self.cancelled_invoice_readable_for = cancelled_invoice_readable_for;
        self
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            token_lifetime: Duration::from_secs(24 * 3600),
            status_webhooks: false,
            webhook_repeat_every: Duration::from_secs(60),
            frozen_payments: FrozenPayments::default(),
            callback_timeout: Duration::from_secs(5),
            max_callback_answer: 64 * 1024,
            debit_delay: Duration::ZERO,
            real_time: false,
            stale_reads: Duration::ZERO,
            registry_lag: Duration::ZERO,
            clock_offset: TimeDelta::zero(),
            application_id: APPLICATION_ID.into(),
            secret: SECRET.into(),
            max_connections: 128,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            max_tokens: 10_000,
            otp_sms_limit: 3,
            otp_sms_window: Duration::from_secs(5 * 60),
            cancelled_invoice_readable_for: Duration::from_secs(5),
            max_object_bytes: 64 * 1024,
            max_stored_bytes: 64 * 1024 * 1024,
            max_deliveries: 1_000,
            state_file: None,
        }
    }
}
