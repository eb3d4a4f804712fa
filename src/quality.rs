// SPDX-License-Identifier: MIT OR Apache-2.0
//! `acm quality`: replay labelled CDRs from a cold start and score the
//! verdicts against the truth.
//!
//! Labels ([`labels`]): `call_id,class,type,instance[,intensity[,variant]]`.
//! `--score-from`/`--score-until` choose the scored span (the evaluation
//! scores the second hour: the first is for learning and holds attacks too).
//! The whole file is replayed; only calls in the span are scored:
//! - an attack instance counts when it has a call in the span and is detected
//!   when one of those calls is flagged or blocked; time and calls to first
//!   detection run from its first call in the span;
//! - detection per family and per intensity bin, the slowest intensity caught
//!   ([`report`]);
//! - the false-positive rate per legitimate class (flagged or blocked), with
//!   the reasons;
//! - blocks of allowlisted numbers (A or B on an allow list), which must be 0;
//! - calls flagged under an alert id no verdict raised (nobody was told of
//!   the alert), which must be 0;
//! - bursts blocked by their 5th distinct caller.
//!
//! Markdown on stdout, or JSON (`--json`); saved JSON reports of several runs
//! pool into one with `--merge`. The floors are [`FLOORS`].

mod labels;
pub mod report;

use std::collections::HashSet;
use std::path::PathBuf;

use compact_str::CompactString;

use crate::config::Config;
use crate::engine::lists::Lists;
use crate::engine::{Action, Reason, Verdict};
use crate::replay::cli::{detector_for, BadRowReport, InputArgs};
use crate::replay::input::parse_timestamp;
use crate::replay::{replay, BadRow, ReplaySink, Row};
use crate::simulate::Range;
pub use labels::Labels;
pub use report::{FamilyScore, InstanceResult, LegitScore, Report, FLOORS};

/// A point in event time: absolute, or an offset from the first event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSpec {
    At(i64),
    AfterFirst(i64),
}

impl TimeSpec {
    /// RFC 3339, epoch milliseconds, or `+1h`, `+30m`, `+90s`, `+500ms`.
    pub fn parse(s: &str) -> Result<TimeSpec, String> {
        let s = s.trim();
        if let Some(rel) = s.strip_prefix('+') {
            let split = rel.find(|c: char| !c.is_ascii_digit()).unwrap_or(rel.len());
            let (n, unit) = rel.split_at(split);
            let n: i64 = n
                .parse()
                .map_err(|_| format!("{s:?}: expected +N followed by h, m, s or ms"))?;
            let ms = match unit {
                "h" => n * 3_600_000,
                "m" => n * 60_000,
                "s" => n * 1000,
                "ms" => n,
                _ => return Err(format!("{s:?}: the unit must be h, m, s or ms")),
            };
            return Ok(TimeSpec::AfterFirst(ms));
        }
        parse_timestamp(s)
            .map(TimeSpec::At)
            .ok_or_else(|| format!("{s:?}: expected RFC 3339, epoch ms, or +1h"))
    }

    fn resolve(self, first_ms: i64) -> i64 {
        match self {
            TimeSpec::At(t) => t,
            TimeSpec::AfterFirst(d) => first_ms + d,
        }
    }
}

/// What to score.
#[derive(Debug, Clone)]
pub struct ScoreOptions {
    pub from: Option<TimeSpec>,
    pub until: Option<TimeSpec>,
    /// The family held to the 5th-distinct-caller check.
    pub fifth_caller_family: String,
    /// Per family, the intensity range its detection floor is judged on.
    pub floor_ranges: Vec<(String, Range)>,
}

impl Default for ScoreOptions {
    fn default() -> Self {
        ScoreOptions {
            from: None,
            until: None,
            fifth_caller_family: "masking_burst".into(),
            floor_ranges: Vec::new(),
        }
    }
}

/// The most telling reason of a detecting verdict.
fn main_reason(v: &Verdict) -> Reason {
    const ORDER: [Reason; 8] = [
        Reason::IntlIngressLocalCli,
        Reason::InvalidCli,
        Reason::DistinctCallers,
        Reason::CliVelocity,
        Reason::CliRotation,
        Reason::DistinctCallersSlow,
        Reason::AutoBlock,
        Reason::Denylist,
    ];
    ORDER
        .into_iter()
        .find(|r| v.reasons.contains(*r))
        .or_else(|| {
            // A rule this list does not know yet.
            v.reasons
                .iter()
                .find(|r| !matches!(r, Reason::Allowlist | Reason::MonitorOnly))
        })
        .unwrap_or(Reason::MonitorOnly)
}

