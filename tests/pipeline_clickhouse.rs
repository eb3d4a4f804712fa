// SPDX-License-Identifier: MIT OR Apache-2.0
//! The pipeline against a real clickhouse-server 18.16 and a current ClickHouse engine (chdb
//! behind the HTTP interface; both started here, a missing one fails the test): exact
//! read-back, schema idempotence and the version-dependent TTL, an outage with no loss and no
//! duplicates, the same rows from a captured INSERT body and from a spool file on both
//! engines, the spool cap, and events submitted after shutdown.

mod support;

use acm::engine::Action;
use acm::pipeline::{
    apply_schema, AlertRecord, CallRecord, Event, InsertCompression, Pipeline, PipelineConfig,
};
use std::time::{Duration, Instant};
use support::{ChdbServer, ClickHouseServer, TestClickHouse};

fn config(server: &dyn TestClickHouse, spool: &std::path::Path) -> PipelineConfig {
    PipelineConfig {
        url: server.http_url(),
        // The rows are of 2023: a shorter retention would have a server with TTL (the
        // current engine) delete them as they arrive.
        retention_days: 36_500,
        database: "acm_test".into(),
        batch_size: 100,
        flush_interval_ms: 50,
        queue_capacity: 1024,
        spool_dir: spool.to_path_buf(),
        insert_timeout_ms: 2_000,
        ..PipelineConfig::default()
    }
}

fn call(i: u32) -> CallRecord {
    CallRecord {
        event_time_ms: 1_700_000_000_000 + i as i64 * 10,
        call_id: format!("call-{i}"),
        a_number: format!("+23480{:08}", i % 97),
        b_number: format!("+2348031{:06}", i % 7),
        source_ip: format!("10.0.0.{}", i % 5),
        trunk: "intl-1".into(),
        pai: "+2348000000000".into(),
        attestation: ["", "A", "B", "C"][(i % 4) as usize].into(),
        action: [Action::Allow, Action::Flag, Action::Block][(i % 3) as usize],
        reasons: if i.is_multiple_of(3) {
            vec![]
        } else {
            vec!["fan_in".into(), "national_cli_on_intl".into()]
        },
        alert_id: if i.is_multiple_of(3) {
            String::new()
        } else {
            format!("al-{}", i / 10)
        },
        distinct_callers: i % 11,
        cli_calls: i % 13,
        rotation_clis: i % 17,
        check_us: 40 + i % 100,
        degraded: i.is_multiple_of(50),
        mode: "enforce".into(),
        node: "node-a".into(),
    }
}

fn alert(i: u32) -> AlertRecord {
    AlertRecord {
        alert_id: format!("al-{i}"),
        raised_at_ms: 1_700_000_000_123 + i as i64,
        rule: ["fan_in", "cli_rotation"][(i % 2) as usize].into(),
        key: format!("+2348031{:06}", i % 7),
        action: Action::Flag,
        window_ms: 5_000,
        threshold: 5,
        count: 5 + i,
        a_numbers: vec!["+2348000000001".into(), "+2348000000002".into()],
        call_ids: vec![format!("call-{i}")],
        sources: vec!["10.0.0.1".into()],
        mode: "monitor".into(),
        node: "node-a".into(),
        severity: "high".into(),
    }
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn count(server: &dyn TestClickHouse, sql: &str) -> u64 {
    server
        .query(sql)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("not a number from {sql}"))
}

#[test]
fn writes_calls_and_alerts_and_reads_back_exact_rows() {
    // The default: INSERT bodies LZ4-compressed.
    write_and_read_back(&ClickHouseServer::start(), InsertCompression::Lz4);
}

#[test]
fn writes_and_reads_back_exact_rows_uncompressed() {
    write_and_read_back(&ClickHouseServer::start(), InsertCompression::None);
}

#[test]
fn writes_and_reads_back_exact_rows_on_the_current_engine() {
    write_and_read_back(&ChdbServer::start(), InsertCompression::Lz4);
    write_and_read_back(&ChdbServer::start(), InsertCompression::None);
}

