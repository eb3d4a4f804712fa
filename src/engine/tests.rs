// SPDX-License-Identifier: MIT OR Apache-2.0
//! Rule tests on the embedded store with explicit event times.

use std::sync::Arc;

use super::*;
use crate::clock::ManualClock;
use crate::config::Config;
use crate::contract::hex16;
use crate::detector::Detector;
use crate::store::{MemoryStore, MemoryStoreConfig, Store, WindowStore};

struct Fixture {
    engine: Arc<Engine>,
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
}

/// The burst tier with the seed's 5 s window (the default is 10 s): the
/// window-mechanics tests below are written in its times.
const SEED_WINDOW: &str = "[rules.distinct_callers]\nwindow_ms = 5000\n";

fn fixture(toml: &str) -> Fixture {
    let cfg = Config::from_toml(toml).expect("test config");
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    Fixture {
        engine: Arc::new(Engine::from_config(&cfg, clock.clone()).unwrap()),
        store: Arc::new(MemoryStore::new(MemoryStoreConfig::default())),
        clock,
    }
}

/// Judges a call with the engine on a store, as every face does: through a Detector.
fn check_with(
    engine: &Arc<Engine>,
    store: Arc<dyn Store>,
    call: &Call,
) -> Result<Verdict, InputError> {
    Detector::new(engine.clone(), store).check_now(call)
}

const T0: i64 = 1_700_000_000_000;

impl Fixture {
    fn call(&self, id: &str, a: &str, b: &str, t: i64) -> Verdict {
        check_with(&self.engine, self.store.clone(), &Call::new(id, a, b).at(t)).unwrap()
    }
    fn check(&self, call: Call) -> Verdict {
        check_with(&self.engine, self.store.clone(), &call).unwrap()
    }
}

fn caller(i: usize) -> String {
    format!("+23480300000{i:02}")
}

#[test]
fn fifth_distinct_caller_within_window_blocks_and_raises_one_alert() {
    let f = fixture("");
    for i in 0..4 {
        let v = f.call(
            &format!("c{i}"),
            &caller(i),
            "+2348099999999",
            T0 + i as i64 * 1000,
        );
        assert_eq!(v.action, Action::Allow, "call {i}");
        assert_eq!(v.count(Reason::DistinctCallers), i as u32 + 1);
        assert!(v.new_alerts.is_empty());
    }
    let v = f.call("c4", &caller(4), "+2348099999999", T0 + 4000);
    assert_eq!(v.action, Action::Block);
    assert!(v.reasons.contains(Reason::DistinctCallers));
    assert_eq!(v.count(Reason::DistinctCallers), 5);
    assert_eq!(v.new_alerts.len(), 1);
    let alert = &v.new_alerts[0];
    assert_eq!(alert.rule, Reason::DistinctCallers);
    assert_eq!(alert.key, "+2348099999999");
    assert_eq!(alert.count, 5);
    assert_eq!(alert.evidence.len(), 5);
    assert_eq!(alert.evidence[0].a_number, caller(0));
    assert_eq!(alert.evidence[4].call_id, "c4");
    assert_eq!(v.alert_id.as_ref(), Some(&alert.id));

    // A sixth caller inside the window: still blocked, same alert, no new one.
    let v6 = f.call("c5", &caller(5), "+2348099999999", T0 + 4500);
    assert_eq!(v6.action, Action::Block);
    assert!(v6.new_alerts.is_empty());
    assert_eq!(v6.alert_id, v.alert_id);
    assert_eq!(f.engine.stats().alert_count(Reason::DistinctCallers), 1);
}

/// The evidence's Call-ID is copied into the buffer the last call left:
/// long and short ones in turn are each quoted exactly.
#[test]
fn evidence_quotes_each_call_id_whatever_the_one_before() {
    let f = fixture("");
    let ids = [
        "a84b4c76e66710-1@pc33.atlanta.example.com",
        "c1",
        "3848276298220188511@atlanta.example.com",
        "",
        "x",
    ];
    let mut last = None;
    for (i, id) in ids.iter().enumerate() {
        last = Some(f.call(id, &caller(i), "+2348099999999", T0 + i as i64 * 100));
    }
    let v = last.unwrap();
    let alert = &v.new_alerts[0];
    let quoted: Vec<&str> = alert.evidence.iter().map(|e| e.call_id.as_str()).collect();
    assert_eq!(quoted[..3], ids[..3]);
    // An empty Call-ID is given one made from the call.
    assert!(quoted[3].starts_with("gen-"), "{}", quoted[3]);
    assert_eq!(quoted[4], "x");
}

#[test]
fn a_burst_at_one_call_a_second_is_blocked_by_its_fifth_caller() {
    // A burst's calls arrive at random: at one a second its 5th caller can
    // come more than 5 s after its first (here 6.2 s). The default 10 s
    // window blocks it; the seed's 5 s window does not.
    let gaps = [0, 1_800, 3_100, 4_600, 6_200];
    for (toml, blocked) in [("", true), (SEED_WINDOW, false)] {
        let f = fixture(toml);
        let v: Vec<Verdict> = gaps
            .iter()
            .enumerate()
            .map(|(i, &g)| f.call(&format!("c{i}"), &caller(i), "+2348099999999", T0 + g))
            .collect();
        assert!(v[..4].iter().all(|x| x.action == Action::Allow), "{toml}");
        assert_eq!(v[4].action == Action::Block, blocked, "{toml}");
    }
}

#[test]
fn callers_spread_wider_than_the_window_never_alert() {
    // The seed's bug: 5 callers over 12 s still alerted. Here they do not.
    let f = fixture(SEED_WINDOW);
    for i in 0..5 {
        let v = f.call(
            &format!("c{i}"),
            &caller(i),
            "+2348099999999",
            T0 + i as i64 * 3000,
        );
        assert_eq!(v.action, Action::Allow, "call {i}");
        assert!(
            v.count(Reason::DistinctCallers) <= 2,
            "call {i}: {}",
            v.count(Reason::DistinctCallers)
        );
    }
}

#[test]
fn exactly_window_apart_has_left_the_window() {
    let f = fixture(SEED_WINDOW);
    for i in 0..4 {
        f.call(
            &format!("c{i}"),
            &caller(i),
            "+2348099999999",
            T0 + i as i64,
        );
    }
    // Caller 0 was seen at T0; at T0 + 5000 it is exactly W old: out.
    let v = f.call("c4", &caller(4), "+2348099999999", T0 + 5000);
    assert_eq!(v.count(Reason::DistinctCallers), 4);
    assert_eq!(v.action, Action::Allow);
    // One ms earlier it would still have counted.
    let g = fixture("");
    for i in 0..4 {
        g.call(
            &format!("c{i}"),
            &caller(i),
            "+2348099999999",
            T0 + i as i64,
        );
    }
    let v = g.call("c4", &caller(4), "+2348099999999", T0 + 4999);
    assert_eq!(v.count(Reason::DistinctCallers), 5);
    assert_eq!(v.action, Action::Block);
}

#[test]
fn a_repeated_caller_counts_once() {
    let f = fixture("");
    for i in 0..10 {
        let v = f.call(
            &format!("r{i}"),
            &caller(1),
            "+2348099999999",
            T0 + i as i64 * 100,
        );
        assert_eq!(v.count(Reason::DistinctCallers), 1);
        assert_eq!(v.action, Action::Allow);
    }
}

#[test]
fn a_repeat_refreshes_the_callers_time() {
    let f = fixture("");
    f.call("a", &caller(1), "+2348099999999", T0);
    f.call("b", &caller(1), "+2348099999999", T0 + 4000); // refresh
    for i in 2..5 {
        f.call(
            &format!("c{i}"),
            &caller(i),
            "+2348099999999",
            T0 + 5000 + i as i64,
        );
    }
    // caller 1 last seen at T0+4000: still inside at T0+6000.
    let v = f.call("c5", &caller(5), "+2348099999999", T0 + 6000);
    assert_eq!(v.count(Reason::DistinctCallers), 5);
}

#[test]
fn out_of_order_events_use_event_time() {
    let f = fixture(SEED_WINDOW);
    f.call("c0", &caller(0), "+2348099999999", T0 + 10_000);
    // Late but inside the window of the newest event: counted.
    let v = f.call("c1", &caller(1), "+2348099999999", T0 + 6000);
    assert_eq!(v.count(Reason::DistinctCallers), 2);
    // Too late (before newest - W): dropped at once, not counted.
    let v = f.call("c2", &caller(2), "+2348099999999", T0 + 5000);
    assert_eq!(v.count(Reason::DistinctCallers), 2);
    // A late event never moves a caller back in time.
    f.call("c3", &caller(0), "+2348099999999", T0 + 7000);
    let v = f.call("c4", &caller(3), "+2348099999999", T0 + 14_000);
    // caller 0 (latest T0+10000) and caller 3 remain; caller 1 (T0+6000) left.
    assert_eq!(v.count(Reason::DistinctCallers), 2);
}

#[test]
fn allowlisted_hotline_never_triggers_distinct_callers() {
    // These calls carry no ingress: a listed number's own window
    // (`listed_threshold`) counts per ingress only, so it never sees them
    // (a_burst_at_a_listed_number_is_flagged_never_blocked_and_its_crowd_passes).
    let f = fixture("[lists]\nallow_b_numbers = [\"0700*\", \"+2348099999999\"]\n");
    for i in 0..50 {
        let v = f.call(
            &format!("c{i}"),
            &caller(i),
            "+2348099999999",
            T0 + i as i64,
        );
        assert_eq!(v.action, Action::Allow);
        assert!(v.reasons.contains(Reason::Allowlist));
        assert_eq!(v.count(Reason::DistinctCallers), 0);
        let v = f.call(&format!("d{i}"), &caller(i), "07001234567", T0 + i as i64);
        assert_eq!(v.action, Action::Allow);
    }
}

#[test]
fn a_burst_at_a_listed_number_is_flagged_never_blocked_and_its_crowd_passes() {
    let listed = "[lists]\nallow_b_numbers = [\"+2348099999999\"]\n";
    let at = |f: &Fixture, i: usize, trunk: &str, t: i64| {
        let mut c = Call::new(&format!("c{i}-{trunk}"), &caller(i), "+2348099999999").at(t);
        c.trunk = Some(trunk.into());
        f.check(c)
    };
    // Ten fresh CLIs within the window through one interconnect: the tenth
    // (the default listed_threshold) is flagged and raises an alert; none
    // is ever blocked, and the eleventh carries the same alert.
    let f = fixture(listed);
    for i in 0..9 {
        let v = at(&f, i, "IC-A", T0 + i as i64 * 500);
        assert_eq!(v.action, Action::Allow, "call {i}");
        assert!(v.reasons.contains(Reason::Allowlist));
        assert_eq!(v.count(Reason::DistinctCallers), i as u32 + 1);
    }
    let v = at(&f, 9, "IC-A", T0 + 4_500);
    assert_eq!(v.action, Action::Flag);
    assert!(v.reasons.contains(Reason::DistinctCallers));
    assert!(v.reasons.contains(Reason::Allowlist));
    assert_eq!(v.new_alerts.len(), 1);
    assert_eq!(v.new_alerts[0].rule, Reason::DistinctCallers);
    assert_eq!(v.new_alerts[0].count, 10);
    assert_eq!(
        v.new_alerts[0].action,
        Action::Flag,
        "the alert says flag, not block"
    );
    let w = at(&f, 10, "IC-A", T0 + 5_000);
    assert_eq!(w.action, Action::Flag);
    assert_eq!(w.alert_id, v.alert_id);
    assert!(w.new_alerts.is_empty());

    // A crowd: twenty callers within the window over four routes, five
    // each; no route brings half of them, so nothing is flagged.
    let f = fixture(listed);
    for i in 0..20 {
        let trunk = ["IC-A", "IC-B", "IC-C", "CORE"][i % 4];
        let v = at(&f, i, trunk, T0 + i as i64 * 400);
        assert_eq!(v.action, Action::Allow, "crowd call {i}");
    }

    // listed_threshold = 0: a listed number is not counted at all.
    let f = fixture(&format!(
        "{listed}[rules.distinct_callers]\nlisted_threshold = 0\n"
    ));
    for i in 0..20 {
        let v = at(&f, i, "IC-A", T0 + i as i64 * 100);
        assert_eq!(v.action, Action::Allow);
        assert_eq!(v.count(Reason::DistinctCallers), 0);
    }

    // A listed number is never blocked by a window, whatever its action:
    // at the burst tier's own threshold, with a listed A-number as the
    // fifth caller of an unlisted victim.
    let f = fixture("[lists]\nallow_a_numbers = [\"+2348030000004\"]\n");
    for i in 0..4 {
        at_b(&f, i, T0 + i as i64 * 100);
    }
    let v = at_b(&f, 4, T0 + 400);
    assert_eq!(v.count(Reason::DistinctCallers), 5);
    assert_eq!(
        v.action,
        Action::Flag,
        "a listed CLI is flagged, not blocked"
    );
    let v = at_b(&f, 5, T0 + 500);
    assert_eq!(v.action, Action::Block, "an unlisted one is blocked");
}

