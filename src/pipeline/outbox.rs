// SPDX-License-Identifier: MIT OR Apache-2.0
//! The outbox: the pipeline's [`VerdictSink`]. It turns verdicts and alerts
//! into the records the ClickHouse pipeline stores, and hands them to the
//! drainer without blocking the call.
//!
//! On the call path a checked call is queued as a compact [`CheckedCall`]
//! (one allocation, no per-field strings); the drainer thread builds the row.

use std::sync::Arc;

use compact_str::CompactString;

use crate::config::Config;
use crate::detector::VerdictSink;
use crate::engine::{Action, Alert, Call, Reason, Reasons, Verdict};
use crate::pipeline::handoff::{HandOff, Refused};
use crate::pipeline::sink::PendingRef;
use crate::pipeline::stats::PipelineStats;
use crate::pipeline::{AlertLane, AlertRecord, CallRecord, Event, EventSink, Pipeline};

/// Checked calls handed to the drainer together (see [`crate::pipeline::sink::PendingBatch`]).
const HANDOFF_BATCH: usize = 64;

/// A Call-ID kept inline up to 63 bytes (typical SIP Call-IDs are 30-50), so
/// queueing a call allocates nothing that the drainer's thread would free.
#[derive(Debug, Clone, PartialEq)]
pub enum CallId {
    Inline { len: u8, bytes: [u8; 63] },
    Heap(Box<str>),
}

impl CallId {
    pub(crate) fn new(s: &str) -> CallId {
        if s.len() <= 63 {
            let mut bytes = [0u8; 63];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            CallId::Inline {
                len: s.len() as u8,
                bytes,
            }
        } else {
            CallId::Heap(s.into())
        }
    }

    fn as_str(&self) -> &str {
        match self {
            // Copied from a &str whole, so always valid UTF-8.
            CallId::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..*len as usize]).unwrap_or("")
            }
            CallId::Heap(s) => s,
        }
    }
}

/// What every record of a process carries; travels once per batch, not per
/// call (a per-call reference count would bounce between cores).
#[derive(Debug, PartialEq)]
pub struct RecordMeta {
    pub(crate) node: String,
    pub(crate) mode: &'static str,
    /// Each rule's severity (`[alerts] severity`).
    pub(crate) alerts: crate::config::AlertsConfig,
}

impl RecordMeta {
    #[cfg(test)]
    pub(crate) fn for_tests() -> RecordMeta {
        RecordMeta {
            node: "test".into(),
            mode: "enforce",
            alerts: Default::default(),
        }
    }

    /// The record of an alert raised by this process.
    pub fn alert_record(&self, a: &Alert) -> AlertRecord {
        let mut sources: Vec<String> = a
            .evidence
            .iter()
            .filter(|e| !e.source.is_empty())
            .map(|e| e.source.to_string())
            .collect();
        sources.sort();
        sources.dedup();
        AlertRecord {
            alert_id: a.id.to_string(),
            raised_at_ms: a.raised_at_ms,
            rule: a.rule.code().to_string(),
            key: a.key.to_string(),
            action: a.action,
            window_ms: a.window_ms,
            threshold: a.threshold,
            count: a.count,
            a_numbers: a.evidence.iter().map(|e| e.a_number.to_string()).collect(),
            call_ids: a.evidence.iter().map(|e| e.call_id.to_string()).collect(),
            sources,
            mode: self.mode.to_string(),
            node: self.node.clone(),
            severity: self.alerts.severity_of(a.rule.code()).as_str().to_string(),
        }
    }
}

/// A judged call waiting for the drainer to make it a row: only what the row
/// needs, as few cache lines as possible on the call path.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedCall {
    pub(crate) call_id: CallId,
    pub(crate) a_number: CompactString,
    pub(crate) b_number: CompactString,
    pub(crate) trunk: Option<CompactString>,
    pub(crate) pai: Option<CompactString>,
    pub(crate) alert_id: Option<CompactString>,
    pub(crate) source_ip: Option<std::net::IpAddr>,
    pub(crate) time_ms: i64,
    pub(crate) reasons: Reasons,
    pub(crate) distinct_callers: u32,
    pub(crate) cli_calls: u32,
    pub(crate) rotation_clis: u32,
    pub(crate) check_us: u32,
    pub(crate) action: Action,
    pub(crate) attestation: crate::engine::Attestation,
    pub(crate) degraded: bool,
}

