//! Printing the `data` payload: JSON exactly as decoded, a key-value view
//! for people, and rows (table, NDJSON, CSV) for registry exports, written
//! page by page as they arrive.
//!
//! A registry export's columns (CSV and table) are the spec's row schema
//! (`CliOperation::columns`, generated from the spec), then `extra`: the
//! same columns every run and for every page, a header even when there are
//! no rows. A field the spec does not know goes into `extra`, as a JSON
//! object of such fields; [`Rows::new_unknown_fields`] names each once.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use serde_json::{Map, Value};

/// How the answer is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Key-value lines (an object), aligned columns (registry rows).
    Table,
    /// The `data` payload as JSON.
    Json,
    /// One JSON object per row (registry exports).
    Ndjson,
    /// Comma-separated rows with a header (registry exports).
    Csv,
}

impl Format {
    /// Parses `--output`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "table" => Some(Format::Table),
            "json" => Some(Format::Json),
            "ndjson" => Some(Format::Ndjson),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// One leaf of an answer: its text, and whether it was a JSON string (a
/// spreadsheet must not read a string as a formula; a number stays one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Leaf {
    /// The value as text (`null` as empty).
    pub text: String,
    /// Whether the value was a JSON string.
    pub string: bool,
}

fn scalar(value: &Value) -> Leaf {
    match value {
        Value::Null => Leaf::default(),
        Value::String(s) => Leaf { text: s.clone(), string: true },
        other => Leaf { text: other.to_string(), string: false },
    }
}

/// The leaves of `value` as `path = leaf`, objects joined with `.`, arrays
/// indexed `[i]`.
pub fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Leaf)>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, inner) in map {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                flatten(&path, inner, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, inner) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), inner, out);
            }
        }
        other => out.push((if prefix.is_empty() { "value".into() } else { prefix.to_string() }, scalar(other))),
    }
}

/// Text from the wire as a terminal may show it: control characters,
/// escape sequences and text-reordering marks written as `\u{…}`.
fn shown(text: &str) -> Cow<'_, str> {
    multicard_api::escape_controls(text)
}

/// JSON text with the characters a terminal would act on (C1 controls, DEL
/// and the marks that reorder text, which JSON allows raw inside strings)
/// written as `\uXXXX` escapes: the same JSON, safe to print.
pub(crate) fn json_for_terminal(text: String) -> String {
    // `escape_controls` changes exactly the characters a terminal acts on;
    // serde_json already writes C0 controls inside strings as escapes, so a
    // raw one in its output is the layout's own line break or indent.
    let acts =
        |c: char| c >= ' ' && matches!(multicard_api::escape_controls(c.encode_utf8(&mut [0; 4])), Cow::Owned(_));
    if !text.chars().any(acts) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if acts(c) {
            // Outside strings JSON holds only ASCII punctuation, digits,
            // letters and white space, so every such character is inside a string, where
            // `\uXXXX` means the same character (a surrogate pair beyond the BMP).
            for unit in c.encode_utf16(&mut [0; 2]) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Prints one answer as JSON or key-value lines.
pub fn print_value(out: &mut impl Write, format: Format, data: &Value) -> std::io::Result<()> {
    match format {
        Format::Json | Format::Ndjson | Format::Csv => {
            let text =
                if format == Format::Json { serde_json::to_string_pretty(data) } else { serde_json::to_string(data) };
            writeln!(out, "{}", json_for_terminal(text.map_err(std::io::Error::other)?))
        }
        Format::Table => {
            let mut pairs = Vec::new();
            flatten("", data, &mut pairs);
            let width = pairs.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
            for (key, value) in pairs {
                let key = shown(&key);
                writeln!(out, "{key:<width$}  {}", shown(&value.text))?;
            }
            Ok(())
        }
    }
}

/// The column after the schema's: the fields the spec does not know, as
/// one JSON object.
pub const EXTRA: &str = "extra";

/// Writes registry rows as they come: the header (CSV, table) first, then
/// every page's rows, in the schema's columns and `extra`.
pub struct Rows {
    format: Format,
    columns: Vec<String>,
    header_written: bool,
    /// Every field seen that the schema does not know.
    unknown: BTreeSet<String>,
    /// Those not yet handed out by [`Rows::new_unknown_fields`].
    fresh: Vec<String>,
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_string() }
}

/// A CSV cell: a string that a spreadsheet would read as a formula (it
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a `'`
/// in front, so `=HYPERLINK(…)` from a merchant's field stays text; numbers
/// stay numbers (a negative amount is not turned into text).
fn csv_cell(leaf: &Leaf) -> String {
    if leaf.string && leaf.text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        csv_field(&format!("'{}", leaf.text))
    } else {
        csv_field(&leaf.text)
    }
}

