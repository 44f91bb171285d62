//! Which vendor pages the corrections map: every endpoint page of the
//! vendor's export must be named under `pages` in `spec/corrections.yaml`
//! (as an operation, a variant of one, a callback or a page skipped with
//! its reason), and every page named there must exist. A page on one side
//! only stops regen and import, with what to add or remove.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::corrections::Corrections;
use crate::error::{RegenError, Result};
use crate::vendor::{self, Page};

/// Fails, listing what to add or remove, when `pages` and the pages the
/// corrections map are not the same set. `context` opens the message;
/// `committed_spec` (the committed `spec/multicard.yaml`) suggests where a
/// new page belongs.
pub fn check_mapping(
    pages: &[Page],
    corrections: &Corrections,
    corrections_file: &Path,
    committed_spec: &Path,
    context: &str,
) -> Result<()> {
    let problems = mapping_problems(pages, corrections, &committed_routes(committed_spec));
    if problems.is_empty() {
        return Ok(());
    }
    Err(RegenError::in_file(
        corrections_file,
        format!("{context}:\n{}", problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n")),
    ))
}

/// The operations of the committed spec by route (`GET /payment/{}`, path
/// parameter names left out), to suggest a mapping for a new page.
fn committed_routes(output: &Path) -> BTreeMap<String, String> {
    let Ok(text) = std::fs::read_to_string(output) else { return BTreeMap::new() };
    let Ok(doc) = vendor::parse_yaml(&text, 1) else { return BTreeMap::new() };
    crate::report::reach::operations(&doc).into_iter().map(|(op, _)| (route_key(&op.method, &op.path), op.id)).collect()
}

fn route_key(method: &str, path: &str) -> String {
    let segments: Vec<&str> =
        path.split('/').map(|segment| if segment.starts_with('{') { "{}" } else { segment }).collect();
    format!("{} {}", method.to_uppercase(), segments.join("/"))
}

/// The method, path, summary and request body schema name of a page's one
/// operation, when it has exactly one.
fn page_operation(page: &Page) -> Option<(String, String, String, Option<String>)> {
    let paths = page.document.as_ref()?.get("paths")?.as_object()?;
    let (path, item) = paths.iter().next()?;
    let (method, op) = item.as_object()?.iter().next()?;
    let summary = op.get("summary").and_then(Value::as_str).unwrap_or_default().trim().to_string();
    let body = op
        .pointer("/requestBody/content/application~1json/schema/$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
        .map(str::to_string);
    Some((method.to_uppercase(), path.clone(), summary, body))
}

/// Every endpoint page the corrections do not map, and every mapped page
/// the export lacks, each with what to add or remove.
pub fn mapping_problems(pages: &[Page], corrections: &Corrections, routes: &BTreeMap<String, String>) -> Vec<String> {
    let mut problems = Vec::new();
    for page in pages.iter().filter(|p| !p.is_model) {
        if corrections.pages.contains_key(&page.id) {
            continue;
        }
        let described = page_operation(page);
        let id = &page.id;
        let add = match &described {
            Some((method, path, _, body)) => match routes.get(&route_key(method, path)) {
                Some(op) => format!(
                    "add `\"{id}\": {{operation: {op}, variant: {}}}` under `pages` (it documents the route of `{op}`: \
                     the pages of one operation each name their request body as a `variant`)",
                    body.clone().unwrap_or_else(|| "<the name of its request body>".to_string())
                ),
                None => format!(
                    "add `\"{id}\": {{operation: <operation_id>}}` under `pages` and the operation under `operations`"
                ),
            },
            None => "it documents no operation".to_string(),
        };
        let what = match &described {
            Some((method, path, summary, _)) => format!(" ({method} {path}: {summary})"),
            None => String::new(),
        };
        problems.push(format!(
            "new page {}{what} is not mapped: {add}, or `\"{id}\": {{skip: <why>}}`",
            page.path.display()
        ));
    }
    for (id, role) in &corrections.pages {
        if pages.iter().any(|p| !p.is_model && &p.id == id) {
            continue;
        }
        let owner = match (&role.operation, &role.callback) {
            (Some(op), _) => format!(
                " (operation `{op}`): remove `\"{id}\"` from `pages`, and, if no other page documents `{op}`, the operation \
                 from `operations` and every correction that names it"
            ),
            (None, Some(callback)) => format!(
                " (callback `{callback}`): remove `\"{id}\"` from `pages` and every correction that names `{callback}`"
            ),
            _ => format!(": remove `\"{id}\"` from `pages`"),
        };
        problems.push(format!("page {id} is mapped in spec/corrections.yaml but no vendor page has that id{owner}"));
    }
    problems
}
