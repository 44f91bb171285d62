//! Comparing two versions of one schema, judged against the Rust code that
//! `multicard-api-build` generates from it:
//!
//! - an object with properties is a `#[non_exhaustive]` struct, so a new
//!   field breaks no code, unless the struct is sent and the field is
//!   required (a request built without it is refused);
//! - a field is `Option<T>` unless it is required and not nullable;
//! - a named string enum is an open, non-exhaustive enum with `Unknown`, so
//!   a new value breaks no code, while a removed value takes its variant away;
//! - any other change of what a field holds changes its Rust type.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::change::Level;
use super::reach::ref_name;
use crate::extensions::{EXACT_FIELDS, INFORMATIVE_FIELDS, MONEY, SDK_DEFAULT, SENSITIVE};

/// A change found inside one schema, before it is placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How much it matters.
    pub level: Level,
    /// The path inside the schema: `""`, `.bank.country_code`, `[].status`.
    pub inner: String,
    /// What changed: `added`, `removed`, `type changed`, `value \`x\` removed`.
    pub what: String,
    /// The old value, when there is one to show.
    pub old: Option<String>,
    /// The new value.
    pub new: Option<String>,
    /// Why the verdict, in terms of the generated Rust code.
    pub why: String,
}

/// How a schema is turned into Rust, as far as compatibility goes.
enum Shape<'a> {
    Named(&'a str),
    Struct(&'a Map<String, Value>, BTreeSet<&'a str>),
    Map(Option<&'a Value>),
    List(&'a Value),
    Enum(bool, Vec<String>),
    Union(Vec<String>),
    Scalar(String),
    Any,
}

/// The arm that accepts exactly `null` ([`crate::apidog::explicit_null_arms`]).
fn is_null_arm(arm: &Value) -> bool {
    arm.get("enum").and_then(Value::as_array).is_some_and(|values| values.iter().all(Value::is_null))
}

/// `allOf` with one part, and `anyOf` of a schema and the `null` arm (how a
/// described or nullable `$ref` is written), are that part.
fn unwrap(schema: &Value) -> &Value {
    if let Some([single]) = schema.get("allOf").and_then(Value::as_array).map(Vec::as_slice) {
        return unwrap(single);
    }
    match schema.get("anyOf").and_then(Value::as_array).map(Vec::as_slice) {
        Some([single, null]) if is_null_arm(null) => unwrap(single),
        Some([null, single]) if is_null_arm(null) => unwrap(single),
        _ => schema,
    }
}

/// The schema with its nullable compositions written one way, so that a
/// change of notation is not reported as a change of type.
fn one_null_notation(schema: &Value) -> Value {
    let mut schema = schema.clone();
    crate::apidog::visit_schemas_mut(&mut schema, "", &mut |_, map| crate::apidog::explicit_null_arms(map));
    schema
}

fn shape(schema: &Value) -> Shape<'_> {
    let schema = unwrap(schema);
    if let Some(name) = ref_name(schema) {
        return Shape::Named(name);
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(arms) = schema.get(key).and_then(Value::as_array) {
            return Shape::Union(arms.iter().filter(|arm| !is_null_arm(arm)).map(label).collect());
        }
    }
    let kind = schema.get("type").and_then(Value::as_str);
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let text = values
            .iter()
            .filter(|v| !v.is_null())
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
            .collect();
        return Shape::Enum(kind == Some("string"), text);
    }
    match kind {
        Some("array") => Shape::List(schema.get("items").unwrap_or(&Value::Null)),
        Some("object") | None if schema.get("properties").and_then(Value::as_object).is_some_and(|p| !p.is_empty()) => {
            let properties = schema.get("properties").and_then(Value::as_object).expect("checked above");
            let required = schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            Shape::Struct(properties, required)
        }
        Some("object") => Shape::Map(schema.get("additionalProperties")),
        Some(kind) => {
            let mut key = kind.to_string();
            let facets: Vec<String> = ["format", "minimum", "maximum", "minLength", "maxLength", "pattern"]
                .iter()
                .filter_map(|facet| {
                    schema
                        .get(*facet)
                        .map(|v| format!("{facet}: {}", v.as_str().map_or_else(|| v.to_string(), str::to_string)))
                })
                .collect();
            if !facets.is_empty() {
                key = format!("{key} ({})", facets.join(", "));
            }
            Shape::Scalar(key)
        }
        None => Shape::Any,
    }
}

