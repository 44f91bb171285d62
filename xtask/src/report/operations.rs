//! Comparing the operations of two documents: routes, parameters, request
//! bodies, response types, and what only the documentation carries.

use std::collections::BTreeSet;

use serde_json::Value;

use super::change::{Change, Level};
use super::reach::{Direction, OpRef, Use, json_schema, operations};
use super::schema;
use crate::extensions::SETTLED_BY;

/// Adds the changes of every operation, added, removed or changed.
pub fn compare(old: &Value, new: &Value, out: &mut Vec<Change>) {
    let (old_ops, new_ops) = (operations(old), operations(new));
    for (op, value) in &old_ops {
        match new_ops.iter().find(|(other, _)| other.id == op.id) {
            None => out.push(at(
                op,
                &op.id,
                Direction::Sent,
                Level::Breaking,
                "operation removed",
                (Some(route(op)), None),
                &format!("the builder method `{}()` is gone: code that calls it stops compiling", op.id),
            )),
            Some((new_op, new_value)) => operation(op, value, new_op, new_value, out),
        }
    }
    for (op, _) in &new_ops {
        if !old_ops.iter().any(|(other, _)| other.id == op.id) {
            let why = format!("a new builder method `{}()`", op.id);
            out.push(at(op, &op.id, Direction::Sent, Level::Minor, "operation added", (None, Some(route(op))), &why));
        }
    }
}

fn route(op: &OpRef) -> String {
    format!("{} {}", op.method, op.path)
}

/// A change at one place of one operation.
fn at(
    op: &OpRef,
    field: &str,
    direction: Direction,
    level: Level,
    what: &str,
    (old, new): (Option<String>, Option<String>),
    why: &str,
) -> Change {
    Change {
        level,
        subject: field.to_string(),
        what: what.to_string(),
        old,
        new,
        why: why.to_string(),
        uses: vec![Use { operation: Some(op.clone()), field: field.to_string(), direction }],
    }
}

/// Places the findings of a schema comparison at `field` of `op`.
fn place(op: &OpRef, field: &str, direction: Direction, findings: Vec<schema::Finding>, out: &mut Vec<Change>) {
    for finding in findings {
        let field = format!("{field}{}", finding.inner);
        let mut change =
            at(op, &field, direction, finding.level, &finding.what, (finding.old, finding.new), &finding.why);
        change.subject = field;
        out.push(change);
    }
}

type Parameter<'a> = ((String, String), &'a Value);

fn parameters(op: &Value) -> Vec<Parameter<'_>> {
    op.get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            let text = |key: &str| p.get(key).and_then(Value::as_str).unwrap_or("?").to_string();
            ((text("in"), text("name")), p)
        })
        .collect()
}

fn operation(op: &OpRef, old: &Value, new_op: &OpRef, new: &Value, out: &mut Vec<Change>) {
    let before = out.len();
    if (&op.method, &op.path) != (&new_op.method, &new_op.path) {
        out.push(at(
            new_op,
            &op.id,
            Direction::Sent,
            Level::Minor,
            "route changed",
            (Some(route(op)), Some(route(new_op))),
            "the same builder method now calls another URL",
        ));
    }
    let op = new_op;
    let (old_params, new_params) = (parameters(old), parameters(new));
    let required = |p: &Value| p.get("required") == Some(&Value::Bool(true));
    let empty = Value::Null;
    for ((place_in, name), param) in &old_params {
        let field = format!("{}.{place_in}.{name}", op.id);
        let Some((_, new_param)) = new_params.iter().find(|(key, _)| key == &(place_in.clone(), name.clone())) else {
            let why = format!("the builder method `.{name}()` is gone: code that calls it stops compiling");
            let shown = schema::label(param.get("schema").unwrap_or(&empty));
            out.push(at(op, &field, Direction::Sent, Level::Breaking, "parameter removed", (Some(shown), None), &why));
            continue;
        };
        match (required(param), required(new_param)) {
            (false, true) => out.push(at(
                op,
                &field,
                Direction::Sent,
                Level::Breaking,
                "parameter became required",
                (None, None),
                "the builder refuses to send the request without it",
            )),
            (true, false) => out.push(at(
                op,
                &field,
                Direction::Sent,
                Level::Minor,
                "parameter became optional",
                (None, None),
                "the builder no longer insists on it",
            )),
            _ => {}
        }
        let (a, b) = (param.get("schema").unwrap_or(&empty), new_param.get("schema").unwrap_or(&empty));
        place(op, &field, Direction::Sent, schema::compare(&field, a, b, true), out);
        if param.get("description") != new_param.get("description") {
            let text = |p: &Value| p.get("description").and_then(Value::as_str).map(schema::short);
            let shown = (text(param), text(new_param));
            out.push(at(op, &field, Direction::Sent, Level::Patch, "description changed", shown, "documentation only"));
        }
    }
    for ((place_in, name), param) in &new_params {
        if old_params.iter().any(|(key, _)| key == &(place_in.clone(), name.clone())) {
            continue;
        }
        let field = format!("{}.{place_in}.{name}", op.id);
        let label = schema::label(param.get("schema").unwrap_or(&empty));
        let shown = Some(format!("{label}, {}", if required(param) { "required" } else { "optional" }));
        if required(param) {
            let why = format!("the builder refuses to send the request without `.{name}(..)`");
            out.push(at(op, &field, Direction::Sent, Level::Breaking, "parameter added", (None, shown), &why));
        } else {
            let why = format!("a new optional builder method `.{name}(..)`: no code breaks");
            out.push(at(op, &field, Direction::Sent, Level::Minor, "parameter added", (None, shown), &why));
        }
    }
    body(op, old, new, out);
    responses(op, old, new, out);
    let documentation = |v: &Value| (v.get("summary").cloned(), v.get("description").cloned(), v.get("tags").cloned());
    if documentation(old) != documentation(new) {
        let what = "summary, description or tags changed";
        out.push(at(op, &op.id, Direction::Sent, Level::Patch, what, (None, None), "documentation only"));
    }
    for (key, what, why) in [
        ("security", "security changed", "whether the SDK sends the bearer token changes"),
        (SETTLED_BY, "the read that settles a lost answer changed", "the read `Error::OutcomeUnknown` names changes"),
    ] {
        if old.get(key) != new.get(key) {
            let show = |v: &Value| v.get(key).map(Value::to_string);
            out.push(at(op, &op.id, Direction::Sent, Level::Minor, what, (show(old), show(new)), why));
        }
    }
    if out.len() == before && old != new {
        out.push(at(
            op,
            &op.id,
            Direction::Sent,
            Level::Patch,
            "other details changed",
            (None, None),
            "no change to the generated code",
        ));
    }
}