/// The value at `column` (`a.b`: field `b` of object `a`) of `row`.
fn at<'a>(row: &'a Value, column: &str) -> Option<&'a Value> {
    column.split('.').try_fold(row, |value, key| value.get(key))
}

/// One cell: a scalar as its text, an object or array as its JSON.
fn cell(value: Option<&Value>) -> Leaf {
    match value {
        None => Leaf::default(),
        Some(value @ (Value::Object(_) | Value::Array(_))) => Leaf { text: value.to_string(), string: true },
        Some(value) => scalar(value),
    }
}

impl Rows {
    /// A writer in `format`, with the schema's `columns`.
    pub fn new(format: Format, columns: &[&str]) -> Self {
        Self {
            format,
            columns: columns.iter().map(|c| c.to_string()).collect(),
            header_written: false,
            unknown: BTreeSet::new(),
            fresh: Vec::new(),
        }
    }

    /// The fields of `row` (below `prefix`) that no column holds, by path
    /// (sorted: the same order whatever order they came in).
    fn extra(&self, prefix: &str, row: &Value, out: &mut BTreeMap<String, Value>) {
        let Value::Object(map) = row else { return };
        for (key, value) in map {
            let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
            if self.columns.contains(&path) {
                continue;
            }
            let nested = format!("{path}.");
            if value.is_object() && self.columns.iter().any(|c| c.starts_with(&nested)) {
                self.extra(&path, value, out);
            } else {
                out.insert(path, value.clone());
            }
        }
    }

    /// Notes `name` as a field the schema does not know, found elsewhere;
    /// `true` when it was not known yet.
    pub fn mark_unknown(&mut self, name: &str) -> bool {
        self.unknown.insert(name.to_string())
    }

    /// The fields seen so far that the schema does not know, each handed
    /// out once.
    pub fn new_unknown_fields(&mut self) -> Vec<String> {
        std::mem::take(&mut self.fresh)
    }

    /// Writes the header (CSV, table) if it is not written yet, then one
    /// page's rows, and flushes them. An empty page still writes the header.
    pub fn write_page(&mut self, out: &mut impl Write, rows: &[Value]) -> std::io::Result<()> {
        if self.format != Format::Ndjson && !self.header_written {
            let names = self.columns.iter().map(String::as_str).chain([EXTRA]);
            match self.format {
                Format::Csv => {
                    let header: Vec<String> =
                        names.map(|c| csv_cell(&Leaf { text: c.to_string(), string: true })).collect();
                    writeln!(out, "{}", header.join(","))?
                }
                _ => writeln!(out, "{}", names.map(shown).collect::<Vec<_>>().join("\t"))?,
            }
            self.header_written = true;
        }
        for row in rows {
            let mut extra = BTreeMap::new();
            self.extra("", row, &mut extra);
            for key in extra.keys() {
                if self.unknown.insert(key.clone()) {
                    self.fresh.push(key.clone());
                }
            }
            let extra = if extra.is_empty() {
                Leaf::default()
            } else {
                Leaf { text: Value::Object(extra.into_iter().collect::<Map<_, _>>()).to_string(), string: true }
            };
            let cells = self.columns.iter().map(|c| cell(at(row, c))).chain([extra]);
            match self.format {
                Format::Ndjson | Format::Json => {
                    writeln!(out, "{}", json_for_terminal(serde_json::to_string(row).map_err(std::io::Error::other)?))?
                }
                Format::Csv => writeln!(out, "{}", cells.map(|c| csv_cell(&c)).collect::<Vec<_>>().join(","))?,
                Format::Table => {
                    writeln!(out, "{}", cells.map(|c| shown(&c.text).into_owned()).collect::<Vec<_>>().join("\t"))?
                }
            }
        }
        out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_columns_come_from_the_schema_whatever_the_first_page_holds() {
        let mut rows = Rows::new(Format::Csv, &["a", "b.c", "refund_time"]);
        let mut out = Vec::new();
        rows.write_page(&mut out, &[json!({"a": 1, "b": {"c": "x,y"}})]).unwrap();
        rows.write_page(&mut out, &[json!({"a": 2, "refund_time": "2025-03-01 10:00:00"})]).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "a,b.c,refund_time,extra\n1,\"x,y\",,\n2,,2025-03-01 10:00:00,\n");
        assert!(rows.new_unknown_fields().is_empty());
    }