fn at_b(f: &Fixture, i: usize, t: i64) -> Verdict {
    let mut c = Call::new(&format!("v{i}"), &caller(i), "+2348012345678").at(t);
    c.trunk = Some("IC-A".into());
    f.check(c)
}

#[test]
fn a_crowd_calling_a_service_number_is_not_a_burst() {
    // A toll-free number (0800) and a UAN (0700) draw crowds by design; a
    // mobile number's crowd through one route is a burst.
    for (b, blocked) in [
        ("+2348001234567", false),
        ("+2347001234567", false),
        ("+2348099999999", true),
    ] {
        let f = fixture("");
        let v: Vec<Verdict> = (0..5)
            .map(|i| f.call(&format!("c{i}"), &caller(i), b, T0 + i as i64 * 100))
            .collect();
        assert_eq!(v[4].action == Action::Block, blocked, "{b}");
        assert_eq!(v[4].count(Reason::DistinctCallers) == 5, blocked, "{b}");
    }
    // skip_b_types = []: every number counted.
    let f = fixture("[rules.distinct_callers]\nskip_b_types = []\n");
    let v: Vec<Verdict> = (0..5)
        .map(|i| {
            f.call(
                &format!("c{i}"),
                &caller(i),
                "+2348001234567",
                T0 + i as i64 * 100,
            )
        })
        .collect();
    assert_eq!(v[4].action, Action::Block);
}

#[test]
fn cooldown_gives_one_alert_then_a_new_one_after_expiry() {
    let f = fixture("[alerts]\ncooldown_ms = 20000\n");
    let b = "+2348099999999";
    let mut alerts = 0;
    // A continuous attack: a new caller every second for 60 s.
    let mut ids = Vec::new();
    for i in 0..60 {
        let v = f.call(
            &format!("c{i}"),
            &format!("+2348031{i:06}"),
            b,
            T0 + i as i64 * 1000,
        );
        if i >= 4 {
            assert_eq!(v.action, Action::Block, "call {i}");
            assert!(v.alert_id.is_some());
        }
        alerts += v.new_alerts.len();
        ids.extend(v.new_alerts.iter().map(|a| a.id.clone()));
    }
    // Raised at 4 s, 24 s, 44 s.
    assert_eq!(alerts, 3, "{ids:?}");
    ids.dedup();
    assert_eq!(ids.len(), 3);
}

#[test]
fn an_attack_ending_lets_the_window_drain() {
    let f = fixture(SEED_WINDOW);
    let b = "+2348099999999";
    for i in 0..5 {
        f.call(&format!("c{i}"), &caller(i), b, T0 + i as i64);
    }
    let v = f.call("late", &caller(9), b, T0 + 10_000);
    assert_eq!(v.action, Action::Allow);
    assert_eq!(v.count(Reason::DistinctCallers), 1);
    assert_eq!(v.alert_id, None);
}

#[test]
fn velocity_counts_calls_by_call_id() {
    let f = fixture(
        "[learning]\nwarmup_ms = 0\n[rules.cli_velocity]\nthreshold = 3\nwindow_ms = 10000\naction = \"block\"\n",
    );
    let a = "+2348031111111";
    assert_eq!(
        f.call("v1", a, "+2348090000001", T0)
            .count(Reason::CliVelocity),
        1
    );
    // The same INVITE checked twice counts once.
    assert_eq!(
        f.call("v1", a, "+2348090000001", T0 + 10)
            .count(Reason::CliVelocity),
        1
    );
    assert_eq!(
        f.call("v2", a, "+2348090000002", T0 + 20)
            .count(Reason::CliVelocity),
        2
    );
    let v = f.call("v3", a, "+2348090000003", T0 + 30);
    assert_eq!(v.count(Reason::CliVelocity), 3);
    assert_eq!(v.action, Action::Block);
    assert!(v.reasons.contains(Reason::CliVelocity));
    assert_eq!(v.new_alerts[0].key, a);
    // After the window, back to normal.
    let v = f.call("v4", a, "+2348090000004", T0 + 20_000);
    assert_eq!(v.count(Reason::CliVelocity), 1);
    assert_eq!(v.action, Action::Allow);
}

/// A source presenting home service numbers (a telemarketing platform's
/// pool of UAN or toll-free numbers) counts them in its cli_rotation window
/// but is never flagged for them (`skip_cli_types`); a subscriber's number
/// presented through it over the bar is.
#[test]
fn rotation_counts_service_clis_without_judging_them() {
    let run = |extra: &str| -> Vec<Verdict> {
        let f = fixture(&format!(
            "[rules.cli_rotation]\nthreshold = 4\nwindow_ms = 10000\n{extra}"
        ));
        let mut out = Vec::new();
        for i in 0..7i64 {
            // Six of the platform's 0700 numbers, then a mobile number.
            let a = if i < 6 {
                format!("+23470012345{i:02}")
            } else {
                "+2348031234567".to_string()
            };
            let mut c = Call::new(&format!("p{i}"), &a, &format!("+23480900000{i:02}")).at(T0 + i);
            c.source_ip = Some("203.0.113.9".parse().unwrap());
            out.push(f.check(c));
        }
        out
    };
    let v = run("");
    assert_eq!(v[5].count(Reason::CliRotation), 6);
    assert!(v
        .iter()
        .take(6)
        .all(|v| v.action == Action::Allow && v.new_alerts.is_empty()));
    assert_eq!(v[6].count(Reason::CliRotation), 7);
    assert_eq!(v[6].action, Action::Flag);
    assert_eq!(v[6].new_alerts.len(), 1, "{:?}", v[6]);
    // Judged like any CLI when the list is empty: the 4th distinct one.
    let all = run("skip_cli_types = []\n");
    assert!(!all[2].reasons.contains(Reason::CliRotation));
    assert!(all[3].reasons.contains(Reason::CliRotation));
    // Only cli_rotation takes it.
    let e =
        Config::from_toml("[rules.distinct_callers]\nskip_cli_types = [\"uan\"]\n").unwrap_err();
    assert_eq!(e.key, "rules.distinct_callers.skip_cli_types");
}

#[test]
fn rotation_counts_distinct_clis_per_source() {
    let f = fixture("[rules.cli_rotation]\nthreshold = 4\nwindow_ms = 10000\n[lists]\nallow_trunks = [\"BIG-CARRIER\"]\n");
    for i in 0..4 {
        let mut c = Call::new(&format!("r{i}"), &caller(i), &format!("+23480900000{i:02}"))
            .at(T0 + i as i64);
        c.source_ip = Some("203.0.113.9".parse().unwrap());
        let v = f.check(c);
        assert_eq!(v.count(Reason::CliRotation), i as u32 + 1);
        if i == 3 {
            assert_eq!(v.action, Action::Flag);
            assert!(v.reasons.contains(Reason::CliRotation));
            assert_eq!(v.new_alerts[0].key, "203.0.113.9");
        }
    }
    // A trusted carrier trunk is exempt.
    for i in 0..10 {
        let mut c = Call::new(&format!("t{i}"), &caller(i), &format!("+23480910000{i:02}"))
            .at(T0 + i as i64);
        c.trunk = Some("BIG-CARRIER".into());
        let v = f.check(c);
        assert_eq!(v.count(Reason::CliRotation), 0);
        assert_eq!(v.action, Action::Allow);
    }
}

#[test]
fn calls_to_a_listed_hotline_do_not_count_in_their_source_s_rotation() {
    for (count_allowed_b, want) in [(false, [0, 0, 0, 1]), (true, [1, 2, 3, 4])] {
        let f = fixture(&format!(
            "[rules.cli_rotation]\nthreshold = 4\nwindow_ms = 10000\ncount_allowed_b = {count_allowed_b}\n\
             [lists]\nallow_b_numbers = [\"+2348099999999\"]\n"
        ));
        // A crowd of three calling the listed hotline through one interconnect,
        // then a subscriber's call through it.
        let got: Vec<u32> = (0..4)
            .map(|i| {
                let b = if i < 3 {
                    "+2348099999999"
                } else {
                    "+2348090000001"
                };
                let mut c = Call::new(&format!("h{i}"), &caller(i), b).at(T0 + i as i64);
                c.trunk = Some("IC-A".into());
                f.check(c).count(Reason::CliRotation)
            })
            .collect();
        assert_eq!(got, want, "count_allowed_b = {count_allowed_b}");
    }
}

#[test]
fn under_the_nanps_shared_code_only_the_home_regions_numbers_are_home() {
    // A US carrier: Canadian and Jamaican +1 numbers on its gateway are
    // foreign callers; a US number there is masking. A Canadian carrier
    // (`country_code = "CA"`) the other way round.
    for (cc, home, foreign) in [
        ("1", "+15135550123", ["+14165550123", "+18765550123"]),
        ("CA", "+14165550123", ["+15135550123", "+18765550123"]),
    ] {
        let f = fixture(&format!(
            "[numbering]\ncountry_code = \"{cc}\"\n[rules.intl_ingress_local_cli]\ntrunks = [\"INTL-GW\"]\n"
        ));
        let call = |id: &str, a: &str| on(Call::new(id, a, "+15135559999").at(T0), "INTL-GW");
        let v = f.check(call("h", home));
        assert!(
            v.reasons.contains(Reason::IntlIngressLocalCli),
            "{cc}: {home}"
        );
        for (i, a) in foreign.into_iter().enumerate() {
            let v = f.check(call(&format!("f{i}"), a));
            assert!(
                !v.reasons.contains(Reason::IntlIngressLocalCli),
                "{cc}: {a}"
            );
        }
    }
}

#[test]
fn home_cli_on_international_ingress_blocks() {
    let f = fixture(
        "[rules.intl_ingress_local_cli]\ntrunks = [\"INTL-GW\"]\nsources = [\"198.51.100.0/24\"]\n",
    );
    let mut c = Call::new("i1", "08031234567", "+2348099999999").at(T0);
    c.trunk = Some("INTL-GW".into());
    let v = f.check(c);
    assert_eq!(v.action, Action::Block);
    assert!(v.reasons.contains(Reason::IntlIngressLocalCli));
    assert_eq!(v.new_alerts.len(), 1);
    assert_eq!(v.new_alerts[0].key, "trunk:INTL-GW");

    // Second masked call on the same trunk: blocked, alert still active.
    let mut c = Call::new("i2", "08031234568", "+2348099999998").at(T0 + 100);
    c.trunk = Some("INTL-GW".into());
    let v2 = f.check(c);
    assert_eq!(v2.action, Action::Block);
    assert!(v2.new_alerts.is_empty());
    assert_eq!(v2.alert_id, v.alert_id);

    // A foreign CLI on the international trunk is normal.
    let mut c = Call::new("i3", "+447911123456", "+2348099999999").at(T0 + 200);
    c.trunk = Some("INTL-GW".into());
    assert_eq!(f.check(c).action, Action::Allow);

    // A home CLI from an international source address.
    let mut c = Call::new("i4", "+2348031234567", "+2348099999997").at(T0 + 300);
    c.source_ip = Some("198.51.100.20".parse().unwrap());
    assert_eq!(f.check(c).action, Action::Block);

    // A home CLI on a domestic path is normal.
    let mut c = Call::new("i5", "+2348031234567", "+2348099999996").at(T0 + 400);
    c.source_ip = Some("10.1.1.1".parse().unwrap());
    assert_eq!(f.check(c).action, Action::Allow);

    // A withheld From with a home PAI on the international trunk.
    let mut c = Call::new("i6", "anonymous", "+2348099999995").at(T0 + 500);
    c.trunk = Some("INTL-GW".into());
    c.pai = Some("+2348031234569".into());
    assert_eq!(f.check(c).action, Action::Block);
}

