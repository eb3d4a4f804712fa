// SPDX-License-Identifier: MIT OR Apache-2.0
//! Reports on a known data set, on Debian's clickhouse-server 18.16 and on a current
//! ClickHouse engine (chdb), with identical results; the regulator export through the CLI as
//! gzipped CSV; and the reports' helpful errors.

mod report_data;
mod support;

use acm::pipeline::{apply_schema, PipelineConfig};
use acm::report::{run_report_between, run_report_since, ReportFormat, REPORTS};
use report_data::SINCE;
use std::io::Read;
use support::{ChdbServer, ClickHouseServer, TestClickHouse};

fn config(server: &dyn TestClickHouse, spool: &std::path::Path) -> PipelineConfig {
    PipelineConfig {
        url: server.http_url(),
        database: "acm_reports".into(),
        flush_interval_ms: 20,
        spool_dir: spool.to_path_buf(),
        // The data set is of 2023: on servers with TTL (the current engine) a shorter
        // retention would delete it as it arrives.
        retention_days: 36_500,
        ..PipelineConfig::default()
    }
}

fn load(server: &dyn TestClickHouse, cfg: &PipelineConfig) {
    report_data::apply_with_lifecycle(cfg);
    report_data::load(cfg, &|sql| {
        server.query(sql);
    });
}

#[test]
fn reports_on_a_known_data_set_on_18_16() {
    let server = ClickHouseServer::start();
    let spool = tempfile::tempdir().unwrap();
    let cfg = config(&server, spool.path());
    load(&server, &cfg);
    report_data::check_reports(&cfg);
}

#[test]
fn reports_on_a_known_data_set_on_the_current_engine() {
    let server = ChdbServer::start();
    let spool = tempfile::tempdir().unwrap();
    let cfg = config(&server, spool.path());
    load(&server, &cfg);
    report_data::check_reports(&cfg);
}

/// Every report (the list, not a chosen few) in every format, over two periods, gives the
/// same bytes on 18.16 and on the current engine.
#[test]
fn every_report_is_identical_on_18_16_and_the_current_engine() {
    let old = ClickHouseServer::start();
    let new = ChdbServer::start();
    let spool = tempfile::tempdir().unwrap();
    let (old_cfg, new_cfg) = (config(&old, spool.path()), config(&new, spool.path()));
    load(&old, &old_cfg);
    load(&new, &new_cfg);
    for (name, _, _) in REPORTS {
        for format in [ReportFormat::Json, ReportFormat::Csv, ReportFormat::Table] {
            for (since, until) in [(SINCE, acm::report::OPEN_END), report_data::DAY] {
                let a = run_report_between(&old_cfg, name, since, until, format).unwrap();
                let b = run_report_between(&new_cfg, name, since, until, format).unwrap();
                assert_eq!(a, b, "{name} {format:?} differs between 18.16 and current");
                assert!(a.lines().count() >= 2, "{name}: {a}");
            }
        }
    }
}

/// `acm report regulator-export --day D --out F.csv.gz`: the daily upload, gzipped CSV,
/// written under a temporary name and renamed when complete.
#[test]
fn regulator_export_through_the_cli_as_gzipped_csv() {
    let server = ChdbServer::start();
    let spool = tempfile::tempdir().unwrap();
    let cfg = config(&server, spool.path());
    load(&server, &cfg);
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("acm.toml");
    std::fs::write(
        &toml,
        format!(
            "[clickhouse]\nurl = \"{}\"\ndatabase = \"acm_reports\"\nspool_dir = \"{}\"\n",
            server.http_url(),
            spool.path().display()
        ),
    )
    .unwrap();
    let out = dir.path().join("ncc-2023-11-14.csv.gz");
    let run = std::process::Command::new(support::acm_bin())
        .args(["-c", toml.to_str().unwrap(), "report", "regulator-export"])
        .args(["--day", "2023-11-14", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(run.status.success(), "{run:?}");
    assert!(String::from_utf8_lossy(&run.stderr).contains("10 rows written"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&out).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let direct = run_report_between(
        &cfg,
        "regulator-export",
        report_data::DAY.0,
        report_data::DAY.1,
        ReportFormat::Csv,
    )
    .unwrap();
    assert_eq!(text, direct);
    assert_eq!(text.lines().count(), 11);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A call delivered twice (a batch re-sent after a crash) is exported once.
    server.query(
        "INSERT INTO acm_reports.calls SELECT * FROM acm_reports.calls WHERE call_id = 'c20'",
    );
    assert_eq!(
        server
            .query("SELECT count() FROM acm_reports.calls WHERE call_id = 'c20'")
            .trim(),
        "2"
    );
    let again = run_report_between(
        &cfg,
        "regulator-export",
        report_data::DAY.0,
        report_data::DAY.1,
        ReportFormat::Csv,
    )
    .unwrap();
    assert_eq!(again, direct);
}

#[test]
fn errors_say_what_to_do() {
    let server = ClickHouseServer::start();
    let spool = tempfile::tempdir().unwrap();
    let cfg = config(&server, spool.path());
    for format in [ReportFormat::Table, ReportFormat::Csv] {
        let missing = run_report_since(&cfg, "hourly", SINCE, format)
            .unwrap_err()
            .to_string();
        assert!(missing.contains("acm schema apply"), "{missing}");
    }

    let down = PipelineConfig {
        url: "http://127.0.0.1:9".into(),
        ..cfg.clone()
    };
    for format in [ReportFormat::Table, ReportFormat::Csv] {
        let unreachable = format!(
            "{:#}",
            run_report_since(&down, "hourly", SINCE, format).unwrap_err()
        );
        assert!(
            unreachable.contains("http://127.0.0.1:9") && unreachable.contains("did not answer"),
            "{unreachable}"
        );
    }
    let schema = format!("{:#}", apply_schema(&down).unwrap_err());
    assert!(schema.contains("http://127.0.0.1:9"), "{schema}");

    let unknown = run_report_since(&cfg, "nope", SINCE, ReportFormat::Table)
        .unwrap_err()
        .to_string();
    assert!(unknown.contains("daily-summary"), "{unknown}");
}
