//! Keeps typify's struct builders only for the types callers write.
//!
//! Progenitor's builder interface makes typify generate a builder for every
//! struct in the spec, but the client only ever hands callers the builders
//! of request bodies (`.body_map(|b| ...)`). The builders of response types
//! are code nobody can reach usefully (the API writes those types, callers
//! read them), and they were two thirds of the generated source and most of
//! the crate's compile time.
//!
//! The rule: a struct keeps its builder when the client refers to
//! `types::builder::X` for it, or when such a type contains it (directly or
//! through other types), so a caller building a request body can build every
//! part of it the same way. Everything else loses its builder and its
//! `X::builder()` constructor; the types themselves are untouched.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{ImplItem, Item, ItemMod, Type};

/// What [`prune_builders`] kept and removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PruneReport {
    /// The types that keep their builders, sorted.
    pub kept: Vec<String>,
    /// How many builders were removed.
    pub removed: usize,
}

/// Removes the builders of types no request body reaches. Returns an error
/// when the generated code does not have the shape this relies on (a
/// `types` module with a `builder` module inside), so a progenitor upgrade
/// that changes it fails the build loudly instead of silently keeping or
/// dropping the wrong builders.
pub fn prune_builders(file: &mut syn::File) -> Result<PruneReport, String> {
    let types_index = file
        .items
        .iter()
        .position(|item| matches!(item, Item::Mod(m) if m.ident == "types" && m.content.is_some()))
        .ok_or("the generated code has no `types` module")?;

    // The requests: every `types::builder::X` outside the types module.
    let mut roots = BTreeSet::new();
    for (index, item) in file.items.iter().enumerate() {
        if index != types_index {
            builder_references(item.to_token_stream(), &mut roots);
        }
    }

    let Item::Mod(types) = &mut file.items[types_index] else { unreachable!("matched above") };
    let items = &mut types.content.as_mut().expect("checked above").1;
    let defined: BTreeSet<String> = items.iter().filter_map(defined_name).collect();
    let mut contains: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for item in items.iter() {
        if let Some(name) = defined_name(item) {
            let mut idents = BTreeSet::new();
            collect_idents(item.to_token_stream(), &mut idents);
            idents.retain(|ident| ident != &name && defined.contains(ident));
            contains.insert(name, idents);
        }
    }
    if let Some(unknown) = roots.iter().find(|root| !defined.contains(*root)) {
        return Err(format!("the client refers to `types::builder::{unknown}`, which is not a generated type"));
    }

    // Everything a request body contains, transitively.
    let mut keep = BTreeSet::new();
    let mut pending: Vec<String> = roots.into_iter().collect();
    while let Some(name) = pending.pop() {
        if keep.insert(name.clone()) {
            pending.extend(contains.get(&name).into_iter().flatten().cloned());
        }
    }

    let builder = items
        .iter_mut()
        .find_map(|item| match item {
            Item::Mod(m) if m.ident == "builder" && m.content.is_some() => Some(m),
            _ => None,
        })
        .ok_or("the generated `types` module has no `builder` module")?;
    let removed = retain_builders(builder, &keep);

    // `X::builder()` for the types that no longer have one.
    items.retain_mut(|item| {
        let Item::Impl(block) = item else { return true };
        if block.trait_.is_some() || type_name(&block.self_ty).is_none_or(|name| keep.contains(&name)) {
            return true;
        }
        block.items.retain(|member| !matches!(member, ImplItem::Fn(f) if f.sig.ident == "builder"));
        !block.items.is_empty()
    });

    Ok(PruneReport { kept: keep.into_iter().collect(), removed })
}

/// Keeps, in the builder module, the structs in `keep` and the impls of them
/// (`impl X`, `impl Default for X`, `impl TryFrom<X> for super::X`,
/// `impl From<super::X> for X`: the last segment of the self type names the
/// builder either way). Returns how many builder structs were removed.
fn retain_builders(builder: &mut ItemMod, keep: &BTreeSet<String>) -> usize {
    let items = &mut builder.content.as_mut().expect("checked by the caller").1;
    let before = items.iter().filter(|item| matches!(item, Item::Struct(_))).count();
    items.retain(|item| match item {
        Item::Struct(s) => keep.contains(&s.ident.to_string()),
        Item::Impl(block) => type_name(&block.self_ty).is_none_or(|name| keep.contains(&name)),
        _ => true,
    });
    let after = items.iter().filter(|item| matches!(item, Item::Struct(_))).count();
    before - after
}

