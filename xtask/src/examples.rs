//! Examples a validator can check.
//!
//! apidog stores a response example that refers to another model as JSON
//! *text* with the model's name in braces where its value would go:
//! `"data": {PaymentModel}`, `"store": {StoreModel}`; once the text has been
//! parsed the same placeholder may remain as a string (`payment:
//! '{PaymentModel}'`). Neither is a value of the schema, so no validator can
//! check such an example and a strict one rejects it. The rule, for every
//! example of a JSON body whose schema is not a string:
//!
//! - JSON text becomes the value it spells, each `{Name}` placeholder
//!   standing for a value the example does not show;
//! - a member or item whose value is such a placeholder is left out (the
//!   model it names is described by its schema, not by this example);
//! - an example with nothing left to show (only `success`, or nothing) and
//!   text that is not JSON even so (an empty string) are dropped.

use serde_json::{Map, Value};

use crate::json::escape_pointer;

/// What [`clean_examples`] did, for the tests and the curious.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Cleaned {
    /// Examples whose text was parsed or whose placeholders were left out.
    pub rewritten: Vec<String>,
    /// Examples dropped, as JSON pointers.
    pub dropped: Vec<String>,
}

/// Applies the rule to every request and response example of `doc`.
pub fn clean_examples(doc: &mut Value) -> Cleaned {
    let schemas = doc.pointer("/components/schemas").cloned().unwrap_or(Value::Null);
    let mut cleaned = Cleaned::default();
    let Some(Value::Object(paths)) = doc.get_mut("paths") else {
        return cleaned;
    };
    for (path, item) in paths.iter_mut() {
        for (method, op) in item.as_object_mut().into_iter().flatten() {
            let base = format!("/paths/{}/{method}", escape_pointer(path));
            if let Some(body) = op.pointer_mut("/requestBody/content/application~1json") {
                clean_media(body, &schemas, &format!("{base}/requestBody"), &mut cleaned);
            }
            for (status, response) in op.get_mut("responses").and_then(Value::as_object_mut).into_iter().flatten() {
                if let Some(body) = response.pointer_mut("/content/application~1json") {
                    clean_media(body, &schemas, &format!("{base}/responses/{status}"), &mut cleaned);
                }
            }
        }
    }
    cleaned
}

fn clean_media(media: &mut Value, schemas: &Value, pointer: &str, cleaned: &mut Cleaned) {
    let schema = media.get("schema").cloned().unwrap_or(Value::Null);
    let resolved = match schema.get("$ref").and_then(Value::as_str) {
        Some(target) => target.strip_prefix("#/components/schemas/").and_then(|n| schemas.get(n)).unwrap_or(&schema),
        None => &schema,
    };
    if resolved.get("type").and_then(Value::as_str) == Some("string") {
        return; // text is a value of this schema
    }
    let Some(Value::Object(examples)) = media.get_mut("examples") else {
        return;
    };
    let mut kept = Map::new();
    for (name, mut example) in std::mem::take(examples) {
        let place = format!("{pointer}/examples/{}", escape_pointer(&name));
        let value = example.get("value").cloned().unwrap_or(Value::Null);
        match checkable(&value) {
            Some(clean) if clean == value => {
                kept.insert(name, example);
            }
            Some(clean) => {
                example["value"] = clean;
                kept.insert(name, example);
                cleaned.rewritten.push(place);
            }
            None => cleaned.dropped.push(place),
        }
    }
    if kept.is_empty() {
        if let Some(map) = media.as_object_mut() {
            map.remove("examples");
        }
    } else {
        *examples = kept;
    }
}

/// The example as a value a validator can check, or `None` when nothing
/// checkable is left.
pub fn checkable(value: &Value) -> Option<Value> {
    let parsed = match value {
        Value::String(text) => serde_json::from_str(&quote_placeholders(text)).ok()?,
        other => other.clone(),
    };
    if is_placeholder(&parsed) {
        return None;
    }
    let clean = without_placeholders(parsed.clone());
    match &clean {
        Value::Object(map)
            if map.keys().all(|k| k == "success") && parsed.as_object().is_some_and(|p| p.len() > map.len()) =>
        {
            None
        }
        _ => Some(clean),
    }
}

/// `{Name}`: a capitalised identifier in braces.
fn is_placeholder_text(text: &str) -> bool {
    text.strip_prefix('{').and_then(|t| t.strip_suffix('}')).is_some_and(|name| {
        name.starts_with(|c: char| c.is_ascii_uppercase())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

fn is_placeholder(value: &Value) -> bool {
    value.as_str().is_some_and(is_placeholder_text)
}

fn without_placeholders(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter().filter(|(_, v)| !is_placeholder(v)).map(|(k, v)| (k, without_placeholders(v))).collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.into_iter().filter(|v| !is_placeholder(v)).map(without_placeholders).collect())
        }
        other => other,
    }
}

/// JSON text with every `{Name}` outside a string literal quoted, so that
/// it parses and the placeholder can be found.
fn quote_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if !in_string && c == '{' {
            let end = rest.find('}').map(|i| i + 1).unwrap_or(0);
            if end > 0 && is_placeholder_text(&rest[..end]) {
                out.push('"');
                out.push_str(&rest[..end]);
                out.push('"');
                rest = &rest[end..];
                continue;
            }
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_with_placeholders_becomes_the_value_without_them() {
        let text = "{\n  \"success\": true,\n  \"data\": {\"id\": 7, \"note\": \"{Not} a {placeholder}\",\n  \"store\": {StoreModel}, \"list\": [{ItemModel}, 1]}\n}";
        assert_eq!(
            checkable(&json!(text)),
            Some(json!({"success": true, "data": {"id": 7, "note": "{Not} a {placeholder}", "list": [1]}}))
        );
        assert_eq!(checkable(&json!({"a": 1, "payment": "{PaymentModel}"})), Some(json!({"a": 1})));
        assert_eq!(checkable(&json!({"a": {}})), Some(json!({"a": {}})), "an empty object is no placeholder");
    }

    #[test]
    fn an_example_with_nothing_left_to_show_is_dropped() {
        assert_eq!(checkable(&json!("{\n \"success\": true,\n \"data\": {PaymentModel}\n}")), None);
        assert_eq!(checkable(&json!("")), None, "an empty text is not JSON");
        assert_eq!(checkable(&json!("{PaymentModel}")), None);
        assert_eq!(checkable(&json!({"success": true})), Some(json!({"success": true})), "nothing was left out");
    }

    #[test]
    fn only_examples_of_non_string_bodies_are_touched() {
        let mut doc = json!({
            "paths": {"/p": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"},
                    "examples": {"blank": {"value": ""}, "ok": {"value": {"a": 1}}}}}},
                "responses": {
                    "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Env"},
                        "examples": {"p": {"value": "{\"success\": true, \"data\": {Model}}"}}}}},
                    "400": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Text"},
                        "examples": {"t": {"value": "{Model}"}}}}}
                }
            }}},
            "components": {"schemas": {"Env": {"type": "object"}, "Text": {"type": "string"}}}
        });
        let cleaned = clean_examples(&mut doc);
        assert_eq!(cleaned.dropped.len(), 2, "{cleaned:?}");
        let op = &doc["paths"]["/p"]["post"];
        assert_eq!(op["requestBody"]["content"]["application/json"]["examples"], json!({"ok": {"value": {"a": 1}}}));
        assert!(op["responses"]["200"]["content"]["application/json"].get("examples").is_none());
        assert_eq!(op["responses"]["400"]["content"]["application/json"]["examples"]["t"]["value"], json!("{Model}"));
    }
}
