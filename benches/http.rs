// SPDX-License-Identifier: MIT OR Apache-2.0
//! The server's CPU per `POST /event` (issue 19's HTTP floor), side by side with a bare
//! keep-alive responder on the same core and the same load.
//!
//! Each server runs as a child process pinned to CPU 1 (`taskset`, when installed); this
//! client drives it from CPU 0 over C keep-alive HTTP/1.1 connections, each sending
//! seed-shaped bodies (`call_id`, `a_number`, `b_number`, RFC 3339 `timestamp`) one after
//! the other. The mix is the benchmarks' realistic one (many cold B-numbers, 20 hot ones,
//! Zipf-skewed callers) with a burst every 2,000 calls: six callers to one fresh mobile
//! B-number within three seconds, which raises alerts. A server's CPU is read from
//! `/proc/PID/stat` (utime + stime, all its threads) before and after a pass: the figure is
//! that delta over the requests answered, with requests per second beside it.
//!
//! Servers, alternating pass by pass in each round, all started once:
//! - `bare`: a minimal hyper HTTP/1.1 server (this binary, started again) answering every
//!   request with a fixed small JSON: the floor that HTTP over loopback TCP costs;
//! - `acm`: `acm serve` (the built binary, or `ACM_BIN`) with the default config (embedded
//!   store);
//! - `base`: a second `acm` binary to compare against, when `ACM_BENCH_BASE_BIN` names one.
//!
//! `cargo bench --bench http`. Env: ACM_BENCH_CALLS (requests per pass, 100,000),
//! ACM_BENCH_CONNS (C, 4), ACM_BENCH_RUNS (rounds, 5), ACM_BENCH_BASE_BIN, ACM_BENCH_ONLY
//! (servers by name, e.g. `acm` alone to profile it), ACM_BENCH_RATE (requests/s over all
//! connections, paced; 0, the default: each connection sends as soon as it has its answer).
//!
//! Read the figures with the load in mind: as fast as answered, a server slower than this
//! client finds the client asleep on every answer, and the wake-up (an inter-processor
//! interrupt, dear in a VM) is paid in the server's `writev`; a server faster than the
//! client mostly does not pay it. Paced below both servers' capacity, both pay the same
//! wake-ups. Without
//! `--bench` (`cargo test --benches`): one round of 300 requests, proving it runs.

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "common/mode.rs"]
mod mode;
#[path = "common/workload.rs"]
mod workload;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use acm::engine::Call;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};

