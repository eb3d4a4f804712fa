// SPDX-License-Identifier: MIT OR Apache-2.0
//! The gRPC face against the HTTP face, in one run: `acm serve` (release) with
//! both faces on, and the same call mix sent at the same concurrency (C
//! connections) four ways, interleaved, medians of several passes:
//!
//! - `http check`:   `POST /v1/check`, one call per request, C keep-alive HTTP/1.1 connections;
//! - `http events`:  `POST /v1/events`, batches of B calls, C connections;
//! - `grpc check`:   unary `Check`, one call per RPC, C HTTP/2 connections;
//! - `grpc stream`:  `CheckStream`, C streams (one per connection), calls sent as fast as
//!   the stream takes them and verdicts read as they come.
//!
//! `acm serve` runs on CPU 1, this client on CPU 0 (the machine has two cores).
//! `cargo bench --bench grpc`. Env: ACM_BENCH_CALLS (calls per pass and way, 60,000),
//! ACM_BENCH_CONNS (C, 4), ACM_BENCH_BATCH (B, 100), ACM_BENCH_RUNS (5). Without
//! `--bench` (scripts/test.sh) one pass of 400 calls a way: it proves the benchmark runs.

#[path = "../tests/support/mod.rs"]
mod support;

#[path = "common/mode.rs"]
mod mode;
#[path = "common/workload.rs"]
mod workload;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use acm::engine::Call;
use acm::serve::grpc::proto::{self, acm_client::AcmClient};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};
use tokio_stream::StreamExt;

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

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn json_of(c: &Call) -> Value {
    let mut v = json!({
        "call_id": c.call_id.as_str(), "a_number": c.a_number.as_str(),
        "b_number": c.b_number.as_str(), "timestamp": c.time_ms,
    });
    if let Some(ip) = c.source_ip {
        v["source_ip"] = json!(ip.to_string());
    }
    if let Some(t) = &c.trunk {
        v["trunk"] = json!(t.as_str());
    }
    v
}

