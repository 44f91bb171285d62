//! The parameters of an operation as the command line takes them: one flag
//! each, `--` the name in kebab case, typed from the spec.

use heck::ToKebabCase;
use openapiv3::{OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr, Schema, SchemaKind, Type};
use proc_macro2::TokenStream;
use quote::quote;

use super::ident;
use crate::error::BuildError;
use crate::spec::component_name;

/// The kind of value a parameter takes.
#[derive(Clone)]
pub(super) enum Kind {
    Integer,
    Text,
    /// A named string enum of the spec (an open enum in `types`).
    Enum(String),
}

pub(super) struct Param {
    pub(super) name: String,
    pub(super) required: bool,
    pub(super) help: String,
    pub(super) kind: Kind,
}

pub(super) fn param_of(spec: &OpenAPI, id: &str, parameter: &ReferenceOr<Parameter>) -> Result<Param, BuildError> {
    let parameter = match parameter {
        ReferenceOr::Item(p) => p,
        ReferenceOr::Reference { reference } => {
            let name = reference.rsplit('/').next().unwrap_or_default();
            match spec.components.as_ref().and_then(|c| c.parameters.get(name)) {
                Some(ReferenceOr::Item(p)) => p,
                _ => return Err(BuildError::new(format!("operation `{id}`: parameter {reference} not found"))),
            }
        }
    };
    let data = parameter.parameter_data_ref();
    let kind = match &data.format {
        ParameterSchemaOrContent::Schema(ReferenceOr::Reference { reference }) => {
            Kind::Enum(component_name(reference).unwrap_or_default().to_string())
        }
        ParameterSchemaOrContent::Schema(ReferenceOr::Item(Schema {
            schema_kind: SchemaKind::Type(Type::Integer(_)),
            ..
        })) => Kind::Integer,
        ParameterSchemaOrContent::Schema(ReferenceOr::Item(Schema {
            schema_kind: SchemaKind::Type(Type::String(_)),
            ..
        })) => Kind::Text,
        _ => {
            return Err(BuildError::new(format!(
                "operation `{id}`: parameter `{}` is neither a string, an integer nor a named enum",
                data.name
            )));
        }
    };
    let mut help = data.description.clone().unwrap_or_default().trim().to_string();
    if let Some(example) = &data.example {
        let example = example.as_str().map(str::to_string).unwrap_or_else(|| example.to_string());
        if help.is_empty() {
            help = format!("e.g. {example}");
        } else {
            help = format!("{help} (e.g. {example})");
        }
    }
    Ok(Param { name: data.name.clone(), required: data.required, help, kind })
}

pub(super) fn rust_type(kind: &Kind) -> TokenStream {
    match kind {
        Kind::Integer => quote!(i64),
        Kind::Text => quote!(::std::string::String),
        Kind::Enum(name) => {
            let name = ident(name);
            quote!(::multicard_api::types::#name)
        }
    }
}

/// The clap `Arg` of a parameter.
pub(super) fn arg_tokens(param: &Param) -> TokenStream {
    let name = &param.name;
    let long = name.to_kebab_case();
    let help = &param.help;
    let required = param.required;
    let parser = match param.kind {
        Kind::Integer => quote!(::clap::value_parser!(i64)),
        _ => quote!(::clap::value_parser!(::std::string::String)),
    };
    let alias = match name.as_str() {
        "start_date" => quote!(.visible_alias("from")),
        "end_date" => quote!(.visible_alias("to")),
        _ => quote!(),
    };
    quote! {
        ::clap::Arg::new(#name).long(#long) #alias .required(#required).help(#help).value_parser(#parser)
    }
}