fn write_and_read_back(server: &dyn TestClickHouse, compression: InsertCompression) {
    let spool = tempfile::tempdir().unwrap();
    let cfg = PipelineConfig {
        compression,
        ..config(server, spool.path())
    };
    apply_schema(&cfg).unwrap();
    let mut pipeline = Pipeline::start(cfg).unwrap();
    let sink = pipeline.sink();
    for i in 0..1000 {
        sink.submit(Event::Call(Box::new(call(i))));
    }
    for i in 0..40 {
        sink.submit(Event::Alert(Box::new(alert(i))));
    }
    let stats = pipeline.shutdown(Duration::from_secs(20));
    assert_eq!(stats.enqueued, 1040);
    assert_eq!(stats.inserted_calls, 1000);
    assert_eq!(stats.inserted_alerts, 40);
    assert_eq!(stats.spooled, 0);
    assert_eq!(stats.queue_depth, 0);

    assert_eq!(count(server, "SELECT count() FROM acm_test.calls"), 1000);
    assert_eq!(
        count(server, "SELECT uniqExact(call_id) FROM acm_test.calls"),
        1000
    );
    assert_eq!(count(server, "SELECT count() FROM acm_test.alerts"), 40);
    // Each alert's lifecycle starts with its "raised" entry, and its severity is kept.
    assert_eq!(
        count(
            server,
            "SELECT count() FROM acm_test.alert_events WHERE kind = 'raised' AND to_status = 'new'"
        ),
        40
    );
    assert_eq!(
        count(
            server,
            "SELECT count() FROM acm_test.alerts WHERE severity = 'high'"
        ),
        40
    );
    assert_eq!(
        count(
            server,
            "SELECT countIf(action = 'block') FROM acm_test.calls"
        ),
        333
    );
    assert_eq!(
        count(server, "SELECT sum(degraded) FROM acm_test.calls"),
        20
    );

    let row = server.query(
        "SELECT toString(event_date), toUnixTimestamp(event_time), event_time_ms, call_id, a_number, b_number, \
         source_ip, trunk, pai, attestation, action, reasons, alert_id, distinct_callers, cli_calls, \
         rotation_clis, check_us, degraded, mode, node FROM acm_test.calls WHERE call_id = 'call-7'",
    );
    assert_eq!(
        row.trim_end(),
        "2023-11-14\t1700000000\t1700000000070\tcall-7\t+2348000000007\t+2348031000000\t10.0.0.2\tintl-1\t\
         +2348000000000\tC\tflag\t['fan_in','national_cli_on_intl']\tal-0\t7\t7\t7\t47\t0\tenforce\tnode-a"
    );
    let alert_row = server.query(
        "SELECT toUnixTimestamp(raised_at), raised_at_ms, alert_id, rule, key, action, window_ms, threshold, \
         count, a_numbers, call_ids, sources, mode, node FROM acm_test.alerts WHERE alert_id = 'al-3'",
    );
    assert_eq!(
        alert_row.trim_end(),
        "1700000000\t1700000000126\tal-3\tcli_rotation\t+2348031000003\tflag\t5000\t5\t8\t\
         ['+2348000000001','+2348000000002']\t['call-3']\t['10.0.0.1']\tmonitor\tnode-a"
    );
    // The rollups saw every row.
    assert_eq!(
        count(
            server,
            "SELECT countMerge(calls) FROM acm_test.calls_by_target_hourly"
        ),
        1000
    );
    assert_eq!(
        count(server, "SELECT countMerge(calls) FROM acm_test.calls_daily"),
        1000
    );

    // After shutdown nothing is accepted, and that is counted.
    sink.submit(Event::Call(Box::new(call(5000))));
    assert_eq!(sink.stats().dropped_closed, 1);
}

#[test]
fn schema_apply_twice_is_a_no_op() {
    schema_twice(&ClickHouseServer::start());
}

#[test]
fn schema_apply_twice_is_a_no_op_on_the_current_engine() {
    schema_twice(&ChdbServer::start());
}

const ALL: [&str; 4] = [
    "001_base",
    "002_rollups",
    "003_alert_lifecycle",
    "004_operator_ranges",
];

