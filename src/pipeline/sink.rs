// SPDX-License-Identifier: MIT OR Apache-2.0
//! The call path's side of the hand-off: `EventSink::submit` never blocks. It tries the bounded
//! queue; when that is full the event is parked in a lock-free overflow list the drainer also
//! empties; only when both are full (the drainer is hopelessly behind) is the event dropped.

use crate::pipeline::record::Event;
use crate::pipeline::stats::{PipelineStats, StatsSnapshot};
use crossbeam_channel::{Sender, TrySendError};
use crossbeam_queue::SegQueue;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use crate::pipeline::outbox::{CheckedCall, RecordMeta};

/// Checked calls a producer is gathering into a batch. The drainer takes what
/// is there on every wake-up (so nothing waits longer than a flush interval)
/// and seals it at shutdown (later pushes are counted as dropped, not lost).
#[derive(Debug)]
pub struct PendingBatch {
    pub meta: Arc<RecordMeta>,
    pub calls: Vec<CheckedCall>,
    pub sealed: bool,
}

pub type PendingRef = Arc<parking_lot::Mutex<PendingBatch>>;

/// State shared by the sinks, the pipeline handle and the drainer thread.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub stats: Arc<PipelineStats>,
    pub overflow: SegQueue<Event>,
    pub overflow_capacity: u64,
    pub closed: AtomicBool,
    /// Producers' partial batches, for the drainer to take.
    pub pending: parking_lot::Mutex<Vec<Weak<parking_lot::Mutex<PendingBatch>>>>,
}

impl Shared {
    pub fn pop_overflow(&self) -> Option<Event> {
        let event = self.overflow.pop()?;
        self.stats
            .overflow_len
            .fetch_sub(event.weight(), Ordering::Relaxed);
        Some(event)
    }

    /// Takes every producer's partial batch (and seals them when `seal`).
    pub fn take_pending(&self, seal: bool) -> Vec<(Arc<RecordMeta>, Vec<CheckedCall>)> {
        let mut out = Vec::new();
        let mut list = self.pending.lock();
        list.retain(|w| match w.upgrade() {
            Some(p) => {
                // A producer holds its batch's lock for a push. If the lock stays taken, that
                // producer is stopped mid-push (a worker parked by its exit signal): skip its
                // batch rather than wait forever (the final take waits a little first).
                let p = if seal {
                    p.try_lock_for(std::time::Duration::from_millis(50))
                } else {
                    p.try_lock()
                };
                let Some(mut p) = p else {
                    return true;
                };
                if !p.calls.is_empty() {
                    out.push((p.meta.clone(), std::mem::take(&mut p.calls)));
                }
                p.sealed |= seal;
                true
            }
            None => false,
        });
        // Handed over now, not through the queue: count them here.
        let n: usize = out.iter().map(|(_, v)| v.len()).sum();
        PipelineStats::add(&self.stats.enqueued, n as u64);
        out
    }
}

/// Where the call path drops its records. Cheap to clone (an `Arc` and a channel handle).
#[derive(Debug, Clone)]
pub struct EventSink {
    pub(crate) tx: Option<Sender<Event>>,
    pub(crate) shared: Arc<Shared>,
    /// Calls are wanted (ClickHouse is configured); else only alerts travel.
    pub(crate) calls: bool,
    /// The hand-off ring (`handoff_bytes`), tried before the in-memory queue.
    pub(crate) handoff: Option<Arc<crate::pipeline::handoff::HandOff>>,
}

impl EventSink {
    /// Counts an event that had nowhere to go (no ClickHouse configured),
    /// without building it.
    pub fn discard(&self) {
        PipelineStats::add(&self.shared.stats.discarded_disabled, 1);
    }

    /// A new partial batch the drainer knows about (see [`PendingBatch`]).
    pub fn new_pending(&self, meta: Arc<RecordMeta>) -> PendingRef {
        let p: PendingRef = Arc::new(parking_lot::Mutex::new(PendingBatch {
            meta,
            calls: Vec::new(),
            sealed: false,
        }));
        self.shared.pending.lock().push(Arc::downgrade(&p));
        p
    }

    /// Counts events that arrived after the pipeline was shut down.
    pub fn dropped_closed(&self, n: u64) {
        PipelineStats::add(&self.shared.stats.dropped_closed, n);
    }

    /// Hands `event` to the pipeline without blocking; counted in the stats whatever happens.
    #[inline]
    pub fn submit(&self, event: Event) {
        let stats = &self.shared.stats;
        let w = event.weight();
        let Some(tx) = &self.tx else {
            PipelineStats::add(&stats.discarded_disabled, w);
            return;
        };
        match tx.try_send(event) {
            Ok(()) => PipelineStats::add(&stats.enqueued, w),
            Err(TrySendError::Full(event)) => self.overflow(event),
            Err(TrySendError::Disconnected(_)) => PipelineStats::add(&stats.dropped_closed, w),
        }
    }

    #[cold]
    fn overflow(&self, event: Event) {
        let shared = &self.shared;
        let stats = &shared.stats;
        let w = event.weight();
        if shared.closed.load(Ordering::Acquire) {
            PipelineStats::add(&stats.dropped_closed, w);
            return;
        }
        if stats.overflow_len.fetch_add(w, Ordering::Relaxed) < shared.overflow_capacity {
            shared.overflow.push(event);
            PipelineStats::add(&stats.enqueued, w);
            PipelineStats::add(&stats.overflowed, w);
        } else {
            stats.overflow_len.fetch_sub(w, Ordering::Relaxed);
            PipelineStats::add(&stats.dropped_queue_full, w);
        }
    }

    /// The hand-off ring, when the pipeline has one.
    pub(crate) fn handoff(&self) -> Option<&crate::pipeline::handoff::HandOff> {
        self.handoff.as_deref()
    }

    pub(crate) fn stats_ref(&self) -> &PipelineStats {
        &self.shared.stats
    }

    /// Whether a drainer runs (ClickHouse or alert lanes).
    pub fn has_drainer(&self) -> bool {
        self.tx.is_some()
    }

    /// False when no ClickHouse is configured: calls are only counted (alerts may still
    /// go to webhook receivers).
    pub fn is_enabled(&self) -> bool {
        self.tx.is_some() && self.calls
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.shared
            .stats
            .snapshot(self.tx.as_ref().map_or(0, |tx| tx.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_locked_for_good_is_skipped_not_waited_for() {
        // A worker parked by its exit signal in the middle of a push keeps its batch's
        // lock: the drainer's takes must go on without it (the final one after 50 ms).
        let sink = EventSink {
            tx: None,
            shared: Arc::new(Shared::default()),
            calls: false,
            handoff: None,
        };
        let shared = &sink.shared;
        let stuck = sink.new_pending(Arc::new(RecordMeta::for_tests()));
        let free = sink.new_pending(Arc::new(RecordMeta::for_tests()));
        let _held = stuck.lock();
        let started = std::time::Instant::now();
        assert!(shared.take_pending(false).is_empty());
        assert!(shared.take_pending(true).is_empty());
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert!(
            free.lock().sealed,
            "the batch that could be taken is sealed"
        );
    }
}
