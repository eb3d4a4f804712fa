// SPDX-License-Identifier: MIT OR Apache-2.0
//! Versioned schema migrations (`sql/migrations/NNN_name.sql`, embedded) recorded in
//! `schema_migrations`; `apply` is idempotent. Retention TTL is set only on servers that know
//! the TTL clause (19.6 and later); on older ones (Debian's 18.16) it is reported as skipped.
//! With `[clickhouse] cluster`, every statement runs on the whole cluster in the layout of
//! [`crate::pipeline::cluster`] (shard tables plus Distributed twins).

use crate::config::PipelineConfig;
use crate::pipeline::client;
use crate::pipeline::cluster::ClusterLayout;
use anyhow::{Context, Result};
use clickhouse::Client;
use std::fmt;

/// (version, name, SQL) of one migration.
pub type Migration<'a> = (u32, &'a str, &'a str);

/// (version, name, SQL) of every migration, in order.
pub const MIGRATIONS: &[Migration<'static>] = &[
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
    (
        4,
        "004_operator_ranges",
        include_str!("../../sql/migrations/004_operator_ranges.sql"),
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
    /// The cluster the schema was applied on ("" on one server).
    pub cluster: String,
    pub applied: Vec<String>,
    pub already_applied: Vec<String>,
    /// On a cluster: the Distributed tables created, re-created or dropped.
    pub distributed: Vec<String>,
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
        if !self.cluster.is_empty() {
            writeln!(
                f,
                "  cluster  {}: shard tables in {}, Distributed tables in {}",
                self.cluster,
                crate::pipeline::cluster::local_database(&self.database),
                self.database
            )?;
        }
        for name in &self.applied {
            writeln!(f, "  applied  {name}")?;
        }
        for name in &self.already_applied {
            writeln!(f, "  present  {name}")?;
        }
        for line in &self.distributed {
            writeln!(f, "  table    {line}")?;
        }
        for line in &self.ttl {
            writeln!(f, "  ttl      {line}")?;
        }
        Ok(())
    }
}

