//! `multicard_client.rs` and `multicard_enums.rs`: progenitor run on the
//! spec with the type mappings the Multicard API needs, then the passes over
//! its output (builders pruned, structs made non-exhaustive, informative
//! fields made tolerant and exact fields exact, request fields given the
//! SDK's defaults, sensitive fields redacted in `Debug`, each operation documented
//! through `Multicard::send`, path parameters sent through the SDK's
//! encoder), and the open enums. A spec
//! progenitor cannot take becomes an error naming the operation.

use openapiv3::{OpenAPI, ReferenceOr};
use proc_macro2::TokenStream;
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};

use crate::error::BuildError;
use crate::format::format_tokens;
use crate::open_enums::{OpenEnum, open_enum_tokens, open_enums};
use crate::{informative, non_exhaustive, prune, redact, safe_path, sdk_defaults};

/// The inner state every generated `Client` carries; its `ClientHooks`
/// implementation (hand-written, in `multicard-api`) adds the token.
pub const INNER_TYPE: &str = "crate::transport::ClientState";

/// The Rust path of the type for `format: multicard-datetime`.
pub const DATETIME_TYPE: &str = "crate::time::MulticardDateTime";
/// The Rust module the open enums are included into.
pub const ENUMS_MODULE: &str = "crate::enums";

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
    let exact = informative::exact_fields(spec).map_err(BuildError::new)?;
    informative::mark_exact(&mut file, &exact)
        .map_err(|e| BuildError::new(format!("marking the exact fields: {e}")))?;
    let defaults = sdk_defaults::defaults(spec).map_err(|e| BuildError::new(format!("SDK defaults: {e}")))?;
    sdk_defaults::apply(&mut file, &defaults)
        .map_err(|e| BuildError::new(format!("giving request fields the SDK's defaults: {e}")))?;
    let sensitive = redact::sensitive_fields(spec).map_err(|e| BuildError::new(format!("sensitive fields: {e}")))?;
    redact::redact_debug(&mut file, &sensitive)
        .map_err(|e| BuildError::new(format!("redacting sensitive fields in `Debug`: {e}")))?;
    let returns = safe_path::returns(spec).map_err(|e| BuildError::new(format!("what each operation returns: {e}")))?;
    safe_path::rewrite(&mut file, &returns)
        .map_err(|e| BuildError::new(format!("documenting the call through `Multicard::send`: {e}")))?;
    let client = prettyplease::unparse(&file);
    // Path parameters go through the SDK's encoder, which also encodes `\`
    // (the URL parser reads it as `/`, so a parameter could name another).
    let calls = client.matches("encode_path(").count();
    if calls == 0 {
        return Err(BuildError::new("the generated client no longer calls `encode_path`; path encoding moved"));
    }
    let client = client.replace("encode_path(", "crate::transport::encode_path(");
    // Documented answers are read by the SDK's reader, which decodes as
    // progenitor's does and also notices what the spec does not say
    // (`multicard_api`'s `drift` module).
    let reads = client.matches("ResponseValue::from_response(").count();
    if reads == 0 {
        return Err(BuildError::new("the generated client no longer calls `ResponseValue::from_response`"));
    }
    let client = client.replace("ResponseValue::from_response(", "crate::transport::read_answer(");
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
