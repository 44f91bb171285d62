//! A local Multicard: a stateful, in-process server that behaves like the
//! real API, for tests and for trying the `multicard-api` SDK with no
//! credentials and no internet.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use multicard_api::Multicard;
//! use multicard_sandbox::Sandbox;
//!
//! let sandbox = Sandbox::start().await?;          // a free loopback port
//! let multicard = Multicard::new(sandbox.config())?; // its URL and credentials
//! let application = multicard.send(|api| api.get_application()).await?;
//! # Ok(()) }                                       // stops when `sandbox` is dropped
//! ```
//!
//! It implements every operation of the spec with Multicard's envelope and
//! error codes: tokens from `/auth` with an `expiry` in GMT+5 (lifetime
//! configurable), invoices with checkout links and TTL, card binding by
//! hosted form and by card data with OTP (test card `8600533364098829`,
//! expiry `2806`, OTP `112233`), payments by token, by card, split and in
//! apps, full and partial refunds, holds, payouts, fiscal links and the
//! registries. It signs and delivers callbacks, and it can inject faults.
//! The binary `multicard-sandbox` serves it on a chosen port.
//!
//! Where production differs from the vendor's pages, it answers as
//! production does: payments without `amount`, token payments with
//! `otp_hash: null` confirmed by `{}`, 22-character card tokens, invoices
//! that read `cancelled` after a delete or their lifetime and then answer
//! `ERROR_TRANS_NOT_READY`, holds addressed by their integer id, and
//! `ERROR_SMS_TO_MANY` past a card's one-time-code limit
//! ([`SandboxConfig::otp_sms_limit`]).
//!
//! It is meant for loopback: it POSTs callbacks to any URL a client gives
//! it, so anyone who can reach it can make it send requests into the
//! network it runs in. Bound to another address it logs a warning (the
//! binary prints one). What a client can hold is bounded: connections
//! (`max_connections`), the time to send a request's header or body
//! (`header_read_timeout`, `body_read_timeout`), and the tokens kept
//! (`max_tokens`; expired ones are dropped).
//!
//! # Where things are
//!
//! Dependencies go one way, from the top of this list to the bottom.
//!
//! | File | What it holds |
//! |---|---|
//! | `sandbox.rs` | [`Sandbox`]: start, stop, faults, counters, the payer's actions, callbacks sent |
//! | `server.rs` | the accept loop: connection cap, header and body timeouts |
//! | `router.rs` | the routes, built from the SDK's operation table; the test that every operation has a handler |
//! | `gate.rs` | what every request goes through first: counter, fault, token, body check |
//! | `payer.rs` | the payer's pages and actions: checkout, hosted card form, app |
//! | `groups/` | the handlers, one file per API group (`auth`, `invoices`, `cards`, `payments`, `refunds`, `holds`, `payouts`, `reports`) |
//! | `registry.rs`, `extract.rs` | handlers by operation id; what handlers take from a request |
//! | `state.rs` | what requests share; running a handler under the world's lock; delivering callbacks |
//! | `faults.rs` | [`Fault`]: the ways a request can be made to fail |
//! | `world/` | everything the sandbox holds, one file per kind, typed statuses (`kinds.rs`) |
//! | `answer.rs` | the envelope, and the one table of error answers (status, code, message) |
//! | `config.rs` | [`SandboxConfig`], the test card, credentials and store |
//!
//! To add a sandbox behaviour for an operation, open its group's file in
//! `groups/`; an operation added to the spec needs a handler there (a test
//! fails until it has one). A new error answer is a row of `answer.rs`.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

mod admin;
mod answer;
mod clock;
mod config;
mod delivery;
mod extract;
mod faults;
mod gate;
mod groups;
mod payer;
mod registry;
mod router;
mod runner;
mod sandbox;
mod server;
mod state;
mod world;

pub use config::{
    APPLICATION_ID, FrozenPayments, SECRET, STORE_ID, SandboxConfig, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP,
};
pub use faults::{DeliveryFault, Fault, LateOutcome};
pub use sandbox::{Sandbox, exposure_warning};
pub use world::callbacks::{Delivery, DeliveryOutcome};

/// This crate's README, whose example is compiled as a doctest. (The
/// workspace's README is compiled by the unpublished `multicard-api-tests`
/// crate: a published crate includes no file outside its package.)
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
