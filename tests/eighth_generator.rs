// SPDX-License-Identifier: MIT OR Apache-2.0
//! Traffic from the eighth generator (`scripts/indep_gen8.py`, written by a session that could
//! not read acm: a US regional carrier under the NANP's +1, docs/eighth-generator.md) replayed
//! from a cold start with its own deployment file, second hour scored, as docs/QUALITY.md
//! ("An eighth generator") reports it. What holds on this seed: home CLIs on the gateways
//! caught whole (Canadian and Caribbean +1 callers there are foreign, `numbering.region`),
//! invalid CLIs caught whole (ten bare digits are national under the NANP, N11 and 555-01XX
//! office codes invalid), rotation in range caught, bursts in range blocked by their 5th
//! caller, SIM boxes in range caught (the NANP's numbers cannot be told mobile from fixed:
//! `cli_fanout` judges them as handsets where handsets' calls arrive, through an ingress of
//! many CLIs), every legitimate class but home roamers on the gateways (blocked by kind) under
//! 0.1% together, nothing blocked. What does not, and is not asserted: one 3-CLI refile spread
//! over two minutes.
//! Needs `python3` (the test command installs it); a missing one fails the test.

mod support;

use support::{
    assert_bursts_blocked_by_their_fifth_caller, assert_caught_in_range, assert_caught_whole,
    assert_legit_under_a_thousandth, generated_traffic_quality,
};

#[test]
fn the_eighth_generators_traffic_is_scored_as_docs_quality_says() {
    let report = generated_traffic_quality("indep_gen8.py", 1);

    assert_caught_whole(&report, &["intl_local_cli", "invalid_cli"]);
    assert_caught_in_range(&report, "cli_rotation", 0.5, 20.0, 8);
    // 0 of 3 before `shared_type_min_ingress_clis`.
    assert_caught_in_range(&report, "simbox", 1.0, 6.0, 3);
    assert_bursts_blocked_by_their_fifth_caller(&report, 3);
    assert_eq!(report["allowlisted_number_blocks"], 0);
    // 46 of 52,613 calls flagged (0.087%; 36 before SIM boxes were judged: 8 more heavy
    // mobile users, 2 appointment reminders), none blocked. Before the home region, 153
    // Canadian and Caribbean callers on the gateways were blocked too.
    assert_legit_under_a_thousandth(&report, &["roamer_home_call"]);
}
