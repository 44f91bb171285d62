//! The operations the pages document, before they are merged: one per
//! endpoint page, with the checks that tie pages to operations.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::apidog;
use crate::error::{RegenError, Result};

/// One page's operation, after the generic per-page fixes.
#[derive(Debug, Clone)]
pub struct PageOperation {
    /// The operation id the corrections give the page.
    pub id: String,
    /// The page.
    pub page: PathBuf,
    /// The page's `variant` (the name of its request body), when several
    /// pages document one operation.
    pub variant: Option<String>,
    /// The path template.
    pub path: String,
    /// The method, lower case.
    pub method: String,
    /// The operation object of the page.
    pub op: Map<String, Value>,
}

/// Applies [`apidog::unify_path_parameters`] to the paths and their
/// path parameters.
pub fn unify_paths(operations: &mut [PageOperation]) {
    let all: Vec<String> = operations.iter().map(|o| o.path.clone()).collect();
    let renames = apidog::unify_path_parameters(&all);
    for operation in operations.iter_mut() {
        let original = operation.path.clone();
        for ((path, from), to) in &renames {
            if &original != path {
                continue;
            }
            operation.path = operation.path.replace(&format!("{{{from}}}"), &format!("{{{to}}}"));
            if let Some(Value::Array(params)) = operation.op.get_mut("parameters") {
                for param in params {
                    if param.get("in").and_then(Value::as_str) == Some("path")
                        && param.get("name").and_then(Value::as_str) == Some(from.as_str())
                    {
                        param["name"] = Value::String(to.clone());
                    }
                }
            }
        }
    }
}

/// Groups page operations by operation id, checking that pages which share
/// a method and path share an operation, and the other way round.
pub fn group_operations(operations: &[PageOperation]) -> Result<BTreeMap<&str, Vec<&PageOperation>>> {
    let mut by_route: BTreeMap<(String, String), (&str, &PathBuf)> = BTreeMap::new();
    let mut by_id: BTreeMap<&str, Vec<&PageOperation>> = BTreeMap::new();
    for operation in operations {
        let id = operation.id.as_str();
        let route = (operation.method.clone(), operation.path.clone());
        if let Some((other, other_page)) = by_route.get(&route)
            && *other != id
        {
            return Err(RegenError::in_file(
                &operation.page,
                format!(
                    "{} {} is also documented by {} as `{other}`; pages that share a method and path must name one operation",
                    operation.method.to_uppercase(),
                    operation.path,
                    other_page.display()
                ),
            ));
        }
        by_route.insert(route, (id, &operation.page));
        let group = by_id.entry(id).or_default();
        if let Some(first) = group.first()
            && (first.path != operation.path || first.method != operation.method)
        {
            return Err(RegenError::in_file(
                &operation.page,
                format!(
                    "operation `{id}` is {} {} here but {} {} in {}",
                    operation.method.to_uppercase(),
                    operation.path,
                    first.method.to_uppercase(),
                    first.path,
                    first.page.display()
                ),
            ));
        }
        group.push(operation);
    }
    for group in by_id.values() {
        if group.len() > 1
            && let Some(missing) = group.iter().find(|o| o.variant.is_none())
        {
            return Err(RegenError::in_file(
                &missing.page,
                format!(
                    "{} pages document {} {}: give each page a `variant` (the name of its request body schema)",
                    group.len(),
                    missing.method.to_uppercase(),
                    missing.path
                ),
            ));
        }
    }
    Ok(by_id)
}
