//! The sensitive fields of `spec/corrections.yaml`: secrets, bearer and card
//! tokens, card numbers, expiry dates, CVCs and one-time codes. Each one is
//! marked `x-sensitive: <kind>` in the normalized document, on the property
//! schema or on the parameter, and `multicard-api-build` writes `Debug` impls
//! that never print it.

use serde_json::{Value, json};

use crate::corrections::Corrections;
use crate::error::{RegenError, Result};
use crate::extensions::SENSITIVE;
use crate::json::escape_pointer;

/// The kinds of sensitive values, as written after [`SENSITIVE`]:
/// `secret` is never shown; `pan` is shown as the first six and last four
/// digits of a card number at most.
pub const KINDS: [&str; 2] = ["secret", "pan"];

/// Marks every field listed under `sensitive` in the corrections.
pub fn mark(doc: &mut Value, corrections: &Corrections) -> Result<()> {
    for (index, group) in corrections.sensitive.iter().enumerate() {
        let place = |what: &str| format!("sensitive[{index}] ({what})");
        let fail = |what: &str, message: String| {
            RegenError::in_file(std::path::Path::new("spec/corrections.yaml"), message).at(place(what))
        };
        if !KINDS.contains(&group.kind.as_str()) {
            return Err(fail(&group.kind, format!("unknown kind `{}`; one of {}", group.kind, KINDS.join(", "))));
        }
        for field in &group.properties {
            let pointer = property_pointer(field).map_err(|message| fail(field, message))?;
            let schema = doc.pointer_mut(&pointer).ok_or_else(|| {
                fail(field, format!("no property at {pointer} (the vendor pages or the corrections changed?)"))
            })?;
            mark_string(schema, &group.kind).map_err(|message| fail(field, message))?;
        }
        for parameter in &group.parameters {
            let target = find_parameter(doc, parameter).map_err(|message| fail(parameter, message))?;
            mark_string(target, &group.kind).map_err(|message| fail(parameter, message))?;
        }
    }
    Ok(())
}

/// The JSON pointer of a property written `Schema.property`, with `[]` after
/// an array to step into its items: `PaymentRegistry.list[].card_pan`.
pub fn property_pointer(field: &str) -> std::result::Result<String, String> {
    let mut parts = field.split('.');
    let schema = parts.next().filter(|s| !s.is_empty()).ok_or("an empty field name")?;
    let (schema, mut items) = strip_items(schema);
    let mut pointer = format!("/components/schemas/{}", escape_pointer(schema));
    let mut properties = 0;
    for part in parts {
        if items {
            pointer.push_str("/items");
        }
        let (name, into_items) = strip_items(part);
        if name.is_empty() {
            return Err(format!("`{field}` has an empty property name"));
        }
        pointer.push_str(&format!("/properties/{}", escape_pointer(name)));
        items = into_items;
        properties += 1;
    }
    if properties == 0 || items {
        return Err(format!("`{field}` does not name a property (write `Schema.property`)"));
    }
    Ok(pointer)
}

fn strip_items(part: &str) -> (&str, bool) {
    match part.strip_suffix("[]") {
        Some(name) => (name, true),
        None => (part, false),
    }
}

/// The parameter written `operation_id.name`.
fn find_parameter<'a>(doc: &'a mut Value, parameter: &str) -> std::result::Result<&'a mut Value, String> {
    let (operation, name) =
        parameter.split_once('.').ok_or_else(|| format!("`{parameter}` is not `operation_id.parameter`"))?;
    let paths = doc.get_mut("paths").and_then(Value::as_object_mut).ok_or("the document has no paths")?;
    for item in paths.values_mut() {
        for op in item.as_object_mut().into_iter().flat_map(|methods| methods.values_mut()) {
            if op.get("operationId").and_then(Value::as_str) != Some(operation) {
                continue;
            }
            let parameters = op.get_mut("parameters").and_then(Value::as_array_mut);
            return parameters
                .into_iter()
                .flatten()
                .find(|p| p.get("name").and_then(Value::as_str) == Some(name))
                .ok_or_else(|| format!("operation `{operation}` has no parameter `{name}`"));
        }
    }
    Err(format!("no operation `{operation}`"))
}

/// Marks a property schema or a parameter whose value is a string.
fn mark_string(target: &mut Value, kind: &str) -> std::result::Result<(), String> {
    let schema = if target.get("in").is_some() { target.get("schema") } else { Some(&*target) };
    if schema.and_then(|s| s.get("type")).and_then(Value::as_str) != Some("string") {
        return Err("only a `type: string` value can be marked (a `$ref` or another type cannot)".into());
    }
    let map = target.as_object_mut().ok_or("not an object")?;
    map.insert(SENSITIVE.into(), json!(kind));
    Ok(())
}

/// Checks an `x-sensitive` left in the document: a known kind, on a
/// property or a parameter.
pub fn check_mark(pointer: &str, value: &Value) -> std::result::Result<(), String> {
    if !value.as_str().is_some_and(|kind| KINDS.contains(&kind)) {
        return Err(format!("`{SENSITIVE}: {value}` is not one of {}", KINDS.join(", ")));
    }
    let segments: Vec<&str> = pointer.rsplit('/').collect();
    let on_property = segments.get(1) == Some(&"properties");
    let on_parameter = segments.get(1) == Some(&"parameters") && pointer.starts_with("/paths/");
    if !(on_property || on_parameter) {
        return Err(format!("`{SENSITIVE}` must sit on a property or a parameter"));
    }
    Ok(())
}
