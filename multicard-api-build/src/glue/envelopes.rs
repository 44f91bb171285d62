//! `impl Envelope for crate::types::X`: for every success schema shaped as
//! Multicard's envelope (`{success, data, error}` with `data` a named
//! schema), how the hand-written layer takes the flag, the payload and the
//! error out of it.

use std::collections::BTreeSet;

use openapiv3::{OpenAPI, ReferenceOr, SchemaKind, Type};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::spec::component_name;

/// One `impl Envelope` per envelope among `success_types` (the success
/// schemas of the operations), in name order; any other schema is skipped.
pub(super) fn impls<'a>(spec: &OpenAPI, success_types: impl IntoIterator<Item = &'a str>) -> Vec<TokenStream> {
    let envelopes: BTreeSet<&str> = success_types.into_iter().collect();
    let schemas = spec.components.as_ref().map(|c| &c.schemas);
    // Accepts `null`: marked nullable beside its type, or untyped with
    // nothing that constrains it (OpenAPI 3.0.3 lets such a schema take any
    // value, `null` included, and `nullable` there has no effect).
    let nullable = |name: &str| match schemas.and_then(|s| s.get(name)) {
        Some(ReferenceOr::Item(schema)) => {
            schema.schema_data.nullable
                || matches!(&schema.schema_kind, SchemaKind::Any(any) if any.typ.is_none()
                    && any.enumeration.is_empty() && any.properties.is_empty() && any.one_of.is_empty()
                    && any.all_of.is_empty() && any.any_of.is_empty() && any.not.is_none())
        }
        _ => false,
    };
    let mut items = Vec::new();
    for name in envelopes {
        let Some(ReferenceOr::Item(schema)) = schemas.and_then(|s| s.get(name)) else { continue };
        let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else { continue };
        let (Some(_), Some(ReferenceOr::Reference { reference }), Some(_)) =
            (object.properties.get("success"), object.properties.get("data"), object.properties.get("error"))
        else {
            continue;
        };
        let Some(data) = component_name(reference) else { continue };
        let wrapper = Ident::new(name, Span::call_site());
        let data_ty = Ident::new(data, Span::call_site());
        // A payload that may be null is still a payload when absent.
        let data_expr = if nullable(data) {
            quote!(
                self.data
                    .take()
                    .or_else(|| ::serde_json::from_value(::serde_json::Value::Null).ok())
                    .map(::std::boxed::Box::new)
            )
        } else {
            quote!(self.data.take().map(::std::boxed::Box::new))
        };
        items.push(quote! {
            impl crate::operation::sealed::Sealed for crate::types::#wrapper {}
            impl Envelope for crate::types::#wrapper {
                type Data = crate::types::#data_ty;
                fn take_parts(&mut self) -> (bool, ::std::option::Option<::std::boxed::Box<Self::Data>>, ::std::option::Option<crate::types::ErrorDetail>) {
                    (self.success, #data_expr, self.error.take())
                }
            }
        });
    }
    items
}
