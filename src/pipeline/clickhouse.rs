// SPDX-License-Identifier: MIT OR Apache-2.0
//! The ClickHouse destination of the drainer: a client set up to work with every server from
//! 18.16 on (no RowBinaryWithNamesAndTypes validation; compressed INSERT bodies only, never
//! compressed responses) and a timed INSERT of one batch. On a cluster with `shard_urls`, each
//! batch goes whole to the shard tables of one node, round robin; a node that fails is passed
//! over (for a while) to the next, so one shard down loses nothing and spools nothing; only
//! when every node fails is the batch spooled. Without `shard_urls`, batches go to the tables
//! of `database` at `url` (on a cluster: its Distributed tables).

use crate::config::{InsertCompression, PipelineConfig};
use crate::pipeline::cluster::local_database;
use crate::pipeline::record::AlertEventRecord;
use crate::pipeline::rows::{AlertEventRow, AlertRow, CallRow};
use crate::pipeline::spool::SpoolBatch;
use crate::pipeline::{Delivery, Destination};
use anyhow::{anyhow, Context, Result};
use clickhouse::{Client, Compression};
use std::time::{Duration, Instant};

/// A client for `cfg`; `with_database` selects `cfg.database` for unqualified names.
pub fn client(cfg: &PipelineConfig, with_database: bool) -> Client {
    let mut client = Client::default()
        .with_url(&cfg.url)
        .with_user(&cfg.user)
        .with_compression(Compression::None)
        .with_validation(false);
    if !cfg.password.is_empty() {
        client = client.with_password(&cfg.password);
    }
    if with_database {
        client = client.with_database(&cfg.database);
    }
    client
}

pub struct BatchWriter {
    client: Client,
}

impl BatchWriter {
    pub fn new(cfg: &PipelineConfig) -> BatchWriter {
        BatchWriter::to(cfg, &cfg.url, &cfg.database)
    }

    /// A writer into `database` at `url`, with `cfg`'s user and compression.
    pub fn to(cfg: &PipelineConfig, url: &str, database: &str) -> BatchWriter {
        let node = PipelineConfig {
            url: url.to_string(),
            database: database.to_string(),
            ..cfg.clone()
        };
        BatchWriter {
            client: client(&node, true).with_compression(match cfg.compression {
                InsertCompression::Lz4 => Compression::Lz4,
                InsertCompression::None => Compression::None,
            }),
        }
    }

    /// One INSERT of the whole batch into its table; an error or a timeout fails the batch.
    pub async fn insert(&self, batch: &SpoolBatch, timeout: Duration) -> Result<()> {
        let work = async {
            match batch {
                SpoolBatch::Calls(rows) => {
                    let mut insert = self.client.insert::<CallRow>("calls").await?;
                    for row in rows {
                        insert.write(&CallRow::from(row)).await?;
                    }
                    insert.end().await
                }
                SpoolBatch::Checked(b) => {
                    let mut insert = self.client.insert::<CallRow>("calls").await?;
                    for row in b.records() {
                        insert.write(&CallRow::from(&row)).await?;
                    }
                    insert.end().await
                }
                SpoolBatch::Alerts(rows) => {
                    // A retry after the first INSERT may write an alert twice: readers
                    // take one row per alert_id (docs/alerts.md).
                    let mut insert = self.client.insert::<AlertRow>("alerts").await?;
                    for row in rows {
                        insert.write(&AlertRow::from(row)).await?;
                    }
                    insert.end().await?;
                    let raised: Vec<AlertEventRecord> =
                        rows.iter().map(AlertEventRecord::raised).collect();
                    write_alert_events(&self.client, &raised).await
                }
            }
        };
        match tokio::time::timeout(timeout, work).await {
            Ok(result) => result.context("INSERT failed"),
            Err(_) => Err(anyhow!("INSERT timed out after {timeout:?}")),
        }
    }
}

