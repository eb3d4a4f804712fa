//! `acm quality`: replay labelled CDRs and score the engine against the truth.
//!
//! Labels are a CSV `call_id,class,type,instance` (what `acm simulate`
//! writes; any labelled data in that shape works): `class` is `legit` or
//! `attack`, `type` names the traffic or attack type, `instance` groups the
//! calls of one attack. Scores:
//! - per attack type, the share of instances detected — at least one of its
//!   calls flagged or blocked — and, for detected instances, the event time
//!   and the number of the instance's calls until the first detection;
//! - per legitimate type, the false-positive rate: the share of its calls
//!   flagged or blocked;
//! - blocks of allowlisted numbers (A or B on an allow list), which must be 0.
//!
//! The floors the project holds itself to are [`FLOORS`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use compact_str::CompactString;
use hashbrown::HashMap;

use crate::config::Config;
use crate::engine::lists::Lists;
use crate::engine::{Action, Reason, Verdict};
use crate::replay::cli::{detector_for, BadRowReport, InputArgs};
use crate::replay::{replay, BadRow, ReplaySink, Row, Summary};

/// Detection floor per attack type, FP ceiling over legitimate calls, and
/// allowlisted blocks allowed.
pub struct Floors {
    pub detection: f64,
    pub false_positive: f64,
    pub allowlisted_blocks: u64,
}

pub const FLOORS: Floors = Floors {
    detection: 0.99,
    false_positive: 0.001,
    allowlisted_blocks: 0,
};

/// One call's ground truth.
#[derive(Debug, Clone, Copy)]
struct Label {
    attack: bool,
    kind: u16,
    instance: u32,
}

/// The labels file, interned.
#[derive(Debug, Default)]
pub struct Labels {
    by_call: HashMap<CompactString, Label>,
    kinds: Vec<(bool, String)>,
    instances: u32,
}

impl Labels {
    pub fn load(path: &Path) -> Result<Labels, String> {
        let reader = crate::replay::input::open(path, None)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let mut r = csv::Reader::from_reader(reader);
        let mut labels = Labels::default();
        let mut kind_ix: HashMap<(bool, String), u16> = HashMap::new();
        let mut inst_ix: HashMap<(u16, String), u32> = HashMap::new();
        let mut rec = csv::StringRecord::new();
        loop {
            match r.read_record(&mut rec) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => return Err(format!("{}: {e}", path.display())),
            }
            let line = rec.position().map(|p| p.line()).unwrap_or(0);
            let bad = |why: &str| format!("{}:{line}: {why}", path.display());
            if rec.len() < 3 {
                return Err(bad("expected call_id,class,type[,instance]"));
            }
            let attack = match &rec[1] {
                "attack" => true,
                "legit" => false,
                other => return Err(bad(&format!("class {other:?} is not legit or attack"))),
            };
            let key = (attack, rec[2].to_string());
            let next = kind_ix.len() as u16;
            let kind = *kind_ix.entry(key.clone()).or_insert_with(|| {
                labels.kinds.push(key);
                next
            });
            let instance = if attack {
                let name = rec.get(3).unwrap_or("").to_string();
                let next = inst_ix.len() as u32 + 1;
                *inst_ix.entry((kind, name)).or_insert(next)
            } else {
                0
            };
            labels.by_call.insert(
                rec[0].into(),
                Label {
                    attack,
                    kind,
                    instance,
                },
            );
        }
        labels.instances = inst_ix.len() as u32;
        Ok(labels)
    }
}

#[derive(Debug, Default, Clone)]
struct InstanceState {
    kind: u16,
    first_ms: i64,
    calls: u32,
    detected: Option<(i64, u32, Reason)>,
}

/// Results per legitimate type.
#[derive(Debug, Default, Clone)]
pub struct LegitScore {
    pub name: String,
    pub calls: u64,
    pub flagged: u64,
    pub blocked: u64,
    pub reasons: HashMap<&'static str, u64>,
}

impl LegitScore {
    pub fn fp_rate(&self) -> f64 {
        if self.calls == 0 {
            0.0
        } else {
            (self.flagged + self.blocked) as f64 / self.calls as f64
        }
    }
}

/// Results per attack type.
#[derive(Debug, Default, Clone)]
pub struct AttackScore {
    pub name: String,
    pub instances: u64,
    pub detected: u64,
    pub calls: u64,
    pub calls_caught: u64,
    /// Per detected instance: ms and calls until the first detection.
    pub time_to_detect_ms: Vec<i64>,
    pub calls_to_detect: Vec<u32>,
    /// The rule that detected each instance first.
    pub first_rule: HashMap<&'static str, u64>,
}

impl AttackScore {
    pub fn detection_rate(&self) -> f64 {
        if self.instances == 0 {
            1.0
        } else {
            self.detected as f64 / self.instances as f64
        }
    }
}

/// The whole quality report.
#[derive(Debug, Default)]
pub struct Report {
    pub attacks: Vec<AttackScore>,
    pub legit: Vec<LegitScore>,
    pub unlabelled: u64,
    /// Blocked calls whose A- or B-number is on an allow list.
    pub allowlisted_number_blocks: u64,
    /// Blocked calls that arrived on an allowlisted trunk or source (reported, no floor).
    pub allowlisted_source_blocks: u64,
    pub summary: Summary,
}

