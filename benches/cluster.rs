// SPDX-License-Identifier: MIT OR Apache-2.0
//! Drain rate into a two-shard ClickHouse cluster against one server, side by side:
//! `cargo bench --bench cluster`. Starts one clickhouse-server 18.16 and a two-shard cluster
//! (two more servers, replicated tables, one ZooKeeper) on this machine, applies the schema to
//! both (`--cluster` for the cluster), then times, run by run interleaved, how long 200,000
//! calls take from the first submit until every row is counted through the tables reports
//! read (base table and all three rollups), for:
//! - `single`: one server;
//! - `shards`: the cluster, acm spreading whole batches over the shards (`shard_urls`);
//! - `distributed`: the cluster, batches INSERTed into the Distributed tables of one node
//!   (the server's default asynchronous forwarding to the other shard).
//!
//! All servers share this machine's cores: the figures compare the write paths, not what two
//! machines would add. `ACM_BENCH_RUNS=N` (default 5), `ACM_BENCH_EVENTS=N` (default 200,000).

#[path = "common/mode.rs"]
mod mode;
#[path = "../tests/support/mod.rs"]
mod support;

use acm::engine::Action;
use acm::pipeline::{apply_schema, CallRecord, Event, Pipeline, PipelineConfig};
use std::time::{Duration, Instant};
use support::{ClickHouseCluster, ClickHouseServer, TestClickHouse};

fn call(i: u32) -> Event {
    Event::Call(Box::new(CallRecord {
        event_time_ms: 1_700_000_000_000 + i as i64,
        call_id: format!("bench-{i:010}"),
        a_number: format!("+23480{:08}", i % 50_000),
        b_number: format!("+2348031{:06}", i % 5_000),
        source_ip: format!("10.0.{}.{}", i % 7, i % 200),
        trunk: format!("trunk-{}", i % 12),
        attestation: "C".into(),
        action: [Action::Allow, Action::Allow, Action::Flag][(i % 3) as usize],
        reasons: if i % 3 == 2 {
            vec!["fan_in".into()]
        } else {
            vec![]
        },
        check_us: 30 + i % 90,
        mode: "enforce".into(),
        node: "bench".into(),
        ..CallRecord::default()
    }))
}

/// Rows as the reports see them: base table and every rollup, the smallest of them.
fn visible(node: &dyn TestClickHouse) -> u64 {
    [
        "SELECT count() FROM acm_bench.calls",
        "SELECT countMerge(calls) FROM acm_bench.calls_daily",
        "SELECT countMerge(calls) FROM acm_bench.calls_by_target_hourly",
        "SELECT countMerge(calls) FROM acm_bench.calls_by_source_hourly",
    ]
    .iter()
    .map(|q| node.query(q).trim().parse::<u64>().unwrap())
    .min()
    .unwrap()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap());
    values[values.len() / 2]
}

fn main() {
    let runs = mode::size("ACM_BENCH_RUNS", 5, 1);
    let events = mode::size("ACM_BENCH_EVENTS", 200_000, 1_000) as u32;
    let single = ClickHouseServer::start();
    let cluster = ClickHouseCluster::start(2);
    let spool = std::env::temp_dir().join(format!("acm-bench-cluster-{}", std::process::id()));
    let base = PipelineConfig {
        database: "acm_bench".into(),
        spool_dir: spool.clone(),
        queue_capacity: 262_144,
        retention_days: 36_500,
        ..PipelineConfig::default()
    };
    let single_cfg = PipelineConfig {
        url: single.http_url(),
        ..base.clone()
    };
    let distributed_cfg = PipelineConfig {
        url: cluster.nodes[0].http_url(),
        cluster: ClickHouseCluster::NAME.into(),
        ..base.clone()
    };
    let shards_cfg = PipelineConfig {
        shard_urls: cluster.urls(),
        ..distributed_cfg.clone()
    };
    apply_schema(&single_cfg).expect("schema");
    apply_schema(&distributed_cfg).expect("cluster schema");
    println!(
        "ClickHouse {}; cluster {} of {} shards",
        single.query("SELECT version()").trim(),
        ClickHouseCluster::NAME,
        cluster.nodes.len()
    );

    let modes: [(&str, &PipelineConfig, &dyn TestClickHouse); 3] = [
        ("single", &single_cfg, &single),
        ("shards", &shards_cfg, &cluster.nodes[0]),
        ("distributed", &distributed_cfg, &cluster.nodes[0]),
    ];
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); modes.len()];
    let mut sent = [0u64; 3];
    let mut next = 0u32;
    for run in 0..runs {
        for (m, (name, cfg, reader)) in modes.iter().enumerate() {
            let before = visible(*reader);
            let batch: Vec<Event> = (next..next + events).map(call).collect();
            next += events;
            let mut pipeline = Pipeline::start((*cfg).clone()).unwrap();
            let sink = pipeline.sink();
            let started = Instant::now();
            for e in batch {
                sink.submit(e);
            }
            while visible(*reader) < before + events as u64 {
                assert_eq!(pipeline.stats().spooled, 0, "{:?}", pipeline.stats());
                std::thread::sleep(Duration::from_millis(5));
            }
            let elapsed = started.elapsed();
            pipeline.shutdown(Duration::from_secs(10));
            sent[m] += events as u64;
            let rate = events as f64 / elapsed.as_secs_f64();
            println!("run {run} {name:12} {events} events in {elapsed:?} = {rate:.0} events/s");
            rates[m].push(rate);
        }
    }
    let per_shard: Vec<String> = cluster
        .nodes
        .iter()
        .map(|n| {
            n.query("SELECT count() FROM acm_bench_local.calls")
                .trim()
                .to_string()
        })
        .collect();
    println!("rows per shard: {}", per_shard.join(" / "));
    assert_eq!(visible(&single), sent[0]);
    assert_eq!(
        visible(&cluster.nodes[0]),
        sent[1] + sent[2],
        "every row arrived once"
    );
    for (m, (name, _, _)) in modes.iter().enumerate() {
        println!(
            "median {name:12} {:.0} events/s over {runs} runs",
            median(&mut rates[m])
        );
    }
    let _ = std::fs::remove_dir_all(spool);
}
