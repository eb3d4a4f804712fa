// SPDX-License-Identifier: MIT OR Apache-2.0
//! The schema on a ClickHouse cluster (`[clickhouse] cluster`, `acm schema apply --cluster`).
//! Every migration file, present or future, runs unchanged in meaning:
//!
//! - tables, materialized views, ALTERs, DROPs, RENAMEs, TRUNCATEs and OPTIMIZEs go to the
//!   *shard database* `<database>_local` on every node (`ON CLUSTER`), so a view reads and
//!   writes the shard tables of its own node; with `replicated`, `…MergeTree` engines become
//!   `Replicated…MergeTree('/clickhouse/tables/{shard}/<database>_local/<table>', '{replica}')`;
//! - plain views and INSERTs go to `<database>`, where every shard table has a `Distributed`
//!   twin of the same name and columns: reports and ad-hoc SQL read the whole cluster with the
//!   names they use on one server.
//!
//! After each migration the `Distributed` tables are brought in line with the shard tables
//! (created when missing, re-created when their columns differ: they hold no data, and acm
//! writes through them synchronously or not at all). Other statements are refused, naming the
//! statement, rather than run on one node only.

use anyhow::{bail, Result};

/// Where a cluster's tables live and how they are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterLayout {
    pub cluster: String,
    /// The database of the Distributed tables (the configured `database`).
    pub database: String,
    /// The shard database, `<database>_local`.
    pub local: String,
    pub replicated: bool,
}

/// What kind of statement, and so where it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Shard database, ON CLUSTER after the object's name.
    LocalNamed,
    /// Shard database, ON CLUSTER at the end (RENAME).
    LocalTrailing,
    /// Distributed database, ON CLUSTER after the name (plain views).
    DistributedNamed,
    /// Distributed database, once, through the node acm talks to (INSERT).
    DistributedOnce,
}

/// The shard database of `database`.
pub fn local_database(database: &str) -> String {
    format!("{database}_local")
}

impl ClusterLayout {
    pub fn new(cluster: &str, database: &str, replicated: bool) -> ClusterLayout {
        ClusterLayout {
            cluster: cluster.to_string(),
            database: database.to_string(),
            local: local_database(database),
            replicated,
        }
    }

    /// One migration statement (`{db}` not yet replaced) as it runs on the cluster.
    pub fn rewrite(&self, statement: &str) -> Result<String> {
        let words: Vec<String> = statement
            .split_whitespace()
            .take(3)
            .map(|w| w.to_ascii_uppercase())
            .collect();
        let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
        let kind = match (w(0), w(1), w(2)) {
            ("CREATE", "TABLE", _) | ("CREATE", "MATERIALIZED", "VIEW") => Kind::LocalNamed,
            ("ALTER" | "DROP" | "TRUNCATE" | "OPTIMIZE", "TABLE", _) => Kind::LocalNamed,
            ("DROP", "VIEW", _) => Kind::LocalNamed,
            ("RENAME", "TABLE", _) => Kind::LocalTrailing,
            ("CREATE", "VIEW", _) => Kind::DistributedNamed,
            ("INSERT", _, _) => Kind::DistributedOnce,
            _ => bail!(
                "cannot run this statement on cluster {}: {}",
                self.cluster,
                statement.chars().take(80).collect::<String>()
            ),
        };
        let db = match kind {
            Kind::LocalNamed | Kind::LocalTrailing => &self.local,
            Kind::DistributedNamed | Kind::DistributedOnce => &self.database,
        };
        let sql = statement.replace("{db}", db);
        let on_cluster = format!(" ON CLUSTER {}", self.cluster);
        Ok(match kind {
            Kind::DistributedOnce => sql,
            Kind::LocalTrailing => sql + &on_cluster,
            Kind::LocalNamed | Kind::DistributedNamed => {
                let (name_end, name) = object_name(&sql)?;
                let mut out = format!("{}{on_cluster}{}", &sql[..name_end], &sql[name_end..]);
                if self.replicated && w(0) == "CREATE" && w(1) == "TABLE" {
                    let table = name.rsplit('.').next().unwrap_or(&name).trim_matches('`');
                    out = self.replicated_engine(&out, table)?;
                }
                out
            }
        })
    }