#[test]
fn a_home_cli_steady_on_the_gateways_for_an_hour_gains_standing() {
    let f = fixture("[rules.intl_ingress_local_cli]\ntrunks = [\"INTL-GW\"]\n");
    let at = |id: &str, a: &str, t: i64| {
        let mut c = Call::new(id, a, "+2348099999999").at(t);
        c.trunk = Some("INTL-GW".into());
        f.check(c)
    };
    let centre = "+2348031234567";
    const MIN: i64 = 60_000;
    // Every 4 minutes: judged (blocked) until it has called in 7 of the
    // last 8 ten-minute slots (at least 50 minutes; here at 60).
    let mut t = T0;
    while t < T0 + 64 * MIN {
        let v = at(&format!("c{t}"), centre, t);
        if t < T0 + 50 * MIN {
            assert_eq!(v.action, Action::Block, "minute {}", (t - T0) / MIN);
            assert!(v.reasons.contains(Reason::IntlIngressLocalCli));
        }
        t += 4 * MIN;
    }
    // A call in every ten-minute slot of the last hour: standing, it passes,
    // and it counts as spared.
    let v = at("c-spared", centre, t);
    assert_eq!(v.action, Action::Allow, "{v:?}");
    assert!(!v.reasons.contains(Reason::IntlIngressLocalCli));
    assert!(v.new_alerts.is_empty());
    assert!(f.engine.stats().snapshot().standing_spared >= 1);
    // A fresh CLI at the same moment, through the same gateway: blocked.
    let v = at("fresh", "+2348031234999", t + 1);
    assert_eq!(v.action, Action::Block);
    assert!(v.reasons.contains(Reason::IntlIngressLocalCli));
    // 35 minutes without a call (three slots at least): its hour starts again.
    let t2 = t + 35 * MIN;
    assert_eq!(at("back", centre, t2).action, Action::Block);
    assert_eq!(at("back2", centre, t2 + 4 * MIN).action, Action::Block);

    // A withheld From with the home number in the PAI gains standing as
    // that number, not as "anonymous".
    let pai = |id: &str, p: &str, t: i64| {
        let mut c = Call::new(id, "anonymous", "+2348099999998").at(t);
        c.trunk = Some("INTL-GW".into());
        c.pai = Some(p.into());
        f.check(c)
    };
    let mut t = T0;
    while t <= T0 + 64 * MIN {
        pai(
            &format!("p{t}"),
            &format!("+23480312{:05}", (t - T0) / MIN),
            t,
        );
        t += 4 * MIN;
    }
    assert_eq!(pai("p-last", "+2348031200999", t).action, Action::Block);

    // Standing off: Ofcom's rule, every call judged.
    let off = fixture("[rules.intl_ingress_local_cli]\ntrunks = [\"INTL-GW\"]\nstanding_ms = 0\n");
    for i in 0..20 {
        let mut c = Call::new(&format!("o{i}"), centre, "+2348099999999").at(T0 + i * 4 * MIN);
        c.trunk = Some("INTL-GW".into());
        assert_eq!(off.check(c).action, Action::Block);
    }
}

#[test]
fn a_premium_rate_cli_is_invalid_and_a_shared_cost_one_is_not() {
    // German numbers: 0900 premium rate (§ 120 TKG forbids it as a CLI), 0180
    // shared cost, a 0151 mobile.
    let de = "[numbering]\ncountry_code = \"49\"\n";
    let f = fixture(de);
    for (i, (cli, invalid)) in [
        ("+499001114708", true),
        ("+4918012345678", false),
        ("+4915112345678", false),
    ]
    .into_iter()
    .enumerate()
    {
        let v = f.call(&format!("p{i}"), cli, &format!("+4915199999{i:03}"), T0);
        assert_eq!(v.reasons.contains(Reason::InvalidCli), invalid, "{cli}");
    }
    // Germany's law bars it as a CLI too (`area_codes`): both off.
    let g = fixture(&format!(
        "{de}[rules.invalid_cli]\ninvalid_types = []\narea_codes = false\n"
    ));
    let v = g.call("q", "+499001114708", "+4915199999000", T0);
    assert!(!v.reasons.contains(Reason::InvalidCli));
}

#[test]
fn a_german_geographic_cli_must_have_an_area_code_and_a_subscriber_number_that_can_be() {
    // libphonenumber's German fixed-line pattern accepts every one of these.
    let de = "[numbering]\ncountry_code = \"49\"\n";
    let f = fixture(de);
    let cases = [
        ("+495211234567", false),  // Bielefeld
        ("+4930123456", false),    // Berlin, a short old number
        ("+4932123456789", false), // a national subscriber number: no area code
        ("+4921991234567", true),  // 0219: no area code
        ("+495210123456", true),   // a subscriber number starting with 0
        ("+49301123456", true),    // ... or with 11
        ("+49521123456789", true), // 12 digits
        ("+491371234567", true),   // 0137 (mass traffic): barred as a CLI
        ("+4918012345678", false), // 0180 (shared cost): call centres
    ];
    for (i, (cli, invalid)) in cases.into_iter().enumerate() {
        let v = f.call(&format!("g{i}"), cli, &format!("+4915199999{i:03}"), T0);
        assert_eq!(v.reasons.contains(Reason::InvalidCli), invalid, "{cli}");
    }
    // Off: libphonenumber's patterns alone.
    let g = fixture(&format!("{de}[rules.invalid_cli]\narea_codes = false\n"));
    for (i, (cli, _)) in cases.into_iter().enumerate() {
        let v = g.call(&format!("h{i}"), cli, &format!("+4915199998{i:03}"), T0);
        assert!(!v.reasons.contains(Reason::InvalidCli), "{cli}");
    }
}

#[test]
fn invalid_and_barred_clis_are_flagged() {
    let f = fixture("[rules.invalid_cli]\nbarred_prefixes = [\"+2348000\"]\n");
    for (i, bad) in ["", "anonymous", "+111", "12ab", "080312"]
        .into_iter()
        .enumerate()
    {
        let v = f.call("x", bad, &format!("+23480999999{i:02}"), T0);
        assert_eq!(v.action, Action::Flag, "{bad:?}");
        assert!(v.reasons.contains(Reason::InvalidCli), "{bad:?}");
        assert!(v.new_alerts.is_empty());
    }
    let v = f.call("y", "08000123456", "+2348099999999", T0);
    assert!(v.reasons.contains(Reason::InvalidCli));
    let v = f.call("z", "08031234567", "+2348099999998", T0);
    assert_eq!(v.action, Action::Allow);
    assert!(v.reasons.is_empty());
}

#[test]
fn deny_lists_block_before_any_window() {
    let f = fixture("[lists]\ndeny_a_numbers = [\"+2348031234567\"]\ndeny_sources = [\"192.0.2.0/24\"]\ndeny_trunks = [\"GREY\"]\n");
    let v = f.call("d1", "08031234567", "+2348099999999", T0);
    assert_eq!(v.action, Action::Block);
    assert!(v.reasons.contains(Reason::Denylist));
    assert_eq!(v.count(Reason::DistinctCallers), 0);
    let mut c = Call::new("d2", "+2348031111111", "+2348099999999").at(T0);
    c.source_ip = Some("192.0.2.44".parse().unwrap());
    assert_eq!(f.check(c).action, Action::Block);
    let mut c = Call::new("d3", "+2348031111111", "+2348099999999").at(T0);
    c.trunk = Some("GREY".into());
    assert_eq!(f.check(c).action, Action::Block);
    // Nothing was recorded for the B-number by the denied calls.
    assert_eq!(
        f.call("ok", "+2348031111112", "+2348099999999", T0)
            .count(Reason::DistinctCallers),
        1
    );
}

#[test]
fn monitor_mode_turns_blocks_into_flags() {
    let f = fixture("mode = \"monitor\"\n");
    let mut last = None;
    for i in 0..5 {
        last = Some(f.call(
            &format!("c{i}"),
            &caller(i),
            "+2348099999999",
            T0 + i as i64,
        ));
    }
    let v = last.unwrap();
    assert_eq!(v.action, Action::Flag);
    assert!(v.reasons.contains(Reason::DistinctCallers));
    assert!(v.reasons.contains(Reason::MonitorOnly));
    assert_eq!(v.new_alerts.len(), 1, "monitor mode still raises the alert");
}

#[test]
fn auto_block_denies_the_attackers_for_a_while() {
    let f = fixture("[auto_block]\nenabled = true\nduration_ms = 60000\n[lists]\nallow_a_numbers = [\"+2348030000003\"]\n");
    for i in 0..5 {
        f.call(
            &format!("c{i}"),
            &caller(i),
            "+2348099999999",
            T0 + i as i64,
        );
    }
    // Caller 0 now calls someone else: auto-blocked.
    let v = f.call("n1", &caller(0), "+2348077777777", T0 + 10_000);
    assert_eq!(v.action, Action::Block);
    assert!(v.reasons.contains(Reason::AutoBlock));
    assert!(v.alert_id.is_some());
    // The allowlisted caller 3 is not.
    assert_eq!(
        f.call("n2", &caller(3), "+2348077777777", T0 + 10_000)
            .action,
        Action::Allow
    );
    // The block ends.
    assert_eq!(
        f.call("n3", &caller(0), "+2348077777777", T0 + 70_000)
            .action,
        Action::Allow
    );
}

#[test]
fn bad_input_is_refused_and_changes_no_state() {
    let f = fixture("");
    let e = check_with(
        &f.engine,
        f.store.clone(),
        &Call::new("x", "+2348031234567", " ").at(T0),
    )
    .unwrap_err();
    assert_eq!(e.field, "b_number");
    let long = "9".repeat(500);
    let e = check_with(
        &f.engine,
        f.store.clone(),
        &Call::new("x", &long, "+2348099999999").at(T0),
    )
    .unwrap_err();
    assert_eq!(e.field, "a_number");
    let e = check_with(
        &f.engine,
        f.store.clone(),
        &Call::new(&"c".repeat(300), "+2348031234567", "+2348099999999").at(T0),
    );
    assert_eq!(e.unwrap_err().field, "call_id");
    let e = check_with(
        &f.engine,
        f.store.clone(),
        &Call::new("x", "+2348031234567", "+2348099999999").at(-5),
    );
    assert_eq!(e.unwrap_err().field, "timestamp");
    assert_eq!(
        f.store
            .stats()
            .keys
            .load(std::sync::atomic::Ordering::Relaxed),
        0
    );
    assert_eq!(
        f.engine
            .stats()
            .bad_input
            .load(std::sync::atomic::Ordering::Relaxed),
        4
    );
}

#[test]
fn missing_time_uses_the_clock() {
    let f = fixture("");
    f.clock.set(T0 + 123);
    let v = check_with(
        &f.engine,
        f.store.clone(),
        &Call::new("x", "+2348031234567", "+2348099999999"),
    )
    .unwrap();
    assert_eq!(v.time_ms, T0 + 123);
}

#[test]
fn store_failure_fails_open_but_keeps_per_call_rules() {
    struct Down;
    impl WindowStore for Down {
        fn name(&self) -> &'static str {
            "down"
        }
        fn apply_into(&self, _: &StoreRequest, _: &mut StoreAnswer) -> Result<(), StoreError> {
            Err(StoreError::Timeout)
        }
        fn add_blocks(&self, _: &[BlockEntry]) -> Result<(), StoreError> {
            Err(StoreError::Timeout)
        }
        fn withdraw_alerts(&self, _: &StoreRequest, _: &[Withdrawal]) -> Result<(), StoreError> {
            Err(StoreError::Timeout)
        }
    }
    let f = fixture("");
    let v = check_with(
        &f.engine,
        Arc::new(Down),
        &Call::new("x", "+2348031234567", "+2348099999999").at(T0),
    )
    .unwrap();
    assert_eq!(v.action, Action::Allow);
    assert!(v.reasons.contains(Reason::StoreUnavailable));
    let v = check_with(
        &f.engine,
        Arc::new(Down),
        &Call::new("y", "garbage", "+2348099999999").at(T0),
    )
    .unwrap();
    assert_eq!(v.action, Action::Flag);
    assert!(v.reasons.contains(Reason::InvalidCli) && v.reasons.contains(Reason::StoreUnavailable));
}

