//! The decoding policy: what a response may leave out.
//!
//! The vendor's documents mark fields `required` that real answers omit
//! (production `GET /payment/{uuid}` has no `amount`; payout objects omit
//! sixteen payment fields), and a strictly typed client turns each omission
//! into a failed call. So, for every schema that only Multicard sends (a
//! success payload, a callback, and everything inside them that no request
//! uses), `required` keeps only the fields the `decoding` section of
//! `spec/corrections.yaml` names for it, each with its reason: identity
//! (`uuid`, `id`), the money actually sent, `status`, and the signed fields
//! of a callback. Every other field, and every field of a schema the
//! section does not name, is optional. Schemas that requests use keep their
//! `required`: the SDK is strict in what it sends.
//!
//! Of those optional fields, the ones that hold an object (a payment's
//! `store`, `clearing`, `tax`, `application`, `details`) are informative:
//! the schema lists them under `x-informative-fields`, and the generated
//! decoder lets such a field fall away (with a warning) rather than sink
//! the whole answer when it does not decode. A list, such as a registry's
//! rows, is the payload itself and is read strictly.
//!
//! A nested object the SDK or a caller decides on is read exactly instead
//! (`exact` in the policy, `x-exact-fields` in the spec): an invoice's
//! `payment` says whether the invoice is paid, and one that does not decode
//! must never read as "no payment". It is left out of the informative list;
//! the generated type holds it as absent, present or unreadable.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{RegenError, Result};
use crate::extensions::{EXACT_FIELDS, INFORMATIVE_FIELDS};

/// The `decoding` section of the corrections.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decoding {
    /// Why the policy exists (shown in reviews).
    pub reason: String,
    /// Per response schema (a component name, optionally followed by a
    /// path of property names and `items` to an inline object inside it,
    /// e.g. `PaymentRegistry/properties/list/items`): the fields a decode
    /// insists on.
    #[serde(default)]
    pub required: BTreeMap<String, RequiredFields>,
}

/// The fields one response schema requires, and why.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredFields {
    /// The property names.
    pub fields: Vec<String>,
    /// Optional fields that are nevertheless read strictly, never left
    /// empty when they do not decode: what the SDK decides on (a hold's
    /// `payment`, whose status says whether a charge went through).
    #[serde(default)]
    pub strict: Vec<String>,
    /// Optional nested objects read exactly: absent or `null` is none, a
    /// value that does not decode is kept as unreadable (never as absent)
    /// and the rest of the answer still decodes. Written to the schema as
    /// `x-exact-fields`.
    #[serde(default)]
    pub exact: Vec<String>,
    /// Why the SDK or a caller cannot act without them.
    pub reason: String,
}

/// Applies the policy to `doc`. `callbacks` are the component names of the
/// callback payloads (Multicard sends them too).
pub fn apply(doc: &mut Value, decoding: &Decoding, callbacks: &[String]) -> Result<()> {
    let (received, sent) = response_only_roots(doc, callbacks);
    let received = closure(doc, received);
    let sent = closure(doc, sent);
    let response_only: BTreeSet<&String> = received.difference(&sent).collect();

    for key in decoding.required.keys() {
        let name = key.split('/').next().unwrap_or(key);
        if !response_only.iter().any(|n| n.as_str() == name) {
            return Err(place(
                key,
                "names a schema that is not sent by Multicard alone (a request uses it, or nothing does)",
            ));
        }
    }
    let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") else {
        return Ok(());
    };
    for name in &response_only {
        let Some(schema) = schemas.get_mut(name.as_str()) else { continue };
        strip_required(schema);
    }
    for (key, fields) in &decoding.required {
        let (name, inner) = key.split_once('/').map_or((key.as_str(), ""), |(n, rest)| (n, rest));
        let schema = schemas.get_mut(name).ok_or_else(|| place(key, "no such schema"))?;
        let pointer = if inner.is_empty() { String::new() } else { format!("/{inner}") };
        let Some(Value::Object(target)) = schema.pointer_mut(&pointer) else {
            return Err(place(key, "no object schema at that path"));
        };
        let properties = target.get("properties").and_then(Value::as_object).cloned().unwrap_or_default();
        for field in fields.fields.iter().chain(&fields.strict).chain(&fields.exact) {
            if !properties.contains_key(field) {
                return Err(place(key, &format!("requires `{field}`, which is not among its properties")));
            }
        }
        for field in &fields.exact {
            if fields.fields.contains(field) || fields.strict.contains(field) {
                return Err(place(key, &format!("lists `{field}` as exact and as required or strict")));
            }
        }
        target.insert("required".into(), Value::Array(fields.fields.iter().cloned().map(Value::String).collect()));
    }
    let objects: BTreeSet<String> =
        schemas.iter().filter(|(_, schema)| is_object(schema, None)).map(|(name, _)| name.clone()).collect();
    for name in &response_only {
        let policy = decoding.required.get(name.as_str());
        let strict: BTreeSet<&str> =
            policy.into_iter().flat_map(|r| r.strict.iter().chain(&r.exact).map(String::as_str)).collect();
        let exact: Vec<Value> = policy.into_iter().flat_map(|r| r.exact.iter().cloned().map(Value::String)).collect();
        let Some(Value::Object(schema)) = schemas.get_mut(name.as_str()) else { continue };
        let mut required: BTreeSet<&str> =
            schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
        required.extend(strict);
        let mut informative: Vec<Value> = schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter(|(field, property)| !required.contains(field.as_str()) && is_object(property, Some(&objects)))
            .map(|(field, _)| Value::String(field.clone()))
            .collect();
        informative.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        if !informative.is_empty() {
            schema.insert(INFORMATIVE_FIELDS.into(), Value::Array(informative));
        }
        for field in exact.iter().filter_map(Value::as_str) {
            let property = schema.get("properties").and_then(|p| p.get(field));
            if !property.is_some_and(|p| is_object(p, Some(&objects))) {
                return Err(place(name, &format!("reads `{field}` exactly, which is not a nested object")));
            }
        }
        if !exact.is_empty() {
            schema.insert(EXACT_FIELDS.into(), Value::Array(exact));
        }
    }
    Ok(())
}