/// A short description of a schema for the report: `string`, `PaymentStatus`,
/// `array of OfdItemsItem`, `object`, `integer | string`.
pub fn label(schema: &Value) -> String {
    let nullable = if is_nullable(schema) { ", nullable" } else { "" };
    let text = match shape(schema) {
        Shape::Named(name) => name.to_string(),
        Shape::Struct(properties, _) => {
            let names: Vec<&str> = properties.keys().map(String::as_str).collect();
            format!("object {{{}}}", names.join(", "))
        }
        Shape::Map(None) => "object".to_string(),
        Shape::Map(Some(values)) => format!("map of {}", label(values)),
        Shape::List(items) => format!("array of {}", label(items)),
        Shape::Enum(_, values) => format!("enum [{}]", values.join(", ")),
        Shape::Union(arms) => arms.join(" | "),
        Shape::Scalar(key) => key,
        Shape::Any => "any value".to_string(),
    };
    if nullable.is_empty() { text } else { format!("{text}{nullable}") }
}

/// Whether `null` is a value of the schema, in either notation.
fn is_nullable(schema: &Value) -> bool {
    schema.get("nullable") == Some(&Value::Bool(true))
        || schema.get("anyOf").and_then(Value::as_array).is_some_and(|arms| arms.iter().any(is_null_arm))
        || schema.get("enum").and_then(Value::as_array).is_some_and(|values| values.iter().any(Value::is_null))
}

/// The Rust variant name the build crate gives an enum value
/// (`ERROR_FIELDS` gives `ErrorFields`): the build crate's own rule, so the
/// report names exactly the variant users' code matches on.
pub use multicard_api_build::variant_name;

/// Compares two versions of the schema `name` (a component, or the schema
/// of a parameter). `sent` tells whether a caller sends values of it.
pub fn compare(name: &str, old: &Value, new: &Value, sent: bool) -> Vec<Finding> {
    let mut differ = Differ { name, sent, out: Vec::new() };
    differ.node(&one_null_notation(old), &one_null_notation(new), "", false);
    differ.out
}

struct Differ<'a> {
    name: &'a str,
    sent: bool,
    out: Vec<Finding>,
}

