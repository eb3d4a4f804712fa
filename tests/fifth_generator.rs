// SPDX-License-Identifier: MIT OR Apache-2.0
//! Traffic from the fifth generator (`scripts/indep_gen5.py`, written by a session that could
//! not read acm: a Ghanaian operator, docs/fifth-generator.md) replayed from a cold start with
//! its own deployment file, second hour scored, as docs/QUALITY.md ("A fifth generator")
//! reports it. Holds what was true the first time acm saw it: home CLIs on gateways and
//! invalid CLIs caught whole; SIM boxes, rotation and refiled masking of three CLIs or more in
//! the floor's range caught; bursts in range blocked by their 5th caller; and legitimate
//! traffic under 0.1% but for three classes. Two of them are blocked by kind (roamers and
//! forwarded legs re-entering on a gateway: a home CLI on a gateway). The third is what it
//! found and what is not fixed: heavy business users on mobiles (mobile-money agents, sales
//! reps, drivers) calling 35–90 people an hour, nearly all different, which `cli_fanout` flags
//! at 5–7% of their calls; this test does not hide them, it leaves them out by name. Needs
//! `python3` (the test command installs it); a missing one fails the test.

mod support;

use support::{assert_caught_whole, generated_traffic_quality, in_range};

#[test]
fn the_fifth_generators_traffic_is_scored_as_docs_quality_says() {
    let report = generated_traffic_quality("indep_gen5.py", 1);

    assert_caught_whole(&report, &["intl_local_cli", "invalid_cli"]);
    let caught = |family: &'static str, lo: f64, hi: f64, least: usize| {
        let all: Vec<_> = in_range(&report, family, lo, hi).collect();
        assert!(all.len() >= least, "{family}: {all:?}");
        for i in &all {
            assert_eq!(i["detected"], true, "{i}");
        }
    };
    caught("simbox", 1.0, 6.0, 4);
    caught("cli_rotation", 0.5, 20.0, 10);
    // Refiled masking in the shape (three fresh CLIs or more); the generator's
    // `quiet_two` (one retry with a fresh CLI) is a person calling back from another phone.
    let refiled: Vec<_> = in_range(&report, "refiled_masking", 1.3, 20.0)
        .filter(|i| i["clis"].as_u64().unwrap() >= 3)
        .collect();
    assert!(refiled.len() >= 10, "{refiled:?}");
    for i in &refiled {
        assert_eq!(i["detected"], true, "{i}");
    }
    let bursts: Vec<_> = in_range(&report, "masking_burst", 1.0, 10.0)
        .filter(|i| !i["fifth_caller_blocked"].is_null())
        .collect();
    assert!(bursts.len() >= 10, "{bursts:?}");
    for i in &bursts {
        assert_eq!(i["fifth_caller_blocked"], true, "{i}");
    }

    // Everything but the three classes above: 32 of 45,992 calls flagged (0.070%), none
    // blocked. Roamers and forwarded legs are blocked (by kind) and not flagged but for one
    // forwarded call through a rotation alert; the business users are counted, not asserted.
    let (mut calls, mut wrong) = (0, 0);
    for c in report["legit"].as_array().unwrap() {
        match c["name"].as_str().unwrap() {
            "roamer" | "forwarding" => assert!(c["blocked"].as_u64().unwrap() > 0, "{c}"),
            "business_mobile" => {}
            _ => {
                assert_eq!(c["blocked"], 0, "{c}");
                calls += c["calls"].as_u64().unwrap();
                wrong += c["flagged"].as_u64().unwrap();
            }
        }
    }
    assert!(calls > 30_000, "{calls} legitimate calls scored");
    assert!(
        wrong * 1000 < calls,
        "{wrong} of {calls} legitimate calls flagged"
    );
}
