// SPDX-License-Identifier: MIT OR Apache-2.0
//! One destination of the drainer with what keeps its deliveries safe: its own
//! on-disk spool, its own exponential backoff (with jitter on alert lanes),
//! its own counters. The drainer has one lane per destination: ClickHouse
//! (calls and alerts, batched) and one per webhook receiver or teardown target
//! (one alert per delivery, so an alert is sent once whatever its neighbours do).
//! While a lane's spool holds anything, new batches go behind it, so each lane
//! delivers in order; the oldest spooled batch is the probe that tells the
//! destination is back.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::pipeline::spool::{AppendError, Spool, SpoolBatch};
use crate::pipeline::stats::{LaneStats, PipelineStats};
use crate::pipeline::{Delivery, Destination};

const BACKOFF_START: Duration = Duration::from_millis(200);
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Which counters a lane keeps.
pub(crate) enum Counters {
    /// The ClickHouse lane: the pipeline's own counters.
    Pipeline(Arc<PipelineStats>),
    /// An alert lane: sent / retried / failed / dropped.
    Alerts(Arc<LaneStats>),
}

pub(crate) struct Lane {
    pub destination: Box<dyn Destination>,
    pub spool: Spool,
    counters: Counters,
    backoff: Duration,
    backoff_max: Duration,
    jitter: Option<u64>,
    retry_at: Option<Instant>,
    last_log: Option<Instant>,
    /// The receiver answered 410 Gone: nothing more goes to it.
    gone: bool,
}

