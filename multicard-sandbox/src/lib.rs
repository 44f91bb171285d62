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
//! With [`SandboxConfig::with_state_file`] what it holds outlives the
//! process: loaded at start, written as it changes.
//! The binary `multicard-sandbox` serves it on a chosen port, with controls
//! over HTTP (`/sandbox/admin/...`) for tests in other languages.
//!
//! Its money moves as Multicard's does, on a clock the test controls: a
//! confirmed payment reads `progress` while it is debited, `billing` while
//! its success callback is out, and then follows the merchant's answer (200
//! with a boolean `success: true` → `success`; exactly 500 or no answer in
//! time → frozen, then as [`SandboxConfig::frozen_payments`] says; anything
//! else → cancelled and refunded). [`Sandbox::advance`] moves the clock on
//! and runs every event due until then (callbacks are real HTTP posts,
//! awaited there) before it returns; invoices, holds and tokens run out by
//! the same clock. Faults reach every write (`Fault::LoseAnswer`,
//! `ApplyLater`, `DebitUnknown`), reads (stale reads, a registry's lag, a
//! server clock off the client's) and callbacks ([`DeliveryFault`]).
//!
//! It refuses the writes the SDK's request checks refuse
//! (`multicard_api::checks`, the same code: amounts, fiscal receipts,
//! splits, a payout's identification) with Multicard's `ERROR_FIELDS` and
//! its wording, and accepts what they only warn about. It issues the fiscal
//! receipts Multicard would: a payment that succeeds with `ofd` answers with
//! `tax` (and `refund_tax` once refunded; a partial refund issues a new
//! receipt), whose `qr_url` is a page on the sandbox listing the items.
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
//! (`max_tokens`; expired ones are dropped), how much of a merchant's
//! answer is read (`max_callback_answer`), what it stores
//! (`max_object_bytes`, `max_stored_bytes`) and the callbacks it keeps
//! (`max_deliveries`). It never follows a redirect when delivering a
//! callback.
//!
//! # Where things are
//!
//! Dependencies go one way, from the top of this list to the bottom.
//!
//! | File | What it holds |
//! |---|---|
//! | `sandbox.rs` | [`Sandbox`]: start, stop, the clock, faults, counters, the payer's actions, callbacks sent |
//! | `server.rs` | the accept loop: connection cap, header and body timeouts |
//! | `router.rs` | the routes, built from the SDK's operation table; the test that every operation has a handler |
//! | `admin.rs` | the controls over HTTP (`/sandbox/admin/...`): the clock, faults, reads, callbacks sent |
//! | `runner.rs` | running what is scheduled, in order, as the clock moves (`advance`; real time) |
//! | `callbacks.rs` | [`callbacks`]: the public face of what the sandbox sends, for callbacks sent by hand |
//! | `delivery.rs` | sending one callback and reading its answer within bounds, no redirects |
//! | `gate.rs` | what every request goes through first: counter, fault, token, body check, size limits |
//! | `rules.rs` | the SDK's request checks enforced, answered with Multicard's `ERROR_FIELDS` wording |
//! | `pages/` | the pages for people (HTML, loopback only, POST acts): checkout, one-time code, hosted card form, app payment, the dashboard at `/sandbox/` |
//! | `payer.rs` | the payer's actions, shared by the pages and [`Sandbox`]'s methods |
//! | `receipt_pages.rs` | the receipt pages the payments' links point to (HTML, GET only) |
//! | `groups/` | the handlers, one file per API group (`auth`, `invoices`, `cards`, `payments`, `refunds`, `holds`, `payouts`, `reports`) |
//! | `registry.rs`, `extract.rs` | handlers by operation id; what handlers take from a request |
//! | `state.rs` | what requests share; running a handler under the world's lock |
//! | `persist.rs` | the state file: loading the world at start, writing it whole as it changes ([`StateFileError`]) |
//! | `faults.rs` | [`Fault`], [`DeliveryFault`]: the ways a request or a callback can be made to fail |
//! | `world/` | everything the sandbox holds, one file per kind, typed statuses (`kinds.rs`); the callbacks' bodies (`payments.rs`, `cards.rs`) and what an answer means (`callbacks.rs`); how money moves (`money.rs`); the fiscal receipts it issues (`receipts.rs`); what is scheduled (`schedule.rs`); lagging reads (`replica.rs`, `reads.rs`) |
//! | `date.rs` | the `Date` header of every answer, by the sandbox's clock |
//! | `clock.rs` | the sandbox's clock: manual or real time, and the offset of what it writes |
//! | `answer.rs` | the envelope, and the one table of error answers (status, code, message) |
//! | `config.rs` | [`SandboxConfig`], [`FrozenPayments`], the test card, credentials and store |
//!
//! To add a sandbox behaviour for an operation, open its group's file in
//! `groups/`; an operation added to the spec needs a handler there (a test
//! fails until it has one). A new error answer is a row of `answer.rs`; a
//! new rule for how a payment moves goes in `world/money.rs`, for what a
//! callback's answer means in `world/callbacks.rs` (`verdict`). Something
//! new the world holds derives serde's traits, so the state file keeps it.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

mod admin;
mod answer;
pub mod callbacks;
mod clock;
mod config;
mod date;
mod delivery;
mod extract;
mod faults;
mod gate;
mod groups;
mod pages;
mod payer;
mod persist;
mod receipt_pages;
mod registry;
mod router;
mod rules;
mod runner;
mod sandbox;
mod server;
mod state;
mod world;

pub use config::{
    APPLICATION_ID, FrozenPayments, SECRET, STORE_ID, SandboxConfig, TEST_CARD_EXPIRY, TEST_CARD_PAN, TEST_OTP,
};
pub use faults::{DeliveryFault, Fault, LateOutcome};
pub use persist::StateFileError;
pub use sandbox::{Sandbox, exposure_warning};
pub use world::callbacks::{Delivery, DeliveryOutcome};
pub use world::test_cards::{SANDBOX_CARDS, SandboxCard};

/// This crate's README, whose example is compiled as a doctest. (The
/// workspace's README is compiled by the unpublished `multicard-api-tests`
/// crate: a published crate includes no file outside its package.)
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
