// SPDX-License-Identifier: MIT OR Apache-2.0
//! ClickHouse pipeline benchmark (plain timing, medians of several runs) against a local
//! clickhouse-server started here: sustained drain rate into `calls` (with its rollup views),
//! and the call path's enqueue cost per event. `cargo bench --bench pipeline`.

#[path = "../tests/support/mod.rs"]
mod support;

use acm::clock::SystemClock;
use acm::detector::Detector;
use acm::engine::{Action, Engine};
use acm::pipeline::{
    apply_schema, CallRecord, Event, EventOut, InsertCompression, Pipeline, PipelineConfig,
};
use acm::store::{MemoryStore, MemoryStoreConfig, Store};
use std::sync::Arc;

#[path = "common/mode.rs"]
mod mode;
#[path = "common/workload.rs"]
mod workload;
use std::time::{Duration, Instant};

fn call(i: u32) -> Event {
    Event::Call(Box::new(CallRecord {
        event_time_ms: 1_700_000_000_000 + i as i64,
        call_id: format!("bench-{i:010}"),
        a_number: format!("+23480{:08}", i % 50_000),
        b_number: format!("+2348031{:06}", i % 5_000),
        source_ip: format!("10.0.{}.{}", i % 7, i % 200),
        trunk: format!("trunk-{}", i % 12),
        pai: String::new(),
        attestation: "C".into(),
        action: [Action::Allow, Action::Allow, Action::Flag][(i % 3) as usize],
        reasons: if i % 3 == 2 {
            vec!["fan_in".into()]
        } else {
            vec![]
        },
        alert_id: String::new(),
        distinct_callers: i % 9,
        cli_calls: i % 4,
        rotation_clis: i % 6,
        check_us: 30 + i % 90,
        degraded: false,
        mode: "enforce".into(),
        node: "bench".into(),
    }))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn main() {
    // Sizes (quick mode under `cargo test --benches`: tiny, see common/mode.rs).
    let runs = mode::size("ACM_BENCH_runs", 5, 1);
    let drain_events = mode::size("ACM_BENCH_drain_events", 200_000, 1_000) as u32;
    let enqueue_events = mode::size("ACM_BENCH_enqueue_events", 200_000, 1_000) as u32;
    // Checks per pass of the on/off comparison: below the queue capacity, so a
    // pass measures the call path at a rate the drainer sustains (a producer that
    // outruns the drainer for long spills into the overflow list, then the spool:
    // a capacity question, answered by the drain rate).
    let check_calls = mode::size("ACM_BENCH_CALLS", 200_000, 1_000);
    let server = support::ClickHouseServer::start();
    let spool = std::env::temp_dir().join(format!("acm-bench-spool-{}", std::process::id()));
    let cfg = PipelineConfig {
        url: server.http_url(),
        database: "acm_bench".into(),
        spool_dir: spool.clone(),
        queue_capacity: 262_144,
        batch_size: std::env::var("ACM_BENCH_BATCH")
            .map_or(PipelineConfig::default().batch_size, |v| v.parse().unwrap()),
        ..PipelineConfig::default()
    };
    apply_schema(&cfg).expect("schema");
    if std::env::var("ACM_BENCH_NO_ROLLUPS").is_ok() {
        for view in [
            "calls_by_target_hourly_mv",
            "calls_by_source_hourly_mv",
            "calls_daily_mv",
        ] {
            server.query(&format!("DROP TABLE acm_bench.{view}"));
        }
    }
    println!("ClickHouse {}", server.query("SELECT version()").trim());

    // Sustained drain: time from the first submit until ClickHouse acknowledged every row,
    // with INSERT bodies LZ4-compressed (the default) and plain, interleaved run by run.
    const COMPRESSIONS: [InsertCompression; 2] = [InsertCompression::Lz4, InsertCompression::None];
    let mut rates: [Vec<f64>; 2] = Default::default();
    let mut batch = 0u32;
    for run in 0..runs {
        for (c, compression) in COMPRESSIONS.iter().enumerate() {
            let events: Vec<Event> = (0..drain_events)
                .map(|i| call(batch * drain_events + i))
                .collect();
            batch += 1;
            let mut pipeline = Pipeline::start(PipelineConfig {
                compression: *compression,
                ..cfg.clone()
            })
            .unwrap();
            let sink = pipeline.sink();
            let started = Instant::now();
            for event in events {
                sink.submit(event);
            }
            while pipeline.stats().inserted_calls < drain_events as u64 {
                assert_eq!(
                    pipeline.stats().spooled,
                    0,
                    "ClickHouse refused inserts: {:?}",
                    pipeline.stats()
                );
                std::thread::sleep(Duration::from_millis(1));
            }
            let elapsed = started.elapsed();
            let stats = pipeline.shutdown(Duration::from_secs(10));
            let rate = drain_events as f64 / elapsed.as_secs_f64();
            println!(
                "drain run {run}, {compression:?}: {drain_events} events in {elapsed:?} = {rate:.0} events/s ({} batches)",
                stats.batches
            );
            rates[c].push(rate);
        }
    }
    let rows: u64 = server
        .query("SELECT count() FROM acm_bench.calls")
        .trim()
        .parse()
        .unwrap();
    assert_eq!(
        rows,
        drain_events as u64 * batch as u64,
        "every row arrived"
    );
    let [lz4, plain] = &mut rates;
    println!(
        "drain rate median: {:.0} events/s with LZ4 INSERT bodies (the default), {:.0} events/s plain (floor 200000)",
        median(lz4),
        median(plain)
    );

    // Enqueue cost on the call path, measured per submit while the drainer runs.
    let overhead = {
        let mut samples: Vec<u64> = (0..100_000)
            .map(|_| {
                let t = Instant::now();
                t.elapsed().as_nanos() as u64
            })
            .collect();
        samples.sort_unstable();
        percentile(&samples, 0.5)
    };
    let mut medians = Vec::new();
    let mut p99s = Vec::new();
    for run in 0..runs {
        let events: Vec<Event> = (0..enqueue_events).map(|i| call(i + run as u32)).collect();
        let mut pipeline = Pipeline::start(cfg.clone()).unwrap();
        let sink = pipeline.sink();
        let mut samples = Vec::with_capacity(enqueue_events as usize);
        for event in events {
            let t = Instant::now();
            sink.submit(event);
            samples.push((t.elapsed().as_nanos() as u64).saturating_sub(overhead));
        }
        samples.sort_unstable();
        let (p50, p99) = (percentile(&samples, 0.5), percentile(&samples, 0.99));
        let stats = pipeline.shutdown(Duration::from_secs(30));
        assert_eq!(stats.overflowed, 0);
        println!(
            "enqueue run {run}: p50 {p50} ns, p99 {p99} ns, max {} ns",
            samples[samples.len() - 1]
        );
        medians.push(p50 as f64);
        p99s.push(p99 as f64);
    }
    println!(
        "enqueue cost median of runs: p50 {:.0} ns, p99 {:.0} ns (timer overhead {overhead} ns subtracted)",
        median(&mut medians),
        median(&mut p99s)
    );

    // Check throughput with the pipeline on (events drained into ClickHouse)
    // against off (no [clickhouse]: counted only), interleaved off/on so both
    // see the same machine noise. In production ClickHouse runs elsewhere; here
    // it shares this 2-core machine, so ClickHouse and the drainer thread are
    // pinned to CPU 1 and the checking thread to CPU 0: the comparison is the
    // cost the pipeline adds to the call path, not the CPU the database uses.
    let pinned = std::process::Command::new("taskset")
        .args([
            "-a",
            "-p",
            "-c",
            "1",
            &server.pid().expect("clickhouse pid").to_string(),
        ])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    println!("clickhouse-server pinned to CPU 1: {pinned}");
    // Each pass first runs ACM_BENCH_WARMUP calls (default 1,000,000: 100 s of event time,
    // past the longest window) on its fresh store, untimed and not submitted, so that both
    // modes measure a store in its steady state, as a switch that has run for a while has,
    // rather than one still faulting in its first pages.
    let warmup = mode::size("ACM_BENCH_WARMUP", 1_000_000, 1_000);
    let calls = workload::workload(warmup + check_calls, 0x5eed, 20_000_000, 2_000_000);
    let (warm, calls) = calls.split_at(warmup);
    assert!(
        check_calls < cfg.queue_capacity,
        "a pass must fit the queue"
    );
    let engine_cfg = acm::config::Config::default();
    let mut on_cfg = engine_cfg.clone();
    on_cfg.clickhouse = Some(cfg.clone());
    // Four ways to run the same checks, interleaved so all see the same noise:
    // off       no [clickhouse]: the verdict is counted, nothing built;
    // on        rows handed to the drainer and inserted into ClickHouse (CPU 1);
    // built     [clickhouse] set but no drainer: calls are built and batched on
    //           the call path and the batches dropped there (the call path's own cost);
    // neighbour off, while a thread on CPU 1 streams through 64 MiB of memory
    //           (a control: what any memory-heavy neighbour costs this memory-bound check).
    const MODES: [&str; 4] = ["off", "on", "built", "neighbour"];
    let mut rates: [Vec<f64>; 4] = Default::default();
    for run in 0..runs {
        for (mode, name) in MODES.iter().enumerate() {
            let c = if matches!(*name, "on" | "built") {
                &on_cfg
            } else {
                &engine_cfg
            };
            let engine = Arc::new(Engine::from_config(c, Arc::new(SystemClock)).unwrap());
            let store: Arc<dyn Store> = Arc::new(MemoryStore::new(MemoryStoreConfig::default()));
            let warming = Detector::new(engine.clone(), store.clone());
            for call in warm {
                std::hint::black_box(warming.check_now(call).unwrap());
            }
            // Start the drainer from a thread pinned to CPU 1 (it inherits the pin).
            let c2 = c.clone();
            let drained = *name == "on";
            let mut pipeline = std::thread::spawn(move || {
                pin_this_thread(1);
                if drained {
                    EventOut::start_pipeline(&c2).unwrap()
                } else {
                    acm::pipeline::Pipeline::disabled()
                }
            })
            .join()
            .unwrap();
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let neighbour = (*name == "neighbour").then(|| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    pin_this_thread(1);
                    let mut a = vec![1u8; 64 << 20];
                    let mut b = vec![0u8; 64 << 20];
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        b.copy_from_slice(&a);
                        std::mem::swap(&mut a, &mut b);
                    }
                    std::hint::black_box(&a);
                })
            });
            let out = EventOut::new(pipeline.sink(), c);
            let det = Detector::new(engine, store).with_sink(Arc::new(out));
            pin_this_thread(0);
            let before = thread_usage();
            let started = Instant::now();
            for call in calls {
                std::hint::black_box(det.check_now(call).unwrap());
            }
            let wall = started.elapsed();
            let rate = calls.len() as f64 / wall.as_secs_f64();
            let (cpu, preempted) = thread_usage().since(&before);
            pin_this_thread(-1);
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            if let Some(n) = neighbour {
                n.join().unwrap();
            }
            let stats = pipeline.shutdown(Duration::from_secs(60));
            if drained {
                assert_eq!(stats.inserted_calls, calls.len() as u64, "{stats:?}");
            }
            // On CPU less than the wall time, or preempted: something else ran on CPU 0.
            println!(
                "check run {run}, {name:>9}: {rate:.0} checks/s (on CPU {:.1}% of the pass, preempted {preempted} times)",
                100.0 * cpu.as_secs_f64() / wall.as_secs_f64()
            );
            rates[mode].push(rate);
        }
    }
    let [off_rates, on_rates, built_rates, neighbour_rates] = &mut rates;
    let built = median(built_rates);
    let neighbour = median(neighbour_rates);
    let (off, on) = (median(off_rates), median(on_rates));
    println!(
        "check throughput median: pipeline off {off:.0}/s, on {on:.0}/s = {:.1}% of off (floor 90%)",
        100.0 * on / off
    );
    println!(
        "controls: built on the call path, no drainer {built:.0}/s = {:.1}% of off; \
         off beside a memory-streaming neighbour {neighbour:.0}/s = {:.1}% of off",
        100.0 * built / off,
        100.0 * neighbour / off
    );
    let _ = std::fs::remove_dir_all(spool);
}

/// CPU time (user + system) and involuntary context switches of the calling thread.
struct ThreadUsage {
    cpu: Duration,
    preempted: i64,
}

impl ThreadUsage {
    fn since(&self, earlier: &ThreadUsage) -> (Duration, i64) {
        (
            self.cpu.saturating_sub(earlier.cpu),
            self.preempted - earlier.preempted,
        )
    }
}

fn thread_usage() -> ThreadUsage {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut u) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    ThreadUsage {
        cpu: tv(u.ru_utime) + tv(u.ru_stime),
        preempted: u.ru_nivcsw,
    }
}

/// Pins the calling thread to one CPU (or, with -1, lets it run on any).
fn pin_this_thread(cpu: i32) {
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        let n = libc::sysconf(libc::_SC_NPROCESSORS_ONLN).max(1) as usize;
        for c in 0..n {
            if cpu < 0 || c == cpu as usize {
                libc::CPU_SET(c, &mut set);
            }
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}
