// SPDX-License-Identifier: MIT OR Apache-2.0
//! Pipeline counters: relaxed atomics bumped by the call path and the drainer, read as a plain
//! `StatsSnapshot` of u64s for `/metrics` (Prometheus) and the Kamailio RPC JSON.

use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

#[derive(Debug, Default)]
pub struct PipelineStats {
    pub enqueued: AtomicU64,
    /// Submitted while the queue was full: parked in the overflow list (not lost).
    pub overflowed: AtomicU64,
    pub inserted_calls: AtomicU64,
    pub inserted_alerts: AtomicU64,
    pub batches: AtomicU64,
    pub insert_errors: AtomicU64,
    /// Events written to the spool.
    pub spooled: AtomicU64,
    /// Bytes currently held in this process's spool.
    pub spool_bytes: AtomicU64,
    pub replayed_from_spool: AtomicU64,
    pub dropped_spool_full: AtomicU64,
    /// The spool could not be written (disk error, permissions): events lost, logged.
    pub dropped_spool_error: AtomicU64,
    /// Spool records that failed their checksum or were cut short (crash mid-write).
    pub dropped_corrupt: AtomicU64,
    /// Overflow list full too: the drainer is hopelessly behind.
    pub dropped_queue_full: AtomicU64,
    /// Submitted after shutdown.
    pub dropped_closed: AtomicU64,
    /// No ClickHouse configured: events are counted and discarded.
    pub discarded_disabled: AtomicU64,
    /// Events the hand-off ring could not take (full): they went through memory instead.
    pub handoff_full: AtomicU64,
    /// Events recovered from the hand-off ring of a process that died.
    pub handoff_recovered: AtomicU64,
    /// Hand-off ring records that failed their checksum or decoding (torn by a power loss).
    pub handoff_corrupt: AtomicU64,
    pub(crate) overflow_len: AtomicU64,
}

/// A point-in-time copy of the counters; `queue_depth` = queue + overflow list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    pub enqueued: u64,
    pub overflowed: u64,
    pub inserted_calls: u64,
    pub inserted_alerts: u64,
    pub batches: u64,
    pub insert_errors: u64,
    pub spooled: u64,
    pub spool_bytes: u64,
    pub replayed_from_spool: u64,
    pub dropped_spool_full: u64,
    pub dropped_spool_error: u64,
    pub dropped_corrupt: u64,
    pub dropped_queue_full: u64,
    pub dropped_closed: u64,
    pub discarded_disabled: u64,
    pub handoff_full: u64,
    pub handoff_recovered: u64,
    pub handoff_corrupt: u64,
    pub queue_depth: u64,
}

impl PipelineStats {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    pub fn snapshot(&self, queue_len: usize) -> StatsSnapshot {
        StatsSnapshot {
            enqueued: self.enqueued.load(Relaxed),
            overflowed: self.overflowed.load(Relaxed),
            inserted_calls: self.inserted_calls.load(Relaxed),
            inserted_alerts: self.inserted_alerts.load(Relaxed),
            batches: self.batches.load(Relaxed),
            insert_errors: self.insert_errors.load(Relaxed),
            spooled: self.spooled.load(Relaxed),
            spool_bytes: self.spool_bytes.load(Relaxed),
            replayed_from_spool: self.replayed_from_spool.load(Relaxed),
            dropped_spool_full: self.dropped_spool_full.load(Relaxed),
            dropped_spool_error: self.dropped_spool_error.load(Relaxed),
            dropped_corrupt: self.dropped_corrupt.load(Relaxed),
            dropped_queue_full: self.dropped_queue_full.load(Relaxed),
            dropped_closed: self.dropped_closed.load(Relaxed),
            discarded_disabled: self.discarded_disabled.load(Relaxed),
            handoff_full: self.handoff_full.load(Relaxed),
            handoff_recovered: self.handoff_recovered.load(Relaxed),
            handoff_corrupt: self.handoff_corrupt.load(Relaxed),
            queue_depth: queue_len as u64 + self.overflow_len.load(Relaxed),
        }
    }
}

