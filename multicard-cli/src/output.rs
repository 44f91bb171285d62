//! Printing the `data` payload: JSON exactly as decoded, a key-value view
//! for people, and rows (table, NDJSON, CSV) for registry exports, written
//! page by page as they arrive.

use std::borrow::Cow;
use std::io::Write;

use serde_json::Value;

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
fn json_for_terminal(text: String) -> String {
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

/// Writes registry rows as they come: the header (CSV, table) with the
/// first page, then every page's rows.
pub struct Rows {
    format: Format,
    columns: Option<Vec<String>>,
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

impl Rows {
    /// A writer in `format`.
    pub fn new(format: Format) -> Self {
        Self { format, columns: None }
    }

    /// Writes one page's rows and flushes them.
    pub fn write_page(&mut self, out: &mut impl Write, rows: &[Value]) -> std::io::Result<()> {
        let flat: Vec<Vec<(String, Leaf)>> = rows
            .iter()
            .map(|row| {
                let mut pairs = Vec::new();
                flatten("", row, &mut pairs);
                pairs
            })
            .collect();
        if self.format != Format::Ndjson && self.columns.is_none() && !flat.is_empty() {
            let mut columns: Vec<String> = Vec::new();
            for pairs in &flat {
                for (key, _) in pairs {
                    if !columns.contains(key) {
                        columns.push(key.clone());
                    }
                }
            }
            match self.format {
                Format::Csv => {
                    let header: Vec<String> =
                        columns.iter().map(|c| csv_cell(&Leaf { text: c.clone(), string: true })).collect();
                    writeln!(out, "{}", header.join(","))?
                }
                _ => writeln!(out, "{}", columns.iter().map(|c| shown(c)).collect::<Vec<_>>().join("\t"))?,
            }
            self.columns = Some(columns);
        }
        for (row, pairs) in rows.iter().zip(&flat) {
            let cell =
                |column: &String| pairs.iter().find(|(k, _)| k == column).map(|(_, v)| v.clone()).unwrap_or_default();
            match self.format {
                Format::Ndjson | Format::Json => {
                    writeln!(out, "{}", json_for_terminal(serde_json::to_string(row).map_err(std::io::Error::other)?))?
                }
                Format::Csv => {
                    let columns = self.columns.as_deref().unwrap_or_default();
                    writeln!(out, "{}", columns.iter().map(|c| csv_cell(&cell(c))).collect::<Vec<_>>().join(","))?
                }
                Format::Table => {
                    let columns = self.columns.as_deref().unwrap_or_default();
                    let cells: Vec<String> = columns.iter().map(|c| shown(&cell(c).text).into_owned()).collect();
                    writeln!(out, "{}", cells.join("\t"))?
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
    fn csv_quotes_and_keeps_the_first_pages_columns() {
        let mut rows = Rows::new(Format::Csv);
        let mut out = Vec::new();
        rows.write_page(&mut out, &[json!({"a": 1, "b": {"c": "x,y"}})]).unwrap();
        rows.write_page(&mut out, &[json!({"a": 2})]).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "a,b.c\n1,\"x,y\"\n2,\n");
    }

    #[test]
    fn csv_strings_that_start_a_formula_are_kept_as_text_and_numbers_stay_numbers() {
        let mut rows = Rows::new(Format::Csv);
        let mut out = Vec::new();
        let row = json!({"a": "=HYPERLINK(\"http://x\",\"pay\")", "b": -5000, "c": "-5000", "d": "+1", "e": "@x", "f": "\tx", "g": "ok"});
        rows.write_page(&mut out, &[row]).unwrap();
        let text = String::from_utf8(out).unwrap();
        let line = text.lines().nth(1).unwrap();
        assert_eq!(line, "\"'=HYPERLINK(\"\"http://x\"\",\"\"pay\"\")\",-5000,'-5000,'+1,'@x,'\tx,ok");
    }

    #[test]
    fn terminal_views_escape_what_a_terminal_would_act_on() {
        let forged = json!({"details": "\u{1b}[2J\u{1b}[32mREFUND COMPLETED\u{1b}]8;;http://evil\u{7}link\u{202e}"});
        let mut out = Vec::new();
        print_value(&mut out, Format::Table, &forged).unwrap();
        let mut rows = Rows::new(Format::Table);
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
