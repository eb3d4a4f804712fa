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
//! many CLIs), every legitimate class but home roamers on the gateways (blocked by kind) and
//! heavy individual users under 0.1% together, nothing blocked. The heavy users are bounded on
//! their own: this generator sends a person's calls through either of its two IMS cores at
//! random but keeps each SIM box's SIMs on one, and since a return to the ingress before the
//! last is no move (a network sharing calls between two nodes does it to SIMs too:
//! docs/QUALITY.md, "A ninth generator"), their moves no longer spare them: 151 of their
//! 1,293 calls flagged (8 before). What does not hold, and is not asserted: one 3-CLI refile
//! spread over two minutes. And with the carrier's own blocks typed (`numbering.types`): the
//! same SIM boxes caught, fewer heavy users flagged (its wireline dispatchers).
//! Needs `python3` (the test command installs it); a missing one fails the test.

mod support;

use std::process::Command;

use support::{
    assert_bursts_blocked_by_their_fifth_caller, assert_caught_in_range, assert_caught_whole,
    assert_legit_under_a_thousandth_apart_from, generated_traffic_quality,
    generated_traffic_quality_with,
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
    // 38 of the other 51,320 calls flagged, none blocked (with the heavy users, 46 of 52,613
    // before returns stopped counting as moves). Before the home region, 153 Canadian and
    // Caribbean callers on the gateways were blocked too.
    assert_legit_under_a_thousandth_apart_from(
        &report,
        &["roamer_home_call"],
        &["heavy_individual"],
    );
    let heavy = wrong(&report, "heavy_individual");
    assert!(
        heavy > 0 && heavy * 100 < 15 * 1293,
        "{heavy} heavy users' calls flagged"
    );
}

/// The carrier's own NPA-NXX blocks by type, as `[numbering.types]`: read from the
/// generator's world for `seed` (the carrier's number inventory, which it knows as it knows
/// its gateways): its mobile blocks, and its residential and business wireline blocks.
fn carrier_blocks(seed: u32) -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let code = format!(
        "import sys\nsys.path.insert(0, '{root}/scripts')\nimport indep_gen8\n\
         g = indep_gen8.Gen({seed})\n\
         q = lambda bs: ', '.join('\"+1%s\"' % b for b in sorted(bs))\n\
         print('[numbering.types]')\n\
         print('mobile = [%s]' % q(b for v in g.mob_blocks.values() for b in v))\n\
         print('fixed_line = [%s]' % q(b for d in (g.wl_blocks, g.biz_blocks) \
         for v in d.values() for b in v))\n"
    );
    let out = Command::new("python3")
        .args(["-c", &code])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The legitimate calls of `class` flagged or blocked.
fn wrong(report: &serde_json::Value, class: &str) -> u64 {
    report["legit"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["name"] == class)
        .map(|c| c["flagged"].as_u64().unwrap() + c["blocked"].as_u64().unwrap())
        .sum()
}

/// With the carrier's blocks typed (`numbering.types`), its mobiles are judged as handsets on
/// any ingress and its landlines are not counted: the SIM boxes (the carrier's own SIMs) are
/// caught as before, and the heavy individuals the ingress gate judged (wireline subscribers)
/// are no longer flagged (docs/QUALITY.md, "The operator's own ranges").
#[test]
fn the_carriers_own_blocks_typed_keep_its_sim_boxes_and_spare_its_landlines() {
    let blocks = carrier_blocks(1);
    assert!(blocks.contains("mobile = [\"+1"), "{blocks}");
    let untyped = generated_traffic_quality("indep_gen8.py", 1);
    let typed = generated_traffic_quality_with("indep_gen8.py", 1, &blocks);
    assert_caught_in_range(&typed, "simbox", 1.0, 6.0, 3);
    assert_caught_whole(&typed, &["intl_local_cli", "invalid_cli"]);
    assert_legit_under_a_thousandth_apart_from(
        &typed,
        &["roamer_home_call"],
        &["heavy_individual"],
    );
    // Its wireline dispatchers are no longer counted: typing never flags more of the class.
    // With runs of repeats lasting 30 minutes the dispatchers' calls made the difference (151
    // untyped, 143 typed; 8 and 0 while a return to the ingress before counted as a move);
    // with runs of an hour (the default since 2026-12-07) their repeats spare them either
    // way in the scored hour, 82 and 82 (docs/QUALITY.md, "Runs of repeats over an hour").
    assert!(wrong(&typed, "heavy_individual") <= wrong(&untyped, "heavy_individual"));
}
