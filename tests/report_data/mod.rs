// SPDX-License-Identifier: MIT OR Apache-2.0
//! The known data set of the report tests and what every report must say about it, shared by
//! the single-server tests (18.16 and the current engine) and the cluster test.
//!
//! Calls and the first alerts go through acm's pipeline (RowBinary INSERTs); the alert
//! lifecycle (`alert_events`, `alerts.severity`, issue 13's agreed schema) and the operator
//! ranges are written as SQL, as the lifecycle API and an operator would.
#![allow(dead_code)]

use acm::engine::Action;
use acm::pipeline::{apply_schema, AlertRecord, CallRecord, Event, Pipeline};
use acm::pipeline::{PipelineConfig, SchemaReport};
use serde_json::{json, Value};
use std::time::Duration;

pub const T0: i64 = 1_700_000_000_000; // 2023-11-14 22:13:20 UTC
pub const SINCE: u64 = 1_699_990_000;
/// 2023-11-14 00:00 UTC and the day after.
pub const DAY: (u64, u64) = (1_699_920_000, 1_700_006_400);

/// `acm schema apply`: the alert lifecycle (`alert_events`, `alerts.severity`) is migration
/// 003 of the binary.
pub fn apply_with_lifecycle(cfg: &PipelineConfig) -> SchemaReport {
    apply_schema(cfg).expect("schema")
}

pub fn call(n: i64, a: &str, b: &str, source: &str, trunk: &str, action: Action) -> Event {
    Event::Call(Box::new(CallRecord {
        event_time_ms: T0 + n * 1000,
        call_id: format!("c{n}"),
        a_number: a.into(),
        b_number: b.into(),
        source_ip: source.into(),
        trunk: trunk.into(),
        action,
        reasons: match action {
            Action::Allow => vec![],
            _ => vec!["distinct_callers".into(), "intl_ingress_local_cli".into()],
        },
        check_us: 100,
        mode: "enforce".into(),
        node: "n1".into(),
        ..CallRecord::default()
    }))
}

pub fn alert(n: i64, rule: &str, key: &str) -> Event {
    Event::Alert(Box::new(AlertRecord {
        alert_id: format!("a{n}"),
        raised_at_ms: T0 + n * 1000,
        rule: rule.into(),
        key: key.into(),
        action: Action::Flag,
        count: 5,
        mode: "enforce".into(),
        ..AlertRecord::default()
    }))
}

/// The calls and alerts acm writes, as events for a pipeline.
pub fn events() -> Vec<Event> {
    let mut out = Vec::new();
    for i in 0..6 {
        out.push(call(
            i,
            &format!("+23480000000{i:02}"),
            "+2348031000001",
            "10.0.0.9",
            "intl-9",
            Action::Flag,
        ));
    }
    for (n, a) in [(10, "+2348000000050"), (11, "+2348000000051")] {
        out.push(call(
            n,
            a,
            "+2348031000002",
            "10.0.0.1",
            "local",
            Action::Allow,
        ));
    }
    for i in 0..3 {
        out.push(call(
            20 + i,
            "+2348000000099",
            &format!("+234803100010{i}"),
            "10.0.0.9",
            "intl-9",
            Action::Block,
        ));
    }
    out.push(call(
        30,
        "+2348000000077",
        "+447700900123",
        "10.0.0.7",
        "intl-7",
        Action::Flag,
    ));
    out.push(alert(1, "fan_in", "+2348031000001"));
    out.push(alert(2, "fan_in", "+2348031000001"));
    out.push(alert(3, "cli_rotation", "10.0.0.9"));
    out
}

pub const CALLS: u64 = 12;
pub const ALERTS: u64 = 3;

/// Loads the known data set: the events through a pipeline (which must deliver them all),
/// then the lifecycle and operator ranges through `exec` (one SQL statement per call).
pub fn load(cfg: &PipelineConfig, exec: &dyn Fn(&str)) {
    let mut pipeline = Pipeline::start(cfg.clone()).unwrap();
    let sink = pipeline.sink();
    for e in events() {
        sink.submit(e);
    }
    let stats = pipeline.shutdown(Duration::from_secs(20));
    assert_eq!(stats.inserted_calls, CALLS, "{stats:?}");
    assert_eq!(stats.inserted_alerts, ALERTS, "{stats:?}");
    load_sql(cfg, exec);
}

/// (kind, to_status, +s from T0) of one lifecycle event.
type LifecycleEvent = (&'static str, &'static str, i64);

