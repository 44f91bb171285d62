//! `cargo xtask regen --import DIR`: takes a fresh export of the vendor's
//! pages (the layout of `spec/vendor/`: `endpoints/` and `items/`, apidog's
//! file names), checks it against `spec/corrections.yaml`, regenerates the
//! spec from it and, only when all of that succeeds, replaces the pages of
//! `spec/vendor/` and writes `spec/multicard.yaml`. A page the corrections do
//! not map, or a mapped page the export lacks, stops the import before
//! anything is written, with what to add or remove.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::corrections::Corrections;
use crate::error::{RegenError, Result};
use crate::vendor::{self, Page};
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
        paths,
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

/// Fails, listing what to add or remove, when `pages` and the pages the
/// corrections map are not the same set. `context` opens the message.
pub fn check_mapping(pages: &[Page], corrections: &Corrections, paths: &SpecPaths, context: &str) -> Result<()> {
    let problems = mapping_problems(pages, corrections, &committed_routes(&paths.output));
    if problems.is_empty() {
        return Ok(());
    }
    Err(RegenError::in_file(
        &paths.corrections,
        format!("{context}:\n{}", problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n")),
    ))
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

/// The operations of the committed spec by route (`GET /payment/{}`, path
/// parameter names left out), to suggest a mapping for a new page.
fn committed_routes(output: &Path) -> BTreeMap<String, String> {
    let Ok(text) = std::fs::read_to_string(output) else { return BTreeMap::new() };
    let Ok(doc) = vendor::parse_yaml(&text, 1) else { return BTreeMap::new() };
    crate::report::reach::operations(&doc).into_iter().map(|(op, _)| (route_key(&op.method, &op.path), op.id)).collect()
}

fn route_key(method: &str, path: &str) -> String {
    let segments: Vec<&str> =
        path.split('/').map(|segment| if segment.starts_with('{') { "{}" } else { segment }).collect();
    format!("{} {}", method.to_uppercase(), segments.join("/"))
}

/// The method, path, summary and request body schema name of a page's one
/// operation, when it has exactly one.
fn page_operation(page: &Page) -> Option<(String, String, String, Option<String>)> {
    let paths = page.document.as_ref()?.get("paths")?.as_object()?;
    let (path, item) = paths.iter().next()?;
    let (method, op) = item.as_object()?.iter().next()?;
    let summary = op.get("summary").and_then(Value::as_str).unwrap_or_default().trim().to_string();
    let body = op
        .pointer("/requestBody/content/application~1json/schema/$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
        .map(str::to_string);
    Some((method.to_uppercase(), path.clone(), summary, body))
}

/// Every endpoint page the corrections do not map, and every mapped page
/// the export lacks, each with what to add or remove.
pub fn mapping_problems(pages: &[Page], corrections: &Corrections, routes: &BTreeMap<String, String>) -> Vec<String> {
    let mut problems = Vec::new();
    for page in pages.iter().filter(|p| !p.is_model) {
        if corrections.pages.contains_key(&page.id) {
            continue;
        }
        let described = page_operation(page);
        let id = &page.id;
        let add = match &described {
            Some((method, path, _, body)) => match routes.get(&route_key(method, path)) {
                Some(op) => format!(
                    "add `\"{id}\": {{operation: {op}, variant: {}}}` under `pages` (it documents the route of `{op}`: \
                     the pages of one operation each name their request body as a `variant`)",
                    body.clone().unwrap_or_else(|| "<the name of its request body>".to_string())
                ),
                None => format!(
                    "add `\"{id}\": {{operation: <operation_id>}}` under `pages` and the operation under `operations`"
                ),
            },
            None => "it documents no operation".to_string(),
        };
        let what = match &described {
            Some((method, path, summary, _)) => format!(" ({method} {path}: {summary})"),
            None => String::new(),
        };
        problems.push(format!(
            "new page {}{what} is not mapped: {add}, or `\"{id}\": {{skip: <why>}}`",
            page.path.display()
        ));
    }
    for (id, role) in &corrections.pages {
        if pages.iter().any(|p| !p.is_model && &p.id == id) {
            continue;
        }
        let owner = match (&role.operation, &role.callback) {
            (Some(op), _) => format!(
                " (operation `{op}`): remove `\"{id}\"` from `pages`, and, if no other page documents `{op}`, the operation \
                 from `operations` and every correction that names it"
            ),
            (None, Some(callback)) => format!(
                " (callback `{callback}`): remove `\"{id}\"` from `pages` and every correction that names `{callback}`"
            ),
            _ => format!(": remove `\"{id}\"` from `pages`"),
        };
        problems.push(format!("page {id} is mapped in spec/corrections.yaml but no vendor page has that id{owner}"));
    }
    problems
}
