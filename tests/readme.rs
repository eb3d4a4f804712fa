// SPDX-License-Identifier: MIT OR Apache-2.0
//! The README's commands, run as a newcomer would (issue 20): the quick start's `acm serve
//! --listen` and its curl loop, whose output must be the README's "Real output" block byte
//! for byte; the `GET /v1/check` example; `cp cfg-examples/acm.toml acm.toml` then
//! `check-config`; the replay section's `acm` lines in order (simulate, replay, quality).
//! Commands are read from README.md itself, `acm` standing for the built binary and
//! `localhost:8080` for a free port. Not run here: `cargo build --release` (the test runs
//! on the debug binary), `scripts/quality.sh` (its own step), the Redis, Kamailio and
//! ClickHouse sections (their own tests).

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::{acm_bin, free_port, wait_until, TempDir};

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// The fenced block that follows `marker` in the README.
fn block_after(text: &str, marker: &str) -> String {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("README has no {marker:?}"));
    let open = at + text[at..].find("```\n").expect("a block") + 4;
    let close = open + text[open..].find("```").expect("its end");
    text[open..close].to_string()
}

fn sh(script: &str, dir: &Path) -> (bool, String, String) {
    let out = Command::new("bash")
        .args(["-e", "-c", script])
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `acm …` → the built binary.
fn with_binary(line: &str) -> String {
    let bin = acm_bin();
    match line.strip_prefix("acm ") {
        Some(rest) => format!("{} {rest}", bin.display()),
        None => line.to_string(),
    }
}

#[test]
fn the_quick_start_answers_what_the_readme_shows() {
    let text = readme();
    let dir = TempDir::new("acm-readme");
    let start = block_after(&text, "## Quick start");
    let serve_line = start
        .lines()
        .find(|l| l.contains(" serve "))
        .expect("the serve command");
    assert!(
        serve_line.contains("--listen 127.0.0.1:8080"),
        "{serve_line}"
    );
    let port = free_port();
    let args: Vec<String> = serve_line
        .split_whitespace()
        .skip(1)
        .map(|a| a.replace("8080", &port.to_string()))
        .collect();
    let mut child = Command::new(acm_bin())
        .args(&args)
        .env("ACM_ALERTS__EVENTS_FILE", dir.join("alert-events.jsonl"))
        .env("ACM_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let up = wait_until(Duration::from_secs(15), || {
        support::http_request(port, "GET", "/health", b"", Duration::from_secs(2)).is_ok()
    });
    let local = |s: &str| s.replace("localhost:8080", &format!("127.0.0.1:{port}"));
    let result = std::panic::catch_unwind(|| {
        assert!(up, "acm serve did not come up");
        let script = block_after(&text, "alerts on the fifth call, once:");
        let want = block_after(&text, "Real output");
        let (ok, got, err) = sh(&local(&script), dir.path());
        assert!(ok, "{err}");
        assert_eq!(got, want, "the README's output is not what acm answers");
        let check = block_after(&text, "also as a GET for");
        let (ok, got, err) = sh(&local(check.trim()), dir.path());
        assert!(ok, "{err}");
        let v: serde_json::Value = serde_json::from_str(&got).expect("JSON");
        assert_eq!(v["action"], "allow", "{got}");
    });
    let _ = child.kill();
    let _ = child.wait();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn the_config_example_and_the_replay_section_run_as_written() {
    let text = readme();
    let dir = TempDir::new("acm-readme-replay");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // `cp cfg-examples/acm.toml acm.toml`, then `acm -c acm.toml check-config`.
    assert!(text.contains("`cp cfg-examples/acm.toml acm.toml`"));
    assert!(text.contains("`acm -c acm.toml check-config`"));
    std::fs::copy(root.join("cfg-examples/acm.toml"), dir.join("acm.toml")).unwrap();
    let (ok, _, err) = sh(&with_binary("acm -c acm.toml check-config"), dir.path());
    assert!(ok, "{err}");

    let block = block_after(&text, "## Replaying CDRs and measuring quality");
    let lines: Vec<&str> = block.lines().filter(|l| l.starts_with("acm ")).collect();
    assert_eq!(lines.len(), 3, "{block}");
    for line in lines {
        let (ok, _, err) = sh(&with_binary(line), dir.path());
        assert!(ok, "{line}: {err}");
    }
    for f in [
        "cdrs.csv",
        "labels.csv",
        "sim.toml",
        "verdicts.jsonl",
        "alerts.jsonl",
    ] {
        let len = std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0);
        assert!(len > 0, "{f} was not written");
    }
}