impl CheckedCall {
    pub fn into_record(self, meta: &RecordMeta) -> CallRecord {
        self.record(meta)
    }

    /// The row this call becomes (built by the drainer, one at a time while inserting).
    pub fn record(&self, meta: &RecordMeta) -> CallRecord {
        CallRecord {
            event_time_ms: self.time_ms,
            call_id: self.call_id.as_str().to_string(),
            a_number: self.a_number.to_string(),
            b_number: self.b_number.to_string(),
            source_ip: self.source_ip.map(|i| i.to_string()).unwrap_or_default(),
            trunk: self.trunk.as_deref().unwrap_or("").to_string(),
            pai: self.pai.as_deref().unwrap_or("").to_string(),
            attestation: self.attestation.as_str().to_string(),
            action: self.action,
            reasons: self.reasons.iter().map(|r| r.code().to_string()).collect(),
            alert_id: self.alert_id.as_deref().unwrap_or("").to_string(),
            distinct_callers: self.distinct_callers,
            cli_calls: self.cli_calls,
            rotation_clis: self.rotation_clis,
            check_us: self.check_us,
            degraded: self.degraded,
            mode: meta.mode.to_string(),
            node: meta.node.clone(),
        }
    }
}

/// Where a process's events go, with the node name and mode they carry.
#[derive(Clone)]
pub struct EventOut {
    sink: EventSink,
    meta: Arc<RecordMeta>,
    /// The batch being gathered; None when events go nowhere.
    pending: Option<PendingRef>,
}

impl EventOut {
    pub fn new(sink: EventSink, cfg: &Config) -> EventOut {
        let meta = Arc::new(RecordMeta {
            node: cfg.node(),
            mode: cfg.mode.as_str(),
            alerts: cfg.alerts.clone(),
        });
        let pending = sink.is_enabled().then(|| sink.new_pending(meta.clone()));
        EventOut {
            sink,
            meta,
            pending,
        }
    }

    /// Starts the pipeline the config asks for: ClickHouse, a lane per webhook
    /// receiver, teardown of blocking alerts' calls (or a counting-only one).
    /// Call after fork: it starts a thread.
    pub fn start_pipeline(cfg: &Config) -> Result<Pipeline, String> {
        let mut lanes = Vec::new();
        for r in &cfg.webhooks.receivers {
            let destination = crate::pipeline::webhook::Webhook::new(r)
                .map_err(|e| format!("webhooks.receivers {}: {e:#}", r.name))?;
            lanes.push(AlertLane {
                destination: Box::new(destination),
                spool_dir: cfg.webhooks.spool_dir.join(&r.name),
                spool_max_bytes: cfg.webhooks.spool_max_bytes,
                backoff_max: std::time::Duration::from_millis(r.max_backoff_ms),
            });
        }
        if cfg.teardown.on_blocking_alert {
            let destination = crate::pipeline::teardown::Teardown::new(&cfg.teardown)
                .map_err(|e| format!("teardown: {e:#}"))?;
            lanes.push(AlertLane {
                destination: Box::new(destination),
                spool_dir: cfg.webhooks.spool_dir.join("_teardown"),
                spool_max_bytes: cfg.webhooks.spool_max_bytes,
                backoff_max: std::time::Duration::from_secs(5),
            });
        }
        let ring = crate::pipeline::handoff::RingMeta {
            node: cfg.node(),
            mode: cfg.mode.as_str().to_string(),
        };
        Pipeline::start_full(cfg.clickhouse.clone(), lanes, Some(ring))
            .map_err(|e| format!("pipeline: {e:#}"))
    }

    pub fn sink(&self) -> &EventSink {
        &self.sink
    }

