// SPDX-License-Identifier: MIT OR Apache-2.0
//! The background thread: drains the queue into per-table batches and hands them to its
//! lanes (see `lane`): ClickHouse gets calls and alerts batched, sent when a batch is full or
//! `flush_interval_ms` old; each alert lane (webhook receiver, teardown) gets every alert its
//! filter passes at once, one delivery per alert. A lane that fails spools and backs off on
//! its own, so a receiver that is down delays neither ClickHouse nor the other receivers
//! (beyond its request timeout).

use crate::pipeline::handoff::HandOff;
use crate::pipeline::lane::Lane;
use crate::pipeline::record::{AlertRecord, CallRecord, Event};
use crate::pipeline::ring::Ring;
use crate::pipeline::ring_reader::{Item, RingReader};
use crate::pipeline::sink::Shared;
use crate::pipeline::spool::{CheckedBatch, SpoolBatch};
use crate::pipeline::stats::PipelineStats;
use crossbeam_channel::{select, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the drainer looks at its hand-off ring (the call path writes there without
/// waking it).
const RING_POLL: Duration = Duration::from_millis(20);
/// Records taken from the ring per look before the drainer turns to its other work.
const RING_BUDGET: usize = 16_384;

/// Time the drainer spends replaying one lane's spool before it looks at the queue again.
const REPLAY_SLICE: Duration = Duration::from_millis(200);

/// How the drainer batches for ClickHouse.
pub(crate) struct Batching {
    pub batch_size: usize,
    pub flush_interval: Duration,
    /// Alerts wait at most this long for ClickHouse (`alerts_flush_ms`, not
    /// `flush_interval_ms`): `acm serve` follows the table, and people wait for what it
    /// shows. Alerts are few (one per rule and key per cooldown): few extra INSERTs.
    pub alerts_flush: Duration,
    pub insert_timeout: Duration,
}

pub(crate) struct Drainer {
    pub rx: Receiver<Event>,
    pub stop: Receiver<Duration>,
    pub shared: Arc<Shared>,
    /// ClickHouse, when configured: calls and alerts in batches.
    primary: Option<Lane>,
    /// Webhook receivers and teardown: one alert per delivery.
    alert_lanes: Vec<Lane>,
    batching: Batching,
    calls: Vec<CallRecord>,
    /// The call path's hand-off batches (see [`CheckedBatch`]).
    checked: CheckedBatch,
    alerts: Vec<AlertRecord>,
    oldest: Option<Instant>,
    /// When the oldest alert waiting for ClickHouse arrived.
    oldest_alert: Option<Instant>,
    /// During shutdown: nothing may take longer than this.
    deadline: Option<Instant>,
    /// This process's hand-off ring (the call path's records), when there is one.
    ring: Option<RingReader>,
    /// The producer's side of it, sealed at shutdown.
    handoff: Option<Arc<HandOff>>,
    /// Rings of processes that died, delivered when the drainer starts.
    orphans: Vec<Arc<Ring>>,
    /// `handoff_sync_ms`: how often the ring is forced to disk.
    sync_every: Option<Duration>,
    last_sync: Instant,
}

impl Drainer {
    pub fn new(
        batching: Batching,
        rx: Receiver<Event>,
        stop: Receiver<Duration>,
        shared: Arc<Shared>,
        primary: Option<Lane>,
        alert_lanes: Vec<Lane>,
    ) -> Drainer {
        Drainer {
            rx,
            stop,
            shared,
            primary,
            alert_lanes,
            batching,
            calls: Vec::new(),
            checked: CheckedBatch::default(),
            alerts: Vec::new(),
            oldest: None,
            oldest_alert: None,
            deadline: None,
            ring: None,
            handoff: None,
            orphans: Vec::new(),
            sync_every: None,
            last_sync: Instant::now(),
        }
    }

    /// Reads the call path's records from `handoff`'s ring, and first those of `orphans`.
    pub fn with_handoff(
        mut self,
        handoff: Arc<HandOff>,
        reader: RingReader,
        orphans: Vec<Arc<Ring>>,
        sync_every: Option<Duration>,
    ) -> Drainer {
        self.handoff = Some(handoff);
        self.ring = Some(reader);
        self.orphans = orphans;
        self.sync_every = sync_every;
        self
    }

    pub fn run(mut self) {
        self.recover_orphans();
        loop {
            let wait = self.next_wakeup();
            select! {
                recv(self.rx) -> event => match event {
                    Ok(event) => self.push(event),
                    Err(_) => return self.finish(Duration::from_secs(5)),
                },
                recv(self.stop) -> timeout => {
                    return self.finish(timeout.unwrap_or(Duration::from_secs(5)));
                }
                default(wait) => {}
            }
            self.take_ready();
            self.take_pending(false);
            self.take_ring(RING_BUDGET);
            self.sync_ring(false);
            if self
                .oldest
                .is_some_and(|t| t.elapsed() >= self.batching.flush_interval)
            {
                self.flush_all();
            }
            if self
                .oldest_alert
                .is_some_and(|t| t.elapsed() >= self.batching.alerts_flush)
            {
                self.flush_alerts();
            }
            self.replay(REPLAY_SLICE);
        }
    }

    fn lanes(&mut self) -> impl Iterator<Item = &mut Lane> {
        self.primary.iter_mut().chain(self.alert_lanes.iter_mut())
    }

    fn next_wakeup(&mut self) -> Duration {
        let mut wait = Duration::from_millis(500);
        if self.ring.is_some() {
            wait = wait.min(RING_POLL);
        }
        if let Some(oldest) = self.oldest {
            wait = wait.min(
                self.batching
                    .flush_interval
                    .saturating_sub(oldest.elapsed()),
            );
        }
        for lane in self.lanes() {
            if let Some(retry) = lane.retry_in() {
                wait = wait.min(retry);
            }
        }
        wait
    }

    /// Takes what is already waiting (queue and overflow) without blocking, flushing full batches.
    fn take_ready(&mut self) {
        let mut budget = self.batching.batch_size.saturating_mul(4);
        while budget > 0 {
            match self.rx.try_recv() {
                Ok(event) => self.push(event),
                Err(_) => break,
            }
            budget -= 1;
        }
        while budget > 0 {
            match self.shared.pop_overflow() {
                Some(event) => self.push(event),
                None => break,
            }
            budget -= 1;
        }
    }

    fn push_checked(
        &mut self,
        meta: Arc<crate::pipeline::outbox::RecordMeta>,
        calls: Vec<crate::pipeline::outbox::CheckedCall>,
    ) {
        if self.primary.is_none() {
            return;
        }
        self.oldest.get_or_insert_with(Instant::now);
        self.checked.push(meta, calls);
        if self.checked.len >= self.batching.batch_size {
            let batch = SpoolBatch::Checked(std::mem::take(&mut self.checked));
            self.deliver(batch);
        }
    }

    /// Records the call path wrote into the ring, at most `budget` of them; the ring's
    /// acknowledgements follow each one (a batch that filled was inserted or spooled).
    fn take_ring(&mut self, budget: usize) {
        for _ in 0..budget {
            let Some(reader) = self.ring.as_mut() else {
                return;
            };
            let pos = reader.read;
            let Some((item, next)) = reader.next() else {
                break;
            };
            let meta = reader.meta.clone();
            if matches!(item, Item::Call(_) | Item::Alert { .. }) {
                reader.recovered += u64::from(reader.is_adopted());
            }
            match item {
                Item::Call(call) => {
                    if self.primary.is_some() {
                        if reader.calls_from.is_none() {
                            reader.calls_from = Some(pos);
                        }
                        self.oldest.get_or_insert_with(Instant::now);
                        self.checked.push_one(meta, call);
                        if self.checked.len >= self.batching.batch_size {
                            let batch = SpoolBatch::Checked(std::mem::take(&mut self.checked));
                            self.deliver(batch);
                        }
                    }
                }
                Item::Alert {
                    record,
                    to_clickhouse,
                    to_lanes,
                } => {
                    if to_clickhouse && self.primary.is_some() && reader.alerts_from.is_none() {
                        reader.alerts_from = Some(pos);
                    }
                    self.push_alert(record, to_lanes, to_clickhouse);
                }
                Item::Skip { corrupt } => {
                    if corrupt {
                        PipelineStats::add(&self.shared.stats.handoff_corrupt, 1);
                    }
                }
            }
            if let Some(reader) = self.ring.as_mut() {
                reader.read = next;
                reader.store_acks();
            }
        }
        if let Some(reader) = &self.ring {
            reader.store_acks();
        }
    }

    /// `handoff_sync_ms`: forces the ring to disk when due (or now, with `force`).
    fn sync_ring(&mut self, force: bool) {
        let (Some(every), Some(reader)) = (self.sync_every, &self.ring) else {
            return;
        };
        if force || self.last_sync.elapsed() >= every {
            if let Err(e) = reader.ring.sync() {
                tracing::warn!("hand-off: msync {}: {e}", reader.ring.path().display());
            }
            self.last_sync = Instant::now();
        }
    }

    /// Delivers (or spools) what dead processes left in their rings, one ring at a time, and
    /// deletes each ring once everything in it is handled.
    fn recover_orphans(&mut self) {
        let live = self.ring.take();
        for ring in std::mem::take(&mut self.orphans) {
            let (pid, _, _) = ring.owner();
            self.ring = Some(RingReader::adopted(ring.clone()));
            while self.ring.as_ref().is_some_and(|r| r.pending()) {
                self.take_ring(RING_BUDGET);
            }
            // Counted as soon as read back (before the INSERT makes them visible).
            let recovered = self.ring.as_ref().map_or(0, |r| r.recovered);
            PipelineStats::add(&self.shared.stats.handoff_recovered, recovered);
            self.flush_all();
            let reader = self.ring.take().expect("adopted ring");
            reader.store_acks();
            if reader.done() {
                tracing::info!(
                    "hand-off: recovered {} events left by process {pid} in {}",
                    reader.recovered,
                    ring.path().display()
                );
                ring.remove();
            }
        }
        self.ring = live;
    }

    /// Producers' partial batches, taken on every wake-up.
    fn take_pending(&mut self, seal: bool) {
        for (meta, batch) in self.shared.take_pending(seal) {
            self.push_checked(meta, batch);
        }
    }

    fn push(&mut self, event: Event) {
        match event {
            Event::Batch(meta, batch) => self.push_checked(meta, batch),
            Event::Call(call) => {
                if self.primary.is_some() {
                    self.oldest.get_or_insert_with(Instant::now);
                    self.calls.push(*call);
                    if self.calls.len() >= self.batching.batch_size {
                        let batch = SpoolBatch::Calls(std::mem::take(&mut self.calls));
                        self.deliver(batch);
                    }
                }
            }
            Event::Raised(meta, alert) => {
                self.push(Event::Alert(Box::new(meta.alert_record(&alert))))
            }
            Event::Alert(alert) => self.push_alert(*alert, true, true),
        }
        if self.calls.is_empty() && self.checked.len == 0 && self.alerts.is_empty() {
            self.oldest = None;
        }
    }

    /// An alert to the alert lanes (at once) and to ClickHouse's alerts batch.
    fn push_alert(&mut self, alert: AlertRecord, to_lanes: bool, to_clickhouse: bool) {
        // Alert lanes first: a person waits for these.
        if to_lanes {
            let timeout = self.timeout_now();
            for lane in &mut self.alert_lanes {
                if lane.destination.accepts(&alert) {
                    lane.deliver(SpoolBatch::Alerts(vec![alert.clone()]), timeout);
                }
            }
        }
        if to_clickhouse && self.primary.is_some() {
            self.oldest.get_or_insert_with(Instant::now);
            self.oldest_alert.get_or_insert_with(Instant::now);
            self.alerts.push(alert);
            if self.alerts.len() >= self.batching.batch_size {
                let batch = SpoolBatch::Alerts(std::mem::take(&mut self.alerts));
                self.deliver(batch);
            }
        }
    }

    fn flush_alerts(&mut self) {
        self.oldest_alert = None;
        if !self.alerts.is_empty() {
            let batch = SpoolBatch::Alerts(std::mem::take(&mut self.alerts));
            self.deliver(batch);
        }
    }

    fn flush_all(&mut self) {
        self.oldest = None;
        self.flush_alerts();
        if self.checked.len > 0 {
            let batch = SpoolBatch::Checked(std::mem::take(&mut self.checked));
            self.deliver(batch);
        }
        if !self.calls.is_empty() {
            let batch = SpoolBatch::Calls(std::mem::take(&mut self.calls));
            self.deliver(batch);
        }
    }

    fn timeout_now(&self) -> Option<Duration> {
        timeout_left(self.deadline, self.batching.insert_timeout)
    }

    /// Sends a batch to ClickHouse, or to its spool when that is not possible right now.
    fn deliver(&mut self, batch: SpoolBatch) {
        let timeout = self.timeout_now();
        let kind = (
            matches!(batch, SpoolBatch::Checked(_)),
            matches!(batch, SpoolBatch::Alerts(_)),
        );
        if let Some(primary) = &mut self.primary {
            primary.deliver(batch, timeout);
        }
        // Inserted or spooled: the ring's records of that batch are handled.
        if let Some(reader) = &mut self.ring {
            if kind.0 {
                reader.calls_from = None;
            }
            if kind.1 {
                reader.alerts_from = None;
            }
            reader.store_acks();
        }
    }

    /// Each lane's spool, oldest first, for at most `slice` per lane.
    fn replay(&mut self, slice: Duration) {
        let (deadline, insert_timeout) = (self.deadline, self.batching.insert_timeout);
        for lane in self.lanes() {
            lane.replay(slice, || timeout_left(deadline, insert_timeout));
        }
    }

    /// Shutdown: everything queued goes to its lanes (or their spools once `timeout` is spent).
    fn finish(mut self, timeout: Duration) {
        self.deadline = Some(Instant::now() + timeout);
        self.shared
            .closed
            .store(true, std::sync::atomic::Ordering::Release);
        if let Some(h) = &self.handoff {
            h.seal();
        }
        self.take_pending(true);
        while self.ring.as_ref().is_some_and(|r| r.pending()) {
            self.take_ring(RING_BUDGET);
        }
        loop {
            let before = self.calls.len() + self.checked.len + self.alerts.len();
            self.take_ready();
            if self.calls.len() + self.checked.len + self.alerts.len() == before
                && self.rx.is_empty()
                && self.shared.overflow.is_empty()
            {
                break;
            }
        }
        self.flush_all();
        if let Some(reader) = self.ring.take() {
            reader.store_acks();
            if reader.done() {
                reader.ring.remove(); // everything in it was inserted or spooled
            } else if let Err(e) = reader.ring.sync() {
                tracing::warn!("hand-off: msync {}: {e}", reader.ring.path().display());
            }
        }
        // Give the spools their chance while time remains (destinations may be back).
        for lane in self.lanes() {
            lane.retry_now();
        }
        while self.timeout_now().is_some() {
            let pending = self
                .lanes()
                .any(|l| !l.spool.is_empty() && !l.backing_off());
            if !pending {
                break;
            }
            self.replay(REPLAY_SLICE);
        }
    }
}

fn timeout_left(deadline: Option<Instant>, max: Duration) -> Option<Duration> {
    match deadline {
        None => Some(max),
        Some(deadline) => {
            let left = deadline.saturating_duration_since(Instant::now());
            (!left.is_zero()).then(|| left.min(max))
        }
    }
}
