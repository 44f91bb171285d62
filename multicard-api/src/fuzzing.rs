//! Entry points for the fuzz targets in `fuzz/` (cargo-fuzz) and for their
//! replay on stable (`tests/fuzz_replay.rs`). Each takes arbitrary bytes and
//! must never panic or hang. Not part of the SDK's API.

use std::time::Duration;

use crate::builder;
use crate::callbacks::Verifier;

/// The expiry parser: `YYYY-MM-DD HH:MM:SS` (GMT+5), with and without a
/// `Date` header.
pub fn expiry(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (expiry, date) = text.split_once('\n').unwrap_or((&text, ""));
    let _ = expiry.parse::<crate::time::MulticardDateTime>();
    let now = chrono::Utc::now();
    let _ = crate::auth::remaining_lifetime(expiry, Some(date), now);
    let _ = crate::auth::remaining_lifetime(expiry, None, now);
    let _ = crate::retry::parse_retry_after(date, now);
}

/// The envelope and error decoder, under the statuses that matter.
pub fn envelope(data: &[u8]) {
    for status in [0, 200, 201, 400, 401, 403, 404, 429, 500, 502] {
        let _ = crate::envelope::decode_body::<builder::GetPayment<'static>>(status, None, data, "fuzz");
        let _ =
            crate::envelope::decode_body::<builder::GetToken<'static>>(status, Some("text/html".into()), data, "fuzz");
        let _ = crate::envelope::decode_body::<builder::CancelInvoice<'static>>(status, None, data, "fuzz");
    }
}

/// Every generated response type's decoder.
pub fn responses(data: &[u8]) -> usize {
    crate::operation::decode_every_response(data)
}

/// The callback verifier, for all three callbacks.
pub fn callback(data: &[u8]) {
    let verifier =
        Verifier::with_secrets(["Pw18axeBFo8V7NamKHXX", "old-secret"]).expect("two secrets").with_max_body(8 * 1024);
    let _ = verifier.verify_success(data);
    let _ = verifier.verify_webhook(data);
    let _ = verifier.parse_card_binding(data);
}

/// The longest any single target may take on one input in the replay.
pub const MAX_INPUT_TIME: Duration = Duration::from_millis(500);
