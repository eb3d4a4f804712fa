// SPDX-License-Identifier: MIT OR Apache-2.0
//! Ops and regulator reports over the ClickHouse tables: named SQL files (`sql/reports/*.sql`,
//! embedded) with two placeholders, `{since}` and `{until}` (the period `[since, until)`),
//! replaced by Unix timestamps the code computes (integers, so nothing from the user reaches
//! the SQL). Table and JSON output come from ClickHouse's JSON answer; CSV is streamed from its
//! TabSeparatedWithNames answer, row by row, so a day's regulator export never sits in memory.
//! In a cluster the same SQL reads the Distributed tables, which carry the plain names.

mod render;

pub use render::ReportFormat;

use crate::pipeline::{self, PipelineConfig};
use anyhow::{anyhow, bail, Result};
use render::{CsvStream, Table};
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `{until}` when the period is open-ended: 2100-01-01 (within `DateTime`'s range).
pub const OPEN_END: u64 = 4_102_444_800;

/// (name, what it shows, SQL)
pub const REPORTS: &[(&str, &str, &str)] = &[
    (
        "top-targets",
        "B-numbers hit by the most suspicious traffic",
        include_str!("../../sql/reports/top-targets.sql"),
    ),
    (
        "alerts-by-rule",
        "alerts per rule, action and mode",
        include_str!("../../sql/reports/alerts-by-rule.sql"),
    ),
    (
        "alerts-hourly",
        "alerts raised per hour, by severity",
        include_str!("../../sql/reports/alerts-hourly.sql"),
    ),
    (
        "top-callers",
        "A-numbers with the most flagged or blocked calls",
        include_str!("../../sql/reports/top-callers.sql"),
    ),
    (
        "top-sources",
        "source IPs and trunks by suspicious traffic and CLI rotation",
        include_str!("../../sql/reports/top-sources.sql"),
    ),
    (
        "hourly",
        "calls and verdict mix per hour",
        include_str!("../../sql/reports/hourly.sql"),
    ),
    (
        "daily-summary",
        "one line per day and mode, for a regulator's summary export",
        include_str!("../../sql/reports/daily-summary.sql"),
    ),
    (
        "alerts-by-status",
        "alerts by severity and current status (alert lifecycle log)",
        include_str!("../../sql/reports/alerts-by-status.sql"),
    ),
    (
        "alert-response",
        "time to triage and to resolve, per severity (alert lifecycle log)",
        include_str!("../../sql/reports/alert-response.sql"),
    ),
    (
        "top-ranges",
        "the most attacked B-numbers of each operator's number range",
        include_str!("../../sql/reports/top-ranges.sql"),
    ),
    (
        "regulator-export",
        "every flagged or blocked call, one line each (the daily upload: --out FILE.csv.gz)",
        include_str!("../../sql/reports/regulator-export.sql"),
    ),
];

/// The SQL of report `name` for the period `[since_unix, until_unix)`.
pub fn report_sql(name: &str, since_unix: u64, until_unix: u64) -> Result<String> {
    let (_, _, sql) = REPORTS.iter().find(|(n, _, _)| *n == name).ok_or_else(|| {
        let names: Vec<&str> = REPORTS.iter().map(|(n, _, _)| *n).collect();
        anyhow!("unknown report {name:?}; reports: {}", names.join(", "))
    })?;
    if until_unix > OPEN_END {
        bail!("the period must end by 2100-01-01 (ClickHouse DateTime)");
    }
    Ok(sql
        .replace("{since}", &since_unix.to_string())
        .replace("{until}", &until_unix.to_string()))
}

/// Runs report `name` over the last `since` and renders it. Blocking (CLI use).
pub fn run_report(
    cfg: &PipelineConfig,
    name: &str,
    since: Duration,
    format: ReportFormat,
) -> Result<String> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?;
    let since_unix = now.saturating_sub(since).as_secs();
    run_report_between(cfg, name, since_unix, OPEN_END, format)
}

/// Like `run_report`, from a fixed Unix time, open-ended.
pub fn run_report_since(
    cfg: &PipelineConfig,
    name: &str,
    since_unix: u64,
    format: ReportFormat,
) -> Result<String> {
    run_report_between(cfg, name, since_unix, OPEN_END, format)
}

/// Report `name` over `[since_unix, until_unix)`, rendered as a string. Blocking.
pub fn run_report_between(
    cfg: &PipelineConfig,
    name: &str,
    since_unix: u64,
    until_unix: u64,
    format: ReportFormat,
) -> Result<String> {
    let mut out = Vec::new();
    write_report(cfg, name, since_unix, until_unix, format, &mut out)?;
    String::from_utf8(out).map_err(|e| anyhow!("report is not UTF-8: {e}"))
}

