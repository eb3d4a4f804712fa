// SPDX-License-Identifier: MIT OR Apache-2.0
//! Benchmark of `Engine::check` on the embedded store (or, with
//! `ACM_BENCH_STORE=shm`, the shared-memory store): one thread, a realistic
//! mix (many cold B-numbers, a few hot ones, Zipf-skewed callers, 60 trunks,
//! event time advancing at 10,000 calls/s so windows trim and keys expire).
//!
//! Run: `taskset -c 1 cargo bench --bench check` (figures in BENCHMARKS.md).
//! Throughput is measured over untimed loops; latency by timing each call
//! (the timer itself costs ~20-30 ns, reported as `timer overhead`).

use std::sync::Arc;
use std::time::Instant;

use acm::clock::SystemClock;
use acm::config::Config;
use acm::detector::Detector;
use acm::engine::{Action, Call, Engine};
use acm::store::{MemoryStore, MemoryStoreConfig, ShmStore, Store};
use hdrhistogram::Histogram;

#[path = "common/mode.rs"]
mod mode;
#[path = "common/workload.rs"]
mod workload;
use workload::workload;

/// A fresh engine and store behind a Detector, as every face runs them.
fn detector(cfg: &Config) -> (Detector, Arc<dyn Store>) {
    let engine = Engine::from_config(cfg, Arc::new(SystemClock)).unwrap();
    let store: Arc<dyn Store> = match std::env::var("ACM_BENCH_STORE").as_deref() {
        Ok("shm") => Arc::new(ShmStore::new(acm::store::shm_config(cfg)).unwrap()),
        _ => Arc::new(MemoryStore::new(MemoryStoreConfig::from(&cfg.store))),
    };
    (Detector::new(Arc::new(engine), store.clone()), store)
}

/// A store counter by name (0 when the store has none).
fn metric(store: &dyn Store, name: &str) -> u64 {
    store
        .metrics()
        .iter()
        .find(|m| m.name == name)
        .map_or(0, |m| m.value)
}

/// `warm`: calls run on each fresh store before the timed ones, so that the
/// short windows are full and trimming when the timing starts. The default
/// (1 M calls, 100 s of event time) is not the steady state: `cli_fanout`'s
/// 10-minute windows and learned state are still accumulating, and part of
/// the timed work is first-touch page faults of a growing store. An hour-old
/// switch holds more keys and checks fewer calls a second (BENCHMARKS.md,
/// *the realistic mix is still growing when it is timed*; try
/// `ACM_BENCH_WARMUP=8000000`).
fn run(name: &str, cfg: &Config, warm: &[Call], calls: &[Call], passes: usize) {
    let n = calls.len();
    // Throughput: several untimed passes, each on a fresh engine and store.
    let mut rates = Vec::new();
    let mut blocked = 0;
    for _ in 0..passes {
        let (det, _store) = detector(cfg);
        for c in warm {
            std::hint::black_box(det.check_now(c).unwrap());
        }
        let start = Instant::now();
        let mut b = 0usize;
        for c in calls {
            let v = det.check_now(c).unwrap();
            b += (v.action == Action::Block) as usize;
        }
        rates.push(n as f64 / start.elapsed().as_secs_f64());
        blocked = b;
    }
    rates.sort_by(|a, b| a.partial_cmp(b).unwrap());

    // Latency: time every call of one more pass.
    let (det, store) = detector(cfg);
    for c in warm {
        std::hint::black_box(det.check_now(c).unwrap());
    }
    let mut hist = Histogram::<u64>::new(3).unwrap();
    // The calls that raised an alert (quoting its evidence), apart and without.
    let mut alerting = Histogram::<u64>::new(3).unwrap();
    let mut quiet = Histogram::<u64>::new(3).unwrap();
    for c in calls {
        let t = Instant::now();
        let v = det.check_now(c).unwrap();
        let ns = t.elapsed().as_nanos() as u64;
        hist.record(ns).unwrap();
        if v.new_alerts.is_empty() {
            quiet.record(ns).unwrap();
        } else {
            alerting.record(ns).unwrap();
        }
        std::hint::black_box(v);
    }
    let keys = metric(&*store, "keys");
    println!(
        "[{name}] {n} calls after {} warm-up calls, {keys} live keys at the end, {:.2}% blocked; \
         {} store: {} full-shard sweeps, {} untracked updates",
        warm.len(),
        100.0 * blocked as f64 / n as f64,
        store.name(),
        metric(&*store, "full_sweeps"),
        metric(&*store, "untracked"),
    );
    println!(
        "[{name}] throughput: median {:.0} checks/s (min {:.0}, max {:.0}) over {passes} passes",
        rates[passes / 2],
        rates[0],
        rates[passes - 1]
    );
    println!(
        "[{name}] latency per check: p50 {} ns, p90 {} ns, p99 {} ns, p99.9 {} ns, max {} ns",
        hist.value_at_quantile(0.5),
        hist.value_at_quantile(0.9),
        hist.value_at_quantile(0.99),
        hist.value_at_quantile(0.999),
        hist.max()
    );
    println!(
        "[{name}] calls that raised an alert: {:.2}% of calls, p50 {} ns, p99 {} ns; \
         the others: p50 {} ns, p99 {} ns",
        100.0 * alerting.len() as f64 / hist.len() as f64,
        alerting.value_at_quantile(0.5),
        alerting.value_at_quantile(0.99),
        quiet.value_at_quantile(0.5),
        quiet.value_at_quantile(0.99),
    );
    // How much of the time the slowest calls take (sweeps, table growth).
    let total: f64 = hist
        .iter_recorded()
        .map(|v| v.value_iterated_to() as f64 * v.count_at_value() as f64)
        .sum();
    let slow: f64 = hist
        .iter_recorded()
        .filter(|v| v.value_iterated_to() > 20_000)
        .map(|v| v.value_iterated_to() as f64 * v.count_at_value() as f64)
        .sum();
    println!(
        "[{name}] mean {:.0} ns; calls over 20 µs: {:.3}% of calls, {:.1}% of the time",
        hist.mean(),
        100.0 * hist.count_between(20_001, u64::MAX) as f64 / hist.len() as f64,
        100.0 * slow / total
    );
}