fn schema_twice(server: &dyn TestClickHouse) {
    let spool = tempfile::tempdir().unwrap();
    let cfg = PipelineConfig {
        retention_days: 90,
        ..config(server, spool.path())
    };
    let first = apply_schema(&cfg).unwrap();
    assert_eq!(first.applied, ALL);
    assert!(first.server_version.starts_with(char::is_numeric));
    let tables = server.query(
        "SELECT name FROM system.tables WHERE database = 'acm_test' ORDER BY name FORMAT TSV",
    );
    let second = apply_schema(&cfg).unwrap();
    assert!(second.applied.is_empty(), "{second}");
    assert_eq!(second.already_applied, ALL);
    assert_eq!(
        count(server, "SELECT count() FROM acm_test.schema_migrations"),
        4
    );
    let again = server.query(
        "SELECT name FROM system.tables WHERE database = 'acm_test' ORDER BY name FORMAT TSV",
    );
    assert_eq!(tables, again);
    assert!(tables.contains("calls_by_source_hourly_mv"), "{tables}");
    assert!(tables.contains("alert_events"), "{tables}");

    // Retention: TTL where the server has it (19.6+), said to be skipped where not.
    let calls = server.query(
        "SELECT create_table_query FROM system.tables WHERE database = 'acm_test' AND name = 'calls'",
    );
    let modern = !first.server_version.starts_with("18.");
    assert_eq!(
        modern,
        server.engine() != "18.16",
        "{}",
        first.server_version
    );
    if modern {
        assert!(
            first.ttl.iter().all(|l| l.contains("set to 90 days")),
            "{first}"
        );
        assert!(
            second.ttl.iter().all(|l| l.contains("(unchanged)")),
            "{second}"
        );
        assert!(
            calls.contains("TTL event_date + toIntervalDay(90)"),
            "{calls}"
        );
    } else {
        assert!(first.ttl.iter().all(|l| l.contains("skipped")), "{first}");
        assert!(!calls.contains("TTL"), "{calls}");
    }
    assert_eq!(first.ttl.len(), 5);
}

#[test]
fn an_outage_loses_nothing_and_duplicates_nothing() {
    outage(&mut ClickHouseServer::start());
}

#[test]
fn an_outage_of_the_current_engine_loses_nothing_and_duplicates_nothing() {
    outage(&mut ChdbServer::start());
}

fn outage(server: &mut dyn TestClickHouse) {
    let spool = tempfile::tempdir().unwrap();
    let cfg = config(server, spool.path());
    apply_schema(&cfg).unwrap();
    let mut pipeline = Pipeline::start(cfg).unwrap();
    let sink = pipeline.sink();
    for i in 0..300 {
        sink.submit(Event::Call(Box::new(call(i))));
    }
    wait_for("first inserts", Duration::from_secs(20), || {
        pipeline.stats().inserted_calls == 300
    });

    server.stop();
    for i in 300..1300 {
        sink.submit(Event::Call(Box::new(call(i))));
        if i % 100 == 0 {
            sink.submit(Event::Alert(Box::new(alert(i))));
        }
    }
    wait_for("spooling", Duration::from_secs(20), || {
        let s = pipeline.stats();
        s.spooled == 1010 && s.queue_depth == 0
    });
    assert!(pipeline.stats().insert_errors >= 1);
    assert!(pipeline.stats().spool_bytes > 0);

    server.start_again();
    for i in 1300..1500 {
        sink.submit(Event::Call(Box::new(call(i))));
    }
    wait_for("replay", Duration::from_secs(60), || {
        let s = pipeline.stats();
        s.inserted_calls == 1500 && s.inserted_alerts == 10
    });
    let stats = pipeline.shutdown(Duration::from_secs(10));
    // New batches queue behind a non-empty spool (order is kept), so some of the last 200
    // may have gone through it too.
    assert!(
        (1010..=1210).contains(&stats.replayed_from_spool),
        "{stats:?}"
    );
    assert_eq!(stats.spool_bytes, 0);
    assert_eq!(
        stats.dropped_spool_full + stats.dropped_corrupt + stats.dropped_queue_full,
        0
    );
    assert_eq!(count(server, "SELECT count() FROM acm_test.calls"), 1500);
    assert_eq!(
        count(server, "SELECT uniqExact(call_id) FROM acm_test.calls"),
        1500
    );
    assert_eq!(count(server, "SELECT count() FROM acm_test.alerts"), 10);
    assert!(std::fs::read_dir(spool.path()).unwrap().all(|e| !e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with("seg-")));
}

