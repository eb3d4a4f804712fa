// SPDX-License-Identifier: MIT OR Apache-2.0
//! `acm serve`'s gRPC face over a real TCP socket, against a real `acm serve`
//! process: the seed attack by `Check` and by `CheckStream` (the same answers
//! as HTTP), bad input naming the field, tokens and roles, a stream's order
//! under load and its back-pressure (a client that stops reading holds the
//! server to a bounded window), the live alert stream (an alert raised by a
//! call, a status change made through HTTP, resuming), health, TLS, and a
//! Python client generated from the same proto getting the same verdicts.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use acm::serve::grpc::proto::acm_client::AcmClient;
use acm::serve::grpc::proto::{
    self, alert_event, check_stream_response, AddAlertNoteRequest, AlertEvent, AssignAlertRequest,
    CheckRequest, CheckStreamResponse, SetAlertStatusRequest, StreamAlertsRequest,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use support::{acm_bin, free_port, http_request_with, tail_of, wait_until, TempDir};
use tokio_stream::StreamExt;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Request};

const T: Duration = Duration::from_secs(10);
const VIEWER: &str = "tok-viewer-0123456789";
const ANALYST: &str = "tok-analyst-0123456789";
const VICTIM: &str = "+2348038889999";
/// An untrusted ingress: the slow tier counts only calls with a known source.
const SOURCE: &str = "198.51.100.7";

