//! `multicard_glue.rs`: the code that ties the generated client to the
//! hand-written layer of `multicard-api`. Each job has its own file and
//! writes its items into the one file in this order:
//! - [`operations`]: `impl Operation` for every operation builder (its id,
//!   success and failure types, how it is sent);
//! - [`envelopes`]: `impl Envelope` for every `{success, data, error}`
//!   success schema (how its payload is taken out);
//! - [`requests`]: `decode_request`, the request body decoders the sandbox
//!   checks bodies with (compiled with the sandbox only);
//! - [`fuzz`]: `decode_every_response`, one decoder per
//!   response type, for the fuzz targets.

mod envelopes;
mod fuzz;
mod operations;
mod requests;

use openapiv3::OpenAPI;
use quote::quote;

use crate::error::BuildError;
use crate::format::format_tokens;

/// The glue file's source: the items of every job, formatted as one file.
pub fn glue(spec: &OpenAPI) -> Result<String, BuildError> {
    let typed = operations::typed_operations(spec)?;
    let mut items = operations::impls(&typed);
    items.extend(envelopes::impls(spec, typed.iter().map(|operation| operation.success.as_str())));
    items.push(requests::decode_request(spec)?);
    items.push(fuzz::decoders(spec));
    format_tokens(quote!(#(#items)*)).map_err(|e| BuildError::new(format!("generated glue does not parse: {e}")))
}
