//! The point fixes (`patches`) and `format` rewrites (`formats`) of the
//! corrections, applied to the assembled document. Each records, before it
//! applies, the content it overwrites (see [`crate::pins`]).
//!
//! A patch's path is a JSON pointer in which no array element is addressed
//! by its index: an element is selected by its fields,
//! `/paths/~1payment~1{uuid}/get/parameters/[name=uuid,in=path]/schema`
//! (a `/` inside a value is written `~1`, as in any pointer token). An index
//! would silently hit another element once the vendor inserts one before it.

use std::path::Path;

use serde_json::{Map, Value, json};

use crate::apidog;
use crate::corrections::{Corrections, PatchOp};
use crate::error::{RegenError, Result};
use crate::pins::{ABSENT, Key, Ledger, canonical};

/// One step of a patch path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// An object key.
    Key(String),
    /// The one array element whose fields have these values.
    Select(Vec<(String, String)>),
}

/// Splits a patch path into steps. Numeric steps are kept as keys here;
/// [`child_mut`] refuses them where they would index an array.
fn steps(path: &str) -> Result<Vec<Step>, String> {
    let rest = path.strip_prefix('/').ok_or("the path is not a JSON pointer (it must start with `/`)")?;
    rest.split('/')
        .map(|token| {
            let token = token.replace("~1", "/").replace("~0", "~");
            match token.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
                None => Ok(Step::Key(token)),
                Some(inner) => inner
                    .split(',')
                    .map(|pair| {
                        pair.split_once('=')
                            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                            .filter(|(k, _)| !k.is_empty())
                            .ok_or_else(|| format!("the selector `[{inner}]` is not `[field=value,...]`"))
                    })
                    .collect::<Result<Vec<_>, String>>()
                    .map(Step::Select),
            }
        })
        .collect()
}

/// The index of the one element of `items` that `selector` matches.
fn select(items: &[Value], selector: &[(String, String)]) -> Result<usize, String> {
    let matches = |item: &Value| selector.iter().all(|(k, v)| item.get(k).and_then(Value::as_str) == Some(v.as_str()));
    let found: Vec<usize> = items.iter().enumerate().filter(|(_, item)| matches(item)).map(|(i, _)| i).collect();
    let text = || selector.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(format!("no element matches `[{}]` (the vendor pages changed?)", text())),
        many => Err(format!("{} elements match `[{}]`: add fields until one does", many.len(), text())),
    }
}

/// The child of `value` at `step`, if there is one.
fn child_mut<'a>(value: &'a mut Value, step: &Step) -> Result<Option<&'a mut Value>, String> {
    match (value, step) {
        (Value::Object(map), Step::Key(key)) => Ok(map.get_mut(key)),
        (Value::Array(_), Step::Key(key)) => Err(format!(
            "`{key}` addresses an array element by its index: select it by its fields, e.g. `[name=...,in=...]`"
        )),
        (Value::Array(items), Step::Select(selector)) => {
            let index = select(items, selector)?;
            Ok(items.get_mut(index))
        }
        (_, Step::Select(_)) => Err("a selector `[...]` applies to an array only".to_string()),
        _ => Ok(None),
    }
}

/// The value at `steps`, if there is one.
fn resolve_mut<'a>(mut value: &'a mut Value, steps: &[Step]) -> Result<Option<&'a mut Value>, String> {
    for step in steps {
        match child_mut(value, step)? {
            Some(child) => value = child,
            None => return Ok(None),
        }
    }
    Ok(Some(value))
}