fn proto_of(c: &Call) -> proto::CheckRequest {
    proto::CheckRequest {
        call_id: c.call_id.to_string(),
        a_number: c.a_number.to_string(),
        b_number: c.b_number.to_string(),
        timestamp: c.time_ms.map(|t| t.to_string()).unwrap_or_default(),
        source_ip: c.source_ip.map(|i| i.to_string()).unwrap_or_default(),
        trunk: c.trunk.as_deref().unwrap_or_default().to_string(),
        ..Default::default()
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

async fn post(sender: &mut Sender, path: &str, body: Bytes) -> Bytes {
    let req = hyper::Request::post(path)
        .header("host", "bench")
        .header("content-type", "application/json")
        .body(Full::new(body))
        .unwrap();
    let resp = sender.send_request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    resp.into_body().collect().await.unwrap().to_bytes()
}

async fn grpc_conn(port: u16) -> AcmClient<tonic::transport::Channel> {
    let ch = tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
        .unwrap()
        .tcp_nodelay(true)
        .connect()
        .await
        .unwrap();
    AcmClient::new(ch)
}

/// Splits `items` into `conns` contiguous shares.
fn shares<T: Clone>(items: &[T], conns: usize) -> Vec<Vec<T>> {
    let per = items.len().div_ceil(conns);
    items.chunks(per).map(|c| c.to_vec()).collect()
}

/// One pass of one way; answers the calls judged per second.
async fn pass(way: &str, calls: &[Call], conns: usize, batch: usize, http: u16, grpc: u16) -> f64 {
    let mut tasks = tokio::task::JoinSet::new();
    let started;
    match way {
        "http check" => {
            let bodies: Vec<Bytes> = calls
                .iter()
                .map(|c| Bytes::from(json_of(c).to_string()))
                .collect();
            let mut senders = Vec::new();
            for _ in 0..conns {
                senders.push(http_conn(http).await);
            }
            started = Instant::now();
            for (mut s, share) in senders.into_iter().zip(shares(&bodies, conns)) {
                tasks.spawn(async move {
                    for b in share {
                        std::hint::black_box(post(&mut s, "/v1/check", b).await);
                    }
                    0usize
                });
            }
        }
        "http events" => {
            let bodies: Vec<Bytes> = calls
                .chunks(batch)
                .map(|c| {
                    Bytes::from(
                        json!({"events": c.iter().map(json_of).collect::<Vec<_>>()}).to_string(),
                    )
                })
                .collect();
            let mut senders = Vec::new();
            for _ in 0..conns {
                senders.push(http_conn(http).await);
            }
            started = Instant::now();
            for (mut s, share) in senders.into_iter().zip(shares(&bodies, conns)) {
                tasks.spawn(async move {
                    for b in share {
                        std::hint::black_box(post(&mut s, "/v1/events", b).await);
                    }
                    0usize
                });
            }
        }
        "grpc check" => {
            let reqs: Vec<_> = calls.iter().map(proto_of).collect();
            let mut clients = Vec::new();
            for _ in 0..conns {
                clients.push(grpc_conn(grpc).await);
            }
            started = Instant::now();
            for (mut c, share) in clients.into_iter().zip(shares(&reqs, conns)) {
                tasks.spawn(async move {
                    for r in share {
                        std::hint::black_box(c.check(r).await.unwrap());
                    }
                    0usize
                });
            }
        }
        "grpc stream" => {
            let reqs: Vec<_> = calls.iter().map(proto_of).collect();
            let mut clients = Vec::new();
            for _ in 0..conns {
                clients.push(grpc_conn(grpc).await);
            }
            started = Instant::now();
            for (mut c, share) in clients.into_iter().zip(shares(&reqs, conns)) {
                tasks.spawn(async move {
                    let n = share.len();
                    let mut answers = c
                        .check_stream(tokio_stream::iter(share))
                        .await
                        .unwrap()
                        .into_inner();
                    let mut got = 0;
                    while let Some(a) = answers.next().await {
                        std::hint::black_box(a.unwrap());
                        got += 1;
                    }
                    assert_eq!(got, n);
                    0usize
                });
            }
        }
        _ => unreachable!(),
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    calls.len() as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    // Without `--bench` (CI's run of every benchmark): one small pass.
    let n = mode::size("ACM_BENCH_CALLS", 60_000, 400);
    let conns = env("ACM_BENCH_CONNS", 4);
    let batch = env("ACM_BENCH_BATCH", 100);
    let runs = mode::size("ACM_BENCH_RUNS", 5, 1);
    let dir = support::TempDir::new("acm-bench-grpc");
    let (http, grpc) = (support::free_port(), support::free_port());
    let mut cmd = match support::find_program("taskset") {
        Some(t) => {
            let mut c = Command::new(t);
            c.args(["-c", "1"]).arg(support::acm_bin());
            c
        }
        None => Command::new(support::acm_bin()),
    };
    let mut serve = cmd
        .args(["serve", "--listen", &format!("127.0.0.1:{http}")])
        .env("ACM_GRPC__LISTEN", format!("127.0.0.1:{grpc}"))
        .env("ACM_ALERTS__EVENTS_FILE", dir.join("alert-events.jsonl"))
        .env("ACM_SERVE__MAX_BODY_BYTES", (64 << 20).to_string())
        .env("ACM_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn acm serve");
    let up = support::wait_until(Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", http)).is_ok()
            && std::net::TcpStream::connect(("127.0.0.1", grpc)).is_ok()
    });
    assert!(up, "acm serve did not come up");
    pin_this_thread(0);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    const WAYS: [&str; 4] = ["http check", "http events", "grpc check", "grpc stream"];
    let mut rates: [Vec<f64>; 4] = Default::default();
    // One warm-up pass of each way, untimed.
    let mut pass_no = 0u64;
    let mut next_calls = |n: usize| -> Arc<Vec<Call>> {
        pass_no += 1;
        let mut calls = workload::workload(n, 0x5eed + pass_no, 20_000_000, 2_000_000);
        // Event time keeps moving forward from pass to pass.
        let shift = pass_no as i64 * 3_600_000;
        for c in &mut calls {
            c.time_ms = c.time_ms.map(|t| t + shift);
        }
        Arc::new(calls)
    };
    for way in WAYS {
        let calls = next_calls(n / 4);
        rt.block_on(pass(way, &calls, conns, batch, http, grpc));
    }
    for run in 0..runs {
        for (w, way) in WAYS.iter().enumerate() {
            let calls = next_calls(n);
            let rate = rt.block_on(pass(way, &calls, conns, batch, http, grpc));
            eprintln!("run {run} {way:<12} {rate:>10.0} calls/s");
            rates[w].push(rate);
        }
    }
    let _ = serve.kill();
    let _ = serve.wait();
    println!(
        "\n{n} calls per pass, {conns} connections, batches of {batch}, median of {runs} passes:\n"
    );
    println!("| way | calls/s (median) | passes | vs `POST /v1/check` |");
    println!("| --- | ---: | --- | ---: |");
    let base = median(&mut rates[0].clone());
    for (w, way) in WAYS.iter().enumerate() {
        let all: Vec<String> = rates[w].iter().map(|r| format!("{r:.0}")).collect();
        let m = median(&mut rates[w].clone());
        println!("| {way} | {m:.0} | {} | {:.2}× |", all.join(", "), m / base);
    }
}
