//! `decode_every_response`: one decoder per response
//! type of the spec (success and error schemas, each once, in spec order),
//! for the fuzz targets, which feed them arbitrary bytes.

use openapiv3::OpenAPI;
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::spec::response_schema;

/// The constant and the function.
pub(super) fn decoders(spec: &OpenAPI) -> TokenStream {
    let mut response_types: Vec<String> = Vec::new();
    for (_, _, operation) in spec.operations() {
        for response in operation.responses.responses.values() {
            if let Some(name) = response_schema(response)
                && !response_types.contains(&name)
            {
                response_types.push(name);
            }
        }
    }
    let decoders = response_types.iter().map(|name| {
        let ty = Ident::new(name, Span::call_site());
        quote!(decoded += usize::from(::serde_json::from_slice::<crate::types::#ty>(bytes).is_ok());)
    });
    quote! {
        /// Decodes `bytes` as every response type of the spec; returns how
        /// many accepted it (the `fuzzing` feature's `responses` target).
        #[cfg(feature = "fuzzing")]
        pub(crate) fn decode_every_response(bytes: &[u8]) -> usize {
            let mut decoded = 0;
            #(#decoders)*
            decoded
        }
    }
}
