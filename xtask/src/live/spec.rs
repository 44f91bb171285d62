//! What `spec/multicard.yaml` says an answer looks like: the operations
//! (method, path template, response schema per status) and, for a schema,
//! the JSON types, fields, required fields and enum values it allows, with
//! `$ref`, `allOf`, `oneOf` and `anyOf` resolved as far as this spec uses
//! them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A JSON type, as observed on the wire or as a schema names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JsonType {
    /// `null`.
    Null,
    /// `true` or `false`.
    Boolean,
    /// A whole number.
    Integer,
    /// A number with a fraction (or a schema's `number`).
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl JsonType {
    /// The type of a value (`integer` for a number without a fraction).
    pub fn of(value: &Value) -> Self {
        match value {
            Value::Null => Self::Null,
            Value::Bool(_) => Self::Boolean,
            Value::Number(n) if n.is_i64() || n.is_u64() => Self::Integer,
            Value::Number(_) => Self::Number,
            Value::String(_) => Self::String,
            Value::Array(_) => Self::Array,
            Value::Object(_) => Self::Object,
        }
    }

    fn from_schema(name: &str) -> Option<Self> {
        Some(match name {
            "null" => Self::Null,
            "boolean" => Self::Boolean,
            "integer" => Self::Integer,
            "number" => Self::Number,
            "string" => Self::String,
            "array" => Self::Array,
            "object" => Self::Object,
            _ => return None,
        })
    }
}

impl fmt::Display for JsonType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Null => "null",
            Self::Boolean => "boolean",
            Self::Integer => "integer",
            Self::Number => "number",
            Self::String => "string",
            Self::Array => "array",
            Self::Object => "object",
        })
    }
}

/// One operation of the spec.
#[derive(Debug, Clone)]
pub struct Operation<'a> {
    /// `get_payment`.
    pub id: String,
    /// `GET`.
    pub method: String,
    /// `/payment/{uuid}`.
    pub path: String,
    /// The JSON schema of the answer per status (`"200"`, `"default"`);
    /// `None` for a status documented without a JSON body.
    pub responses: BTreeMap<String, Option<&'a Value>>,
}

/// The spec, read for comparing answers with it.
#[derive(Debug, Clone)]
pub struct Spec {
    document: Value,
}

impl Spec {
    /// Wraps a parsed OpenAPI document.
    pub fn new(document: Value) -> Self {
        Self { document }
    }

    /// The document.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The `servers[].url` whose description is `description` (`Sandbox`).
    pub fn server(&self, description: &str) -> Option<&str> {
        self.document.get("servers")?.as_array()?.iter().find_map(|server| {
            (server.get("description")?.as_str()? == description).then(|| server.get("url")?.as_str()).flatten()
        })
    }

    /// Every operation, by id.
    pub fn operations(&self) -> BTreeMap<String, Operation<'_>> {
        let mut operations = BTreeMap::new();
        let Some(paths) = self.document.get("paths").and_then(Value::as_object) else { return operations };
        for (path, item) in paths {
            let Some(item) = item.as_object() else { continue };
            for (method, op) in item {
                let Some(id) = op.get("operationId").and_then(Value::as_str) else { continue };
                let mut responses = BTreeMap::new();
                for (status, response) in op.get("responses").and_then(Value::as_object).into_iter().flatten() {
                    let response = self.deref(response);
                    let schema = response.pointer("/content/application~1json/schema");
                    responses.insert(status.clone(), schema);
                }
                operations.insert(
                    id.to_string(),
                    Operation { id: id.to_string(), method: method.to_uppercase(), path: path.clone(), responses },
                );
            }
        }
        operations
    }

    /// The schema of a component (`ErrorResponse`).
    pub fn component(&self, name: &str) -> Option<&Value> {
        self.document.get("components")?.get("schemas")?.get(name)
    }

    /// Follows `$ref` (local references only) until a schema without one.
    pub fn deref<'a>(&'a self, mut schema: &'a Value) -> &'a Value {
        for _ in 0..32 {
            let Some(reference) = schema.get("$ref").and_then(Value::as_str) else { return schema };
            match reference.strip_prefix('#').and_then(|pointer| self.document.pointer(pointer)) {
                Some(target) => schema = target,
                None => return schema,
            }
        }
        schema
    }

    /// What a value matching any of `schemas` may look like; `None` when
    /// there is no schema (anything goes).
    pub fn expect<'a>(&'a self, schemas: &[&'a Value]) -> Option<Expect<'a>> {
        let mut alternatives = schemas.iter().map(|schema| self.resolve(schema, 0));
        let first = alternatives.next()?;
        Some(alternatives.fold(first, Expect::union))
    }

    fn resolve<'a>(&'a self, schema: &'a Value, depth: usize) -> Expect<'a> {
        let schema = self.deref(schema);
        let mut own = Expect::default();
        if depth > 24 {
            return own;
        }
        if let Some(name) = schema.get("type").and_then(Value::as_str).and_then(JsonType::from_schema) {
            own.types.insert(name);
        }
        if schema.get("nullable").and_then(Value::as_bool) == Some(true) {
            own.nullable = true;
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let mut names = BTreeSet::new();
            for value in values {
                match value {
                    Value::Null => own.nullable = true,
                    Value::String(s) => {
                        names.insert(s.clone());
                    }
                    other => {
                        names.insert(other.to_string());
                    }
                }
            }
            if names.is_empty() {
                own.types.insert(JsonType::Null);
            } else {
                own.enum_values = Some(names);
            }
        }
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                own.properties.entry(name.clone()).or_default().push(property);
            }
        }
        for name in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            if let Some(name) = name.as_str() {
                own.required.insert(name.to_string());
            }
        }
        match schema.get("additionalProperties") {
            Some(Value::Bool(false)) | None => {}
            Some(_) => own.open = true,
        }
        if let Some(items) = schema.get("items") {
            own.items.push(items);
        }
        for part in schema.get("allOf").and_then(Value::as_array).into_iter().flatten() {
            own = own.intersect(self.resolve(part, depth + 1));
        }
        for keyword in ["oneOf", "anyOf"] {
            if let Some(alternatives) = schema.get(keyword).and_then(Value::as_array) {
                let mut resolved = alternatives.iter().map(|alternative| self.resolve(alternative, depth + 1));
                if let Some(first) = resolved.next() {
                    own = own.intersect(resolved.fold(first, Expect::union));
                }
            }
        }
        own
    }
}

