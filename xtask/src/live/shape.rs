//! The shape of the answers an operation got, never their values: per HTTP
//! status, every field path (`data.store.id`, arrays as `data.items[]`),
//! the JSON types seen there and whether it was always present; for fields
//! the spec declares as enums, the values seen; the `error.code` values.
//!
//! This is what `spec/observed/<operationId>.json` holds. Nothing else of
//! an answer is kept: no amounts, PANs, tokens, phones or messages. An enum
//! value the spec does not name is kept only when it looks like an enum
//! name (`snake_case` or `UPPER_SNAKE`, at most 32 characters, no digits),
//! so a card number or a token sent where an enum belongs is withheld; so
//! is a field name the spec does not declare that does not look like
//! Multicard's (`snake_case`: lowercase letters, `_`, `-`, fewer than 4
//! digits, at most 64 characters).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::spec::{JsonType, Spec};

/// The path of the body itself.
pub const ROOT: &str = "$";
/// What replaces a field name that looks like a value.
pub const WITHHELD_NAME: &str = "<name withheld>";
/// What replaces an enum value that does not look like an enum name.
pub const WITHHELD_VALUE: &str = "<value withheld>";

/// Whether a field is in every answer whose parent object was there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    /// In every one.
    Always,
    /// Absent from some.
    Sometimes,
}

/// What kind of body an answer had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BodyKind {
    /// JSON.
    Json,
    /// No body.
    Empty,
    /// A body that is not JSON (an HTML error page, text).
    NotJson,
}

/// One field path of the answers with one status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Field {
    /// The JSON types seen.
    pub types: BTreeSet<JsonType>,
    /// Whether it was in every answer that had its parent object.
    pub presence: Presence,
    /// For a field the spec declares as an enum: the values seen.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub enum_values: BTreeSet<String>,
    /// How often each type was seen in this run (not written).
    #[serde(skip)]
    counts: BTreeMap<JsonType, u64>,
}

/// Two fields are equal when what is written of them is.
impl PartialEq for Field {
    fn eq(&self, other: &Self) -> bool {
        self.types == other.types && self.presence == other.presence && self.enum_values == other.enum_values
    }
}

/// The answers with one HTTP status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The kinds of body seen.
    pub bodies: BTreeSet<BodyKind>,
    /// Every field path seen in the JSON bodies.
    pub fields: BTreeMap<String, Field>,
    /// The `error.code` values seen.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub error_codes: BTreeSet<String>,
}

/// Everything observed of one operation: `spec/observed/<operationId>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    /// `get_payment`.
    pub operation: String,
    /// `GET`.
    pub method: String,
    /// The path template, `/payment/{uuid}` (never a path with ids in it).
    pub path: String,
    /// The answers, by HTTP status.
    pub answers: BTreeMap<String, Answer>,
}

impl Observed {
    /// Nothing observed yet.
    pub fn new(operation: &str, method: &str, path: &str) -> Self {
        Self {
            operation: operation.to_string(),
            method: method.to_string(),
            path: path.to_string(),
            answers: BTreeMap::new(),
        }
    }

    /// Records the shape of one answer. `body` is the raw body; the spec
    /// tells which fields are enums. `sent` holds the values the run sent or
    /// learned (the secret, the token, the card token, the card number, the
    /// phone): a name or value holding one of them is withheld, whatever it
    /// looks like.
    pub fn record(&mut self, spec: &Spec, status: u16, body: &[u8], sent: &[String]) {
        let status = status.to_string();
        let answer = self.answers.entry(status.clone()).or_insert_with(|| Answer {
            bodies: BTreeSet::new(),
            fields: BTreeMap::new(),
            error_codes: BTreeSet::new(),
        });
        if body.iter().all(u8::is_ascii_whitespace) {
            answer.bodies.insert(BodyKind::Empty);
            return;
        }
        let Ok(value) = serde_json::from_slice::<Value>(body) else {
            answer.bodies.insert(BodyKind::NotJson);
            return;
        };
        answer.bodies.insert(BodyKind::Json);
        if let Some(Value::String(code)) = value.pointer("/error/code") {
            // Multicard's codes are `ERROR_…`: anything else is withheld.
            let shown =
                if code.starts_with("ERROR_") { enum_value(code, None, sent) } else { WITHHELD_VALUE.to_string() };
            answer.error_codes.insert(shown);
        }
        let operations = spec.operations();
        let schema = operations
            .get(&self.operation)
            .and_then(|op| op.responses.get(&status).or_else(|| op.responses.get("default")).copied().flatten());
        // An error envelope under an undocumented status is read as one.
        let schema = match schema {
            None if value.get("error").is_some()
                && !operations.get(&self.operation).is_some_and(|op| op.responses.contains_key(&status)) =>
            {
                spec.component("ErrorResponse")
            }
            schema => schema,
        };
        let schemas: Vec<&Value> = schema.into_iter().collect();
        walk(spec, &schemas, ROOT, &value, answer, sent);
        finish(answer);
    }
}

