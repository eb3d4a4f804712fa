// SPDX-License-Identifier: MIT OR Apache-2.0
//! Outputs: everything that wants to know about verdicts is a [`VerdictSink`]
//! fed by the Detector on the call path. A sink must not do I/O or wait there:
//! it counts, or queues for a thread of its own (the ClickHouse outbox in
//! `crate::pipeline` queues; Prometheus reads the engine's counters at scrape
//! time and only times checks here).

use crate::engine::{Call, Verdict};

/// Something that sees every verdict.
pub trait VerdictSink: Send + Sync {
    /// Called once per judged call, after the verdict is final. `check_us` is
    /// the wall time of the check.
    fn record(&self, call: &Call, v: &Verdict, check_us: u32);
}

/// Writes each new alert to the log (`tracing`, warn level): the service's
/// own record of alerts, whether or not ClickHouse is configured.
#[derive(Debug, Default)]
pub struct AlertLog;

impl VerdictSink for AlertLog {
    fn record(&self, _call: &Call, v: &Verdict, _check_us: u32) {
        for a in &v.new_alerts {
            tracing::warn!(
                alert = %a.id,
                rule = a.rule.code(),
                key = %a.key,
                count = a.count,
                action = a.action.as_str(),
                "alert raised"
            );
        }
    }
}
