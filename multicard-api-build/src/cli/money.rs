//! The amounts of a request body, from the spec's `x-money` marks: those at
//! the top of the body become flags that take their unit (`--amount
//! 1500sum`), the nested ones are listed in `--help` (they stay integers of
//! tiyin inside `--body`, as on the wire).

use std::borrow::Borrow;

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type};
use serde_json::Value;

use crate::extensions::MONEY;
use crate::spec::component_name;

/// The amounts of one request body.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Amounts {
    /// The top-level fields, each a flag (`amount`, `refund_amount`).
    pub(crate) flags: Vec<String>,
    /// Every field marked, as a path in the body (`amount`, `ofd[].price`).
    pub(crate) paths: Vec<String>,
}

/// How deep the walk follows `$ref`s and nesting (the spec's bodies are
/// three levels at most; a cycle stops here).
const MAX_DEPTH: usize = 6;

/// The amounts of the component schema `name` (the arms of a `oneOf`,
/// `anyOf` or `allOf` together).
pub(crate) fn of_schema(spec: &OpenAPI, name: &str) -> Amounts {
    let mut amounts = Amounts::default();
    if let Some(schema) = component(spec, name) {
        walk(spec, schema, "", 0, &mut amounts);
    }
    amounts.flags.dedup();
    amounts.paths.sort();
    amounts.paths.dedup();
    amounts
}

fn component<'a>(spec: &'a OpenAPI, name: &str) -> Option<&'a Schema> {
    match spec.components.as_ref()?.schemas.get(name)? {
        ReferenceOr::Item(schema) => Some(schema),
        ReferenceOr::Reference { reference } => component(spec, component_name(reference)?),
    }
}

fn resolve<'a, T: Borrow<Schema>>(spec: &'a OpenAPI, schema: &'a ReferenceOr<T>) -> Option<&'a Schema> {
    match schema {
        ReferenceOr::Item(schema) => Some(schema.borrow()),
        ReferenceOr::Reference { reference } => component(spec, component_name(reference)?),
    }
}

fn walk(spec: &OpenAPI, schema: &Schema, path: &str, depth: usize, found: &mut Amounts) {
    if depth > MAX_DEPTH {
        return;
    }
    match &schema.schema_kind {
        SchemaKind::OneOf { one_of: arms }
        | SchemaKind::AnyOf { any_of: arms }
        | SchemaKind::AllOf { all_of: arms } => {
            for arm in arms {
                if let Some(arm) = resolve(spec, arm) {
                    walk(spec, arm, path, depth + 1, found);
                }
            }
        }
        SchemaKind::Type(Type::Object(object)) => {
            for (name, property) in &object.properties {
                let Some(property) = resolve(spec, property) else { continue };
                let child = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
                if property.schema_data.extensions.get(MONEY).is_some_and(|unit| unit == &Value::from("tiyin")) {
                    if path.is_empty() && !found.flags.contains(name) {
                        found.flags.push(name.clone());
                    }
                    found.paths.push(child.clone());
                }
                walk(spec, property, &child, depth + 1, found);
            }
        }
        SchemaKind::Type(Type::Array(array)) => {
            if let Some(items) = array.items.as_ref().and_then(|items| resolve(spec, items)) {
                walk(spec, items, &format!("{path}[]"), depth + 1, found);
            }
        }
        _ => {}
    }
}

/// `example` (a request body's JSON) as the command line takes it, ready
/// to paste after the command: the top-level `flags` that hold an integer
/// become `--flag NNNtiyin \` lines before `--body='…'`: one word (the
/// JSON's spaces, only ever inside strings, written `\u0020`), quoted for a
/// POSIX shell, so no wrapping of the help splits it.
pub(crate) fn example_command(example: &Value, flags: &[String]) -> String {
    let mut body = example.clone();
    let mut out = String::new();
    for flag in flags {
        let Some(object) = body.as_object_mut() else { break };
        if let Some(tiyin) = object.get(flag).and_then(Value::as_i64).filter(|t| *t >= 0) {
            object.remove(flag);
            out.push_str(&format!("  --{} {tiyin}tiyin \\\n", flag.replace('_', "-")));
        }
    }
    // Compact JSON has no whitespace outside its strings.
    let json = body.to_string().replace(' ', "\\u0020");
    out.push_str(&format!("  --body={}", shell_quote(&json)));
    out
}

/// `text` single-quoted for a POSIX shell (a `'` inside closes, escapes
/// and reopens the quote).
pub(crate) fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_specs_amounts_are_flags_at_the_top_and_paths_below() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/multicard.yaml")).unwrap();
        let spec = crate::parse_spec(&text).unwrap();
        let invoice = of_schema(&spec, "CreateInvoiceRequest");
        assert_eq!(invoice.flags, ["amount"]);
        assert_eq!(invoice.paths, ["amount", "ofd[].price", "ofd[].total"]);
        let payment = of_schema(&spec, "CreatePaymentRequest");
        assert_eq!(payment.flags, ["amount"]);
        assert_eq!(payment.paths, ["amount", "ofd[].price", "ofd[].total", "split[].amount"]);
        assert_eq!(of_schema(&spec, "PartialRefundRequest").flags, ["refund_amount"]);
        assert_eq!(of_schema(&spec, "ChargeHoldRequest").flags, ["amount"]);
        assert_eq!(of_schema(&spec, "CreatePayoutRequest").flags, ["amount"]);
        assert_eq!(of_schema(&spec, "ConfirmPaymentRequest"), Amounts::default());
    }

    #[test]
    fn an_example_pastes_into_a_shell_with_its_amount_in_tiyin() {
        let example = json!({"amount": 500000, "name": "O'zbek shop"});
        assert_eq!(
            example_command(&example, &["amount".into()]),
            "  --amount 500000tiyin \\\n  --body='{\"name\":\"O'\\''zbek\\u0020shop\"}'"
        );
        let text = json!({"amount": "many"});
        assert_eq!(example_command(&text, &["amount".into()]), r#"  --body='{"amount":"many"}'"#);
    }
}
