//! From parsed vendor pages and the corrections to ONE normalized OpenAPI
//! 3.0.3 document. The steps run in a fixed order; each is either a generic
//! rule (see `generic`) or the application of one kind of correction.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::corrections::{Corrections, PatchOp};
use crate::error::{RegenError, Result};
use crate::generic;
use crate::json::{escape_pointer, first_difference, pascal_case, semantic};
use crate::vendor::Page;

/// The common error envelope and its inner object, defined in the corrections.
const ERROR_RESPONSE: &str = "ErrorResponse";
const ERROR_DETAIL: &str = "ErrorDetail";

/// The one extension the normalized document carries: on an operation that
/// changes state, the read that settles it when its answer is lost.
pub const SETTLED_BY: &str = "x-settled-by";

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// A component schema and the file it came from.
#[derive(Debug, Clone)]
struct Component {
    schema: Value,
    source: PathBuf,
}

/// The component schemas being collected, with the rule for collisions:
/// two definitions of a name must mean the same (prose aside).
#[derive(Default)]
struct Components {
    schemas: BTreeMap<String, Component>,
    /// Names the corrections define: vendor definitions of them are set aside.
    overridden: BTreeSet<String>,
}

impl Components {
    fn add(&mut self, name: &str, schema: Value, source: &Path) -> Result<()> {
        let self_reference = format!("#/components/schemas/{name}");
        if self.overridden.contains(name) || schema.get("$ref").and_then(Value::as_str) == Some(self_reference.as_str())
        {
            return Ok(());
        }
        match self.schemas.get(name) {
            None => {
                self.schemas.insert(name.to_string(), Component { schema, source: source.to_path_buf() });
                Ok(())
            }
            Some(existing) => {
                let (a, b) = (semantic(&existing.schema), semantic(&schema));
                if a == b {
                    return Ok(());
                }
                let place = first_difference(&a, &b, "").unwrap_or_default();
                Err(RegenError::in_file(
                    source,
                    format!(
                        "schema `{name}` differs from its definition in {} (first difference at `{}`); \
                         no rule resolves this: define `{name}` in spec/corrections.yaml",
                        existing.source.display(),
                        if place.is_empty() { "/" } else { &place }
                    ),
                ))
            }
        }
    }
}

/// One page's operation, after the generic per-page fixes.
#[derive(Debug, Clone)]
struct PageOperation {
    id: String,
    page: PathBuf,
    variant: Option<String>,
    path: String,
    method: String,
    op: Map<String, Value>,
}

