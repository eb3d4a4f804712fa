//! The ClickHouse destination of the drainer: a client set up to work with every server from
//! 18.16 on (no RowBinaryWithNamesAndTypes validation; compressed INSERT bodies only, never
//! compressed responses) and a timed INSERT of one batch.

use crate::config::{InsertCompression, PipelineConfig};
use crate::pipeline::rows::{AlertRow, CallRow};
use crate::pipeline::spool::SpoolBatch;
use crate::pipeline::Destination;
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
                    let mut insert = self.client.insert::<AlertRow>("alerts").await?;
                    for row in rows {
                        insert.write(&AlertRow::from(row)).await?;
                    }
                    insert.end().await
                }
            }
        };
        match tokio::time::timeout(timeout, work).await {
            Ok(result) => result.context("INSERT failed"),
            Err(_) => Err(anyhow!("INSERT timed out after {timeout:?}")),
        }
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
    fn name(&self) -> &'static str {
        "ClickHouse"
    }

    fn deliver(&mut self, batch: &SpoolBatch, timeout: Duration) -> Result<()> {
        self.runtime.block_on(self.writer.insert(batch, timeout))
    }
}
