//! Benchmark of `Engine::check` on the embedded store: one thread, a realistic
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
use acm::engine::{Action, Call, Engine};
use acm::store::{MemoryStore, MemoryStoreConfig};
use hdrhistogram::Histogram;

/// A small, portable PRNG (xorshift64*), so the mix is the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// Roughly Zipf(1) over 0..n: a few numbers call a lot.
    fn skewed(&mut self, n: u64) -> u64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64).powf(u) - 1.0) as u64 % n
    }
}

/// `b_space`/`a_space`: how many distinct cold B-numbers and callers exist. The
/// realistic mix keeps hundreds of thousands of live windows (memory-bound);
/// the small one fits in cache and shows the compute cost alone.
fn workload(n: usize, seed: u64, b_space: u64, a_space: u64) -> Vec<Call> {
    let mut rng = Rng(seed);
    let t0 = 1_700_000_000_000i64;
    (0..n)
        .map(|i| {
            let b = if rng.below(100) < 5 {
                format!("+2348090000{:03}", rng.below(20)) // 20 hot B-numbers, 5% of calls
            } else {
                format!("+23480{:08}", rng.below(b_space))
            };
            let a = format!("+23481{:08}", rng.skewed(a_space));
            let mut c = Call::new(
                &format!("{i:x}-{}@sbc.example.net", rng.next() % 100_000),
                &a,
                &b,
            );
            c.time_ms = Some(t0 + (i as i64) / 10);
            c.source_ip = Some(
                format!("10.0.{}.{}", rng.below(4), rng.below(15) + 1)
                    .parse()
                    .unwrap(),
            );
            c
        })
        .collect()
}

fn run(name: &str, cfg: &Config, calls: &[Call]) {
    let n = calls.len();
    // Throughput: several untimed passes, each on a fresh engine and store.
    let mut rates = Vec::new();
    let mut blocked = 0;
    for _ in 0..5 {
        let engine = Engine::from_config(cfg, Arc::new(SystemClock)).unwrap();
        let store = MemoryStore::new(MemoryStoreConfig::default());
        let start = Instant::now();
        let mut b = 0usize;
        for c in calls {
            let v = engine.check(c, &store).unwrap();
            b += (v.action == Action::Block) as usize;
        }
        rates.push(n as f64 / start.elapsed().as_secs_f64());
        blocked = b;
    }
    rates.sort_by(|a, b| a.partial_cmp(b).unwrap());

    // Latency: time every call of one more pass.
    let engine = Engine::from_config(cfg, Arc::new(SystemClock)).unwrap();
    let store = MemoryStore::new(MemoryStoreConfig::default());
    let mut hist = Histogram::<u64>::new(3).unwrap();
    for c in calls {
        let t = Instant::now();
        let v = engine.check(c, &store).unwrap();
        let ns = t.elapsed().as_nanos() as u64;
        std::hint::black_box(v);
        hist.record(ns).unwrap();
    }
    let keys = store
        .stats()
        .keys
        .load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "[{name}] {n} calls, {keys} live keys at the end, {:.2}% blocked",
        100.0 * blocked as f64 / n as f64
    );
    println!(
        "[{name}] throughput: median {:.0} checks/s (min {:.0}, max {:.0}) over 5 passes",
        rates[2], rates[0], rates[4]
    );
    println!(
        "[{name}] latency per check: p50 {} ns, p90 {} ns, p99 {} ns, p99.9 {} ns, max {} ns",
        hist.value_at_quantile(0.5),
        hist.value_at_quantile(0.9),
        hist.value_at_quantile(0.99),
        hist.value_at_quantile(0.999),
        hist.max()
    );
}

fn main() {
    let n: usize = std::env::var("ACM_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000_000);
    // ACM_BENCH_CONFIG: TOML for ablations (e.g. turn rules off).
    let cfg = Config::from_toml(&std::env::var("ACM_BENCH_CONFIG").unwrap_or_default()).unwrap();
    println!("mix: 5% of calls to 20 hot B-numbers, the rest to cold ones; Zipf-skewed callers; 60 sources;");
    println!("     event time advancing at 10,000 calls/s; default rules (3 windows per call)");
    let only = std::env::var("ACM_BENCH_ONLY").unwrap_or_default();
    if only.is_empty() || only == "realistic" {
        run(
            "realistic",
            &cfg,
            &workload(n, 0x5eed, 20_000_000, 2_000_000),
        );
    }
    if only.is_empty() || only == "cache-resident" {
        run("cache-resident", &cfg, &workload(n, 0x5eed, 2_000, 5_000));
    }
    let mut timer = Histogram::<u64>::new(3).unwrap();
    for _ in 0..100_000 {
        let t = Instant::now();
        timer.record(t.elapsed().as_nanos() as u64).unwrap();
    }
    println!("timer overhead: p50 {} ns", timer.value_at_quantile(0.5));
}
