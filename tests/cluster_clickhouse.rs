// SPDX-License-Identifier: MIT OR Apache-2.0
//! A two-shard ClickHouse cluster (two clickhouse-server 18.16 processes, replicated tables,
//! ON CLUSTER DDL through Debian's ZooKeeper; all started here): `acm schema apply --cluster`
//! makes shard tables and Distributed tables (for every migration, a test-only one included);
//! two `acm serve` nodes spread their batches over both shards; reports read the whole cluster;
//! one shard down loses nothing and duplicates nothing (its batches go to the other shard),
//! and both down spools everything until they are back.

mod report_data;
mod support;

use acm::pipeline::PipelineConfig;
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::{acm_bin, free_port, wait_until, ClickHouseCluster, TempDir, TestClickHouse};

const DB: &str = "acm";

fn cluster_config(cluster: &ClickHouseCluster, spool: &std::path::Path) -> PipelineConfig {
    PipelineConfig {
        url: cluster.nodes[0].http_url(),
        database: DB.into(),
        cluster: ClickHouseCluster::NAME.into(),
        shard_urls: cluster.urls(),
        batch_size: 50,
        flush_interval_ms: 50,
        insert_timeout_ms: 2_000,
        spool_dir: spool.to_path_buf(),
        retention_days: 36_500,
        ..PipelineConfig::default()
    }
}

fn count(server: &dyn TestClickHouse, sql: &str) -> u64 {
    server.query(sql).trim().parse().unwrap()
}

struct Serve {
    child: Child,
    port: u16,
    dir: TempDir,
}

