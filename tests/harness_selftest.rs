// SPDX-License-Identifier: MIT OR Apache-2.0
//! Tests of the test harness itself, against real servers.
//! Needs `scripts/setup-test-env.sh` to have run; missing servers make these tests fail.

mod support;

use std::time::{Duration, Instant};
use support::*;

#[test]
fn temp_dir_is_unique_and_removed() {
    let a = TempDir::new("selftest");
    let b = TempDir::new("selftest");
    assert_ne!(a.path(), b.path());
    std::fs::write(a.join("f"), "x").unwrap();
    let p = a.path().to_path_buf();
    drop(a);
    assert!(!p.exists());
}

#[test]
fn free_ports_are_distinct_and_bindable() {
    let ports: Vec<u16> = (0..20).map(|_| free_port()).collect();
    let mut sorted = ports.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ports.len(), "duplicate ports: {ports:?}");
    // Drawn from 10000 up, below the ephemeral range, so outgoing connections never take them.
    assert!(ports.iter().all(|&p| p >= 10000), "{ports:?}");
    let p = free_port();
    let listener = std::net::TcpListener::bind(("127.0.0.1", p));
    assert!(
        listener.is_ok(),
        "free_port() {p} not bindable: {listener:?}"
    );
    let p = free_port_with_bus();
    assert!(port_is_free(p));
    // The bus port is reserved too: free_port() never hands it out.
    assert!((0..50).all(|_| free_port() != p + 10000));
}

#[test]
fn wait_until_polls_and_times_out() {
    let start = Instant::now();
    let mut n = 0;
    assert!(wait_until(Duration::from_secs(2), || {
        n += 1;
        n >= 3
    }));
    assert!(!wait_until(Duration::from_millis(50), || false));
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[test]
fn redis_start_pause_resume_kill_restart() {
    let t = Instant::now();
    let mut r = RedisServer::start();
    eprintln!("redis-server up in {:?} on {}", t.elapsed(), r.url());
    let port = r.port();
    assert_eq!(r.url(), format!("redis://127.0.0.1:{port}/"));
    assert!(r.ping(Duration::from_secs(1)));
    assert_eq!(r.cmd(&["SET", "k", "v"]), Resp::Simple("OK".into()));
    assert_eq!(r.cmd(&["GET", "k"]).text(), "v");
    assert!(r.cmd(&["NOSUCHCOMMAND"]).is_error());

    // Paused: connections are accepted by the kernel, but nothing answers.
    r.pause();
    let t = Instant::now();
    let res = redis_command(port, &["PING"], Duration::from_millis(200));
    assert!(res.is_err(), "paused server answered: {res:?}");
    let e = res.unwrap_err();
    assert!(
        matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "unexpected error kind: {e:?}"
    );
    assert!(t.elapsed() < Duration::from_secs(2));
    r.resume();
    assert!(wait_until(Duration::from_secs(2), || r
        .ping(Duration::from_millis(200))));
    assert_eq!(r.cmd(&["GET", "k"]).text(), "v");

    // Crash: nothing listens any more.
    r.kill();
    assert!(!r.is_running());
    assert!(!r.ping(Duration::from_millis(200)));
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());

    // Restart on the same port; no persistence, so the data is gone.
    r.restart();
    assert_eq!(r.port(), port);
    assert!(r.ping(Duration::from_secs(1)));
    assert_eq!(r.cmd(&["GET", "k"]), Resp::Bulk(None));

    // Graceful stop, then restart again.
    r.stop();
    assert!(!r.ping(Duration::from_millis(200)));
    r.restart();
    assert!(r.ping(Duration::from_secs(1)));

    // Restart while running, and stop while paused, both work.
    r.restart();
    r.pause();
    r.stop();
    assert!(!r.is_running());
}

#[test]
fn redis_drop_stops_server_and_removes_dir() {
    let r = RedisServer::start();
    let (port, dir) = (r.port(), r.dir().to_path_buf());
    assert!(dir.join("redis.log").exists());
    drop(r);
    assert!(!redis_ping(port, Duration::from_millis(200)));
    assert!(!dir.exists());
}

