// SPDX-License-Identifier: MIT OR Apache-2.0
//! Alerts that reach people: `acm serve`'s alerts API, live stream, webhooks
//! and lifecycle, against real servers (ClickHouse 18.16, a real HTTP receiver
//! in the test, the SSE stream over a socket).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use support::receiver::{SseClient, WebhookReceiver};
use support::{
    acm_bin, free_port, http_request_with, tail_of, wait_until, ClickHouseServer, TempDir,
};

const T: Duration = Duration::from_secs(10);
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const VIEWER: &str = "tok-viewer-0123456789";
const ANALYST: &str = "tok-analyst-0123456789";
const ADMIN: &str = "tok-admin-0123456789";

fn hash(t: &str) -> String {
    Sha256::digest(t.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Tokens, a receiver, and whatever else the test adds.
fn config(receiver_port: Option<u16>, spool: &Path, extra: &str) -> String {
    let mut c = format!(
        r#"node_name = "NODE"
[rules.distinct_callers]
threshold = 5
window_ms = 5000
action = "block"

[[access.tokens]]
name = "vera"
role = "viewer"
sha256 = "{}"

[[access.tokens]]
name = "anna"
role = "analyst"
sha256 = "{}"

[[access.tokens]]
name = "adam"
role = "admin"
sha256 = "{}"

[webhooks]
spool_dir = "{}"
"#,
        hash(VIEWER),
        hash(ANALYST),
        hash(ADMIN),
        spool.display()
    );
    if let Some(port) = receiver_port {
        c.push_str(&format!(
            r#"
[[webhooks.receivers]]
name = "soc"
url = "http://127.0.0.1:{port}/hook"
format = "standard"
secret = "{SECRET}"
max_backoff_ms = 2000
timeout_ms = 2000
"#
        ));
    }
    c.push_str(extra);
    c
}

struct Serve {
    child: Option<Child>,
    port: u16,
    log: PathBuf,
}

impl Serve {
    fn start(cfg: &Path, node: &str, dir: &Path) -> Serve {
        let port = free_port();
        let log = dir.join(format!("serve-{node}-{port}.log"));
        let child = Command::new(acm_bin())
            .args(["serve", "--config"])
            .arg(cfg)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .env("ACM_NODE_NAME", node)
            .env("ACM_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("spawn acm serve");
        let mut s = Serve {
            child: Some(child),
            port,
            log,
        };
        let up = wait_until(Duration::from_secs(20), || {
            s.req("GET", "/health", None, b"")
                .map(|r| r.0 == 200)
                .unwrap_or(false)
                || matches!(s.child.as_mut().unwrap().try_wait(), Ok(Some(_)))
        });
        assert!(
            up && matches!(s.child.as_mut().unwrap().try_wait(), Ok(None)),
            "acm serve did not come up:\n{}",
            tail_of(&s.log, 30)
        );
        s
    }

    fn req(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &[u8],
    ) -> std::io::Result<(u16, Value)> {
        let auth = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> =
            auth.iter().map(|a| ("Authorization", a.as_str())).collect();
        let r = http_request_with(self.port, method, path, &headers, body, T)?;
        let v = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        Ok((r.status, v))
    }

    fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.req("GET", path, Some(token), b"").expect("request")
    }

    fn post(&self, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
        self.req("POST", path, token, body.as_bytes())
            .expect("request")
    }

    /// The seed's attack: five distinct callers to one number within five seconds.
    fn seed_attack(&self, callee: &str, tag: &str) -> String {
        let now = chrono::Utc::now().timestamp_millis();
        let mut alert = None;
        for i in 1..=5u64 {
            let body = json!({
                "call_id": format!("{tag}-{i}"),
                "a_number": format!("+23480312{i:05}"),
                "b_number": callee,
                "timestamp": now + i as i64,
            });
            let (status, v) = self.post("/v1/check", None, &body.to_string());
            assert_eq!(status, 200, "{v}");
            if let Some(a) = v["new_alerts"].get(0) {
                alert = Some(a["id"].as_str().unwrap().to_string());
            }
        }
        let id = alert.expect("the fifth call raises an alert");
        // The API has it within moments (the feed task adds it).
        assert!(wait_until(T, || self
            .get(&format!("/v1/alerts/{id}"), VIEWER)
            .0
            == 200));
        id
    }

    fn metric(&self, line_start: &str) -> f64 {
        let r = http_request_with(self.port, "GET", "/metrics", &[], b"", T).unwrap();
        String::from_utf8_lossy(&r.body)
            .lines()
            .find(|l| l.starts_with(line_start))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }

    /// SIGTERM and wait: queued events are flushed.
    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            unsafe {
                libc::kill(c.id() as libc::pid_t, libc::SIGTERM);
            }
            if !wait_until(Duration::from_secs(15), || {
                matches!(c.try_wait(), Ok(Some(_)))
            }) {
                let _ = c.kill();
            }
            let _ = c.wait();
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Checks a delivery as a Standard Webhooks receiver would; answers the body.
fn verify(r: &support::receiver::Received) -> Value {
    let id = r.header("webhook-id").expect("webhook-id");
    let ts = r.header("webhook-timestamp").expect("webhook-timestamp");
    let sig = r.header("webhook-signature").expect("webhook-signature");
    let key = base64::engine::general_purpose::STANDARD
        .decode(SECRET.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(&r.body);
    let want = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert!(
        sig.split(' ').any(|s| s == format!("v1,{want}")),
        "signature {sig} does not verify"
    );
    let age = chrono::Utc::now().timestamp() - ts.parse::<i64>().unwrap();
    assert!((0..300).contains(&age), "timestamp {ts} is {age} s old");
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["type"], "alert.raised");
    assert_eq!(body["data"]["id"], id, "the webhook id is the alert id");
    body
}

fn ch_config(ch: &ClickHouseServer, spool: &Path) -> String {
    format!(
        r#"
[clickhouse]
url = "{}"
database = "acm_alerts"
spool_dir = "{}"
flush_interval_ms = 200
"#,
        ch.http_url(),
        spool.display()
    )
}

#[test]
fn seed_attack_with_clickhouse_one_alert_one_signed_webhook_status_shared_and_durable() {
    let ch = ClickHouseServer::start();
    let dir = TempDir::new("acm-alerts-ch");
    let mut hook = WebhookReceiver::start();
    let cfg = dir.join("acm.toml");
    std::fs::write(
        &cfg,
        config(
            Some(hook.port),
            &dir.join("hooks"),
            &ch_config(&ch, &dir.join("spool")),
        ),
    )
    .unwrap();
    let out = Command::new(acm_bin())
        .args(["--config"])
        .arg(&cfg)
        .args(["schema", "apply"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut a = Serve::start(&cfg, "node-a", dir.path());
    let id = a.seed_attack("+2348099990001", "ch");

    // Listed by the API, once.
    let (s, list) = a.get("/v1/alerts", VIEWER);
    assert_eq!(s, 200, "{list}");
    let alerts = list["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{list}");
    assert_eq!(alerts[0]["id"], id);
    assert_eq!(alerts[0]["status"], "new");
    assert_eq!(alerts[0]["severity"], "high");

    // One signed delivery.
    assert!(wait_until(T, || !hook.received().is_empty()), "no webhook");
    let body = verify(&hook.received()[0]);
    assert_eq!(body["data"]["rule"], "distinct_callers");
    assert_eq!(body["data"]["b_numbers"], json!(["+2348099990001"]));

    // An analyst takes it; the change is in ClickHouse's log.
    let (s, v) = a.post(
        &format!("/v1/alerts/{id}/status"),
        Some(ANALYST),
        r#"{"status":"investigating","note":"on it"}"#,
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "investigating");

    // A second node sees the alert and its status from ClickHouse.
    let b = Serve::start(&cfg, "node-b", dir.path());
    let seen = wait_until(T, || {
        b.get(&format!("/v1/alerts/{id}"), VIEWER).1["status"] == "investigating"
    });
    assert!(
        seen,
        "node b: {}",
        b.get(&format!("/v1/alerts/{id}"), VIEWER).1
    );
    // ...and its evidence has the calls as ClickHouse holds them.
    let detail = b.get(&format!("/v1/alerts/{id}"), VIEWER).1;
    assert_eq!(detail["evidence"]["calls"].as_array().unwrap().len(), 5);
    assert_eq!(
        detail["evidence"]["call_records"].as_array().map(Vec::len),
        Some(5),
        "{detail}"
    );

    // Node b closes it; node a follows within a poll or two.
    let (s, v) = b.post(
        &format!("/v1/alerts/{id}/status"),
        Some(ANALYST),
        r#"{"status":"resolved"}"#,
    );
    assert_eq!(s, 200, "{v}");
    assert!(wait_until(T, || a
        .get(&format!("/v1/alerts/{id}"), VIEWER)
        .1["status"]
        == "resolved"));

    // Node a restarts: nothing is lost, nothing is sent twice.
    a.stop();
    let a = Serve::start(&cfg, "node-a", dir.path());
    let detail = a.get(&format!("/v1/alerts/{id}"), VIEWER).1;
    assert_eq!(detail["status"], "resolved", "{detail}");
    let changes: Vec<(String, String, String)> = detail["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["kind"] == "status")
        .map(|h| {
            (
                h["from"].as_str().unwrap().into(),
                h["to"].as_str().unwrap().into(),
                h["actor"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        vec![
            ("new".into(), "investigating".into(), "anna".into()),
            ("investigating".into(), "resolved".into(), "anna".into())
        ]
    );
    let rows = ch.query(&format!(
        "SELECT kind, from_status, to_status, actor FROM acm_alerts.alert_events \
         WHERE alert_id = '{id}' ORDER BY at_ms FORMAT TSV"
    ));
    assert_eq!(
        rows.lines().collect::<Vec<_>>(),
        vec![
            "raised\t\tnew\tnode-a",
            "status\tnew\tinvestigating\tanna",
            "status\tinvestigating\tresolved\tanna"
        ]
    );
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(hook.received().len(), 1, "one delivery per alert");
    assert_eq!(
        a.get("/v1/alerts", VIEWER).1["alerts"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    hook.stop();
}

#[test]
fn bad_input_and_wrong_roles_are_refused_and_change_nothing() {
    let dir = TempDir::new("acm-alerts-bad");
    let cfg = dir.join("acm.toml");
    let events = dir.join("alert-events.jsonl");
    std::fs::write(
        &cfg,
        config(
            None,
            &dir.join("hooks"),
            &format!("[alerts]\nevents_file = \"{}\"\n", events.display()),
        ),
    )
    .unwrap();
    let s = Serve::start(&cfg, "node-x", dir.path());
    let id = s.seed_attack("+2348099990002", "bad");
    let path = format!("/v1/alerts/{id}/status");
    let (block, disconnect) = (
        format!("/v1/alerts/{id}/block"),
        format!("/v1/alerts/{id}/disconnect"),
    );
    let (notes, assign) = (
        format!("/v1/alerts/{id}/notes"),
        format!("/v1/alerts/{id}/assign"),
    );
    let lines = || {
        std::fs::read_to_string(&events)
            .unwrap_or_default()
            .lines()
            .count()
    };
    assert!(wait_until(T, || lines() == 1), "the raised alert is logged");
    let lines_before = lines();

    let cases: Vec<(&str, Option<&str>, &str, u16, &str)> = vec![
        (
            path.as_str(),
            None,
            r#"{"status":"investigating"}"#,
            401,
            "authorization",
        ),
        (
            path.as_str(),
            Some("not-a-token"),
            r#"{"status":"investigating"}"#,
            401,
            "authorization",
        ),
        (
            path.as_str(),
            Some(VIEWER),
            r#"{"status":"investigating"}"#,
            403,
            "authorization",
        ),
        (
            "/v1/alerts/no-such-alert/status",
            Some(ANALYST),
            r#"{"status":"investigating"}"#,
            404,
            "id",
        ),
        (path.as_str(), Some(ANALYST), "{not json", 400, "body"),
        (path.as_str(), Some(ANALYST), "[1]", 400, "body"),
        (
            path.as_str(),
            Some(ANALYST),
            r#"{"note":"x"}"#,
            400,
            "status",
        ),
        (
            path.as_str(),
            Some(ANALYST),
            r#"{"status":"closed"}"#,
            400,
            "status",
        ),
        (
            path.as_str(),
            Some(ANALYST),
            r#"{"status":7}"#,
            400,
            "status",
        ),
        (
            path.as_str(),
            Some(ANALYST),
            r#"{"status":"investigating","colour":"red"}"#,
            400,
            "colour",
        ),
        (
            path.as_str(),
            Some(ANALYST),
            r#"{"status":"resolved"}"#,
            409,
            "status",
        ),
        (block.as_str(), Some(ANALYST), "{}", 403, "authorization"),
        (
            disconnect.as_str(),
            Some(ANALYST),
            "{}",
            403,
            "authorization",
        ),
        (
            block.as_str(),
            Some(ADMIN),
            r#"{"duration_s":0}"#,
            400,
            "duration_s",
        ),
        (
            block.as_str(),
            Some(ADMIN),
            r#"{"target":"planets"}"#,
            400,
            "target",
        ),
        (
            disconnect.as_str(),
            Some(ADMIN),
            "",
            409,
            "teardown.kamailio_rpc",
        ),
        (notes.as_str(), Some(ANALYST), r#"{"note":""}"#, 400, "note"),
        (
            assign.as_str(),
            Some(VIEWER),
            r#"{"assignee":"x"}"#,
            403,
            "authorization",
        ),
    ];
    for (p, token, body, want, field) in &cases {
        let (status, v) = s.post(p, *token, body);
        assert_eq!(status, *want, "POST {p} {body} with {token:?}: {v}");
        assert_eq!(v["field"], *field, "POST {p} {body}: {v}");
    }
    let gets: Vec<(&str, Option<&str>, u16, &str)> = vec![
        ("/v1/alerts", None, 401, "authorization"),
        ("/v1/alerts?status=open", Some(VIEWER), 400, "status"),
        ("/v1/alerts?severity=huge", Some(VIEWER), 400, "severity"),
        ("/v1/alerts?since=yesterday", Some(VIEWER), 400, "since"),
        ("/v1/alerts?limit=0", Some(VIEWER), 400, "limit"),
        ("/v1/alerts?cursor=zzz", Some(VIEWER), 400, "cursor"),
        ("/v1/alerts?colour=red", Some(VIEWER), 400, "colour"),
        ("/v1/alerts/nope", Some(VIEWER), 404, "id"),
        ("/v1/admin/lists", Some(ANALYST), 403, "authorization"),
    ];
    for (p, token, want, field) in &gets {
        let (status, v) = s.req("GET", p, *token, b"").unwrap();
        assert_eq!(status, *want, "GET {p}: {v}");
        if !field.is_empty() {
            assert!(
                v["field"] == *field || v["error"] == "forbidden",
                "GET {p}: {v}"
            );
        }
    }
    // Nothing changed: no entry in the log, the alert as it was.
    assert_eq!(
        std::fs::read_to_string(&events).unwrap().lines().count(),
        lines_before
    );
    let d = s.get(&format!("/v1/alerts/{id}"), VIEWER).1;
    assert_eq!(d["status"], "new");
    assert_eq!(d["history"].as_array().unwrap().len(), 1, "{d}");
    // The right role and body do work (and are recorded with the actor).
    let (st, v) = s.post(
        &path,
        Some(ADMIN),
        r#"{"status":"false_positive","note":"test call"}"#,
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["history"][1]["actor"], "adam");
}

#[test]
fn file_log_live_stream_resume_and_restart() {
    let dir = TempDir::new("acm-alerts-sse");
    let cfg = dir.join("acm.toml");
    std::fs::write(
        &cfg,
        config(
            None,
            &dir.join("hooks"),
            &format!(
                "[alerts]\nevents_file = \"{}\"\n",
                dir.join("ev.jsonl").display()
            ),
        ),
    )
    .unwrap();
    let mut s = Serve::start(&cfg, "node-s", dir.path());
    let auth = format!("Bearer {VIEWER}");
    assert_eq!(
        SseClient::connect(s.port, "/v1/alerts/stream", &[]).status,
        401
    );
    let sse = SseClient::connect(s.port, "/v1/alerts/stream", &[("Authorization", &auth)]);
    assert_eq!(sse.status, 200);
    let id = s.seed_attack("+2348099990003", "sse");
    assert!(
        wait_until(T, || !sse.events().is_empty()),
        "no alert on the stream"
    );
    let first = sse.events()[0].clone();
    assert_eq!(first.event, "alert");
    assert_eq!(
        serde_json::from_str::<Value>(&first.data).unwrap()["id"],
        id
    );
    let (st, _) = s.post(
        &format!("/v1/alerts/{id}/status"),
        Some(ANALYST),
        r#"{"status":"investigating"}"#,
    );
    assert_eq!(st, 200);
    assert!(wait_until(T, || sse.events().len() >= 2));
    let change: Value = serde_json::from_str(&sse.events()[1].data).unwrap();
    assert_eq!(sse.events()[1].event, "change");
    assert_eq!(
        (
            change["from"].as_str(),
            change["to"].as_str(),
            change["actor"].as_str()
        ),
        (Some("new"), Some("investigating"), Some("anna"))
    );

    // A client that saw the alert resumes and gets only the change.
    let resumed = SseClient::connect(
        s.port,
        "/v1/alerts/stream",
        &[("Authorization", &auth), ("Last-Event-ID", &first.id)],
    );
    assert!(wait_until(T, || !resumed.events().is_empty()));
    std::thread::sleep(Duration::from_millis(300));
    let ev = resumed.events();
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert_eq!(ev[0].id, sse.events()[1].id);

    // A restart keeps the alert and its status (the file is the log), and a client
    // resuming across it gets what happened after its last event.
    s.stop();
    let s = Serve::start(&cfg, "node-s", dir.path());
    assert_eq!(
        s.get(&format!("/v1/alerts/{id}"), VIEWER).1["status"],
        "investigating"
    );
    let after = SseClient::connect(
        s.port,
        "/v1/alerts/stream",
        &[("Authorization", &auth), ("Last-Event-ID", &first.id)],
    );
    assert!(wait_until(T, || !after.events().is_empty()));
    assert_eq!(after.events()[0].event, "change");
    // Filters and pages.
    let id2 = s.seed_attack("+2348099990004", "sse2");
    assert!(wait_until(T, || s.get("/v1/alerts", VIEWER).1["alerts"]
        .as_array()
        .unwrap()
        .len()
        == 2));
    let (_, page) = s.get("/v1/alerts?limit=1", VIEWER);
    assert_eq!(page["alerts"][0]["id"], id2);
    let cursor = page["next_cursor"].as_str().unwrap().to_string();
    let (_, page2) = s.get(&format!("/v1/alerts?limit=1&cursor={cursor}"), VIEWER);
    assert_eq!(page2["alerts"][0]["id"], id);
    assert!(page2["next_cursor"].is_null());
    let (_, f) = s.get(
        "/v1/alerts?status=investigating&b_number=%2B2348099990003",
        VIEWER,
    );
    assert_eq!(f["alerts"].as_array().unwrap().len(), 1);
    let (_, f) = s.get(
        "/v1/alerts?status=new&severity=high,critical&rule=distinct_callers",
        VIEWER,
    );
    assert_eq!(f["alerts"].as_array().unwrap().len(), 1);
    assert_eq!(f["alerts"][0]["id"], id2);
}

/// Every alert raised while the receiver is down for a minute arrives once it is back.
#[test]
fn receiver_down_for_a_minute_gets_every_alert_once() {
    let dir = TempDir::new("acm-alerts-down");
    let port = free_port();
    let cfg = dir.join("acm.toml");
    std::fs::write(
        &cfg,
        config(
            Some(port),
            &dir.join("hooks"),
            &format!(
                "[alerts]\nevents_file = \"{}\"\n",
                dir.join("ev.jsonl").display()
            ),
        ),
    )
    .unwrap();
    let s = Serve::start(&cfg, "node-d", dir.path());
    let started = Instant::now();
    let mut ids = Vec::new();
    // Six attacks on six numbers, spread over the minute the receiver is down.
    for i in 0..6 {
        ids.push(s.seed_attack(&format!("+23480999910{i:02}"), &format!("down{i}")));
        std::thread::sleep(Duration::from_secs(9));
    }
    while started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(s.metric("acm_webhook_retried_total{receiver=\"soc\"}") >= 1.0);
    assert_eq!(s.metric("acm_webhook_sent_total{receiver=\"soc\"}"), 0.0);
    assert!(s.metric("acm_webhook_spool_bytes{receiver=\"soc\"}") > 0.0);
    let hook = WebhookReceiver::start_on(port);
    assert!(
        wait_until(Duration::from_secs(20), || hook.received().len()
            >= ids.len()),
        "{} of {} delivered:\n{}",
        hook.received().len(),
        ids.len(),
        tail_of(&s.log, 20)
    );
    std::thread::sleep(Duration::from_secs(3));
    let mut got: Vec<String> = hook
        .received()
        .iter()
        .map(|r| verify(r)["data"]["id"].as_str().unwrap().to_string())
        .collect();
    got.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(got, want, "each alert exactly once, in any order");
    // In order of raising, too (one lane, spooled in order).
    let order: Vec<String> = hook
        .received()
        .iter()
        .map(|r| r.header("webhook-id").unwrap().to_string())
        .collect();
    assert_eq!(order, ids);
    assert_eq!(s.metric("acm_webhook_sent_total{receiver=\"soc\"}"), 6.0);
    assert_eq!(s.metric("acm_webhook_dropped_total{receiver=\"soc\"}"), 0.0);
    assert_eq!(s.metric("acm_webhook_spool_bytes{receiver=\"soc\"}"), 0.0);
}

/// `POST /v1/alerts/{id}/block` denies the alert's A-numbers on every process sharing the
/// lists (here two `acm serve` on one host, `store.lists_file`), for its duration; then the
/// block is lifted by itself and logged.
#[test]
fn block_denies_the_callers_everywhere_for_its_duration() {
    let dir = TempDir::new("acm-alerts-block");
    let cfg = dir.join("acm.toml");
    std::fs::write(
        &cfg,
        config(
            None,
            &dir.join("hooks"),
            &format!(
                "[alerts]\nevents_file = \"{}\"\n\n[store]\nlists_file = \"{}\"\nlists_poll_ms = 100\n",
                dir.join("ev.jsonl").display(),
                dir.join("lists.json").display()
            ),
        ),
    )
    .unwrap();
    let a = Serve::start(&cfg, "node-a", dir.path());
    let b = Serve::start(&cfg, "node-b", dir.path());
    let id = a.seed_attack("+2348099990005", "blk");
    let caller = "+2348031200003";
    let judge = |s: &Serve| -> Value {
        let body = json!({"call_id": format!("x-{}", free_port()), "a_number": caller,
                          "b_number": "+2348057770000", "timestamp": chrono::Utc::now().timestamp_millis()});
        s.post("/v1/check", None, &body.to_string()).1
    };
    assert_eq!(judge(&b)["action"], "allow");

    let (st, v) = a.post(
        &format!("/v1/alerts/{id}/block"),
        Some(ADMIN),
        r#"{"duration_s":3}"#,
    );
    assert_eq!(st, 200, "{v}");
    let action = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["kind"] == "action")
        .cloned()
        .unwrap();
    assert_eq!(action["actor"], "adam");
    assert_eq!(action["action"]["list"], "deny_a_numbers");
    assert_eq!(action["action"]["entries"].as_array().unwrap().len(), 5);

    // Every process denies the callers within a lists poll.
    assert!(
        wait_until(T, || judge(&b)["action"] == "block"),
        "node b: {}",
        judge(&b)
    );
    assert!(judge(&b)["reasons"]
        .as_array()
        .unwrap()
        .contains(&json!("denylist")));
    // ...until the block's time is over: lifted, and logged as such.
    assert!(
        wait_until(Duration::from_secs(15), || judge(&b)["action"] == "allow"),
        "still blocked: {}\n{}",
        judge(&b),
        tail_of(&a.log, 20)
    );
    let d = a.get(&format!("/v1/alerts/{id}"), VIEWER).1;
    let kinds: Vec<&str> = d["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["action"]["action"].as_str())
        .collect();
    // Both nodes watch the expiry; each lift is logged (removal is idempotent).
    assert_eq!(kinds[0], "block", "{d}");
    assert!(
        kinds.len() >= 2 && kinds[1..].iter().all(|k| *k == "unblock"),
        "{d}"
    );
}

/// `POST /v1/admin/reload` (admin only) takes the file's new rules at once; a bad file is
/// refused naming the key and changes nothing.
#[test]
fn admin_reload_takes_new_rules_and_refuses_a_bad_file() {
    let dir = TempDir::new("acm-alerts-reload");
    let cfg = dir.join("acm.toml");
    let text = config(
        None,
        &dir.join("hooks"),
        &format!(
            "[alerts]\nevents_file = \"{}\"\n",
            dir.join("ev.jsonl").display()
        ),
    );
    std::fs::write(&cfg, &text).unwrap();
    let s = Serve::start(&cfg, "node-r", dir.path());
    let three_callers = |callee: &str| -> usize {
        let now = chrono::Utc::now().timestamp_millis();
        (1..=3)
            .filter(|i| {
                let body = json!({"call_id": format!("{callee}-{i}"), "a_number": format!("+23480312{i:05}"),
                                  "b_number": callee, "timestamp": now + i});
                !s.post("/v1/check", None, &body.to_string()).1["new_alerts"].is_null()
            })
            .count()
    };
    assert_eq!(three_callers("+2348099997001"), 0);
    std::fs::write(&cfg, text.replace("threshold = 5", "threshold = 3")).unwrap();
    let (st, v) = s.post("/v1/admin/reload", Some(ANALYST), "");
    assert_eq!(
        (st, v["field"].as_str()),
        (403, Some("authorization")),
        "{v}"
    );
    assert_eq!(
        three_callers("+2348099997002"),
        0,
        "a refused reload changes nothing"
    );
    let (st, v) = s.post("/v1/admin/reload", Some(ADMIN), "");
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        three_callers("+2348099997003"),
        1,
        "the new threshold is in force"
    );
    std::fs::write(&cfg, text.replace("threshold = 5", "threshold = 0")).unwrap();
    let (st, v) = s.post("/v1/admin/reload", Some(ADMIN), "");
    assert_eq!(st, 400, "{v}");
    assert!(v["field"].as_str().unwrap().contains("threshold"), "{v}");
    assert_eq!(
        three_callers("+2348099997004"),
        1,
        "a bad file changes nothing"
    );
}

/// An alert raised just before a graceful stop (inside the feed's last tick) still
/// reaches the lifecycle file: the stop takes the feed once more after the last request.
#[test]
fn an_alert_raised_just_before_a_stop_reaches_the_file_log() {
    let dir = TempDir::new("acm-alerts-stop");
    let cfg = dir.join("acm.toml");
    let events = dir.join("ev.jsonl");
    std::fs::write(
        &cfg,
        config(
            None,
            &dir.join("hooks"),
            &format!("[alerts]\nevents_file = \"{}\"\n", events.display()),
        ),
    )
    .unwrap();
    // Several rounds: the window between the feed's ticks is tens of milliseconds.
    for round in 0..5 {
        let mut s = Serve::start(&cfg, "node-stop", dir.path());
        let now = chrono::Utc::now().timestamp_millis();
        let callee = format!("+23480999{round:05}");
        let mut id = None;
        for i in 1..=5u64 {
            let body = json!({
                "call_id": format!("stop-{round}-{i}"),
                "a_number": format!("+23480313{i:05}"),
                "b_number": callee,
                "timestamp": now + i as i64,
            });
            let (status, v) = s.post("/v1/check", None, &body.to_string());
            assert_eq!(status, 200, "{v}");
            if let Some(a) = v["new_alerts"].get(0) {
                id = Some(a["id"].as_str().unwrap().to_string());
            }
        }
        let id = id.expect("the fifth call raises an alert");
        s.stop();
        let text = std::fs::read_to_string(&events).unwrap_or_default();
        assert!(
            text.contains(&id),
            "round {round}: alert {id} raised before the stop is not in the file log:\n{}",
            tail_of(&s.log, 20)
        );
    }
}