#[test]
fn a_restarted_process_delivers_what_the_previous_one_spooled() {
    let mut server = ClickHouseServer::start();
    let spool = tempfile::tempdir().unwrap();
    let cfg = config(&server, spool.path());
    apply_schema(&cfg).unwrap();
    server.stop();
    {
        let mut pipeline = Pipeline::start(cfg.clone()).unwrap();
        let sink = pipeline.sink();
        for i in 0..250 {
            sink.submit(Event::Call(Box::new(call(i))));
        }
        let stats = pipeline.shutdown(Duration::from_millis(500));
        assert_eq!(stats.spooled, 250);
        assert_eq!(stats.inserted_calls, 0);
    }
    server.start_again();
    let mut pipeline = Pipeline::start(cfg).unwrap();
    wait_for("adopted spool", Duration::from_secs(30), || {
        pipeline.stats().replayed_from_spool == 250
    });
    pipeline.shutdown(Duration::from_secs(5));
    assert_eq!(count(&server, "SELECT count() FROM acm_test.calls"), 250);
    assert_eq!(
        count(&server, "SELECT uniqExact(call_id) FROM acm_test.calls"),
        250
    );
}

#[test]
fn a_full_spool_drops_and_counts() {
    let mut server = ClickHouseServer::start();
    let spool = tempfile::tempdir().unwrap();
    let cfg = PipelineConfig {
        spool_max_bytes: 200_000,
        ..config(&server, spool.path())
    };
    apply_schema(&cfg).unwrap();
    server.stop();
    let mut pipeline = Pipeline::start(cfg).unwrap();
    let sink = pipeline.sink();
    for i in 0..2000 {
        sink.submit(Event::Call(Box::new(call(i))));
    }
    let stats = pipeline.shutdown(Duration::from_millis(500));
    assert_eq!(stats.enqueued, 2000);
    assert!(stats.dropped_spool_full > 0, "{stats:?}");
    assert!(stats.spooled > 0, "{stats:?}");
    assert_eq!(stats.spooled + stats.dropped_spool_full, 2000, "{stats:?}");
    assert!(stats.spool_bytes <= 200_000);
}

#[test]
fn disabled_pipeline_only_counts() {
    let pipeline = Pipeline::disabled();
    let sink = pipeline.sink();
    sink.submit(Event::Call(Box::new(call(1))));
    sink.submit(Event::Alert(Box::new(alert(1))));
    let stats = pipeline.stats();
    assert!(!pipeline.is_enabled());
    assert_eq!(stats.discarded_disabled, 2);
    assert_eq!(stats.enqueued, 0);
}

/// Judged calls through `EventOut` (the call path's side): they are handed over
/// in batches of 64, yet a partial batch reaches ClickHouse without a shutdown
/// (the drainer takes it on its next wake-up), every call arrives once, and a
/// call submitted after shutdown is counted as dropped rather than lost.
#[test]
fn judged_calls_arrive_in_batches_and_partial_batches_are_not_stranded() {
    use acm::clock::ManualClock;
    use acm::config::Config;
    use acm::detector::Detector;
    use acm::engine::{Call, Engine};
    use acm::pipeline::EventOut;
    use acm::store::{MemoryStore, MemoryStoreConfig};

    let server = ClickHouseServer::start();
    let spool = std::env::temp_dir().join(format!("acm-eventout-{}", std::process::id()));
    let ch = config(&server, &spool);
    apply_schema(&ch).expect("schema");
    let cfg = Config {
        clickhouse: Some(ch),
        ..Config::default()
    };
    let engine = Engine::from_config(
        &cfg,
        std::sync::Arc::new(ManualClock::new(1_700_000_000_000)),
    )
    .unwrap();
    let store = MemoryStore::new(MemoryStoreConfig::default());
    let detector = Detector::new(std::sync::Arc::new(engine), std::sync::Arc::new(store));
    let mut pipeline = EventOut::start_pipeline(&cfg).unwrap();
    let out = EventOut::new(pipeline.sink(), &cfg);

    const N: u32 = 1000; // 15 full batches of 64 and a partial one of 40
    for i in 0..N {
        let call = Call::new(
            &format!("ev-{i}"),
            &format!("+2348031{i:06}"),
            &format!("+2348090{:06}", i % 300),
        )
        .at(1_700_000_000_000 + i as i64);
        let v = detector.check_now(&call).unwrap();
        out.submit(&call, &v, 1);
    }
    wait_for(
        "every judged call, the partial batch included",
        Duration::from_secs(20),
        || count(&server, "SELECT count() FROM acm_test.calls") == N as u64,
    );
    assert_eq!(
        count(&server, "SELECT uniqExact(call_id) FROM acm_test.calls"),
        N as u64
    );
    let stats = pipeline.stats();
    assert_eq!(stats.enqueued, N as u64, "{stats:?}");

    let stats = pipeline.shutdown(Duration::from_secs(10));
    assert_eq!(stats.inserted_calls, N as u64, "{stats:?}");
    let call = Call::new("late", "+2348031999999", "+2348090999999").at(1_700_000_009_000);
    let v = detector.check_now(&call).unwrap();
    out.submit(&call, &v, 1);
    assert_eq!(pipeline.stats().dropped_closed, 1);
    let _ = std::fs::remove_dir_all(spool);
}