/// The field path of `name` under `parent`.
pub fn child_path(parent: &str, name: &str) -> String {
    if parent == ROOT { name.to_string() } else { format!("{parent}.{name}") }
}

/// The path of the items of the array at `parent`.
pub fn items_path(parent: &str) -> String {
    if parent == ROOT { "[]".to_string() } else { format!("{parent}[]") }
}

/// Whether `text` holds one of the values the run sent or learned (case
/// and separators aside: `Pw18-AXE` holds `pw18axe`).
pub fn holds_sent(text: &str, sent: &[String]) -> bool {
    let squash = |t: &str| t.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    let text = squash(text);
    sent.iter().map(|s| squash(s)).filter(|s| s.len() >= 4).any(|s| text.contains(&s))
}

/// An error code as it may be shown: Multicard's style (`ERROR_` and
/// upper-case letters and `_`) and holding nothing the run sent or learned;
/// `None` otherwise.
pub fn error_code(code: &str, sent: &[String]) -> Option<String> {
    let styled = code.starts_with("ERROR_") && code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
    (styled && !holds_sent(code, sent)).then(|| code.to_string())
}

/// A field name as it may be written: verbatim when it looks like
/// Multicard's (`snake_case`), [`WITHHELD_NAME`] otherwise.
pub fn shown_name(name: &str, sent: &[String]) -> String {
    if looks_like_name(name, sent) { name.to_string() } else { WITHHELD_NAME.to_string() }
}

fn looks_like_name(name: &str, sent: &[String]) -> bool {
    let digits = name.bytes().filter(u8::is_ascii_digit).count();
    !holds_sent(name, sent)
        && !name.is_empty()
        && name.len() <= 64
        && digits < 4
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// An enum value as it may be written: verbatim when the spec names it or
/// it looks like an enum name, withheld otherwise.
pub fn enum_value(value: &str, named: Option<&BTreeSet<String>>, sent: &[String]) -> String {
    let named_set = named;
    let named = named.is_some_and(|names| names.contains(value));
    // `refunded_partly`, `ERROR_SOMETHING`: one case, words joined by `_`,
    // no digits, no dots (a domain is not an enum name); a token (mixed
    // case, digits) is not either; nor anything holding a value the run
    // sent or learned.
    let lower = value.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    let upper = value.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
    // An unknown value is kept only in the style of the values the spec
    // names: the same case, and the same `ERROR_` prefix for error codes.
    let style = |names: &BTreeSet<String>| {
        let all = |f: fn(&str) -> bool| !names.is_empty() && names.iter().all(|n| f(n));
        let upper_ok = !all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())) || lower;
        let lower_ok = !all(|n| n.bytes().all(|b| b.is_ascii_uppercase() || b == b'_' || b.is_ascii_digit())) || upper;
        let prefix_ok = !all(|n| n.starts_with("ERROR_")) || value.starts_with("ERROR_");
        upper_ok && lower_ok && prefix_ok
    };
    let styled = named_set.is_none_or(style);
    let enum_like = !value.is_empty() && value.len() <= 32 && (lower || upper) && styled && !holds_sent(value, sent);
    if named || enum_like { value.to_string() } else { WITHHELD_VALUE.to_string() }
}