/// Writes report `name` over `[since_unix, until_unix)` to `out`; returns the rows written.
/// CSV is streamed (constant memory); table and JSON are built whole. Blocking.
pub fn write_report(
    cfg: &PipelineConfig,
    name: &str,
    since_unix: u64,
    until_unix: u64,
    format: ReportFormat,
    out: &mut dyn Write,
) -> Result<u64> {
    cfg.validate()?;
    let sql = report_sql(name, since_unix, until_unix)?;
    pipeline::block_on(async {
        match format {
            ReportFormat::Csv => stream_csv(cfg, &sql, out).await,
            _ => {
                let body = fetch_json(cfg, &sql).await?;
                let table = Table::from_clickhouse_json(&body)?;
                out.write_all(table.render(format).as_bytes())?;
                Ok(table.len() as u64)
            }
        }
    })
}

/// Report `name` over `[since_unix, until_unix)` as `{"columns": [...], "rows": [[...]]}`
/// (the report's column order; the dashboard's JSON). Async: the caller's runtime.
pub async fn table_json(
    cfg: &PipelineConfig,
    name: &str,
    since_unix: u64,
    until_unix: u64,
) -> Result<serde_json::Value> {
    cfg.validate()?;
    let sql = report_sql(name, since_unix, until_unix)?;
    let body = fetch_json(cfg, &sql).await?;
    Ok(Table::from_clickhouse_json(&body)?.columns_and_rows())
}

/// Report `name` as CSV (what `acm report --format csv` writes). Async.
pub async fn csv_bytes(
    cfg: &PipelineConfig,
    name: &str,
    since_unix: u64,
    until_unix: u64,
) -> Result<Vec<u8>> {
    cfg.validate()?;
    let sql = report_sql(name, since_unix, until_unix)?;
    // Whole, then converted: a page's report is small, and no writer is held across an await.
    let tsv = client(cfg)
        .query_raw(&sql)
        .fetch_bytes("TabSeparatedWithNames")
        .map_err(|e| explain(cfg, e))?
        .collect()
        .await
        .map_err(|e| explain(cfg, e))?;
    let mut out = Vec::new();
    let mut csv = CsvStream::default();
    csv.feed(&tsv, &mut out)?;
    csv.finish(&mut out)?;
    Ok(out)
}

fn client(cfg: &PipelineConfig) -> clickhouse::Client {
    pipeline::client(cfg, true).with_setting("output_format_json_quote_64bit_integers", "0")
}

async fn fetch_json(cfg: &PipelineConfig, sql: &str) -> Result<Vec<u8>> {
    let result = async {
        client(cfg)
            .query_raw(sql)
            .fetch_bytes("JSON")?
            .collect()
            .await
    }
    .await;
    result.map(|b| b.to_vec()).map_err(|e| explain(cfg, e))
}

async fn stream_csv(cfg: &PipelineConfig, sql: &str, out: &mut dyn Write) -> Result<u64> {
    let mut cursor = client(cfg)
        .query_raw(sql)
        .fetch_bytes("TabSeparatedWithNames")
        .map_err(|e| explain(cfg, e))?;
    let mut csv = CsvStream::default();
    while let Some(chunk) = cursor.next().await.map_err(|e| explain(cfg, e))? {
        csv.feed(&chunk, out)?;
    }
    csv.finish(out)
}

/// ClickHouse's failure, said so that the reader knows what to do.
fn explain(cfg: &PipelineConfig, e: clickhouse::error::Error) -> anyhow::Error {
    if let clickhouse::error::Error::Network(_) = e {
        return pipeline::schema::unreachable_error(&cfg.url, e);
    }
    let text = e.to_string();
    if text.contains("Code: 60")
        || text.contains("Code: 81")
        || text.contains("UNKNOWN_TABLE")
        || text.contains("UNKNOWN_DATABASE")
    {
        return anyhow!(
            "the acm tables are missing in database {:?} at {}: run `acm schema apply` first\n({text})",
            cfg.database,
            cfg.url
        );
    }
    anyhow!("ClickHouse at {} refused the report: {text}", cfg.url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_has_its_placeholders_replaced() {
        for (name, _, _) in REPORTS {
            let sql = report_sql(name, 1_700_000_000, 1_700_086_400).unwrap();
            assert!(
                !sql.contains("{since}") && !sql.contains("{until}"),
                "{name}"
            );
            assert!(sql.contains("1700000000"), "{name}");
            assert!(
                sql.contains("1700086400"),
                "{name}: the period's end is not used"
            );
        }
        assert!(report_sql("nope", 0, 1)
            .unwrap_err()
            .to_string()
            .contains("top-targets"));
        assert!(report_sql("hourly", 0, OPEN_END + 1).is_err());
    }
}
