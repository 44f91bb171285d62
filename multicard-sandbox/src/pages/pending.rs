//! What the pages hold between two steps of a form, outside the world
//! (a page left half-way changes nothing): the process's form token and
//! the one-time-code steps in progress. Neither outlives the process.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use crate::world::test_cards::SandboxCard;
use crate::world::values::hex;

/// The steps, even from a lock a panicking thread left poisoned. (Not
/// `state::lock`: the shared state holds this, so this file imports none of it.)
fn lock(steps: &Mutex<BTreeMap<String, CodeStep>>) -> MutexGuard<'_, BTreeMap<String, CodeStep>> {
    steps.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How many wrong codes one step takes before it is dropped.
pub(crate) const CODE_TRIES: u8 = 3;
/// The most code steps kept at once (the oldest is dropped past it).
const MAX_PENDING: usize = 1024;

/// What a code step is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Paying invoice (uuid).
    Invoice(String),
    /// Binding a card on the hosted form (session id).
    Binding(String),
}

/// A one-time-code step in progress.
#[derive(Debug, Clone)]
pub(crate) struct CodeStep {
    /// When it started, among the steps of this process (the oldest is
    /// dropped first past the cap).
    started: u64,
    pub(crate) purpose: Purpose,
    pub(crate) card: &'static SandboxCard,
    pub(crate) tries_left: u8,
}

/// 128 bits no other process can guess: SipHash under the standard
/// library's random keys (drawn from the operating system), twice.
fn secret_token() -> String {
    use std::hash::{BuildHasher, RandomState};
    (0..2u64).map(|i| format!("{:016x}", RandomState::new().hash_one(i))).collect()
}

/// The pages' own state.
pub(crate) struct PageState {
    /// Every form carries it; a POST without it is refused.
    pub(crate) token: String,
    steps: Mutex<BTreeMap<String, CodeStep>>,
}

impl PageState {
    pub(crate) fn new() -> Self {
        Self { token: secret_token(), steps: Mutex::default() }
    }

    /// Starts a code step; returns its id.
    pub(crate) fn start(&self, purpose: Purpose, card: &'static SandboxCard) -> String {
        let id = hex(16);
        let mut steps = lock(&self.steps);
        if steps.len() >= MAX_PENDING
            && let Some(oldest) = steps.iter().min_by_key(|(_, step)| step.started).map(|(id, _)| id.clone())
        {
            steps.remove(&oldest);
        }
        let started = steps.values().map(|step| step.started + 1).max().unwrap_or(0);
        steps.insert(id.clone(), CodeStep { started, purpose, card, tries_left: CODE_TRIES });
        id
    }

    /// The step `id`, if it is in progress.
    pub(crate) fn get(&self, id: &str) -> Option<CodeStep> {
        lock(&self.steps).get(id).cloned()
    }

    /// Ends step `id` and returns it, if it was still in progress: of two
    /// requests with the right code at once, one gets it.
    pub(crate) fn take(&self, id: &str) -> Option<CodeStep> {
        lock(&self.steps).remove(id)
    }

    /// A wrong code for step `id`: the tries left, 0 when it was dropped.
    pub(crate) fn wrong_code(&self, id: &str) -> u8 {
        let mut steps = lock(&self.steps);
        let left = steps.get_mut(id).map_or(0, |step| {
            step.tries_left = step.tries_left.saturating_sub(1);
            step.tries_left
        });
        if left == 0 {
            steps.remove(id);
        }
        left
    }
}
