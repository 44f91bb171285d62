//! Observed shapes against the spec: one [`Finding`] per way the answers
//! contradict `spec/multicard.yaml`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value;

use super::shape::{self, BodyKind, Observed, Presence, ROOT};
use super::spec::{Expect, JsonType, Spec};

/// How an answer contradicts the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// An HTTP status the operation does not document.
    UndocumentedStatus,
    /// A body that is not JSON where the spec documents JSON.
    NotJson,
    /// A field the spec does not declare (in an object that does not allow
    /// other fields).
    ExtraField,
    /// A required field that was absent.
    MissingRequired,
    /// A JSON type the spec does not allow.
    TypeMismatch,
    /// `null` where the spec does not allow it.
    UnexpectedNull,
    /// An enum value the spec does not name.
    UnknownEnum,
    /// An `error.code` the `ErrorCode` enum does not name.
    UnknownErrorCode,
    /// An operation the spec does not have.
    UnknownOperation,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UndocumentedStatus => "undocumented-status",
            Self::NotJson => "not-json",
            Self::ExtraField => "extra-field",
            Self::MissingRequired => "missing-required",
            Self::TypeMismatch => "type-mismatch",
            Self::UnexpectedNull => "unexpected-null",
            Self::UnknownEnum => "unknown-enum",
            Self::UnknownErrorCode => "unknown-error-code",
            Self::UnknownOperation => "unknown-operation",
        })
    }
}

/// One contradiction between the answers and the spec.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// `get_payment`.
    pub operation: String,
    /// The HTTP status of the answers.
    pub status: String,
    /// The field path, or `$` for the body or the status.
    pub path: String,
    /// What is wrong.
    pub kind: Kind,
    /// What the answers had.
    pub observed: String,
    /// What the spec says.
    pub spec: String,
}

impl fmt::Display for Finding {
    /// `operation status  path  kind  observed vs spec`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}  {}  {}  {} vs {}",
            self.operation, self.status, self.path, self.kind, self.observed, self.spec
        )
    }
}

/// Renders findings one a line, sorted.
pub fn render(findings: &[Finding]) -> String {
    let mut lines: Vec<String> = findings.iter().map(ToString::to_string).collect();
    lines.sort();
    lines.dedup();
    lines.iter().map(|line| format!("{line}\n")).collect()
}

/// Every contradiction between the observations and the spec.
pub fn compare(spec: &Spec, observed: &BTreeMap<String, Observed>) -> Vec<Finding> {
    let operations = spec.operations();
    let mut findings = Vec::new();
    for (id, observed) in observed {
        let Some(operation) = operations.get(id) else {
            findings.push(Finding {
                operation: id.clone(),
                status: "-".to_string(),
                path: ROOT.to_string(),
                kind: Kind::UnknownOperation,
                observed: format!("{} {}", observed.method, observed.path),
                spec: "no such operationId".to_string(),
            });
            continue;
        };
        for (status, answer) in &observed.answers {
            let finding = |path: &str, kind, observed: String, spec: String| Finding {
                operation: id.clone(),
                status: status.clone(),
                path: path.to_string(),
                kind,
                observed,
                spec,
            };
            let documented = operation.responses.get(status).or_else(|| operation.responses.get("default"));
            let schema: Option<&Value> = match documented {
                Some(schema) => *schema,
                None => {
                    let statuses: Vec<&str> = operation.responses.keys().map(String::as_str).collect();
                    findings.push(finding(ROOT, Kind::UndocumentedStatus, status.clone(), statuses.join("|")));
                    // An error envelope under an undocumented status still
                    // has its error code checked.
                    answer.fields.contains_key("error").then(|| spec.component("ErrorResponse")).flatten()
                }
            };
            if documented.is_some_and(Option::is_some) && answer.bodies.contains(&BodyKind::NotJson) {
                findings.push(finding(ROOT, Kind::NotJson, "a body that is not JSON".into(), "JSON".into()));
            }
            if let Some(Some(names)) =
                spec.component("ErrorCode").map(|codes| spec.expect(&[codes]).and_then(|e| e.enum_values))
            {
                for code in answer.error_codes.iter().filter(|code| !names.contains(*code)) {
                    let named = format!("ErrorCode ({} named values)", names.len());
                    findings.push(finding("error.code", Kind::UnknownErrorCode, format!("\"{code}\""), named));
                }
            }
            let Some(schema) = schema else { continue };
            for (path, kind, observed, expected) in compare_answer(spec, schema, answer) {
                findings.push(finding(&path, kind, observed, expected));
            }
        }
    }
    findings.sort();
    findings.dedup();
    findings
}

