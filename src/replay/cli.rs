// SPDX-License-Identifier: MIT OR Apache-2.0
//! The `acm replay` command line: arguments, output files, bad-row report.
//!
//! Verdicts and alerts are written as JSON lines (one object per line) so they
//! can be loaded into ClickHouse or read with `jq`. Bad rows go to stderr (the
//! first `--show-bad`) and, all of them, to `--bad-rows FILE`.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use super::{replay, BadRow, ColumnMap, Format, ReadOptions, ReplayOptions, ReplaySink, Row};
use crate::clock::SystemClock;
use crate::config::Config;
use crate::detector::Detector;
use crate::engine::{Engine, Verdict};
use crate::store::{MemoryStore, MemoryStoreConfig};

/// Where the CDRs come from and how to read them (shared with `acm quality`).
#[derive(Debug, Clone, clap::Args)]
pub struct InputArgs {
    /// Column mapping overrides, FIELD=COLUMN[,FIELD=COLUMN...]: COLUMN is a
    /// header name or #N (1-based). Fields: call_id, a_number, b_number,
    /// timestamp, source_ip, trunk, pai, attestation. Repeatable.
    #[arg(long = "map", value_name = "FIELD=COLUMN")]
    pub map: Vec<String>,
    /// File format; default: by extension (.csv, .jsonl, .ndjson, .json,
    /// optionally .gz), else by the first byte.
    #[arg(long, value_name = "csv|jsonl")]
    pub format: Option<Format>,
    /// CSV files have no header row (columns in the order of --map #N, else
    /// call_id,a_number,b_number,timestamp,source_ip,trunk,pai,attestation).
    #[arg(long)]
    pub no_header: bool,
    /// Files are each sorted by time: k-way merge them while streaming
    /// instead of loading and sorting everything.
    #[arg(long)]
    pub presorted: bool,
    /// Never draw progress bars (they are hidden anyway when stderr is not a TTY).
    #[arg(long)]
    pub no_progress: bool,
    /// Print at most this many bad rows on stderr (all are counted).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub show_bad: u64,
    /// Write every bad row (file:line: reason) to this file.
    #[arg(long, value_name = "FILE")]
    pub bad_rows: Option<PathBuf>,
    /// Exit 0 even when an input file cannot be read or is cut short (missing, a
    /// directory, not gzip, truncated, no usable header): what could be read is used.
    /// Without it such a file makes the command exit 1 after the summary.
    #[arg(long)]
    pub keep_going: bool,
}

impl InputArgs {
    /// The end of a run over these inputs: an error when a file was not read whole, unless
    /// `--keep-going` (then a warning).
    pub fn check_read(&self, unreadable: &[String]) -> Result<(), String> {
        if unreadable.is_empty() {
            return Ok(());
        }
        let what = format!(
            "{} input file(s) could not be read or were cut short: {}",
            unreadable.len(),
            unreadable.join("; ")
        );
        if self.keep_going {
            eprintln!("acm: warning: {what} (--keep-going: exit 0)");
            Ok(())
        } else {
            Err(format!(
                "{what} (--keep-going uses what could be read and exits 0)"
            ))
        }
    }

    pub fn options(&self) -> Result<ReplayOptions, String> {
        let mut map = ColumnMap::default();
        for m in &self.map {
            map.add_overrides(m)?;
        }
        Ok(ReplayOptions {
            read: ReadOptions {
                map,
                format: self.format,
                no_header: self.no_header,
            },
            presorted: self.presorted,
            progress: !self.no_progress && std::io::stderr().is_terminal(),
        })
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct ReplayArgs {
    /// CDR files: CSV or JSON lines, plain or gzip.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    /// Write every verdict as a JSON line.
    #[arg(long, value_name = "FILE")]
    pub verdicts: Option<PathBuf>,
    /// Write every alert raised as a JSON line.
    #[arg(long, value_name = "FILE")]
    pub alerts: Option<PathBuf>,
}

/// The detector a replay runs on: the config's rules on a fresh embedded
/// store. Replay always uses the embedded store (a shared Redis would mix
/// replayed state with live state) and no outputs but its own; its seeds
/// are fixed, so a file replays to the same verdicts every time.
pub fn detector_for(cfg: &Config) -> Result<Detector, String> {
    let engine = Engine::from_config(cfg, Arc::new(SystemClock)).map_err(|e| e.to_string())?;
    let store = MemoryStore::new(MemoryStoreConfig {
        called_seed: Some(REPLAY_SEED),
        ..MemoryStoreConfig::from(&cfg.store)
    });
    Ok(Detector::new(Arc::new(engine), Arc::new(store)))
}

/// The called stamps' seed in replays ("acm replay").
const REPLAY_SEED: u64 = 0x6163_6d20_7265_706c;

/// One line of `--verdicts`: the call id, then the verdict as the API shows it.
#[derive(Serialize)]
struct VerdictLine<'a> {
    call_id: &'a str,
    #[serde(flatten)]
    verdict: &'a Verdict,
}

/// Reports bad rows on stderr and to a file.
pub struct BadRowReport {
    pub shown: u64,
    pub show_max: u64,
    pub file: Option<BufWriter<File>>,
    pub error: Option<String>,
}

impl BadRowReport {
    pub fn new(args: &InputArgs) -> Result<BadRowReport, String> {
        Ok(BadRowReport {
            shown: 0,
            show_max: args.show_bad,
            file: create(args.bad_rows.as_ref())?,
            error: None,
        })
    }