#[test]
fn redis_cluster_of_three_masters() {
    let t = Instant::now();
    let c = RedisCluster::start(3);
    eprintln!("redis cluster (3 masters) ready in {:?}", t.elapsed());
    let ports = c.ports();
    assert_eq!(ports.len(), 3);
    assert_eq!(c.urls().len(), 3);
    for &p in &ports {
        let info = redis_command(p, &["CLUSTER", "INFO"], Duration::from_secs(1))
            .unwrap()
            .text();
        assert!(info.contains("cluster_state:ok"), "{p}: {info}");
        let nodes = redis_command(p, &["CLUSTER", "NODES"], Duration::from_secs(1))
            .unwrap()
            .text();
        let masters = nodes.lines().filter(|l| l.contains("master")).count();
        assert_eq!(masters, 3, "{p}: {nodes}");
    }

    // Every key is served by exactly one node; the others redirect there with MOVED.
    let mut owners = std::collections::HashSet::new();
    for i in 0..30 {
        let key = format!("key-{i}");
        let mut owner = None;
        let mut moved_to = Vec::new();
        for &p in &ports {
            match redis_command(p, &["SET", &key, "x"], Duration::from_secs(1)).unwrap() {
                Resp::Simple(s) if s == "OK" => {
                    assert!(owner.is_none(), "{key} accepted twice");
                    owner = Some(p);
                }
                Resp::Error(e) if e.starts_with("MOVED ") => {
                    moved_to.push(e.rsplit(':').next().unwrap().parse::<u16>().unwrap())
                }
                other => panic!("SET {key} on {p}: {other:?}"),
            }
        }
        let owner = owner.unwrap_or_else(|| panic!("no node accepted {key}"));
        assert!(
            moved_to.iter().all(|&m| m == owner),
            "{key}: {moved_to:?} vs {owner}"
        );
        assert_eq!(
            redis_command(owner, &["GET", &key], Duration::from_secs(1))
                .unwrap()
                .text(),
            "x"
        );
        owners.insert(owner);
    }
    assert_eq!(owners.len(), 3, "30 keys should spread over all 3 masters");

    // Keys under one hash tag land on one node (what the engine relies on).
    let r1 = redis_command(
        ports[0],
        &["CLUSTER", "KEYSLOT", "{acm:+123}:a"],
        Duration::from_secs(1),
    );
    let r2 = redis_command(
        ports[0],
        &["CLUSTER", "KEYSLOT", "{acm:+123}:b"],
        Duration::from_secs(1),
    );
    assert_eq!(r1.unwrap(), r2.unwrap());
}

#[test]
fn clickhouse_query_low_cardinality_and_restart() {
    let t = Instant::now();
    let mut ch = ClickHouseServer::start();
    eprintln!("clickhouse up in {:?} at {}", t.elapsed(), ch.http_url());
    assert_eq!(
        ch.http_url(),
        format!("http://127.0.0.1:{}", ch.http_port())
    );

    let version = ch.query("SELECT version()");
    assert!(version.starts_with("18.16."), "version: {version:?}");

    ch.query(
        "CREATE TABLE events (ts DateTime, caller LowCardinality(String), n UInt32) \
         ENGINE = MergeTree() ORDER BY ts",
    );
    ch.query("INSERT INTO events VALUES ('2026-01-02 03:04:05', '+4412345', 7)");
    let rows = "2026-01-02 03:04:05\t+4412345\t7\n";
    assert_eq!(ch.query("SELECT * FROM events"), rows);
    assert_eq!(
        ch.query("SELECT toTypeName(caller) FROM events"),
        "LowCardinality(String)\n"
    );
    // A bigger (chunked) response decodes completely.
    let big = ch.query("SELECT number FROM system.numbers LIMIT 100000");
    assert_eq!(big.lines().count(), 100_000);
    assert_eq!(big.lines().last(), Some("99999"));
    // Errors come back as Err with ClickHouse's message.
    let err = ch.try_query("SELECT * FROM no_such_table").unwrap_err();
    assert!(err.contains("no_such_table"), "{err}");

    let http_port = ch.http_port();
    ch.stop();
    assert!(!ch.ping());
    assert!(ch.try_query("SELECT 1").is_err());

    let t = Instant::now();
    ch.start_again();
    eprintln!("clickhouse restarted in {:?}", t.elapsed());
    assert_eq!(ch.http_port(), http_port);
    assert_eq!(ch.query("SELECT * FROM events"), rows);

    // Crash and start again: data written before is still there.
    ch.kill();
    assert!(!ch.ping());
    ch.start_again();
    assert_eq!(ch.query("SELECT count() FROM events"), "1\n");
}

#[test]
fn acm_bin_resolution_reports_clearly() {
    // Without an `acm` binary (the harness's placeholder crate has none) the error must say
    // how to fix it; with one, the path must exist.
    match try_acm_bin() {
        Ok(p) => assert!(p.exists() && acm_bin() == p),
        Err(e) => assert!(
            e.contains("cargo build --bin acm") || e.contains("ACM_BIN"),
            "{e}"
        ),
    }
}
