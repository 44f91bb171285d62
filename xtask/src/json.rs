//! Small helpers over `serde_json::Value` trees: JSON pointers, walking,
//! and comparison that ignores prose.

use serde_json::{Map, Value};

use crate::extensions::PREFIX;

/// Escapes one JSON pointer token (RFC 6901).
pub fn escape_pointer(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Visits every object in the tree, depth first, parents before children,
/// with the JSON pointer of each. The visitor may change the object.
pub fn visit_objects_mut(value: &mut Value, pointer: &str, f: &mut dyn FnMut(&str, &mut Map<String, Value>)) {
    match value {
        Value::Object(map) => {
            f(pointer, map);
            for (key, child) in map.iter_mut() {
                visit_objects_mut(child, &format!("{pointer}/{}", escape_pointer(key)), f);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter_mut().enumerate() {
                visit_objects_mut(child, &format!("{pointer}/{i}"), f);
            }
        }
        _ => {}
    }
}

/// A copy of a schema without its prose and ordering noise: `description`,
/// `title`, `example(s)` and extensions are dropped and `required` is sorted.
/// Two schemas that are equal after this mean the same thing.
pub fn semantic(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for key in keys {
                if matches!(key.as_str(), "description" | "title" | "example" | "examples") || key.starts_with(PREFIX) {
                    continue;
                }
                let v = &map[key];
                let v = if let (true, Some(names)) = (key == "required", v.as_array()) {
                    // a schema's list of names; a parameter's `required` is a boolean
                    let mut names = names.clone();
                    names.sort_by_key(|a| a.to_string());
                    Value::Array(names)
                } else if key == "properties" {
                    // property names are data, not prose: keep them all
                    let mut props = Map::new();
                    if let Some(obj) = v.as_object() {
                        let mut names: Vec<&String> = obj.keys().collect();
                        names.sort();
                        for name in names {
                            props.insert(name.clone(), semantic(&obj[name]));
                        }
                    }
                    Value::Object(props)
                } else {
                    semantic(v)
                };
                out.insert(key.clone(), v);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(semantic).collect()),
        other => other.clone(),
    }
}

/// The first JSON pointer at which two values differ, for error messages.
pub fn first_difference(a: &Value, b: &Value, pointer: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys()) {
                let child = format!("{pointer}/{}", escape_pointer(key));
                match (x.get(key), y.get(key)) {
                    (Some(p), Some(q)) => {
                        if let Some(found) = first_difference(p, q, &child) {
                            return Some(found);
                        }
                    }
                    _ => return Some(child),
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(pointer.to_string());
            }
            x.iter().zip(y).enumerate().find_map(|(i, (p, q))| first_difference(p, q, &format!("{pointer}/{i}")))
        }
        _ if a == b => None,
        _ => Some(pointer.to_string()),
    }
}