    /// `ENGINE = XMergeTree[(args)]` → `ENGINE = ReplicatedXMergeTree('path', '{replica}'[, args])`.
    fn replicated_engine(&self, sql: &str, table: &str) -> Result<String> {
        let Some(at) = find_word(sql, "ENGINE") else {
            return Ok(sql.to_string());
        };
        let rest = &sql[at + "ENGINE".len()..];
        let after_eq = rest.trim_start();
        let Some(after_eq) = after_eq.strip_prefix('=') else {
            return Ok(sql.to_string());
        };
        let engine_text = after_eq.trim_start();
        let engine_start = sql.len() - engine_text.len();
        let name_len = engine_text
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(engine_text.len());
        let engine = &engine_text[..name_len];
        if !engine.ends_with("MergeTree") || engine.starts_with("Replicated") {
            return Ok(sql.to_string());
        }
        let path = format!(
            "'/clickhouse/tables/{{shard}}/{}/{table}', '{{replica}}'",
            self.local
        );
        let after_name = &engine_text[name_len..];
        let (args, tail) = match after_name.trim_start().strip_prefix('(') {
            Some(inner) => {
                let close = matching_paren(inner)
                    .ok_or_else(|| anyhow::anyhow!("unbalanced engine arguments in {sql}"))?;
                (inner[..close].trim(), &inner[close + 1..])
            }
            None => ("", after_name),
        };
        let args = if args.is_empty() {
            path
        } else {
            format!("{path}, {args}")
        };
        Ok(format!(
            "{}Replicated{engine}({args}){tail}",
            &sql[..engine_start]
        ))
    }

    /// The Distributed twin of shard table `table`.
    pub fn distributed_table(&self, table: &str) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {db}.{table} ON CLUSTER {c} AS {local}.{table} \
             ENGINE = Distributed({c}, {local}, {table}, rand())",
            db = self.database,
            c = self.cluster,
            local = self.local,
        )
    }

    pub fn drop_distributed(&self, table: &str) -> String {
        format!(
            "DROP TABLE IF EXISTS {}.{table} ON CLUSTER {}",
            self.database, self.cluster
        )
    }
}

/// (byte offset just past the object's name, the name) in `CREATE [MATERIALIZED] TABLE|VIEW
/// [IF [NOT] EXISTS] name …`, `ALTER TABLE name …`, `DROP TABLE [IF EXISTS] name`, ….
fn object_name(sql: &str) -> Result<(usize, String)> {
    let mut pos = 0;
    let mut tokens = 0;
    loop {
        let rest = &sql[pos..];
        let start = pos + (rest.len() - rest.trim_start().len());
        let token_len = sql[start..]
            .find(|c: char| c.is_whitespace() || c == '(')
            .unwrap_or(sql.len() - start);
        if token_len == 0 {
            bail!("no object name in: {sql}");
        }
        let token = &sql[start..start + token_len];
        let upper = token.to_ascii_uppercase();
        pos = start + token_len;
        tokens += 1;
        let keyword = matches!(
            upper.as_str(),
            "CREATE"
                | "ALTER"
                | "DROP"
                | "TRUNCATE"
                | "OPTIMIZE"
                | "MATERIALIZED"
                | "TABLE"
                | "VIEW"
                | "IF"
                | "NOT"
                | "EXISTS"
        );
        if !keyword {
            return Ok((pos, token.to_string()));
        }
        if tokens > 8 {
            bail!("no object name in: {sql}");
        }
    }
}

