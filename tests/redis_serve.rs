// SPDX-License-Identifier: MIT OR Apache-2.0
//! `acm serve` on the Redis store: two service processes share one
//! `redis-server`, so an attack spread over both nodes is still caught; and
//! the admin API for the shared lists (token, validation, propagation).
//! Real processes and a real `redis-server`; a missing one fails the test.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{acm_bin, free_port, wait_until, RedisServer, TempDir};

const TOKEN: &str = "s3cret-admin-token";

struct Serve {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Serve {
    fn start(redis_url: &str, token: &str) -> Serve {
        Serve::start_with(&[
            ("ACM_STORE__KIND", "redis".into()),
            ("ACM_STORE__URL", redis_url.into()),
            ("ACM_STORE__BUDGET_MS", "500".into()),
            ("ACM_SERVE__ADMIN_TOKEN", token.into()),
        ])
    }

    /// An `acm serve` with these config overrides (and a fast lists poll).
    fn start_with(env: &[(&str, String)]) -> Serve {
        let port = free_port();
        let dir = TempDir::new("serve");
        let log = std::fs::File::create(dir.join("serve.log")).unwrap();
        let mut cmd = Command::new(acm_bin());
        cmd.arg("serve")
            .env("ACM_ALERTS__EVENTS_FILE", dir.join("alert-events.jsonl"))
            .env("ACM_STORE__LISTS_POLL_MS", "100")
            .env("ACM_SERVE__LISTEN", format!("127.0.0.1:{port}"))
            .env("ACM_NODE_NAME", format!("node-{port}"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start acm serve");
        let s = Serve {
            child,
            port,
            _dir: dir,
        };
        let up = wait_until(Duration::from_secs(10), || {
            support::http_request(port, "GET", "/health", b"", Duration::from_millis(500))
                .map(|r| r.status == 200)
                .unwrap_or(false)
        });
        assert!(up, "acm serve did not come up on {port}");
        s
    }

    /// One HTTP/1.1 request with an optional bearer token; (status, JSON body).
    fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        use std::io::{Read, Write};
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let auth = token
            .map(|t| format!("Authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{auth}\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut raw = String::new();
        s.read_to_string(&mut raw).unwrap();
        let status: u16 = raw
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .expect("status line");
        let json = raw.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
        (status, serde_json::from_str(json).unwrap_or(Value::Null))
    }

    fn check(&self, call_id: &str, a: &str, b: &str, t: i64) -> Value {
        let body = json!({"call_id": call_id, "a_number": a, "b_number": b, "timestamp": t});
        let (status, v) = self.request("POST", "/v1/check", None, Some(body));
        assert_eq!(status, 200, "{v}");
        v
    }

    fn admin(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.request(method, path, token, body)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn two_serve_processes_share_the_windows() {
    let redis = RedisServer::start();
    let n1 = Serve::start(&redis.url(), TOKEN);
    let n2 = Serve::start(&redis.url(), TOKEN);
    let b = "+2348099999999";
    let t = now_ms();
    let mut last = Value::Null;
    for i in 0..5 {
        let node = if i < 3 { &n1 } else { &n2 };
        last = node.check(
            &format!("c{i}"),
            &format!("+23480300000{i:02}"),
            b,
            t + i as i64 * 100,
        );
        assert!(
            !last["reasons"].to_string().contains("store_unavailable"),
            "{last}"
        );
        assert_eq!(last["distinct_callers"], i + 1, "call {i}: {last}");
    }
    assert_eq!(last["action"], "block", "{last}");
    assert_eq!(last["new_alerts"][0]["count"], 5, "{last}");
    // The other node sees the alert as active for the next caller.
    let v = n1.check("c5", "+2348030000005", b, t + 600);
    assert_eq!(v["action"], "block");
    assert_eq!(v["alert_id"], last["alert_id"]);
    assert!(v.get("new_alerts").is_none(), "{v}");

    // The store's health is on /metrics: requests answered, then failures
    // and an open breaker once Redis is gone.
    let metric = |s: &Serve, name: &str| -> f64 {
        let r =
            support::http_request(s.port, "GET", "/metrics", b"", Duration::from_secs(5)).unwrap();
        String::from_utf8_lossy(&r.body)
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1.0)
    };
    // Four checks, plus the shared-list poller's requests.
    assert!(metric(&n1, "acm_store_requests_total{outcome=\"ok\"}") >= 4.0);
    assert_eq!(metric(&n1, "acm_store_breaker_open"), 0.0);
    drop(redis);
    for i in 0..8 {
        let v = n1.check(
            &format!("d{i}"),
            &format!("+23480310000{i:02}"),
            b,
            t + 700 + i,
        );
        assert!(
            v["reasons"].to_string().contains("store_unavailable"),
            "{v}"
        );
        assert_eq!(v["action"], "allow");
    }
    let failed = metric(&n1, "acm_store_requests_total{outcome=\"error\"}")
        + metric(&n1, "acm_store_requests_total{outcome=\"timeout\"}");
    assert!(failed >= 1.0, "failures not counted");
    assert!(metric(&n1, "acm_store_requests_total{outcome=\"breaker_open\"}") >= 1.0);
    assert_eq!(metric(&n1, "acm_store_breaker_open"), 1.0);
    assert!(
        metric(
            &n1,
            "acm_reasons_total{face=\"http\",reason=\"store_unavailable\"}"
        ) >= 8.0
    );
}

#[test]
fn admin_api_changes_shared_lists_on_every_node() {
    let redis = RedisServer::start();
    let n1 = Serve::start(&redis.url(), TOKEN);
    let n2 = Serve::start(&redis.url(), TOKEN);
    let deny = "/v1/admin/lists/deny_a_numbers";
    assert_eq!(n1.admin("GET", "/v1/admin/lists", None, None).0, 401);
    assert_eq!(
        n1.admin("GET", "/v1/admin/lists", Some("wrong"), None).0,
        401
    );
    assert_eq!(
        n1.admin("GET", "/v1/admin/lists/nope", Some(TOKEN), None).0,
        404
    );
    let (code, body) = n1.admin(
        "POST",
        deny,
        Some(TOKEN),
        Some(json!({"entries": ["not a number"]})),
    );
    assert_eq!(code, 400, "{body}");
    let (code, body) = n1.admin(
        "POST",
        deny,
        Some(TOKEN),
        Some(json!({"entries": ["+2348031110000", "+234705*"]})),
    );
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["changed"], 2);
    let version = body["version"].as_u64().unwrap();
    let (code, body) = n2.admin("GET", deny, Some(TOKEN), None);
    assert_eq!(code, 200);
    assert_eq!(
        body["entries"],
        json!(["+234705*", "+2348031110000"]),
        "sorted"
    );
    assert_eq!(body["version"].as_u64().unwrap(), version);

    // Node 2 picks the change up by polling the version, and blocks the denied caller.
    let t = now_ms();
    let start = Instant::now();
    let denied = |n: &Serve, a: &str| n.check("d", a, "+2348012345678", t)["action"] == "block";
    assert!(
        wait_until(Duration::from_secs(5), || denied(&n2, "+2347051234567")),
        "node 2 never applied the list"
    );
    // Node 1 polls on its own schedule: give it the same time.
    assert!(
        wait_until(Duration::from_secs(5), || denied(&n1, "+2348031110000")),
        "node 1 never applied the list"
    );
    eprintln!("list change reached node 2 in {:?}", start.elapsed());

    let (code, body) = n2.admin(
        "DELETE",
        deny,
        Some(TOKEN),
        Some(json!({"entries": ["+234705*"]})),
    );
    assert_eq!((code, body["changed"].clone()), (200, json!(1)), "{body}");
    assert!(wait_until(Duration::from_secs(5), || !denied(
        &n1,
        "+2347051234567"
    )));
}

#[test]
fn admin_api_is_absent_without_a_token() {
    let redis = RedisServer::start();
    let n = Serve::start(&redis.url(), "");
    assert_eq!(n.admin("GET", "/v1/admin/lists", Some(""), None).0, 404);
    assert_eq!(
        n.admin("GET", "/v1/admin/lists", Some("anything"), None).0,
        404
    );
}

/// Without Redis, two `acm serve` processes of one host share the lists through
/// `store.lists_file`; a change survives a restart.
#[test]
fn admin_api_shares_lists_through_a_file_on_the_embedded_store() {
    let dir = TempDir::new("lists-file");
    let file = dir.join("lists.json").display().to_string();
    let env = [
        ("ACM_STORE__LISTS_FILE", file.clone()),
        ("ACM_SERVE__ADMIN_TOKEN", TOKEN.to_string()),
    ];
    let n1 = Serve::start_with(&env);
    let n2 = Serve::start_with(&env);
    let deny = "/v1/admin/lists/deny_a_numbers";
    let (code, body) = n1.admin(
        "POST",
        deny,
        Some(TOKEN),
        Some(json!({"entries": ["+2348031110000"]})),
    );
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["changed"], 1);
    let t = now_ms();
    let denied =
        |n: &Serve| n.check("d", "+2348031110000", "+2348012345678", t)["action"] == "block";
    assert!(
        wait_until(Duration::from_secs(5), || denied(&n2)),
        "node 2 never applied the list"
    );
    assert!(wait_until(Duration::from_secs(5), || denied(&n1)));
    drop(n1);
    let n1 = Serve::start_with(&env);
    assert!(
        wait_until(Duration::from_secs(5), || denied(&n1)),
        "the list did not survive a restart"
    );
    let (code, body) = n1.admin("GET", deny, Some(TOKEN), None);
    assert_eq!(
        (code, body["entries"].clone()),
        (200, json!(["+2348031110000"]))
    );
    // Without a lists file (and without Redis) the shared lists do not exist.
    let bare = Serve::start_with(&[("ACM_SERVE__ADMIN_TOKEN", TOKEN.to_string())]);
    assert_eq!(bare.admin("GET", deny, Some(TOKEN), None).0, 409);
}
