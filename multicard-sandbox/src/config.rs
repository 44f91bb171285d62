//! How a sandbox behaves ([`SandboxConfig`]) and the test data it knows:
//! credentials, store, test card and one-time code.

use std::time::Duration;

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
    /// callback (off by default, as on Multicard).
    pub status_webhooks: bool,
    /// How many times a callback is sent when the merchant does not
    /// answer 200 (default 3).
    pub callback_attempts: u32,
    /// The pause between two attempts (default 200 ms).
    pub callback_retry_delay: Duration,
    /// The timeout of one callback delivery (default 5 s).
    pub callback_timeout: Duration,
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

    /// Sets `callback_attempts`.
    #[must_use]
    pub fn with_callback_attempts(mut self, callback_attempts: u32) -> Self {
        self.callback_attempts = callback_attempts;
        self
    }

    /// Sets `callback_retry_delay`.
    #[must_use]
    pub fn with_callback_retry_delay(mut self, callback_retry_delay: Duration) -> Self {
        self.callback_retry_delay = callback_retry_delay;
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
            callback_attempts: 3,
            callback_retry_delay: Duration::from_millis(200),
            callback_timeout: Duration::from_secs(5),
            application_id: APPLICATION_ID.into(),
            secret: SECRET.into(),
            max_connections: 128,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            max_tokens: 10_000,
            otp_sms_limit: 3,
            otp_sms_window: Duration::from_secs(5 * 60),
            cancelled_invoice_readable_for: Duration::from_secs(5),
        }
    }
}
