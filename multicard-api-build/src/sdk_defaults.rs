//! Request fields the SDK fills in when the caller does not: `x-sdk-default`.
//!
//! Where the vendor's own default moves money in a way a caller should
//! choose explicitly (a payout without `confirmable` is paid out in one
//! request, with no confirmation), the spec marks the property with the
//! value the SDK sends instead (`x-sdk-default: true`, written by a
//! correction with its reason). An OpenAPI `default` would tell every
//! generator that the *server* assumes it, which is false.
//!
//! For each mark, [`apply`] turns the generated `Option<bool>` field into a
//! plain `bool`:
//! - the type's field is always sent, and a body decoded from JSON that
//!   leaves it out gets the default (`#[serde(default = …)]`), so a body
//!   read from a file or a command line sends it too;
//! - the type's builder starts from the default, and its setter takes a
//!   `bool`: only an explicit `.field(false)` sends `false`.
//!
//! Only booleans are supported; a mark anywhere but on a property of a
//! component schema, or with another value, fails the build, as does a
//! generated shape the pass does not recognise.

use std::collections::BTreeMap;

use heck::ToSnakeCase;
use openapiv3::OpenAPI;
use quote::{ToTokens, format_ident, quote};
use serde_json::Value;
use syn::{Expr, ImplItem, Item, parse_quote};

use crate::extensions::SDK_DEFAULT;
use crate::types_module::{self, field_of, find_struct};

/// The marked properties: (schema, property) to the value the SDK sends.
pub fn defaults(spec: &OpenAPI) -> Result<BTreeMap<(String, String), bool>, String> {
    let doc = serde_json::to_value(spec).map_err(|e| format!("the spec does not serialize: {e}"))?;
    let mut found = BTreeMap::new();
    let mut problem = None;
    walk(&doc, "", &mut |pointer, value| {
        let parts: Vec<&str> = pointer.split('/').collect();
        let place = match parts.as_slice() {
            ["", "components", "schemas", schema, "properties", property] => Some((schema, property)),
            _ => None,
        };
        match (place, value) {
            (Some((schema, property)), Value::Bool(value)) => {
                found.insert((unescape(schema), unescape(property)), *value);
            }
            (Some(_), other) => {
                problem.get_or_insert(format!(
                    "`{SDK_DEFAULT}` at {pointer} is {other}; only `true` or `false` is supported"
                ));
            }
            (None, _) => {
                problem.get_or_insert(format!(
                    "`{SDK_DEFAULT}` at {pointer} is not on a property of a component schema, where it is supported"
                ));
            }
        }
    });
    match problem {
        Some(problem) => Err(problem),
        None => Ok(found),
    }
}

/// The marked properties of one schema (for the command line's help).
pub fn of_schema(spec: &OpenAPI, schema: &str) -> Result<Vec<(String, bool)>, String> {
    Ok(defaults(spec)?
        .into_iter()
        .filter(|((owner, _), _)| owner == schema)
        .map(|((_, field), value)| (field, value))
        .collect())
}

