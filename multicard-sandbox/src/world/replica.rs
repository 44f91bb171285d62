//! What reads see of the world when they lag behind its writes, as reads
//! from a replica do: for `stale_reads` after a write, `get_payment`,
//! `get_payout` and `get_hold` still show what was there before it (and
//! something created within that time is not found); a payment or payout
//! appears in the registries `registry_lag` after it was made.
//!
//! While reads are stale, the world records how each payment and hold
//! looked after every change (only as far back as a read can see;
//! `reads.rs`).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How reads lag, and what they can still see.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Replica {
    /// How long a read shows what was there before a write.
    pub(crate) stale_reads: Duration,
    /// How long after it was made a payment appears in the registries.
    pub(crate) registry_lag: Duration,
    /// By object ("payment:<uuid>", "hold:<id>"): how it looked from each
    /// moment on, oldest first.
    history: HashMap<String, VecDeque<(Duration, Value)>>,
}

/// What a lagging read sees of one object.
#[derive(Debug, PartialEq)]
pub(crate) enum Seen {
    /// It as it is now (reads do not lag, or nothing older was recorded).
    Current,
    /// It as it was then.
    Was(Value),
    /// Nothing yet: it was made within the lag.
    Absent,
}

impl Replica {
    pub(crate) fn new(stale_reads: Duration, registry_lag: Duration) -> Self {
        Self { stale_reads, registry_lag, history: HashMap::new() }
    }

    /// Records that `key` looks like `model` from `at` on (when it changed),
    /// and forgets what no read can see any more.
    pub(crate) fn record(&mut self, key: String, at: Duration, model: Value) {
        let horizon = at.saturating_sub(self.stale_reads);
        let history = self.history.entry(key).or_default();
        if history.back().is_none_or(|(_, last)| *last != model) {
            history.push_back((at, model));
        }
        while history.len() >= 2 && history[1].0 <= horizon {
            history.pop_front();
        }
    }

    /// Forgets every recorded look (reads no longer lag).
    pub(crate) fn forget(&mut self) {
        self.history.clear();
    }

    /// What a read of `key` at `now` sees.
    pub(crate) fn seen(&self, key: &str, now: Duration) -> Seen {
        if self.stale_reads.is_zero() {
            return Seen::Current;
        }
        let Some(history) = self.history.get(key) else { return Seen::Current };
        // Before the sandbox is `stale_reads` old, a read sees nothing made since.
        let Some(horizon) = now.checked_sub(self.stale_reads) else { return Seen::Absent };
        match history.iter().rev().find(|(at, _)| *at <= horizon) {
            Some((_, model)) => Seen::Was(model.clone()),
            None => Seen::Absent,
        }
    }

    /// Whether something made at `made` shows in the registries at `now`.
    pub(crate) fn listed(&self, made: Duration, now: Duration) -> bool {
        made.saturating_add(self.registry_lag) <= now
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_read_sees_the_object_as_it_was_the_lag_ago() {
        let at = Duration::from_secs;
        let mut replica = Replica::new(at(5), Duration::ZERO);
        replica.record("payment:p".into(), at(10), json!("draft"));
        replica.record("payment:p".into(), at(12), json!("success"));
        assert_eq!(replica.seen("payment:p", at(14)), Seen::Absent, "made within the lag");
        assert_eq!(replica.seen("payment:p", at(16)), Seen::Was(json!("draft")));
        assert_eq!(replica.seen("payment:p", at(17)), Seen::Was(json!("success")));
        assert_eq!(replica.seen("payment:other", at(17)), Seen::Current, "nothing recorded");
        replica.record("payment:early".into(), at(0), json!("draft"));
        assert_eq!(replica.seen("payment:early", at(4)), Seen::Absent, "made at the start, within the lag");
        replica.record("payment:p".into(), at(30), json!("revert"));
        assert_eq!(replica.history["payment:p"].len(), 2, "what no read can see is forgotten");
    }

    #[test]
    fn registry_rows_appear_after_the_lag() {
        let at = Duration::from_secs;
        let replica = Replica::new(Duration::ZERO, at(10));
        assert!(!replica.listed(at(5), at(14)));
        assert!(replica.listed(at(5), at(15)));
    }
}
