// SPDX-License-Identifier: MIT OR Apache-2.0
//! Alerts off the call path: the same checks with webhooks and the lifecycle on
//! and off, side by side (interleaved passes, medians). `cargo bench --bench alerts`.
//!
//! - off:       the quick start: no ClickHouse, no receivers (alerts only counted);
//! - hooks:     a webhook receiver (Standard Webhooks, signed) on this machine; every alert
//!   is queued on the call path and POSTed by the drainer thread;
//! - lifecycle: hooks, plus `acm serve`'s feed sink: every alert also goes to the lifecycle
//!   (its file log and the book behind the API and the stream).
//!
//! The drainer, the receiver and the lifecycle tasks run on CPU 1, the checking thread on
//! CPU 0: what is compared is the cost on the call path. Env: ACM_BENCH_CALLS (200,000 timed
//! checks per pass), ACM_BENCH_WARMUP (500,000 untimed first), ACM_BENCH_RUNS (5).

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "common/mode.rs"]
mod mode;
#[path = "common/workload.rs"]
mod workload;

use std::sync::Arc;
use std::time::{Duration, Instant};

use acm::clock::SystemClock;
use acm::config::{Config, ReceiverConfig};
use acm::detector::{Detector, VerdictSink};
use acm::engine::Engine;
use acm::pipeline::EventOut;
use acm::store::{MemoryStore, MemoryStoreConfig, Store};

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

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let n = mode::size("ACM_BENCH_CALLS", 200_000, 1_000);
    let warmup = mode::size("ACM_BENCH_WARMUP", 500_000, 1_000);
    let runs = mode::size("ACM_BENCH_RUNS", 5, 1);
    let dir = support::TempDir::new("acm-bench-alerts");
    let receiver = std::thread::spawn(|| {
        pin_this_thread(1);
        support::receiver::WebhookReceiver::start()
    })
    .join()
    .unwrap();
    let calls = workload::workload(warmup + n, 0x5eed, 20_000_000, 2_000_000);
    let (warm, timed) = calls.split_at(warmup);

    let off = Config::default();
    let mut hooks = off.clone();
    hooks.webhooks.spool_dir = dir.join("spool");
    hooks.webhooks.receivers.push(ReceiverConfig {
        name: "bench".into(),
        url: format!("http://127.0.0.1:{}/hook", receiver.port),
        secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into(),
        ..Default::default()
    });
    hooks.alerts.events_file = dir.join("events.jsonl");
    const MODES: [&str; 3] = ["off", "hooks", "lifecycle"];
    let mut rates: [Vec<f64>; 3] = Default::default();
    let mut p99s: [Vec<f64>; 3] = Default::default();
    let mut alert_p50s: [Vec<f64>; 3] = Default::default();
    for run in 0..runs {
        for (m, name) in MODES.iter().enumerate() {
            let cfg = if *name == "off" { &off } else { &hooks };
            let engine = Arc::new(Engine::from_config(cfg, Arc::new(SystemClock)).unwrap());
            let store: Arc<dyn Store> = Arc::new(MemoryStore::new(MemoryStoreConfig::default()));
            let warming = Detector::new(engine.clone(), store.clone());
            for c in warm {
                std::hint::black_box(warming.check_now(c).unwrap());
            }
            // Drainer (and lifecycle runtime) started from CPU 1: they inherit the pin.
            let c2 = cfg.clone();
            let with_lifecycle = *name == "lifecycle";
            let (mut pipeline, lifecycle) = std::thread::spawn(move || {
                pin_this_thread(1);
                let pipeline = EventOut::start_pipeline(&c2).unwrap();
                let lifecycle = with_lifecycle.then(|| {
                    let rt = tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(1)
                        .enable_all()
                        .build()
                        .unwrap();
                    let (alerts, feed, rx) = acm::serve::alerts::Alerts::new(&c2).unwrap();
                    let alerts = Arc::new(alerts);
                    let events = EventOut::new(pipeline.sink(), &c2);
                    let a2 = alerts.clone();
                    rt.block_on(async move { a2.start(rx, events, None).await });
                    (rt, alerts, feed)
                });
                (pipeline, lifecycle)
            })
            .join()
            .unwrap();
            let out = EventOut::new(pipeline.sink(), cfg);
            let mut det = Detector::new(engine, store).with_sink(Arc::new(out));
            if let Some((_, _, feed)) = &lifecycle {
                det = det.with_sink(feed.clone() as Arc<dyn VerdictSink>);
            }
            pin_this_thread(0);
            let mut hist = hdrhistogram::Histogram::<u64>::new(3).unwrap();
            let mut alert_hist = hdrhistogram::Histogram::<u64>::new(3).unwrap();
            let mut raised = 0u64;
            let started = Instant::now();
            for c in timed {
                let t = Instant::now();
                let v = det.check_now(c).unwrap();
                let ns = t.elapsed().as_nanos() as u64;
                hist.record(ns).unwrap();
                if !v.new_alerts.is_empty() {
                    raised += v.new_alerts.len() as u64;
                    alert_hist.record(ns).unwrap();
                }
            }
            let wall = started.elapsed();
            pin_this_thread(-1);
            let rate = timed.len() as f64 / wall.as_secs_f64();
            let lanes = pipeline.lane_stats();
            pipeline.shutdown(Duration::from_secs(60));
            let sent: u64 = lanes.iter().map(|(n, s)| s.snapshot(n).sent).sum();
            if *name != "off" {
                assert_eq!(sent, raised, "every alert delivered once");
            }
            let held = lifecycle.as_ref().map(|(_, a, _)| {
                let deadline = Instant::now() + Duration::from_secs(30);
                while a.book.list(&Default::default()).2 < raised as usize
                    && Instant::now() < deadline
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                a.book.list(&Default::default()).2
            });
            println!(
                "run {run} {name:>9}: {rate:>9.0} checks/s  p50 {:>6} ns  p99 {:>6} ns  max {:>9} ns  alert calls p50 {:>6} ns p90 {:>7} ns max {:>9} ns, total {:.0} ms of {:.0}; alerts {raised} (delivered {sent}{})",
                hist.value_at_quantile(0.5),
                hist.value_at_quantile(0.99),
                hist.max(),
                alert_hist.value_at_quantile(0.5),
                alert_hist.value_at_quantile(0.9),
                alert_hist.max(),
                alert_hist.mean() * alert_hist.len() as f64 / 1e6,
                hist.mean() * hist.len() as f64 / 1e6,
                held.map(|h| format!(", in the lifecycle {h}")).unwrap_or_default()
            );
            rates[m].push(rate);
            p99s[m].push(hist.value_at_quantile(0.99) as f64);
            alert_p50s[m].push(alert_hist.value_at_quantile(0.5) as f64);
        }
    }
    let base = median(&mut rates[0].clone());
    println!("\nmedians of {runs} interleaved runs ({n} timed checks each, {warmup} warm-up):");
    for (m, name) in MODES.iter().enumerate() {
        let r = median(&mut rates[m]);
        println!(
            "{name:>9}: {r:>9.0} checks/s ({:>5.1}% of off)  p99 {:>6.0} ns  alert calls p50 {:>6.0} ns",
            100.0 * r / base,
            median(&mut p99s[m]),
            median(&mut alert_p50s[m])
        );
    }
}
