//! `decode_request`: the request body type of each operation, from the spec,
//! as one table for the sandbox (which validates bodies with it) and for
//! the tests. Compiled only where [`DECODE_REQUEST_CFG`] holds, as it
//! instantiates every request type's decoder for `serde_json::Value`.

use openapiv3::{OpenAPI, ReferenceOr};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::error::BuildError;
use crate::spec::component_name;

/// The attribute `decode_request` carries: it exists only where the sandbox
/// is compiled.
const DECODE_REQUEST_CFG: &str = r#"#[cfg(feature = "request-decoding")] #[doc(hidden)]"#;

/// The `decode_request` function: one arm per operation whose JSON body
/// names a component schema.
pub(super) fn decode_request(spec: &OpenAPI) -> Result<TokenStream, BuildError> {
    let cfg: TokenStream = DECODE_REQUEST_CFG
        .parse()
        .map_err(|e| BuildError::new(format!("`{DECODE_REQUEST_CFG}` is not an attribute: {e}")))?;
    let mut arms = Vec::new();
    for (_, _, operation) in spec.operations() {
        let Some(id) = operation.operation_id.clone() else { continue };
        let Some(ReferenceOr::Item(body)) = &operation.request_body else { continue };
        let Some(ReferenceOr::Reference { reference }) =
            body.content.get("application/json").and_then(|m| m.schema.as_ref())
        else {
            continue;
        };
        let Some(name) = component_name(reference) else { continue };
        let ty = Ident::new(name, Span::call_site());
        arms.push(quote!(#id => Some(typed::<crate::types::#ty>(body)),));
    }
    Ok(quote! {
        /// Decodes `body` as the request type of `operation` and writes it
        /// back as that type would (optional nulls and unknown fields
        /// dropped). `None` for an operation without a body. The sandbox's
        /// body check; compiled with it only, as it instantiates every
        /// request type's decoder for `serde_json::Value`.
        #cfg
        pub fn decode_request(operation: &str, body: ::serde_json::Value) -> Option<::std::result::Result<::serde_json::Value, ::std::string::String>> {
            fn typed<T: ::serde::de::DeserializeOwned + ::serde::Serialize>(
                body: ::serde_json::Value,
            ) -> ::std::result::Result<::serde_json::Value, ::std::string::String> {
                let typed = ::serde_json::from_value::<T>(body).map_err(|e| e.to_string())?;
                ::serde_json::to_value(typed).map_err(|e| e.to_string())
            }
            match operation {
                #(#arms)*
                _ => None,
            }
        }
    })
}
