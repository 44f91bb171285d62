//! `cargo xtask live-check` without the network: against the sandbox and
//! against loopback servers that answer with drifted shapes.

mod drifted;
mod redaction;
mod regen;
mod sandbox;
mod support;
mod withheld;