/// (alert, severity, raised +s from T0, its events)
const LIFECYCLE: &[(&str, &str, i64, &[LifecycleEvent])] = &[
    (
        "L1",
        "critical",
        100,
        &[
            ("status", "investigating", 160),
            ("status", "resolved", 400),
        ],
    ),
    ("L2", "critical", 200, &[("status", "false_positive", 230)]),
    (
        "L3",
        "high",
        300,
        &[("status", "investigating", 420), ("note", "", 500)],
    ),
    ("L4", "high", 310, &[]),
    ("L5", "low", 320, &[("note", "", 330)]),
    (
        "L6",
        "medium",
        330,
        &[
            ("status", "investigating", 340),
            ("status", "resolved", 930),
        ],
    ),
];

fn load_sql(cfg: &PipelineConfig, exec: &dyn Fn(&str)) {
    let db = &cfg.database;
    for (id, severity, raised, events) in LIFECYCLE {
        let at = T0 + raised * 1000;
        exec(&format!(
            "INSERT INTO {db}.alerts (event_date, raised_at, raised_at_ms, alert_id, rule, key, action, \
             count, mode, node, severity) VALUES (toDate({s}), toDateTime({s}), {at}, '{id}', \
             'distinct_callers', '+2348031000001', 'block', 5, 'enforce', 'n1', '{severity}')",
            s = at / 1000
        ));
        let mut rows = vec![format!(
            "(toDate({s}), toDateTime({s}), {at}, '{id}', 'raised', '', 'new', 'acm', '', 'n1')",
            s = at / 1000
        )];
        let mut status = "new";
        for (kind, to, plus) in events.iter() {
            let at = T0 + plus * 1000;
            let (from, to) = if *kind == "status" {
                (status, *to)
            } else {
                ("", "")
            };
            rows.push(format!(
                "(toDate({s}), toDateTime({s}), {at}, '{id}', '{kind}', '{from}', '{to}', 'analyst', 'seen', '')",
                s = at / 1000
            ));
            if *kind == "status" {
                status = to;
            }
        }
        exec(&format!(
            "INSERT INTO {db}.alert_events (event_date, at, at_ms, alert_id, kind, from_status, \
             to_status, actor, note, node) VALUES {}",
            rows.join(", ")
        ));
    }
    exec(&format!(
        "INSERT INTO {db}.operator_ranges (prefix, operator) VALUES \
         ('+2348031', 'Op A'), ('+23480310001', 'Op B'), ('+2349', 'Op C')"
    ));
}

