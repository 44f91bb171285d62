//! The bearer tokens the sandbox has issued. Expired tokens are dropped as
//! new ones are issued, and at most `max` are kept: beyond that the oldest
//! is dropped (a client still holding it gets 401 and fetches a new one, as
//! it would from Multicard), so a client calling `/auth` in a loop cannot
//! grow the sandbox without bound. Times are the sandbox's clock: a token
//! expires when `Sandbox::advance` moves past its lifetime.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
pub(crate) struct Tokens {
    expires: HashMap<String, Duration>,
    /// In the order issued, which is also the order of expiry: every token
    /// of one sandbox has the same lifetime.
    issued: VecDeque<String>,
    pub(crate) max: usize,
}

impl Tokens {
    pub(crate) fn new(max: usize) -> Self {
        Self { expires: HashMap::new(), issued: VecDeque::new(), max: max.max(1) }
    }

    /// Keeps `token` until `expires`, dropping those expired at `now`
    /// and, past the limit, the oldest tokens first.
    pub(crate) fn issue(&mut self, token: String, expires: Duration, now: Duration) {
        self.prune(now);
        while self.issued.len() >= self.max {
            self.drop_oldest();
        }
        self.issued.push_back(token.clone());
        self.expires.insert(token, expires);
    }

    /// `true` while `token` was issued and has not expired at `now`.
    pub(crate) fn valid(&self, token: &str, now: Duration) -> bool {
        self.expires.get(token).is_some_and(|expires| now < *expires)
    }

    /// How many tokens are kept.
    pub(crate) fn len(&self) -> usize {
        self.expires.len()
    }

    fn prune(&mut self, now: Duration) {
        while self.issued.front().and_then(|token| self.expires.get(token)).is_some_and(|expires| *expires <= now) {
            self.drop_oldest();
        }
    }

    fn drop_oldest(&mut self) {
        if let Some(token) = self.issued.pop_front() {
            self.expires.remove(&token);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_tokens_go_when_a_new_one_is_issued_and_the_oldest_past_the_limit() {
        let mut tokens = Tokens::new(3);
        let now = Duration::from_secs(100);
        let past = now - Duration::from_millis(1);
        let later = now + Duration::from_secs(60);
        tokens.issue("old-1".into(), past, now);
        tokens.issue("old-2".into(), past, now);
        assert_eq!(tokens.len(), 1, "issuing drops the expired ones first");
        assert!(!tokens.valid("old-2", now));
        for n in 0..5 {
            tokens.issue(format!("live-{n}"), later, now);
        }
        assert_eq!(tokens.len(), 3);
        assert!(!tokens.valid("live-1", now) && tokens.valid("live-2", now) && tokens.valid("live-4", now));
        assert!(!tokens.valid("live-4", later), "expired once the clock reaches its expiry");
    }
}