fn hash(t: &str) -> String {
    Sha256::digest(t.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn tokens() -> String {
    format!(
        "[[access.tokens]]\nname = \"vera\"\nrole = \"viewer\"\nsha256 = \"{}\"\n\n\
         [[access.tokens]]\nname = \"anna\"\nrole = \"analyst\"\nsha256 = \"{}\"\n",
        hash(VIEWER),
        hash(ANALYST)
    )
}

/// `acm serve` with both faces on free loopback ports.
struct Serve {
    child: Option<Child>,
    http: u16,
    grpc: u16,
    log: PathBuf,
    dir: TempDir,
}

impl Serve {
    fn start(toml: &str) -> Serve {
        Serve::start_with(toml, &[])
    }

    fn start_with(toml: &str, env: &[(&str, &str)]) -> Serve {
        let dir = TempDir::new("acm-grpc");
        let cfg = dir.join("acm.toml");
        std::fs::write(&cfg, toml).unwrap();
        let (http, grpc) = (free_port(), free_port());
        let log = dir.join("serve.log");
        let child = Command::new(acm_bin())
            .args(["serve", "--config"])
            .arg(&cfg)
            .args(["--listen", &format!("127.0.0.1:{http}")])
            .env("ACM_GRPC__LISTEN", format!("127.0.0.1:{grpc}"))
            .env("ACM_ALERTS__EVENTS_FILE", dir.join("alert-events.jsonl"))
            .env("ACM_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("spawn acm serve");
        let mut s = Serve {
            child: Some(child),
            http,
            grpc,
            log,
            dir,
        };
        let up = wait_until(Duration::from_secs(20), || {
            (s.get("/health").0 == 200 && std::net::TcpStream::connect(("127.0.0.1", grpc)).is_ok())
                || matches!(s.child.as_mut().unwrap().try_wait(), Ok(Some(_)))
        });
        assert!(
            up && matches!(s.child.as_mut().unwrap().try_wait(), Ok(None)),
            "acm serve did not come up:\n{}",
            tail_of(&s.log, 30)
        );
        s
    }

    fn req(&self, method: &str, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
        let auth = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> =
            auth.iter().map(|a| ("Authorization", a.as_str())).collect();
        match http_request_with(self.http, method, path, &headers, body.as_bytes(), T) {
            Ok(r) => (
                r.status,
                serde_json::from_slice(&r.body).unwrap_or(Value::Null),
            ),
            Err(_) => (0, Value::Null),
        }
    }

    fn get(&self, path: &str) -> (u16, Value) {
        self.req("GET", path, None, "")
    }

    fn metrics(&self) -> String {
        let r = http_request_with(self.http, "GET", "/metrics", &[], b"", T).unwrap();
        String::from_utf8_lossy(&r.body).into_owned()
    }

    /// The value of the sample whose line starts with `series` (0 when absent).
    fn metric(&self, series: &str) -> f64 {
        self.metrics()
            .lines()
            .find(|l| l.starts_with(series))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }

    async fn client(&self) -> AcmClient<Channel> {
        let ch = Endpoint::from_shared(format!("http://127.0.0.1:{}", self.grpc))
            .unwrap()
            .connect()
            .await
            .expect("connect to the gRPC face");
        AcmClient::new(ch)
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

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Call `i` of the seed attack on `callee`: distinct mobile CLIs through one
/// untrusted ingress.
fn seed_call(tag: &str, i: u64, callee: &str, t0: i64) -> CheckRequest {
    CheckRequest {
        call_id: format!("{tag}-{i}"),
        a_number: format!("+23480312{i:05}"),
        b_number: callee.into(),
        timestamp: (t0 + i as i64).to_string(),
        source_ip: SOURCE.into(),
        ..Default::default()
    }
}

fn with_token<T>(msg: T, token: &str) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    r
}

/// The fields HTTP's JSON and the gRPC verdict share, as JSON.
fn verdict_json(v: &proto::Verdict) -> Value {
    json!({
        "action": v.action, "reasons": v.reasons,
        "alert_id": if v.alert_id.is_empty() { Value::Null } else { json!(v.alert_id) },
        "distinct_callers": v.distinct_callers, "cli_calls": v.cli_calls,
        "rotation_clis": v.rotation_clis, "callees": v.callees,
        "a_number": v.a_number, "b_number": v.b_number, "time_ms": v.time_ms,
    })
}

/// Today's defaults on the seed attack: the slow tier flags calls 3-4 (its
/// alert at the 3rd), the burst tier blocks the 5th (its own alert).
fn assert_seed_shape(actions: &[String], alerts: &[Vec<String>]) {
    assert_eq!(actions, ["allow", "allow", "flag", "flag", "block"]);
    let want: [&[&str]; 5] = [
        &[],
        &[],
        &["distinct_callers_slow"],
        &[],
        &["distinct_callers"],
    ];
    for (got, want) in alerts.iter().zip(want) {
        assert_eq!(got, want);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_seed_attack_by_check_and_by_stream_gets_http_answers() {
    let s = Serve::start("");
    let mut c = s.client().await;
    let t0 = now_ms();
    // Check, one call at a time.
    let (mut actions, mut alerts, mut grpc_verdicts) = (vec![], vec![], vec![]);
    for i in 1..=5 {
        let r = c
            .check(seed_call("u", i, VICTIM, t0))
            .await
            .expect("check")
            .into_inner();
        let v = r.verdict.expect("a verdict");
        actions.push(v.action.clone());
        alerts.push(r.new_alerts.iter().map(|a| a.rule.clone()).collect());
        if i == 5 {
            let a = &r.new_alerts[0];
            assert_eq!((a.count, a.threshold), (5, 5));
            // Counted per ingress (the default): `<source>|<callee>`.
            assert!(a.key.ends_with(&format!("|{VICTIM}")), "{}", a.key);
            assert_eq!(a.evidence.len(), 5, "{a:?}");
            assert_eq!(a.evidence[4].call_id, "u-5");
            assert_eq!(v.alert_id, a.id);
            assert!(v.reasons.contains(&"distinct_callers".to_string()));
            assert_eq!(v.distinct_callers, 5);
        }
        grpc_verdicts.push(verdict_json(&v));
    }
    assert_seed_shape(&actions, &alerts);

    // The same attack through HTTP, on keys of its own (another number, other
    // CLIs, another ingress: the CLI and source windows start empty, as they
    // did for the gRPC calls): the same answers, field for field.
    let other = "+2348038880000";
    for i in 1..=5u64 {
        let body = json!({
            "call_id": format!("h-{i}"), "a_number": format!("+23480313{i:05}"), "b_number": other,
            "timestamp": t0 + i as i64, "source_ip": "198.51.100.8",
        });
        let (status, mut h) = s.req("POST", "/v1/check", None, &body.to_string());
        assert_eq!(status, 200, "{h}");
        let mut g = grpc_verdicts[i as usize - 1].clone();
        for v in [&mut h, &mut g] {
            v.as_object_mut().unwrap().remove("a_number");
            v.as_object_mut().unwrap().remove("b_number");
            v.as_object_mut().unwrap().remove("alert_id");
            v.as_object_mut().unwrap().remove("new_alerts");
        }
        assert_eq!(g, h, "call {i}: gRPC and HTTP disagree");
    }

    // CheckStream: the same attack in one stream, answers in order.
    let third = "+2348038881111";
    let calls: Vec<_> = (1..=5).map(|i| seed_call("s", i, third, t0)).collect();
    let answers: Vec<CheckStreamResponse> = c
        .check_stream(tokio_stream::iter(calls))
        .await
        .expect("check_stream")
        .into_inner()
        .collect::<Result<_, _>>()
        .await
        .expect("answers");
    let ids: Vec<_> = answers.iter().map(|a| a.call_id.as_str()).collect();
    assert_eq!(ids, ["s-1", "s-2", "s-3", "s-4", "s-5"]);
    let actions: Vec<String> = answers
        .iter()
        .map(|a| match &a.result {
            Some(check_stream_response::Result::Verdict(v)) => v.action.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    let alerts: Vec<Vec<String>> = answers
        .iter()
        .map(|a| a.new_alerts.iter().map(|x| x.rule.clone()).collect())
        .collect();
    assert_seed_shape(&actions, &alerts);

    // Metrics: one set of names, labelled by face.
    assert_eq!(s.metric("acm_checks_total{face=\"grpc\"}"), 10.0);
    assert_eq!(s.metric("acm_checks_total{face=\"http\"}"), 5.0);
    assert_eq!(
        s.metric("acm_verdicts_total{face=\"grpc\",action=\"block\"}"),
        2.0
    );
    assert_eq!(
        s.metric("acm_verdicts_total{face=\"http\",action=\"block\"}"),
        1.0
    );
    // Calls 3, 4 and 5 of each gRPC attack are over the slow tier (the 5th
    // carries both tiers' reasons).
    assert_eq!(
        s.metric("acm_reasons_total{face=\"grpc\",reason=\"distinct_callers_slow\"}"),
        6.0
    );
    assert_eq!(
        s.metric("acm_check_duration_seconds_count{face=\"grpc\"}"),
        10.0
    );
    assert_eq!(s.metric("acm_alerts_total{rule=\"distinct_callers\"}"), 3.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_names_the_field_as_http_does_and_changes_nothing() {
    let s = Serve::start("");
    let mut c = s.client().await;
    let t0 = now_ms();
    let good = seed_call("b", 1, VICTIM, t0);
    let cases = [
        (
            "b_number",
            CheckRequest {
                b_number: String::new(),
                ..good.clone()
            },
        ),
        (
            "source_ip",
            CheckRequest {
                source_ip: "nope".into(),
                ..good.clone()
            },
        ),
        (
            "timestamp",
            CheckRequest {
                timestamp: "yesterday".into(),
                ..good.clone()
            },
        ),
        (
            "attestation",
            CheckRequest {
                attestation: "Z".into(),
                ..good.clone()
            },
        ),
        (
            "a_number",
            CheckRequest {
                a_number: "+1\u{7}".into(),
                ..good.clone()
            },
        ),
    ];
    for (field, bad) in &cases {
        let e = c.check(bad.clone()).await.expect_err(field);
        assert_eq!(e.code(), Code::InvalidArgument, "{field}: {e:?}");
        assert_eq!(
            e.metadata().get("acm-field").and_then(|v| v.to_str().ok()),
            Some(*field)
        );
        // HTTP refuses the same call with the same field and reason.
        let mut body = json!({
            "call_id": bad.call_id, "a_number": bad.a_number, "b_number": bad.b_number,
            "timestamp": bad.timestamp, "source_ip": bad.source_ip,
        });
        if !bad.attestation.is_empty() {
            body["attestation"] = json!(bad.attestation);
        }
        if bad.b_number.is_empty() {
            body.as_object_mut().unwrap().remove("b_number");
        }
        let (status, h) = s.req("POST", "/v1/check", None, &body.to_string());
        assert_eq!(status, 400);
        assert_eq!(h["field"], *field);
        assert_eq!(
            e.message(),
            format!("{}: {}", field, h["reason"].as_str().unwrap())
        );
    }
    // In a stream a refused call gets its error in its place; the stream goes on.
    let calls = vec![
        seed_call("b", 1, VICTIM, t0),
        cases[1].1.clone(),
        seed_call("b", 2, VICTIM, t0),
    ];
    let answers: Vec<CheckStreamResponse> = c
        .check_stream(tokio_stream::iter(calls))
        .await
        .unwrap()
        .into_inner()
        .collect::<Result<_, _>>()
        .await
        .unwrap();
    assert_eq!(answers.len(), 3);
    match &answers[1].result {
        Some(check_stream_response::Result::Error(e)) => {
            assert_eq!(e.field, "source_ip");
            assert_eq!(e.reason, "is not an IPv4 or IPv6 address");
        }
        other => panic!("{other:?}"),
    }
    // Nothing refused was counted: the second good call is the window's second caller.
    match &answers[2].result {
        Some(check_stream_response::Result::Verdict(v)) => assert_eq!(v.distinct_callers, 2),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.metric("acm_checks_total{face=\"grpc\"}"), 2.0);
    assert_eq!(
        s.metric("acm_bad_requests_total{face=\"grpc\",route=\"/acm.v1.Acm/Check\",status=\"InvalidArgument\"}"),
        5.0
    );
    assert_eq!(
        s.metric("acm_bad_requests_total{face=\"grpc\",route=\"/acm.v1.Acm/CheckStream\",status=\"InvalidArgument\"}"),
        1.0
    );
    assert_eq!(
        s.metric("acm_bad_requests_total{face=\"http\",route=\"/v1/check\",status=\"400\"}"),
        5.0
    );
    // A message over `[grpc] max_message_bytes` (1 MiB) is refused whole.
    let huge = CheckRequest {
        call_id: "x".repeat(2 << 20),
        ..good.clone()
    };
    let e = c.check(huge).await.expect_err("too large");
    assert_eq!(e.code(), Code::OutOfRange, "{e:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alert_rpcs_take_the_http_tokens_and_roles() {
    let s = Serve::start(&tokens());
    let mut c = s.client().await;
    // Checks need what HTTP's /v1/check needs: no token.
    c.check(seed_call("a", 1, VICTIM, now_ms())).await.unwrap();
    let no_token = c
        .stream_alerts(StreamAlertsRequest::default())
        .await
        .expect_err("no token");
    assert_eq!(no_token.code(), Code::Unauthenticated, "{no_token:?}");
    let unknown = c
        .stream_alerts(with_token(StreamAlertsRequest::default(), "tok-who"))
        .await
        .expect_err("unknown token");
    assert_eq!(unknown.code(), Code::Unauthenticated);
    assert!(unknown.message().contains("unknown bearer token"));
    // A viewer reads the stream but may not change an alert.
    c.stream_alerts(with_token(StreamAlertsRequest::default(), VIEWER))
        .await
        .expect("a viewer streams");
    let set = SetAlertStatusRequest {
        id: "nope".into(),
        status: "investigating".into(),
        note: String::new(),
    };
    let low = c
        .set_alert_status(with_token(set.clone(), VIEWER))
        .await
        .expect_err("viewer");
    assert_eq!(low.code(), Code::PermissionDenied, "{low:?}");
    assert!(low
        .message()
        .contains("vera has role viewer; this needs analyst"));
    let (status, _) = s.req("POST", "/v1/alerts/nope/status", Some(VIEWER), "{}");
    assert_eq!(status, 403, "HTTP refuses the same token");
    let note = AddAlertNoteRequest {
        id: "nope".into(),
        note: "x".into(),
    };
    let e = c
        .add_alert_note(with_token(note, VIEWER))
        .await
        .expect_err("viewer");
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    let assign = AssignAlertRequest {
        id: "nope".into(),
        ..Default::default()
    };
    let e = c.assign_alert(assign).await.expect_err("no token");
    assert_eq!(e.code(), Code::Unauthenticated, "{e:?}");
    // An analyst gets through to the alert check.
    let missing = c
        .set_alert_status(with_token(set, ANALYST))
        .await
        .expect_err("no such alert");
    assert_eq!(missing.code(), Code::NotFound);
    // Filters are checked as GET /v1/alerts checks them.
    let bad = c
        .stream_alerts(with_token(
            StreamAlertsRequest {
                status: vec!["open".into()],
                ..Default::default()
            },
            VIEWER,
        ))
        .await
        .expect_err("bad filter");
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert!(bad.message().starts_with("status: \"open\""), "{bad:?}");
    // With no token configured the alert RPCs are off, like HTTP's 404.
    let open = Serve::start("");
    let e = open
        .client()
        .await
        .stream_alerts(with_token(StreamAlertsRequest::default(), VIEWER))
        .await
        .expect_err("off");
    assert_eq!(e.code(), Code::NotFound);
}

fn answers_in_order(answers: &[CheckStreamResponse], tag: &str) {
    for (i, a) in answers.iter().enumerate() {
        assert_eq!(a.call_id, format!("{tag}-{i}"), "answer {i} out of order");
        match &a.result {
            Some(check_stream_response::Result::Verdict(v)) => {
                assert_eq!(v.b_number, format!("+23480399{:05}", i % 50_000))
            }
            other => panic!("answer {i}: {other:?}"),
        }
    }
}

fn load_call(tag: &str, i: usize, t0: i64) -> CheckRequest {
    CheckRequest {
        call_id: format!("{tag}-{i}"),
        a_number: format!("+2348031{:06}", i % 1_000_000),
        b_number: format!("+23480399{:05}", i % 50_000),
        timestamp: (t0 + i as i64).to_string(),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_answer_in_order_under_load() {
    let s = Serve::start("");
    let t0 = now_ms();
    const STREAMS: usize = 4;
    const CALLS: usize = 20_000;
    let mut tasks = Vec::new();
    for k in 0..STREAMS {
        let mut c = s.client().await;
        tasks.push(tokio::spawn(async move {
            let tag = format!("L{k}");
            let calls =
                tokio_stream::iter((0..CALLS).map(move |i| load_call(&format!("L{k}"), i, t0)));
            let answers: Vec<CheckStreamResponse> = c
                .check_stream(calls)
                .await
                .unwrap()
                .into_inner()
                .collect::<Result<_, _>>()
                .await
                .unwrap();
            (tag, answers)
        }));
    }
    // Single calls through both faces at the same time.
    let mut c = s.client().await;
    for i in 0..200 {
        c.check(load_call("one", i, t0)).await.unwrap();
    }
    for t in tasks {
        let (tag, answers) = t.await.unwrap();
        assert_eq!(answers.len(), CALLS);
        answers_in_order(&answers, &tag);
    }
    assert_eq!(
        s.metric("acm_checks_total{face=\"grpc\"}"),
        (STREAMS * CALLS + 200) as f64
    );
    assert!(wait_until(T, || s.metric("acm_grpc_streams ") == 0.0));
    assert_eq!(s.metric("acm_grpc_stream_in_flight "), 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_holds_the_server_to_its_window() {
    const WINDOW: usize = 32;
    let s = Serve::start(&format!("[grpc]\nmax_in_flight = {WINDOW}\n"));
    // Small HTTP/2 windows on the client side, so the stall comes early.
    let ch = Endpoint::from_shared(format!("http://127.0.0.1:{}", s.grpc))
        .unwrap()
        .initial_stream_window_size(64 * 1024)
        .initial_connection_window_size(64 * 1024)
        .connect()
        .await
        .unwrap();
    let mut c = AcmClient::new(ch);
    const CALLS: usize = 200_000;
    let t0 = now_ms();
    let (tx, rx) = tokio::sync::mpsc::channel::<CheckRequest>(1);
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let sent2 = sent.clone();
    let sender = tokio::spawn(async move {
        for i in 0..CALLS {
            if tx.send(load_call("bp", i, t0)).await.is_err() {
                break;
            }
            sent2.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let mut answers = c
        .check_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    // Read nothing; wait until the sender stalls.
    let sent_now = || sent.load(std::sync::atomic::Ordering::Relaxed);
    let mut last = usize::MAX;
    let start = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let n = sent_now();
        if n == last {
            break;
        }
        last = n;
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the sender never stalled"
        );
    }
    assert!(
        last < CALLS,
        "the client sent all {CALLS} calls without reading one answer"
    );
    // What the server holds is bounded: at most the window waits, and it reads no more.
    let received = s.metric("acm_grpc_stream_calls_total");
    let in_flight = s.metric("acm_grpc_stream_in_flight ");
    assert!(
        in_flight <= WINDOW as f64 && in_flight > 0.0,
        "in flight {in_flight}; sent {last}, received {received}"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(s.metric("acm_grpc_stream_calls_total"), received);
    assert_eq!(sent_now(), last);
    assert!(received < CALLS as f64 / 2.0, "received {received}");
    // Held, not dropped: the stream is still open (h2's frame-flood guard did
    // not end the connection; see STREAM_WINDOW in src/serve/grpc/mod.rs).
    assert_eq!(s.metric("acm_grpc_streams "), 1.0);
    eprintln!(
        "stalled: client sent {last}, server received {received}, {in_flight} in flight (window {WINDOW})"
    );
    // Reading again: everything arrives, in order, and the window drains.
    let mut got = Vec::with_capacity(CALLS);
    while let Some(a) = answers.next().await {
        got.push(a.unwrap());
        if got.len() == CALLS {
            break;
        }
    }
    sender.await.unwrap();
    assert_eq!(got.len(), CALLS);
    answers_in_order(&got, "bp");
    drop(answers);
    assert!(wait_until(T, || s.metric("acm_grpc_stream_in_flight ") == 0.0));
}

async fn next_event(stream: &mut tonic::Streaming<AlertEvent>, what: &str) -> AlertEvent {
    tokio::time::timeout(T, stream.next())
        .await
        .unwrap_or_else(|_| panic!("no {what} within {T:?}"))
        .expect("stream open")
        .expect("an event")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alert_stream_sees_a_raised_alert_and_an_http_status_change() {
    let mut s = Serve::start(&tokens());
    let mut c = s.client().await;
    // Only the burst tier's alerts: the slow tier's flag on the same attack is filtered out.
    let mut stream = c
        .stream_alerts(with_token(
            StreamAlertsRequest {
                rule: vec!["distinct_callers".into()],
                ..Default::default()
            },
            VIEWER,
        ))
        .await
        .expect("stream")
        .into_inner();
    let t0 = now_ms();
    for i in 1..=5 {
        c.check(seed_call("sa", i, VICTIM, t0)).await.unwrap();
    }
    let raised = next_event(&mut stream, "alert").await;
    assert_eq!(raised.event, "alert");
    let Some(alert_event::Item::Alert(a)) = &raised.item else {
        panic!("{raised:?}")
    };
    assert_eq!(
        (a.rule.as_str(), a.action.as_str(), a.status.as_str()),
        ("distinct_callers", "block", "new")
    );
    assert_eq!(a.b_numbers, [VICTIM]);
    assert_eq!(a.call_ids.len(), 5);
    assert_eq!(a.severity, "high");
    let id = a.id.clone();

    // An analyst moves it through HTTP; the stream carries the change.
    let body = json!({"status": "investigating", "note": "looking"}).to_string();
    let (status, v) = s.req(
        "POST",
        &format!("/v1/alerts/{id}/status"),
        Some(ANALYST),
        &body,
    );
    assert_eq!(status, 200, "{v}");
    let changed = next_event(&mut stream, "change").await;
    let Some(alert_event::Item::Change(ch)) = &changed.item else {
        panic!("{changed:?}")
    };
    assert_eq!(changed.event, "change");
    assert_eq!(
        (
            ch.alert_id.as_str(),
            ch.kind.as_str(),
            ch.from.as_str(),
            ch.to.as_str(),
            ch.actor.as_str(),
            ch.note.as_str(),
            ch.status.as_str()
        ),
        (
            id.as_str(),
            "status",
            "new",
            "investigating",
            "anna",
            "looking",
            "investigating"
        )
    );

    // And through gRPC.
    let summary = c
        .set_alert_status(with_token(
            SetAlertStatusRequest {
                id: id.clone(),
                status: "resolved".into(),
                note: String::new(),
            },
            ANALYST,
        ))
        .await
        .expect("analyst")
        .into_inner();
    assert_eq!(summary.status, "resolved");
    let resolved = next_event(&mut stream, "second change").await;
    let Some(alert_event::Item::Change(ch)) = &resolved.item else {
        panic!("{resolved:?}")
    };
    assert_eq!(
        (ch.to.as_str(), ch.status.as_str()),
        ("resolved", "resolved")
    );
    // A refused transition, as HTTP refuses it (409 there).
    let e = c
        .set_alert_status(with_token(
            SetAlertStatusRequest {
                id: id.clone(),
                status: "new".into(),
                note: String::new(),
            },
            ANALYST,
        ))
        .await
        .expect_err("resolved → new");
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    assert!(e
        .message()
        .starts_with("status: resolved → new is not allowed"));

    // Resuming after the alert gets the two changes first, as SSE's Last-Event-ID does.
    let mut again = c
        .stream_alerts(with_token(
            StreamAlertsRequest {
                last_event_id: raised.id.clone(),
                ..Default::default()
            },
            VIEWER,
        ))
        .await
        .unwrap()
        .into_inner();
    let r1 = next_event(&mut again, "replayed change").await;
    let r2 = next_event(&mut again, "replayed change").await;
    assert_eq!(
        (r1.id.as_str(), r2.id.as_str()),
        (changed.id.as_str(), resolved.id.as_str())
    );
    // Assignment and a note through gRPC, on the stream as HTTP's are.
    let assigned = c
        .assign_alert(with_token(
            AssignAlertRequest {
                id: id.clone(),
                assignee: "anna".into(),
                note: String::new(),
            },
            ANALYST,
        ))
        .await
        .expect("assign")
        .into_inner();
    assert_eq!(assigned.assignee, "anna");
    let assign_ev = next_event(&mut stream, "assign").await;
    let Some(alert_event::Item::Change(ch)) = &assign_ev.item else {
        panic!("{assign_ev:?}")
    };
    assert_eq!(
        (ch.kind.as_str(), ch.from.as_str(), ch.assignee.as_str()),
        ("assign", "", "anna")
    );
    let noted = c
        .add_alert_note(with_token(
            AddAlertNoteRequest {
                id: id.clone(),
                note: "CLI list sent to the carrier".into(),
            },
            ANALYST,
        ))
        .await
        .expect("note")
        .into_inner();
    assert_eq!(noted.id, id);
    let ev = next_event(&mut stream, "note").await;
    let Some(alert_event::Item::Change(ch)) = &ev.item else {
        panic!("{ev:?}")
    };
    assert_eq!(
        (ch.kind.as_str(), ch.note.as_str(), ch.actor.as_str()),
        ("note", "CLI list sent to the carrier", "anna")
    );
    let (_, detail) = s.req("GET", &format!("/v1/alerts/{id}"), Some(VIEWER), "");
    assert_eq!(detail["assignee"], "anna", "{detail}");
    let empty = c
        .add_alert_note(with_token(
            AddAlertNoteRequest {
                id: id.clone(),
                note: String::new(),
            },
            ANALYST,
        ))
        .await
        .expect_err("an empty note");
    assert_eq!(empty.code(), Code::InvalidArgument);
    assert_eq!(empty.message(), "note: required, not empty");
    // The resumed stream, past its replay, carries them live.
    let l1 = next_event(&mut again, "assign, live").await;
    let l2 = next_event(&mut again, "note, live").await;
    assert_eq!(
        (l1.id.as_str(), l2.id.as_str()),
        (assign_ev.id.as_str(), ev.id.as_str())
    );

    // The stream ends when acm serve stops (SIGTERM), like the SSE stream.
    let child = s.child.as_mut().unwrap();
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let end = tokio::time::timeout(T, again.next())
        .await
        .expect("stream ends");
    assert!(!matches!(end, Some(Ok(_))), "{end:?}");
    assert!(wait_until(T, || matches!(child.try_wait(), Ok(Some(_)))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_says_serving() {
    use tonic_health::pb::health_check_response::ServingStatus;
    use tonic_health::pb::{health_client::HealthClient, HealthCheckRequest};
    let s = Serve::start("");
    let ch = Endpoint::from_shared(format!("http://127.0.0.1:{}", s.grpc))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut h = HealthClient::new(ch);
    for service in ["", "acm.v1.Acm"] {
        let r = h
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(r.status(), ServingStatus::Serving, "{service:?}");
    }
    let e = h
        .check(HealthCheckRequest {
            service: "nope".into(),
        })
        .await
        .expect_err("unknown service");
    assert_eq!(e.code(), Code::NotFound);
}

/// A self-signed certificate for 127.0.0.1 and localhost, by Debian's openssl.
fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let openssl = support::require_program("openssl");
    let out = Command::new(openssl)
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
        ])
        .arg("/CN=localhost")
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        // An end-entity certificate: rustls refuses a CA (openssl's default) as a server's.
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (cert, key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_through_rustls() {
    let certs = TempDir::new("acm-grpc-tls");
    let (cert, key) = self_signed(certs.path());
    let s = Serve::start_with(
        "",
        &[
            ("ACM_GRPC__TLS_CERT", cert.to_str().unwrap()),
            ("ACM_GRPC__TLS_KEY", key.to_str().unwrap()),
        ],
    );
    let tls = tonic::transport::ClientTlsConfig::new()
        .ca_certificate(tonic::transport::Certificate::from_pem(
            std::fs::read(&cert).unwrap(),
        ))
        .domain_name("localhost");
    let ch = Endpoint::from_shared(format!("https://127.0.0.1:{}", s.grpc))
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
        .expect("TLS handshake");
    let v = AcmClient::new(ch)
        .check(seed_call("tls", 1, VICTIM, now_ms()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.verdict.unwrap().action, "allow");
    // Plaintext is refused on the TLS port.
    let plain = match Endpoint::from_shared(format!("http://127.0.0.1:{}", s.grpc))
        .unwrap()
        .connect()
        .await
    {
        Ok(ch) => AcmClient::new(ch)
            .check(seed_call("tls", 2, VICTIM, now_ms()))
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    assert!(plain.is_err(), "{plain:?}");
    // A key that cannot be read stops start-up, naming the key.
    let out = Command::new(acm_bin())
        .arg("serve")
        .env("ACM_SERVE__LISTEN", format!("127.0.0.1:{}", free_port()))
        .env("ACM_GRPC__LISTEN", format!("127.0.0.1:{}", free_port()))
        .env("ACM_GRPC__TLS_CERT", &cert)
        .env("ACM_GRPC__TLS_KEY", s.dir.join("missing.pem"))
        .env("ACM_ALERTS__EVENTS_FILE", s.dir.join("ev2.jsonl"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("grpc.tls_key: cannot read"), "{err}");
}

/// The Python client of the interop test: generated from proto/acm/v1/acm.proto
/// by grpcio-tools here, it runs the seed attack by Check and by CheckStream and
/// prints each verdict as a JSON line.
const PY_CLIENT: &str = r#"
import json, sys
sys.path.insert(0, sys.argv[1])
import grpc
from acm.v1 import acm_pb2, acm_pb2_grpc

port, callee, t0, tag, callee2 = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6]
stub = acm_pb2_grpc.AcmStub(grpc.insecure_channel("127.0.0.1:" + port))

def call(i, b):
    return acm_pb2.CheckRequest(call_id="%s-%d" % (tag, i), a_number="+23480312%05d" % i,
                                b_number=b, timestamp=str(t0 + i), source_ip="198.51.100.7")

def out(face, v, alerts):
    print(json.dumps({"face": face, "action": v.action, "reasons": list(v.reasons),
                      "distinct_callers": v.distinct_callers, "cli_calls": v.cli_calls,
                      "rotation_clis": v.rotation_clis, "callees": v.callees,
                      "a_number": v.a_number, "time_ms": v.time_ms,
                      "alerts": [a.rule for a in alerts]}))

for i in range(1, 6):
    r = stub.Check(call(i, callee))
    out("unary", r.verdict, r.new_alerts)
for r in stub.CheckStream(iter([call(i, callee2) for i in range(1, 6)])):
    assert r.WhichOneof("result") == "verdict", r
    out("stream", r.verdict, r.new_alerts)
try:
    stub.Check(acm_pb2.CheckRequest(a_number="+2348031234567"))
except grpc.RpcError as e:
    print(json.dumps({"face": "error", "code": e.code().name, "details": e.details()}))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_grpcio_client_gets_the_same_verdicts() {
    let python = support::chdb_python();
    let s = Serve::start("");
    let gen = s.dir.join("py");
    std::fs::create_dir_all(&gen).unwrap();
    let proto_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("proto");
    let out = Command::new(&python)
        .args(["-m", "grpc_tools.protoc", "-I"])
        .arg(&proto_dir)
        .arg(format!("--python_out={}", gen.display()))
        .arg(format!("--grpc_python_out={}", gen.display()))
        .arg(proto_dir.join("acm/v1/acm.proto"))
        .output()
        .expect("run grpc_tools.protoc");
    assert!(
        out.status.success(),
        "grpc_tools.protoc (grpcio-tools in {}; scripts/setup-test-env.sh installs it): {}",
        python.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let t0 = now_ms();
    let py = Command::new(&python)
        .arg("-c")
        .arg(PY_CLIENT)
        .arg(&gen)
        .arg(s.grpc.to_string())
        .arg("+2348037770000")
        .arg(t0.to_string())
        .arg("py")
        .arg("+2348037770001")
        .output()
        .expect("run the Python client");
    assert!(
        py.status.success(),
        "python client: {}",
        String::from_utf8_lossy(&py.stderr)
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&py.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 11, "{lines:?}");

    // The Rust client: the same calls, the same moment, on a twin server
    // (fresh windows, as the Python client's server had).
    let twin = Serve::start("");
    let mut c = twin.client().await;
    let mut rust = Vec::new();
    for i in 1..=5 {
        let r = c
            .check(seed_call("py", i, "+2348037770000", t0))
            .await
            .unwrap()
            .into_inner();
        rust.push((r.verdict.unwrap(), r.new_alerts));
    }
    let calls: Vec<_> = (1..=5)
        .map(|i| seed_call("py", i, "+2348037770001", t0))
        .collect();
    let mut st = c
        .check_stream(tokio_stream::iter(calls))
        .await
        .unwrap()
        .into_inner();
    while let Some(r) = st.next().await {
        let r = r.unwrap();
        let Some(check_stream_response::Result::Verdict(v)) = r.result else {
            panic!()
        };
        rust.push((v, r.new_alerts));
    }
    for (p, (v, alerts)) in lines.iter().zip(&rust) {
        let mut r = verdict_json(v);
        r["alerts"] = json!(alerts.iter().map(|a| a.rule.clone()).collect::<Vec<_>>());
        for k in [
            "action",
            "reasons",
            "distinct_callers",
            "cli_calls",
            "rotation_clis",
            "callees",
            "a_number",
            "time_ms",
            "alerts",
        ] {
            assert_eq!(p[k], r[k], "{k}: python {p} rust {r}");
        }
    }
    let actions: Vec<String> = lines[..10]
        .iter()
        .map(|l| l["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(actions[..5], ["allow", "allow", "flag", "flag", "block"]);
    assert_eq!(actions[5..], actions[..5]);
    assert_eq!(lines[10]["code"], "INVALID_ARGUMENT");
    assert_eq!(lines[10]["details"], "b_number: is required");
}
