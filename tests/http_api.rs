// SPDX-License-Identifier: MIT OR Apache-2.0
//! `acm serve` over a real socket: the seed's quick start, the v1 API, bad
//! input, metrics and graceful shutdown.

mod support;

use std::io::{Read as _, Write as _};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{acm_bin, free_port, http_request, wait_until, TempDir};

const T: Duration = Duration::from_secs(5);

struct Serve {
    child: Child,
    port: u16,
    _dir: TempDir,
}

impl Serve {
    fn start(toml: &str) -> Serve {
        Serve::start_with_args(toml, &[])
    }

    fn start_with_args(toml: &str, extra: &[&std::ffi::OsStr]) -> Serve {
        let dir = TempDir::new("acm-http");
        let cfg = dir.join("acm.toml");
        std::fs::write(&cfg, toml).unwrap();
        let port = free_port();
        let child = Command::new(acm_bin())
            .args(["serve", "--config"])
            .arg(&cfg)
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(extra)
            .env("ACM_LOG", "warn")
            .env("ACM_ALERTS__EVENTS_FILE", dir.join("alert-events.jsonl"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn acm serve");
        let s = Serve {
            child,
            port,
            _dir: dir,
        };
        assert!(
            wait_until(Duration::from_secs(10), || s
                .get("/health")
                .map(|r| r.0 == 200)
                .unwrap_or(false)),
            "acm serve did not come up on {port}"
        );
        s
    }

    fn req(&self, method: &str, path: &str, body: &[u8]) -> std::io::Result<(u16, Value, String)> {
        let r = http_request(self.port, method, path, body, T)?;
        let text = String::from_utf8_lossy(&r.body).into_owned();
        let v = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok((r.status, v, text))
    }
    fn get(&self, path: &str) -> std::io::Result<(u16, Value, String)> {
        self.req("GET", path, b"")
    }
    fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let (s, v, _) = self
            .req("POST", path, body.to_string().as_bytes())
            .expect("request");
        (s, v)
    }
    fn metric(&self, line_start: &str) -> f64 {
        let (_, _, text) = self.get("/metrics").unwrap();
        text.lines()
            .find(|l| l.starts_with(line_start))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn seed_event(i: usize, b: &str, ts: &str) -> Value {
    json!({"call_id": i.to_string(), "a_number": format!("+{i}{i}{i}"), "b_number": b, "timestamp": ts})
}

#[test]
fn the_seed_quick_start_alerts_on_the_fifth_and_only_once() {
    let s = Serve::start("");
    for i in 1..=4 {
        let (status, v) = s.post(
            "/event",
            &seed_event(i, "+234999", &format!("2023-01-01T00:00:0{i}Z")),
        );
        assert_eq!(status, 200);
        assert_eq!(v["status"], "processed", "{v}");
    }
    let (status, v) = s.post("/event", &seed_event(5, "+234999", "2023-01-01T00:00:05Z"));
    assert_eq!(status, 200);
    assert_eq!(v["status"], "alert", "{v}");
    assert_eq!(v["alert"]["rule"], "distinct_callers");
    assert_eq!(v["alert"]["count"], 5);
    assert_eq!(v["alert"]["evidence"].as_array().unwrap().len(), 5);
    assert_eq!(v["verdict"]["action"], "block");
    let id = v["alert"]["id"].clone();
    // Later callers inside the window: blocked, same alert, no new alert.
    let (_, v) = s.post("/event", &seed_event(6, "+234999", "2023-01-01T00:00:06Z"));
    assert_eq!(v["status"], "processed");
    assert_eq!(v["verdict"]["action"], "block");
    assert_eq!(v["verdict"]["alert_id"], id);
    assert_eq!(s.metric("acm_alerts_total{rule=\"distinct_callers\"}"), 1.0);
}

#[test]
fn callers_spread_over_twelve_seconds_do_not_alert() {
    let s = Serve::start("");
    for (i, sec) in [0, 3, 6, 9, 12].into_iter().enumerate() {
        let (_, v) = s.post(
            "/event",
            &seed_event(i + 1, "+234888", &format!("2023-01-01T00:00:{sec:02}Z")),
        );
        assert_eq!(v["status"], "processed", "{v}");
        assert_ne!(v["verdict"]["action"], "block");
    }
}

#[test]
fn v1_check_by_post_and_get_and_batch() {
    let s = Serve::start("[lists]\nallow_b_numbers = [\"+2347000000000\"]\n");
    let (status, v) = s.post(
        "/v1/check",
        &json!({"call_id":"a","a_number":"08031234567","b_number":"+2348099999999","timestamp":1700000000000i64,
                "source_ip":"10.0.0.1","trunk":"LOCAL","attestation":"A"}),
    );
    assert_eq!(status, 200);
    assert_eq!(v["action"], "allow");
    assert_eq!(v["a_number"], "+2348031234567");
    assert_eq!(v["distinct_callers"], 1);
    let (status, v, _) =
        s.get("/v1/check?call_id=b&a_number=%2B2348031234568&b_number=%2B2348099999999&timestamp=1700000000001&trunk=LOCAL").unwrap();
    assert_eq!(status, 200, "{v}");
    // Counted per ingress (the default): the same trunk, the same window.
    assert_eq!(v["distinct_callers"], 2);

    let events: Vec<Value> = (0..6)
        .map(|i| json!({"call_id": format!("e{i}"), "a_number": format!("+23480310000{i:02}"), "b_number": "+2348077777777", "timestamp": 1700000000000i64 + i}))
        .collect();
    let (status, v) = s.post("/v1/events", &json!({ "events": events }));
    assert_eq!(status, 200);
    assert_eq!(v["processed"], 6);
    let actions: Vec<&str> = v["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["allow", "allow", "allow", "allow", "block", "block"]
    );
    assert_eq!(v["alerts"].as_array().unwrap().len(), 1);

    // The allowlisted hotline is never counted.
    for i in 0..10 {
        let (_, v) = s.post(
            "/v1/check",
            &json!({"call_id": format!("h{i}"), "a_number": format!("+23480320000{i:02}"), "b_number": "+2347000000000", "timestamp": 1700000000000i64 + i}),
        );
        assert_eq!(v["action"], "allow");
        assert_eq!(v["distinct_callers"], 0);
    }
}

#[test]
fn bad_input_is_refused_with_the_field_and_changes_nothing() {
    let s = Serve::start("[serve]\nmax_body_bytes = 2048\nmax_batch_events = 5\n");
    let cases: Vec<(Value, &str)> = vec![
        (json!({"a_number": "+2348031234567"}), "b_number"),
        (
            json!({"b_number": "+2348099999999", "timestamp": "yesterday"}),
            "timestamp",
        ),
        (
            json!({"b_number": "+2348099999999", "source_ip": "999.1.1.1"}),
            "source_ip",
        ),
        (json!({"b_number": {"x": 1}}), "b_number"),
        (
            json!({"b_number": "+2348099999999", "colour": "red"}),
            "body",
        ),
        (
            json!({"b_number": "+2348099999999", "attestation": "Q"}),
            "attestation",
        ),
        (
            json!({"b_number": "+2348099999999", "call_id": "x".repeat(300)}),
            "call_id",
        ),
        (json!([1, 2]), "body"),
    ];
    for (body, field) in &cases {
        let (status, v) = s.post("/event", body);
        assert_eq!(status, 400, "{body}: {v}");
        assert_eq!(v["field"], *field, "{body}: {v}");
        assert!(v["reason"].as_str().is_some_and(|r| !r.is_empty()));
    }
    let (status, v, _) = s.req("POST", "/v1/check", b"{not json").unwrap();
    assert_eq!(status, 400);
    assert_eq!(v["error"], "invalid_json");
    // Oversized body: 413.
    let big = json!({"b_number": "+2348099999999", "call_id": "y".repeat(4000)});
    let (status, v) = s.post("/v1/check", &big);
    assert_eq!(status, 413, "{v}");
    assert_eq!(v["error"], "body_too_large");
    // A batch with one bad event is refused whole: the good ones are not recorded.
    let batch = json!({"events": [
        {"call_id":"g1","a_number":"+2348031000001","b_number":"+2348066666666","timestamp":1700000000000i64},
        {"call_id":"g2","a_number":"+2348031000002","b_number":"+2348066666666","timestamp":1700000000001i64},
        {"call_id":"g3","a_number":"+2348031000003"}
    ]});
    let (status, v) = s.post("/v1/events", &batch);
    assert_eq!(status, 400);
    assert!(v["reason"].as_str().unwrap().starts_with("event 2"), "{v}");
    let too_many: Vec<Value> = (0..6)
        .map(|i| json!({"b_number": format!("+23480660000{i:02}")}))
        .collect();
    assert_eq!(s.post("/v1/events", &json!(too_many)).0, 400);
    let (_, v) = s.post(
        "/v1/check",
        &json!({"call_id":"g4","a_number":"+2348031000004","b_number":"+2348066666666","timestamp":1700000000002i64}),
    );
    assert_eq!(
        v["distinct_callers"], 1,
        "rejected requests must not have recorded anything: {v}"
    );
    // Unknown route: 404 JSON.
    let (status, v, _) = s.get("/v2/nothing").unwrap();
    assert_eq!(status, 404);
    assert_eq!(v["error"], "not_found");
    assert_eq!(s.metric("acm_checks_total{face=\"http\"}"), 1.0);
    assert!(
        s.metric("acm_bad_requests_total{face=\"http\",route=\"/event\",status=\"400\"}") >= 8.0
    );
}

#[test]
fn metrics_and_health() {
    let s = Serve::start("mode = \"monitor\"\n");
    for i in 0..5 {
        s.post("/v1/check", &json!({"call_id": format!("m{i}"), "a_number": format!("+23480310000{i:02}"), "b_number": "+2348055555555", "timestamp": 1700000000000i64 + i}));
    }
    let (status, v, _) = s.get("/health").unwrap();
    assert_eq!(status, 200);
    assert_eq!(v["status"], "ok");
    assert_eq!(v["mode"], "monitor");
    assert_eq!(v["store"], "memory");
    let (status, _, text) = s.get("/metrics").unwrap();
    assert_eq!(status, 200);
    assert!(
        text.contains("# TYPE acm_check_duration_seconds histogram"),
        "{text}"
    );
    assert_eq!(s.metric("acm_checks_total{face=\"http\"}"), 5.0);
    assert_eq!(
        s.metric("acm_verdicts_total{face=\"http\",action=\"flag\"}"),
        1.0
    );
    assert_eq!(
        s.metric("acm_verdicts_total{face=\"http\",action=\"block\"}"),
        0.0
    );
    assert_eq!(
        s.metric("acm_reasons_total{face=\"http\",reason=\"monitor_only\"}"),
        1.0
    );
    assert_eq!(
        s.metric("acm_check_duration_seconds_count{face=\"http\"}"),
        5.0
    );
    assert!(s.metric("acm_store_keys") >= 5.0);
    // Alerts held back and withdrawn, by rule (docs/QUALITY.md, a held-back raise).
    assert!(
        text.contains("# TYPE acm_alerts_withdrawn counter")
            && text.contains("acm_alerts_withdrawn_total{rule=\"distinct_callers_slow\"} "),
        "{text}"
    );
}

#[test]
fn sigterm_stops_gracefully() {
    let mut s = Serve::start("");
    let pid = s.child.id() as i32;
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let started = Instant::now();
    let status = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "acm serve did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_bad_config_fails_at_start_naming_the_key() {
    let dir = TempDir::new("acm-badcfg");
    let cfg = dir.join("acm.toml");
    std::fs::write(&cfg, "[rules.distinct_callers]\nwindow_ms = 0\n").unwrap();
    let out = Command::new(acm_bin())
        .args(["serve", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rules.distinct_callers.window_ms"), "{err}");
    let out = Command::new(acm_bin())
        .args(["check-config", "--config"])
        .arg("/nonexistent.toml")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

/// A restarted `acm serve` on the embedded store rebuilds a trunk's learned
/// level from its call records (`--warm-from`): a national interconnect that
/// always carries 30 new CLIs a minute is normal for it again at once, while
/// without the history it is judged against the floor.
#[test]
fn warm_from_history_rebuilds_learned_levels() {
    let dir = TempDir::new("acm-warm");
    let history = dir.join("history.csv");
    let t0: i64 = 1_700_000_000_000;
    let mut csv = String::from("call_id,a_number,b_number,timestamp,trunk\n");
    for minute in 0..40i64 {
        for j in 0..30i64 {
            let n = minute * 100 + j;
            csv.push_str(&format!(
                "h{n},+234803{:07},+23481{:08},{},IC-1\n",
                n,
                n,
                t0 + minute * 60_000 + j * 2_000
            ));
        }
    }
    std::fs::write(&history, csv).unwrap();
    let live = |s: &Serve| -> usize {
        (0..30i64)
            .filter(|j| {
                let n = 9_000 + j;
                let (_, v) = s.post(
                    "/v1/check",
                    &json!({"call_id": format!("l{n}"), "a_number": format!("+234803{n:07}"),
                            "b_number": format!("+23481{n:08}"), "trunk": "IC-1",
                            "timestamp": t0 + 40 * 60_000 + j * 2_000}),
                );
                v["reasons"].to_string().contains("cli_rotation")
            })
            .count()
    };
    let cold = Serve::start("");
    assert!(
        live(&cold) > 0,
        "without its history the trunk meets the floor"
    );
    let warm = Serve::start_with_args("", &["--warm-from".as_ref(), history.as_os_str()]);
    assert_eq!(live(&warm), 0, "with it, 30 a minute is the trunk's normal");
}

/// Every error answer is JSON with an `error` code and a `reason` (issue 20): a method a
/// path does not take (405), no such path (404), a body over `max_body_bytes` (413); a
/// valid RFC 3339 time before 1970 is refused for what it is; and what hyper refuses before
/// the router sees it (414, 431, a malformed request: 400), on a fresh connection and after
/// an ordinary request on a kept-alive one.
#[test]
fn every_error_answer_is_json() {
    let s = Serve::start("[serve]\nmax_body_bytes = 4096\n");
    for (method, path, body, status, code) in [
        ("PUT", "/event", &b"{}"[..], 405, "method_not_allowed"),
        ("GET", "/v1/events", b"", 405, "method_not_allowed"),
        ("DELETE", "/v1/check", b"", 405, "method_not_allowed"),
        ("GET", "/no/such/path", b"", 404, "not_found"),
    ] {
        let (st, v, text) = s.req(method, path, body).unwrap();
        assert_eq!(st, status, "{method} {path}: {text}");
        assert_eq!(v["error"], code, "{method} {path}: {text}");
        assert!(
            v["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{text}"
        );
    }
    let (st, v, text) = s.req("PUT", "/event", b"{}").unwrap();
    assert_eq!(st, 405);
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains("/event does not take PUT"),
        "{text}"
    );
    let big = format!("{{\"events\": [\"{}\"]}}", "x".repeat(8192));
    let (st, v, text) = s.req("POST", "/v1/events", big.as_bytes()).unwrap();
    assert_eq!(st, 413, "{text}");
    assert!(v["error"].is_string(), "{text}");
    let (st, v, text) = s
        .req(
            "POST",
            "/v1/check",
            br#"{"b_number":"+2348031234567","timestamp":"1969-12-31T23:59:59Z"}"#,
        )
        .unwrap();
    assert_eq!(st, 400, "{text}");
    assert_eq!(v["field"], "timestamp");
    assert!(
        v["reason"].as_str().unwrap().contains("before 1970"),
        "{text}"
    );
    // Answered by hyper before the router (over-long target, head or header count,
    // unparsable request line): JSON all the same.
    let huge_header = format!("X-Big: {}\r\n", "h".repeat(500_000));
    let many_headers: String = (0..150).map(|i| format!("X-H{i}: v\r\n")).collect();
    for (what, request, status, code) in [
        (
            "request target over 65534 bytes",
            format!(
                "GET /v1/check?b_number={} HTTP/1.1\r\nHost: x\r\n\r\n",
                "9".repeat(70_000)
            ),
            414,
            "uri_too_long",
        ),
        (
            "a 500 KB header",
            format!("GET /health HTTP/1.1\r\nHost: x\r\n{huge_header}\r\n"),
            431,
            "request_header_fields_too_large",
        ),
        (
            "150 headers",
            format!("GET /health HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n"),
            431,
            "request_header_fields_too_large",
        ),
        (
            "a malformed request line",
            "GET /health HTTP/1.1 extra\r\nHost: x\r\n\r\n".to_string(),
            400,
            "bad_request",
        ),
    ] {
        let (st, head, body) = raw_exchange(s.port, request.as_bytes());
        assert_eq!(st, status, "{what}: {head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{what}: {head}"
        );
        let v: Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{what}: body {body:?} is not JSON: {e}"));
        assert_eq!(v["error"], code, "{what}: {body}");
        assert!(
            v["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{body}"
        );
    }
    // Keep-alive: an ordinary request, then one hyper refuses, on one connection.
    let two = format!(
        "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "9".repeat(70_000)
    );
    let mut c = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    c.set_read_timeout(Some(T)).unwrap();
    c.write_all(&two.as_bytes()[..40]).unwrap();
    let mut first = vec![0u8; 4096];
    let n = c.read(&mut first).unwrap();
    assert!(
        first[..n].starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&first[..n])
    );
    c.write_all(&two.as_bytes()[40..]).unwrap();
    let mut rest = Vec::new();
    let _ = c.read_to_end(&mut rest);
    let rest = String::from_utf8_lossy(&rest);
    assert!(rest.contains("HTTP/1.1 414"), "{rest}");
    assert!(rest.contains("\"error\":\"uri_too_long\""), "{rest}");
}

/// Writes `request` on a fresh connection and reads until the server closes it (or stops
/// sending): (status, head, body).
fn raw_exchange(port: u16, request: &[u8]) -> (u16, String, String) {
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(T)).unwrap();
    // The server may answer and close before it has read everything.
    let _ = c.write_all(request);
    let mut got = Vec::new();
    let _ = c.read_to_end(&mut got);
    let text = String::from_utf8_lossy(&got).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    (status, head.to_string(), body.to_string())
}
