//! Probes: questions about Multicard that nobody has measured, answered
//! after the walk with fresh small payments on the sandbox, and recorded as
//! relations and codes, never values ("equal to total_amount", "refused
//! with ERROR_X", "status success→success").
//!
//! | File | What it holds |
//! |---|---|
//! | `mod.rs` | the options and the run, in order |
//! | `payments.rs` | a. the callback's amount; b. two partial refunds; c. a second create with one `invoice_id` |
//! | `registry.rs` | d. the registry's date filter, drafts in it |
//! | `holds.rs` | e. hold and payment statuses after a charge and a cancel |
//! | `token.rs` | f. an older token after a new `/auth` |
//! | `receipts.rs` | with `--probe-receipts` only: three invoices whose receipt breaks one rule each, `receipts.json` |
//! | `steps.rs` | the requests they share |
//! | `listener.rs` | the callback listener of `--callback-listen` |
//! | `relation.rs` | answers described without their values |
//! | `verdict.rs` | a probe's answer, the report's section, `probes.json` |
//!
//! Each request goes through the walk's session: logged by its path
//! template, its answer's shape recorded, anything sent or learned
//! withheld. No write is sent twice; a hold that cannot be charged is
//! cancelled.

mod holds;
pub mod listener;
mod payments;
pub mod receipts;
mod registry;
pub mod relation;
mod steps;
mod token;
pub mod verdict;

use std::net::SocketAddr;
use std::time::Duration;

pub use listener::CallbackListener;
pub use payments::{NO_CALLBACK_URL, SECOND_REFUND};
pub use verdict::{NOT_MEASURED, Probe, Question};

use crate::live::story::Walker;

/// Every probe, in the order it runs.
pub const QUESTIONS: [Question; 6] = [
    payments::CALLBACK_AMOUNT,
    payments::PARTIAL_REFUNDS,
    payments::DUPLICATE_INVOICE_ID,
    registry::REGISTRY_DATE_FILTER,
    holds::HOLD_STATUSES,
    token::TOKEN_ROTATION,
];

/// How the probes run.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// `--callback-listen`: where the callback listener listens; without
    /// it the callback probe is not measured.
    pub callback_listen: Option<SocketAddr>,
    /// `--callback-url`: the `callback_url` sent (default
    /// `http://<the address bound>/live-check/callback`).
    pub callback_url: Option<String>,
    /// How long the callback probe waits for its callback (default 30 s).
    pub callback_wait: Duration,
    /// The pause between creating and confirming the registry probe's
    /// payment (default 3.5 s: its two times must be seconds apart).
    pub paid_after: Duration,
    /// `--probe-receipts`: also send the receipt probes (three invoices,
    /// each deleted), recorded in `receipts.json`. Off by default.
    pub receipts: bool,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        Self {
            callback_listen: None,
            callback_url: None,
            callback_wait: Duration::from_secs(30),
            paid_after: Duration::from_millis(3500),
            receipts: false,
        }
    }
}

/// Runs every probe after the walk, with its session.
pub(crate) async fn run(w: &mut Walker<'_>, options: &ProbeOptions, listener: Option<&CallbackListener>) -> Vec<Probe> {
    if w.token.is_none() {
        return QUESTIONS.iter().map(|q| Probe::not_measured(q, "no token: the walk stopped at /auth")).collect();
    }
    let mut probes = Vec::new();
    w.heading(format!("-- probe {}", payments::CALLBACK_AMOUNT.id));
    probes.push(payments::callback_amount(w, listener, options.callback_wait).await);
    w.heading(format!("-- probe {}", payments::PARTIAL_REFUNDS.id));
    probes.push(payments::partial_refunds(w).await);
    w.heading(format!("-- probe {}", payments::DUPLICATE_INVOICE_ID.id));
    probes.push(payments::duplicate_invoice_id(w).await);
    w.heading(format!("-- probe {}", registry::REGISTRY_DATE_FILTER.id));
    probes.push(registry::registry_date_filter(w, options.paid_after).await);
    w.heading(format!("-- probe {}", holds::HOLD_STATUSES.id));
    probes.push(holds::hold_statuses(w).await);
    w.heading(format!("-- probe {}", token::TOKEN_ROTATION.id));
    probes.push(token::token_rotation(w).await);
    probes
}