#[test]
fn a_full_store_stops_tracking_new_keys_and_says_so() {
    let cfg = Config::from_toml("").unwrap();
    let engine = Arc::new(Engine::from_config(&cfg, Arc::new(ManualClock::new(T0))).unwrap());
    let store = Arc::new(MemoryStore::new(MemoryStoreConfig {
        max_keys: 1024,
        max_members_per_key: 100,
        ..MemoryStoreConfig::default()
    }));
    let mut untracked = 0;
    for i in 0..5000 {
        let call = Call::new(
            &format!("c{i}"),
            &format!("+2348031{i:06}"),
            &format!("+2348{i:09}"),
        )
        .at(T0);
        let v = check_with(&engine, store.clone(), &call).unwrap();
        if v.reasons.contains(Reason::StoreCapacity) {
            untracked += 1;
            assert_eq!(v.action, Action::Allow);
        }
    }
    assert!(untracked > 3000, "{untracked}");
    assert!(
        store
            .stats()
            .keys
            .load(std::sync::atomic::Ordering::Relaxed)
            <= 1024 + 64
    );
    // Once the windows have passed (the longest default: cli_fanout's 10
    // minutes), keys are reclaimed and tracking resumes.
    let mut tracked_again = 0;
    for i in 0..200 {
        let v = check_with(
            &engine,
            store.clone(),
            &Call::new(
                &format!("d{i}"),
                &format!("+2348051{i:06}"),
                &format!("+2347{i:09}"),
            )
            .at(T0 + 720_000),
        )
        .unwrap();
        if !v.reasons.contains(Reason::StoreCapacity) {
            tracked_again += 1;
        }
    }
    assert!(tracked_again > 150, "{tracked_again}");
    assert!(
        store
            .stats()
            .reclaimed
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
    );
}

#[test]
fn a_hot_number_with_many_callers_stays_exact() {
    // Exercises the indexed (large) window path.
    let f = fixture("[rules.distinct_callers]\nthreshold = 1000\nwindow_ms = 1000\n");
    for i in 0..500 {
        let v = f.call(
            &format!("c{i}"),
            &format!("+2348031{i:06}"),
            "+2348099999999",
            T0 + i as i64,
        );
        assert_eq!(v.count(Reason::DistinctCallers), i as u32 + 1);
    }
    // Repeats refresh, do not add.
    for i in 0..500 {
        let v = f.call(
            &format!("r{i}"),
            &format!("+2348031{i:06}"),
            "+2348099999999",
            T0 + 500 + i as i64,
        );
        assert_eq!(v.count(Reason::DistinctCallers), 500);
    }
    // At T0+1600 callers refreshed at T0+500+i stay only if 500+i > 600.
    let v = f.call("z", "+2348039999999", "+2348099999999", T0 + 1600);
    assert_eq!(v.count(Reason::DistinctCallers), 399 + 1);
}

#[test]
fn alert_ids_are_deterministic() {
    let run = || {
        let f = fixture("");
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.extend(
                f.call(
                    &format!("c{i}"),
                    &caller(i),
                    "+2348099999999",
                    T0 + i as i64,
                )
                .alert_id,
            );
        }
        ids
    };
    assert_eq!(run(), run());
    assert_eq!(run().len(), 1);
    // The id carries its raise time, which folding reads back.
    let id = &run()[0];
    assert_eq!(crate::contract::alert_raised_ms(id), Some(T0 + 4), "{id}");
    assert_eq!(crate::contract::alert_raised_ms("dc-zz-1"), None);
    assert_eq!(crate::contract::alert_raised_ms("dc-10"), None);
}

#[test]
fn reload_swaps_rules_without_losing_windows() {
    let f = fixture("");
    for i in 0..3 {
        f.call(
            &format!("c{i}"),
            &caller(i),
            "+2348099999999",
            T0 + i as i64,
        );
    }
    let cfg = Config::from_toml("[rules.distinct_callers]\nthreshold = 4\n").unwrap();
    f.engine.reload(EngineConfig::from_config(&cfg).unwrap());
    let v = f.call("c3", &caller(3), "+2348099999999", T0 + 3);
    assert_eq!(v.action, Action::Block);
}

#[test]
fn a_threads_slot_never_judges_with_another_engines_configuration() {
    // One thread's check slot keeps the configuration it last prepared with
    // while the engine's generation holds: engines built and dropped in turn
    // on this thread (a new one may take a dropped one's address) and two
    // used alternately must each judge by their own rules.
    let denying = "[lists]\ndeny_a_numbers = [\"+2348030000001\"]\n";
    let call = |f: &Fixture, i: usize| {
        f.call(&format!("c{i}"), &caller(1), &caller(50 + i), T0 + i as i64)
    };
    for round in 0..4 {
        let f = fixture(if round % 2 == 0 { denying } else { "" });
        let want = if round % 2 == 0 {
            Action::Block
        } else {
            Action::Allow
        };
        assert_eq!(
            call(&f, round).action,
            want,
            "engine {round}, built after the last was dropped"
        );
    }
    let (deny, allow) = (fixture(denying), fixture(""));
    for i in 0..6 {
        let (f, want) = if i % 2 == 0 {
            (&deny, Action::Block)
        } else {
            (&allow, Action::Allow)
        };
        assert_eq!(call(f, i).action, want, "call {i}, engines alternating");
    }
    // A reload is seen by the very next check of the thread that cached the
    // old configuration.
    allow
        .engine
        .reload(EngineConfig::from_config(&Config::from_toml(denying).unwrap()).unwrap());
    assert_eq!(call(&allow, 7).action, Action::Block);
}

fn on(mut c: Call, trunk: &str) -> Call {
    c.trunk = Some(trunk.into());
    c
}

#[test]
fn slow_tier_flags_fan_in_spread_wider_than_the_burst_window() {
    let f = fixture(
        "[lists]\nallow_trunks = [\"MSC-1\"]\n\
         [rules.distinct_callers_slow]\nper_ingress = false\nthreshold = 5\nwindow_ms = 60000\n",
    );
    let b = "+2348099999999";
    for i in 0..4 {
        let v = f.check(on(
            Call::new(&format!("s{i}"), &caller(i), b).at(T0 + i as i64 * 10_000),
            "WS-1",
        ));
        assert_eq!(v.action, Action::Allow, "call {i}");
    }
    let v = f.check(on(Call::new("s4", &caller(4), b).at(T0 + 40_000), "WS-1"));
    assert_eq!(v.action, Action::Flag, "flag, not block, by default");
    assert!(v.reasons.contains(Reason::DistinctCallersSlow));
    assert!(!v.reasons.contains(Reason::DistinctCallers));
    assert_eq!(
        v.count(Reason::DistinctCallers),
        1,
        "the burst window saw one caller"
    );
    assert_eq!(v.new_alerts.len(), 1);
    let a = &v.new_alerts[0];
    assert_eq!(a.rule, Reason::DistinctCallersSlow);
    assert_eq!(a.key, b);
    assert_eq!(a.window_ms, 60_000);
    assert_eq!(a.count, 5);
    assert!(a.id.starts_with("ds-"), "{}", a.id);
    assert_eq!(f.engine.stats().alert_count(Reason::DistinctCallersSlow), 1);
}

#[test]
fn slow_tier_window_edge() {
    let b = "+2348099999999";
    let run = |last: i64| {
        let f = fixture(
            "[rules.distinct_callers_slow]\nthreshold = 5\nwindow_ms = 60000\nper_ingress = false\nb_types = []\n",
        );
        f.check(on(Call::new("e0", &caller(0), b).at(T0), "WS-1"));
        for i in 1..4 {
            f.check(on(
                Call::new(&format!("e{i}"), &caller(i), b).at(T0 + 20_000 + i as i64),
                "WS-1",
            ));
        }
        f.check(on(Call::new("e4", &caller(4), b).at(last), "WS-1"))
    };
    // Caller 0 is exactly 60 s old: out of the window.
    let v = run(T0 + 60_000);
    assert_eq!(v.action, Action::Allow);
    assert!(!v.reasons.contains(Reason::DistinctCallersSlow));
    // One ms earlier it still counts.
    let v = run(T0 + 59_999);
    assert_eq!(v.action, Action::Flag);
    assert!(v.reasons.contains(Reason::DistinctCallersSlow));
}

#[test]
fn slow_tier_ignores_trusted_unknown_ingress_and_listed_b_numbers() {
    let b = "+2348099999999";
    let f = fixture(
        "[lists]\nallow_trunks = [\"MSC-1\"]\nallow_sources = [\"10.0.0.0/8\"]\nallow_b_numbers = [\"+2348011111111\"]\n",
    );
    for i in 0..10 {
        let t = T0 + i as i64 * 5_000;
        // Trusted trunk, trusted address, no ingress at all: not counted.
        let v = f.check(on(
            Call::new(&format!("m{i}"), &caller(i), b).at(t),
            "MSC-1",
        ));
        assert_eq!(v.action, Action::Allow);
        let mut c = Call::new(&format!("p{i}"), &caller(20 + i), b).at(t + 1);
        c.source_ip = Some("10.1.2.3".parse().unwrap());
        assert_eq!(f.check(c).action, Action::Allow);
        let v = f.call(&format!("n{i}"), &caller(40 + i), b, t + 2);
        assert_eq!(v.action, Action::Allow);
        // A listed hotline, even from an untrusted trunk.
        let v = f.check(on(
            Call::new(&format!("h{i}"), &caller(60 + i), "+2348011111111").at(t),
            "WS-1",
        ));
        assert_eq!(v.action, Action::Allow);
    }
    // Counting every call: the same traffic is flagged.
    let g = fixture("[rules.distinct_callers_slow]\nuntrusted_ingress_only = false\n[lists]\nallow_trunks = [\"MSC-1\"]\n");
    let mut last = None;
    for i in 0..5 {
        last = Some(g.check(on(
            Call::new(&format!("m{i}"), &caller(i), b).at(T0 + i as i64 * 10_000),
            "MSC-1",
        )));
    }
    assert!(last.unwrap().reasons.contains(Reason::DistinctCallersSlow));
    // Off: nothing counted.
    let h = fixture("[rules.distinct_callers_slow]\naction = \"off\"\n");
    for i in 0..8 {
        let v = h.check(on(
            Call::new(&format!("o{i}"), &caller(i), b).at(T0 + i as i64 * 7_000),
            "WS-1",
        ));
        assert_eq!(v.action, Action::Allow);
    }
}

#[test]
fn slow_tier_can_block_and_monitor_mode_turns_it_into_a_flag() {
    let toml = "[learning]\nwarmup_ms = 0\n[rules.distinct_callers_slow]\naction = \"block\"\nthreshold = 3\nwindow_ms = 30000\n";
    let b = "+2348099999999";
    for (mode, want) in [("enforce", Action::Block), ("monitor", Action::Flag)] {
        let f = fixture(&format!("mode = \"{mode}\"\n{toml}"));
        let mut last = None;
        for i in 0..3 {
            last = Some(f.check(on(
                Call::new(&format!("k{i}"), &caller(i), b).at(T0 + i as i64 * 9_000),
                "WS-1",
            )));
        }
        let v = last.unwrap();
        assert_eq!(v.action, want, "{mode}");
        assert!(v.reasons.contains(Reason::DistinctCallersSlow));
    }
}

#[test]
fn trunk_thresholds_replace_the_rule_threshold_for_that_trunk() {
    let f = fixture(
        "[rules.cli_velocity]\naction = \"flag\"\nthreshold = 15\ntrunk_thresholds = { \"MSC-1\" = 3 }\n\
         [rules.cli_rotation]\nthreshold = 4\ntrunk_thresholds = { \"GW-1\" = 8 }\n",
    );
    // Velocity: the third call of one SIM on the core switch is flagged ...
    for i in 0..3 {
        let v = f.check(on(
            Call::new(
                &format!("v{i}"),
                "+2348061111111",
                &format!("+23480377777{i:02}"),
            )
            .at(T0 + i as i64 * 1000),
            "MSC-1",
        ));
        assert_eq!(v.count(Reason::CliVelocity), i as u32 + 1);
        if i < 2 {
            assert_eq!(v.action, Action::Allow, "call {i}");
        } else {
            assert_eq!(v.action, Action::Flag);
            assert!(v.reasons.contains(Reason::CliVelocity));
            assert_eq!(v.new_alerts[0].threshold, 3);
        }
    }
    // ... while a number on another trunk keeps the rule's threshold.
    for i in 0..10 {
        let v = f.check(on(
            Call::new(
                &format!("p{i}"),
                "+2341600000000",
                &format!("+23480388888{i:02}"),
            )
            .at(T0 + i as i64 * 1000),
            "ENT-1",
        ));
        assert!(!v.reasons.contains(Reason::CliVelocity), "call {i}");
    }
    // Rotation: the gateway is judged at 8 distinct CLIs, the default trunk at 4.
    for i in 0..8 {
        let v = f.check(on(
            Call::new(
                &format!("g{i}"),
                &format!("+4479111234{i:02}"),
                &format!("+23480399999{i:02}"),
            )
            .at(T0 + i as i64 * 10),
            "GW-1",
        ));
        assert_eq!(v.count(Reason::CliRotation), i as u32 + 1);
        assert_eq!(v.reasons.contains(Reason::CliRotation), i == 7, "call {i}");
    }
    for i in 0..4 {
        let v = f.check(on(
            Call::new(
                &format!("w{i}"),
                &format!("+4479222234{i:02}"),
                &format!("+23480366666{i:02}"),
            )
            .at(T0 + i as i64 * 10),
            "WS-1",
        ));
        assert_eq!(v.reasons.contains(Reason::CliRotation), i == 3, "call {i}");
    }
}

