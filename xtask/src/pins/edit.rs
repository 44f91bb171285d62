//! Writing pins into `spec/corrections.yaml` without touching anything else:
//! its comments, order and layout are the reviewers', so `--repin` edits the
//! text (one `pin:` per entry) instead of writing the YAML anew, and checks
//! that the result parses to the same corrections with the new pins.

use std::collections::BTreeMap;

use serde_json::Value;

use super::ledger::Key;
use crate::corrections::Corrections;
use crate::error::{RegenError, Result};

/// The section and index of the entry a key pins.
fn entry_of(key: &Key, corrections: &Corrections) -> Option<(&'static str, usize)> {
    match key {
        Key::ReplacedData(id) => corrections.operations.iter().position(|o| &o.id == id).map(|i| ("operations", i)),
        Key::Schema(name) => corrections.schemas.iter().position(|s| &s.name == name).map(|i| ("schemas", i)),
        Key::Rename(from) => {
            corrections.rename_schemas.iter().position(|r| &r.from == from).map(|i| ("rename_schemas", i))
        }
        Key::Format(from) => corrections.formats.iter().position(|f| &f.from == from).map(|i| ("formats", i)),
        Key::Drop(place, name) => corrections
            .drop_parameters
            .iter()
            .position(|d| &d.location == place && &d.name == name)
            .map(|i| ("drop_parameters", i)),
        Key::Patch(index) => (*index < corrections.patches.len()).then_some(("patches", *index)),
    }
}

/// The text of the corrections with every pin of `pins` written in (added
/// or replaced).
pub fn write_pins(text: &str, corrections: &Corrections, pins: &BTreeMap<Key, String>) -> Result<String> {
    let fail = |message: String| RegenError::in_file(std::path::Path::new("spec/corrections.yaml"), message);
    let mut lines: Vec<String> = text.split_inclusive('\n').map(str::to_string).collect();
    let mut expected = crate::vendor::parse_yaml(text, 1)?;
    // Edit from the end of the file backwards, so that line numbers found
    // before an edit stay valid.
    let mut edits: Vec<(usize, usize, &str, usize, &String)> = Vec::new();
    for (key, pin) in pins {
        let (section, index) = entry_of(key, corrections).ok_or_else(|| fail(format!("no entry for {key:?}")))?;
        let entries = entries(&lines, section);
        let count = expected.get(section).and_then(Value::as_array).map_or(0, Vec::len);
        if entries.len() != count {
            return Err(fail(format!(
                "cannot write the pins: `{section}` has {count} entries, but {} lines start one (`  - ` at column 2)",
                entries.len()
            )));
        }
        let (start, end) = entries[index];
        edits.push((start, end, section, index, pin));
    }
    edits.sort_by_key(|edit| std::cmp::Reverse(edit.0));
    for (start, end, section, index, pin) in edits {
        pin_entry(&mut lines, start, end, pin)
            .map_err(|m| fail(format!("cannot write the pin of {section}[{index}]: {m}")))?;
        if let Some(Value::Object(entry)) = expected.get_mut(section).and_then(|s| s.get_mut(index)) {
            entry.insert("pin".into(), Value::String(pin.clone()));
        }
    }
    let written: String = lines.concat();
    let parsed = crate::vendor::parse_yaml(&written, 1)?;
    if parsed != expected {
        let place = crate::json::first_difference(&expected, &parsed, "").unwrap_or_default();
        return Err(fail(format!(
            "writing the pins would change more than the pins (at `{place}`); nothing was written"
        )));
    }
    Ok(written)
}

/// The line ranges `[start, end)` of the entries of a top-level section.
fn entries(lines: &[String], section: &str) -> Vec<(usize, usize)> {
    let header = format!("{section}:");
    let Some(open) = lines.iter().position(|l| l.trim_end() == header) else { return Vec::new() };
    let close = lines[open + 1..]
        .iter()
        .position(|l| l.starts_with(|c: char| !c.is_whitespace() && c != '#'))
        .map_or(lines.len(), |i| open + 1 + i);
    let starts: Vec<usize> = (open + 1..close).filter(|&i| lines[i].starts_with("  - ")).collect();
    starts.iter().enumerate().map(|(n, &start)| (start, starts.get(n + 1).copied().unwrap_or(close))).collect()
}

