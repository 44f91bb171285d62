//! Compile-time code generation for `multicard-api`.
//!
//! `multicard-api/build.rs` calls [`generate`]: it reads the normalized
//! OpenAPI document (`spec/multicard.yaml`), runs progenitor on it with the
//! type mappings the Multicard API needs, formats the code and writes it to
//! `OUT_DIR`. It reads nothing but the spec and needs no network.
//!
//! Type mappings, all derived from the spec rather than listed here:
//! - every named string enum becomes an *open* enum with an
//!   `Unknown(String)` variant, so a status, payment system or error code the
//!   vendor adds later still decodes;
//! - `format: multicard-datetime` (`YYYY-MM-DD HH:MM:SS`, GMT+5) becomes
//!   `crate::time::MulticardDateTime`;
//! - `format: uuid` stays a `String`: the vendor's own examples hold values
//!   that are not valid UUIDs, and an identifier is never worth failing a
//!   payment response over;
//! - every struct with named fields, request or response, is
//!   `#[non_exhaustive]`: a field Multicard adds later breaks no caller
//!   (request bodies are built with their builders);
//! - a property or parameter marked `x-sensitive` (secrets, tokens, card
//!   data, one-time codes) is never printed by `Debug` (see [`redact`]).
#![forbid(unsafe_code)]

use std::fmt;
use std::path::{Path, PathBuf};

use openapiv3::{OpenAPI, ReferenceOr, SchemaKind, Type};
use proc_macro2::{Ident, Span, TokenStream};
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};
use quote::quote;

use open_enums::{OpenEnum, open_enum_tokens, open_enums};

pub mod informative;
mod non_exhaustive;
mod open_enums;
mod prune;
pub mod redact;
pub use open_enums::variant_name;
pub use prune::{PruneReport, prune_builders};

/// The file names written to `OUT_DIR`.
pub const CLIENT_FILE: &str = "multicard_client.rs";
/// The open enums, included by `multicard-api` as `crate::enums`.
pub const ENUMS_FILE: &str = "multicard_enums.rs";
/// The table of operations (id, method, path template, tag, token or not).
pub const OPERATIONS_FILE: &str = "multicard_operations.rs";
/// The impls that tie each generated builder to the hand-written executor.
pub const GLUE_FILE: &str = "multicard_glue.rs";

/// The inner state every generated `Client` carries; its `ClientHooks`
/// implementation (hand-written, in `multicard-api`) adds the token.
pub const INNER_TYPE: &str = "crate::transport::ClientState";

/// The Rust path of the type for `format: multicard-datetime`.
pub const DATETIME_TYPE: &str = "crate::time::MulticardDateTime";
/// The Rust module the open enums are included into.
pub const ENUMS_MODULE: &str = "crate::enums";

/// A failure of code generation, naming what failed.
#[derive(Debug)]
pub struct BuildError {
    message: String,
}

