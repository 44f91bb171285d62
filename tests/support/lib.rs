//! Shared helpers for the workspace integration tests: the normalized spec
//! and the vendor examples it carries.

use std::path::PathBuf;

use serde_json::Value;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `spec/multicard.yaml`, parsed.
pub fn spec() -> Value {
    let path = workspace_root().join("spec").join("multicard.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One operation of the spec.
#[derive(Debug, Clone)]
pub struct SpecOperation {
    /// `operationId`.
    pub id: String,
    /// Upper-case method.
    pub method: String,
    /// Path template.
    pub path: String,
    /// The operation object.
    pub operation: Value,
}

/// Every operation of the spec, in document order.
pub fn operations(spec: &Value) -> Vec<SpecOperation> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            out.push(SpecOperation {
                id: operation["operationId"].as_str().expect("operationId").to_string(),
                method: method.to_uppercase(),
                path: path.clone(),
                operation: operation.clone(),
            });
        }
    }
    out
}

/// A documented response example.
#[derive(Debug, Clone)]
pub struct ResponseExample {
    /// The HTTP status it is documented under.
    pub status: u16,
    /// The example's name.
    pub name: String,
    /// The example's value as the vendor wrote it (a string when it is not JSON).
    pub value: Value,
}

/// Every response example of an operation.
pub fn response_examples(operation: &Value) -> Vec<ResponseExample> {
    let mut out = Vec::new();
    for (status, response) in operation["responses"].as_object().expect("responses") {
        let Some(examples) = response.pointer("/content/application~1json/examples").and_then(Value::as_object) else {
            continue;
        };
        for (name, example) in examples {
            out.push(ResponseExample {
                status: status.parse().expect("numeric status"),
                name: name.clone(),
                value: example["value"].clone(),
            });
        }
    }
    out
}

/// The documented request examples of an operation: (name, value).
pub fn request_examples(operation: &Value) -> Vec<(String, Value)> {
    operation
        .pointer("/requestBody/content/application~1json/examples")
        .and_then(Value::as_object)
        .map(|examples| examples.iter().map(|(k, v)| (k.clone(), v["value"].clone())).collect())
        .unwrap_or_default()
}

/// A vendor example that is not a JSON body: either a string that is not
/// JSON (`"data": {PaymentModel}`), or JSON that holds a `{Model}`
/// placeholder string where an object belongs. Returns why it is skipped.
pub fn placeholder_reason(value: &Value) -> Option<String> {
    if let Value::String(text) = value {
        return Some(match serde_json::from_str::<Value>(text) {
            Ok(inner) => match placeholder_reason(&inner) {
                Some(reason) => reason,
                None => return None,
            },
            Err(_) => format!("not JSON: the vendor wrote a placeholder such as `{}`", first_placeholder(text).unwrap_or("{…}")),
        });
    }
    let mut found = None;
    visit_strings(value, &mut |s| {
        if found.is_none() && is_placeholder(s) {
            found = Some(format!("JSON with the placeholder string `{s}` where an object belongs"));
        }
    });
    found
}

/// The JSON body an example stands for (a string example that is valid
/// JSON is that JSON).
pub fn example_body(value: &Value) -> Value {
    match value {
        Value::String(text) => serde_json::from_str(text).unwrap_or_else(|_| value.clone()),
        other => other.clone(),
    }
}

fn is_placeholder(s: &str) -> bool {
    s.starts_with('{') && s.ends_with('}') && s.len() > 2 && s[1..s.len() - 1].chars().all(|c| c.is_ascii_alphanumeric())
}

fn first_placeholder(text: &str) -> Option<&str> {
    let start = text.find(|c: char| c == '{').and_then(|_| {
        text.match_indices('{').map(|(i, _)| i).find(|&i| {
            text[i + 1..].chars().next().is_some_and(|c| c.is_ascii_uppercase())
        })
    })?;
    let end = text[start..].find('}')? + start;
    Some(&text[start..=end])
}

fn visit_strings(value: &Value, f: &mut dyn FnMut(&str)) {
    match value {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().for_each(|v| visit_strings(v, f)),
        Value::Object(map) => map.values().for_each(|v| visit_strings(v, f)),
        _ => {}
    }
}
