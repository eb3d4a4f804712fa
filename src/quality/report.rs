// SPDX-License-Identifier: MIT OR Apache-2.0
//! The quality report: per-instance and per-class results as scored (the
//! raw data, saved as JSON and pooled across runs with `--merge`), the
//! summaries computed from them — detection per family and per intensity bin,
//! the slowest intensity caught, time and calls to first detection, the
//! 5th-distinct-caller check, FP per legitimate class — the floors, and the
//! Markdown rendering.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::simulate::{Kind, Range};

/// Detection floor per attack family, FP ceiling over legitimate calls,
/// allowlisted blocks allowed, and the share of bursts that must be blocked
/// by their 5th distinct caller.
pub struct Floors {
    pub detection: f64,
    pub false_positive: f64,
    pub allowlisted_blocks: u64,
    pub fifth_caller: f64,
}

pub const FLOORS: Floors = Floors {
    detection: 0.99,
    false_positive: 0.001,
    allowlisted_blocks: 0,
    fifth_caller: 0.99,
};

/// One attack instance, scored over the calls it has in the scored span.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct InstanceResult {
    pub family: String,
    #[serde(default)]
    pub variant: String,
    pub intensity: Option<f64>,
    /// Its calls in the scored span, and how many were flagged or blocked.
    pub calls: u32,
    pub calls_caught: u32,
    pub detected: bool,
    /// From its first call in the span to its first flagged or blocked call.
    pub time_to_detect_ms: Option<i64>,
    /// Its calls in the span up to and including the first one caught.
    pub calls_to_detect: Option<u32>,
    pub first_rule: Option<String>,
    /// For the 5th-caller family, when the call that brought its 5th distinct
    /// caller is in the span: whether a call of the instance was blocked by
    /// then (that call included).
    pub fifth_caller_blocked: Option<bool>,
    /// Its distinct CLIs over all its calls, scored or not (65: more than
    /// 64), and the time from its first call to its last: the shape an
    /// attack's description gives (e.g. refiled masking: 3–6 fresh CLIs over
    /// 15–90 s). None in reports written before they were kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clis: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread_ms: Option<i64>,
}

/// One legitimate class, over its calls in the scored span.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct LegitScore {
    pub name: String,
    pub calls: u64,
    pub flagged: u64,
    pub blocked: u64,
    /// Reason codes on the flagged or blocked calls.
    pub reasons: BTreeMap<String, u64>,
}

impl LegitScore {
    pub fn fp_rate(&self) -> f64 {
        ratio(self.flagged + self.blocked, self.calls)
    }
}

fn ratio(n: u64, d: u64) -> f64 {
    if d == 0 {
        0.0
    } else {
        n as f64 / d as f64
    }
}

/// The whole report (one run, or several pooled).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Report {
    /// Runs pooled into this report.
    pub runs: u32,
    /// The scored span [from, until) of the (last) run, epoch ms.
    pub score_from_ms: Option<i64>,
    pub score_until_ms: Option<i64>,
    /// Calls replayed, and calls in the scored span.
    pub calls_replayed: u64,
    pub calls_scored: u64,
    pub bad_rows: u64,
    pub unlabelled: u64,
    pub instances: Vec<InstanceResult>,
    pub legit: Vec<LegitScore>,
    /// Blocked calls in the span whose A- or B-number is on an allow list.
    pub allowlisted_number_blocks: u64,
    /// The same over the whole replay.
    pub allowlisted_number_blocks_all: u64,
    /// Blocked calls in the span from an allowlisted trunk or source (no floor).
    pub allowlisted_source_blocks: u64,
    /// Calls over the whole replay flagged or blocked under an alert id that
    /// no verdict before them (or they) raised: nobody was told of it. Must
    /// be 0.
    #[serde(default)]
    pub unseen_alert_calls: u64,
    /// The family held to the 5th-distinct-caller check.
    pub fifth_caller_family: String,
    /// Per family, the intensity range the detection floor is judged on (all
    /// instances when absent).
    #[serde(default)]
    pub floor_ranges: Vec<(String, Range)>,
    /// Summaries, computed from the above (written to JSON, not read back).
    #[serde(default, skip_deserializing)]
    pub families: Vec<FamilyScore>,
}