fn walk(spec: &Spec, schemas: &[&Value], path: &str, value: &Value, answer: &mut Answer, sent: &[String]) {
    let expect = spec.expect(schemas);
    let kind = JsonType::of(value);
    let field = answer.fields.entry(path.to_string()).or_insert_with(|| Field {
        types: BTreeSet::new(),
        presence: Presence::Always,
        enum_values: BTreeSet::new(),
        counts: BTreeMap::new(),
    });
    field.types.insert(kind);
    *field.counts.entry(kind).or_default() += 1;
    let enum_names = expect.as_ref().and_then(|e| e.enum_values.as_ref());
    if let Some(names) = enum_names {
        match value {
            Value::String(s) => {
                field.enum_values.insert(enum_value(s, Some(names), sent));
            }
            Value::Number(_) | Value::Bool(_) if names.contains(&value.to_string()) => {
                field.enum_values.insert(value.to_string());
            }
            _ => {}
        }
    }
    match value {
        Value::Object(map) => {
            for (name, child) in map {
                let declared = expect.as_ref().and_then(|e| e.properties.get(name));
                let name =
                    if declared.is_some() || looks_like_name(name, sent) { name.as_str() } else { WITHHELD_NAME };
                let child_schemas: Vec<&Value> = declared.cloned().unwrap_or_default();
                walk(spec, &child_schemas, &child_path(path, name), child, answer, sent);
            }
        }
        Value::Array(items) => {
            let item_schemas: Vec<&Value> = expect.as_ref().map(|e| e.items.clone()).unwrap_or_default();
            for item in items {
                walk(spec, &item_schemas, &items_path(path), item, answer, sent);
            }
        }
        _ => {}
    }
}

/// The parent path of a field path (`None` for the root).
pub fn parent_path(path: &str) -> Option<&str> {
    if path == ROOT {
        return None;
    }
    if let Some(parent) = path.strip_suffix("[]") {
        return Some(if parent.is_empty() { ROOT } else { parent });
    }
    Some(path.rfind('.').map_or(ROOT, |dot| &path[..dot]))
}

/// Sets every field's presence from the counts: a field seen fewer times
/// than its parent was an object (or an array, for items) was sometimes
/// absent.
fn finish(answer: &mut Answer) {
    let totals: BTreeMap<String, BTreeMap<JsonType, u64>> =
        answer.fields.iter().map(|(path, field)| (path.clone(), field.counts.clone())).collect();
    for (path, field) in &mut answer.fields {
        let Some(parent) = parent_path(path) else { continue };
        if path.ends_with("[]") {
            continue;
        }
        let parent_objects = totals.get(parent).and_then(|c| c.get(&JsonType::Object)).copied().unwrap_or(0);
        let seen: u64 = field.counts.values().sum();
        field.presence = if seen >= parent_objects { Presence::Always } else { Presence::Sometimes };
    }
}

/// The file of the folder that holds the probes' answers, not an
/// operation's observations (`read_all` leaves it alone).
pub const PROBES_FILE: &str = "probes.json";

/// The file of the folder that holds the receipt probes' answers
/// (`--probe-receipts`), not an operation's observations (`read_all` leaves
/// it alone).
pub const RECEIPTS_FILE: &str = "receipts.json";

/// The file name of an operation's observations.
pub fn file_name(operation: &str) -> String {
    format!("{operation}.json")
}

/// Writes observations as stable, sorted, pretty JSON, one file per
/// operation; returns the files written.
pub fn write_all(dir: &Path, observed: &BTreeMap<String, Observed>) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (operation, observed) in observed {
        let file = dir.join(file_name(operation));
        let mut text = serde_json::to_string_pretty(observed).map_err(std::io::Error::other)?;
        text.push('\n');
        std::fs::write(&file, text)?;
        written.push(file);
    }
    Ok(written)
}

/// Reads every `*.json` of a folder of observations.
pub fn read_all(dir: &Path) -> Result<BTreeMap<String, Observed>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: cannot read: {e}", dir.display()))?;
    let mut files: Vec<std::path::PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .filter(|path| path.file_name().is_none_or(|name| name != PROBES_FILE && name != RECEIPTS_FILE))
        .collect();
    files.sort();
    let mut observed = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: cannot read: {e}", file.display()))?;
        let one: Observed =
            serde_json::from_str(&text).map_err(|e| format!("{}: not an observation file: {e}", file.display()))?;
        observed.insert(one.operation.clone(), one);
    }
    Ok(observed)
}
