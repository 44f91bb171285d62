//! `multicard_operations.rs`: the table of operations, one `OperationInfo`
//! per operation in spec order (id, method, path template, tag, whether it
//! needs the bearer token, the read that settles it), included by
//! `multicard-api` beside its `OperationInfo` type.

use openapiv3::OpenAPI;
use quote::quote;

use crate::error::BuildError;
use crate::extensions::SETTLED_BY;
use crate::format::format_tokens;
use crate::spec::operation_id;

/// The operation table: one `OperationInfo` per operation, in spec order,
/// with whether it needs the bearer token (from the spec's `security`).
pub fn operation_table(spec: &OpenAPI) -> Result<String, BuildError> {
    let global_secured = spec.security.as_ref().is_some_and(|s| !s.is_empty());
    let mut rows = Vec::new();
    for (path, method, operation) in spec.operations() {
        let id = operation_id(path, method, operation)?;
        let secured = match &operation.security {
            Some(requirements) => !requirements.is_empty(),
            None => global_secured,
        };
        let tag = operation.tags.first().cloned().unwrap_or_default();
        let method = method.to_uppercase();
        let settled_by = match operation.extensions.get(SETTLED_BY).and_then(|v| v.as_str()) {
            Some(read) => quote!(Some(#read)),
            None => quote!(None),
        };
        let index = rows.len();
        // Known here once, not searched for in the path on every request.
        let has_parameters = path.contains('{');
        let card_token_in_path = path.contains("{card_token}");
        rows.push(quote! {
            OperationInfo {
                index: #index, id: #id, method: #method, path: #path, tag: #tag, requires_token: #secured,
                settled_by: #settled_by, has_parameters: #has_parameters, card_token_in_path: #card_token_in_path,
            },
        });
    }
    let count = rows.len();
    format_tokens(quote! {
        /// Every operation of the spec, in the spec's order.
        pub const OPERATIONS: [OperationInfo; #count] = [#(#rows)*];
    })
    .map_err(|e| BuildError::new(format!("generated operation table does not parse: {e}")))
}
