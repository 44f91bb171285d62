//! From parsed vendor pages and the corrections to ONE normalized OpenAPI
//! 3.0.3 document. The steps run in a fixed order; each is either a generic
//! rule (see `apidog`) or the application of one kind of correction.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::apidog;
use crate::corrections::Corrections;
use crate::english::{Coverage, English};
use crate::error::{RegenError, Result};
use crate::extensions::{APIDOG_NAME, SETTLED_BY};
use crate::json::{escape_pointer, first_difference, semantic};
use crate::page_ops::PageOperation;
use crate::pins::{Key, Ledger};
use crate::vendor::Page;

/// The common error envelope and its inner object, defined in the corrections.
const ERROR_RESPONSE: &str = "ErrorResponse";
const ERROR_DETAIL: &str = "ErrorDetail";

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// A component schema and the file it came from.
#[derive(Debug, Clone)]
struct Component {
    schema: Value,
    source: PathBuf,
    /// Every page that defines it (the same way), `source` first.
    pages: Vec<PathBuf>,
}

/// The component schemas being collected, with the rule for collisions:
/// two definitions of a name must mean the same (prose aside).
#[derive(Default)]
struct Components {
    schemas: BTreeMap<String, Component>,
    /// Names the corrections define: vendor definitions of them are set aside.
    overridden: BTreeSet<String>,
    /// Vendor content a correction sets aside, with the page it is on, for
    /// the pins: definitions of overridden names, replaced payloads,
    /// dropped parameters.
    set_aside: Vec<(Key, PathBuf, Value)>,
}