/// Builds the normalized document.
pub fn normalize(pages: &[Page], corrections: &Corrections) -> Result<Value> {
    let mut components =
        Components { overridden: corrections.schemas.iter().map(|s| s.name.clone()).collect(), ..Default::default() };
    let mut operations: Vec<PageOperation> = Vec::new();
    let mut seen_pages = BTreeSet::new();

    // Model pages first: where a component is defined on its own page, that
    // definition is the reference the copies on endpoint pages must match.
    let mut ordered: Vec<&Page> = pages.iter().filter(|p| p.is_model).collect();
    ordered.extend(pages.iter().filter(|p| !p.is_model));

    for page in ordered {
        let role = if page.is_model {
            None
        } else {
            seen_pages.insert(page.id.clone());
            Some(corrections.pages.get(&page.id).ok_or_else(|| {
                RegenError::in_file(
                    &page.path,
                    format!("page {} is not described under `pages` in spec/corrections.yaml: say which operation it documents, or why it is skipped", page.id),
                )
            })?)
        };
        if role.is_some_and(|r| r.skip.is_some()) {
            continue;
        }
        let Some(document) = &page.document else {
            return Err(RegenError::in_file(&page.path, "the page has no OpenAPI document (no ```yaml fence)"));
        };
        let mut doc = document.clone();
        for rename in &corrections.rename_schemas {
            generic::rename_refs(&mut doc, &rename.from, &rename.to);
            if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas")
                && let Some(schema) = schemas.remove(&rename.from)
            {
                schemas.insert(rename.to.clone(), schema);
            }
        }
        generic::strip_noise(&mut doc);
        generic::visit_document_schemas_mut(&mut doc, &mut |_, map| {
            generic::rewrite_null_types(map);
            generic::tidy_ref_siblings(map);
        });
        if let Some(Value::Object(schemas)) = doc.pointer("/components/schemas") {
            for (name, schema) in schemas {
                components.add(name, schema.clone(), &page.path)?;
            }
        }
        let Some(role) = role else { continue };

        let mut found = Vec::new();
        if let Some(Value::Object(paths)) = doc.get("paths") {
            for (path, item) in paths {
                let Some(item) = item.as_object() else {
                    continue;
                };
                for (method, op) in item {
                    if METHODS.contains(&method.as_str()) {
                        found.push((path.clone(), method.clone(), op.as_object().cloned().unwrap_or_default()));
                    }
                }
            }
        }
        let [(path, method, op)] = <[_; 1]>::try_from(found).map_err(|found: Vec<_>| {
            RegenError::in_file(
                &page.path,
                format!("expected exactly one operation on the page, found {}", found.len()),
            )
        })?;

        if let Some(name) = &role.callback {
            let body =
                op.get("requestBody").and_then(|b| b.pointer("/content/application~1json")).cloned().ok_or_else(
                    || {
                        RegenError::in_file(&page.path, "the callback page has no JSON request body")
                            .at(format!("/paths/{}/{method}", escape_pointer(&path)))
                    },
                )?;
            let mut schema = body.get("schema").cloned().unwrap_or(json!({}));
            if let (Some(example), Some(map)) = (body.get("example"), schema.as_object_mut()) {
                map.insert("example".into(), example.clone());
            }
            if let (Some(summary), Some(map)) = (op.get("summary"), schema.as_object_mut()) {
                map.entry("title").or_insert(summary.clone());
            }
            if let (Some(description), Some(map)) = (op.get("description"), schema.as_object_mut())
                && description.as_str().is_some_and(|d| !d.trim().is_empty())
            {
                map.insert("description".into(), description.clone());
            }
            components.add(name, schema, &page.path)?;
            continue;
        }
        operations.push(PageOperation {
            id: role.operation.clone().unwrap_or_default(),
            page: page.path.clone(),
            variant: role.variant.clone(),
            path,
            method,
            op,
        });
    }

    for id in corrections.pages.keys() {
        if !seen_pages.contains(id) {
            return Err(RegenError::new(format!(
                "spec/corrections.yaml describes page {id}, which is not among the vendor pages"
            )));
        }
    }

    unify_paths(&mut operations);
    let page_ops = group_operations(&operations)?;

    let mut paths = Map::new();
    for correction in &corrections.operations {
        let group = page_ops.get(correction.id.as_str()).ok_or_else(|| {
            RegenError::new(format!(
                "operation `{}` is listed in spec/corrections.yaml but no page documents it",
                correction.id
            ))
        })?;
        let (path, method, op) = build_operation(group, correction, &corrections.drop_parameters, &mut components)?;
        let item = paths.entry(path).or_insert_with(|| json!({}));
        item.as_object_mut().map(|m| m.insert(method, op));
    }

    let mut schemas = Map::new();
    for (name, component) in components.schemas {
        schemas.insert(name, component.schema);
    }
    for definition in &corrections.schemas {
        schemas.insert(definition.name.clone(), definition.schema.clone());
    }

    let mut doc = json!({
        "openapi": "3.0.3",
        "info": corrections.info,
        "servers": corrections.servers,
        "tags": corrections.tags,
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    });

    crate::examples::clean_examples(&mut doc);
    apply_patches(&mut doc, corrections)?;
    crate::sensitive::mark(&mut doc, corrections)?;
    apply_formats(&mut doc, corrections);
    let callbacks: Vec<String> = corrections.pages.values().filter_map(|p| p.callback.clone()).collect();
    crate::decoding::apply(&mut doc, &corrections.decoding, &callbacks)?;
    generic::visit_document_schemas_mut(&mut doc, &mut |_, map| generic::nullable_is_optional(map));
    hoist_inline_enums(&mut doc)?;
    generic::visit_document_schemas_mut(&mut doc, &mut |_, map| generic::explicit_null_arms(map));
    sort_schemas(&mut doc);
    check(&doc, corrections)?;
    Ok(doc)
}