/// What a schema allows, flattened.
#[derive(Debug, Clone, Default)]
pub struct Expect<'a> {
    /// The JSON types it allows; empty: any.
    pub types: BTreeSet<JsonType>,
    /// `null` is allowed besides `types`.
    pub nullable: bool,
    /// Its declared fields, each with the schemas that may describe it.
    pub properties: BTreeMap<String, Vec<&'a Value>>,
    /// Its required fields.
    pub required: BTreeSet<String>,
    /// Fields it does not declare are allowed (`additionalProperties`).
    pub open: bool,
    /// The schemas of its array items.
    pub items: Vec<&'a Value>,
    /// The values it names, for an enum.
    pub enum_values: Option<BTreeSet<String>>,
}

impl<'a> Expect<'a> {
    /// Whether a value of type `observed` is allowed.
    pub fn allows(&self, observed: JsonType) -> bool {
        self.types.is_empty()
            || self.types.contains(&observed)
            || (observed == JsonType::Integer && self.types.contains(&JsonType::Number))
            || (observed == JsonType::Null && self.nullable)
    }

    /// Whether it describes an object whose undeclared fields are drift.
    pub fn closed_object(&self) -> bool {
        !self.open && !self.properties.is_empty() && (self.types.is_empty() || self.types.contains(&JsonType::Object))
    }

    /// The spec's types, for a report (`string`, `integer|null`).
    pub fn describe_types(&self) -> String {
        if self.types.is_empty() {
            return "any".to_string();
        }
        let mut names: Vec<String> = self.types.iter().map(ToString::to_string).collect();
        if self.nullable && !self.types.contains(&JsonType::Null) {
            names.push("null".to_string());
        }
        names.join("|")
    }

    /// A value matching either.
    fn union(mut self, other: Self) -> Self {
        let any = self.types.is_empty() && !self.nullable || other.types.is_empty() && !other.nullable;
        if any && self.properties.is_empty() && other.properties.is_empty() {
            self.types.clear();
        } else {
            self.types.extend(other.types);
        }
        self.nullable |= other.nullable;
        let both_objects = !self.properties.is_empty() && !other.properties.is_empty();
        self.required = if both_objects {
            self.required.intersection(&other.required).cloned().collect()
        } else if self.properties.is_empty() {
            other.required
        } else {
            self.required
        };
        for (name, schemas) in other.properties {
            self.properties.entry(name).or_default().extend(schemas);
        }
        self.open |= other.open;
        self.items.extend(other.items);
        self.enum_values = match (self.enum_values, other.enum_values) {
            (Some(mut a), Some(b)) => {
                a.extend(b);
                Some(a)
            }
            _ => None,
        };
        self
    }

    /// A value matching both (as far as `allOf` goes in this spec: the
    /// sibling keywords of a schema and the parts it lists).
    fn intersect(mut self, other: Self) -> Self {
        if self.types.is_empty() {
            self.types = other.types;
        } else if !other.types.is_empty() {
            let common: BTreeSet<JsonType> = self.types.intersection(&other.types).copied().collect();
            if !common.is_empty() {
                self.types = common;
            }
        }
        self.nullable |= other.nullable;
        self.required.extend(other.required);
        for (name, schemas) in other.properties {
            self.properties.entry(name).or_default().extend(schemas);
        }
        self.open |= other.open;
        self.items.extend(other.items);
        if self.enum_values.is_none() {
            self.enum_values = other.enum_values;
        }
        self
    }
}
