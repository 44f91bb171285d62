//! The one-time codes (SMS) the sandbox "sends" to a card's phone, and the
//! limit Multicard puts on them: once a card was sent `otp_sms_limit` codes
//! within `otp_sms_window`, an operation that would send one more answers
//! `ERROR_SMS_TO_MANY` (Multicard's spelling) and changes nothing.
//!
//! Binding a card by its data, a payment by card data and a hold each send
//! a code; a payment by card token sends none.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::answer::Refusal;
use crate::config::SandboxConfig;

/// When codes were sent, by card (its PAN).
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct SmsLog {
    sent: HashMap<String, VecDeque<Duration>>,
}

impl SmsLog {
    /// Records one code sent to the phone of card `pan` at `now` (the
    /// sandbox's clock), or answers `ERROR_SMS_TO_MANY` when the card has
    /// had its share of the window.
    pub(crate) fn send(&mut self, pan: &str, config: &SandboxConfig, now: Duration) -> Result<(), Refusal> {
        let sent = self.sent.entry(pan.to_string()).or_default();
        while sent.front().is_some_and(|at| now.saturating_sub(*at) >= config.otp_sms_window) {
            sent.pop_front();
        }
        if sent.len() >= config.otp_sms_limit {
            return Err(Refusal::SmsLimit);
        }
        sent.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_gets_its_limit_within_the_window_and_other_cards_their_own() {
        let config = SandboxConfig::default().with_otp_sms_limit(2).with_otp_sms_window(Duration::from_secs(60));
        let mut log = SmsLog::default();
        let at = Duration::from_secs;
        assert!(log.send("8600", &config, at(0)).is_ok() && log.send("8600", &config, at(10)).is_ok());
        let refused = log.send("8600", &config, at(59)).expect_err("the third code within the window");
        assert_eq!(refused, Refusal::SmsLimit);
        assert_eq!(refused.answer().body["error"]["code"], "ERROR_SMS_TO_MANY");
        assert!(log.send("9860", &config, at(59)).is_ok(), "another card has its own limit");
        assert!(log.send("8600", &config, at(60)).is_ok(), "a code older than the window no longer counts");
    }
}