/// Applies [`generic::unify_path_parameters`] to the paths and their
/// path parameters.
fn unify_paths(operations: &mut [PageOperation]) {
    let all: Vec<String> = operations.iter().map(|o| o.path.clone()).collect();
    let renames = generic::unify_path_parameters(&all);
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
fn group_operations(operations: &[PageOperation]) -> Result<BTreeMap<&str, Vec<&PageOperation>>> {
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

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The JSON media object of a request body or response, if any.
fn json_media(value: &mut Value) -> Option<&mut Map<String, Value>> {
    value.get_mut("content")?.get_mut("application/json")?.as_object_mut()
}

/// What the pages say about one status: description, labelled examples,
/// and each page's schema.
type StatusParts = (String, Vec<(String, Value)>, Vec<(Value, PathBuf)>);

/// Builds one operation of the normalized document from its page(s).
fn build_operation(
    group: &[&PageOperation],
    correction: &crate::corrections::Operation,
    drop: &[crate::corrections::DropParameter],
    components: &mut Components,
) -> Result<(String, String, Value)> {
    let first = group[0];
    let id = correction.id.as_str();
    let mut op = Map::new();
    op.insert("operationId".into(), json!(id));
    op.insert("tags".into(), json!([correction.tag]));
    let summaries: Vec<&str> = group.iter().filter_map(|o| o.op.get("summary").and_then(Value::as_str)).collect();
    op.insert("summary".into(), json!(summaries.join(" / ")));
    let descriptions: Vec<String> = group
        .iter()
        .filter_map(|o| {
            let text = o.op.get("description").and_then(Value::as_str)?.trim();
            (!text.is_empty()).then(|| match &o.variant {
                Some(variant) if group.len() > 1 => format!("{variant}: {text}"),
                _ => text.to_string(),
            })
        })
        .collect();
    if !descriptions.is_empty() {
        op.insert("description".into(), json!(descriptions.join("\n\n")));
    }
    if let Some(Value::Array(params)) = first.op.get("parameters") {
        let kept: Vec<Value> = params
            .iter()
            .filter(|p| {
                !drop.iter().any(|d| {
                    p.get("name").and_then(Value::as_str) == Some(d.name.as_str())
                        && p.get("in").and_then(Value::as_str) == Some(d.location.as_str())
                })
            })
            .cloned()
            .collect();
        if !kept.is_empty() {
            op.insert("parameters".into(), Value::Array(kept));
        }
    }

    // Request body: one page gives one schema, several pages a `oneOf`.
    let mut variants = Vec::new();
    let mut request_examples = Vec::new();
    for page_op in group {
        let Some(mut body) = page_op.op.get("requestBody").cloned() else {
            continue;
        };
        let Some(media) = json_media(&mut body) else {
            continue;
        };
        let schema = media.get("schema").cloned().unwrap_or(json!({}));
        let examples = generic::take_examples(media, page_op.variant.as_deref().unwrap_or("example"));
        let bodiless = matches!(first.method.as_str(), "get" | "delete" | "head");
        if generic::is_empty_schema(&schema) && bodiless {
            continue; // apidog's empty body on a GET or DELETE is no body
        }
        let name = match (&page_op.variant, group.len()) {
            (Some(variant), n) if n > 1 => variant.clone(),
            _ => correction.request.clone().ok_or_else(|| {
                RegenError::in_file(
                    &page_op.page,
                    format!("operation `{id}` has a request body: name its schema with `request`"),
                )
            })?,
        };
        components.add(&name, schema, &page_op.page)?;
        variants.push(name);
        request_examples.extend(examples.into_iter().map(|(label, value)| match &page_op.variant {
            Some(variant) if group.len() > 1 && &label != variant => (format!("{variant}: {label}"), value),
            _ => (label, value),
        }));
    }
    if !variants.is_empty() {
        let schema = if variants.len() == 1 {
            reference(&variants[0])
        } else {
            let request = correction.request.as_deref().ok_or_else(|| {
                RegenError::new(format!("operation `{id}` merges several bodies: name the union with `request`"))
            })?;
            let arms: Vec<Value> = variants.iter().map(|v| reference(v)).collect();
            components.add(request, json!({ "oneOf": arms }), &first.page)?;
            reference(request)
        };
        let mut media = Map::new();
        media.insert("schema".into(), schema);
        if !request_examples.is_empty() {
            media.insert("examples".into(), Value::Object(generic::examples_map(request_examples)));
        }
        op.insert("requestBody".into(), json!({ "required": true, "content": { "application/json": media } }));
    }

    // Responses: every page's, folded by status (apidog's `x-400:label`
    // keys are more examples of that status).
    let mut statuses: BTreeMap<String, StatusParts> = BTreeMap::new();
    for page_op in group {
        let Some(Value::Object(responses)) = page_op.op.get("responses") else {
            continue;
        };
        for (key, response) in responses {
            let (status, label) = match generic::extra_response_key(key) {
                Some((status, label)) => (status.to_string(), Some(label.to_string())),
                None => (key.clone(), None),
            };
            let mut response = response.clone();
            let description =
                response.get("description").and_then(Value::as_str).unwrap_or_default().trim().to_string();
            let apidog_name =
                response.get("x-apidog-name").and_then(Value::as_str).map(str::trim).filter(|n| !n.is_empty());
            let default_label =
                label.clone().or(apidog_name.map(str::to_string)).unwrap_or_else(|| format!("{status} example"));
            let entry = statuses.entry(status).or_insert_with(|| (String::new(), Vec::new(), Vec::new()));
            if (entry.0.is_empty() || label.is_none()) && !description.is_empty() {
                entry.0 = description;
            }
            if let Some(media) = json_media(&mut response) {
                let examples = generic::take_examples(media, &default_label);
                entry.1.extend(examples.into_iter().map(|(label, value)| match (&page_op.variant, group.len()) {
                    (Some(variant), n) if n > 1 => (format!("{variant}: {label}"), value),
                    _ => (label, value),
                }));
                if let Some(schema) = media.get("schema") {
                    entry.2.push((schema.clone(), page_op.page.clone()));
                }
            }
        }
    }

    let mut responses = Map::new();
    for (status, (description, examples, schemas)) in statuses {
        let success = status.starts_with('2');
        let schema = if success {
            success_schema(id, correction, &schemas, components)?
        } else {
            error_schema(correction, &schemas, components)?
        };
        let mut media = Map::new();
        media.insert("schema".into(), schema);
        if !examples.is_empty() {
            media.insert("examples".into(), Value::Object(generic::examples_map(examples)));
        }
        let description = if description.is_empty() {
            if success { "Success".to_string() } else { "Error".to_string() }
        } else {
            description
        };
        responses.insert(status, json!({ "description": description, "content": { "application/json": media } }));
    }
    if !responses.keys().any(|s| s.starts_with('2')) {
        return Err(RegenError::in_file(&first.page, format!("operation `{id}` documents no success response")));
    }
    op.insert("responses".into(), Value::Object(responses));
    if correction.security.as_deref() == Some("none") {
        op.insert("security".into(), json!([]));
    }
    if let Some(read) = &correction.settled_by {
        op.insert(SETTLED_BY.into(), json!(read));
    }
    Ok((first.path.clone(), first.method.clone(), Value::Object(op)))
}

/// The success schema: `<data>Response` around the hoisted `data`, or the
/// whole body hoisted under `response`.
fn success_schema(
    id: &str,
    correction: &crate::corrections::Operation,
    schemas: &[(Value, PathBuf)],
    components: &mut Components,
) -> Result<Value> {
    if let Some(name) = &correction.response {
        for (schema, page) in schemas {
            components.add(name, schema.clone(), page)?;
        }
        return Ok(reference(name));
    }
    let data = correction.data.as_deref().ok_or_else(|| {
        RegenError::new(format!("operation `{id}` needs `data` (or `response`) in spec/corrections.yaml"))
    })?;
    if correction.replace_vendor_data.is_none() {
        for (schema, page) in schemas {
            match schema.pointer("/properties/data") {
                Some(inline) => components.add(data, inline.clone(), page)?,
                None => {
                    return Err(RegenError::in_file(
                        page,
                        format!(
                            "the success schema of `{id}` has no `data` property (the vendor left it empty): \
                             set `replace_vendor_data` with the reason and define `{data}`"
                        ),
                    ));
                }
            }
        }
    }
    let wrapper = format!("{data}Response");
    // Multicard answers errors under HTTP 200 too, so the 200 body is
    // either `{success: true, data}` or `{success: false, error}`.
    let envelope = json!({
        "type": "object",
        "description": format!(
            "Multicard's envelope around `{data}`: `data` when `success` is true, `error` when it is false \
             (the vendor documents error bodies under HTTP 200)."
        ),
        "required": ["success"],
        "properties": {
            "success": {"type": "boolean", "description": "Whether the operation succeeded."},
            "data": reference(data),
            "error": reference(ERROR_DETAIL),
        },
    });
    components.add(&wrapper, envelope, &PathBuf::from("spec/corrections.yaml"))?;
    Ok(reference(&wrapper))
}

/// The error schema: the common envelope, or the operation's own.
fn error_schema(
    correction: &crate::corrections::Operation,
    schemas: &[(Value, PathBuf)],
    components: &mut Components,
) -> Result<Value> {
    match &correction.error {
        Some(name) => {
            for (schema, page) in schemas {
                components.add(name, schema.clone(), page)?;
            }
            Ok(reference(name))
        }
        None => {
            for (schema, page) in schemas {
                let props = schema.get("properties").and_then(Value::as_object);
                let is_envelope =
                    props.is_some_and(|p| p.contains_key("error") && p.keys().all(|k| k == "success" || k == "error"));
                if !is_envelope && !generic::is_empty_schema(schema) {
                    return Err(RegenError::in_file(
                        page,
                        format!(
                            "an error response of `{}` is not the common `{{success, error}}` envelope: name its schema with `error`",
                            correction.id
                        ),
                    ));
                }
            }
            Ok(reference(ERROR_RESPONSE))
        }
    }
}

fn apply_patches(doc: &mut Value, corrections: &Corrections) -> Result<()> {
    for (index, patch) in corrections.patches.iter().enumerate() {
        let place = format!("patches[{index}] ({})", patch.path);
        let fail = |message: &str| {
            RegenError::in_file(&PathBuf::from("spec/corrections.yaml"), message.to_string()).at(place.clone())
        };
        let (parent, last) = match patch.path.rsplit_once('/') {
            Some((parent, last)) => (parent, last.replace("~1", "/").replace("~0", "~")),
            None => return Err(fail("the path is not a JSON pointer")),
        };
        match patch.op {
            PatchOp::Set => {
                let value = patch.value.clone().ok_or_else(|| fail("`set` needs a `value`"))?;
                match doc.pointer_mut(parent) {
                    Some(Value::Object(map)) => {
                        map.insert(last, value);
                    }
                    Some(Value::Array(items)) => {
                        let i: usize = last.parse().map_err(|_| fail("an array index is not a number"))?;
                        if i >= items.len() {
                            return Err(fail("the array index is out of range"));
                        }
                        items[i] = value;
                    }
                    _ => {
                        return Err(fail("nothing to set into: the parent does not exist (the vendor pages changed?)"));
                    }
                }
            }
            PatchOp::Merge => {
                let Some(Value::Object(value)) = patch.value.clone() else {
                    return Err(fail("`merge` needs an object `value`"));
                };
                let Some(Value::Object(target)) = doc.pointer_mut(&patch.path) else {
                    return Err(fail("nothing to merge into: no object there (the vendor pages changed?)"));
                };
                for (k, v) in value {
                    target.insert(k, v);
                }
            }
            PatchOp::Remove => {
                let removed = match doc.pointer_mut(parent) {
                    Some(Value::Object(map)) => map.remove(&last).is_some(),
                    Some(Value::Array(items)) => match last.parse::<usize>() {
                        Ok(i) if i < items.len() => {
                            items.remove(i);
                            true
                        }
                        _ => false,
                    },
                    _ => false,
                };
                if !removed {
                    return Err(fail("nothing to remove there (the vendor pages changed?)"));
                }
            }
        }
    }
    Ok(())
}

fn apply_formats(doc: &mut Value, corrections: &Corrections) {
    if corrections.formats.is_empty() {
        return;
    }
    generic::visit_document_schemas_mut(doc, &mut |_, map| {
        for rule in &corrections.formats {
            if map.get("format").and_then(Value::as_str) == Some(rule.from.as_str()) {
                map.insert("format".into(), json!(rule.to));
                if let Some(note) = &rule.describe {
                    let text = match map.get("description").and_then(Value::as_str) {
                        Some(d) if !d.trim().is_empty() => format!("{}\n\n{note}", d.trim_end()),
                        _ => note.clone(),
                    };
                    map.insert("description".into(), json!(text));
                }
            }
        }
    });
}

/// Every string enum becomes a named component, so that the generated code
/// can make each one open (an unknown value from the server still decodes).
/// An inline enum with the same values as an existing one reuses it.
fn hoist_inline_enums(doc: &mut Value) -> Result<()> {
    let mut by_values: BTreeMap<Vec<String>, String> = BTreeMap::new();
    let enum_values = |map: &Map<String, Value>| -> Option<Vec<String>> {
        if map.get("type").and_then(Value::as_str) != Some("string") {
            return None;
        }
        let values = map.get("enum")?.as_array()?;
        let mut out: Vec<String> = values.iter().filter_map(|v| v.as_str().map(str::to_string)).collect();
        out.sort();
        Some(out)
    };
    if let Some(Value::Object(schemas)) = doc.pointer("/components/schemas") {
        for (name, schema) in schemas {
            if let Some(values) = schema.as_object().and_then(enum_values) {
                by_values.entry(values).or_insert_with(|| name.clone());
            }
        }
    }
    // operation pointer prefix -> (operationId, parameter names)
    let mut owners: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    if let Some(Value::Object(paths)) = doc.get("paths") {
        for (path, item) in paths {
            for (method, op) in item.as_object().into_iter().flatten() {
                let id = op.get("operationId").and_then(Value::as_str).unwrap_or_default().to_string();
                let params = op
                    .get("parameters")
                    .and_then(Value::as_array)
                    .map(|ps| {
                        ps.iter()
                            .map(|p| p.get("name").and_then(Value::as_str).unwrap_or_default().to_string())
                            .collect()
                    })
                    .unwrap_or_default();
                owners.insert(format!("/paths/{}/{method}/", escape_pointer(path)), (id, params));
            }
        }
    }
    let mut new_components: Vec<(String, Value)> = Vec::new();
    let mut taken: BTreeSet<String> = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    generic::visit_document_schemas_mut(doc, &mut |pointer, map| {
        let Some(values) = enum_values(map) else {
            return;
        };
        if pointer.starts_with("/components/schemas/") && pointer.matches('/').count() == 3 {
            return; // already a component
        }
        let name = by_values.get(&values).cloned().unwrap_or_else(|| {
            let name = enum_name(pointer, &owners, &taken);
            taken.insert(name.clone());
            let mut schema = map.clone();
            schema.remove("description");
            schema.remove("default");
            new_components.push((name.clone(), Value::Object(schema)));
            by_values.insert(values.clone(), name.clone());
            name
        });
        let description = map.remove("description");
        let nullable = map.remove("nullable");
        map.clear();
        if nullable.is_some() || description.is_some() {
            map.insert("allOf".into(), json!([reference(&name)]));
            if let Some(d) = description {
                map.insert("description".into(), d);
            }
            if let Some(n) = nullable {
                map.insert("nullable".into(), n);
            }
        } else {
            map.insert("$ref".into(), json!(format!("#/components/schemas/{name}")));
        }
    });
    if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        for (name, schema) in new_components {
            schemas.insert(name, schema);
        }
    }
    Ok(())
}

/// A component name for an inline enum at `pointer`: the owning component
/// or operation, then the property or parameter name.
fn enum_name(pointer: &str, owners: &BTreeMap<String, (String, Vec<String>)>, taken: &BTreeSet<String>) -> String {
    let parts: Vec<&str> = pointer.split('/').collect();
    let operation = owners.iter().find(|(prefix, _)| pointer.starts_with(prefix.as_str()));
    let owner = match operation {
        _ if pointer.starts_with("/components/schemas/") => parts[3].to_string(),
        Some((_, (id, _))) => id.clone(),
        None => String::new(),
    };
    let parameter = operation.and_then(|(prefix, (_, params))| {
        let rest = pointer.strip_prefix(prefix.as_str())?.strip_prefix("parameters/")?;
        let index: usize = rest.split('/').next()?.parse().ok()?;
        params.get(index).cloned()
    });
    let leaf = parts
        .iter()
        .rev()
        .zip(parts.iter().rev().skip(1))
        .find(|(_, before)| **before == "properties")
        .map(|(name, _)| name.to_string())
        .or(parameter)
        .unwrap_or_else(|| "value".to_string());
    let mut name = format!("{}{}", pascal_case(&owner), pascal_case(&leaf));
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{}{}{n}", pascal_case(&owner), pascal_case(&leaf));
        n += 1;
    }
    name
}