impl Serve {
    fn start(cluster: &ClickHouseCluster, name: &str) -> Serve {
        let port = free_port();
        let dir = TempDir::new("serve");
        let urls: Vec<String> = cluster.urls().iter().map(|u| format!("{u:?}")).collect();
        std::fs::write(
            dir.join("acm.toml"),
            format!(
                "[serve]\nlisten = \"127.0.0.1:{port}\"\n\n[clickhouse]\nurl = {:?}\n\
                 database = \"{DB}\"\ncluster = \"{}\"\nshard_urls = [{}]\nbatch_size = 40\n\
                 flush_interval_ms = 50\nspool_dir = {:?}\n",
                cluster.nodes[0].http_url(),
                ClickHouseCluster::NAME,
                urls.join(", "),
                dir.join("spool").to_string_lossy()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("serve.log")).unwrap();
        let child = Command::new(acm_bin())
            .arg("-c")
            .arg(dir.join("acm.toml"))
            .arg("serve")
            .env("ACM_NODE_NAME", name)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start acm serve");
        let s = Serve { child, port, dir };
        assert!(
            wait_until(Duration::from_secs(10), || s.get("/health").is_some()),
            "acm serve did not come up:\n{}",
            support::tail_of(&s.dir.join("serve.log"), 20)
        );
        s
    }

    fn get(&self, path: &str) -> Option<String> {
        support::http_request(self.port, "GET", path, b"", Duration::from_secs(5))
            .ok()
            .filter(|r| r.status == 200)
            .map(|r| r.text())
    }

    fn events(&self, events: &[Value]) {
        let body = json!({ "events": events }).to_string();
        let r = support::http_request(
            self.port,
            "POST",
            "/v1/events",
            body.as_bytes(),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
    }

    /// A pipeline counter from /metrics (`acm_pipeline_<name>`).
    fn metric(&self, name: &str) -> u64 {
        let text = self.get("/metrics").unwrap_or_default();
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("acm_pipeline_{name} ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no acm_pipeline_{name} in /metrics"))
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `n` calls with ids `<prefix>-<i>`, spread over many B-numbers and valid callers.
fn calls(prefix: &str, from: u32, n: u32) -> Vec<Value> {
    (from..from + n)
        .map(|i| {
            json!({
                "call_id": format!("{prefix}-{i}"),
                "a_number": format!("+23480{:08}", 10_000 + i),
                "b_number": format!("+2348031{:06}", i % 97),
                "timestamp": 1_700_000_000_000i64 + i as i64 * 10,
            })
        })
        .collect()
}

fn send(node: &Serve, prefix: &str, from: u32, n: u32) {
    for start in (from..from + n).step_by(50) {
        node.events(&calls(prefix, start, 50.min(from + n - start)));
    }
}

/// Calls in the cluster as the base table and every rollup count them, through the
/// Distributed tables (an INSERT writes the base table first, then each view in turn).
fn all_counts(node: &dyn TestClickHouse) -> [u64; 4] {
    [
        "SELECT count() FROM acm.calls",
        "SELECT countMerge(calls) FROM acm.calls_daily",
        "SELECT countMerge(calls) FROM acm.calls_by_target_hourly",
        "SELECT countMerge(calls) FROM acm.calls_by_source_hourly",
    ]
    .map(|q| count(node, q))
}

fn cluster_total(cluster: &ClickHouseCluster) -> u64 {
    cluster
        .nodes
        .iter()
        .map(|n| count(n, &format!("SELECT count() FROM {DB}_local.calls")))
        .sum()
}

#[test]
fn two_serve_nodes_fill_both_shards_and_survive_shard_outages() {
    let mut cluster = ClickHouseCluster::start(2);
    let spool = tempfile::tempdir().unwrap();
    let cfg = cluster_config(&cluster, spool.path());

    // The schema through the cluster path, the alert lifecycle (migration 003: an ALTER on
    // the shard tables) included: the alerts' Distributed twin is re-created.
    let node0 = &cluster.nodes[0];
    let report = report_data::apply_with_lifecycle(&cfg);
    assert!(
        report
            .distributed
            .iter()
            .any(|l| l == "acm.alerts re-created (columns changed)"),
        "{report}"
    );
    for node in &cluster.nodes {
        let tables = node.query(&format!(
            "SELECT database, name, engine FROM system.tables WHERE database LIKE '{DB}%' \
             ORDER BY database, name FORMAT TSV"
        ));
        assert!(tables.contains("acm\tcalls\tDistributed"), "{tables}");
        assert!(
            tables.contains("acm_local\tcalls\tReplicatedMergeTree"),
            "{tables}"
        );
        assert!(
            tables.contains("acm_local\tcalls_daily\tReplicatedAggregatingMergeTree"),
            "{tables}"
        );
        assert!(
            tables.contains("acm\talert_events\tDistributed"),
            "{tables}"
        );
        let severity = node.query(
            "SELECT count() FROM system.columns WHERE database = 'acm' AND table = 'alerts' \
             AND name = 'severity'",
        );
        assert_eq!(severity.trim(), "1");
    }
    let again = acm::pipeline::apply_schema(&cfg).unwrap();
    assert!(
        again.applied.is_empty() && again.distributed.is_empty(),
        "{again}"
    );

    let a = Serve::start(&cluster, "node-a");
    let b = Serve::start(&cluster, "node-b");

    // Both nodes, several batches each: rows land on both shards.
    send(&a, "a", 0, 300);
    send(&b, "b", 0, 300);
    assert!(
        wait_until(Duration::from_secs(30), || all_counts(node0) == [600; 4]),
        "600 calls through the Distributed tables (have {:?}; insert errors {} {})\n{}\n{}",
        all_counts(node0),
        a.metric("insert_errors_total"),
        b.metric("insert_errors_total"),
        support::tail_of(&a.dir.join("serve.log"), 10),
        support::tail_of(&b.dir.join("serve.log"), 10),
    );
    let per_shard: Vec<u64> = cluster
        .nodes
        .iter()
        .map(|n| count(n, "SELECT count() FROM acm_local.calls"))
        .collect();
    assert!(per_shard.iter().all(|&c| c > 0), "{per_shard:?}");
    for node in &cluster.nodes {
        let nodes = node.query("SELECT count(DISTINCT node) FROM acm.calls");
        assert_eq!(nodes.trim(), "2");
    }

    // Reports read the Distributed tables: they see both shards.
    let hourly = report_data::json_rows(&cfg, "hourly");
    let total: u64 = hourly
        .iter()
        .map(|r| r["calls_total"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 600, "{hourly:?}");
    let daily = report_data::json_rows(&cfg, "daily-summary");
    assert_eq!(daily[0]["calls_total"], 600);
    // Calls a-i and b-i come from the same caller: 300 distinct.
    assert_eq!(daily[0]["distinct_callers"], 300);
    let targets = report_data::json_rows(&cfg, "top-targets");
    assert_eq!(targets.len(), 50, "97 targets, the top 50 listed");
    let per_target: u64 = targets
        .iter()
        .map(|r| r["calls_total"].as_u64().unwrap())
        .max()
        .unwrap();
    // i % 97 over 0..300: targets 0-8 get 4 calls from each node.
    assert_eq!(per_target, 8);

    // Shard 2 down: nothing is lost, nothing spooled, nothing doubled.
    cluster.nodes[1].stop();
    send(&a, "a", 300, 200);
    send(&b, "b", 300, 200);
    assert!(
        wait_until(Duration::from_secs(30), || count(
            &cluster.nodes[0],
            "SELECT count() FROM acm_local.calls"
        ) == per_shard[0] + 400),
        "the live shard took every batch"
    );
    assert_eq!(a.metric("spooled_total") + b.metric("spooled_total"), 0);

    // Both down: everything is spooled; back up: delivered once.
    cluster.nodes[0].stop();
    send(&a, "a", 500, 150);
    send(&b, "b", 500, 150);
    assert!(
        wait_until(Duration::from_secs(30), || a.metric("spooled_total")
            + b.metric("spooled_total")
            == 300),
        "300 calls spooled while both shards were down"
    );
    cluster.nodes[0].start_again();
    cluster.nodes[1].start_again();
    assert!(
        wait_until(Duration::from_secs(60), || cluster_total(&cluster) == 1300),
        "every call delivered after the outage (have {})",
        cluster_total(&cluster)
    );
    // Rows are visible a moment before the drainers count them replayed.
    let replayed = || a.metric("replayed_from_spool_total") + b.metric("replayed_from_spool_total");
    assert!(
        wait_until(Duration::from_secs(10), || replayed() == 300),
        "replayed {}",
        replayed()
    );
    let node0 = &cluster.nodes[0];
    assert!(
        wait_until(Duration::from_secs(30), || all_counts(node0) == [1300; 4]),
        "{:?}",
        all_counts(node0)
    );
    assert_eq!(
        count(node0, "SELECT uniqExact(call_id) FROM acm.calls"),
        1300
    );
    let daily = report_data::json_rows(&cfg, "daily-summary");
    assert_eq!(daily[0]["calls_total"], 1300);
    for s in [&a, &b] {
        assert_eq!(
            s.metric("dropped_spool_full_total") + s.metric("dropped_queue_full_total"),
            0
        );
    }
}
