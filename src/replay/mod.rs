// SPDX-License-Identifier: MIT OR Apache-2.0
//! `acm replay`: run call detail records through the engine in event-time
//! order and report what it would have done.
//!
//! The engine judges by event time, so a replay gives the verdicts live
//! traffic got — same windows, same alert ids. Two ways to put several files
//! in order:
//! - **sort** (the default): every row of every file is parsed into memory,
//!   then stably sorted by timestamp (ties keep file order, then line order).
//!   Memory is about 200 bytes per row (a parsed `Call` plus its position):
//!   roughly 2 GB for 10 million CDRs.
//! - **`--presorted`**: each file is already in time order; the files are
//!   k-way merged while streaming, in memory of one row per file. A row earlier
//!   than its file's previous row is still checked (late, as a live switch
//!   would see it) and counted in `out_of_order`.
//!
//! Rows that cannot be read, and rows the engine refuses, are reported with
//! file and line, skipped, and counted in the summary.

pub mod cli;
mod csvline;
pub mod input;
pub mod summary;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::PathBuf;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::detector::Detector;
use crate::engine::Verdict;
pub use input::{BadRow, ColumnMap, Format, ReadOptions, Row};
pub use summary::Summary;

/// How to replay.
#[derive(Debug, Clone, Default)]
pub struct ReplayOptions {
    pub read: ReadOptions,
    /// Stream a k-way merge of files already sorted by time, instead of sorting.
    pub presorted: bool,
    /// Draw progress bars on stderr (the caller hides them when not a TTY).
    pub progress: bool,
}

/// What the replay reports as it goes.
pub trait ReplaySink {
    /// A row that was skipped.
    fn bad_row(&mut self, _bad: &BadRow) {}
    /// A row and its verdict, in event-time order.
    fn verdict(&mut self, _row: &Row, _v: &Verdict) {}
}

/// A sink that only counts (the summary is kept anyway).
pub struct NoSink;
impl ReplaySink for NoSink {}

fn bar(progress: bool, len: u64, what: &str) -> ProgressBar {
    if !progress {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    let template = if what == "read" {
        "{prefix:>5} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}"
    } else {
        "{prefix:>5} [{bar:40}] {human_pos}/{human_len} {per_sec} eta {eta}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_prefix(what.to_string());
    pb
}

/// Runs a replay: reads `files`, checks every row on `detector` (whose store
/// answers at once), tells `sink` about bad rows and verdicts, and answers the
/// summary.
pub fn replay(
    detector: &Detector,
    files: &[PathBuf],
    opts: &ReplayOptions,
    sink: &mut dyn ReplaySink,
) -> Summary {
    let mut summary = Summary::default();
    summary.files = files.len();
    let total_bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let read_bar = bar(opts.progress, total_bytes, "read");
    let on_read = |pb: &ProgressBar| -> Option<Box<dyn Fn(u64)>> {
        if pb.is_hidden() {
            None
        } else {
            let pb = pb.clone();
            Some(Box::new(move |n| pb.inc(n)))
        }
    };
    let mut readers = Vec::with_capacity(files.len());
    for (i, f) in files.iter().enumerate() {
        match input::CdrReader::new(f, i as u32, &opts.read, on_read(&read_bar)) {
            Ok(r) => readers.push(r),
            Err(bad) => {
                summary.bad(&bad);
                sink.bad_row(&bad);
            }
        }
    }
    let check = |row: Row, summary: &mut Summary, sink: &mut dyn ReplaySink| match detector
        .check_now(&row.call)
    {
        Ok(v) => {
            summary.record(&row.call, &v);
            sink.verdict(&row, &v);
        }
        Err(e) => {
            summary.bad_rows += 1;
            summary.refused += 1;
            sink.bad_row(&BadRow {
                file: files[row.file as usize].clone(),
                line: row.line,
                reason: format!("refused by the engine: {e}"),
                whole_file: false,
            });
        }
    };

    if opts.presorted {
        let started = Instant::now();
        // Heap of each file's next row, earliest (time, file, line) first.
        let mut heap: BinaryHeap<Reverse<(i64, u32, u64)>> = BinaryHeap::new();
        let mut next: Vec<Option<Row>> = Vec::with_capacity(readers.len());
        let mut last: Vec<i64> = vec![i64::MIN; readers.len()];
        let pull = |k: usize,
                    readers: &mut Vec<input::CdrReader>,
                    summary: &mut Summary,
                    sink: &mut dyn ReplaySink|
         -> Option<Row> {
            loop {
                match readers[k].next_row()? {
                    Ok(row) => {
                        summary.rows += 1;
                        return Some(row);
                    }
                    Err(bad) => {
                        summary.rows += 1;
                        summary.bad(&bad);
                        sink.bad_row(&bad);
                    }
                }
            }
        };
        for k in 0..readers.len() {
            let r = pull(k, &mut readers, &mut summary, sink);
            if let Some(row) = &r {
                heap.push(Reverse((row.time_ms(), k as u32, row.line)));
            }
            next.push(r);
        }
        while let Some(Reverse((t, k, _))) = heap.pop() {
            let k = k as usize;
            let Some(row) = next[k].take() else { continue };
            if t < last[k] {
                summary.out_of_order += 1;
            }
            last[k] = last[k].max(t);
            check(row, &mut summary, sink);
            if let Some(row) = pull(k, &mut readers, &mut summary, sink) {
                heap.push(Reverse((row.time_ms(), k as u32, row.line)));
                next[k] = Some(row);
            }
        }
        read_bar.finish_and_clear();
        summary.check_time = started.elapsed();
        summary.counts = detector.engine().stats().snapshot();
        return summary;
    }

    let started = Instant::now();
    let mut rows: Vec<Row> = Vec::new();
    for r in &mut readers {
        while let Some(item) = r.next_row() {
            summary.rows += 1;
            match item {
                Ok(row) => rows.push(row),
                Err(bad) => {
                    summary.bad(&bad);
                    sink.bad_row(&bad);
                }
            }
        }
    }
    drop(readers);
    read_bar.finish_and_clear();
    summary.read_time = started.elapsed();

    let started = Instant::now();
    rows.sort_by_key(Row::time_ms); // stable: ties keep file and line order
    summary.sort_time = started.elapsed();

    let started = Instant::now();
    let check_bar = bar(opts.progress, rows.len() as u64, "check");
    for (i, row) in rows.into_iter().enumerate() {
        check(row, &mut summary, sink);
        if i % 8192 == 8191 {
            check_bar.inc(8192);
        }
    }
    check_bar.finish_and_clear();
    summary.check_time = started.elapsed();
    summary.counts = detector.engine().stats().snapshot();
    summary
}