/// Scoring state of one instance.
#[derive(Debug, Default, Clone)]
struct InstanceState {
    calls: u32,
    first_ms: Option<i64>,
    caught: u32,
    detected: Option<(i64, u32, Reason)>,
    /// 5th-caller family only: whether a call was blocked before its 5th
    /// distinct caller (the first five of `clis`), and by that caller.
    blocked_yet: bool,
    fifth: Option<bool>,
    /// Over all its calls, scored or not: its distinct CLIs in order of
    /// their first call (up to [`MAX_CLIS`] kept), and its first and last
    /// call times.
    clis: Vec<CompactString>,
    clis_over: bool,
    first_any_ms: Option<i64>,
    last_any_ms: i64,
}

/// Distinct CLIs an instance's shape keeps (more are reported as more).
const MAX_CLIS: usize = 64;

struct Scorer<'a> {
    labels: &'a Labels,
    lists: Lists,
    opts: &'a ScoreOptions,
    fifth_kind: Option<u16>,
    span: Option<(i64, i64)>,
    instances: Vec<InstanceState>,
    legit: Vec<LegitScore>,
    report: Report,
    bad: BadRowReport,
    told: Told,
}

/// The alerts people were told of: every alert id a verdict raised so far.
#[derive(Default)]
struct Told {
    raised: HashSet<CompactString>,
}

impl Told {
    /// Whether `v` (the next verdict of a replay) flags or blocks its call
    /// under an alert that neither it nor any verdict before it raised.
    fn untold(&mut self, v: &Verdict) -> bool {
        for a in &v.new_alerts {
            self.raised.insert(a.id.clone());
        }
        v.action != Action::Allow
            && v.alert_id
                .as_ref()
                .is_some_and(|id| !self.raised.contains(id))
    }
}

impl ReplaySink for Scorer<'_> {
    fn bad_row(&mut self, bad: &BadRow) {
        self.bad.report(bad);
    }

    fn verdict(&mut self, row: &Row, v: &Verdict) {
        let t = row.time_ms();
        let (from, until) = *self.span.get_or_insert_with(|| {
            (
                self.opts.from.map_or(i64::MIN, |s| s.resolve(t)),
                self.opts.until.map_or(i64::MAX, |s| s.resolve(t)),
            )
        });
        let in_span = t >= from && t < until;
        let r = &mut self.report;
        r.calls_replayed += 1;
        r.calls_scored += in_span as u64;
        if v.action == Action::Block {
            if self.lists.allow_a.contains(&v.a_number) || self.lists.allow_b.contains(&v.b_number)
            {
                r.allowlisted_number_blocks_all += 1;
                r.allowlisted_number_blocks += in_span as u64;
            } else if in_span
                && self
                    .lists
                    .source_allowed(row.call.source_ip, row.call.trunk.as_deref())
            {
                r.allowlisted_source_blocks += 1;
            }
        }
        r.unseen_alert_calls += self.told.untold(v) as u64;
        let Some(label) = self.labels.by_call.get(&row.call.call_id) else {
            r.unlabelled += 1;
            return;
        };
        let caught = v.action != Action::Allow;
        if label.attack {
            let s = &mut self.instances[label.instance as usize];
            s.first_any_ms.get_or_insert(t);
            s.last_any_ms = s.last_any_ms.max(t);
            let new_cli = !s.clis_over && !s.clis.contains(&v.a_number);
            if Some(label.kind) == self.fifth_kind && s.clis.len() < 5 {
                s.blocked_yet |= v.action == Action::Block;
                if new_cli && s.clis.len() == 4 && in_span {
                    s.fifth = Some(s.blocked_yet);
                }
            }
            if new_cli {
                if s.clis.len() < MAX_CLIS {
                    s.clis.push(v.a_number.clone());
                } else {
                    s.clis_over = true;
                }
            }
            if !in_span {
                return;
            }
            s.calls += 1;
            let first = *s.first_ms.get_or_insert(t);
            if caught {
                s.caught += 1;
                if s.detected.is_none() {
                    s.detected = Some((t - first, s.calls, main_reason(v)));
                }
            }
        } else if in_span {
            let s = &mut self.legit[label.kind as usize];
            s.calls += 1;
            match v.action {
                Action::Allow => {}
                Action::Flag => s.flagged += 1,
                Action::Block => s.blocked += 1,
            }
            if caught {
                for r in v.reasons.iter() {
                    *s.reasons.entry(r.code().to_string()).or_default() += 1;
                }
            }
        }
    }
}