impl Differ<'_> {
    fn push(
        &mut self,
        level: Level,
        inner: &str,
        what: impl Into<String>,
        old: Option<String>,
        new: Option<String>,
        why: &str,
    ) {
        let what = what.into();
        self.out.push(Finding { level, inner: inner.to_string(), what, old, new, why: why.to_string() });
    }

    fn type_changed(&mut self, inner: &str, old: &Value, new: &Value) {
        self.push(
            Level::Breaking,
            inner,
            "type changed",
            Some(label(old)),
            Some(label(new)),
            "its Rust type changes: code that reads, sets or matches it stops compiling",
        );
    }

    /// One schema node. `property` is set for the schema of a struct field,
    /// whose nullability is part of the field's `Option` (judged by the caller).
    fn node(&mut self, old: &Value, new: &Value, inner: &str, property: bool) {
        let before = self.out.len();
        match (shape(old), shape(new)) {
            (Shape::Named(a), Shape::Named(b)) if a == b => {}
            (Shape::Struct(po, ro), Shape::Struct(pn, rn)) => {
                self.fields(inner, (po, &ro), (pn, &rn));
                let closed = |v: &Value| unwrap(v).get("additionalProperties") == Some(&Value::Bool(false));
                if closed(old) != closed(new) {
                    self.push(
                        Level::Minor,
                        inner,
                        if closed(new) { "unknown fields now refused" } else { "unknown fields now accepted" },
                        None,
                        None,
                        "decoding (`deny_unknown_fields`) changes, not the Rust type",
                    );
                }
            }
            (Shape::Map(a), Shape::Map(b)) => match (a, b) {
                (Some(a), Some(b)) if a.is_object() && b.is_object() => self.node(a, b, &format!("{inner}.*"), false),
                (a, b) if a == b => {}
                _ => self.type_changed(inner, old, new),
            },
            (Shape::List(a), Shape::List(b)) => self.node(a, b, &format!("{inner}[]"), false),
            (Shape::Enum(true, a), Shape::Enum(true, b)) => self.values(inner, &a, &b),
            (Shape::Enum(false, a), Shape::Enum(false, b)) if a == b => {}
            (Shape::Union(a), Shape::Union(b)) if a == b => {}
            (Shape::Union(_), Shape::Union(_)) => self.push(
                Level::Breaking,
                inner,
                "alternatives changed",
                Some(label(old)),
                Some(label(new)),
                "the generated enum of alternatives gains or loses a variant: a `match` on it stops compiling",
            ),
            (Shape::Scalar(a), Shape::Scalar(b)) if a == b => {}
            (Shape::Any, Shape::Any) => {}
            _ => {
                self.type_changed(inner, old, new);
                return;
            }
        }
        if !property && is_nullable(old) != is_nullable(new) {
            self.push(
                Level::Breaking,
                inner,
                if is_nullable(new) { "became nullable" } else { "no longer nullable" },
                Some(label(old)),
                Some(label(new)),
                "its Rust type gains or loses an `Option`: code that uses it stops compiling",
            );
        }
        self.prose(old, new, inner);
        if self.out.len() == before && crate::json::semantic(old) != crate::json::semantic(new) {
            self.push(Level::Patch, inner, "schema details changed", None, None, "no change to the generated types");
        }
    }

    fn fields(
        &mut self,
        inner: &str,
        old: (&Map<String, Value>, &BTreeSet<&str>),
        new: (&Map<String, Value>, &BTreeSet<&str>),
    ) {
        let optional = |(properties, required): (&Map<String, Value>, &BTreeSet<&str>), field: &str| {
            !required.contains(field) || properties.get(field).is_some_and(is_nullable)
        };
        for (field, schema) in old.0 {
            let at = format!("{inner}.{field}");
            let Some(new_schema) = new.0.get(field) else {
                self.push(
                    Level::Breaking,
                    &at,
                    "removed",
                    Some(label(schema)),
                    None,
                    "the struct loses the field: code that reads or sets it stops compiling",
                );
                continue;
            };
            let (was, is) = (optional(old, field), optional(new, field));
            if was != is {
                self.push(
                    Level::Breaking,
                    &at,
                    if is { "became optional" } else { "became required" },
                    Some(format!("{}{}", label(schema), if was { ", optional" } else { ", required" })),
                    Some(format!("{}{}", label(new_schema), if is { ", optional" } else { ", required" })),
                    "the field's Rust type changes between `Option<T>` and `T`: code that reads or sets it stops compiling",
                );
            }
            self.node(schema, new_schema, &at, true);
        }
        for (field, schema) in new.0 {
            if old.0.contains_key(field) {
                continue;
            }
            let at = format!("{inner}.{field}");
            let required = !optional(new, field);
            let what = "added";
            let shown = Some(format!("{}{}", label(schema), if required { ", required" } else { ", optional" }));
            if required && self.sent {
                self.push(
                    Level::Breaking,
                    &at,
                    what,
                    None,
                    shown,
                    "a request must now carry it: a body built without it is refused by its builder",
                );
            } else {
                self.push(
                    Level::Minor,
                    &at,
                    what,
                    None,
                    shown,
                    "a new field of a non-exhaustive struct: no code breaks",
                );
            }
        }
    }

    fn values(&mut self, inner: &str, old: &[String], new: &[String]) {
        let enum_name = format!("{}{}", self.name, inner);
        for value in old.iter().filter(|v| !new.contains(v)) {
            let why = format!(
                "the variant `{enum_name}::{}` is gone: code that names it stops compiling (the value still decodes, as `Unknown`)",
                variant_name(value)
            );
            self.push(Level::Breaking, inner, format!("value `{value}` removed"), None, None, &why);
        }
        for value in new.iter().filter(|v| !old.contains(v)) {
            let why = format!(
                "a new variant `{enum_name}::{}` of an open, non-exhaustive enum: no code breaks, and the value no longer decodes as `Unknown`",
                variant_name(value)
            );
            self.push(Level::Minor, inner, format!("value `{value}` added"), None, None, &why);
        }
    }

    fn prose(&mut self, old: &Value, new: &Value, inner: &str) {
        let text = |v: &Value| v.get("description").and_then(Value::as_str).map(short);
        if text(old) != text(new) {
            self.push(Level::Patch, inner, "description changed", text(old), text(new), "documentation only");
        }
        for (key, level, why) in [
            (SENSITIVE, Level::Patch, "what `Debug` prints changes"),
            (MONEY, Level::Minor, "which request fields the command line takes as amount flags with a unit changes"),
            (INFORMATIVE_FIELDS, Level::Minor, "which nested objects may fall away when they do not decode changes"),
            (EXACT_FIELDS, Level::Breaking, "a field's Rust type changes between `Option` and the exact reading"),
            (
                SDK_DEFAULT,
                Level::Breaking,
                "what a request built without the field sends changes, and the field's Rust type",
            ),
        ] {
            if old.get(key) != new.get(key) {
                let show = |v: &Value| v.get(key).map(Value::to_string);
                self.push(level, inner, format!("`{key}` changed"), show(old), show(new), why);
            }
        }
    }
}

