// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Redis store's cost, measured against the floor: a bare `PING` on the
//! same connection, in the same run, interleaved one for one so both see the
//! same machine noise. Then throughput with 1, 2, 4 and 8 callers, each with
//! its own synchronous connection (like Kamailio workers), and with the async
//! client. Starts its own `redis-server` on a free port.
//!
//! Every throughput run also reports the server's CPU time per check
//! (`INFO cpu`, user + system, over the run) and so the checks one Redis core
//! serves: the cost a shared store is sized by.
//!
//! The rules are the defaults (`Config::from_toml("")`): each call updates
//! five windows — distinct_callers on its (ingress, B-number) and beside it on
//! (every ingress, B-number) for the ingress's share, distinct_callers_slow on
//! its (ingress, B-number), cli_fanout on its A-number, cli_rotation on its
//! source — with learned levels where the defaults learn (cli_velocity is off).
//!
//! `cargo bench --bench redis_store` (env `ACM_BENCH_SECS` per throughput run, default 2;
//! `ACM_BENCH_CONFIG`: a config's TOML, the defaults where it is silent, for
//! ablations, e.g. one rule's learning off, to see what each part of a check
//! costs Redis; the five-window check then does not apply).

#[path = "common/mode.rs"]
mod mode;
#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use acm::clock::SystemClock;
use acm::config::Config;
use acm::detector::Detector;
use acm::engine::{Call, Engine};
use acm::store::{AsyncRedisStore, RedisSettings, RedisStore};
use hdrhistogram::Histogram;

/// A realistic call: five windows with the default rules (the two fan-in
/// tiers on its (source, B-number), the burst tier's all-ingress companion,
/// cli_fanout on its mobile A-number, cli_rotation on its source): 100,000
/// mobile A-numbers (0803…; the 0800… numbers used before are toll-free, so
/// cli_fanout never counted them), 20,000 B-numbers (each reached from one
/// source, by five callers), 200 sources.
fn call(i: u64) -> Call {
    let mut c = Call::new(
        &format!("bench-{i}"),
        &format!("+234803{:07}", (i * 7919) % 100_000),
        &format!("+23481{:08}", (i * 104_729) % 20_000),
    );
    c.source_ip = Some(std::net::IpAddr::from([
        10,
        0,
        (i % 200) as u8,
        1 + (i % 50) as u8,
    ]));
    c
}

fn engine() -> Arc<Engine> {
    let cfg = Config::from_toml(&std::env::var("ACM_BENCH_CONFIG").unwrap_or_default()).unwrap();
    Arc::new(Engine::from_config(&cfg, Arc::new(SystemClock)).unwrap())
}

fn settings(url: &str) -> RedisSettings {
    let mut s = RedisSettings::single(url);
    s.budget = Duration::from_millis(1000);
    s.key_prefix = "bench".into();
    s
}

/// The server's CPU seconds so far: (user, system), all its threads.
fn server_cpu(server: &support::RedisServer) -> (f64, f64) {
    let info = server.cmd(&["INFO", "cpu"]).text();
    let field = |k: &str| -> f64 {
        info.lines()
            .find_map(|l| l.strip_prefix(k))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    };
    (field("used_cpu_user:"), field("used_cpu_sys:"))
}

/// One throughput line: checks/s, and the server's CPU per check (user +
/// system, the system part in brackets) and so the checks per Redis core.
fn report(what: &str, checks: u64, secs: f64, before: (f64, f64), after: (f64, f64)) {
    let n = checks.max(1) as f64;
    let (user, sys) = (after.0 - before.0, after.1 - before.1);
    let per = (user + sys) * 1e6 / n;
    println!(
        "  {what:<46} {:>8.0} checks/s   Redis {per:>6.1} µs CPU/check ({:>5.1} sys) = {:>7.0} checks per Redis core",
        n / secs,
        sys * 1e6 / n,
        1e6 / per
    );
}