/// Detection of instances in one intensity bin.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Bin {
    pub lo: f64,
    pub hi: f64,
    pub instances: u64,
    pub detected: u64,
    pub median_time_ms: Option<i64>,
    pub median_calls: Option<u32>,
}

impl Bin {
    pub fn rate(&self) -> f64 {
        ratio(self.detected, self.instances)
    }
}

/// Results per attack family.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct FamilyScore {
    pub name: String,
    pub unit: String,
    pub instances: u64,
    pub detected: u64,
    pub calls: u64,
    pub calls_caught: u64,
    pub time_to_detect_ms: [Option<i64>; 2],
    pub calls_to_detect: [Option<u32>; 2],
    pub first_rule: BTreeMap<String, u64>,
    /// Log bins (1-2-5 edges) over the instances with an intensity.
    pub bins: Vec<Bin>,
    /// The lowest bin edge from which every bin is detected at >= the floor.
    pub caught_from: Option<f64>,
    /// The lowest intensity of a detected instance.
    pub lowest_detected: Option<f64>,
    /// (variant, instances, detected).
    pub variants: Vec<(String, u64, u64)>,
    /// (distinct CLIs of the instance, as a range, instances, detected),
    /// over every intensity and within the floor's range.
    #[serde(default)]
    pub by_clis: Vec<(String, u64, u64)>,
    #[serde(default)]
    pub by_clis_in_range: Vec<(String, u64, u64)>,
    /// The floor's range, and its instances and detected instances.
    pub floor: Option<(Range, u64, u64)>,
}

impl FamilyScore {
    pub fn detection_rate(&self) -> f64 {
        if self.instances == 0 {
            1.0
        } else {
            ratio(self.detected, self.instances)
        }
    }

    /// The rate the floor is judged on: within the floor range when one is set.
    pub fn floor_rate(&self) -> (f64, u64) {
        match self.floor {
            Some((_, n, d)) => (if n == 0 { 1.0 } else { ratio(d, n) }, n),
            None => (self.detection_rate(), self.instances),
        }
    }
}

/// The 1-2-5 bin an intensity falls in: (lower edge, upper edge).
pub fn bin_of(x: f64) -> (f64, f64) {
    let k = (x * (1.0 + 1e-12)).log10().floor();
    let p = 10f64.powf(k);
    let m = x / p;
    let (lo, hi) = if m < 2.0 - 1e-9 {
        (1.0, 2.0)
    } else if m < 5.0 - 1e-9 {
        (2.0, 5.0)
    } else {
        (5.0, 10.0)
    };
    (tidy(lo * p), tidy(hi * p))
}

/// Drops float noise from a bin edge (0.30000000000000004 -> 0.3).
fn tidy(x: f64) -> f64 {
    format!("{x:.6e}").parse().unwrap_or(x)
}

fn percentile<T: Copy + Ord>(v: &[T], p: f64) -> Option<T> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_unstable();
    Some(s[((s.len() - 1) as f64 * p).round() as usize])
}

impl Report {
    /// Fills in the family summaries from the raw results.
    pub fn summarise(&mut self) {
        let mut by: BTreeMap<&str, Vec<&InstanceResult>> = BTreeMap::new();
        for i in &self.instances {
            by.entry(i.family.as_str()).or_default().push(i);
        }
        self.families = by
            .into_iter()
            .map(|(name, list)| {
                let floor_range = self
                    .floor_ranges
                    .iter()
                    .find(|(f, _)| f == name)
                    .map(|(_, r)| *r);
                summarise_family(name, &list, floor_range)
            })
            .collect();
        self.legit
            .sort_by(|a, b| b.calls.cmp(&a.calls).then(a.name.cmp(&b.name)));
    }

    /// Pools another run into this one.
    pub fn absorb(&mut self, other: Report) {
        self.runs += other.runs;
        self.score_from_ms = other.score_from_ms;
        self.score_until_ms = other.score_until_ms;
        self.calls_replayed += other.calls_replayed;
        self.calls_scored += other.calls_scored;
        self.bad_rows += other.bad_rows;
        self.unlabelled += other.unlabelled;
        self.instances.extend(other.instances);
        for l in other.legit {
            match self.legit.iter_mut().find(|m| m.name == l.name) {
                Some(m) => {
                    m.calls += l.calls;
                    m.flagged += l.flagged;
                    m.blocked += l.blocked;
                    for (k, n) in l.reasons {
                        *m.reasons.entry(k).or_default() += n;
                    }
                }
                None => self.legit.push(l),
            }
        }
        self.allowlisted_number_blocks += other.allowlisted_number_blocks;
        self.allowlisted_number_blocks_all += other.allowlisted_number_blocks_all;
        self.allowlisted_source_blocks += other.allowlisted_source_blocks;
        self.unseen_alert_calls += other.unseen_alert_calls;
        if self.fifth_caller_family.is_empty() {
            self.fifth_caller_family = other.fifth_caller_family;
        }
    }