    pub fn report(&mut self, bad: &BadRow) {
        if self.shown < self.show_max {
            let what = if bad.whole_file {
                "input not read whole"
            } else {
                "bad row"
            };
            eprintln!("acm: {what}: {bad}");
            self.shown += 1;
            if self.shown == self.show_max {
                eprintln!("acm: further bad rows are counted, not shown (--show-bad, --bad-rows)");
            }
        }
        if let Some(f) = &mut self.file {
            if let Err(e) = writeln!(f, "{bad}") {
                self.error.get_or_insert(format!("--bad-rows: {e}"));
            }
        }
    }

    pub fn finish(mut self) -> Result<(), String> {
        if let Some(f) = &mut self.file {
            f.flush().map_err(|e| format!("--bad-rows: {e}"))?;
        }
        self.error.map_or(Ok(()), Err)
    }
}

pub fn create(path: Option<&PathBuf>) -> Result<Option<BufWriter<File>>, String> {
    path.map(|p| {
        File::create(p)
            .map(|f| BufWriter::with_capacity(1 << 16, f))
            .map_err(|e| format!("{}: {e}", p.display()))
    })
    .transpose()
}

struct CliSink {
    bad: BadRowReport,
    verdicts: Option<BufWriter<File>>,
    alerts: Option<BufWriter<File>>,
    error: Option<String>,
}

impl ReplaySink for CliSink {
    fn bad_row(&mut self, bad: &BadRow) {
        self.bad.report(bad);
    }

    fn verdict(&mut self, row: &Row, v: &Verdict) {
        if let Some(w) = &mut self.verdicts {
            let line = VerdictLine {
                call_id: &row.call.call_id,
                verdict: v,
            };
            let r = serde_json::to_writer(&mut *w, &line)
                .map_err(|e| e.to_string())
                .and_then(|_| w.write_all(b"\n").map_err(|e| e.to_string()));
            if let Err(e) = r {
                self.error.get_or_insert(format!("--verdicts: {e}"));
            }
        }
        if let Some(w) = &mut self.alerts {
            for a in &v.new_alerts {
                let r = serde_json::to_writer(&mut *w, a)
                    .map_err(|e| e.to_string())
                    .and_then(|_| w.write_all(b"\n").map_err(|e| e.to_string()));
                if let Err(e) = r {
                    self.error.get_or_insert(format!("--alerts: {e}"));
                }
            }
        }
    }
}

/// `acm replay`.
pub fn run(cfg: &Config, args: &ReplayArgs) -> Result<(), String> {
    let opts = args.input.options()?;
    let detector = detector_for(cfg)?;
    let mut sink = CliSink {
        bad: BadRowReport::new(&args.input)?,
        verdicts: create(args.verdicts.as_ref())?,
        alerts: create(args.alerts.as_ref())?,
        error: None,
    };
    let summary = replay(&detector, &args.files, &opts, &mut sink);
    print!("{}", summary.render());
    for (w, name) in [
        (&mut sink.verdicts, "--verdicts"),
        (&mut sink.alerts, "--alerts"),
    ] {
        if let Some(w) = w {
            w.flush().map_err(|e| format!("{name}: {e}"))?;
        }
    }
    sink.bad.finish()?;
    if let Some(e) = sink.error {
        return Err(e);
    }
    args.input.check_read(&summary.unreadable)?;
    if summary.checked == 0 && summary.rows > 0 {
        return Err("no row could be replayed".into());
    }
    Ok(())
}