fn body(op: &OpRef, old: &Value, new: &Value, out: &mut Vec<Change>) {
    let field = format!("{}.body", op.id);
    let schema_of = |v: &Value| v.get("requestBody").and_then(json_schema).cloned();
    match (schema_of(old), schema_of(new)) {
        (None, None) => {}
        (None, Some(b)) => out.push(at(
            op,
            &field,
            Direction::Sent,
            Level::Breaking,
            "request body added",
            (None, Some(schema::label(&b))),
            "the builder refuses to send the request without `.body(..)`",
        )),
        (Some(a), None) => out.push(at(
            op,
            &field,
            Direction::Sent,
            Level::Breaking,
            "request body removed",
            (Some(schema::label(&a)), None),
            "the builder method `.body(..)` is gone: code that calls it stops compiling",
        )),
        (Some(a), Some(b)) => place(op, &field, Direction::Sent, schema::compare(&field, &a, &b, true), out),
    }
    let examples = |v: &Value| v.pointer("/requestBody/content/application~1json/examples").cloned();
    if examples(old) != examples(new) {
        out.push(at(
            op,
            &field,
            Direction::Sent,
            Level::Patch,
            "request examples changed",
            (None, None),
            "documentation only",
        ));
    }
}

fn responses(op: &OpRef, old: &Value, new: &Value, out: &mut Vec<Change>) {
    let field = op.id.clone();
    let statuses = |v: &Value| -> BTreeSet<String> {
        v.get("responses").and_then(Value::as_object).map(|r| r.keys().cloned().collect()).unwrap_or_default()
    };
    let types = |v: &Value, success: bool| -> BTreeSet<String> {
        statuses(v)
            .iter()
            .filter(|status| status.starts_with('2') == success)
            .filter_map(|status| v.get("responses")?.get(status.as_str()).and_then(json_schema).map(schema::label))
            .collect()
    };
    for (success, what, why) in [
        (true, "success type changed", "the type the call returns changes: code that reads it stops compiling"),
        (false, "error type changed", "the error body type changes: code that reads it stops compiling"),
    ] {
        let (a, b) = (types(old, success), types(new, success));
        if a != b {
            let show = |s: BTreeSet<String>| Some(s.into_iter().collect::<Vec<_>>().join(", "));
            out.push(at(op, &field, Direction::Received, Level::Breaking, what, (show(a), show(b)), why));
        }
    }
    let (old_statuses, new_statuses) = (statuses(old), statuses(new));
    for status in old_statuses.union(&new_statuses) {
        let (level, why) = (Level::Minor, "which statuses the generated client decodes as documented changes");
        let (level, what, why) = match (old_statuses.contains(status), new_statuses.contains(status)) {
            (true, false) => (level, format!("response {status} removed"), why),
            (false, true) => (level, format!("response {status} added"), why),
            _ => {
                let examples =
                    |v: &Value| v.pointer(&format!("/responses/{status}/content/application~1json/examples")).cloned();
                let description = |v: &Value| v.pointer(&format!("/responses/{status}/description")).cloned();
                if examples(old) == examples(new) && description(old) == description(new) {
                    continue;
                }
                (Level::Patch, format!("response {status} examples or description changed"), "documentation only")
            }
        };
        out.push(at(op, &field, Direction::Received, level, &what, (None, None), why));
    }
}
