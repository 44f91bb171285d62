// The README is the crate's documentation; its examples use the sandbox, so
// it is included (and its examples compiled) when that feature is on.
#![cfg_attr(all(feature = "sandbox", feature = "axum"), doc = include_str!("../../README.md"))]
#![cfg_attr(
    not(all(feature = "sandbox", feature = "axum")),
    doc = "Typed Rust client for the Multicard payment gateway. Start with [`Multicard`] and [`Config`]; the README (shown here when the `sandbox` feature is on) has the whole story."
)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod attempt;
pub mod auth;
pub mod callbacks;
pub mod config;
pub mod enums {
    //! Open enums: every status, payment system and error code of the spec.
    //! A value Multicard adds later decodes as `Unknown`.
    include!(concat!(env!("OUT_DIR"), "/multicard_enums.rs"));
}
mod envelope;
pub mod error;
mod executor;
#[doc(hidden)]
pub mod fuzzing;
pub mod informative;
mod multicard;
pub mod operation;
pub mod operation_table;
mod redact;
pub mod retry;
#[cfg(feature = "sandbox")]
pub mod sandbox;
mod scrub;
mod settle;
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
/// The generated client: one method per operation, returning raw
/// responses. [`Multicard::send`] runs the same builders with tokens,
/// envelope and errors handled.
pub use generated::Client;
/// The generated request builders, one per operation.
pub use generated::builder;
pub use multicard::{CallOptions, Multicard};
/// The generated client's own error, for callers of [`Client`] directly.
pub use progenitor_client::Error as RawError;
pub use progenitor_client::ResponseValue;

pub mod types {
    //! Request and response types of every operation, generated from the spec.
    pub use crate::enums::*;
    pub use crate::generated::types::*;
    pub use crate::time::MulticardDateTime;
}
