//! What the spec's schemas say of the shapes the command line handles: a
//! registry export's rows (the array of `data` that holds them, the
//! columns of a row, the values of its `status`) and a request body of
//! several shapes (the variants of an untagged enum).

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type};

use crate::spec::component_name;

/// The object schema `schema` is or names (`$ref`), if it is one.
fn object_of<'a, S: std::borrow::Borrow<Schema>>(
    spec: &'a OpenAPI,
    schema: &'a ReferenceOr<S>,
) -> Option<&'a openapiv3::ObjectType> {
    let schema = match (referenced(schema), schema) {
        (Some(name), _) => match spec.components.as_ref()?.schemas.get(name)? {
            ReferenceOr::Item(schema) => schema,
            ReferenceOr::Reference { .. } => return None,
        },
        (None, ReferenceOr::Item(schema)) => schema.borrow(),
        (None, ReferenceOr::Reference { .. }) => return None,
    };
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => Some(object),
        _ => None,
    }
}

/// The component a schema names: a `$ref`, or a described reference (an
/// `allOf` of one `$ref`, as the spec writes a reference with its own
/// description).
fn referenced<S: std::borrow::Borrow<Schema>>(schema: &ReferenceOr<S>) -> Option<&str> {
    match schema {
        ReferenceOr::Reference { reference } => component_name(reference),
        ReferenceOr::Item(schema) => match &schema.borrow().schema_kind {
            SchemaKind::AllOf { all_of } if all_of.len() == 1 => match &all_of[0] {
                ReferenceOr::Reference { reference } => component_name(reference),
                ReferenceOr::Item(_) => None,
            },
            _ => None,
        },
    }
}

/// What a registry export's rows are, from the response schema: the array
/// field of `data` that holds them (`list` when there is one, else the
/// first array), the columns of a row (its properties in the spec's order,
/// an object's own properties as `object.field`), and the values of its
/// `status` enum.
pub(super) struct RowSchema {
    pub(super) field: String,
    pub(super) columns: Vec<String>,
    pub(super) status: Vec<String>,
}

/// How deep the columns follow objects inside a row.
const MAX_COLUMN_DEPTH: usize = 4;

fn columns_of(spec: &OpenAPI, object: &openapiv3::ObjectType, prefix: &str, depth: usize, out: &mut Vec<String>) {
    for (name, schema) in &object.properties {
        let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
        match object_of(spec, schema) {
            Some(inner) if depth < MAX_COLUMN_DEPTH && !inner.properties.is_empty() => {
                columns_of(spec, inner, &path, depth + 1, out)
            }
            _ => out.push(path),
        }
    }
}

pub(super) fn row_schema(spec: &OpenAPI, response: &str) -> Option<RowSchema> {
    let envelope = spec.components.as_ref()?.schemas.get(response)?;
    let envelope = object_of(spec, envelope)?;
    let data = object_of(spec, envelope.properties.get("data")?)?;
    let arrays: Vec<(&String, &openapiv3::ArrayType)> = data
        .properties
        .iter()
        .filter_map(|(name, schema)| match schema {
            ReferenceOr::Item(schema) => match &schema.schema_kind {
                SchemaKind::Type(Type::Array(array)) => Some((name, array)),
                _ => None,
            },
            ReferenceOr::Reference { .. } => None,
        })
        .collect();
    // A registry's rows are its `list` (beside aggregates such as `stat`).
    let (field, array) = arrays.iter().find(|(name, _)| name.as_str() == "list").or(arrays.first())?;
    let row = object_of(spec, array.items.as_ref()?)?;
    let mut columns = Vec::new();
    columns_of(spec, row, "", 0, &mut columns);
    let status = row
        .properties
        .get("status")
        .and_then(referenced)
        .map(|name| super::params::enum_values(spec, name))
        .unwrap_or_default();
    Some(RowSchema { field: field.to_string(), columns, status })
}

/// The variants of a request body that is one of several shapes (a
/// `oneOf` or `anyOf` of named schemas, an untagged enum in `types`):
/// each variant's type name, which is its schema's.
pub(super) fn one_of_variants(spec: &OpenAPI, schema: &str) -> Vec<String> {
    let Some(ReferenceOr::Item(schema)) = spec.components.as_ref().and_then(|c| c.schemas.get(schema)) else {
        return Vec::new();
    };
    let arms = match &schema.schema_kind {
        SchemaKind::OneOf { one_of } => one_of,
        SchemaKind::AnyOf { any_of } => any_of,
        _ => return Vec::new(),
    };
    let names: Vec<String> = arms
        .iter()
        .filter_map(|arm| match arm {
            ReferenceOr::Reference { reference } => component_name(reference).map(str::to_string),
            ReferenceOr::Item(_) => None,
        })
        .collect();
    if names.len() == arms.len() { names } else { Vec::new() }
}

/// Whether a body of schema `name` must hold some field: an object with a
/// `required` list, or anything else (a union, a reference the spec does
/// not define) to be safe.
pub(super) fn requires_fields(spec: &OpenAPI, name: &str) -> bool {
    match spec.components.as_ref().and_then(|c| c.schemas.get(name)) {
        Some(ReferenceOr::Item(::openapiv3::Schema {
            schema_kind: ::openapiv3::SchemaKind::Type(::openapiv3::Type::Object(object)),
            ..
        })) => !object.required.is_empty(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> OpenAPI {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/multicard.yaml")).unwrap();
        crate::parse_spec(&text).unwrap()
    }

    /// A registry export's columns are its row schema's, in the spec's
    /// order: a field only later rows carry (`refund_time`) is a column.
    #[test]
    fn registry_columns_come_from_the_row_schema_in_the_specs_order() {
        let spec = spec();
        let payments = row_schema(&spec, "PaymentRegistryResponse").unwrap();
        assert_eq!(payments.field, "list");
        assert_eq!(payments.columns.first().map(String::as_str), Some("id"));
        let at = |name: &str| payments.columns.iter().position(|c| c == name).unwrap();
        assert!(at("uuid") < at("status") && at("status") < at("refund_time") && at("refund_time") < at("added_on"));
        assert!(!payments.columns.iter().any(|c| c == "extra"), "`extra` is the writer's, not the schema's");
        assert!(payments.status.iter().any(|s| s == "revert"));
        let payouts = row_schema(&spec, "PayoutRegistryResponse").unwrap();
        assert!(payouts.columns.iter().any(|c| c == "total_amount"));
        assert!(!payouts.columns.iter().any(|c| c == "refund_time"));
        assert!(row_schema(&spec, "PaymentModelResponse").is_none());
    }

    #[test]
    fn a_body_of_several_shapes_lists_its_variants() {
        let spec = spec();
        assert_eq!(
            one_of_variants(&spec, "CreatePaymentRequest"),
            ["AppPaymentRequest", "PaymentByTokenRequest", "PaymentByCardRequest", "SplitPaymentRequest"]
        );
        assert!(one_of_variants(&spec, "CreateInvoiceRequest").is_empty());
    }
}
