//! Reading the vendor's pages: one OpenAPI document per page, inside a
//! column-0 "```yaml" fence of an apidog markdown export.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{RegenError, Result};

/// One vendor page, parsed.
#[derive(Debug, Clone)]
pub struct Page {
    /// The page's path, relative to the folder given to [`load_pages`].
    pub path: PathBuf,
    /// The numeric id apidog gives the page (the digits before `e0.md`/`d0.md`).
    pub id: String,
    /// `true` for a model page (`items/`), `false` for an endpoint page.
    pub is_model: bool,
    /// The OpenAPI document of the page, with aliases and merge keys
    /// resolved; `None` for a page without a YAML fence (prose only).
    pub document: Option<Value>,
    /// The line of the fence's first YAML line, for error messages.
    pub first_line: usize,
}

/// Loads every `*.md` page under `endpoints/` and `items/` of `vendor_dir`,
/// in file-name order, so the output never depends on directory order.
pub fn load_pages(vendor_dir: &Path) -> Result<Vec<Page>> {
    let mut pages = Vec::new();
    for (folder, is_model) in [("endpoints", false), ("items", true)] {
        let dir = vendor_dir.join(folder);
        let entries =
            std::fs::read_dir(&dir).map_err(|e| RegenError::in_file(&dir, format!("cannot read the folder: {e}")))?;
        let mut files: Vec<PathBuf> = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| RegenError::in_file(&dir, format!("cannot list the folder: {e}")))?;
            let path = entry.path();
            if path.extension().is_some_and(|ext| ext == "md") {
                files.push(path);
            }
        }
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| RegenError::in_file(&file, format!("cannot read the page: {e}")))?;
            let relative = Path::new(folder).join(file.file_name().unwrap_or_default());
            pages.push(parse_page(&relative, &text, is_model)?);
        }
    }
    Ok(pages)
}

/// Parses one page's markdown. `path` is used for the page id and in errors.
pub fn parse_page(path: &Path, text: &str, is_model: bool) -> Result<Page> {
    let id = page_id(path)?;
    let fence = extract_fence(text).map_err(|e| e.with_file(path))?;
    let (document, first_line) = match fence {
        None => (None, 0),
        Some((yaml, first_line)) => (Some(parse_yaml(yaml, first_line).map_err(|e| e.with_file(path))?), first_line),
    };
    Ok(Page { path: path.to_path_buf(), id, is_model, document, first_line })
}

/// The apidog id of a page: `…-19729295e0.md` gives `19729295`.
fn page_id(path: &Path) -> Result<String> {
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(|| RegenError::in_file(path, "the file name is not UTF-8"))?;
    let tail = name.rsplit('-').next().unwrap_or(name);
    let digits: String = tail.chars().take_while(char::is_ascii_digit).collect();
    let rest = &tail[digits.len()..];
    let kind_ok = rest.len() == 2 && rest.starts_with(|c: char| c.is_ascii_lowercase()) && rest.ends_with('0');
    if digits.is_empty() || !kind_ok {
        return Err(RegenError::in_file(
            path,
            "the file name does not end in an apidog page id (`-<digits>e0.md`, `-<digits>d0.md`, ...)",
        ));
    }
    Ok(digits)
}

/// Finds the one "```yaml" fence that starts at column 0 and its closing
/// "```" at column 0. Fences nested inside the YAML (indented) are content.
/// Returns the YAML text and the 1-based line of its first line.
pub fn extract_fence(text: &str) -> Result<Option<(&str, usize)>> {
    let mut open: Option<(usize, usize)> = None; // (byte offset of content, line of fence)
    let mut found: Option<(&str, usize)> = None;
    let mut offset = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let line_no = index + 1;
        let bare = line.trim_end_matches(['\n', '\r']);
        match open {
            None if bare.trim_end() == "```yaml" => {
                if let Some((_, first)) = found {
                    return Err(RegenError::new(format!(
                        "a second ```yaml fence; the page already has an OpenAPI document at line {first}"
                    ))
                    .at(format!("line {line_no}")));
                }
                open = Some((offset + line.len(), line_no));
            }
            Some((start, fence_line)) if bare.starts_with("```") && bare[3..].trim().is_empty() => {
                found = Some((&text[start..offset], fence_line + 1));
                open = None;
            }
            _ => {}
        }
        offset += line.len();
    }
    if let Some((_, fence_line)) = open {
        return Err(RegenError::new("the ```yaml fence is never closed").at(format!("line {fence_line}")));
    }
    Ok(found)
}

/// Parses YAML with aliases and `<<` merge keys resolved, into JSON values.
/// Duplicate keys are an error (a JSON map would silently keep the last one).
pub fn parse_yaml(yaml: &str, first_line: usize) -> Result<Value> {
    let place = |e: &serde_norway::Error| match e.location() {
        Some(loc) => format!("line {}, column {}", first_line + loc.line() - 1, loc.column()),
        None => format!("YAML starting at line {first_line}"),
    };
    let mut value: serde_norway::Value =
        serde_norway::from_str(yaml).map_err(|e| RegenError::new(format!("invalid YAML: {e}")).at(place(&e)))?;
    value.apply_merge().map_err(|e| RegenError::new(format!("invalid YAML merge key: {e}")).at(place(&e)))?;
    let json = yaml_to_json(value, "")?;
    if !json.is_object() {
        return Err(RegenError::new("the YAML document is not a mapping").at(format!("line {first_line}")));
    }
    Ok(json)
}

/// Converts YAML to JSON, refusing what JSON cannot hold (non-string keys
/// that are not scalars, tags, non-finite floats).
fn yaml_to_json(value: serde_norway::Value, pointer: &str) -> Result<Value> {
    use serde_norway::Value as Y;
    Ok(match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(f).map(Value::Number).ok_or_else(|| {
                    RegenError::new(format!("the number {n} has no JSON form")).at(pointer.to_string())
                })?
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| yaml_to_json(v, &format!("{pointer}/{i}")))
                .collect::<Result<_>>()?,
        ),
        Y::Mapping(map) => {
            let mut out = serde_json::Map::new();
            for (key, v) in map {
                let key = match key {
                    Y::String(s) => s,
                    Y::Number(n) => n.to_string(),
                    Y::Bool(b) => b.to_string(),
                    other => {
                        return Err(RegenError::new(format!("a mapping key that is not a scalar: {other:?}"))
                            .at(pointer.to_string()));
                    }
                };
                let child = format!("{pointer}/{}", crate::json::escape_pointer(&key));
                let v = yaml_to_json(v, &child)?;
                if out.insert(key.clone(), v).is_some() {
                    return Err(RegenError::new(format!("duplicate key `{key}`")).at(child));
                }
            }
            Value::Object(out)
        }
        Y::Tagged(tagged) => {
            return Err(RegenError::new(format!("unsupported YAML tag {}", tagged.tag)).at(pointer.to_string()));
        }
    })
}
