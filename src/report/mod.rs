//! Ops reports over the ClickHouse tables: named SQL files (`sql/reports/*.sql`, embedded) with
//! one `{since}` placeholder, replaced by a Unix timestamp the code computes (an integer, so
//! nothing from the user reaches the SQL). Results come back as ClickHouse JSON and are
//! rendered as a table, CSV or JSON.

mod render;

pub use render::ReportFormat;

use crate::pipeline::{self, PipelineConfig};
use anyhow::{anyhow, bail, Result};
use render::Table;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
];

/// The SQL of report `name` with `{since}` set to `since_unix` seconds.
pub fn report_sql(name: &str, since_unix: u64) -> Result<String> {
    let (_, _, sql) = REPORTS.iter().find(|(n, _, _)| *n == name).ok_or_else(|| {
        let names: Vec<&str> = REPORTS.iter().map(|(n, _, _)| *n).collect();
        anyhow!("unknown report {name:?}; reports: {}", names.join(", "))
    })?;
    Ok(sql.replace("{since}", &since_unix.to_string()))
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
    run_report_since(cfg, name, since_unix, format)
}

/// Like `run_report`, from a fixed Unix time (tests, exports of a known period).
pub fn run_report_since(
    cfg: &PipelineConfig,
    name: &str,
    since_unix: u64,
    format: ReportFormat,
) -> Result<String> {
    cfg.validate()?;
    let sql = report_sql(name, since_unix)?;
    let body = pipeline::block_on(fetch_json(cfg, &sql))?;
    let table = Table::from_clickhouse_json(&body)?;
    Ok(table.render(format))
}

async fn fetch_json(cfg: &PipelineConfig, sql: &str) -> Result<Vec<u8>> {
    let client =
        pipeline::client(cfg, true).with_setting("output_format_json_quote_64bit_integers", "0");
    let result = async { client.query_raw(sql).fetch_bytes("JSON")?.collect().await }.await;
    match result {
        Ok(bytes) => Ok(bytes.to_vec()),
        Err(clickhouse::error::Error::Network(e)) => Err(pipeline::schema::unreachable_error(
            &cfg.url,
            clickhouse::error::Error::Network(e),
        )),
        Err(e) => {
            let text = e.to_string();
            if text.contains("Code: 60")
                || text.contains("Code: 81")
                || text.contains("UNKNOWN_TABLE")
                || text.contains("UNKNOWN_DATABASE")
            {
                bail!(
                    "the acm tables are missing in database {:?} at {}: run `acm schema apply` first\n({text})",
                    cfg.database,
                    cfg.url
                );
            }
            Err(anyhow!(
                "ClickHouse at {} refused the report: {text}",
                cfg.url
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_has_its_placeholder_replaced() {
        for (name, _, _) in REPORTS {
            let sql = report_sql(name, 1_700_000_000).unwrap();
            assert!(!sql.contains('{'), "{name}");
            assert!(sql.contains("1700000000"), "{name}");
        }
        assert!(report_sql("nope", 0)
            .unwrap_err()
            .to_string()
            .contains("top-targets"));
    }
}
