//! Compile-time code generation for `multicard-api`.
//!
//! `multicard-api/build.rs` calls [`generate`]: it reads the normalized
//! OpenAPI document (`spec/multicard.yaml`), runs progenitor on it with the
//! type mappings the Multicard API needs, formats the code and writes it to
//! `OUT_DIR`. It reads nothing but the spec and needs no network.
//!
//! Type mappings, all derived from the spec rather than listed here:
//! - every named string enum becomes an *open* enum with an
//!   `Unknown(String)` variant, so a status, payment system or error code the
//!   vendor adds later still decodes;
//! - `format: multicard-datetime` (`YYYY-MM-DD HH:MM:SS`, GMT+5) becomes
//!   `crate::time::MulticardDateTime`;
//! - `format: uuid` stays a `String`: the vendor's own examples hold values
//!   that are not valid UUIDs, and an identifier is never worth failing a
//!   payment response over;
//! - every struct with named fields, request or response, is
//!   `#[non_exhaustive]`: a field Multicard adds later breaks no caller
//!   (request bodies are built with their builders);
//! - a property or parameter marked `x-sensitive` (secrets, tokens, card
//!   data, one-time codes) is never printed by `Debug` (see [`redact`]);
//! - a nested object listed in `x-exact-fields` is absent, present or
//!   unreadable, never silently absent (see [`informative`]);
//! - a request property marked `x-sdk-default` is sent with the SDK's value
//!   when the caller leaves it out (see [`sdk_defaults`]).
//!
//! Where each part is made, one file per generated file:
//! - `client.rs` ([`generate_code`]): progenitor's run and the passes over
//!   its output (`prune.rs`, `non_exhaustive.rs`, `informative.rs`,
//!   `sdk_defaults.rs`, `redact.rs`), giving `multicard_client.rs`; `open_enums.rs` gives
//!   `multicard_enums.rs`;
//! - `operation_table.rs`: `multicard_operations.rs`;
//! - `glue/`: `multicard_glue.rs`, one file per job;
//! - shared by them: `names.rs` (the Rust names given to what the spec
//!   names), `extensions.rs` (the spec's `x-…` keys), `spec.rs` (reading
//!   the spec), `format.rs` and `error.rs`.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

mod cli;
mod client;
mod error;
pub mod extensions;
mod format;
mod glue;
pub mod informative;
pub mod names;
mod non_exhaustive;
mod open_enums;
mod operation_table;
mod prune;
pub mod redact;
mod safe_path;
pub mod sdk_defaults;
mod spec;
mod types_module;

pub use cli::{cli_group, cli_verb, generate_cli};
pub use client::{DATETIME_TYPE, ENUMS_MODULE, INNER_TYPE, generate_code};
pub use error::BuildError;
pub use glue::glue;
pub use names::variant_name;
pub use operation_table::operation_table;
pub use prune::{PruneReport, prune_builders};
pub use spec::parse_spec;

/// The file names written to `OUT_DIR`.
pub const CLIENT_FILE: &str = "multicard_client.rs";
/// The open enums, included by `multicard-api` as `crate::enums`.
pub const ENUMS_FILE: &str = "multicard_enums.rs";
/// The table of operations (id, method, path template, tag, token or not).
pub const OPERATIONS_FILE: &str = "multicard_operations.rs";
/// The impls that tie each generated builder to the hand-written executor.
pub const GLUE_FILE: &str = "multicard_glue.rs";

/// The command tree of the `multicard` binary, written by [`generate_cli_file`].
pub const CLI_FILE: &str = "multicard_cli.rs";

/// What [`generate`] wrote.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The client and types.
    pub client: PathBuf,
    /// The open enums.
    pub enums: PathBuf,
    /// The operation table.
    pub operations_table: PathBuf,
    /// The operations generated.
    pub operations: usize,
}

/// Reads the spec at `spec_path` and writes the generated code to `out_dir`.
/// Prints `cargo:rerun-if-changed` for the spec only when `emit_cargo` is set.
pub fn generate(spec_path: &Path, out_dir: &Path, emit_cargo: bool) -> Result<Generated, BuildError> {
    if emit_cargo {
        println!("cargo:rerun-if-changed={}", spec_path.display());
    }
    let text = std::fs::read_to_string(spec_path)
        .map_err(|e| BuildError::new(format!("{}: cannot read the spec: {e}", spec_path.display())))?;
    let spec = parse_spec(&text).map_err(|e| BuildError::new(format!("{}: {e}", spec_path.display())))?;
    let (client, enums, operations) = generate_code(&spec)?;
    let table = operation_table(&spec)?;
    let glue = glue(&spec)?;
    let write = |name: &str, text: String| {
        let path = out_dir.join(name);
        std::fs::write(&path, text).map_err(|e| BuildError::new(format!("{}: cannot write: {e}", path.display())))?;
        Ok::<_, BuildError>(path)
    };
    write(GLUE_FILE, glue)?;
    let table_path = write(OPERATIONS_FILE, table)?;
    let client_path = write(CLIENT_FILE, client)?;
    let enums_path = write(ENUMS_FILE, enums)?;
    Ok(Generated { client: client_path, enums: enums_path, operations_table: table_path, operations })
}

/// Reads the spec at `spec_path` and writes the command tree of the
/// `multicard` binary ([`generate_cli`]) to `out_dir`/[`CLI_FILE`], for
/// `multicard-cli/build.rs`. Prints `cargo:rerun-if-changed` for the spec
/// only when `emit_cargo` is set.
pub fn generate_cli_file(spec_path: &Path, out_dir: &Path, emit_cargo: bool) -> Result<PathBuf, BuildError> {
    if emit_cargo {
        println!("cargo:rerun-if-changed={}", spec_path.display());
    }
    let text = std::fs::read_to_string(spec_path)
        .map_err(|e| BuildError::new(format!("{}: cannot read the spec: {e}", spec_path.display())))?;
    let spec = parse_spec(&text).map_err(|e| BuildError::new(format!("{}: {e}", spec_path.display())))?;
    let code = generate_cli(&spec)?;
    let path = out_dir.join(CLI_FILE);
    std::fs::write(&path, code).map_err(|e| BuildError::new(format!("{}: cannot write: {e}", path.display())))?;
    Ok(path)
}
