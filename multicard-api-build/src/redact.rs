//! `Debug` that never prints a secret, a token, card data or a one-time code.
//!
//! The spec marks such values `x-sensitive: secret` or `x-sensitive: pan`, on
//! a property or on a path parameter; the list, with a reason for each
//! group, is `sensitive` in `spec/corrections.yaml`. For every generated
//! struct that holds a marked value (the type, its builder, and the
//! operation builder of a marked parameter), [`redact_debug`] removes the
//! derived `Debug` and writes one that prints the value through
//! [`REDACT_MODULE`] (in `multicard-api`): `secret` as `<redacted>`, `pan` as
//! a masked card number (`"860053******8829"`) or `<redacted>`. Every other
//! field prints as the derive would.
//!
//! A mark the generator cannot find (no such struct or field, or a mark on
//! something that is not a property or parameter) fails the build: a leak
//! is never the silent result of a renamed type.

use std::collections::BTreeMap;

use openapiv3::OpenAPI;
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use serde_json::Value;
use syn::punctuated::Punctuated;
use syn::{Attribute, Fields, Item, ItemStruct, Token};

use crate::extensions::SENSITIVE;
use crate::names::{builder_name, inline_type_name};

/// The module of `multicard-api` whose `secret` and `pan` functions the
/// written impls call.
pub const REDACT_MODULE: &str = "crate::redact";

/// How a sensitive value is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SensitiveKind {
    /// Never shown: `<redacted>`.
    Secret,
    /// A card number: the first six and last four digits at most.
    Pan,
}

/// The generated struct that holds a sensitive value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Owner {
    /// `types::X` (and `types::builder::X`, when it has a builder): a
    /// property of a schema.
    Type(String),
    /// `builder::X`: a path or query parameter of an operation.
    Operation(String),
}

/// One sensitive field of a generated struct.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SensitiveField {
    /// The struct.
    pub owner: Owner,
    /// The property or parameter name.
    pub field: String,
    /// How it is shown.
    pub kind: SensitiveKind,
    /// Where the spec marks it (a JSON pointer), for error messages.
    pub pointer: String,
}

/// Every field the spec marks, with the Rust struct that holds it.
pub fn sensitive_fields(spec: &OpenAPI) -> Result<Vec<SensitiveField>, String> {
    let doc = serde_json::to_value(spec).map_err(|e| format!("the spec does not serialize: {e}"))?;
    let mut found = Vec::new();
    if let Some(schemas) = doc.pointer("/components/schemas").and_then(Value::as_object) {
        for (name, schema) in schemas {
            let pointer = format!("/components/schemas/{}", escape(name));
            walk_schema(schema, name, &pointer, &mut found)?;
        }
    }
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let parameters = operation.get("parameters").and_then(Value::as_array);
                for (index, parameter) in parameters.into_iter().flatten().enumerate() {
                    let pointer = format!("/paths/{}/{method}/parameters/{index}", escape(path));
                    let Some(kind) = parameter.get(SENSITIVE) else { continue };
                    let id = operation
                        .get("operationId")
                        .and_then(Value::as_str)
                        .ok_or(format!("{pointer}: a sensitive parameter of an operation without an operationId"))?;
                    let name = parameter.get("name").and_then(Value::as_str).unwrap_or_default();
                    found.push(SensitiveField {
                        owner: Owner::Operation(builder_name(id)),
                        field: name.to_string(),
                        kind: parse_kind(kind, &pointer)?,
                        pointer,
                    });
                }
            }
        }
    }
    // Every mark must be one of those found: a mark elsewhere (inside an
    // `allOf`, on a response header, ...) would otherwise protect nothing.
    let mut marked = Vec::new();
    every_mark(&doc, "", &mut marked);
    if let Some(stray) = marked.iter().find(|pointer| !found.iter().any(|f| &f.pointer == *pointer)) {
        return Err(format!(
            "{stray}: `{SENSITIVE}` is only understood on a property of an object schema (or of its array \
             items) or on an operation parameter"
        ));
    }
    Ok(found)
}

/// Collects the sensitive properties of `schema`, which typify names
/// `rust_name`: its own, then those of its inline objects, named as
/// typify names them (`Parent` + `Property`, `Item` for array items).
fn walk_schema(schema: &Value, rust_name: &str, pointer: &str, out: &mut Vec<SensitiveField>) -> Result<(), String> {
    if let Some(items) = schema.get("items") {
        walk_schema(items, &format!("{rust_name}Item"), &format!("{pointer}/items"), out)?;
    }
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return Ok(()) };
    for (name, property) in properties {
        let pointer = format!("{pointer}/properties/{}", escape(name));
        if let Some(kind) = property.get(SENSITIVE) {
            out.push(SensitiveField {
                owner: Owner::Type(rust_name.to_string()),
                field: name.clone(),
                kind: parse_kind(kind, &pointer)?,
                pointer: pointer.clone(),
            });
        }
        walk_schema(property, &inline_type_name(rust_name, name), &pointer, out)?;
    }
    Ok(())
}

fn every_mark(value: &Value, pointer: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if map.contains_key(SENSITIVE) {
                out.push(pointer.to_string());
            }
            for (key, inner) in map {
                every_mark(inner, &format!("{pointer}/{}", escape(key)), out);
            }
        }
        Value::Array(items) => {
            for (index, inner) in items.iter().enumerate() {
                every_mark(inner, &format!("{pointer}/{index}"), out);
            }
        }
        _ => {}
    }
}

