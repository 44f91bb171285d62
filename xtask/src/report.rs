//! The change report: what a new spec changes against the committed one,
//! and which of those changes break code that uses the SDK.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// `true` when code written against the old SDK may stop compiling or
    /// stop decoding responses.
    pub breaking: bool,
    /// What changed, for a reviewer.
    pub what: String,
}

/// Every change between two normalized documents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Operations added, removed or changed.
    pub operations: Vec<Change>,
    /// Component schemas added, removed or changed.
    pub schemas: Vec<Change>,
    /// Anything else (info, servers, tags, security schemes).
    pub other: Vec<Change>,
}

impl Report {
    /// `true` when the documents are the same.
    pub fn is_empty(&self) -> bool {
        self.operations.is_empty() && self.schemas.is_empty() && self.other.is_empty()
    }

    /// `true` when at least one change breaks users.
    pub fn is_breaking(&self) -> bool {
        self.operations.iter().chain(&self.schemas).chain(&self.other).any(|c| c.breaking)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return writeln!(f, "no changes");
        }
        for (title, changes) in [("operations", &self.operations), ("schemas", &self.schemas), ("other", &self.other)] {
            if changes.is_empty() {
                continue;
            }
            writeln!(f, "{title}:")?;
            for change in changes {
                let mark = if change.breaking { "BREAKING" } else { "        " };
                writeln!(f, "  {mark} {}", change.what)?;
            }
        }
        let breaking = self.operations.iter().chain(&self.schemas).chain(&self.other).filter(|c| c.breaking).count();
        writeln!(f, "{breaking} breaking change(s)")
    }
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    if let Some(Value::Object(paths)) = doc.get("paths") {
        for (path, item) in paths {
            if let Some(methods) = item.as_object() {
                for (method, op) in methods {
                    let id = op.get("operationId").and_then(Value::as_str).unwrap_or("?").to_string();
                    out.push((id, format!("{} {path}", method.to_uppercase()), op.clone()));
                }
            }
        }
    }
    out
}

/// Compares the committed document `old` with the new one.
pub fn compare(old: &Value, new: &Value) -> Report {
    let mut report = Report::default();
    let old_ops = operations(old);
    let new_ops = operations(new);
    for (id, route, op) in &old_ops {
        match new_ops.iter().find(|(i, _, _)| i == id) {
            None => report.operations.push(Change { breaking: true, what: format!("removed `{id}` ({route})") }),
            Some((_, new_route, new_op)) => {
                if route != new_route {
                    report
                        .operations
                        .push(Change { breaking: false, what: format!("`{id}` moved from {route} to {new_route}") });
                }
                compare_operation(id, op, new_op, &mut report.operations);
            }
        }
    }
    for (id, route, _) in &new_ops {
        if !old_ops.iter().any(|(i, _, _)| i == id) {
            report.operations.push(Change { breaking: false, what: format!("added `{id}` ({route})") });
        }
    }

    let empty = Map::new();
    let old_schemas = old.pointer("/components/schemas").and_then(Value::as_object).unwrap_or(&empty);
    let new_schemas = new.pointer("/components/schemas").and_then(Value::as_object).unwrap_or(&empty);
    for (name, schema) in old_schemas {
        match new_schemas.get(name) {
            None => report.schemas.push(Change { breaking: true, what: format!("removed schema `{name}`") }),
            Some(new_schema) if new_schema != schema => compare_schema(name, schema, new_schema, &mut report.schemas),
            Some(_) => {}
        }
    }
    for name in new_schemas.keys() {
        if !old_schemas.contains_key(name) {
            report.schemas.push(Change { breaking: false, what: format!("added schema `{name}`") });
        }
    }
    for key in ["openapi", "info", "servers", "tags", "security"] {
        if old.get(key) != new.get(key) {
            report.other.push(Change { breaking: false, what: format!("`{key}` changed") });
        }
    }
    if old.pointer("/components/securitySchemes") != new.pointer("/components/securitySchemes") {
        report.other.push(Change { breaking: true, what: "security schemes changed".into() });
    }
    report
}

