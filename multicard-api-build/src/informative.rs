//! Informative fields: nested objects that must never sink an answer.
//!
//! The spec lists, for each schema only Multicard sends, the optional fields
//! that hold an object (`x-informative-fields`, written by `cargo xtask
//! regen` from the decoding policy): a payment's `store`, `clearing`, `tax`,
//! `application`, `details`. Here each such field of the generated struct is
//! given a decoder of its own that reads the value, and, when it does not fit
//! the type, leaves the field empty and reports the type, the field and the
//! operation (`multicard_api`'s `informative` module) instead of failing the
//! whole answer.
//!
//! Exact fields (`x-exact-fields`: an invoice's `payment`, which says whether
//! the invoice is paid) are not informative: one that does not decode must
//! never read as absent. [`mark_exact`] gives each the type
//! `crate::informative::Exact<T>` (absent, present or unreadable) and a
//! decoder that keeps what did not decode, so the rest of the answer still
//! decodes and nobody can mistake "unreadable" for "none".
//!
//! An informative field that holds a generated struct is boxed
//! (`Option<Box<StoreModel>>`): typify writes nested objects inline, so a
//! payment was 3 KB, most of it objects that are often absent and rarely
//! read, and every move of an answer through a call copied all of it.

use std::collections::BTreeMap;

use heck::ToSnakeCase;
use openapiv3::{OpenAPI, ReferenceOr};
use quote::{ToTokens, format_ident, quote};
use syn::{Item, parse_quote};

use crate::extensions::{EXACT_FIELDS, INFORMATIVE_FIELDS};
use crate::types_module;

/// The informative fields of each schema: schema name to field names.
pub fn fields(spec: &OpenAPI) -> Result<BTreeMap<String, Vec<String>>, String> {
    listed(spec, INFORMATIVE_FIELDS)
}

/// The exact fields of each schema (`x-exact-fields`): schema name to field
/// names.
pub fn exact_fields(spec: &OpenAPI) -> Result<BTreeMap<String, Vec<String>>, String> {
    listed(spec, EXACT_FIELDS)
}

fn listed(spec: &OpenAPI, key: &str) -> Result<BTreeMap<String, Vec<String>>, String> {
    let mut out = BTreeMap::new();
    for (name, schema) in spec.components.iter().flat_map(|c| c.schemas.iter()) {
        let ReferenceOr::Item(schema) = schema else { continue };
        let Some(listed) = schema.schema_data.extensions.get(key) else { continue };
        let fields = listed
            .as_array()
            .and_then(|items| items.iter().map(|v| v.as_str().map(str::to_string)).collect::<Option<Vec<_>>>())
            .ok_or_else(|| format!("`{key}` of schema `{name}` is not a list of field names"))?;
        out.insert(name.clone(), fields);
    }
    Ok(out)
}