/// Every report as JSON rows.
pub fn json_rows(cfg: &PipelineConfig, name: &str) -> Vec<Value> {
    let text = acm::report::run_report_since(cfg, name, SINCE, acm::report::ReportFormat::Json)
        .unwrap_or_else(|e| panic!("{name}: {e:#}"));
    serde_json::from_str::<Vec<Value>>(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"))
}

/// What each report must say about the known data set.
pub fn check_reports(cfg: &PipelineConfig) {
    use acm::report::{run_report_between, run_report_since, ReportFormat};

    let targets = json_rows(cfg, "top-targets");
    assert_eq!(targets.len(), 6, "{targets:?}");
    assert_eq!(
        targets[0],
        json!({"b_number": "+2348031000001", "calls_total": 6, "flagged": 6, "blocked": 0,
               "distinct_callers": 6, "distinct_sources": 1})
    );
    assert_eq!(targets[5]["b_number"], "+2348031000002");
    assert_eq!(targets[5]["flagged"], 0);

    let rules = json_rows(cfg, "alerts-by-rule");
    assert_eq!(
        rules
            .iter()
            .map(|r| (r["rule"].as_str().unwrap(), r["alerts"].as_u64().unwrap()))
            .collect::<Vec<_>>(),
        [("distinct_callers", 6), ("fan_in", 2), ("cli_rotation", 1)]
    );
    assert_eq!(rules[1]["distinct_keys"], 1);

    let callers = json_rows(cfg, "top-callers");
    assert_eq!(callers.len(), 8, "7 flagged callers + 1 blocked one");
    assert_eq!(callers[0]["a_number"], "+2348000000099");
    assert_eq!(callers[0]["suspicious_calls"], 3);
    assert_eq!(callers[0]["blocked"], 3);
    assert_eq!(callers[0]["distinct_targets"], 3);
    assert_eq!(callers[0]["trunks"], "intl-9");

    let sources = json_rows(cfg, "top-sources");
    assert_eq!(sources[0]["source_ip"], "10.0.0.9");
    assert_eq!(sources[0]["calls_total"], 9);
    assert_eq!(sources[0]["distinct_clis"], 7);
    assert_eq!(sources[2]["source_ip"], "10.0.0.1");
    assert_eq!(sources[2]["flagged"], 0);

    let hourly = json_rows(cfg, "hourly");
    assert_eq!(hourly.len(), 1);
    assert_eq!(hourly[0]["hour"], "2023-11-14 22:00:00");
    assert_eq!(
        (
            hourly[0]["calls_total"].as_u64(),
            hourly[0]["allowed"].as_u64(),
            hourly[0]["flagged"].as_u64(),
            hourly[0]["blocked"].as_u64()
        ),
        (Some(12), Some(2), Some(7), Some(3))
    );

    let csv = run_report_since(cfg, "daily-summary", SINCE, ReportFormat::Csv).unwrap();
    assert_eq!(
        csv,
        "day,mode,calls_total,allowed,flagged,blocked,degraded_calls,distinct_callers,distinct_targets,alerts,check_us_p50,check_us_p99\r\n\
         2023-11-14,enforce,12,2,7,3,0,10,6,9,100,100\r\n"
    );
    // The JSON path renders the same numbers.
    let daily = json_rows(cfg, "daily-summary");
    assert_eq!(daily[0]["alerts"], 9);

    let status = json_rows(cfg, "alerts-by-status");
    assert_eq!(
        status
            .iter()
            .map(|r| (
                r["severity"].as_str().unwrap(),
                r["status"].as_str().unwrap(),
                r["alerts"].as_u64().unwrap()
            ))
            .collect::<Vec<_>>(),
        [
            ("critical", "resolved", 1),
            ("critical", "false_positive", 1),
            ("high", "new", 1),
            ("high", "investigating", 1),
            ("medium", "resolved", 1),
            ("low", "new", 1),
            ("", "new", 3),
        ]
    );

    let response = json_rows(cfg, "alert-response");
    assert_eq!(
        response[0],
        json!({"severity": "critical", "alerts": 2, "triaged": 2, "resolved": 2, "open": 0,
               "triage_p50_s": 60, "triage_p90_s": 60, "resolve_p50_s": 300,
               "resolve_p90_s": 300, "resolve_max_s": 300})
    );
    assert_eq!(
        response[1],
        json!({"severity": "high", "alerts": 2, "triaged": 1, "resolved": 0, "open": 2,
               "triage_p50_s": 120, "triage_p90_s": 120, "resolve_p50_s": 0,
               "resolve_p90_s": 0, "resolve_max_s": 0})
    );
    assert_eq!(response[2]["severity"], "medium");
    assert_eq!(response[2]["triage_p50_s"], 10);
    assert_eq!(response[2]["resolve_max_s"], 600);
    assert_eq!(response[3]["severity"], "low");
    assert_eq!(response[3]["triaged"], 0);
    assert_eq!(response[4]["severity"], "");
    assert_eq!(response[4]["alerts"], 3);

    let ranges = json_rows(cfg, "top-ranges");
    assert_eq!(
        ranges
            .iter()
            .map(|r| (
                r["operator"].as_str().unwrap(),
                r["range_prefix"].as_str().unwrap(),
                r["b_number"].as_str().unwrap(),
                r["suspicious_calls"].as_u64().unwrap()
            ))
            .collect::<Vec<_>>(),
        [
            ("Op A", "+2348031", "+2348031000001", 6),
            ("Op B", "+23480310001", "+2348031000100", 1),
            ("Op B", "+23480310001", "+2348031000101", 1),
            ("Op B", "+23480310001", "+2348031000102", 1),
            ("unknown", "", "+447700900123", 1),
        ]
    );
    assert_eq!(ranges[0]["distinct_callers"], 6);

    let export =
        run_report_between(cfg, "regulator-export", DAY.0, DAY.1, ReportFormat::Csv).unwrap();
    let lines: Vec<&str> = export.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(
        lines[0],
        "call_time_utc,event_time_ms,call_id,a_number,b_number,source_ip,trunk,pai,attestation,\
         action,reasons,alert_id,mode,node"
    );
    assert_eq!(lines.len(), 1 + 10, "{export}");
    assert_eq!(
        lines[1],
        "2023-11-14 22:13:20,1700000000000,c0,+2348000000000,+2348031000001,10.0.0.9,intl-9,,,\
         flag,distinct_callers;intl_ingress_local_cli,,enforce,n1"
    );
    assert!(lines[10].starts_with("2023-11-14 22:13:50,1700000030000,c30,"));
    assert!(!export.contains(",allow,"));
    // The day before holds nothing.
    let before = run_report_between(
        cfg,
        "regulator-export",
        DAY.0 - 86_400,
        DAY.0,
        ReportFormat::Csv,
    )
    .unwrap();
    assert_eq!(before.lines().count(), 1, "{before}");

    let table = run_report_since(cfg, "top-targets", SINCE, ReportFormat::Table).unwrap();
    assert!(
        table.starts_with("b_number        calls_total  flagged  blocked"),
        "{table}"
    );
    // Nothing before a later `since`.
    let later = run_report_since(cfg, "top-callers", 1_800_000_000, ReportFormat::Table).unwrap();
    assert!(later.contains("(no rows)"), "{later}");
}
