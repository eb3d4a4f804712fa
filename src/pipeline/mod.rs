// SPDX-License-Identifier: MIT OR Apache-2.0
//! "After the call": every verdict and alert leaves the call path through the [`EventOut`]
//! sink (non-blocking) and is drained by a background thread into its [`Destination`]s:
//! ClickHouse (`calls`, `alerts`, `alert_events`), each webhook receiver, Kamailio's dialog
//! module for teardown — each with its own on-disk spool and backoff, so nothing is lost while
//! one is down. See docs/pipeline.md and docs/alerts.md.
//!
//! Nothing here is global or started at load time: `Pipeline::start` may run after fork
//! (Kamailio calls it from each worker's child_init).

mod clickhouse;
pub mod cluster;
mod drainer;
pub mod handoff;
pub mod http;
mod lane;
pub mod outbox;
pub mod record;
pub mod ring;
mod ring_reader;
mod rows;
pub mod schema;
pub mod sink;
pub mod spool;
pub mod stats;
pub mod teardown;
pub mod webhook;

pub use crate::config::{InsertCompression, PipelineConfig};
pub use outbox::EventOut;
pub use record::{AlertEventRecord, AlertRecord, CallRecord, Event};
pub use schema::{apply_schema, apply_schema_with, SchemaReport};
pub use sink::EventSink;
pub use stats::{LaneSnapshot, LaneStats, PipelineStats, StatsSnapshot};

pub(crate) use clickhouse::client;
pub use clickhouse::insert_alert_events;

use anyhow::{Context, Result};
use crossbeam_channel::{bounded, Sender};
use drainer::{Batching, Drainer};
use lane::{Counters, Lane};
use sink::Shared;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Why a delivery failed, which decides what the drainer does with the batch.
#[derive(Debug)]
pub enum Delivery {
    /// Try again later (down, 5xx, 408, 429, timeout): spooled, backoff.
    Retry(anyhow::Error),
    /// Refused for good (other 4xx): counted as failed, not tried again.
    Refused(anyhow::Error),
    /// 410 Gone: the destination is disabled in this process.
    Gone(anyhow::Error),
}

impl From<anyhow::Error> for Delivery {
    fn from(e: anyhow::Error) -> Delivery {
        Delivery::Retry(e)
    }
}

/// Where the drainer delivers batches: ClickHouse, a webhook receiver, Kamailio's dialog
/// module. Runs on the drainer thread only, so it may block (within `timeout`).
pub trait Destination: Send {
    fn name(&self) -> &str;
    /// Whether an alert goes to this destination (alert lanes' filter).
    fn accepts(&self, _alert: &AlertRecord) -> bool {
        true
    }
    /// Delivers one batch within `timeout`, or fails: the drainer then spools
    /// the batch and backs off before it tries again (see [`Delivery`]).
    fn deliver(
        &mut self,
        batch: &spool::SpoolBatch,
        timeout: Duration,
    ) -> std::result::Result<(), Delivery>;
}

/// An alert destination with its spool: a webhook receiver or the teardown target.
pub struct AlertLane {
    pub destination: Box<dyn Destination>,
    pub spool_dir: std::path::PathBuf,
    pub spool_max_bytes: u64,
    pub backoff_max: Duration,
}

/// The running pipeline: owns the drainer thread. Dropping it shuts down with a 5 s budget.
pub struct Pipeline {
    sink: EventSink,
    stop: Option<Sender<Duration>>,
    thread: Option<JoinHandle<()>>,
    lanes: Vec<(String, Arc<LaneStats>)>,
}

impl Pipeline {
    /// Opens the spool (adopting segments left by dead processes) and starts the drainer
    /// thread. Does not wait for ClickHouse: while it is unreachable, batches are spooled.
    pub fn start(cfg: PipelineConfig) -> Result<Pipeline> {
        Pipeline::start_with(Some(cfg), Vec::new())
    }

    /// A drainer for ClickHouse (when given) and the alert lanes. With neither, a
    /// counting-only pipeline ([`Pipeline::disabled`]).
    pub fn start_with(ch: Option<PipelineConfig>, alert_lanes: Vec<AlertLane>) -> Result<Pipeline> {
        Pipeline::start_full(ch, alert_lanes, None)
    }

