//! The handlers of the spec's operations, one file per API group (the
//! spec's tags). Each file registers its handlers by operation id; a
//! handler takes what it needs through axum's extractors (`extract.rs`) and
//! changes the world under its lock (`Shared::run`).

mod auth;
mod cards;
mod holds;
mod invoices;
mod payments;
mod payouts;
mod refunds;
mod reports;

use crate::registry::Registry;

/// Every group's handlers.
pub(crate) fn registry() -> Registry {
    let mut registry = Registry::default();
    auth::register(&mut registry);
    invoices::register(&mut registry);
    cards::register(&mut registry);
    payments::register(&mut registry);
    refunds::register(&mut registry);
    holds::register(&mut registry);
    payouts::register(&mut registry);
    reports::register(&mut registry);
    registry
}
