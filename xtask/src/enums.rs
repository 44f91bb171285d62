//! Every string enum of the document becomes a named component, so that
//! the generated code can make each one open (an unknown value from the
//! server still decodes).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::apidog;
use crate::error::Result;
use crate::json::{escape_pointer, pascal_case};

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// Every string enum becomes a named component, so that the generated code
/// can make each one open (an unknown value from the server still decodes).
/// An inline enum with the same values as an existing one reuses it.
pub fn hoist_inline_enums(doc: &mut Value) -> Result<()> {
    let mut by_values: BTreeMap<Vec<String>, String> = BTreeMap::new();
    let enum_values = |map: &Map<String, Value>| -> Option<Vec<String>> {
        if map.get("type").and_then(Value::as_str) != Some("string") {
            return None;
        }
        let values = map.get("enum")?.as_array()?;
        let mut out: Vec<String> = values.iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
        out.sort();
        Some(out)
    };
    if let Some(Value::Object(schemas)) = doc.pointer("/components/schemas") {
        for (name, schema) in schemas {
            if let Some(values) = schema.as_object().and_then(enum_values) {
                by_values.entry(values).or_insert_with(|| name.clone());
            }
        }
    }
    // operation pointer prefix -> (operationId, parameter names)
    let mut owners: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    if let Some(Value::Object(paths)) = doc.get("paths") {
        for (path, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                let id = op.get("operationId").and_then(Value::as_str).unwrap_or_default().to_string();
                let params = op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .map(|ps| {
                        ps.iter()
                            .map(|p| p.get("name").and_then(Value::as_str).unwrap_or_default().to_string())
                            .collect()
                    })
                    .unwrap_or_default();
                owners.insert(format!("/paths/{}/{method}/", escape_pointer(path)), (id, params));
            }
        }
    }
    let mut new_components: Vec<(String, Value)> = Vec::new();
    let mut taken: BTreeSet<String> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    apidog::visit_document_schemas_mut(doc, &mut |pointer, map| {
        let Some(values) = enum_values(map) else {
            return;
        };
        if pointer.starts_with("/components/schemas/") && pointer.matches('/').count() == 3 {
            return; // already a component
        }
        let name = by_values.get(&values).cloned().unwrap_or_else(|| {
            let name = enum_name(pointer, &owners, &taken);
            taken.insert(name.clone());
            let mut schema = map.clone();
            schema.remove("description");
            schema.remove("default");
            new_components.push((name.clone(), Value::Object(schema)));
            by_values.insert(values.clone(), name.clone());
            name
        });
        let description = map.remove("description");
        let nullable = map.remove("nullable");
        map.clear();
        if nullable.is_some() || description.is_some() {
            map.insert("allOf".into(), json!([reference(&name)]));
            if let Some(d) = description {
                map.insert("description".into(), d);
            }
            if let Some(n) = nullable {
                map.insert("nullable".into(), n);
            }
        } else {
            map.insert("$ref".into(), json!(format!("#/components/schemas/{name}")));
        }
    });
    if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        for (name, schema) in new_components {
            schemas.insert(name, schema);
        }
    }
    Ok(())
}

/// A component name for an inline enum at `pointer`: the owning component
/// or operation, then the property or parameter name.
fn enum_name(pointer: &str, owners: &BTreeMap<String, (String, Vec<String>)>, taken: &BTreeSet<String>) -> String {
    let parts: Vec<&str> = pointer.split('/').collect();
    let operation = owners.iter().find(|(prefix, _)| pointer.starts_with(prefix.as_str()));
    let owner = match operation {
        _ if pointer.starts_with("/components/schemas/") => parts[3].to_string(),
        Some((_, (id, _))) => id.clone(),
        None => String::new(),
    };
    let parameter = operation.and_then(|(prefix, (_, params))| {
        let rest = pointer.strip_prefix(prefix.as_str())?.strip_prefix("parameters/")?;
        let index: usize = rest.split('/').next()?.parse().ok()?;
        params.get(index).cloned()
    });
    let leaf = parts
        .iter()
        .rev()
        .zip(parts.iter().rev().skip(1))
        .find(|(_, before)| **before == "properties")
        .map(|(name, _)| name.to_string())
        .or(parameter)
        .unwrap_or_else(|| "value".to_string());
    let mut name = format!("{}{}", pascal_case(&owner), pascal_case(&leaf));
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{}{}{n}", pascal_case(&owner), pascal_case(&leaf));
        n += 1;
    }
    name
}