    pub fn legit_calls(&self) -> u64 {
        self.legit.iter().map(|l| l.calls).sum()
    }

    pub fn legit_fp_rate(&self) -> f64 {
        let fp: u64 = self.legit.iter().map(|l| l.flagged + l.blocked).sum();
        ratio(fp, self.legit_calls())
    }

    /// Instances of the 5th-caller family whose 5th distinct caller is in
    /// the span, and those blocked by then.
    pub fn fifth_caller(&self) -> (u64, u64) {
        self.fifth_caller_where(|_| true)
    }

    /// The same within the family's floor range, when it has one.
    pub fn fifth_caller_in_floor_range(&self) -> Option<(Range, u64, u64)> {
        let r = self
            .floor_ranges
            .iter()
            .find(|(f, _)| *f == self.fifth_caller_family)?
            .1;
        let (n, b) = self.fifth_caller_where(|i| i.intensity.is_some_and(|x| r.contains(x)));
        Some((r, n, b))
    }

    fn fifth_caller_where(&self, keep: impl Fn(&InstanceResult) -> bool) -> (u64, u64) {
        self.instances
            .iter()
            .filter(|i| keep(i))
            .filter_map(|i| i.fifth_caller_blocked)
            .fold((0, 0), |(n, b), ok| (n + 1, b + ok as u64))
    }

