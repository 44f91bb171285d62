//! The ledger: the vendor content every pinned correction overwrites, by
//! [`Key`], gathered while the document is built, with the pages each part
//! of the document came from; and how content is made canonical and hashed
//! into a pin.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha1::{Digest, Sha1};

use crate::corrections::Corrections;

/// Which correction a pin belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    /// `replace_vendor_data` of the operation with this id.
    ReplacedData(String),
    /// The `schemas` entry with this name.
    Schema(String),
    /// The `rename_schemas` entry renaming this vendor name.
    Rename(String),
    /// The `formats` entry rewriting this format.
    Format(String),
    /// The `drop_parameters` entry for `(in, name)`.
    Drop(String, String),
    /// The patch at this index of `patches`.
    Patch(usize),
}

impl Key {
    /// The correction as a reviewer finds it in `spec/corrections.yaml`.
    pub fn label(&self, corrections: &Corrections) -> String {
        match self {
            Key::ReplacedData(id) => format!("operations[{id}].replace_vendor_data"),
            Key::Schema(name) => format!("schemas[{name}]"),
            Key::Rename(from) => {
                let to = corrections.rename_schemas.iter().find(|r| &r.from == from).map(|r| r.to.as_str());
                format!("rename_schemas[{from} -> {}]", to.unwrap_or("?"))
            }
            Key::Format(from) => format!("formats[{from}]"),
            Key::Drop(place, name) => format!("drop_parameters[{place} {name}]"),
            // By what it does, not by its index, which shifts as patches are added.
            Key::Patch(index) => match corrections.patches.get(*index) {
                Some(patch) => format!("patches[{} {}]", patch.op.as_str(), patch.path),
                None => format!("patches[{index}]"),
            },
        }
    }

    /// The pin the corrections record for this key.
    pub fn pin<'a>(&self, corrections: &'a Corrections) -> Option<&'a str> {
        match self {
            Key::ReplacedData(id) => corrections.operation(id).and_then(|o| o.pin.as_deref()),
            Key::Schema(name) => corrections.schemas.iter().find(|s| &s.name == name).and_then(|s| s.pin.as_deref()),
            Key::Rename(from) => {
                corrections.rename_schemas.iter().find(|r| &r.from == from).and_then(|r| r.pin.as_deref())
            }
            Key::Format(from) => corrections.formats.iter().find(|f| &f.from == from).and_then(|f| f.pin.as_deref()),
            Key::Drop(place, name) => corrections
                .drop_parameters
                .iter()
                .find(|d| &d.location == place && &d.name == name)
                .and_then(|d| d.pin.as_deref()),
            Key::Patch(index) => corrections.patches.get(*index).and_then(|p| p.pin.as_deref()),
        }
    }
}

/// The vendor content one correction overwrites, as found on this run.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The correction.
    pub key: Key,
    /// The canonical content (see [`canonical`]). For a correction that spans
    /// pages, an object keyed by page path.
    pub content: Value,
    /// The pages the content comes from.
    pub pages: Vec<PathBuf>,
}

/// The content of every pinned correction, gathered while the document is
/// built, and where each part of the document came from.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    records: BTreeMap<Key, Record>,
    /// The page (or pages) each component and operation came from, by JSON
    /// pointer prefix (`/components/schemas/PaymentModel`, `/paths/~1auth/post`).
    pub sources: BTreeMap<String, Vec<PathBuf>>,
}

impl Ledger {
    /// Records the whole content of one correction.
    pub fn record(&mut self, key: Key, content: Value, pages: Vec<PathBuf>) {
        self.records.insert(key.clone(), Record { key, content, pages });
    }

    /// Adds one value a correction sets aside on `page`: the content is an
    /// object of page paths, each with the list of values, in order.
    pub fn add_part(&mut self, key: Key, page: &Path, value: &Value) {
        let record = self.entry(key, Value::Object(Default::default()));
        if let Value::Object(parts) = &mut record.content {
            let list = parts.entry(page.display().to_string()).or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = list {
                list.push(canonical(value));
            }
        }
        if !record.pages.iter().any(|p| p == page) {
            record.pages.push(page.to_path_buf());
        }
    }

    /// Adds a value a correction sets aside on `page`, where only the
    /// distinct values matter: the content is their sorted list.
    pub fn add_distinct(&mut self, key: Key, page: &Path, value: &Value) {
        let record = self.entry(key, Value::Array(Vec::new()));
        let value = canonical(value);
        if let Value::Array(list) = &mut record.content
            && !list.contains(&value)
        {
            list.push(value);
            list.sort_by_key(Value::to_string);
        }
        if !record.pages.iter().any(|p| p == page) {
            record.pages.push(page.to_path_buf());
        }
    }

    fn entry(&mut self, key: Key, empty: Value) -> &mut Record {
        self.records.entry(key.clone()).or_insert(Record { key, content: empty, pages: Vec::new() })
    }

    /// Gives every pinned entry of the corrections a record, with empty
    /// content where it set nothing aside, so that each carries a pin.
    pub fn finish(&mut self, corrections: &Corrections) {
        let empty = || Value::Object(Default::default());
        for op in corrections.operations.iter().filter(|o| o.replace_vendor_data.is_some()) {
            self.entry(Key::ReplacedData(op.id.clone()), empty());
        }
        for schema in &corrections.schemas {
            self.entry(Key::Schema(schema.name.clone()), empty());
        }
        for drop in &corrections.drop_parameters {
            self.entry(Key::Drop(drop.location.clone(), drop.name.clone()), Value::Array(Vec::new()));
        }
    }

    /// The records, in the order of the keys.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.records.values()
    }

    /// The pages the document content at `pointer` came from.
    pub fn pages_of(&self, pointer: &str) -> Vec<PathBuf> {
        self.sources
            .iter()
            .filter(|(prefix, _)| pointer == prefix.as_str() || pointer.starts_with(&format!("{prefix}/")))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, pages)| pages.clone())
            .unwrap_or_default()
    }
}

/// Content without prose, keys sorted: two values equal after this mean
/// the same thing to the generated code.
pub fn canonical(value: &Value) -> Value {
    crate::json::semantic(value)
}

/// The marker for content that is not there (a `merge` adding a new key).
pub const ABSENT: &str = "<absent>";

/// The pin of some content: the first 12 hex digits of the SHA-1 of its
/// compact JSON.
pub fn hash(content: &Value) -> String {
    let digest = Sha1::digest(content.to_string().as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}