/// The most telling reason of a detecting verdict.
fn main_reason(v: &Verdict) -> Reason {
    for r in [
        Reason::IntlIngressLocalCli,
        Reason::InvalidCli,
        Reason::DistinctCallers,
        Reason::CliVelocity,
        Reason::CliRotation,
        Reason::DistinctCallersSlow,
        Reason::AutoBlock,
        Reason::Denylist,
    ] {
        if v.reasons.contains(r) {
            return r;
        }
    }
    Reason::MonitorOnly
}

struct Scorer<'a> {
    labels: &'a Labels,
    lists: Lists,
    instances: Vec<InstanceState>,
    legit: Vec<LegitScore>,
    attack_calls: Vec<(u64, u64)>,
    unlabelled: u64,
    allow_num_blocks: u64,
    allow_src_blocks: u64,
    bad: BadRowReport,
}

impl ReplaySink for Scorer<'_> {
    fn bad_row(&mut self, bad: &BadRow) {
        self.bad.report(bad);
    }

    fn verdict(&mut self, row: &Row, v: &Verdict) {
        if v.action == Action::Block {
            if self.lists.allow_a.contains(&v.a_number) || self.lists.allow_b.contains(&v.b_number)
            {
                self.allow_num_blocks += 1;
            } else if self
                .lists
                .source_allowed(row.call.source_ip, row.call.trunk.as_deref())
            {
                self.allow_src_blocks += 1;
            }
        }
        let Some(label) = self.labels.by_call.get(&row.call.call_id) else {
            self.unlabelled += 1;
            return;
        };
        let caught = v.action != Action::Allow;
        if label.attack {
            let s = &mut self.instances[label.instance as usize];
            if s.calls == 0 {
                s.first_ms = v.time_ms;
                s.kind = label.kind;
            }
            s.calls += 1;
            let ac = &mut self.attack_calls[label.kind as usize];
            ac.0 += 1;
            if caught {
                ac.1 += 1;
                if s.detected.is_none() {
                    s.detected = Some((v.time_ms - s.first_ms, s.calls, main_reason(v)));
                }
            }
        } else {
            let s = &mut self.legit[label.kind as usize];
            s.calls += 1;
            match v.action {
                Action::Allow => {}
                Action::Flag => s.flagged += 1,
                Action::Block => s.blocked += 1,
            }
            if caught {
                for r in v.reasons.iter() {
                    *s.reasons.entry(r.code()).or_default() += 1;
                }
            }
        }
    }
}

/// Replays `cdrs` on `cfg` and scores the verdicts against `labels`.
pub fn evaluate(
    cfg: &Config,
    cdrs: &[PathBuf],
    labels: &Labels,
    input: &InputArgs,
) -> Result<Report, String> {
    let opts = input.options()?;
    let detector = detector_for(cfg)?;
    let lists = detector.engine().config().lists.clone();
    let mut scorer = Scorer {
        labels,
        lists,
        instances: vec![InstanceState::default(); labels.instances as usize + 1],
        legit: labels
            .kinds
            .iter()
            .map(|(_, n)| LegitScore {
                name: n.clone(),
                ..LegitScore::default()
            })
            .collect(),
        attack_calls: vec![(0, 0); labels.kinds.len()],
        unlabelled: 0,
        allow_num_blocks: 0,
        allow_src_blocks: 0,
        bad: BadRowReport::new(input)?,
    };
    let summary = replay(&detector, cdrs, &opts, &mut scorer);
    let mut attacks: Vec<AttackScore> = labels
        .kinds
        .iter()
        .enumerate()
        .map(|(i, (_, n))| AttackScore {
            name: n.clone(),
            calls: scorer.attack_calls[i].0,
            calls_caught: scorer.attack_calls[i].1,
            ..AttackScore::default()
        })
        .collect();
    for s in scorer.instances.iter().skip(1).filter(|s| s.calls > 0) {
        let a = &mut attacks[s.kind as usize];
        a.instances += 1;
        if let Some((ms, n, r)) = s.detected {
            a.detected += 1;
            a.time_to_detect_ms.push(ms);
            a.calls_to_detect.push(n);
            *a.first_rule.entry(r.code()).or_default() += 1;
        }
    }
    let is_attack = |i: usize| labels.kinds[i].0;
    let mut report = Report {
        attacks: attacks
            .into_iter()
            .enumerate()
            .filter(|(i, a)| is_attack(*i) && a.calls > 0)
            .map(|(_, a)| a)
            .collect(),
        legit: scorer
            .legit
            .iter()
            .enumerate()
            .filter(|(i, l)| !is_attack(*i) && l.calls > 0)
            .map(|(_, l)| l.clone())
            .collect(),
        unlabelled: scorer.unlabelled,
        allowlisted_number_blocks: scorer.allow_num_blocks,
        allowlisted_source_blocks: scorer.allow_src_blocks,
        summary,
    };
    report.attacks.sort_by(|a, b| a.name.cmp(&b.name));
    report.legit.sort_by_key(|l| std::cmp::Reverse(l.calls));
    scorer.bad.finish()?;
    Ok(report)
}

