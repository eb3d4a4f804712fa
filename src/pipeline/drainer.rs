//! The background thread: drains the queue into per-table batches, sends a batch to its
//! [`Destination`] when it is full or `flush_interval_ms` old, and on any failure spools it and
//! backs off. While the spool holds anything, new batches go behind it, so delivery stays in
//! order; the oldest spooled batch is the probe that tells the destination is back.

use crate::config::PipelineConfig;
use crate::pipeline::record::{AlertRecord, CallRecord, Event};
use crate::pipeline::sink::Shared;
use crate::pipeline::spool::{AppendError, CheckedBatch, Spool, SpoolBatch};
use crate::pipeline::stats::PipelineStats;
use crate::pipeline::Destination;
use crossbeam_channel::{select, Receiver};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BACKOFF_START: Duration = Duration::from_millis(200);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// Time the drainer spends replaying the spool before it looks at the queue again.
const REPLAY_SLICE: Duration = Duration::from_millis(200);
const LOG_EVERY: Duration = Duration::from_secs(10);

pub(crate) struct Drainer {
    pub rx: Receiver<Event>,
    pub stop: Receiver<Duration>,
    pub shared: Arc<Shared>,
    pub destination: Box<dyn Destination>,
    pub spool: Spool,
    pub batch_size: usize,
    pub flush_interval: Duration,
    pub insert_timeout: Duration,
    calls: Vec<CallRecord>,
    /// The call path's hand-off batches (see [`CheckedBatch`]).
    checked: CheckedBatch,
    alerts: Vec<AlertRecord>,
    oldest: Option<Instant>,
    backoff: Duration,
    retry_at: Option<Instant>,
    last_log: Option<Instant>,
    /// During shutdown: nothing may take longer than this.
    deadline: Option<Instant>,
}

impl Drainer {
    pub fn new(
        cfg: &PipelineConfig,
        rx: Receiver<Event>,
        stop: Receiver<Duration>,
        shared: Arc<Shared>,
        spool: Spool,
        destination: Box<dyn Destination>,
    ) -> Drainer {
        Drainer {
            rx,
            stop,
            shared,
            destination,
            spool,
            batch_size: cfg.batch_size,
            flush_interval: cfg.flush_interval(),
            insert_timeout: cfg.insert_timeout(),
            calls: Vec::new(),
            checked: CheckedBatch::default(),
            alerts: Vec::new(),
            oldest: None,
            backoff: BACKOFF_START,
            retry_at: None,
            last_log: None,
            deadline: None,
        }
    }

