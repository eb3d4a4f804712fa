//! Reports against a real clickhouse-server on a known data set, and their helpful errors.

mod support;

use acm::engine::Action;
use acm::pipeline::{apply_schema, AlertRecord, CallRecord, Event, Pipeline, PipelineConfig};
use acm::report::{run_report_since, ReportFormat};
use serde_json::Value;
use std::time::Duration;
use support::ClickHouseServer;

const T0: i64 = 1_700_000_000_000; // 2023-11-14 22:13:20 UTC
const SINCE: u64 = 1_699_990_000;

fn config(server: &ClickHouseServer, spool: &std::path::Path) -> PipelineConfig {
    PipelineConfig {
        url: server.http_url(),
        database: "acm_reports".into(),
        flush_interval_ms: 20,
        spool_dir: spool.to_path_buf(),
        ..PipelineConfig::default()
    }
}

fn call(n: i64, a: &str, b: &str, source: &str, trunk: &str, action: Action) -> Event {
    Event::Call(Box::new(CallRecord {
        event_time_ms: T0 + n * 1000,
        call_id: format!("c{n}"),
        a_number: a.into(),
        b_number: b.into(),
        source_ip: source.into(),
        trunk: trunk.into(),
        action,
        check_us: 100,
        mode: "enforce".into(),
        node: "n1".into(),
        ..CallRecord::default()
    }))
}

fn alert(n: i64, rule: &str, key: &str) -> Event {
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

fn load_known_data(cfg: &PipelineConfig) {
    apply_schema(cfg).unwrap();
    let mut pipeline = Pipeline::start(cfg.clone()).unwrap();
    let sink = pipeline.sink();
    for i in 0..6 {
        sink.submit(call(
            i,
            &format!("+23480000000{i:02}"),
            "+2348031000001",
            "10.0.0.9",
            "intl-9",
            Action::Flag,
        ));
    }
    sink.submit(call(
        10,
        "+2348000000050",
        "+2348031000002",
        "10.0.0.1",
        "local",
        Action::Allow,
    ));
    sink.submit(call(
        11,
        "+2348000000051",
        "+2348031000002",
        "10.0.0.1",
        "local",
        Action::Allow,
    ));
    for i in 0..3 {
        sink.submit(call(
            20 + i,
            "+2348000000099",
            &format!("+234803100010{i}"),
            "10.0.0.9",
            "intl-9",
            Action::Block,
        ));
    }
    sink.submit(alert(1, "fan_in", "+2348031000001"));
    sink.submit(alert(2, "fan_in", "+2348031000001"));
    sink.submit(alert(3, "cli_rotation", "10.0.0.9"));
    let stats = pipeline.shutdown(Duration::from_secs(20));
    assert_eq!(stats.inserted_calls, 11);
    assert_eq!(stats.inserted_alerts, 3);
}

fn json_rows(cfg: &PipelineConfig, name: &str) -> Vec<Value> {
    let text = run_report_since(cfg, name, SINCE, ReportFormat::Json).unwrap();
    serde_json::from_str::<Vec<Value>>(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"))
}

#[test]
fn reports_on_a_known_data_set() {
    let server = ClickHouseServer::start();
    let spool = tempfile::tempdir().unwrap();
    let cfg = config(&server, spool.path());
    load_known_data(&cfg);

    let targets = json_rows(&cfg, "top-targets");
    assert_eq!(targets.len(), 5);
    assert_eq!(
        targets[0],
        serde_json::json!({"b_number": "+2348031000001", "calls_total": 6, "flagged": 6, "blocked": 0,
                           "distinct_callers": 6, "distinct_sources": 1})
    );
    assert_eq!(targets[4]["b_number"], "+2348031000002");
    assert_eq!(targets[4]["flagged"], 0);

    let rules = json_rows(&cfg, "alerts-by-rule");
    assert_eq!(rules.len(), 2);
    assert_eq!(
        (rules[0]["rule"].as_str(), rules[0]["alerts"].as_u64()),
        (Some("fan_in"), Some(2))
    );
    assert_eq!(rules[0]["distinct_keys"], 1);
    assert_eq!(rules[1]["rule"], "cli_rotation");

    let callers = json_rows(&cfg, "top-callers");
    assert_eq!(callers.len(), 7, "6 flagged callers + 1 blocked one");
    assert_eq!(callers[0]["a_number"], "+2348000000099");
    assert_eq!(callers[0]["suspicious_calls"], 3);
    assert_eq!(callers[0]["blocked"], 3);
    assert_eq!(callers[0]["distinct_targets"], 3);
    assert_eq!(callers[0]["trunks"], "intl-9");

    let sources = json_rows(&cfg, "top-sources");
    assert_eq!(sources[0]["source_ip"], "10.0.0.9");
    assert_eq!(sources[0]["calls_total"], 9);
    assert_eq!(sources[0]["distinct_clis"], 7);
    assert_eq!(sources[1]["source_ip"], "10.0.0.1");
    assert_eq!(sources[1]["flagged"], 0);

    let hourly = json_rows(&cfg, "hourly");
    assert_eq!(hourly.len(), 1);
    assert_eq!(hourly[0]["hour"], "2023-11-14 22:00:00");
    assert_eq!(
        (
            hourly[0]["calls_total"].as_u64(),
            hourly[0]["allowed"].as_u64(),
            hourly[0]["flagged"].as_u64(),
            hourly[0]["blocked"].as_u64()
        ),
        (Some(11), Some(2), Some(6), Some(3))
    );

    let csv = run_report_since(&cfg, "daily-summary", SINCE, ReportFormat::Csv).unwrap();
    assert_eq!(
        csv,
        "day,mode,calls_total,allowed,flagged,blocked,degraded_calls,distinct_callers,distinct_targets,alerts,check_us_p50,check_us_p99\r\n\
         2023-11-14,enforce,11,2,6,3,0,9,5,3,100,100\r\n"
    );
    let table = run_report_since(&cfg, "top-targets", SINCE, ReportFormat::Table).unwrap();
    assert!(
        table.starts_with("b_number        calls_total  flagged  blocked"),
        "{table}"
    );

    // Nothing before a later `since`.
    let later = run_report_since(&cfg, "top-callers", 1_800_000_000, ReportFormat::Table).unwrap();
    assert!(later.contains("(no rows)"), "{later}");
}

#[test]
fn errors_say_what_to_do() {
    let server = ClickHouseServer::start();
    let spool = tempfile::tempdir().unwrap();
    let cfg = config(&server, spool.path());
    let missing = run_report_since(&cfg, "hourly", SINCE, ReportFormat::Table)
        .unwrap_err()
        .to_string();
    assert!(missing.contains("acm schema apply"), "{missing}");

    let down = PipelineConfig {
        url: "http://127.0.0.1:9".into(),
        ..cfg.clone()
    };
    let unreachable = format!(
        "{:#}",
        run_report_since(&down, "hourly", SINCE, ReportFormat::Table).unwrap_err()
    );
    assert!(
        unreachable.contains("http://127.0.0.1:9") && unreachable.contains("did not answer"),
        "{unreachable}"
    );
    let schema = format!("{:#}", apply_schema(&down).unwrap_err());
    assert!(schema.contains("http://127.0.0.1:9"), "{schema}");

    let unknown = run_report_since(&cfg, "nope", SINCE, ReportFormat::Table)
        .unwrap_err()
        .to_string();
    assert!(unknown.contains("daily-summary"), "{unknown}");
}