/// Replays `cdrs` on `cfg` from a cold start and scores the verdicts against
/// `labels`.
pub fn evaluate(
    cfg: &Config,
    cdrs: &[PathBuf],
    labels: &Labels,
    input: &InputArgs,
    opts: &ScoreOptions,
) -> Result<Report, String> {
    let ropts = input.options()?;
    let detector = detector_for(cfg)?;
    let lists = detector.engine().config().lists.clone();
    let fifth_kind = labels
        .kinds
        .iter()
        .position(|(attack, n)| *attack && *n == opts.fifth_caller_family)
        .map(|i| i as u16);
    let mut scorer = Scorer {
        labels,
        lists,
        opts,
        fifth_kind,
        span: None,
        instances: vec![InstanceState::default(); labels.instances.len()],
        legit: labels
            .kinds
            .iter()
            .map(|(_, n)| LegitScore {
                name: n.clone(),
                ..LegitScore::default()
            })
            .collect(),
        report: Report {
            runs: 1,
            fifth_caller_family: opts.fifth_caller_family.clone(),
            floor_ranges: opts.floor_ranges.clone(),
            ..Report::default()
        },
        bad: BadRowReport::new(input)?,
        told: Told::default(),
    };
    let summary = replay(&detector, cdrs, &ropts, &mut scorer);
    // A score over part of the input would mislead: stop here unless --keep-going.
    input.check_read(&summary.unreadable)?;
    let mut report = std::mem::take(&mut scorer.report);
    report.bad_rows = summary.bad_rows;
    if let Some((from, until)) = scorer.span {
        report.score_from_ms = opts.from.map(|_| from);
        report.score_until_ms = opts.until.map(|_| until);
    }
    for (ix, s) in scorer.instances.iter().enumerate().skip(1) {
        if s.calls == 0 {
            continue;
        }
        let meta = &labels.instances[ix];
        report.instances.push(InstanceResult {
            family: labels.kinds[meta.kind as usize].1.clone(),
            variant: meta.variant.clone(),
            intensity: meta.intensity,
            calls: s.calls,
            calls_caught: s.caught,
            detected: s.detected.is_some(),
            time_to_detect_ms: s.detected.map(|d| d.0),
            calls_to_detect: s.detected.map(|d| d.1),
            first_rule: s.detected.map(|d| d.2.code().to_string()),
            fifth_caller_blocked: s.fifth,
            clis: Some(s.clis.len() as u32 + s.clis_over as u32),
            spread_ms: s.first_any_ms.map(|f| s.last_any_ms - f),
        });
    }
    report.legit = scorer
        .legit
        .iter()
        .enumerate()
        .filter(|(i, l)| !labels.kinds[*i].0 && l.calls > 0)
        .map(|(_, l)| l.clone())
        .collect();
    report.summarise();
    scorer.bad.finish()?;
    Ok(report)
}

/// Pools saved JSON reports (`--json FILE` of earlier runs) into one.
pub fn merge(files: &[PathBuf], floor_ranges: &[(String, Range)]) -> Result<Report, String> {
    let mut pooled = Report::default();
    for f in files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let r: Report = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", f.display()))?;
        pooled.absorb(r);
    }
    pooled.floor_ranges = floor_ranges.to_vec();
    pooled.summarise();
    Ok(pooled)
}

/// `acm quality` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct QualityArgs {
    /// CDR files to replay (as for `acm replay`), from a cold start.
    #[arg(long, num_args = 1.., value_name = "FILE", required_unless_present = "merge")]
    pub cdrs: Vec<PathBuf>,
    /// Labels CSV: call_id,class,type,instance[,intensity[,variant]].
    #[arg(long, value_name = "FILE", required_unless_present = "merge")]
    pub labels: Option<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    /// Score only calls from this time on: RFC 3339, epoch ms, or +1h (+30m,
    /// +90s) after the first call replayed. Earlier calls are replayed
    /// (learning) but not scored.
    #[arg(long, value_name = "TIME")]
    pub score_from: Option<String>,
    /// Score only calls before this time (same forms).
    #[arg(long, value_name = "TIME")]
    pub score_until: Option<String>,
    /// Judge a family's detection floor only on instances whose intensity is
    /// in this range, FAMILY=LO..HI (the intensities the floor describes).
    /// Repeatable.
    #[arg(long = "floor-range", value_name = "FAMILY=LO..HI")]
    pub floor_range: Vec<String>,
    /// The family held to "blocked by its 5th distinct caller".
    #[arg(long, default_value = "masking_burst", value_name = "FAMILY")]
    pub fifth_caller_family: String,
    /// Write the report as JSON: to FILE (Markdown still on stdout), or with
    /// no FILE to stdout instead of Markdown.
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-")]
    pub json: Option<PathBuf>,
    /// Pool JSON reports saved by earlier runs (--json FILE) instead of replaying.
    #[arg(long, num_args = 1.., value_name = "REPORT.json", conflicts_with_all = ["cdrs", "labels"])]
    pub merge: Vec<PathBuf>,
    /// Exit with status 1 when a floor does not hold.
    #[arg(long)]
    pub check_floors: bool,
}