impl Components {
    fn add(&mut self, name: &str, schema: Value, source: &Path) -> Result<()> {
        let self_reference = format!("#/components/schemas/{name}");
        if self.overridden.contains(name) {
            if source != Path::new(CORRECTIONS) {
                self.set_aside.push((Key::Schema(name.to_string()), source.to_path_buf(), schema));
            }
            return Ok(());
        }
        if schema.get("$ref").and_then(Value::as_str) == Some(self_reference.as_str()) {
            return Ok(());
        }
        match self.schemas.get(name) {
            None => {
                let pages = vec![source.to_path_buf()];
                self.schemas.insert(name.to_string(), Component { schema, source: source.to_path_buf(), pages });
                Ok(())
            }
            Some(existing) => {
                let (a, b) = (semantic(&existing.schema), semantic(&schema));
                if a == b {
                    if let Some(existing) = self.schemas.get_mut(name)
                        && !existing.pages.iter().any(|p| p == source)
                    {
                        existing.pages.push(source.to_path_buf());
                    }
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

/// Where the corrections live: the source of the components they define.
const CORRECTIONS: &str = "spec/corrections.yaml";

/// Builds the normalized document, recording in `ledger` the vendor content
/// each pinned correction overwrites, with the English of `english` merged
/// in; returns it with what the English covers.
pub fn normalize(
    pages: &[Page],
    corrections: &Corrections,
    english: &English,
    ledger: &mut Ledger,
) -> Result<(Value, Coverage)> {
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
            apidog::rename_refs(&mut doc, &rename.from, &rename.to);
            if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas")
                && let Some(schema) = schemas.remove(&rename.from)
            {
                schemas.insert(rename.to.clone(), schema);
            }
        }
        apidog::strip_noise(&mut doc);
        apidog::visit_document_schemas_mut(&mut doc, &mut |_, map| {
            apidog::rewrite_null_types(map);
            apidog::tidy_ref_siblings(map);
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

    for (id, role) in &corrections.pages {
        if !seen_pages.contains(id) {
            let owner = role.operation.as_ref().or(role.callback.as_ref());
            return Err(RegenError::new(format!(
                "spec/corrections.yaml describes page {id}{}, which is not among the vendor pages: \
                 if the vendor deleted it, remove it from `pages`{}",
                owner.map(|o| format!(" (`{o}`)")).unwrap_or_default(),
                owner
                    .map(|o| format!(", and `{o}` with every correction that names it if no other page documents it"))
                    .unwrap_or_default()
            )));
        }
    }

    crate::page_ops::unify_paths(&mut operations);
    let page_ops = crate::page_ops::group_operations(&operations)?;

    let mut paths = Map::new();
    for correction in &corrections.operations {
        let group = page_ops.get(correction.id.as_str()).ok_or_else(|| {
            RegenError::new(format!(
                "operation `{}` is listed in spec/corrections.yaml but no page documents it",
                correction.id
            ))
        })?;
        let (path, method, op) = build_operation(group, correction, &corrections.drop_parameters, &mut components)?;
        let pointer = format!("/paths/{}/{method}", escape_pointer(&path));
        ledger.sources.insert(pointer, group.iter().map(|o| o.page.clone()).collect());
        let item = paths.entry(path).or_insert_with(|| json!({}));
        item.as_object_mut().map(|m| m.insert(method, op));
    }

    let mut schemas = Map::new();
    let mut rule_made = BTreeSet::new();
    for (name, component) in components.schemas {
        ledger.sources.insert(format!("/components/schemas/{}", escape_pointer(&name)), component.pages);
        if component.source == Path::new(CORRECTIONS) {
            rule_made.insert(name.clone());
        }
        schemas.insert(name, component.schema);
    }
    for definition in &corrections.schemas {
        let pointer = format!("/components/schemas/{}", escape_pointer(&definition.name));
        ledger.sources.insert(pointer, vec![PathBuf::from(CORRECTIONS)]);
        schemas.insert(definition.name.clone(), definition.schema.clone());
    }
    for (key, page, value) in components.set_aside {
        match key {
            Key::Drop(..) => ledger.add_distinct(key, &page, &value),
            _ => ledger.add_part(key, &page, &value),
        }
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

    // What the vendor's pages say, before any correction: the English
    // quotes it as the vendor's.
    let mut vendor = doc.clone();
    if let Some(Value::Object(schemas)) = vendor.pointer_mut("/components/schemas") {
        schemas.retain(|name, _| !rule_made.contains(name) && !corrections.schemas.iter().any(|s| &s.name == name));
    }

    crate::examples::clean_examples(&mut doc);
    crate::patches::apply_patches(&mut doc, corrections, ledger)?;
    crate::sensitive::mark(&mut doc, corrections)?;
    crate::money::mark(&mut doc, corrections)?;
    crate::patches::apply_formats(&mut doc, corrections, ledger);
    let callbacks: Vec<String> = corrections.pages.values().filter_map(|p| p.callback.clone()).collect();
    crate::decoding::apply(&mut doc, &corrections.decoding, &callbacks)?;
    apidog::visit_document_schemas_mut(&mut doc, &mut |_, map| apidog::nullable_is_optional(map));
    crate::enums::hoist_inline_enums(&mut doc)?;
    apidog::visit_document_schemas_mut(&mut doc, &mut |_, map| apidog::explicit_null_arms(map));
    let notes: Vec<(String, String)> =
        corrections.formats.iter().filter_map(|f| Some((f.to.clone(), f.describe.clone()?))).collect();
    // The envelopes are the components a rule makes (and describes).
    let coverage = crate::english::apply(&mut doc, &vendor, english, &notes, &rule_made)?;
    crate::promises::sort_schemas(&mut doc);
    crate::promises::check(&doc, corrections)?;
    Ok((doc, coverage))
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
        let mut kept: Vec<Value> = Vec::new();
        for param in params {
            let dropped = drop.iter().find(|d| {
                param.get("name").and_then(Value::as_str) == Some(d.name.as_str())
                    && param.get("in").and_then(Value::as_str) == Some(d.location.as_str())
            });
            match dropped {
                Some(d) => {
                    let key = Key::Drop(d.location.clone(), d.name.clone());
                    components.set_aside.push((key, first.page.clone(), param.clone()));
                }
                None => kept.push(param.clone()),
            }
        }
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
        let examples = apidog::take_examples(media, page_op.variant.as_deref().unwrap_or("example"));
        let bodiless = matches!(first.method.as_str(), "get" | "delete" | "head");
        if apidog::is_empty_schema(&schema) && bodiless {
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
            media.insert("examples".into(), Value::Object(apidog::examples_map(request_examples)));
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
            let (status, label) = match apidog::extra_response_key(key) {
                Some((status, label)) => (status.to_string(), Some(label.to_string())),
                None => (key.clone(), None),
            };
            let mut response = response.clone();
            let description =
                response.get("description").and_then(Value::as_str).unwrap_or_default().trim().to_string();
            let apidog_name =
                response.get(APIDOG_NAME).and_then(Value::as_str).map(str::trim).filter(|n| !n.is_empty());
            let default_label =
                label.clone().or(apidog_name.map(str::to_string)).unwrap_or_else(|| format!("{status} example"));
            let entry = statuses.entry(status).or_insert_with(|| (String::new(), Vec::new(), Vec::new()));
            if (entry.0.is_empty() || label.is_none()) && !description.is_empty() {
                entry.0 = description;
            }
            if let Some(media) = json_media(&mut response) {
                let examples = apidog::take_examples(media, &default_label);
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
            media.insert("examples".into(), Value::Object(apidog::examples_map(examples)));
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
    if correction.replace_vendor_data.is_some() {
        for (schema, page) in schemas {
            components.set_aside.push((Key::ReplacedData(id.to_string()), page.clone(), schema.clone()));
        }
    } else {
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
    components.add(&wrapper, envelope, &PathBuf::from(CORRECTIONS))?;
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
                if !is_envelope && !apidog::is_empty_schema(schema) {
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
