// SPDX-License-Identifier: MIT OR Apache-2.0
//! Traffic from the ninth generator (`scripts/indep_gen9.py`, a German fixed and mobile
//! operator, docs/ninth-generator.md) replayed from a cold start with its own deployment file,
//! second hour scored, as docs/QUALITY.md ("A ninth generator") reports it. Its author was
//! to read nothing of acm, but read parts of the eighth generator's description and our notes
//! before it found its brief (the doc says what): weigh it as less independent than the
//! others. What holds on this seed: home CLIs on the gateways caught whole, every burst
//! detected, rotation in range caught, SIM boxes in range 8 of 10 (4 while a return to the
//! ingress before the last counted as a move: its core shares every subscriber's calls, its
//! SIMs' too, between two nodes), its TV vote on an 0137 number not blocked (55 of its calls
//! were, before service numbers stopped counting in the burst tier), every legitimate class
//! but roamers calling home and calls forwarded back from abroad (both blocked by kind) under
//! 0.1% together, and every invalid CLI but geographic numbers too short (the plan has no
//! shortest length: old exchanges gave two- and three-digit subscriber numbers): 26 of 27
//! since home fixed-line CLIs are checked against Germany's area codes (unassigned codes, a
//! subscriber number starting with 0 or 11, more than 11 digits: `number::areas`), 12 before
//! (10 before a premium-rate CLI was invalid). What does not, and is not asserted: two bursts
//! spread over several interconnects not blocked by their 5th caller. Needs `python3` (the
//! test command installs it); a missing one fails the test.

mod support;

use support::{
    assert_caught_in_range, assert_caught_whole, assert_legit_under_a_thousandth,
    generated_traffic_quality, in_range, legit_class,
};

#[test]
fn the_ninth_generators_traffic_is_scored_as_docs_quality_says() {
    let report = generated_traffic_quality("indep_gen9.py", 1);

    assert_caught_whole(&report, &["intl_local_cli", "masking_burst"]);
    assert_caught_in_range(&report, "cli_rotation", 0.5, 20.0, 10);
    let boxes: Vec<_> = in_range(&report, "simbox", 1.0, 6.0).collect();
    let caught = boxes.iter().filter(|i| i["detected"] == true).count();
    assert!(boxes.len() >= 10 && caught >= 8, "{caught} of {boxes:?}");
    assert_eq!(report["allowlisted_number_blocks"], 0);
    let invalid: Vec<_> = report["instances"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["family"] == "invalid_cli")
        .collect();
    let missed: Vec<_> = invalid.iter().filter(|i| i["detected"] != true).collect();
    assert!(invalid.len() >= 25, "{invalid:?}");
    for i in &missed {
        let v = i["variant"].as_str().unwrap();
        assert!(v.contains("kind=too_short"), "{i}");
    }
    let vote = legit_class(&report, "tv_vote_0137");
    assert!(vote["calls"].as_u64().unwrap() > 500, "{vote}");
    assert_eq!(vote["blocked"], 0, "{vote}");
    // 21 of 53,584 calls flagged (0.039%), none blocked.
    assert_legit_under_a_thousandth(&report, &["roamer_calling_home", "intl_forwarded_leg"]);
}