type Row = (String, Kind, String, String);

/// The findings of the answers with one status against their schema.
fn compare_answer(spec: &Spec, schema: &Value, answer: &shape::Answer) -> Vec<Row> {
    let mut rows = Vec::new();
    // The expectation of every path reached: `None` below an extra field or
    // in a part of the schema that allows anything.
    let mut expectations: BTreeMap<String, Option<Expect<'_>>> = BTreeMap::new();
    expectations.insert(ROOT.to_string(), spec.expect(&[schema]));
    for (path, field) in &answer.fields {
        let expect = match shape::parent_path(path) {
            None => expectations.get(ROOT).cloned().flatten(),
            Some(parent) => {
                let parent_expect = expectations.get(parent).cloned().flatten();
                match parent_expect {
                    None => None,
                    Some(parent_expect) if path.ends_with("[]") => spec.expect(&parent_expect.items),
                    Some(parent_expect) => {
                        let name = path.rsplit_once('.').map_or(path.as_str(), |(_, name)| name);
                        match parent_expect.properties.get(name) {
                            Some(schemas) => spec.expect(schemas),
                            None => {
                                if parent_expect.closed_object() {
                                    rows.push((path.clone(), Kind::ExtraField, types(&field.types), "absent".into()));
                                }
                                None
                            }
                        }
                    }
                }
            }
        };
        if let Some(expect) = &expect {
            check_field(path, field, expect, &mut rows);
        }
        expectations.insert(path.clone(), expect);
    }
    for (path, field) in &answer.fields {
        let Some(Some(expect)) = expectations.get(path) else { continue };
        if !field.types.contains(&JsonType::Object) {
            continue;
        }
        for required in &expect.required {
            let child = shape::child_path(path, required);
            let observed = match answer.fields.get(&child) {
                None => "absent",
                Some(f) if f.presence == Presence::Sometimes => "absent from some answers",
                Some(_) => continue,
            };
            rows.push((child, Kind::MissingRequired, observed.into(), "required".into()));
        }
    }
    rows
}

/// The values an enum names: all of them when they are few.
fn named(names: &BTreeSet<String>) -> String {
    if names.len() <= 8 {
        names.iter().cloned().collect::<Vec<_>>().join("|")
    } else {
        format!("{} named values", names.len())
    }
}

fn types(types: &BTreeSet<JsonType>) -> String {
    types.iter().map(ToString::to_string).collect::<Vec<_>>().join("|")
}

fn check_field(path: &str, field: &shape::Field, expect: &Expect<'_>, rows: &mut Vec<Row>) {
    for observed in &field.types {
        if expect.allows(*observed) {
            continue;
        }
        let kind = if *observed == JsonType::Null { Kind::UnexpectedNull } else { Kind::TypeMismatch };
        rows.push((path.to_string(), kind, observed.to_string(), expect.describe_types()));
    }
    // Error codes are checked against `ErrorCode` from `error_codes`.
    if let Some(names) = expect.enum_values.as_ref().filter(|_| path != "error.code") {
        for value in field.enum_values.iter().filter(|value| !names.contains(*value)) {
            rows.push((path.to_string(), Kind::UnknownEnum, format!("\"{value}\""), named(names)));
        }
    }
}
