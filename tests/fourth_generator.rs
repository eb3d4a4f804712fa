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
    assert_bursts_blocked_by_their_fifth_caller, assert_caught_in_range, assert_caught_whole,
    assert_legit_under_a_thousandth, assert_refiles_of_three_caught, generated_traffic_quality,
};

#[test]
fn the_fourth_generators_traffic_is_scored_as_docs_quality_says() {
    let report = generated_traffic_quality("indep_gen4.py", 3);

    assert_caught_whole(&report, &["intl_local_cli", "invalid_cli"]);
    assert_caught_in_range(&report, "simbox", 1.0, 6.0, 10);
    assert_caught_in_range(&report, "cli_rotation", 0.5, 20.0, 10);
    assert_refiles_of_three_caught(&report, 10);
    assert_bursts_blocked_by_their_fifth_caller(&report, 5);

    // Everything but roamers and forwarded legs (blocked, nothing else): 41 of 50,885 calls
    // flagged (0.081%; 221 without `repeats`, 187 of them businesses on mobiles), none
    // blocked.
    assert_legit_under_a_thousandth(&report, &["roamer", "forwarding"]);
}