/// A stable description of a pointer for a pin: array indexes of
/// parameters replaced by their `name` and `in`.
fn stable(doc: &Value, pointer: &str) -> String {
    let mut out = String::new();
    let mut at = doc;
    for token in pointer.split('/').skip(1) {
        let next = match at {
            Value::Array(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
            Value::Object(map) => map.get(&token.replace("~1", "/").replace("~0", "~")),
            _ => None,
        };
        let shown = match (at, next) {
            (Value::Array(_), Some(item)) => match (item.get("name"), item.get("in")) {
                (Some(Value::String(name)), Some(Value::String(place))) => format!("[name={name},in={place}]"),
                _ => token.to_string(),
            },
            _ => token.to_string(),
        };
        out.push('/');
        out.push_str(&shown);
        match next {
            Some(next) => at = next,
            None => at = &Value::Null,
        }
    }
    out
}

/// Applies every patch in order, recording what each overwrites.
pub fn apply_patches(doc: &mut Value, corrections: &Corrections, ledger: &mut Ledger) -> Result<()> {
    for (index, patch) in corrections.patches.iter().enumerate() {
        let place = format!("patches[{index}] ({})", patch.path);
        let fail = |message: &str| {
            RegenError::in_file(Path::new("spec/corrections.yaml"), message.to_string()).at(place.clone())
        };
        let mut steps = steps(&patch.path).map_err(|m| fail(&m))?;
        let last = steps.pop().ok_or_else(|| fail("the path is empty"))?;
        let pages = ledger.pages_of(&patch.path);
        let parent = resolve_mut(doc, &steps).map_err(|m| fail(&m))?;
        match patch.op {
            PatchOp::Set => {
                let value = patch.value.clone().ok_or_else(|| fail("`set` needs a `value`"))?;
                let parent = parent.ok_or_else(|| {
                    fail("nothing to set into: the parent does not exist (the vendor pages changed?)")
                })?;
                let before = child_mut(parent, &last).map_err(|m| fail(&m))?;
                let content = before.as_deref().map_or(json!(ABSENT), canonical);
                match (parent, &last) {
                    (Value::Object(map), Step::Key(key)) => {
                        map.insert(key.clone(), value);
                    }
                    (Value::Array(items), Step::Select(selector)) => {
                        let at = select(items, selector).map_err(|m| fail(&m))?;
                        items[at] = value;
                    }
                    _ => return Err(fail("nothing to set into: the parent is not an object")),
                }
                ledger.record(Key::Patch(index), content, pages);
            }
            PatchOp::Merge => {
                let Some(Value::Object(value)) = patch.value.clone() else {
                    return Err(fail("`merge` needs an object `value`"));
                };
                let target = match parent {
                    Some(parent) => child_mut(parent, &last).map_err(|m| fail(&m))?,
                    None => None,
                };
                let Some(Value::Object(target)) = target else {
                    return Err(fail("nothing to merge into: no object there (the vendor pages changed?)"));
                };
                let mut content = Map::new();
                for (k, v) in value {
                    content.insert(k.clone(), target.get(&k).map_or(json!(ABSENT), canonical));
                    target.insert(k, v);
                }
                ledger.record(Key::Patch(index), Value::Object(content), pages);
            }
            PatchOp::Remove => {
                let removed = match (parent, &last) {
                    (Some(Value::Object(map)), Step::Key(key)) => map.remove(key),
                    (Some(Value::Array(items)), Step::Select(selector)) => {
                        let at = select(items, selector).map_err(|m| fail(&m))?;
                        Some(items.remove(at))
                    }
                    (Some(Value::Array(_)), Step::Key(key)) => {
                        return Err(fail(&format!(
                            "`{key}` addresses an array element by its index: select it by its fields"
                        )));
                    }
                    _ => None,
                };
                let removed = removed.ok_or_else(|| fail("nothing to remove there (the vendor pages changed?)"))?;
                ledger.record(Key::Patch(index), canonical(&removed), pages);
            }
        }
    }
    Ok(())
}

/// Rewrites `format` values everywhere, recording for each rule the
/// (stable) pointers of every schema it rewrites.
pub fn apply_formats(doc: &mut Value, corrections: &Corrections, ledger: &mut Ledger) {
    if corrections.formats.is_empty() {
        return;
    }
    let mut hits: Vec<Vec<String>> = vec![Vec::new(); corrections.formats.len()];
    let snapshot = doc.clone();
    apidog::visit_document_schemas_mut(doc, &mut |pointer, map| {
        for (rule, hits) in corrections.formats.iter().zip(hits.iter_mut()) {
            if map.get("format").and_then(Value::as_str) == Some(rule.from.as_str()) {
                hits.push(pointer.to_string());
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
    for (rule, hits) in corrections.formats.iter().zip(hits) {
        let mut pages = Vec::new();
        for pointer in &hits {
            for page in ledger.pages_of(pointer) {
                if !pages.contains(&page) {
                    pages.push(page);
                }
            }
        }
        pages.sort();
        let mut places: Vec<String> = hits.iter().map(|p| stable(&snapshot, p)).collect();
        places.sort();
        ledger.record(Key::Format(rule.from.clone()), json!(places), pages);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_find_one_element_and_indexes_are_refused() {
        let mut doc = json!({"parameters": [{"name": "a", "in": "query"}, {"name": "b", "in": "query", "schema": {"type": "string"}}]});
        let path = steps("/parameters/[name=b,in=query]/schema").expect("parses");
        let found = resolve_mut(&mut doc, &path).expect("resolves").expect("there");
        assert_eq!(found, &json!({"type": "string"}));
        let index = steps("/parameters/1/schema").expect("parses");
        assert!(resolve_mut(&mut doc, &index).unwrap_err().contains("by its index"));
        let none = steps("/parameters/[name=c]").expect("parses");
        assert!(resolve_mut(&mut doc, &none).unwrap_err().contains("no element matches `[name=c]`"));
        let both = steps("/parameters/[in=query]").expect("parses");
        assert!(resolve_mut(&mut doc, &both).unwrap_err().contains("2 elements match"));
        assert_eq!(stable(&doc, "/parameters/1/schema"), "/parameters/[name=b,in=query]/schema");
    }
}