/// Calls `found` with the pointer of every object holding [`SDK_DEFAULT`].
fn walk(value: &Value, pointer: &str, found: &mut impl FnMut(&str, &Value)) {
    match value {
        Value::Object(map) => {
            if let Some(mark) = map.get(SDK_DEFAULT) {
                found(pointer, mark);
            }
            for (key, inner) in map {
                walk(inner, &format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1")), found);
            }
        }
        Value::Array(items) => {
            for (index, inner) in items.iter().enumerate() {
                walk(inner, &format!("{pointer}/{index}"), found);
            }
        }
        _ => {}
    }
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Gives each marked field of the generated `types` module (and of its
/// builder) its default, as the module documentation describes. Returns how
/// many fields it changed.
pub fn apply(file: &mut syn::File, wanted: &BTreeMap<(String, String), bool>) -> Result<usize, String> {
    if wanted.is_empty() {
        return Ok(0);
    }
    let items = types_module::items(file)?;
    let mut functions = Vec::new();
    for ((schema, field), value) in wanted {
        let function = format_ident!("{}__{}", schema.to_snake_case(), field);
        let strukt = find_struct(items, schema)
            .ok_or_else(|| format!("`{schema}.{field}` has `{SDK_DEFAULT}` but `{schema}` has no generated struct"))?;
        let place = format!("`{schema}.{field}`");
        let member =
            field_of(strukt, field).ok_or_else(|| format!("{place}: the generated struct has no such field"))?;
        if !is_option_bool(&member.ty) {
            return Err(format!("{place}: `{SDK_DEFAULT}` needs an optional boolean, the field is not `Option<bool>`"));
        }
        member.ty = parse_quote!(bool);
        member.attrs.retain(|attr| !attr.to_token_stream().to_string().contains("skip_serializing_if"));
        let path = format!("sdk_defaults::{function}");
        member.attrs.push(parse_quote!(#[serde(default = #path)]));
        let note = format!(
            "\n\nSent as `{value}` when it is not set: the SDK's default (the spec's `{SDK_DEFAULT}`), \
             not the API's. Only an explicit value sends anything else."
        );
        member.attrs.push(parse_quote!(#[doc = #note]));
        builder(items, schema, field, &function).map_err(|e| format!("{place}, its builder: {e}"))?;
        functions.push(quote! {
            pub(super) fn #function() -> bool {
                #value
            }
        });
    }
    let count = functions.len();
    items.push(parse_quote! {
        /// The values the SDK sends for fields the caller did not set.
        #[allow(non_snake_case)]
        mod sdk_defaults {
            #(#functions)*
        }
    });
    Ok(count)
}

fn option_bool() -> String {
    quote!(::std::option::Option<bool>).to_string()
}

fn is_option_bool(ty: &syn::Type) -> bool {
    ty.to_token_stream().to_string() == option_bool()
}

/// The builder `types::builder::{schema}`: its field holds a `bool`, its
/// `Default` starts from the SDK's value, its setter takes a `bool`.
fn builder(items: &mut [Item], schema: &str, field: &str, function: &syn::Ident) -> Result<(), String> {
    let builder = items
        .iter_mut()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == "builder" => m.content.as_mut(),
            _ => None,
        })
        .ok_or("the generated code has no `types::builder` module")?;
    let items = &mut builder.1;
    let strukt = find_struct(items, schema).ok_or("no builder struct")?;
    let member = field_of(strukt, field).ok_or("the builder has no such field")?;
    let ident = member.ident.clone().ok_or("an unnamed field")?;
    member.ty = retyped(&member.ty)?;
    let (mut defaulted, mut setter) = (false, false);
    for item in items.iter_mut() {
        let Item::Impl(block) = item else { continue };
        let for_schema = matches!(&*block.self_ty, syn::Type::Path(p) if p.path.is_ident(schema));
        if !for_schema {
            continue;
        }
        let is_default =
            block.trait_.as_ref().is_some_and(|(t, _)| t.segments.last().is_some_and(|s| s.ident == "Default"));
        for inner in &mut block.items {
            let ImplItem::Fn(function_item) = inner else { continue };
            if is_default && function_item.sig.ident == "default" {
                defaulted |= set_default(function_item, &ident, function);
            } else if block.trait_.is_none() && function_item.sig.ident == ident {
                *function_item = retyped(function_item)?;
                setter = true;
            }
        }
    }
    match (defaulted, setter) {
        (true, true) => Ok(()),
        (false, _) => Err("no `Default` that sets the field".into()),
        (_, false) => Err("no setter".into()),
    }
}

/// In `Default::default`'s `Self { … }`, the field starts from the SDK's value.
fn set_default(function: &mut syn::ImplItemFn, field: &syn::Ident, default: &syn::Ident) -> bool {
    for statement in &mut function.block.stmts {
        let syn::Stmt::Expr(Expr::Struct(literal), _) = statement else { continue };
        for value in &mut literal.fields {
            if matches!(&value.member, syn::Member::Named(named) if named == field) {
                value.expr = parse_quote!(Ok(super::sdk_defaults::#default()));
                return true;
            }
        }
    }
    false
}

/// `item` with every `Option<bool>` in it written `bool`; an error when it
/// has none (the generated shape changed).
fn retyped<T: ToTokens + syn::parse::Parse>(item: &T) -> Result<T, String> {
    let text = item.to_token_stream().to_string();
    if !text.contains(&option_bool()) {
        return Err("no `Option<bool>` to make a `bool`".into());
    }
    syn::parse_str(&text.replace(&option_bool(), "bool")).map_err(|e| format!("does not parse once retyped: {e}"))
}