/// The name a `types` item defines: structs, enums and type aliases.
fn defined_name(item: &Item) -> Option<String> {
    match item {
        Item::Struct(s) => Some(s.ident.to_string()),
        Item::Enum(e) => Some(e.ident.to_string()),
        Item::Type(t) => Some(t.ident.to_string()),
        _ => None,
    }
}

/// The last path segment of a type: `super::X` and `X` both give `X`.
fn type_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

fn collect_idents(tokens: TokenStream, out: &mut BTreeSet<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) => {
                out.insert(ident.to_string());
            }
            TokenTree::Group(group) => collect_idents(group.stream(), out),
            _ => {}
        }
    }
}

/// Collects `X` from every `types::builder::X` in `tokens`.
fn builder_references(tokens: TokenStream, out: &mut BTreeSet<String>) {
    // The path as a flat run of idents and `::` separators per group.
    let mut run: Vec<String> = Vec::new();
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) => run.push(ident.to_string()),
            TokenTree::Punct(punct) if punct.as_char() == ':' => run.push(":".to_string()),
            TokenTree::Group(group) => {
                builder_references(group.stream(), out);
                run.push(String::new());
            }
            TokenTree::Punct(_) | TokenTree::Literal(_) => run.push(String::new()),
        }
    }
    let pattern = ["types", ":", ":", "builder", ":", ":"];
    for window in run.windows(pattern.len() + 1) {
        if window[..pattern.len()].iter().zip(pattern).all(|(have, want)| have == want) {
            let name = &window[pattern.len()];
            if !name.is_empty() && name != ":" {
                out.insert(name.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn prune(tokens: TokenStream) -> (String, PruneReport) {
        let mut file: syn::File = syn::parse2(tokens).expect("test input parses");
        let report = prune_builders(&mut file).expect("prunes");
        (file.to_token_stream().to_string(), report)
    }

    #[test]
    fn keeps_request_builders_and_what_they_contain_and_drops_the_rest() {
        let (code, report) = prune(quote! {
            pub mod types {
                pub struct Request { pub item: Vec<Item> }
                pub struct Item { pub price: i64 }
                pub struct Response { pub id: String }
                impl Request { pub fn builder() -> builder::Request { Default::default() } }
                impl Item { pub fn builder() -> builder::Item { Default::default() } }
                impl Response { pub fn builder() -> builder::Response { Default::default() } }
                pub mod builder {
                    pub struct Request { item: Result<Vec<super::Item>, String> }
                    impl Default for Request { fn default() -> Self { todo!() } }
                    impl TryFrom<Request> for super::Request { type Error = String; fn try_from(_: Request) -> Result<Self, String> { todo!() } }
                    impl From<super::Request> for Request { fn from(_: super::Request) -> Self { todo!() } }
                    pub struct Item { price: Result<i64, String> }
                    impl TryFrom<Item> for super::Item { type Error = String; fn try_from(_: Item) -> Result<Self, String> { todo!() } }
                    pub struct Response { id: Result<String, String> }
                    impl Default for Response { fn default() -> Self { todo!() } }
                    impl TryFrom<Response> for super::Response { type Error = String; fn try_from(_: Response) -> Result<Self, String> { todo!() } }
                    impl From<super::Response> for Response { fn from(_: super::Response) -> Self { todo!() } }
                }
            }
            pub mod builder {
                pub struct Send { body: Result<types::builder::Request, String> }
            }
        });
        assert_eq!(report.kept, ["Item", "Request"]);
        assert_eq!(report.removed, 1);
        assert!(code.contains("pub struct Response { pub id : String }"), "the type stays: {code}");
        assert!(!code.contains("builder :: Response"), "its builder and constructor go: {code}");
        assert!(!code.contains("for super :: Response"), "{code}");
        assert!(code.contains("fn builder () -> builder :: Item"), "{code}");
        assert!(code.contains("impl TryFrom < Request > for super :: Request"), "{code}");
    }

    #[test]
    fn an_unexpected_shape_is_an_error() {
        let mut file: syn::File = syn::parse2(quote! { pub mod other {} }).unwrap();
        assert_eq!(prune_builders(&mut file).unwrap_err(), "the generated code has no `types` module");
        let mut file: syn::File = syn::parse2(quote! { pub mod types { pub struct A; } }).unwrap();
        assert_eq!(prune_builders(&mut file).unwrap_err(), "the generated `types` module has no `builder` module");
        let mut file: syn::File = syn::parse2(quote! {
            pub mod types { pub mod builder {} }
            fn f(_: types::builder::Missing) {}
        })
        .unwrap();
        assert!(prune_builders(&mut file).unwrap_err().contains("types::builder::Missing"));
    }
}
