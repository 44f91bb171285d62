//! Printing the `data` payload: JSON exactly as decoded, a key-value view
//! for people, and rows (table, NDJSON, CSV) for registry exports, written
//! page by page as they arrive.

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

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The leaves of `value` as `path = text`, objects joined with `.`, arrays
/// indexed `[i]`.
pub fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
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

/// Prints one answer as JSON or key-value lines.
pub fn print_value(out: &mut impl Write, format: Format, data: &Value) -> std::io::Result<()> {
    match format {
        Format::Json | Format::Ndjson | Format::Csv => {
            let text =
                if format == Format::Json { serde_json::to_string_pretty(data) } else { serde_json::to_string(data) };
            writeln!(out, "{}", text.map_err(std::io::Error::other)?)
        }
        Format::Table => {
            let mut pairs = Vec::new();
            flatten("", data, &mut pairs);
            let width = pairs.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
            for (key, value) in pairs {
                writeln!(out, "{key:<width$}  {value}")?;
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

impl Rows {
    /// A writer in `format`.
    pub fn new(format: Format) -> Self {
        Self { format, columns: None }
    }

    /// Writes one page's rows and flushes them.
    pub fn write_page(&mut self, out: &mut impl Write, rows: &[Value]) -> std::io::Result<()> {
        let flat: Vec<Vec<(String, String)>> = rows
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
                Format::Csv => writeln!(out, "{}", columns.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(","))?,
                _ => writeln!(out, "{}", columns.join("\t"))?,
            }
            self.columns = Some(columns);
        }
        for (row, pairs) in rows.iter().zip(&flat) {
            let cell =
                |column: &String| pairs.iter().find(|(k, _)| k == column).map(|(_, v)| v.clone()).unwrap_or_default();
            match self.format {
                Format::Ndjson | Format::Json => {
                    writeln!(out, "{}", serde_json::to_string(row).map_err(std::io::Error::other)?)?
                }
                Format::Csv => {
                    let columns = self.columns.as_deref().unwrap_or_default();
                    writeln!(out, "{}", columns.iter().map(|c| csv_field(&cell(c))).collect::<Vec<_>>().join(","))?
                }
                Format::Table => {
                    let columns = self.columns.as_deref().unwrap_or_default();
                    writeln!(out, "{}", columns.iter().map(cell).collect::<Vec<_>>().join("\t"))?
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
}