/// Splits a migration file into statements (comment lines dropped), `{db}` left in place.
pub fn split_statements(sql: &str) -> Vec<String> {
    let text: String = sql
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    text.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Substitutes `{db}` and splits a migration file into statements (comment lines dropped).
pub fn statements(sql: &str, database: &str) -> Vec<String> {
    split_statements(sql)
        .into_iter()
        .map(|s| s.replace("{db}", database))
        .collect()
}

const SCHEMA_MIGRATIONS: &str = "CREATE TABLE IF NOT EXISTS {db}.schema_migrations \
     (version UInt32, name String, applied_at DateTime) ENGINE = MergeTree ORDER BY version";

/// One server, or the shard and Distributed databases of a cluster.
enum Target {
    Single,
    Cluster(ClusterLayout),
}

impl Target {
    fn of(cfg: &PipelineConfig) -> Target {
        if cfg.cluster.is_empty() {
            Target::Single
        } else {
            Target::Cluster(ClusterLayout::new(
                &cfg.cluster,
                &cfg.database,
                cfg.replicated,
            ))
        }
    }

    /// Runs one migration statement (`{db}` not replaced yet). An `ADD COLUMN` whose column
    /// exists already is skipped (18.16 has no `ADD COLUMN IF NOT EXISTS`; a half-applied
    /// migration is re-run whole).
    async fn run(&self, client: &Client, db: &str, statement: &str) -> Result<()> {
        let storage = self.storage_db(db);
        if let Some((table, column)) = added_column(&statement.replace("{db}", storage)) {
            let present = fetch_text(
                client,
                &format!(
                    "SELECT count() FROM system.columns WHERE database = '{storage}' \
                     AND table = '{table}' AND name = '{column}'"
                ),
            )
            .await?;
            if present.trim() != "0" {
                return Ok(());
            }
        }
        match self {
            Target::Single => execute(client, &statement.replace("{db}", db)).await,
            Target::Cluster(layout) => execute(client, &layout.rewrite(statement)?).await,
        }
    }

    /// The database whose tables a statement like `ALTER TABLE … MODIFY TTL` changes.
    fn storage_db<'a>(&'a self, db: &'a str) -> &'a str {
        match self {
            Target::Single => db,
            Target::Cluster(layout) => &layout.local,
        }
    }

    /// ` ON CLUSTER name` for statements acm itself writes.
    fn on_cluster(&self) -> String {
        match self {
            Target::Single => String::new(),
            Target::Cluster(layout) => format!(" ON CLUSTER {}", layout.cluster),
        }
    }
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

/// Like [`apply_schema`], then `extra` migrations (tests: a migration that is not in the
/// binary yet, applied exactly as a real one would be).
pub fn apply_schema_with(cfg: &PipelineConfig, extra: &[Migration<'_>]) -> Result<SchemaReport> {
    crate::pipeline::block_on(apply_migrations(cfg, MIGRATIONS.iter().chain(extra)))
}

/// Creates the database, applies pending migrations and sets retention where supported.
pub async fn apply(cfg: &PipelineConfig) -> Result<SchemaReport> {
    apply_migrations(cfg, MIGRATIONS.iter()).await
}

async fn apply_migrations<'a>(
    cfg: &PipelineConfig,
    migrations: impl Iterator<Item = &'a Migration<'a>>,
) -> Result<SchemaReport> {
    cfg.validate()?;
    let server = client(cfg, false);
    let version_text = server_version(&server, &cfg.url).await?;
    let version = ServerVersion::parse(&version_text)
        .with_context(|| format!("unexpected ClickHouse version {version_text:?}"))?;
    let db = &cfg.database;
    let target = Target::of(cfg);
    let on_cluster = target.on_cluster();
    let mut report = SchemaReport {
        url: cfg.url.clone(),
        database: db.clone(),
        server_version: version_text,
        cluster: cfg.cluster.clone(),
        applied: Vec::new(),
        already_applied: Vec::new(),
        distributed: Vec::new(),
        ttl: Vec::new(),
    };
    for database in [db.as_str(), target.storage_db(db)] {
        execute(
            &server,
            &format!("CREATE DATABASE IF NOT EXISTS {database}{on_cluster}"),
        )
        .await?;
    }
    target.run(&server, db, SCHEMA_MIGRATIONS).await?;
    if let Target::Cluster(layout) = &target {
        report.distributed = sync_distributed(&server, layout).await?;
    }
    let done = applied_versions(&server, db).await?;
    for &(number, name, sql) in migrations {
        if done.contains(&number) {
            report.already_applied.push(name.to_string());
            continue;
        }
        for statement in split_statements(sql) {
            target
                .run(&server, db, &statement)
                .await
                .with_context(|| format!("migration {name} failed"))?;
        }
        if let Target::Cluster(layout) = &target {
            report
                .distributed
                .extend(sync_distributed(&server, layout).await?);
        }
        // On a cluster the record goes to this node's shard (replicated there) and is read
        // back through the Distributed table, so any node later sees it.
        execute(
            &server,
            &format!(
                "INSERT INTO {}.schema_migrations VALUES ({number}, '{name}', now())",
                target.storage_db(db)
            ),
        )
        .await?;
        report.applied.push(name.to_string());
    }
    report.ttl = apply_retention(
        &server,
        target.storage_db(db),
        &on_cluster,
        version,
        cfg.retention_days,
    )
    .await?;
    Ok(report)
}

/// Gives every shard table of the layout a Distributed twin with the same columns: created
/// when missing, re-created when the columns differ (a migration altered the shard table),
/// dropped when its shard table is gone. Returns what it did, one line per table.
async fn sync_distributed(client: &Client, layout: &ClusterLayout) -> Result<Vec<String>> {
    let tables = fetch_text(
        client,
        &format!(
            "SELECT database, name, engine FROM system.tables WHERE database IN ('{}', '{}')",
            layout.local, layout.database
        ),
    )
    .await?;
    let columns = fetch_text(
        client,
        &format!(
            "SELECT database, table, name, type FROM system.columns WHERE database IN ('{}', '{}')",
            layout.local, layout.database
        ),
    )
    .await?;
    let columns_of = |database: &str, table: &str| -> Vec<String> {
        columns
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f.len() == 4 && f[0] == database && f[1] == table)
                    .then(|| format!("{} {}", f[2], f[3]))
            })
            .collect()
    };
    let mut shard_tables = Vec::new();
    let mut distributed = Vec::new();
    for line in tables.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 3 {
            continue;
        }
        if f[0] == layout.local && f[2].ends_with("MergeTree") && !f[1].starts_with(".inner") {
            shard_tables.push(f[1].to_string());
        } else if f[0] == layout.database && f[2] == "Distributed" {
            distributed.push(f[1].to_string());
        }
    }
    let mut notes = Vec::new();
    for table in &shard_tables {
        let exists = distributed.contains(table);
        if exists && columns_of(&layout.local, table) == columns_of(&layout.database, table) {
            continue;
        }
        if exists {
            execute(client, &layout.drop_distributed(table)).await?;
        }
        execute(client, &layout.distributed_table(table)).await?;
        notes.push(format!(
            "{}.{table} {}",
            layout.database,
            if exists {
                "re-created (columns changed)"
            } else {
                "created"
            }
        ));
    }
    for table in distributed.iter().filter(|t| !shard_tables.contains(t)) {
        execute(client, &layout.drop_distributed(table)).await?;
        notes.push(format!(
            "{}.{table} dropped (no shard table)",
            layout.database
        ));
    }
    Ok(notes)
}

/// (table, column) of an `ALTER TABLE db.table ADD COLUMN column …` statement.
fn added_column(statement: &str) -> Option<(String, String)> {
    let words: Vec<&str> = statement.split_whitespace().collect();
    let upper: Vec<String> = words
        .iter()
        .take(5)
        .map(|w| w.to_ascii_uppercase())
        .collect();
    if words.len() > 5
        && upper[0] == "ALTER"
        && upper[1] == "TABLE"
        && upper[3] == "ADD"
        && upper[4] == "COLUMN"
    {
        let table = words[2].rsplit('.').next()?.trim_matches('`');
        return Some((table.to_string(), words[5].trim_matches('`').to_string()));
    }
    None
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
    on_cluster: &str,
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
                let alter = alter.replacen(
                    &format!("{db}.{table}"),
                    &format!("{db}.{table}{on_cluster}"),
                    1,
                );
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