/// Set in the child that serves as the bare responder: the port it listens on.
const RESPONDER_ENV: &str = "ACM_HTTP_BENCH_RESPONDER_PORT";

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pin_this_thread(cpu: usize) {
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// The bare responder: hyper's HTTP/1.1 server on a tokio runtime (as many workers as
/// the CPUs it may use, like `acm serve`), one fixed answer.
fn bare_responder(port: u16) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            tcp.set_nodelay(true).unwrap();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|req: hyper::Request<_>| async move {
                    // Read the body, as a real handler must.
                    let body: hyper::body::Incoming = req.into_body();
                    let _ = body.collect().await;
                    let answer = hyper::Response::builder()
                        .header("content-type", "application/json")
                        .body(Full::new(Bytes::from_static(b"{\"status\":\"processed\"}")))
                        .unwrap();
                    Ok::<_, std::convert::Infallible>(answer)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
}

/// A server under test: its process and port.
struct Server {
    name: &'static str,
    child: Child,
    port: u16,
    alerts: u64,
}

impl Server {
    fn start(name: &'static str, program: &Path, dir: &Path) -> Server {
        let port = support::free_port();
        let mut cmd = match support::find_program("taskset") {
            Some(t) => {
                let mut c = Command::new(t);
                c.args(["-c", "1"]).arg(program);
                c
            }
            None => Command::new(program),
        };
        // `acm` reads ACM_* variables as config: this benchmark's own are not for it.
        for (k, _) in std::env::vars() {
            if k.starts_with("ACM_BENCH") {
                cmd.env_remove(k);
            }
        }
        match name {
            "bare" => cmd.env(RESPONDER_ENV, port.to_string()),
            _ => cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")]),
        };
        let log = dir.join(format!("{name}.log"));
        let child = cmd
            .env(
                "ACM_ALERTS__EVENTS_FILE",
                dir.join(format!("{name}-alert-events.jsonl")),
            )
            .env("ACM_LOG", "warn")
            .stdout(Stdio::null())
            // Its log (an alert is a warning line) into a file, shown if it fails to start.
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", program.display()));
        let up = support::wait_until(Duration::from_secs(30), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        assert!(
            up,
            "{name} did not come up on port {port}: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        Server {
            name,
            child,
            port,
            alerts: 0,
        }
    }

    /// utime + stime of all the process's threads, in seconds.
    fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .expect("/proc/PID/stat");
        // Fields after the command name (which may hold spaces) in parentheses.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
        let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
        ticks as f64 / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn http_conn(port: u16) -> Sender {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    tcp.set_nodelay(true).unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn);
    sender
}

/// Sends one body; answers whether the server raised an alert for it.
async fn post(sender: &mut Sender, body: Bytes) -> bool {
    let req = hyper::Request::post("/event")
        .header("host", "bench")
        .header("content-type", "application/json")
        .body(Full::new(body))
        .unwrap();
    let resp = sender.send_request(req).await.unwrap();
    let status = resp.status();
    let answer = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    assert!(answer.starts_with(b"{\""), "{answer:?}");
    answer.starts_with(b"{\"alert\"")
}

/// The seed's body for a call.
fn body_of(c: &Call) -> Bytes {
    let ts = chrono::DateTime::from_timestamp_millis(c.time_ms.unwrap())
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    Bytes::from(
        serde_json::json!({
            "call_id": c.call_id.as_str(),
            "a_number": c.a_number.as_str(),
            "b_number": c.b_number.as_str(),
            "timestamp": ts,
        })
        .to_string(),
    )
}

/// The realistic mix with a burst every 2,000 calls; event time moves on per round.
fn bodies(n: usize, round: u64) -> Arc<Vec<Bytes>> {
    let mut calls = workload::workload(n, 0x5eed + round, 20_000_000, 2_000_000);
    let shift = round as i64 * 3_600_000;
    let mut out = Vec::with_capacity(n);
    // Every 2,000 calls (or four times in a small run).
    let every = (n / 4).clamp(20, 2_000);
    for (i, c) in calls.iter_mut().enumerate() {
        c.time_ms = c.time_ms.map(|t| t + shift);
        if i % every == every / 2 {
            for k in 0..6u64 {
                let mut b = c.clone();
                b.call_id = format!("burst-{round}-{i}-{k}").into();
                b.a_number = format!("+2348170{:06}", (i as u64 * 7 + k) % 1_000_000).into();
                b.b_number =
                    format!("+2348038{:06}", (round * 100_000 + i as u64) % 1_000_000).into();
                b.time_ms = b.time_ms.map(|t| t + k as i64 * 500);
                out.push(body_of(&b));
            }
        }
        out.push(body_of(c));
    }
    out.truncate(n);
    Arc::new(out)
}

struct Pass {
    cpu_us_per_req: f64,
    rate: f64,
    alerts: u64,
}

/// `rate`: requests per second over all connections, 0 for as fast as answers come.
async fn pass(server: &Server, bodies: &Arc<Vec<Bytes>>, conns: usize, rate: usize) -> Pass {
    // Paced: connection c sends its k-th request at k × period (timer granularity 1 ms).
    let period = (rate > 0).then(|| Duration::from_secs_f64(conns as f64 / rate as f64));
    let mut senders = Vec::new();
    for _ in 0..conns {
        senders.push(http_conn(server.port).await);
    }
    let cpu0 = server.cpu_seconds();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (c, mut s) in senders.into_iter().enumerate() {
        let bodies = bodies.clone();
        tasks.spawn(async move {
            let mut alerts = 0u64;
            let t0 = tokio::time::Instant::now();
            // Connection c sends every conns-th body: bursts spread over connections.
            for (k, b) in bodies.iter().skip(c).step_by(conns).enumerate() {
                if let Some(p) = period {
                    tokio::time::sleep_until(t0 + p * k as u32).await;
                }
                alerts += post(&mut s, b.clone()).await as u64;
            }
            alerts
        });
    }
    let mut alerts = 0;
    while let Some(r) = tasks.join_next().await {
        alerts += r.unwrap();
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = server.cpu_seconds() - cpu0;
    let n = bodies.len() as f64;
    Pass {
        cpu_us_per_req: cpu * 1e6 / n,
        rate: n / wall,
        alerts,
    }
}

fn main() {
    if let Ok(port) = std::env::var(RESPONDER_ENV) {
        return bare_responder(port.parse().unwrap());
    }
    let n = mode::size("ACM_BENCH_CALLS", 100_000, 300);
    let conns = env("ACM_BENCH_CONNS", 4);
    let rate = env("ACM_BENCH_RATE", 0);
    let runs = mode::size("ACM_BENCH_RUNS", 5, 1);
    let dir = support::TempDir::new("acm-bench-http");
    let me: PathBuf = std::env::current_exe().unwrap();
    let mut servers = vec![
        Server::start("bare", &me, dir.path()),
        Server::start("acm", &support::acm_bin(), dir.path()),
    ];
    if let Some(base) = std::env::var_os("ACM_BENCH_BASE_BIN") {
        servers.push(Server::start("base", Path::new(&base), dir.path()));
    }
    // ACM_BENCH_ONLY=acm: that server alone (to profile it); the first listed is the
    // one the others are set against.
    if let Ok(only) = std::env::var("ACM_BENCH_ONLY") {
        servers.retain(|s| only.split(',').any(|o| o == s.name));
    }
    for s in &servers {
        eprintln!("{} pid {} port {}", s.name, s.child.id(), s.port);
    }
    pin_this_thread(0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // Warm-up: a quarter pass each, untimed.
    let warm = bodies(n / 4, 0);
    for s in &servers {
        rt.block_on(pass(s, &warm, conns, rate));
    }
    let mut results: Vec<Vec<Pass>> = servers.iter().map(|_| Vec::new()).collect();
    for run in 1..=runs as u64 {
        let load = bodies(n, run);
        // Who goes first alternates from round to round.
        let mut order: Vec<usize> = (0..servers.len()).collect();
        if run % 2 == 0 {
            order.reverse();
        }
        for i in order {
            let p = rt.block_on(pass(&servers[i], &load, conns, rate));
            eprintln!(
                "round {run} {:<5} {:>7.2} µs CPU/request {:>9.0} requests/s {:>4} alerts",
                servers[i].name, p.cpu_us_per_req, p.rate, p.alerts
            );
            servers[i].alerts += p.alerts;
            results[i].push(p);
        }
    }
    let first = median(
        &results[0]
            .iter()
            .map(|p| p.cpu_us_per_req)
            .collect::<Vec<_>>(),
    );
    let load = match rate {
        0 => "as fast as answered".to_string(),
        r => format!("paced at {r} requests/s"),
    };
    println!(
        "\n`POST /event`, {n} requests per pass ({load}), {conns} keep-alive connections, \
         server on CPU 1, {runs} rounds (medians; every pass listed):\n"
    );
    println!(
        "| server | CPU µs per request | × {} | requests/s | passes (µs) |",
        servers[0].name
    );
    println!("| --- | ---: | ---: | ---: | --- |");
    for (s, r) in servers.iter().zip(&results) {
        let cpu: Vec<f64> = r.iter().map(|p| p.cpu_us_per_req).collect();
        let rate: Vec<f64> = r.iter().map(|p| p.rate).collect();
        let all: Vec<String> = cpu.iter().map(|c| format!("{c:.2}")).collect();
        println!(
            "| {} | {:.2} | {:.2} | {:.0} | {} |",
            s.name,
            median(&cpu),
            median(&cpu) / first,
            median(&rate),
            all.join(", ")
        );
        if s.name != "bare" {
            assert!(s.alerts > 0, "{}: the bursts raised no alert", s.name);
        }
    }
}
