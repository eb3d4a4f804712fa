//! Turns verdicts and alerts into the records the ClickHouse pipeline stores,
//! and hands them to its sink without blocking the call.

use crate::config::Config;
use crate::engine::{Alert, Call, Verdict};
use crate::pipeline::{AlertRecord, CallRecord, Event, EventSink, Pipeline, RecordAction};

fn record_action(a: crate::engine::Action) -> RecordAction {
    match a {
        crate::engine::Action::Allow => RecordAction::Allow,
        crate::engine::Action::Flag => RecordAction::Flag,
        crate::engine::Action::Block => RecordAction::Block,
    }
}

/// Where a process's events go, with the node name and mode they carry.
#[derive(Clone)]
pub struct EventOut {
    sink: EventSink,
    node: String,
    mode: &'static str,
}

impl EventOut {
    pub fn new(sink: EventSink, cfg: &Config) -> EventOut {
        EventOut {
            sink,
            node: cfg.node(),
            mode: cfg.mode.as_str(),
        }
    }

    /// Starts the pipeline the config asks for (or a counting-only one).
    /// Call after fork: it starts a thread.
    pub fn start_pipeline(cfg: &Config) -> Result<Pipeline, String> {
        match &cfg.clickhouse {
            Some(ch) => Pipeline::start(ch.clone()).map_err(|e| format!("clickhouse: {e:#}")),
            None => Ok(Pipeline::disabled()),
        }
    }

    pub fn sink(&self) -> &EventSink {
        &self.sink
    }

    /// Queues the call's record and any alerts it raised. Never blocks.
    pub fn submit(&self, call: &Call, v: &Verdict, check_us: u32) {
        self.sink
            .submit(Event::Call(self.call_record(call, v, check_us)));
        for a in &v.new_alerts {
            self.sink.submit(Event::Alert(self.alert_record(a)));
        }
    }

    pub fn call_record(&self, call: &Call, v: &Verdict, check_us: u32) -> CallRecord {
        CallRecord {
            event_time_ms: v.time_ms,
            call_id: call.call_id.to_string(),
            a_number: v.a_number.to_string(),
            b_number: v.b_number.to_string(),
            source_ip: call.source_ip.map(|i| i.to_string()).unwrap_or_default(),
            trunk: call.trunk.as_deref().unwrap_or("").to_string(),
            pai: call.pai.as_deref().unwrap_or("").to_string(),
            attestation: call.attestation.as_str().to_string(),
            action: record_action(v.action),
            reasons: v.reasons.iter().map(|r| r.code().to_string()).collect(),
            alert_id: v.alert_id.as_deref().unwrap_or("").to_string(),
            distinct_callers: v.distinct_callers,
            cli_calls: v.cli_calls,
            rotation_clis: v.rotation_clis,
            check_us,
            degraded: v.degraded(),
            mode: self.mode.to_string(),
            node: self.node.clone(),
        }
    }

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
            action: record_action(a.action),
            window_ms: a.window_ms,
            threshold: a.threshold,
            count: a.count,
            a_numbers: a.evidence.iter().map(|e| e.a_number.to_string()).collect(),
            call_ids: a.evidence.iter().map(|e| e.call_id.to_string()).collect(),
            sources,
            mode: self.mode.to_string(),
            node: self.node.clone(),
        }
    }
}