/// Whether a schema is an object, directly or through `$ref`/`allOf`
/// (`objects` holds the component names known to be objects).
fn is_object(schema: &Value, objects: Option<&BTreeSet<String>>) -> bool {
    if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        let name = target.strip_prefix("#/components/schemas/").unwrap_or(target);
        return objects.is_some_and(|o| o.contains(name));
    }
    if let Some(Value::Array(parts)) = schema.get("allOf") {
        return parts.iter().any(|part| is_object(part, objects));
    }
    schema.get("type").and_then(Value::as_str) == Some("object") || schema.get("properties").is_some()
}

fn place(key: &str, message: &str) -> RegenError {
    RegenError::in_file(std::path::Path::new("spec/corrections.yaml"), format!("decoding.required `{key}` {message}"))
        .at(format!("decoding/required/{key}"))
}

/// The component names a success payload or a callback starts from, and
/// the ones requests and parameters start from.
fn response_only_roots(doc: &Value, callbacks: &[String]) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut received: BTreeSet<String> = callbacks.iter().cloned().collect();
    let mut sent = BTreeSet::new();
    let schemas = doc.pointer("/components/schemas").and_then(Value::as_object);
    let envelope_data = |name: &str| -> Option<Value> {
        let schema = schemas?.get(name)?;
        schema.pointer("/properties/success")?;
        schema.pointer("/properties/data").cloned()
    };
    for item in doc.get("paths").and_then(Value::as_object).into_iter().flat_map(Map::values) {
        for op in item.as_object().into_iter().flat_map(Map::values) {
            if let Some(body) = op.get("requestBody") {
                collect_refs(body, &mut sent);
            }
            if let Some(parameters) = op.get("parameters") {
                collect_refs(parameters, &mut sent);
            }
            for (status, response) in op.get("responses").and_then(Value::as_object).into_iter().flatten() {
                if !status.starts_with('2') {
                    continue;
                }
                let mut direct = BTreeSet::new();
                collect_refs(response, &mut direct);
                for name in direct {
                    // An envelope is structure: its payload is what is read.
                    match envelope_data(&name) {
                        Some(data) => collect_refs(&data, &mut received),
                        None => {
                            received.insert(name);
                        }
                    }
                }
            }
        }
    }
    (received, sent)
}

/// `names` and every component they reach through `$ref`.
fn closure(doc: &Value, names: BTreeSet<String>) -> BTreeSet<String> {
    let schemas = doc.pointer("/components/schemas").and_then(Value::as_object);
    let mut done = BTreeSet::new();
    let mut todo: Vec<String> = names.into_iter().collect();
    while let Some(name) = todo.pop() {
        if !done.insert(name.clone()) {
            continue;
        }
        if let Some(schema) = schemas.and_then(|s| s.get(&name)) {
            let mut found = BTreeSet::new();
            collect_refs(schema, &mut found);
            todo.extend(found.into_iter().filter(|n| !done.contains(n)));
        }
    }
    done
}

/// The component names `value` refers to, examples left out.
fn collect_refs(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("$ref", Value::String(target)) => {
                        if let Some(name) = target.strip_prefix("#/components/schemas/") {
                            out.insert(name.to_string());
                        }
                    }
                    ("example" | "examples", _) => {}
                    _ => collect_refs(inner, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| collect_refs(item, out)),
        _ => {}
    }
}