fn us(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

fn main() {
    let server = support::RedisServer::start();
    let url = server.url();
    // Seconds per throughput run (quick mode: a tenth of a second).
    let millis = match std::env::var("ACM_BENCH_SECS") {
        Ok(s) => s.parse::<u64>().expect("ACM_BENCH_SECS") * 1000,
        Err(_) if mode::quick() => 100,
        Err(_) => 2000,
    };
    let info = server.cmd(&["INFO", "server"]).text();
    let redis_version = info
        .lines()
        .find(|l| l.starts_with("redis_version"))
        .unwrap_or("")
        .trim()
        .to_string();
    println!("Redis store benchmark against {url} ({redis_version})");

    // --- latency: check vs PING, interleaved on one connection -------------
    let e = engine();
    let ops = e.prepare(&call(0)).unwrap().request.windows;
    let windows = ops.len();
    for op in &ops {
        println!("  window {:?} on {:?}", op.rule, op.key.as_str());
    }
    if std::env::var_os("ACM_BENCH_CONFIG").is_none() {
        assert_eq!(windows, 5, "the default rules update five windows per call");
    }
    let store = Arc::new(RedisStore::new(settings(&url)).unwrap());
    store.connect().unwrap();
    let det = Detector::new(e.clone(), store.clone());
    let mut check_h = Histogram::<u64>::new_with_bounds(1, 1_000_000_000, 3).unwrap();
    let mut ping_h = check_h.clone();
    let n = mode::size("ACM_BENCH_CALLS", 50_000, 500) as u64;
    for i in 0..2_000 {
        det.check_now(&call(i)).unwrap();
        store.ping().unwrap();
    }
    let mut degraded = 0;
    for i in 0..n {
        let t = Instant::now();
        store.ping().unwrap();
        ping_h.record(t.elapsed().as_nanos() as u64).unwrap();
        let t = Instant::now();
        let v = det.check_now(&call(10_000 + i)).unwrap();
        check_h.record(t.elapsed().as_nanos() as u64).unwrap();
        degraded += u64::from(v.degraded());
    }
    assert_eq!(degraded, 0, "checks failed open during the benchmark");
    println!(
        "\nlatency, one connection, {n} checks ({windows} windows each) interleaved with {n} PINGs:"
    );
    println!(
        "  {:<22} {:>9} {:>9} {:>9}",
        "", "p50 µs", "p99 µs", "p99.9 µs"
    );
    for (name, h) in [("bare PING", &ping_h), ("check through store", &check_h)] {
        println!(
            "  {:<22} {:>9.1} {:>9.1} {:>9.1}",
            name,
            us(h, 0.5),
            us(h, 0.99),
            us(h, 0.999)
        );
    }
    let r50 = us(&check_h, 0.5) / us(&ping_h, 0.5);
    let r99 = us(&check_h, 0.99) / us(&ping_h, 0.99);
    println!("  ratio check/PING       p50 {r50:.2}x   p99 {r99:.2}x   (floor: within 1.5x)");
    // Where the difference goes: the server's own time per command.
    let stats = server.cmd(&["INFO", "commandstats"]).text();
    // Commands run inside scripts are counted too (Redis >= 7): the script's
    // own cost is evalsha's time minus theirs.
    let checks = (n + 2_000) as f64;
    println!("  server time per check, by command (µs; calls per check):");
    for l in stats.lines().filter(|l| l.starts_with("cmdstat_")) {
        let name = l
            .split(':')
            .next()
            .unwrap_or("")
            .trim_start_matches("cmdstat_");
        let field = |k: &str| -> f64 {
            l.split([':', ','])
                .find_map(|f| f.strip_prefix(k))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0.0)
        };
        let (calls, usec) = (field("calls="), field("usec="));
        if name == "info" || name == "script" || calls == 0.0 {
            continue;
        }
        println!(
            "    {name:<18} {:>7.2} µs/check {:>6.2} calls/check {:>6.2} µs/call",
            usec / checks,
            calls / checks,
            usec / calls
        );
    }

    // --- throughput: N sync callers, own connection each -------------------
    println!("\nthroughput, {millis} ms per run:");
    for threads in [1usize, 2, 4, 8] {
        let cpu0 = server_cpu(&server);
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (stop, done, e, url) = (stop.clone(), done.clone(), e.clone(), url.clone());
                std::thread::spawn(move || {
                    let store = Arc::new(RedisStore::new(settings(&url)).unwrap());
                    store.connect().unwrap();
                    let det = Detector::new(e, store);
                    let mut i = (t as u64 + 1) * 1_000_000_000;
                    let mut local = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let v = det.check_now(&call(i)).unwrap();
                        assert!(!v.degraded());
                        i += 1;
                        local += 1;
                    }
                    done.fetch_add(local, Ordering::Relaxed);
                })
            })
            .collect();
        let start = Instant::now();
        std::thread::sleep(Duration::from_millis(millis));
        stop.store(true, Ordering::Relaxed);
        for h in handles {
            h.join().unwrap();
        }
        let secs = start.elapsed().as_secs_f64();
        report(
            &format!("sync, {threads} caller(s), own connections"),
            done.load(Ordering::Relaxed),
            secs,
            cpu0,
            server_cpu(&server),
        );
    }

    // --- throughput: async client, one multiplexed connection --------------
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let astore = {
        let _g = rt.enter();
        Arc::new(AsyncRedisStore::new(settings(&url)).unwrap())
    };
    for tasks in [1usize, 8, 64] {
        let done = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let cpu0 = server_cpu(&server);
        let start = Instant::now();
        rt.block_on(async {
            let mut joins = Vec::new();
            for t in 0..tasks {
                let (astore, e, done, stop) =
                    (astore.clone(), e.clone(), done.clone(), stop.clone());
                joins.push(tokio::spawn(async move {
                    let det = Detector::new(e, astore);
                    let mut i = (t as u64 + 100) * 1_000_000_000;
                    while !stop.load(Ordering::Relaxed) {
                        assert!(!det.check(&call(i)).await.unwrap().degraded());
                        i += 1;
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }));
            }
            tokio::time::sleep(Duration::from_millis(millis)).await;
            stop.store(true, Ordering::Relaxed);
            for j in joins {
                j.await.unwrap();
            }
        });
        let secs = start.elapsed().as_secs_f64();
        report(
            &format!("async, {tasks} task(s), one multiplexed connection"),
            done.load(Ordering::Relaxed),
            secs,
            cpu0,
            server_cpu(&server),
        );
    }
    let s = store.stats();
    println!(
        "\nsync store counters: ok {} timeouts {} errors {} reconnects {}",
        s.ok.load(Ordering::Relaxed),
        s.timeouts.load(Ordering::Relaxed),
        s.errors.load(Ordering::Relaxed),
        s.reconnects.load(Ordering::Relaxed)
    );
}