impl StatsSnapshot {
    /// (name, help, value) for each counter, for a Prometheus exposition with an `acm_pipeline_` prefix.
    pub fn fields(&self) -> [(&'static str, &'static str, u64); 19] {
        [
            (
                "enqueued_total",
                "events handed to the pipeline",
                self.enqueued,
            ),
            (
                "overflowed_total",
                "events parked in the overflow list (queue full)",
                self.overflowed,
            ),
            (
                "inserted_calls_total",
                "call rows inserted into ClickHouse",
                self.inserted_calls,
            ),
            (
                "inserted_alerts_total",
                "alert rows inserted into ClickHouse",
                self.inserted_alerts,
            ),
            ("batches_total", "INSERTs that succeeded", self.batches),
            (
                "insert_errors_total",
                "INSERTs that failed or timed out",
                self.insert_errors,
            ),
            (
                "spooled_total",
                "events written to the on-disk spool",
                self.spooled,
            ),
            ("spool_bytes", "bytes held in the spool", self.spool_bytes),
            (
                "replayed_from_spool_total",
                "events delivered from the spool",
                self.replayed_from_spool,
            ),
            (
                "dropped_spool_full_total",
                "events dropped: spool at its cap",
                self.dropped_spool_full,
            ),
            (
                "dropped_spool_error_total",
                "events dropped: spool write failed",
                self.dropped_spool_error,
            ),
            (
                "dropped_corrupt_total",
                "spool records dropped: bad checksum or cut short",
                self.dropped_corrupt,
            ),
            (
                "dropped_queue_full_total",
                "events dropped: queue and overflow full",
                self.dropped_queue_full,
            ),
            (
                "dropped_closed_total",
                "events submitted after shutdown",
                self.dropped_closed,
            ),
            (
                "discarded_disabled_total",
                "events discarded: no ClickHouse configured",
                self.discarded_disabled,
            ),
            (
                "handoff_full_total",
                "events the hand-off ring could not take (went through memory)",
                self.handoff_full,
            ),
            (
                "handoff_recovered_total",
                "events recovered from the hand-off ring of a process that died",
                self.handoff_recovered,
            ),
            (
                "handoff_corrupt_total",
                "hand-off ring records that failed their checksum or decoding",
                self.handoff_corrupt,
            ),
            (
                "queue_depth",
                "events waiting for the drainer",
                self.queue_depth,
            ),
        ]
    }
}

/// Counters of one alert lane (a webhook receiver, Kamailio teardown): what
/// `/metrics` shows as `acm_webhook_*{receiver="…"}`.
#[derive(Debug, Default)]
pub struct LaneStats {
    /// Alerts delivered (2xx).
    pub sent: AtomicU64,
    /// Attempts that failed and will be tried again (5xx, 408, 429, timeouts, refused connections).
    pub retried: AtomicU64,
    /// Alerts the receiver refused for good (other 4xx): not tried again.
    pub failed: AtomicU64,
    /// Alerts lost: not sent because the receiver answered 410 (lane disabled) or the spool
    /// could not take them.
    pub dropped: AtomicU64,
    /// 1 once the receiver answered 410 Gone: this process sends it nothing more.
    pub disabled: AtomicU64,
    /// Counters of the lane's own spool.
    pub spool: std::sync::Arc<PipelineStats>,
}

/// A copy of one lane's counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LaneSnapshot {
    pub name: String,
    pub sent: u64,
    pub retried: u64,
    pub failed: u64,
    pub dropped: u64,
    pub disabled: u64,
    pub spooled: u64,
    pub spool_bytes: u64,
}

impl LaneStats {
    pub fn snapshot(&self, name: &str) -> LaneSnapshot {
        let s = self.spool.snapshot(0);
        LaneSnapshot {
            name: name.to_string(),
            sent: self.sent.load(Relaxed),
            retried: self.retried.load(Relaxed),
            failed: self.failed.load(Relaxed),
            dropped: self.dropped.load(Relaxed)
                + s.dropped_spool_full
                + s.dropped_spool_error
                + s.dropped_corrupt,
            disabled: self.disabled.load(Relaxed),
            spooled: s.spooled,
            spool_bytes: s.spool_bytes,
        }
    }
}