/// Judged calls handed over in batches stay compact in the drainer until they
/// are inserted; during an outage they are spooled as rows and delivered once,
/// with the same content a direct insert would have written.
#[test]
fn judged_calls_survive_an_outage_through_the_spool() {
    use acm::clock::ManualClock;
    use acm::config::Config;
    use acm::detector::Detector;
    use acm::engine::{Call, Engine};
    use acm::pipeline::EventOut;
    use acm::store::{MemoryStore, MemoryStoreConfig};

    let mut server = ClickHouseServer::start();
    let spool = tempfile::tempdir().unwrap();
    let ch = config(&server, spool.path());
    apply_schema(&ch).expect("schema");
    let cfg = Config {
        clickhouse: Some(ch),
        ..Config::default()
    };
    let engine = Engine::from_config(
        &cfg,
        std::sync::Arc::new(ManualClock::new(1_700_000_000_000)),
    )
    .unwrap();
    let store = MemoryStore::new(MemoryStoreConfig::default());
    let detector = Detector::new(std::sync::Arc::new(engine), std::sync::Arc::new(store));
    let mut pipeline = EventOut::start_pipeline(&cfg).unwrap();
    let out = EventOut::new(pipeline.sink(), &cfg);
    let judge = |i: u32| {
        let call = Call::new(
            &format!("out-{i}"),
            &format!("0803{i:07}"),
            &format!("+2348090{:06}", i % 7),
        )
        .at(1_700_000_000_000 + 1_000 * i as i64);
        let v = detector.check_now(&call).unwrap();
        out.submit(&call, &v, 1);
    };

    server.stop();
    for i in 0..500 {
        judge(i);
    }
    wait_for("spooling", Duration::from_secs(30), || {
        let s = pipeline.stats();
        s.spooled == 500 && s.insert_errors >= 1
    });
    server.start_again();
    wait_for("replay", Duration::from_secs(60), || {
        pipeline.stats().inserted_calls == 500
    });
    let stats = pipeline.shutdown(Duration::from_secs(10));
    assert_eq!(stats.replayed_from_spool, 500, "{stats:?}");
    assert_eq!(
        count(&server, "SELECT uniqExact(call_id) FROM acm_test.calls"),
        500
    );
    // Normalised numbers and the verdicts made it through the spool intact.
    assert_eq!(
        count(
            &server,
            "SELECT count() FROM acm_test.calls WHERE call_id = 'out-42' \
             AND a_number = '+2348030000042' AND b_number = '+2348090000000' \
             AND event_time_ms = 1700000042000"
        ),
        1
    );
    assert_eq!(
        count(
            &server,
            "SELECT count() FROM acm_test.calls WHERE action = 'allow'"
        ),
        500
    );
}

