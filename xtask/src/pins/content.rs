//! The pinned content that is read off the vendor's pages directly (what a
//! rename depends on), and how two versions of pinned content differ.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{Value, json};

use super::ledger::{Key, Ledger};
use crate::corrections::Corrections;
use crate::error::{RegenError, Result};
use crate::vendor::Page;

/// Records what each rename depends on: which of its two names the vendor
/// defines and refers to, and on which pages. A rename is a decision about
/// the vendor's spelling; when the vendor starts to define the new name
/// itself, or stops using the old one, a person decides again. A page that
/// defines both names is an error: one definition would silently replace
/// the other.
pub fn from_pages(pages: &[Page], corrections: &Corrections, ledger: &mut Ledger) -> Result<()> {
    for rename in &corrections.rename_schemas {
        let names = [rename.from.as_str(), rename.to.as_str()];
        let mut defined = BTreeSet::new();
        let mut referred = BTreeSet::new();
        let mut from: Vec<PathBuf> = Vec::new();
        for page in pages {
            let Some(document) = &page.document else { continue };
            let schemas = document.pointer("/components/schemas").and_then(Value::as_object);
            let here: Vec<&str> =
                names.iter().copied().filter(|n| schemas.is_some_and(|s| s.contains_key(*n))).collect();
            if here.len() == 2 {
                return Err(RegenError::in_file(
                    &page.path,
                    format!(
                        "the page defines both `{}` and `{}`: the rename would replace one with the other; \
                         re-decide `rename_schemas` in spec/corrections.yaml",
                        rename.from, rename.to
                    ),
                ));
            }
            let mut refs = BTreeSet::new();
            collect_refs(document, &mut refs);
            let refs: Vec<&str> = names.iter().copied().filter(|n| refs.contains(*n)).collect();
            if !here.is_empty() || !refs.is_empty() {
                from.push(page.path.clone());
            }
            defined.extend(here);
            referred.extend(refs);
        }
        let content = json!({ "defined": defined, "referred to": referred });
        ledger.record(Key::Rename(rename.from.clone()), content, defined_pages(pages, &names, from));
    }
    Ok(())
}

/// Of the pages that use a rename's names, the ones that define them (the
/// model page first), or all of them when none does.
fn defined_pages(pages: &[Page], names: &[&str; 2], using: Vec<PathBuf>) -> Vec<PathBuf> {
    let defining: Vec<PathBuf> = pages
        .iter()
        .filter(|p| {
            let schemas = p.document.as_ref().and_then(|d| d.pointer("/components/schemas")).and_then(Value::as_object);
            names.iter().any(|n| schemas.is_some_and(|s| s.contains_key(*n)))
        })
        .map(|p| p.path.clone())
        .collect();
    if defining.is_empty() { using } else { defining }
}

fn collect_refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "example" || key == "examples" {
                    continue;
                }
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => {
                        if let Some(name) = target.strip_prefix("#/components/schemas/") {
                            out.insert(name.to_string());
                        }
                    }
                    _ => collect_refs(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, out)),
        _ => {}
    }
}

/// A value as compact JSON, cut to one readable line.
pub fn compact(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 160 { text } else { format!("{}…", text.chars().take(159).collect::<String>()) }
}

/// The differences between two versions of pinned content, one line each,
/// naming the page where the content is kept by page.
pub fn differences(old: &Value, new: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(old, new, "", &mut out);
    if out.is_empty() && old != new {
        out.push(format!("{} -> {}", compact(old), compact(new)));
    }
    out
}

fn walk(old: &Value, new: &Value, at: &str, out: &mut Vec<String>) {
    let place = |key: &str| {
        if at.is_empty() && (key.ends_with(".md") || key.contains(".md/")) {
            format!("page {key}:")
        } else {
            format!("{at}/{}", crate::json::escape_pointer(key))
        }
    };
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let here = place(key);
                match (a.get(key), b.get(key)) {
                    (Some(x), None) => out.push(format!("{here} removed (was {})", compact(x))),
                    (None, Some(y)) => out.push(format!("{here} added: {}", compact(y))),
                    (Some(x), Some(y)) => walk(x, y, &here, out),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.iter().chain(b).all(|v| !v.is_object() && !v.is_array()) => {
            if a == b {
                return;
            }
            let show = |items: Vec<&Value>| {
                items
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let removed: Vec<&Value> = a.iter().filter(|v| !b.contains(v)).collect();
            let added: Vec<&Value> = b.iter().filter(|v| !a.contains(v)).collect();
            let at = if at.is_empty() { "/" } else { at };
            let mut parts = Vec::new();
            if !removed.is_empty() {
                parts.push(format!("removed {}", show(removed)));
            }
            if !added.is_empty() {
                parts.push(format!("added {}", show(added)));
            }
            if parts.is_empty() {
                parts.push("order changed".to_string());
            }
            out.push(format!("{at} values: {}", parts.join("; ")));
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (index, (x, y)) in a.iter().zip(b).enumerate() {
                walk(x, y, &format!("{at}[{index}]"), out);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            let at = if at.is_empty() { "/" } else { at };
            for item in a.iter().filter(|v| !b.contains(v)) {
                out.push(format!("{at} removed {}", compact(item)));
            }
            for item in b.iter().filter(|v| !a.contains(v)) {
                out.push(format!("{at} added {}", compact(item)));
            }
        }
        _ if old == new => {}
        _ => {
            let at = if at.is_empty() { "/" } else { at };
            out.push(format!("{at}: {} -> {}", compact(old), compact(new)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_name_the_page_and_the_place() {
        let old =
            json!({"endpoints/a-1e0.md": [{"properties": {"data": {"type": "object"}}, "required": ["success"]}]});
        let new = json!({"endpoints/a-1e0.md": [{"properties": {"data": {"type": "object"}, "meta": {"type": "string"}}, "required": ["meta", "success"]}]});
        assert_eq!(
            differences(&old, &new),
            [
                "page endpoints/a-1e0.md:[0]/properties/meta added: {\"type\":\"string\"}",
                "page endpoints/a-1e0.md:[0]/required values: added meta",
            ]
        );
        assert_eq!(
            differences(&json!(["draft", "revert"]), &json!(["draft", "refunded"])),
            ["/ values: removed revert; added refunded"]
        );
        assert_eq!(
            differences(&json!({"type": "integer"}), &json!("<absent>")),
            ["/: {\"type\":\"integer\"} -> \"<absent>\""]
        );
    }
}
