// SPDX-License-Identifier: MIT OR Apache-2.0
//! What the engine answers: an action, stable reason codes, window counts,
//! alerts. Actions and reason codes are the crate's shared vocabulary
//! (`crate::contract`); their meaning never changes.

use compact_str::CompactString;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

pub use crate::contract::{Action, Evidence, Reason, Reasons};

/// An alert raised by a window rule: at most one per rule and key per cooldown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub id: CompactString,
    /// The rule that raised it, by its reason code.
    pub rule: Reason,
    /// The B-number, A-number, source or trunk the window is about.
    pub key: CompactString,
    pub action: Action,
    pub raised_at_ms: i64,
    pub window_ms: u32,
    /// The threshold the key was judged against (the rule's, or above it by
    /// the key's learned level).
    pub threshold: u32,
    /// The key's learned normal count, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<f64>,
    /// Members counted in the window when the alert was raised.
    pub count: u32,
    /// The most recent calls inside the window (at most `EVIDENCE_MAX`).
    pub evidence: Vec<Evidence>,
}

/// Window counts of one verdict, indexed by the rule's reason (0: not evaluated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts([u32; Reason::COUNT]);

impl Counts {
    #[inline]
    pub fn get(&self, rule: Reason) -> u32 {
        self.0[rule.index()]
    }
    #[inline]
    pub fn set(&mut self, rule: Reason, n: u32) {
        self.0[rule.index()] = n;
    }
}

/// The answer for one call.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub action: Action,
    pub reasons: Reasons,
    /// The alert raised by this call, or still active for its key.
    pub alert_id: Option<CompactString>,
    /// Alerts this call raised (usually none).
    pub new_alerts: Vec<Alert>,
    /// Members counted by each window rule that saw the call.
    pub counts: Counts,
    /// Event time the call was judged at.
    pub time_ms: i64,
    /// The CLI in E.164 (or as presented when invalid) and the B-number key.
    pub a_number: CompactString,
    pub b_number: CompactString,
}

/// An allow verdict with no reason, no numbers, at time 0 (a slot to fill).
impl Default for Verdict {
    fn default() -> Verdict {
        Verdict::new(0, CompactString::default(), CompactString::default())
    }
}

impl Verdict {
    /// An allow verdict with no reason yet.
    pub fn new(time_ms: i64, a_number: CompactString, b_number: CompactString) -> Verdict {
        Verdict {
            action: Action::Allow,
            reasons: Reasons::default(),
            alert_id: None,
            new_alerts: Vec::new(),
            counts: Counts::default(),
            time_ms,
            a_number,
            b_number,
        }
    }

    /// The fail-open answer used when the call cannot be judged.
    pub fn fail_open(reason: Reason, time_ms: i64) -> Verdict {
        let mut v = Verdict::new(time_ms, CompactString::default(), CompactString::default());
        v.reasons.insert(reason);
        v
    }

    /// Members the rule's window counted for this call (0: not evaluated).
    #[inline]
    pub fn count(&self, rule: Reason) -> u32 {
        self.counts.get(rule)
    }

    pub fn degraded(&self) -> bool {
        self.reasons.contains(Reason::StoreUnavailable)
            || self.reasons.contains(Reason::StoreCapacity)
    }
}

/// The verdict as the API and replay show it: action, reasons, alert id, each
/// window count under its rule's field name, numbers, time. New alerts are
/// shown by the caller where it wants them.
impl Serialize for Verdict {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("action", self.action.as_str())?;
        m.serialize_entry("reasons", &self.reasons)?;
        m.serialize_entry("alert_id", &self.alert_id)?;
        for (field, rule) in super::rules::count_fields() {
            m.serialize_entry(field, &self.count(rule))?;
        }
        m.serialize_entry("a_number", &self.a_number)?;
        m.serialize_entry("b_number", &self.b_number)?;
        m.serialize_entry("time_ms", &self.time_ms)?;
        m.end()
    }
}
