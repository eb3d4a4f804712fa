// SPDX-License-Identifier: MIT OR Apache-2.0
//! The records that leave the call path: one `CallRecord` per checked call, one `AlertRecord`
//! per raised alert. The outbox converts verdicts into these; the pipeline stores them.
//! They are plain data (serde) so the spool can keep them across restarts and schema changes.

use serde::{Deserialize, Serialize};

use crate::contract::Action;

/// One checked call and its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CallRecord {
    /// When the call was checked, milliseconds since the Unix epoch (UTC).
    pub event_time_ms: i64,
    pub call_id: String,
    /// E.164 ("+234…") or the raw CLI when it was invalid.
    pub a_number: String,
    pub b_number: String,
    pub source_ip: String,
    pub trunk: String,
    pub pai: String,
    /// STIR/SHAKEN attestation: "", "A", "B" or "C".
    pub attestation: String,
    pub action: Action,
    pub reasons: Vec<String>,
    pub alert_id: String,
    pub distinct_callers: u32,
    pub cli_calls: u32,
    pub rotation_clis: u32,
    /// Time the check took, microseconds.
    pub check_us: u32,
    /// The shared store was unavailable: the verdict came from the fallback.
    pub degraded: bool,
    /// "enforce" or "monitor".
    pub mode: String,
    /// Host name of the node that checked the call.
    pub node: String,
}

impl Default for CallRecord {
    fn default() -> Self {
        CallRecord {
            event_time_ms: 0,
            call_id: String::new(),
            a_number: String::new(),
            b_number: String::new(),
            source_ip: String::new(),
            trunk: String::new(),
            pai: String::new(),
            attestation: String::new(),
            action: Action::Allow,
            reasons: Vec::new(),
            alert_id: String::new(),
            distinct_callers: 0,
            cli_calls: 0,
            rotation_clis: 0,
            check_us: 0,
            degraded: false,
            mode: String::new(),
            node: String::new(),
        }
    }
}

/// One raised alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertRecord {
    pub alert_id: String,
    /// Milliseconds since the Unix epoch (UTC).
    pub raised_at_ms: i64,
    pub rule: String,
    /// What the rule counted on: the B-number, A-number, source or trunk.
    pub key: String,
    pub action: Action,
    pub window_ms: u32,
    pub threshold: u32,
    pub count: u32,
    pub a_numbers: Vec<String>,
    pub call_ids: Vec<String>,
    pub sources: Vec<String>,
    pub mode: String,
    pub node: String,
    /// "low", "medium", "high" or "critical" (per rule, `[alerts] severity`).
    pub severity: String,
}

/// One entry of an alert's lifecycle log (`alert_events`): raised, a status
/// change, a note, an assignment, an action taken (block, disconnect).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertEventRecord {
    pub at_ms: i64,
    pub alert_id: String,
    /// "raised", "status", "note", "assign" or "action".
    pub kind: String,
    pub from_status: String,
    pub to_status: String,
    /// Who: the token's name, or the node for "raised".
    pub actor: String,
    pub note: String,
    pub node: String,
}

impl AlertEventRecord {
    /// The "raised" entry of a new alert.
    pub fn raised(a: &AlertRecord) -> AlertEventRecord {
        AlertEventRecord {
            at_ms: a.raised_at_ms,
            alert_id: a.alert_id.clone(),
            kind: "raised".into(),
            from_status: String::new(),
            to_status: "new".into(),
            actor: a.node.clone(),
            note: String::new(),
            node: a.node.clone(),
        }
    }
}

impl Default for AlertRecord {
    fn default() -> Self {
        AlertRecord {
            alert_id: String::new(),
            raised_at_ms: 0,
            rule: String::new(),
            key: String::new(),
            action: Action::Flag,
            window_ms: 0,
            threshold: 0,
            count: 0,
            a_numbers: Vec::new(),
            call_ids: Vec::new(),
            sources: Vec::new(),
            mode: String::new(),
            node: String::new(),
            severity: String::new(),
        }
    }
}

/// What the call path hands to the pipeline.
#[derive(Debug, Clone, PartialEq)]
// The checked call stays inline on purpose: boxing it would put an allocation
// (freed on another thread) on every call.
#[allow(clippy::large_enum_variant)]
pub enum Event {
    // Boxed: the queue's slots are as large as the largest variant, and the
    // call path should write as few cache lines per event as it can.
    Call(Box<CallRecord>),
    Alert(Box<AlertRecord>),
    /// An alert as the engine raised it: the drainer builds its [`AlertRecord`], so the
    /// call that raised it only copies it (no per-field strings on the call path).
    Raised(
        std::sync::Arc<crate::pipeline::outbox::RecordMeta>,
        Box<crate::engine::Alert>,
    ),
    /// Calls as the engine judged them, handed over together; the drainer
    /// turns them into [`CallRecord`]s, so string building stays off the call
    /// path and what crosses cores is one slot (and one refcount) per batch.
    Batch(
        std::sync::Arc<crate::pipeline::outbox::RecordMeta>,
        Vec<crate::pipeline::outbox::CheckedCall>,
    ),
}

impl Event {
    /// How many events this counts for in the stats and the overflow bound.
    pub fn weight(&self) -> u64 {
        match self {
            Event::Batch(_, v) => v.len() as u64,
            _ => 1,
        }
    }
}
