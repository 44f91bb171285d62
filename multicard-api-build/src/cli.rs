//! `multicard_cli.rs`: the command tree of the `multicard` binary
//! (`multicard-cli`), one clap subcommand per operation of the spec, and the
//! typed code that runs each one through `multicard_api::Multicard::send`.
//!
//! progenitor 0.15 has a CLI generator of its own, but what it emits calls
//! each builder's `send()` directly (no token cache, retry policy or
//! envelope of the SDK) and fills bodies through the `types::builder`
//! structs the SDK prunes; so the tree is generated here, from the same
//! spec, with the names progenitor gives the builders.
//!
//! Names, all derived from the spec:
//! - the group is the operation's tag made singular (`invoices` gives
//!   `invoice`, `reports` gives `report`), except that a `list_…`
//!   operation (a registry export, paged by `offset` and `limit`) is in the
//!   group `registry`;
//! - the verb is the `operationId` without the group's noun, in kebab case
//!   (`get_payment` gives `payment get`, `check_card_pan` gives
//!   `card check-pan`, `list_payments` gives `registry payments`); the
//!   `operationId` itself is a hidden alias;
//! - a parameter is `--` its name in kebab case (`payment_uuid` gives
//!   `--payment-uuid`); `start_date` and `end_date` also answer to `--from`
//!   and `--to`;
//! - an operation with a request body takes `--body`, decoded into the
//!   body's type (`types::CreateInvoiceRequest`, …) before anything is sent;
//! - a field at the top of the body marked `x-money` (an amount in tiyin) is
//!   also a flag, `--` its name in kebab case (`--amount`,
//!   `--refund-amount`), whose value names its unit (see [`money`]);
//! - a parameter that is a spec enum takes only its values (`--help` lists
//!   them);
//! - in `registry`, the store, the page and the window are optional, each
//!   with the command line's default, and the window's ends are checked as
//!   Multicard timestamps when parsed (the one rule beyond the spec, in
//!   `params::REGISTRY_DEFAULTS`);
//! - a registry export's columns are its row schema's properties, in the
//!   spec's order (`CliOperation::columns`), so that an export has the same
//!   columns whatever its rows carry.
//!
//! The generated file uses `clap`, `serde_json` and `multicard_api` from the
//! crate that includes it, its `crate::body::decode::<T>(value, schema)
//! -> Result<T, String>`, which decodes `--body` and names what does not fit
//! without repeating the value (a body carries card data), with
//! `crate::body::decode_one_of::<T>(value, schema, variants)` and
//! `crate::body::misfit::<V>` for a body of several shapes (an untagged
//! enum: each variant is tried to name the closest one's path), its
//! `crate::registry::default_param(args, operation, name) -> Result<String,
//! String>` and `crate::registry::timestamp` (a clap value parser) for the
//! registry rule, and its
//! `crate::money::with_amounts(args, body, fields) -> Result<Option<Value>,
//! String>`, which parses the amount flags and sets them in the body.

mod money;
mod naming;
mod params;
mod shapes;

use heck::{ToKebabCase, ToUpperCamelCase};
use openapiv3::{OpenAPI, Operation, ReferenceOr};
use proc_macro2::{Ident, Span};
use quote::quote;

use crate::error::BuildError;
use crate::format::format_tokens;
use crate::spec::{component_name, operation_id, response_schema};
pub use naming::{cli_group, cli_verb};
use params::{Kind, Param, arg_tokens, param_of, rust_type};
use shapes::{one_of_variants, row_schema};

struct CliOperation {
    id: String,
    method: String,
    path: String,
    group: String,
    verb: String,
    about: String,
    long_about: String,
    params: Vec<Param>,
    /// The body's schema, whether it is required, and an example.
    body: Option<(String, bool, Option<serde_json::Value>)>,
    /// The spec requires a body whose schema requires no field: the command
    /// line sends `{}` when `--body` is not given (as the SDK's builder
    /// sends the type's default), instead of requiring the flag.
    empty_body: bool,
    /// The body's amounts (`x-money`): its top-level ones are flags.
    amounts: money::Amounts,
    /// For a registry export: the array field of `data` that holds its rows.
    rows: Option<String>,
    /// For a registry export: the columns of a row, from the spec.
    columns: Vec<String>,
    /// For a body of several shapes: the type of each.
    variants: Vec<String>,
}

