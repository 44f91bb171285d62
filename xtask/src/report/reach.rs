//! Who uses each component schema: the operations (and callbacks) that
//! reach it through `$ref`, by request or by response, with the full field
//! path of every use (`get_card.data.bank`, `list_payments.query.only_status`).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// An operation of the normalized document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OpRef {
    /// The `operationId`, which is also the name of its Rust method.
    pub id: String,
    /// The HTTP method, upper case.
    pub method: String,
    /// The path template.
    pub path: String,
}

/// Which way a value travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Direction {
    /// The caller sends it: a request body or a parameter.
    Sent,
    /// Multicard sends it: a response or a callback.
    Received,
}

/// One place where a schema is used.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Use {
    /// The operation, or `None` for a callback payload.
    pub operation: Option<OpRef>,
    /// The full field path: `get_card.data.bank`, `create_invoice.body.ofd[]`,
    /// `list_payments.query.only_status`, `PaymentStatusWebhook.status`.
    pub field: String,
    /// Request or response.
    pub direction: Direction,
}

/// Every operation of a document with its object, in document order.
pub fn operations(doc: &Value) -> Vec<(OpRef, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let id = op.get("operationId").and_then(Value::as_str).unwrap_or("?").to_string();
            out.push((OpRef { id, method: method.to_uppercase(), path: path.clone() }, op));
        }
    }
    out
}

/// The component a `$ref` names.
pub fn ref_name(schema: &Value) -> Option<&str> {
    schema.get("$ref")?.as_str()?.strip_prefix("#/components/schemas/")
}

/// The JSON schema of a request body or response.
pub fn json_schema(value: &Value) -> Option<&Value> {
    value.pointer("/content/application~1json/schema")
}

/// Every use of every component, walking from each operation's parameters,
/// request body and responses, and from each callback payload.
pub fn uses(doc: &Value, callbacks: &[String]) -> BTreeMap<String, Vec<Use>> {
    let empty = Map::new();
    let schemas = doc.pointer("/components/schemas").and_then(Value::as_object).unwrap_or(&empty);
    let mut walker = Walker { schemas, out: BTreeMap::new(), chain: Vec::new() };
    for (op, value) in operations(doc) {
        let id = op.id.clone();
        for param in value.get("parameters").and_then(Value::as_array).into_iter().flatten() {
            let (Some(name), Some(place), Some(schema)) = (
                param.get("name").and_then(Value::as_str),
                param.get("in").and_then(Value::as_str),
                param.get("schema"),
            ) else {
                continue;
            };
            let at = At { operation: Some(&op), direction: Direction::Sent };
            walker.walk(schema, &format!("{id}.{place}.{name}"), at);
        }
        if let Some(schema) = value.get("requestBody").and_then(json_schema) {
            walker.walk(schema, &format!("{id}.body"), At { operation: Some(&op), direction: Direction::Sent });
        }
        for response in value.get("responses").and_then(Value::as_object).into_iter().flat_map(Map::values) {
            if let Some(schema) = json_schema(response) {
                walker.walk(schema, &id, At { operation: Some(&op), direction: Direction::Received });
            }
        }
    }
    for name in callbacks {
        let root = serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
        walker.walk(&root, name, At { operation: None, direction: Direction::Received });
    }
    let mut out = walker.out;
    for list in out.values_mut() {
        list.sort();
        list.dedup();
    }
    out
}

#[derive(Clone, Copy)]
struct At<'a> {
    operation: Option<&'a OpRef>,
    direction: Direction,
}

struct Walker<'a> {
    schemas: &'a Map<String, Value>,
    out: BTreeMap<String, Vec<Use>>,
    chain: Vec<String>,
}

impl Walker<'_> {
    fn walk(&mut self, schema: &Value, field: &str, at: At<'_>) {
        if let Some(name) = ref_name(schema) {
            let usage = Use { operation: at.operation.cloned(), field: field.to_string(), direction: at.direction };
            self.out.entry(name.to_string()).or_default().push(usage);
            if self.chain.iter().any(|n| n == name) {
                return;
            }
            if let Some(target) = self.schemas.get(name) {
                self.chain.push(name.to_string());
                self.walk(target, field, at);
                self.chain.pop();
            }
            return;
        }
        for key in ["allOf", "anyOf"] {
            for arm in schema.get(key).and_then(Value::as_array).into_iter().flatten() {
                self.walk(arm, field, at);
            }
        }
        if let Some(arms) = schema.get("oneOf").and_then(Value::as_array) {
            for (index, arm) in arms.iter().enumerate() {
                if arms.len() == 1 {
                    self.walk(arm, field, at);
                } else {
                    let label = ref_name(arm).map_or_else(|| format!("arm {}", index + 1), str::to_string);
                    self.walk(arm, &format!("{field}({label})"), at);
                }
            }
        }
        for (name, child) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
            self.walk(child, &format!("{field}.{name}"), at);
        }
        if let Some(items) = schema.get("items") {
            self.walk(items, &format!("{field}[]"), at);
        }
        if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
            self.walk(values, &format!("{field}.*"), at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn uses_follow_refs_through_envelopes_arrays_and_parameters() {
        let doc = json!({
            "paths": {"/card/{token}": {"get": {
                "operationId": "get_card",
                "parameters": [{"name": "status", "in": "query", "schema": {"$ref": "#/components/schemas/Status"}}],
                "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/CardResponse"}}}}},
            }}},
            "components": {"schemas": {
                "CardResponse": {"type": "object", "properties": {"data": {"$ref": "#/components/schemas/Card"}}},
                "Card": {"type": "object", "properties": {
                    "bank": {"type": "object", "properties": {"status": {"$ref": "#/components/schemas/Status"}}},
                    "history": {"type": "array", "items": {"allOf": [{"$ref": "#/components/schemas/Status"}], "nullable": true}},
                }},
                "Status": {"type": "string", "enum": ["a"]},
            }},
        });
        let uses = uses(&doc, &[]);
        let fields: Vec<(&str, Direction)> = uses["Status"].iter().map(|u| (u.field.as_str(), u.direction)).collect();
        assert_eq!(
            fields,
            [
                ("get_card.data.bank.status", Direction::Received),
                ("get_card.data.history[]", Direction::Received),
                ("get_card.query.status", Direction::Sent),
            ]
        );
        assert_eq!(uses["Card"][0].operation.as_ref().map(|o| o.method.as_str()), Some("GET"));
    }
}