#[test]
fn a_call_blocked_for_its_kind_counts_only_in_that_rules_window() {
    // A gateway's masked calls (home CLIs) are blocked by what they are; they
    // must not tip the gateway's own legitimate traffic over cli_rotation's
    // floor, nor count as callers of their victims.
    let f = fixture(
        "[rules.intl_ingress_local_cli]\ntrunks = [\"INTL-GW\"]\n\
         [rules.cli_rotation]\nthreshold = 5\n[rules.cli_rotation.learn]\nenabled = false\n",
    );
    for i in 0..8 {
        let c = on(
            Call::new(&format!("m{i}"), &caller(i), "+2348099999999").at(T0 + i as i64),
            "INTL-GW",
        );
        let v = f.check(c);
        assert_eq!(v.action, Action::Block, "masked call {i}");
        assert!(v.reasons.contains(Reason::IntlIngressLocalCli));
        assert_eq!(v.count(Reason::CliRotation), 0, "masked call {i}");
        assert_eq!(v.count(Reason::DistinctCallers), 0, "masked call {i}");
        // The rule's own window still counts: one alert, then it stays active.
        assert_eq!(v.new_alerts.len(), usize::from(i == 0), "masked call {i}");
        assert!(v.alert_id.is_some());
    }
    // Foreign CLIs on the gateway: counted from one, none flagged.
    for i in 0..4 {
        let c = on(
            Call::new(
                &format!("f{i}"),
                &format!("+4479111234{i:02}"),
                &format!("+23480999990{i:02}"),
            )
            .at(T0 + 100 + i as i64),
            "INTL-GW",
        );
        let v = f.check(c);
        assert_eq!(v.action, Action::Allow, "foreign call {i}");
        assert_eq!(v.count(Reason::CliRotation), i as u32 + 1);
        assert_eq!(v.count(Reason::DistinctCallers), 1);
    }
    // The fifth foreign CLI reaches the floor: rotation still counts them.
    let c = on(
        Call::new("f4", "+447911123404", "+2348099999998").at(T0 + 200),
        "INTL-GW",
    );
    let v = f.check(c);
    assert_eq!(v.count(Reason::CliRotation), 5);
    assert!(v.reasons.contains(Reason::CliRotation));
}

#[test]
fn listed_roamers_calling_home_pass_the_international_ingress_check() {
    let f = fixture(
        "[rules.intl_ingress_local_cli]\ntrunks = [\"INTL-GW\"]\n\
         roaming_a_numbers = [\"08031234567\", \"+234806555*\"]\n\
         [rules.cli_velocity]\naction = \"flag\"\n\
         [rules.distinct_callers_slow]\naction = \"off\"\n",
    );
    let intl = |id: &str, a: &str, pai: Option<&str>| {
        let mut c = on(Call::new(id, a, "+2348099999999").at(T0), "INTL-GW");
        c.pai = pai.map(Into::into);
        c
    };
    // A listed roamer (any written form), and one covered by a prefix.
    for (id, a) in [
        ("r1", "+2348031234567"),
        ("r2", "08031234567"),
        ("r3", "+2348065551234"),
    ] {
        let v = f.check(intl(id, a, None));
        assert_eq!(v.action, Action::Allow, "{a}");
        assert!(!v.reasons.contains(Reason::IntlIngressLocalCli));
    }
    // Any other home CLI on the gateway is still blocked.
    let v = f.check(intl("m1", "+2348031234568", None));
    assert_eq!(v.action, Action::Block);
    assert!(v.reasons.contains(Reason::IntlIngressLocalCli));
    // Calling an allow-listed number, it is flagged, never blocked: no rule
    // blocks a call to or from a listed number (the floor).
    let listed = fixture(
        "[rules.intl_ingress_local_cli]\ntrunks = [\"INTL-GW\"]\n\
         [lists]\nallow_b_numbers = [\"+2348099999999\"]\n",
    );
    let v = listed.check(intl("m2", "+2348031234568", None));
    assert_eq!(v.action, Action::Flag);
    assert!(v.reasons.contains(Reason::IntlIngressLocalCli));
    assert!(v.reasons.contains(Reason::Allowlist));
    // A deny-listed CLI is still blocked, listed callee or not.
    let denied = fixture(
        "[lists]\nallow_b_numbers = [\"+2348099999999\"]\n\
         deny_a_numbers = [\"+2348031234568\"]\n",
    );
    assert_eq!(
        denied.check(intl("m3", "+2348031234568", None)).action,
        Action::Block
    );
    // Withheld From, the roamer in PAI: passes; an unlisted home PAI: blocked.
    assert_eq!(
        f.check(intl("r4", "anonymous", Some("+2348031234567")))
            .action,
        Action::Allow
    );
    assert_eq!(
        f.check(intl("m2", "+447911123456", Some("+2348031234568")))
            .action,
        Action::Block
    );
    // A listed From with an unlisted home PAI: every home number must be listed.
    assert_eq!(
        f.check(intl("m3", "+2348031234567", Some("+2348031234569")))
            .action,
        Action::Block
    );
    // The roaming list exempts from this rule only: the roamer's number on a
    // domestic path is an ordinary CLI, and velocity still counts it.
    let v = f.check(on(
        Call::new("d1", "+2348031234567", "+2348099999990").at(T0 + 1),
        "WS-1",
    ));
    assert_eq!(v.action, Action::Allow);
    assert!(v.count(Reason::CliVelocity) >= 1);
}

#[test]
fn a_fast_burst_on_an_untrusted_trunk_raises_one_alert_per_step() {
    let b = "+2348099999999";
    // The alerts a burst of 7 callers raises, and the alert its last call points at.
    let burst = |f: &Fixture| {
        let mut alerts = Vec::new();
        let mut last = None;
        for i in 0..7 {
            let v = f.check(on(
                Call::new(&format!("b{i}"), &caller(i), b).at(T0 + i as i64 * 100),
                "WS-1",
            ));
            alerts.extend(v.new_alerts.iter().map(|a| (a.rule, a.id.clone())));
            last = Some(v);
        }
        let v = last.unwrap();
        assert!(
            v.reasons.contains(Reason::DistinctCallers)
                && v.reasons.contains(Reason::DistinctCallersSlow)
        );
        (alerts, v.alert_id.unwrap())
    };
    // Both tiers reach their thresholds on the same call: one alert, the burst tier's.
    let f = fixture("[rules.distinct_callers_slow]\nthreshold = 5\n");
    let (alerts, lead) = burst(&f);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].0, Reason::DistinctCallers);
    assert_eq!(lead, alerts[0].1);
    assert_eq!(f.engine.stats().alert_count(Reason::DistinctCallersSlow), 0);
    // The defaults: the slow tier flags at 3 callers, the burst tier blocks at
    // 5: an escalation, so its own alert, which later calls point at.
    let f = fixture("");
    let (alerts, lead) = burst(&f);
    let rules: Vec<Reason> = alerts.iter().map(|a| a.0).collect();
    assert_eq!(
        rules,
        [Reason::DistinctCallersSlow, Reason::DistinctCallers],
        "{alerts:?}"
    );
    assert_eq!(lead, alerts[1].1);
    // A slow tier that blocks too: the burst tier's alert would add nothing.
    let f =
        fixture("[rules.distinct_callers_slow]\naction = \"block\"\n[learning]\nwarmup_ms = 0\n");
    let (alerts, lead) = burst(&f);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0].0, Reason::DistinctCallersSlow);
    assert_eq!(lead, alerts[0].1);
    assert_eq!(f.engine.stats().alert_count(Reason::DistinctCallers), 0);
}

#[test]
fn hand_written_keys_match_the_formatter() {
    use std::net::{IpAddr, Ipv4Addr};
    for ip in [
        Ipv4Addr::new(0, 0, 0, 0),
        Ipv4Addr::new(10, 0, 3, 15),
        Ipv4Addr::new(255, 255, 255, 255),
        Ipv4Addr::new(100, 9, 99, 101),
        Ipv4Addr::new(192, 168, 1, 10),
    ] {
        assert_eq!(super::source_ip_key(IpAddr::V4(ip)), ip.to_string());
    }
    // Every octet value in every place.
    for o in 0..=255u8 {
        for place in 0..4 {
            let mut octets = [7u8, 70, 170, 255];
            octets[place] = o;
            let ip = Ipv4Addr::from(octets);
            assert_eq!(super::source_ip_key(IpAddr::V4(ip)), ip.to_string());
        }
    }
    let v6: IpAddr = "2001:db8::1".parse().unwrap();
    assert_eq!(super::source_ip_key(v6), "2001:db8::1");
    for v in [0u64, 1, 0xdead_beef, u64::MAX, 0x0123_4567_89ab_cdef] {
        assert_eq!(hex16(v), format!("{v:016x}"));
    }
}

#[test]
fn member_caps_follow_the_highest_threshold_of_a_rule() {
    use crate::engine::member_cap;
    assert_eq!(member_cap(5, 10_000), 64);
    assert_eq!(member_cap(20, 10_000), 80);
    assert_eq!(member_cap(5_000, 10_000), 10_000);
    assert_eq!(member_cap(u32::MAX, 10_000), 10_000);
    assert_eq!(member_cap(5, 3), 3);
    let cfg = Config::from_toml(
        "[rules.cli_rotation]\nthreshold = 20\ntrunk_thresholds = { \"GW\" = 40 }\n",
    )
    .unwrap();
    let e = EngineConfig::from_config(&cfg).unwrap();
    assert_eq!(e.window(Reason::CliRotation).unwrap().member_cap, 160);
    assert_eq!(e.window(Reason::DistinctCallers).unwrap().member_cap, 64);
}

/// `n` distinct CLIs from one trunk in each of `intervals` 10 s intervals from `from`.
fn rotation_calls(trunk: &str, from: i64, intervals: i64, n: usize) -> Vec<Call> {
    let mut out = Vec::new();
    for k in from..from + intervals {
        for j in 0..n {
            let t = T0 + k * 10_000 + (j * 9_000 / n) as i64;
            out.push(on(
                Call::new(
                    &format!("{trunk}-{k}-{j}"),
                    &format!("+234803{:07}", k * 1000 + j as i64),
                    &format!("+234809{:07}", k * 1000 + j as i64),
                )
                .at(t),
                trunk,
            ));
        }
    }
    out
}

/// Checks every call in order; answers the last verdict.
fn check_all(f: &Fixture, calls: Vec<Call>) -> Verdict {
    let mut last = None;
    for c in calls {
        last = Some(f.check(c));
    }
    last.expect("at least one call")
}

const LEARNING_ROTATION: &str = "[rules.cli_rotation]\nthreshold = 5\nwindow_ms = 10000\n\
    [rules.cli_rotation.learn]\nenabled = true\nfactor = 2.0\ninterval_ms = 10000\n\
    [rules.cli_fanout]\naction = \"off\"\n";

#[test]
fn a_learned_level_raises_the_threshold_of_its_key_only() {
    let f = fixture(&format!("[learning]\nwarmup_ms = 0\n{LEARNING_ROTATION}"));
    let flagged = |calls: Vec<Call>| {
        calls
            .into_iter()
            .map(|c| f.check(c))
            .filter(|v| v.reasons.contains(Reason::CliRotation))
            .count()
    };
    assert!(
        flagged(rotation_calls("IC-1", 0, 1, 12)) > 0,
        "a new trunk: the floor"
    );
    flagged(rotation_calls("IC-1", 1, 12, 12));
    assert_eq!(
        flagged(rotation_calls("IC-1", 13, 2, 12)),
        0,
        "normal for itself"
    );
    // Another trunk at the same rate is new: judged against the floor.
    assert!(flagged(rotation_calls("PBX-9", 15, 1, 12)) > 0);
    // The learned trunk jumping far above its level fires, and says why.
    let v: Vec<Verdict> = rotation_calls("IC-1", 15, 1, 40)
        .into_iter()
        .map(|c| f.check(c))
        .collect();
    let alert = v
        .iter()
        .flat_map(|v| &v.new_alerts)
        .find(|a| a.rule == Reason::CliRotation)
        .expect("an alert for the jump");
    let baseline = alert.baseline.expect("the learned level");
    assert!(baseline > 8.0 && baseline <= 12.0, "{baseline}");
    assert_eq!(alert.threshold as f64, (baseline * 2.0).ceil());
}

