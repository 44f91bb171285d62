//! `cargo xtask regen --import DIR`: takes a fresh export of the vendor's
//! pages (the layout of `spec/vendor/`: `endpoints/` and `items/`, apidog's
//! file names), checks it against `spec/corrections.yaml`, regenerates the
//! spec from it and, only when all of that succeeds, replaces the pages of
//! `spec/vendor/` and writes `spec/multicard.yaml`. A page the corrections do
//! not map, or a mapped page the export lacks, stops the import before
//! anything is written, with what to add or remove (see [`crate::mapping`]).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::corrections::Corrections;
use crate::error::{RegenError, Result};
use crate::mapping::check_mapping;
use crate::vendor;
use crate::{Outcome, Pins, SpecPaths};

/// The two folders of an export, as in `spec/vendor/`.
pub const FOLDERS: [&str; 2] = ["endpoints", "items"];

/// What an import changed.
#[derive(Debug, Clone)]
pub struct Imported {
    /// Pages new in the export, relative to `spec/vendor/`.
    pub added: Vec<PathBuf>,
    /// Pages the export no longer has, now deleted.
    pub removed: Vec<PathBuf>,
    /// Pages whose bytes changed.
    pub changed: Vec<PathBuf>,
    /// The regenerated spec's changes.
    pub outcome: Outcome,
    /// With `--repin`: what was pinned anew.
    pub repinned: Option<crate::pins::Repinned>,
}

impl fmt::Display for Imported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "pages: {} added, {} removed, {} changed",
            self.added.len(),
            self.removed.len(),
            self.changed.len()
        )?;
        for (mark, list) in [("+", &self.added), ("-", &self.removed), ("~", &self.changed)] {
            for page in list {
                writeln!(f, "  {mark} {}", page.display())?;
            }
        }
        Ok(())
    }
}

/// Imports the export at `export` into `paths` (see the module documentation).
/// With [`Pins::Repin`], the pins are taken from the export's pages.
pub fn import(export: &Path, paths: &SpecPaths, mode: Pins) -> Result<Imported> {
    for folder in FOLDERS {
        if !export.join(folder).is_dir() {
            return Err(RegenError::in_file(
                export,
                format!(
                    "not a vendor export: it has no `{folder}/` folder (an export holds the endpoint pages in \
                     `endpoints/` and the model pages in `items/`, with apidog's file names, as spec/vendor/ does)"
                ),
            ));
        }
    }
    let in_export = |e: RegenError| match e.file.clone() {
        Some(file) if file.is_relative() => RegenError { file: Some(export.join(file)), ..e },
        _ => e,
    };
    let pages = vendor::load_pages(export).map_err(in_export)?;
    let corrections = Corrections::load(&paths.corrections)?;
    check_mapping(
        &pages,
        &corrections,
        &paths.corrections,
        &paths.output,
        "the export does not match the pages the corrections map; nothing was imported",
    )?;
    let staged = SpecPaths { vendor: export.to_path_buf(), ..paths.clone() };
    let plan = crate::plan(&staged, &paths.output, mode).map_err(in_export)?;
    crate::write_pins(paths, &plan)?;
    let (added, removed, changed) = differences(export, &paths.vendor)?;
    for page in added.iter().chain(&changed) {
        let bytes = std::fs::read(export.join(page))
            .map_err(|e| RegenError::in_file(&export.join(page), format!("cannot read the page: {e}")))?;
        crate::write_atomically(&paths.vendor.join(page), &bytes)?;
    }
    for page in &removed {
        let path = paths.vendor.join(page);
        std::fs::remove_file(&path).map_err(|e| RegenError::in_file(&path, format!("cannot delete the page: {e}")))?;
    }
    if plan.outcome.differs {
        crate::write_atomically(&paths.output, plan.text.as_bytes())?;
    }
    Ok(Imported { added, removed, changed, outcome: plan.outcome, repinned: plan.repin.map(|r| r.repinned) })
}

/// The pages the export adds, removes and changes against `vendor`.
type Differences = (Vec<PathBuf>, Vec<PathBuf>, Vec<PathBuf>);

fn differences(export: &Path, vendor: &Path) -> Result<Differences> {
    let (mut added, mut removed, mut changed) = (Vec::new(), Vec::new(), Vec::new());
    for folder in FOLDERS {
        let new = page_files(&export.join(folder))?;
        let old = if vendor.join(folder).is_dir() { page_files(&vendor.join(folder))? } else { BTreeMap::new() };
        for (name, path) in &new {
            let relative = Path::new(folder).join(name);
            match old.get(name) {
                None => added.push(relative),
                Some(current) => {
                    let read =
                        |p: &Path| std::fs::read(p).map_err(|e| RegenError::in_file(p, format!("cannot read: {e}")));
                    if read(path)? != read(current)? {
                        changed.push(relative);
                    }
                }
            }
        }
        removed.extend(old.keys().filter(|name| !new.contains_key(*name)).map(|name| Path::new(folder).join(name)));
    }
    Ok((added, removed, changed))
}

/// The `*.md` files of a folder, by file name.
fn page_files(dir: &Path) -> Result<BTreeMap<String, PathBuf>> {
    let mut out = BTreeMap::new();
    let entries =
        std::fs::read_dir(dir).map_err(|e| RegenError::in_file(dir, format!("cannot read the folder: {e}")))?;
    for entry in entries {
        let path = entry.map_err(|e| RegenError::in_file(dir, format!("cannot list the folder: {e}")))?.path();
        if path.extension().is_some_and(|ext| ext == "md")
            && let Some(name) = path.file_name().and_then(|n| n.to_str())
        {
            out.insert(name.to_string(), path);
        }
    }
    Ok(out)
}
