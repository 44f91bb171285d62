//! English first: `spec/english.yaml` gives every operation, parameter,
//! schema and property of the normalized document an English description,
//! and [`apply`] merges it in, the vendor's Russian kept beside it and marked
//! as the vendor's (`Vendor (ru): «…»`, cleaned by [`vendor_text`]).
//!
//! The file mirrors the document (see `spec/english.yaml` for its format);
//! every entry has a key, the path to it in the file:
//! `operations.create_invoice.summary`, `parameters.get_hold.payment_uuid`,
//! `schemas.PaymentModel` (the type), `schemas.PaymentModel.properties.status`
//! (a field), `schemas.OfdItems.items.properties.price` (a field of the items
//! of an array).
//!
//! The English is the one place descriptions are written: a correction that
//! writes a description is refused (the vendor's text is kept by itself), and
//! the [`Coverage`] of a run lists what has no English and what the file
//! names that the document no longer has; `regen --check` fails on either.
//! Multicard's envelopes (`<data>Response`) are described by the rule that
//! makes them and have no entries.

pub mod vendor_text;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::error::{RegenError, Result};
use crate::json::escape_pointer;

/// The file name inside `spec/`.
pub const ENGLISH_FILE: &str = "english.yaml";

/// How the vendor's text is introduced after the English.
pub const VENDOR_LABEL: &str = "Vendor (ru): ";

/// The English descriptions, by key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct English {
    entries: BTreeMap<String, String>,
}

impl English {
    /// Reads `spec/english.yaml`; a file that is not there has no entries
    /// (and every item is then reported as lacking English).
    pub fn load(path: &Path) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).map_err(|e| e.with_file(path)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(RegenError::in_file(path, format!("cannot read the English descriptions: {e}"))),
        }
    }

    /// Parses the text of `spec/english.yaml`.
    pub fn parse(text: &str) -> Result<Self> {
        let value = crate::vendor::parse_yaml(text, 1)?;
        let mut entries = BTreeMap::new();
        for (section, content) in value.as_object().into_iter().flatten() {
            let content = mapping(content, section)?;
            for (name, item) in content {
                let key = format!("{section}.{name}");
                match section.as_str() {
                    "operations" => {
                        for (field, text) in mapping(item, &key)? {
                            if field != "summary" && field != "description" {
                                return Err(unknown(&key, field, "`summary` or `description`"));
                            }
                            insert(&mut entries, format!("{key}.{field}"), text)?;
                        }
                    }
                    "parameters" => {
                        for (parameter, text) in mapping(item, &key)? {
                            insert(&mut entries, format!("{key}.{parameter}"), text)?;
                        }
                    }
                    "schemas" => node(&mut entries, key, item)?,
                    _ => return Err(unknown("the file", section, "`operations`, `parameters` or `schemas`")),
                }
            }
        }
        Ok(Self { entries })
    }

    /// The English of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    /// Every key, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn mapping<'a>(value: &'a Value, key: &str) -> Result<&'a Map<String, Value>> {
    value.as_object().ok_or_else(|| RegenError::new("expected a mapping").at(key.to_string()))
}

fn unknown(key: &str, field: &str, expected: &str) -> RegenError {
    RegenError::new(format!("unknown key `{field}` (expected {expected})")).at(key.to_string())
}

fn insert(entries: &mut BTreeMap<String, String>, key: String, text: &Value) -> Result<()> {
    let text = paragraphs(text.as_str().unwrap_or_default());
    if text.is_empty() {
        return Err(RegenError::new("an entry must be a text that says something").at(key));
    }
    entries.insert(key, text);
    Ok(())
}

/// An entry as markdown paragraphs: the lines of a paragraph (wrapped in
/// the file for review) joined into one, except a `- ` list item, which
/// keeps its own line; paragraphs apart by one blank line.
fn paragraphs(text: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut joined = String::new();
    for line in text.lines().map(str::trim).chain([""]) {
        if line.is_empty() {
            if !joined.is_empty() {
                out.push(std::mem::take(&mut joined));
            }
            continue;
        }
        if !joined.is_empty() {
            joined.push(if line.starts_with("- ") { '\n' } else { ' ' });
        }
        joined.push_str(line);
    }
    out.join("\n\n")
}

/// A schema in the file: its description as a text, or a mapping with
/// `description`, `properties` (name to schema) and `items`.
fn node(entries: &mut BTreeMap<String, String>, key: String, value: &Value) -> Result<()> {
    if value.is_string() {
        return insert(entries, key, value);
    }
    for (field, inner) in mapping(value, &key)? {
        match field.as_str() {
            "description" => insert(entries, key.clone(), inner)?,
            "properties" => {
                for (name, property) in mapping(inner, &format!("{key}.properties"))? {
                    node(entries, format!("{key}.properties.{name}"), property)?;
                }
            }
            "items" => node(entries, format!("{key}.items"), inner)?,
            other => return Err(unknown(&key, other, "`description`, `properties` or `items`")),
        }
    }
    Ok(())
}

