//! The call path's side of the hand-off: `EventSink::submit` never blocks. It tries the bounded
//! queue; when that is full the event is parked in a lock-free overflow list the drainer also
//! empties; only when both are full (the drainer is hopelessly behind) is the event dropped.

use crate::pipeline::record::Event;
use crate::pipeline::stats::{PipelineStats, StatsSnapshot};
use crossbeam_channel::{Sender, TrySendError};
use crossbeam_queue::SegQueue;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// State shared by the sinks, the pipeline handle and the drainer thread.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub stats: Arc<PipelineStats>,
    pub overflow: SegQueue<Event>,
    pub overflow_capacity: u64,
    pub closed: AtomicBool,
}

impl Shared {
    pub fn pop_overflow(&self) -> Option<Event> {
        let event = self.overflow.pop()?;
        self.stats.overflow_len.fetch_sub(1, Ordering::Relaxed);
        Some(event)
    }
}

/// Where the call path drops its records. Cheap to clone (an `Arc` and a channel handle).
#[derive(Debug, Clone)]
pub struct EventSink {
    pub(crate) tx: Option<Sender<Event>>,
    pub(crate) shared: Arc<Shared>,
}

impl EventSink {
    /// Counts an event that had nowhere to go (no ClickHouse configured),
    /// without building it.
    pub fn discard(&self) {
        PipelineStats::add(&self.shared.stats.discarded_disabled, 1);
    }

    /// Hands `event` to the pipeline without blocking; counted in the stats whatever happens.
    #[inline]
    pub fn submit(&self, event: Event) {
        let stats = &self.shared.stats;
        let Some(tx) = &self.tx else {
            PipelineStats::add(&stats.discarded_disabled, 1);
            return;
        };
        match tx.try_send(event) {
            Ok(()) => PipelineStats::add(&stats.enqueued, 1),
            Err(TrySendError::Full(event)) => self.overflow(event),
            Err(TrySendError::Disconnected(_)) => PipelineStats::add(&stats.dropped_closed, 1),
        }
    }

    #[cold]
    fn overflow(&self, event: Event) {
        let shared = &self.shared;
        let stats = &shared.stats;
        if shared.closed.load(Ordering::Acquire) {
            PipelineStats::add(&stats.dropped_closed, 1);
            return;
        }
        if stats.overflow_len.fetch_add(1, Ordering::Relaxed) < shared.overflow_capacity {
            shared.overflow.push(event);
            PipelineStats::add(&stats.enqueued, 1);
            PipelineStats::add(&stats.overflowed, 1);
        } else {
            stats.overflow_len.fetch_sub(1, Ordering::Relaxed);
            PipelineStats::add(&stats.dropped_queue_full, 1);
        }
    }

    /// False when no ClickHouse is configured: submitted events are only counted.
    pub fn is_enabled(&self) -> bool {
        self.tx.is_some()
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.shared
            .stats
            .snapshot(self.tx.as_ref().map_or(0, |tx| tx.len()))
    }
}
