// SPDX-License-Identifier: MIT OR Apache-2.0
//! `[clickhouse]`: where verdicts and alerts go, how they are batched, and where
//! they wait (the spool) while ClickHouse is unreachable. Without this section,
//! no pipeline.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

use super::ConfigError;

/// The smallest hand-off ring (`handoff_bytes`) other than 0.
pub const MIN_HANDOFF_BYTES: u64 = 64 * 1024;
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineConfig {
    /// ClickHouse HTTP interface, e.g. "http://127.0.0.1:8123".
    pub url: String,
    pub database: String,
    pub user: String,
    pub password: String,
    /// Rows per INSERT (per table). One batch is also the most a crash can duplicate.
    pub batch_size: usize,
    /// A partial batch is sent after this long.
    pub flush_interval_ms: u64,
    /// Alerts are sent after at most this long (`acm serve` follows the alerts table).
    pub alerts_flush_ms: u64,
    /// Bounded hand-off queue between the call path and the drainer thread.
    pub queue_capacity: usize,
    /// Where batches wait while ClickHouse is down; one set of files per process.
    pub spool_dir: PathBuf,
    /// Cap on this process's spool; past it new batches are dropped (and counted).
    pub spool_max_bytes: u64,
    /// Size of this process's hand-off ring, a memory-mapped file in `spool_dir` that holds
    /// what the call path handed over until it is inserted or spooled, so a killed process
    /// loses nothing (the next start delivers it). 0: an in-memory queue only (a crash loses
    /// up to a flush interval of events). See docs/pipeline.md.
    pub handoff_bytes: u64,
    /// How often the drainer writes the ring to disk (`msync`): what a power loss can lose.
    /// 0: never forced (the kernel writes dirty pages back within ~30 s); a process crash
    /// loses nothing either way.
    pub handoff_sync_ms: u64,
    /// An INSERT slower than this counts as failed and its batch is spooled.
    pub insert_timeout_ms: u64,
    /// Rows older than this are deleted by ClickHouse (TTL, on servers that support it).
    pub retention_days: u32,
    /// How INSERT bodies travel to ClickHouse.
    pub compression: InsertCompression,
    /// A cluster (a `remote_servers` name; ON CLUSTER DDL needs ZooKeeper or Keeper):
    /// `acm schema apply` creates shard tables in `<database>_local` on every node and
    /// `Distributed` tables in `database`, which reports read. Empty: one server.
    pub cluster: String,
    /// On a cluster, shard tables are `Replicated*MergeTree` (the nodes need the `{shard}`
    /// and `{replica}` macros); false: plain `*MergeTree`, one replica per shard.
    pub replicated: bool,
    /// On a cluster, the HTTP URL of one node per shard: each batch is INSERTed whole into
    /// the shard tables of one of them, round robin, passing over a node that fails to the
    /// next. Empty: batches go through the Distributed tables at `url`.
    pub shard_urls: Vec<String>,
}

/// INSERT bodies compressed with LZ4 in ClickHouse's own block format (`decompress=1`, which
/// every server from 18.16 on reads) or sent as they are. Only INSERTs: 18.16 answers queries
/// asked for compressed responses with an empty body, so reports never ask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InsertCompression {
    /// Fewer bytes on the wire; the same drain rate on loopback (BENCHMARKS.md, *ClickHouse pipeline*).
    Lz4,
    None,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            url: "http://127.0.0.1:8123".to_string(),
            database: "acm".to_string(),
            user: "default".to_string(),
            password: String::new(),
            batch_size: 50_000,
            flush_interval_ms: 1_000,
            alerts_flush_ms: 100,
            queue_capacity: 65_536,
            spool_dir: PathBuf::from("/var/spool/acm"),
            spool_max_bytes: 1 << 30,
            handoff_bytes: 8 << 20,
            handoff_sync_ms: 0,
            insert_timeout_ms: 10_000,
            retention_days: 180,
            compression: InsertCompression::Lz4,
            cluster: String::new(),
            replicated: true,
            shard_urls: Vec::new(),
        }
    }
}

impl PipelineConfig {
    pub fn flush_interval(&self) -> Duration {
        Duration::from_millis(self.flush_interval_ms.max(1))
    }

    pub fn alerts_flush(&self) -> Duration {
        Duration::from_millis(self.alerts_flush_ms.max(1))
    }

    pub fn insert_timeout(&self) -> Duration {
        Duration::from_millis(self.insert_timeout_ms.max(1))
    }

    /// Events that did not fit the queue wait in an overflow list of this many before being
    /// dropped: a burst absorber, so the call path never blocks.
    pub fn overflow_capacity(&self) -> usize {
        self.queue_capacity.saturating_mul(4).max(1024)
    }

    /// Checks values that would make the pipeline misbehave; the error names the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad =
            |key: &str, reason: String| Err(ConfigError::new(format!("clickhouse.{key}"), reason));
        if self.batch_size == 0 {
            return bad("batch_size", "must be at least 1".into());
        }
        if self.queue_capacity == 0 {
            return bad("queue_capacity", "must be at least 1".into());
        }
        if !is_identifier(&self.database) {
            return bad(
                "database",
                format!(
                    "{:?} must be letters, digits and '_' (not starting with a digit)",
                    self.database
                ),
            );
        }
        if !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return bad(
                "url",
                format!(
                    "{:?} must be an http:// URL of ClickHouse's HTTP interface (port 8123 by default)",
                    self.url
                ),
            );
        }
        if self.handoff_bytes != 0 && self.handoff_bytes < MIN_HANDOFF_BYTES {
            return bad(
                "handoff_bytes",
                format!(
                    "{} is too small: 0 (no ring) or at least {MIN_HANDOFF_BYTES}",
                    self.handoff_bytes
                ),
            );
        }
        if self.retention_days == 0 {
            return bad("retention_days", "must be at least 1".into());
        }
        if !self.cluster.is_empty() && !is_identifier(&self.cluster) {
            return bad(
                "cluster",
                format!(
                    "{:?} must be letters, digits and '_' (a remote_servers name)",
                    self.cluster
                ),
            );
        }
        if !self.shard_urls.is_empty() && self.cluster.is_empty() {
            return bad(
                "shard_urls",
                "only with a cluster (set clickhouse.cluster to its remote_servers name)".into(),
            );
        }
        for url in &self.shard_urls {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return bad(
                    "shard_urls",
                    format!("{url:?} must be an http:// URL of a node's HTTP interface"),
                );
            }
        }
        Ok(())
    }
}

/// A safe unquoted ClickHouse identifier.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_unknown_fields() {
        let cfg: PipelineConfig = serde_json::from_str(r#"{"url":"http://h:8123"}"#).unwrap();
        assert_eq!(cfg.database, "acm");
        assert_eq!(cfg.batch_size, 50_000);
        assert_eq!(cfg.retention_days, 180);
        cfg.validate().unwrap();
        assert!(serde_json::from_str::<PipelineConfig>(r#"{"urll":"x"}"#).is_err());
        let bad = PipelineConfig {
            database: "acm; DROP".into(),
            ..cfg
        };
        assert!(bad.validate().is_err());
        let no_cluster = PipelineConfig {
            shard_urls: vec!["http://a:8123".into()],
            ..PipelineConfig::default()
        };
        assert!(no_cluster
            .validate()
            .unwrap_err()
            .to_string()
            .contains("clickhouse.shard_urls"));
        let shards = PipelineConfig {
            cluster: "acm2".into(),
            ..no_cluster
        };
        shards.validate().unwrap();
    }
}