fn compare_operation(id: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    if old == new {
        return;
    }
    let before = out.len();
    let params = |op: &Value| -> Vec<(String, bool)> {
        op.get("parameters")
            .and_then(Value::as_array)
            .map(|ps| {
                ps.iter()
                    .map(|p| {
                        let name = format!(
                            "{} `{}`",
                            p.get("in").and_then(Value::as_str).unwrap_or("?"),
                            p.get("name").and_then(Value::as_str).unwrap_or("?")
                        );
                        (name, p.get("required").and_then(Value::as_bool).unwrap_or(false))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let (old_params, new_params) = (params(old), params(new));
    for (name, _) in &old_params {
        if !new_params.iter().any(|(n, _)| n == name) {
            out.push(Change { breaking: true, what: format!("`{id}`: parameter {name} removed") });
        }
    }
    for (name, required) in &new_params {
        match old_params.iter().find(|(n, _)| n == name) {
            None => out.push(Change {
                breaking: *required,
                what: format!("`{id}`: parameter {name} added{}", if *required { " (required)" } else { "" }),
            }),
            Some((_, was)) if *required && !was => {
                out.push(Change { breaking: true, what: format!("`{id}`: parameter {name} became required") })
            }
            _ => {}
        }
    }
    for (part, pointer) in
        [("request body", "/requestBody/content/application~1json/schema"), ("security", "/security")]
    {
        if old.pointer(pointer) != new.pointer(pointer) {
            out.push(Change { breaking: true, what: format!("`{id}`: {part} changed") });
        }
    }
    let statuses = |op: &Value| -> BTreeSet<String> {
        op.get("responses").and_then(Value::as_object).map(|r| r.keys().cloned().collect()).unwrap_or_default()
    };
    for status in statuses(old).union(&statuses(new)) {
        let schema = |op: &Value| op.pointer(&format!("/responses/{status}/content/application~1json/schema")).cloned();
        let examples =
            |op: &Value| op.pointer(&format!("/responses/{status}/content/application~1json/examples")).cloned();
        if schema(old) != schema(new) {
            out.push(Change { breaking: true, what: format!("`{id}`: response {status} schema changed") });
        } else if examples(old) != examples(new) {
            out.push(Change { breaking: false, what: format!("`{id}`: response {status} examples changed") });
        }
    }
    let prose = |op: &Value| (op.get("summary").cloned(), op.get("description").cloned(), op.get("tags").cloned());
    if prose(old) != prose(new) {
        out.push(Change { breaking: false, what: format!("`{id}`: summary, description or tags changed") });
    }
    if old.pointer("/requestBody/content/application~1json/examples")
        != new.pointer("/requestBody/content/application~1json/examples")
    {
        out.push(Change { breaking: false, what: format!("`{id}`: request examples changed") });
    }
    if out.len() == before {
        out.push(Change { breaking: false, what: format!("`{id}`: other fields changed") });
    }
}

/// `schema` with its nullable compositions written one way
/// ([`crate::generic::explicit_null_arms`]), so that rewriting the notation
/// is not reported as a change of type.
fn one_null_notation(schema: &Value) -> Value {
    let mut schema = schema.clone();
    crate::generic::visit_schemas_mut(&mut schema, "", &mut |_, map| crate::generic::explicit_null_arms(map));
    schema
}

fn compare_schema(name: &str, old: &Value, new: &Value, out: &mut Vec<Change>) {
    let before = out.len();
    let (old, new) = (&one_null_notation(old), &one_null_notation(new));
    let shape = |s: &Value| {
        (
            s.get("type").cloned(),
            s.get("$ref").cloned(),
            s.get("format").cloned(),
            s.get("items").cloned(),
            s.get("oneOf").cloned(),
            s.get("allOf").cloned(),
        )
    };
    if shape(old) != shape(new) {
        out.push(Change { breaking: true, what: format!("`{name}`: type changed") });
    }
    let empty = Map::new();
    let props = |s: &Value| s.get("properties").and_then(Value::as_object).cloned().unwrap_or_else(|| empty.clone());
    let required = |s: &Value| -> BTreeSet<String> {
        s.get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    let (old_props, new_props) = (props(old), props(new));
    let (old_req, new_req) = (required(old), required(new));
    for (prop, schema) in &old_props {
        match new_props.get(prop) {
            None => out.push(Change { breaking: true, what: format!("`{name}.{prop}` removed") }),
            Some(new_schema) => {
                let strip = |v: &Value| crate::json::semantic(v);
                if strip(schema) != strip(new_schema) {
                    out.push(Change { breaking: true, what: format!("`{name}.{prop}` type changed") });
                }
            }
        }
    }
    for prop in new_props.keys() {
        if !old_props.contains_key(prop) {
            let req = new_req.contains(prop);
            out.push(Change {
                breaking: req,
                what: format!("`{name}.{prop}` added{}", if req { " (required)" } else { "" }),
            });
        }
    }
    for prop in new_req.difference(&old_req) {
        if old_props.contains_key(prop) {
            out.push(Change { breaking: true, what: format!("`{name}.{prop}` became required") });
        }
    }
    for prop in old_req.difference(&new_req) {
        if new_props.contains_key(prop) {
            out.push(Change { breaking: true, what: format!("`{name}.{prop}` became optional") });
        }
    }
    let enum_values = |s: &Value| -> BTreeSet<String> {
        s.get("enum").and_then(Value::as_array).map(|e| e.iter().map(Value::to_string).collect()).unwrap_or_default()
    };
    let (old_enum, new_enum) = (enum_values(old), enum_values(new));
    for value in old_enum.difference(&new_enum) {
        out.push(Change {
            breaking: false,
            what: format!("`{name}`: value {value} no longer documented (still decodes: the enum is open)"),
        });
    }
    for value in new_enum.difference(&old_enum) {
        out.push(Change { breaking: false, what: format!("`{name}`: value {value} added") });
    }
    if out.len() == before {
        out.push(Change { breaking: false, what: format!("`{name}`: descriptions, examples or notation changed") });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(payment: Value) -> Value {
        json!({"components": {"schemas": {"Invoice": {"type": "object", "properties": {"payment": payment}}}}})
    }

    #[test]
    fn a_new_notation_for_the_same_nullable_reference_is_not_breaking() {
        let old = doc(json!({"allOf": [{"$ref": "#/components/schemas/P"}], "nullable": true}));
        let new = doc(json!({"anyOf": [{"$ref": "#/components/schemas/P"}, {"enum": [null]}]}));
        let report = compare(&old, &new);
        assert!(!report.is_breaking(), "{report}");
        assert_eq!(report.schemas.len(), 1, "{report}");
        let other = doc(json!({"anyOf": [{"$ref": "#/components/schemas/Q"}, {"enum": [null]}]}));
        assert!(compare(&old, &other).is_breaking(), "another type is still a change of type");
    }
}