    /// The floors that do not hold, as sentences; empty when all hold.
    pub fn floor_failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        for f in &self.families {
            let (rate, n) = f.floor_rate();
            if n > 0 && rate < FLOORS.detection {
                let within = f
                    .floor
                    .map(|(r, _, _)| format!(" at intensity {r}"))
                    .unwrap_or_default();
                out.push(format!(
                    "{}: {:.1}% of instances detected{within} (floor {:.0}%)",
                    f.name,
                    rate * 100.0,
                    FLOORS.detection * 100.0
                ));
            }
        }
        if self.legit_fp_rate() > FLOORS.false_positive {
            out.push(format!(
                "legitimate calls: {:.3}% flagged or blocked (ceiling {:.1}%)",
                self.legit_fp_rate() * 100.0,
                FLOORS.false_positive * 100.0
            ));
        }
        if self.unseen_alert_calls > 0 {
            out.push(format!(
                "{} calls flagged or blocked under an alert no verdict raised (must be 0)",
                self.unseen_alert_calls
            ));
        }
        if self.allowlisted_number_blocks > FLOORS.allowlisted_blocks {
            out.push(format!(
                "{} blocks of allowlisted numbers (must be 0)",
                self.allowlisted_number_blocks
            ));
        }
        let (within, n, blocked) = match self.fifth_caller_in_floor_range() {
            Some((r, n, b)) => (format!(" at intensity {r}"), n, b),
            None => {
                let (n, b) = self.fifth_caller();
                (String::new(), n, b)
            }
        };
        if n > 0 && ratio(blocked, n) < FLOORS.fifth_caller {
            out.push(format!(
                "{}: {blocked} of {n} instances{within} blocked by their 5th distinct caller (floor {:.0}%)",
                self.fifth_caller_family,
                FLOORS.fifth_caller * 100.0
            ));
        }
        out
    }

    /// The report as Markdown.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let span = match (self.score_from_ms, self.score_until_ms) {
            (None, None) => "all calls".to_string(),
            (f, u) => format!(
                "calls from {} until {}",
                f.map_or("the start".into(), time),
                u.map_or("the end".into(), time)
            ),
        };
        let _ = writeln!(
            s,
            "Scored: {span} ({} of {} calls replayed{}).\n",
            self.calls_scored,
            self.calls_replayed,
            if self.runs > 1 {
                format!(", {} runs pooled", self.runs)
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            s,
            "## Attacks (an instance counts when it has a call in the scored span; detected = one of those calls flagged or blocked)\n"
        );
        let _ = writeln!(s, "| family | instances | detected | calls flagged/blocked | time to first detection (median / p90) | calls to first detection (median / p90) | ≥99% from | lowest detected | first detected by |");
        let _ = writeln!(s, "|---|---:|---:|---:|---|---|---|---|---|");
        for f in &self.families {
            let _ = writeln!(
                s,
                "| {} | {} | {} ({:.1}%) | {:.1}% | {} / {} | {} / {} | {} | {} | {} |",
                f.name,
                f.instances,
                f.detected,
                f.detection_rate() * 100.0,
                ratio(f.calls_caught, f.calls) * 100.0,
                secs(f.time_to_detect_ms[0]),
                secs(f.time_to_detect_ms[1]),
                opt(f.calls_to_detect[0]),
                opt(f.calls_to_detect[1]),
                f.caught_from.map_or("never".into(), num),
                f.lowest_detected.map_or("-".into(), num),
                top(&f.first_rule),
            );
        }
        let _ = writeln!(
            s,
            "\n\"≥99% from\": the lowest intensity bin from which every bin up is detected at ≥ 99%.\n"
        );
        let _ = writeln!(s, "## Detection by intensity\n");
        for f in &self.families {
            if f.bins.is_empty() {
                continue;
            }
            let unit = if f.unit.is_empty() {
                String::new()
            } else {
                format!(" ({})", f.unit)
            };
            let _ = writeln!(s, "### {}{unit}\n", f.name);
            let _ = writeln!(
                s,
                "| intensity | instances | detected | median time to detection | median calls to detection |"
            );
            let _ = writeln!(s, "|---|---:|---:|---|---|");
            for b in &f.bins {
                let _ = writeln!(
                    s,
                    "| {}–{} | {} | {} ({:.1}%) | {} | {} |",
                    num(b.lo),
                    num(b.hi),
                    b.instances,
                    b.detected,
                    b.rate() * 100.0,
                    secs(b.median_time_ms),
                    opt(b.median_calls),
                );
            }
            let vars: Vec<String> = f
                .variants
                .iter()
                .filter(|v| !v.0.is_empty())
                .map(|(v, n, d)| format!("{v} {d}/{n}"))
                .collect();
            if !vars.is_empty() {
                let _ = writeln!(s, "\nBy variant (detected/instances): {}.", vars.join(", "));
            }
            if let Some((r, n, d)) = f.floor {
                let _ = writeln!(
                    s,
                    "Within the floor's range {r}: {d}/{n} ({:.1}%).",
                    if n == 0 { 100.0 } else { ratio(d, n) * 100.0 }
                );
            }
            let clis = |b: &[(String, u64, u64)]| {
                b.iter()
                    .map(|(c, n, d)| format!("{c} {d}/{n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            if !f.by_clis.is_empty() {
                let _ = write!(
                    s,
                    "By distinct CLIs over the instance (detected/instances): {}",
                    clis(&f.by_clis)
                );
                if !f.by_clis_in_range.is_empty() {
                    let _ = write!(
                        s,
                        "; within the floor's range: {}",
                        clis(&f.by_clis_in_range)
                    );
                }
                let _ = writeln!(s, ".");
            }
            let _ = writeln!(s);
        }
        let (n, blocked) = self.fifth_caller();
        let pct = |b: u64, n: u64| if n == 0 { 100.0 } else { ratio(b, n) * 100.0 };
        let _ = write!(
            s,
            "## {} blocked by the 5th distinct caller\n\n{blocked} of {n} instances whose 5th distinct caller falls in the scored span were blocked by then ({:.1}%)",
            self.fifth_caller_family,
            pct(blocked, n)
        );
        match self.fifth_caller_in_floor_range() {
            Some((r, n, b)) => {
                let _ = writeln!(
                    s,
                    "; within the floor's range {r}: {b} of {n} ({:.1}%).\n",
                    pct(b, n)
                );
            }
            None => {
                let _ = writeln!(s, ".\n");
            }
        }
        let _ = writeln!(
            s,
            "## Legitimate traffic (false positive = flagged or blocked)\n"
        );
        let _ = writeln!(
            s,
            "| traffic class | calls | flagged | blocked | FP rate | reasons |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---|");
        for l in &self.legit {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {:.3}% | {} |",
                l.name,
                l.calls,
                l.flagged,
                l.blocked,
                l.fp_rate() * 100.0,
                top(&l.reasons)
            );
        }
        let fp: u64 = self.legit.iter().map(|l| l.flagged + l.blocked).sum();
        let blocked: u64 = self.legit.iter().map(|l| l.blocked).sum();
        let _ = writeln!(
            s,
            "| **all legitimate** | {} | {} | {} | **{:.3}%** | |",
            self.legit_calls(),
            fp - blocked,
            blocked,
            self.legit_fp_rate() * 100.0
        );
        let _ = writeln!(
            s,
            "\nBlocks of allowlisted numbers: **{}** in the span ({} in the whole replay); blocked calls from allowlisted trunks/sources: {}; calls flagged under an alert nobody was told of: {}; unlabelled calls: {}; bad rows: {}.",
            self.allowlisted_number_blocks,
            self.allowlisted_number_blocks_all,
            self.allowlisted_source_blocks,
            self.unseen_alert_calls,
            self.unlabelled,
            self.bad_rows
        );
        let failures = self.floor_failures();
        let _ = writeln!(s);
        if failures.is_empty() {
            let _ = writeln!(s, "All floors hold (detection >= 99% per family, FP <= 0.1%, no allowlisted blocks, bursts blocked by the 5th distinct caller).");
        } else {
            let _ = writeln!(s, "Floors NOT met:");
            for f in failures {
                let _ = writeln!(s, "- {f}");
            }
        }
        s
    }
}