#[test]
fn learned_rules_that_block_only_flag_during_the_warm_up() {
    let toml = format!(
        "[learning]\nwarmup_ms = 60000\n{}",
        LEARNING_ROTATION.replace("threshold = 5\n", "threshold = 5\naction = \"block\"\n")
    );
    let f = fixture(&toml);
    // The first call starts the warm-up at T0.
    let v = f.check(on(
        Call::new("w0", "+2348030000001", "+2348090000001").at(T0),
        "X",
    ));
    assert_eq!(v.action, Action::Allow);
    let during = rotation_calls("GW-1", 1, 1, 8);
    let last = check_all(&f, during);
    assert_eq!(last.action, Action::Flag, "{:?}", last.reasons);
    assert!(last.reasons.contains(Reason::LearningWarmup));
    assert!(last.reasons.contains(Reason::CliRotation));
    // After the warm-up a new trunk over the floor is blocked.
    let after = rotation_calls("GW-2", 7, 1, 8);
    let last = check_all(&f, after);
    assert_eq!(last.action, Action::Block);
    assert!(!last.reasons.contains(Reason::LearningWarmup));
    // Rules that do not learn block from the first call (the seed attack).
    let f = fixture(&toml);
    let mut v = None;
    for i in 0..5 {
        v = Some(f.call(
            &format!("s{i}"),
            &caller(i),
            "+2348099999999",
            T0 + i as i64 * 100,
        ));
    }
    assert_eq!(v.unwrap().action, Action::Block);
}

#[test]
fn clis_the_numbering_plan_does_not_have_are_invalid() {
    let f = fixture("");
    let b = "+2348099999999";
    for (i, (cli, invalid)) in [
        ("+2348031234567", false),
        ("08031234567", false),
        ("+2342011234567", false), // fixed line, 2024 plan
        ("+2340803123456", true),  // the trunk prefix inside the NSN, right length
        ("+2347023123456", true),  // 7023 is not allocated
        ("+2349171234567", true),  // nor 917
        ("+447911123456", false),  // foreign numbers: lengths only
    ]
    .into_iter()
    .enumerate()
    {
        let v = f.call(&format!("p{i}"), cli, b, T0 + i as i64 * 60_000);
        assert_eq!(v.reasons.contains(Reason::InvalidCli), invalid, "{cli}");
    }
    // Off: lengths and lists only.
    let f = fixture("[rules.invalid_cli]\nnumbering_plan = false\n");
    let v = f.call("q", "+2347023123456", b, T0);
    assert!(!v.reasons.contains(Reason::InvalidCli));
}

#[test]
fn fanout_counts_distinct_callees_of_mobile_clis() {
    let f = fixture("[learning]\nwarmup_ms = 0\n");
    // A SIM pacing itself at one call a minute to fresh callees: the tenth
    // callee within ten minutes is flagged.
    let sim = "+2348061234567";
    let mut last = None;
    for i in 0..10 {
        last = Some(f.call(
            &format!("s{i}"),
            sim,
            &format!("+23480900000{i:02}"),
            T0 + i * 60_000,
        ));
    }
    let v = last.unwrap();
    assert_eq!(v.count(Reason::CliFanout), 10);
    assert!(v.reasons.contains(Reason::CliFanout));
    assert_eq!(v.action, Action::Flag);
    // Calling the same few people often is not fan-out.
    for i in 0..20 {
        let v = f.call(
            &format!("r{i}"),
            "+2348061234568",
            &format!("+23480900000{:02}", i % 3),
            T0 + i * 20_000,
        );
        assert!(!v.reasons.contains(Reason::CliFanout));
    }
    // A PBX's fixed-line main number is not a SIM (cli_types = ["mobile"]).
    for i in 0..15 {
        let v = f.call(
            &format!("p{i}"),
            "+2342012345678",
            &format!("+23480910000{i:02}"),
            T0 + i * 30_000,
        );
        assert_eq!(v.count(Reason::CliFanout), 0);
    }
}

#[test]
fn slow_tier_counts_per_ingress_and_subscriber_numbers_only() {
    let f = fixture(
        "[rules.distinct_callers_slow]\nthreshold = 3\nwindow_ms = 120000\n\
         [rules.distinct_callers]\nthreshold = 50\n",
    );
    let b = "+2348099999999";
    // Three callers through three interconnects: a busy number, not refiling.
    for (i, t) in ["IC-A", "IC-B", "IC-C"].iter().enumerate() {
        let v = f.check(on(
            Call::new(&format!("x{i}"), &caller(i), b).at(T0 + i as i64 * 20_000),
            t,
        ));
        assert!(!v.reasons.contains(Reason::DistinctCallersSlow));
    }
    // Three fresh CLIs through one interconnect within two minutes: refiling.
    let b2 = "+2348099999998";
    let v: Vec<Verdict> = (0..3)
        .map(|i| {
            f.check(on(
                Call::new(&format!("y{i}"), &caller(10 + i), b2).at(T0 + i as i64 * 30_000),
                "IC-A",
            ))
        })
        .collect();
    assert!(!v[1].reasons.contains(Reason::DistinctCallersSlow));
    assert!(
        v[2].reasons.contains(Reason::DistinctCallersSlow),
        "{:?}",
        v[2].reasons
    );
    assert_eq!(v[2].new_alerts[0].key, format!("trunk:IC-A|{b2}"));
    // A fixed-line subscriber is counted as a mobile one (refiled masking
    // into a landline); a toll-free number (a hotline) is not counted at all.
    let v: Vec<Verdict> = (0..3)
        .map(|i| {
            f.check(on(
                Call::new(&format!("w{i}"), &caller(30 + i), "+2342012345678")
                    .at(T0 + i as i64 * 1_000),
                "IC-A",
            ))
        })
        .collect();
    assert!(v[2].reasons.contains(Reason::DistinctCallersSlow));
    for i in 0..5 {
        let v = f.check(on(
            Call::new(&format!("z{i}"), &caller(20 + i), "+2348001234567")
                .at(T0 + i as i64 * 1_000),
            "IC-A",
        ));
        assert!(!v.reasons.contains(Reason::DistinctCallersSlow));
        assert_eq!(v.count(Reason::DistinctCallersSlow), 0, "not counted");
    }
}

#[test]
fn slow_tier_fires_only_when_most_callers_came_through_the_ingress() {
    // The burst tier off, so only the slow tier speaks.
    let f = fixture("[rules.distinct_callers]\naction = \"off\"\n");
    // A radio phone-in on a mobile number: 40 callers over 80 s through four
    // routes. Each route passes the slow tier's 3 callers, none brings most.
    let b = "+2348099999997";
    let routes = ["IC-B", "IC-A", "IC-C", "MSC-1"];
    for i in 0..40 {
        let v = f.check(on(
            Call::new(&format!("p{i}"), &caller(i), b).at(T0 + i as i64 * 2_000),
            routes[i % 4],
        ));
        assert!(
            !v.reasons.contains(Reason::DistinctCallersSlow),
            "phone-in call {i}: {:?}",
            v.reasons
        );
        if routes[i % 4] == "IC-A" {
            // The count shown is this ingress's, not every ingress's.
            assert_eq!(v.count(Reason::DistinctCallersSlow), (i / 4 + 1) as u32);
        }
    }
    // Refiled masking: three fresh CLIs through IC-A to a subscriber whom one
    // other person called through the core: 3 of 4 callers, flagged at the 3rd.
    let b2 = "+2348099999996";
    let v = f.check(on(Call::new("o", &caller(60), b2).at(T0), "MSC-1"));
    assert!(!v.reasons.contains(Reason::DistinctCallersSlow));
    for i in 0..3 {
        let v = f.check(on(
            Call::new(&format!("m{i}"), &caller(70 + i), b2).at(T0 + 20_000 * (i as i64 + 1)),
            "IC-A",
        ));
        assert_eq!(
            v.reasons.contains(Reason::DistinctCallersSlow),
            i == 2,
            "refiled call {i}: {:?}",
            v.reasons
        );
    }
    // With the share off, the phone-in is flagged on every route.
    let f = fixture(
        "[rules.distinct_callers]\naction = \"off\"\n\
         [rules.distinct_callers_slow]\nmin_ingress_share = 0\n",
    );
    let flagged = (0..40)
        .map(|i| {
            f.check(on(
                Call::new(&format!("p{i}"), &caller(i), b).at(T0 + i as i64 * 2_000),
                routes[i % 4],
            ))
        })
        .filter(|v| v.reasons.contains(Reason::DistinctCallersSlow))
        .count();
    assert!(flagged > 20, "{flagged}");
}

#[test]
fn burst_tier_fires_only_when_most_callers_came_through_the_ingress() {
    // The slow tier off, so only the burst tier speaks.
    let f = fixture("[rules.distinct_callers_slow]\naction = \"off\"\n");
    // A phone-in: 24 callers within 4 s, a quarter of them through IC-A and
    // the rest through three other routes. IC-A reaches 5 (and 6) callers,
    // but never most of the number's callers: nothing fires.
    let b = "+2348099999999";
    let routes = ["IC-B", "IC-A", "IC-C", "IC-D"];
    for i in 0..24 {
        let v = f.check(on(
            Call::new(&format!("p{i}"), &caller(i), b).at(T0 + i as i64 * 150),
            routes[i % 4],
        ));
        assert_eq!(
            v.action,
            Action::Allow,
            "phone-in call {i}: {:?}",
            v.reasons
        );
        assert!(v.new_alerts.is_empty());
        if routes[i % 4] == "IC-A" {
            // The count shown is this ingress's, not every ingress's.
            assert_eq!(v.count(Reason::DistinctCallers), (i / 4 + 1) as u32);
        }
    }
    // A burst through one route, to a number two other people also called:
    // its third call through IC-A is the number's 5th caller in the window,
    // and IC-A brought 3 of those 5 (`min_ingress_callers`): blocked there.
    let b2 = "+2348099999998";
    for (i, r) in ["IC-B", "IC-C"].iter().enumerate() {
        let v = f.check(on(
            Call::new(&format!("o{i}"), &caller(40 + i), b2).at(T0),
            r,
        ));
        assert_eq!(v.action, Action::Allow);
    }
    for i in 0..5 {
        let v = f.check(on(
            Call::new(&format!("m{i}"), &caller(50 + i), b2).at(T0 + 500 + i as i64 * 500),
            "IC-A",
        ));
        if i < 2 {
            assert_eq!(v.action, Action::Allow, "burst call {i}");
        } else {
            assert_eq!(v.action, Action::Block, "burst call {i}: {:?}", v.reasons);
            assert_eq!(v.count(Reason::DistinctCallers), i as u32 + 1);
        }
        if i == 2 {
            let alert = v
                .new_alerts
                .iter()
                .find(|a| a.rule == Reason::DistinctCallers)
                .expect("the 5th caller's alert");
            assert_eq!(alert.key, format!("trunk:IC-A|{b2}"));
            // The number's callers over every ingress, against 5.
            assert_eq!((alert.count, alert.threshold), (5, 5));
        }
    }
    // With the share off, the phone-in's route is blocked at its 5th caller.
    let f = fixture(
        "[rules.distinct_callers_slow]\naction = \"off\"\n\
         [rules.distinct_callers]\nmin_ingress_share = 0\n",
    );
    let blocked = (0..24)
        .map(|i| {
            f.check(on(
                Call::new(&format!("p{i}"), &caller(i), b).at(T0 + i as i64 * 150),
                routes[i % 4],
            ))
        })
        .filter(|v| v.action == Action::Block)
        .count();
    assert!(blocked > 0);
}