fn floor_ranges(specs: &[String]) -> Result<Vec<(String, Range)>, String> {
    let mut out = Vec::new();
    for spec in specs {
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (f, r) = part
                .split_once('=')
                .ok_or_else(|| format!("--floor-range {part:?}: expected FAMILY=LO..HI"))?;
            let r = Range::parse(r).map_err(|e| format!("--floor-range {f}: {e}"))?;
            out.retain(|(g, _): &(String, Range)| g != f.trim());
            out.push((f.trim().to_string(), r));
        }
    }
    Ok(out)
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
fn emit(text: &str) -> Result<(), String> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("stdout: {e}")),
        _ => Ok(()),
    }
}

/// `acm quality`.
pub fn run(cfg: &Config, args: &QualityArgs) -> Result<(), String> {
    let ranges = floor_ranges(&args.floor_range)?;
    let started = std::time::Instant::now();
    let spec = |flag: &str, s: &Option<String>| {
        s.as_deref()
            .map(TimeSpec::parse)
            .transpose()
            .map_err(|e| format!("{flag} {e}"))
    };
    let opts = ScoreOptions {
        from: spec("--score-from", &args.score_from)?,
        until: spec("--score-until", &args.score_until)?,
        fifth_caller_family: args.fifth_caller_family.clone(),
        floor_ranges: ranges.clone(),
    };
    let report = if args.merge.is_empty() {
        let labels_path = args.labels.as_ref().ok_or("--labels is required")?;
        let labels = Labels::load(labels_path)?;
        evaluate(cfg, &args.cdrs, &labels, &args.input, &opts)?
    } else {
        merge(&args.merge, &ranges)?
    };
    let json = || serde_json::to_string_pretty(&report).map_err(|e| e.to_string());
    match args.json.as_deref() {
        Some(p) if p == std::path::Path::new("-") => emit(&(json()? + "\n"))?,
        Some(p) => {
            std::fs::write(p, json()?).map_err(|e| format!("{}: {e}", p.display()))?;
            emit(&report.render())?;
        }
        None => emit(&report.render())?,
    }
    eprintln!(
        "acm quality: {} calls replayed, {} scored, in {:.1} s",
        report.calls_replayed,
        report.calls_scored,
        started.elapsed().as_secs_f64()
    );
    if args.check_floors && !report.floor_failures().is_empty() {
        return Err("quality floors not met".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Alert;

    #[test]
    fn a_call_flagged_under_an_alert_no_verdict_raised_is_counted() {
        let flagged = |id: &str, raises: bool| Verdict {
            action: Action::Flag,
            alert_id: Some(id.into()),
            new_alerts: if raises {
                vec![Alert {
                    id: id.into(),
                    rule: Reason::DistinctCallers,
                    key: "+2348031234567".into(),
                    action: Action::Flag,
                    raised_at_ms: 0,
                    window_ms: 5_000,
                    threshold: 5,
                    baseline: None,
                    count: 5,
                    evidence: Vec::new(),
                }]
            } else {
                Vec::new()
            },
            ..Verdict::default()
        };
        let mut told = Told::default();
        assert!(
            told.untold(&flagged("dc-1-2", false)),
            "held back, then active"
        );
        assert!(
            !told.untold(&flagged("dc-3-2", true)),
            "raised by the call itself"
        );
        assert!(!told.untold(&flagged("dc-3-2", false)), "raised before");
        let allowed = Verdict {
            alert_id: Some("dc-9-9".into()),
            ..Verdict::default()
        };
        assert!(!told.untold(&allowed), "an allowed call is not flagged");
    }
}
