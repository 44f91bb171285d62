//! The change report: what a new spec changes against the committed one,
//! in the terms of the people who use the SDK. Every change names the
//! operations it reaches (method, path, `operationId`), the full field path
//! (`get_card.data.bank.country_code`), the old and new value, and a verdict
//! judged against the generated Rust API; the report ends with the semver
//! bump the crate needs and a section ready for `CHANGELOG.md`.
//!
//! Here, [`compare`] runs the comparison; `change.rs` holds what a change
//! and the report are, `reach.rs` finds who uses each schema,
//! `operations.rs` and `schema.rs` judge the changes, `markdown.rs` writes
//! the changelog section.

mod change;
mod markdown;
pub mod operations;
pub mod reach;
pub mod schema;

use serde_json::{Map, Value};

pub use change::{Change, Level, Report, Semver, semver_note};
pub use reach::{Direction, OpRef, Use};

/// Compares the committed document `old` with the new one. `callbacks` are
/// the component names of the callback payloads (no operation reaches them).
pub fn compare(old: &Value, new: &Value, callbacks: &[String]) -> Report {
    let mut changes = Vec::new();
    operations::compare(old, new, &mut changes);
    schemas(old, new, callbacks, &mut changes);
    document(old, new, &mut changes);
    changes.sort_by(|a, b| (a.level, &a.subject, &a.what).cmp(&(b.level, &b.subject, &b.what)));
    changes.dedup();
    Report { changes }
}

fn schemas(old: &Value, new: &Value, callbacks: &[String], out: &mut Vec<Change>) {
    let empty = Map::new();
    let old_schemas = old.pointer("/components/schemas").and_then(Value::as_object).unwrap_or(&empty);
    let new_schemas = new.pointer("/components/schemas").and_then(Value::as_object).unwrap_or(&empty);
    let mut uses = reach::uses(old, callbacks);
    for (name, list) in reach::uses(new, callbacks) {
        let all = uses.entry(name).or_default();
        all.extend(list);
        all.sort();
        all.dedup();
    }
    let no_uses = Vec::new();
    let mut names: Vec<&String> = old_schemas.keys().chain(new_schemas.keys()).collect();
    names.sort();
    names.dedup();
    for name in names {
        let list = uses.get(name.as_str()).unwrap_or(&no_uses);
        let sent = list.iter().any(|u| u.direction == Direction::Sent);
        let change = |level, what: &str, old, new, why: String, inner: &str| Change {
            level,
            subject: format!("{name}{inner}"),
            what: what.to_string(),
            old,
            new,
            why,
            uses: list.iter().map(|u| Use { field: format!("{}{inner}", u.field), ..u.clone() }).collect(),
        };
        match (old_schemas.get(name), new_schemas.get(name)) {
            (Some(schema), None) => out.push(change(
                Level::Breaking,
                "type removed",
                Some(schema::label(schema)),
                None,
                format!("the type `types::{name}` is gone: code that names it stops compiling"),
                "",
            )),
            (None, Some(schema)) => out.push(change(
                Level::Minor,
                "type added",
                None,
                Some(schema::label(schema)),
                format!("a new type `types::{name}`"),
                "",
            )),
            (Some(a), Some(b)) if a != b => {
                for finding in schema::compare(name, a, b, sent) {
                    out.push(change(
                        finding.level,
                        &finding.what,
                        finding.old,
                        finding.new,
                        finding.why,
                        &finding.inner,
                    ));
                }
            }
            _ => {}
        }
    }
}

fn document(old: &Value, new: &Value, out: &mut Vec<Change>) {
    for (pointer, level, why) in [
        ("/openapi", Level::Patch, "the document's OpenAPI version"),
        ("/info/version", Level::Minor, "every request sends it as the `api-version` header"),
        ("/info/title", Level::Patch, "documentation only"),
        ("/info/description", Level::Patch, "documentation only"),
        ("/servers", Level::Minor, "the documented base URLs"),
        ("/tags", Level::Patch, "documentation only (tags do not name generated code)"),
        ("/security", Level::Minor, "whether operations need the bearer token"),
        ("/components/securitySchemes", Level::Minor, "how the token is sent"),
    ] {
        if old.pointer(pointer) != new.pointer(pointer) {
            out.push(Change {
                level,
                subject: format!("document {pointer}"),
                what: "changed".to_string(),
                old: None,
                new: None,
                why: why.to_string(),
                uses: Vec::new(),
            });
        }
    }
}
