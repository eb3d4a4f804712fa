// SPDX-License-Identifier: MIT OR Apache-2.0
//! Traffic from the fifteenth generator (`scripts/indep_gen15.py`, written by a session that
//! could not read acm: a Mexican mobile operator, whose ten-digit plan gives mobiles and
//! landlines one form, docs/fifteenth-generator.md) replayed from a cold start with its own
//! deployment file, second hour scored, as docs/QUALITY.md ("A fifteenth generator") reports
//! it. What holds on this seed: home CLIs on the gateways and invalid CLIs caught whole (every
//! intensity); bursts, refiled masking, SIM boxes and rotation caught in the floors' ranges;
//! no allow-listed number blocked; no call flagged under an alert nobody was told of; its
//! subscribers' own calls, call centres and diallers flagged nowhere, and its national
//! interconnects on under 0.1% of their calls. What does not, and is not asserted: FP under
//! 0.1% (its delivery drivers and sales reps on mobiles, at SIM boxes' rates, are flagged by
//! `cli_fanout`; its subscribers roaming abroad are blocked by kind on the gateways), SIM
//! boxes whose SIMs live minutes on the other seeds. Needs `python3` (the test command
//! installs it); a missing one fails the test.

mod support;

use support::{
    assert_caught_in_range, assert_caught_whole, calls_and_hit, generated_traffic_quality,
    legit_class,
};

#[test]
fn the_fifteenth_generators_traffic_is_scored_as_docs_quality_says() {
    let report = generated_traffic_quality("indep_gen15.py", 1);

    assert_caught_whole(&report, &["intl_local_cli", "invalid_cli"]);
    assert_caught_in_range(&report, "masking_burst", 1.0, 10.0, 10);
    assert_caught_in_range(&report, "refiled_masking", 1.3, 20.0, 10);
    assert_caught_in_range(&report, "simbox", 1.0, 6.0, 10);
    assert_caught_in_range(&report, "cli_rotation", 0.5, 20.0, 10);
    assert_eq!(report["allowlisted_number_blocks"], 0);
    assert_eq!(report["unseen_alert_calls"], 0);
    for class in [
        "mobile_onnet_call",
        "mobile_offnet_call",
        "call_centre_outbound",
        "collections_dialler",
        "call_forwarding_leg",
    ] {
        let c = legit_class(&report, class);
        assert!(c["calls"].as_u64().unwrap() > 500, "{c}");
        assert_eq!(c["flagged"], 0, "{c}");
        assert_eq!(c["blocked"], 0, "{c}");
    }
    let ic = legit_class(&report, "national_interconnect_inbound");
    let (calls, hit) = calls_and_hit(ic);
    assert!(calls > 5_000 && hit * 1_000 < calls, "{ic}");
}
