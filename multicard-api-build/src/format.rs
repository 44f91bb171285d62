//! Token streams to Rust source, formatted as `rustfmt` would (by
//! `prettyplease`), for the files written to `OUT_DIR`.

use proc_macro2::TokenStream;

/// Parses `tokens` as a file and formats it; fails when they are not Rust.
pub(crate) fn format_tokens(tokens: TokenStream) -> Result<String, syn::Error> {
    let file: syn::File = syn::parse2(tokens)?;
    Ok(prettyplease::unparse(&file))
}
