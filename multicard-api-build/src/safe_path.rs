//! The safe path first in the generated client's docs: progenitor documents
//! each operation with `client.get_payment().uuid(uuid).send().await`,
//! which bypasses the token, the retry policy, the checks before sending
//! and the envelope. This pass replaces that example, in every operation
//! method of `Client`, with the call through `Multicard::send` and the type
//! it returns (one click away), and says what the builder's own `send`
//! skips.

use std::collections::BTreeMap;

use openapiv3::{OpenAPI, ReferenceOr, SchemaKind, Type};
use syn::{Expr, ImplItem, Item, Lit, Meta};

use crate::spec::{component_name, operation_id, response_schema};

/// Each operation's `send` result: its success envelope's `data` type, or
/// the answer's own type when it has no `data` (`/auth`).
pub fn returns(spec: &OpenAPI) -> Result<BTreeMap<String, String>, String> {
    let schemas = &spec.components.as_ref().ok_or("the spec has no components")?.schemas;
    let mut out = BTreeMap::new();
    for (path, method, operation) in spec.operations() {
        let id = operation_id(path, method, operation).map_err(|e| e.to_string())?;
        let answer = operation
            .responses
            .responses
            .iter()
            .find(|(status, _)| matches!(status, openapiv3::StatusCode::Code(200..=299)))
            .and_then(|(_, response)| response_schema(response))
            .ok_or_else(|| format!("operation `{id}`: no success schema"))?;
        let data = match schemas.get(&answer) {
            Some(ReferenceOr::Item(schema)) => match &schema.schema_kind {
                SchemaKind::Type(Type::Object(object)) => match object.properties.get("data") {
                    Some(ReferenceOr::Reference { reference }) => component_name(reference).map(str::to_string),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        out.insert(id, data.unwrap_or(answer));
    }
    Ok(out)
}

/// Rewrites the doc example of each operation method of `impl Client`;
/// returns how many it rewrote. An operation method whose doc has no
/// example to replace is an error: progenitor's output changed.
pub fn rewrite(file: &mut syn::File, returns: &BTreeMap<String, String>) -> Result<usize, String> {
    let mut rewritten = 0;
    for item in &mut file.items {
        let Item::Impl(block) = item else { continue };
        let is_client = matches!(&*block.self_ty, syn::Type::Path(p) if p.path.is_ident("Client"));
        if !is_client || block.trait_.is_some() {
            continue;
        }
        for member in &mut block.items {
            let ImplItem::Fn(method) = member else { continue };
            let name = method.sig.ident.to_string();
            let Some(data) = returns.get(&name) else { continue };
            let doc = method.attrs.iter_mut().find(|a| a.path().is_ident("doc"));
            let Some(Meta::NameValue(value)) = doc.map(|a| &mut a.meta) else {
                return Err(format!("`Client::{name}` has no doc"));
            };
            let Expr::Lit(syn::ExprLit { lit: Lit::Str(text), .. }) = &value.value else {
                return Err(format!("`Client::{name}`: its doc is not a string"));
            };
            let text = text.value();
            let example = text.find("```ignore").ok_or_else(|| format!("`Client::{name}`: no example in its doc"))?;
            let call = example_call(&text[example..], &name);
            let safe = format!(
                "Through the SDK: [`Multicard::send`](crate::Multicard::send) adds the token, the retry policy, \
                 the checks before sending and the envelope, and returns \
                 [`types::{data}`](crate::types::{data}):\n\n```ignore\nlet data: multicard_api::types::{data} = \
                 multicard.send(|api| api{call}).await?;\n```\n\nThis builder's own `send` skips all of that and \
                 answers the raw envelope: for what the SDK does not cover."
            );
            let new = format!("{}\n\n{safe}", text[..example].trim_end());
            value.value = syn::parse_quote!(#new);
            rewritten += 1;
        }
    }
    if rewritten != returns.len() {
        return Err(format!("rewrote the docs of {rewritten} operation methods of {}", returns.len()));
    }
    Ok(rewritten)
}

/// `.get_payment().uuid(uuid)` from progenitor's example (its builder
/// calls, without `.send().await`), on one line.
fn example_call(example: &str, name: &str) -> String {
    let body = example.trim_start_matches("```ignore").split("```").next().unwrap_or_default();
    let start = body.find(&format!(".{name}()")).unwrap_or(0);
    let calls: String = body[start..].split_whitespace().collect();
    let calls = calls.split(".send()").next().unwrap_or_default().to_string();
    if calls.is_empty() { format!(".{name}()") } else { calls }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_becomes_the_call_through_send() {
        let example = "```ignore\nlet response = client.get_payment()\n    .uuid(uuid)\n    .send()\n    .await;\n```";
        assert_eq!(example_call(example, "get_payment"), ".get_payment().uuid(uuid)");
        let mut file: syn::File = syn::parse_quote! {
            impl Client {
                #[doc = "Get a payment\n\n```ignore\nlet response = client.get_payment()\n    .uuid(uuid)\n    .send()\n    .await;\n```"]
                pub fn get_payment(&self) -> builder::GetPayment<'_> { builder::GetPayment::new(self) }
            }
        };
        let returns = BTreeMap::from([("get_payment".to_string(), "PaymentModel".to_string())]);
        assert_eq!(rewrite(&mut file, &returns), Ok(1));
        let text = quote::ToTokens::to_token_stream(&file).to_string();
        assert!(text.contains("multicard.send(|api| api.get_payment().uuid(uuid))"), "{text}");
        assert!(text.contains("[`types::PaymentModel`](crate::types::PaymentModel)"), "{text}");
        assert!(!text.contains("client.get_payment()"), "{text}");
    }
}
