//! Every correction is pinned to what it corrects.
//!
//! A correction that replaces, overwrites or removes vendor content
//! (`replace_vendor_data`, a hand-written `schemas` entry, `rename_schemas`,
//! `formats`, `drop_parameters`, and `set`, `merge`, `remove` patches)
//! carries `pin: <hash>`: the first twelve hex digits of the SHA-1 of the
//! canonical JSON of the vendor content it was written against (prose left
//! out: descriptions, titles, examples and `x-` extensions do not change the
//! generated types). `spec/pinned.yaml` keeps that content by hash.
//!
//! On every run the content is fingerprinted again. When it differs from
//! the pin, regen fails and names the correction, the page and what changed
//! (against `spec/pinned.yaml`), so that a person re-decides the correction;
//! `cargo xtask regen --repin` then records the new content.
//!
//! Here, [`verify`] and [`repin`] compare the pins with the content;
//! `ledger.rs` gathers the content and hashes it, `content.rs` reads what
//! the pages hold directly and says how two versions differ, `snapshot.rs`
//! keeps `spec/pinned.yaml`, `edit.rs` writes the pins into the corrections.

mod content;
mod edit;
mod ledger;
mod snapshot;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::corrections::Corrections;
use crate::error::{RegenError, Result};

pub use content::from_pages;
pub use edit::write_pins;
pub use ledger::{ABSENT, Key, Ledger, Record, canonical, hash};
pub use snapshot::Snapshot;

/// The file that keeps the pinned content by hash, beside the corrections.
pub const PINNED_FILE: &str = "pinned.yaml";

/// Where the corrections live, for error messages.
fn corrections_file() -> PathBuf {
    PathBuf::from("spec/corrections.yaml")
}

/// Fails when a pin is missing, or when the content a correction overwrites
/// is no longer what it was pinned to; names every such correction, its
/// pages and what changed. Also fails when the snapshot does not hold
/// exactly the pinned content.
pub fn verify(ledger: &Ledger, corrections: &Corrections, snapshot: &Snapshot, snapshot_path: &Path) -> Result<()> {
    let mut problems = Vec::new();
    let mut pinned = BTreeMap::new();
    for record in ledger.records() {
        let label = record.key.label(corrections);
        let now = hash(&record.content);
        match record.key.pin(corrections) {
            None => problems.push(format!(
                "{label} has no `pin`: run `cargo xtask regen --repin` to record the vendor content it overwrites (now {now})"
            )),
            Some(pin) if pin == now => {
                pinned.insert(pin.to_string(), record.content.clone());
            }
            Some(pin) => problems.push(changed(&label, pin, &now, record, snapshot)),
        }
    }
    if problems.is_empty() && !snapshot.holds_exactly(&pinned) {
        problems.push(format!(
            "{} does not hold exactly the pinned content: run `cargo xtask regen --repin` to rewrite it",
            snapshot_path.display()
        ));
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(RegenError::in_file(
        &corrections_file(),
        format!(
            "{} correction(s) no longer match the vendor content they were written against; re-decide each \
             (its value, its reason), then run `cargo xtask regen --repin`:\n{}",
            problems.len(),
            problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n")
        ),
    ))
}

/// The message for one correction whose content changed.
fn changed(label: &str, pin: &str, now: &str, record: &Record, snapshot: &Snapshot) -> String {
    let mut pages: Vec<String> = record.pages.iter().take(3).map(|p| p.display().to_string()).collect();
    if record.pages.len() > 3 {
        pages.push(format!("{} more", record.pages.len() - 3));
    }
    let from = if pages.is_empty() { String::new() } else { format!(" (from {})", pages.join(", ")) };
    let mut text = format!("{label}: the vendor content it overwrites changed{from}: pinned {pin}, now {now}");
    match snapshot.get(pin) {
        Some(old) => {
            for line in content::differences(old, &record.content) {
                text.push_str(&format!("\n      {line}"));
            }
        }
        None => text.push_str(&format!(
            "\n      (spec/{PINNED_FILE} does not hold {pin}; the content now is {})",
            content::compact(&record.content)
        )),
    }
    text
}

/// What `--repin` changed, for the person who ran it.
#[derive(Debug, Clone, Default)]
pub struct Repinned {
    /// One entry per correction whose pin is new or changed, with what changed.
    pub changes: Vec<String>,
    /// How many pins stayed the same.
    pub unchanged: usize,
}

impl std::fmt::Display for Repinned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "pinned {} correction(s) anew, {} unchanged", self.changes.len(), self.unchanged)?;
        for change in &self.changes {
            writeln!(f, "  {change}")?;
        }
        Ok(())
    }
}

/// The pins the ledger calls for, and what changed against the recorded ones.
pub fn repin(ledger: &Ledger, corrections: &Corrections, snapshot: &Snapshot) -> (BTreeMap<Key, String>, Repinned) {
    let mut pins = BTreeMap::new();
    let mut report = Repinned::default();
    for record in ledger.records() {
        let now = hash(&record.content);
        let label = record.key.label(corrections);
        match record.key.pin(corrections) {
            Some(pin) if pin == now => report.unchanged += 1,
            Some(pin) => report.changes.push(changed(&label, pin, &now, record, snapshot).replacen(
                ": the vendor content it overwrites changed",
                ": re-pinned to the vendor content",
                1,
            )),
            None => report.changes.push(format!("{label}: pinned {now} (new)")),
        }
        pins.insert(record.key.clone(), now);
    }
    (pins, report)
}