/// Text cut to one short line for the report.
pub fn short(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= 60 { line } else { format!("{}…", line.chars().take(59).collect::<String>()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lines(old: Value, new: Value, sent: bool) -> Vec<String> {
        compare("T", &old, &new, sent)
            .into_iter()
            .map(|f| format!("{:?} T{} {} {:?} -> {:?}", f.level, f.inner, f.what, f.old, f.new))
            .collect()
    }

    #[test]
    fn nested_fields_are_named_in_full_and_judged_by_direction() {
        let old = json!({"type": "object", "properties": {"bank": {"type": "object", "properties": {"bin": {"type": "string"}}}}});
        let new = json!({"type": "object", "required": ["bank"], "properties": {"bank": {"type": "object", "required": ["code"], "properties": {"bin": {"type": "integer"}, "code": {"type": "string"}}}}});
        assert_eq!(
            lines(old.clone(), new.clone(), false),
            [
                "Breaking T.bank became required Some(\"object {bin}, optional\") -> Some(\"object {bin, code}, required\")",
                "Breaking T.bank.bin type changed Some(\"string\") -> Some(\"integer\")",
                "Minor T.bank.code added None -> Some(\"string, required\")",
            ]
        );
        assert_eq!(lines(old, new, true)[2], "Breaking T.bank.code added None -> Some(\"string, required\")");
    }

    #[test]
    fn enum_values_removed_break_and_added_do_not() {
        let found = compare(
            "Status",
            &json!({"type": "string", "enum": ["a", "revert"]}),
            &json!({"type": "string", "enum": ["a", "refunded"]}),
            false,
        );
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].level, found[0].what.as_str()), (Level::Breaking, "value `revert` removed"));
        assert!(found[0].why.contains("`Status::Revert`"), "{}", found[0].why);
        assert_eq!((found[1].level, found[1].what.as_str()), (Level::Minor, "value `refunded` added"));
    }

    #[test]
    fn prose_is_a_patch() {
        let found = compare(
            "T",
            &json!({"type": "string", "description": "a"}),
            &json!({"type": "string", "description": "b"}),
            true,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].level, Level::Patch);
    }
}
