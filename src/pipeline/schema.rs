//! Versioned schema migrations (`sql/migrations/NNN_name.sql`, embedded) recorded in
//! `schema_migrations`; `apply` is idempotent. Retention TTL is set only on servers that know
//! the TTL clause (19.6 and later); on older ones (Debian's 18.16) it is reported as skipped.

use crate::config::PipelineConfig;
use crate::pipeline::client;
use anyhow::{Context, Result};
use clickhouse::Client;
use std::fmt;

/// (version, name, SQL) of every migration, in order.
pub const MIGRATIONS: &[(u32, &str, &str)] = &[
    (
        1,
        "001_base",
        include_str!("../../sql/migrations/001_base.sql"),
    ),
    (
        2,
        "002_rollups",
        include_str!("../../sql/migrations/002_rollups.sql"),
    ),
    (
        3,
        "003_alert_lifecycle",
        include_str!("../../sql/migrations/003_alert_lifecycle.sql"),
    ),
];

/// Tables that get a retention TTL, with their date column.
const TTL_TABLES: &[(&str, &str)] = &[
    ("calls", "event_date"),
    ("alerts", "event_date"),
    ("alert_events", "event_date"),
    ("calls_by_target_hourly", "toDate(hour)"),
    ("calls_by_source_hourly", "toDate(hour)"),
];

/// First server version with table TTL (`TTL expr` and `ALTER TABLE … MODIFY TTL`).
pub const TTL_SINCE: (u32, u32) = (19, 6);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServerVersion {
    pub major: u32,
    pub minor: u32,
}

impl ServerVersion {
    pub fn parse(text: &str) -> Result<ServerVersion> {
        let mut parts = text.trim().split('.');
        let mut next = || -> Result<u32> {
            parts
                .next()
                .context("short version")?
                .parse()
                .context("non-numeric version")
        };
        Ok(ServerVersion {
            major: next()?,
            minor: next()?,
        })
    }

    pub fn supports_ttl(self) -> bool {
        (self.major, self.minor) >= TTL_SINCE
    }
}

/// What `apply` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaReport {
    pub url: String,
    pub database: String,
    pub server_version: String,
    pub applied: Vec<String>,
    pub already_applied: Vec<String>,
    /// Per table: what happened to the retention TTL.
    pub ttl: Vec<String>,
}

impl fmt::Display for SchemaReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "ClickHouse {} at {}, database {}",
            self.server_version, self.url, self.database
        )?;
        for name in &self.applied {
            writeln!(f, "  applied  {name}")?;
        }
        for name in &self.already_applied {
            writeln!(f, "  present  {name}")?;
        }
        for line in &self.ttl {
            writeln!(f, "  ttl      {line}")?;
        }
        Ok(())
    }
}

