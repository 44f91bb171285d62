//! The promises the normalized document keeps, checked on every run, and
//! its last tidying step.

use serde_json::{Map, Value};

use crate::corrections::Corrections;
use crate::error::{RegenError, Result};
use crate::extensions::{KEPT, MONEY, PREFIX, SENSITIVE};

/// Sorts the component schemas by name.
pub fn sort_schemas(doc: &mut Value) {
    if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        let mut entries: Vec<(String, Value)> = std::mem::take(schemas).into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        schemas.extend(entries);
    }
}

/// The promises the normalized document keeps, checked on every run.
pub fn check(doc: &Value, corrections: &Corrections) -> Result<()> {
    let fail = |pointer: &str, message: String| Err(RegenError::new(message).at(pointer.to_string()));
    let schemas = doc.pointer("/components/schemas").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut problem: Option<(String, String)> = None;
    let mut copy = doc.clone();
    crate::json::visit_objects_mut(&mut copy, "", &mut |pointer, map| {
        if problem.is_some() {
            return;
        }
        if pointer.contains("/examples/") || pointer.ends_with("/example") || pointer.contains("/example/") {
            return;
        }
        for (key, value) in map.iter() {
            if key == SENSITIVE {
                if let Err(message) = crate::sensitive::check_mark(pointer, value) {
                    problem = Some((pointer.to_string(), message));
                }
            } else if key == MONEY {
                if let Err(message) = crate::money::check_mark(pointer, map) {
                    problem = Some((pointer.to_string(), message));
                }
            } else if key.starts_with(PREFIX) && !KEPT.contains(&key.as_str()) {
                problem = Some((pointer.to_string(), format!("extension `{key}` left in the document")));
            }
        }
        if map.get("type").and_then(Value::as_str) == Some("null") {
            problem = Some((pointer.to_string(), "`type: null` is not OpenAPI 3.0".into()));
        }
        if let Some(target) = map.get("$ref").and_then(Value::as_str) {
            let name = target.strip_prefix("#/components/schemas/").unwrap_or(target);
            if !schemas.contains_key(name) {
                problem = Some((pointer.to_string(), format!("`$ref` to `{target}`, which does not exist")));
            }
        }
    });
    if let Some((pointer, message)) = problem {
        return fail(&pointer, message);
    }
    let mut count = 0;
    if let Some(Value::Object(paths)) = doc.get("paths") {
        for item in paths.values() {
            count += item.as_object().map_or(0, Map::len);
        }
    }
    if count != corrections.operations.len() {
        return fail(
            "/paths",
            format!("{count} operations, but the corrections list {}", corrections.operations.len()),
        );
    }
    let _: openapiv3::OpenAPI = serde_json::from_value(doc.clone())
        .map_err(|e| RegenError::new(format!("the normalized document is not OpenAPI 3.0: {e}")))?;
    Ok(())
}
