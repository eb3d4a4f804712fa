//! The ClickHouse destination of the drainer: a client set up to work with every server from
//! 18.16 on (no RowBinaryWithNamesAndTypes validation; compressed INSERT bodies only, never
//! compressed responses) and a timed INSERT of one batch.

use crate::config::{InsertCompression, PipelineConfig};
use crate::pipeline::record::AlertEventRecord;
use crate::pipeline::rows::{AlertEventRow, AlertRow, CallRow};
use crate::pipeline::spool::SpoolBatch;
use crate::pipeline::{Delivery, Destination};
use anyhow::{anyhow, Context, Result};
use clickhouse::{Client, Compression};
use std::time::Duration;

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
        BatchWriter {
            client: client(cfg, true).with_compression(match cfg.compression {
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

/// ClickHouse as the drainer's destination: the writer and the small runtime
/// its client needs, both owned by the drainer thread.
pub struct ClickHouse {
    writer: BatchWriter,
    runtime: tokio::runtime::Runtime,
}

impl ClickHouse {
    pub fn new(cfg: &PipelineConfig) -> Result<ClickHouse> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot build the pipeline's runtime")?;
        Ok(ClickHouse {
            writer: BatchWriter::new(cfg),
            runtime,
        })
    }
}

impl Destination for ClickHouse {
    fn name(&self) -> &str {
        "ClickHouse"
    }

    fn deliver(
        &mut self,
        batch: &SpoolBatch,
        timeout: Duration,
    ) -> std::result::Result<(), Delivery> {
        Ok(self.runtime.block_on(self.writer.insert(batch, timeout))?)
    }
}