    pub fn run(mut self) {
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
            if self
                .oldest
                .is_some_and(|t| t.elapsed() >= self.flush_interval)
            {
                self.flush_all();
            }
            self.replay(REPLAY_SLICE);
        }
    }

    fn next_wakeup(&self) -> Duration {
        let mut wait = Duration::from_millis(500);
        if let Some(oldest) = self.oldest {
            wait = wait.min(self.flush_interval.saturating_sub(oldest.elapsed()));
        }
        if !self.spool.is_empty() {
            let retry = self.retry_at.map_or(Duration::ZERO, |t| {
                t.saturating_duration_since(Instant::now())
            });
            wait = wait.min(retry);
        }
        wait
    }

    /// Takes what is already waiting (queue and overflow) without blocking, flushing full batches.
    fn take_ready(&mut self) {
        let mut budget = self.batch_size.saturating_mul(4);
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
        self.oldest.get_or_insert_with(Instant::now);
        self.checked.push(meta, calls);
        if self.checked.len >= self.batch_size {
            let batch = SpoolBatch::Checked(std::mem::take(&mut self.checked));
            self.deliver(batch);
        }
    }

    /// Producers' partial batches, taken on every wake-up.
    fn take_pending(&mut self, seal: bool) {
        for (meta, batch) in self.shared.take_pending(seal) {
            self.push_checked(meta, batch);
        }
    }

    fn push(&mut self, event: Event) {
        self.oldest.get_or_insert_with(Instant::now);
        match event {
            Event::Batch(meta, batch) => self.push_checked(meta, batch),
            Event::Call(call) => {
                self.calls.push(*call);
                if self.calls.len() >= self.batch_size {
                    let batch = SpoolBatch::Calls(std::mem::take(&mut self.calls));
                    self.deliver(batch);
                }
            }
            Event::Alert(alert) => {
                self.alerts.push(*alert);
                if self.alerts.len() >= self.batch_size {
                    let batch = SpoolBatch::Alerts(std::mem::take(&mut self.alerts));
                    self.deliver(batch);
                }
            }
        }
        if self.calls.is_empty() && self.checked.len == 0 && self.alerts.is_empty() {
            self.oldest = None;
        }
    }

    fn flush_all(&mut self) {
        self.oldest = None;
        if !self.alerts.is_empty() {
            let batch = SpoolBatch::Alerts(std::mem::take(&mut self.alerts));
            self.deliver(batch);
        }
        if self.checked.len > 0 {
            let batch = SpoolBatch::Checked(std::mem::take(&mut self.checked));
            self.deliver(batch);
        }
        if !self.calls.is_empty() {
            let batch = SpoolBatch::Calls(std::mem::take(&mut self.calls));
            self.deliver(batch);
        }
    }

    fn backing_off(&self) -> bool {
        self.retry_at.is_some_and(|t| Instant::now() < t)
    }

    fn timeout_now(&self) -> Option<Duration> {
        match self.deadline {
            None => Some(self.insert_timeout),
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                (!left.is_zero()).then(|| left.min(self.insert_timeout))
            }
        }
    }

    /// Sends a batch to ClickHouse, or to the spool when that is not possible right now.
    fn deliver(&mut self, batch: SpoolBatch) {
        if !self.spool.is_empty() || self.backing_off() {
            return self.spool_batch(batch);
        }
        let Some(timeout) = self.timeout_now() else {
            return self.spool_batch(batch);
        };
        match self.destination.deliver(&batch, timeout) {
            Ok(()) => self.delivered(&batch),
            Err(e) => {
                self.failed(&e);
                self.spool_batch(batch);
            }
        }
    }

    fn delivered(&mut self, batch: &SpoolBatch) {
        let stats = &self.shared.stats;
        PipelineStats::add(&stats.batches, 1);
        match batch {
            SpoolBatch::Calls(rows) => PipelineStats::add(&stats.inserted_calls, rows.len() as u64),
            SpoolBatch::Checked(b) => PipelineStats::add(&stats.inserted_calls, b.len as u64),
            SpoolBatch::Alerts(rows) => {
                PipelineStats::add(&stats.inserted_alerts, rows.len() as u64)
            }
        }
        self.backoff = BACKOFF_START;
        self.retry_at = None;
    }

    fn failed(&mut self, error: &anyhow::Error) {
        PipelineStats::add(&self.shared.stats.insert_errors, 1);
        self.log_limited(&format!(
            "{} delivery failed, spooling and retrying in {:?}: {error:#}",
            self.destination.name(),
            self.backoff
        ));
        self.retry_at = Some(Instant::now() + self.backoff);
        self.backoff = (self.backoff * 2).min(BACKOFF_MAX);
    }

    fn spool_batch(&mut self, batch: SpoolBatch) {
        let stats = &self.shared.stats;
        match self.spool.append(&batch) {
            Ok(()) => {}
            Err(AppendError::Full) => {
                PipelineStats::add(&stats.dropped_spool_full, batch.len() as u64);
                self.log_limited(&format!(
                    "spool full ({} bytes): dropped {} events",
                    self.spool.bytes(),
                    batch.len()
                ));
            }
            Err(AppendError::Io(e)) => {
                PipelineStats::add(&stats.dropped_spool_error, batch.len() as u64);
                self.log_limited(&format!(
                    "spool write failed, dropped {} events: {e:#}",
                    batch.len()
                ));
            }
        }
    }

    /// Delivers spooled batches, oldest first, for at most `slice`.
    fn replay(&mut self, slice: Duration) {
        let started = Instant::now();
        while !self.spool.is_empty() && !self.backing_off() && started.elapsed() < slice {
            let batch = match self.spool.peek() {
                Ok(Some(batch)) => batch,
                Ok(None) => break,
                Err(e) => {
                    self.log_limited(&format!("spool read failed: {e:#}"));
                    self.retry_at = Some(Instant::now() + BACKOFF_MAX);
                    break;
                }
            };
            let Some(timeout) = self.timeout_now() else {
                break;
            };
            match self.destination.deliver(&batch, timeout) {
                Ok(()) => {
                    if let Err(e) = self.spool.ack() {
                        self.log_limited(&format!(
                            "spool ack failed (batch may be sent twice): {e:#}"
                        ));
                    }
                    PipelineStats::add(&self.shared.stats.replayed_from_spool, batch.len() as u64);
                    self.delivered(&batch);
                }
                Err(e) => {
                    self.failed(&e);
                    break;
                }
            }
        }
    }

    /// Shutdown: everything queued goes to ClickHouse (or the spool once `timeout` is spent).
    fn finish(mut self, timeout: Duration) {
        self.deadline = Some(Instant::now() + timeout);
        self.shared
            .closed
            .store(true, std::sync::atomic::Ordering::Release);
        self.take_pending(true);
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
        // Give the spool its chance while time remains (ClickHouse may be back).
        self.retry_at = None;
        while !self.spool.is_empty() && self.timeout_now().is_some() && !self.backing_off() {
            self.replay(REPLAY_SLICE);
        }
    }

    fn log_limited(&mut self, message: &str) {
        if self.last_log.is_none_or(|t| t.elapsed() >= LOG_EVERY) {
            self.last_log = Some(Instant::now());
            tracing::warn!("acm pipeline: {message}");
        }
    }
}
