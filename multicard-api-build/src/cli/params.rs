//! The parameters of an operation as the command line takes them: one flag
//! each, `--` the name in kebab case, typed from the spec.
//!
//! One rule adds to what the spec says, for the `registry` group (the
//! paged `list_…` exports), in [`REGISTRY_DEFAULTS`]: the store, the page
//! and the window are optional on the command line although the API
//! requires them, because the command line has a sensible value for each
//! (the configured store, the first page, today); the generated `prepare`
//! asks `crate::registry::default_param` for it. The window's two ends are
//! checked as Multicard timestamps when they are parsed, and a status
//! filter takes the values of the rows' `status` enum.

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
    /// Required by the API (the spec's `required`).
    pub(super) required: bool,
    pub(super) help: String,
    pub(super) kind: Kind,
    /// The values it takes, when the spec lists them (an enum): clap
    /// refuses any other and `--help` lists them.
    pub(super) values: Vec<String>,
    /// The command line's default, as `--help` says it, when the command
    /// line has one (see [`REGISTRY_DEFAULTS`]): the flag is then optional.
    pub(super) default: Option<&'static str>,
    /// A Multicard timestamp (`YYYY-MM-DD HH:MM:SS`, GMT+5), checked by
    /// `crate::registry::timestamp` as it is parsed.
    pub(super) timestamp: bool,
}

impl Param {
    /// Whether clap requires the flag: the API requires it and the command
    /// line has no default for it.
    pub(super) fn flag_required(&self) -> bool {
        self.required && self.default.is_none()
    }
}

/// The parameters of the registry group the command line fills when they
/// are not given, and what `--help` says of each default. The values come
/// from `crate::registry::default_param(args, operation, name)` in the
/// crate that includes the generated file.
pub(super) const REGISTRY_DEFAULTS: [(&str, &str); 6] = [
    ("store_id", "default: MULTICARD_STORE_ID, else the profile's store_id"),
    ("offset", "default: 0, the first page"),
    ("limit", "default: 100 rows a page"),
    ("start_date", "default: today 00:00:00 (GMT+5)"),
    ("end_date", "default: today 23:59:59 (GMT+5); with --all, a window ending in the future ends a minute ago"),
    ("only_status", "default: every status (payouts: --all reads each status in turn)"),
];

/// The registry parameters that are Multicard timestamps.
const REGISTRY_TIMESTAMPS: [&str; 2] = ["start_date", "end_date"];

/// Applies the registry rule to the parameters of a `registry` operation
/// `id`: the defaults of [`REGISTRY_DEFAULTS`], the timestamps, and a
/// status filter without values of its own taking `row_status`'s (the
/// values of its rows' `status`). Every default but the status filter's
/// must be a parameter of the operation: the rule follows the spec.
pub(super) fn registry_rule(id: &str, params: &mut [Param], row_status: &[String]) -> Result<(), BuildError> {
    for (name, default) in REGISTRY_DEFAULTS {
        match params.iter_mut().find(|p| p.name == name) {
            Some(param) => param.default = Some(default),
            None if name == "only_status" => {}
            None => {
                return Err(BuildError::new(format!(
                    "operation `{id}`: a registry export without the parameter `{name}` (the command line's \
                     registry rule defaults it; see cli/params.rs)"
                )));
            }
        }
    }
    for param in params.iter_mut() {
        param.timestamp = REGISTRY_TIMESTAMPS.contains(&param.name.as_str());
        if param.name == "only_status" && param.values.is_empty() {
            param.values = row_status.to_vec();
        }
    }
    Ok(())
}

/// The values of the spec's string enum `name` (none for another schema).
pub(super) fn enum_values(spec: &OpenAPI, name: &str) -> Vec<String> {
    let schema = spec.components.as_ref().and_then(|c| c.schemas.get(name));
    match schema {
        Some(ReferenceOr::Item(Schema { schema_kind: SchemaKind::Type(Type::String(text)), .. })) => {
            text.enumeration.iter().flatten().cloned().collect()
        }
        _ => Vec::new(),
    }
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
    let values = match &kind {
        Kind::Enum(name) => enum_values(spec, name),
        _ => Vec::new(),
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
    Ok(Param { name: data.name.clone(), required: data.required, help, kind, values, default: None, timestamp: false })
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
    let mut help = param.help.clone();
    if param.timestamp {
        help = format!("{help}; YYYY-MM-DD HH:MM:SS in GMT+5").trim_start_matches("; ").to_string();
    }
    if let Some(default) = param.default {
        help = if help.is_empty() { default.to_string() } else { format!("{help} [{default}]") };
    }
    let required = param.flag_required();
    let values = &param.values;
    let parser = match param.kind {
        _ if param.timestamp => quote!(crate::registry::timestamp),
        Kind::Integer => quote!(::clap::value_parser!(i64)),
        _ if !values.is_empty() => quote!(::clap::builder::PossibleValuesParser::new([#(#values),*])),
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
