// SPDX-License-Identifier: MIT OR Apache-2.0
//! Traffic from the second generator (`scripts/indep_gen.py`, written without reading acm's
//! simulator) replayed from a cold start with its own deployment file, second hour scored, as
//! docs/QUALITY.md reports it. Holds what that generator found: callers on Nigeria's pre-2024
//! fixed-line form are not invalid CLIs, a radio phone-in on an unnamed mobile number is not a
//! fan-in attack, a business on a mobile that is also called is not a SIM box, and the families
//! acm catches whole on it stay caught. Needs `python3` (the
//! test command installs it); a missing one fails the test.

mod support;

use support::{assert_caught_whole, generated_traffic_quality};

#[test]
fn the_second_generators_traffic_is_scored_as_docs_quality_says() {
    let report = generated_traffic_quality("indep_gen.py", 3);

    let legit = report["legit"].as_array().unwrap();
    let class = |name: &str| {
        legit
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no legitimate class {name}: {legit:?}"))
    };
    let reason = |c: &serde_json::Value, r: &str| c["reasons"][r].as_u64().unwrap_or(0);
    let (mut calls, mut wrong) = (0, 0);
    for c in legit {
        calls += c["calls"].as_u64().unwrap();
        wrong += c["flagged"].as_u64().unwrap() + c["blocked"].as_u64().unwrap();
        // PBXs, wholesale partners and hotline callers on `+234 1xxx xxxx` (7% of the
        // legitimate calls) were all invalid CLIs before `legacy_prefixes`.
        assert_eq!(reason(c, "invalid_cli"), 0, "{c}");
    }
    assert!(calls > 30_000, "{calls} legitimate calls scored");
    // 8.1% before the two fixes, 0.5–0.8% after (businesses on mobiles, roamers), 0.13%
    // (this seed) once a CLI called within the hour was judged against 3x cli_fanout's
    // threshold, 0.11% once cli_rotation learned sources from one CLI a minute: the rest
    // mostly roamers (blocked by kind).
    assert!(
        wrong * 1000 < calls * 4,
        "{wrong} of {calls} legitimate calls flagged or blocked"
    );
    // Businesses on mobiles are also called, SIMs never: 287 of this seed's 2,647
    // business-mobile calls were flagged by cli_fanout before, 1 after.
    let business = class("business_mobile");
    let fanout = reason(business, "cli_fanout");
    assert!(
        fanout * 100 < business["calls"].as_u64().unwrap(),
        "cli_fanout flagged {fanout} calls of businesses on mobiles: {business}"
    );
    // A phone-in's crowd comes through every route: each route used to pass the slow tier's
    // 3 callers (14.9% of the phone-ins' calls flagged on seeds 1 and 2).
    // Calls, not reasons: a call both tiers fire on counts once (since the 5th caller is also
    // counted over every ingress, the burst tier blocks some calls the slow tier flags).
    let radio = class("radio_phone_in");
    let hit = radio["flagged"].as_u64().unwrap() + radio["blocked"].as_u64().unwrap();
    let fan_in =
        (reason(radio, "distinct_callers_slow") + reason(radio, "distinct_callers")).min(hit);
    assert!(
        fan_in * 100 < radio["calls"].as_u64().unwrap(),
        "fan-in tiers flagged {fan_in} phone-in calls: {radio}"
    );
    assert_eq!(class("hotline")["blocked"], 0);
    // A compromised PBX's own calls while its rotation runs: a PBX calling with its main
    // number shows one CLI a minute; learned from one, it is known, and a rotation through
    // it flags only its alerts' calls (10 of this seed's 2,196 PBX calls flagged before, 5
    // after).
    let pbx = class("pbx");
    let rotation = reason(pbx, "cli_rotation");
    assert!(
        rotation * 1000 < pbx["calls"].as_u64().unwrap() * 35 / 10,
        "cli_rotation flagged {rotation} PBX calls: {pbx}"
    );

    assert_caught_whole(&report, &["masking_burst", "invalid_cli", "intl_local_cli"]);
}
