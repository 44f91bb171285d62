//! Reading the normalized spec: parsing it, and the few facts about an
//! operation that several generated files need (its id, the component
//! schema a response names).

use openapiv3::{OpenAPI, Operation, ReferenceOr, Response};

use crate::error::BuildError;

/// Parses the YAML spec into the typed OpenAPI model.
pub fn parse_spec(text: &str) -> Result<OpenAPI, String> {
    serde_norway::from_str(text).map_err(|e| format!("not an OpenAPI 3.0 document: {e}"))
}

/// The `operationId` of the operation at `method` `path`; an operation
/// without one cannot be generated.
pub(crate) fn operation_id(path: &str, method: &str, operation: &Operation) -> Result<String, BuildError> {
    operation
        .operation_id
        .clone()
        .ok_or_else(|| BuildError::new(format!("{} {path} has no operationId", method.to_uppercase())))
}

/// The component schema a response's JSON body names (`#/components/schemas/X`
/// gives `X`); `None` for a body that is inline, absent or not JSON.
pub(crate) fn response_schema(response: &ReferenceOr<Response>) -> Option<String> {
    let ReferenceOr::Item(response) = response else { return None };
    match &response.content.get("application/json")?.schema {
        Some(ReferenceOr::Reference { reference }) => component_name(reference).map(str::to_string),
        _ => None,
    }
}

/// The component a `$ref` to a schema names: `#/components/schemas/X` gives `X`.
pub(crate) fn component_name(reference: &str) -> Option<&str> {
    reference.strip_prefix("#/components/schemas/")
}
