//! "After the call": every verdict and alert leaves the call path through the [`EventOut`]
//! sink (non-blocking) and is drained by a background thread into its [`Destination`],
//! ClickHouse (`calls`, `alerts`), with an on-disk spool so nothing is lost while it is down.
//! See docs/pipeline.md.
//!
//! Nothing here is global or started at load time: `Pipeline::start` may run after fork
//! (Kamailio calls it from each worker's child_init).

mod clickhouse;
pub mod cluster;
mod drainer;
pub mod outbox;
pub mod record;
mod rows;
pub mod schema;
pub mod sink;
pub mod spool;
pub mod stats;

pub use crate::config::{InsertCompression, PipelineConfig};
pub use outbox::EventOut;
pub use record::{AlertRecord, CallRecord, Event};
pub use schema::{apply_schema, apply_schema_with, SchemaReport};
pub use sink::EventSink;
pub use stats::{PipelineStats, StatsSnapshot};

pub(crate) use clickhouse::client;

use anyhow::{Context, Result};
use crossbeam_channel::{bounded, Sender};
use drainer::Drainer;
use sink::Shared;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Where the drainer delivers batches: ClickHouse today. Runs on the drainer
/// thread only, so it may block (within `timeout`).
pub trait Destination: Send {
    fn name(&self) -> &'static str;
    /// Delivers one batch within `timeout`, or fails: the drainer then spools
    /// the batch and backs off before it tries again.
    fn deliver(&mut self, batch: &spool::SpoolBatch, timeout: Duration) -> Result<()>;
}

/// The running pipeline: owns the drainer thread. Dropping it shuts down with a 5 s budget.
pub struct Pipeline {
    sink: EventSink,
    stop: Option<Sender<Duration>>,
    thread: Option<JoinHandle<()>>,
}

impl Pipeline {
    /// Opens the spool (adopting segments left by dead processes) and starts the drainer
    /// thread. Does not wait for ClickHouse: while it is unreachable, batches are spooled.
    pub fn start(cfg: PipelineConfig) -> Result<Pipeline> {
        cfg.validate()?;
        let shared = Arc::new(Shared {
            overflow_capacity: cfg.overflow_capacity() as u64,
            ..Shared::default()
        });
        let spool = spool::Spool::open(
            &cfg.spool_dir,
            cfg.spool_max_bytes,
            Arc::clone(&shared.stats),
        )?;
        let destination = Box::new(clickhouse::ClickHouse::new(&cfg)?);
        let (tx, rx) = bounded(cfg.queue_capacity);
        let (stop_tx, stop_rx) = bounded(1);
        let drainer = Drainer::new(&cfg, rx, stop_rx, Arc::clone(&shared), spool, destination);
        let thread = std::thread::Builder::new()
            .name("acm-pipeline".into())
            .spawn(move || drainer.run())
            .context("cannot start the pipeline thread")?;
        Ok(Pipeline {
            sink: EventSink {
                tx: Some(tx),
                shared,
            },
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// No ClickHouse configured: events are counted (`discarded_disabled`) and discarded.
    pub fn disabled() -> Pipeline {
        Pipeline {
            sink: EventSink {
                tx: None,
                shared: Arc::new(Shared::default()),
            },
            stop: None,
            thread: None,
        }
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
