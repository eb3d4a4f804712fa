// SPDX-License-Identifier: MIT OR Apache-2.0
//! Renders a ClickHouse `FORMAT JSON` answer (meta + data) as an aligned text table, CSV
//! (RFC 4180) or a JSON array of objects, keeping the report's column order; and streams a
//! `TabSeparatedWithNames` answer as the same CSV, row by row.

use anyhow::{Context, Result};
use serde_json::Value;
use std::io::Write;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Table,
    Csv,
    Json,
}

impl FromStr for ReportFormat {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "table" => Ok(ReportFormat::Table),
            "csv" => Ok(ReportFormat::Csv),
            "json" => Ok(ReportFormat::Json),
            other => anyhow::bail!("unknown format {other:?}: table, csv or json"),
        }
    }
}

pub struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<Value>>,
}

impl Table {
    pub fn from_clickhouse_json(body: &[u8]) -> Result<Table> {
        let doc: Value = serde_json::from_slice(body).context("ClickHouse answer is not JSON")?;
        let columns: Vec<String> = doc["meta"]
            .as_array()
            .context("no meta in ClickHouse answer")?
            .iter()
            .map(|c| c["name"].as_str().unwrap_or_default().to_string())
            .collect();
        let rows = doc["data"]
            .as_array()
            .context("no data in ClickHouse answer")?
            .iter()
            .map(|row| columns.iter().map(|c| row[c.as_str()].clone()).collect())
            .collect();
        Ok(Table { columns, rows })
    }

    /// `{"columns": [...], "rows": [[...]]}`, in the report's column order.
    pub fn columns_and_rows(&self) -> Value {
        serde_json::json!({"columns": self.columns, "rows": self.rows})
    }

    /// Rows (the header not counted).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn render(&self, format: ReportFormat) -> String {
        match format {
            ReportFormat::Table => self.text(),
            ReportFormat::Csv => self.csv(),
            ReportFormat::Json => self.json(),
        }
    }

    fn text(&self) -> String {
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(plain).collect())
            .collect();
        let widths: Vec<usize> = (0..self.columns.len())
            .map(|i| {
                cells
                    .iter()
                    .map(|r| r[i].chars().count())
                    .chain([self.columns[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let numeric: Vec<bool> = (0..self.columns.len())
            .map(|i| !self.rows.is_empty() && self.rows.iter().all(|r| r[i].is_number()))
            .collect();
        let line = |values: &[String]| {
            let parts: Vec<String> = values
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    if numeric[i] {
                        format!("{v:>w$}", w = widths[i])
                    } else {
                        format!("{v:<w$}", w = widths[i])
                    }
                })
                .collect();
            parts.join("  ").trim_end().to_string() + "\n"
        };
        let mut out = line(&self.columns);
        out += &(widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  ")
            + "\n");
        for row in &cells {
            out += &line(row);
        }
        if self.rows.is_empty() {
            out += "(no rows)\n";
        }
        out
    }

    fn csv(&self) -> String {
        let mut out = self
            .columns
            .iter()
            .map(|c| csv_field(c))
            .collect::<Vec<_>>()
            .join(",")
            + "\r\n";
        for row in &self.rows {
            out += &(row
                .iter()
                .map(|v| csv_field(&plain(v)))
                .collect::<Vec<_>>()
                .join(",")
                + "\r\n");
        }
        out
    }

    fn json(&self) -> String {
        let rows: Vec<String> = self
            .rows
            .iter()
            .map(|row| {
                let fields: Vec<String> = self
                    .columns
                    .iter()
                    .zip(row)
                    .map(|(c, v)| format!("{}: {}", Value::String(c.clone()), v))
                    .collect();
                format!("  {{{}}}", fields.join(", "))
            })
            .collect();
        if rows.is_empty() {
            "[]\n".to_string()
        } else {
            format!("[\n{}\n]\n", rows.join(",\n"))
        }
    }
}

fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// TabSeparatedWithNames in, CSV out (the same CSV `Table` renders), a chunk at a time.
#[derive(Default)]
pub struct CsvStream {
    /// The start of a line whose end has not arrived yet.
    partial: Vec<u8>,
    lines: u64,
}

impl CsvStream {
    pub fn feed(&mut self, chunk: &[u8], out: &mut dyn Write) -> Result<()> {
        let mut rest = chunk;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            if self.partial.is_empty() {
                self.line(&rest[..end], out)?;
            } else {
                self.partial.extend_from_slice(&rest[..end]);
                let line = std::mem::take(&mut self.partial);
                self.line(&line, out)?;
            }
            rest = &rest[end + 1..];
        }
        self.partial.extend_from_slice(rest);
        Ok(())
    }

    /// Flushes a last line without its newline; returns the data rows written.
    pub fn finish(mut self, out: &mut dyn Write) -> Result<u64> {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line, out)?;
        }
        Ok(self.lines.saturating_sub(1))
    }

    fn line(&mut self, line: &[u8], out: &mut dyn Write) -> Result<()> {
        let text = std::str::from_utf8(line).context("ClickHouse answer is not UTF-8")?;
        let fields: Vec<String> = text
            .split('\t')
            .map(|f| csv_field(&tsv_unescape(f)))
            .collect();
        out.write_all(fields.join(",").as_bytes())?;
        out.write_all(b"\r\n")?;
        self.lines += 1;
        Ok(())
    }
}

/// A TabSeparated field's text (`\\t`, `\\n`, `\\\\`, ... undone).
fn tsv_unescape(field: &str) -> String {
    if !field.contains('\\') {
        return field.to_string();
    }
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('0') => out.push('\0'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"meta":[{"name":"b","type":"String"},{"name":"n","type":"UInt64"}],
        "data":[{"n":12,"b":"+234,1"},{"n":3,"b":"x\"y"}],"rows":2}"#;

    #[test]
    fn renders_three_ways_in_column_order() {
        let t = Table::from_clickhouse_json(BODY.as_bytes()).unwrap();
        assert_eq!(
            t.render(ReportFormat::Table),
            "b        n\n------  --\n+234,1  12\nx\"y      3\n"
        );
        assert_eq!(
            t.render(ReportFormat::Csv),
            "b,n\r\n\"+234,1\",12\r\n\"x\"\"y\",3\r\n"
        );
        assert_eq!(
            t.render(ReportFormat::Json),
            "[\n  {\"b\": \"+234,1\", \"n\": 12},\n  {\"b\": \"x\\\"y\", \"n\": 3}\n]\n"
        );
        assert_eq!("csv".parse::<ReportFormat>().unwrap(), ReportFormat::Csv);
        assert!("xml".parse::<ReportFormat>().is_err());
    }

    #[test]
    fn tab_separated_streams_as_the_same_csv() {
        let t = Table::from_clickhouse_json(BODY.as_bytes()).unwrap();
        let tsv = b"b\tn\n+234,1\t12\nx\"y\t3\n";
        for split in 0..tsv.len() {
            let mut out = Vec::new();
            let mut csv = CsvStream::default();
            csv.feed(&tsv[..split], &mut out).unwrap();
            csv.feed(&tsv[split..], &mut out).unwrap();
            assert_eq!(csv.finish(&mut out).unwrap(), 2);
            assert_eq!(String::from_utf8(out).unwrap(), t.render(ReportFormat::Csv));
        }
        let mut out = Vec::new();
        let mut csv = CsvStream::default();
        csv.feed(b"a\ttab\\there\\nline\\\\x", &mut out).unwrap();
        assert_eq!(csv.finish(&mut out).unwrap(), 0);
        assert_eq!(out, b"a,\"tab\there\nline\\x\"\r\n");
    }
}
