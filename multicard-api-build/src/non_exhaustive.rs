//! Every generated struct with named fields is `#[non_exhaustive]`.
//!
//! Multicard adds fields to its answers and optional fields to its requests.
//! With public fields and no marker, each addition would break every caller
//! who wrote the struct as a literal or matched it without `..`, and
//! `cargo xtask regen` would have to call each one breaking. Marked
//! non-exhaustive, the structs are read by field, request bodies are built
//! with their builders (`types::CreateInvoiceRequest::builder()`) or
//! `serde_json::from_value`, and a new field breaks nobody. Inside
//! `multicard-api` (the sandbox, the hand-written layer) literals still work.
//!
//! Tuple structs (a list newtype such as `OfdItems(pub Vec<..>)`, a
//! constrained string) gain no fields and are left as they are; so are the
//! builders, whose fields are private.

use syn::{Fields, Item, parse_quote};

/// Marks the named-field structs of the generated `types` module. Returns
/// how many it marked; fails when there is no `types` module, so a
/// generator upgrade that moves the types cannot silently drop the marker.
pub fn mark(file: &mut syn::File) -> Result<usize, String> {
    let items = crate::types_module::items(file)?;
    let mut marked = 0;
    for item in items.iter_mut() {
        let Item::Struct(strukt) = item else { continue };
        if !matches!(strukt.fields, Fields::Named(_)) {
            continue;
        }
        if !strukt.attrs.iter().any(|a| a.path().is_ident("non_exhaustive")) {
            strukt.attrs.push(parse_quote!(#[non_exhaustive]));
        }
        marked += 1;
    }
    Ok(marked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::{ToTokens, quote};

    #[test]
    fn named_structs_of_types_are_marked_and_the_rest_left_alone() {
        let mut file: syn::File = syn::parse2(quote! {
            pub mod types {
                pub struct Payment { pub uuid: String }
                pub struct OfdItems(pub Vec<String>);
                pub mod builder { pub struct Payment { uuid: Result<String, String> } }
            }
            pub struct Client { baseurl: String }
        })
        .expect("test input parses");
        assert_eq!(mark(&mut file), Ok(1));
        let code = file.to_token_stream().to_string();
        assert!(code.contains("# [non_exhaustive] pub struct Payment { pub uuid : String }"), "{code}");
        assert!(!code.contains("# [non_exhaustive] pub struct OfdItems"), "{code}");
        assert_eq!(code.matches("non_exhaustive").count(), 1, "builders and the client stay as they are: {code}");
    }

    #[test]
    fn no_types_module_is_an_error() {
        let mut file: syn::File = syn::parse2(quote! { pub mod other {} }).expect("parses");
        assert_eq!(mark(&mut file), Err("the generated code has no `types` module".to_string()));
    }
}
