// SPDX-License-Identifier: MIT OR Apache-2.0
//! Nothing answered is lost when `acm serve` is killed (issue 20): a real clickhouse-server
//! 18.16, `acm serve` answering 200 for every `/v1/events` request while its flush interval
//! keeps everything in the hand-off, `kill -9`, a restart on the same spool directory: every
//! call is in ClickHouse exactly once, and the restart counts what it recovered. The same run
//! without the ring (`handoff_bytes = 0`) loses the calls, which shows the test can fail.

mod support;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::{acm_bin, free_port, wait_until, ClickHouseServer, TempDir};

const T: Duration = Duration::from_secs(60);

struct Serve {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Serve {
    fn start(cfg: &Path, dir: &Path, name: &str, env: &[(&str, &str)]) -> Serve {
        let port = free_port();
        let log = dir.join(format!("{name}.log"));
        let child = Command::new(acm_bin())
            .arg("-c")
            .arg(cfg)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("ACM_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start acm serve");
        let s = Serve { child, port, log };
        assert!(
            wait_until(Duration::from_secs(15), || s.get("/health").is_some()),
            "acm serve did not come up:\n{}",
            support::tail_of(&s.log, 20)
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

    fn metric(&self, name: &str) -> u64 {
        let text = self.get("/metrics").unwrap_or_default();
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("acm_pipeline_{name} ")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no acm_pipeline_{name} in /metrics"))
    }

    /// SIGKILL: no shutdown hook runs.
    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn calls(from: u32, n: u32) -> Vec<Value> {
    (from..from + n)
        .map(|i| {
            json!({
                "call_id": format!("crash-{i}"),
                "a_number": format!("+23480{:08}", 10_000 + i),
                "b_number": format!("+2348031{:06}", i % 997),
                "timestamp": 1_700_000_000_000i64 + i as i64 * 10,
            })
        })
        .collect()
}

fn count(ch: &ClickHouseServer, sql: &str) -> u64 {
    ch.query(sql).trim().parse().unwrap()
}

fn rings(spool: &Path) -> Vec<String> {
    std::fs::read_dir(spool)
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.ends_with(".ring"))
                .collect()
        })
        .unwrap_or_default()
}

/// Sends `n` calls to a fresh `acm serve` (all answered 200), checks none reached ClickHouse
/// yet, kills it with SIGKILL and starts it again on the same spool directory.
fn kill_mid_flow(db: &str, env: &[(&str, &str)]) -> (ClickHouseServer, TempDir, Serve, u64) {
    const N: u32 = 20_000;
    let ch = ClickHouseServer::start();
    let dir = TempDir::new("acm-crash");
    let spool = dir.join("spool");
    let cfg = dir.join("acm.toml");
    // A minute's flush interval: every answered call waits in the hand-off when the process
    // dies (the loss was one flush interval's worth).
    std::fs::write(
        &cfg,
        format!(
            "[clickhouse]\nurl = \"{}\"\ndatabase = \"{db}\"\nspool_dir = {:?}\n\
             flush_interval_ms = 60000\nalerts_flush_ms = 60000\n",
            ch.http_url(),
            spool.to_string_lossy()
        ),
    )
    .unwrap();
    let out = Command::new(acm_bin())
        .arg("-c")
        .arg(&cfg)
        .args(["schema", "apply"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let a = Serve::start(&cfg, dir.path(), "first", env);
    for chunk in 0..(N / 500) {
        a.events(&calls(chunk * 500, 500));
    }
    // Handed over (partial in-memory batches are counted when the drainer takes them).
    assert!(wait_until(Duration::from_secs(5), || a
        .metric("enqueued_total")
        == N as u64));
    assert_eq!(count(&ch, &format!("SELECT count() FROM {db}.calls")), 0);
    a.kill9();

    let b = Serve::start(
        &cfg,
        dir.path(),
        "second",
        &[&[("ACM_CLICKHOUSE__FLUSH_INTERVAL_MS", "100")], env].concat(),
    );
    (ch, dir, b, N as u64)
}

#[test]
fn kill_9_of_serve_loses_no_answered_call() {
    let db = "acm_crash";
    let (ch, dir, b, n) = kill_mid_flow(db, &[]);
    let landed = wait_until(T, || {
        count(&ch, &format!("SELECT count() FROM {db}.calls")) >= n
    });
    assert!(
        landed,
        "{} of {n} calls in ClickHouse after the restart:\n{}",
        count(&ch, &format!("SELECT count() FROM {db}.calls")),
        support::tail_of(&b.log, 20)
    );
    // Exactly once: every call id, none twice.
    assert_eq!(count(&ch, &format!("SELECT count() FROM {db}.calls")), n);
    assert_eq!(
        count(&ch, &format!("SELECT uniqExact(call_id) FROM {db}.calls")),
        n
    );
    assert_eq!(b.metric("handoff_recovered_total"), n);
    assert_eq!(b.metric("handoff_corrupt_total"), 0);
    // The dead process's ring is gone once delivered; the new process has its own.
    assert!(wait_until(T, || rings(&dir.join("spool")).len() == 1));
    let log = std::fs::read_to_string(&b.log).unwrap();
    assert!(log.contains("hand-off: recovered 20000 events"), "{log}");
}

#[test]
fn without_the_ring_the_same_kill_loses_the_calls() {
    let db = "acm_crash_noring";
    let (ch, _dir, b, n) = kill_mid_flow(db, &[("ACM_CLICKHOUSE__HANDOFF_BYTES", "0")]);
    // The restart has nothing to deliver: give it a few flush intervals.
    std::thread::sleep(Duration::from_secs(2));
    let landed = count(&ch, &format!("SELECT count() FROM {db}.calls"));
    assert!(
        landed < n,
        "{landed} of {n}: nothing was lost without the ring?"
    );
    assert_eq!(b.metric("handoff_recovered_total"), 0);
}
