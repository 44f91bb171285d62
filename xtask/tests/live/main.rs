//! `cargo xtask live-check` without the network: against the sandbox and
//! against loopback servers that answer with drifted shapes.

mod drifted;
mod listener;
mod probes;
mod receipts;
mod redaction;
mod regen;
mod sandbox;
mod scripted;
mod support;
mod withheld;