impl Lane {
    pub fn new(
        destination: Box<dyn Destination>,
        spool: Spool,
        counters: Counters,
        backoff_max: Duration,
    ) -> Lane {
        // Alert lanes spread their retries (many workers retry one receiver).
        let jitter = matches!(counters, Counters::Alerts(_)).then(|| {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64);
            (t ^ ((std::process::id() as u64) << 32)) | 1
        });
        Lane {
            destination,
            spool,
            counters,
            backoff: BACKOFF_START,
            backoff_max,
            jitter,
            retry_at: None,
            last_log: None,
            gone: false,
        }
    }

    pub fn backing_off(&self) -> bool {
        self.retry_at.is_some_and(|t| Instant::now() < t)
    }

    /// How long until this lane wants to retry its spool (None: nothing to retry).
    pub fn retry_in(&self) -> Option<Duration> {
        if self.spool.is_empty() || self.gone {
            return None;
        }
        Some(self.retry_at.map_or(Duration::ZERO, |t| {
            t.saturating_duration_since(Instant::now())
        }))
    }

    /// Sends a batch now, or spools it when the lane is behind or the send fails.
    /// `timeout` None: no time left (shutdown), spool it.
    pub fn deliver(&mut self, batch: SpoolBatch, timeout: Option<Duration>) {
        if self.gone {
            return self.lost(batch.len() as u64);
        }
        if !self.spool.is_empty() || self.backing_off() {
            return self.spool_batch(batch);
        }
        let Some(timeout) = timeout else {
            return self.spool_batch(batch);
        };
        match self.destination.deliver(&batch, timeout) {
            Ok(()) => self.delivered(&batch, false),
            Err(d) => {
                if self.failed(d, &batch) {
                    self.spool_batch(batch);
                }
            }
        }
    }

    /// Delivers spooled batches, oldest first, for at most `slice`.
    pub fn replay(&mut self, slice: Duration, timeout: impl Fn() -> Option<Duration>) {
        let started = Instant::now();
        while !self.spool.is_empty() && !self.backing_off() && started.elapsed() < slice {
            let batch = match self.spool.peek() {
                Ok(Some(batch)) => batch,
                Ok(None) => break,
                Err(e) => {
                    self.log_limited(&format!("spool read failed: {e:#}"));
                    self.retry_at = Some(Instant::now() + self.backoff_max);
                    break;
                }
            };
            if self.gone {
                self.lost(batch.len() as u64);
                self.ack();
                continue;
            }
            let Some(timeout) = timeout() else {
                break;
            };
            match self.destination.deliver(&batch, timeout) {
                Ok(()) => {
                    self.ack();
                    self.delivered(&batch, true);
                }
                Err(d) => {
                    if self.failed(d, &batch) {
                        break;
                    }
                    // Refused for good or gone: it leaves the spool.
                    self.ack();
                }
            }
        }
    }

    fn ack(&mut self) {
        if let Err(e) = self.spool.ack() {
            self.log_limited(&format!(
                "spool ack failed (batch may be sent twice): {e:#}"
            ));
        }
    }

    fn delivered(&mut self, batch: &SpoolBatch, replayed: bool) {
        match &self.counters {
            Counters::Pipeline(stats) => {
                PipelineStats::add(&stats.batches, 1);
                match batch {
                    SpoolBatch::Calls(rows) => {
                        PipelineStats::add(&stats.inserted_calls, rows.len() as u64)
                    }
                    SpoolBatch::Checked(b) => {
                        PipelineStats::add(&stats.inserted_calls, b.len as u64)
                    }
                    SpoolBatch::Alerts(rows) => {
                        PipelineStats::add(&stats.inserted_alerts, rows.len() as u64)
                    }
                }
                if replayed {
                    PipelineStats::add(&stats.replayed_from_spool, batch.len() as u64);
                }
            }
            Counters::Alerts(stats) => {
                PipelineStats::add(&stats.sent, batch.len() as u64);
                if replayed {
                    PipelineStats::add(&stats.spool.replayed_from_spool, batch.len() as u64);
                }
            }
        }
        self.backoff = BACKOFF_START;
        self.retry_at = None;
    }

    /// Counts a failed delivery; true when the batch is to be tried again.
    fn failed(&mut self, d: Delivery, batch: &SpoolBatch) -> bool {
        let name = self.destination.name().to_string();
        match d {
            Delivery::Retry(e) => {
                match &self.counters {
                    Counters::Pipeline(stats) => PipelineStats::add(&stats.insert_errors, 1),
                    Counters::Alerts(stats) => PipelineStats::add(&stats.retried, 1),
                }
                let wait = self.next_backoff();
                self.log_limited(&format!(
                    "{name} delivery failed, spooling and retrying in {wait:?}: {e:#}"
                ));
                self.retry_at = Some(Instant::now() + wait);
                true
            }
            Delivery::Refused(e) => {
                if let Counters::Alerts(stats) = &self.counters {
                    PipelineStats::add(&stats.failed, batch.len() as u64);
                }
                tracing::warn!("acm pipeline: {name} refused a delivery for good: {e:#}");
                false
            }
            Delivery::Gone(e) => {
                self.gone = true;
                if let Counters::Alerts(stats) = &self.counters {
                    stats
                        .disabled
                        .store(1, std::sync::atomic::Ordering::Relaxed);
                }
                self.lost(batch.len() as u64);
                tracing::error!(
                    "acm pipeline: {name} answered 410 Gone: disabled in this process until restart: {e:#}"
                );
                false
            }
        }
    }

    fn lost(&self, n: u64) {
        if let Counters::Alerts(stats) = &self.counters {
            PipelineStats::add(&stats.dropped, n);
        }
    }

    /// The wait before the next retry: doubling up to the maximum; alert lanes wait a
    /// random 50-100% of it.
    fn next_backoff(&mut self) -> Duration {
        let base = self.backoff;
        self.backoff = (self.backoff * 2).min(self.backoff_max);
        match &mut self.jitter {
            None => base,
            Some(x) => {
                *x ^= *x << 13;
                *x ^= *x >> 7;
                *x ^= *x << 17;
                let frac = 0.5 + (*x % 1000) as f64 / 2000.0;
                base.mul_f64(frac)
            }
        }
    }

    fn spool_batch(&mut self, batch: SpoolBatch) {
        let stats = match &self.counters {
            Counters::Pipeline(s) => s.clone(),
            Counters::Alerts(s) => s.spool.clone(),
        };
        match self.spool.append(&batch) {
            Ok(()) => {}
            Err(AppendError::Full) => {
                PipelineStats::add(&stats.dropped_spool_full, batch.len() as u64);
                self.log_limited(&format!(
                    "{} spool full ({} bytes): dropped {} events",
                    self.destination.name(),
                    self.spool.bytes(),
                    batch.len()
                ));
            }
            Err(AppendError::Io(e)) => {
                PipelineStats::add(&stats.dropped_spool_error, batch.len() as u64);
                self.log_limited(&format!(
                    "{} spool write failed, dropped {} events: {e:#}",
                    self.destination.name(),
                    batch.len()
                ));
            }
        }
    }

    pub fn retry_now(&mut self) {
        self.retry_at = None;
    }

    fn log_limited(&mut self, message: &str) {
        if self.last_log.is_none_or(|t| t.elapsed() >= LOG_EVERY) {
            self.last_log = Some(Instant::now());
            tracing::warn!("acm pipeline: {message}");
        }
    }
}