/// Rows of both tables and of a rollup, in a fixed order, as the server prints them.
fn table_dump(server: &dyn TestClickHouse) -> String {
    [
        "SELECT * FROM acm_test.calls ORDER BY call_id FORMAT TSV",
        "SELECT * FROM acm_test.alerts ORDER BY alert_id FORMAT TSV",
        "SELECT hour, b_number, countMerge(calls), sumMerge(flags), sumMerge(blocks), \
         uniqMerge(callers) FROM acm_test.calls_by_target_hourly GROUP BY hour, b_number \
         ORDER BY hour, b_number FORMAT TSV",
    ]
    .iter()
    .map(|q| server.query(q))
    .collect::<Vec<_>>()
    .join("---\n")
}

/// The RowBinary bodies acm sent to the current engine (captured there, LZ4 undone), sent
/// byte for byte to 18.16: both hold the same rows, and so do their rollups.
#[test]
fn a_captured_insert_body_reads_back_the_same_on_18_16_and_the_current_engine() {
    let new = ChdbServer::start_capturing();
    let old = ClickHouseServer::start();
    let spool = tempfile::tempdir().unwrap();
    let new_cfg = config(&new, spool.path());
    apply_schema(&new_cfg).unwrap();
    apply_schema(&config(&old, spool.path())).unwrap();
    let mut pipeline = Pipeline::start(new_cfg).unwrap();
    let sink = pipeline.sink();
    for i in 0..1000 {
        sink.submit(Event::Call(Box::new(call(i))));
    }
    for i in 0..40 {
        sink.submit(Event::Alert(Box::new(alert(i))));
    }
    let stats = pipeline.shutdown(Duration::from_secs(20));
    assert_eq!((stats.inserted_calls, stats.inserted_alerts), (1000, 40));

    let captured = new.captured_inserts();
    assert!(captured.len() >= 2, "{}", captured.len());
    for (sql, body) in &captured {
        assert!(sql.ends_with("FORMAT RowBinary"), "{sql}");
        old.insert_data("acm_test", sql, body)
            .unwrap_or_else(|e| panic!("18.16 refused the captured body of {sql}: {e}"));
    }
    assert_eq!(count(&old, "SELECT count() FROM acm_test.calls"), 1000);
    let dump = table_dump(&old);
    assert_eq!(dump, table_dump(&new));
    assert!(
        dump.contains("call-7\t+2348000000007\t+2348031000000\t10.0.0.2"),
        "{dump}"
    );
}

/// A spool file written while ClickHouse was unreachable is delivered by a later process to
/// either engine, with the same rows on both.
#[test]
fn a_spool_file_is_delivered_the_same_to_18_16_and_the_current_engine() {
    let spool = tempfile::tempdir().unwrap();
    let dead = PipelineConfig {
        url: "http://127.0.0.1:9".into(),
        database: "acm_test".into(),
        batch_size: 100,
        flush_interval_ms: 50,
        spool_dir: spool.path().to_path_buf(),
        insert_timeout_ms: 500,
        ..PipelineConfig::default()
    };
    {
        let mut pipeline = Pipeline::start(dead).unwrap();
        let sink = pipeline.sink();
        for i in 0..600 {
            sink.submit(Event::Call(Box::new(call(i))));
        }
        for i in 0..25 {
            sink.submit(Event::Alert(Box::new(alert(i))));
        }
        let stats = pipeline.shutdown(Duration::from_millis(500));
        assert_eq!(stats.spooled, 625, "{stats:?}");
    }
    let old = ClickHouseServer::start();
    let new = ChdbServer::start();
    let mut dumps = Vec::new();
    for server in [&old as &dyn TestClickHouse, &new] {
        // Each engine gets its own copy of the spool directory.
        let copy = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(spool.path()).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, copy.path().join(path.file_name().unwrap())).unwrap();
        }
        let cfg = config(server, copy.path());
        apply_schema(&cfg).unwrap();
        let mut pipeline = Pipeline::start(cfg).unwrap();
        wait_for("the adopted spool", Duration::from_secs(30), || {
            pipeline.stats().replayed_from_spool == 625
        });
        pipeline.shutdown(Duration::from_secs(5));
        assert_eq!(count(server, "SELECT count() FROM acm_test.calls"), 600);
        assert_eq!(count(server, "SELECT count() FROM acm_test.alerts"), 25);
        dumps.push(table_dump(server));
    }
    assert_eq!(dumps[0], dumps[1]);
}