#[test]
fn a_burst_from_several_untrunked_addresses_is_one_ingress() {
    // Masking sent from two addresses no trunk names, alternating: by
    // default one ingress, blocked by its 5th caller.
    let from = |i: usize, ip: &str| {
        let mut c =
            Call::new(&format!("u{i}"), &caller(i), "+2348099999997").at(T0 + i as i64 * 400);
        c.source_ip = Some(ip.parse().unwrap());
        c
    };
    let ips = ["198.51.100.7", "203.0.113.80"];
    let f = fixture("[rules.distinct_callers_slow]\naction = \"off\"\n");
    let actions: Vec<Action> = (0..5)
        .map(|i| f.check(from(i, ips[i % 2])).action)
        .collect();
    assert_eq!(actions[..4], [Action::Allow; 4]);
    assert_eq!(actions[4], Action::Block);
    // Each address its own ingress: 3 and 2 callers, nothing blocked by
    // the count through either (the count over every ingress off; on, it
    // blocks the 5th caller, below for named trunks).
    let f = fixture(
        "[rules]\nuntrunked_one_ingress = false\n\
         [rules.distinct_callers_slow]\naction = \"off\"\n\
         [rules.distinct_callers]\nmin_ingress_callers = 0\n",
    );
    assert!((0..5).all(|i| f.check(from(i, ips[i % 2])).action == Action::Allow));
    // Named trunks stay routes of their own: two trunks, 3 and 2 callers,
    // nothing blocked by the count through either alone.
    let f = fixture(
        "[rules.distinct_callers_slow]\naction = \"off\"\n\
         [rules.distinct_callers]\nmin_ingress_callers = 0\n",
    );
    let trunks = ["IC-A", "IC-B"];
    assert!((0..5).all(|i| f.check(on(from(i, ips[i % 2]), trunks[i % 2])).action == Action::Allow));
    // By default the 5th caller over both is blocked on IC-A, which
    // brought 3 of the 5 (`min_ingress_callers`).
    let f = fixture("[rules.distinct_callers_slow]\naction = \"off\"\n");
    let actions: Vec<Action> = (0..5)
        .map(|i| f.check(on(from(i, ips[i % 2]), trunks[i % 2])).action)
        .collect();
    assert_eq!(
        actions,
        [
            Action::Allow,
            Action::Allow,
            Action::Allow,
            Action::Allow,
            Action::Block
        ]
    );
    // The slow tier (flag, 3 callers in 120 s) counts them together as well.
    let f = fixture("[rules.distinct_callers]\naction = \"off\"\n");
    let v: Vec<Verdict> = (0..3).map(|i| f.check(from(i, ips[i % 2]))).collect();
    assert!(!v[1].reasons.contains(Reason::DistinctCallersSlow));
    assert!(
        v[2].reasons.contains(Reason::DistinctCallersSlow),
        "{:?}",
        v[2].reasons
    );
}

/// The slow tier alone, learning in two-minute intervals at weight 0.5, the
/// number's level over every ingress judged at `learn_number_factor` as given.
fn number_factor_fixture(factor: Option<f64>) -> Fixture {
    let factor = factor.map_or(String::new(), |x| format!("learn_number_factor = {x}\n"));
    fixture(&format!(
        "[learning]\nwarmup_ms = 0\n\
         [rules.distinct_callers]\naction = \"off\"\n\
         [rules.cli_fanout]\naction = \"off\"\n[rules.cli_rotation]\naction = \"off\"\n\
         [rules.distinct_callers_slow]\n{factor}\
         [rules.distinct_callers_slow.learn]\nweight = 0.5\n"
    ))
}

/// A number four new people call every two minutes, one through each of four
/// routes, for 20 minutes; then twelve fresh CLIs through one of them, 5 s
/// apart. Which of the twelve is the first flagged (None: none is).
fn first_flagged_spike(f: &Fixture) -> Option<usize> {
    const ROUTES: [&str; 4] = ["IC-A", "IC-B", "IC-C", "MSC-1"];
    let b = "+2348099999995";
    // The first call opens a learning interval (they are aligned to 2 min).
    let start = (T0 / 120_000 + 1) * 120_000;
    for k in 0..10i64 {
        for (i, route) in ROUTES.iter().enumerate() {
            let n = k as usize * 4 + i;
            let t = start + k * 120_000 + 20_000 * (i as i64 + 1);
            let v = f.check(on(
                Call::new(&format!("c{n}"), &format!("+23480310{n:05}"), b).at(t),
                route,
            ));
            assert!(
                !v.reasons.contains(Reason::DistinctCallersSlow),
                "crowd call {n}: one caller a route"
            );
        }
    }
    let spike = start + 10 * 120_000 + 5_000;
    (0..12).find(|&i| {
        let v = f.check(on(
            Call::new(&format!("s{i}"), &format!("+23480320{i:05}"), b)
                .at(spike + 5_000 * i as i64),
            "IC-A",
        ));
        v.reasons.contains(Reason::DistinctCallersSlow)
    })
}

#[test]
fn a_number_s_callers_over_every_ingress_are_judged_at_their_own_factor() {
    // Four callers in every two minutes teach the number a level just under
    // 4 (weight 0.5, each interval's peak capped at max(3, twice the
    // level)). Over every ingress the window also holds the crowd's last
    // interval (four callers, one leaving every 20 s from the spike's fourth
    // call on): call i sees i + 1 of the spike and 4, 3 (i ≥ 3), 2 (i ≥ 7)
    // or 1 (i ≥ 11) of the crowd. Through IC-A the crowd's last caller is
    // in the window for the spike's first three calls: IC-A's count is 2, 3,
    // 4, 4, 5, … (its floor, 3, from the second call, and half the number's
    // callers from the second on), so the bar over every ingress decides.
    let at2 = first_flagged_spike(&number_factor_fixture(Some(2.0)));
    let at3 = first_flagged_spike(&number_factor_fixture(Some(3.0)));
    // 2 x level (just under 4): 8 callers over every ingress, the spike's 5th call.
    assert_eq!(at2, Some(4));
    // 3 x level: 12, its 10th.
    assert_eq!(at3, Some(9));
    assert_eq!(
        first_flagged_spike(&number_factor_fixture(None)),
        at3,
        "the default is 3"
    );
    // A factor under 1 is refused, naming the field.
    let err = Config::from_toml("[rules.distinct_callers_slow]\nlearn_number_factor = 0.5\n")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("rules.distinct_callers_slow.learn_number_factor"),
        "{err}"
    );
}

#[test]
fn an_alert_the_ingress_share_holds_back_is_withdrawn_and_counted() {
    let f = fixture(
        "[rules.distinct_callers]\nthreshold = 3\nwindow_ms = 5000\nper_ingress = true\n\
         min_ingress_share = 0.5\n[rules.distinct_callers_slow]\naction = \"off\"\n",
    );
    let on = |id: &str, i: usize, trunk: &str| {
        let mut c =
            Call::new(id, &format!("+23480300000{i:02}"), "+2348099999999").at(T0 + i as i64 * 100);
        c.trunk = Some(trunk.into());
        check_with(&f.engine, f.store.clone(), &c).unwrap()
    };
    // Four callers through four trunks, then X's third caller: 3 of 7.
    for i in 0..4 {
        on(&format!("t{i}"), i, &format!("T{i}"));
    }
    for i in 4..7 {
        assert_eq!(on(&format!("x{i}"), i, "X").action, Action::Allow);
    }
    let s = f.engine.stats().snapshot();
    assert_eq!(s.withdrawn(Reason::DistinctCallers), 1);
    assert_eq!(s.alerts(Reason::DistinctCallers), 0);
    // X's fourth: 4 of 8, an alert of its own.
    let v = on("x7", 7, "X");
    assert_eq!(v.new_alerts.len(), 1);
    assert_eq!(v.alert_id.as_ref(), Some(&v.new_alerts[0].id));
    assert_eq!(
        f.engine.stats().snapshot().alerts(Reason::DistinctCallers),
        1
    );
}

/// Both fan-in tiers count a call under one per-ingress key (the second op's
/// key is the first's, not built again): the same `<ingress>|<B>` string on
/// each, the companion over every ingress under `*|<B>`, and another
/// ingress's call under its own key. An untrunked call keys by its address.
#[test]
fn both_fan_in_tiers_count_under_one_key_per_ingress() {
    let f = fixture("");
    let keys = |c: &Call| -> Vec<(Reason, String)> {
        let p = f.engine.prepare(c).unwrap();
        p.request
            .windows
            .iter()
            .filter(|w| {
                matches!(
                    w.rule,
                    Reason::DistinctCallers | Reason::DistinctCallersSlow
                )
            })
            .map(|w| (w.rule, w.key.to_string()))
            .collect()
    };
    let b = "+2348099999999";
    let ic = keys(&on(Call::new("k1", "+2348031234567", b).at(T0), "IC-A"));
    assert_eq!(
        ic,
        [
            (Reason::DistinctCallers, format!("trunk:IC-A|{b}")),
            (Reason::DistinctCallersSlow, format!("*|{b}")),
            (Reason::DistinctCallersSlow, format!("trunk:IC-A|{b}")),
        ]
    );
    let other = keys(&on(Call::new("k2", "+2348031234568", b).at(T0), "IC-B"));
    assert_eq!(other[0].1, format!("trunk:IC-B|{b}"));
    assert_eq!(other[2].1, format!("trunk:IC-B|{b}"));
    let mut c = Call::new("k3", "+2348031234569", b).at(T0);
    c.source_ip = Some("203.0.113.9".parse().unwrap());
    let untrunked = keys(&c);
    assert!(untrunked[0].1.ends_with(&format!("|{b}")), "{untrunked:?}");
    assert_eq!(untrunked[0].1, untrunked[2].1);
    assert_ne!(untrunked[0].1, ic[0].1);
}

/// Under the NANP a CLI may be a handset or a landline
/// (`fixed_line_or_mobile`): `cli_fanout` counts it and judges it as a
/// handset only through an ingress carrying many CLIs at the time
/// (`shared_type_min_ingress_clis`, cli_rotation's window): the mobile
/// core, not a business trunk with its one main number. Naming the type in
/// `cli_types` judges it everywhere; 0 leaves it out.
#[test]
fn nanp_clis_are_judged_as_handsets_only_through_an_ingress_of_many() {
    let pace = |extra: &str, trunk: &str, cli: &str, crowd: bool| -> Vec<Verdict> {
        let f = fixture(&format!(
            "[numbering]\ncountry_code = \"1\"\n[learning]\nwarmup_ms = 0\n{extra}"
        ));
        let mut out = Vec::new();
        for i in 0..10i64 {
            let minute = T0 + i * 60_000;
            if crowd {
                // 25 subscribers a minute through the same ingress.
                for j in 0..25i64 {
                    let c = Call::new(
                        &format!("c{i}-{j}"),
                        &format!("+1513242{i:02}{j:02}"),
                        &format!("+1513652{i:02}{j:02}"),
                    );
                    f.check(on(c.at(minute + j * 1000), trunk));
                }
            }
            let c = Call::new(&format!("s{i}"), cli, &format!("+1513651{i:04}"));
            out.push(f.check(on(c.at(minute + 30_000), trunk)));
        }
        out
    };
    let flagged = |v: &[Verdict]| v.last().unwrap().reasons.contains(Reason::CliFanout);
    // A SIM on the mobile core, among its subscribers: the tenth callee.
    let core = pace("", "IMS-CORE", "+15132415555", true);
    assert_eq!(core[9].count(Reason::CliFanout), 10);
    assert!(core[9].count(Reason::CliRotation) >= 20, "{:?}", core[9]);
    assert!(flagged(&core));
    assert!(core
        .iter()
        .take(9)
        .all(|v| !v.reasons.contains(Reason::CliFanout)));
    // The same pace from a PBX's main number on its own trunk: counted, not
    // judged, and its alert is not published.
    let pbx = pace("", "ENT-1", "+15132416666", false);
    assert_eq!(pbx[9].count(Reason::CliFanout), 10);
    assert!(!flagged(&pbx));
    assert!(pbx.iter().all(|v| v.new_alerts.is_empty()));
    // Named in cli_types: judged on any ingress but one where it is alone
    // (`min_ingress_clis`, below).
    let named = "[rules.cli_fanout]\ncli_types = [\"mobile\", \"fixed_line_or_mobile\"]\n";
    assert!(!flagged(&pace(named, "ENT-1", "+15132416666", false)));
    let named = "[rules.cli_fanout]\ncli_types = [\"mobile\", \"fixed_line_or_mobile\"]\nmin_ingress_clis = 0\n";
    assert!(flagged(&pace(named, "ENT-1", "+15132416666", false)));
    // Off: not counted at all.
    let off = pace(
        "[rules.cli_fanout]\nshared_type_min_ingress_clis = 0\n",
        "IMS-CORE",
        "+15132415555",
        true,
    );
    assert_eq!(off[9].count(Reason::CliFanout), 0);
    assert!(!flagged(&off));
    // The operator types its own block (`numbering.types`): a mobile of
    // the block is judged as a handset on any ingress, even its own trunk
    // (once `min_ingress_clis` allows a CLI alone on its ingress); a
    // landline of the block is not counted at all.
    let block = |ty: &str| {
        format!(
            "[numbering.types]\n{ty} = [\"+1513241\"]\n[rules.cli_fanout]\nmin_ingress_clis = 0\n"
        )
    };
    let mobile = pace(&block("mobile"), "ENT-1", "+15132416666", false);
    assert!(flagged(&mobile));
    assert!(mobile
        .iter()
        .take(9)
        .all(|v| !v.reasons.contains(Reason::CliFanout)));
    let landline = pace(&block("fixed_line"), "IMS-CORE", "+15132415555", true);
    assert_eq!(landline[9].count(Reason::CliFanout), 0);
    assert!(!flagged(&landline));
}

