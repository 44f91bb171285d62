//! Rules for apidog exports: each holds for every page an apidog export
//! writes and needs no knowledge of Multicard. Each function is one rule.

use serde_json::{Map, Value, json};

use crate::extensions::{APIDOG_NAME, APIDOG_PREFIX, PREFIX, RUN_IN_APIDOG};
use crate::json::escape_pointer;

/// Removes apidog's bookkeeping (`x-apidog-*`, `x-run-in-apidog`), empty
/// titles, empty `headers`/`parameters` lists and `deprecated: false`.
/// `x-apidog-name` (the name of a response) is kept to label its examples;
/// it never reaches the normalized document.
/// Example values are data and are left exactly as they are.
pub fn strip_noise(value: &mut Value) {
    if let Value::Object(map) = value {
        map.retain(|key, v| {
            !((key.starts_with(APIDOG_PREFIX) && key != APIDOG_NAME)
                || key == RUN_IN_APIDOG
                || (key == "title" && v.as_str() == Some(""))
                || (key == "headers" && v.as_object().is_some_and(Map::is_empty))
                || (key == "parameters" && v.as_array().is_some_and(Vec::is_empty))
                || (key == "deprecated" && v == &Value::Bool(false)))
        });
        for (key, child) in map.iter_mut() {
            if key != "example" && key != "examples" && key != "value" {
                strip_noise(child);
            }
        }
    } else if let Value::Array(items) = value {
        for child in items {
            strip_noise(child);
        }
    }
}

/// Calls `f` on a schema and on every schema nested in it (properties,
/// items, compositions), never on example data. `f` runs before the
/// children are visited, so it may reshape the node first.
pub fn visit_schemas_mut(schema: &mut Value, pointer: &str, f: &mut dyn FnMut(&str, &mut Map<String, Value>)) {
    let Value::Object(map) = schema else { return };
    f(pointer, map);
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child) = map.get_mut(key) {
            visit_schemas_mut(child, &format!("{pointer}/{key}"), f);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(items)) = map.get_mut(key) {
            for (i, child) in items.iter_mut().enumerate() {
                visit_schemas_mut(child, &format!("{pointer}/{key}/{i}"), f);
            }
        }
    }
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        for (name, child) in props.iter_mut() {
            visit_schemas_mut(child, &format!("{pointer}/properties/{}", escape_pointer(name)), f);
        }
    }
}

/// Calls `f` on every schema root of an OpenAPI document: components,
/// parameter schemas, request and response bodies.
pub fn visit_document_schemas_mut(doc: &mut Value, f: &mut dyn FnMut(&str, &mut Map<String, Value>)) {
    if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        for (name, schema) in schemas.iter_mut() {
            visit_schemas_mut(schema, &format!("/components/schemas/{}", escape_pointer(name)), f);
        }
    }
    if let Some(Value::Object(paths)) = doc.get_mut("paths") {
        for (path, item) in paths.iter_mut() {
            let Value::Object(methods) = item else {
                continue;
            };
            for (method, op) in methods.iter_mut() {
                let base = format!("/paths/{}/{method}", escape_pointer(path));
                visit_operation_schemas_mut(op, &base, f);
            }
        }
    }
}

/// [`visit_document_schemas_mut`] for one operation object.
pub fn visit_operation_schemas_mut(op: &mut Value, base: &str, f: &mut dyn FnMut(&str, &mut Map<String, Value>)) {
    if let Some(Value::Array(params)) = op.get_mut("parameters") {
        for (i, param) in params.iter_mut().enumerate() {
            if let Some(schema) = param.get_mut("schema") {
                visit_schemas_mut(schema, &format!("{base}/parameters/{i}/schema"), f);
            }
        }
    }
    if let Some(Value::Object(content)) = op.pointer_mut("/requestBody/content") {
        for (media, body) in content.iter_mut() {
            if let Some(schema) = body.get_mut("schema") {
                let p = format!("{base}/requestBody/content/{}/schema", escape_pointer(media));
                visit_schemas_mut(schema, &p, f);
            }
        }
    }
    if let Some(Value::Object(responses)) = op.get_mut("responses") {
        for (status, response) in responses.iter_mut() {
            if let Some(Value::Object(content)) = response.get_mut("content") {
                for (media, body) in content.iter_mut() {
                    if let Some(schema) = body.get_mut("schema") {
                        let p = format!(
                            "{base}/responses/{}/content/{}/schema",
                            escape_pointer(status),
                            escape_pointer(media)
                        );
                        visit_schemas_mut(schema, &p, f);
                    }
                }
            }
        }
    }
}

