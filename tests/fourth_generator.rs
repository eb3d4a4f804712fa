// SPDX-License-Identifier: MIT OR Apache-2.0
//! Traffic from the fourth generator (`scripts/indep_gen4.py`, written by a session that could
//! not read acm: a Kenyan operator, docs/fourth-generator.md) replayed from a cold start with
//! its own deployment file, second hour scored, as docs/QUALITY.md ("A fourth generator")
//! reports it. Holds what was true the first time acm saw it: home CLIs on gateways and
//! invalid CLIs caught whole, SIM boxes, rotation and refiled masking of three CLIs or more in
//! the floor's range caught, bursts blocked by their 5th caller; and what it found: businesses
//! on mobiles calling a new customer a minute, which cli_fanout flagged at 17% of their calls
//! until a CLI that calls some of its callees again was judged more leniently
//! (`[rules.cli_fanout.repeats]`): with them, legitimate traffic under 0.1% but for roamers
//! and forwarded legs re-entering on a gateway (blocked by kind: a home CLI on a gateway, no
//! HLR or diversion header in a CDR). Needs `python3` (the test command installs it); a
//! missing one fails the test.

mod support;

use support::{
    assert_caught_whole, assert_legit_under_a_thousandth, generated_traffic_quality, in_range,
};

#[test]
fn the_fourth_generators_traffic_is_scored_as_docs_quality_says() {
    let report = generated_traffic_quality("indep_gen4.py", 3);

    assert_caught_whole(&report, &["intl_local_cli", "invalid_cli"]);
    let caught = |family: &'static str, lo: f64, hi: f64, least: usize| {
        let all: Vec<_> = in_range(&report, family, lo, hi).collect();
        assert!(all.len() >= least, "{family}: {all:?}");
        for i in &all {
            assert_eq!(i["detected"], true, "{i}");
        }
    };
    caught("simbox", 1.0, 6.0, 10);
    caught("cli_rotation", 0.5, 20.0, 10);
    // Refiled masking in the shape (three fresh CLIs or more); a single retry with
    // a fresh CLI is a person calling back from another phone.
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
    assert!(bursts.len() >= 5, "{bursts:?}");
    for i in &bursts {
        assert_eq!(i["fifth_caller_blocked"], true, "{i}");
    }

    // Everything but roamers and forwarded legs (blocked, nothing else): 41 of 50,885 calls
    // flagged (0.081%; 221 without `repeats`, 187 of them businesses on mobiles), none
    // blocked.
    assert_legit_under_a_thousandth(&report, &["roamer", "forwarding"]);
}