/// What of the document has no English, and what the English names that the
/// document does not have.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Keys of items without an entry (described by the vendor's text alone).
    pub missing: Vec<String>,
    /// Keys of entries that name nothing in the document.
    pub stale: Vec<String>,
    /// How many items the document has.
    pub items: usize,
}

impl Coverage {
    /// Every item has English and every entry names an item.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty() && self.stale.is_empty()
    }
}

impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.missing.is_empty() {
            writeln!(
                f,
                "spec/english.yaml has no English for {} item(s) of the spec (their docs show only the vendor's text):",
                self.missing.len()
            )?;
            for key in &self.missing {
                writeln!(f, "  - {key}")?;
            }
        }
        if !self.stale.is_empty() {
            writeln!(f, "spec/english.yaml describes {} item(s) the spec no longer has:", self.stale.len())?;
            for key in &self.stale {
                writeln!(f, "  - {key}")?;
            }
        }
        Ok(())
    }
}

/// Merges the English into `doc`. `vendor` is the document as the vendor's
/// pages gave it, before any correction (its schemas only those the pages
/// define); `notes` are the sentences a rule gives every schema of a format
/// (the `to` and `describe` of `formats`), kept after the English and added
/// where the format was set another way; `exempt` are the schemas
/// a rule describes (the envelopes). Fails when a correction wrote a
/// description: English belongs in `spec/english.yaml`.
pub fn apply(
    doc: &mut Value,
    vendor: &Value,
    english: &English,
    notes: &[(String, String)],
    exempt: &BTreeSet<String>,
) -> Result<Coverage> {
    let mut merge = Merge { english, vendor, notes, visited: BTreeSet::new(), missing: Vec::new(), twice: Vec::new() };
    if let Some(Value::Object(paths)) = doc.get_mut("paths") {
        for (path, item) in paths.iter_mut() {
            for (method, op) in item.as_object_mut().into_iter().flatten() {
                merge.operation(&format!("/paths/{}/{method}", escape_pointer(path)), op);
            }
        }
    }
    if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        for (name, schema) in schemas.iter_mut() {
            if !exempt.contains(name) {
                let pointer = format!("/components/schemas/{}", escape_pointer(name));
                merge.schema(&format!("schemas.{name}"), &pointer, schema);
            }
        }
    }
    // What no item holds (a described array of references, say) says
    // nothing beside a `$ref`: OpenAPI 3.0 ignores it there.
    crate::apidog::visit_document_schemas_mut(doc, &mut |_, map| {
        if map.contains_key("$ref") {
            map.remove("description");
        }
    });
    if !merge.twice.is_empty() {
        return Err(RegenError::in_file(
            Path::new("spec/corrections.yaml"),
            format!(
                "a correction writes the description of {}: write English in spec/english.yaml instead (the vendor's text is kept beside it by itself)",
                merge.twice.join(", ")
            ),
        ));
    }
    let stale = english.keys().filter(|k| !merge.visited.contains(*k)).map(str::to_string).collect();
    Ok(Coverage { missing: merge.missing, stale, items: merge.visited.len() })
}

struct Merge<'a> {
    english: &'a English,
    vendor: &'a Value,
    notes: &'a [(String, String)],
    visited: BTreeSet<String>,
    missing: Vec<String>,
    twice: Vec<String>,
}