/// Substitutes `{db}` and splits a migration file into statements (comment lines dropped).
pub fn statements(sql: &str, database: &str) -> Vec<String> {
    let text: String = sql
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("{db}", database);
    text.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Reads `SELECT version()`; the error says how to reach or start ClickHouse.
pub async fn server_version(client: &Client, url: &str) -> Result<String> {
    let mut cursor = client
        .query_raw("SELECT version()")
        .fetch_bytes("TabSeparated")?;
    let body = cursor
        .collect()
        .await
        .map_err(|e| unreachable_error(url, e))?;
    Ok(String::from_utf8_lossy(&body).trim().to_string())
}

pub(crate) fn unreachable_error(url: &str, e: clickhouse::error::Error) -> anyhow::Error {
    anyhow::anyhow!(
        "ClickHouse at {url} did not answer: {e}\n\
         Start it (e.g. `systemctl start clickhouse-server`) or set [clickhouse] url/user/password \
         in the acm config to a reachable server's HTTP interface (port 8123 by default)."
    )
}

/// Blocking `apply` for the CLI (`acm schema apply`); must not be called inside a tokio runtime.
pub fn apply_schema(cfg: &PipelineConfig) -> Result<SchemaReport> {
    crate::pipeline::block_on(apply(cfg))
}

/// Creates the database, applies pending migrations and sets retention where supported.
pub async fn apply(cfg: &PipelineConfig) -> Result<SchemaReport> {
    cfg.validate()?;
    let server = client(cfg, false);
    let version_text = server_version(&server, &cfg.url).await?;
    let version = ServerVersion::parse(&version_text)
        .with_context(|| format!("unexpected ClickHouse version {version_text:?}"))?;
    let db = &cfg.database;
    execute(&server, &format!("CREATE DATABASE IF NOT EXISTS {db}")).await?;
    execute(
        &server,
        &format!(
            "CREATE TABLE IF NOT EXISTS {db}.schema_migrations \
             (version UInt32, name String, applied_at DateTime) ENGINE = MergeTree ORDER BY version"
        ),
    )
    .await?;
    let done = applied_versions(&server, db).await?;
    let mut report = SchemaReport {
        url: cfg.url.clone(),
        database: db.clone(),
        server_version: version_text,
        applied: Vec::new(),
        already_applied: Vec::new(),
        ttl: Vec::new(),
    };
    for &(number, name, sql) in MIGRATIONS {
        if done.contains(&number) {
            report.already_applied.push(name.to_string());
            continue;
        }
        for statement in statements(sql, db) {
            if let Some((table, column)) = added_column(&statement) {
                let present = fetch_text(
                    &server,
                    &format!(
                        "SELECT count() FROM system.columns WHERE database = '{db}' \
                         AND table = '{table}' AND name = '{column}'"
                    ),
                )
                .await?;
                if present.trim() != "0" {
                    continue;
                }
            }
            execute(&server, &statement)
                .await
                .with_context(|| format!("migration {name} failed"))?;
        }
        execute(
            &server,
            &format!("INSERT INTO {db}.schema_migrations VALUES ({number}, '{name}', now())"),
        )
        .await?;
        report.applied.push(name.to_string());
    }
    report.ttl = apply_retention(&server, db, version, cfg.retention_days).await?;
    Ok(report)
}

/// (table, column) of an `ALTER TABLE db.table ADD COLUMN column ...` statement.
fn added_column(statement: &str) -> Option<(String, String)> {
    let words: Vec<&str> = statement.split_whitespace().collect();
    match words.as_slice() {
        ["ALTER", "TABLE", table, "ADD", "COLUMN", column, ..] => {
            Some((table.rsplit('.').next()?.to_string(), column.to_string()))
        }
        _ => None,
    }
}

async fn execute(client: &Client, sql: &str) -> Result<()> {
    client
        .query_raw(sql)
        .execute()
        .await
        .with_context(|| format!("ClickHouse refused: {sql}"))
}

async fn applied_versions(client: &Client, db: &str) -> Result<Vec<u32>> {
    let text = fetch_text(
        client,
        &format!("SELECT DISTINCT version FROM {db}.schema_migrations"),
    )
    .await?;
    Ok(text.lines().filter_map(|l| l.trim().parse().ok()).collect())
}

async fn fetch_text(client: &Client, sql: &str) -> Result<String> {
    let mut cursor = client.query_raw(sql).fetch_bytes("TabSeparated")?;
    let body = cursor
        .collect()
        .await
        .with_context(|| format!("ClickHouse refused: {sql}"))?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// The `ALTER … MODIFY TTL` for one table, or None when its TTL already says `days`.
pub fn retention_statement(
    db: &str,
    table: &str,
    column: &str,
    days: u32,
    create_query: &str,
) -> Option<String> {
    let normalized = create_query.replace(' ', "");
    let wanted = [
        format!("toIntervalDay({days})"),
        format!("INTERVAL{days}DAY"),
    ];
    if normalized.contains("TTL") && wanted.iter().any(|w| normalized.contains(w.as_str())) {
        return None;
    }
    Some(format!(
        "ALTER TABLE {db}.{table} MODIFY TTL {column} + INTERVAL {days} DAY"
    ))
}

async fn apply_retention(
    client: &Client,
    db: &str,
    version: ServerVersion,
    days: u32,
) -> Result<Vec<String>> {
    let mut notes = Vec::new();
    for &(table, column) in TTL_TABLES {
        if !version.supports_ttl() {
            notes.push(format!(
                "{table}: skipped (server {}.{} has no TTL; needs {}.{}+): delete old partitions by hand",
                version.major, version.minor, TTL_SINCE.0, TTL_SINCE.1
            ));
            continue;
        }
        let create = fetch_text(
            client,
            &format!("SELECT create_table_query FROM system.tables WHERE database = '{db}' AND name = '{table}'"),
        )
        .await?;
        match retention_statement(db, table, column, days, &create) {
            None => notes.push(format!("{table}: {days} days (unchanged)")),
            Some(alter) => {
                execute(client, &alter).await?;
                notes.push(format!("{table}: set to {days} days"));
            }
        }
    }
    Ok(notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_ttl_gate() {
        assert!(!ServerVersion::parse("18.16.1").unwrap().supports_ttl());
        assert!(!ServerVersion::parse("19.5.3.8").unwrap().supports_ttl());
        assert!(ServerVersion::parse("19.6.2.11").unwrap().supports_ttl());
        assert!(ServerVersion::parse("24.8.4.13").unwrap().supports_ttl());
        assert!(ServerVersion::parse("x").is_err());
    }

    #[test]
    fn statements_are_split_and_substituted() {
        for (_, _, sql) in MIGRATIONS {
            for s in statements(sql, "acm_x") {
                assert!(!s.contains("{db}"), "{s}");
                assert!(s.starts_with("CREATE") || s.starts_with("ALTER"), "{s}");
            }
        }
        assert_eq!(statements(MIGRATIONS[0].2, "d").len(), 2);
    }

    #[test]
    fn added_columns_are_recognised() {
        assert_eq!(
            added_column("ALTER TABLE acm.alerts ADD COLUMN severity String DEFAULT ''"),
            Some(("alerts".into(), "severity".into()))
        );
        assert_eq!(added_column("CREATE TABLE x (a UInt8)"), None);
    }

    #[test]
    fn retention_only_when_different() {
        let with = "CREATE TABLE acm.calls (...) ENGINE = MergeTree TTL event_date + toIntervalDay(180) SETTINGS";
        assert_eq!(
            retention_statement("acm", "calls", "event_date", 180, with),
            None
        );
        assert_eq!(
            retention_statement("acm", "calls", "event_date", 90, with).unwrap(),
            "ALTER TABLE acm.calls MODIFY TTL event_date + INTERVAL 90 DAY"
        );
        assert!(retention_statement(
            "acm",
            "calls",
            "event_date",
            90,
            "CREATE TABLE x ENGINE = MergeTree"
        )
        .is_some());
    }
}
