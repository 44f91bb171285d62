//! What the sandbox has to do later, in order: the events of its money
//! (a debit completing, a callback sent or sent again, a frozen payment
//! reverted, a hold released) and writes a fault holds back. Each is due
//! at a moment of the sandbox's clock; events due at the same moment run in
//! the order they were scheduled. `Sandbox::advance` (and, on a real-time
//! clock, a background task) runs them.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::callbacks::Outgoing;
use crate::faults::LateOutcome;

/// A write held back by a fault: the request, handled when it is due (its
/// answer goes nowhere).
pub(crate) type Deferred = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send>;

/// Something the sandbox does at a moment of its clock.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Event {
    /// The debit of payment `payment` (in `progress`) ends with `outcome`.
    Debit { payment: String, outcome: LateOutcome },
    /// Send callback `message`, attempt `attempt` (1 for the first).
    Deliver { message: Outgoing, attempt: u32 },
    /// A frozen payment (still `billing`) is cancelled and refunded.
    RevertFrozen { payment: String },
    /// Hold `id` runs out: released unless charged or released before.
    HoldExpires { id: i64 },
    /// A write a fault held back is handled now (a request in flight: not
    /// kept in a state file).
    #[serde(skip)]
    Apply(Deferred),
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Debit { payment, outcome } => write!(f, "Debit({payment}, {outcome:?})"),
            Event::Deliver { message, attempt } => write!(f, "Deliver({:?} #{attempt})", message.kind),
            Event::RevertFrozen { payment } => write!(f, "RevertFrozen({payment})"),
            Event::HoldExpires { id } => write!(f, "HoldExpires({id})"),
            Event::Apply(_) => f.write_str("Apply"),
        }
    }
}

/// The events to run, by due time and then by the order they were added.
#[derive(Debug, Default)]
pub(crate) struct Schedule {
    events: BTreeMap<(Duration, u64), Event>,
    next: u64,
}

impl Schedule {
    /// Adds `event`, due at `at`.
    pub(crate) fn add(&mut self, at: Duration, event: Event) {
        self.next += 1;
        self.events.insert((at, self.next), event);
    }

    /// Takes the first event due at or before `until`, with its due time.
    pub(crate) fn take_due(&mut self, until: Duration) -> Option<(Duration, Event)> {
        let entry = self.events.first_entry().filter(|e| e.key().0 <= until)?;
        let ((at, _), event) = entry.remove_entry();
        Some((at, event))
    }

    /// When the next event is due.
    pub(crate) fn next_due(&self) -> Option<Duration> {
        self.events.keys().next().map(|(at, _)| *at)
    }

    /// How many events wait.
    pub(crate) fn len(&self) -> usize {
        self.events.len()
    }
}

/// Written as a list of `[due, order, event]`, without the writes a fault
/// held back (`Event::Apply`: requests in flight, which no file can hold).
impl Serialize for Schedule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let kept = self.events.iter().filter(|(_, event)| !matches!(event, Event::Apply(_)));
        serializer.collect_seq(kept.map(|((at, order), event)| (at, order, event)))
    }
}

impl<'de> Deserialize<'de> for Schedule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let entries = Vec::<(Duration, u64, Event)>::deserialize(deserializer)?;
        let next = entries.iter().map(|(_, order, _)| *order).max().unwrap_or(0);
        Ok(Self { events: entries.into_iter().map(|(at, order, event)| ((at, order), event)).collect(), next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_come_out_by_due_time_then_in_the_order_they_were_added() {
        let mut schedule = Schedule::default();
        let secs = Duration::from_secs;
        schedule.add(secs(60), Event::HoldExpires { id: 1 });
        schedule.add(secs(10), Event::HoldExpires { id: 2 });
        schedule.add(secs(10), Event::HoldExpires { id: 3 });
        assert_eq!(schedule.next_due(), Some(secs(10)));
        let mut order = Vec::new();
        while let Some((at, Event::HoldExpires { id })) = schedule.take_due(secs(30)) {
            order.push((at, id));
        }
        assert_eq!(order, [(secs(10), 2), (secs(10), 3)]);
        assert_eq!(schedule.len(), 1, "the event due later stays");
    }
}
