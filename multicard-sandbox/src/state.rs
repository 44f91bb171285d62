//! What a running sandbox shares between its requests ([`Shared`]: the
//! configuration, the world under its lock, faults, counters, callbacks
//! sent), how a handler changes the world ([`Shared::run`]), and how the
//! callbacks that makes are delivered, with retries, in the background.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Value, json};

use crate::answer::{Answer, Refusal};
use crate::config::SandboxConfig;
use crate::faults::Fault;
use crate::world::World;
use crate::world::callbacks::{Delivery, Outgoing};
use crate::world::kinds::{CallbackKind, PaymentStatus};
use crate::world::values::now;

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
    pub(crate) deliveries: Mutex<Vec<Delivery>>,
    /// Sends callbacks.
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    /// The connections open now.
    pub(crate) connections: Arc<AtomicUsize>,
}

/// What a handler did: its answer, and the callbacks to send once the
/// world's lock is released.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) answer: Answer,
    pub(crate) callbacks: Vec<Outgoing>,
}

impl Outcome {
    /// `data` under Multicard's success envelope, and no callback.
    pub(crate) fn ok(data: Value) -> Self {
        Self::from(Answer::ok(data))
    }

    /// The same answer, sending `callbacks` too.
    pub(crate) fn sending(mut self, callbacks: impl IntoIterator<Item = Outgoing>) -> Self {
        self.callbacks.extend(callbacks);
        self
    }
}

impl From<Answer> for Outcome {
    fn from(answer: Answer) -> Self {
        Self { answer, callbacks: Vec::new() }
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
    /// Runs `work` on the world under its lock, then sends the callbacks it
    /// made, and returns its answer.
    pub(crate) fn run(
        self: &Arc<Self>,
        work: impl FnOnce(&mut World, &SandboxConfig) -> Result<Outcome, Refusal>,
    ) -> Answer {
        let outcome = {
            let mut world = lock(&self.world);
            work(&mut world, &self.config).unwrap_or_else(Outcome::from)
        };
        for message in outcome.callbacks {
            self.deliver(message);
        }
        outcome.answer
    }

    /// Sends one callback, with retries, in the background.
    pub(crate) fn deliver(self: &Arc<Self>, message: Outgoing) {
        let shared = self.clone();
        let attempts = match message.kind {
            CallbackKind::Success => shared.config.callback_attempts,
            _ => shared.config.callback_attempts.max(1),
        };
        tokio::spawn(async move {
            for attempt in 1..=attempts {
                let result = shared.http.post(&message.url).json(&message.body).send().await;
                let (status, accepted, refused) = match result {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let body: Value = response.json().await.unwrap_or(Value::Null);
                        let accepted = match message.kind {
                            CallbackKind::Success => status == 200 && body["success"] == true,
                            CallbackKind::Webhook => (200..300).contains(&status),
                            CallbackKind::CardBinding => status == 200,
                        };
                        // An answer that says no (rather than failing) is final.
                        let refused =
                            message.kind == CallbackKind::Success && status == 200 && body["success"] == false;
                        (Some(status), accepted, refused)
                    }
                    Err(_) => (None, false, false),
                };
                lock(&shared.deliveries).push(Delivery {
                    kind: message.kind.as_str(),
                    url: message.url.clone(),
                    body: message.body.clone(),
                    attempt,
                    status,
                });
                if accepted {
                    return;
                }
                if refused {
                    // The merchant refused the success callback: the payment
                    // is cancelled and the payer refunded.
                    if let Some(uuid) = &message.payment
                        && let Some(payment) = lock(&shared.world).payments.get_mut(uuid)
                    {
                        payment.status = PaymentStatus::Revert;
                        payment.fields["refund_time"] = json!(now());
                        payment.fields["callback_message"] = json!("refused by the merchant");
                    }
                    return;
                }
                if attempt < attempts {
                    tokio::time::sleep(shared.config.callback_retry_delay).await;
                }
            }
        });
    }
}
