//! `impl Operation for crate::builder::X`: for every operation builder, its
//! `operationId`, its success and failure types (from the spec's
//! responses) and how it is sent, so the hand-written executor can run any
//! operation.

use openapiv3::{OpenAPI, StatusCode};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::error::BuildError;
use crate::names::builder_name;
use crate::spec::{operation_id, response_schema};

/// An operation and the component schemas of its answers.
pub(super) struct TypedOperation {
    /// The `operationId`.
    pub(super) id: String,
    /// The schema of every 2xx answer (there is exactly one).
    pub(super) success: String,
    /// The schema of every other answer, when there is one.
    pub(super) failure: Option<String>,
}

/// Every operation with its success and failure types, in spec order.
/// Fails on an answer without a named schema, on two success or two error
/// types, and on an operation without a success answer.
pub(super) fn typed_operations(spec: &OpenAPI) -> Result<Vec<TypedOperation>, BuildError> {
    let mut out = Vec::new();
    for (path, method, operation) in spec.operations() {
        let id = operation_id(path, method, operation)?;
        let mut success = None;
        let mut failure = None;
        for (status, response) in &operation.responses.responses {
            let code = match status {
                StatusCode::Code(code) => *code,
                StatusCode::Range(range) => *range * 100,
            };
            let name = response_schema(response).ok_or_else(|| {
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
        out.push(TypedOperation { id, success, failure });
    }
    Ok(out)
}

/// One `impl Operation` per operation.
pub(super) fn impls(operations: &[TypedOperation]) -> Vec<TokenStream> {
    operations
        .iter()
        .map(|TypedOperation { id, success, failure }| {
            let builder = Ident::new(&builder_name(id), Span::call_site());
            let success_ty = Ident::new(success, Span::call_site());
            let failure_ty: TokenStream = match failure {
                Some(name) => {
                    let name = Ident::new(name, Span::call_site());
                    quote!(crate::types::#name)
                }
                None => quote!(()),
            };
            quote! {
                impl crate::operation::sealed::Sealed for crate::builder::#builder<'_> {}
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
            }
        })
        .collect()
}