fn summarise_family(name: &str, list: &[&InstanceResult], floor: Option<Range>) -> FamilyScore {
    let detected: Vec<&&InstanceResult> = list.iter().filter(|i| i.detected).collect();
    let times: Vec<i64> = detected
        .iter()
        .filter_map(|i| i.time_to_detect_ms)
        .collect();
    let calls: Vec<u32> = detected.iter().filter_map(|i| i.calls_to_detect).collect();
    let mut first_rule = BTreeMap::new();
    for i in &detected {
        if let Some(r) = &i.first_rule {
            *first_rule.entry(r.clone()).or_default() += 1;
        }
    }
    // Bins over the instances that state an intensity.
    let mut bins: BTreeMap<u64, (Bin, Vec<i64>, Vec<u32>)> = BTreeMap::new();
    for i in list {
        let Some(x) = i.intensity else { continue };
        let (lo, hi) = bin_of(x);
        let e = bins.entry(lo.to_bits()).or_insert_with(|| {
            (
                Bin {
                    lo,
                    hi,
                    ..Bin::default()
                },
                Vec::new(),
                Vec::new(),
            )
        });
        e.0.instances += 1;
        if i.detected {
            e.0.detected += 1;
            e.1.extend(i.time_to_detect_ms);
            e.2.extend(i.calls_to_detect);
        }
    }
    // f64 bit patterns of positive numbers sort like the numbers.
    let bins: Vec<Bin> = bins
        .into_values()
        .map(|(mut b, t, c)| {
            b.median_time_ms = percentile(&t, 0.5);
            b.median_calls = percentile(&c, 0.5);
            b
        })
        .collect();
    let mut caught_from = None;
    for b in bins.iter().rev() {
        if b.rate() >= FLOORS.detection {
            caught_from = Some(b.lo);
        } else {
            break;
        }
    }
    let lowest_detected = detected
        .iter()
        .filter_map(|i| i.intensity)
        .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.min(x))));
    let mut variants: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for i in list {
        let e = variants.entry(i.variant.as_str()).or_default();
        e.0 += 1;
        e.1 += i.detected as u64;
    }
    let by_clis = |keep: &dyn Fn(&InstanceResult) -> bool| -> Vec<(String, u64, u64)> {
        const BINS: [(u32, u32, &str); 5] = [
            (1, 1, "1"),
            (2, 2, "2"),
            (3, 6, "3–6"),
            (7, 20, "7–20"),
            (21, u32::MAX, "21+"),
        ];
        BINS.iter()
            .map(|&(lo, hi, name)| {
                let inb: Vec<&&InstanceResult> = list
                    .iter()
                    .filter(|i| keep(i) && i.clis.is_some_and(|c| (lo..=hi).contains(&c)))
                    .collect();
                (
                    name.to_string(),
                    inb.len() as u64,
                    inb.iter().filter(|i| i.detected).count() as u64,
                )
            })
            .filter(|b| b.1 > 0)
            .collect()
    };
    let all_clis = by_clis(&|_| true);
    let in_range_clis = match floor {
        Some(r) => by_clis(&|i: &InstanceResult| i.intensity.is_some_and(|x| r.contains(x))),
        None => Vec::new(),
    };
    let floor = floor.map(|r| {
        let within: Vec<&&InstanceResult> = list
            .iter()
            .filter(|i| i.intensity.is_some_and(|x| r.contains(x)))
            .collect();
        (
            r,
            within.len() as u64,
            within.iter().filter(|i| i.detected).count() as u64,
        )
    });
    FamilyScore {
        name: name.to_string(),
        unit: Kind::parse(name)
            .map(|k| k.intensity_unit().to_string())
            .unwrap_or_default(),
        instances: list.len() as u64,
        detected: detected.len() as u64,
        calls: list.iter().map(|i| i.calls as u64).sum(),
        calls_caught: list.iter().map(|i| i.calls_caught as u64).sum(),
        time_to_detect_ms: [percentile(&times, 0.5), percentile(&times, 0.9)],
        calls_to_detect: [percentile(&calls, 0.5), percentile(&calls, 0.9)],
        first_rule,
        bins,
        caught_from,
        lowest_detected,
        variants: variants
            .into_iter()
            .map(|(v, (n, d))| (v.to_string(), n, d))
            .collect(),
        by_clis: all_clis,
        by_clis_in_range: in_range_clis,
        floor,
    }
}

