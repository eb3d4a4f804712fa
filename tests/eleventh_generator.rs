// SPDX-License-Identifier: MIT OR Apache-2.0
//! Traffic from the eleventh generator (`scripts/indep_gen11.py`, written by a session that
//! could not read acm: a Nigerian mobile operator, docs/eleventh-generator.md) replayed from a
//! cold start with its own deployment file, second hour scored, as docs/QUALITY.md ("An
//! eleventh generator") reports it. What holds on this seed: invalid CLIs caught whole, SIM
//! boxes and rotation in range caught, every legitimate class but its roamers calling home on
//! the gateways (blocked by kind) under 0.1% together, and its call centres flagged nowhere:
//! one of them, unlisted, dials from a mobile number on its own trunk, which `cli_fanout`
//! flagged on 300 of its calls until a CLI alone on its ingress was no longer judged
//! (`min_ingress_clis`). What does not, and is not asserted: home CLIs through the gateway
//! carrier the operator did not name (by design), 2-CLI refiles, refiles spread over one
//! partner's two points of interconnect. Bursts in range are all detected, the one aimed at a
//! listed hotline (68 calls from 65 CLIs in 20 s through a transit carrier) flagged, never
//! blocked (`rules.distinct_callers.listed_threshold`).
//! Needs `python3` (the test command installs it); a missing one fails the test.

mod support;

use support::{
    assert_caught_in_range, assert_caught_whole, assert_legit_under_a_thousandth_apart_from,
    calls_and_hit, generated_traffic_quality, legit_class,
};

#[test]
fn the_eleventh_generators_traffic_is_scored_as_docs_quality_says() {
    let report = generated_traffic_quality("indep_gen11.py", 1);

    assert_caught_whole(&report, &["invalid_cli"]);
    assert_caught_in_range(&report, "simbox", 1.0, 6.0, 10);
    assert_caught_in_range(&report, "cli_rotation", 0.5, 20.0, 10);
    assert_eq!(report["allowlisted_number_blocks"], 0);
    // Every burst in range detected; before listed numbers had a window, the one on a listed
    // hotline was missed.
    assert_caught_in_range(&report, "masking_burst", 1.0, 10.0, 8);
    // 24 of the other 58,778 calls flagged (0.041%), none blocked.
    assert_legit_under_a_thousandth_apart_from(
        &report,
        &["outbound_roamer_home_call"],
        &["radio_callin"],
    );
    // A phone-in's crowd through one interconnect: 2 of its 341 calls, one of them blocked
    // by the burst tier.
    let radio = legit_class(&report, "radio_callin");
    let (calls, wrong) = calls_and_hit(radio);
    assert!(calls > 200 && wrong <= 3, "{radio}");
    let centres = legit_class(&report, "call_centre");
    assert!(centres["calls"].as_u64().unwrap() > 2_000, "{centres}");
    assert_eq!(centres["flagged"], 0, "{centres}");
    assert_eq!(centres["blocked"], 0, "{centres}");
}
