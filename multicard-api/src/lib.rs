//! Typed Rust client for the Multicard payment gateway (Uzbekistan), generated
//! from its OpenAPI spec at compile time.
//!
//! Start with [`Multicard`] (built from a [`Config`]): [`Multicard::send`] runs
//! one operation with the token, retries, timeouts and the envelope handled,
//! and returns its typed `data` or one [`Error`]. Request and response types
//! are in [`types`], the signed callbacks Multicard sends in [`callbacks`].
//!
//! ```no_run
//! use multicard_api::{Config, Environment, Multicard};
//!
//! # async fn run() -> Result<(), multicard_api::Error> {
//! let multicard = Multicard::new(Config::new("my_app_id", "my_secret", Environment::Sandbox))?;
//! let application = multicard.send(|api| api.get_application()).await?;
//! # Ok(()) }
//! ```
//!
//! A local, stateful Multicard for tests and for trying the SDK without
//! credentials is the `multicard-sandbox` crate; the workspace's README tells
//! the whole story (`cargo run -p multicard-sandbox --example quickstart`).
//!
//! # Map
//!
//! A call goes one way through the files of this crate, `/auth` included:
//!
//! | file | holds |
//! |---|---|
//! | `multicard.rs` | [`Multicard`]: puts the pieces together, hands each call to the executor |
//! | `executor.rs` | the call: token, deadline, attempts, the one retry policy (`retry.rs`), 401 replay |
//! | `transport.rs` | the generated client's hooks: route check, token header, size cap, the answer's head |
//! | `attempt.rs` | what one attempt carries and what the hooks record for it |
//! | `envelope.rs` | the one place that decides what an answer means (`success` flag, statuses, bodies) |
//! | `token_cache.rs` | the token cache: when to fetch, single flight, deadlines; it is handed its fetch |
//! | `auth.rs` | the fetch: `get_token` through the executor with its own settings; token lifetimes |
//! | `error.rs`, `scrub.rs`, `redact.rs` | the one error type; secrets and card numbers kept out of errors, logs and `Debug` |
//! | `operation.rs`, `operation_table.rs` | what ties a generated builder to the executor; the operations of the spec |
//! | `informative.rs` | nested objects that never sink an answer; [`informative::Exact`] for those that decide |
//! | `callbacks/` | verifying, answering and confirming what Multicard sends (`raw` and `verify`: the body as sent and its signature; `lenient`: the fields after it; `reply`, `confirm`, `decisions`, `testing`, `axum`) |
//! | `outcome.rs`, `outcome/` | each error code per operation in four classes (the table, with sources, in `outcome/table.rs`); `ERROR_FIELDS` reasons; after "confirmed earlier" |
//! | `settle.rs`, `settle/` | after a lost answer: a settle per kind of write answering a [`settle::Verdict`] (rules as data in `settle/evidence.rs`); status settles ([`Settle`]); the refund and charge guards the executor runs (`settle/guard.rs`) |
//! | `paid.rs` | whether an invoice is paid: yes, no or unknown ([`Paid`]) |
//! | `registry/` | every row of the payment and payout registries as a stream, one page at a time ([`registry`]) |
//! | `lost_create.rs`, `lost_create/` | a create whose answer was lost, found by its `invoice_id` in the registry ([`lost_create`]) |
//! | `server_time.rs` | Multicard's clock: the offset read off answers' `Date` headers ([`server_time`]) |
//! | `reconcile/` | sweeps: what the callbacks missed, credited once through the ledger ([`reconcile::Reconciler`]) |
//!
//! Where to go for a change:
//!
//! - **add or change an operation**: correct the vendor's page in
//!   `spec/corrections.yaml` or import the vendor's new pages, and run
//!   `cargo xtask regen`; the client, the operation table and the glue are
//!   generated (`multicard-api-build`). The sandbox needs a handler in
//!   `multicard-sandbox/src/groups/<group>.rs`, or its tests fail.
//! - **change the refresh margin**: [`token_cache::RefreshPolicy`] (users
//!   set it with [`Config::with_refresh_policy`]).
//! - **classify an error code**: add a row, with its source, to
//!   `src/outcome/table.rs` (a new `ERROR_FIELDS` wording goes in its
//!   `WORDINGS`).
//! - **correct a vendor page**: `spec/corrections.yaml`, each entry with its
//!   reason (and a pin where it overwrites vendor content), then
//!   `cargo xtask regen`.
//! - **describe an operation, a parameter, a type or a field**: its English
//!   in `spec/english.yaml` (the vendor's Russian follows it by itself),
//!   then `cargo xtask regen`.
//! - **add a sandbox behaviour**: `multicard-sandbox/src/groups/` (handlers
//!   by API group), `world/` (what it holds), `answer.rs` (its error
//!   answers), `faults.rs` (injected faults).
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

mod attempt;
pub mod auth;
pub mod callbacks;
pub mod config;
pub mod drift;
pub mod enums {
    //! Open enums: every status, payment system and error code of the spec.
    //! A value Multicard adds later decodes as `Unknown`.
    include!(concat!(env!("OUT_DIR"), "/multicard_enums.rs"));
}
pub mod checks;
mod envelope;
pub mod error;
mod executor;
pub mod fulfilment;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod informative;
pub mod lost_create;
pub mod money;
mod multicard;
pub mod operation;
pub mod operation_table;
pub mod outcome;
mod paid;
pub mod receipt;
pub mod reconcile;
mod redact;
pub mod registry;
pub mod retry;
mod scrub;
pub mod server_time;
pub mod settle;
pub mod time;
pub mod token_cache;
pub mod transport;
mod values;

#[allow(clippy::all, missing_docs, rustdoc::all, unused_imports)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/multicard_client.rs"));
}

pub use config::{Config, Environment};
pub use error::Error;
pub use scrub::escape_controls;

/// The generated client: one method per operation, returning raw
/// responses. [`Multicard::send`] runs the same builders with tokens,
/// envelope and errors handled.
pub use generated::Client;
/// The generated request builders, one per operation.
pub use generated::builder;
pub use multicard::{CallOptions, Multicard};
/// The body check of the local sandbox (`multicard-sandbox`): see the
/// `request-decoding` feature.
#[cfg(feature = "request-decoding")]
#[doc(hidden)]
pub use operation::decode_request;
pub use paid::Paid;
/// The generated client's own error, for callers of [`Client`] directly.
pub use progenitor_client::Error as RawError;
pub use progenitor_client::ResponseValue;
pub use settle::{ERROR_QUIET_PERIOD, MIN_READ_DELAY, Settle};

pub mod types {
    //! Request and response types of every operation, generated from the spec.
    pub use crate::enums::*;
    pub use crate::generated::types::*;
    pub use crate::time::MulticardDateTime;
}