/// Offset of `word` as a whole word, case-insensitively.
fn find_word(sql: &str, word: &str) -> Option<usize> {
    let upper = sql.to_ascii_uppercase();
    let bytes = upper.as_bytes();
    let mut from = 0;
    while let Some(i) = upper[from..].find(word) {
        let at = from + i;
        let before = at == 0 || !(bytes[at - 1].is_ascii_alphanumeric() || bytes[at - 1] == b'_');
        let end = at + word.len();
        let after =
            end >= bytes.len() || !(bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_');
        if before && after {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// Offset of the `)` closing an already opened `(` (quotes respected).
fn matching_paren(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '`' | '"' => quote = Some(c),
            '(' => depth += 1,
            ')' if depth == 0 => return Some(i),
            ')' => depth -= 1,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::schema::{split_statements, MIGRATIONS};

    fn layout(replicated: bool) -> ClusterLayout {
        ClusterLayout::new("acm2", "acm", replicated)
    }

    #[test]
    fn tables_go_to_the_shard_database_replicated() {
        let l = layout(true);
        assert_eq!(
            l.rewrite("CREATE TABLE IF NOT EXISTS {db}.calls\n(\n  a String\n)\nENGINE = MergeTree\nORDER BY a")
                .unwrap(),
            "CREATE TABLE IF NOT EXISTS acm_local.calls ON CLUSTER acm2\n(\n  a String\n)\nENGINE = \
             ReplicatedMergeTree('/clickhouse/tables/{shard}/acm_local/calls', '{replica}')\nORDER BY a"
        );
        assert_eq!(
            l.rewrite("CREATE TABLE {db}.r (v UInt32) ENGINE=ReplacingMergeTree(v) ORDER BY v")
                .unwrap(),
            "CREATE TABLE acm_local.r ON CLUSTER acm2 (v UInt32) ENGINE=ReplicatedReplacingMergeTree(\
             '/clickhouse/tables/{shard}/acm_local/r', '{replica}', v) ORDER BY v"
        );
        assert_eq!(
            layout(false)
                .rewrite("CREATE TABLE {db}.t (a String) ENGINE = AggregatingMergeTree ORDER BY a")
                .unwrap(),
            "CREATE TABLE acm_local.t ON CLUSTER acm2 (a String) ENGINE = AggregatingMergeTree ORDER BY a"
        );
    }

    #[test]
    fn views_alters_inserts_and_the_rest() {
        let l = layout(true);
        assert_eq!(
            l.rewrite("CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.v_mv TO {db}.v AS SELECT a FROM {db}.calls")
                .unwrap(),
            "CREATE MATERIALIZED VIEW IF NOT EXISTS acm_local.v_mv ON CLUSTER acm2 TO acm_local.v AS \
             SELECT a FROM acm_local.calls"
        );
        assert_eq!(
            l.rewrite("ALTER TABLE {db}.alerts ADD COLUMN severity String")
                .unwrap(),
            "ALTER TABLE acm_local.alerts ON CLUSTER acm2 ADD COLUMN severity String"
        );
        assert_eq!(
            l.rewrite("CREATE VIEW {db}.open AS SELECT * FROM {db}.alerts")
                .unwrap(),
            "CREATE VIEW acm.open ON CLUSTER acm2 AS SELECT * FROM acm.alerts"
        );
        assert_eq!(
            l.rewrite("INSERT INTO {db}.x SELECT * FROM {db}.y")
                .unwrap(),
            "INSERT INTO acm.x SELECT * FROM acm.y"
        );
        assert_eq!(
            l.rewrite("RENAME TABLE {db}.a TO {db}.b").unwrap(),
            "RENAME TABLE acm_local.a TO acm_local.b ON CLUSTER acm2"
        );
        assert_eq!(
            l.rewrite("DROP TABLE IF EXISTS {db}.a").unwrap(),
            "DROP TABLE IF EXISTS acm_local.a ON CLUSTER acm2"
        );
        let err = l.rewrite("SYSTEM RELOAD DICTIONARIES").unwrap_err();
        assert!(err.to_string().contains("cannot run"), "{err}");
    }

    /// Every migration in the binary has a cluster form (a new one that had not would fail
    /// here, not on an operator's cluster).
    #[test]
    fn every_migration_runs_on_a_cluster() {
        for (_, name, sql) in MIGRATIONS {
            for statement in split_statements(sql) {
                let out = layout(true).rewrite(&statement).unwrap();
                assert!(!out.contains("{db}"), "{name}: {out}");
                assert!(out.contains("ON CLUSTER acm2"), "{name}: {out}");
                if out.contains("ENGINE") {
                    assert!(out.contains("ENGINE = Replicated"), "{name}: {out}");
                }
            }
        }
    }
}
