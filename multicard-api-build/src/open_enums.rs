//! The open enums: every named string enum of the spec becomes a Rust enum
//! with an `Unknown(String)` variant, so a status, payment system or error
//! code Multicard adds later still decodes (and is sent back unchanged).

use openapiv3::{OpenAPI, ReferenceOr, SchemaKind, StringType, Type};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::error::BuildError;
use crate::names::variant_name;

/// A named string enum of the spec.
pub(crate) struct OpenEnum {
    /// The component name, which is also the Rust type's.
    pub(crate) name: String,
    description: Option<String>,
    values: Vec<String>,
}

/// Every named string enum of the spec.
pub(crate) fn open_enums(spec: &OpenAPI) -> Vec<OpenEnum> {
    let mut out = Vec::new();
    let Some(components) = &spec.components else {
        return out;
    };
    for (name, schema) in &components.schemas {
        let ReferenceOr::Item(schema) = schema else {
            continue;
        };
        if let SchemaKind::Type(Type::String(StringType { enumeration, .. })) = &schema.schema_kind {
            if enumeration.is_empty() {
                continue;
            }
            out.push(OpenEnum {
                name: name.clone(),
                description: schema.schema_data.description.clone(),
                values: enumeration.iter().flatten().cloned().collect(),
            });
        }
    }
    out
}

/// The open enum's declaration and impls.
pub(crate) fn open_enum_tokens(open: &OpenEnum) -> Result<TokenStream, BuildError> {
    let name = Ident::new(&open.name, Span::call_site());
    let name_str = open.name.as_str();
    let mut seen = std::collections::BTreeSet::new();
    let mut variants = Vec::new();
    for value in &open.values {
        let variant = variant_name(value);
        if !seen.insert(variant.clone()) {
            return Err(BuildError::new(format!("enum `{}`: two values give the variant name `{variant}`", open.name)));
        }
        variants.push((Ident::new(&variant, Span::call_site()), value.clone()));
    }
    let doc = open.description.clone().unwrap_or_else(|| format!("`{}` as Multicard sends it.", open.name));
    let doc_lines: Vec<TokenStream> = doc.lines().map(|l| quote!(#[doc = #l])).collect();
    let decl = variants.iter().map(|(v, s)| {
        let d = format!("`{s}`");
        quote!(#[doc = #d] #v,)
    });
    let to_str = variants.iter().map(|(v, s)| quote!(Self::#v => #s,));
    let from_str = variants.iter().map(|(v, s)| quote!(#s => Self::#v,));
    let known = variants.iter().map(|(v, _)| quote!(Self::#v,));
    Ok(quote! {
        #(#doc_lines)*
        ///
        /// Open: a value Multicard adds later decodes as `Unknown` and is
        /// sent back unchanged.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #name {
            #(#decl)*
            /// A value this version of the SDK does not know, kept as sent.
            Unknown(::std::string::String),
        }

        impl #name {
            /// The documented values, in the spec's order.
            pub const KNOWN: &'static [Self] = &[#(#known)*];

            /// The value as Multicard spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#to_str)*
                    Self::Unknown(value) => value.as_str(),
                }
            }

            /// `true` for a value this version of the SDK does not know.
            pub fn is_unknown(&self) -> bool {
                matches!(self, Self::Unknown(_))
            }
        }

        impl ::std::convert::From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #(#from_str)*
                    other => Self::Unknown(other.to_string()),
                }
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = ::std::convert::Infallible;
            fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        /// The value as Multicard spells it, with any control character,
        /// escape sequence or text-reordering mark of an unknown value
        /// written as `\\u{…}` (see [`crate::escape_controls`]).
        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&crate::escape_controls(self.as_str()))
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                let decoded = Self::from(value.as_ref());
                if decoded.is_unknown() {
                    crate::drift::unknown_enum_value(#name_str, decoded.as_str());
                }
                Ok(decoded)
            }
        }
    })
}
