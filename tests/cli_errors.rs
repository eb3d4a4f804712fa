// SPDX-License-Identifier: MIT OR Apache-2.0
//! What a newcomer meets when an input is wrong (issue 20): `acm replay` and `acm quality`
//! exit 1 when an input file cannot be read or is cut short (0 with `--keep-going`), with the
//! file and the reason on stderr; a quote left open in a CSV row names its line and field
//! and reading goes on with the next line; `acm simulate` exits 1 when it cannot write.
//! Exit codes (README, *Exit codes*): 0 done, 1 failed (the reason on stderr), 2 the command
//! line itself is wrong.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::{acm_bin, TempDir};

fn acm(args: &[&str]) -> Output {
    Command::new(acm_bin())
        .args(args)
        .env_remove("ACM_CONFIG")
        .output()
        .expect("run acm")
}

fn replay(args: &[&str]) -> (i32, String, String) {
    let out = acm(&[&["replay", "--no-progress"], args].concat());
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A CDR CSV of `n` good rows.
fn csv(n: usize) -> String {
    let mut c = String::from("call_id,a_number,b_number,timestamp\n");
    for i in 0..n {
        c.push_str(&format!(
            "c{i},+23480{:08},+2348031{:06},{}\n",
            10_000 + i,
            i % 50,
            1_700_000_000_000u64 + i as u64 * 1000
        ));
    }
    c
}

fn gzip(text: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(text).unwrap();
    e.finish().unwrap()
}

#[test]
fn replay_exits_1_on_every_input_it_cannot_read_whole() {
    let dir = TempDir::new("acm-cli-errors");
    let good = dir.join("good.csv");
    std::fs::write(&good, csv(100)).unwrap();
    // A gzip cut in the middle: rows before the cut are read, then the stream ends early.
    let big = gzip(csv(20_000).as_bytes());
    let truncated = dir.join("truncated.csv.gz");
    std::fs::write(&truncated, &big[..big.len() / 2]).unwrap();
    let not_gzip = dir.join("plain.csv.gz");
    std::fs::write(&not_gzip, csv(10)).unwrap();
    let binary = dir.join("binary.csv");
    std::fs::write(
        &binary,
        (0..4096u32)
            .map(|i| (i * 7 % 256) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let wrong_header = dir.join("wrong.csv");
    std::fs::write(&wrong_header, "when,who,what\n1,2,3\n").unwrap();
    let missing = dir.join("missing.csv");

    let cases: [(&str, PathBuf, &str); 6] = [
        ("missing", missing, "No such file"),
        ("directory", dir.path().to_path_buf(), "Is a directory"),
        ("truncated gzip", truncated.clone(), "read error"),
        ("not gzip", not_gzip, "header"),
        ("binary", binary, "header"),
        ("wrong header", wrong_header, "no b_number column"),
    ];
    for (what, path, why) in &cases {
        let (code, stdout, stderr) = replay(&[s(&good), s(path)]);
        assert_eq!(code, 1, "{what}: {stderr}");
        assert!(stderr.contains(s(path)), "{what}: names the file: {stderr}");
        assert!(stderr.contains(why), "{what}: says why ({why}): {stderr}");
        assert!(stderr.contains("--keep-going"), "{what}: {stderr}");
        // The summary is still printed, with the good file's rows checked.
        assert!(
            stdout.contains("files not read whole: 1"),
            "{what}: {stdout}"
        );
        let (code, _, stderr) = replay(&["--keep-going", s(&good), s(path)]);
        assert_eq!(code, 0, "{what} with --keep-going: {stderr}");
        assert!(stderr.contains("warning"), "{what}: {stderr}");
    }
    // The truncated file's rows before the cut were checked.
    let (_, stdout, _) = replay(&["--keep-going", s(&truncated)]);
    let checked: u64 = stdout
        .split("checked ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(checked > 0 && checked < 20_000, "{stdout}");
    // All good: 0.
    let (code, stdout, stderr) = replay(&[s(&good)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("checked 100"), "{stdout}");
}

#[test]
fn an_open_quote_spoils_its_line_only() {
    let dir = TempDir::new("acm-cli-quote");
    let f = dir.join("quote.csv");
    let mut text = csv(10);
    text.push_str("bad,\"+2348010000001,+2348031000001,1700000100000\n");
    text.push_str(
        &csv(10)
            .lines()
            .skip(1)
            .map(|l| format!("x{l}\n"))
            .collect::<String>(),
    );
    std::fs::write(&f, text).unwrap();
    let (code, stdout, stderr) = replay(&[s(&f)]);
    assert_eq!(code, 0, "a bad row is counted, not fatal: {stderr}");
    assert!(
        stderr.contains(&format!("{}:12: field 2 (a_number): a quote", s(&f))),
        "{stderr}"
    );
    assert!(
        stdout.contains("rows 21  checked 20  bad rows 1"),
        "{stdout}"
    );
}

#[test]
fn quality_and_simulate_exit_1_when_they_cannot_read_or_write() {
    let dir = TempDir::new("acm-cli-quality");
    let labels = dir.join("labels.csv");
    let cdrs = dir.join("cdrs.csv");
    let out = acm(&[
        "simulate",
        "--scale",
        "0.01",
        "--attacks-per-hour",
        "2",
        "--hours",
        "1",
        "--out",
        s(&cdrs),
        "--labels",
        s(&labels),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let missing = dir.join("nope.csv");
    let out = acm(&[
        "quality",
        "--cdrs",
        s(&cdrs),
        s(&missing),
        "--labels",
        s(&labels),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nope.csv") && err.contains("--keep-going"),
        "{err}"
    );
    let out = acm(&[
        "quality",
        "--keep-going",
        "--cdrs",
        s(&cdrs),
        s(&missing),
        "--labels",
        s(&labels),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // simulate into a directory that does not exist.
    let out = acm(&[
        "simulate",
        "--scale",
        "0.01",
        "--hours",
        "1",
        "--out",
        "/nonexistent/dir/x.csv",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/dir/x.csv"));
    // A wrong command line: 2.
    assert_eq!(
        acm(&["replay", "--no-such-flag", "x"]).status.code(),
        Some(2)
    );
}