/// OpenAPI 3.0 has no `null` type. `anyOf: [X, {type: 'null'}]` becomes X
/// with `nullable: true` (a `$ref` is wrapped in `allOf`, since siblings of
/// `$ref` are ignored); a bare `type: 'null'` becomes an untyped nullable
/// schema, whose real type the corrections give.
pub fn rewrite_null_types(map: &mut Map<String, Value>) {
    let is_null = |v: &Value| v.get("type").and_then(Value::as_str) == Some("null");
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(arms)) = map.get(key) else {
            continue;
        };
        if !arms.iter().any(is_null) {
            continue;
        }
        let rest: Vec<Value> = arms.iter().filter(|a| !is_null(a)).cloned().collect();
        map.remove(key);
        match rest.as_slice() {
            [single] if single.get("$ref").is_some() => {
                map.insert("allOf".into(), json!([single]));
            }
            [Value::Object(single)] => {
                for (k, v) in single {
                    if k == "description" && map.contains_key("description") {
                        continue;
                    }
                    map.insert(k.clone(), v.clone());
                }
            }
            _ => {
                map.insert(key.into(), Value::Array(rest));
            }
        }
        map.insert("nullable".into(), Value::Bool(true));
    }
    if map.get("type").and_then(Value::as_str) == Some("null") {
        map.remove("type");
        map.insert("nullable".into(), Value::Bool(true));
    }
}

/// `$ref` with sibling keywords: OpenAPI 3.0 ignores the siblings, and they
/// make the same schema print differently on different pages. Any sibling
/// but `description` is kept by wrapping the reference in `allOf`. A sibling
/// `description` stays until the English is merged (`crate::english`), which
/// quotes it as the vendor's and moves it beside an `allOf`.
pub fn tidy_ref_siblings(map: &mut Map<String, Value>) {
    if !map.contains_key("$ref") || map.keys().all(|k| k == "$ref" || k == "description") {
        return;
    }
    let reference = map.remove("$ref").unwrap_or(Value::Null);
    map.insert("allOf".into(), json!([{"$ref": reference}]));
}

/// The status code and label of an apidog extra response key such as
/// `x-400:Инвойс просрочен`.
pub fn extra_response_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix(PREFIX)?;
    let (status, label) = rest.split_once(':')?;
    (status.len() == 3 && status.chars().all(|c| c.is_ascii_digit())).then_some((status, label.trim()))
}

/// The examples of a response or request body, as a list of (label, value).
/// apidog writes one `example` and names it by `x-apidog-name`, or writes an
/// `examples` map; both are read.
pub fn take_examples(media: &mut Map<String, Value>, default_label: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    if let Some(example) = media.remove("example") {
        out.push((default_label.to_string(), example));
    }
    if let Some(Value::Object(examples)) = media.remove("examples") {
        for (key, example) in examples {
            let label = example
                .get("summary")
                .and_then(Value::as_str)
                .filter(|s| !s.trim().is_empty())
                .map(str::to_string)
                .unwrap_or(key);
            let value = example.get("value").cloned().unwrap_or(Value::Null);
            out.push((label, value));
        }
    }
    out
}

/// Builds an `examples` map with unique keys from labelled examples.
pub fn examples_map(examples: Vec<(String, Value)>) -> Map<String, Value> {
    let mut map = Map::new();
    for (label, value) in examples {
        let base = if label.trim().is_empty() { "example".to_string() } else { label.trim().to_string() };
        let mut key = base.clone();
        let mut n = 2;
        while map.contains_key(&key) {
            key = format!("{base} ({n})");
            n += 1;
        }
        map.insert(key, json!({ "summary": base, "value": value }));
    }
    map
}