fn parse_kind(value: &Value, pointer: &str) -> Result<SensitiveKind, String> {
    match value.as_str() {
        Some("secret") => Ok(SensitiveKind::Secret),
        Some("pan") => Ok(SensitiveKind::Pan),
        _ => Err(format!("{pointer}: `{SENSITIVE}: {value}` is neither `secret` nor `pan`")),
    }
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// What [`redact_debug`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedactReport {
    /// The structs whose `Debug` is now written by hand, by module path
    /// (`types::AuthRequest`, `types::builder::AuthRequest`, `builder::GetCard`).
    pub structs: Vec<String>,
}

/// Replaces the derived `Debug` of every struct holding a field of
/// `fields` with one that redacts those fields.
pub fn redact_debug(file: &mut syn::File, fields: &[SensitiveField]) -> Result<RedactReport, String> {
    // module path -> struct -> its sensitive fields; `true` when the struct must exist.
    let mut targets: BTreeMap<(&str, &str), (bool, Vec<&SensitiveField>)> = BTreeMap::new();
    for field in fields {
        match &field.owner {
            Owner::Type(name) => {
                targets.entry(("types", name)).or_insert((true, Vec::new())).1.push(field);
                targets.entry(("types::builder", name)).or_insert((false, Vec::new())).1.push(field);
            }
            Owner::Operation(name) => targets.entry(("builder", name)).or_insert((true, Vec::new())).1.push(field),
        }
    }
    let mut report = RedactReport::default();
    for ((module, name), (required, sensitive)) in targets {
        let items = module_items(&mut file.items, module)?;
        let Some(index) = items.iter().position(|item| matches!(item, Item::Struct(s) if s.ident == name)) else {
            if required {
                let pointer = &sensitive[0].pointer;
                return Err(format!("{pointer} is marked sensitive, but there is no generated `{module}::{name}`"));
            }
            continue;
        };
        let Item::Struct(item) = &mut items[index] else { unreachable!("found as a struct") };
        let debug = redacting_debug(item, &sensitive).map_err(|e| format!("`{module}::{name}`: {e}"))?;
        items.insert(index + 1, debug);
        report.structs.push(format!("{module}::{name}"));
    }
    Ok(report)
}

/// The items of `types`, `types::builder` or `builder`.
fn module_items<'a>(items: &'a mut Vec<Item>, path: &str) -> Result<&'a mut Vec<Item>, String> {
    let mut items = items;
    for name in path.split("::") {
        items = items
            .iter_mut()
            .find_map(|item| match item {
                Item::Mod(m) if m.ident == name => m.content.as_mut().map(|(_, inner)| inner),
                _ => None,
            })
            .ok_or_else(|| format!("the generated code has no `{path}` module"))?;
    }
    Ok(items)
}

/// Removes `Debug` from the struct's derives and returns the impl that
/// replaces it.
fn redacting_debug(item: &mut ItemStruct, sensitive: &[&SensitiveField]) -> Result<Item, String> {
    let Fields::Named(named) = &item.fields else { return Err("not a struct with named fields".into()) };
    let mut calls = Vec::new();
    for field in &named.named {
        let ident = field.ident.as_ref().ok_or("a field without a name")?;
        let shown = ident.to_string();
        let shown = shown.trim_start_matches("r#");
        let call = match sensitive.iter().find(|s| s.field == shown.trim_end_matches('_')) {
            Some(s) => {
                let function = Ident::new(
                    match s.kind {
                        SensitiveKind::Secret => "secret",
                        SensitiveKind::Pan => "pan",
                    },
                    Span::call_site(),
                );
                let module: TokenStream = REDACT_MODULE.parse().map_err(|_| "the redact module path")?;
                quote!(.field(#shown, &#module::#function(&self.#ident)))
            }
            None => quote!(.field(#shown, &self.#ident)),
        };
        calls.push(call);
    }
    for s in sensitive {
        let present = named.named.iter().any(|f| {
            f.ident.as_ref().is_some_and(|i| i.to_string().trim_start_matches("r#").trim_end_matches('_') == s.field)
        });
        if !present {
            return Err(format!("no field `{}` ({} is marked sensitive)", s.field, s.pointer));
        }
    }
    if !remove_derived_debug(&mut item.attrs)? {
        return Err("it does not derive `Debug`, which the generator always did: check the generated code".into());
    }
    let name = &item.ident;
    let shown_name = name.to_string();
    let (impl_generics, type_generics, where_clause) = item.generics.split_for_impl();
    let tokens = quote! {
        impl #impl_generics ::std::fmt::Debug for #name #type_generics #where_clause {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(#shown_name)#(#calls)*.finish()
            }
        }
    };
    syn::parse2(tokens).map_err(|e| format!("the Debug impl does not parse: {e}"))
}

/// Drops `Debug` from every `#[derive(..)]`; `true` when there was one.
fn remove_derived_debug(attrs: &mut Vec<Attribute>) -> Result<bool, String> {
    let mut removed = false;
    let mut kept = Vec::with_capacity(attrs.len());
    for attr in attrs.drain(..) {
        if !attr.path().is_ident("derive") {
            kept.push(attr);
            continue;
        }
        let derives = attr
            .parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
            .map_err(|e| format!("a derive attribute does not parse: {e}"))?;
        let before = derives.len();
        let rest: Punctuated<syn::Path, Token![,]> =
            derives.into_iter().filter(|path| path.segments.last().is_none_or(|s| s.ident != "Debug")).collect();
        removed |= rest.len() != before;
        if !rest.is_empty() {
            kept.push(syn::parse_quote!(#[derive(#rest)]));
        }
    }
    *attrs = kept;
    Ok(removed)
}
