//! A scratch copy of the workspace's `spec/` for one test, and the edits a
//! vendor makes to its pages.
#![allow(dead_code)] // each scenario file uses a part of it

use std::fs;
use std::path::{Path, PathBuf};

use xtask::{Outcome, RegenError, SpecPaths};

/// The workspace's `spec/` folder.
pub fn spec_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("spec")
}

/// Copies a folder tree.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("create folder");
    for entry in fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// A copy of `spec/` in a temporary folder.
pub struct Scratch {
    /// Keeps the folder alive.
    pub dir: tempfile::TempDir,
    /// The copy of `spec/`.
    pub spec: PathBuf,
    /// Its paths.
    pub paths: SpecPaths,
}

impl Scratch {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let spec = dir.path().join("spec");
        copy_dir(&spec_dir(), &spec);
        let paths = SpecPaths::in_spec_dir(&spec);
        Self { dir, spec, paths }
    }

    /// The page with apidog id `id` under `vendor` (a `spec/vendor/` or an export).
    pub fn page_in(vendor: &Path, id: &str) -> PathBuf {
        for folder in ["endpoints", "items"] {
            for entry in fs::read_dir(vendor.join(folder)).expect("folder") {
                let path = entry.expect("entry").path();
                if path.file_name().is_some_and(|n| n.to_string_lossy().contains(&format!("-{id}"))) {
                    return path;
                }
            }
        }
        panic!("no page {id} in {}", vendor.display());
    }

    /// The page with apidog id `id`.
    pub fn page(&self, id: &str) -> PathBuf {
        Self::page_in(&self.paths.vendor, id)
    }

    /// Applies `edit` to the page `id`; the edit must change something.
    pub fn edit(&self, id: &str, edit: impl FnOnce(String) -> String) -> PathBuf {
        edit_file(&self.page(id), edit)
    }

    /// Applies `edit` to every page that contains `needle`; returns how many.
    pub fn edit_all(&self, needle: &str, edit: impl Fn(String) -> String) -> usize {
        let mut count = 0;
        for folder in ["endpoints", "items"] {
            for entry in fs::read_dir(self.paths.vendor.join(folder)).expect("folder") {
                let path = entry.expect("entry").path();
                if fs::read_to_string(&path).expect("page").contains(needle) {
                    edit_file(&path, &edit);
                    count += 1;
                }
            }
        }
        count
    }

    /// Applies `edit` to `spec/corrections.yaml`.
    pub fn correct(&self, edit: impl FnOnce(String) -> String) {
        edit_file(&self.paths.corrections, edit);
    }

    /// The committed spec's bytes.
    pub fn committed(&self) -> Vec<u8> {
        fs::read(&self.paths.output).expect("the spec")
    }

    /// `regen --check`.
    pub fn check(&self) -> Outcome {
        xtask::regen(&self.paths, true).expect("regen --check runs")
    }

    /// A failing `regen`, which must write nothing.
    pub fn fails(&self) -> RegenError {
        let before = self.committed();
        let error = xtask::regen(&self.paths, false).expect_err("regen fails");
        assert_eq!(self.committed(), before, "a failed regen changed the spec");
        error
    }
}

/// Applies `edit` to a file; the edit must change something.
pub fn edit_file(path: &Path, edit: impl FnOnce(String) -> String) -> PathBuf {
    let text = fs::read_to_string(path).expect("read");
    let changed = edit(text.clone());
    assert_ne!(changed, text, "the edit changed nothing in {}", path.display());
    fs::write(path, changed).expect("write");
    path.to_path_buf()
}

/// `text` with the first `from` replaced by `to`; `from` must be there.
pub fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "not found: {from}");
    text.replacen(from, to, 1)
}

/// Every file under a folder, relative, with its bytes.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for folder in ["endpoints", "items"] {
        let mut names: Vec<PathBuf> =
            fs::read_dir(dir.join(folder)).expect("folder").map(|e| e.expect("entry").path()).collect();
        names.sort();
        for path in names {
            let bytes = fs::read(&path).expect("read");
            out.push((path.strip_prefix(dir).expect("inside").to_path_buf(), bytes));
        }
    }
    out
}