/// `true` when a schema says nothing: no type, no properties, no
/// composition (apidog's `{type: object, properties: {}}` placeholder).
pub fn is_empty_schema(schema: &Value) -> bool {
    let Some(map) = schema.as_object() else {
        return true;
    };
    let no_props = map.get("properties").is_none_or(|p| p.as_object().is_some_and(Map::is_empty));
    no_props
        && !map.contains_key("$ref")
        && !map.contains_key("items")
        && !map.contains_key("allOf")
        && !map.contains_key("anyOf")
        && !map.contains_key("oneOf")
        && !map.contains_key("additionalProperties")
        && map.get("type").is_none_or(|t| t == "object")
}

/// Replaces every `$ref` to `#/components/schemas/<from>` by one to `<to>`.
pub fn rename_refs(value: &mut Value, from: &str, to: &str) {
    let old = format!("#/components/schemas/{from}");
    let new = format!("#/components/schemas/{to}");
    crate::json::visit_objects_mut(value, "", &mut |_, map| {
        if map.get("$ref").and_then(Value::as_str) == Some(old.as_str()) {
            map.insert("$ref".into(), Value::String(new.clone()));
        }
    });
}

/// Every path template has the same parameter name at the same place:
/// `/payment/{payment_uuid}` and `/payment/{uuid}` are one template, which
/// OpenAPI requires to be spelled once. For each literal prefix, the name
/// used most often wins (ties: the alphabetically first).
pub fn unify_path_parameters(paths: &[String]) -> std::collections::BTreeMap<(String, String), String> {
    use std::collections::BTreeMap;
    // (prefix before the parameter) -> name -> count
    let mut counts: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut occurrences: Vec<(String, String, String)> = Vec::new(); // path, prefix, name
    for path in paths {
        let mut prefix = String::new();
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                *counts.entry(prefix.clone()).or_default().entry(name.to_string()).or_default() += 1;
                occurrences.push((path.clone(), prefix.clone(), name.to_string()));
                prefix.push_str("/{}");
            } else {
                prefix.push('/');
                prefix.push_str(segment);
            }
        }
    }
    let mut renames = BTreeMap::new();
    for (path, prefix, name) in occurrences {
        let names = &counts[&prefix];
        let best = names
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(n, _)| n.clone())
            .unwrap_or_else(|| name.clone());
        if best != name {
            renames.insert((path, name), best);
        }
    }
    renames
}

/// A property that may be `null` may as well be absent: both mean "no
/// value" to a client, and the vendor's payloads omit such fields as often
/// as they send `null`. Nullable properties leave `required`.
pub fn nullable_is_optional(map: &mut Map<String, Value>) {
    let Some(Value::Object(props)) = map.get("properties") else { return };
    let nullable: Vec<String> = props
        .iter()
        .filter(|(_, p)| p.get("nullable") == Some(&Value::Bool(true)))
        .map(|(name, _)| name.clone())
        .collect();
    if nullable.is_empty() {
        return;
    }
    if let Some(Value::Array(required)) = map.get_mut("required") {
        required.retain(|r| !r.as_str().is_some_and(|r| nullable.iter().any(|n| n == r)));
        if required.is_empty() {
            map.remove("required");
        }
    }
}

/// Keywords that describe a schema without constraining its values.
const ANNOTATIONS: [&str; 8] =
    ["description", "title", "example", "default", "deprecated", "readOnly", "writeOnly", "externalDocs"];

