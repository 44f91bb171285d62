//! What reads answer when they lag behind writes (`replica.rs`): a
//! payment, payout or hold as it was `stale_reads` ago.

use serde_json::Value;

use super::World;
use super::replica::Seen;

impl World {
    /// Makes reads show what was there `lag` before (zero: what is there
    /// now). What exists when they start lagging reads as it is until it
    /// changes: its past was not recorded.
    pub(crate) fn set_stale_reads(&mut self, lag: std::time::Duration) {
        let starting = self.replica.stale_reads.is_zero() && !lag.is_zero();
        self.replica.stale_reads = lag;
        if lag.is_zero() {
            self.replica.forget();
        } else if starting {
            self.record_at(std::time::Duration::ZERO);
        }
    }

    /// Records how every payment and hold looks now, while reads are stale.
    pub(crate) fn record_for_reads(&mut self) {
        if !self.replica.stale_reads.is_zero() {
            self.record_at(self.now());
        }
    }

    /// Records how every payment and hold looks, as from `at`.
    fn record_at(&mut self, at: std::time::Duration) {
        let mut models: Vec<(String, Value)> =
            self.payments.iter().map(|(uuid, p)| (format!("payment:{uuid}"), p.model())).collect();
        models.extend(self.holds.iter().filter_map(|h| Some((format!("hold:{}", h.id), self.hold_model(h.id)?))));
        for (key, model) in models {
            self.replica.record(key, at, model);
        }
    }

    /// What a read of payment (or payout) `uuid` answers now: `None` when
    /// it is not there (yet).
    pub(crate) fn seen_payment(&self, uuid: &str) -> Option<Value> {
        let current = self.payments.get(uuid)?;
        match self.replica.seen(&format!("payment:{uuid}"), self.now()) {
            Seen::Current => Some(current.model()),
            Seen::Was(model) => Some(model),
            Seen::Absent => None,
        }
    }

    /// What a read of hold `id` answers now.
    pub(crate) fn seen_hold(&self, id: i64) -> Option<Value> {
        let current = self.hold_model(id)?;
        match self.replica.seen(&format!("hold:{id}"), self.now()) {
            Seen::Current => Some(current),
            Seen::Was(model) => Some(model),
            Seen::Absent => None,
        }
    }
}