/// A mobile CLI alone on its ingress (a dispatcher's dialer on the
/// business's own trunk, presenting its one number) is counted but not
/// judged by `cli_fanout` (`min_ingress_clis`, default 2, cli_rotation's
/// count of the call's source): a SIM's calls arrive through a network of
/// subscribers. Among others on the same ingress, or on a call with no
/// ingress at all (no cli_rotation window), it is judged as before.
#[test]
fn a_mobile_cli_alone_on_its_ingress_is_not_judged_by_fan_out() {
    let pace = |extra: &str, trunk: Option<&str>, others: bool| -> Vec<Verdict> {
        let f = fixture(&format!("[learning]\nwarmup_ms = 0\n{extra}"));
        let mut out = Vec::new();
        for i in 0..10i64 {
            let minute = T0 + i * 60_000;
            if others {
                // Another subscriber on the same ingress each minute.
                let c = Call::new(
                    &format!("o{i}"),
                    &format!("+2348031111{i:03}"),
                    &format!("+2348052222{i:03}"),
                );
                let c = c.at(minute + 10_000);
                f.check(match trunk {
                    Some(t) => on(c, t),
                    None => c,
                });
            }
            let c = Call::new(
                &format!("s{i}"),
                "+2348034445555",
                &format!("+2348056666{i:03}"),
            );
            let c = c.at(minute + 30_000);
            out.push(f.check(match trunk {
                Some(t) => on(c, t),
                None => c,
            }));
        }
        out
    };
    let flagged = |v: &[Verdict]| v.last().unwrap().reasons.contains(Reason::CliFanout);
    // Alone on its trunk: counted to its tenth callee, never judged, no
    // alert published.
    let alone = pace("", Some("ENT-DISPATCH"), false);
    assert_eq!(alone[9].count(Reason::CliFanout), 10);
    assert_eq!(alone[9].count(Reason::CliRotation), 1);
    assert!(!flagged(&alone));
    assert!(alone.iter().all(|v| v.new_alerts.is_empty()));
    // With another CLI on the same trunk in cli_rotation's window: judged.
    let shared = pace("", Some("ENT-DISPATCH"), true);
    assert_eq!(shared[9].count(Reason::CliRotation), 2);
    assert!(flagged(&shared));
    assert!(shared
        .iter()
        .take(9)
        .all(|v| !v.reasons.contains(Reason::CliFanout)));
    // No ingress on the call (no cli_rotation window): judged as before.
    assert!(flagged(&pace("", None, false)));
    // Off: judged alone too.
    let off = "[rules.cli_fanout]\nmin_ingress_clis = 0\n";
    assert!(flagged(&pace(off, Some("ENT-DISPATCH"), false)));
    // cli_rotation off: nothing to judge the ingress by, judged as before.
    let no_rotation = "[rules.cli_rotation]\naction = \"off\"\n";
    assert!(flagged(&pace(no_rotation, Some("ENT-DISPATCH"), false)));
    // Only cli_fanout takes it.
    let e = Config::from_toml("[rules.cli_rotation]\nmin_ingress_clis = 2\n").unwrap_err();
    assert_eq!(e.key, "rules.cli_rotation.min_ingress_clis");
}

/// A newer libphonenumber metadata file (`numbering.metadata_file`) makes a
/// number in an area code opened since the bundled copy (275 stands for one:
/// not assigned in 2026) a valid CLI; the bundled copy calls it invalid.
#[test]
fn a_newer_metadata_file_keeps_new_area_codes_valid() {
    let (_dir, file) = crate::number::plan::tests::us_metadata_file("275|513");
    let cli = "+12755339659";
    let bundled = fixture("[numbering]\ncountry_code = \"1\"\n");
    let v = bundled.call("m1", cli, "+15135550123", T0);
    assert!(v.reasons.contains(Reason::InvalidCli), "{v:?}");
    let newer = fixture(&format!(
        "[numbering]\ncountry_code = \"1\"\nmetadata_file = {:?}\n",
        file.display().to_string()
    ));
    let v = newer.call("m2", cli, "+15135550123", T0);
    assert!(!v.reasons.contains(Reason::InvalidCli), "{v:?}");
    // Still a number of the plan's own kind: outside its ranges, invalid.
    let v = newer.call("m3", "+19375551234", "+15135550123", T0 + 1);
    assert!(v.reasons.contains(Reason::InvalidCli), "{v:?}");
}

/// Calls to `b` from `n` callers, one a route, `gap_ms` apart from `t`.
fn spread(f: &Fixture, b: &str, n: usize, t: i64, gap_ms: i64, routes: usize) -> Vec<Verdict> {
    (0..n)
        .map(|i| {
            f.check(on(
                Call::new(&format!("q{t}-{i}"), &caller(i), b).at(t + i as i64 * gap_ms),
                &format!("IC-{}", i % routes),
            ))
        })
        .collect()
}

#[test]
fn quiet_fanin_flags_a_quiet_numbers_callers_spread_over_routes() {
    let f = fixture("");
    // An hour of traffic seen before: past the cold start.
    f.engine.note_history(T0 - 3_600_000);
    let b = "+2348099999999";
    // Four callers through four routes within a minute, to a number nobody
    // called: the fourth raises one alert, the fifth is flagged under it.
    let v = spread(&f, b, 5, T0, 15_000, 5);
    for (i, x) in v[..3].iter().enumerate() {
        assert_eq!(x.action, Action::Allow, "call {i}");
    }
    assert_eq!(v[3].action, Action::Flag);
    assert!(v[3].reasons.contains(Reason::QuietFanin));
    assert!(!v[3].reasons.contains(Reason::DistinctCallersSlow));
    assert_eq!(v[3].new_alerts.len(), 1);
    let a = &v[3].new_alerts[0];
    assert_eq!(a.rule, Reason::QuietFanin);
    assert_eq!(a.key, format!("*|{b}"));
    assert_eq!((a.count, a.threshold, a.window_ms), (4, 4, 120_000));
    assert_eq!(a.evidence.len(), 1);
    assert_eq!(a.evidence[0].call_id, format!("q{T0}-3"));
    assert!(a.id.starts_with("qf-"), "{}", a.id);
    assert_eq!(v[4].action, Action::Flag);
    assert!(v[4].new_alerts.is_empty());
    assert_eq!(v[4].alert_id, Some(a.id.clone()));
    assert_eq!(f.engine.stats().alert_count(Reason::QuietFanin), 1);
    // Three minutes on the spell began before the window: nothing.
    let later = spread(&f, b, 4, T0 + 180_000, 1_000, 4);
    assert!(later.iter().all(|x| x.action == Action::Allow));

    // A number called half an hour before (through a route the slow tier
    // counts) is not quiet.
    let busy = "+2348099999998";
    f.check(on(
        Call::new("earlier", &caller(50), busy).at(T0 - 1_800_000),
        "IC-9",
    ));
    assert!(spread(&f, busy, 6, T0, 10_000, 6)
        .iter()
        .all(|x| x.action == Action::Allow));
}

#[test]
fn quiet_fanin_leaves_a_crowd_through_one_route_to_that_routes_tiers() {
    // The slow tier off at its per-ingress threshold: its count still decides.
    let f = fixture("[rules.distinct_callers_slow]\nthreshold = 50\n");
    f.engine.note_history(T0 - 3_600_000);
    let b = "+2348099999999";
    // Three of the first four callers through one route: the spell raises
    // on a call of that route and is held back, for the whole spell.
    let calls = [
        ("IC-0", 0),
        ("IC-0", 1),
        ("IC-1", 2),
        ("IC-0", 3),
        ("IC-2", 4),
        ("IC-3", 5),
    ];
    let v: Vec<Verdict> = calls
        .iter()
        .map(|(route, i)| {
            f.check(on(
                Call::new(&format!("c{i}"), &caller(*i), b).at(T0 + *i as i64 * 5_000),
                route,
            ))
        })
        .collect();
    assert!(v.iter().all(|x| x.action == Action::Allow), "{v:?}");
    assert_eq!(f.engine.stats().alert_count(Reason::QuietFanin), 0);
    assert_eq!(f.engine.stats().snapshot().withdrawn(Reason::QuietFanin), 1);
    // Off at 0: the same spell shape raises.
    let f = fixture(
        "[rules.distinct_callers_slow]\nthreshold = 50\n[rules.quiet_fanin]\nmax_ingress_callers = 0\n",
    );
    f.engine.note_history(T0 - 3_600_000);
    let v = f.check(on(Call::new("x0", &caller(0), b).at(T0), "IC-0"));
    assert_eq!(v.action, Action::Allow);
    for i in 1..4 {
        f.check(on(
            Call::new(&format!("x{i}"), &caller(i), b).at(T0 + i as i64),
            "IC-0",
        ));
    }
    assert_eq!(f.engine.stats().alert_count(Reason::QuietFanin), 1);
}

#[test]
fn quiet_fanin_waits_a_quiet_period_after_a_cold_start() {
    // Every number looks quiet to a store that has just started: a spell
    // that began within the first hour raises nothing, for its whole span.
    let f = fixture("");
    let b = "+2348099999999";
    f.check(on(
        Call::new("first", &caller(60), "+2348090000000").at(T0),
        "IC-9",
    ));
    let v = spread(&f, b, 6, T0 + 3_540_000, 5_000, 6);
    assert!(v.iter().all(|x| x.action == Action::Allow), "{v:?}");
    assert_eq!(f.engine.stats().snapshot().withdrawn(Reason::QuietFanin), 1);
    // An hour after the first call seen, a spell is judged.
    let v = spread(&f, "+2348099999998", 4, T0 + 3_600_000, 5_000, 4);
    assert_eq!(v[3].action, Action::Flag);
}

#[test]
fn quiet_fanin_blocks_a_spread_burst_from_its_5th_caller_in_the_burst_window() {
    // Six callers a second apart through five routes, to a number nobody
    // called: no route brings the burst tier enough of them, the spell
    // flags the 4th and blocks from the 5th (five callers over every route
    // within the burst tier's 10 s).
    let b = "+2348099999999";
    let burst = |toml: &str| {
        let f = fixture(toml);
        f.engine.note_history(T0 - 3_600_000);
        spread(&f, b, 6, T0, 1_000, 5)
    };
    let v = burst("");
    assert!(v[..3].iter().all(|x| x.action == Action::Allow), "{v:?}");
    assert_eq!(v[3].action, Action::Flag, "{:?}", v[3]);
    for x in &v[4..] {
        assert_eq!(x.action, Action::Block, "{x:?}");
        assert!(x.reasons.contains(Reason::QuietFanin));
        assert!(!x.reasons.contains(Reason::DistinctCallers), "{x:?}");
        assert_eq!(x.alert_id, v[3].alert_id);
    }
    // The spell's one alert was raised by the 4th, flagging.
    assert_eq!(v[3].new_alerts.len(), 1);
    assert_eq!(v[3].new_alerts[0].action, Action::Flag);
    assert!(v[4..].iter().all(|x| x.new_alerts.is_empty()));
    // Off: flagged only.
    let v = burst("[rules.quiet_fanin]\nblock_callers = 0\n");
    assert!(v[3..].iter().all(|x| x.action == Action::Flag), "{v:?}");
    // A higher bar: from the 6th.
    let v = burst("[rules.quiet_fanin]\nblock_callers = 6\n");
    assert_eq!(v[4].action, Action::Flag);
    assert_eq!(v[5].action, Action::Block);
    // Callers five seconds apart reach the spell's count, never five within
    // the burst window: flagged only.
    let f = fixture("");
    f.engine.note_history(T0 - 3_600_000);
    let v = spread(&f, b, 6, T0, 5_000, 5);
    assert!(v[3..].iter().all(|x| x.action == Action::Flag), "{v:?}");
    // An allow-listed number is never blocked.
    let v = burst("[lists]\nallow_b_numbers = [\"+2348099999999\"]\n");
    assert!(v.iter().all(|x| x.action != Action::Block), "{v:?}");
    // Checked: 1 cannot block (a single call is no burst).
    let e = Config::from_toml("[rules.quiet_fanin]\nblock_callers = 1\n").unwrap_err();
    assert_eq!(e.key, "rules.quiet_fanin.block_callers");
}