fn cli_operation(spec: &OpenAPI, path: &str, method: &str, operation: &Operation) -> Result<CliOperation, BuildError> {
    let id = operation_id(path, method, operation)?;
    let tag = operation.tags.first().cloned().unwrap_or_else(|| "other".into());
    let group = cli_group(&tag, &id);
    let verb = cli_verb(&group, &id);
    let mut params = operation.parameters.iter().map(|p| param_of(spec, &id, p)).collect::<Result<Vec<_>, _>>()?;
    let body = match &operation.request_body {
        None => None,
        Some(ReferenceOr::Item(body)) => {
            let media = body.content.get("application/json").ok_or_else(|| {
                BuildError::new(format!("operation `{id}`: the request body is not application/json"))
            })?;
            let schema = match &media.schema {
                Some(ReferenceOr::Reference { reference }) => component_name(reference).map(str::to_string),
                _ => None,
            }
            .ok_or_else(|| BuildError::new(format!("operation `{id}`: the request body is not a named schema")))?;
            let example = media.example.clone().or_else(|| {
                media.examples.values().find_map(|e| match e {
                    ReferenceOr::Item(e) => e.value.clone(),
                    ReferenceOr::Reference { .. } => None,
                })
            });
            Some((schema, body.required, example))
        }
        Some(ReferenceOr::Reference { .. }) => {
            return Err(BuildError::new(format!("operation `{id}`: a request body by reference is not supported")));
        }
    };
    let paged = ["offset", "limit"].iter().all(|n| params.iter().any(|p| p.name == *n));
    let (rows, columns) = if paged {
        let response = operation
            .responses
            .responses
            .iter()
            .find(|(status, _)| matches!(status, openapiv3::StatusCode::Code(200..=299)))
            .and_then(|(_, r)| response_schema(r));
        let row = response.and_then(|r| row_schema(spec, &r)).ok_or_else(|| {
            BuildError::new(format!(
                "operation `{id}`: a paged export whose success answer has no array of object rows in `data`"
            ))
        })?;
        if group == "registry" {
            params::registry_rule(&id, &mut params, &row.status)?;
        }
        (Some(row.field), row.columns)
    } else {
        (None, Vec::new())
    };
    let summary = operation.summary.clone().unwrap_or_default();
    let method = method.to_uppercase();
    let about = if summary.is_empty() { id.clone() } else { summary.clone() };
    let mut long_about = format!("{about}\n\n`{id}`: {method} {path}");
    if let Some(description) = operation.description.as_deref().filter(|d| !d.trim().is_empty()) {
        long_about.push_str(&format!("\n\n{}", description.trim()));
    }
    if method != "GET" {
        long_about.push_str("\n\nChanges state: asks for confirmation on a terminal, refused elsewhere without --yes.");
    }
    let amounts = body.as_ref().map(|(schema, ..)| money::of_schema(spec, schema)).unwrap_or_default();
    for flag in &amounts.flags {
        if flag == "body" || params.iter().any(|p| p.name.to_kebab_case() == flag.to_kebab_case()) {
            return Err(BuildError::new(format!("operation `{id}`: the amount `{flag}` and a parameter share a flag")));
        }
    }
    if let Some((schema, _, Some(example))) = &body {
        let example = money::example_command(example, &amounts.flags);
        long_about.push_str(&format!("\n\nThe body is a `{schema}`, e.g.:\n{example}"));
    }
    if !amounts.paths.is_empty() {
        long_about.push_str("\n\nAmounts: ");
        for flag in &amounts.flags {
            long_about.push_str(&format!(
                "--{} takes its unit (150000tiyin or 1500sum; 1 sum = 100 tiyin) and refuses a bare number. ",
                flag.to_kebab_case()
            ));
        }
        let paths: Vec<String> = amounts.paths.iter().map(|p| format!("`{p}`")).collect();
        long_about.push_str(&format!(
            "Inside --body every amount is a whole number of tiyin, as on the wire: {}.",
            paths.join(", ")
        ));
    }
    let defaults = match &body {
        Some((schema, ..)) => crate::sdk_defaults::of_schema(spec, schema)
            .map_err(|e| BuildError::new(format!("operation `{id}`: {e}")))?,
        None => Vec::new(),
    };
    for (field, value) in defaults {
        long_about.push_str(&format!(
            "\n\nA body without `{field}` sends `\"{field}\": {value}` (the SDK's default, not Multicard's); \
             only `\"{field}\": {}` in the body sends the other value.",
            !value
        ));
    }
    let empty_body =
        body.as_ref().is_some_and(|(schema, required, _)| *required && !shapes::requires_fields(spec, schema));
    let variants = body.as_ref().map(|(schema, ..)| one_of_variants(spec, schema)).unwrap_or_default();
    Ok(CliOperation {
        id,
        method,
        path: path.to_string(),
        group,
        verb,
        about,
        long_about,
        params,
        body,
        empty_body,
        amounts,
        rows,
        columns,
        variants,
    })
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// Generates `multicard_cli.rs` (see the module documentation).
pub fn generate_cli(spec: &OpenAPI) -> Result<String, BuildError> {
    let mut operations = Vec::new();
    for (path, method, operation) in spec.operations() {
        operations.push(cli_operation(spec, path, method, operation)?);
    }
    for (i, a) in operations.iter().enumerate() {
        if let Some(b) = operations[..i].iter().find(|b| b.group == a.group && b.verb == a.verb) {
            return Err(BuildError::new(format!(
                "operations `{}` and `{}` both become `multicard {} {}`",
                b.id, a.id, a.group, a.verb
            )));
        }
    }
    // Groups in the order of the spec's tags, `registry` last.
    let mut groups: Vec<(String, String)> = Vec::new();
    for tag in &spec.tags {
        let group = cli_group(&tag.name, "");
        if operations.iter().any(|op| op.group == group) {
            groups.push((group, tag.description.clone().unwrap_or_default()));
        }
    }
    if operations.iter().any(|op| op.group == "registry") {
        groups.push(("registry".into(), "Registry exports, paged: --all fetches every page".into()));
    }
    for op in &operations {
        if !groups.iter().any(|(g, _)| *g == op.group) {
            groups.push((op.group.clone(), op.about.clone()));
        }
    }

    let group_commands = groups.iter().map(|(group, about)| {
        let subcommands = operations.iter().filter(|op| op.group == *group).map(|op| {
            let (verb, id, about, long_about) = (&op.verb, &op.id, &op.about, &op.long_about);
            let args = op.params.iter().map(arg_tokens);
            let body = op.body.as_ref().map(|(schema, required, _)| {
                // `/auth`'s body is the credentials: the command line sends the
                // configured ones when it is not given, so the secret never
                // has to be in argv.
                let required = *required && op.id != "get_token" && !op.empty_body;
                let help = if op.id == "get_token" {
                    format!("The request body, a `{schema}` (default: MULTICARD_APPLICATION_ID and the secret from MULTICARD_SECRET or the prompt): JSON, @FILE or - (standard input)")
                } else {
                    match op.empty_body {
                        true => format!("The request body, a `{schema}` (default: `{{}}`, every field left out): JSON, @FILE or - (standard input)"),
                        false => format!("The request body, a `{schema}`: JSON, @FILE or - (standard input)"),
                    }
                };
                quote!(.arg(::clap::Arg::new("body").long("body").value_name("JSON|@FILE|-").required(#required).help(#help)))
            });
            let amounts = op.amounts.flags.iter().map(|name| {
                let long = name.to_kebab_case();
                let help = format!(
                    "The body's `{name}` with its unit: 150000tiyin or 1500sum (1 sum = 100 tiyin); a bare number is refused"
                );
                quote!(.arg(::clap::Arg::new(#name).long(#long).value_name("AMOUNT").help(#help)))
            });
            quote! {
                ::clap::Command::new(#verb).about(#about).long_about(#long_about).alias(#id) #(.arg(#args))* #(#amounts)* #body
            }
        });
        quote! {
            ::clap::Command::new(#group).about(#about).subcommand_required(true).arg_required_else_help(true) #(.subcommand(#subcommands))*
        }
    });

    let rows_of = |op: &CliOperation| match &op.rows {
        Some(rows) => quote!(Some(#rows)),
        None => quote!(None),
    };
    let table = operations.iter().map(|op| {
        let (id, group, verb) = (&op.id, &op.group, &op.verb);
        let params = op.params.iter().map(|p| &p.name);
        let body = match &op.body {
            Some((schema, ..)) => quote!(Some(#schema)),
            None => quote!(None),
        };
        let rows = rows_of(op);
        let amounts = &op.amounts.flags;
        let columns = &op.columns;
        quote! { CliOperation { id: #id, group: #group, verb: #verb, params: &[#(#params),*], body: #body, amounts: &[#(#amounts),*], rows: #rows, columns: &[#(#columns),*] }, }
    });
    let count = operations.len();

    let variants = operations.iter().map(|op| {
        let variant = ident(&op.id.to_upper_camel_case());
        let fields = op.params.iter().map(|p| {
            let field = ident(&p.name);
            let ty = rust_type(&p.kind);
            if p.required { quote!(#field: #ty) } else { quote!(#field: Option<#ty>) }
        });
        let body = op.body.as_ref().map(|(schema, required, _)| {
            let ty = ident(schema);
            if *required {
                quote!(body: ::multicard_api::types::#ty,)
            } else {
                quote!(body: Option<::multicard_api::types::#ty>,)
            }
        });
        quote! { #variant { #(#fields,)* #body } }
    });

    let prepare_arms = operations.iter().map(|op| {
        let id = &op.id;
        let variant = ident(&op.id.to_upper_camel_case());
        let lets = op.params.iter().map(|p| {
            let field = ident(&p.name);
            let name = &p.name;
            let flag = format!("--{}", p.name.to_kebab_case());
            let value = match &p.kind {
                Kind::Integer => quote!(args.get_one::<i64>(#name).copied()),
                Kind::Text => quote!(args.get_one::<::std::string::String>(#name).cloned()),
                Kind::Enum(_) => {
                    let ty = rust_type(&p.kind);
                    quote!(match args.get_one::<::std::string::String>(#name) {
                        Some(text) => Some(text.parse::<#ty>().map_err(|e| format!("{}: {e}", #flag))?),
                        None => None,
                    })
                }
            };
            if p.required && p.default.is_some() {
                // The registry rule: the command line's default.
                let default = match &p.kind {
                    Kind::Integer => quote!(crate::registry::default_param(args, #id, #name)?
                        .parse::<i64>()
                        .map_err(|e| format!("{}: {e}", #flag))?),
                    _ => quote!(crate::registry::default_param(args, #id, #name)?.parse().map_err(|e| format!("{}: {e}", #flag))?),
                };
                quote!(let #field = match #value { Some(value) => value, None => #default };)
            } else if p.required {
                let missing = format!("{flag} is required");
                quote!(let #field = #value.ok_or_else(|| #missing.to_string())?;)
            } else {
                quote!(let #field = #value;)
            }
        });
        let fields = op.params.iter().map(|p| ident(&p.name));
        let flags = &op.amounts.flags;
        let amounts = (!flags.is_empty()).then(|| quote!(let body = crate::money::with_amounts(args, body, &[#(#flags),*])?;));
        let body = op.body.as_ref().map(|(schema, required, _)| {
            let ty = ident(schema);
            // The CLI's decoder names the path and the expected type, never the
            // value (a body carries card data and one-time codes).
            // A body of several shapes (an untagged enum) that fits none is
            // tried against each, to name the closest one's path and type.
            let decode = if op.variants.is_empty() {
                quote!(crate::body::decode::<::multicard_api::types::#ty>(value, #schema))
            } else {
                let variants = op.variants.iter().map(|variant| {
                    let variant_ty = ident(variant);
                    quote!((#variant, crate::body::misfit::<::multicard_api::types::#variant_ty> as crate::body::Try))
                });
                quote!(crate::body::decode_one_of::<::multicard_api::types::#ty>(value, #schema, &[#(#variants),*]))
            };
            if *required && op.empty_body {
                quote!(let body = { let value = body.unwrap_or_else(|| ::serde_json::json!({})); #decode? };)
            } else if *required {
                quote!(let body = match body { Some(value) => #decode?, None => return Err("--body is required".to_string()) };)
            } else {
                quote!(let body = match body { Some(value) => Some(#decode?), None => None };)
            }
        });
        let body_field = op.body.as_ref().map(|_| quote!(body,));
        quote! {
            #id => {
                #(#lets)*
                #amounts
                #body
                Ok(Prepared::#variant { #(#fields,)* #body_field })
            }
        }
    });

    let id_arms = operations.iter().map(|op| {
        let id = &op.id;
        let variant = ident(&op.id.to_upper_camel_case());
        quote!(Prepared::#variant { .. } => #id,)
    });

    let offset_arms = operations.iter().filter(|op| op.rows.is_some()).map(|op| {
        let variant = ident(&op.id.to_upper_camel_case());
        quote!(Prepared::#variant { offset: o, .. } => { *o = offset; true })
    });

    let param_arms = operations.iter().map(|op| {
        let variant = ident(&op.id.to_upper_camel_case());
        let fields: Vec<Ident> = op.params.iter().map(|p| ident(&p.name)).collect();
        let arms = op.params.iter().map(|p| {
            let field = ident(&p.name);
            let name = &p.name;
            if p.required {
                quote!(#name => Some(#field.to_string()),)
            } else {
                quote!(#name => #field.as_ref().map(|v| v.to_string()),)
            }
        });
        quote! {
            #[allow(unused_variables)]
            Prepared::#variant { #(#fields,)* .. } => match name { #(#arms)* _ => None },
        }
    });

    let body_arms = operations.iter().map(|op| {
        let variant = ident(&op.id.to_upper_camel_case());
        match &op.body {
            Some(_) => quote!(Prepared::#variant { body, .. } => ::serde_json::to_value(body).ok(),),
            None => quote!(Prepared::#variant { .. } => None,),
        }
    });

    let send_arms = operations.iter().map(|op| {
        let variant = ident(&op.id.to_upper_camel_case());
        let method = ident(&op.id);
        let fields: Vec<Ident> = op.params.iter().map(|p| ident(&p.name)).collect();
        let required = op.params.iter().filter(|p| p.required).map(|p| {
            let field = ident(&p.name);
            quote!(.#field(#field.clone()))
        });
        let optional = op.params.iter().filter(|p| !p.required).map(|p| {
            let field = ident(&p.name);
            quote!(if let Some(value) = #field { request = request.#field(value.clone()); })
        });
        let (body_field, body_call) = match &op.body {
            Some((_, true, _)) => (quote!(body,), quote!(.body(body.clone()))),
            Some((_, false, _)) => {
                (quote!(body,), quote!(; if let Some(body) = body { request = request.body(body.clone()); }))
            }
            None => (quote!(), quote!()),
        };
        quote! {
            Prepared::#variant { #(#fields,)* #body_field } => multicard
                .send(|api| {
                    #[allow(unused_mut)]
                    let mut request = api.#method() #(#required)* #body_call;
                    #(#optional)*
                    request
                })
                .await
                .map(|data| ::serde_json::to_value(&data)),
        }
    });

    let doc_ops =
        operations.iter().map(|op| format!("`{} {}`: `{}` ({} {})", op.group, op.verb, op.id, op.method, op.path));
    let doc = doc_ops.collect::<Vec<_>>().join("; ");

    format_tokens(quote! {
        /// One operation as the command line shows it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct CliOperation {
            /// The `operationId`.
            pub id: &'static str,
            /// The group (the first word after `multicard`).
            pub group: &'static str,
            /// The verb (the second word).
            pub verb: &'static str,
            /// The parameters, by their spec names.
            pub params: &'static [&'static str],
            /// The request body's schema, when it takes one.
            pub body: Option<&'static str>,
            /// The body's top-level amounts in tiyin (`x-money`), each a flag.
            pub amounts: &'static [&'static str],
            /// For a registry export: the field of `data` holding its rows.
            pub rows: Option<&'static str>,
            /// For a registry export: the columns of a row, from the spec's
            /// row schema in its order (an object's fields as `object.field`).
            pub columns: &'static [&'static str],
        }

        #[doc = #doc]
        pub const CLI_OPERATIONS: [CliOperation; #count] = [#(#table)*];

        /// The groups, each with one subcommand per operation.
        pub fn group_commands() -> Vec<::clap::Command> {
            vec![#(#group_commands),*]
        }

        /// An operation with its arguments decoded into the SDK's types,
        /// ready to send.
        #[derive(Debug, Clone)]
        pub enum Prepared {
            #(#variants,)*
        }

        /// Decodes the arguments of the operation `id` (and its `--body`,
        /// already read as JSON) into the SDK's types; the message says
        /// what is wrong.
        pub fn prepare(
            id: &str,
            args: &::clap::ArgMatches,
            body: Option<::serde_json::Value>,
        ) -> Result<Prepared, ::std::string::String> {
            let _ = &body;
            match id {
                #(#prepare_arms)*
                other => Err(format!("no operation `{other}`")),
            }
        }

        impl Prepared {
            /// The `operationId`.
            pub fn id(&self) -> &'static str {
                match self { #(#id_arms)* }
            }

            /// Sets the `offset` of a registry export; `false` for any
            /// other operation.
            pub fn set_offset(&mut self, offset: i64) -> bool {
                match self {
                    #(#offset_arms)*
                    _ => false,
                }
            }

            /// A parameter's value as text, by its spec name.
            pub fn param(&self, name: &str) -> Option<::std::string::String> {
                match self { #(#param_arms)* }
            }

            /// The request body as JSON, when there is one.
            pub fn body_json(&self) -> Option<::serde_json::Value> {
                match self { #(#body_arms)* }
            }

            /// Sends the operation through `Multicard::send` (token,
            /// retries, envelope and errors of the SDK); the `data`
            /// payload as JSON.
            pub async fn send(
                &self,
                multicard: &::multicard_api::Multicard,
            ) -> Result<Result<::serde_json::Value, ::serde_json::Error>, ::multicard_api::Error> {
                match self { #(#send_arms)* }
            }
        }
    })
    .map_err(|e| BuildError::new(format!("generated command line does not parse: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_tags_and_operation_ids() {
        assert_eq!(cli_group("payments", "get_payment"), "payment");
        assert_eq!(cli_verb("payment", "get_payment"), "get");
        assert_eq!(cli_verb("card", "check_card_pan"), "check-pan");
        assert_eq!(cli_group("reports", "list_payments"), "registry");
        assert_eq!(cli_verb("registry", "list_payments"), "payments");
        assert_eq!(cli_verb("refund", "partial_refund_payment"), "partial-payment");
        assert_eq!(cli_verb("auth", "get_token"), "get-token");
    }

    #[test]
    fn the_spec_generates_a_command_line() {
        let code = generate_cli(&spec()).unwrap();
        assert!(code.contains("\"registry\""));
        assert!(code.contains(".list_payments()"));
        assert!(code.contains("rows: Some(\"list\")"));
    }

    fn spec() -> OpenAPI {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/multicard.yaml")).unwrap();
        crate::parse_spec(&text).unwrap()
    }

    fn operation(spec: &OpenAPI, id: &str) -> CliOperation {
        let (path, method, op) = spec.operations().find(|(_, _, op)| op.operation_id.as_deref() == Some(id)).unwrap();
        cli_operation(spec, path, method, op).unwrap()
    }

    /// The registry rule: the store, the page and the window are optional
    /// with a default; the status filter lists its values, for payouts too
    /// (where the spec types it as a plain string).
    #[test]
    fn the_registry_rule_makes_the_store_page_and_window_optional() {
        let spec = spec();
        for id in ["list_payments", "list_payouts"] {
            let op = operation(&spec, id);
            for name in ["store_id", "offset", "limit", "start_date", "end_date"] {
                let param = op.params.iter().find(|p| p.name == name).unwrap();
                assert!(param.required && !param.flag_required() && param.default.is_some(), "{id} {name}");
                assert_eq!(param.timestamp, name.ends_with("_date"), "{id} {name}");
            }
            let status = op.params.iter().find(|p| p.name == "only_status").unwrap();
            assert!(status.values.iter().any(|v| v == "success") && status.values.len() >= 7, "{id}");
        }
        // Outside the registry nothing changes.
        let get = operation(&spec, "get_payment");
        assert!(get.params.iter().all(|p| p.default.is_none() && !p.timestamp));
        let code = generate_cli(&spec).unwrap();
        assert!(code.contains("crate::registry::default_param"));
        assert!(code.contains("registry::timestamp"));
        // A body of several shapes is decoded by trying each one.
        assert_eq!(operation(&spec, "create_payment").variants.len(), 4);
        assert!(code.contains("crate::body::decode_one_of"));
    }
}