/// Gives every informative field of the generated `types` module its
/// tolerant decoder. Fails, naming it, on a schema or field the generated
/// code does not have: a generator upgrade that renames things must not
/// silently make an answer strict again.
pub fn mark(file: &mut syn::File, wanted: &BTreeMap<String, Vec<String>>) -> Result<usize, String> {
    let items = types_module::items(file)?;
    let structs: std::collections::BTreeSet<String> = items
        .iter()
        .filter_map(|item| match item {
            Item::Struct(s) => Some(s.ident.to_string()),
            _ => None,
        })
        .collect();
    let mut readers = Vec::new();
    for (schema, fields) in wanted {
        let strukt = types_module::find_struct(items, schema)
            .ok_or_else(|| format!("schema `{schema}` has informative fields but no generated struct"))?;
        for field in fields {
            let member = types_module::field_of(strukt, field).ok_or_else(|| {
                format!("`{schema}.{field}` is informative but the generated struct has no such field")
            })?;
            let optional =
                member.ty.to_token_stream().to_string().replace(' ', "").starts_with("::std::option::Option<");
            if !optional {
                return Err(format!("`{schema}.{field}` is informative but not an `Option`"));
            }
            box_struct(&mut member.ty, &structs);
            let has_default = member
                .attrs
                .iter()
                .any(|attr| attr.path().is_ident("serde") && attr.to_token_stream().to_string().contains("default"));
            let reader = format_ident!("{}__{}", schema.to_snake_case(), field);
            let path = format!("informative_fields::{reader}");
            member.attrs.push(if has_default {
                parse_quote!(#[serde(deserialize_with = #path)])
            } else {
                parse_quote!(#[serde(default, deserialize_with = #path)])
            });
            readers.push(quote! {
                pub(super) fn #reader<'de, D, T>(deserializer: D) -> ::std::result::Result<::std::option::Option<T>, D::Error>
                where
                    D: ::serde::Deserializer<'de>,
                    T: ::serde::de::DeserializeOwned,
                {
                    crate::informative::read_optional(deserializer, #schema, #field)
                }
            });
        }
    }
    let count = readers.len();
    items.push(parse_quote! {
        /// The tolerant decoders of the informative fields.
        #[allow(non_snake_case)]
        mod informative_fields {
            #(#readers)*
        }
    });
    Ok(count)
}

/// Gives every exact field of the generated `types` module the type
/// `crate::informative::Exact<T>` and its decoder. Fails, naming it, on a
/// schema or field the generated code does not have, or a field that is not
/// an `Option`: a generator upgrade must not silently make it an `Option`
/// again.
pub fn mark_exact(file: &mut syn::File, wanted: &BTreeMap<String, Vec<String>>) -> Result<usize, String> {
    if wanted.is_empty() {
        return Ok(0);
    }
    let items = types_module::items(file)?;
    let mut readers = Vec::new();
    for (schema, fields) in wanted {
        let strukt = types_module::find_struct(items, schema)
            .ok_or_else(|| format!("schema `{schema}` has exact fields but no generated struct"))?;
        for field in fields {
            let member = types_module::field_of(strukt, field)
                .ok_or_else(|| format!("`{schema}.{field}` is exact but the generated struct has no such field"))?;
            let inner =
                option_inner(&member.ty).ok_or_else(|| format!("`{schema}.{field}` is exact but not an `Option`"))?;
            member.ty = parse_quote!(crate::informative::Exact<#inner>);
            member.attrs.retain(|attr| !attr.to_token_stream().to_string().contains("skip_serializing_if"));
            let reader = format_ident!("{}__{}", schema.to_snake_case(), field);
            let path = format!("exact_fields::{reader}");
            member.attrs.push(parse_quote!(#[serde(default, deserialize_with = #path)]));
            member.attrs.push(parse_quote!(#[serde(skip_serializing_if = "crate::informative::Exact::is_absent")]));
            readers.push(quote! {
                pub(super) fn #reader<'de, D, T>(deserializer: D) -> ::std::result::Result<crate::informative::Exact<T>, D::Error>
                where
                    D: ::serde::Deserializer<'de>,
                    T: ::serde::de::DeserializeOwned,
                {
                    crate::informative::read_exact(deserializer, #schema, #field)
                }
            });
        }
    }
    let count = readers.len();
    items.push(parse_quote! {
        /// The exact decoders: absent, present, or unreadable, never "absent" for what did not decode.
        #[allow(non_snake_case)]
        mod exact_fields {
            #(#readers)*
        }
    });
    Ok(count)
}

/// `X` of `Option<X>`.
fn option_inner(ty: &syn::Type) -> Option<syn::Type> {
    let syn::Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else { return None };
    match arguments.args.first()? {
        syn::GenericArgument::Type(inner) => Some(inner.clone()),
        _ => None,
    }
}

/// `Option<X>` becomes `Option<Box<X>>` when `X` is one of `structs`.
fn box_struct(ty: &mut syn::Type, structs: &std::collections::BTreeSet<String>) {
    let syn::Type::Path(path) = ty else { return };
    let Some(last) = path.path.segments.last_mut() else { return };
    let syn::PathArguments::AngleBracketed(arguments) = &mut last.arguments else { return };
    let Some(syn::GenericArgument::Type(inner)) = arguments.args.first_mut() else { return };
    let is_struct = matches!(inner, syn::Type::Path(p) if p.qself.is_none()
        && p.path.segments.len() == 1
        && structs.contains(&p.path.segments[0].ident.to_string()));
    if is_struct {
        let boxed: syn::Type = parse_quote!(::std::boxed::Box<#inner>);
        *inner = boxed;
    }
}
