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
//! # What to reach for
//!
//! | task | where |
//! |---|---|
//! | call an operation: the data or one error | [`Multicard::send`], [`Error`], [`types`] |
//! | a write's answer was lost: was it applied? | [`Error::OutcomeUnknown`], [`Multicard::settle_lost`], [`settle`] |
//! | a fiscal receipt; amounts in tiyin | [`receipt::Receipt`], [`money::Tiyin`] |
//! | what is checked before sending | [`checks`] |
//! | verify and answer a callback | [`callbacks`] (with axum: `callbacks::axum`, feature `axum`) |
//! | credit each paid order once, across replicas | [`fulfilment`] |
//! | what the callbacks missed | [`reconcile`] |
//! | every row of a registry | [`registry`] |
//! | a create whose answer was lost | [`lost_create`] |
//!
//! The guide (`docs/` in the repository) tells each of these in full; the
//! map of this crate's files, for contributors, is in `CONTRIBUTING.md`.
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
