//! What a running sandbox shares between its requests ([`Shared`]: the
//! configuration, the world under its lock, faults, counters), and how a
//! handler changes the world ([`Shared::run`]). What a handler schedules
//! (callbacks, debits ending later) is run by `runner.rs`.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;

use crate::answer::{Answer, Refusal};
use crate::config::SandboxConfig;
use crate::faults::Fault;
use crate::pages::pending::PageState;
use crate::persist::Keeper;
use crate::world::World;

/// The state the router's handlers share.
pub(crate) type App = Arc<Shared>;

/// What a running sandbox shares between its requests.
pub(crate) struct Shared {
    pub(crate) config: SandboxConfig,
    pub(crate) world: Mutex<World>,
    /// Faults to answer with, by operation id, in order.
    pub(crate) faults: Mutex<BTreeMap<String, Vec<Fault>>>,
    /// Requests received, by operation id.
    pub(crate) counts: Mutex<BTreeMap<String, u64>>,
    /// Sends callbacks (no redirects followed).
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    /// The connections open now.
    pub(crate) connections: Arc<AtomicUsize>,
    /// Held while scheduled events run, so they run one at a time, in order.
    pub(crate) turn: tokio::sync::Mutex<()>,
    /// Wakes the real-time clock's task when something was scheduled.
    pub(crate) wake: tokio::sync::Notify,
    /// The pages' token and the steps of their forms in progress.
    pub(crate) pages: PageState,
    /// Keeps the state file, if there is one: every change of the world is
    /// [`Keeper::touch`]ed.
    pub(crate) keeper: Keeper,
}

/// What a handler answers.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) answer: Answer,
}

impl Outcome {
    /// `data` under Multicard's success envelope.
    pub(crate) fn ok(data: Value) -> Self {
        Self::from(Answer::ok(data))
    }
}

impl From<Answer> for Outcome {
    fn from(answer: Answer) -> Self {
        Self { answer }
    }
}

impl From<Refusal> for Outcome {
    fn from(refusal: Refusal) -> Self {
        Self::from(refusal.answer())
    }
}

/// A locked mutex, even one a panicking thread left poisoned.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    /// Runs `work` on the world under its lock and returns its answer; what
    /// it scheduled runs when due.
    pub(crate) fn run(
        self: &Arc<Self>,
        work: impl FnOnce(&mut World, &SandboxConfig) -> Result<Outcome, Refusal>,
    ) -> Answer {
        let answer = {
            let mut world = lock(&self.world);
            let outcome = work(&mut world, &self.config).unwrap_or_else(Outcome::from);
            world.record_for_reads();
            outcome.answer
        };
        self.keeper.touch();
        self.wake.notify_one();
        answer
    }
}
