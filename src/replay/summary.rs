// SPDX-License-Identifier: MIT OR Apache-2.0
//! The replay summary: what was read, what the engine answered, and which
//! numbers and sources were involved in flagged or blocked calls.
//!
//! Verdict counts are the engine's own counters (a replay runs on an engine of
//! its own), so the summary of a replay equals what the live service's
//! counters would have shown for that traffic; the top lists are kept here.

use std::fmt::Write as _;
use std::time::Duration;

use compact_str::CompactString;
use hashbrown::HashMap;

use crate::engine::call::Call;
use crate::engine::rules::RULES;
use crate::engine::verdict::{Action, Reason, Verdict};
use crate::engine::StatsSnapshot;

/// How many entries the "top" lists show.
pub const TOP_N: usize = 10;

/// Counters of one replay.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub files: usize,
    /// Data rows seen (good and bad).
    pub rows: u64,
    /// Rows that could not be parsed, plus rows the engine refused.
    pub bad_rows: u64,
    /// Files that could not be read, or were cut short: `file:line: reason`.
    pub unreadable: Vec<String>,
    /// Rows the engine refused (`InputError`), a subset of `bad_rows`.
    pub refused: u64,
    /// Rows checked by the engine.
    pub checked: u64,
    /// Rows earlier than the previous row of the same file (only counted with
    /// `--presorted`, where they are checked late, as a live switch would).
    pub out_of_order: u64,
    /// Verdicts, reasons and alerts: the engine's own counters, read when
    /// the replay ends (a replay runs on an engine of its own).
    pub counts: StatsSnapshot,
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
    pub read_time: Duration,
    pub sort_time: Duration,
    pub check_time: Duration,
    top_a: HashMap<CompactString, u64>,
    top_b: HashMap<CompactString, u64>,
    top_source: HashMap<CompactString, u64>,
}

fn bump(map: &mut HashMap<CompactString, u64>, key: &str) {
    if let Some(v) = map.get_mut(key) {
        *v += 1;
    } else {
        map.insert(key.into(), 1);
    }
}

fn top(map: &HashMap<CompactString, u64>) -> Vec<(CompactString, u64)> {
    let mut v: Vec<(CompactString, u64)> = map.iter().map(|(k, c)| (k.clone(), *c)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(TOP_N);
    v
}

impl Summary {
    /// Counts one bad row (and notes a file that could not be read whole).
    pub fn bad(&mut self, bad: &crate::replay::BadRow) {
        self.bad_rows += 1;
        if bad.whole_file {
            self.unreadable.push(bad.to_string());
        }
    }

    /// Counts one verdict.
    pub fn record(&mut self, call: &Call, v: &Verdict) {
        self.checked += 1;
        self.first_ms = Some(self.first_ms.map_or(v.time_ms, |t| t.min(v.time_ms)));
        self.last_ms = Some(self.last_ms.map_or(v.time_ms, |t| t.max(v.time_ms)));
        if v.action != Action::Allow {
            bump(&mut self.top_a, &v.a_number);
            bump(&mut self.top_b, &v.b_number);
            match (&call.trunk, call.source_ip) {
                (Some(t), _) => bump(&mut self.top_source, &format!("trunk:{t}")),
                (None, Some(ip)) => bump(&mut self.top_source, &ip.to_string()),
                (None, None) => {}
            }
        }
    }

    pub fn top_a_numbers(&self) -> Vec<(CompactString, u64)> {
        top(&self.top_a)
    }
    pub fn top_b_numbers(&self) -> Vec<(CompactString, u64)> {
        top(&self.top_b)
    }
    pub fn top_sources(&self) -> Vec<(CompactString, u64)> {
        top(&self.top_source)
    }

    pub fn action_count(&self, a: Action) -> u64 {
        self.counts.action(a)
    }

    /// Rows per second over reading, sorting and checking together.
    pub fn throughput(&self) -> f64 {
        let t = (self.read_time + self.sort_time + self.check_time).as_secs_f64();
        if t > 0.0 {
            self.rows as f64 / t
        } else {
            0.0
        }
    }

    /// The human-readable report printed at the end of `acm replay`.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let ts = |t: Option<i64>| {
            t.and_then(chrono::DateTime::from_timestamp_millis)
                .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                .unwrap_or_else(|| "-".into())
        };
        let _ = writeln!(s, "replay summary");
        let _ = writeln!(
            s,
            "  files {}  rows {}  checked {}  bad rows {} (refused by the engine: {})",
            self.files, self.rows, self.checked, self.bad_rows, self.refused
        );
        if !self.unreadable.is_empty() {
            let _ = writeln!(
                s,
                "  files not read whole: {} (see the errors above)",
                self.unreadable.len()
            );
        }
        if self.out_of_order > 0 {
            let _ = writeln!(
                s,
                "  out of event-time order within a file: {} (checked late; replay without --presorted to sort)",
                self.out_of_order
            );
        }
        let _ = writeln!(
            s,
            "  event time {} .. {}",
            ts(self.first_ms),
            ts(self.last_ms)
        );
        let _ = writeln!(
            s,
            "  time: read {:.2}s  sort {:.2}s  check {:.2}s  ({:.0} rows/s)",
            self.read_time.as_secs_f64(),
            self.sort_time.as_secs_f64(),
            self.check_time.as_secs_f64(),
            self.throughput()
        );
        let _ = writeln!(s, "verdicts by action");
        for a in [Action::Allow, Action::Flag, Action::Block] {
            let _ = writeln!(s, "  {:<24} {}", a.as_str(), self.action_count(a));
        }
        let _ = writeln!(s, "verdicts by reason");
        for r in Reason::ALL {
            let n = self.counts.reason(r);
            if n > 0 {
                let _ = writeln!(s, "  {:<24} {}", r.code(), n);
            }
        }
        // Withdrawn: alerts the store raised that the verdict held back
        // (see `Engine::conclude_in`); they were never told to anyone.
        let _ = writeln!(s, "alerts by rule (raised, and withdrawn again)");
        for r in RULES
            .iter()
            .map(|d| d.reason)
            .filter(|r| !r.tag().is_empty())
        {
            let _ = writeln!(
                s,
                "  {:<24} {:<8} withdrawn {}",
                r.code(),
                self.counts.alerts(r),
                self.counts.withdrawn(r)
            );
        }
        for (title, list) in [
            (
                "top A-numbers in flagged/blocked calls",
                self.top_a_numbers(),
            ),
            (
                "top B-numbers in flagged/blocked calls",
                self.top_b_numbers(),
            ),
            (
                "top trunks/sources in flagged/blocked calls",
                self.top_sources(),
            ),
        ] {
            if list.is_empty() {
                continue;
            }
            let _ = writeln!(s, "{title}");
            for (k, n) in list {
                let _ = writeln!(s, "  {k:<24} {n}");
            }
        }
        s
    }
}