    /// Queues the call and any alerts it raised. Never blocks: into the hand-off ring when
    /// the pipeline has one (no allocation, no syscall), else (or when the ring is full) the
    /// call joins the batch being gathered (an uncontended lock), and a full batch goes to
    /// the queue as one slot.
    pub fn submit(&self, call: &Call, v: &Verdict, check_us: u32) {
        if let Some(h) = self.sink.handoff() {
            return self.submit_ring(h, call, v, check_us);
        }
        let Some(pending) = &self.pending else {
            // Calls go nowhere: counted, nothing built. Alerts may still have receivers.
            self.sink.discard();
            if !self.sink.has_drainer() {
                return;
            }
            for a in &v.new_alerts {
                self.sink
                    .submit(Event::Raised(self.meta.clone(), Box::new(a.clone())));
            }
            return;
        };
        self.submit_memory(pending, call, v, check_us);
        for a in &v.new_alerts {
            self.sink
                .submit(Event::Raised(self.meta.clone(), Box::new(a.clone())));
        }
    }

    fn submit_memory(&self, pending: &PendingRef, call: &Call, v: &Verdict, check_us: u32) {
        let checked = self.checked(call, v, check_us);
        let full = {
            let mut p = pending.lock();
            if p.sealed {
                drop(p);
                self.sink.dropped_closed(1);
                None
            } else {
                p.calls.push(checked);
                (p.calls.len() >= HANDOFF_BATCH)
                    .then(|| std::mem::replace(&mut p.calls, Vec::with_capacity(HANDOFF_BATCH)))
            }
        };
        if let Some(calls) = full {
            self.sink.submit(Event::Batch(self.meta.clone(), calls));
        }
    }

    /// Through the ring; what it cannot take (full) goes through memory, counted.
    fn submit_ring(&self, h: &HandOff, call: &Call, v: &Verdict, check_us: u32) {
        let stats = self.sink.stats_ref();
        match (h.put_call(call, v, check_us), &self.pending) {
            (Ok(()), _) => PipelineStats::add(&stats.enqueued, 1),
            (Err(Refused::Sealed), _) => self.sink.dropped_closed(1),
            (Err(Refused::Full), Some(pending)) => {
                PipelineStats::add(&stats.handoff_full, 1);
                self.submit_memory(pending, call, v, check_us);
            }
            (Err(Refused::Full), None) => self.sink.discard(),
        }
        for a in &v.new_alerts {
            match h.put_alert(a, self.meta.alerts.severity_of(a.rule.code())) {
                Ok(()) => PipelineStats::add(&stats.enqueued, 1),
                Err(Refused::Sealed) => self.sink.dropped_closed(1),
                Err(Refused::Full) => {
                    PipelineStats::add(&stats.handoff_full, 1);
                    self.sink
                        .submit(Event::Raised(self.meta.clone(), Box::new(a.clone())));
                }
            }
        }
    }

    /// The call's row, built now (tests, tools); `submit` leaves this to the drainer.
    pub fn call_record(&self, call: &Call, v: &Verdict, check_us: u32) -> CallRecord {
        self.checked(call, v, check_us).into_record(&self.meta)
    }

    fn checked(&self, call: &Call, v: &Verdict, check_us: u32) -> CheckedCall {
        CheckedCall {
            call_id: CallId::new(&call.call_id),
            a_number: v.a_number.clone(),
            b_number: v.b_number.clone(),
            trunk: call.trunk.clone(),
            pai: call.pai.clone(),
            alert_id: v.alert_id.clone(),
            source_ip: call.source_ip,
            time_ms: v.time_ms,
            reasons: v.reasons,
            distinct_callers: v.count(Reason::DistinctCallers),
            cli_calls: v.count(Reason::CliVelocity),
            rotation_clis: v.count(Reason::CliRotation),
            check_us,
            action: v.action,
            attestation: call.attestation,
            degraded: v.degraded(),
        }
    }

    /// The record of an alert (the drainer builds those of queued alerts).
    pub fn alert_record(&self, a: &Alert) -> AlertRecord {
        self.meta.alert_record(a)
    }
}

impl VerdictSink for EventOut {
    fn record(&self, call: &Call, v: &Verdict, check_us: u32) {
        self.submit(call, v, check_us);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_ids_of_any_length_survive_the_trip() {
        for id in [
            "",
            "a",
            &"x".repeat(63),
            &"y".repeat(64),
            "é-ü@host",
            &"ü".repeat(40),
        ] {
            assert_eq!(CallId::new(id).as_str(), id);
        }
        assert!(matches!(
            CallId::new(&"x".repeat(63)),
            CallId::Inline { .. }
        ));
        assert!(matches!(CallId::new(&"x".repeat(64)), CallId::Heap(_)));
    }
}