    #[test]
    fn an_empty_export_still_has_its_header() {
        for (format, header) in [(Format::Csv, "a,b,extra\n"), (Format::Table, "a\tb\textra\n"), (Format::Ndjson, "")] {
            let mut out = Vec::new();
            Rows::new(format, &["a", "b"]).write_page(&mut out, &[]).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), header);
        }
    }

    /// A field the spec does not know lands in `extra` as JSON, and is
    /// named once however many rows carry it.
    #[test]
    fn fields_the_spec_does_not_know_land_in_extra_and_are_named_once() {
        let mut rows = Rows::new(Format::Csv, &["a", "b.c"]);
        let mut out = Vec::new();
        rows.write_page(&mut out, &[json!({"a": 1, "new": "=x", "b": {"c": 2, "d": [1]}})]).unwrap();
        assert_eq!(rows.new_unknown_fields(), ["b.d", "new"]);
        rows.write_page(&mut out, &[json!({"a": 2, "new": 5}), json!({"a": 3, "later": null})]).unwrap();
        assert_eq!(rows.new_unknown_fields(), ["later"]);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "a,b.c,extra");
        assert_eq!(lines[1], r#"1,2,"{""b.d"":[1],""new"":""=x""}""#);
        assert_eq!(lines[2], r#"2,,"{""new"":5}""#);
        assert_eq!(lines[3], r#"3,,"{""later"":null}""#);
    }

    #[test]
    fn csv_strings_that_start_a_formula_are_kept_as_text_and_numbers_stay_numbers() {
        let mut rows = Rows::new(Format::Csv, &["a", "b", "c", "d", "e", "f", "g"]);
        let mut out = Vec::new();
        let row = json!({"a": "=HYPERLINK(\"http://x\",\"pay\")", "b": -5000, "c": "-5000", "d": "+1", "e": "@x", "f": "\tx", "g": "ok"});
        rows.write_page(&mut out, &[row]).unwrap();
        let text = String::from_utf8(out).unwrap();
        let line = text.lines().nth(1).unwrap();
        assert_eq!(line, "\"'=HYPERLINK(\"\"http://x\"\",\"\"pay\"\")\",-5000,'-5000,'+1,'@x,'\tx,ok,");
    }

    #[test]
    fn terminal_views_escape_what_a_terminal_would_act_on() {
        let forged = json!({"details": "\u{1b}[2J\u{1b}[32mREFUND COMPLETED\u{1b}]8;;http://evil\u{7}link\u{202e}"});
        let mut out = Vec::new();
        print_value(&mut out, Format::Table, &forged).unwrap();
        let mut rows = Rows::new(Format::Table, &["details"]);
        rows.write_page(&mut out, std::slice::from_ref(&forged)).unwrap();
        let mut json_out = Vec::new();
        print_value(&mut json_out, Format::Json, &json!({"x": "a\u{9b}b\u{2066}"})).unwrap();
        out.extend_from_slice(&json_out);
        let text = String::from_utf8(out).unwrap();
        assert!(!text.chars().any(|c| c.is_control() && c != '\n' && c != '\t'), "{text:?}");
        assert!(!text.contains('\u{202e}') && !text.contains('\u{2066}'), "{text:?}");
        assert!(text.contains("\\u{1b}[2J") && text.contains("\\u009b"), "{text}");
        let json: Value = serde_json::from_slice(&json_out).unwrap();
        assert_eq!(json["x"], "a\u{9b}b\u{2066}", "the JSON still means the same");
    }

    #[test]
    fn json_escapes_beyond_the_first_plane_as_surrogate_pairs() {
        // A tag character (U+E0041) hides text; written `\ue0041` it would
        // be read back as U+E004 and a `1`.
        let mut out = Vec::new();
        print_value(&mut out, Format::Json, &json!({"x": "a\u{e0041}b\u{2028}c"})).unwrap();
        let text = String::from_utf8(out.clone()).unwrap();
        assert!(!text.contains('\u{e0041}') && !text.contains('\u{2028}'), "{text:?}");
        assert!(text.contains("\\udb40\\udc41"), "{text}");
        let json: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(json["x"], "a\u{e0041}b\u{2028}c", "the JSON still means the same");
    }
}