/// `nullable: true` takes effect in OpenAPI 3.0.3 only beside a `type` in
/// the same schema. Beside `allOf`, `oneOf`, `anyOf` or `$ref` it changes
/// nothing, so a strict validator rejects `null` there (the vendor's
/// `payment: null`, `split: null`), and Redocly and Spectral call it an
/// error. Such a schema becomes `anyOf: [<it>, {enum: [null]}]`: an arm that
/// accepts exactly `null` needs no `type`, so every 3.0.3 reader sees "this,
/// or null", and typify still makes `Option<T>` of it. A lone `allOf`
/// reference becomes the first arm itself; annotations (`description`, ...)
/// stay outside. An untyped schema with no composition already accepts
/// `null`: its `nullable` is dropped (and `null` added to its `enum`, if it
/// has one, so that it keeps accepting `null`).
pub fn explicit_null_arms(map: &mut Map<String, Value>) {
    if map.get("nullable") != Some(&Value::Bool(true)) || map.contains_key("type") {
        return;
    }
    map.remove("nullable");
    let composed = ["allOf", "oneOf", "anyOf", "$ref", "not"].iter().any(|k| map.contains_key(*k));
    if !composed {
        if let Some(Value::Array(values)) = map.get_mut("enum")
            && !values.contains(&Value::Null)
        {
            values.push(Value::Null);
        }
        return;
    }
    let mut inner = Map::new();
    for (key, value) in std::mem::take(map) {
        if ANNOTATIONS.contains(&key.as_str()) {
            map.insert(key, value);
        } else {
            inner.insert(key, value);
        }
    }
    let first = match inner.get("allOf") {
        Some(Value::Array(arms)) if inner.len() == 1 && arms.len() == 1 && arms[0].get("$ref").is_some() => {
            arms[0].clone()
        }
        _ => Value::Object(inner),
    };
    map.insert("anyOf".into(), json!([first, {"enum": [null]}]));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(schema: Value) -> Value {
        let mut schema = schema;
        visit_schemas_mut(&mut schema, "", &mut |_, map| explicit_null_arms(map));
        schema
    }

    #[test]
    fn a_nullable_reference_gets_an_explicit_null_arm() {
        let schema = json!({"description": "The payment once paid.", "allOf": [{"$ref": "#/components/schemas/P"}],
            "nullable": true});
        assert_eq!(
            rewritten(schema),
            json!({"description": "The payment once paid.",
                "anyOf": [{"$ref": "#/components/schemas/P"}, {"enum": [null]}]})
        );
    }

    #[test]
    fn other_compositions_keep_their_constraints_inside_the_first_arm() {
        let schema = json!({"title": "T", "oneOf": [{"type": "integer"}, {"type": "string"}], "nullable": true});
        assert_eq!(
            rewritten(schema),
            json!({"title": "T", "anyOf": [{"oneOf": [{"type": "integer"}, {"type": "string"}]}, {"enum": [null]}]})
        );
        let two = json!({"allOf": [{"$ref": "#/a"}, {"$ref": "#/b"}], "nullable": true});
        assert_eq!(rewritten(two), json!({"anyOf": [{"allOf": [{"$ref": "#/a"}, {"$ref": "#/b"}]}, {"enum": [null]}]}));
    }

    #[test]
    fn nested_schemas_are_rewritten_and_typed_ones_are_left_alone() {
        let schema = json!({"type": "object", "nullable": true, "properties": {
            "split": {"allOf": [{"$ref": "#/s"}], "nullable": true},
            "phone": {"type": "string", "nullable": true}}});
        let out = rewritten(schema);
        assert_eq!(out["nullable"], json!(true), "beside `type`, `nullable` works");
        assert_eq!(out["properties"]["phone"], json!({"type": "string", "nullable": true}));
        assert_eq!(out["properties"]["split"], json!({"anyOf": [{"$ref": "#/s"}, {"enum": [null]}]}));
    }

    #[test]
    fn an_untyped_schema_already_accepts_null() {
        assert_eq!(
            rewritten(json!({"description": "Anything.", "nullable": true})),
            json!({"description": "Anything."})
        );
        assert_eq!(rewritten(json!({"enum": ["a"], "nullable": true})), json!({"enum": ["a", null]}));
        assert_eq!(rewritten(json!({"allOf": [{"$ref": "#/a"}]})), json!({"allOf": [{"$ref": "#/a"}]}), "not nullable");
    }
}