fn percentile<T: Copy + Ord>(v: &[T], p: f64) -> Option<T> {
    if v.is_empty() {
        return None;
    }
    let mut s = v.to_vec();
    s.sort_unstable();
    let i = ((s.len() - 1) as f64 * p).round() as usize;
    Some(s[i])
}

fn secs(ms: Option<i64>) -> String {
    ms.map(|m| format!("{:.1} s", m as f64 / 1000.0))
        .unwrap_or_else(|| "-".into())
}

fn top_reasons(m: &HashMap<&'static str, u64>) -> String {
    let mut v: Vec<(&str, u64)> = m.iter().map(|(k, n)| (*k, *n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Report {
    pub fn legit_calls(&self) -> u64 {
        self.legit.iter().map(|l| l.calls).sum()
    }

    pub fn legit_fp_rate(&self) -> f64 {
        let calls = self.legit_calls();
        let fp: u64 = self.legit.iter().map(|l| l.flagged + l.blocked).sum();
        if calls == 0 {
            0.0
        } else {
            fp as f64 / calls as f64
        }
    }

    /// The floors that do not hold, as sentences; empty when all hold.
    pub fn floor_failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        for a in &self.attacks {
            if a.detection_rate() < FLOORS.detection {
                out.push(format!(
                    "{}: {:.1}% of instances detected (floor {:.0}%)",
                    a.name,
                    a.detection_rate() * 100.0,
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
        if self.allowlisted_number_blocks > FLOORS.allowlisted_blocks {
            out.push(format!(
                "{} blocks of allowlisted numbers (must be 0)",
                self.allowlisted_number_blocks
            ));
        }
        out
    }

    /// The report as Markdown tables.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "## Attacks (detected = at least one call of the instance flagged or blocked)\n"
        );
        let _ = writeln!(s, "| attack type | instances | detected | calls flagged/blocked | time to first detection (median / p90) | calls to first detection (median / p90) | first detected by |");
        let _ = writeln!(s, "|---|---:|---:|---:|---|---|---|");
        for a in &self.attacks {
            let _ = writeln!(
                s,
                "| {} | {} | {} ({:.1}%) | {:.1}% | {} / {} | {} / {} | {} |",
                a.name,
                a.instances,
                a.detected,
                a.detection_rate() * 100.0,
                if a.calls == 0 {
                    0.0
                } else {
                    a.calls_caught as f64 * 100.0 / a.calls as f64
                },
                secs(percentile(&a.time_to_detect_ms, 0.5)),
                secs(percentile(&a.time_to_detect_ms, 0.9)),
                percentile(&a.calls_to_detect, 0.5).map_or("-".into(), |n| n.to_string()),
                percentile(&a.calls_to_detect, 0.9).map_or("-".into(), |n| n.to_string()),
                top_reasons(&a.first_rule),
            );
        }
        let _ = writeln!(
            s,
            "\n## Legitimate traffic (false positive = flagged or blocked)\n"
        );
        let _ = writeln!(
            s,
            "| traffic type | calls | flagged | blocked | FP rate | reasons |"
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
                top_reasons(&l.reasons)
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
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "Blocks of allowlisted numbers: **{}**; blocked calls from allowlisted trunks/sources: {}; unlabelled calls: {}; bad rows: {}.",
            self.allowlisted_number_blocks,
            self.allowlisted_source_blocks,
            self.unlabelled,
            self.summary.bad_rows
        );
        let failures = self.floor_failures();
        let _ = writeln!(s);
        if failures.is_empty() {
            let _ = writeln!(s, "All floors hold (detection >= 99% per attack type, FP <= 0.1%, no allowlisted blocks).");
        } else {
            let _ = writeln!(s, "Floors NOT met:");
            for f in failures {
                let _ = writeln!(s, "- {f}");
            }
        }
        s
    }
}

/// `acm quality` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct QualityArgs {
    /// CDR files to replay (as for `acm replay`).
    #[arg(long, required = true, num_args = 1.., value_name = "FILE")]
    pub cdrs: Vec<PathBuf>,
    /// Labels CSV: call_id,class,type,instance.
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,
    #[command(flatten)]
    pub input: InputArgs,
    /// Exit with status 1 when a floor does not hold.
    #[arg(long)]
    pub check_floors: bool,
}

/// `acm quality`.
pub fn run(cfg: &Config, args: &QualityArgs) -> Result<(), String> {
    let labels = Labels::load(&args.labels)?;
    let report = evaluate(cfg, &args.cdrs, &labels, &args.input)?;
    print!("{}", report.render());
    eprintln!(
        "acm quality: {} calls replayed in {:.1} s",
        report.summary.checked,
        (report.summary.read_time + report.summary.sort_time + report.summary.check_time)
            .as_secs_f64()
    );
    if args.check_floors && !report.floor_failures().is_empty() {
        return Err("quality floors not met".into());
    }
    Ok(())
}