impl BuildError {
    fn new(message: impl Into<String>) -> Self {
        Self { message: message.into() }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BuildError {}

/// What [`generate`] wrote.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The client and types.
    pub client: PathBuf,
    /// The open enums.
    pub enums: PathBuf,
    /// The operation table.
    pub operations_table: PathBuf,
    /// The operations generated.
    pub operations: usize,
}

/// Reads the spec at `spec_path` and writes the generated code to `out_dir`.
/// Prints `cargo:rerun-if-changed` for the spec only when `emit_cargo` is set.
pub fn generate(spec_path: &Path, out_dir: &Path, emit_cargo: bool) -> Result<Generated, BuildError> {
    if emit_cargo {
        println!("cargo:rerun-if-changed={}", spec_path.display());
    }
    let text = std::fs::read_to_string(spec_path)
        .map_err(|e| BuildError::new(format!("{}: cannot read the spec: {e}", spec_path.display())))?;
    let spec = parse_spec(&text).map_err(|e| BuildError::new(format!("{}: {e}", spec_path.display())))?;
    let (client, enums, operations) = generate_code(&spec)?;
    let table = operation_table(&spec)?;
    let glue = glue(&spec)?;
    let glue_path = out_dir.join(GLUE_FILE);
    std::fs::write(&glue_path, glue)
        .map_err(|e| BuildError::new(format!("{}: cannot write: {e}", glue_path.display())))?;
    let client_path = out_dir.join(CLIENT_FILE);
    let enums_path = out_dir.join(ENUMS_FILE);
    let table_path = out_dir.join(OPERATIONS_FILE);
    std::fs::write(&table_path, table)
        .map_err(|e| BuildError::new(format!("{}: cannot write: {e}", table_path.display())))?;
    std::fs::write(&client_path, client)
        .map_err(|e| BuildError::new(format!("{}: cannot write: {e}", client_path.display())))?;
    std::fs::write(&enums_path, enums)
        .map_err(|e| BuildError::new(format!("{}: cannot write: {e}", enums_path.display())))?;
    Ok(Generated { client: client_path, enums: enums_path, operations_table: table_path, operations })
}

/// Parses the YAML spec into the typed OpenAPI model.
pub fn parse_spec(text: &str) -> Result<OpenAPI, String> {
    serde_norway::from_str(text).map_err(|e| format!("not an OpenAPI 3.0 document: {e}"))
}

/// The generator settings: builder-style methods, one `Client`, and the
/// type mappings described in the crate documentation.
fn settings(enums: &[OpenEnum]) -> GenerationSettings {
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_derive("PartialEq")
        .with_inner_type(INNER_TYPE.parse::<TokenStream>().expect("a Rust path"))
        .with_hooks(HooksMode::Expected);
    for open in enums {
        settings.with_replacement(
            &open.name,
            format!("{ENUMS_MODULE}::{}", open.name),
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
    let string_with_format = |format: &str| schemars::schema::SchemaObject {
        instance_type: Some(schemars::schema::InstanceType::String.into()),
        format: Some(format.to_string()),
        ..Default::default()
    };
    settings.with_conversion(
        string_with_format("multicard-datetime"),
        DATETIME_TYPE,
        [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
    );
    settings.with_conversion(
        string_with_format("uuid"),
        "::std::string::String",
        [TypeImpl::Display, TypeImpl::FromStr, TypeImpl::Default].into_iter(),
    );
    settings
}

/// Generates the client and the open enums as formatted Rust source.
pub fn generate_code(spec: &OpenAPI) -> Result<(String, String, usize), BuildError> {
    let enums = open_enums(spec);
    let settings = settings(&enums);
    let tokens = run_progenitor(spec, &settings).map_err(|message| {
        let culprit = find_failing_operation(spec, &settings);
        BuildError::new(match culprit {
            Some(operation) => format!("progenitor failed on operation `{operation}`: {message}"),
            None => format!("progenitor failed: {message}"),
        })
    })?;
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| BuildError::new(format!("generated client does not parse: {e}")))?;
    prune::prune_builders(&mut file).map_err(|e| BuildError::new(format!("pruning the struct builders: {e}")))?;
    non_exhaustive::mark(&mut file).map_err(|e| BuildError::new(format!("marking the structs non-exhaustive: {e}")))?;
    let informative = informative::fields(spec).map_err(BuildError::new)?;
    informative::mark(&mut file, &informative)
        .map_err(|e| BuildError::new(format!("marking the informative fields: {e}")))?;
    let sensitive = redact::sensitive_fields(spec).map_err(|e| BuildError::new(format!("sensitive fields: {e}")))?;
    redact::redact_debug(&mut file, &sensitive)
        .map_err(|e| BuildError::new(format!("redacting sensitive fields in `Debug`: {e}")))?;
    let client = prettyplease::unparse(&file);
    // Path parameters go through the SDK's encoder, which also encodes `\`
    // (the URL parser reads it as `/`, so a parameter could name another).
    let calls = client.matches("encode_path(").count();
    if calls == 0 {
        return Err(BuildError::new("the generated client no longer calls `encode_path`; path encoding moved"));
    }
    let client = client.replace("encode_path(", "crate::transport::encode_path(");
    let enum_tokens = enums.iter().map(open_enum_tokens).collect::<Result<TokenStream, _>>()?;
    let enums_code =
        format_tokens(enum_tokens).map_err(|e| BuildError::new(format!("generated enums do not parse: {e}")))?;
    let operations = spec.operations().count();
    Ok((client, enums_code, operations))
}

/// Runs progenitor, turning a panic into an error message.
fn run_progenitor(spec: &OpenAPI, settings: &GenerationSettings) -> Result<TokenStream, String> {
    let spec = spec.clone();
    let settings = settings.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(move || Generator::new(&settings).generate_tokens(&spec));
    std::panic::set_hook(previous);
    match result {
        Ok(Ok(tokens)) => Ok(tokens),
        Ok(Err(error)) => Err(error.to_string()),
        Err(panic) => Err(panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "panicked".to_string())),
    }
}

/// Generates each operation alone to find the one that fails.
fn find_failing_operation(spec: &OpenAPI, settings: &GenerationSettings) -> Option<String> {
    for (path, method, operation) in spec.operations() {
        let mut single = spec.clone();
        for (p, item) in single.paths.paths.iter_mut() {
            let ReferenceOr::Item(item) = item else {
                continue;
            };
            for m in ["get", "put", "post", "delete", "options", "head", "patch", "trace"] {
                if p == path && m == method {
                    continue;
                }
                let slot = match m {
                    "get" => &mut item.get,
                    "put" => &mut item.put,
                    "post" => &mut item.post,
                    "delete" => &mut item.delete,
                    "options" => &mut item.options,
                    "head" => &mut item.head,
                    "patch" => &mut item.patch,
                    _ => &mut item.trace,
                };
                *slot = None;
            }
        }
        if run_progenitor(&single, settings).is_err() {
            return Some(operation.operation_id.clone().unwrap_or_else(|| format!("{} {path}", method.to_uppercase())));
        }
    }
    None
}

/// The operation table: one `OperationInfo` per operation, in spec order,
/// with whether it needs the bearer token (from the spec's `security`).
pub fn operation_table(spec: &OpenAPI) -> Result<String, BuildError> {
    let global_secured = spec.security.as_ref().is_some_and(|s| !s.is_empty());
    let mut rows = Vec::new();
    for (path, method, operation) in spec.operations() {
        let id = operation
            .operation_id
            .clone()
            .ok_or_else(|| BuildError::new(format!("{} {path} has no operationId", method.to_uppercase())))?;
        let secured = match &operation.security {
            Some(requirements) => !requirements.is_empty(),
            None => global_secured,
        };
        let tag = operation.tags.first().cloned().unwrap_or_default();
        let method = method.to_uppercase();
        let settled_by = match operation.extensions.get("x-settled-by").and_then(|v| v.as_str()) {
            Some(read) => quote!(Some(#read)),
            None => quote!(None),
        };
        rows.push(quote! {
            OperationInfo { id: #id, method: #method, path: #path, tag: #tag, requires_token: #secured, settled_by: #settled_by },
        });
    }
    let count = rows.len();
    format_tokens(quote! {
        /// Every operation of the spec, in the spec's order.
        pub const OPERATIONS: [OperationInfo; #count] = [#(#rows)*];
    })
    .map_err(|e| BuildError::new(format!("generated operation table does not parse: {e}")))
}

/// The name a `$ref` to a component schema points at.
fn ref_name(reference: &ReferenceOr<openapiv3::Response>, spec: &OpenAPI) -> Option<String> {
    let response = match reference {
        ReferenceOr::Item(response) => response,
        ReferenceOr::Reference { .. } => return None,
    };
    let _ = spec;
    match &response.content.get("application/json")?.schema {
        Some(ReferenceOr::Reference { reference }) => {
            reference.strip_prefix("#/components/schemas/").map(str::to_string)
        }
        _ => None,
    }
}

/// The Rust name progenitor gives an operation's builder.
fn builder_name(operation_id: &str) -> String {
    operation_id
        .split('_')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut chars = p.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

/// `impl Operation` for every builder and `impl Envelope` for every
/// `{success, data}` success schema.
pub fn glue(spec: &OpenAPI) -> Result<String, BuildError> {
    let mut items = Vec::new();
    let mut envelopes = std::collections::BTreeSet::new();
    for (path, method, operation) in spec.operations() {
        let id = operation
            .operation_id
            .clone()
            .ok_or_else(|| BuildError::new(format!("{} {path} has no operationId", method.to_uppercase())))?;
        let mut success = None;
        let mut failure = None;
        for (status, response) in &operation.responses.responses {
            let code = match status {
                openapiv3::StatusCode::Code(code) => *code,
                openapiv3::StatusCode::Range(range) => *range * 100,
            };
            let name = ref_name(response, spec).ok_or_else(|| {
                BuildError::new(format!("operation `{id}`: response {code} is not a named component schema"))
            })?;
            let slot = if (200..300).contains(&code) { &mut success } else { &mut failure };
            match slot {
                Some(existing) if existing != &name => {
                    return Err(BuildError::new(format!(
                        "operation `{id}`: two {} types, `{existing}` and `{name}`",
                        if (200..300).contains(&code) { "success" } else { "error" }
                    )));
                }
                _ => *slot = Some(name),
            }
        }
        let success = success.ok_or_else(|| BuildError::new(format!("operation `{id}` has no success response")))?;
        envelopes.insert(success.clone());
        let builder = Ident::new(&builder_name(&id), Span::call_site());
        let success_ty = Ident::new(&success, Span::call_site());
        let failure_ty: TokenStream = match failure {
            Some(name) => {
                let name = Ident::new(&name, Span::call_site());
                quote!(crate::types::#name)
            }
            None => quote!(()),
        };
        items.push(quote! {
            impl Operation for crate::builder::#builder<'_> {
                const ID: &'static str = #id;
                type Success = crate::types::#success_ty;
                type Failure = #failure_ty;
                fn send_request(
                    self,
                ) -> impl ::std::future::Future<
                    Output = ::std::result::Result<
                        ::progenitor_client::ResponseValue<Self::Success>,
                        ::progenitor_client::Error<Self::Failure>,
                    >,
                > + Send {
                    self.send()
                }
            }
        });
    }
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
    for name in envelopes {
        let Some(ReferenceOr::Item(schema)) = schemas.and_then(|s| s.get(&name)) else { continue };
        let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else { continue };
        let (Some(_), Some(ReferenceOr::Reference { reference }), Some(_)) =
            (object.properties.get("success"), object.properties.get("data"), object.properties.get("error"))
        else {
            continue;
        };
        let Some(data) = reference.strip_prefix("#/components/schemas/") else { continue };
        let wrapper = Ident::new(&name, Span::call_site());
        let data_ty = Ident::new(data, Span::call_site());
        // A payload that may be null is still a payload when absent.
        let data_expr = if nullable(data) {
            quote!(self.data.or_else(|| ::serde_json::from_value(::serde_json::Value::Null).ok()))
        } else {
            quote!(self.data)
        };
        items.push(quote! {
            impl Envelope for crate::types::#wrapper {
                type Data = crate::types::#data_ty;
                fn into_parts(self) -> (bool, ::std::option::Option<Self::Data>, ::std::option::Option<crate::types::ErrorDetail>) {
                    (self.success, #data_expr, self.error)
                }
            }
        });
    }
    // The request body type of each operation, from the spec: one table
    // for the sandbox (which validates bodies with it) and for the tests.
    let mut request_arms = Vec::new();
    for (_, _, operation) in spec.operations() {
        let Some(id) = operation.operation_id.clone() else { continue };
        let Some(ReferenceOr::Item(body)) = &operation.request_body else { continue };
        let Some(ReferenceOr::Reference { reference }) =
            body.content.get("application/json").and_then(|m| m.schema.as_ref())
        else {
            continue;
        };
        let Some(name) = reference.strip_prefix("#/components/schemas/") else { continue };
        let ty = Ident::new(name, Span::call_site());
        request_arms.push(quote!(#id => Some(typed::<crate::types::#ty>(body)),));
    }
    items.push(quote! {
        /// Decodes `body` as the request type of `operation` and writes it
        /// back as that type would (optional nulls and unknown fields
        /// dropped). `None` for an operation without a body. The sandbox's
        /// body check; compiled with it only, as it instantiates every
        /// request type's decoder for `serde_json::Value`.
        #[cfg(feature = "request-decoding")] #[doc(hidden)]
        pub fn decode_request(operation: &str, body: ::serde_json::Value) -> Option<::std::result::Result<::serde_json::Value, ::std::string::String>> {
            fn typed<T: ::serde::de::DeserializeOwned + ::serde::Serialize>(
                body: ::serde_json::Value,
            ) -> ::std::result::Result<::serde_json::Value, ::std::string::String> {
                let typed = ::serde_json::from_value::<T>(body).map_err(|e| e.to_string())?;
                ::serde_json::to_value(typed).map_err(|e| e.to_string())
            }
            match operation {
                #(#request_arms)*
                _ => None,
            }
        }
    });
    // One decoder per generated response type, for the fuzz targets.
    let mut response_types: Vec<String> = Vec::new();
    for (_, _, operation) in spec.operations() {
        for response in operation.responses.responses.values() {
            if let Some(name) = ref_name(response, spec)
                && !response_types.contains(&name)
            {
                response_types.push(name);
            }
        }
    }
    let decoders = response_types.iter().map(|name| {
        let ty = Ident::new(name, Span::call_site());
        quote!(decoded += usize::from(::serde_json::from_slice::<crate::types::#ty>(bytes).is_ok());)
    });
    let count = response_types.len();
    items.push(quote! {
        /// How many response types there are.
        pub const RESPONSE_TYPES: usize = #count;
        /// Decodes `bytes` as every response type of the spec; returns how
        /// many accepted it.
        pub fn decode_every_response(bytes: &[u8]) -> usize {
            let mut decoded = 0;
            #(#decoders)*
            decoded
        }
    });
    format_tokens(quote!(#(#items)*)).map_err(|e| BuildError::new(format!("generated glue does not parse: {e}")))
}

fn format_tokens(tokens: TokenStream) -> Result<String, syn::Error> {
    let file: syn::File = syn::parse2(tokens)?;
    Ok(prettyplease::unparse(&file))
}