fn secs(ms: Option<i64>) -> String {
    ms.map(|m| format!("{:.1} s", m as f64 / 1000.0))
        .unwrap_or_else(|| "-".into())
}

fn opt(n: Option<u32>) -> String {
    n.map_or("-".into(), |n| n.to_string())
}

/// A number without float noise: 0.5, 2, 1.333.
fn num(x: f64) -> String {
    let s = format!("{x:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}

fn top(m: &BTreeMap<String, u64>) -> String {
    let mut v: Vec<(&String, &u64)> = m.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v.iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_are_counted_by_their_distinct_clis() {
        let inst = |clis, intensity, detected| InstanceResult {
            family: "refiled_masking".into(),
            intensity: Some(intensity),
            calls: 3,
            detected,
            clis: Some(clis),
            ..Default::default()
        };
        let mut r = Report {
            floor_ranges: vec![(
                "refiled_masking".into(),
                crate::simulate::Range::parse("1.3..20").unwrap(),
            )],
            instances: vec![
                inst(2, 5.0, false),
                inst(2, 0.5, false),
                inst(3, 5.0, true),
                inst(6, 0.5, true),
                inst(65, 5.0, true),
            ],
            ..Default::default()
        };
        r.summarise();
        let f = &r.families[0];
        let b = |v: &[(&str, u64, u64)]| -> Vec<(String, u64, u64)> {
            v.iter().map(|&(c, n, d)| (c.to_string(), n, d)).collect()
        };
        assert_eq!(f.by_clis, b(&[("2", 2, 0), ("3–6", 2, 2), ("21+", 1, 1)]));
        assert_eq!(
            f.by_clis_in_range,
            b(&[("2", 1, 0), ("3–6", 1, 1), ("21+", 1, 1)])
        );
        assert!(r.render().contains(
            "By distinct CLIs over the instance (detected/instances): 2 0/2, 3–6 2/2, 21+ 1/1; \
             within the floor's range: 2 0/1, 3–6 1/1, 21+ 1/1."
        ));
    }

    #[test]
    fn bins_follow_the_1_2_5_series() {
        assert_eq!(bin_of(1.0), (1.0, 2.0));
        assert_eq!(bin_of(1.99), (1.0, 2.0));
        assert_eq!(bin_of(2.0), (2.0, 5.0));
        assert_eq!(bin_of(4.999), (2.0, 5.0));
        assert_eq!(bin_of(5.0), (5.0, 10.0));
        assert_eq!(bin_of(10.0), (10.0, 20.0));
        assert_eq!(bin_of(0.3), (0.2, 0.5));
        assert_eq!(bin_of(0.1), (0.1, 0.2));
        assert_eq!(bin_of(0.05), (0.05, 0.1));
        assert_eq!(bin_of(37.0), (20.0, 50.0));
    }
}