impl Merge<'_> {
    fn operation(&mut self, pointer: &str, op: &mut Value) {
        let Some(map) = op.as_object_mut() else { return };
        let id = map.get("operationId").and_then(Value::as_str).unwrap_or("?").to_string();
        let vendor_op = self.vendor.pointer(pointer);
        let said = |field: &str| vendor_op.and_then(|o| o.get(field)).and_then(Value::as_str).map(str::to_string);
        let (summary, description) = (said("summary"), said("description"));
        self.check_written(&format!("operations.{id}.summary"), map.get("summary"), summary.as_deref());
        self.check_written(&format!("operations.{id}.description"), map.get("description"), description.as_deref());
        let quoted = [summary.as_deref(), description.as_deref()]
            .into_iter()
            .flatten()
            .filter_map(vendor_text::clean)
            .map(|text| format!("«{text}»"))
            .collect::<Vec<_>>()
            .join(" — ");
        let key = format!("operations.{id}.summary");
        let text = match self.take(&key) {
            Some(english) => english,
            None => {
                format!("{VENDOR_LABEL}«{}»", summary.as_deref().and_then(vendor_text::clean).unwrap_or(id.clone()))
            }
        };
        map.insert("summary".into(), json!(text));
        let key = format!("operations.{id}.description");
        let english = self.take(&key);
        let vendor_line = (!quoted.is_empty()).then(|| format!("{VENDOR_LABEL}{quoted}"));
        set(map, "description", compose(english, Vec::new(), vendor_line, "\n\n"));

        let vendor_params = vendor_op.and_then(|o| o.get("parameters")).and_then(Value::as_array);
        for param in map.get_mut("parameters").and_then(Value::as_array_mut).into_iter().flatten() {
            let Some(param) = param.as_object_mut() else { continue };
            let name = param.get("name").and_then(Value::as_str).unwrap_or("?").to_string();
            let place = param.get("in").cloned();
            let said = vendor_params
                .into_iter()
                .flatten()
                .find(|p| p.get("name").and_then(Value::as_str) == Some(name.as_str()) && p.get("in") == place.as_ref())
                .and_then(|p| p.get("description"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let key = format!("parameters.{id}.{name}");
            self.describe(&key, param, said.as_deref(), " ");
        }
    }

    /// A schema (a component, a property or the items of an array) and
    /// every property and inline array item inside it.
    fn schema(&mut self, key: &str, pointer: &str, schema: &mut Value) {
        let Some(map) = schema.as_object_mut() else { return };
        let said = self.vendor.pointer(pointer).and_then(|s| s.get("description")).and_then(Value::as_str);
        let said = said.map(str::to_string);
        self.describe(key, map, said.as_deref(), "\n\n");
        if map.contains_key("description")
            && let Some(reference) = map.remove("$ref")
        {
            // A described reference: OpenAPI 3.0 reads a description beside
            // `allOf`, never beside `$ref`.
            map.insert("allOf".into(), json!([{ "$ref": reference }]));
        }
        if let Some(Value::Object(properties)) = map.get_mut("properties") {
            for (name, property) in properties.iter_mut() {
                let inner = format!("{pointer}/properties/{}", escape_pointer(name));
                self.schema(&format!("{key}.properties.{name}"), &inner, property);
            }
        }
        if let Some(items) = map.get_mut("items")
            && items.get("properties").is_some()
        {
            self.schema(&format!("{key}.items"), &format!("{pointer}/items"), items);
        }
    }

    /// Sets the description of one item: the English, the rules' notes, the
    /// vendor's text, apart by `gap` (a space for a parameter, which
    /// progenitor lists as one item of a markdown list).
    fn describe(&mut self, key: &str, map: &mut Map<String, Value>, said: Option<&str>, gap: &str) {
        let current = map.get("description").and_then(Value::as_str).unwrap_or_default().to_string();
        let texts: Vec<String> = self.notes.iter().map(|(_, note)| note.clone()).collect();
        let (rest, mut notes) = split_notes(&current, &texts);
        let format = map.get("format").and_then(Value::as_str);
        for (_, note) in self.notes.iter().filter(|(f, _)| Some(f.as_str()) == format) {
            if !notes.contains(note) {
                notes.push(note.clone());
            }
        }
        self.check_written(key, (!rest.is_empty()).then(|| json!(rest)).as_ref(), said);
        let english = self.take(key);
        let vendor_line = said.and_then(vendor_text::clean).map(|text| format!("{VENDOR_LABEL}«{text}»"));
        set(map, "description", compose(english, notes, vendor_line, gap));
    }

    /// The English of `key`, noting the item as visited (and as missing
    /// when there is none).
    fn take(&mut self, key: &str) -> Option<String> {
        self.visited.insert(key.to_string());
        let english = self.english.get(key).map(str::to_string);
        if english.is_none() {
            self.missing.push(key.to_string());
        }
        english
    }

    /// Notes `key` when the document's text there is neither empty nor the
    /// vendor's: a correction wrote it.
    fn check_written(&mut self, key: &str, current: Option<&Value>, said: Option<&str>) {
        let current = current.and_then(Value::as_str).map(str::trim).unwrap_or_default();
        if !current.is_empty() && current != said.map(str::trim).unwrap_or_default() {
            self.twice.push(format!("`{key}`"));
        }
    }
}

/// The text without the rules' notes at its end, and those notes.
fn split_notes(text: &str, notes: &[String]) -> (String, Vec<String>) {
    let mut rest = text.trim().to_string();
    let mut found = Vec::new();
    'strip: loop {
        for note in notes {
            let note = note.trim();
            if rest == note {
                found.insert(0, note.to_string());
                rest.clear();
                break 'strip;
            }
            if let Some(head) = rest.strip_suffix(note).and_then(|h| h.strip_suffix("\n\n")) {
                found.insert(0, note.to_string());
                rest = head.trim_end().to_string();
                continue 'strip;
            }
        }
        break;
    }
    (rest, found)
}

/// The English, then the notes, then the vendor's line, apart by `gap`.
fn compose(english: Option<String>, notes: Vec<String>, vendor_line: Option<String>, gap: &str) -> String {
    english.into_iter().chain(notes).chain(vendor_line).collect::<Vec<_>>().join(gap)
}

fn set(map: &mut Map<String, Value>, field: &str, text: String) {
    if text.is_empty() {
        map.remove(field);
    } else {
        map.insert(field.into(), json!(text));
    }
}

#[cfg(test)]
mod tests;