/// Removes `required` from a schema and the inline schemas inside it.
fn strip_required(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.remove("required");
            for (key, inner) in map.iter_mut() {
                if !matches!(key.as_str(), "example" | "examples") {
                    strip_required(inner);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_required),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "paths": {"/x": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Req"}}}},
                "responses": {
                    "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/PayEnvelope"}}}},
                    "400": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
                }
            }}},
            "components": {"schemas": {
                "PayEnvelope": {"type": "object", "required": ["success"], "properties": {
                    "success": {"type": "boolean"}, "data": {"$ref": "#/components/schemas/Pay"}}},
                "Pay": {"type": "object", "required": ["uuid", "amount", "store"], "properties": {
                    "uuid": {"type": "string"}, "amount": {"type": "integer"},
                    "store": {"$ref": "#/components/schemas/Store"}, "items": {"$ref": "#/components/schemas/Item"},
                    "list": {"type": "array", "items": {"type": "object", "required": ["id", "x"],
                        "properties": {"id": {"type": "integer"}, "x": {"type": "string"}}}}}},
                "Store": {"type": "object", "required": ["id", "name"], "properties": {"id": {}, "name": {}}},
                "Item": {"type": "object", "required": ["qty"], "properties": {"qty": {}}},
                "Req": {"type": "object", "required": ["amount"], "properties": {"amount": {}, "items": {"$ref": "#/components/schemas/Item"}}},
                "Error": {"type": "object", "required": ["code"], "properties": {"code": {}}}
            }}
        })
    }

    fn policy(entries: &[(&str, &[&str])]) -> Decoding {
        Decoding {
            reason: "test".into(),
            required: entries
                .iter()
                .map(|(k, f)| {
                    (
                        k.to_string(),
                        RequiredFields {
                            fields: f.iter().map(|s| s.to_string()).collect(),
                            strict: Vec::new(),
                            exact: Vec::new(),
                            reason: "r".into(),
                        },
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn payloads_keep_only_what_the_policy_names_and_requests_stay_strict() {
        let mut doc = doc();
        apply(&mut doc, &policy(&[("Pay", &["uuid", "amount"]), ("Pay/properties/list/items", &["id"])]), &[]).unwrap();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["Pay"]["required"], json!(["uuid", "amount"]));
        assert_eq!(schemas["Pay"]["properties"]["list"]["items"]["required"], json!(["id"]));
        assert!(schemas["Store"].get("required").is_none(), "not named: all optional");
        assert_eq!(schemas["Item"]["required"], json!(["qty"]), "a request uses it");
        assert_eq!(schemas["Req"]["required"], json!(["amount"]));
        assert_eq!(schemas["PayEnvelope"]["required"], json!(["success"]), "the envelope is structure");
        assert_eq!(schemas["Error"]["required"], json!(["code"]), "error bodies are not payloads");
        assert_eq!(schemas["Pay"]["x-informative-fields"], json!(["items", "store"]), "objects, not lists");
        assert!(schemas["Req"].get("x-informative-fields").is_none(), "requests are read strictly");
    }

    #[test]
    fn an_exact_field_is_listed_apart_and_never_informative() {
        let mut spec = doc();
        let mut policy = policy(&[("Pay", &["uuid"])]);
        policy.required.get_mut("Pay").unwrap().exact = vec!["store".into()];
        apply(&mut spec, &policy, &[]).unwrap();
        let pay = &spec["components"]["schemas"]["Pay"];
        assert_eq!(pay["x-exact-fields"], json!(["store"]));
        assert_eq!(pay["x-informative-fields"], json!(["items"]), "read exactly, not tolerantly");
        assert_eq!(pay["required"], json!(["uuid"]), "still optional: absent is a valid answer");

        let mut policy = policy.clone();
        policy.required.get_mut("Pay").unwrap().exact = vec!["amount".into()];
        let error = apply(&mut doc(), &policy, &[]).unwrap_err().to_string();
        assert!(error.contains("`amount`") && error.contains("not a nested object"), "{error}");
        policy.required.get_mut("Pay").unwrap().exact = vec!["uuid".into()];
        let error = apply(&mut doc(), &policy, &[]).unwrap_err().to_string();
        assert!(error.contains("as exact and as required"), "{error}");
    }

    #[test]
    fn a_policy_that_does_not_fit_is_an_error_naming_it() {
        for (entries, expected) in [
            (vec![("Req", &["amount"][..])], "not sent by Multicard alone"),
            (vec![("Pay", &["nope"][..])], "`nope`"),
            (vec![("Pay/properties/zzz", &["id"][..])], "no object schema"),
        ] {
            let error = apply(&mut doc(), &policy(&entries), &[]).unwrap_err().to_string();
            assert!(error.contains(expected) && error.contains("decoding"), "{error}");
        }
    }
}