fn main() {
    let n = mode::size("ACM_BENCH_CALLS", 2_000_000, 2_000);
    // ACM_BENCH_WARMUP: calls before the timed ones (0: a cold store, as a
    // switch has in its first minute). The default covers 100 s of event
    // time: past the burst tier's and `cli_rotation`'s windows (10 s, 60 s),
    // not the slow tier's 120 s nor `cli_fanout`'s 10 minutes (see `run`).
    let warmup = mode::size("ACM_BENCH_WARMUP", 1_000_000, 1_000);
    // ACM_BENCH_PASSES: untimed throughput passes (the median is reported).
    let passes = mode::size("ACM_BENCH_PASSES", 5, 1).max(1);
    // ACM_BENCH_CONFIG: TOML for ablations (e.g. turn rules off).
    let toml = std::env::var("ACM_BENCH_CONFIG").unwrap_or_default();
    let cfg = Config::from_toml(&toml).unwrap();
    // The realistic mix ends with ~2.4 M live keys (cold B-numbers at 10,000
    // calls/s of event time): past the default store.max_keys (1 M) most of
    // its window updates would go untracked, and the benchmark would time a
    // full store. It gets a store sized for it unless ACM_BENCH_CONFIG sizes
    // one; the cache-resident mix keeps the default.
    let mut sized = cfg.clone();
    if !toml.contains("max_keys") {
        sized.store.max_keys = 4_000_000;
    }
    println!("mix: 5% of calls to 20 hot B-numbers, the rest to cold ones; Zipf-skewed callers; 60 sources;");
    println!("     event time advancing at 10,000 calls/s; default rules (4 windows per call)");
    let only = std::env::var("ACM_BENCH_ONLY").unwrap_or_default();
    for (name, b_space, a_space) in [
        ("realistic", 20_000_000, 2_000_000),
        ("cache-resident", 2_000, 5_000),
    ] {
        if only.is_empty() || only == name {
            let calls = workload(warmup + n, 0x5eed, b_space, a_space);
            let (warm, timed) = calls.split_at(warmup);
            let cfg = if name == "realistic" { &sized } else { &cfg };
            println!("[{name}] store.max_keys = {}", cfg.store.max_keys);
            run(name, cfg, warm, timed, passes);
        }
    }
    let mut timer = Histogram::<u64>::new(3).unwrap();
    for _ in 0..mode::size("ACM_BENCH_TIMER", 100_000, 100) {
        let t = Instant::now();
        timer.record(t.elapsed().as_nanos() as u64).unwrap();
    }
    println!("timer overhead: p50 {} ns", timer.value_at_quantile(0.5));
}