    /// As [`Pipeline::start_with`]; with `ring` (this process's node and mode) and ClickHouse
    /// configured with `handoff_bytes`, the call path hands over through a memory-mapped ring
    /// in `spool_dir` that survives the process, and rings left by dead processes are
    /// delivered first (see `ring`).
    pub fn start_full(
        ch: Option<PipelineConfig>,
        alert_lanes: Vec<AlertLane>,
        ring: Option<handoff::RingMeta>,
    ) -> Result<Pipeline> {
        if ch.is_none() && alert_lanes.is_empty() {
            return Ok(Pipeline::disabled());
        }
        let defaults = PipelineConfig::default();
        let cfg = ch.as_ref().unwrap_or(&defaults);
        cfg.validate()?;
        let shared = Arc::new(Shared {
            overflow_capacity: cfg.overflow_capacity() as u64,
            ..Shared::default()
        });
        let primary = match &ch {
            Some(cfg) => {
                let spool = spool::Spool::open(
                    &cfg.spool_dir,
                    cfg.spool_max_bytes,
                    Arc::clone(&shared.stats),
                )?;
                let destination = Box::new(clickhouse::ClickHouse::new(cfg)?);
                Some(Lane::new(
                    destination,
                    spool,
                    Counters::Pipeline(Arc::clone(&shared.stats)),
                    Duration::from_secs(30),
                ))
            }
            None => None,
        };
        let mut lanes = Vec::new();
        let mut stats = Vec::new();
        for l in alert_lanes {
            let lane_stats = Arc::new(LaneStats::default());
            let spool =
                spool::Spool::open(&l.spool_dir, l.spool_max_bytes, lane_stats.spool.clone())
                    .with_context(|| {
                        format!("{}: spool {}", l.destination.name(), l.spool_dir.display())
                    })?;
            stats.push((l.destination.name().to_string(), lane_stats.clone()));
            lanes.push(Lane::new(
                l.destination,
                spool,
                Counters::Alerts(lane_stats),
                l.backoff_max,
            ));
        }
        let (tx, rx) = bounded(cfg.queue_capacity);
        let (stop_tx, stop_rx) = bounded(1);
        let batching = Batching {
            batch_size: cfg.batch_size,
            flush_interval: cfg.flush_interval(),
            alerts_flush: cfg.alerts_flush(),
            insert_timeout: cfg.insert_timeout(),
        };
        let mut drainer = Drainer::new(batching, rx, stop_rx, Arc::clone(&shared), primary, lanes);
        let mut handoff = None;
        if let (Some(cfg), Some(meta)) = (&ch, ring) {
            if cfg.handoff_bytes > 0 {
                let text = serde_json::to_string(&meta)?;
                let own = Arc::new(
                    ring::Ring::create(&cfg.spool_dir, cfg.handoff_bytes, &text)
                        .context("clickhouse.handoff_bytes")?,
                );
                // Adopted after ours exists, so two processes starting together never take
                // each other's live ring.
                let orphans = ring::Ring::adopt_orphans(&cfg.spool_dir)
                    .into_iter()
                    .map(Arc::new)
                    .collect();
                let h = Arc::new(handoff::HandOff::new(own.clone()));
                let sync =
                    (cfg.handoff_sync_ms > 0).then(|| Duration::from_millis(cfg.handoff_sync_ms));
                drainer = drainer.with_handoff(
                    h.clone(),
                    ring_reader::RingReader::live(own, &meta),
                    orphans,
                    sync,
                );
                handoff = Some(h);
            }
        }
        let thread = std::thread::Builder::new()
            .name("acm-pipeline".into())
            .spawn(move || drainer.run())
            .context("cannot start the pipeline thread")?;
        Ok(Pipeline {
            sink: EventSink {
                tx: Some(tx),
                shared,
                calls: ch.is_some(),
                handoff,
            },
            stop: Some(stop_tx),
            thread: Some(thread),
            lanes: stats,
        })
    }

    /// No ClickHouse configured: events are counted (`discarded_disabled`) and discarded.
    pub fn disabled() -> Pipeline {
        Pipeline {
            sink: EventSink {
                tx: None,
                shared: Arc::new(Shared::default()),
                calls: false,
                handoff: None,
            },
            stop: None,
            thread: None,
            lanes: Vec::new(),
        }
    }

    /// The counters of each alert lane (webhook receivers, teardown), by name.
    pub fn lane_stats(&self) -> Vec<(String, Arc<LaneStats>)> {
        self.lanes.clone()
    }

    pub fn sink(&self) -> EventSink {
        self.sink.clone()
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.sink.stats()
    }

    pub fn is_enabled(&self) -> bool {
        self.sink.is_enabled()
    }

    /// Flushes everything queued to ClickHouse, or to the spool once `timeout` is spent, and
    /// stops the thread. Events submitted afterwards are counted in `dropped_closed`.
    pub fn shutdown(&mut self, timeout: Duration) -> StatsSnapshot {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(timeout);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // Whatever raced into the overflow list after the final drain is counted, not hidden.
        while self.sink.shared.pop_overflow().is_some() {
            PipelineStats::add(&self.sink.shared.stats.dropped_closed, 1);
            self.sink
                .shared
                .stats
                .enqueued
                .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        }
        self.stats()
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.shutdown(Duration::from_secs(5));
    }
}

/// Runs one future to completion on a throwaway current-thread runtime (CLI commands).
pub(crate) fn block_on<T>(future: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot build a runtime")?
        .block_on(future)
}