async fn write_alert_events(
    client: &Client,
    rows: &[AlertEventRecord],
) -> std::result::Result<(), clickhouse::error::Error> {
    let mut insert = client.insert::<AlertEventRow>("alert_events").await?;
    for row in rows {
        insert.write(&AlertEventRow::from(row)).await?;
    }
    insert.end().await
}

/// Appends lifecycle entries to `alert_events` (acm serve's status changes), within `timeout`.
pub async fn insert_alert_events(
    cfg: &PipelineConfig,
    rows: &[AlertEventRecord],
    timeout: Duration,
) -> Result<()> {
    let client = client(cfg, true);
    match tokio::time::timeout(timeout, write_alert_events(&client, rows)).await {
        Ok(r) => r.context("INSERT INTO alert_events failed"),
        Err(_) => Err(anyhow!(
            "INSERT INTO alert_events timed out after {timeout:?}"
        )),
    }
}

/// How long a node that failed an INSERT is passed over while another one works.
const NODE_PAUSE: Duration = Duration::from_secs(5);

struct Node {
    url: String,
    writer: BatchWriter,
    down_until: Option<Instant>,
}

/// ClickHouse as the drainer's destination: one writer per node (one node on a single
/// server) and the small runtime their clients need, all owned by the drainer thread.
pub struct ClickHouse {
    nodes: Vec<Node>,
    /// The node the next batch tries first.
    next: usize,
    runtime: tokio::runtime::Runtime,
}

impl ClickHouse {
    pub fn new(cfg: &PipelineConfig) -> Result<ClickHouse> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot build the pipeline's runtime")?;
        let nodes: Vec<Node> = if cfg.shard_urls.is_empty() {
            vec![Node {
                url: cfg.url.clone(),
                writer: BatchWriter::new(cfg),
                down_until: None,
            }]
        } else {
            let local = local_database(&cfg.database);
            cfg.shard_urls
                .iter()
                .map(|url| Node {
                    url: url.clone(),
                    writer: BatchWriter::to(cfg, url, &local),
                    down_until: None,
                })
                .collect()
        };
        // Processes start on different nodes, so a small load spreads from the start.
        let next = std::process::id() as usize % nodes.len();
        Ok(ClickHouse {
            nodes,
            next,
            runtime,
        })
    }
}

impl Destination for ClickHouse {
    fn name(&self) -> &str {
        "ClickHouse"
    }

    /// Tries the nodes in turn from `next` (those that failed lately last), each within
    /// `timeout`; the first that takes the batch has it. A node that is down refuses at once;
    /// one that hangs costs `timeout` once, then is passed over for `NODE_PAUSE`. (Not a
    /// share of `timeout` per node: an INSERT that times out here may still complete there,
    /// and the batch sent to the next node would then be there twice.)
    fn deliver(
        &mut self,
        batch: &SpoolBatch,
        timeout: Duration,
    ) -> std::result::Result<(), Delivery> {
        let n = self.nodes.len();
        let now = Instant::now();
        let mut order: Vec<usize> = (0..n).map(|k| (self.next + k) % n).collect();
        order.sort_by_key(|&i| self.nodes[i].down_until.is_some_and(|t| t > now));
        let mut errors = Vec::new();
        for i in order {
            let node = &mut self.nodes[i];
            match self.runtime.block_on(node.writer.insert(batch, timeout)) {
                Ok(()) => {
                    node.down_until = None;
                    self.next = (i + 1) % n;
                    if !errors.is_empty() {
                        tracing::warn!(
                            "acm pipeline: batch delivered to {} after: {}",
                            node.url,
                            errors.join("; ")
                        );
                    }
                    return Ok(());
                }
                Err(e) => {
                    node.down_until = Some(Instant::now() + NODE_PAUSE);
                    errors.push(format!("{}: {e:#}", node.url));
                }
            }
        }
        Err(Delivery::Retry(anyhow!("{}", errors.join("; "))))
    }
}
