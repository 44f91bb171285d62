//! Copies that make each published crate build on its own: `cargo package`
//! sees nothing outside a package's folder, so `multicard-api` and
//! `multicard-cli` carry a copy of `spec/multicard.yaml` (their build
//! scripts read it) and every published crate a copy of `LICENSE`. `cargo xtask regen` writes them; `--check`
//! fails when one differs from its original.

use std::path::{Path, PathBuf};

/// The published crates, each with a copy of the workspace's `LICENSE`.
pub const PUBLISHED: [&str; 4] = ["multicard-api-build", "multicard-api", "multicard-sandbox", "multicard-cli"];

/// Every (original, copy) pair, relative to the workspace root.
pub fn copies() -> Vec<(PathBuf, PathBuf)> {
    let mut pairs = vec![
        (PathBuf::from("spec/multicard.yaml"), PathBuf::from("multicard-api/spec/multicard.yaml")),
        (PathBuf::from("spec/multicard.yaml"), PathBuf::from("multicard-cli/spec/multicard.yaml")),
    ];
    pairs.extend(PUBLISHED.iter().map(|krate| (PathBuf::from("LICENSE"), Path::new(krate).join("LICENSE"))));
    pairs
}

/// The copies under `workspace` that differ from their original (or are
/// missing), as `copy (from original)` lines. With `write`, brings each up to
/// date instead and returns the ones it wrote.
pub fn sync(workspace: &Path, write: bool) -> std::io::Result<Vec<String>> {
    let mut changed = Vec::new();
    for (original, copy) in copies() {
        let bytes = std::fs::read(workspace.join(&original))?;
        if std::fs::read(workspace.join(&copy)).ok().as_deref() == Some(&bytes[..]) {
            continue;
        }
        if write {
            if let Some(parent) = workspace.join(&copy).parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(workspace.join(&copy), &bytes)?;
        }
        changed.push(format!("{} (copy of {})", copy.display(), original.display()));
    }
    Ok(changed)
}