/// Writes `pin` into the entry spanning lines `[start, end)`.
fn pin_entry(lines: &mut Vec<String>, start: usize, end: usize, pin: &str) -> Result<(), String> {
    let first = lines[start]["  - ".len()..].to_string();
    if first.starts_with('{') {
        let text: String = lines[start..end].concat();
        let open = "  - ".len();
        let edited = pin_flow(&text, open, pin)?;
        let replaced: Vec<String> = edited.split_inclusive('\n').map(str::to_string).collect();
        lines.splice(start..end, replaced);
        return Ok(());
    }
    for line in &mut lines[start + 1..end] {
        if line.starts_with("    pin:") {
            let ending = if line.ends_with('\n') { "\n" } else { "" };
            *line = format!("    pin: {pin}{ending}");
            return Ok(());
        }
    }
    // After a first line with a plain value (`  - name: X`), else after the
    // entry's last line that is not blank or a comment.
    let value = first.split_once(':').map(|(_, v)| v.trim()).unwrap_or_default();
    let after = if !value.is_empty() && !value.starts_with(['|', '>']) {
        start
    } else {
        (start..end)
            .rev()
            .find(|&i| !lines[i].trim().is_empty() && !lines[i].trim_start().starts_with('#'))
            .unwrap_or(start)
    };
    if !lines[after].ends_with('\n') {
        lines[after].push('\n');
    }
    lines.insert(after + 1, format!("    pin: {pin}\n"));
    Ok(())
}

/// Writes `pin` into the flow mapping that opens at byte `open` of `text`:
/// replaces the value of its `pin` key, or adds `, pin: <pin>` before its
/// closing brace.
fn pin_flow(text: &str, open: usize, pin: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let (mut depth, mut at_key, mut scalar_start) = (0usize, false, true);
    let mut quote: Option<u8> = None;
    let mut pin_value: Option<usize> = None;
    let mut i = open;
    while i < bytes.len() {
        let c = bytes[i];
        if let Some(q) = quote {
            if q == b'"' && c == b'\\' {
                i += 2;
                continue;
            }
            if c == q {
                if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                quote = None;
            }
            i += 1;
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'#' && i > 0 && bytes[i - 1].is_ascii_whitespace() {
            i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
            continue;
        }
        if depth == 1 && at_key && scalar_start && text[i..].starts_with("pin:") {
            pin_value = Some(i + "pin:".len());
        }
        match c {
            b'"' | b'\'' if scalar_start => quote = Some(c),
            b'{' | b'[' => {
                depth += 1;
                at_key = c == b'{' && depth == 1;
                scalar_start = true;
                i += 1;
                continue;
            }
            b'}' | b']' => {
                depth = depth.checked_sub(1).ok_or("unbalanced braces")?;
                if depth == 0 {
                    return Ok(match pin_value {
                        Some(value) => replace_value(text, value, i, pin),
                        None => {
                            let body_end = text[..i].trim_end().len();
                            format!("{}, pin: {pin}{}", &text[..body_end], &text[body_end..])
                        }
                    });
                }
            }
            b',' => {
                at_key = depth == 1;
                scalar_start = true;
                i += 1;
                continue;
            }
            b':' => {
                at_key = false;
                scalar_start = true;
                i += 1;
                continue;
            }
            _ => {}
        }
        scalar_start = false;
        i += 1;
    }
    Err("the flow mapping is never closed".to_string())
}

/// Replaces the value that starts at `value` (after `pin:`) and runs to the
/// next `,` or to `close`.
fn replace_value(text: &str, value: usize, close: usize, pin: &str) -> String {
    let end = text[value..close].find(',').map_or(close, |n| value + n);
    let trailing = if end == close { &text[value..end][text[value..end].trim_end().len()..] } else { "" };
    format!("{} {pin}{trailing}{}", &text[..value], &text[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corrections(text: &str) -> Corrections {
        let base = "info: {}\nservers: []\ntags: [{name: t}]\npages: {}\noperations: []\n";
        Corrections::parse(&format!("{base}{text}")).expect("parses")
    }

    #[test]
    fn pins_are_added_and_replaced_in_flow_and_block_entries_and_nothing_else_moves() {
        let text = "patches:\n  # a comment, kept\n  - {op: set, path: /a, value: {x: \"b, c}\"}, reason: \"it's {so}\"}  # tail\n  - {op: remove, path: /b, pin: 000000000000, reason: r}\nschemas:\n  - name: A\n    reason: >-\n      folded\n    schema: {type: string}\n";
        let corrections = corrections(text);
        let pins = BTreeMap::from([
            (Key::Patch(0), "aaaaaaaaaaaa".to_string()),
            (Key::Patch(1), "bbbbbbbbbbbb".to_string()),
            (Key::Schema("A".into()), "cccccccccccc".to_string()),
        ]);
        let base = "info: {}\nservers: []\ntags: [{name: t}]\npages: {}\noperations: []\n";
        let written = write_pins(&format!("{base}{text}"), &corrections, &pins).expect("writes");
        assert_eq!(
            &written[base.len()..],
            "patches:\n  # a comment, kept\n  - {op: set, path: /a, value: {x: \"b, c}\"}, reason: \"it's {so}\", pin: aaaaaaaaaaaa}  # tail\n  - {op: remove, path: /b, pin: bbbbbbbbbbbb, reason: r}\nschemas:\n  - name: A\n    pin: cccccccccccc\n    reason: >-\n      folded\n    schema: {type: string}\n"
        );
    }
}