fn sort_schemas(doc: &mut Value) {
    if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        let mut entries: Vec<(String, Value)> = std::mem::take(schemas).into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        schemas.extend(entries);
    }
}

/// The promises the normalized document keeps, checked on every run.
fn check(doc: &Value, corrections: &Corrections) -> Result<()> {
    let fail = |pointer: &str, message: String| Err(RegenError::new(message).at(pointer.to_string()));
    let schemas = doc.pointer("/components/schemas").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut problem: Option<(String, String)> = None;
    let mut copy = doc.clone();
    crate::json::visit_objects_mut(&mut copy, "", &mut |pointer, map| {
        if problem.is_some() {
            return;
        }
        if pointer.contains("/examples/") || pointer.ends_with("/example") || pointer.contains("/example/") {
            return;
        }
        for (key, value) in map.iter() {
            if key == crate::sensitive::SENSITIVE {
                if let Err(message) = crate::sensitive::check_mark(pointer, value) {
                    problem = Some((pointer.to_string(), message));
                }
            } else if key.starts_with("x-") && key != SETTLED_BY && key != crate::decoding::INFORMATIVE_FIELDS {
                problem = Some((pointer.to_string(), format!("extension `{key}` left in the document")));
            }
        }
        if map.get("type").and_then(Value::as_str) == Some("null") {
            problem = Some((pointer.to_string(), "`type: null` is not OpenAPI 3.0".into()));
        }
        if let Some(target) = map.get("$ref").and_then(Value::as_str) {
            let name = target.strip_prefix("#/components/schemas/").unwrap_or(target);
            if !schemas.contains_key(name) {
                problem = Some((pointer.to_string(), format!("`$ref` to `{target}`, which does not exist")));
            }
        }
    });
    if let Some((pointer, message)) = problem {
        return fail(&pointer, message);
    }
    let mut count = 0;
    if let Some(Value::Object(paths)) = doc.get("paths") {
        for item in paths.values() {
            count += item.as_object().map_or(0, Map::len);
        }
    }
    if count != corrections.operations.len() {
        return fail(
            "/paths",
            format!("{count} operations, but the corrections list {}", corrections.operations.len()),
        );
    }
    let _: openapiv3::OpenAPI = serde_json::from_value(doc.clone())
        .map_err(|e| RegenError::new(format!("the normalized document is not OpenAPI 3.0: {e}")))?;
    Ok(())
}
